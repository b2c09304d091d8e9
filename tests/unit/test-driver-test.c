/*
 * Unit tests of the "test" format driver (block/test-driver.h) itself.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "block/driver.h"
#include "block/mem.h"
#include "block/test-driver.h"
#include "test-common.h"

/* A backend on a "test" node with @opts (NULL: none) */
#define open_test_blk(opts, flags, errp)                                       \
    test_common_blk_open("test", NULL, (opts), (flags), (errp))

/* Poll without blocking until nothing more happens */
static void poll_idle(AioContext *ctx)
{
    while (aio_poll(ctx, false)) {
    }
}

static void test_defaults_and_options(void **state)
{
    BlockBackend *blk = open_test_blk(NULL, 0, &error_abort);
    QDict *opts;
    Error *err = NULL;

    assert_int_equal(blk_getlength(blk), 64 * 1024 * 1024);
    assert_string_equal(bdrv_get_format_name(blk_bs(blk)), "test");
    assert_int_equal(bdrv_get_request_alignment(blk_bs(blk)), 1);
    assert_int_equal(bdrv_has_zero_init(blk_bs(blk)), 1);
    blk_unref(blk);

    opts = qdict_new();
    qdict_put_str(opts, "size", "1M");
    qdict_put_str(opts, "align", "4096");
    blk = open_test_blk(opts, 0, &error_abort);
    assert_int_equal(blk_getlength(blk), 1024 * 1024);
    assert_int_equal(bdrv_get_request_alignment(blk_bs(blk)), 4096);
    blk_unref(blk);

    opts = qdict_new();
    qdict_put_str(opts, "align", "3000");
    assert_null(open_test_blk(opts, 0, &err));
    check_error_has(&err, "align 3000", NULL);

    opts = qdict_new();
    qdict_put_str(opts, "size", "lots");
    assert_null(open_test_blk(opts, 0, &err));
    check_error_has(&err, "size", NULL);

    opts = qdict_new();
    qdict_put_str(opts, "bogus", "1");
    assert_null(open_test_blk(opts, 0, &err));
    check_error_has(&err, "does not support the option 'bogus'", NULL);
}

static void test_private_store(void **state)
{
    BlockBackend *blk = open_test_blk(NULL, BDRV_O_RDWR, &error_abort);
    BlockDriverState *bs = blk_bs(blk);
    uint8_t in[100000], out[100000];
    int64_t pnum = 0;

    /* Unwritten: zeroes and unallocated */
    memset(out, 0xff, sizeof(out));
    assert_int_equal(blk_pread(blk, 0, 4096, out, 0), 0);
    assert_true(buffer_is_zero(out, 4096));
    assert_int_equal(bdrv_is_allocated(bs, 0, 65536, &pnum), 0);
    assert_int_equal(pnum, 65536);

    /* Across chunk boundaries */
    for (size_t i = 0; i < sizeof(in); i++) {
        in[i] = i * 7;
    }
    assert_int_equal(blk_pwrite(blk, 60000, sizeof(in), in, 0), 0);
    assert_int_equal(blk_pread(blk, 60000, sizeof(out), out, 0), 0);
    assert_memory_equal(in, out, sizeof(in));
    assert_int_equal(bdrv_is_allocated(bs, 65536, 65536, &pnum), 1);
    assert_int_equal(pnum, 65536);
    /* Chunk granularity: 64 KiB units */
    assert_int_equal(bdrv_is_allocated(bs, 0, 4 * 65536, &pnum), 1);
    assert_int_equal(pnum, 3 * 65536);

    assert_int_equal(blk_pwrite_zeroes(blk, 60000, 1000, 0), 0);
    assert_int_equal(blk_pread(blk, 60000, 1000, out, 0), 0);
    assert_true(buffer_is_zero(out, 1000));
    blk_unref(blk);
}

static void test_truncate_drops_data(void **state)
{
    BlockBackend *blk = open_test_blk(NULL, BDRV_O_RDWR | BDRV_O_RESIZE,
                                      &error_abort);
    uint8_t buf[4096];

    memset(buf, 0x5f, sizeof(buf));
    assert_int_equal(blk_pwrite(blk, 65536, sizeof(buf), buf, 0), 0);
    assert_int_equal(blk_truncate(blk, 65536 + 2048, true, PREALLOC_MODE_OFF,
                                  0, &error_abort), 0);
    assert_int_equal(blk_getlength(blk), 65536 + 2048);
    assert_int_equal(blk_truncate(blk, 1024 * 1024, true, PREALLOC_MODE_OFF,
                                  0, &error_abort), 0);
    assert_int_equal(blk_pread(blk, 65536, sizeof(buf), buf, 0), 0);
    assert_int_equal(buf[2047], 0x5f);
    assert_true(buffer_is_zero(buf + 2048, 2048));
    blk_unref(blk);
}

