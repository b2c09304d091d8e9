/*
 * The graph checker's limits part (block/core/limits.c): a parent whose
 * limits were computed from what its child gave before is reported stale,
 * for each limit a child passes up; and bdrv_refresh_limits inside a
 * caller's transaction is undone by aborting it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "block/block-debug.h"
#include "block/driver.h"
#include "util/transaction.h"
#include "test-common.h"

/* parent (test) over child (test) as its file */
static BlockDriverState *open_pair(void)
{
    QDict *opts = test_common_opts_pairs("driver", "test", "node-name",
                                         "ls-parent", "file.driver", "test",
                                         "file.node-name", "ls-child", NULL);

    return open_ok(NULL, opts, BDRV_O_RDWR);
}

static void perturb_max_iov(BlockLimits *bl)
{
    bl->max_iov = bl->max_iov ? bl->max_iov - 1 : 7;
}

static void perturb_pdiscard_alignment(BlockLimits *bl)
{
    bl->pdiscard_alignment += 65536;
}

static void perturb_opt_transfer(BlockLimits *bl)
{
    bl->opt_transfer += 1 << 20;
}

static void perturb_min_mem_alignment(BlockLimits *bl)
{
    bl->min_mem_alignment *= 1024;
}

static void perturb_opt_mem_alignment(BlockLimits *bl)
{
    bl->opt_mem_alignment *= 1024;
}

static void perturb_max_transfer(BlockLimits *bl)
{
    bl->max_transfer = bl->max_transfer ? bl->max_transfer / 2 : 4096;
}

static void (*const perturbations[])(BlockLimits *) = {
    perturb_max_iov, perturb_pdiscard_alignment, perturb_opt_transfer,
    perturb_min_mem_alignment, perturb_opt_mem_alignment,
    perturb_max_transfer,
};

/* A child's limit changed behind the core's back: the parent is stale */
static void test_stale_parent_limits_reported(void **state)
{
    BlockDriverState *parent = open_pair();
    BlockDriverState *child = parent->file->bs;
    Error *err = NULL;

    check_ok(bdrv_debug_check_graph(&err) == 0, &err, "graph before");
    for (size_t i = 0; i < ARRAY_SIZE(perturbations); i++) {
        BlockLimits saved = child->bl;

        perturbations[i](&child->bl);
        expect_true(bdrv_debug_check_graph(&err) < 0);
        check_error_has(&err, "limits of node 'ls-parent' are stale", NULL);
        child->bl = saved;
        check_ok(bdrv_debug_check_graph(&err) == 0, &err, "graph restored");
    }
    bdrv_unref(parent);
    end_test();
}

/* Fixed limits of the "tunable" driver, changed by the test */
static uint32_t tunable_max_transfer = 4096;

static void tunable_refresh_limits(BlockDriverState *bs, Error **errp)
{
    bs->bl.max_transfer = tunable_max_transfer;
}

static int64_t coroutine_fn tunable_getlength(BlockDriverState *bs)
{
    return 1 << 20;
}

static BlockDriver tunable_drv = {
    .format_name = "tunable",
    .bdrv_co_getlength = tunable_getlength,
    .bdrv_refresh_limits = tunable_refresh_limits,
};

static void test_refresh_limits_in_callers_transaction(void **state)
{
    BlockDriverState *bs;
    Transaction *tran;
    Error *err = NULL;

    tunable_max_transfer = 4096;
    bs = test_common_open_local(&tunable_drv, "ls-tunable", BDRV_O_RDWR);
    expect_int(bs->bl.max_transfer, 4096);

    tunable_max_transfer = 8192;
    tran = tran_new();
    bdrv_refresh_limits(bs, tran, &err);
    check_ok(err == NULL, &err, "refresh in a transaction");
    expect_int(bs->bl.max_transfer, 8192);
    tran_abort(tran);
    expect_int(bs->bl.max_transfer, 4096);

    tran = tran_new();
    bdrv_refresh_limits(bs, tran, &err);
    tran_commit(tran);
    expect_int(bs->bl.max_transfer, 8192);
    bdrv_unref(bs);
    end_test();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_stale_parent_limits_reported),
        T(test_refresh_limits_in_callers_transaction),
    };

    return test_common_run_group(tests, test_common_group_setup, NULL);
}
