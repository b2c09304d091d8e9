/*
 * test-coroutine.c: coroutines, CoMutex, CoQueue, CoRwlock, sleeps.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <sys/wait.h>

#include "util/osdep.h"
#include "util/aio.h"
#include "util/coroutine.h"
#include "util/iothread.h"
#include "util/lockable.h"
#include "util/main-loop.h"
#include "util/sched.h"
#include "test-common.h"

static int teardown_mode(void **state)
{
    AioContext *main_ctx = qemu_get_aio_context();

    /* Nothing may be left behind for the next test */
    assert_false(aio_poll(main_ctx, false));
    sched_set_realtime();
    return 0;
}

/* Run fn in a child process; returns its wait status */
static int run_in_child(void (*fn)(void))
{
    pid_t pid = fork();
    int status;

    assert_true(pid >= 0);
    if (pid == 0) {
        /* The child is expected to die: keep its report out of the log */
        if (!freopen("/dev/null", "w", stderr)) {
            _exit(3);
        }
        /* cmocka's handlers would resume the test run in the child */
        signal(SIGABRT, SIG_DFL);
        signal(SIGSEGV, SIG_DFL);
        signal(SIGBUS, SIG_DFL);
        fn();
        _exit(0);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return status;
}

static bool died_abnormally(int status)
{
    return WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status));
}

/* ---- enter / yield ---- */

typedef struct YieldData {
    int steps;
    bool in_co;
    Coroutine *self;
} YieldData;

static void coroutine_fn yield_entry(void *opaque)
{
    YieldData *d = opaque;

    d->in_co = qemu_in_coroutine();
    d->self = qemu_coroutine_self();
    d->steps++;
    qemu_coroutine_yield();
    d->steps++;
    qemu_coroutine_yield();
    d->steps++;
}

static void test_enter_yield_reenter(void **state)
{
    YieldData d = { 0 };
    Coroutine *co = qemu_coroutine_create(yield_entry, &d);

    assert_false(qemu_in_coroutine());
    assert_false(qemu_coroutine_entered(co));
    qemu_coroutine_enter(co);
    assert_int_equal(d.steps, 1);
    assert_true(d.in_co);
    assert_ptr_equal(d.self, co);
    assert_false(qemu_coroutine_entered(co));
    assert_ptr_equal(qemu_coroutine_get_aio_context(co),
                     qemu_get_aio_context());
    qemu_coroutine_enter(co);
    assert_int_equal(d.steps, 2);
    qemu_coroutine_enter_if_inactive(co);    /* terminates it */
    assert_int_equal(d.steps, 3);
    assert_false(qemu_in_coroutine());
}

/* ---- nesting ---- */

typedef struct NestData {
    Coroutine *inner;
    char trace[16];
    int n;
} NestData;

static void coroutine_fn nest_inner(void *opaque)
{
    NestData *d = opaque;

    d->trace[d->n++] = 'i';
    assert_true(qemu_coroutine_entered(d->inner));
    qemu_coroutine_yield();     /* back to the outer coroutine */
    d->trace[d->n++] = 'j';
}

static void coroutine_fn nest_outer(void *opaque)
{
    NestData *d = opaque;

    d->trace[d->n++] = 'o';
    d->inner = qemu_coroutine_create(nest_inner, d);
    qemu_coroutine_enter(d->inner);
    d->trace[d->n++] = 'p';
    qemu_coroutine_enter(d->inner);
    d->trace[d->n++] = 'q';
}

static void test_nested(void **state)
{
    NestData d = { 0 };

    qemu_coroutine_enter(qemu_coroutine_create(nest_outer, &d));
    assert_string_equal(d.trace, "oipjq");
}

/* ---- pool reuse ---- */

static void coroutine_fn count_entry(void *opaque)
{
    (*(int *)opaque)++;
}

