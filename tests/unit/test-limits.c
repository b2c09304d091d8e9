/*
 * Block limits follow the graph (block/core/limits.c): every graph change
 * (attach, detach, append, replace, set-backing) recomputes the limits of
 * the nodes whose children changed and of all their ancestors, children
 * before parents, inside the change's transaction: merged from the data,
 * filtered and COW children, then the driver's bdrv_refresh_limits, then
 * checked.  A result out of range fails the change and every node keeps
 * its old limits.  The invariant checker finds stale limits.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "block/test-driver.h"
#include "test-common.h"

/* ---- "lim": a node whose driver sets the limits a test asks for --------- */

typedef struct LimState {
    BlockLimits want;   /* each non-zero field is applied */
    uint32_t scale;     /* request_alignment is multiplied by this */
} LimState;

static void lim_refresh_limits(BlockDriverState *bs, Error **errp)
{
    LimState *s = bs->opaque;
    BlockLimits *bl = &bs->bl;

    bl->request_alignment = MAX(bl->request_alignment,
                                s->want.request_alignment);
    bl->max_transfer = MIN_NON_ZERO(bl->max_transfer, s->want.max_transfer);
    bl->opt_transfer = MAX(bl->opt_transfer, s->want.opt_transfer);
    bl->pdiscard_alignment = MAX(bl->pdiscard_alignment,
                                 s->want.pdiscard_alignment);
    bl->min_mem_alignment = MAX(bl->min_mem_alignment,
                                s->want.min_mem_alignment);
    if (s->want.max_iov) {
        bl->max_iov = s->want.max_iov;
    }
    if (s->scale) {
        uint64_t a = (uint64_t)bl->request_alignment * s->scale;
        bl->request_alignment = (uint32_t)MIN(a, (uint64_t)UINT32_MAX);
    }
}

static int64_t coroutine_fn lim_co_getlength(BlockDriverState *bs)
{
    return 1 << 20;
}

static BlockDriver lim_drv = {
    .format_name = "lim",
    .instance_size = sizeof(LimState),
    .bdrv_co_getlength = lim_co_getlength,
    .bdrv_refresh_limits = lim_refresh_limits,
    .bdrv_child_perm = bdrv_default_perms,
};

/* A filter of the same kind (its child's alignment is its own) */
static BlockDriver lim_filter_drv = {
    .format_name = "lim-filter",
    .instance_size = sizeof(LimState),
    .is_filter = true,
    .bdrv_co_getlength = test_common_filter_co_getlength,
    .bdrv_refresh_limits = lim_refresh_limits,
    .bdrv_child_perm = bdrv_filter_default_perms,
};

static BlockDriverState *open_lim(const char *name, BlockLimits want)
{
    BlockDriverState *bs = test_common_open_local(&lim_drv, name,
                                                  BDRV_O_RDWR);
    Error *err = NULL;

    ((LimState *)bs->opaque)->want = want;
    bdrv_refresh_limits(bs, NULL, &err);
    check_ok(err == NULL, &err, "bdrv_refresh_limits");
    return bs;
}

static BlockDriverState *open_lim_filter(const char *name, uint32_t scale)
{
    BlockDriverState *bs = test_common_open_local(&lim_filter_drv, name,
                                                  BDRV_O_RDWR);

    ((LimState *)bs->opaque)->scale = scale;
    return bs;
}

/* A test node with request alignment @align */
static BlockDriverState *open_aligned(const char *name, uint32_t align)
{
    QDict *opts = opts_new("test", name);
    char value[16];

    snprintf(value, sizeof(value), "%" PRIu32, align);
    qdict_put_str(opts, "align", value);
    return open_ok(NULL, opts, BDRV_O_RDWR);
}

static void attach_filtered(BlockDriverState *f, BlockDriverState *child)
{
    bdrv_ref(child);
    test_common_attach(f, child, "file",
                       BDRV_CHILD_FILTERED | BDRV_CHILD_PRIMARY);
}

#define expect_align(bs, n) expect_int((bs)->bl.request_alignment, (n))

/* ---- refresh after every kind of change --------------------------------- */

