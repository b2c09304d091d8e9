/*
 * Failures during the migration hand-over (block/core/activate.c): a driver
 * that cannot inactivate, cannot invalidate its cache or cannot tell its
 * length on activation.  Each leaves the node as it was (active, or
 * inactive) and reports the failure.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "block/driver.h"
#include "block/test-driver.h"
#include "test-common.h"

/* What the "flaky" driver fails next (the same for all its nodes) */
static struct {
    int inactivate;         /* -errno returned by bdrv_inactivate, or 0 */
    bool invalidate;        /* bdrv_co_invalidate_cache sets an error */
    int getlength;          /* -errno returned by getlength, or 0 */
} flaky;

static int flaky_inactivate(BlockDriverState *bs)
{
    return flaky.inactivate;
}

static void coroutine_fn flaky_invalidate_cache(BlockDriverState *bs,
                                                Error **errp)
{
    if (flaky.invalidate) {
        error_setg(errp, "the cache went away");
    }
}

static int64_t coroutine_fn flaky_getlength(BlockDriverState *bs)
{
    return flaky.getlength ? flaky.getlength : 1 << 20;
}

static BlockDriver flaky_drv = {
    .format_name = "flaky",
    .bdrv_inactivate = flaky_inactivate,
    .bdrv_co_invalidate_cache = flaky_invalidate_cache,
    .bdrv_co_getlength = flaky_getlength,
};

static BlockDriverState *open_flaky(const char *name)
{
    memset(&flaky, 0, sizeof(flaky));
    return test_common_open_local(&flaky_drv, name, BDRV_O_RDWR);
}

static void test_inactivate_failure_keeps_node_active(void **state)
{
    BlockDriverState *bs = open_flaky("ae-node");

    flaky.inactivate = -EIO;
    expect_int(bdrv_inactivate_all(), -EIO);
    expect_false(bs->open_flags & BDRV_O_INACTIVE);
    flaky.inactivate = 0;
    expect_int(bdrv_inactivate_all(), 0);
    expect_true(bs->open_flags & BDRV_O_INACTIVE);
    expect_int(bdrv_activate(bs, &error_abort), 0);
    bdrv_unref(bs);
    end_test();
}

/* The parent goes inactive first; its child's failure is reported */
static void test_inactivate_failure_of_a_child(void **state)
{
    BlockDriverState *child = open_flaky("ae-child");
    QDict *opts = test_common_opts_pairs("driver", "test", "node-name",
                                         "ae-parent", "file", "ae-child",
                                         NULL);
    BlockDriverState *parent = open_ok(NULL, opts, BDRV_O_RDWR);

    bdrv_unref(child);
    flaky.inactivate = -ENOSPC;
    expect_int(bdrv_inactivate_all(), -ENOSPC);
    expect_true(parent->open_flags & BDRV_O_INACTIVE);
    expect_false(child->open_flags & BDRV_O_INACTIVE);
    flaky.inactivate = 0;
    expect_int(bdrv_activate(parent, &error_abort), 0);
    expect_false(parent->open_flags & BDRV_O_INACTIVE);
    bdrv_unref(parent);
    end_test();
}

static void test_activate_failures_leave_node_inactive(void **state)
{
    BlockDriverState *bs = open_flaky("ae-inv");
    Error *err = NULL;

    expect_int(bdrv_inactivate_all(), 0);
    flaky.invalidate = true;
    expect_int(bdrv_activate(bs, &err), -EINVAL);
    check_error_has(&err, "Could not reopen node 'ae-inv'",
                    "the cache went away", NULL);
    expect_true(bs->open_flags & BDRV_O_INACTIVE);
    flaky.invalidate = false;
    flaky.getlength = -EIO;
    expect_int(bdrv_activate(bs, &err), -EIO);
    check_error_has(&err, "Could not refresh total sector count", NULL);
    expect_true(bs->open_flags & BDRV_O_INACTIVE);
    flaky.getlength = 0;
    expect_int(bdrv_activate(bs, &error_abort), 0);
    expect_false(bs->open_flags & BDRV_O_INACTIVE);
    bdrv_unref(bs);
    end_test();
}