static void test_create_terminate_10k(void **state)
{
    int count = 0;
    Coroutine *first = NULL;
    int reused = 0;

    for (int i = 0; i < 10000; i++) {
        Coroutine *co = qemu_coroutine_create(count_entry, &count);

        if (!first) {
            first = co;
        } else if (co == first) {
            reused++;
        }
        qemu_coroutine_enter(co);
        assert_true(qemu_coroutine_pool_size() <= COROUTINE_POOL_MAX);
    }
    assert_int_equal(count, 10000);
    /* A finished coroutine is handed out again instead of a new stack */
    assert_true(reused > 0);
    assert_true(qemu_coroutine_pool_size() >= 1);
}

typedef struct ManyData {
    Coroutine *co[200];
    int done;
} ManyData;

static void coroutine_fn many_entry(void *opaque)
{
    ManyData *d = opaque;

    qemu_coroutine_yield();
    d->done++;
}

static void test_pool_bounded(void **state)
{
    ManyData d = { 0 };

    for (int i = 0; i < 200; i++) {
        d.co[i] = qemu_coroutine_create(many_entry, &d);
        qemu_coroutine_enter(d.co[i]);
    }
    for (int i = 0; i < 200; i++) {
        qemu_coroutine_enter(d.co[i]);
    }
    assert_int_equal(d.done, 200);
    assert_int_equal(qemu_coroutine_pool_size(), COROUTINE_POOL_MAX);
    qemu_coroutine_pool_drain();
    assert_int_equal(qemu_coroutine_pool_size(), 0);
}

/* ---- stack contents survive switches ---- */

static void coroutine_fn stack_entry(void *opaque)
{
    uint32_t buf[16 * 1024];   /* 64 KiB on the coroutine stack */
    uint32_t *sum = opaque;

    for (size_t i = 0; i < ARRAY_SIZE(buf); i++) {
        buf[i] = (uint32_t)(i * 2654435761u);
    }
    qemu_coroutine_yield();
    for (size_t i = 0; i < ARRAY_SIZE(buf); i++) {
        if (buf[i] != (uint32_t)(i * 2654435761u)) {
            *sum = 0;
            return;
        }
    }
    *sum = 1;
}

static void test_stack_survives_yield(void **state)
{
    uint32_t ok[4] = { 0 };
    Coroutine *co[4];

    /* Interleave several coroutines that each fill their stack */
    for (int i = 0; i < 4; i++) {
        co[i] = qemu_coroutine_create(stack_entry, &ok[i]);
        qemu_coroutine_enter(co[i]);
    }
    for (int i = 3; i >= 0; i--) {
        qemu_coroutine_enter(co[i]);
        assert_int_equal(ok[i], 1);
    }
}

/* ---- misuse aborts with a message ---- */

static void coroutine_fn reenter_self_entry(void *opaque)
{
    qemu_coroutine_enter(qemu_coroutine_self());
}

static void child_reenter(void)
{
    qemu_coroutine_enter(qemu_coroutine_create(reenter_self_entry, NULL));
}

static void child_yield_outside(void)
{
    qemu_coroutine_yield();
}

static int stack_depth_eater(int depth)
{
    volatile char buf[4096];

    buf[0] = (char)depth;
    if (depth > (1 << 30)) {
        return 0;   /* never reached: the stack is 1 MiB */
    }
    return stack_depth_eater(depth + 1) + buf[0];
}

static void coroutine_fn overflow_entry(void *opaque)
{
    *(int *)opaque = stack_depth_eater(0);
}

static void child_overflow(void)
{
    int r = 0;

    qemu_coroutine_enter(qemu_coroutine_create(overflow_entry, &r));
}

static void test_misuse_aborts(void **state)
{
    int status = run_in_child(child_reenter);

    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
    status = run_in_child(child_yield_outside);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
    /* The guard page turns a stack overflow into a fault */
    status = run_in_child(child_overflow);
    assert_true(died_abnormally(status));
}

/* ---- wakeups ---- */

typedef struct WakeData {
    Coroutine *sleeper;
    char trace[16];
    int n;
} WakeData;

static void coroutine_fn wake_sleeper(void *opaque)
{
    WakeData *d = opaque;

    d->trace[d->n++] = 's';
    qemu_coroutine_yield();
    d->trace[d->n++] = 'w';
}

static void coroutine_fn wake_waker(void *opaque)
{
    WakeData *d = opaque;

    d->trace[d->n++] = 'a';
    aio_co_wake(d->sleeper);
    /* The sleeper only runs once we yield or terminate */
    d->trace[d->n++] = 'b';
}

