/*
 * A BlockBackend's lifetime against its requests, and requests parked in a
 * drained backend (block/core/block-backend*.c, block/core/aiocb.c):
 *
 * - every request and AIOCB keeps the backend's memory alive until it has
 *   completed: blk_unref while a request is parked (the root drained by
 *   someone else) and blk_aio_cancel after the root was replaced and freed
 *   touch nothing freed;
 * - a backend's drain (blk_drain, blk_unref, any drain of its root) waits
 *   only inside its drained section, so a device that resubmits from its
 *   completion callback cannot keep it from returning;
 * - a parked request resumes under the backend's current permissions: one
 *   the backend may no longer make fails with -EPERM;
 * - with real IOThreads, the last request's completion and the free are
 *   ordered (what TSan checks in the tsan build).
 *
 * A livelock shows as a bound: the resubmitting callback gives up after
 * RESUBMIT_LIMIT rounds, so a broken drain returns and the test fails with
 * the count.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "util/iothread.h"
#include "drain-common.h"

#define RESUBMIT_LIMIT 10000
/* A drain lets a resubmitting device complete a few requests, no more */
#define BUSY_DRAIN_MAX_ROUNDS 4

typedef struct Req {
    uint8_t buf[512];
    QEMUIOVector qiov;
    int ret;
    bool done;          /* atomic: may be set in an IOThread */
} Req;

static void req_cb(void *opaque, int ret)
{
    Req *r = opaque;

    r->ret = ret;
    qatomic_store_release(&r->done, true);
}

static BlockAIOCB *req_read(BlockBackend *blk, Req *r)
{
    memset(r, 0, sizeof(*r));
    r->ret = -EINPROGRESS;
    qemu_iovec_init_buf(&r->qiov, r->buf, sizeof(r->buf));
    return blk_aio_preadv(blk, 0, &r->qiov, 0, req_cb, r);
}

static BlockAIOCB *req_write(BlockBackend *blk, Req *r)
{
    memset(r, 0, sizeof(*r));
    r->ret = -EINPROGRESS;
    qemu_iovec_init_buf(&r->qiov, r->buf, sizeof(r->buf));
    return blk_aio_pwritev(blk, 0, &r->qiov, 0, req_cb, r);
}

static bool req_done(Req *r)
{
    return qatomic_load_acquire(&r->done);
}

static void poll_main_some(void)
{
    for (int i = 0; i < 20; i++) {
        aio_poll(main_ctx(), false);
    }
}

static void poll_req_at(Req *r, const char *what, const char *file, int line)
{
    for (int i = 0; i < POLL_LIMIT && !req_done(r); i++) {
        aio_poll(main_ctx(), false);
    }
    if (!req_done(r)) {
        print_error("%s did not complete within %d polls\n", what,
                    POLL_LIMIT);
        _fail(file, line);
    }
}
#define poll_req(r, what) poll_req_at((r), (what), __FILE__, __LINE__)

/* ---- references held by requests ----------------------------------------- */

/*
 * The root is drained by another caller, so a read waits parked in the
 * backend; the backend's last reference goes.  The read resumes when the
 * root edge goes away and fails without a medium, on a backend that is
 * still there for it.
 */
static void test_blk_unref_with_request_parked_while_root_drained(void **s)
{
    BlockDriverState *bs = open_test("life-parked");
    BlockBackend *blk = new_blk(bs);
    Req r;

    bdrv_drained_begin(bs);
    req_read(blk, &r);
    poll_main_some();
    expect_false(req_done(&r));
    expect_int(test_driver_counters(bs)->reads, 0);

    blk_unref(blk);
    poll_req(&r, "the read parked in the unreferenced backend");
    expect_int(r.ret, -ENOMEDIUM);
    expect_int(test_driver_counters(bs)->reads, 0);
    bdrv_drained_end(bs);
    expect_all_undrained();
    bdrv_unref(bs);
    end_test();
}

/* The same with the drain of the other caller ending before the read ran */
static void test_blk_unref_then_drain_end_with_request_parked(void **s)
{
    BlockDriverState *bs = open_test("life-parked2");
    BlockBackend *blk = new_blk(bs);
    Req r;

    bdrv_drained_begin(bs);
    req_read(blk, &r);
    poll_main_some();
    blk_unref(blk);
    bdrv_drained_end(bs);
    poll_req(&r, "the read parked in the unreferenced backend");
    expect_int(r.ret, -ENOMEDIUM);
    expect_all_undrained();
    bdrv_unref(bs);
    end_test();
}

static void drained_end_bh(void *opaque)
{
    bdrv_drained_end(opaque);
}

/*
 * A read parked in the backend stays parked while its root is replaced
 * (both drained); the old root is freed; blk_aio_cancel must wait in the
 * backend's context, not look at the node the AIOCB was created on.
 */
