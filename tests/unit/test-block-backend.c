/*
 * Unit tests for BlockBackend (block/core/block-backend*.c): creation,
 * permissions from open flags, the root edge, names, range checks, the
 * coroutine/synchronous/AIO request APIs, request queueing during drains
 * and AioContext changes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "block/test-driver.h"
#include "util/iothread.h"
#include "util/sched.h"
#include "io-helpers.h"

/* Not in a public header yet (see block/core/block-backend-int.h) */
BlockBackend *bdrv_first_blk(BlockDriverState *bs);
bool bdrv_has_blk(BlockDriverState *bs);

static BlockBackend *open_blk(const char *opts, int flags)
{
    QDict *options = qdict_from_dotted_str(opts, &error_abort);
    BlockBackend *blk = blk_new_open(NULL, NULL, options, flags,
                                     &error_abort);

    assert_non_null(blk);
    return blk;
}

/* ---- creation ---- */

static void test_empty_backend(void **state)
{
    BlockBackend *blk = blk_new(qemu_get_aio_context(), 0, BLK_PERM_ALL);
    Error *err = NULL;
    AioResult r = { 0 };
    uint8_t buf[512];
    QEMUIOVector qiov;

    assert_null(blk_bs(blk));
    assert_null(blk_root(blk));
    assert_false(blk_is_inserted(blk));
    assert_false(blk_is_available(blk));
    assert_false(blk_is_writable(blk));
    assert_true(blk_is_read_only(blk));
    assert_string_equal(blk_name(blk), "");
    assert_ptr_equal(blk_get_aio_context(blk), qemu_get_aio_context());

    assert_int_equal(blk_pread(blk, 0, 512, buf, 0), -ENOMEDIUM);
    assert_int_equal(blk_pwrite(blk, 0, 512, buf, 0), -ENOMEDIUM);
    assert_int_equal(blk_pwrite_zeroes(blk, 0, 512, 0), -ENOMEDIUM);
    assert_int_equal(blk_pdiscard(blk, 0, 512), -ENOMEDIUM);
    assert_int_equal(blk_flush(blk), -ENOMEDIUM);
    assert_int_equal(blk_getlength(blk), -ENOMEDIUM);
    assert_int_equal(blk_nb_sectors(blk), -ENOMEDIUM);
    assert_int_equal(blk_truncate(blk, 0, false, PREALLOC_MODE_OFF, 0, &err),
                     -ENOMEDIUM);
    assert_string_equal(error_get_pretty(err), "No medium inserted");
    error_free(err);

    /* Failures of AIO requests are reported from the event loop too */
    qemu_iovec_init_buf(&qiov, buf, sizeof(buf));
    blk_aio_preadv(blk, 0, &qiov, 0, aio_done_cb, &r);
    assert_int_equal(r.calls, 0);
    TIO_POLL_UNTIL(r.calls == 1);
    assert_int_equal(r.ret, -ENOMEDIUM);

    /* Without a node, the context is simply the backend's */
    assert_int_equal(blk_set_aio_context(blk, qemu_get_aio_context(),
                                         &error_abort), 0);
    blk_unref(blk);
    blk_unref(NULL);
}

static void check_open_perm(int flags, uint64_t perm, uint64_t shared)
{
    BlockBackend *blk = open_blk("driver=test,size=1M", flags);
    uint64_t p, s;

    blk_get_perm(blk, &p, &s);
    assert_int_equal(p, perm);
    assert_int_equal(s, shared);
    assert_int_equal(blk_root(blk)->perm, perm);
    blk_unref(blk);
}

static void test_new_open_perms(void **state)
{
    const uint64_t r = BLK_PERM_CONSISTENT_READ;
    QDict *options;
    Error *err = NULL;

    check_open_perm(0, r, BLK_PERM_ALL);
    check_open_perm(BDRV_O_RDWR, r | BLK_PERM_WRITE, BLK_PERM_ALL);
    check_open_perm(BDRV_O_RDWR | BDRV_O_RESIZE,
                    r | BLK_PERM_WRITE | BLK_PERM_RESIZE, BLK_PERM_ALL);
    check_open_perm(BDRV_O_NO_SHARE, r, r | BLK_PERM_WRITE_UNCHANGED);
    check_open_perm(BDRV_O_NO_IO, 0, BLK_PERM_ALL);

    /* A node that cannot be opened: no backend, an error */
    options = qdict_from_dotted_str("driver=test,size=1M,bogus=1",
                                    &error_abort);
    assert_null(blk_new_open(NULL, NULL, options, 0, &err));
    assert_non_null(strstr(error_get_pretty(err), "bogus"));
    error_free(err);
}