static void test_wake_from_coroutine_is_deferred(void **state)
{
    WakeData d = { 0 };

    d.sleeper = qemu_coroutine_create(wake_sleeper, &d);
    qemu_coroutine_enter(d.sleeper);
    qemu_coroutine_enter(qemu_coroutine_create(wake_waker, &d));
    assert_string_equal(d.trace, "sabw");
}

static void coroutine_fn sched_entry(void *opaque)
{
    AioContext **where = opaque;

    *where = qemu_get_current_aio_context();
}

static void test_co_schedule(void **state)
{
    AioContext *ctx = aio_context_new(&error_abort);
    AioContext *where = NULL;
    Coroutine *co = qemu_coroutine_create(sched_entry, &where);

    aio_co_schedule(ctx, co);
    assert_null(where);
    assert_true(aio_poll(ctx, false));
    assert_ptr_equal(where, ctx);
    assert_false(aio_poll(ctx, false));
    aio_context_unref(ctx);
}

static void child_schedule_twice(void)
{
    AioContext *ctx = aio_context_new(&error_abort);
    Coroutine *co = qemu_coroutine_create(sched_entry, NULL);

    aio_co_schedule(ctx, co);
    aio_co_schedule(ctx, co);
}

static void test_schedule_twice_aborts(void **state)
{
    int status = run_in_child(child_schedule_twice);

    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
}

/* ---- CoMutex ---- */

typedef struct MutexData {
    CoMutex mutex;
    int order[8];
    int n;
    int inside;
    int max_inside;
} MutexData;

typedef struct MutexArg {
    MutexData *d;
    int id;
} MutexArg;

static void coroutine_fn mutex_holder(void *opaque)
{
    MutexArg *a = opaque;

    qemu_co_mutex_lock(&a->d->mutex);
    a->d->order[a->d->n++] = a->id;
    qemu_coroutine_yield();     /* hold the lock while others queue up */
    qemu_co_mutex_unlock(&a->d->mutex);
}

static void coroutine_fn mutex_waiter(void *opaque)
{
    MutexArg *a = opaque;

    qemu_co_mutex_lock(&a->d->mutex);
    qemu_co_mutex_assert_locked(&a->d->mutex);
    a->d->order[a->d->n++] = a->id;
    qemu_co_mutex_unlock(&a->d->mutex);
}

static void test_co_mutex_fifo(void **state)
{
    MutexData d = { 0 };
    MutexArg args[5];
    Coroutine *holder;

    qemu_co_mutex_init(&d.mutex);
    for (int i = 0; i < 5; i++) {
        args[i] = (MutexArg) { .d = &d, .id = i };
    }
    holder = qemu_coroutine_create(mutex_holder, &args[0]);
    qemu_coroutine_enter(holder);
    /* Waiters queue in this order; the holder keeps the lock meanwhile */
    for (int i = 1; i < 5; i++) {
        qemu_coroutine_enter(qemu_coroutine_create(mutex_waiter, &args[i]));
    }
    assert_int_equal(d.n, 1);
    qemu_coroutine_enter(holder);   /* unlock: hands over in FIFO order */
    while (aio_poll(qemu_get_aio_context(), false)) {
        /* nothing should be needed, but be sure */
    }
    assert_int_equal(d.n, 5);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(d.order[i], i);
    }
    assert_false(d.mutex.locked);
}

static void coroutine_fn mutex_yielder(void *opaque)
{
    MutexData *d = opaque;

    for (int i = 0; i < 5; i++) {
        qemu_co_mutex_lock(&d->mutex);
        d->inside++;
        d->max_inside = MAX(d->max_inside, d->inside);
        qemu_co_yield_to_loop();    /* others run while we hold it */
        d->inside--;
        qemu_co_mutex_unlock(&d->mutex);
        qemu_co_yield_to_loop();
    }
    d->n++;
}

