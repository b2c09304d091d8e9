/*
 * test-aio.c: AioContext BHs, fd handlers, timers, aio_poll, AIO_WAIT_WHILE,
 * IOThreads, the main thread and the deterministic scheduler.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>

#include "util/osdep.h"
#include "util/aio.h"
#include "util/iothread.h"
#include "util/main-loop.h"
#include "util/qemu-timer.h"
#include "util/sched.h"
#include "test-common.h"

static AioContext *ctx;

static int setup_ctx(void **state)
{
    ctx = aio_context_new(&error_abort);
    return 0;
}

static int teardown_ctx(void **state)
{
    /* Nothing may be left behind for the next test */
    assert_false(aio_poll(ctx, false));
    assert_false(aio_poll(qemu_get_aio_context(), false));
    aio_context_unref(ctx);
    ctx = NULL;
    sched_set_realtime();
    return 0;
}

/* ---- bottom halves ---- */

typedef struct BHLog {
    char trace[64];
    int n;
    QEMUBH *other;      /* for BHs that act on another BH */
    QEMUBH *self;
} BHLog;

typedef struct BHArg {
    BHLog *log;
    char tag;
} BHArg;

static void log_bh(void *opaque)
{
    BHArg *a = opaque;

    a->log->trace[a->log->n++] = a->tag;
}

static void test_bh_runs_once(void **state)
{
    BHLog log = { 0 };
    BHArg a = { &log, 'a' };
    QEMUBH *bh = aio_bh_new(ctx, log_bh, &a);

    assert_false(aio_poll(ctx, false));
    qemu_bh_schedule(bh);
    qemu_bh_schedule(bh);       /* already scheduled: still runs once */
    assert_true(aio_poll(ctx, false));
    assert_string_equal(log.trace, "a");
    assert_false(aio_poll(ctx, false));
    assert_string_equal(log.trace, "a");
    qemu_bh_schedule(bh);
    assert_true(aio_poll(ctx, false));
    assert_string_equal(log.trace, "aa");
    qemu_bh_delete(bh);
}

static void test_bh_fifo_order(void **state)
{
    BHLog log = { 0 };
    BHArg a[4] = { { &log, 'a' }, { &log, 'b' }, { &log, 'c' }, { &log, 'd' } };
    QEMUBH *bh[4];

    for (int i = 0; i < 4; i++) {
        bh[i] = aio_bh_new(ctx, log_bh, &a[i]);
    }
    qemu_bh_schedule(bh[2]);
    qemu_bh_schedule(bh[0]);
    qemu_bh_schedule(bh[3]);
    qemu_bh_schedule(bh[1]);
    assert_true(aio_poll(ctx, false));
    assert_string_equal(log.trace, "cadb");
    for (int i = 0; i < 4; i++) {
        qemu_bh_delete(bh[i]);
    }
}

static void test_bh_cancel(void **state)
{
    BHLog log = { 0 };
    BHArg a = { &log, 'a' };
    QEMUBH *bh = aio_bh_new(ctx, log_bh, &a);

    qemu_bh_schedule(bh);
    qemu_bh_cancel(bh);
    assert_false(aio_poll(ctx, false));
    assert_int_equal(log.n, 0);
    qemu_bh_schedule(bh);       /* can be scheduled again after cancel */
    assert_true(aio_poll(ctx, false));
    assert_string_equal(log.trace, "a");
    qemu_bh_delete(bh);
}

static void test_bh_delete_scheduled(void **state)
{
    BHLog log = { 0 };
    BHArg a = { &log, 'a' };
    QEMUBH *bh = aio_bh_new(ctx, log_bh, &a);

    qemu_bh_schedule(bh);
    qemu_bh_delete(bh);         /* freed by the poller (LSan checks) */
    assert_false(aio_poll(ctx, false));
    assert_int_equal(log.n, 0);
    qemu_bh_delete(NULL);
}

