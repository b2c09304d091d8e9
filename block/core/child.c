/*
 * Edges (BdrvChild) and the no-permission steps graph changes are made of.
 *
 * Every public graph change follows one pattern: open a Transaction, apply
 * the edge steps (each registers its own undo), refresh permissions once for
 * every affected subtree, then commit or abort.  Nothing is checked in an
 * intermediate state, so no step can see a false conflict.
 */
#include "core.h"

/* ---- the child class of node parents ---------------------------------- */

static BlockDriverState *child_parent_bs(BdrvChild *c)
{
    assert(c->klass->parent_is_bds);
    return c->opaque;
}

static char *child_of_bds_get_parent_desc(BdrvChild *c)
{
    BlockDriverState *parent = child_parent_bs(c);

    return g_strdup_printf("node '%s'", bdrv_get_node_name(parent));
}

static AioContext *child_of_bds_get_parent_aio_context(BdrvChild *c)
{
    return bdrv_get_aio_context(child_parent_bs(c));
}

static void child_of_bds_drained_begin(BdrvChild *c)
{
    bdrv_do_drained_begin_quiesce(child_parent_bs(c), c);
}

static void child_of_bds_drained_end(BdrvChild *c)
{
    bdrv_drained_end_no_poll(child_parent_bs(c), c);
}

static bool child_of_bds_drained_poll(BdrvChild *c)
{
    return bdrv_drain_poll(child_parent_bs(c), c, false);
}

/*
 * Where a parent records an edge of role @role: &parent->backing,
 * &parent->file, or NULL.  A filter's (or a filtered) primary child is its
 * "backing" child when the driver says so (filtered_child_is_backing),
 * else its "file" child; a COW child is "backing"; another primary child
 * is "file".
 */
BdrvChild **child_role_slot(BlockDriverState *parent, BdrvChildRole role)
{
    const BlockDriver *drv = parent->drv;

    if ((drv && drv->is_filter) || (role & BDRV_CHILD_FILTERED)) {
        if (!(role & BDRV_CHILD_PRIMARY)) {
            return NULL;
        }
        return drv && drv->filtered_child_is_backing ? &parent->backing
                                                      : &parent->file;
    }
    if (role & BDRV_CHILD_COW) {
        return &parent->backing;
    }
    return role & BDRV_CHILD_PRIMARY ? &parent->file : NULL;
}

/*
 * bs->file and bs->backing are a function of the edges: the first child
 * (in creation order) whose role names the slot.  Recomputed after every
 * edge step and undo, so abort restores them with the edges.
 */
BdrvChild *child_slot_holder(BlockDriverState *parent, BdrvChild **slot)
{
    BdrvChild *c;

    QLIST_FOREACH(c, &parent->children, next) {
        if (c->bs && child_role_slot(parent, c->role) == slot) {
            return c;
        }
    }
    return NULL;
}

/* Written only when they change: I/O may read them from other threads */
static void child_update_slots(BdrvChild *c)
{
    BlockDriverState *parent;
    BdrvChild *file, *backing;

    if (!c->klass->parent_is_bds) {
        return;
    }
    parent = child_parent_bs(c);
    file = child_slot_holder(parent, &parent->file);
    backing = child_slot_holder(parent, &parent->backing);
    if (parent->file != file) {
        parent->file = file;
    }
    if (parent->backing != backing) {
        parent->backing = backing;
    }
}

static void child_of_bds_resize(BdrvChild *c)
{
    BlockDriverState *parent = child_parent_bs(c);

    /* The parent's cached length may depend on the child's */
    if (parent->drv && parent->drv->is_filter) {
        bdrv_refresh_total_sectors(parent, -1);
        bdrv_parent_cb_resize(parent);
    }
}

const BdrvChildClass child_of_bds = {
    .parent_is_bds = true,
    .get_parent_desc = child_of_bds_get_parent_desc,
    .get_parent_aio_context = child_of_bds_get_parent_aio_context,
    .drained_begin = child_of_bds_drained_begin,
    .drained_end = child_of_bds_drained_end,
    .drained_poll = child_of_bds_drained_poll,
    .resize = child_of_bds_resize,
    .update_filename = backing_chain_update_filename,
    /* node parents are crossed directly by aio-context.c */
};

