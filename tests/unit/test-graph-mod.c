/*
 * Unit tests of graph changes (block/core/child.c, graph-ops.c):
 * bdrv_attach_child, bdrv_unref_child, bdrv_set_backing_hd, bdrv_append,
 * bdrv_replace_node, bdrv_replace_child_bs, bdrv_drop_filter; cycle
 * refusal, duplicate child names, frozen edges, reference counting.
 *
 * REFERENCE.md behaviours 16 (no loops on append/replace) and 17 (the
 * node being replaced does not block its replacement) have tests here;
 * the permission side of 15-20 is in test-perms.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "block/test-driver.h"
#include "test-common.h"

/* ---- helpers ------------------------------------------------------------ */

static BlockDriverState *open_filter(const char *name)
{
    return test_common_open_local(&test_common_filter_drv, name, BDRV_O_RDWR);
}

/* The edge takes the caller's reference */
static BdrvChild *attach(BlockDriverState *parent, BlockDriverState *child,
                         const char *name, BdrvChildRole role)
{
    BdrvChild *c = test_common_attach(parent, child, name, role);

    note_graph("bdrv_attach_child");
    return c;
}

/* @child becomes @parent's "file" child, with a new reference */
static BdrvChild *attach_file_ref(BlockDriverState *parent,
                                  BlockDriverState *child)
{
    bdrv_ref(child);
    return attach(parent, child, "file", BDRV_CHILD_IMAGE | BDRV_CHILD_PRIMARY);
}

/* The same for filter @f's filtered child */
static BdrvChild *attach_filtered_ref(BlockDriverState *f,
                                      BlockDriverState *child)
{
    bdrv_ref(child);
    return attach(f, child, "file", BDRV_CHILD_FILTERED | BDRV_CHILD_PRIMARY);
}

/* A backend reading @bs, sharing everything */
static BlockBackend *new_reader_blk(BlockDriverState *bs)
{
    return test_common_new_blk(bs, BLK_PERM_CONSISTENT_READ, BLK_PERM_ALL);
}

static int count_children(BlockDriverState *bs)
{
    BdrvChild *c;
    int n = 0;

    QLIST_FOREACH(c, &bs->children, next) {
        n++;
    }
    return n;
}

static void check_parent_count(BlockDriverState *bs, int expected)
{
    int n = count_parents(bs);

    if (n != expected) {
        fail_msg("Node '%s' has %d parent edges, expected %d",
                 bdrv_get_node_name(bs), n, expected);
    }
}

/* Every test leaves a consistent graph and frees every node it made */
static int group_setup(void **state)
{
    test_common_init(TEST_COMMON_STEP_CHECKS | TEST_COMMON_NO_BACKEND |
                     TEST_COMMON_NO_DRAIN_ALL);
    return 0;
}

/* ---- bdrv_attach_child / bdrv_unref_child ------------------------------ */

static void test_attach_child_file(void **state)
{
    BlockDriverState *p = open_test("p");
    BlockDriverState *base = open_null("base");
    BdrvChild *c;

    c = attach_file_ref(p, base);
    assert_ptr_equal(c->bs, base);
    assert_ptr_equal(c->opaque, p);
    assert_string_equal(c->name, "file");
    assert_int_equal(c->role, BDRV_CHILD_IMAGE | BDRV_CHILD_PRIMARY);
    assert_ptr_equal(p->file, c);
    assert_null(p->backing);
    assert_ptr_equal(QLIST_FIRST(&base->parents), c);
    assert_ptr_equal(QLIST_FIRST(&p->children), c);
    assert_ptr_equal(bdrv_primary_child(p), c);
    check_refcnt(base, 2);

    /* The attach refreshed permissions: a writable format's metadata */
    assert_int_equal(c->perm, BLK_PERM_CONSISTENT_READ | BLK_PERM_WRITE |
                              BLK_PERM_RESIZE);
    assert_int_equal(base->cur_perm, c->perm);

    bdrv_unref_child(p, c);
    assert_null(p->file);
    assert_true(QLIST_EMPTY(&p->children));
    check_parent_count(base, 0);
    check_refcnt(base, 1);
    /* Dropping the edge relaxed the child's permissions again */
    assert_int_equal(base->cur_perm, 0);

    unref_nodes(base, p);
}

