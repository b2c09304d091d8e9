/*
 * bdrv_drop_intermediate: the nodes from top down to base (exclusive) leave
 * the chain, top's parents point at base, and the overlays record the new
 * backing file name (through the format; a read-only overlay is reopened
 * read-write for it).  A frozen link or a base that is not below top is
 * refused with the graph unchanged.  REFERENCE behaviour 13: the chain is
 * drained, and a filename-update callback that removes another edge
 * cannot make the iteration touch a freed edge.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "test-common.h"
#include "chain_format.h"
#include "block/driver.h"

/* a -> b -> c written in headers, relative names; returns a opened */
static BlockDriverState *chain3(const char *prefix, int flags)
{
    g_autofree char *a = g_strdup_printf("%sa.img", prefix);
    g_autofree char *b = g_strdup_printf("%sb.img", prefix);
    g_autofree char *c = g_strdup_printf("%sc.img", prefix);
    g_autofree char *pa = tmp_path(a), *pb = tmp_path(b), *pc = tmp_path(c);
    Error *err = NULL;
    BlockDriverState *top;

    chain_format_create(pc, NULL, 4096);
    chain_format_create(pb, c, 4096);
    chain_format_create(pa, b, 4096);
    top = chain_format_open(pa, "a", flags, &err);
    check_ok(top != NULL, &err, "open chain");
    return top;
}

static void test_drop_intermediate_updates_overlay_name(void **state)
{
    BlockDriverState *a = chain3("u", BDRV_O_RDWR);
    BlockDriverState *b = a->backing->bs, *c = b->backing->bs;
    g_autofree char *pa = tmp_path("ua.img");
    g_autofree char *recorded = NULL;

    expect_int(bdrv_drop_intermediate(b, c, NULL), 0);
    expect_true(a->backing->bs == c);
    expect_true(!strcmp(a->backing_file, c->filename));
    recorded = chain_format_read_backing(pa);
    expect_true(!strcmp(recorded, c->filename));
    expect_graph_ok();
    bdrv_unref(a);
    end_test();
}

static void test_drop_intermediate_read_only_overlay_updated(void **state)
{
    BlockDriverState *a = chain3("r", 0);
    BlockDriverState *b = a->backing->bs, *c = b->backing->bs;
    g_autofree char *pa = tmp_path("ra.img");
    g_autofree char *recorded = NULL;

    expect_int(bdrv_drop_intermediate(b, c, "rc.img"), 0);
    recorded = chain_format_read_backing(pa);
    expect_true(!strcmp(recorded, "rc.img"));
    /* Read-write only for the update */
    expect_true(bdrv_is_read_only(a));
    expect_true(bdrv_is_read_only(a->file->bs));
    expect_graph_ok();
    bdrv_unref(a);
    end_test();
}

static void test_drop_intermediate_frozen_link_refused(void **state)
{
    BlockDriverState *a = chain3("f", BDRV_O_RDWR);
    BlockDriverState *b = a->backing->bs, *c = b->backing->bs;
    g_autofree char *pa = tmp_path("fa.img");
    g_autofree char *recorded = NULL;
    Error *err = NULL;

    check_ok(bdrv_freeze_backing_chain(a, c, &err) == 0, &err, "freeze");
    expect_int(bdrv_drop_intermediate(b, c, NULL), -EPERM);
    expect_true(a->backing->bs == b && b->backing->bs == c);
    recorded = chain_format_read_backing(pa);
    expect_true(!strcmp(recorded, "fb.img"));
    bdrv_unfreeze_backing_chain(a, c);
    /* Frozen below top too */
    check_ok(bdrv_freeze_backing_chain(b, c, &err) == 0, &err, "freeze b");
    expect_int(bdrv_drop_intermediate(b, c, NULL), -EPERM);
    expect_true(a->backing->bs == b);
    bdrv_unfreeze_backing_chain(b, c);
    expect_graph_ok();
    bdrv_unref(a);
    end_test();
}

static void test_drop_intermediate_base_not_below_top_refused(void **state)
{
    BlockDriverState *a = chain3("n", BDRV_O_RDWR);
    BlockDriverState *b = a->backing->bs, *c = b->backing->bs;

    expect_int(bdrv_drop_intermediate(c, b, NULL), -EINVAL);
    expect_int(bdrv_drop_intermediate(b, b, NULL), -EINVAL);
    expect_true(a->backing->bs == b && b->backing->bs == c);
    bdrv_unref(a);
    end_test();
}

/* ---- behaviour 13 -------------------------------------------------------- */

typedef struct Watcher {
    BdrvChild *edge;
    struct Watcher *victim;   /* its edge is removed by our callback */
    int updates;
    int base_quiesce;         /* base's quiesce counter during the update */
} Watcher;

static int watcher_update_filename(BdrvChild *c, BlockDriverState *base,
                                   const char *filename,
                                   bool backing_mask_protocol, Error **errp)
{
    Watcher *w = c->opaque;

    w->updates++;
    w->base_quiesce = base->quiesce_counter;
    if (w->victim && w->victim->edge) {
        bdrv_root_unref_child(w->victim->edge);
        w->victim->edge = NULL;
    }
    return 0;
}

static const BdrvChildClass watcher_class = {
    .parent_is_bds = false,
    .update_filename = watcher_update_filename,
};

static void watcher_attach(Watcher *w, BlockDriverState *bs, const char *name)
{
    Error *err = NULL;

    bdrv_ref(bs);
    w->edge = bdrv_root_attach_child(bs, name, &watcher_class, BDRV_CHILD_COW,
                                     0, BLK_PERM_ALL, w, &err);
    check_ok(w->edge != NULL, &err, name);
}

static void test_drop_b13_drained_updates_survive_edge_removal(void **state)
{
    BlockDriverState *top = open_test("t13"), *base = open_test("b13");
    Watcher w1 = { 0 }, w2 = { 0 };
    Error *err = NULL;

    check_ok(bdrv_set_backing_hd(top, base, &err) == 0, &err, "backing");
    watcher_attach(&w1, top, "w1");
    watcher_attach(&w2, top, "w2");
    /* Whichever is told first removes the other's edge */
    w1.victim = &w2;
    w2.victim = &w1;
    expect_int(bdrv_drop_intermediate(top, base, NULL), 0);
    expect_int(w1.updates + w2.updates, 1);
    /* Called inside the drained section of the chain */
    expect_true(w1.base_quiesce > 0 || w2.base_quiesce > 0);
    expect_int(base->quiesce_counter, 0);
    expect_graph_ok();
    if (w1.edge) {
        expect_true(w1.edge->bs == base);
        bdrv_root_unref_child(w1.edge);
    }
    if (w2.edge) {
        expect_true(w2.edge->bs == base);
        bdrv_root_unref_child(w2.edge);
    }
    unref_nodes(top, base);
    end_test();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_drop_intermediate_updates_overlay_name),
        T(test_drop_intermediate_read_only_overlay_updated),
        T(test_drop_intermediate_frozen_link_refused),
        T(test_drop_intermediate_base_not_below_top_refused),
        T(test_drop_b13_drained_updates_survive_edge_removal),
    };

    test_common_init(TEST_COMMON_STEP_CHECKS | TEST_COMMON_NO_BACKEND);
    chain_format_register();
    assert_int_equal(test_common_tmp_dir_create("drop"), 0);
    int ret = test_common_run_group(tests, NULL, NULL);
    test_common_tmp_dir_remove();
    return ret;
}