static void test_insert_remove(void **state)
{
    BlockDriverState *bs = tio_open_node("driver=test,size=1M",
                                             BDRV_O_RDWR);
    BlockBackend *blk = blk_new(qemu_get_aio_context(),
                                BLK_PERM_CONSISTENT_READ | BLK_PERM_WRITE,
                                BLK_PERM_ALL);
    Error *err = NULL;

    assert_int_equal(bs->refcnt, 1);
    assert_false(bdrv_has_blk(bs));
    assert_int_equal(blk_insert_bs(blk, bs, &error_abort), 0);
    assert_ptr_equal(blk_bs(blk), bs);
    assert_true(bdrv_has_blk(bs));
    assert_ptr_equal(bdrv_first_blk(bs), blk);
    assert_ptr_equal(blk_root(blk)->bs, bs);
    assert_int_equal(bs->refcnt, 2);
    assert_true(blk_is_inserted(blk));
    assert_true(blk_is_writable(blk));
    assert_int_equal(test_driver_counters(bs)->perm & BLK_PERM_WRITE,
                     BLK_PERM_WRITE);

    blk_remove_bs(blk);
    assert_null(blk_bs(blk));
    assert_false(bdrv_has_blk(bs));
    assert_int_equal(bs->refcnt, 1);
    blk_remove_bs(blk);     /* nothing to remove: no-op */

    /* The node refuses the permission: nothing is attached */
    test_driver_fail_perm(bs, BLK_PERM_WRITE);
    assert_int_equal(blk_insert_bs(blk, bs, &err), -EPERM);
    assert_non_null(err);
    error_free(err);
    assert_null(blk_bs(blk));
    assert_int_equal(bs->refcnt, 1);
    test_driver_fail_perm(bs, 0);

    /* blk_new_with_bs, and the last reference removes the node */
    blk_unref(blk);
    blk = blk_new_with_bs(bs, BLK_PERM_CONSISTENT_READ, BLK_PERM_ALL,
                          &error_abort);
    bdrv_unref(bs);
    assert_int_equal(bdrv_debug_node_count(), 1);
    blk_ref(blk);
    blk_unref(blk);
    assert_int_equal(bdrv_debug_node_count(), 1);
    blk_unref(blk);
    assert_int_equal(bdrv_debug_node_count(), 0);
}

/* ---- names ---- */

static void test_names(void **state)
{
    BlockBackend *a = open_blk("driver=test,size=1M,node-name=nodeA", 0);
    BlockBackend *b = blk_new(qemu_get_aio_context(), 0, BLK_PERM_ALL);
    BlockBackend *c = blk_new(qemu_get_aio_context(), 0, BLK_PERM_ALL);
    const char *bad[] = { "", "0abc", "a b", "#x", "a,b", "-x" };
    Error *err = NULL;
    char *desc;

    assert_null(blk_next(NULL));
    desc = blk_root(a)->klass->get_parent_desc(blk_root(a));
    assert_string_equal(desc, "a block device");
    g_free(desc);

    assert_true(monitor_add_blk(a, "dev0", &error_abort));
    assert_string_equal(blk_name(a), "dev0");
    assert_ptr_equal(blk_by_name("dev0"), a);
    assert_null(blk_by_name("dev1"));
    assert_true(blk_name_taken("dev0"));
    assert_false(blk_name_taken("dev1"));
    assert_string_equal(bdrv_get_device_name(blk_bs(a)), "dev0");
    desc = blk_root(a)->klass->get_parent_desc(blk_root(a));
    assert_string_equal(desc, "block device 'dev0'");
    g_free(desc);

    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        assert_false(monitor_add_blk(b, bad[i], &err));
        assert_non_null(strstr(error_get_pretty(err), "Invalid device name"));
        error_free_or_abort(&err);
    }
    assert_false(monitor_add_blk(b, "dev0", &err));
    assert_non_null(strstr(error_get_pretty(err), "already exists"));
    error_free_or_abort(&err);
    assert_false(monitor_add_blk(b, "nodeA", &err));
    assert_non_null(strstr(error_get_pretty(err), "node name"));
    error_free_or_abort(&err);
    assert_string_equal(blk_name(b), "");

    /* blk_next: named backends; blk_all_next: every backend */
    assert_true(monitor_add_blk(c, "dev1", &error_abort));
    assert_ptr_equal(blk_next(NULL), a);
    assert_ptr_equal(blk_next(a), c);
    assert_null(blk_next(c));
    assert_ptr_equal(blk_all_next(NULL), a);
    assert_ptr_equal(blk_all_next(a), b);
    assert_ptr_equal(blk_all_next(b), c);
    assert_null(blk_all_next(c));

    monitor_remove_blk(a);
    assert_string_equal(blk_name(a), "");
    assert_null(blk_by_name("dev0"));
    monitor_remove_blk(a);
    assert_true(monitor_add_blk(b, "dev0", &error_abort));
    blk_unref(a);
    blk_unref(b);       /* named backends are removed from the list too */
    blk_unref(c);
    assert_null(blk_next(NULL));
    assert_false(blk_name_taken("dev1"));
}