static void test_attach_child_cow_sets_backing(void **state)
{
    BlockDriverState *top = open_test("top");
    BlockDriverState *base = open_null("base");
    BdrvChild *c = attach(top, base, "backing", BDRV_CHILD_COW);

    assert_ptr_equal(top->backing, c);
    assert_null(top->file);
    assert_ptr_equal(bdrv_cow_bs(top), base);
    assert_ptr_equal(bdrv_filter_or_cow_bs(top), base);
    assert_true(bdrv_chain_contains(top, base));
    assert_false(bdrv_chain_contains(base, top));
    /* The only reference was given to the edge: unref top frees both */
    check_refcnt(base, 1);
    bdrv_unref(top);
    assert_null(bdrv_find_node("base"));
}

/* Children are kept in the order they were attached */
static void test_attach_child_order(void **state)
{
    BlockDriverState *p = open_test("p");
    const char *names[] = { "c0", "c1", "c2" };
    BdrvChild *c;
    int i = 0;

    for (int k = 0; k < 3; k++) {
        attach(p, open_null(names[k]), names[k], BDRV_CHILD_DATA);
    }
    QLIST_FOREACH(c, &p->children, next) {
        assert_string_equal(c->name, names[i]);
        assert_string_equal(bdrv_get_node_name(c->bs), names[i]);
        i++;
    }
    assert_int_equal(i, 3);
    bdrv_unref(p);
}

static void test_attach_child_duplicate_name(void **state)
{
    BlockDriverState *p = open_test("p");
    BlockDriverState *b2 = open_null("b2");
    Error *err = NULL;
    BdrvChild *first;

    first = attach(p, open_null("b1"), "file",
                   BDRV_CHILD_IMAGE | BDRV_CHILD_PRIMARY);
    bdrv_ref(b2);
    assert_null(bdrv_attach_child(p, b2, "file", &child_of_bds,
                                  BDRV_CHILD_DATA, &err));
    check_error(&err, "Node 'p' already has a child named 'file'");
    /* Nothing changed, and the reference given to the call was dropped */
    assert_int_equal(count_children(p), 1);
    assert_ptr_equal(p->file, first);
    check_refcnt(b2, 1);
    check_parent_count(b2, 0);
    unref_nodes(b2, p);
}

static void test_attach_child_second_backing(void **state)
{
    BlockDriverState *top = open_test("top");
    BlockDriverState *b2 = open_null("b2");
    Error *err = NULL;

    attach(top, open_null("b1"), "backing", BDRV_CHILD_COW);
    bdrv_ref(b2);
    assert_null(bdrv_attach_child(top, b2, "other-backing", &child_of_bds,
                                  BDRV_CHILD_COW, &err));
    check_error(&err, "Node 'top' already has a backing child");
    assert_string_equal(bdrv_get_node_name(top->backing->bs), "b1");
    check_refcnt(b2, 1);
    unref_nodes(b2, top);
}

static void test_attach_child_cycles(void **state)
{
    BlockDriverState *a = open_test("a");
    BlockDriverState *b = open_test("b");
    BlockDriverState *c = open_test("c");
    Error *err = NULL;

    attach_file_ref(a, b);
    attach_file_ref(b, c);

    /* Direct: a -> b -> a */
    bdrv_ref(a);
    assert_null(bdrv_attach_child(b, a, "backing", &child_of_bds,
                                  BDRV_CHILD_COW, &err));
    check_error(&err, "Making 'a' a backing child of 'b' would create a "
                      "cycle");
    /* Indirect: a -> b -> c -> a */
    bdrv_ref(a);
    assert_null(bdrv_attach_child(c, a, "data", &child_of_bds,
                                  BDRV_CHILD_DATA, &err));
    check_error(&err, "Making 'a' a data child of 'c' would create a cycle");
    /* A node under itself */
    bdrv_ref(c);
    assert_null(bdrv_attach_child(c, c, "self", &child_of_bds,
                                  BDRV_CHILD_DATA, &err));
    check_error(&err, "Making 'c' a self child of 'c' would create a cycle");

    /* Every failed attach dropped exactly the reference it was given */
    check_refcnt(a, 1);
    check_refcnt(b, 2);
    check_refcnt(c, 2);
    assert_null(b->backing);
    assert_int_equal(count_children(c), 0);

    unref_nodes(a, b, c);
}

