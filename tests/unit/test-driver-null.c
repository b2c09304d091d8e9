/*
 * Unit tests of the null-co and null-aio protocol drivers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "block/driver.h"
#include "util/main-loop.h"
#include "util/sched.h"
#include "test-common.h"

/* A backend on a node of @driver with @opts (NULL: none) */
#define open_null_blk(driver, opts, flags, errp)                               \
    test_common_blk_open((driver), NULL, (opts), (flags), (errp))

/* Open expecting failure; returns the message (caller frees @err) */
static const char *open_null_fails(const char *driver, QDict *opts,
                                   Error **err)
{
    BlockBackend *blk = open_null_blk(driver, opts, 0, err);

    assert_null(blk);
    assert_non_null(*err);
    return error_get_pretty(*err);
}

static void test_defaults(void **state)
{
    const char *drivers[] = { "null-co", "null-aio" };

    for (size_t i = 0; i < ARRAY_SIZE(drivers); i++) {
        BlockBackend *blk = open_null_blk(drivers[i], NULL, 0, &error_abort);
        BlockDriverState *bs = blk_bs(blk);

        assert_int_equal(blk_getlength(blk), 1LL << 30);
        assert_string_equal(bdrv_get_format_name(bs), drivers[i]);
        /* Nothing is stored and reads are not zeroes by default */
        assert_int_equal(bdrv_has_zero_init(bs), 0);
        assert_int_equal(bdrv_get_allocated_file_size(bs), 0);
        blk_unref(blk);
    }
}

static void test_read_leaves_buffer_without_read_zeroes(void **state)
{
    BlockBackend *blk = open_null_blk("null-co", NULL, 0, &error_abort);
    uint8_t buf[4096];

    memset(buf, 0xa5, sizeof(buf));
    assert_int_equal(blk_pread(blk, 0, sizeof(buf), buf, 0), 0);
    for (size_t i = 0; i < sizeof(buf); i++) {
        assert_int_equal(buf[i], 0xa5);
    }
    blk_unref(blk);
}

static void test_read_zeroes(void **state)
{
    const char *drivers[] = { "null-co", "null-aio" };

    for (size_t d = 0; d < ARRAY_SIZE(drivers); d++) {
        QDict *opts = qdict_new();
        BlockBackend *blk;
        uint8_t buf[4096];

        qdict_put_str(opts, "read-zeroes", "on");
        blk = open_null_blk(drivers[d], opts, 0, &error_abort);
        memset(buf, 0xa5, sizeof(buf));
        assert_int_equal(blk_pread(blk, 8192, sizeof(buf), buf, 0), 0);
        assert_true(buffer_is_zero(buf, sizeof(buf)));
        assert_int_equal(bdrv_has_zero_init(blk_bs(blk)), 1);
        blk_unref(blk);
    }
}

static void test_read_zeroes_as_qbool(void **state)
{
    QDict *opts = qdict_new();
    BlockBackend *blk;
    uint8_t buf[512];

    qdict_put_bool(opts, "read-zeroes", true);
    blk = open_null_blk("null-co", opts, 0, &error_abort);
    memset(buf, 1, sizeof(buf));
    assert_int_equal(blk_pread(blk, 0, sizeof(buf), buf, 0), 0);
    assert_true(buffer_is_zero(buf, sizeof(buf)));
    blk_unref(blk);
}

static void test_size_option(void **state)
{
    QDict *opts = qdict_new();
    BlockBackend *blk;

    qdict_put_str(opts, "size", "64M");
    blk = open_null_blk("null-co", opts, 0, &error_abort);
    assert_int_equal(blk_getlength(blk), 64 * 1024 * 1024);
    blk_unref(blk);

    opts = qdict_new();
    qdict_put_int(opts, "size", 1024 * 1024);
    blk = open_null_blk("null-aio", opts, 0, &error_abort);
    assert_int_equal(blk_getlength(blk), 1024 * 1024);
    blk_unref(blk);
}