/* ---- I/O ---- */

static void test_range_checks(void **state)
{
    BlockBackend *blk;
    uint8_t buf[1024] = { 0 };
    RecState *s;

    rec_config = (RecConfig){ .size = 64 * 1024, .align = 1 };
    blk = open_blk("driver=rec", BDRV_O_RDWR | BDRV_O_RESIZE);
    s = blk_bs(blk)->opaque;
    assert_int_equal(blk_getlength(blk), 64 * 1024);
    assert_int_equal(blk_nb_sectors(blk), 128);
    assert_int_equal(blk_pread(blk, -1, 512, buf, 0), -EIO);
    assert_int_equal(blk_pread(blk, 0, -1, buf, 0), -EIO);
    assert_int_equal(blk_pread(blk, 64 * 1024 - 512, 1024, buf, 0), -EIO);
    assert_int_equal(blk_pread(blk, 64 * 1024 + 1, 0, buf, 0), -EIO);
    assert_int_equal(blk_pwrite(blk, 64 * 1024, 1, buf, 0), -EIO);
    assert_int_equal(blk_pwrite_zeroes(blk, 64 * 1024, 512, 0), -EIO);
    assert_int_equal(blk_pdiscard(blk, -512, 512), -EIO);
    assert_int_equal(s->ncalls, 0);
    /* Up to the end is fine */
    assert_int_equal(blk_pread(blk, 64 * 1024 - 512, 512, buf, 0), 0);
    assert_int_equal(blk_pread(blk, 64 * 1024, 0, buf, 0), 0);

    blk_set_allow_write_beyond_eof(blk, true);
    assert_int_equal(blk_pwrite(blk, 64 * 1024, 1024, buf, 0), 0);
    assert_int_equal(blk_getlength(blk), 65 * 1024);
    blk_unref(blk);
}

static void test_sync_io(void **state)
{
    BlockBackend *blk = open_blk("driver=test,size=1M",
                                 BDRV_O_RDWR | BDRV_O_RESIZE);
    uint8_t in[4096], out[4096];
    QEMUIOVector qiov;

    memset(in, 0x9d, sizeof(in));
    assert_int_equal(blk_pwrite(blk, 1000, sizeof(in), in, 0), 0);
    assert_int_equal(blk_pread(blk, 1000, sizeof(out), out, 0), 0);
    assert_memory_equal(in, out, sizeof(in));

    qemu_iovec_init_buf(&qiov, out, sizeof(out));
    assert_int_equal(blk_pwrite_zeroes(blk, 2000, 100, 0), 0);
    assert_int_equal(blk_preadv(blk, 1000, sizeof(out), &qiov, 0), 0);
    assert_true(buffer_is_zero(out + 1000, 100));
    assert_int_equal(out[999], 0x9d);
    assert_int_equal(out[1100], 0x9d);
    assert_int_equal(blk_pwritev(blk, 0, sizeof(out), &qiov, 0), 0);
    /* A zero write through pwritev with the flag */
    assert_int_equal(blk_pwritev(blk, 0, 10, NULL, BDRV_REQ_ZERO_WRITE), 0);
    assert_int_equal(blk_pread(blk, 0, 20, out, 0), 0);
    assert_true(buffer_is_zero(out, 10));
    assert_int_equal(out[10], 0x9d);

    assert_int_equal(blk_pdiscard(blk, 0, 4096), 0);
    assert_int_equal(blk_flush(blk), 0);
    assert_int_equal(blk_truncate(blk, 2 * 1024 * 1024, false,
                                  PREALLOC_MODE_OFF, 0, &error_abort), 0);
    assert_int_equal(blk_getlength(blk), 2 * 1024 * 1024);
    blk_unref(blk);
}