static void delete_self_bh(void *opaque)
{
    BHLog *log = opaque;

    log->trace[log->n++] = 's';
    qemu_bh_delete(log->self);
}

static void delete_other_bh(void *opaque)
{
    BHLog *log = opaque;

    log->trace[log->n++] = 'd';
    qemu_bh_delete(log->other);
}

static void test_bh_delete_in_callbacks(void **state)
{
    BHLog log = { 0 };
    BHArg a = { &log, 'x' };
    QEMUBH *deleter = aio_bh_new(ctx, delete_other_bh, &log);

    log.self = aio_bh_new(ctx, delete_self_bh, &log);
    log.other = aio_bh_new(ctx, log_bh, &a);
    /* Both run in one pass: the victim is deleted while queued after us */
    qemu_bh_schedule(deleter);
    qemu_bh_schedule(log.other);
    qemu_bh_schedule(log.self);
    assert_true(aio_poll(ctx, false));
    assert_string_equal(log.trace, "ds");
    assert_false(aio_poll(ctx, false));
    qemu_bh_delete(deleter);
}

static void reschedule_bh(void *opaque)
{
    BHLog *log = opaque;

    log->trace[log->n++] = 'r';
    if (log->n < 3) {
        qemu_bh_schedule(log->self);
    }
}

static void test_bh_reschedule_runs_next_poll(void **state)
{
    BHLog log = { 0 };

    log.self = aio_bh_new(ctx, reschedule_bh, &log);
    qemu_bh_schedule(log.self);
    assert_true(aio_poll(ctx, false));
    assert_int_equal(log.n, 1);     /* not again in the same call */
    assert_true(aio_poll(ctx, false));
    assert_true(aio_poll(ctx, false));
    assert_false(aio_poll(ctx, false));
    assert_string_equal(log.trace, "rrr");
    qemu_bh_delete(log.self);
}

static void test_bh_oneshot(void **state)
{
    BHLog log = { 0 };
    BHArg a = { &log, 'o' }, b = { &log, 'p' };

    aio_bh_schedule_oneshot(ctx, log_bh, &a);
    aio_bh_schedule_oneshot(ctx, log_bh, &b);
    assert_true(aio_poll(ctx, false));
    assert_string_equal(log.trace, "op");
    assert_false(aio_poll(ctx, false));
}

/* ---- fd handlers ---- */

typedef struct FdData {
    int fd;
    int reads;
    int writes;
    bool remove_self;
} FdData;

static void fd_read_cb(void *opaque)
{
    FdData *d = opaque;
    char c;

    assert_int_equal(read(d->fd, &c, 1), 1);
    d->reads++;
    if (d->remove_self) {
        aio_set_fd_handler(ctx, d->fd, NULL, NULL, NULL);
    }
}

static void fd_write_cb(void *opaque)
{
    FdData *d = opaque;

    d->writes++;
    aio_set_fd_handler(ctx, d->fd, NULL, NULL, NULL);
}

static void test_fd_handler_pipe(void **state)
{
    int p[2];
    FdData rd = { 0 }, wr = { 0 };

    assert_int_equal(pipe(p), 0);
    rd.fd = p[0];
    wr.fd = p[1];
    aio_set_fd_handler(ctx, p[0], fd_read_cb, NULL, &rd);
    assert_false(aio_poll(ctx, false));
    assert_int_equal(write(p[1], "xy", 2), 2);
    assert_true(aio_poll(ctx, true));
    assert_int_equal(rd.reads, 1);
    assert_true(aio_poll(ctx, false));      /* one byte still there */
    assert_int_equal(rd.reads, 2);
    assert_false(aio_poll(ctx, false));

    /* Removal: data arriving afterwards is not dispatched */
    aio_set_fd_handler(ctx, p[0], NULL, NULL, NULL);
    assert_int_equal(write(p[1], "z", 1), 1);
    assert_false(aio_poll(ctx, false));
    assert_int_equal(rd.reads, 2);

    /* A handler may remove itself; the write end is writable at once */
    rd.remove_self = true;
    aio_set_fd_handler(ctx, p[0], fd_read_cb, NULL, &rd);
    aio_set_fd_handler(ctx, p[1], NULL, fd_write_cb, &wr);
    assert_true(aio_poll(ctx, false));
    assert_int_equal(rd.reads, 3);
    assert_int_equal(wr.writes, 1);
    assert_false(aio_poll(ctx, false));
    close(p[0]);
    close(p[1]);
}