static void test_writes_succeed(void **state)
{
    const char *drivers[] = { "null-co", "null-aio" };
    uint8_t buf[4096] = { 1 };

    for (size_t d = 0; d < ARRAY_SIZE(drivers); d++) {
        BlockBackend *blk = open_null_blk(drivers[d], NULL,
                                          BDRV_O_RDWR | BDRV_O_UNMAP,
                                          &error_abort);

        assert_int_equal(blk_pwrite(blk, 0, sizeof(buf), buf, 0), 0);
        assert_int_equal(blk_pwrite(blk, 4096, sizeof(buf), buf,
                                    BDRV_REQ_FUA), 0);
        assert_int_equal(blk_pwrite_zeroes(blk, 0, 65536, 0), 0);
        assert_int_equal(blk_pwrite_zeroes(blk, 0, 65536,
                                           BDRV_REQ_MAY_UNMAP), 0);
        assert_int_equal(blk_pdiscard(blk, 0, 65536), 0);
        assert_int_equal(blk_flush(blk), 0);
        blk_unref(blk);
    }
}

static void test_block_status(void **state)
{
    for (int zeroes = 0; zeroes <= 1; zeroes++) {
        QDict *opts = qdict_new();
        BlockBackend *blk;
        BlockDriverState *bs, *file = NULL;
        int64_t pnum = 0, map = -1;
        int ret;

        qdict_put_bool(opts, "read-zeroes", zeroes);
        blk = open_null_blk("null-co", opts, 0, &error_abort);
        bs = blk_bs(blk);
        ret = bdrv_block_status(bs, 4096, 65536, &pnum, &map, &file);
        assert_true(ret >= 0);
        assert_int_equal(pnum, 65536);
        assert_true(ret & BDRV_BLOCK_OFFSET_VALID);
        assert_int_equal(map, 4096);
        assert_ptr_equal(file, bs);
        /* Never DATA: nothing is stored; ZERO only when reads zero */
        assert_false(ret & BDRV_BLOCK_DATA);
        assert_int_equal(!!(ret & BDRV_BLOCK_ZERO), zeroes);
        blk_unref(blk);
    }
}

static void test_filename(void **state)
{
    BlockDriverState *bs;
    Error *err = NULL;

    bs = bdrv_open("null-co://", NULL, NULL, BDRV_O_PROTOCOL, &error_abort);
    assert_string_equal(bdrv_get_format_name(bs), "null-co");
    assert_string_equal(bs->exact_filename, "null-co://");
    bdrv_unref(bs);

    bs = bdrv_open("null-aio://", NULL, NULL, BDRV_O_PROTOCOL, &error_abort);
    assert_string_equal(bdrv_get_format_name(bs), "null-aio");
    bdrv_unref(bs);

    /* Without a format, probing puts raw on top, as qemu-io does */
    bs = bdrv_open("null-co://", NULL, NULL, 0, &error_abort);
    assert_string_equal(bdrv_get_format_name(bs), "raw");
    assert_string_equal(bdrv_get_format_name(bs->file->bs), "null-co");
    bdrv_unref(bs);

    bs = bdrv_open("null-co://x", NULL, NULL, BDRV_O_PROTOCOL, &err);
    assert_null(bs);
    assert_non_null(strstr(error_get_pretty(err), "'null-co://x'"));
    assert_non_null(strstr(error_get_pretty(err), "'null-co://'"));
    error_free(err);
}

static void test_exact_filename_only_for_defaults(void **state)
{
    QDict *opts = qdict_new();
    BlockDriverState *bs;

    qdict_put_str(opts, "driver", "null-co");
    qdict_put_str(opts, "size", "1M");
    bs = bdrv_open(NULL, NULL, opts, 0, &error_abort);
    /* "null-co://" would reopen a 1 GiB device: not this one */
    assert_string_not_equal(bs->exact_filename, "null-co://");
    bdrv_unref(bs);
}