/* A failed attach drops the child's reference, freeing an orphan */
static void test_attach_failure_frees_orphan(void **state)
{
    BlockDriverState *p = open_test("p");
    Error *err = NULL;
    int nodes;

    attach(p, open_null("b1"), "file", BDRV_CHILD_IMAGE | BDRV_CHILD_PRIMARY);
    nodes = bdrv_debug_node_count();
    open_null("orphan");
    assert_int_equal(bdrv_debug_node_count(), nodes + 1);
    assert_null(bdrv_attach_child(p, bdrv_find_node("orphan"), "file",
                                  &child_of_bds, BDRV_CHILD_DATA, &err));
    check_error(&err, "Node 'p' already has a child named 'file'");
    assert_null(bdrv_find_node("orphan"));
    assert_int_equal(bdrv_debug_node_count(), nodes);

    /* Same when the permission refresh, not the edge step, fails */
    open_node("null-co", "ro", 0);
    assert_null(bdrv_attach_child(p, bdrv_find_node("ro"), "meta",
                                  &child_of_bds, BDRV_CHILD_METADATA, &err));
    check_error(&err, "Block node is read-only");
    assert_null(bdrv_find_node("ro"));
    assert_int_equal(bdrv_debug_node_count(), nodes);
    assert_int_equal(count_children(p), 1);
    bdrv_unref(p);
}

/* A child refused by its driver's permission check is not attached */
static void test_attach_failure_driver_refuses(void **state)
{
    BlockDriverState *p = open_test("p");
    BlockDriverState *t = open_test("t");
    int set_perm_before;
    Error *err = NULL;

    test_driver_fail_perm(t, BLK_PERM_WRITE);
    set_perm_before = test_driver_counters(t)->set_perm;
    bdrv_ref(t);
    assert_null(bdrv_attach_child(p, t, "file", &child_of_bds,
                                  BDRV_CHILD_IMAGE | BDRV_CHILD_PRIMARY,
                                  &err));
    check_error(&err, "Test driver refuses permission 'write' on node 't'");
    check_refcnt(t, 1);
    check_parent_count(t, 0);
    assert_null(p->file);
    assert_int_equal(test_driver_counters(t)->set_perm, set_perm_before);
    unref_nodes(t, p);
}

/* Removing one of two edges to a shared child keeps it alive */
static void test_unref_child_shared(void **state)
{
    BlockDriverState *a = open_test("a");
    BlockDriverState *b = open_test("b");
    BlockDriverState *base = open_null("base");
    BdrvChild *ca, *cb;
    int nodes;

    ca = attach(a, base, "backing", BDRV_CHILD_COW);
    bdrv_ref(base);
    cb = attach(b, base, "backing", BDRV_CHILD_COW);
    check_refcnt(base, 2);
    check_parent_count(base, 2);

    bdrv_unref_child(a, ca);
    assert_null(a->backing);
    check_refcnt(base, 1);
    check_parent_count(base, 1);
    assert_ptr_equal(QLIST_FIRST(&base->parents), cb);

    nodes = bdrv_debug_node_count();
    bdrv_unref_child(b, cb);
    assert_int_equal(bdrv_debug_node_count(), nodes - 1);
    assert_null(bdrv_find_node("base"));
    bdrv_unref_child(b, NULL); /* a no-op */

    unref_nodes(a, b);
}

/* ---- bdrv_set_backing_hd ----------------------------------------------- */

