/*
 * AioContext moves.  Every node of a connected component (parents and
 * children alike) lives in one context, so a move takes the whole component
 * along.  Parents that are not nodes (BlockBackends, jobs) are asked
 * through BdrvChildClass.change_aio_ctx and may veto; the move is checked
 * in full before anything changes, and is undone by the transaction.
 */
#include "core.h"

typedef struct AioCtxMove {
    GHashTable *visited;     /* nodes and edges already considered */
    GSList *nodes;           /* nodes to move */
    AioContext *ctx;
    Transaction *tran;       /* receives the non-node parents' undo steps */
} AioCtxMove;

static bool aio_ctx_visit(AioCtxMove *m, BlockDriverState *bs, Error **errp);

/* An edge of the component: cross it, or ask its non-node parent */
static bool aio_ctx_visit_edge(AioCtxMove *m, BdrvChild *c, bool upwards,
                               Error **errp)
{
    if (!g_hash_table_add(m->visited, c)) {
        return true;
    }
    if (!upwards) {
        return aio_ctx_visit(m, c->bs, errp);
    }
    if (c->klass->parent_is_bds) {
        return aio_ctx_visit(m, c->opaque, errp);
    }
    if (!c->klass->change_aio_ctx) {
        g_autofree char *user = perms_child_user_desc(c);
        error_setg(errp, "Cannot change iothread of %s", user);
        return false;
    }
    return c->klass->change_aio_ctx(c, m->ctx, m->visited, m->tran, errp);
}

static bool aio_ctx_visit(AioCtxMove *m, BlockDriverState *bs, Error **errp)
{
    BdrvChild *c;

    if (!g_hash_table_add(m->visited, bs)) {
        return true;
    }
    if (bs->aio_context == m->ctx) {
        return true;
    }
    m->nodes = g_slist_prepend(m->nodes, bs);
    QLIST_FOREACH(c, &bs->parents, next_parent) {
        if (!aio_ctx_visit_edge(m, c, true, errp)) {
            return false;
        }
    }
    QLIST_FOREACH(c, &bs->children, next) {
        if (!aio_ctx_visit_edge(m, c, false, errp)) {
            return false;
        }
    }
    return true;
}

static void aio_ctx_set_node(BlockDriverState *bs, AioContext *ctx)
{
    if (bs->aio_context == ctx) {
        return;
    }
    if (bs->drv && bs->drv->bdrv_detach_aio_context) {
        bs->drv->bdrv_detach_aio_context(bs);
    }
    bs->aio_context = ctx;
    if (bs->drv && bs->drv->bdrv_attach_aio_context) {
        bs->drv->bdrv_attach_aio_context(bs, ctx);
    }
}

typedef struct AioCtxNodeState {
    BlockDriverState *bs;
    AioContext *old_ctx;
} AioCtxNodeState;

static void aio_ctx_node_abort(void *opaque)
{
    AioCtxNodeState *s = opaque;

    aio_ctx_set_node(s->bs, s->old_ctx);
}

static void aio_ctx_node_clean(void *opaque)
{
    AioCtxNodeState *s = opaque;

    bdrv_unref(s->bs);
    g_free(s);
}

static TransactionActionDrv aio_ctx_node_drv = {
    .abort = aio_ctx_node_abort,
    .clean = aio_ctx_node_clean,
};

/*
 * Every moved node is drained while its context changes: no request may
 * be in flight in the old context when the node starts living in the new.
 */
static void aio_ctx_apply(AioCtxMove *m)
{
    for (GSList *l = m->nodes; l; l = l->next) {
        bdrv_ref(l->data);
        bdrv_drained_begin(l->data);
    }
    for (GSList *l = m->nodes; l; l = l->next) {
        AioCtxNodeState *s = g_new(AioCtxNodeState, 1);
        s->bs = l->data;
        s->old_ctx = s->bs->aio_context;
        bdrv_ref(s->bs);
        aio_ctx_set_node(s->bs, m->ctx);
        tran_add(m->tran, &aio_ctx_node_drv, s);
    }
    for (GSList *l = m->nodes; l; l = l->next) {
        bdrv_drained_end(l->data);
        bdrv_unref(l->data);
    }
}

