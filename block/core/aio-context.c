/*
 * AioContext moves.  Every node of a connected component (parents and
 * children alike) lives in one context, so a move takes the whole component
 * along.  Parents that are not nodes (BlockBackends, jobs) are asked
 * through BdrvChildClass.change_aio_ctx and may veto; the move is checked
 * in full before anything changes.
 *
 * A move is one step of the caller's transaction: when it is prepared the
 * moved nodes are drained (no request may be in flight in the old context
 * when a node starts living in the new), the switch of the nodes and of
 * their non-node parents happens when the transaction commits, and the
 * drain ends when it is cleaned up.  An abort switches nothing.  Until the
 * commit, later steps of the same transaction see the pending contexts
 * (aio_ctx_pending_*), so a component is planned to move once.
 */
#include "core.h"

typedef struct AioCtxMove {
    GHashTable *visited;     /* nodes and edges already considered */
    GSList *nodes;           /* nodes to move */
    GSList *edges;           /* non-node parents' edges that follow */
    AioContext *ctx;
    Transaction *tran;       /* the non-node parents' own steps */
    GSList **crossed;        /* the seed API's ignore list: edges visited */
} AioCtxMove;

/* The move being planned (a parent's change_aio_ctx may extend it) */
static AioCtxMove *aio_ctx_planning;

/* ---- moves prepared but not committed yet ----------------------------- */

typedef struct AioCtxStep {
    GHashTable *keys;        /* the nodes and non-node parents' edges */
    GSList *nodes;           /* drained and referenced until clean */
    AioContext *ctx;
    Transaction *parents;    /* the non-node parents' steps */
} AioCtxStep;

static GSList *aio_ctx_pending; /* AioCtxStep, newest first */

static AioContext *aio_ctx_pending_lookup(const void *key)
{
    for (GSList *l = aio_ctx_pending; l; l = l->next) {
        AioCtxStep *st = l->data;
        if (g_hash_table_contains(st->keys, key)) {
            return st->ctx;
        }
    }
    return NULL;
}

/* The context @bs lives in once the pending moves commit */
static AioContext *aio_ctx_of_node(BlockDriverState *bs)
{
    AioContext *ctx = aio_ctx_pending_lookup(bs);

    return ctx ? ctx : bdrv_get_aio_context(bs);
}

/* The same for the parent of edge @c (attached or not) */
static AioContext *aio_ctx_of_parent(BdrvChild *c)
{
    AioContext *ctx;

    if (c->klass->parent_is_bds) {
        return aio_ctx_of_node(c->opaque);
    }
    ctx = aio_ctx_pending_lookup(c);
    if (ctx) {
        return ctx;
    }
    return c->klass->get_parent_aio_context
               ? c->klass->get_parent_aio_context(c)
               : qemu_get_aio_context();
}

/* ---- planning: the component and its vetoes ---------------------------- */

static bool aio_ctx_visit(AioCtxMove *m, BlockDriverState *bs, Error **errp);

/* An edge of the component: cross it, or ask its non-node parent */
static bool aio_ctx_visit_edge(AioCtxMove *m, BdrvChild *c, bool upwards,
                               Error **errp)
{
    if (!g_hash_table_add(m->visited, c)) {
        return true;
    }
    if (m->crossed) {
        *m->crossed = g_slist_prepend(*m->crossed, c);
    }
    if (!upwards) {
        return aio_ctx_visit(m, c->bs, errp);
    }
    if (c->klass->parent_is_bds) {
        return aio_ctx_visit(m, c->opaque, errp);
    }
    if (aio_ctx_of_parent(c) == m->ctx) {
        return true; /* there already */
    }
    if (!c->klass->change_aio_ctx) {
        g_autofree char *user = perms_child_user_desc(c);
        error_setg(errp, "Cannot change iothread of %s", user);
        return false;
    }
    m->edges = g_slist_prepend(m->edges, c);
    return c->klass->change_aio_ctx(c, m->ctx, m->visited, m->tran, errp);
}

static bool aio_ctx_visit(AioCtxMove *m, BlockDriverState *bs, Error **errp)
{
    AioCtxMove *outer = aio_ctx_planning;
    BdrvChild *c;
    bool ok = true;

    if (!g_hash_table_add(m->visited, bs)) {
        return true;
    }
    if (aio_ctx_of_node(bs) == m->ctx) {
        return true;
    }
    m->nodes = g_slist_prepend(m->nodes, bs);
    aio_ctx_planning = m;
    QLIST_FOREACH(c, &bs->parents, next_parent) {
        if (!(ok = aio_ctx_visit_edge(m, c, true, errp))) {
            break;
        }
    }
    QLIST_FOREACH(c, &bs->children, next) {
        if (!ok || !(ok = aio_ctx_visit_edge(m, c, false, errp))) {
            break;
        }
    }
    aio_ctx_planning = outer;
    return ok;
}