static void test_set_backing_hd(void **state)
{
    BlockDriverState *top = open_test("top");
    BlockDriverState *b1 = open_null("b1");
    BlockDriverState *b2 = open_null("b2");
    Error *err = NULL;

    check_ok(bdrv_set_backing_hd(top, b1, &err) == 0, &err, "set b1");
    assert_non_null(top->backing);
    assert_ptr_equal(top->backing->bs, b1);
    assert_string_equal(top->backing->name, "backing");
    assert_true(top->backing->role & BDRV_CHILD_COW);
    /* The caller keeps its reference; the edge has its own */
    check_refcnt(b1, 2);

    check_ok(bdrv_set_backing_hd(top, b2, &err) == 0, &err, "set b2");
    assert_ptr_equal(top->backing->bs, b2);
    assert_int_equal(count_children(top), 1);
    check_refcnt(b1, 1);
    check_parent_count(b1, 0);
    check_refcnt(b2, 2);

    check_ok(bdrv_set_backing_hd(top, NULL, &err) == 0, &err, "set NULL");
    assert_null(top->backing);
    assert_int_equal(count_children(top), 0);
    check_refcnt(b2, 1);
    assert_int_equal(top->quiesce_counter, 0);

    unref_nodes(b1, b2, top);
}

static void test_set_backing_hd_errors(void **state)
{
    BlockDriverState *top = open_test("top");
    BlockDriverState *mid = open_test("mid");
    BlockDriverState *b1 = open_null("b1");
    BlockDriverState *b2 = open_null("b2");
    Error *err = NULL;

    /* A protocol node has no backing file */
    assert_int_equal(bdrv_set_backing_hd(b1, b2, &err), -ENOTSUP);
    check_error(&err, "Driver 'null-co' of node 'b1' does not support "
                      "backing files");
    check_refcnt(b2, 1);

    /* top -> mid -> b1; mid's backing may not become top */
    check_ok(bdrv_set_backing_hd(top, mid, &err) == 0, &err, "top->mid");
    check_ok(bdrv_set_backing_hd(mid, b1, &err) == 0, &err, "mid->b1");
    assert_int_equal(bdrv_set_backing_hd(mid, top, &err), -EINVAL);
    check_error(&err, "Making 'top' a backing child of 'mid' would create a "
                      "cycle");
    /* The old backing edge, removed in the same transaction, is back */
    assert_non_null(mid->backing);
    assert_ptr_equal(mid->backing->bs, b1);
    check_refcnt(top, 1);
    check_refcnt(b1, 2);

    /* A frozen backing edge stays */
    mid->backing->frozen = true;
    assert_int_equal(bdrv_set_backing_hd(mid, b2, &err), -EPERM);
    check_error(&err, "Cannot change frozen 'backing' link from 'mid' to "
                      "'b1'");
    assert_int_equal(bdrv_set_backing_hd(mid, NULL, &err), -EPERM);
    error_free(err);
    err = NULL;
    assert_ptr_equal(mid->backing->bs, b1);
    check_refcnt(b2, 1);
    mid->backing->frozen = false;

    unref_nodes(top, mid, b1, b2);
}

/* ---- bdrv_append -------------------------------------------------------- */

/* 16: the overlay's own backing edge is not redirected to itself */
static void test_graph_b16_append_overlay_no_loop(void **state)
{
    BlockDriverState *base = open_null("base");
    BlockDriverState *top = open_test("top");
    BlockBackend *blk = new_reader_blk(base);
    Error *err = NULL;

    check_ok(bdrv_append(top, base, &err) == 0, &err, "bdrv_append");

    assert_ptr_equal(blk_bs(blk), top);
    assert_non_null(top->backing);
    assert_ptr_equal(top->backing->bs, base);
    assert_true(top->backing->role & BDRV_CHILD_COW);
    /* base's only parent is the overlay's edge; top's only is the blk */
    check_parent_count(base, 1);
    assert_ptr_equal(QLIST_FIRST(&base->parents), top->backing);
    check_parent_count(top, 1);
    assert_ptr_equal(QLIST_FIRST(&top->parents), blk_root(blk));
    check_refcnt(base, 2); /* ours + top's edge */
    check_refcnt(top, 2);  /* ours + the blk's edge */
    assert_int_equal(base->quiesce_counter, 0);
    assert_int_equal(top->quiesce_counter, 0);

    blk_unref(blk);
    unref_nodes(base, top);
}

