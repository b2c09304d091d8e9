/*
 * Block limits.  A node's limits start from what its data, filtered and
 * COW children allow (the smallest maximum transfer, the largest optimal
 * transfer and alignments; request alignment only from a filtered child,
 * whose requests are the node's own), then its driver's
 * bdrv_refresh_limits adjusts them, then the core checks the result.
 *
 * Every graph change refreshes the nodes whose children changed and all
 * their ancestors, children before parents, as steps of its transaction:
 * a result out of range fails the change and abort restores every node's
 * old limits.
 */
#include "core.h"

/* Merge the limits of child @cl into @bl */
static void limits_merge(BlockLimits *bl, const BlockLimits *cl,
                         bool filtered)
{
    if (filtered) {
        bl->request_alignment = MAX(bl->request_alignment,
                                    cl->request_alignment);
    }
    bl->max_transfer = MIN_NON_ZERO(bl->max_transfer, cl->max_transfer);
    bl->opt_transfer = MAX(bl->opt_transfer, cl->opt_transfer);
    bl->pdiscard_alignment = MAX(bl->pdiscard_alignment,
                                 cl->pdiscard_alignment);
    bl->min_mem_alignment = MAX(bl->min_mem_alignment, cl->min_mem_alignment);
    bl->opt_mem_alignment = MAX(bl->opt_mem_alignment, cl->opt_mem_alignment);
    bl->max_iov = MIN_NON_ZERO(bl->max_iov, cl->max_iov);
}

/* What the children of @bs give, before its driver has its say */
static BlockLimits limits_from_children(BlockDriverState *bs)
{
    BlockLimits bl = { .request_alignment = 1 };
    BdrvChild *c;

    QLIST_FOREACH(c, &bs->children, next) {
        if (c->role & (BDRV_CHILD_DATA | BDRV_CHILD_FILTERED |
                       BDRV_CHILD_COW)) {
            limits_merge(&bl, &c->bs->bl, c->role & BDRV_CHILD_FILTERED);
        }
    }
    bl.min_mem_alignment = MAX(bl.min_mem_alignment, (size_t)1);
    bl.opt_mem_alignment = MAX(bl.opt_mem_alignment, (size_t)1);
    return bl;
}

/*
 * The driver's half of the contract: ranges the I/O path relies on, and
 * the write alignment what parents hold needs
 */
static int limits_validate(BlockDriverState *bs, const BlockLimits *bl,
                           Error **errp)
{
    return io_limits_check(bs, bl, errp);
}

/* @bs's limits as they should be now; 0 or -errno with @errp set */
static int limits_compute(BlockDriverState *bs, BlockLimits *out,
                          BlockLimits *from_children, Error **errp)
{
    BlockLimits saved = bs->bl;
    Error *local_err = NULL;

    *from_children = limits_from_children(bs);
    bs->bl = *from_children;
    if (bs->drv->bdrv_refresh_limits) {
        bs->drv->bdrv_refresh_limits(bs, &local_err);
    }
    *out = bs->bl;
    bs->bl = saved;
    if (local_err) {
        error_propagate(errp, local_err);
        return -EINVAL;
    }
    return limits_validate(bs, out, errp);
}

/* ---- the transaction step --------------------------------------------- */

typedef struct LimitsState {
    BlockDriverState *bs;
    BlockLimits old;
    BlockLimits old_children;
    bool old_valid;
} LimitsState;

static void limits_abort(void *opaque)
{
    LimitsState *s = opaque;

    s->bs->bl = s->old;
    s->bs->bl_children = s->old_children;
    s->bs->bl_valid = s->old_valid;
}

static void limits_clean(void *opaque)
{
    LimitsState *s = opaque;

    bdrv_unref(s->bs);
}

static const TransactionActionDrv limits_drv = {
    .abort = limits_abort,
    .clean = limits_clean,
};

static int limits_refresh_node(BlockDriverState *bs, Transaction *tran,
                               Error **errp)
{
    BlockLimits bl, from_children;
    LimitsState *s;
    int ret;

    ret = limits_compute(bs, &bl, &from_children, errp);
    if (ret < 0) {
        return ret;
    }
    s = tran_alloc(tran, sizeof(*s));
    *s = (LimitsState){ .bs = bs, .old = bs->bl,
                        .old_children = bs->bl_children,
                        .old_valid = bs->bl_valid };
    bdrv_ref(bs);
    tran_add(tran, &limits_drv, s);
    bs->bl = bl;
    bs->bl_children = from_children;
    bs->bl_valid = true;
    return 0;
}

