/*
 * Graph changes that move several edges at once: set_backing_hd, append,
 * replace_node, replace_child_bs, drop_filter.  Each is one transaction:
 * all edge steps first, then one permission refresh over every affected
 * subtree (so an intermediate state never causes a false conflict), then
 * commit or a complete rollback.
 */
#include "core.h"

/*
 * Should the parent edge @c of the node being replaced move to @to?  Not
 * when its parent lies below @to: that edge is how @to reaches the old node
 * (moving it would make a loop), e.g. the overlay's own backing edge.
 */
static bool graph_ops_should_move(BdrvChild *c, BlockDriverState *to)
{
    if (c->klass->stay_at_node) {
        return false;
    }
    if (c->klass->parent_is_bds &&
        child_subtree_contains(to, (BlockDriverState *)c->opaque)) {
        return false;
    }
    return true;
}

static int graph_ops_check_frozen(BdrvChild *c, BlockDriverState *to,
                                  Error **errp)
{
    if (c->frozen) {
        error_setg(errp, "Cannot change '%s' link from '%s' to '%s'",
                   c->name, bdrv_get_node_name(c->bs),
                   bdrv_get_node_name(to));
        return -EPERM;
    }
    return 0;
}

/*
 * Move the parents of @from to @to.  The component of @to follows them
 * into their context (or, failing that, they follow @to) in the same
 * transaction; if neither may move, the change fails.
 */
static int graph_ops_move_parents(BlockDriverState *from,
                                  BlockDriverState *to, Transaction *tran,
                                  Error **errp)
{
    BdrvChild *c, *next;
    GSList *moved = NULL;
    int ret = 0;

    QLIST_FOREACH(c, &from->parents, next_parent) {
        if (graph_ops_should_move(c, to) &&
            graph_ops_check_frozen(c, to, errp) < 0) {
            return -EPERM;
        }
    }
    QLIST_FOREACH_SAFE(c, &from->parents, next_parent, next) {
        if (graph_ops_should_move(c, to)) {
            child_replace_bs_tran(c, to, tran);
            moved = g_slist_prepend(moved, c);
        }
    }
    moved = g_slist_reverse(moved);
    for (GSList *l = moved; l && ret == 0; l = l->next) {
        ret = aio_ctx_align_edge(l->data, tran, errp);
    }
    g_slist_free(moved);
    return ret;
}

/*
 * After the edge steps: the limits of @a, @b and their ancestors, then the
 * permissions of their subtrees (which may depend on the new limits).
 */
static int graph_ops_refresh_two(BlockDriverState *a, BlockDriverState *b,
                                 Transaction *tran, Error **errp)
{
    GSList *list = g_slist_prepend(NULL, a);
    int ret;

    if (b && b != a) {
        list = g_slist_append(list, b);
    }
    ret = limits_refresh_list(list, tran, errp);
    if (ret == 0) {
        ret = perms_refresh_list(list, tran, errp);
    }
    g_slist_free(list);
    return ret;
}

/* Drain both nodes for the duration of a change, holding references */
static void graph_ops_begin(BlockDriverState *a, BlockDriverState *b)
{
    bdrv_ref(a);
    bdrv_drained_begin(a);
    if (b) {
        bdrv_ref(b);
        bdrv_drained_begin(b);
    }
}

static void graph_ops_end(BlockDriverState *a, BlockDriverState *b)
{
    if (b) {
        bdrv_drained_end(b);
    }
    bdrv_drained_end(a);
    if (b) {
        bdrv_unref(b);
    }
    bdrv_unref(a);
}

int bdrv_replace_node(BlockDriverState *from, BlockDriverState *to,
                      Error **errp)
{
    Transaction *tran;
    int ret;

    GLOBAL_STATE_CODE();
    if (from == to) {
        return 0;
    }
    graph_ops_begin(from, to);
    tran = tran_new();
    ret = graph_ops_move_parents(from, to, tran, errp);
    if (ret == 0) {
        ret = graph_ops_refresh_two(to, from, tran, errp);
    }
    tran_finalize(tran, ret);
    graph_ops_end(from, to);
    return ret;
}

static bool graph_ops_is_filter(BlockDriverState *bs)
{
    return bs->drv && bs->drv->is_filter;
}

/* The child set_backing_hd/append make: a filter's filtered child, or COW */
static BdrvChildRole graph_ops_filter_or_cow_role(BlockDriverState *bs)
{
    return graph_ops_is_filter(bs) ? BDRV_CHILD_FILTERED | BDRV_CHILD_PRIMARY
                                   : BDRV_CHILD_COW;
}

/* Its name: "file" for a filter, unless the driver says "backing" */
static const char *graph_ops_filter_or_cow_name(BlockDriverState *bs)
{
    return graph_ops_is_filter(bs) && !bs->drv->filtered_child_is_backing
               ? "file"
               : "backing";
}