/* A filter is appended with a "file" edge, and node parents move too */
static void test_graph_b16_append_filter_node_parents(void **state)
{
    BlockDriverState *base = open_null("base");
    BlockDriverState *p = open_test("p");
    BlockDriverState *f = open_filter("f");
    BdrvChild *pc;
    Error *err = NULL;

    pc = attach_file_ref(p, base);
    check_ok(bdrv_append(f, base, &err) == 0, &err, "bdrv_append");

    assert_ptr_equal(pc->bs, f);
    assert_ptr_equal(p->file, pc);
    assert_non_null(f->file);
    assert_ptr_equal(f->file->bs, base);
    assert_int_equal(f->file->role, BDRV_CHILD_FILTERED | BDRV_CHILD_PRIMARY);
    assert_null(f->backing);
    assert_ptr_equal(bdrv_filter_bs(f), base);
    assert_ptr_equal(bdrv_skip_filters(f), base);
    check_parent_count(base, 1);
    check_parent_count(f, 1);
    /* p's write permission passes through the filter to base */
    assert_true(f->file->perm & BLK_PERM_WRITE);
    assert_true(base->cur_perm & BLK_PERM_WRITE);

    unref_nodes(p, f, base);
}

static void test_append_errors_leave_graph(void **state)
{
    BlockDriverState *base = open_null("base");
    BlockDriverState *other = open_null("other");
    BlockDriverState *top = open_test("top");
    BlockBackend *blk = new_reader_blk(base);
    Error *err = NULL;

    /* A node without backing support cannot be an overlay */
    assert_int_equal(bdrv_append(other, base, &err), -ENOTSUP);
    check_error(&err, "Driver 'null-co' of node 'other' does not support "
                      "backing files");
    assert_ptr_equal(blk_bs(blk), base);

    /* An overlay that already has a backing child */
    check_ok(bdrv_set_backing_hd(top, other, &err) == 0, &err, "set backing");
    assert_true(bdrv_append(top, base, &err) < 0);
    check_error(&err, "Node 'top' already has a child named 'backing'");
    assert_ptr_equal(blk_bs(blk), base);
    assert_ptr_equal(top->backing->bs, other);
    assert_int_equal(count_children(top), 1);
    check_parent_count(base, 1);
    check_refcnt(base, 2);
    check_refcnt(top, 1);
    assert_int_equal(base->quiesce_counter, 0);
    assert_int_equal(top->quiesce_counter, 0);

    blk_unref(blk);
    unref_nodes(top, other, base);
}

/* ---- bdrv_replace_node -------------------------------------------------- */

static void test_replace_node_moves_all_parents(void **state)
{
    BlockDriverState *a = open_null("a");
    BlockDriverState *b = open_null("b");
    BlockDriverState *p = open_test("p");
    BlockBackend *blk = new_reader_blk(a);
    BdrvChild *pc;
    Error *err = NULL;

    pc = attach_file_ref(p, a);
    check_refcnt(a, 3);

    /* Replacing a node by itself changes nothing */
    check_ok(bdrv_replace_node(a, a, &err) == 0, &err, "replace a by a");
    check_parent_count(a, 2);

    check_ok(bdrv_replace_node(a, b, &err) == 0, &err, "replace a by b");
    assert_ptr_equal(blk_bs(blk), b);
    assert_ptr_equal(pc->bs, b);
    assert_ptr_equal(p->file, pc);
    check_parent_count(a, 0);
    check_parent_count(b, 2);
    check_refcnt(a, 1);
    check_refcnt(b, 3);
    assert_int_equal(a->cur_perm, 0);
    assert_int_equal(b->cur_perm, pc->perm | blk_root(blk)->perm);

    blk_unref(blk);
    unref_nodes(p, a, b);
}

/* 16: replacing base by an overlay of base keeps the overlay's edge */
static void test_graph_b16_replace_node_skips_own_edge(void **state)
{
    BlockDriverState *base = open_null("base");
    BlockDriverState *top = open_test("top");
    BlockBackend *blk = new_reader_blk(base);
    Error *err = NULL;

    check_ok(bdrv_set_backing_hd(top, base, &err) == 0, &err, "set backing");
    check_parent_count(base, 2);

    check_ok(bdrv_replace_node(base, top, &err) == 0, &err, "replace");
    assert_ptr_equal(blk_bs(blk), top);
    assert_ptr_equal(top->backing->bs, base);
    check_parent_count(base, 1);
    check_parent_count(top, 1);

    blk_unref(blk);
    unref_nodes(top, base);
}

