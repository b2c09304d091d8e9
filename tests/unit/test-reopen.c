/*
 * Reopen: bdrv_reopen_queue / bdrv_reopen_multiple / bdrv_reopen /
 * bdrv_reopen_set_read_only.  Every queued node is prepared, then all
 * commit or all abort; children follow their parent's options unless
 * given their own; read-only <-> read-write switches take or drop the
 * write permission in one refresh; "file" and "backing" are replaced by
 * node name; an option a driver cannot change fails, naming it, and
 * leaves every node as it was.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <unistd.h>

#include "test-common.h"
#include "block/driver.h"
#include "block/test-driver.h"

static const BdrvChildClass child_of_bds_test_reader = {
    .parent_is_bds = false,
};

/* A "test" format node over a file of 1 MiB, read-write unless @flags */
static BlockDriverState *open_over_file(const char *name, int flags)
{
    g_autofree char *path = tmp_path(name);
    QDict *opts = opts_new("test", name);
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    assert_int_equal(ftruncate(fileno(f), 1 << 20), 0);
    fclose(f);
    qdict_put_str(opts, "file.driver", "file");
    qdict_put_str(opts, "file.filename", path);
    qdict_put_str(opts, "size", "1M");
    return open_ok(NULL, opts, flags);
}

static void test_reopen_read_only_both_ways_children_follow(void **state)
{
    BlockDriverState *bs = open_over_file("rw.img", BDRV_O_RDWR);
    BlockDriverState *file = bs->file->bs;
    Error *err = NULL;

    expect_true(bs->file->perm & BLK_PERM_WRITE);
    check_ok(bdrv_reopen_set_read_only(bs, true, &err) == 0, &err, "ro");
    expect_true(bdrv_is_read_only(bs));
    expect_true(bdrv_is_read_only(file));
    expect_false(bs->file->perm & BLK_PERM_WRITE);
    expect_graph_ok();
    check_ok(bdrv_reopen_set_read_only(bs, false, &err) == 0, &err, "rw");
    expect_false(bdrv_is_read_only(bs));
    expect_false(bdrv_is_read_only(file));
    expect_true(bs->file->perm & BLK_PERM_WRITE);
    expect_graph_ok();
    bdrv_unref(bs);
    end_test();
}

/* A node opened read-only writes after a read-write reopen (a new fd) */
static void test_reopen_rw_of_read_only_file_writes(void **state)
{
    BlockDriverState *bs = open_over_file("late.img", 0);
    uint8_t buf[512], back[512];
    BlockBackend *blk;
    Error *err = NULL;

    check_ok(bdrv_reopen_set_read_only(bs, false, &err) == 0, &err, "rw");
    blk = test_common_new_blk(bs, BLK_PERM_CONSISTENT_READ | BLK_PERM_WRITE,
                              BLK_PERM_ALL);
    memset(buf, 0x5a, sizeof(buf));
    expect_int(blk_pwrite(blk, 4096, sizeof(buf), buf, 0), 0);
    expect_int(bdrv_pread(bs->file, 4096, sizeof(back), back, 0), 0);
    expect_true(!memcmp(buf, back, sizeof(buf)));
    /* Back to read-only: the backend must let go of write first */
    expect_int(bdrv_reopen_set_read_only(bs, true, &err), -EPERM);
    check_error(&err, "Block node is read-only");
    blk_unref(blk);
    check_ok(bdrv_reopen_set_read_only(bs, true, &err) == 0, &err, "ro");
    bdrv_unref(bs);
    end_test();
}

static void test_reopen_read_only_refused_while_parent_writes(void **state)
{
    BlockDriverState *bs = open_over_file("busy.img", BDRV_O_RDWR);
    BlockBackend *blk = test_common_new_blk(bs, BLK_PERM_CONSISTENT_READ |
                                                    BLK_PERM_WRITE,
                                            BLK_PERM_ALL);
    Error *err = NULL;

    expect_int(bdrv_reopen_set_read_only(bs, true, &err), -EPERM);
    check_error(&err, "Block node is read-only");
    /* Every node as it was */
    expect_false(bdrv_is_read_only(bs));
    expect_false(bdrv_is_read_only(bs->file->bs));
    expect_true(bs->file->perm & BLK_PERM_WRITE);
    expect_graph_ok();
    blk_unref(blk);
    bdrv_unref(bs);
    end_test();
}

