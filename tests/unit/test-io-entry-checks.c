/*
 * Checks of the request entry points of block/core/io.c that the broader
 * I/O suites do not reach: a missing or negative-length buffer, a driver
 * without read or write callbacks, compressed writes with FUA or zero
 * flags, compression through filters, and copy-on-read on a read-only node.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "block/driver.h"
#include "block/test-driver.h"
#include "test-common.h"

static BlockBackend *open_test_blk(const char *key, const char *value)
{
    QDict *opts = test_common_opts_pairs("size", "1M", key, value, NULL);

    return test_common_blk_open("test", NULL, opts, BDRV_O_RDWR,
                                &error_abort);
}

/* A request needs an I/O vector unless it is empty; lengths are >= 0 */
static void test_request_buffers_are_checked(void **state)
{
    BlockBackend *blk = open_test_blk("align", "1");
    BdrvChild *child = blk_root(blk);
    uint8_t buf[512] = { 0 };

    expect_int(bdrv_preadv(child, 0, 512, NULL, 0), -EINVAL);
    expect_int(bdrv_preadv(child, 0, 0, NULL, 0), 0);
    expect_int(bdrv_pread(child, 0, -1, buf, 0), -EIO);
    expect_int(bdrv_pwrite(child, 0, -1, buf, 0), -EIO);
    expect_int(test_driver_counters(blk_bs(blk))->reads, 0);
    expect_int(test_driver_counters(blk_bs(blk))->writes, 0);
    blk_unref(blk);
    end_test();
}

static int64_t coroutine_fn no_io_getlength(BlockDriverState *bs)
{
    return 1 << 20;
}

/* A driver that has a length but neither read nor write callbacks */
static BlockDriver no_io_drv = {
    .format_name = "no-io",
    .bdrv_co_getlength = no_io_getlength,
};

static void test_driver_without_io_callbacks(void **state)
{
    BlockDriverState *bs = test_common_open_local(&no_io_drv, "ec-noio",
                                                  BDRV_O_RDWR);
    BlockBackend *blk = test_common_new_blk(bs, BLK_PERM_ALL, BLK_PERM_ALL);
    uint8_t buf[512] = { 0 };

    expect_int(blk_pread(blk, 0, sizeof(buf), buf, 0), -ENOTSUP);
    expect_int(blk_pwrite(blk, 0, sizeof(buf), buf, 0), -ENOTSUP);
    blk_unref(blk);
    bdrv_unref(bs);
    end_test();
}

/* FUA on a compressed write: the driver flushes once the data is there */
static void test_compressed_write_with_fua_flushes(void **state)
{
    BlockBackend *blk = open_test_blk("cluster-size", "65536");
    const TestDriverCounters *c = test_driver_counters(blk_bs(blk));
    g_autofree uint8_t *buf = g_malloc0(65536);
    int flushes = c->flushes;

    expect_int(bdrv_pwrite(blk_root(blk), 0, 65536, buf,
                           BDRV_REQ_WRITE_COMPRESSED | BDRV_REQ_FUA), 0);
    expect_int(c->compressed_writes, 1);
    expect_int(c->flushes, flushes + 1);
    /* Zeroes are not compressed data */
    expect_int(bdrv_pwrite_zeroes(blk_root(blk), 0, 65536,
                                  BDRV_REQ_WRITE_COMPRESSED), -EINVAL);
    expect_int(c->compressed_writes, 1);
    blk_unref(blk);
    end_test();
}

static int coroutine_fn
compress_filter_pwritev_compressed_part(BlockDriverState *bs, int64_t offset,
                                        int64_t bytes, QEMUIOVector *qiov,
                                        size_t qiov_offset)
{
    return -ENOTSUP;      /* only its support is asked here */
}

/* A filter with a compressed-write callback: it compresses if below does */
static BlockDriver compress_filter_drv = {
    .format_name = "compress-filter",
    .is_filter = true,
    .bdrv_co_getlength = test_common_filter_co_getlength,
    .bdrv_child_perm = bdrv_filter_default_perms,
    .bdrv_co_pwritev_compressed_part = compress_filter_pwritev_compressed_part,
};

static void test_filter_compresses_if_its_child_does(void **state)
{
    BlockDriverState *filter = test_common_open_local(&compress_filter_drv,
                                                      "ec-filter",
                                                      BDRV_O_RDWR);
    BlockDriverState *test = open_test("ec-test");
    BlockDriverState *null = open_null("ec-null");
    BdrvChild *c;

    /* Without a filtered child there is nothing to compress into */
    expect_false(bdrv_supports_compressed_writes(filter));
    c = test_common_attach(filter, test, "file",
                           BDRV_CHILD_FILTERED | BDRV_CHILD_PRIMARY);
    expect_true(bdrv_supports_compressed_writes(filter));
    bdrv_unref_child(filter, c);
    c = test_common_attach(filter, null, "file",
                           BDRV_CHILD_FILTERED | BDRV_CHILD_PRIMARY);
    expect_false(bdrv_supports_compressed_writes(filter));
    bdrv_unref_child(filter, c);
    bdrv_unref(filter);
    end_test();
}

/*
 * A read-only node copies nothing on read, whatever asks for it (a node
 * opened with copy-on-read cannot become read-only: open and reopen refuse)
 */
static void test_copy_on_read_ignored_on_read_only_node(void **state)
{
    QDict *opts = test_common_opts_pairs("driver", "test", "node-name",
                                         "ec-ro", "size", "1M", NULL);
    BlockDriverState *bs = open_ok(NULL, opts, 0);
    BlockBackend *blk = test_common_new_blk(bs, BLK_PERM_CONSISTENT_READ,
                                            BLK_PERM_ALL);
    uint8_t buf[512];

    expect_true(bdrv_is_read_only(bs));
    expect_int(bdrv_pread(blk_root(blk), 0, sizeof(buf), buf,
                          BDRV_REQ_COPY_ON_READ), 0);
    expect_int(test_driver_counters(bs)->reads, 1);
    expect_int(test_driver_counters(bs)->writes, 0);
    blk_unref(blk);
    bdrv_unref(bs);
    end_test();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_request_buffers_are_checked),
        T(test_driver_without_io_callbacks),
        T(test_compressed_write_with_fua_flushes),
        T(test_filter_compresses_if_its_child_does),
        T(test_copy_on_read_ignored_on_read_only_node),
    };

    return test_common_run_group(tests, test_common_group_setup, NULL);
}