/* A frozen parent edge blocks the whole replacement, before any move */
static void test_replace_node_frozen_parent(void **state)
{
    BlockDriverState *a = open_null("a");
    BlockDriverState *b = open_null("b");
    BlockDriverState *p = open_test("p");
    BlockBackend *blk = new_reader_blk(a);
    BdrvChild *pc;
    Error *err = NULL;

    pc = attach_file_ref(p, a);
    pc->frozen = true;

    assert_int_equal(bdrv_replace_node(a, b, &err), -EPERM);
    check_error(&err, "Cannot change 'file' link from 'a' to 'b'");
    assert_ptr_equal(blk_bs(blk), a);
    assert_ptr_equal(pc->bs, a);
    check_parent_count(b, 0);
    check_refcnt(a, 3);
    check_refcnt(b, 1);
    assert_int_equal(a->quiesce_counter, 0);
    assert_int_equal(b->quiesce_counter, 0);

    pc->frozen = false;
    blk_unref(blk);
    unref_nodes(p, a, b);
}

/* 17: the old node's own child edges do not block the replacement */
static void test_graph_b17_replace_filter_over_shared_base(void **state)
{
    BlockDriverState *base = open_null("base");
    BlockDriverState *fa = open_filter("fa");
    BlockDriverState *fb = open_filter("fb");
    BlockBackend *blk;
    Error *err = NULL;

    attach_filtered_ref(fa, base);
    attach_filtered_ref(fb, base);
    blk = test_common_new_blk(fa, BLK_PERM_CONSISTENT_READ | BLK_PERM_WRITE,
                              BLK_PERM_ALL & ~BLK_PERM_WRITE);
    assert_true(fa->file->perm & BLK_PERM_WRITE);

    check_ok(bdrv_replace_node(fa, fb, &err) == 0, &err, "replace fa by fb");
    assert_ptr_equal(blk_bs(blk), fb);
    /* fa keeps its child edge, which no longer asks for anything */
    assert_ptr_equal(fa->file->bs, base);
    assert_int_equal(fa->file->perm, 0);
    assert_int_equal(fb->file->perm,
                     BLK_PERM_CONSISTENT_READ | BLK_PERM_WRITE);
    assert_false(fb->file->shared_perm & BLK_PERM_WRITE);
    check_refcnt(fa, 1);

    blk_unref(blk);
    unref_nodes(fa, fb, base);
}

/* ---- bdrv_replace_child_bs ---------------------------------------------- */

static void test_replace_child_bs(void **state)
{
    BlockDriverState *p = open_test("p");
    BlockDriverState *a = open_null("a");
    BlockDriverState *b = open_null("b");
    BlockDriverState *q = open_test("q");
    BdrvChild *c;
    Error *err = NULL;

    c = attach_file_ref(p, a);
    check_refcnt(a, 2);

    check_ok(bdrv_replace_child_bs(c, b, &err) == 0, &err, "a -> b");
    assert_ptr_equal(c->bs, b);
    assert_ptr_equal(p->file, c);
    check_refcnt(a, 1);
    check_refcnt(b, 2);
    check_parent_count(a, 0);
    assert_int_equal(b->cur_perm, c->perm);
    assert_int_equal(a->cur_perm, 0);

    /* q -> p: p's child may not become q */
    check_ok(bdrv_set_backing_hd(q, p, &err) == 0, &err, "q -> p");
    assert_int_equal(bdrv_replace_child_bs(c, q, &err), -EINVAL);
    check_error(&err, "Making 'q' a child of 'p' would create a cycle");
    assert_ptr_equal(c->bs, b);
    check_refcnt(q, 1);

    /* A frozen edge stays */
    c->frozen = true;
    assert_int_equal(bdrv_replace_child_bs(c, a, &err), -EPERM);
    check_error(&err, "Cannot change 'file' link from 'b' to 'a'");
    assert_ptr_equal(c->bs, b);
    check_refcnt(a, 1);
    c->frozen = false;

    unref_nodes(q, p, a, b);
}