/* ---- moving one edge, the primitive everything else is built on ------ */

/*
 * Point @child at @new_bs (either may be NULL).  The parent stays quiesced
 * across the move when both ends are drained, and only changes state when
 * the drained-ness of its child changes.
 */
static void child_replace_bs(BdrvChild *child, BlockDriverState *new_bs)
{
    BlockDriverState *old_bs = child->bs;
    bool new_drained = new_bs && new_bs->quiesce_counter > 0;

    if (new_drained && !child->quiesced_parent) {
        bdrv_parent_drained_begin_single(child);
    }
    if (old_bs) {
        if (child->klass->detach) {
            child->klass->detach(child);
        }
        QLIST_REMOVE(child, next_parent);
    }
    child->bs = new_bs;
    child_update_slots(child);
    if (new_bs) {
        QLIST_INSERT_HEAD(&new_bs->parents, child, next_parent);
        if (child->klass->attach) {
            child->klass->attach(child);
        }
    }
    if (!new_drained && child->quiesced_parent) {
        bdrv_parent_drained_end_single(child);
    }
}

/* The name is stored after the edge, in its allocation */
static void child_free(BdrvChild *child)
{
    assert(!child->bs);
    g_free(child);
}

/* ---- transaction steps ------------------------------------------------ */

typedef struct ChildReplaceState {
    BdrvChild *child;
    BlockDriverState *old_bs;
    BlockDriverState *new_bs;
    bool committed;
} ChildReplaceState;

static void child_replace_abort(void *opaque)
{
    ChildReplaceState *s = opaque;

    child_replace_bs(s->child, s->old_bs);
}

static void child_replace_commit(void *opaque)
{
    ChildReplaceState *s = opaque;

    s->committed = true;
    io_length_child_changed(s->child);
}

/* Runs after every commit/abort: references move with the edge */
static void child_replace_clean(void *opaque)
{
    ChildReplaceState *s = opaque;

    bdrv_unref(s->committed ? s->old_bs : s->new_bs);
}

static TransactionActionDrv child_replace_drv = {
    .abort = child_replace_abort,
    .commit = child_replace_commit,
    .clean = child_replace_clean,
};

/* The edge takes a new reference of @new_bs and drops @old_bs's on commit */
void child_replace_bs_tran(BdrvChild *child, BlockDriverState *new_bs,
                           Transaction *tran)
{
    ChildReplaceState *s = tran_alloc(tran, sizeof(*s));

    *s = (ChildReplaceState){ .child = child };
    s->old_bs = child->bs;
    s->new_bs = new_bs;
    if (new_bs) {
        bdrv_ref(new_bs);
    }
    child_replace_bs(child, new_bs);
    tran_add(tran, &child_replace_drv, s);
}

typedef struct ChildAttachState {
    BdrvChild *child;
    bool committed;
} ChildAttachState;

static void child_unlink_from_parent(BdrvChild *child)
{
    if (child->klass->parent_is_bds) {
        QLIST_REMOVE(child, next);
    }
}

static void child_attach_abort(void *opaque)
{
    ChildAttachState *s = opaque;

    child_replace_bs(s->child, NULL);
    child_unlink_from_parent(s->child);
    child_free(s->child);
}

static void child_attach_commit(void *opaque)
{
    ChildAttachState *s = opaque;

    s->committed = true;
    io_length_child_changed(s->child);
}

static TransactionActionDrv child_attach_drv = {
    .abort = child_attach_abort,
    .commit = child_attach_commit,
};

static uint64_t child_subtree_visits;

uint64_t bdrv_debug_subtree_visits(void)
{
    return child_subtree_visits;
}

static bool child_subtree_search(BlockDriverState *bs,
                                 BlockDriverState *needle,
                                 PtrSet *visited)
{
    BdrvChild *c;

    if (!ptrset_add(visited, bs)) {
        return false; /* searched already, through another path */
    }
    child_subtree_visits++;
    if (bs == needle) {
        return true;
    }
    QLIST_FOREACH(c, &bs->children, next) {
        if (child_subtree_search(c->bs, needle, visited)) {
            return true;
        }
    }
    return false;
}

/*
 * Is @needle in the subtree of @bs (including @bs)?  Each node is visited
 * once, so diamonds (a child under several parents) cost nothing extra.
 */