static void test_file_child(void **state)
{
    QDict *opts = qdict_new();
    BlockBackend *blk;
    BlockDriverState *bs, *file = NULL;
    uint8_t buf[512];
    int64_t pnum, map;

    mem_image_set("under", NULL, 1024 * 1024, &error_abort);
    qdict_put_str(opts, "file.driver", "mem");
    qdict_put_str(opts, "file.filename", "under");
    qdict_put_str(opts, "size", "1M");
    blk = open_test_blk(opts, BDRV_O_RDWR, &error_abort);
    bs = blk_bs(blk);
    assert_non_null(bs->file);
    assert_true(bs->file->role & BDRV_CHILD_PRIMARY);
    memset(buf, 0x31, sizeof(buf));
    assert_int_equal(blk_pwrite(blk, 4096, sizeof(buf), buf, 0), 0);
    assert_int_equal(mem_image_get("under", NULL)[4096], 0x31);
    assert_true(bdrv_block_status(bs, 0, 4096, &pnum, &map, &file) >= 0);
    assert_ptr_equal(file, bs->file->bs);
    blk_unref(blk);
    mem_image_delete("under");
}

static void test_backing_child(void **state)
{
    QDict *opts;
    BlockBackend *base, *top;
    BlockDriverState *base_bs;
    uint8_t buf[4096];

    opts = qdict_new();
    qdict_put_str(opts, "node-name", "test-base");
    qdict_put_str(opts, "size", "128K");
    base = open_test_blk(opts, BDRV_O_RDWR, &error_abort);
    base_bs = blk_bs(base);
    memset(buf, 0xba, sizeof(buf));
    assert_int_equal(blk_pwrite(base, 0, sizeof(buf), buf, 0), 0);
    assert_int_equal(blk_pwrite(base, 65536, sizeof(buf), buf, 0), 0);

    opts = qdict_new();
    qdict_put_str(opts, "backing", "test-base");
    qdict_put_str(opts, "size", "256K");
    top = open_test_blk(opts, BDRV_O_RDWR, &error_abort);
    assert_non_null(blk_bs(top)->backing);
    assert_ptr_equal(blk_bs(top)->backing->bs, base_bs);
    assert_true(blk_bs(top)->backing->role & BDRV_CHILD_COW);

    /* Unallocated in top: read through */
    assert_int_equal(blk_pread(top, 0, sizeof(buf), buf, 0), 0);
    assert_int_equal(buf[0], 0xba);
    /* Top's own data shadows the backing's chunk */
    memset(buf, 0x70, sizeof(buf));
    assert_int_equal(blk_pwrite(top, 65536, 512, buf, 0), 0);
    assert_int_equal(blk_pread(top, 65536, sizeof(buf), buf, 0), 0);
    assert_int_equal(buf[0], 0x70);
    assert_int_equal(buf[600], 0);
    /* Past the backing's end: zeroes */
    memset(buf, 0xff, sizeof(buf));
    assert_int_equal(blk_pread(top, 200 * 1024, sizeof(buf), buf, 0), 0);
    assert_true(buffer_is_zero(buf, sizeof(buf)));

    blk_unref(top);
    blk_unref(base);
}

static void test_counters(void **state)
{
    BlockBackend *blk = open_test_blk(NULL, BDRV_O_RDWR, &error_abort);
    BlockDriverState *bs = blk_bs(blk);
    const TestDriverCounters *c = test_driver_counters(bs);
    uint8_t buf[512] = { 0 };

    /* Attaching the backend told the driver its permissions */
    assert_true(c->set_perm >= 1);
    assert_true(c->perm & BLK_PERM_WRITE);
    assert_true(c->perm & BLK_PERM_CONSISTENT_READ);

    test_driver_reset_counters(bs);
    assert_int_equal(c->reads, 0);
    assert_int_equal(c->set_perm, 0);
    /* Reset keeps the permission state */
    assert_true(c->perm & BLK_PERM_WRITE);

    assert_int_equal(blk_pread(blk, 0, 512, buf, 0), 0);
    assert_int_equal(blk_pread(blk, 512, 512, buf, 0), 0);
    assert_int_equal(blk_pwrite(blk, 0, 512, buf, 0), 0);
    assert_int_equal(c->reads, 2);
    assert_int_equal(c->writes, 1);

    assert_int_equal(blk_set_perm(blk, BLK_PERM_CONSISTENT_READ,
                                  BLK_PERM_ALL, &error_abort), 0);
    assert_int_equal(c->set_perm, 1);
    assert_false(c->perm & BLK_PERM_WRITE);
    blk_unref(blk);
}

static void test_fail_perm(void **state)
{
    BlockBackend *blk = open_test_blk(NULL, BDRV_O_RDWR, &error_abort);
    BlockDriverState *bs = blk_bs(blk);
    const TestDriverCounters *c = test_driver_counters(bs);
    Error *err = NULL;

    assert_int_equal(blk_set_perm(blk, BLK_PERM_CONSISTENT_READ,
                                  BLK_PERM_ALL, &error_abort), 0);
    test_driver_fail_perm(bs, BLK_PERM_WRITE);
    test_driver_reset_counters(bs);
    assert_int_equal(blk_set_perm(blk, BLK_PERM_CONSISTENT_READ |
                                  BLK_PERM_WRITE, BLK_PERM_ALL, &err),
                     -EPERM);
    check_error_has(&err, "Test driver refuses permission", "write", NULL);
    /* Nothing was committed */
    assert_int_equal(c->set_perm, 0);
    assert_false(c->perm & BLK_PERM_WRITE);

    /* Other permissions still pass */
    assert_int_equal(blk_set_perm(blk, BLK_PERM_CONSISTENT_READ,
                                  BLK_PERM_CONSISTENT_READ, &error_abort), 0);
    test_driver_fail_perm(bs, 0);
    assert_int_equal(blk_set_perm(blk, BLK_PERM_CONSISTENT_READ |
                                  BLK_PERM_WRITE, BLK_PERM_ALL,
                                  &error_abort), 0);
    blk_unref(blk);
}