/* ---- timers ---- */

typedef struct TimerData {
    int fired;
    int64_t fired_at[4];
    QEMUTimer *timer;
    bool free_self;
} TimerData;

static void timer_cb(void *opaque)
{
    TimerData *d = opaque;

    d->fired_at[d->fired++ % 4] = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    if (d->free_self) {
        timer_free(d->timer);
        d->timer = NULL;
    }
}

static void test_timer_realtime(void **state)
{
    TimerData d = { 0 };
    QEMUTimer *t = aio_timer_new(ctx, QEMU_CLOCK_REALTIME, SCALE_NS,
                                 timer_cb, &d);

    assert_false(timer_pending(t));
    assert_int_equal(timer_expire_time_ns(t), -1);
    /* Far in the future: pending, not fired */
    timer_mod(t, qemu_clock_get_ns(QEMU_CLOCK_REALTIME) +
                 3600 * NANOSECONDS_PER_SECOND);
    assert_true(timer_pending(t));
    assert_false(aio_poll(ctx, false));
    timer_del(t);
    assert_false(timer_pending(t));
    /* Already expired: fires on the next poll, once */
    timer_mod_ns(t, 0);
    assert_true(timer_expired(t, qemu_clock_get_ns(QEMU_CLOCK_REALTIME)));
    assert_true(aio_poll(ctx, true));
    assert_int_equal(d.fired, 1);
    assert_false(timer_pending(t));
    assert_false(aio_poll(ctx, false));
    /* A deleted timer does not fire */
    timer_mod_ns(t, 0);
    timer_del(t);
    assert_false(aio_poll(ctx, false));
    assert_int_equal(d.fired, 1);
    timer_free(t);
    timer_free(NULL);
}

static void test_timer_virtual_jump(void **state)
{
    TimerData d = { 0 };
    QEMUTimer *t;

    sched_set_deterministic(1);
    assert_int_equal(qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL), 0);
    t = timer_new_ms(QEMU_CLOCK_VIRTUAL, timer_cb, &d);
    timer_mod(t, qemu_clock_get_ms(QEMU_CLOCK_VIRTUAL) + 10000);
    assert_int_equal(timer_expire_time_ns(t), 10 * NANOSECONDS_PER_SECOND);
    /* Not due yet: a non-blocking poll neither fires nor moves time */
    assert_false(aio_poll(qemu_get_aio_context(), false));
    assert_int_equal(qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL), 0);
    /* Waiting jumps the clock exactly to the deadline: no sleep */
    assert_true(AIO_WAIT_WHILE(NULL, d.fired == 0));
    assert_int_equal(d.fired_at[0], 10 * NANOSECONDS_PER_SECOND);
    assert_int_equal(qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL),
                     10 * NANOSECONDS_PER_SECOND);
    timer_free(t);
}

static void test_timer_virtual_order(void **state)
{
    TimerData d = { .free_self = false };
    TimerData e = { .free_self = true };
    QEMUTimer *t1, *t2;

    sched_set_deterministic(2);
    t1 = aio_timer_new(ctx, QEMU_CLOCK_VIRTUAL, SCALE_US, timer_cb, &d);
    t2 = aio_timer_new(ctx, QEMU_CLOCK_VIRTUAL, SCALE_US, timer_cb, &e);
    e.timer = t2;
    timer_mod(t1, 3000);
    timer_mod(t2, 1000);
    timer_mod_anticipate(t1, 5000);     /* later: ignored */
    assert_int_equal(timer_expire_time_ns(t1), 3000 * SCALE_US);
    timer_mod_anticipate(t1, 2000);     /* earlier: taken */
    assert_true(aio_poll(ctx, true));
    assert_int_equal(e.fired, 1);       /* t2 first, and it freed itself */
    assert_int_equal(e.fired_at[0], 1000 * SCALE_US);
    assert_true(aio_poll(ctx, true));
    assert_int_equal(d.fired_at[0], 2000 * SCALE_US);
    /* Nothing left anywhere: a blocking poll must not hang */
    assert_false(aio_poll(ctx, true));
    timer_free(t1);
}