static void test_reopen_child_own_options_win(void **state)
{
    BlockDriverState *bs = open_over_file("own.img", BDRV_O_RDWR);
    QDict *opts = qdict_new();
    Error *err = NULL;

    qdict_put_str(opts, "read-only", "on");
    qdict_put_str(opts, "file.read-only", "off");
    check_ok(bdrv_reopen(bs, opts, true, &err) == 0, &err, "reopen");
    expect_true(bdrv_is_read_only(bs));
    expect_false(bdrv_is_read_only(bs->file->bs));
    expect_graph_ok();
    bdrv_unref(bs);
    end_test();
}

static void test_reopen_unchangeable_option_leaves_every_node(void **state)
{
    BlockDriverState *a = open_over_file("ua.img", BDRV_O_RDWR);
    BlockDriverState *b = open_test("ub");
    BlockReopenQueue *q;
    QDict *ro = qdict_new(), *size = qdict_new();
    Error *err = NULL;

    qdict_put_str(ro, "read-only", "on");
    qdict_put_str(size, "size", "2M");
    q = bdrv_reopen_queue(NULL, a, ro, true);
    q = bdrv_reopen_queue(q, b, size, true);
    expect_int(bdrv_reopen_multiple(q, &err), -EINVAL);
    check_error(&err, "Cannot change the option 'size'");
    /* a was prepared (read-only) before b failed: it is back as it was */
    expect_false(bdrv_is_read_only(a));
    expect_false(bdrv_is_read_only(a->file->bs));
    expect_true(a->file->perm & BLK_PERM_WRITE);
    expect_int(bdrv_getlength(b), 64 << 20);
    /* Both drivers were prepared, then both aborted */
    expect_int(test_driver_counters(a)->reopen_prepare, 1);
    expect_int(test_driver_counters(a)->reopen_abort, 1);
    expect_int(test_driver_counters(a)->reopen_commit, 0);
    expect_int(test_driver_counters(b)->reopen_prepare, 1);
    expect_int(test_driver_counters(b)->reopen_abort, 1);
    expect_graph_ok();
    unref_nodes(a, b);
    end_test();
}

static void test_reopen_file_filename_cannot_change(void **state)
{
    BlockDriverState *bs = open_over_file("fn.img", BDRV_O_RDWR);
    g_autofree char *other = tmp_path("other.img");
    QDict *opts = qdict_new();
    Error *err = NULL;

    qdict_put_str(opts, "file.filename", other);
    expect_int(bdrv_reopen(bs, opts, true, &err), -EINVAL);
    check_error_has(&err, "Cannot change the option 'filename'", NULL);
    expect_false(bdrv_is_read_only(bs));
    bdrv_unref(bs);
    end_test();
}

static void test_reopen_node_name_cannot_change(void **state)
{
    BlockDriverState *bs = open_test("named");
    QDict *opts = qdict_new();
    Error *err = NULL;

    qdict_put_str(opts, "node-name", "renamed");
    expect_int(bdrv_reopen(bs, opts, true, &err), -EINVAL);
    check_error(&err, "Cannot change the option 'node-name'");
    expect_true(!strcmp(bdrv_get_node_name(bs), "named"));
    bdrv_unref(bs);
    end_test();
}

static void test_reopen_multiple_commits_all(void **state)
{
    BlockDriverState *a = open_test("ma"), *b = open_test("mb");
    BlockReopenQueue *q;
    QDict *oa = qdict_new(), *ob = qdict_new();
    Error *err = NULL;

    qdict_put_str(oa, "read-only", "on");
    qdict_put_str(ob, "read-only", "on");
    q = bdrv_reopen_queue(NULL, a, oa, true);
    q = bdrv_reopen_queue(q, b, ob, true);
    check_ok(bdrv_reopen_multiple(q, &err) == 0, &err, "multiple");
    expect_true(bdrv_is_read_only(a) && bdrv_is_read_only(b));
    expect_int(test_driver_counters(a)->reopen_commit, 1);
    expect_int(test_driver_counters(b)->reopen_commit, 1);
    expect_int(test_driver_counters(b)->reopen_abort, 0);
    expect_graph_ok();
    unref_nodes(a, b);
    end_test();
}

