/*
 * Unit tests of drain (block/core/drain.c) that change the graph from drain
 * callbacks: nodes detached or deleted by a drain hook (REFERENCE.md
 * behaviour 9), graph changes scheduled from a parent's drained_begin
 * callback (10), and drained_end's single poll after every end (12).  Test
 * names carry the behaviour number ("bNN"); the rest of drain is covered by
 * test-drain.c, and the helpers both share are in drain-common.h.
 *
 * Nodes are "test" driver nodes (drain hook counters and a drain hook that
 * runs test code); "test parents" are edges of a parent class defined here,
 * so that a test can run code from a parent's drained_begin/drained_end
 * callback.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "drain-common.h"

/* ---- a parent class whose drain callbacks run test code ---------------- */

typedef struct TestParent TestParent;
struct TestParent {
    const char *name;
    BdrvChild *child;
    int begins;
    int ends;
    void (*on_begin)(TestParent *p);
    void (*on_end)(TestParent *p);
    void *opaque;
};

static void test_parent_drained_begin(BdrvChild *c)
{
    TestParent *p = c->opaque;

    p->begins++;
    if (p->on_begin) {
        p->on_begin(p);
    }
}

static void test_parent_drained_end(BdrvChild *c)
{
    TestParent *p = c->opaque;

    p->ends++;
    if (p->on_end) {
        p->on_end(p);
    }
}

static char *test_parent_get_desc(BdrvChild *c)
{
    TestParent *p = c->opaque;

    return g_strdup_printf("test parent '%s'", p->name);
}

static const BdrvChildClass test_parent_class = {
    .get_parent_desc = test_parent_get_desc,
    .drained_begin = test_parent_drained_begin,
    .drained_end = test_parent_drained_end,
};

static void test_parent_attach(TestParent *p, const char *name,
                               BlockDriverState *bs)
{
    Error *err = NULL;

    p->name = name;
    bdrv_ref(bs);
    p->child =
        bdrv_root_attach_child(bs, name, &test_parent_class, BDRV_CHILD_DATA, 0,
                               BLK_PERM_ALL, p, &err);
    if (!p->child) {
        fail_msg("Attaching test parent '%s' to '%s' failed: %s", name,
                 bdrv_get_node_name(bs), error_get_pretty(err));
    }
}

static void test_parent_detach(TestParent *p)
{
    BdrvChild *c = p->child;

    if (c) {
        p->child = NULL; /* before: callbacks run during the detach */
        bdrv_root_unref_child(c);
    }
}
static bool node_has_parent(BlockDriverState *bs, BdrvChild *edge)
{
    BdrvChild *c;

    QLIST_FOREACH (c, &bs->parents, next_parent) {
        if (c == edge) {
            return true;
        }
    }
    return false;
}

/* ---- 9: nodes detached or deleted by a drain hook ---------------------- */

typedef struct DetachOnDrain {
    BlockDriverState *parent;
    bool scheduled;
    bool ran;
} DetachOnDrain;

static void detach_file_bh(void *opaque)
{
    DetachOnDrain *d = opaque;

    bdrv_unref_child(d->parent, d->parent->file);
    d->ran = true;
}

/* The test driver's drain hook: detach the node's "file" later, once */
static void detach_file_hook(BlockDriverState *bs, void *opaque)
{
    DetachOnDrain *d = opaque;

    if (!d->scheduled) {
        d->scheduled = true;
        aio_bh_schedule_oneshot(main_ctx(), detach_file_bh, d);
    }
}

static void test_drain_b09_hook_deletes_child(void **state)
{
    BlockDriverState *p = open_test("b09-parent");
    BlockDriverState *c = open_test("b09-child");
    BlockBackend *blk = new_blk(p);
    DetachOnDrain d = {.parent = p};

    attach(p, c, "file");
    bdrv_unref(c); /* the edge holds the only reference */
    test_driver_set_drain_hook(p, detach_file_hook, &d);

    bdrv_drained_begin(p);
    poll_until(&d.ran, "the BH detaching 'b09-child'");
    expect_true(p->file == NULL);
    expect_true(QLIST_EMPTY(&p->children));
    expect_node_count(1);
    expect_quiesce(p, 1);
    expect_graph_ok();
    bdrv_drained_end(p);
    expect_all_undrained();
    expect_hooks(p, 1, 1);

    test_driver_set_drain_hook(p, NULL, NULL);
    blk_unref(blk);
    bdrv_unref(p);
    end_test();
}