static void test_co_mutex_exclusion_det(void **state)
{
    for (uint64_t seed = 1; seed <= 5; seed++) {
        MutexData d = { 0 };

        sched_set_deterministic(seed);
        qemu_co_mutex_init(&d.mutex);
        for (int i = 0; i < 6; i++) {
            aio_co_enter(qemu_get_aio_context(),
                         qemu_coroutine_create(mutex_yielder, &d));
        }
        AIO_WAIT_WHILE(NULL, d.n < 6);
        assert_int_equal(d.max_inside, 1);
        assert_false(d.mutex.locked);
    }
}

static void coroutine_fn exit_locked_entry(void *opaque)
{
    qemu_co_mutex_lock(opaque);
}

static void child_exit_locked(void)
{
    CoMutex m;

    qemu_co_mutex_init(&m);
    qemu_coroutine_enter(qemu_coroutine_create(exit_locked_entry, &m));
}

static void coroutine_fn unlock_unowned_entry(void *opaque)
{
    qemu_co_mutex_unlock(opaque);
}

static void child_unlock_unowned(void)
{
    CoMutex m;

    qemu_co_mutex_init(&m);
    qemu_coroutine_enter(qemu_coroutine_create(unlock_unowned_entry, &m));
}

static void test_co_mutex_misuse(void **state)
{
    int status = run_in_child(child_exit_locked);

    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
    status = run_in_child(child_unlock_unowned);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
}

/* ---- lock guards ---- */

typedef struct GuardData {
    CoMutex mutex;
    CoMutex inner;
    bool held_inside[3];
    bool held_after[3];
} GuardData;

static void coroutine_fn guard_entry(void *opaque)
{
    GuardData *d = opaque;

    {
        QEMU_LOCK_GUARD(&d->mutex);
        d->held_inside[0] = d->mutex.locked;
    }
    d->held_after[0] = d->mutex.locked;
    WITH_QEMU_LOCK_GUARD(&d->mutex) {
        d->held_inside[1] = d->mutex.locked;
        WITH_QEMU_LOCK_GUARD(&d->inner) {   /* nesting: distinct names */
            d->held_inside[1] &= d->inner.locked;
        }
    }
    d->held_after[1] = d->mutex.locked || d->inner.locked;
    for (int i = 0; i < 3; i++) {
        WITH_QEMU_LOCK_GUARD(&d->mutex) {
            d->held_inside[2] = d->mutex.locked;
            break;      /* leaving early still unlocks */
        }
    }
    d->held_after[2] = d->mutex.locked;
}

static void test_lock_guards(void **state)
{
    GuardData d = { 0 };
    pthread_mutex_t pm = PTHREAD_MUTEX_INITIALIZER;

    qemu_coroutine_enter(qemu_coroutine_create(guard_entry, &d));
    for (int i = 0; i < 3; i++) {
        assert_true(d.held_inside[i]);
        assert_false(d.held_after[i]);
    }
    WITH_QEMU_LOCK_GUARD(&pm) {
        assert_int_equal(pthread_mutex_trylock(&pm), EBUSY);
    }
    assert_int_equal(pthread_mutex_trylock(&pm), 0);
    pthread_mutex_unlock(&pm);
}

/* ---- CoQueue ---- */

typedef struct QueueData {
    CoQueue queue;
    CoMutex lock;
    int order[8];
    int n;
    bool with_lock;
} QueueData;

typedef struct QueueArg {
    QueueData *d;
    int id;
} QueueArg;

static void coroutine_fn queue_waiter(void *opaque)
{
    QueueArg *a = opaque;
    QueueData *d = a->d;

    if (d->with_lock) {
        qemu_co_mutex_lock(&d->lock);
        qemu_co_queue_wait(&d->queue, &d->lock);
        qemu_co_mutex_assert_locked(&d->lock);
        d->order[d->n++] = a->id;
        qemu_co_mutex_unlock(&d->lock);
    } else {
        qemu_co_queue_wait(&d->queue, NULL);
        d->order[d->n++] = a->id;
    }
}

