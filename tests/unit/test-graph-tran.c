/*
 * Graph changes are transactional over everything they touch
 * (block/core/child.c, graph-ops.c): the cycle check visits each node once
 * (diamonds, as under quorum), bs->file / bs->backing follow the roles of
 * the edges (filters name their filtered child by the driver's
 * filtered_child_is_backing), removing a backing child refreshes the old
 * child's permissions and locks, a failed permission refresh while an edge
 * goes away is aborted, and the invariant checker sees file/backing that
 * disagree with the roles.
 *
 * Context moves are in test-aio-context-tran.c, limits in test-limits.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <unistd.h>

#include "block/test-driver.h"
#include "test-common.h"

/* ---- helpers ------------------------------------------------------------ */

static BlockDriverState *open_filter(const char *name)
{
    return test_common_open_local(&test_common_filter_drv, name, BDRV_O_RDWR);
}

/* A filter whose filtered child is its "backing" child (mirror-top-like) */
static BlockDriver backing_filter_drv = {
    .format_name = "backing-filter",
    .is_filter = true,
    .filtered_child_is_backing = true,
    .bdrv_co_getlength = test_common_filter_co_getlength,
    .bdrv_child_perm = bdrv_filter_default_perms,
};

static BlockDriverState *open_backing_filter(const char *name)
{
    return test_common_open_local(&backing_filter_drv, name, BDRV_O_RDWR);
}

static void graph_ok(const char *step)
{
    Error *err = NULL;

    if (bdrv_debug_check_graph(&err) < 0) {
        fail_msg("After %s: %s", step, error_get_pretty(err));
    }
}

/* @bs has exactly one child, @c (NULL: none at all) */
static bool only_child(BlockDriverState *bs, BdrvChild *c)
{
    BdrvChild *first = QLIST_FIRST(&bs->children);

    return first == c && (!first || !QLIST_NEXT(first, next));
}

/* ---- item: one cycle check with a visited set --------------------------- */

/*
 * Read-only nodes: closing them does not flush, and a flush (like
 * bdrv_is_inserted) walks every path of the subtree
 */
static BlockDriverState *open_ro(const char *driver, const char *name)
{
    return open_node(driver, name, 0);
}

/*
 * @n diamonds stacked: tops[i] has children "children.0" and "children.1"
 * (left and right), both of which have tops[i + 1] as their only child;
 * the last one is the bottom.  Edges are attached top-down, so building it
 * never searches a deep subtree; @nodes receives every node (3n + 1).
 */
static BlockDriverState *diamonds_build(int n, BlockDriverState **nodes)
{
    int k = 0;

    nodes[k++] = open_ro("null-co", NULL);
    for (int i = 0; i < n; i++) {
        BlockDriverState *top = nodes[k - 1];
        BlockDriverState *l = open_ro("null-co", NULL);
        BlockDriverState *r = open_ro("null-co", NULL);
        BlockDriverState *bottom = open_ro("null-co", NULL);

        test_common_attach(top, l, "children.0", BDRV_CHILD_DATA);
        test_common_attach(top, r, "children.1", BDRV_CHILD_DATA);
        test_common_attach(l, bottom, "children.0", BDRV_CHILD_DATA);
        bdrv_ref(bottom);
        test_common_attach(r, bottom, "children.0", BDRV_CHILD_DATA);
        nodes[k++] = l;
        nodes[k++] = r;
        nodes[k++] = bottom;
    }
    /* The edges own l, r and bottom; the caller owns the top */
    return nodes[0];
}

/*
 * Each change over the stack searches the subtree of its top for a cycle:
 * with a visited set every node is visited at most once per search.
 */