/* blk -> f2 -> f1 -> n: replacing n updates f1 and, through it, f2 */
static void test_limits_follow_replace_child_recursively(void **state)
{
    BlockDriverState *n = open_null("n");
    BlockDriverState *t = open_aligned("t", 4096);
    BlockDriverState *f1 = open_lim_filter("f1", 0);
    BlockDriverState *f2 = open_lim_filter("f2", 0);
    BlockBackend *blk;
    Error *err = NULL;

    attach_filtered(f1, n);
    attach_filtered(f2, f1);
    blk = test_common_new_blk(f2, BLK_PERM_CONSISTENT_READ, BLK_PERM_ALL);
    expect_align(f2, 1);

    check_ok(bdrv_replace_child_bs(f1->file, t, &err) == 0, &err,
             "replace_child_bs");
    expect_align(f1, 4096);
    expect_align(f2, 4096);
    expect_graph_ok();

    /* bdrv_replace_node: the same, the other way */
    check_ok(bdrv_replace_node(t, n, &err) == 0, &err, "replace_node");
    expect_align(f1, 1);
    expect_align(f2, 1);
    expect_graph_ok();

    blk_unref(blk);
    unref_nodes(f2, f1, n, t);
    end_test();
}

/* Children merge: smallest max_transfer, largest optimum and alignments */
static void test_limits_merge_attached_and_detached_children(void **state)
{
    BlockDriverState *q = open_lim("q", (BlockLimits){ 0 });
    BlockDriverState *a = open_lim("a", (BlockLimits){
        .max_transfer = 65536, .opt_transfer = 4096,
        .pdiscard_alignment = 512, .min_mem_alignment = 512, .max_iov = 8 });
    BlockDriverState *b = open_lim("b", (BlockLimits){
        .max_transfer = 131072, .opt_transfer = 8192,
        .pdiscard_alignment = 65536, .min_mem_alignment = 4096 });
    BdrvChild *cb;

    test_common_attach(q, a, "children.0", BDRV_CHILD_DATA);
    expect_int(q->bl.max_transfer, 65536);
    expect_int(q->bl.max_iov, 8);
    cb = test_common_attach(q, b, "children.1", BDRV_CHILD_DATA);
    expect_int(q->bl.max_transfer, 65536);
    expect_int(q->bl.opt_transfer, 8192);
    expect_int(q->bl.pdiscard_alignment, 65536);
    expect_int(q->bl.min_mem_alignment, 4096);
    expect_int(q->bl.max_iov, 8);
    expect_graph_ok();

    /* Detaching b drops what came from it */
    bdrv_unref_child(q, cb);
    expect_int(q->bl.opt_transfer, 4096);
    expect_int(q->bl.pdiscard_alignment, 512);
    expect_int(q->bl.min_mem_alignment, 512);
    expect_graph_ok();

    unref_nodes(q);
    end_test();
}

/* COW children count too: set_backing_hd and append */
static void test_limits_follow_set_backing_and_append(void **state)
{
    BlockDriverState *top = open_test("top");
    BlockDriverState *base = open_lim("base", (BlockLimits){
        .max_transfer = 65536 });
    BlockDriverState *f = open_lim_filter("f", 0);
    BlockDriverState *t = open_aligned("t", 512);
    BlockBackend *blk = test_common_new_blk(t, BLK_PERM_CONSISTENT_READ,
                                            BLK_PERM_ALL);
    Error *err = NULL;

    check_ok(bdrv_set_backing_hd(top, base, &err) == 0, &err, "set base");
    expect_int(top->bl.max_transfer, 65536);
    check_ok(bdrv_set_backing_hd(top, NULL, &err) == 0, &err, "set NULL");
    expect_int(top->bl.max_transfer, 0);
    expect_graph_ok();

    check_ok(bdrv_append(f, t, &err) == 0, &err, "bdrv_append");
    expect_align(f, 512);
    expect_graph_ok();

    blk_unref(blk);
    unref_nodes(top, base, f, t);
    end_test();
}

/* The public refresh recomputes the ancestors too */
static void test_limits_public_refresh_reaches_ancestors(void **state)
{
    BlockDriverState *a = open_lim("a", (BlockLimits){ 0 });
    BlockDriverState *f = open_lim_filter("f", 0);
    Error *err = NULL;

    attach_filtered(f, a);
    ((LimState *)a->opaque)->want.request_alignment = 8192;
    bdrv_refresh_limits(a, NULL, &err);
    check_ok(err == NULL, &err, "bdrv_refresh_limits");
    expect_align(a, 8192);
    expect_align(f, 8192);
    expect_graph_ok();

    unref_nodes(f, a);
    end_test();
}