bool child_subtree_contains(BlockDriverState *bs, BlockDriverState *needle)
{
    PtrSet visited;
    bool found;

    ptrset_init(&visited);
    found = child_subtree_search(bs, needle, &visited);
    ptrset_destroy(&visited);
    return found;
}

static BdrvChild *child_new_edge(BlockDriverState *child_bs,
                                 const char *child_name,
                                 const BdrvChildClass *child_class,
                                 BdrvChildRole child_role, void *opaque,
                                 Transaction *tran)
{
    size_t name_len = strlen(child_name);
    BdrvChild *child = g_malloc0(sizeof(*child) + name_len + 1);
    ChildAttachState *s = tran_alloc(tran, sizeof(*s));

    *s = (ChildAttachState){ 0 };
    child->name = memcpy(child + 1, child_name, name_len + 1);
    child->klass = child_class;
    child->role = child_role;
    child->opaque = opaque;
    child->shared_perm = BLK_PERM_ALL;
    if (child_class->parent_is_bds) {
        BlockDriverState *parent = opaque;
        BdrvChild *last = QLIST_FIRST(&parent->children);
        /* Keep creation order: error messages and iteration follow it */
        while (last && QLIST_NEXT(last, next)) {
            last = QLIST_NEXT(last, next);
        }
        if (last) {
            QLIST_INSERT_AFTER(last, child, next);
        } else {
            QLIST_INSERT_HEAD(&parent->children, child, next);
        }
    }
    child_replace_bs(child, child_bs);
    s->child = child;
    tran_add(tran, &child_attach_drv, s);
    return child;
}

/*
 * The new edge owns the caller's reference to @child_bs once the
 * transaction commits; on abort the caller still owns it.
 */
BdrvChild *child_attach_noperm(BlockDriverState *parent_bs,
                               BlockDriverState *child_bs,
                               const char *child_name,
                               const BdrvChildClass *child_class,
                               BdrvChildRole child_role, Transaction *tran,
                               Error **errp)
{
    BdrvChild *c;

    assert(child_class->parent_is_bds);
    if (child_subtree_contains(child_bs, parent_bs)) {
        error_setg(errp, "Making '%s' a %s child of '%s' would create a cycle",
                   bdrv_get_node_name(child_bs), child_name,
                   bdrv_get_node_name(parent_bs));
        return NULL;
    }
    QLIST_FOREACH(c, &parent_bs->children, next) {
        if (!strcmp(c->name, child_name)) {
            error_setg(errp, "Node '%s' already has a child named '%s'",
                       bdrv_get_node_name(parent_bs), child_name);
            return NULL;
        }
    }
    /* There may be several primary children, but only one backing */
    if (child_role_slot(parent_bs, child_role) == &parent_bs->backing &&
        parent_bs->backing) {
        error_setg(errp, "Node '%s' already has a backing child",
                   bdrv_get_node_name(parent_bs));
        return NULL;
    }
    c = child_new_edge(child_bs, child_name, child_class, child_role,
                       parent_bs, tran);
    /* On failure the edge is undone with the rest of the transaction */
    return aio_ctx_align_edge(c, tran, errp) < 0 ? NULL : c;
}

static BdrvChild *child_root_attach_noperm(BlockDriverState *child_bs,
                                           const char *child_name,
                                           const BdrvChildClass *child_class,
                                           BdrvChildRole child_role,
                                           uint64_t perm, uint64_t shared_perm,
                                           void *opaque, Transaction *tran,
                                           Error **errp)
{
    BdrvChild *child;

    assert(!child_class->parent_is_bds);
    child = child_new_edge(child_bs, child_name, child_class, child_role,
                           opaque, tran);
    child->perm = perm;
    child->shared_perm = shared_perm;
    return aio_ctx_align_edge(child, tran, errp) < 0 ? NULL : child;
}

typedef struct ChildRemoveState {
    BdrvChild *child;
    BlockDriverState *bs;
    BlockDriverState *parent;
    BdrvChild *prev; /* the sibling before it, to restore the order */
    bool committed;
} ChildRemoveState;