static void diamonds_changes(int n, bool count)
{
    BlockDriverState **nodes = g_new0(BlockDriverState *, 3 * n + 1);
    BlockDriverState *top = diamonds_build(n, nodes);
    BlockDriverState *p = open_ro("test", "p");
    BlockDriverState *q = open_ro("test", "q");
    BlockDriverState *x = open_ro("null-co", "x");
    uint64_t limit = 3 * n + 1, before;
    Error *err = NULL;
    BdrvChild *qc;

    /* A new parent of the top: is p below the top? */
    before = bdrv_debug_subtree_visits();
    bdrv_ref(top);
    test_common_attach(p, top, "children.0", BDRV_CHILD_DATA);
    if (count) {
        expect_true(bdrv_debug_subtree_visits() - before <= limit);
    }
    graph_ok("attaching a parent over the diamonds");

    /* Replacing x by the top: is q (x's parent) below the top? */
    bdrv_ref(x);
    qc = test_common_attach(q, x, "children.0", BDRV_CHILD_DATA);
    before = bdrv_debug_subtree_visits();
    check_ok(bdrv_replace_node(x, top, &err) == 0, &err, "replace_node");
    if (count) {
        /* One search per pass over x's parents (check, then move) */
        expect_true(bdrv_debug_subtree_visits() - before <= 2 * limit);
    }
    expect_true(qc->bs == top);
    graph_ok("bdrv_replace_node");

    /* And back, edge by edge */
    before = bdrv_debug_subtree_visits();
    check_ok(bdrv_replace_child_bs(qc, x, &err) == 0, &err,
             "replace_child_bs");
    check_ok(bdrv_replace_child_bs(qc, top, &err) == 0, &err,
             "replace_child_bs");
    if (count) {
        expect_true(bdrv_debug_subtree_visits() - before <= 2 * limit);
    }
    graph_ok("bdrv_replace_child_bs");

    /* A real cycle is still found */
    bdrv_ref(p);
    expect_true(bdrv_attach_child(nodes[3 * n], p, "cycle", &child_of_bds,
                                  BDRV_CHILD_DATA, &err) == NULL);
    expect_true(err && strstr(error_get_pretty(err), "would create a cycle"));
    error_free(err);
    graph_ok("the refused cycle");

    unref_nodes(p, q, x, top);
    g_free(nodes);
    end_test();
}

static void test_cycle_check_visits_each_node_once(void **state)
{
    diamonds_changes(10, true);
}

/* 2^40 paths: only a search that remembers where it was completes */
static void test_cycle_check_completes_on_40_stacked_diamonds(void **state)
{
    diamonds_changes(40, false);
}

/* ---- item: set_backing_hd(bs, NULL) refreshes the old child ------------ */

static void test_set_backing_hd_null_refreshes_old_backing_perms(void **state)
{
    BlockDriverState *top = open_test("top");
    BlockDriverState *base = open_test("base");
    BlockBackend *blk = test_common_new_blk(top, BLK_PERM_CONSISTENT_READ,
                                            BLK_PERM_CONSISTENT_READ);
    Error *err = NULL;

    check_ok(bdrv_set_backing_hd(top, base, &err) == 0, &err, "set base");
    expect_int(base->cur_perm, BLK_PERM_CONSISTENT_READ);
    graph_ok("set_backing_hd(top, base)");

    check_ok(bdrv_set_backing_hd(top, NULL, &err) == 0, &err, "set NULL");
    expect_true(top->backing == NULL);
    /* Nobody uses base any more: it holds nothing and shares everything */
    expect_int(base->cur_perm, 0);
    expect_int(base->cur_shared, BLK_PERM_ALL);
    expect_int(test_driver_counters(base)->perm, 0);
    expect_int(test_driver_counters(base)->shared, BLK_PERM_ALL);
    expect_graph_ok();

    blk_unref(blk);
    unref_nodes(top, base);
    end_test();
}

static char *make_image(const char *name, int64_t size)
{
    char *path = tmp_path(name);
    int fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0644);

    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, size), 0);
    close(fd);
    return path;
}

/* The old backing file's lock bytes go with the edge */
static void test_set_backing_hd_null_releases_old_backing_locks(void **state)
{
    g_autofree char *path = NULL;
    BlockDriverState *top = open_test("top");
    BlockDriverState *base;
    BlockBackend *blk, *writer;
    QDict *opts = qdict_new();
    Error *err = NULL;

    assert_int_equal(test_common_tmp_dir_create("graph-tran"), 0);
    path = make_image("base.img", 1 << 20);
    qdict_put_str(opts, "driver", "file");
    qdict_put_str(opts, "filename", path);
    base = open_ok(NULL, opts, 0);
    /* The backend shares no write: nor does the backing edge under it */
    blk = test_common_new_blk(top, BLK_PERM_CONSISTENT_READ,
                              BLK_PERM_CONSISTENT_READ);
    check_ok(bdrv_set_backing_hd(top, base, &err) == 0, &err, "set base");
    writer = test_common_blk_open("file", path, NULL, BDRV_O_RDWR, &err);
    expect_true(writer == NULL);
    error_free(err);
    err = NULL;

    check_ok(bdrv_set_backing_hd(top, NULL, &err) == 0, &err, "set NULL");
    writer = test_common_blk_open("file", path, NULL, BDRV_O_RDWR, &err);
    if (!writer) {
        EXPECT_FAIL("a writer is still refused: %s", error_get_pretty(err));
        error_free(err);
    }
    blk_unref(writer);
    expect_graph_ok();

    blk_unref(blk);
    unref_nodes(top, base);
    assert_int_equal(test_common_tmp_dir_remove(), 0);
    end_test();
}

