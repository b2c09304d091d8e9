/*
 * Reopen options of other types than strings, and the child options a
 * reopen refuses (block/core/reopen.c): identity options that are not
 * names, typed options kept as they were, "file" and "backing" values that
 * are neither a node name nor null, storage added or dropped by a reopen,
 * and a backing file for a driver without backing files.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "block/driver.h"
#include "block/test-driver.h"
#include "test-common.h"

/* bdrv_reopen(@bs) with the single option @key = @val (keeping the rest) */
static int reopen_one(BlockDriverState *bs, const char *key, QObject *val,
                      Error **errp)
{
    QDict *opts = qdict_new();

    qdict_put_obj(opts, key, val);
    return bdrv_reopen(bs, opts, true, errp);
}

static void test_identity_options_must_be_the_same_names(void **state)
{
    BlockDriverState *bs = open_test("rt-node");
    Error *err = NULL;

    expect_int(reopen_one(bs, "node-name", QOBJECT(qnum_from_int(1)), &err),
               -EINVAL);
    check_error(&err, "Cannot change the option 'node-name'");
    expect_int(reopen_one(bs, "driver", QOBJECT(qstring_from_str("raw")),
                          &err), -EINVAL);
    check_error(&err, "Cannot change the option 'driver'");
    /* Repeating them changes nothing */
    check_ok(reopen_one(bs, "driver", QOBJECT(qstring_from_str("test")),
                        &err) == 0, &err, "same driver");
    expect_true(!strcmp(bdrv_get_node_name(bs), "rt-node"));
    bdrv_unref(bs);
    end_test();
}

/* Options given typed at open (json:, blockdev-add) compare by value */
static void test_typed_options_kept_by_reopen(void **state)
{
    QDict *opts = test_common_opts_pairs("driver", "test", "node-name",
                                         "rt-typed", NULL);
    BlockDriverState *bs;
    Error *err = NULL;

    qdict_put_int(opts, "max-transfer", 65536);
    bs = open_ok(NULL, opts, BDRV_O_RDWR);
    check_ok(bdrv_reopen_set_read_only(bs, true, &err) == 0, &err,
             "reopen keeping a typed option");
    expect_true(bdrv_is_read_only(bs));
    expect_int(reopen_one(bs, "max-transfer", QOBJECT(qnum_from_int(4096)),
                          &err), -EINVAL);
    check_error(&err, "Cannot change the option 'max-transfer'");
    expect_int(bs->bl.max_transfer, 65536);
    bdrv_unref(bs);
    end_test();
}

/* "backing" and "file" take a node name or null, nothing else */
static void test_child_option_of_another_type(void **state)
{
    BlockDriverState *base = open_test("rt-base");
    BlockDriverState *top = open_test("rt-top");
    Error *err = NULL;

    check_ok(bdrv_set_backing_hd(top, base, &err) == 0, &err, "backing");
    expect_int(reopen_one(top, "backing", QOBJECT(qnum_from_int(3)), &err),
               -EINVAL);
    check_error(&err, "Cannot change the option 'backing'");
    expect_true(top->backing && top->backing->bs == base);
    unref_nodes(top, base);
    end_test();
}

/* A reopen neither adds a file child nor drops one */
static void test_file_child_cannot_be_added_or_dropped(void **state)
{
    QDict *opts = test_common_opts_pairs("driver", "test", "node-name",
                                         "rt-over", "file.driver", "null-co",
                                         "file.node-name", "rt-file", NULL);
    BlockDriverState *over = open_ok(NULL, opts, BDRV_O_RDWR);
    BlockDriverState *bare = open_test("rt-bare");
    Error *err = NULL;

    expect_int(reopen_one(over, "file", QOBJECT(qnull()), &err), -EINVAL);
    check_error(&err, "Cannot change the option 'file'");
    expect_true(over->file && !strcmp(over->file->bs->node_name, "rt-file"));
    expect_int(reopen_one(bare, "file", QOBJECT(qstring_from_str("rt-file")),
                          &err), -EINVAL);
    check_error(&err, "Cannot change the option 'file'");
    expect_true(bare->file == NULL);
    unref_nodes(bare, over);
    end_test();
}

/* null-co takes no backing file, not even from a reopen */
static void test_backing_added_to_driver_without_backing(void **state)
{
    BlockDriverState *null = open_null("rt-null");
    BlockDriverState *base = open_test("rt-nbase");
    Error *err = NULL;

    expect_int(reopen_one(null, "backing",
                          QOBJECT(qstring_from_str("rt-nbase")), &err),
               -EINVAL);
    check_error(&err, "Driver 'null-co' of node 'rt-null' does not support "
                "backing files");
    expect_true(null->backing == NULL);
    expect_int(count_parents(base), 0);
    unref_nodes(base, null);
    end_test();
}

/* mid's file cannot become top, which is above mid through its own file */
static void test_file_child_replacement_refuses_a_cycle(void **state)
{
    QDict *mid_opts = test_common_opts_pairs("driver", "test", "node-name",
                                             "rt-mid", "file.driver",
                                             "null-co", "file.node-name",
                                             "rt-leaf", NULL);
    QDict *top_opts = test_common_opts_pairs("driver", "test", "node-name",
                                             "rt-ctop", "file", "rt-mid",
                                             NULL);
    BlockDriverState *mid = open_ok(NULL, mid_opts, BDRV_O_RDWR);
    BlockDriverState *top = open_ok(NULL, top_opts, BDRV_O_RDWR);
    Error *err = NULL;

    bdrv_unref(mid);
    expect_int(reopen_one(mid, "file", QOBJECT(qstring_from_str("rt-ctop")),
                          &err), -EINVAL);
    check_error(&err, "Making 'rt-ctop' a file child of 'rt-mid' would "
                "create a cycle");
    expect_true(!strcmp(mid->file->bs->node_name, "rt-leaf"));
    expect_graph_ok();
    bdrv_unref(top);
    end_test();
}

/* An empty queue: nothing to free, nothing to reopen */
static void test_empty_reopen_queue(void **state)
{
    Error *err = NULL;

    bdrv_reopen_queue_free(NULL);
    expect_int(bdrv_reopen_multiple(NULL, &err), 0);
    expect_true(err == NULL);
    end_test();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_identity_options_must_be_the_same_names),
        T(test_typed_options_kept_by_reopen),
        T(test_child_option_of_another_type),
        T(test_file_child_cannot_be_added_or_dropped),
        T(test_backing_added_to_driver_without_backing),
        T(test_file_child_replacement_refuses_a_cycle),
        T(test_empty_reopen_queue),
    };

    return test_common_run_group(tests, test_common_group_setup, NULL);
}
