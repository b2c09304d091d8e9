/*
 * bdrv_commit's failures past those of test-commit.c: the active layer
 * cannot tell what it holds or cannot be read (nothing is emptied, the
 * backing file keeps its data), and an inactive node is not committed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "block/driver.h"
#include "block/test-driver.h"
#include "test-common.h"

/* base (1 MiB of zeroes) under top, which holds 0x5a over its first 4 KiB;
 * top's requests of @iotype fail with EIO when @iotype is not NULL */
static BlockDriverState *open_chain(const char *iotype)
{
    QDict *base_opts = test_common_opts_pairs("driver", "test", "node-name",
                                              "cx-base", "size", "1M", NULL);
    QDict *top_opts = test_common_opts_pairs("driver", "test", "node-name",
                                             "cx-top", "size", "1M",
                                             "backing", "cx-base", NULL);
    BlockDriverState *base = open_ok(NULL, base_opts, BDRV_O_RDWR);
    BlockDriverState *top = open_ok(NULL, top_opts, BDRV_O_RDWR);
    BlockBackend *blk = test_common_new_blk(top, BLK_PERM_ALL, BLK_PERM_ALL);
    uint8_t buf[4096];

    bdrv_unref(base);
    memset(buf, 0x5a, sizeof(buf));
    expect_int(blk_pwrite(blk, 0, sizeof(buf), buf, 0), 0);
    blk_unref(blk);
    if (iotype) {
        TestDriverIoType t = !strcmp(iotype, "read") ? TEST_IO_READ
                                                     : TEST_IO_BLOCK_STATUS;
        expect_int(test_driver_inject_error(top, t, 0, 0, EIO, false), 0);
    }
    return top;
}

/* Does @bs read @v in its first 4 KiB? */
static bool reads(BlockDriverState *bs, uint8_t v)
{
    BlockBackend *blk = test_common_new_blk(bs, BLK_PERM_CONSISTENT_READ,
                                            BLK_PERM_ALL);
    uint8_t buf[4096];
    bool ok = blk_pread(blk, 0, sizeof(buf), buf, 0) == 0;

    for (size_t i = 0; ok && i < sizeof(buf); i++) {
        ok = buf[i] == v;
    }
    blk_unref(blk);
    return ok;
}

static void check_failed_commit(BlockDriverState *top)
{
    BlockDriverState *base = top->backing->bs;

    expect_int(test_driver_counters(top)->make_empty, 0);
    expect_int(test_driver_counters(base)->writes, 0);
    test_driver_clear_errors(top);
    expect_true(reads(top, 0x5a));
    expect_true(reads(base, 0));
}

static void test_commit_fails_when_allocation_is_unknown(void **state)
{
    BlockDriverState *top = open_chain("block-status");

    expect_int(bdrv_commit(top), -EIO);
    check_failed_commit(top);
    bdrv_unref(top);
    end_test();
}

static void test_commit_fails_when_active_layer_unreadable(void **state)
{
    BlockDriverState *top = open_chain("read");

    expect_int(bdrv_commit(top), -EIO);
    check_failed_commit(top);
    bdrv_unref(top);
    end_test();
}

/* Another process owns inactive images: nothing is committed */
static void test_commit_refuses_inactive_nodes(void **state)
{
    BlockDriverState *top = open_chain(NULL);

    expect_int(bdrv_inactivate_all(), 0);
    expect_int(bdrv_commit(top), -EACCES);
    expect_int(bdrv_activate(top, &error_abort), 0);
    check_failed_commit(top);
    /* Active again, the commit goes through */
    expect_int(bdrv_commit(top), 0);
    expect_true(reads(top->backing->bs, 0x5a));
    bdrv_unref(top);
    end_test();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_commit_fails_when_allocation_is_unknown),
        T(test_commit_fails_when_active_layer_unreadable),
        T(test_commit_refuses_inactive_nodes),
    };

    return test_common_run_group(tests, test_common_group_setup, NULL);
}
