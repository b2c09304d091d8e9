/*
 * test-block-backend-queue.c: the BlockBackend's request queue with
 * several requests at once: parked in the driver, queued in a drained
 * backend, submitted from timers with equal deadlines, released by bottom
 * halves, over many seeds of the deterministic scheduler.
 *
 * Whatever the order: a drained backend sends nothing to its node, every
 * request completes exactly once and successfully after the drain ends,
 * drained_begin returns only when the parked requests have completed, and
 * the image holds what the writes wrote.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "block/test-driver.h"
#include "util/keyval.h"
#include "util/main-loop.h"
#include "util/qemu-timer.h"
#include "util/sched.h"
#include "test-common.h"

#define NB_REQ 12
#define REQ_LEN 512
#define NB_SEEDS 32

typedef struct Req {
    AioResult r;
    bool write;
    int64_t offset;
    uint8_t buf[REQ_LEN];
    QEMUIOVector qiov;
} Req;

typedef struct Queue {
    BlockBackend *blk;
    BlockDriverState *bs;
    Req req[NB_REQ];
    int submitted;
    QEMUBH *releaser;
    QEMUTimer *timer[2];
} Queue;

/* Request @i: writes of pattern i+1 at i * 4 KiB; reads of earlier ones */
static void queue_submit(Queue *q, int i, bool write)
{
    Req *r = &q->req[i];

    r->write = write;
    r->offset = (int64_t)(write ? i : i % 3) * 4096;
    memset(r->buf, write ? i + 1 : 0, REQ_LEN);
    qemu_iovec_init_buf(&r->qiov, r->buf, REQ_LEN);
    if (write) {
        blk_aio_pwritev(q->blk, r->offset, &r->qiov, 0, aio_done_cb, &r->r);
    } else {
        blk_aio_preadv(q->blk, r->offset, &r->qiov, 0, aio_done_cb, &r->r);
    }
    q->submitted++;
}

/* Releases one parked request per run, again while some are parked */
static void queue_release_bh(void *opaque)
{
    Queue *q = opaque;

    test_driver_release(q->bs, 1);
    if (test_driver_parked_count(q->bs) > 0) {
        qemu_bh_schedule(q->releaser);
    }
}

static void queue_timer_cb(void *opaque)
{
    Queue *q = opaque;

    queue_submit(q, q->submitted, true);
}

static bool queue_all_done(Queue *q, int n)
{
    for (int i = 0; i < n; i++) {
        if (!q->req[i].r.done) {
            return false;
        }
    }
    return true;
}

static int queue_parked(Queue *q)
{
    return test_driver_parked_count(q->bs);
}

static void queue_open(Queue *q)
{
    QDict *opts = qdict_from_dotted_str("driver=test,size=1M", &error_abort);

    memset(q, 0, sizeof(*q));
    q->blk = blk_new_open(NULL, NULL, opts, BDRV_O_RDWR, &error_abort);
    q->bs = blk_bs(q->blk);
    q->releaser = qemu_bh_new(queue_release_bh, q);
    for (int i = 0; i < 2; i++) {
        q->timer[i] = timer_new_ns(QEMU_CLOCK_VIRTUAL, queue_timer_cb, q);
    }
}

/* Every request done once with success; the writes are in the image */
static void queue_check_and_close(Queue *q, uint64_t seed)
{
    uint8_t buf[REQ_LEN];

    for (int i = 0; i < q->submitted; i++) {
        Req *r = &q->req[i];

        if (r->r.calls != 1 || r->r.ret != 0) {
            EXPECT_FAIL("seed %" PRIu64 ": request %d completed %d times, "
                        "ret %d", seed, i, r->r.calls, r->r.ret);
        }
        if (!r->write) {
            continue;
        }
        expect_int(blk_pread(q->blk, r->offset, REQ_LEN, buf, 0), 0);
        if (buf[0] != i + 1 || buf[REQ_LEN - 1] != i + 1) {
            EXPECT_FAIL("seed %" PRIu64 ": request %d's bytes are 0x%02x",
                        seed, i, buf[0]);
        }
    }
    for (int i = 0; i < 2; i++) {
        timer_free(q->timer[i]);
    }
    qemu_bh_delete(q->releaser);
    blk_unref(q->blk);
}