/* The parent, quiesced through the edge, detaches the drained child */
static void test_drain_b09_parent_hook_detaches_drained_child(void **state)
{
    BlockDriverState *p = open_test("b09p-parent");
    BlockDriverState *c = open_test("b09p-child");
    DetachOnDrain d = {.parent = p};

    attach(p, c, "file");
    test_driver_set_drain_hook(p, detach_file_hook, &d);

    bdrv_drained_begin(c);
    poll_until(&d.ran, "the BH detaching 'b09p-child'");
    expect_int(parent_count(c), 0);
    expect_true(QLIST_EMPTY(&p->children));
    expect_quiesce(c, 1);
    expect_quiesce(p, 0); /* its only reason to be quiesced went away */
    expect_hooks(p, 1, 1);
    expect_graph_ok();
    bdrv_drained_end(c);
    expect_all_undrained();
    expect_hooks(p, 1, 1); /* not ended a second time */
    expect_hooks(c, 1, 1);

    test_driver_set_drain_hook(p, NULL, NULL);
    unref_nodes(p, c);
    end_test();
}

static void test_drain_b09_drain_all_hook_deletes_node(void **state)
{
    BlockDriverState *c = open_test("b09a-child");
    BlockDriverState *p = open_test("b09a-parent");
    DetachOnDrain d = {.parent = p};

    attach(p, c, "file");
    bdrv_unref(c);
    test_driver_set_drain_hook(p, detach_file_hook, &d);

    bdrv_drain_all_begin();
    poll_until(&d.ran, "the BH deleting 'b09a-child'");
    expect_node_count(1);
    expect_quiesce(p, 1);
    expect_graph_ok();
    bdrv_drain_all_end();
    expect_all_undrained();
    expect_hooks(p, 1, 1);

    test_driver_set_drain_hook(p, NULL, NULL);
    bdrv_unref(p);
    end_test();
}

/* ---- 10: changes from drained_begin callbacks run in the final poll ---- */

/*
 * A callback must not change the graph while the begin recursion runs; it
 * hands the change to bdrv_drain_defer() instead, and the outermost begin
 * runs it after its poll, before drained_begin returns, even when nothing
 * is in flight.
 */

typedef struct Deferred {
    BlockDriverState *p; /* node parent whose edge the change removes */
    TestParent *extra;   /* or: a parent the change attaches */
    BlockDriverState *target;
    bool scheduled;
    bool done;
    int observers; /* callbacks that ran after the scheduling */
    int saw_done;  /* ... and already saw the change */
} Deferred;

static void deferred_change(void *opaque)
{
    Deferred *d = opaque;

    if (d->p) {
        bdrv_unref_child(d->p, d->p->file);
    }
    if (d->extra) {
        test_parent_attach(d->extra, "b10-late", d->target);
    }
    d->done = true;
}

static void deferred_schedule_cb(TestParent *tp)
{
    Deferred *d = tp->opaque;

    if (!d->scheduled) {
        d->scheduled = true;
        bdrv_drain_defer(deferred_change, d);
    }
}

static void deferred_observe(Deferred *d)
{
    if (d->scheduled) {
        d->observers++;
        d->saw_done += d->done;
    }
}

static void deferred_observe_cb(TestParent *tp)
{
    deferred_observe(tp->opaque);
}

static void deferred_observe_hook(BlockDriverState *bs, void *opaque)
{
    deferred_observe(opaque);
}