/* ---- item: file/backing recorded by role and the driver's flag ---------- */

/* set, replace, remove: each time through bs->backing */
static void test_filter_backing_child_recorded_by_flag(void **state)
{
    BlockDriverState *f = open_backing_filter("f");
    BlockDriverState *a = open_null("a");
    BlockDriverState *b = open_null("b");
    Error *err = NULL;

    check_ok(bdrv_set_backing_hd(f, a, &err) == 0, &err, "set a");
    expect_true(f->backing && f->backing->bs == a);
    expect_true(f->file == NULL);
    if (f->backing) {
        expect_true(!strcmp(f->backing->name, "backing"));
        expect_int(f->backing->role, BDRV_CHILD_FILTERED | BDRV_CHILD_PRIMARY);
    }
    expect_true(bdrv_filter_bs(f) == a);
    expect_graph_ok();

    /* A second set replaces the child */
    expect_int(bdrv_set_backing_hd(f, b, &err), 0);
    if (err) {
        EXPECT_FAIL("set b: %s", error_get_pretty(err));
        error_free(err);
        err = NULL;
    }
    expect_true(f->backing && f->backing->bs == b);
    expect_true(only_child(f, f->backing));
    expect_int(count_parents(a), 0);
    expect_graph_ok();

    /* NULL removes it */
    expect_int(bdrv_set_backing_hd(f, NULL, &err), 0);
    expect_true(f->backing == NULL);
    expect_true(only_child(f, NULL));
    expect_int(count_parents(b), 0);
    expect_graph_ok();

    unref_nodes(f, a, b);
    end_test();
}

/* Without the flag the filtered child is "file", also for set_backing_hd */
static void test_filter_set_backing_hd_sets_file_child(void **state)
{
    BlockDriverState *f = open_filter("f");
    BlockDriverState *a = open_null("a");
    BlockDriverState *b = open_null("b");
    Error *err = NULL;

    check_ok(bdrv_set_backing_hd(f, a, &err) == 0, &err, "set a");
    expect_true(f->file && f->file->bs == a);
    expect_true(f->backing == NULL);
    if (f->file) {
        expect_true(!strcmp(f->file->name, "file"));
    }
    expect_int(bdrv_set_backing_hd(f, b, &err), 0);
    error_free(err);
    err = NULL;
    expect_true(f->file && f->file->bs == b);
    expect_true(only_child(f, f->file));
    expect_int(bdrv_set_backing_hd(f, NULL, &err), 0);
    expect_true(only_child(f, NULL));
    expect_true(f->file == NULL);
    expect_graph_ok();

    unref_nodes(f, a, b);
    end_test();
}

/* bdrv_append() of a flagged filter: its child is "backing" */
static void test_append_filter_names_child_by_flag(void **state)
{
    BlockDriverState *base = open_null("base");
    BlockDriverState *f = open_backing_filter("f");
    BlockBackend *blk = test_common_new_blk(base, BLK_PERM_CONSISTENT_READ,
                                            BLK_PERM_ALL);
    Error *err = NULL;

    check_ok(bdrv_append(f, base, &err) == 0, &err, "bdrv_append");
    expect_true(blk_bs(blk) == f);
    expect_true(f->backing && f->backing->bs == base);
    expect_true(f->file == NULL);
    if (f->backing) {
        expect_true(!strcmp(f->backing->name, "backing"));
    }
    expect_true(bdrv_filter_bs(f) == base);
    expect_graph_ok();

    /* Dropping the filter goes through the recorded child */
    check_ok(bdrv_drop_filter(f, &err) == 0, &err, "bdrv_drop_filter");
    expect_true(blk_bs(blk) == base);
    expect_true(f->backing == NULL);
    expect_graph_ok();

    blk_unref(blk);
    unref_nodes(f, base);
    end_test();
}

/*
 * Several primary children: bs->file is the first one; when it goes, the
 * next one.  A second backing child is refused.
 */
