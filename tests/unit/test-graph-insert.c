/*
 * bdrv_insert_node (a node from its options takes another's place under
 * all its parents, in one transaction) and check_to_replace_node (which
 * node a mirror may replace).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "block/test-driver.h"
#include "test-common.h"

static QDict *gi_raw_opts(const char *name, const char *file)
{
    QDict *opts = qdict_new();

    qdict_put_str(opts, "driver", "raw");
    qdict_put_str(opts, "node-name", name);
    qdict_put_str(opts, "file", file);
    return opts;
}

/*   blk -> bs   becomes   blk -> ins -> bs */
static void test_insert_node_takes_place_under_every_parent(void **state)
{
    BlockDriverState *bs = open_test("gi-bs");
    BlockDriverState *top = open_test("gi-top");
    BlockBackend *blk = test_common_new_blk(bs, BLK_PERM_CONSISTENT_READ,
                                            BLK_PERM_ALL);
    BlockDriverState *ins;
    Error *err = NULL;

    test_common_attach_ref(top, bs, "file");
    ins = bdrv_insert_node(bs, gi_raw_opts("gi-ins", "gi-bs"), BDRV_O_RDWR,
                           &err);
    check_ok(ins != NULL, &err, "bdrv_insert_node");
    expect_true(blk_bs(blk) == ins);
    expect_true(top->file->bs == ins);
    expect_true(ins->file && ins->file->bs == bs);
    expect_int(count_parents(bs), 1);
    expect_true(bdrv_find_node("gi-ins") == ins);
    expect_graph_ok();
    blk_unref(blk);
    unref_nodes(top, ins, bs);
    end_test();
}

static void test_insert_node_refuses_missing_or_unknown_driver(void **state)
{
    BlockDriverState *bs = open_test("gu-bs");
    QDict *opts = qdict_new();
    Error *err = NULL;

    qdict_put_str(opts, "file", "gu-bs");
    expect_true(bdrv_insert_node(bs, opts, BDRV_O_RDWR, &err) == NULL);
    check_error(&err, "driver is not specified");
    opts = qdict_new();
    qdict_put_str(opts, "driver", "no-such-driver");
    expect_true(bdrv_insert_node(bs, opts, BDRV_O_RDWR, &err) == NULL);
    check_error(&err, "Unknown driver: 'no-such-driver'");
    expect_int(count_parents(bs), 0);
    bdrv_unref(bs);
    end_test();
}

static void test_insert_node_reports_open_failure(void **state)
{
    BlockDriverState *bs = open_test("go-bs");
    QDict *opts = gi_raw_opts("go-ins", "no-such-node");
    Error *err = NULL;

    expect_true(bdrv_insert_node(bs, opts, BDRV_O_RDWR, &err) == NULL);
    check_error_has(&err, "Could not create node: ", "no-such-node", NULL);
    expect_true(bdrv_find_node("go-ins") == NULL);
    bdrv_unref(bs);
    end_test();
}

/*
 * One parent's link to bs is frozen: no parent moves (one transaction),
 * and the new node is gone
 */
static void test_insert_node_rolls_back_when_a_link_is_frozen(void **state)
{
    BlockDriverState *bs = open_test("gf-bs");
    BlockDriverState *top = open_test("gf-top");
    BlockBackend *blk = test_common_new_blk(bs, BLK_PERM_CONSISTENT_READ,
                                            BLK_PERM_ALL);
    BdrvChild *link = test_common_attach_ref(top, bs, "file");
    BlockDriverState *ins;
    Error *err = NULL;

    link->frozen = true;
    ins = bdrv_insert_node(bs, gi_raw_opts("gf-ins", "gf-bs"), BDRV_O_RDWR,
                           &err);
    expect_true(ins == NULL);
    check_error(&err, "Could not replace node: Cannot change 'file' link "
                "from 'gf-bs' to 'gf-ins'");
    expect_true(blk_bs(blk) == bs);
    expect_true(top->file->bs == bs);
    expect_true(bdrv_find_node("gf-ins") == NULL);
    expect_int(count_parents(bs), 2);
    expect_graph_ok();
    link->frozen = false;
    blk_unref(blk);
    unref_nodes(top, bs);
    end_test();
}

/*   f1 -> f2 -> img -> file   (f1, f2 filters) */
static void test_check_to_replace_node_through_filters(void **state)
{
    BlockDriverState *f1 = test_common_open_local(&test_common_filter_drv,
                                                  "cr-f1", BDRV_O_RDWR);
    BlockDriverState *f2 = test_common_open_local(&test_common_filter_drv,
                                                  "cr-f2", BDRV_O_RDWR);
    BlockDriverState *img = open_test("cr-img");
    BlockDriverState *file = open_test("cr-file");
    Error *err = NULL;

    bdrv_ref(f2);
    test_common_attach(f1, f2, "file",
                       BDRV_CHILD_FILTERED | BDRV_CHILD_PRIMARY);
    bdrv_ref(img);
    test_common_attach(f2, img, "file",
                       BDRV_CHILD_FILTERED | BDRV_CHILD_PRIMARY);
    test_common_attach_ref(img, file, "file");

    expect_true(check_to_replace_node(f1, "cr-f1", &err) == f1);
    expect_true(check_to_replace_node(f1, "cr-img", &err) == img);
    check_ok(true, &err, "check_to_replace_node");
    /* Below a format node: the data seen could change */
    expect_true(check_to_replace_node(f1, "cr-file", &err) == NULL);
    check_error(&err, "Cannot replace 'cr-file' by a node mirrored from "
                "'cr-f1', because it cannot be guaranteed that doing so "
                "would not lead to an abrupt change of visible data");
    /* Not below at all */
    expect_true(check_to_replace_node(img, "cr-f2", &err) == NULL);
    check_error_has(&err, "Cannot replace 'cr-f2'", NULL);
    unref_nodes(f1, f2, img, file);
    end_test();
}

static void test_check_to_replace_node_unknown_name(void **state)
{
    BlockDriverState *bs = open_test("cu-bs");
    Error *err = NULL;

    expect_true(check_to_replace_node(bs, "cu-none", &err) == NULL);
    check_error(&err, "Failed to find node with node-name='cu-none'");
    bdrv_unref(bs);
    end_test();
}

static void test_check_to_replace_node_op_blocked(void **state)
{
    BlockDriverState *bs = open_test("cb-bs");
    Error *reason = NULL, *err = NULL;

    error_setg(&reason, "Node 'cb-bs' is busy");
    bdrv_op_block(bs, BLOCK_OP_TYPE_REPLACE, reason);
    expect_true(check_to_replace_node(bs, "cb-bs", &err) == NULL);
    check_error_has(&err, "is busy", NULL);
    bdrv_op_unblock(bs, BLOCK_OP_TYPE_REPLACE, reason);
    expect_true(check_to_replace_node(bs, "cb-bs", &err) == bs);
    error_free(reason);
    bdrv_unref(bs);
    end_test();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_insert_node_takes_place_under_every_parent),
        T(test_insert_node_refuses_missing_or_unknown_driver),
        T(test_insert_node_reports_open_failure),
        T(test_insert_node_rolls_back_when_a_link_is_frozen),
        T(test_check_to_replace_node_through_filters),
        T(test_check_to_replace_node_unknown_name),
        T(test_check_to_replace_node_op_blocked),
    };

    return test_common_run_group(tests, test_common_group_setup, NULL);
}