static void test_co_queue(void **state)
{
    QueueData d = { 0 };
    QueueArg args[4];

    qemu_co_queue_init(&d.queue);
    assert_true(qemu_co_queue_empty(&d.queue));
    assert_false(qemu_co_queue_next(&d.queue));
    for (int i = 0; i < 4; i++) {
        args[i] = (QueueArg) { .d = &d, .id = i };
        qemu_coroutine_enter(qemu_coroutine_create(queue_waiter, &args[i]));
    }
    assert_false(qemu_co_queue_empty(&d.queue));
    assert_int_equal(d.n, 0);
    assert_true(qemu_co_queue_next(&d.queue));
    assert_int_equal(d.n, 1);
    assert_int_equal(d.order[0], 0);
    assert_true(qemu_co_enter_next(&d.queue, NULL));
    assert_int_equal(d.order[1], 1);
    qemu_co_queue_restart_all(&d.queue);
    assert_int_equal(d.n, 4);
    assert_int_equal(d.order[2], 2);
    assert_int_equal(d.order[3], 3);
    assert_true(qemu_co_queue_empty(&d.queue));
}

static void coroutine_fn queue_kicker(void *opaque)
{
    QueueData *d = opaque;

    qemu_co_mutex_lock(&d->lock);
    qemu_co_queue_restart_all(&d->queue);
    qemu_co_mutex_unlock(&d->lock);
}

static void test_co_queue_with_lock(void **state)
{
    QueueData d = { .with_lock = true };    /* zero-filled lock and queue */
    QueueArg args[3];

    for (int i = 0; i < 3; i++) {
        args[i] = (QueueArg) { .d = &d, .id = i };
        qemu_coroutine_enter(qemu_coroutine_create(queue_waiter, &args[i]));
    }
    assert_false(d.lock.locked);    /* released while waiting */
    qemu_coroutine_enter(qemu_coroutine_create(queue_kicker, &d));
    AIO_WAIT_WHILE(NULL, d.n < 3);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(d.order[i], i);
    }
    assert_false(d.lock.locked);
}

/* ---- CoRwlock ---- */

typedef struct RwData {
    CoRwlock rw;
    int readers_in;
    int max_readers;
    bool writer_in;
    bool violation;
    char trace[32];
    int n;
} RwData;

static void coroutine_fn rw_reader(void *opaque)
{
    RwData *d = opaque;

    qemu_co_rwlock_rdlock(&d->rw);
    d->violation |= d->writer_in;
    d->readers_in++;
    d->max_readers = MAX(d->max_readers, d->readers_in);
    d->trace[d->n++] = 'r';
    qemu_co_yield_to_loop();
    d->readers_in--;
    qemu_co_rwlock_unlock(&d->rw);
}

static void coroutine_fn rw_writer(void *opaque)
{
    RwData *d = opaque;

    qemu_co_rwlock_wrlock(&d->rw);
    d->violation |= d->writer_in || d->readers_in;
    d->writer_in = true;
    d->trace[d->n++] = 'W';
    qemu_co_yield_to_loop();
    d->writer_in = false;
    qemu_co_rwlock_unlock(&d->rw);
}

static void test_co_rwlock(void **state)
{
    RwData d = { 0 };
    AioContext *ctx = qemu_get_aio_context();

    qemu_co_rwlock_init(&d.rw);
    qemu_coroutine_enter(qemu_coroutine_create(rw_reader, &d));
    qemu_coroutine_enter(qemu_coroutine_create(rw_reader, &d));
    qemu_coroutine_enter(qemu_coroutine_create(rw_writer, &d));
    /* A reader arriving after a queued writer waits for it */
    qemu_coroutine_enter(qemu_coroutine_create(rw_reader, &d));
    assert_int_equal(d.max_readers, 2);
    assert_string_equal(d.trace, "rr");
    AIO_WAIT_WHILE(ctx, d.n < 4);
    while (aio_poll(ctx, false)) {
        /* let the last reader unlock */
    }
    assert_string_equal(d.trace, "rrWr");
    assert_false(d.violation);
    assert_false(d.rw.writer);
    assert_int_equal(d.rw.readers, 0);
}

/* ---- sleeping on the virtual clock ---- */

typedef struct SleepArg {
    int64_t ns;
    int64_t woke_at;
    int *order;
    int *n;
    int id;
} SleepArg;