/* A node queued twice: the later options win, the earlier ones stay */
static void test_reopen_queue_same_node_twice_merges(void **state)
{
    BlockDriverState *a = open_test("twice");
    QDict *first = qdict_new(), *second = qdict_new();
    BlockReopenQueue *q;
    Error *err = NULL;

    qdict_put_str(first, "read-only", "on");
    qdict_put_str(first, "cache.no-flush", "on");
    qdict_put_str(second, "read-only", "off");
    q = bdrv_reopen_queue(NULL, a, first, true);
    q = bdrv_reopen_queue(q, a, second, true);
    check_ok(bdrv_reopen_multiple(q, &err) == 0, &err, "twice");
    expect_false(bdrv_is_read_only(a));
    expect_true(a->open_flags & BDRV_O_NO_FLUSH);
    expect_int(test_driver_counters(a)->reopen_prepare, 1);
    bdrv_unref(a);
    end_test();
}

/* Without keep_old_opts, what is not given goes back to its default */
static void test_reopen_without_old_options_resets_defaults(void **state)
{
    QDict *opts = opts_new("test", "fresh");
    BlockDriverState *a;
    Error *err = NULL;

    qdict_put_str(opts, "cache.no-flush", "on");
    a = open_ok(NULL, opts, 0);
    expect_true(bdrv_is_read_only(a) && (a->open_flags & BDRV_O_NO_FLUSH));
    check_ok(bdrv_reopen(a, NULL, false, &err) == 0, &err, "defaults");
    expect_false(bdrv_is_read_only(a));
    expect_false(a->open_flags & BDRV_O_NO_FLUSH);
    bdrv_unref(a);
    end_test();
}

static void test_reopen_queue_free_changes_nothing(void **state)
{
    BlockDriverState *a = open_test("qa");
    QDict *oa = qdict_new();

    qdict_put_str(oa, "read-only", "on");
    bdrv_reopen_queue_free(bdrv_reopen_queue(NULL, a, oa, true));
    expect_false(bdrv_is_read_only(a));
    expect_int(a->refcnt, 1);
    bdrv_unref(a);
    end_test();
}

/* ---- drivers' own options ---------------------------------------------- */

static void test_reopen_raw_offset_and_size_change(void **state)
{
    g_autofree char *path = tmp_path("win.img");
    QDict *opts = qdict_new(), *bad = qdict_new();
    uint8_t buf[512], back[512];
    BlockDriverState *bs;
    BdrvChild *reader;
    Error *err = NULL;
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    assert_int_equal(ftruncate(fileno(f), 1 << 20), 0);
    memset(buf, 0x77, sizeof(buf));
    assert_int_equal(pwrite(fileno(f), buf, sizeof(buf), 4096), 512);
    fclose(f);
    qdict_put_str(opts, "driver", "raw");
    bs = open_ok(path, opts, BDRV_O_RDWR);
    opts = qdict_new();
    qdict_put_str(opts, "offset", "4096");
    qdict_put_str(opts, "size", "8192");
    check_ok(bdrv_reopen(bs, opts, true, &err) == 0, &err, "window");
    expect_int(bdrv_getlength(bs), 8192);
    bdrv_ref(bs); /* the edge's */
    reader = bdrv_root_attach_child(bs, "r", &child_of_bds_test_reader, 0,
                                    BLK_PERM_CONSISTENT_READ, BLK_PERM_ALL,
                                    NULL, &err);
    check_ok(reader != NULL, &err, "reader");
    expect_int(bdrv_pread(reader, 0, sizeof(back), back, 0), 0);
    expect_true(!memcmp(buf, back, sizeof(buf)));
    bdrv_root_unref_child(reader);
    /* Past the end of the file: refused, the window stays */
    qdict_put_str(bad, "size", "2M");
    expect_int(bdrv_reopen(bs, bad, true, &err), -EINVAL);
    check_error_has(&err, "has to be smaller or equal", NULL);
    expect_int(bdrv_getlength(bs), 8192);
    bdrv_unref(bs);
    end_test();
}

