/*
 * A driver's limits hook that fails makes its node fail to open, with the
 * driver's message; a zero write with FUA on a driver whose zero writes
 * know no FUA is followed by exactly one flush.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "block/driver.h"
#include "block/test-driver.h"
#include "test-common.h"

static void bad_limits_refresh(BlockDriverState *bs, Error **errp)
{
    error_setg(errp, "limits unknown");
}

static int64_t coroutine_fn bad_limits_getlength(BlockDriverState *bs)
{
    return 1 << 20;
}

static BlockDriver bad_limits_drv = {
    .format_name = "bad-limits",
    .bdrv_co_getlength = bad_limits_getlength,
    .bdrv_refresh_limits = bad_limits_refresh,
};

static void test_failing_limits_hook_fails_open(void **state)
{
    Error *err = NULL;
    BlockDriverState *bs = bdrv_new_open_driver(&bad_limits_drv, "hk-bad",
                                                BDRV_O_RDWR, &err);

    expect_true(bs == NULL);
    check_error_has(&err, "limits unknown", NULL);
    expect_true(bdrv_find_node("hk-bad") == NULL);
    end_test();
}

static void test_zero_write_fua_flushes_once(void **state)
{
    QDict *opts = test_common_opts_pairs("size", "1M", "max-transfer", "4096",
                                         NULL);
    BlockBackend *blk = test_common_blk_open("test", NULL, opts, BDRV_O_RDWR,
                                             &error_abort);
    const TestDriverCounters *c = test_driver_counters(blk_bs(blk));
    int flushes = c->flushes;

    expect_int(bdrv_pwrite_zeroes(blk_root(blk), 0, 65536, BDRV_REQ_FUA), 0);
    expect_int(c->flushes, flushes + 1);
    expect_int(bdrv_pwrite_zeroes(blk_root(blk), 0, 65536, 0), 0);
    expect_int(c->flushes, flushes + 1);
    blk_unref(blk);
    end_test();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_failing_limits_hook_fails_open),
        T(test_zero_write_fua_flushes_once),
    };

    return test_common_run_group(tests, test_common_group_setup, NULL);
}