static void queue_round(uint64_t seed)
{
    TestDriverCounters before;
    int64_t now;
    Queue q;

    sched_set_deterministic(seed);
    queue_open(&q);
    /* Three writes parked in the driver: drained_begin waits for them */
    test_driver_set_parking(q.bs, true);
    for (int i = 0; i < 3; i++) {
        queue_submit(&q, i, true);
    }
    AIO_WAIT_WHILE(NULL, queue_parked(&q) < 3);
    qemu_bh_schedule(q.releaser);
    bdrv_drained_begin(q.bs);
    if (!queue_all_done(&q, 3)) {
        EXPECT_FAIL("seed %" PRIu64 ": drained_begin returned with parked "
                    "requests in flight", seed);
    }

    /* Queued while drained: reads, writes, and writes from two timers */
    before = *test_driver_counters(q.bs);
    for (int i = 3; i < NB_REQ - 2; i++) {
        queue_submit(&q, i, i % 3 != 0);
    }
    now = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    timer_mod_ns(q.timer[0], now + 1000);
    timer_mod_ns(q.timer[1], now + 1000);
    AIO_WAIT_WHILE(NULL, q.submitted < NB_REQ);
    for (int i = 0; i < 20; i++) {
        aio_poll(qemu_get_aio_context(), false);
    }
    expect_int(test_driver_counters(q.bs)->reads, before.reads);
    expect_int(test_driver_counters(q.bs)->writes, before.writes);
    expect_int(queue_parked(&q), 0);
    expect_false(queue_all_done(&q, 4));

    /* After the drain they reach the driver, park, and are released */
    bdrv_drained_end(q.bs);
    for (int i = 0; i < 100000 && !queue_all_done(&q, NB_REQ); i++) {
        if (queue_parked(&q)) {
            qemu_bh_schedule(q.releaser);
        }
        aio_poll(qemu_get_aio_context(), true);
    }
    test_driver_set_parking(q.bs, false);
    expect_true(queue_all_done(&q, NB_REQ));
    queue_check_and_close(&q, seed);
    sched_set_realtime();
}

static void test_blk_queue_drained_backend_holds_requests_every_seed(
    void **state)
{
    for (uint64_t seed = 1; seed <= NB_SEEDS; seed++) {
        queue_round(seed);
    }
    end_test();
}

/* Realtime: blk_drain() returns once parked and queued requests are done */
static void test_blk_queue_blk_drain_waits_for_parked_requests(void **state)
{
    Queue q;

    queue_open(&q);
    test_driver_set_parking(q.bs, true);
    for (int i = 0; i < 6; i++) {
        queue_submit(&q, i, i != 4);
    }
    AIO_WAIT_WHILE(NULL, queue_parked(&q) < 6);
    qemu_bh_schedule(q.releaser);
    blk_drain(q.blk);
    expect_true(queue_all_done(&q, 6));
    expect_int(queue_parked(&q), 0);
    test_driver_set_parking(q.bs, false);
    queue_check_and_close(&q, 0);
    end_test();
}

static int queue_teardown(void **state)
{
    int problems = test_common_teardown_report();

    if (sched_is_deterministic()) {
        sched_set_realtime();
    }
    test_common_teardown_fail(problems);
    return 0;
}

#define TQ(fn)                                                                 \
    cmocka_unit_test_setup_teardown(fn, test_common_setup, queue_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        TQ(test_blk_queue_drained_backend_holds_requests_every_seed),
        TQ(test_blk_queue_blk_drain_waits_for_parked_requests),
    };

    return test_common_run_group(tests, test_common_group_setup, NULL);
}