static void test_drain_b10_begin_cb_change_deferred(void **state)
{
    BlockDriverState *p = open_test("b10-parent");
    BlockDriverState *c = open_test("b10-child");
    Deferred d = {.p = p};
    TestParent a = {.on_begin = deferred_schedule_cb, .opaque = &d};
    TestParent b = {.on_begin = deferred_observe_cb, .opaque = &d};
    bool done_at_return;

    attach(p, c, "file");
    /* c's parents, in callback order: a, b, then p's edge */
    test_parent_attach(&b, "b10-observer", c);
    test_parent_attach(&a, "b10-changer", c);
    test_driver_set_drain_hook(p, deferred_observe_hook, &d);

    bdrv_drained_begin(c);
    done_at_return = d.done;
    if (!poll_for(&d.done)) { /* run it anyway, then judge */
        EXPECT_FAIL("the graph change scheduled by 'b10-changer' never ran");
    }
    test_driver_set_drain_hook(p, NULL, NULL);

    expect_int(d.observers, 2);
    if (d.saw_done) {
        EXPECT_FAIL("%d drained_begin callbacks of 'b10-child' ran after the "
                    "graph change they must not see",
                    d.saw_done);
    }
    if (!done_at_return) {
        EXPECT_FAIL("a graph change scheduled from a drained_begin callback of "
                    "'b10-child' had not run when bdrv_drained_begin returned");
    }
    expect_int(parent_count(c), 2);
    expect_quiesce(p, 0);
    expect_hooks(p, 1, 1);
    expect_graph_ok();
    bdrv_drained_end(c);
    expect_int(a.begins, 1);
    expect_int(a.ends, 1);
    expect_int(b.begins, 1);
    expect_int(b.ends, 1);
    expect_all_undrained();

    test_parent_detach(&a);
    test_parent_detach(&b);
    unref_nodes(p, c);
    end_test();
}

/*
 * A parent attached by the deferred change joins the drain at once; the
 * change runs in the poll that ends bdrv_drained_begin or
 * bdrv_drain_all_begin.
 */
static void check_attach_from_cb(bool all)
{
    const char *begin_fn = all ? "bdrv_drain_all_begin" : "bdrv_drained_begin";
    BlockDriverState *c = open_test(all ? "b10all-child" : "b10a-child");
    TestParent late = {0};
    Deferred d = {.extra = &late, .target = c};
    TestParent a = {.on_begin = deferred_schedule_cb, .opaque = &d};
    bool done_at_return;

    test_parent_attach(&a, "b10a-changer", c);
    drain_begin_kind(all, c);
    done_at_return = d.done;
    if (!poll_for(&d.done)) {
        EXPECT_FAIL("the attach scheduled by 'b10a-changer' never ran");
    }
    if (!done_at_return) {
        EXPECT_FAIL("a parent attach scheduled from a drained_begin callback "
                    "of '%s' had not run when %s returned",
                    bdrv_get_node_name(c), begin_fn);
    }
    expect_true(late.child && late.child->quiesced_parent);
    expect_int(late.begins, 1);
    expect_graph_ok();
    drain_end_kind(all, c);
    expect_int(late.ends, 1);
    expect_int(a.ends, 1);
    expect_all_undrained();

    test_parent_detach(&late);
    test_parent_detach(&a);
    bdrv_unref(c);
    end_test();
}

static void test_drain_b10_parent_attached_from_cb(void **state)
{
    check_attach_from_cb(false);
}

static void test_drain_b10_drain_all_parent_attached_from_cb(void **state)
{
    check_attach_from_cb(true);
}

/* Outside a drain begin, bdrv_drain_defer() runs the change at once */
static void test_drain_b10_defer_outside_begin_runs_at_once(void **state)
{
    BlockDriverState *p = open_test("b10o-parent");
    BlockDriverState *c = open_test("b10o-child");
    Deferred d = {.p = p};

    attach(p, c, "file");
    bdrv_drain_defer(deferred_change, &d);
    expect_true(d.done);
    expect_int(parent_count(c), 0);

    /* Inside a drained section, but not in a begin: at once too */
    d.done = false;
    d.p = NULL;
    bdrv_drained_begin(c);
    bdrv_drain_defer(deferred_change, &d);
    expect_true(d.done);
    bdrv_drained_end(c);
    expect_all_undrained();
    unref_nodes(p, c);
    end_test();
}

/*
 * A parent attached to a drained node is quiesced by the attach itself: no
 * drain begin polls afterwards, so what its callback deferred runs from
 * the main loop, after the attach has completed.
 */