typedef struct CoIo {
    BlockBackend *blk;
    int rets[6];
    bool done;
} CoIo;

static void coroutine_fn co_io_entry(void *opaque)
{
    CoIo *c = opaque;
    uint8_t buf[512];
    QEMUIOVector qiov;

    memset(buf, 7, sizeof(buf));
    qemu_iovec_init_buf(&qiov, buf, sizeof(buf));
    c->rets[0] = blk_co_pwrite(c->blk, 0, sizeof(buf), buf, 0);
    c->rets[1] = blk_co_pread(c->blk, 0, sizeof(buf), buf, 0);
    c->rets[2] = blk_co_pwritev(c->blk, 512, sizeof(buf), &qiov, 0);
    c->rets[3] = blk_co_preadv(c->blk, 1 << 30, sizeof(buf), &qiov, 0);
    c->rets[4] = blk_co_pwrite_zeroes(c->blk, 0, 100, 0) ||
                 blk_co_pdiscard(c->blk, 0, 512);
    c->rets[5] = blk_co_flush(c->blk);
    c->done = true;
}

static void test_coroutine_io(void **state)
{
    CoIo c = { .blk = open_blk("driver=test,size=1M", BDRV_O_RDWR) };
    uint8_t buf[1024];

    qemu_coroutine_enter(qemu_coroutine_create(co_io_entry, &c));
    TIO_POLL_UNTIL(c.done);
    assert_int_equal(c.rets[0], 0);
    assert_int_equal(c.rets[1], 0);
    assert_int_equal(c.rets[2], 0);
    assert_int_equal(c.rets[3], -EIO);
    assert_int_equal(c.rets[4], 0);
    assert_int_equal(c.rets[5], 0);
    assert_int_equal(blk_pread(c.blk, 0, sizeof(buf), buf, 0), 0);
    assert_true(buffer_is_zero(buf, 100));
    assert_int_equal(buf[100], 7);
    assert_int_equal(buf[1023], 7);
    blk_unref(c.blk);
}

static void test_aio(void **state)
{
    BlockBackend *blk = open_blk("driver=test,size=1M", BDRV_O_RDWR);
    AioResult r[6] = { 0 };
    uint8_t buf[4096], out[4096];
    QEMUIOVector qiov, qout;

    memset(buf, 0x61, sizeof(buf));
    qemu_iovec_init_buf(&qiov, buf, sizeof(buf));
    qemu_iovec_init_buf(&qout, out, sizeof(out));
    blk_aio_pwritev(blk, 4096, &qiov, 0, aio_done_cb, &r[0]);
    blk_aio_pwrite_zeroes(blk, 4096, 10, 0, aio_done_cb, &r[1]);
    blk_aio_pdiscard(blk, 0, 512, aio_done_cb, &r[2]);
    blk_aio_flush(blk, aio_done_cb, &r[3]);
    blk_aio_preadv(blk, 1024 * 1024, &qout, 0, aio_done_cb, &r[4]);
    /* Never called back from inside the submitting call */
    for (int i = 0; i < 5; i++) {
        assert_int_equal(r[i].calls, 0);
    }
    TIO_POLL_UNTIL(r[0].calls && r[1].calls && r[2].calls && r[3].calls &&
                   r[4].calls);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(r[i].calls, 1);
        assert_int_equal(r[i].ret, 0);
    }
    assert_int_equal(r[4].ret, -EIO);

    blk_aio_preadv(blk, 4096, &qout, 0, aio_done_cb, &r[5]);
    TIO_POLL_UNTIL(r[5].calls == 1);
    assert_int_equal(r[5].ret, 0);
    assert_memory_equal(out + 10, buf + 10, sizeof(out) - 10);
    blk_unref(blk);
}

static void release_bh(void *opaque)
{
    BlockDriverState *bs = opaque;

    test_driver_set_parking(bs, false);
    test_driver_release(bs, INT_MAX);
}

