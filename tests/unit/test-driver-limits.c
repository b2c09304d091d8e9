/*
 * The driver's half of the contract, checked by the core on return:
 * lengths, block limits and block-status answers that a buggy (or
 * fuzzed) driver returns end as an Error or -EIO, never as an assertion,
 * an overflow or an endless recursion.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "io-helpers.h"

/* ---- "liar": a protocol whose answers a test sets ---- */

typedef struct LiarConfig {
    int64_t length;
    BlockLimits bl;          /* copied over the node's limits when set */
    bool set_limits;
    int status_ret;          /* what block status returns */
    bool status_pnum_given;  /* else *pnum is the bytes asked for */
    int64_t status_pnum;
    int64_t status_map;
    bool status_file_self;   /* *file = bs (else NULL) */
} LiarConfig;

static LiarConfig liar;

static void liar_reset(void)
{
    liar = (LiarConfig){
        .length = 64 * KiB,
        .status_ret = BDRV_BLOCK_DATA,
    };
}

static int64_t coroutine_fn liar_co_getlength(BlockDriverState *bs)
{
    return liar.length;
}

static void liar_refresh_limits(BlockDriverState *bs, Error **errp)
{
    if (liar.set_limits) {
        bs->bl = liar.bl;
    }
}

static int coroutine_fn liar_co_block_status(BlockDriverState *bs,
                                             bool want_zero, int64_t offset,
                                             int64_t bytes, int64_t *pnum,
                                             int64_t *map,
                                             BlockDriverState **file)
{
    *pnum = liar.status_pnum_given ? liar.status_pnum : bytes;
    *map = liar.status_map;
    *file = liar.status_file_self ? bs : NULL;
    return liar.status_ret;
}

static int coroutine_fn liar_co_preadv(BlockDriverState *bs, int64_t offset,
                                       int64_t bytes, QEMUIOVector *qiov,
                                       BdrvRequestFlags flags)
{
    qemu_iovec_memset(qiov, 0, 0, (size_t)bytes);
    return 0;
}

static BlockDriver bdrv_liar = {
    .format_name = "liar",
    .protocol_name = "liar",
    .bdrv_co_getlength = liar_co_getlength,
    .bdrv_refresh_limits = liar_refresh_limits,
    .bdrv_co_block_status = liar_co_block_status,
    .bdrv_co_preadv = liar_co_preadv,
};

static int limits_group_setup(void **state)
{
    tio_group_setup(state);
    bdrv_register(&bdrv_liar);
    liar_reset();
    return 0;
}

static int limits_teardown(void **state)
{
    liar_reset();
    return test_common_teardown(state);
}

#define TL(fn) cmocka_unit_test_setup_teardown(fn, test_common_setup,        \
                                               limits_teardown)

/* Open a liar node; NULL and the error in *errp when the open fails */
static BlockDriverState *liar_open_flags(int flags, Error **errp)
{
    QDict *opts = qdict_new();

    qdict_put_str(opts, "driver", "liar");
    return bdrv_open(NULL, NULL, opts, flags, errp);
}

static BlockDriverState *liar_open(Error **errp)
{
    return liar_open_flags(0, errp);
}

static void expect_open_refused(const char *what, const char *needle)
{
    Error *err = NULL;
    BlockDriverState *bs = liar_open(&err);

    if (bs) {
        EXPECT_FAIL("%s: the open succeeded", what);
        bdrv_unref(bs);
        return;
    }
    check_error_has(&err, needle, NULL);
}

/* ---- lengths ---- */

/* Rounding INT64_MAX - 100 up to sectors overflowed (UBSan: abort) */
static void test_driver_length_near_int64_max_refused(void **state)
{
    liar.length = INT64_MAX - 100;
    expect_open_refused("length INT64_MAX - 100", "File too large");
    liar.length = BDRV_MAX_LENGTH + 1;
    expect_open_refused("length BDRV_MAX_LENGTH + 1", "File too large");
    end_test();
}

/* The largest length is fine; a refused refresh keeps the old length */
static void test_driver_length_refresh_keeps_valid_length(void **state)
{
    BlockDriverState *bs;

    liar.length = BDRV_MAX_LENGTH;
    bs = liar_open(&error_abort);
    assert_int_equal(bdrv_getlength(bs), BDRV_MAX_LENGTH);
    liar.length = INT64_MAX;
    assert_int_equal(bdrv_refresh_total_sectors(bs, -1), -EFBIG);
    assert_int_equal(bdrv_getlength(bs), BDRV_MAX_LENGTH);
    bdrv_unref(bs);
}