static void test_blk_aio_cancel_after_root_replaced_and_freed(void **s)
{
    BlockDriverState *old_bs = open_test("life-old-root");
    BlockDriverState *new_bs = open_test("life-new-root");
    BlockBackend *blk = new_blk(old_bs);
    Error *err = NULL;
    BlockAIOCB *acb;
    Req r;

    bdrv_drained_begin(old_bs);
    bdrv_drained_begin(new_bs);
    acb = req_read(blk, &r);
    poll_main_some();
    expect_false(req_done(&r));

    check_ok(bdrv_replace_node(old_bs, new_bs, &err) == 0, &err,
             "bdrv_replace_node");
    expect_true(blk_bs(blk) == new_bs);
    bdrv_drained_end(old_bs);
    bdrv_unref(old_bs);                 /* freed: nothing uses it */
    expect_node_count(1);

    /* The read can only run once new_bs's drain ends: from a BH */
    aio_bh_schedule_oneshot(main_ctx(), drained_end_bh, new_bs);
    blk_aio_cancel(acb);
    expect_true(req_done(&r));
    expect_int(r.ret, 0);
    expect_int(test_driver_counters(new_bs)->reads, 1);
    expect_all_undrained();

    blk_unref(blk);
    bdrv_unref(new_bs);
    end_test();
}

/* ---- a busy device: resubmits from its completion callback ---------------- */

typedef struct Busy {
    BlockBackend *blk;
    uint8_t buf[512];
    QEMUIOVector qiov;
    int rounds;         /* completions seen */
    int errors;
    bool stop;
    bool idle;          /* its last request completed, none submitted */
} Busy;

static void busy_cb(void *opaque, int ret)
{
    Busy *b = opaque;

    b->rounds++;
    if (ret < 0) {
        b->errors++;
    }
    if (b->stop || ret < 0 || b->rounds >= RESUBMIT_LIMIT) {
        b->idle = true;
        return;
    }
    blk_aio_preadv(b->blk, 0, &b->qiov, 0, busy_cb, b);
}

static void busy_start(Busy *b, BlockBackend *blk)
{
    memset(b, 0, sizeof(*b));
    b->blk = blk;
    qemu_iovec_init_buf(&b->qiov, b->buf, sizeof(b->buf));
    blk_aio_preadv(blk, 0, &b->qiov, 0, busy_cb, b);
    /* Let it run a few rounds so that it is really busy */
    while (b->rounds < 3) {
        aio_poll(main_ctx(), false);
    }
}

static void busy_stop(Busy *b)
{
    b->stop = true;
    for (int i = 0; i < POLL_LIMIT && !b->idle; i++) {
        aio_poll(main_ctx(), false);
    }
    expect_true(b->idle);
}

static void expect_few_rounds_at(Busy *b, int before, const char *what,
                                 const char *file, int line)
{
    int ran = b->rounds - before;

    if (ran > BUSY_DRAIN_MAX_ROUNDS) {
        expect_failed(file, line, "%s ran %d rounds of a resubmitting device "
                      "(at most %d expected)%s", what, ran,
                      BUSY_DRAIN_MAX_ROUNDS,
                      b->rounds >= RESUBMIT_LIMIT ? ": it never returned by "
                      "itself" : "");
    }
}
#define expect_few_rounds(b, before, what)                                     \
    expect_few_rounds_at((b), (before), (what), __FILE__, __LINE__)

enum { BUSY_NODE, BUSY_OTHER, BUSY_ALL, BUSY_BLK, BUSY_BLK_ALL, BUSY_UNREF };

static void check_busy_drain(int kind)
{
    static const char *const names[] = {
        "bdrv_drained_begin", "bdrv_drained_begin of another node",
        "bdrv_drain_all_begin", "blk_drain", "blk_drain_all", "blk_unref",
    };
    BlockDriverState *bs = open_null("busy-null");
    BlockDriverState *other = open_null("busy-other");
    BlockBackend *blk = new_blk(bs);
    Busy b;
    int before;

    busy_start(&b, blk);
    before = b.rounds;
    switch (kind) {
    case BUSY_OTHER:
        /* Not quiesced, the device goes on: the drain must not wait on it */
        bdrv_drained_begin(other);
        expect_few_rounds(&b, before, names[kind]);
        bdrv_drained_end(other);
        break;
    case BUSY_NODE:
        bdrv_drained_begin(bs);
        expect_few_rounds(&b, before, names[kind]);
        expect_int(bs->in_flight, 0);
        bdrv_drained_end(bs);
        break;
    case BUSY_ALL:
        bdrv_drain_all_begin();
        expect_few_rounds(&b, before, names[kind]);
        bdrv_drain_all_end();
        break;
    case BUSY_BLK:
        blk_drain(blk);
        expect_few_rounds(&b, before, names[kind]);
        break;
    case BUSY_BLK_ALL:
        blk_drain_all();
        expect_few_rounds(&b, before, names[kind]);
        break;
    case BUSY_UNREF:
        blk_unref(blk);
        blk = NULL;
        expect_few_rounds(&b, before, names[kind]);
        break;
    }
    busy_stop(&b);
    if (kind == BUSY_UNREF) {
        /* Its requests after the backend went fail without a medium */
        expect_int(b.errors, 1);
    } else {
        expect_int(b.errors, 0);
    }
    expect_all_undrained();
    blk_unref(blk);
    unref_nodes(bs, other);
    end_test();
}

