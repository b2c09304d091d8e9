/*
 * Coroutine pools are per thread: a coroutine that finished in an
 * IOThread is reused by the next coroutine created there, and another
 * thread creating coroutines meanwhile does not take it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "util/iothread.h"
#include "test-common.h"

typedef struct PoolRun {
    Coroutine *co;              /* the coroutine the IOThread ran */
    bool done;
} PoolRun;

static void coroutine_fn note_self_entry(void *opaque)
{
    PoolRun *run = opaque;

    run->co = qemu_coroutine_self();
}

/* In the IOThread: create a coroutine there and run it to its end */
static void create_in_iothread_bh(void *opaque)
{
    PoolRun *run = opaque;

    qemu_coroutine_enter(qemu_coroutine_create(note_self_entry, run));
    qatomic_store_release(&run->done, true);
    aio_wait_kick();
}

static Coroutine *run_in_iothread(AioContext *ctx)
{
    PoolRun run = { 0 };

    aio_bh_schedule_oneshot(ctx, create_in_iothread_bh, &run);
    AIO_WAIT_WHILE(ctx, !qatomic_load_acquire(&run.done));
    return run.co;
}

static void coroutine_fn park_entry(void *opaque)
{
    qemu_coroutine_yield();
}

static void test_coroutine_reused_in_the_iothread_it_ran_in(void **state)
{
    IOThread *iot = iothread_create("co-pool", &error_abort);
    AioContext *ctx = iothread_get_aio_context(iot);
    Coroutine *first, *main_co, *again;

    first = run_in_iothread(ctx);
    /* The main thread creates one and keeps it (parked, not finished) */
    main_co = qemu_coroutine_create(park_entry, NULL);
    qemu_coroutine_enter(main_co);
    assert_ptr_not_equal(main_co, first);

    again = run_in_iothread(ctx);
    assert_ptr_equal(again, first);

    qemu_coroutine_enter(main_co);      /* let it finish */
    iothread_destroy(iot);
}

/* A finished coroutine is reused by its own thread (no shared list) */
static void test_coroutine_pool_counts_this_thread(void **state)
{
    IOThread *iot = iothread_create("co-pool-count", &error_abort);
    unsigned before;

    qemu_coroutine_pool_drain();
    before = qemu_coroutine_pool_size();
    assert_int_equal(before, 0);
    run_in_iothread(iothread_get_aio_context(iot));
    /* It went to the IOThread's pool, not to ours */
    assert_int_equal(qemu_coroutine_pool_size(), 0);
    iothread_destroy(iot);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_coroutine_reused_in_the_iothread_it_ran_in),
        T(test_coroutine_pool_counts_this_thread),
    };

    test_common_init(0);
    return test_common_run_group(tests, NULL, NULL);
}