int bdrv_append(BlockDriverState *bs_new, BlockDriverState *bs_top,
                Error **errp)
{
    bool filter = graph_ops_is_filter(bs_new);
    Transaction *tran;
    int ret = -EINVAL;

    GLOBAL_STATE_CODE();
    if (!filter && (!bs_new->drv || !bs_new->drv->supports_backing)) {
        error_setg(errp, "Driver '%s' of node '%s' does not support backing "
                   "files", bs_new->drv ? bs_new->drv->format_name : "(none)",
                   bdrv_get_node_name(bs_new));
        return -ENOTSUP;
    }
    graph_ops_begin(bs_top, bs_new);
    tran = tran_new();
    bdrv_ref(bs_top); /* for the new edge */
    if (child_attach_noperm(bs_new, bs_top,
                            graph_ops_filter_or_cow_name(bs_new), &child_of_bds,
                            graph_ops_filter_or_cow_role(bs_new), tran,
                            errp)) {
        ret = graph_ops_move_parents(bs_top, bs_new, tran, errp);
        if (ret == 0) {
            ret = graph_ops_refresh_two(bs_new, bs_top, tran, errp);
        }
    }
    tran_finalize(tran, ret);
    if (ret < 0) {
        bdrv_unref(bs_top); /* the edge never took it */
    }
    graph_ops_end(bs_top, bs_new);
    return ret;
}

int bdrv_replace_child_bs(BdrvChild *child, BlockDriverState *new_bs,
                          Error **errp)
{
    BlockDriverState *old_bs = child->bs;
    Transaction *tran;
    int ret;

    GLOBAL_STATE_CODE();
    if (graph_ops_check_frozen(child, new_bs, errp) < 0) {
        return -EPERM;
    }
    if (child->klass->parent_is_bds &&
        child_subtree_contains(new_bs, child->opaque)) {
        error_setg(errp, "Making '%s' a child of '%s' would create a cycle",
                   bdrv_get_node_name(new_bs),
                   bdrv_get_node_name(child->opaque));
        return -EINVAL;
    }
    graph_ops_begin(old_bs, new_bs);
    tran = tran_new();
    child_replace_bs_tran(child, new_bs, tran);
    ret = aio_ctx_align_edge(child, tran, errp);
    if (ret == 0) {
        ret = graph_ops_refresh_two(new_bs, old_bs, tran, errp);
    }
    tran_finalize(tran, ret);
    graph_ops_end(old_bs, new_bs);
    return ret;
}

/*
 * The backing child of @bs, or a filter's filtered child (named and
 * recorded as "backing" or "file" by the driver's flag): the old one is
 * removed (its node's permissions are refreshed too), the new one attached.
 */
int bdrv_set_backing_hd(BlockDriverState *bs, BlockDriverState *backing_hd,
                        Error **errp)
{
    BdrvChild *old;
    BlockDriverState *old_bs;
    Transaction *tran;
    int ret = 0;

    GLOBAL_STATE_CODE();
    if (!bs->drv || (!bs->drv->supports_backing && !graph_ops_is_filter(bs))) {
        error_setg(errp, "Driver '%s' of node '%s' does not support backing "
                   "files", bs->drv ? bs->drv->format_name : "(none)",
                   bdrv_get_node_name(bs));
        return -ENOTSUP;
    }
    old = *child_role_slot(bs, graph_ops_filter_or_cow_role(bs));
    if (old && old->frozen) {
        error_setg(errp, "Cannot change frozen '%s' link from '%s' to '%s'",
                   old->name, bdrv_get_node_name(bs),
                   bdrv_get_node_name(old->bs));
        return -EPERM;
    }
    old_bs = old ? old->bs : NULL;
    graph_ops_begin(bs, old_bs);
    tran = tran_new();
    if (old) {
        child_remove_tran(old, tran);
    }
    if (backing_hd) {
        bdrv_ref(backing_hd); /* for the new edge */
        if (!child_attach_noperm(bs, backing_hd,
                                 graph_ops_filter_or_cow_name(bs),
                                 &child_of_bds,
                                 graph_ops_filter_or_cow_role(bs), tran,
                                 errp)) {
            ret = -EINVAL;
        }
    }
    if (ret == 0) {
        ret = graph_ops_refresh_two(bs, old_bs, tran, errp);
    }
    tran_finalize(tran, ret);
    if (ret < 0 && backing_hd) {
        bdrv_unref(backing_hd); /* the edge never took it */
    }
    graph_ops_end(bs, old_bs);
    return ret;
}

int bdrv_drop_filter(BlockDriverState *bs, Error **errp)
{
    BdrvChild *child = bdrv_filter_or_cow_child(bs);
    BlockDriverState *target;
    Transaction *tran;
    int ret;

    GLOBAL_STATE_CODE();
    if (!child) {
        error_setg(errp, "Node '%s' is not a filter and has no backing file",
                   bdrv_get_node_name(bs));
        return -EINVAL;
    }
    target = child->bs;
    graph_ops_begin(bs, target);
    tran = tran_new();
    ret = graph_ops_move_parents(bs, target, tran, errp);
    /* Dropping also detaches the node's own link to its child */
    if (ret == 0 && child->frozen) {
        error_setg(errp, "Cannot change frozen '%s' link from '%s' to '%s'",
                   child->name, bdrv_get_node_name(bs),
                   bdrv_get_node_name(target));
        ret = -EPERM;
    }
    if (ret == 0) {
        child_remove_tran(child, tran);
        /* The dropped node lost its parents: its permissions shrink too */
        ret = graph_ops_refresh_two(target, bs, tran, errp);
    }
    tran_finalize(tran, ret);
    graph_ops_end(bs, target);
    return ret;
}