/*
 * Move the component of @bs into @ctx, not crossing @ignore.  Steps are
 * added to a private transaction; only a complete success is handed to
 * @tran (its abort aborts them all).
 */
static void aio_ctx_sub_abort(void *opaque)
{
    tran_abort(opaque);
}

static void aio_ctx_sub_commit(void *opaque)
{
    tran_commit(opaque);
}

static TransactionActionDrv aio_ctx_sub_drv = {
    .abort = aio_ctx_sub_abort,
    .commit = aio_ctx_sub_commit,
};

static int aio_ctx_move(BlockDriverState *bs, AioContext *ctx,
                        BdrvChild *ignore, Transaction *tran, Error **errp)
{
    AioCtxMove m = {
        .visited = g_hash_table_new(NULL, NULL), .ctx = ctx,
        .tran = tran_new(),
    };
    bool ok;

    if (ignore) {
        g_hash_table_add(m.visited, ignore);
    }
    ok = aio_ctx_visit(&m, bs, errp);
    if (ok) {
        aio_ctx_apply(&m);
        tran_add(tran, &aio_ctx_sub_drv, m.tran);
    } else {
        tran_abort(m.tran);
    }
    g_slist_free(m.nodes);
    g_hash_table_destroy(m.visited);
    return ok ? 0 : -EPERM;
}

bool bdrv_child_change_aio_context(BdrvChild *c, AioContext *ctx,
                                   GHashTable *visited, Transaction *tran,
                                   Error **errp)
{
    AioCtxMove m = { .visited = visited, .ctx = ctx, .tran = tran };
    bool ok;

    GLOBAL_STATE_CODE();
    if (g_hash_table_contains(visited, c)) {
        return true;
    }
    g_hash_table_add(visited, c);
    ok = aio_ctx_visit(&m, c->bs, errp);
    if (ok) {
        aio_ctx_apply(&m);
    }
    g_slist_free(m.nodes);
    return ok;
}

int bdrv_try_change_aio_context(BlockDriverState *bs, AioContext *ctx,
                                BdrvChild *ignore_child, Error **errp)
{
    Transaction *tran = tran_new();
    int ret;

    GLOBAL_STATE_CODE();
    bdrv_drained_begin(bs);
    ret = aio_ctx_move(bs, ctx, ignore_child, tran, errp);
    tran_finalize(tran, ret);
    bdrv_drained_end(bs);
    return ret;
}

/* The context the parent of a (not yet attached) edge lives in */
static AioContext *aio_ctx_of_parent(BdrvChild *c)
{
    return c->klass->get_parent_aio_context
               ? c->klass->get_parent_aio_context(c)
               : qemu_get_aio_context();
}

/*
 * A new edge joins two components: move the child's side into the parent's
 * context, or failing that the parent's side into the child's.
 */
int aio_ctx_align_edge(BdrvChild *c, Transaction *tran, Error **errp)
{
    AioContext *parent_ctx = aio_ctx_of_parent(c);
    AioContext *child_ctx = bdrv_get_aio_context(c->bs);
    Error *local_err = NULL;
    int ret;

    if (parent_ctx == child_ctx) {
        return 0;
    }
    ret = aio_ctx_move(c->bs, parent_ctx, c, tran, &local_err);
    if (ret == 0) {
        return 0;
    }
    if (c->klass->parent_is_bds) {
        ret = aio_ctx_move(c->opaque, child_ctx, c, tran, NULL);
    } else if (c->klass->change_aio_ctx) {
        GHashTable *visited = g_hash_table_new(NULL, NULL);
        g_hash_table_add(visited, c);
        g_hash_table_add(visited, c->bs);
        ret = c->klass->change_aio_ctx(c, child_ctx, visited, tran, NULL)
                  ? 0 : -EPERM;
        g_hash_table_destroy(visited);
    }
    if (ret < 0) {
        error_propagate(errp, local_err);
    } else {
        error_free(local_err);
    }
    return ret;
}

/* A node nothing uses any more goes back to the main context */
void aio_ctx_after_detach(BlockDriverState *bs)
{
    if (QLIST_EMPTY(&bs->parents) &&
        bs->aio_context != qemu_get_aio_context()) {
        bdrv_try_change_aio_context(bs, qemu_get_aio_context(), NULL, NULL);
    }
}
