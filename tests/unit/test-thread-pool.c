/*
 * test-thread-pool.c: the thread pool in realtime and deterministic mode.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>

#include "util/osdep.h"
#include "util/aio.h"
#include "util/iothread.h"
#include "util/main-loop.h"
#include "util/sched.h"
#include "util/thread-pool.h"
#include "test-common.h"

#define NR_REQS 100

static pthread_t main_thread;

static int teardown_mode(void **state)
{
    assert_false(aio_poll(qemu_get_aio_context(), false));
    sched_set_realtime();
    return 0;
}

typedef struct PoolData {
    int ret[NR_REQS];
    int order[NR_REQS];
    int done;
    bool bad_context;
    bool ran_in_main_thread[NR_REQS];
    AioContext *expect_ctx;
} PoolData;

typedef struct PoolArg {
    PoolData *d;
    int i;
} PoolArg;

static int pool_func(void *opaque)
{
    PoolArg *a = opaque;

    a->d->ran_in_main_thread[a->i] = pthread_equal(pthread_self(), main_thread);
    return a->i * 3 - 7;
}

static void pool_cb(void *opaque, int ret)
{
    PoolArg *a = opaque;
    PoolData *d = a->d;

    d->bad_context |= qemu_get_current_aio_context() != d->expect_ctx;
    d->ret[a->i] = ret;
    d->order[d->done++] = a->i;
}

static void submit_all(PoolData *d, PoolArg *args)
{
    d->expect_ctx = qemu_get_aio_context();
    for (int i = 0; i < NR_REQS; i++) {
        args[i] = (PoolArg) { .d = d, .i = i };
        thread_pool_submit_aio_cb(pool_func, &args[i], pool_cb, &args[i]);
    }
    /* Completions only ever run from the loop, never inside submit */
    assert_int_equal(d->done, 0);
    AIO_WAIT_WHILE(NULL, d->done < NR_REQS);
    for (int i = 0; i < NR_REQS; i++) {
        assert_int_equal(d->ret[i], i * 3 - 7);
    }
    assert_false(d->bad_context);
}

static void test_realtime_cb(void **state)
{
    PoolData d = { 0 };
    PoolArg args[NR_REQS];
    bool all_main = true;

    submit_all(&d, args);
    for (int i = 0; i < NR_REQS; i++) {
        all_main &= d.ran_in_main_thread[i];
    }
    assert_false(all_main);     /* workers did the work */
    assert_true(thread_pool_nr_workers() >= 1);
    assert_true(thread_pool_nr_workers() <= THREAD_POOL_MAX_WORKERS);
    thread_pool_shutdown();
    assert_int_equal(thread_pool_nr_workers(), 0);
}

static void det_order(uint64_t seed, int *order)
{
    PoolData d = { 0 };
    PoolArg args[NR_REQS];

    sched_set_deterministic(seed);
    submit_all(&d, args);
    for (int i = 0; i < NR_REQS; i++) {
        assert_true(d.ran_in_main_thread[i]);
    }
    assert_int_equal(thread_pool_nr_workers(), 0);  /* no threads */
    memcpy(order, d.order, sizeof(d.order));
}

static void test_det_order_by_seed(void **state)
{
    int first[NR_REQS], again[NR_REQS], other[NR_REQS];
    bool differs = false, fifo = true;

    det_order(11, first);
    det_order(11, again);
    assert_memory_equal(first, again, sizeof(first));
    for (int i = 0; i < NR_REQS; i++) {
        fifo &= first[i] == i;
    }
    assert_false(fifo);     /* the scheduler did reorder */
    for (uint64_t seed = 12; seed < 20 && !differs; seed++) {
        det_order(seed, other);
        differs = memcmp(first, other, sizeof(first)) != 0;
    }
    assert_true(differs);
}

typedef struct CoReq {
    int i;
    int ret;
    AioContext *ctx_after;
    int *done;
} CoReq;

static int co_func(void *opaque)
{
    return ((CoReq *)opaque)->i + 1000;
}

static void coroutine_fn co_entry(void *opaque)
{
    CoReq *r = opaque;

    r->ret = thread_pool_submit_co(co_func, r);
    r->ctx_after = qemu_get_current_aio_context();
    qatomic_inc(r->done);
}

static void run_co_requests(AioContext *target)
{
    CoReq reqs[NR_REQS];
    int done = 0;

    for (int i = 0; i < NR_REQS; i++) {
        reqs[i] = (CoReq) { .i = i, .done = &done };
        aio_co_enter(target, qemu_coroutine_create(co_entry, &reqs[i]));
    }
    AIO_WAIT_WHILE(target, qatomic_load_acquire(&done) < NR_REQS);
    for (int i = 0; i < NR_REQS; i++) {
        assert_int_equal(reqs[i].ret, i + 1000);
        /* woken in the context that submitted */
        assert_ptr_equal(reqs[i].ctx_after, target);
    }
}

static void test_realtime_co(void **state)
{
    run_co_requests(qemu_get_aio_context());
}

static void test_det_co(void **state)
{
    sched_set_deterministic(99);
    run_co_requests(qemu_get_aio_context());
}

static void test_realtime_co_in_iothread(void **state)
{
    IOThread *iot = iothread_create("pool-rt", &error_abort);

    run_co_requests(iothread_get_aio_context(iot));
    iothread_destroy(iot);
}

static void test_det_co_in_iothread(void **state)
{
    IOThread *iot;

    sched_set_deterministic(100);
    iot = iothread_create("pool-io", &error_abort);
    run_co_requests(iothread_get_aio_context(iot));
    iothread_destroy(iot);
}

/* The shared fixtures of test-common.h around the suite's own teardown */
static int mode_teardown(void **state)
{
    int problems = test_common_teardown_report();

    teardown_mode(state);
    test_common_teardown_fail(problems);
    return 0;
}

#define TM(fn) cmocka_unit_test_setup_teardown(fn, test_common_setup,         \
                                               mode_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        TM(test_realtime_cb),
        TM(test_det_order_by_seed),
        TM(test_realtime_co),
        TM(test_det_co),
        TM(test_realtime_co_in_iothread),
        TM(test_det_co_in_iothread),
    };
    int ret;

    main_thread = pthread_self();
    qemu_init_main_loop(&error_abort);
    ret = test_common_run_group(tests, NULL, NULL);
    thread_pool_shutdown();
    return ret;
}