/* ---- aio_poll, notify, cross-thread ---- */

typedef struct XThread {
    QEMUBH *bh;
    AioContext *ctx;
    bool notify_only;
} XThread;

static void *xthread_fn(void *opaque)
{
    XThread *x = opaque;

    if (x->notify_only) {
        aio_notify(x->ctx);
    } else {
        qemu_bh_schedule(x->bh);
    }
    return NULL;
}

static void test_cross_thread_bh_wakes_poll(void **state)
{
    BHLog log = { 0 };
    BHArg a = { &log, 't' };
    XThread x = { .ctx = ctx };
    pthread_t th;

    x.bh = aio_bh_new(ctx, log_bh, &a);
    assert_int_equal(pthread_create(&th, NULL, xthread_fn, &x), 0);
    /* Blocks until the other thread's schedule wakes it */
    assert_true(aio_poll(ctx, true));
    assert_string_equal(log.trace, "t");
    pthread_join(th, NULL);
    qemu_bh_delete(x.bh);

    /* A bare notification also ends a blocking poll (with no progress) */
    x.notify_only = true;
    assert_int_equal(pthread_create(&th, NULL, xthread_fn, &x), 0);
    pthread_join(th, NULL);
    assert_false(aio_poll(ctx, true));
}

static void flag_bh(void *opaque)
{
    *(bool *)opaque = true;
}

static void test_aio_wait_while(void **state)
{
    bool done = false;

    assert_false(AIO_WAIT_WHILE(ctx, done));    /* false at once */
    aio_bh_schedule_oneshot(ctx, flag_bh, &done);
    assert_true(AIO_WAIT_WHILE(ctx, !done));
    assert_true(done);
    done = false;
    aio_bh_schedule_oneshot(qemu_get_aio_context(), flag_bh, &done);
    assert_true(AIO_WAIT_WHILE_UNLOCKED(NULL, !done));
}

static void child_deadlock(void)
{
    sched_set_deterministic(3);
    AIO_WAIT_WHILE(NULL, true);
}

/* Run @child in a fork, its stderr into @err_fd; asserts it aborted */
static void expect_child_aborts(void (*child)(void), int err_fd)
{
    pid_t pid = fork();
    int status;

    assert_true(pid >= 0);
    if (pid == 0) {
        if (dup2(err_fd, STDERR_FILENO) < 0) {
            _exit(3);
        }
        signal(SIGABRT, SIG_DFL);   /* not cmocka's handler */
        child();
        _exit(0);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
}

static void test_aio_wait_deadlock_aborts(void **state)
{
    int null_fd = open("/dev/null", O_WRONLY);

    assert_true(null_fd >= 0);
    expect_child_aborts(child_deadlock, null_fd);
    close(null_fd);
}

/* A timer that re-arms itself a second later, forever */
static void rearm_cb(void *opaque)
{
    QEMUTimer *t = opaque;

    timer_mod(t, qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL) + 1000000000LL);
}

static void child_livelock(void)
{
    QEMUTimer *t;

    sched_set_deterministic(4);
    t = timer_new_ns(QEMU_CLOCK_VIRTUAL, rearm_cb, NULL);
    t->opaque = t;
    rearm_cb(t);
    AIO_WAIT_WHILE(NULL, true);
}

/*
 * A wait that nothing but a periodic timer ever wakes is reported, with
 * the seed, instead of spinning forever on the virtual clock
 */
