/*
 * Error injection of the "test" driver: by option
 * (inject-error.N.{iotype,offset,bytes,errno,once}) and by API, for every
 * kind of request, so that drivers' error paths can be tested.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "block/driver.h"
#include "block/test-driver.h"
#include "test-common.h"

/* A "test" backend (RDWR | UNMAP) with "key", "value" pairs; NULL ends */
#define inject_open(errp, ...)                                                 \
    test_common_blk_open("test", NULL, test_common_opts_pairs(__VA_ARGS__),    \
                         BDRV_O_RDWR | BDRV_O_UNMAP, (errp))

static int read_at(BlockBackend *blk, int64_t offset, int64_t bytes)
{
    g_autofree uint8_t *buf = g_malloc(bytes);

    return blk_pread(blk, offset, bytes, buf, 0);
}

static int write_at(BlockBackend *blk, int64_t offset, int64_t bytes)
{
    g_autofree uint8_t *buf = g_malloc0(bytes);

    return blk_pwrite(blk, offset, bytes, buf, 0);
}

static void test_inject_read_error_by_range(void **state)
{
    BlockBackend *blk = inject_open(&error_abort,
                                    "inject-error.0.iotype", "read",
                                    "inject-error.0.offset", "4096",
                                    "inject-error.0.bytes", "4096", NULL);

    assert_int_equal(read_at(blk, 0, 4096), 0);
    assert_int_equal(read_at(blk, 4096, 512), -EIO);
    assert_int_equal(read_at(blk, 8191, 1), -EIO);
    /* Overlapping the range from either side */
    assert_int_equal(read_at(blk, 0, 4097), -EIO);
    assert_int_equal(read_at(blk, 8191, 2), -EIO);
    assert_int_equal(read_at(blk, 8192, 4096), 0);
    /* Writes are not affected */
    assert_int_equal(write_at(blk, 4096, 4096), 0);
    assert_int_equal(test_driver_counters(blk_bs(blk))->injected, 4);
    blk_unref(blk);
}

static void test_inject_once_fails_only_first(void **state)
{
    BlockBackend *blk = inject_open(&error_abort,
                                    "inject-error.0.iotype", "write",
                                    "inject-error.0.errno", "28",
                                    "inject-error.0.once", "on", NULL);

    assert_int_equal(write_at(blk, 0, 512), -ENOSPC);
    assert_int_equal(write_at(blk, 0, 512), 0);
    blk_unref(blk);
}

/* bytes 0 means up to the end; rules are independent */
static void test_inject_several_rules_and_open_range(void **state)
{
    BlockBackend *blk = inject_open(&error_abort,
                                    "inject-error.0.iotype", "read",
                                    "inject-error.0.offset", "1M",
                                    "inject-error.1.iotype", "zero",
                                    "inject-error.1.errno", "1", NULL);

    assert_int_equal(read_at(blk, 0, 512), 0);
    assert_int_equal(read_at(blk, 63 * 1024 * 1024, 512), -EIO);
    assert_int_equal(blk_pwrite_zeroes(blk, 0, 512, 0), -EPERM);
    blk_unref(blk);
}

static void test_inject_flush_discard_block_status(void **state)
{
    BlockBackend *blk = inject_open(&error_abort,
                                    "inject-error.0.iotype", "flush",
                                    "inject-error.1.iotype", "discard",
                                    "inject-error.1.errno", "22",
                                    "inject-error.2.iotype", "block-status",
                                    "inject-error.2.errno", "61", NULL);
    BlockDriverState *bs = blk_bs(blk);
    int64_t pnum;

    assert_int_equal(write_at(blk, 0, 512), 0);
    assert_int_equal(blk_flush(blk), -EIO);
    assert_int_equal(blk_pdiscard(blk, 0, 65536), -EINVAL);
    assert_int_equal(bdrv_block_status(bs, 0, 512, &pnum, NULL, NULL),
                     -ENODATA);
    blk_unref(blk);
}

/* An error injected below a format reaches the format's caller */
static void test_inject_error_seen_through_raw(void **state)
{
    BlockBackend *blk;
    QDict *opts = qdict_new();
    BlockDriverState *test_bs = open_test("inj-under-raw");

    test_driver_inject_error(test_bs, TEST_IO_READ, 0, 0, EIO, false);
    qdict_put_str(opts, "file", "inj-under-raw");
    blk = test_common_blk_open("raw", NULL, opts, BDRV_O_RDWR, &error_abort);
    bdrv_unref(test_bs);
    assert_int_equal(read_at(blk, 0, 512), -EIO);
    test_driver_clear_errors(test_bs);
    assert_int_equal(read_at(blk, 0, 512), 0);
    blk_unref(blk);
}

/* The rule is checked after parking: a released request can fail */
static void test_inject_parked_request_fails_on_release(void **state)
{
    BlockBackend *blk = inject_open(&error_abort, NULL, NULL);
    BlockDriverState *bs = blk_bs(blk);
    uint8_t buf[512];
    QEMUIOVector qiov;
    AioResult r = { .ret = 1 };

    qemu_iovec_init_buf(&qiov, buf, sizeof(buf));
    test_driver_set_parking(bs, true);
    blk_aio_preadv(blk, 0, &qiov, 0, aio_done_cb, &r);
    while (aio_poll(qemu_get_aio_context(), false)) {
    }
    assert_int_equal(test_driver_parked_count(bs), 1);
    test_driver_inject_error(bs, TEST_IO_READ, 0, 512, EIO, true);
    test_driver_set_parking(bs, false);
    test_driver_release(bs, 1);
    while (!r.done) {
        aio_poll(qemu_get_aio_context(), true);
    }
    assert_int_equal(r.ret, -EIO);
    blk_unref(blk);
}

static void test_inject_bad_options_are_refused(void **state)
{
    Error *err = NULL;

    assert_null(inject_open(&err, "inject-error.0.iotype", "sideways",
                            NULL));
    check_error_has(&err, "inject-error.0.iotype 'sideways'", NULL);
    assert_null(inject_open(&err, "inject-error.0.errno", "0", NULL));
    check_error_has(&err, "inject-error.0.errno 0", NULL);
    assert_null(inject_open(&err, "inject-error.0.colour", "red", NULL));
    check_error_has(&err, "'inject-error.0.colour'", NULL);
    /* A gap ends the list: a rule .1 without .0 is an unknown option */
    assert_null(inject_open(&err, "inject-error.1.iotype", "read", NULL));
    check_error_has(&err, "inject-error.1.iotype", NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_inject_read_error_by_range),
        T(test_inject_once_fails_only_first),
        T(test_inject_several_rules_and_open_range),
        T(test_inject_flush_discard_block_status),
        T(test_inject_error_seen_through_raw),
        T(test_inject_parked_request_fails_on_release),
        T(test_inject_bad_options_are_refused),
    };

    return test_common_run_group(tests, test_common_group_setup, NULL);
}