/* ---- the refresh ------------------------------------------------------ */

/* Depth-first post-order over parents: walked backwards, children first */
static void limits_visit_up(PtrVec *order, PtrSet *found,
                            BlockDriverState *bs)
{
    BdrvChild *c;

    if (!ptrset_add(found, bs)) {
        return;
    }
    QLIST_FOREACH(c, &bs->parents, next_parent) {
        if (c->klass->parent_is_bds) {
            limits_visit_up(order, found, c->opaque);
        }
    }
    ptrvec_push(order, bs);
}

/* Refresh @list and its ancestors; @force is refreshed even if not valid */
static int limits_refresh(GSList *list, BlockDriverState *force,
                          Transaction *tran, Error **errp)
{
    PtrSet found;
    PtrVec order;
    int ret = 0;

    ptrset_init(&found);
    ptrvec_init(&order);
    for (GSList *l = list; l; l = l->next) {
        if (l->data) {
            limits_visit_up(&order, &found, l->data);
        }
    }
    for (size_t i = order.n; i-- > 0 && ret == 0;) {
        BlockDriverState *bs = order.v[i];
        if (bs->drv && (bs->bl_valid || bs == force)) {
            ret = limits_refresh_node(bs, tran, errp);
        }
    }
    ptrvec_destroy(&order);
    ptrset_destroy(&found);
    return ret;
}

int limits_refresh_list(GSList *list, Transaction *tran, Error **errp)
{
    return limits_refresh(list, NULL, tran, errp);
}

int limits_refresh_one(BlockDriverState *bs, Transaction *tran, Error **errp)
{
    GSList list = { .data = bs };

    return limits_refresh(&list, NULL, tran, errp);
}

/*
 * Recompute @bs's limits (and then its ancestors').  Without @tran the
 * refresh is its own transaction: on failure every node keeps its limits.
 */
void bdrv_refresh_limits(BlockDriverState *bs, Transaction *tran,
                         Error **errp)
{
    Transaction *local = tran ? NULL : tran_new();
    GSList list = { .data = bs };
    int ret;

    GLOBAL_STATE_CODE();
    ret = limits_refresh(&list, bs, tran ? tran : local, errp);
    if (local) {
        tran_finalize(local, ret);
    }
}

/* ---- the invariant checker's part ------------------------------------- */

static bool limits_equal(const BlockLimits *a, const BlockLimits *b)
{
    return a->request_alignment == b->request_alignment &&
           a->max_pdiscard == b->max_pdiscard &&
           a->pdiscard_alignment == b->pdiscard_alignment &&
           a->max_pwrite_zeroes == b->max_pwrite_zeroes &&
           a->pwrite_zeroes_alignment == b->pwrite_zeroes_alignment &&
           a->opt_transfer == b->opt_transfer &&
           a->max_transfer == b->max_transfer &&
           a->min_mem_alignment == b->min_mem_alignment &&
           a->opt_mem_alignment == b->opt_mem_alignment &&
           a->max_iov == b->max_iov;
}

/*
 * The node's limits are in range, and were computed from what its
 * children give now (else a graph change or a child's refresh did not
 * reach it).  Reads only: the driver is not asked again.
 */
int limits_check_node(BlockDriverState *bs, Error **errp)
{
    BlockLimits now;
    Error *local_err = NULL;

    if (!bs->drv || !bs->bl_valid) {
        return 0;
    }
    if (limits_validate(bs, &bs->bl, &local_err) < 0) {
        error_setg(errp, "limits out of range: %s",
                   error_get_pretty(local_err));
        error_free(local_err);
        return -EINVAL;
    }
    now = limits_from_children(bs);
    if (!limits_equal(&now, &bs->bl_children)) {
        error_setg(errp, "limits of node '%s' are stale: its children now "
                   "give request alignment %" PRIu32 ", max transfer %"
                   PRIu32 ", optimal transfer %" PRIu32 " (was %" PRIu32
                   ", %" PRIu32 ", %" PRIu32 ")", bdrv_get_node_name(bs),
                   now.request_alignment, now.max_transfer, now.opt_transfer,
                   bs->bl_children.request_alignment,
                   bs->bl_children.max_transfer,
                   bs->bl_children.opt_transfer);
        return -EINVAL;
    }
    return 0;
}