static void drain_hook(BlockDriverState *bs, void *opaque)
{
    int *calls = opaque;

    (*calls)++;
}

static void test_drain_hooks(void **state)
{
    BlockBackend *blk = open_test_blk(NULL, 0, &error_abort);
    BlockDriverState *bs = blk_bs(blk);
    const TestDriverCounters *c = test_driver_counters(bs);
    int calls = 0;

    test_driver_set_drain_hook(bs, drain_hook, &calls);
    bdrv_drained_begin(bs);
    assert_int_equal(c->drain_begin, 1);
    assert_int_equal(c->drain_end, 0);
    assert_int_equal(calls, 1);
    bdrv_drained_end(bs);
    assert_int_equal(c->drain_end, 1);
    assert_int_equal(calls, 1);
    blk_unref(blk);
}

static void test_parking(void **state)
{
    BlockBackend *blk = open_test_blk(NULL, BDRV_O_RDWR, &error_abort);
    BlockDriverState *bs = blk_bs(blk);
    AioContext *ctx = blk_get_aio_context(blk);
    uint8_t a[512], b[512], out[512];
    QEMUIOVector qa, qb;
    AioResult ra = { .ret = -1 }, rb = { .ret = -1 };

    memset(a, 0xaa, sizeof(a));
    memset(b, 0xbb, sizeof(b));
    qemu_iovec_init_buf(&qa, a, sizeof(a));
    qemu_iovec_init_buf(&qb, b, sizeof(b));

    test_driver_set_parking(bs, true);
    blk_aio_pwritev(blk, 0, &qa, 0, aio_done_cb, &ra);
    blk_aio_pwritev(blk, 4096, &qb, 0, aio_done_cb, &rb);
    poll_idle(ctx);
    /* Both reached the driver and wait there, in flight */
    assert_int_equal(test_driver_parked_count(bs), 2);
    assert_int_equal(test_driver_counters(bs)->writes, 2);
    assert_false(ra.done);
    assert_false(rb.done);
    assert_true(bs->in_flight > 0);

    /* Release one: the oldest, and only from a later poll */
    assert_int_equal(test_driver_release(bs, 1), 1);
    assert_int_equal(test_driver_parked_count(bs), 1);
    assert_false(ra.done);
    while (!ra.done) {
        aio_poll(ctx, true);
    }
    assert_int_equal(ra.ret, 0);
    assert_false(rb.done);

    /* Releasing more than are parked releases what there is */
    assert_int_equal(test_driver_release(bs, 5), 1);
    while (!rb.done) {
        aio_poll(ctx, true);
    }
    assert_int_equal(rb.ret, 0);
    assert_int_equal(test_driver_release(bs, 1), 0);

    test_driver_set_parking(bs, false);
    assert_int_equal(blk_pread(blk, 4096, sizeof(out), out, 0), 0);
    assert_memory_equal(out, b, sizeof(b));
    assert_int_equal(blk_pread(blk, 0, sizeof(out), out, 0), 0);
    assert_memory_equal(out, a, sizeof(a));
    blk_unref(blk);
}

static void test_parked_request_holds_drain(void **state)
{
    BlockBackend *blk = open_test_blk(NULL, 0, &error_abort);
    BlockDriverState *bs = blk_bs(blk);
    AioContext *ctx = blk_get_aio_context(blk);
    uint8_t buf[512];
    QEMUIOVector qiov;
    AioResult r = { .ret = -1 };

    qemu_iovec_init_buf(&qiov, buf, sizeof(buf));
    test_driver_set_parking(bs, true);
    blk_aio_preadv(blk, 0, &qiov, 0, aio_done_cb, &r);
    poll_idle(ctx);
    assert_int_equal(test_driver_parked_count(bs), 1);
    assert_int_equal(test_driver_counters(bs)->reads, 1);
    /* A released request completes before drained_begin returns */
    test_driver_set_parking(bs, false);
    test_driver_release(bs, 1);
    bdrv_drained_begin(bs);
    assert_true(r.done);
    assert_int_equal(r.ret, 0);
    bdrv_drained_end(bs);
    blk_unref(blk);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_defaults_and_options),
        T(test_private_store),
        T(test_truncate_drops_data),
        T(test_file_child),
        T(test_backing_child),
        T(test_counters),
        T(test_fail_perm),
        T(test_drain_hooks),
        T(test_parking),
        T(test_parked_request_holds_drain),
    };

    return test_common_run_group(tests, test_common_group_setup,
                                 test_common_group_teardown_mem);
}