static void test_busy_backend_bdrv_drained_begin_returns(void **s)
{
    check_busy_drain(BUSY_NODE);
}

static void test_busy_backend_drain_of_other_node_returns(void **s)
{
    check_busy_drain(BUSY_OTHER);
}

static void test_busy_backend_drain_all_returns(void **s)
{
    check_busy_drain(BUSY_ALL);
}

static void test_busy_backend_blk_drain_returns(void **s)
{
    check_busy_drain(BUSY_BLK);
}

static void test_busy_backend_blk_drain_all_returns(void **s)
{
    check_busy_drain(BUSY_BLK_ALL);
}

static void test_busy_backend_blk_unref_returns(void **s)
{
    check_busy_drain(BUSY_UNREF);
}

/* ---- permissions of parked requests ------------------------------------- */

static const uint64_t perm_rw = BLK_PERM_CONSISTENT_READ | BLK_PERM_WRITE;

/* A write parked while drained, then the backend gives up writing */
static void test_parked_write_fails_eperm_after_perm_dropped(void **s)
{
    BlockDriverState *bs = open_test("perm-parked");
    BlockBackend *blk = test_common_new_blk(bs, perm_rw, BLK_PERM_ALL);
    Error *err = NULL;
    Req w, r;

    bdrv_drained_begin(bs);
    req_write(blk, &w);
    req_read(blk, &r);
    poll_main_some();
    expect_false(req_done(&w));
    check_ok(blk_set_perm(blk, BLK_PERM_CONSISTENT_READ, BLK_PERM_ALL,
                          &err) == 0, &err, "blk_set_perm read-only");
    bdrv_drained_end(bs);
    poll_req(&w, "the parked write");
    poll_req(&r, "the parked read");
    expect_int(w.ret, -EPERM);
    expect_int(r.ret, 0);
    expect_int(test_driver_counters(bs)->writes, 0);
    expect_int(test_driver_counters(bs)->reads, 1);

    blk_unref(blk);
    bdrv_unref(bs);
    end_test();
}

/* Every kind of write on a backend without the permission: -EPERM */
static void test_write_without_perm_fails_eperm(void **s)
{
    BlockDriverState *bs = open_test("perm-none");
    BlockBackend *blk = new_blk(bs);       /* reading only */
    uint8_t buf[512] = { 0 };

    expect_int(blk_pwrite(blk, 0, sizeof(buf), buf, 0), -EPERM);
    expect_int(blk_pwrite_zeroes(blk, 0, sizeof(buf), 0), -EPERM);
    expect_int(blk_pdiscard(blk, 0, sizeof(buf)), -EPERM);
    expect_int(blk_pread(blk, 0, sizeof(buf), buf, 0), 0);
    expect_int(test_driver_counters(bs)->writes, 0);

    blk_unref(blk);
    bdrv_unref(bs);
    end_test();
}

/* ---- real IOThreads: the free is ordered after the last completion ------ */

/*
 * A backend in an IOThread loses its last reference while its read runs
 * there.  The IOThread's completion (callback, in-flight decrement, wake-up
 * of the waiter) must happen before the free; TSan checks the ordering in
 * the tsan build, ASan that nothing freed is touched.
 */
static void test_blk_unref_races_iothread_completion(void **s)
{
    IOThread *iot = iothread_create("life-io", &error_abort);
    AioContext *io = iothread_get_aio_context(iot);

    for (int i = 0; i < 50; i++) {
        BlockDriverState *bs = open_null("life-io-null");
        BlockBackend *blk = blk_new(io, BLK_PERM_CONSISTENT_READ,
                                    BLK_PERM_ALL);
        Error *err = NULL;
        Req r[2];

        check_ok(blk_insert_bs(blk, bs, &err) == 0, &err, "blk_insert_bs");
        bdrv_unref(bs);
        req_read(blk, &r[0]);
        req_read(blk, &r[1]);
        blk_unref(blk);
        AIO_WAIT_WHILE(main_ctx(), !req_done(&r[0]) || !req_done(&r[1]));
        expect_int(r[0].ret, 0);
        expect_int(r[1].ret, 0);
    }
    iothread_destroy(iot);
    end_test();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_blk_unref_with_request_parked_while_root_drained),
        T(test_blk_unref_then_drain_end_with_request_parked),
        T(test_blk_aio_cancel_after_root_replaced_and_freed),
        T(test_busy_backend_bdrv_drained_begin_returns),
        T(test_busy_backend_drain_of_other_node_returns),
        T(test_busy_backend_drain_all_returns),
        T(test_busy_backend_blk_drain_returns),
        T(test_busy_backend_blk_drain_all_returns),
        T(test_busy_backend_blk_unref_returns),
        T(test_parked_write_fails_eperm_after_perm_dropped),
        T(test_write_without_perm_fails_eperm),
        T(test_blk_unref_races_iothread_completion),
    };

    return test_common_run_group(tests, drain_common_group_setup, NULL);
}