static void child_remove_abort(void *opaque)
{
    ChildRemoveState *s = opaque;

    if (s->prev) {
        QLIST_INSERT_AFTER(s->prev, s->child, next);
    } else {
        QLIST_INSERT_HEAD(&s->parent->children, s->child, next);
    }
    child_replace_bs(s->child, s->bs);
}

static void child_remove_commit(void *opaque)
{
    ChildRemoveState *s = opaque;

    s->committed = true;
}

static void child_remove_clean(void *opaque)
{
    ChildRemoveState *s = opaque;

    if (s->committed) {
        child_free(s->child);
        bdrv_unref(s->bs);
    }
}

static TransactionActionDrv child_remove_drv = {
    .abort = child_remove_abort,
    .commit = child_remove_commit,
    .clean = child_remove_clean,
};

/* Detach an edge of a node parent; freed (and its reference dropped) on commit */
void child_remove_tran(BdrvChild *child, Transaction *tran)
{
    ChildRemoveState *s = tran_alloc(tran, sizeof(*s));
    BdrvChild *c;

    *s = (ChildRemoveState){ .child = child };
    s->bs = child->bs;
    s->parent = child_parent_bs(child);
    QLIST_FOREACH(c, &s->parent->children, next) {
        if (QLIST_NEXT(c, next) == child) {
            s->prev = c;
        }
    }
    QLIST_REMOVE(child, next);
    child_replace_bs(child, NULL);
    tran_add(tran, &child_remove_drv, s);
}

/* ---- public edge operations ------------------------------------------- */

BdrvChild *bdrv_attach_child(BlockDriverState *parent_bs,
                             BlockDriverState *child_bs,
                             const char *child_name,
                             const BdrvChildClass *child_class,
                             BdrvChildRole child_role, Error **errp)
{
    Transaction *tran = tran_new();
    BdrvChild *child;
    int ret = -EINVAL;

    GLOBAL_STATE_CODE();
    child = child_attach_noperm(parent_bs, child_bs, child_name, child_class,
                                child_role, tran, errp);
    if (child) {
        ret = limits_refresh_one(parent_bs, tran, errp);
    }
    if (ret == 0) {
        ret = bdrv_refresh_perms(parent_bs, tran, errp);
    }
    tran_finalize(tran, ret);
    if (ret < 0) {
        bdrv_unref(child_bs); /* the reference was given to us */
        return NULL;
    }
    return child;
}

BdrvChild *bdrv_root_attach_child(BlockDriverState *child_bs,
                                  const char *child_name,
                                  const BdrvChildClass *child_class,
                                  BdrvChildRole child_role, uint64_t perm,
                                  uint64_t shared_perm, void *opaque,
                                  Error **errp)
{
    Transaction *tran = tran_new();
    BdrvChild *child;
    int ret = -EINVAL;

    GLOBAL_STATE_CODE();
    child = child_root_attach_noperm(child_bs, child_name, child_class,
                                     child_role, perm, shared_perm, opaque,
                                     tran, errp);
    if (child) {
        ret = bdrv_refresh_perms(child_bs, tran, errp);
    }
    tran_finalize(tran, ret);
    if (ret < 0) {
        bdrv_unref(child_bs);
        return NULL;
    }
    return child;
}

/*
 * Dropping an edge only relaxes permissions, but a driver may still refuse
 * the refresh: then the drivers keep what they hold (the transaction is
 * aborted), as nothing a driver refused may be committed.
 */
void bdrv_root_unref_child(BdrvChild *child)
{
    BlockDriverState *child_bs = child->bs;
    Transaction *tran = tran_new();

    GLOBAL_STATE_CODE();
    child_replace_bs(child, NULL);
    tran_finalize(tran, bdrv_refresh_perms(child_bs, tran, NULL));
    aio_ctx_after_detach(child_bs);
    child_free(child);
    bdrv_unref(child_bs);
}

void bdrv_unref_child(BlockDriverState *parent, BdrvChild *child)
{
    Transaction *tran;

    GLOBAL_STATE_CODE();
    if (!child) {
        return;
    }
    assert(child->opaque == parent && child->klass->parent_is_bds);
    QLIST_REMOVE(child, next);
    bdrv_root_unref_child(child);
    /* What the child gave the parent's limits is gone with it */
    tran = tran_new();
    tran_finalize(tran, limits_refresh_one(parent, tran, NULL));
}