/*
 * A backend lets its permissions go before the driver inactivates; when the
 * driver fails, the retry finds the backend let go already, and activation
 * gives the backend its permissions back.
 */
static void test_inactivate_retry_after_driver_failure(void **state)
{
    BlockDriverState *bs = open_flaky("ae-retry");
    BlockBackend *blk = test_common_new_blk(bs, BLK_PERM_ALL, BLK_PERM_ALL);
    uint8_t buf[512] = { 0 };

    flaky.inactivate = -EIO;
    expect_int(bdrv_inactivate_all(), -EIO);
    expect_false(bs->open_flags & BDRV_O_INACTIVE);
    expect_int(blk_root(blk)->perm, 0);
    flaky.inactivate = 0;
    expect_int(bdrv_inactivate_all(), 0);
    expect_true(bs->open_flags & BDRV_O_INACTIVE);
    expect_int(bdrv_activate(bs, &error_abort), 0);
    expect_int(blk_root(blk)->perm, BLK_PERM_ALL);
    /* The write passes the permission check and reaches the driver */
    expect_int(blk_pwrite(blk, 0, sizeof(buf), buf, 0), -ENOTSUP);
    blk_unref(blk);
    bdrv_unref(bs);
    end_test();
}

/* Permissions set while inactive are the ones taken on activation */
static void test_backend_perm_set_while_inactive(void **state)
{
    QDict *opts = test_common_opts_pairs("driver", "test", "node-name",
                                         "ae-perm", NULL);
    BlockDriverState *bs = open_ok(NULL, opts, BDRV_O_RDWR);
    BlockBackend *blk = test_common_new_blk(bs, BLK_PERM_ALL, BLK_PERM_ALL);
    const TestDriverCounters *c = test_driver_counters(bs);
    uint64_t perm, shared;

    expect_int(bdrv_inactivate_all(), 0);
    expect_false(c->perm & BLK_PERM_WRITE);
    expect_int(blk_set_perm(blk, BLK_PERM_CONSISTENT_READ, BLK_PERM_ALL,
                            &error_abort), 0);
    blk_get_perm(blk, &perm, &shared);
    expect_int(perm, BLK_PERM_CONSISTENT_READ);
    expect_false(c->perm & BLK_PERM_WRITE);
    expect_int(bdrv_activate(bs, &error_abort), 0);
    expect_true(c->perm & BLK_PERM_CONSISTENT_READ);
    expect_false(c->perm & BLK_PERM_WRITE);
    blk_unref(blk);
    bdrv_unref(bs);
    end_test();
}

typedef struct CoActivate {
    BlockDriverState *bs;
    int ret;
    bool done;
} CoActivate;

static void coroutine_fn co_activate_entry(void *opaque)
{
    CoActivate *a = opaque;

    a->ret = bdrv_co_activate(a->bs, &error_abort);
    a->done = true;
}

/* The coroutine version activates the same way */
static void test_co_activate(void **state)
{
    BlockDriverState *bs = open_flaky("ae-co");
    CoActivate a = { .bs = bs };

    expect_int(bdrv_inactivate_all(), 0);
    qemu_coroutine_enter(qemu_coroutine_create(co_activate_entry, &a));
    while (!a.done) {
        aio_poll(qemu_get_aio_context(), true);
    }
    expect_int(a.ret, 0);
    expect_false(bs->open_flags & BDRV_O_INACTIVE);
    bdrv_unref(bs);
    end_test();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_inactivate_failure_keeps_node_active),
        T(test_inactivate_failure_of_a_child),
        T(test_activate_failures_leave_node_inactive),
        T(test_co_activate),
        T(test_inactivate_retry_after_driver_failure),
        T(test_backend_perm_set_while_inactive),
    };

    return test_common_run_group(tests, test_common_group_setup, NULL);
}