static void test_file_is_first_primary_child(void **state)
{
    BlockDriverState *p = open_test("p");
    BlockDriverState *a = open_null("a");
    BlockDriverState *b = open_null("b");
    BlockDriverState *c = open_null("c");
    Error *err = NULL;
    BdrvChild *ca, *cb;

    bdrv_ref(a);
    ca = test_common_attach(p, a, "file", BDRV_CHILD_IMAGE |
                                          BDRV_CHILD_PRIMARY);
    bdrv_ref(b);
    cb = test_common_attach(p, b, "other", BDRV_CHILD_DATA |
                                           BDRV_CHILD_PRIMARY);
    expect_true(p->file == ca);
    expect_graph_ok();
    bdrv_unref_child(p, ca);
    expect_true(p->file == cb);
    expect_graph_ok();

    check_ok(bdrv_set_backing_hd(p, c, &err) == 0, &err, "set c");
    bdrv_ref(a);
    expect_true(bdrv_attach_child(p, a, "cow", &child_of_bds, BDRV_CHILD_COW,
                                  &err) == NULL);
    expect_true(err && strstr(error_get_pretty(err),
                              "Node 'p' already has a backing child"));
    error_free(err);
    expect_true(p->backing && p->backing->bs == c);
    expect_int(count_parents(a), 0);
    expect_graph_ok();

    unref_nodes(p, a, b, c);
    end_test();
}

/* The checker compares bs->file / bs->backing with the edges' roles */
static void test_checker_reports_file_backing_not_matching_roles(void **state)
{
    BlockDriverState *top = open_test("top");
    BlockDriverState *a = open_null("a");
    BlockDriverState *b = open_null("b");
    Error *err = NULL;
    BdrvChild *saved;

    bdrv_ref(a);
    test_common_attach(top, a, "file", BDRV_CHILD_IMAGE | BDRV_CHILD_PRIMARY);
    check_ok(bdrv_set_backing_hd(top, b, &err) == 0, &err, "set b");
    graph_ok("the consistent graph");

    saved = top->backing;
    top->backing = NULL;
    expect_int(bdrv_debug_check_graph(&err), -EINVAL);
    expect_true(err && strstr(error_get_pretty(err), "'top'") &&
                strstr(error_get_pretty(err), "backing"));
    error_free(err);
    err = NULL;
    top->backing = saved;

    saved = top->file;
    top->file = top->backing;
    expect_int(bdrv_debug_check_graph(&err), -EINVAL);
    expect_true(err && strstr(error_get_pretty(err), "'top'") &&
                strstr(error_get_pretty(err), "file"));
    error_free(err);
    err = NULL;
    top->file = saved;
    expect_graph_ok();

    unref_nodes(top, a, b);
    end_test();
}

/* ---- item: a failed refresh while an edge goes away is aborted --------- */

/*
 * t has two readers and a child u.  When one reader goes away the refresh
 * reaches u, whose driver refuses: the transaction is aborted, so t's
 * driver is not told a permission change that did not happen and t's
 * edge to u keeps what u holds.
 */
static void test_root_unref_child_aborts_failed_refresh(void **state)
{
    BlockDriverState *t = open_test("t");
    BlockDriverState *u = open_test("u");
    BlockBackend *r1, *r2;
    int set_perm_before;
    uint64_t edge_perm;
    Error *err = NULL;

    bdrv_ref(u);
    test_common_attach(t, u, "file", BDRV_CHILD_IMAGE | BDRV_CHILD_PRIMARY);
    r1 = test_common_new_blk(t, BLK_PERM_CONSISTENT_READ | BLK_PERM_WRITE,
                             BLK_PERM_ALL);
    r2 = test_common_new_blk(t, BLK_PERM_CONSISTENT_READ, BLK_PERM_ALL);
    edge_perm = t->file->perm;
    test_driver_fail_perm(u, BLK_PERM_CONSISTENT_READ);
    set_perm_before = test_driver_counters(t)->set_perm;

    blk_unref(r1);
    expect_int(test_driver_counters(t)->set_perm, set_perm_before);
    expect_int(t->file->perm, edge_perm);
    expect_int(t->file->perm, u->cur_perm);

    /* Once u accepts again, a refresh makes everything consistent */
    test_driver_fail_perm(u, 0);
    check_ok(bdrv_refresh_perms(t, NULL, &err) == 0, &err, "refresh");
    expect_graph_ok();

    blk_unref(r2);
    unref_nodes(t, u);
    end_test();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_cycle_check_visits_each_node_once),
        T(test_cycle_check_completes_on_40_stacked_diamonds),
        T(test_set_backing_hd_null_refreshes_old_backing_perms),
        T(test_set_backing_hd_null_releases_old_backing_locks),
        T(test_filter_backing_child_recorded_by_flag),
        T(test_filter_set_backing_hd_sets_file_child),
        T(test_append_filter_names_child_by_flag),
        T(test_file_is_first_primary_child),
        T(test_checker_reports_file_backing_not_matching_roles),
        T(test_root_unref_child_aborts_failed_refresh),
    };

    return test_common_run_group(tests, test_common_group_setup, NULL);
}