static void test_aio_wait_livelock_aborts(void **state)
{
    char path[] = "/tmp/drydock-test-livelock.XXXXXX";
    int fd = mkstemp(path);
    char text[512] = "";

    assert_true(fd >= 0);
    expect_child_aborts(child_livelock, fd);
    assert_true(pread(fd, text, sizeof(text) - 1, 0) > 0);
    close(fd);
    unlink(path);
    assert_non_null(strstr(text, "livelock"));
    assert_non_null(strstr(text, "seed 4"));
}

/* ---- main thread, IOThreads ---- */

typedef struct WhereData {
    AioContext *ctx;
    bool main_thread;
    bool done;
} WhereData;

static void where_bh(void *opaque)
{
    WhereData *w = opaque;

    w->ctx = qemu_get_current_aio_context();
    w->main_thread = qemu_in_main_thread();
    qatomic_store_release(&w->done, true);
    aio_wait_kick();
}

static void iothread_run_bh(void)
{
    Error *err = NULL;
    IOThread *iot = iothread_create("io0", &error_abort);
    AioContext *io_ctx = iothread_get_aio_context(iot);
    WhereData w = { 0 };

    assert_null(iothread_create("io0", &err));
    assert_non_null(err);
    assert_string_equal(error_get_pretty(err), "IOThread 'io0' already exists");
    error_free(err);
    assert_string_equal(iothread_get_id(iot), "io0");
    assert_int_equal(iothread_is_virtual(iot), sched_is_deterministic());

    aio_bh_schedule_oneshot(io_ctx, where_bh, &w);
    AIO_WAIT_WHILE(io_ctx, !qatomic_load_acquire(&w.done));
    assert_ptr_equal(w.ctx, io_ctx);
    assert_false(w.main_thread);
    iothread_destroy(iot);
    iothread_destroy(NULL);
}

static void test_iothread_realtime(void **state)
{
    iothread_run_bh();
}

static void test_iothread_virtual(void **state)
{
    sched_set_deterministic(4);
    iothread_run_bh();
}

static void test_iothread_bad_id(void **state)
{
    Error *err = NULL;
    IOThread *a, *b;

    assert_null(iothread_create("", &err));
    assert_string_equal(error_get_pretty(err), "IOThread id must not be empty");
    error_free(err);
    /* Generated ids are unique */
    a = iothread_create(NULL, &error_abort);
    b = iothread_create(NULL, &error_abort);
    assert_string_not_equal(iothread_get_id(a), iothread_get_id(b));
    iothread_destroy(a);
    iothread_destroy(b);
}

static void test_main_thread(void **state)
{
    WhereData w = { 0 };

    GLOBAL_STATE_CODE();
    IO_CODE();
    assert_true(qemu_in_main_thread());
    assert_true(qemu_mutex_iothread_locked());
    assert_ptr_equal(qemu_get_current_aio_context(), qemu_get_aio_context());
    assert_true(in_aio_context_home_thread(qemu_get_aio_context()));
    /* A standalone context's callbacks are not global-state code */
    aio_bh_schedule_oneshot(ctx, where_bh, &w);
    assert_true(aio_poll(ctx, false));
    assert_ptr_equal(w.ctx, ctx);
    assert_false(w.main_thread);
    qemu_init_main_loop(&error_abort);  /* idempotent */
}

/* ---- deterministic scheduling ---- */

static void det_bh_order(uint64_t seed, char *out)
{
    BHLog log = { 0 };
    BHArg a[8];
    AioContext *main_ctx = qemu_get_aio_context();

    sched_set_deterministic(seed);
    for (int i = 0; i < 8; i++) {
        a[i] = (BHArg) { &log, (char)('a' + i) };
        aio_bh_schedule_oneshot(main_ctx, log_bh, &a[i]);
    }
    /* One event per poll in deterministic mode */
    for (int i = 0; i < 8; i++) {
        assert_true(aio_poll(main_ctx, false));
        assert_int_equal(log.n, i + 1);
    }
    assert_false(aio_poll(main_ctx, false));
    memcpy(out, log.trace, 9);
}