static void test_bad_options(void **state)
{
    static const struct {
        const char *key, *value, *needle;
    } cases[] = {
        { "size", "abc", "size" },
        { "read-zeroes", "maybe", "read-zeroes" },
        { "latency-ns", "-1", "latency-ns" },
        { "latency-ns", "soon", "latency-ns" },
        { "size", "16E", "size" },
        { "bogus", "1", "doesn't support the option 'bogus'" },
    };

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        QDict *opts = qdict_new();
        Error *err = NULL;
        const char *msg;

        qdict_put_str(opts, cases[i].key, cases[i].value);
        msg = open_null_fails("null-co", opts, &err);
        if (!strstr(msg, cases[i].needle)) {
            fail_msg("case %zu: '%s' lacks '%s'", i, msg, cases[i].needle);
        }
        error_free(err);
    }
}

static void test_too_large_size(void **state)
{
    QDict *opts = qdict_new();
    Error *err = NULL;
    const char *msg;

    qdict_put_str(opts, "size", "9223372036854775807");
    msg = open_null_fails("null-aio", opts, &err);
    assert_non_null(strstr(msg, "9223372036854775807"));
    error_free(err);
}

/* null-aio completes from the event loop, never inside the submission */
static void test_aio_completes_in_loop(void **state)
{
    const char *drivers[] = { "null-co", "null-aio" };

    for (size_t d = 0; d < ARRAY_SIZE(drivers); d++) {
        BlockBackend *blk = open_null_blk(drivers[d], NULL, 0, &error_abort);
        AioContext *ctx = blk_get_aio_context(blk);
        uint8_t buf[512];
        QEMUIOVector qiov;
        AioResult r = { .ret = -1 };

        qemu_iovec_init_buf(&qiov, buf, sizeof(buf));
        blk_aio_preadv(blk, 0, &qiov, 0, aio_done_cb, &r);
        assert_false(r.done);
        while (!r.done) {
            aio_poll(ctx, true);
        }
        assert_int_equal(r.ret, 0);
        blk_unref(blk);
    }
}

static void test_latency_on_virtual_clock(void **state)
{
    const char *drivers[] = { "null-co", "null-aio" };
    const int64_t latency = 10LL * NANOSECONDS_PER_SECOND;

    sched_set_deterministic(42);
    for (size_t d = 0; d < ARRAY_SIZE(drivers); d++) {
        QDict *opts = qdict_new();
        BlockBackend *blk;
        uint8_t buf[512];
        int64_t before;

        qdict_put_int(opts, "latency-ns", latency);
        blk = open_null_blk(drivers[d], opts, 0, &error_abort);
        before = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
        assert_int_equal(blk_pread(blk, 0, sizeof(buf), buf, 0), 0);
        /* The request waited its latency; the clock jumped, no sleep */
        assert_true(qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL) - before >=
                    latency);
        blk_unref(blk);
    }
    sched_set_realtime();
}

static void test_without_latency_no_virtual_time(void **state)
{
    BlockBackend *blk;
    uint8_t buf[512];
    int64_t before;

    sched_set_deterministic(7);
    blk = open_null_blk("null-aio", NULL, 0, &error_abort);
    before = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    assert_int_equal(blk_pread(blk, 0, sizeof(buf), buf, 0), 0);
    assert_int_equal(qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL), before);
    blk_unref(blk);
    sched_set_realtime();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_defaults),
        T(test_read_leaves_buffer_without_read_zeroes),
        T(test_read_zeroes),
        T(test_read_zeroes_as_qbool),
        T(test_size_option),
        T(test_writes_succeed),
        T(test_block_status),
        T(test_filename),
        T(test_exact_filename_only_for_defaults),
        T(test_bad_options),
        T(test_too_large_size),
        T(test_aio_completes_in_loop),
        T(test_latency_on_virtual_clock),
        T(test_without_latency_no_virtual_time),
    };

    return test_common_run_group(tests, test_common_group_setup, NULL);
}