/* ---- the transaction step ---------------------------------------------- */

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

static void aio_ctx_step_commit(void *opaque)
{
    AioCtxStep *st = opaque;

    aio_ctx_pending = g_slist_remove(aio_ctx_pending, st);
    for (GSList *l = st->nodes; l; l = l->next) {
        aio_ctx_set_node(l->data, st->ctx);
    }
    tran_commit(st->parents);
    st->parents = NULL;
}

static void aio_ctx_step_abort(void *opaque)
{
    AioCtxStep *st = opaque;

    aio_ctx_pending = g_slist_remove(aio_ctx_pending, st);
    tran_abort(st->parents);
    st->parents = NULL;
}

/* Whatever happened, the drain of the prepare phase ends here */
static void aio_ctx_step_clean(void *opaque)
{
    AioCtxStep *st = opaque;

    for (GSList *l = st->nodes; l; l = l->next) {
        bdrv_drained_end(l->data);
        bdrv_unref(l->data);
    }
    g_slist_free(st->nodes);
    g_hash_table_destroy(st->keys);
    g_free(st);
}

static const TransactionActionDrv aio_ctx_step_drv = {
    .commit = aio_ctx_step_commit,
    .abort = aio_ctx_step_abort,
    .clean = aio_ctx_step_clean,
};

/* The planned move @m becomes a step of @tran: drain, mark pending */
static void aio_ctx_prepare(AioCtxMove *m, Transaction *tran)
{
    AioCtxStep *st = g_new0(AioCtxStep, 1);

    st->keys = g_hash_table_new(NULL, NULL);
    st->nodes = g_slist_reverse(m->nodes);
    st->ctx = m->ctx;
    st->parents = m->tran;
    m->nodes = NULL;
    for (GSList *l = m->edges; l; l = l->next) {
        g_hash_table_add(st->keys, l->data);
    }
    for (GSList *l = st->nodes; l; l = l->next) {
        g_hash_table_add(st->keys, l->data);
        bdrv_ref(l->data);
        bdrv_drained_begin(l->data);
    }
    aio_ctx_pending = g_slist_prepend(aio_ctx_pending, st);
    tran_add(tran, &aio_ctx_step_drv, st);
}

/* Plan from @bs (or from the parent of @c); on success a step of @tran */
static int aio_ctx_plan(AioCtxMove *m, BlockDriverState *bs, BdrvChild *c,
                        Transaction *tran, Error **errp)
{
    bool ok;

    m->tran = tran_new();
    if (bs) {
        ok = aio_ctx_visit(m, bs, errp);
    } else {
        AioCtxMove *outer = aio_ctx_planning;

        m->edges = g_slist_prepend(m->edges, c);
        aio_ctx_planning = m;
        ok = c->klass->change_aio_ctx(c, m->ctx, m->visited, m->tran, errp);
        aio_ctx_planning = outer;
    }
    if (ok) {
        aio_ctx_prepare(m, tran);
    } else {
        tran_abort(m->tran);
    }
    g_slist_free(m->nodes);
    g_slist_free(m->edges);
    return ok ? 0 : -EPERM;
}

/* Move the component of @bs into @ctx, not crossing @ignore */
static int aio_ctx_move(BlockDriverState *bs, AioContext *ctx,
                        BdrvChild *ignore, Transaction *tran, Error **errp)
{
    AioCtxMove m = { .visited = g_hash_table_new(NULL, NULL), .ctx = ctx };
    int ret;

    if (ignore) {
        g_hash_table_add(m.visited, ignore);
    }
    ret = aio_ctx_plan(&m, bs, NULL, tran, errp);
    g_hash_table_destroy(m.visited);
    return ret;
}

/*
 * The parent of @c moves into @ctx and asks @c's side to follow.  Called
 * by a non-node parent's change_aio_ctx while a move is planned, the nodes
 * join that move; otherwise they are a step of @tran of their own.
 */
