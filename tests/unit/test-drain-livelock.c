/*
 * Drains terminate while the event loop never runs dry: a bottom half or a
 * timer that re-arms itself forever (a periodic poller, a throttle timer,
 * a job) must not keep bdrv_drained_begin, bdrv_drain_all_begin, blk_drain
 * or blk_unref from returning.  The condition of every wait is side-effect
 * free: only the requests in flight keep a drain waiting.
 *
 * A hang shows as a bound: each re-arming callback gives up after
 * LIVELOCK_LIMIT runs (so a broken drain does return, and the test can
 * fail with the count instead of hanging); a drain of an idle node may let
 * it run a handful of times, never the limit.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "util/sched.h"
#include "drain-common.h"

#define LIVELOCK_LIMIT 100000
/* A drain polls once before it waits, and a wait polls while it waits */
#define IDLE_DRAIN_MAX_RUNS 4

typedef struct Rearm {
    AioContext *ctx;
    QEMUTimer *timer;       /* NULL: a bottom half */
    int runs;
    bool stop;
} Rearm;

static void rearm_bh(void *opaque)
{
    Rearm *r = opaque;

    if (r->stop || ++r->runs >= LIVELOCK_LIMIT) {
        return;
    }
    aio_bh_schedule_oneshot(r->ctx, rearm_bh, r);
}

static void rearm_timer(void *opaque)
{
    Rearm *r = opaque;

    if (r->stop || ++r->runs >= LIVELOCK_LIMIT) {
        return;
    }
    /* Already expired when re-armed: every poll finds it ready */
    timer_mod_ns(r->timer, qemu_clock_get_ns(QEMU_CLOCK_REALTIME));
}

static void rearm_start(Rearm *r, bool timer)
{
    memset(r, 0, sizeof(*r));
    r->ctx = main_ctx();
    if (timer) {
        r->timer = timer_new_ns(QEMU_CLOCK_REALTIME, rearm_timer, r);
        timer_mod_ns(r->timer, qemu_clock_get_ns(QEMU_CLOCK_REALTIME));
    } else {
        aio_bh_schedule_oneshot(r->ctx, rearm_bh, r);
    }
}

/* Stop re-arming and let the last scheduled run happen */
static void rearm_stop(Rearm *r)
{
    r->stop = true;
    for (int i = 0; i < POLL_LIMIT && aio_poll(main_ctx(), false); i++) {
        /* until nothing is ready */
    }
    timer_free(r->timer);
}

static void expect_few_runs_at(Rearm *r, int before, const char *what,
                               const char *file, int line)
{
    int ran = r->runs - before;

    if (ran > IDLE_DRAIN_MAX_RUNS) {
        expect_failed(file, line, "%s on an idle node ran a re-arming %s %d "
                      "times (at most %d expected)%s", what,
                      r->timer ? "timer" : "bottom half", ran,
                      IDLE_DRAIN_MAX_RUNS,
                      r->runs >= LIVELOCK_LIMIT ? ": a livelock" : "");
    }
}
#define expect_few_runs(r, before, what)                                       \
    expect_few_runs_at((r), (before), (what), __FILE__, __LINE__)

enum { DRAIN_NODE, DRAIN_ALL, DRAIN_BLK, DRAIN_UNREF };

static const char *const drain_kind_name[] = {
    [DRAIN_NODE] = "bdrv_drained_begin",
    [DRAIN_ALL] = "bdrv_drain_all_begin",
    [DRAIN_BLK] = "blk_drain",
    [DRAIN_UNREF] = "blk_unref",
};

static void check_idle_drain(int kind, bool timer)
{
    BlockDriverState *bs = open_null("livelock-null");
    BlockBackend *blk = new_blk(bs);
    Rearm r;
    int before;

    rearm_start(&r, timer);
    aio_poll(main_ctx(), false);
    before = r.runs;
    switch (kind) {
    case DRAIN_NODE:
        bdrv_drained_begin(bs);
        expect_few_runs(&r, before, drain_kind_name[kind]);
        expect_quiesce(bs, 1);
        bdrv_drained_end(bs);
        break;
    case DRAIN_ALL:
        bdrv_drain_all_begin();
        expect_few_runs(&r, before, drain_kind_name[kind]);
        bdrv_drain_all_end();
        break;
    case DRAIN_BLK:
        blk_drain(blk);
        expect_few_runs(&r, before, drain_kind_name[kind]);
        break;
    case DRAIN_UNREF:
        blk_unref(blk);
        blk = NULL;
        expect_few_runs(&r, before, drain_kind_name[kind]);
        break;
    }
    expect_all_undrained();
    rearm_stop(&r);
    blk_unref(blk);
    bdrv_unref(bs);
    end_test();
}