static void coroutine_fn sleep_entry(void *opaque)
{
    SleepArg *a = opaque;

    qemu_co_sleep_ns(QEMU_CLOCK_VIRTUAL, a->ns);
    a->woke_at = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    a->order[(*a->n)++] = a->id;
}

static void test_co_sleep_virtual(void **state)
{
    int order[3], n = 0;
    SleepArg a[3] = {
        { .ns = 5 * NANOSECONDS_PER_SECOND, .id = 0 },
        { .ns = 1 * NANOSECONDS_PER_SECOND, .id = 1 },
        { .ns = 3 * NANOSECONDS_PER_SECOND, .id = 2 },
    };

    sched_set_deterministic(42);
    assert_int_equal(qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL), 0);
    for (int i = 0; i < 3; i++) {
        a[i].order = order;
        a[i].n = &n;
        qemu_coroutine_enter(qemu_coroutine_create(sleep_entry, &a[i]));
    }
    AIO_WAIT_WHILE(NULL, n < 3);
    /* The clock jumped exactly to each deadline, in deadline order */
    assert_int_equal(order[0], 1);
    assert_int_equal(order[1], 2);
    assert_int_equal(order[2], 0);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(a[i].woke_at, a[i].ns);
    }
    assert_int_equal(qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL),
                     5 * NANOSECONDS_PER_SECOND);
}

/* ---- moving between threads ---- */

typedef struct MigrateData {
    AioContext *io_ctx;
    AioContext *seen[3];
    bool main_thread[3];
    int marker;
    bool done;
} MigrateData;

static void coroutine_fn migrate_entry(void *opaque)
{
    MigrateData *d = opaque;
    int marker = 0x5a5a;    /* a stack variable crossing threads */

    d->seen[0] = qemu_get_current_aio_context();
    d->main_thread[0] = qemu_in_main_thread();
    aio_co_schedule(d->io_ctx, qemu_coroutine_self());
    qemu_coroutine_yield();
    d->seen[1] = qemu_get_current_aio_context();
    d->main_thread[1] = qemu_in_main_thread();
    aio_co_reschedule_self(qemu_get_aio_context());
    d->seen[2] = qemu_get_current_aio_context();
    d->main_thread[2] = qemu_in_main_thread();
    d->marker = marker;
    d->done = true;
}

static void migrate_run(void)
{
    IOThread *iot = iothread_create("migrate", &error_abort);
    MigrateData d = { .io_ctx = iothread_get_aio_context(iot) };
    AioContext *main_ctx = qemu_get_aio_context();

    qemu_coroutine_enter(qemu_coroutine_create(migrate_entry, &d));
    AIO_WAIT_WHILE(d.io_ctx, !d.done);
    assert_ptr_equal(d.seen[0], main_ctx);
    assert_ptr_equal(d.seen[1], d.io_ctx);
    assert_ptr_equal(d.seen[2], main_ctx);
    assert_true(d.main_thread[0]);
    assert_false(d.main_thread[1]);
    assert_true(d.main_thread[2]);
    assert_int_equal(d.marker, 0x5a5a);
    iothread_destroy(iot);
}

static void test_migrate_realtime(void **state)
{
    migrate_run();
}

static void test_migrate_virtual(void **state)
{
    sched_set_deterministic(7);
    migrate_run();
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
        TM(test_enter_yield_reenter),
        TM(test_nested),
        TM(test_create_terminate_10k),
        TM(test_pool_bounded),
        TM(test_stack_survives_yield),
        TM(test_misuse_aborts),
        TM(test_wake_from_coroutine_is_deferred),
        TM(test_co_schedule),
        TM(test_schedule_twice_aborts),
        TM(test_co_mutex_fifo),
        TM(test_co_mutex_exclusion_det),
        TM(test_co_mutex_misuse),
        TM(test_lock_guards),
        TM(test_co_queue),
        TM(test_co_queue_with_lock),
        TM(test_co_rwlock),
        TM(test_co_sleep_virtual),
        TM(test_migrate_realtime),
        TM(test_migrate_virtual),
    };

    qemu_init_main_loop(&error_abort);
    return test_common_run_group(tests, NULL, NULL);
}