bool bdrv_child_change_aio_context(BdrvChild *c, AioContext *ctx,
                                   GHashTable *visited, Transaction *tran,
                                   Error **errp)
{
    AioCtxMove m = { .visited = visited, .ctx = ctx };

    GLOBAL_STATE_CODE();
    if (g_hash_table_contains(visited, c)) {
        return true;
    }
    g_hash_table_add(visited, c);
    if (aio_ctx_planning && aio_ctx_planning->visited == visited) {
        return aio_ctx_visit(aio_ctx_planning, c->bs, errp);
    }
    return aio_ctx_plan(&m, c->bs, NULL, tran, errp) == 0;
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

/* Only the non-node parent of @c follows the child into @ctx */
static int aio_ctx_move_parent(BdrvChild *c, AioContext *ctx,
                               Transaction *tran)
{
    AioCtxMove m = { .visited = g_hash_table_new(NULL, NULL), .ctx = ctx };
    int ret;

    g_hash_table_add(m.visited, c);
    g_hash_table_add(m.visited, c->bs);
    ret = aio_ctx_plan(&m, NULL, c, tran, NULL);
    g_hash_table_destroy(m.visited);
    return ret;
}

/*
 * A new edge joins two components: move the child's side into the parent's
 * context, or failing that the parent's side into the child's.
 */
int aio_ctx_align_edge(BdrvChild *c, Transaction *tran, Error **errp)
{
    AioContext *parent_ctx = aio_ctx_of_parent(c);
    AioContext *child_ctx = aio_ctx_of_node(c->bs);
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
        ret = aio_ctx_move_parent(c, child_ctx, tran);
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

/* ---- the seed API's names: one implementation with the ones above ------ */

/*
 * Plan a move of @bs's component into @ctx not crossing the edges of
 * *@ignore, to which every edge crossed is added; commit it when @apply,
 * else only check it.
 */
static int aio_ctx_move_ignore(BlockDriverState *bs, AioContext *ctx,
                               GSList **ignore, bool apply, Error **errp)
{
    AioCtxMove m = { .visited = g_hash_table_new(NULL, NULL), .ctx = ctx,
                     .crossed = ignore };
    Transaction *tran = tran_new();
    int ret;

    for (GSList *l = ignore ? *ignore : NULL; l; l = l->next) {
        g_hash_table_add(m.visited, l->data);
    }
    bdrv_drained_begin(bs);
    ret = aio_ctx_plan(&m, bs, NULL, tran, errp);
    tran_finalize(tran, apply ? ret : -1);
    bdrv_drained_end(bs);
    g_hash_table_destroy(m.visited);
    return ret;
}

int bdrv_try_set_aio_context(BlockDriverState *bs, AioContext *ctx,
                             Error **errp)
{
    GLOBAL_STATE_CODE();
    return bdrv_try_change_aio_context(bs, ctx, NULL, errp);
}

int bdrv_child_try_set_aio_context(BlockDriverState *bs, AioContext *ctx,
                                   BdrvChild *ignore_child, Error **errp)
{
    GLOBAL_STATE_CODE();
    return bdrv_try_change_aio_context(bs, ctx, ignore_child, errp);
}

bool bdrv_can_set_aio_context(BlockDriverState *bs, AioContext *ctx,
                              GSList **ignore, Error **errp)
{
    GLOBAL_STATE_CODE();
    return aio_ctx_move_ignore(bs, ctx, ignore, false, errp) == 0;
}

bool bdrv_child_can_set_aio_context(BdrvChild *c, AioContext *ctx,
                                    GSList **ignore, Error **errp)
{
    GLOBAL_STATE_CODE();
    if (g_slist_find(*ignore, c)) {
        return true;
    }
    *ignore = g_slist_prepend(*ignore, c);
    return bdrv_can_set_aio_context(c->bs, ctx, ignore, errp);
}

void bdrv_set_aio_context_ignore(BlockDriverState *bs, AioContext *new_context,
                                 GSList **ignore)
{
    Error *local_err = NULL;

    GLOBAL_STATE_CODE();
    if (aio_ctx_move_ignore(bs, new_context, ignore, true, &local_err) < 0) {
        /* The caller must have asked bdrv_can_set_aio_context() first */
        error_report("bdrv_set_aio_context_ignore: %s",
                     error_get_pretty(local_err));
        abort();
    }
}

AioContext *bdrv_child_get_parent_aio_context(BdrvChild *c)
{
    GLOBAL_STATE_CODE();
    return aio_ctx_of_parent(c);
}

/*
 * drydock's AioContexts have no lock to take (requests of a context run in
 * its thread), so only the seed's contract is checked: a coroutine of the
 * main thread.
 */
void coroutine_fn bdrv_co_lock(BlockDriverState *bs)
{
    assert(qemu_in_coroutine() && qemu_in_main_thread());
    if (bdrv_get_aio_context(bs) != qemu_get_current_aio_context()) {
        aio_context_acquire(bdrv_get_aio_context(bs));
    }
}

void coroutine_fn bdrv_co_unlock(BlockDriverState *bs)
{
    assert(qemu_in_coroutine() && qemu_in_main_thread());
    if (bdrv_get_aio_context(bs) != qemu_get_current_aio_context()) {
        aio_context_release(bdrv_get_aio_context(bs));
    }
}