/* ---- failures roll back --------------------------------------------------- */

/*
 * blk -> s -> f -> n where s multiplies its alignment by 2048.  Replacing
 * n by a node aligned to 1 MiB would give s 2 GiB: the change fails, f
 * (refreshed first, successfully) and s keep their limits.
 */
static void test_limits_refresh_failure_rolls_back_change(void **state)
{
    BlockDriverState *n = open_null("n");
    BlockDriverState *t = open_aligned("t", 1 << 20);
    BlockDriverState *f = open_lim_filter("f", 0);
    BlockDriverState *s = open_lim_filter("s", 2048);
    BlockBackend *blk;
    Error *err = NULL;

    attach_filtered(f, n);
    attach_filtered(s, f);
    blk = test_common_new_blk(s, BLK_PERM_CONSISTENT_READ, BLK_PERM_ALL);
    expect_align(s, 2048);

    expect_true(bdrv_replace_child_bs(f->file, t, &err) < 0);
    expect_true(err && strstr(error_get_pretty(err), "2147483648") &&
                strstr(error_get_pretty(err), "'s'"));
    error_free(err);
    err = NULL;
    expect_true(f->file->bs == n);
    expect_align(f, 1);
    expect_align(s, 2048);
    expect_int(count_parents(t), 0);
    expect_graph_ok();

    /* The same through bdrv_replace_node */
    expect_true(bdrv_replace_node(n, t, &err) < 0);
    expect_true(err != NULL);
    error_free(err);
    expect_true(f->file->bs == n);
    expect_align(f, 1);
    expect_graph_ok();

    blk_unref(blk);
    unref_nodes(s, f, n, t);
    end_test();
}

/* A driver asking for an alignment that is not a power of two */
static void test_limits_refresh_rejects_bad_alignment(void **state)
{
    BlockDriverState *a = open_lim("a", (BlockLimits){ 0 });
    Error *err = NULL;

    ((LimState *)a->opaque)->want.request_alignment = 3 * 512;
    bdrv_refresh_limits(a, NULL, &err);
    expect_true(err && strstr(error_get_pretty(err), "1536") &&
                strstr(error_get_pretty(err), "'a'"));
    error_free(err);
    expect_align(a, 1);
    ((LimState *)a->opaque)->want.request_alignment = 0;
    expect_graph_ok();

    unref_nodes(a);
    end_test();
}

/* ---- the checker ---------------------------------------------------------- */

static void test_checker_reports_stale_limits(void **state)
{
    BlockDriverState *a = open_lim("a", (BlockLimits){ .max_transfer = 4096 });
    BlockDriverState *f = open_lim_filter("f", 0);
    Error *err = NULL;

    attach_filtered(f, a);
    expect_graph_ok();
    /* A child's limits change and the refresh does not reach the parent */
    a->bl.max_transfer = 8192;
    expect_int(bdrv_debug_check_graph(&err), -EINVAL);
    expect_true(err && strstr(error_get_pretty(err), "limits") &&
                strstr(error_get_pretty(err), "'f'"));
    error_free(err);
    err = NULL;
    a->bl.max_transfer = 4096;
    expect_graph_ok();

    /* Out of range */
    f->bl.request_alignment = 3;
    expect_int(bdrv_debug_check_graph(&err), -EINVAL);
    expect_true(err && strstr(error_get_pretty(err), "request alignment 3"));
    error_free(err);
    f->bl.request_alignment = 1;
    expect_graph_ok();

    unref_nodes(f, a);
    end_test();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_limits_follow_replace_child_recursively),
        T(test_limits_merge_attached_and_detached_children),
        T(test_limits_follow_set_backing_and_append),
        T(test_limits_public_refresh_reaches_ancestors),
        T(test_limits_refresh_failure_rolls_back_change),
        T(test_limits_refresh_rejects_bad_alignment),
        T(test_checker_reports_stale_limits),
    };

    return test_common_run_group(tests, test_common_group_setup, NULL);
}