static void test_drain_b10_defer_from_attach_runs_after_it(void **state)
{
    BlockDriverState *c = open_test("b10q-child");
    TestParent late = {0};
    Deferred d = {.extra = &late, .target = c};
    TestParent a = {.on_begin = deferred_schedule_cb, .opaque = &d};

    bdrv_drained_begin(c);
    test_parent_attach(&a, "b10q-changer", c);
    expect_int(a.begins, 1);
    expect_true(d.scheduled);
    if (d.done) {
        EXPECT_FAIL("a graph change deferred from the drained_begin callback "
                    "of a parent being attached ran inside the attach");
    }
    expect_graph_ok();
    poll_until(&d.done, "the change deferred during the attach");
    expect_true(late.child && late.child->quiesced_parent);
    expect_graph_ok();
    bdrv_drained_end(c);
    expect_int(late.ends, 1);
    expect_all_undrained();

    test_parent_detach(&late);
    test_parent_detach(&a);
    bdrv_unref(c);
    end_test();
}

/* ---- 12: drained_end polls once, after every end ----------------------- */

typedef struct EndState {
    TestParent *victim;
    BlockDriverState *p; /* node parent whose end is observed */
    bool scheduled;
    bool ran;
    int victim_ends_at_bh;
    int p_hook_ends_at_bh;
    bool all_undrained_at_bh;
} EndState;

static bool no_node_quiesced(void)
{
    BlockDriverState *bs = NULL;

    while ((bs = bdrv_next_all_states(bs))) {
        if (bs->quiesce_counter) {
            return false;
        }
    }
    return bdrv_debug_drain_all_count() == 0;
}

static void end_detach_bh(void *opaque)
{
    EndState *e = opaque;

    e->victim_ends_at_bh = e->victim ? e->victim->ends : -1;
    e->p_hook_ends_at_bh = e->p ? test_driver_counters(e->p)->drain_end : -1;
    e->all_undrained_at_bh = no_node_quiesced();
    if (e->victim) {
        test_parent_detach(e->victim);
    }
    e->ran = true;
}

static void end_schedule_cb(TestParent *tp)
{
    EndState *e = tp->opaque;

    if (!e->scheduled) {
        e->scheduled = true;
        aio_bh_schedule_oneshot(main_ctx(), end_detach_bh, e);
    }
}

static void test_drain_b12_end_polls_after_all_ends(void **state)
{
    BlockDriverState *p = open_test("b12-parent");
    BlockDriverState *c = open_test("b12-child");
    EndState e = {.p = p};
    TestParent a = {.on_end = end_schedule_cb, .opaque = &e};
    TestParent b = {0};
    bool ran_at_return;

    attach(p, c, "file");
    test_parent_attach(&b, "b12-victim", c);
    test_parent_attach(&a, "b12-scheduler", c); /* a's end runs first */
    e.victim = &b;

    bdrv_drained_begin(c);
    bdrv_drained_end(c);
    ran_at_return = e.ran;
    if (!poll_for(&e.ran)) {
        EXPECT_FAIL("the BH scheduled from drained_end never ran");
    }
    if (!ran_at_return) {
        EXPECT_FAIL("bdrv_drained_end of 'b12-child' returned without polling "
                    "the BH its parent's drained_end callback scheduled");
    }
    if (e.victim_ends_at_bh != 1 || e.p_hook_ends_at_bh != 1) {
        EXPECT_FAIL("the poll of drained_end ran before every end: at that "
                    "time parent 'b12-victim' had %d ends, node 'b12-parent' "
                    "%d drain_end hooks (expected 1 and 1)",
                    e.victim_ends_at_bh, e.p_hook_ends_at_bh);
    }
    expect_true(e.all_undrained_at_bh);
    expect_true(b.child == NULL);
    expect_int(parent_count(c), 2);
    expect_int(a.ends, 1);
    expect_all_undrained();
    expect_graph_ok();

    test_parent_detach(&a);
    unref_nodes(p, c);
    end_test();
}

/* Detaching edges synchronously from inside a drained_end callback */
typedef struct SyncDetach {
    TestParent *victim;
    BlockDriverState *p;
    bool done;
} SyncDetach;

static void end_sync_detach_cb(TestParent *tp)
{
    SyncDetach *s = tp->opaque;

    if (!s->done) {
        s->done = true;
        test_parent_detach(s->victim);
        if (s->p) {
            bdrv_unref_child(s->p, s->p->file);
        }
    }
}