static void test_aio_cancel_waits(void **state)
{
    BlockBackend *blk = open_blk("driver=test,size=1M", BDRV_O_RDWR);
    BlockDriverState *bs = blk_bs(blk);
    uint8_t buf[512] = { 0 };
    QEMUIOVector qiov;
    AioResult r = { 0 };
    BlockAIOCB *acb;

    qemu_iovec_init_buf(&qiov, buf, sizeof(buf));
    test_driver_set_parking(bs, true);
    acb = blk_aio_pwritev(blk, 0, &qiov, 0, aio_done_cb, &r);
    TIO_POLL_UNTIL(test_driver_parked_count(bs) == 1);
    /* Cancel cannot stop it; it waits until the callback has run */
    aio_bh_schedule_oneshot(qemu_get_aio_context(), release_bh, bs);
    blk_aio_cancel(acb);
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.ret, 0);

    /* cancel_async of a backend request only asks */
    acb = blk_aio_flush(blk, aio_done_cb, &r);
    blk_aio_cancel_async(acb);
    TIO_POLL_UNTIL(r.calls == 2);
    blk_unref(blk);
}

/* ---- drain ---- */

static void test_queued_while_drained(void **state)
{
    BlockBackend *blk = open_blk("driver=test,size=1M", BDRV_O_RDWR);
    BlockDriverState *bs = blk_bs(blk);
    const TestDriverCounters *c = test_driver_counters(bs);
    uint8_t buf[512] = { 0 };
    QEMUIOVector qiov;
    AioResult r = { 0 }, r2 = { 0 };

    qemu_iovec_init_buf(&qiov, buf, sizeof(buf));
    bdrv_drained_begin(bs);
    blk_aio_pwritev(blk, 0, &qiov, 0, aio_done_cb, &r);
    tio_poll_some();
    /* Parked in the backend: the node sees nothing */
    assert_int_equal(c->writes, 0);
    assert_int_equal(r.calls, 0);
    /* Nested drains keep it parked until the outermost end */
    bdrv_drained_begin(bs);
    bdrv_drained_end(bs);
    tio_poll_some();
    assert_int_equal(c->writes, 0);
    bdrv_drained_end(bs);
    TIO_POLL_UNTIL(r.calls == 1);
    assert_int_equal(r.ret, 0);
    assert_int_equal(c->writes, 1);

    /* With queueing disabled requests go through a drained node */
    blk_set_disable_request_queuing(blk, true);
    bdrv_drained_begin(bs);
    blk_aio_pwritev(blk, 0, &qiov, 0, aio_done_cb, &r2);
    TIO_POLL_UNTIL(r2.calls == 1);
    assert_int_equal(c->writes, 2);
    bdrv_drained_end(bs);
    blk_unref(blk);
}

static void test_drain_waits(void **state)
{
    BlockBackend *blk = open_blk("driver=test,size=1M", BDRV_O_RDWR);
    BlockDriverState *bs = blk_bs(blk);
    uint8_t buf[512] = { 0 };
    QEMUIOVector qiov;
    AioResult r = { 0 }, r2 = { 0 };

    qemu_iovec_init_buf(&qiov, buf, sizeof(buf));
    test_driver_set_parking(bs, true);
    blk_aio_pwritev(blk, 0, &qiov, 0, aio_done_cb, &r);
    TIO_POLL_UNTIL(test_driver_parked_count(bs) == 1);
    aio_bh_schedule_oneshot(qemu_get_aio_context(), release_bh, bs);
    blk_drain(blk);
    /* Drained means the callback ran too */
    assert_int_equal(r.calls, 1);

    test_driver_set_parking(bs, true);
    blk_aio_pwritev(blk, 0, &qiov, 0, aio_done_cb, &r2);
    TIO_POLL_UNTIL(test_driver_parked_count(bs) == 1);
    aio_bh_schedule_oneshot(qemu_get_aio_context(), release_bh, bs);
    blk_drain_all();
    assert_int_equal(r2.calls, 1);
    blk_unref(blk);
}

/* ---- permissions and contexts ---- */

static void test_set_perm(void **state)
{
    BlockBackend *blk = open_blk("driver=test,size=1M", BDRV_O_RDWR);
    BlockDriverState *bs = blk_bs(blk);
    const uint64_t rw = BLK_PERM_CONSISTENT_READ | BLK_PERM_WRITE;
    Error *err = NULL;
    uint64_t perm, shared;

    assert_int_equal(blk_set_perm(blk, BLK_PERM_CONSISTENT_READ,
                                  BLK_PERM_ALL, &error_abort), 0);
    blk_get_perm(blk, &perm, &shared);
    assert_int_equal(perm, BLK_PERM_CONSISTENT_READ);
    assert_int_equal(blk_root(blk)->perm, BLK_PERM_CONSISTENT_READ);
    assert_int_equal(test_driver_counters(bs)->perm & BLK_PERM_WRITE, 0);

    test_driver_fail_perm(bs, BLK_PERM_WRITE);
    assert_int_equal(blk_set_perm(blk, rw, BLK_PERM_ALL, &err), -EPERM);
    assert_non_null(err);
    error_free(err);
    blk_get_perm(blk, &perm, &shared);
    assert_int_equal(perm, BLK_PERM_CONSISTENT_READ);
    test_driver_fail_perm(bs, 0);
    assert_int_equal(blk_set_perm(blk, rw, BLK_PERM_CONSISTENT_READ,
                                  &error_abort), 0);
    blk_get_perm(blk, &perm, &shared);
    assert_int_equal(perm, rw);
    assert_int_equal(shared, BLK_PERM_CONSISTENT_READ);
    blk_unref(blk);
}