/* ---- bdrv_drop_filter --------------------------------------------------- */

/*
 * The filter's parents move to its child and its edge goes away.
 */
static void test_drop_filter(void **state)
{
    BlockDriverState *base = open_null("base");
    BlockDriverState *f = open_filter("f");
    BlockBackend *blk = test_common_new_blk(
        base, BLK_PERM_CONSISTENT_READ | BLK_PERM_WRITE, BLK_PERM_ALL);
    Error *err = NULL;

    check_ok(bdrv_append(f, base, &err) == 0, &err, "bdrv_append");
    assert_ptr_equal(blk_bs(blk), f);
    check_refcnt(base, 2);

    check_ok(bdrv_drop_filter(f, &err) == 0, &err, "bdrv_drop_filter");
    assert_ptr_equal(blk_bs(blk), base);
    assert_null(f->file);
    assert_true(QLIST_EMPTY(&f->children));
    check_parent_count(f, 0);
    check_parent_count(base, 1);
    check_refcnt(f, 1);
    check_refcnt(base, 2); /* ours + blk */
    assert_int_equal(f->quiesce_counter, 0);
    assert_int_equal(base->quiesce_counter, 0);

    /* Neither a filter nor an overlay */
    assert_int_equal(bdrv_drop_filter(f, &err), -EINVAL);
    check_error(&err, "Node 'f' is not a filter and has no backing file");
    assert_int_equal(bdrv_drop_filter(base, &err), -EINVAL);
    check_error(&err, "Node 'base' is not a filter and has no backing "
                      "file");

    blk_unref(blk);
    unref_nodes(f, base);
}

/*
 * An overlay is dropped like a filter: its parents go to the backing.
 */
static void test_drop_filter_overlay(void **state)
{
    BlockDriverState *base = open_null("base");
    BlockDriverState *top = open_test("top");
    BlockBackend *blk = new_reader_blk(base);
    Error *err = NULL;

    check_ok(bdrv_append(top, base, &err) == 0, &err, "bdrv_append");
    check_ok(bdrv_drop_filter(top, &err) == 0, &err, "bdrv_drop_filter");
    assert_ptr_equal(blk_bs(blk), base);
    assert_null(top->backing);
    check_parent_count(base, 1);
    check_refcnt(top, 1);

    blk_unref(blk);
    unref_nodes(top, base);
}

static void test_drop_filter_frozen_parent(void **state)
{
    BlockDriverState *base = open_null("base");
    BlockDriverState *f = open_filter("f");
    BlockDriverState *p = open_test("p");
    BdrvChild *pc;
    Error *err = NULL;

    attach_filtered_ref(f, base);
    pc = attach_file_ref(p, f);
    pc->frozen = true;

    assert_int_equal(bdrv_drop_filter(f, &err), -EPERM);
    check_error(&err, "Cannot change 'file' link from 'f' to 'base'");
    assert_ptr_equal(pc->bs, f);
    assert_ptr_equal(f->file->bs, base);
    check_refcnt(base, 2);
    check_refcnt(f, 2);

    pc->frozen = false;
    unref_nodes(p, f, base);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_attach_child_file),
        T(test_attach_child_cow_sets_backing),
        T(test_attach_child_order),
        T(test_attach_child_duplicate_name),
        T(test_attach_child_second_backing),
        T(test_attach_child_cycles),
        T(test_attach_failure_frees_orphan),
        T(test_attach_failure_driver_refuses),
        T(test_unref_child_shared),
        T(test_set_backing_hd),
        T(test_set_backing_hd_errors),
        T(test_graph_b16_append_overlay_no_loop),
        T(test_graph_b16_append_filter_node_parents),
        T(test_append_errors_leave_graph),
        T(test_replace_node_moves_all_parents),
        T(test_graph_b16_replace_node_skips_own_edge),
        T(test_replace_node_frozen_parent),
        T(test_graph_b17_replace_filter_over_shared_base),
        T(test_replace_child_bs),
        T(test_drop_filter),
        T(test_drop_filter_overlay),
        T(test_drop_filter_frozen_parent),
    };

    return test_common_run_group(tests, group_setup, NULL);
}
