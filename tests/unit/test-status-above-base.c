/*
 * Block status down a backing chain (block/core/io-status.c): an error of
 * a lower layer is the answer; include_base stops at the base even when
 * the base has nothing there and a layer below it has data.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "block/driver.h"
#include "block/test-driver.h"
#include "test-common.h"

/* top -> mid -> bottom (test nodes of 1 MiB); bottom holds 4 KiB of data */
static BlockDriverState *open_chain(void)
{
    QDict *bottom_opts = test_common_opts_pairs("driver", "test", "node-name",
                                                "sa-bottom", NULL);
    QDict *mid_opts = test_common_opts_pairs("driver", "test", "node-name",
                                             "sa-mid", "backing", "sa-bottom",
                                             NULL);
    QDict *top_opts = test_common_opts_pairs("driver", "test", "node-name",
                                             "sa-top", "backing", "sa-mid",
                                             NULL);
    BlockDriverState *bottom = open_ok(NULL, bottom_opts, BDRV_O_RDWR);
    BlockDriverState *mid = open_ok(NULL, mid_opts, BDRV_O_RDWR);
    BlockDriverState *top = open_ok(NULL, top_opts, BDRV_O_RDWR);
    BlockBackend *blk = test_common_new_blk(bottom, BLK_PERM_ALL,
                                            BLK_PERM_ALL);
    uint8_t buf[4096];

    memset(buf, 0x11, sizeof(buf));
    expect_int(blk_pwrite(blk, 0, sizeof(buf), buf, 0), 0);
    blk_unref(blk);
    unref_nodes(bottom, mid);
    return top;
}

static void test_include_base_stops_at_base(void **state)
{
    BlockDriverState *top = open_chain();
    BlockDriverState *mid = top->backing->bs;
    int64_t pnum;

    /* The data is in bottom, below mid: not above mid, even with mid */
    expect_int(bdrv_is_allocated_above(top, mid, true, 0, 4096, &pnum), 0);
    expect_int(pnum, 4096);
    /* Without a base it is found, in the third layer (QEMU's depth) */
    expect_int(bdrv_is_allocated_above(top, NULL, false, 0, 4096, &pnum), 3);
    expect_int(pnum, 4096);
    bdrv_unref(top);
    end_test();
}

static void test_lower_layer_error_is_the_answer(void **state)
{
    BlockDriverState *top = open_chain();
    BlockDriverState *mid = top->backing->bs;
    int64_t pnum;

    expect_int(test_driver_inject_error(mid, TEST_IO_BLOCK_STATUS, 0, 0,
                                        EIO, false), 0);
    expect_int(bdrv_is_allocated_above(top, NULL, false, 0, 4096, &pnum),
               -EIO);
    expect_int(bdrv_block_status_above(top, NULL, 0, 4096, &pnum, NULL,
                                       NULL), -EIO);
    /* Above mid only top is asked: no error */
    expect_int(bdrv_is_allocated_above(top, mid, false, 0, 4096, &pnum), 0);
    test_driver_clear_errors(mid);
    bdrv_unref(top);
    end_test();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_include_base_stops_at_base),
        T(test_lower_layer_error_is_the_answer),
    };

    return test_common_run_group(tests, test_common_group_setup, NULL);
}