static void test_drain_b12_end_cb_detaches_edges(void **state)
{
    BlockDriverState *p = open_test("b12s-parent");
    BlockDriverState *c = open_test("b12s-child");
    TestParent b = {0};
    SyncDetach s = {.victim = &b, .p = p};
    TestParent a = {.on_end = end_sync_detach_cb, .opaque = &s};

    attach(p, c, "file");
    test_parent_attach(&b, "b12s-victim", c);
    test_parent_attach(&a, "b12s-detacher", c);

    bdrv_drained_begin(c);
    expect_quiesce(p, 1);
    bdrv_drained_end(c);
    expect_true(s.done);
    expect_true(b.child == NULL);
    expect_int(b.begins, 1);
    expect_int(b.ends, 1);
    expect_int(a.ends, 1);
    expect_int(parent_count(c), 1);
    expect_true(node_has_parent(c, a.child));
    expect_true(QLIST_EMPTY(&p->children));
    expect_hooks(p, 1, 1);
    expect_all_undrained();
    expect_graph_ok();

    test_parent_detach(&a);
    unref_nodes(p, c);
    end_test();
}

/* drain_all_end: a callback drops the last reference of another node */
static void test_drain_b12_drain_all_end_cb_deletes_node(void **state)
{
    BlockDriverState *x1 = open_test("b12a-keep");
    BlockDriverState *x2 = open_test("b12a-gone");
    TestParent b = {0};
    SyncDetach s = {.victim = &b};
    TestParent a = {.on_end = end_sync_detach_cb, .opaque = &s};

    test_parent_attach(&a, "b12a-detacher", x1);
    test_parent_attach(&b, "b12a-owner", x2);
    bdrv_unref(x2); /* b's edge holds the only reference */

    bdrv_drain_all_begin();
    bdrv_drain_all_end();
    expect_true(s.done);
    expect_true(b.child == NULL);
    expect_int(b.begins, 1);
    expect_int(b.ends, 1);
    expect_int(a.ends, 1);
    expect_node_count(1);
    expect_all_undrained();
    expect_graph_ok();

    test_parent_detach(&a);
    bdrv_unref(x1);
    end_test();
}

/* drain_all_end's poll comes after the end of the last node */
static void test_drain_b12_drain_all_end_polls_after_all_ends(void **state)
{
    BlockDriverState *first = open_test("b12p-first");
    BlockDriverState *mid = open_test("b12p-mid");
    BlockDriverState *last = open_test("b12p-last");
    EndState e = {.p = last};
    TestParent w = {.on_end = end_schedule_cb, .opaque = &e};
    bool ran_at_return;

    attach(mid, last, "file");
    test_parent_attach(&w, "b12p-watcher", first);

    bdrv_drain_all_begin();
    bdrv_drain_all_end();
    ran_at_return = e.ran;
    if (!poll_for(&e.ran)) {
        EXPECT_FAIL("the BH scheduled from drain_all_end never ran");
    }
    if (!ran_at_return) {
        EXPECT_FAIL("bdrv_drain_all_end returned without polling the BH a "
                    "drained_end callback of 'b12p-first' scheduled");
    }
    if (!e.all_undrained_at_bh || e.p_hook_ends_at_bh != 1) {
        EXPECT_FAIL("the poll of drain_all_end ran before every end: nodes "
                    "%s quiesced, 'b12p-last' had %d drain_end hooks",
                    e.all_undrained_at_bh ? "were not" : "were still",
                    e.p_hook_ends_at_bh);
    }
    expect_all_undrained();

    test_parent_detach(&w);
    unref_nodes(first, mid, last);
    end_test();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_drain_b09_hook_deletes_child),
        T(test_drain_b09_parent_hook_detaches_drained_child),
        T(test_drain_b09_drain_all_hook_deletes_node),
        T(test_drain_b10_begin_cb_change_deferred),
        T(test_drain_b10_parent_attached_from_cb),
        T(test_drain_b10_drain_all_parent_attached_from_cb),
        T(test_drain_b10_defer_outside_begin_runs_at_once),
        T(test_drain_b10_defer_from_attach_runs_after_it),
        T(test_drain_b12_end_polls_after_all_ends),
        T(test_drain_b12_end_cb_detaches_edges),
        T(test_drain_b12_drain_all_end_cb_deletes_node),
        T(test_drain_b12_drain_all_end_polls_after_all_ends),
    };

    return test_common_run_group(tests, drain_common_group_setup, NULL);
}