static void test_reopen_null_options_change(void **state)
{
    BlockDriverState *bs = open_null("nul");
    QDict *opts = qdict_new(), *bad = qdict_new();
    Error *err = NULL;

    qdict_put_str(opts, "size", "4096");
    qdict_put_str(opts, "read-zeroes", "on");
    check_ok(bdrv_reopen(bs, opts, true, &err) == 0, &err, "null");
    expect_int(bdrv_getlength(bs), 4096);
    qdict_put_str(bad, "latency-ns", "99999999999999999");
    expect_int(bdrv_reopen(bs, bad, true, &err), -EINVAL);
    check_error_has(&err, "Invalid latency-ns", NULL);
    expect_int(bdrv_getlength(bs), 4096);
    bdrv_unref(bs);
    end_test();
}

/* ---- the queue reaches the drivers' bdrv_child_perm ------------------- */

static int watch_with_queue, watch_without_queue;
static bool watch_saw_read_only;

static void watch_child_perm(BlockDriverState *bs, BdrvChild *c,
                             BdrvChildRole role, BlockReopenQueue *queue,
                             uint64_t perm, uint64_t shared, uint64_t *nperm,
                             uint64_t *nshared)
{
    if (queue) {
        watch_with_queue++;
        /* The new flags are visible while the reopen is refreshed */
        watch_saw_read_only = bdrv_is_read_only(bs);
    } else {
        watch_without_queue++;
    }
    bdrv_filter_default_perms(bs, c, role, queue, perm, shared, nperm,
                              nshared);
}

static BlockDriver watch_drv = {
    .format_name = "queue-watch",
    .is_filter = true,
    .bdrv_co_getlength = test_common_filter_co_getlength,
    .bdrv_child_perm = watch_child_perm,
};

static void test_reopen_queue_passed_to_child_perm(void **state)
{
    BlockDriverState *w = test_common_open_local(&watch_drv, "watch",
                                                 BDRV_O_RDWR);
    BlockDriverState *n = open_null("watched");
    Error *err = NULL;

    check_ok(bdrv_set_backing_hd(w, n, &err) == 0, &err, "filter child");
    watch_with_queue = 0;
    check_ok(bdrv_reopen_set_read_only(w, true, &err) == 0, &err, "ro");
    expect_true(watch_with_queue > 0);
    expect_true(watch_saw_read_only);
    watch_with_queue = watch_without_queue = 0;
    check_ok(bdrv_set_backing_hd(w, NULL, &err) == 0, &err, "detach");
    check_ok(bdrv_set_backing_hd(w, n, &err) == 0, &err, "attach");
    expect_int(watch_with_queue, 0);
    expect_true(watch_without_queue > 0);
    unref_nodes(w, n);
    end_test();
}

/* ---- children by node name --------------------------------------------- */

typedef struct Trio {
    BlockDriverState *top, *mid, *other;
} Trio;

static void trio_build(Trio *t)
{
    Error *err = NULL;

    t->top = open_test("top");
    t->mid = open_test("mid");
    t->other = open_test("other");
    check_ok(bdrv_set_backing_hd(t->top, t->mid, &err) == 0, &err, "backing");
}

static int trio_reopen(BlockDriverState *bs, const char *key,
                       const char *node, Error **errp)
{
    QDict *opts = qdict_new();

    if (node) {
        qdict_put_str(opts, key, node);
    } else {
        qdict_put_null(opts, key);
    }
    return bdrv_reopen(bs, opts, true, errp);
}

static void test_reopen_replaces_backing_by_node_name(void **state)
{
    Error *err = NULL;
    Trio t;

    trio_build(&t);
    check_ok(trio_reopen(t.top, "backing", "other", &err) == 0, &err,
             "backing=other");
    expect_true(t.top->backing->bs == t.other);
    expect_int(t.mid->refcnt, 1);
    expect_graph_ok();
    check_ok(trio_reopen(t.top, "backing", NULL, &err) == 0, &err,
             "backing=null");
    expect_true(t.top->backing == NULL);
    expect_graph_ok();
    unref_nodes(t.top, t.mid, t.other);
    end_test();
}

static void test_reopen_replaces_file_by_node_name(void **state)
{
    BlockDriverState *top = open_test("ftop");
    BlockDriverState *f1 = open_null("f1"), *f2 = open_null("f2");
    Error *err = NULL;

    test_common_attach(top, f1, "file", BDRV_CHILD_IMAGE | BDRV_CHILD_PRIMARY);
    check_ok(trio_reopen(top, "file", "f2", &err) == 0, &err, "file=f2");
    expect_true(top->file->bs == f2);
    expect_graph_ok();
    unref_nodes(top, f2);
    end_test();
}