/* ---- limits ---- */

static void set_limits(BlockLimits bl)
{
    liar.set_limits = true;
    if (!bl.min_mem_alignment) {
        bl.min_mem_alignment = 1;
    }
    if (!bl.opt_mem_alignment) {
        bl.opt_mem_alignment = 1;
    }
    liar.bl = bl;
}

static void test_driver_alignment_not_power_of_two_refused(void **state)
{
    set_limits((BlockLimits){ .request_alignment = 3 });
    expect_open_refused("request_alignment 3", "request alignment 3");
    set_limits((BlockLimits){ .request_alignment = 0 });
    expect_open_refused("request_alignment 0", "request alignment 0");
    end_test();
}

static void test_driver_alignment_too_large_refused(void **state)
{
    set_limits((BlockLimits){ .request_alignment = 1U << 31 });
    expect_open_refused("request_alignment 2 GiB", "request alignment "
                        "2147483648");
    end_test();
}

static void test_driver_max_transfer_unaligned_refused(void **state)
{
    set_limits((BlockLimits){ .request_alignment = 4096,
                              .max_transfer = 6144 });
    expect_open_refused("max_transfer 6144", "max transfer 6144");
    end_test();
}

static void test_driver_discard_and_zero_limits_unaligned_refused(void **st)
{
    set_limits((BlockLimits){ .request_alignment = 512,
                              .pdiscard_alignment = 768 });
    expect_open_refused("pdiscard_alignment 768", "discard alignment 768");
    set_limits((BlockLimits){ .request_alignment = 512,
                              .pwrite_zeroes_alignment = 100 });
    expect_open_refused("pwrite_zeroes_alignment 100",
                        "write-zeroes alignment 100");
    set_limits((BlockLimits){ .request_alignment = 512, .max_pdiscard = -1 });
    expect_open_refused("max_pdiscard -1", "max discard -1");
    set_limits((BlockLimits){ .request_alignment = 512,
                              .max_pwrite_zeroes = 700 });
    expect_open_refused("max_pwrite_zeroes 700", "max write-zeroes 700");
    set_limits((BlockLimits){ .request_alignment = 512, .opt_transfer = 100 });
    expect_open_refused("opt_transfer 100", "optimal transfer 100");
    end_test();
}

/* bdrv_min_mem_align() asserted these were powers of two */
static void test_driver_mem_alignment_not_power_of_two_refused(void **state)
{
    set_limits((BlockLimits){ .request_alignment = 512,
                              .min_mem_alignment = 24 });
    expect_open_refused("min_mem_alignment 24", "memory alignment 24");
    set_limits((BlockLimits){ .request_alignment = 512,
                              .opt_mem_alignment = 3000 });
    expect_open_refused("opt_mem_alignment 3000", "memory alignment 3000");
    set_limits((BlockLimits){ .request_alignment = 512, .max_iov = -2 });
    expect_open_refused("max_iov -2", "max iov -2");
    end_test();
}

/* Consistent limits open, and requests honour them */
static void test_driver_consistent_limits_accepted(void **state)
{
    BlockDriverState *bs;

    set_limits((BlockLimits){ .request_alignment = 4096,
                              .max_transfer = 64 * KiB,
                              .pdiscard_alignment = 64 * KiB,
                              .max_pdiscard = 1 * MiB,
                              .opt_transfer = 8192,
                              .min_mem_alignment = 512,
                              .opt_mem_alignment = 4096 });
    bs = liar_open(&error_abort);
    assert_int_equal(bdrv_get_request_alignment(bs), 4096);
    assert_int_equal(bdrv_min_mem_align(bs), 512);
    bdrv_unref(bs);
}