static void test_drain_livelock_node_bh(void **state)
{
    check_idle_drain(DRAIN_NODE, false);
}

static void test_drain_livelock_node_timer(void **state)
{
    check_idle_drain(DRAIN_NODE, true);
}

static void test_drain_livelock_all_bh(void **state)
{
    check_idle_drain(DRAIN_ALL, false);
}

static void test_drain_livelock_all_timer(void **state)
{
    check_idle_drain(DRAIN_ALL, true);
}

static void test_drain_livelock_blk_drain_bh(void **state)
{
    check_idle_drain(DRAIN_BLK, false);
}

static void test_drain_livelock_blk_unref_bh(void **state)
{
    check_idle_drain(DRAIN_UNREF, false);
}

/*
 * In deterministic mode (each poll runs one event picked by the seed) the
 * drain of an idle node returns too, whatever the seed.
 */
static void test_drain_livelock_node_bh_deterministic(void **state)
{
    for (uint64_t seed = 1; seed <= 8; seed++) {
        BlockDriverState *bs;
        Rearm r;
        int before;

        sched_set_deterministic(seed);
        bs = open_null("livelock-det");
        rearm_start(&r, false);
        before = r.runs;
        bdrv_drained_begin(bs);
        if (r.runs - before > IDLE_DRAIN_MAX_RUNS) {
            EXPECT_FAIL("seed %" PRIu64 ": bdrv_drained_begin ran a re-arming "
                        "bottom half %d times", seed, r.runs - before);
        }
        bdrv_drained_end(bs);
        rearm_stop(&r);
        bdrv_unref(bs);
        sched_set_realtime();
    }
    end_test();
}

/* A busy loop does not stop a drain from waiting for a real request */
static void test_drain_livelock_waits_for_request(void **state)
{
    BlockDriverState *bs = open_test("livelock-req");
    BlockBackend *blk = new_blk(bs);
    uint8_t buf[512];
    QEMUIOVector qiov;
    AioResult res = {0};
    Rearm r;

    qemu_iovec_init_buf(&qiov, buf, sizeof(buf));
    test_driver_set_parking(bs, true);
    blk_aio_preadv(blk, 0, &qiov, 0, aio_done_cb, &res);
    for (int i = 0; i < POLL_LIMIT && !test_driver_parked_count(bs); i++) {
        aio_poll(main_ctx(), false);
    }
    expect_int(test_driver_parked_count(bs), 1);
    rearm_start(&r, false);
    /* Released from the busy loop's 50th run: the drain must wait */
    while (r.runs < 50) {
        aio_poll(main_ctx(), false);
    }
    test_driver_release(bs, 1);
    bdrv_drained_begin(bs);
    expect_true(res.done && res.ret == 0);
    expect_int(bs->in_flight, 0);
    bdrv_drained_end(bs);
    rearm_stop(&r);
    test_driver_set_parking(bs, false);
    blk_unref(blk);
    bdrv_unref(bs);
    end_test();
}

/*
 * A wait inside a bottom half (a drain called from a BH) must still run
 * the BHs that were scheduled together with it: the outer poll has taken
 * them off the queue already.
 */
typedef struct NestedWait {
    bool flag;
    int polls;
} NestedWait;

static void set_flag_bh(void *opaque)
{
    ((NestedWait *)opaque)->flag = true;
}

static void wait_for_flag_bh(void *opaque)
{
    NestedWait *w = opaque;

    while (!w->flag && w->polls < POLL_LIMIT) {
        aio_poll(main_ctx(), false);
        w->polls++;
    }
}

static void test_wait_inside_bh_runs_bhs_scheduled_with_it(void **state)
{
    NestedWait w = { 0 };

    aio_bh_schedule_oneshot(main_ctx(), wait_for_flag_bh, &w);
    aio_bh_schedule_oneshot(main_ctx(), set_flag_bh, &w);
    aio_poll(main_ctx(), false);
    if (!w.flag || w.polls >= POLL_LIMIT) {
        EXPECT_FAIL("a poll nested in a bottom half did not run the bottom "
                    "half scheduled after it (%d polls)", w.polls);
    }
    for (int i = 0; i < POLL_LIMIT && aio_poll(main_ctx(), false); i++) {
        /* leave nothing behind */
    }
    end_test();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_drain_livelock_node_bh),
        T(test_drain_livelock_node_timer),
        T(test_drain_livelock_all_bh),
        T(test_drain_livelock_all_timer),
        T(test_drain_livelock_blk_drain_bh),
        T(test_drain_livelock_blk_unref_bh),
        T(test_drain_livelock_node_bh_deterministic),
        T(test_drain_livelock_waits_for_request),
        T(test_wait_inside_bh_runs_bhs_scheduled_with_it),
    };

    return test_common_run_group(tests, drain_common_group_setup, NULL);
}