static void test_reopen_backing_unknown_node_refused(void **state)
{
    Error *err = NULL;
    Trio t;

    trio_build(&t);
    expect_true(trio_reopen(t.top, "backing", "nowhere", &err) < 0);
    check_error_has(&err, "nowhere", NULL);
    expect_true(t.top->backing->bs == t.mid);
    unref_nodes(t.top, t.mid, t.other);
    end_test();
}

static void test_reopen_frozen_backing_refused(void **state)
{
    Error *err = NULL;
    Trio t;

    trio_build(&t);
    check_ok(bdrv_freeze_backing_chain(t.top, t.mid, &err) == 0, &err,
             "freeze");
    expect_int(trio_reopen(t.top, "backing", "other", &err), -EPERM);
    check_error(&err, "Cannot change frozen 'backing' "
                "link from 'top' to 'mid'");
    expect_true(t.top->backing->bs == t.mid);
    bdrv_unfreeze_backing_chain(t.top, t.mid);
    unref_nodes(t.top, t.mid, t.other);
    end_test();
}

static void test_reopen_backing_loop_refused_adding_allowed(void **state)
{
    Error *err = NULL;
    Trio t;

    trio_build(&t);
    expect_int(trio_reopen(t.mid, "backing", "top", &err), -EINVAL);
    check_error_has(&err, "would create a cycle", NULL);
    expect_true(t.mid->backing == NULL);
    expect_graph_ok();
    /* A backing child may be added by a reopen too */
    check_ok(trio_reopen(t.mid, "backing", "other", &err) == 0, &err,
             "add backing");
    expect_true(t.mid->backing && t.mid->backing->bs == t.other);
    expect_graph_ok();
    unref_nodes(t.top, t.mid, t.other);
    end_test();
}

/* A replaced child's new node is reopened with nothing: permission refresh
 * of the whole reopen refuses a conflict with the new node's users */
static void test_reopen_backing_permission_conflict_rolls_back(void **state)
{
    Error *err = NULL;
    BlockBackend *blk, *reader;
    Trio t;

    trio_build(&t);
    /* top is read: its backing child must be readable consistently */
    reader = test_common_new_blk(t.top, BLK_PERM_CONSISTENT_READ,
                                 BLK_PERM_ALL);
    /* A user of "other" that shares nothing refuses the new reader */
    blk = test_common_new_blk(t.other, BLK_PERM_CONSISTENT_READ, 0);
    expect_true(trio_reopen(t.top, "backing", "other", &err) < 0);
    check_error_has(&err, "Permission conflict on node 'other'", NULL);
    expect_true(t.top->backing->bs == t.mid);
    expect_int(t.other->refcnt, 2);
    expect_graph_ok();
    blk_unref(reader);
    blk_unref(blk);
    unref_nodes(t.top, t.mid, t.other);
    end_test();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_reopen_read_only_both_ways_children_follow),
        T(test_reopen_rw_of_read_only_file_writes),
        T(test_reopen_read_only_refused_while_parent_writes),
        T(test_reopen_child_own_options_win),
        T(test_reopen_unchangeable_option_leaves_every_node),
        T(test_reopen_file_filename_cannot_change),
        T(test_reopen_node_name_cannot_change),
        T(test_reopen_multiple_commits_all),
        T(test_reopen_queue_same_node_twice_merges),
        T(test_reopen_without_old_options_resets_defaults),
        T(test_reopen_queue_free_changes_nothing),
        T(test_reopen_raw_offset_and_size_change),
        T(test_reopen_null_options_change),
        T(test_reopen_queue_passed_to_child_perm),
        T(test_reopen_replaces_backing_by_node_name),
        T(test_reopen_replaces_file_by_node_name),
        T(test_reopen_backing_unknown_node_refused),
        T(test_reopen_frozen_backing_refused),
        T(test_reopen_backing_loop_refused_adding_allowed),
        T(test_reopen_backing_permission_conflict_rolls_back),
    };

    test_common_init(TEST_COMMON_STEP_CHECKS);
    assert_int_equal(test_common_tmp_dir_create("reopen"), 0);
    int ret = test_common_run_group(tests, NULL, NULL);
    test_common_tmp_dir_remove();
    return ret;
}