static void test_det_bh_order_by_seed(void **state)
{
    char first[9], again[9], other[9];
    bool differs = false;

    det_bh_order(1, first);
    det_bh_order(1, again);
    assert_string_equal(first, again);
    for (uint64_t seed = 2; seed < 10 && !differs; seed++) {
        det_bh_order(seed, other);
        differs = strcmp(first, other) != 0;
    }
    assert_true(differs);
}

static void test_det_world_includes_iothreads(void **state)
{
    BHLog log = { 0 };
    BHArg a = { &log, 'm' }, b = { &log, 'i' };
    IOThread *iot;
    AioContext *main_ctx = qemu_get_aio_context();
    uint64_t before;

    sched_set_deterministic(5);
    iot = iothread_create("world", &error_abort);
    before = sched_event_count();
    aio_bh_schedule_oneshot(main_ctx, log_bh, &a);
    aio_bh_schedule_oneshot(iothread_get_aio_context(iot), log_bh, &b);
    /* Polling the main context also runs the virtual IOThread's work */
    assert_true(aio_poll(main_ctx, false));
    assert_true(aio_poll(main_ctx, false));
    assert_false(aio_poll(main_ctx, false));
    assert_int_equal(log.n, 2);
    assert_int_equal(sched_event_count() - before, 2);
    iothread_destroy(iot);
}

static void test_sched_prng(void **state)
{
    uint64_t seq[8];
    bool varied = false;

    sched_set_deterministic(1234);
    assert_int_equal(sched_seed(), 1234);
    assert_true(sched_is_deterministic());
    for (int i = 0; i < 8; i++) {
        seq[i] = sched_rand();
    }
    sched_set_deterministic(1234);
    for (int i = 0; i < 8; i++) {
        assert_true(sched_rand() == seq[i]);
        varied |= seq[i] != seq[0];
    }
    assert_true(varied);
    for (int i = 0; i < 1000; i++) {
        assert_true(sched_rand_below(7) < 7);
    }
    assert_int_equal(sched_rand_below(0), 0);
    assert_int_equal(sched_rand_below(1), 0);
    sched_clock_step(500);
    assert_int_equal(qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL), 500);
    assert_int_equal(sched_clock_ns(), 500);
    /* the step notified the main context: consume that wakeup */
    assert_false(aio_poll(qemu_get_aio_context(), false));
    sched_set_realtime();
    assert_false(sched_is_deterministic());
}

/* The suite's context around the shared fixtures of test-common.h */
static int aio_setup(void **state)
{
    setup_ctx(state);
    return test_common_setup(state);
}

static int aio_teardown(void **state)
{
    int problems = test_common_teardown_report();

    teardown_ctx(state);
    test_common_teardown_fail(problems);
    return 0;
}

#undef T
#define T(fn) cmocka_unit_test_setup_teardown(fn, aio_setup, aio_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_bh_runs_once),
        T(test_bh_fifo_order),
        T(test_bh_cancel),
        T(test_bh_delete_scheduled),
        T(test_bh_delete_in_callbacks),
        T(test_bh_reschedule_runs_next_poll),
        T(test_bh_oneshot),
        T(test_fd_handler_pipe),
        T(test_timer_realtime),
        T(test_timer_virtual_jump),
        T(test_timer_virtual_order),
        T(test_cross_thread_bh_wakes_poll),
        T(test_aio_wait_while),
        T(test_aio_wait_deadlock_aborts),
        T(test_aio_wait_livelock_aborts),
        T(test_iothread_realtime),
        T(test_iothread_virtual),
        T(test_iothread_bad_id),
        T(test_main_thread),
        T(test_det_bh_order_by_seed),
        T(test_det_world_includes_iothreads),
        T(test_sched_prng),
    };

    qemu_init_main_loop(&error_abort);
    return test_common_run_group(tests, NULL, NULL);
}
