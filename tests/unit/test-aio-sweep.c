/*
 * test-aio-sweep.c: the event loop with several bottom halves and timers
 * at once, equal deadlines, and blocking polls in realtime mode.
 *
 * Deterministic mode is swept over seeds: whatever order the scheduler
 * picks, every BH runs exactly once per schedule, every timer fires
 * exactly once and exactly at its deadline on the virtual clock, never
 * before, and no deadline is skipped.  Realtime mode: blocking polls end
 * when the earliest timer expires or a BH is scheduled; timers never fire
 * early, and timers with equal deadlines fire in the order they were armed
 * (QEMU's timer lists keep that order).  No test asserts on wall time.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>

#include "util/aio.h"
#include "util/main-loop.h"
#include "util/qemu-timer.h"
#include "util/sched.h"
#include "test-common.h"

#define NB_BH 5
#define NB_TIMER 6
#define NB_SEEDS 64

typedef struct Event {
    int runs;
    int64_t at;         /* the clock when it ran (its own clock) */
    int order;          /* position among all events that ran */
    int64_t deadline;   /* timers */
    QEMUClockType clock;
    QEMUTimer *timer;
    QEMUBH *bh;
    struct World *w;
} Event;

typedef struct World {
    Event bh[NB_BH];
    Event timer[NB_TIMER];
    int ran;
    AioContext *ctx;
} World;

static void world_bh(void *opaque)
{
    Event *e = opaque;

    e->runs++;
    e->order = e->w->ran++;
    e->at = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
}

static void world_timer(void *opaque)
{
    Event *e = opaque;

    e->runs++;
    e->order = e->w->ran++;
    e->at = qemu_clock_get_ns(e->clock);
}

/* Deadlines relative to @base: pairs of equal ones, one at base itself */
static int64_t world_deadline(int i, int64_t base, int64_t step)
{
    static const int slots[NB_TIMER] = { 3, 1, 3, 0, 2, 1 };

    return base + slots[i] * step;
}

static void world_arm(World *w, AioContext *ctx, QEMUClockType clock,
                      int64_t base, int64_t step)
{
    memset(w, 0, sizeof(*w));
    w->ctx = ctx;
    for (int i = 0; i < NB_BH; i++) {
        w->bh[i].w = w;
        w->bh[i].bh = aio_bh_new(ctx, world_bh, &w->bh[i]);
    }
    for (int i = 0; i < NB_TIMER; i++) {
        Event *e = &w->timer[i];

        e->w = w;
        e->clock = clock;
        e->deadline = world_deadline(i, base, step);
        e->timer = aio_timer_new(ctx, clock, SCALE_NS, world_timer, e);
        timer_mod_ns(e->timer, e->deadline);
    }
    for (int i = 0; i < NB_BH; i++) {
        qemu_bh_schedule(w->bh[i].bh);
    }
}

static bool world_done(World *w)
{
    return w->ran == NB_BH + NB_TIMER;
}

static void world_free(World *w)
{
    for (int i = 0; i < NB_BH; i++) {
        qemu_bh_delete(w->bh[i].bh);
    }
    for (int i = 0; i < NB_TIMER; i++) {
        timer_free(w->timer[i].timer);
    }
}

/* Every event ran once; no timer fired before its deadline */
static void world_check(World *w, const char *mode, uint64_t seed)
{
    for (int i = 0; i < NB_BH; i++) {
        if (w->bh[i].runs != 1) {
            EXPECT_FAIL("%s seed %" PRIu64 ": BH %d ran %d times", mode,
                        seed, i, w->bh[i].runs);
        }
    }
    for (int i = 0; i < NB_TIMER; i++) {
        Event *e = &w->timer[i];

        if (e->runs != 1) {
            EXPECT_FAIL("%s seed %" PRIu64 ": timer %d fired %d times", mode,
                        seed, i, e->runs);
        } else if (e->at < e->deadline) {
            EXPECT_FAIL("%s seed %" PRIu64 ": timer %d fired at %" PRId64
                        ", before its deadline %" PRId64, mode, seed, i,
                        e->at, e->deadline);
        }
    }
}

/* Timers in deadline order; equal deadlines in the order they were armed */
static void world_check_timer_order(World *w, const char *mode)
{
    for (int i = 0; i < NB_TIMER; i++) {
        for (int j = 0; j < NB_TIMER; j++) {
            Event *a = &w->timer[i], *b = &w->timer[j];
            bool a_first = a->deadline < b->deadline ||
                           (a->deadline == b->deadline && i < j);

            if (a_first && a->order > b->order) {
                EXPECT_FAIL("%s: timer %d (deadline %" PRId64 ") fired "
                            "after timer %d (deadline %" PRId64 ")", mode,
                            i, a->deadline, j, b->deadline);
            }
        }
    }
}