/* Seed 0: a real IOThread (realtime mode); else a virtual one, seeded */
static void aio_context_run(uint64_t seed)
{
    BlockBackend *blk;
    BlockDriverState *bs;
    IOThread *iot;
    AioContext *ctx;
    Error *err = NULL;
    uint8_t buf[512] = { 0 };

    if (seed) {
        sched_set_deterministic(seed);
    }
    iot = iothread_create("blk-test", &error_abort);
    ctx = iothread_get_aio_context(iot);
    blk = open_blk("driver=test,size=1M", BDRV_O_RDWR);
    bs = blk_bs(blk);

    /* Someone else moving the node: the backend vetoes unless allowed */
    assert_true(bdrv_try_change_aio_context(bs, ctx, NULL, &err) < 0);
    assert_non_null(strstr(error_get_pretty(err),
                           "Cannot change iothread of active block backend"));
    error_free_or_abort(&err);
    assert_ptr_equal(bdrv_get_aio_context(bs), qemu_get_aio_context());
    assert_ptr_equal(blk_get_aio_context(blk), qemu_get_aio_context());

    blk_set_allow_aio_context_change(blk, true);
    assert_int_equal(bdrv_try_change_aio_context(bs, ctx, NULL, &error_abort),
                     0);
    assert_ptr_equal(blk_get_aio_context(blk), ctx);
    assert_int_equal(blk_pwrite(blk, 0, sizeof(buf), buf, 0), 0);

    /* The backend moving itself needs no permission from itself */
    blk_set_allow_aio_context_change(blk, false);
    assert_int_equal(blk_set_aio_context(blk, qemu_get_aio_context(),
                                         &error_abort), 0);
    assert_ptr_equal(bdrv_get_aio_context(bs), qemu_get_aio_context());
    assert_ptr_equal(blk_get_aio_context(blk), qemu_get_aio_context());
    blk_unref(blk);
    iothread_destroy(iot);
    sched_set_realtime();
}

static void test_aio_context(void **state)
{
    aio_context_run(42);
    aio_context_run(0);
}

static void test_read_only_backend(void **state)
{
    BlockBackend *blk = open_blk("driver=test,size=1M", 0);
    uint8_t buf[512] = { 0 };
    Error *err = NULL;

    assert_false(blk_is_writable(blk));
    assert_true(blk_is_read_only(blk));
    assert_int_equal(blk_pwrite(blk, 0, sizeof(buf), buf, 0), -EPERM);
    assert_int_equal(blk_pread(blk, 0, sizeof(buf), buf, 0), 0);
    assert_int_equal(blk_truncate(blk, 4096, false, PREALLOC_MODE_OFF, 0,
                                  &err), -EACCES);
    error_free_or_abort(&err);
    blk_unref(blk);

    /* Writable, but opened without BDRV_O_RESIZE */
    blk = open_blk("driver=test,size=1M", BDRV_O_RDWR);
    assert_int_equal(blk_truncate(blk, 4096, false, PREALLOC_MODE_OFF, 0,
                                  &err), -EPERM);
    error_free_or_abort(&err);
    assert_int_equal(blk_getlength(blk), 1024 * 1024);
    blk_unref(blk);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TIO(test_empty_backend),
        TIO(test_new_open_perms),
        TIO(test_insert_remove),
        TIO(test_names),
        TIO(test_range_checks),
        TIO(test_sync_io),
        TIO(test_coroutine_io),
        TIO(test_aio),
        TIO(test_aio_cancel_waits),
        TIO(test_queued_while_drained),
        TIO(test_drain_waits),
        TIO(test_set_perm),
        TIO(test_aio_context),
        TIO(test_read_only_backend),
    };

    return test_common_run_group(tests, tio_group_setup, NULL);
}
