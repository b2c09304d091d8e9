/*
 * What the core checks before it calls a driver's breakpoint and run-time
 * child callbacks (block/core/debug-breakpoint.c): missing event or tag,
 * no node that takes breakpoints, a parent that cannot add or remove
 * children, a child that already has a parent or is not the parent's.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "block/driver.h"
#include "test-common.h"

/* blkdebug over a null-co image */
static BlockDriverState *open_blkdebug(void)
{
    QDict *opts = test_common_opts_pairs("driver", "blkdebug",
                                         "node-name", "dc-debug",
                                         "image.driver", "null-co", NULL);

    return open_ok(NULL, opts, BDRV_O_RDWR);
}

/* The driver never sees a breakpoint without an event or a tag */
static void test_breakpoint_needs_event_and_tag(void **state)
{
    BlockDriverState *bs = open_blkdebug();

    expect_int(bdrv_debug_breakpoint(bs, NULL, "t"), -EINVAL);
    expect_int(bdrv_debug_breakpoint(bs, "read_aio", NULL), -EINVAL);
    expect_int(bdrv_debug_remove_breakpoint(bs, NULL), -EINVAL);
    expect_int(bdrv_debug_resume(bs, NULL), -EINVAL);
    expect_false(bdrv_debug_is_suspended(bs, NULL));
    /* With both, blkdebug itself answers */
    expect_int(bdrv_debug_breakpoint(bs, "read_aio", "t"), 0);
    expect_false(bdrv_debug_is_suspended(bs, "t"));
    expect_int(bdrv_debug_remove_breakpoint(bs, "t"), 0);
    bdrv_unref(bs);
    end_test();
}

/* Nothing at or below a null-co node takes breakpoints */
static void test_breakpoint_without_a_debug_node(void **state)
{
    BlockDriverState *bs = open_null("dc-null");

    expect_int(bdrv_debug_breakpoint(bs, "read_aio", "t"), -ENOTSUP);
    expect_int(bdrv_debug_breakpoint(bs, NULL, NULL), -ENOTSUP);
    expect_int(bdrv_debug_remove_breakpoint(bs, "t"), -ENOTSUP);
    expect_int(bdrv_debug_resume(bs, "t"), -ENOTSUP);
    expect_false(bdrv_debug_is_suspended(bs, "t"));
    bdrv_unref(bs);
    end_test();
}

static void test_add_del_child_need_driver_support(void **state)
{
    BlockDriverState *bs = open_null("dc-parent");
    BlockDriverState *ejected = bdrv_new();
    BlockDriverState *child = open_null("dc-child");
    Error *err = NULL;

    bdrv_add_child(bs, child, &err);
    check_error_has(&err, "dc-parent", "does not support adding a child",
                    NULL);
    bdrv_del_child(bs, NULL, &err);
    check_error_has(&err, "dc-parent", "does not support removing a child",
                    NULL);
    bdrv_add_child(ejected, child, &err);
    check_error_has(&err, "does not support adding a child", NULL);
    bdrv_del_child(ejected, NULL, &err);
    check_error_has(&err, "does not support removing a child", NULL);
    bdrv_unref(ejected);
    bdrv_unref(child);
    bdrv_unref(bs);
    end_test();
}

/* quorum of two null-co children */
static BlockDriverState *open_quorum(void)
{
    QDict *opts = test_common_opts_pairs("driver", "quorum",
                                         "node-name", "dc-quorum",
                                         "vote-threshold", "1",
                                         "children.0.driver", "null-co",
                                         "children.1.driver", "null-co",
                                         NULL);

    return open_ok(NULL, opts, BDRV_O_RDWR);
}

/* A child is added once, and only a child of the parent is removed */
static void test_add_del_child_checks_the_child(void **state)
{
    BlockDriverState *qr = open_quorum();
    BlockDriverState *other = open_null("dc-other");
    BlockDriverState *child = open_null("dc-owned");
    BdrvChild *foreign = test_common_attach_ref(other, child, "file");
    Error *err = NULL;

    bdrv_add_child(qr, child, &err);
    check_error_has(&err, "dc-owned", "already has a parent", NULL);
    bdrv_del_child(qr, foreign, &err);
    check_error_has(&err, "dc-quorum", "does not have a child named",
                    "dc-owned", NULL);
    bdrv_del_child(qr, NULL, &err);
    check_error_has(&err, "does not have a child named (none)", NULL);
    expect_int(count_parents(child), 1);
    bdrv_unref_child(other, foreign);
    unref_nodes(child, other, qr);
    end_test();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_breakpoint_needs_event_and_tag),
        T(test_breakpoint_without_a_debug_node),
        T(test_add_del_child_need_driver_support),
        T(test_add_del_child_checks_the_child),
    };

    return test_common_run_group(tests, test_common_group_setup, NULL);
}