static void test_aio_sweep_virtual_bhs_and_timers_every_seed(void **state)
{
    for (uint64_t seed = 1; seed <= NB_SEEDS; seed++) {
        World w;

        sched_set_deterministic(seed);
        world_arm(&w, qemu_get_aio_context(), QEMU_CLOCK_VIRTUAL, 0, 1000);
        AIO_WAIT_WHILE(NULL, !world_done(&w));
        world_check(&w, "virtual", seed);
        for (int i = 0; i < NB_TIMER; i++) {
            /* the virtual clock jumps exactly to each deadline */
            if (w.timer[i].at != w.timer[i].deadline) {
                EXPECT_FAIL("seed %" PRIu64 ": timer %d fired at %" PRId64
                            ", its deadline is %" PRId64, seed, i,
                            w.timer[i].at, w.timer[i].deadline);
            }
        }
        for (int i = 0; i < NB_BH; i++) {
            /* ready work runs before the clock moves on */
            if (w.bh[i].at != 0) {
                EXPECT_FAIL("seed %" PRIu64 ": BH %d ran at %" PRId64
                            ", after the clock moved", seed, i, w.bh[i].at);
            }
        }
        expect_false(aio_poll(qemu_get_aio_context(), false));
        world_free(&w);
        sched_set_realtime();
    }
    end_test();
}

static void test_aio_sweep_realtime_blocking_polls(void **state)
{
    AioContext *ctx = aio_context_new(&error_abort);
    int64_t now = qemu_clock_get_ns(QEMU_CLOCK_REALTIME);
    World w;
    int polls = 0;

    /* Deadlines 0, 1, 2 and 3 ms from now; two pairs are equal */
    world_arm(&w, ctx, QEMU_CLOCK_REALTIME, now, SCALE_MS);
    while (!world_done(&w) && polls < 10000) {
        aio_poll(ctx, true);    /* blocks until the next deadline at most */
        polls++;
    }
    expect_true(world_done(&w));
    world_check(&w, "realtime", 0);
    world_check_timer_order(&w, "realtime");
    expect_false(aio_poll(ctx, false));
    world_free(&w);
    aio_context_unref(ctx);
    end_test();
}

/* Timers with one deadline fire in the order they were (re-)armed */
static void test_aio_sweep_realtime_equal_deadlines_fifo(void **state)
{
    AioContext *ctx = aio_context_new(&error_abort);
    int64_t deadline = qemu_clock_get_ns(QEMU_CLOCK_REALTIME);
    World w = { .ctx = ctx };

    for (int i = 0; i < NB_TIMER; i++) {
        Event *e = &w.timer[i];

        e->w = &w;
        e->clock = QEMU_CLOCK_REALTIME;
        e->deadline = deadline;
        e->timer = aio_timer_new(ctx, QEMU_CLOCK_REALTIME, SCALE_NS,
                                 world_timer, e);
    }
    for (int i = 0; i < NB_TIMER; i++) {
        timer_mod_ns(w.timer[i].timer, deadline);
    }
    /* Re-arming, as in QEMU, puts the timer behind the equal ones */
    timer_mod_ns(w.timer[0].timer, deadline);
    while (w.ran < NB_TIMER) {
        aio_poll(ctx, true);
    }
    for (int i = 0; i < NB_TIMER; i++) {
        expect_int(w.timer[i].runs, 1);
        expect_int(w.timer[i].order, i == 0 ? NB_TIMER - 1 : i - 1);
        timer_free(w.timer[i].timer);
    }
    aio_context_unref(ctx);
    end_test();
}

typedef struct Waker {
    AioContext *ctx;
    QEMUBH *bh;
} Waker;

static void *waker_fn(void *opaque)
{
    Waker *k = opaque;

    qemu_bh_schedule(k->bh);
    return NULL;
}

/* A blocking poll with only a far timer wakes for a BH from a thread */
static void test_aio_sweep_realtime_bh_ends_blocking_poll(void **state)
{
    AioContext *ctx = aio_context_new(&error_abort);
    int64_t far = qemu_clock_get_ns(QEMU_CLOCK_REALTIME) +
                  3600 * NANOSECONDS_PER_SECOND;
    World w;
    Waker k = { .ctx = ctx };
    pthread_t th;

    memset(&w, 0, sizeof(w));
    w.bh[0].w = &w;
    w.bh[0].bh = aio_bh_new(ctx, world_bh, &w.bh[0]);
    w.timer[0].w = &w;
    w.timer[0].clock = QEMU_CLOCK_REALTIME;
    w.timer[0].timer = aio_timer_new(ctx, QEMU_CLOCK_REALTIME, SCALE_NS,
                                     world_timer, &w.timer[0]);
    timer_mod_ns(w.timer[0].timer, far);
    k.bh = w.bh[0].bh;
    assert_int_equal(pthread_create(&th, NULL, waker_fn, &k), 0);
    while (w.bh[0].runs == 0) {
        aio_poll(ctx, true);
    }
    pthread_join(th, NULL);
    expect_int(w.bh[0].runs, 1);
    expect_int(w.timer[0].runs, 0);
    expect_true(timer_pending(w.timer[0].timer));
    qemu_bh_delete(w.bh[0].bh);
    timer_free(w.timer[0].timer);
    aio_context_unref(ctx);
    end_test();
}

static int aio_sweep_teardown(void **state)
{
    int problems = test_common_teardown_report();

    if (sched_is_deterministic()) {
        sched_set_realtime();
    }
    test_common_teardown_fail(problems);
    return 0;
}

#define TA(fn)                                                                 \
    cmocka_unit_test_setup_teardown(fn, test_common_setup, aio_sweep_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        TA(test_aio_sweep_virtual_bhs_and_timers_every_seed),
        TA(test_aio_sweep_realtime_blocking_polls),
        TA(test_aio_sweep_realtime_equal_deadlines_fifo),
        TA(test_aio_sweep_realtime_bh_ends_blocking_poll),
    };

    qemu_init_main_loop(&error_abort);
    return test_common_run_group(tests, NULL, NULL);
}