/* New limits are checked against what the node's parents hold */
static void test_write_perm_rechecked_when_limits_change(void **state)
{
    BlockDriverState *bs;
    BlockBackend *blk;
    Error *err = NULL;

    liar.length = 5120;
    bs = liar_open_flags(BDRV_O_RDWR, &error_abort);
    blk = blk_new_with_bs(bs, BLK_PERM_CONSISTENT_READ | BLK_PERM_WRITE,
                          BLK_PERM_ALL, &error_abort);
    set_limits((BlockLimits){ .request_alignment = 4096 });
    bdrv_refresh_limits(bs, NULL, &err);
    expect_true(err != NULL);
    if (err) {
        check_error(&err, "Cannot get 'write' permission without 'resize': "
                    "Image size is not a multiple of request alignment");
    }
    blk_unref(blk);
    bdrv_unref(bs);
    end_test();
}

/* ---- block status answers ---- */

static int liar_status(int64_t offset, int64_t bytes, int64_t *pnum)
{
    BlockDriverState *bs = liar_open(&error_abort);
    int ret = bdrv_block_status(bs, offset, bytes, pnum, NULL, NULL);

    bdrv_unref(bs);
    return ret;
}

static void test_driver_status_pnum_zero_or_negative_is_eio(void **state)
{
    int64_t pnum = 5;

    liar.status_pnum_given = true;
    liar.status_pnum = 0;
    expect_int(liar_status(0, 4096, &pnum), -EIO);
    expect_int(pnum, 0);
    liar.status_pnum = -4096;
    expect_int(liar_status(0, 4096, &pnum), -EIO);
    liar.status_pnum = INT64_MIN;
    expect_int(liar_status(0, 4096, &pnum), -EIO);
    end_test();
}

/* A pnum not reaching the requested offset (inside an aligned block) */
static void test_driver_status_pnum_short_of_offset_is_eio(void **state)
{
    int64_t pnum = 5;

    set_limits((BlockLimits){ .request_alignment = 4096 });
    liar.status_pnum_given = true;
    liar.status_pnum = 512;
    expect_int(liar_status(1024, 1024, &pnum), -EIO);
    end_test();
}

/* A longer answer than asked is only clamped */
static void test_driver_status_pnum_too_long_clamped(void **state)
{
    int64_t pnum = 0;
    int ret;

    liar.status_pnum_given = true;
    liar.status_pnum = INT64_MAX;
    ret = liar_status(4096, 8192, &pnum);
    assert_true(ret >= 0 && (ret & BDRV_BLOCK_DATA));
    assert_int_equal(pnum, 8192);
}

/* RAW without a node, or naming the node itself, used to assert or
 * recurse until the stack overflowed */
static void test_driver_status_raw_without_child_is_eio(void **state)
{
    int64_t pnum = 5;

    liar.status_ret = BDRV_BLOCK_RAW | BDRV_BLOCK_OFFSET_VALID;
    expect_int(liar_status(0, 4096, &pnum), -EIO);
    liar.status_file_self = true;
    expect_int(liar_status(0, 4096, &pnum), -EIO);
    liar.status_ret = BDRV_BLOCK_RAW;
    expect_int(liar_status(0, 4096, &pnum), -EIO);
    end_test();
}

static void test_driver_status_map_out_of_range_is_eio(void **state)
{
    int64_t pnum = 5;

    liar.status_ret = BDRV_BLOCK_DATA | BDRV_BLOCK_OFFSET_VALID;
    liar.status_file_self = true;
    liar.status_map = -4096;
    expect_int(liar_status(0, 4096, &pnum), -EIO);
    liar.status_map = INT64_MAX;
    expect_int(liar_status(0, 4096, &pnum), -EIO);
    end_test();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TL(test_driver_length_near_int64_max_refused),
        TL(test_driver_length_refresh_keeps_valid_length),
        TL(test_driver_alignment_not_power_of_two_refused),
        TL(test_driver_alignment_too_large_refused),
        TL(test_driver_max_transfer_unaligned_refused),
        TL(test_driver_discard_and_zero_limits_unaligned_refused),
        TL(test_driver_mem_alignment_not_power_of_two_refused),
        TL(test_driver_consistent_limits_accepted),
        TL(test_write_perm_rechecked_when_limits_change),
        TL(test_driver_status_pnum_zero_or_negative_is_eio),
        TL(test_driver_status_pnum_short_of_offset_is_eio),
        TL(test_driver_status_pnum_too_long_clamped),
        TL(test_driver_status_raw_without_child_is_eio),
        TL(test_driver_status_map_out_of_range_is_eio),
    };

    return test_common_run_group(tests, limits_group_setup, NULL);
}
