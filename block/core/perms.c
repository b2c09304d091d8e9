/*
 * Permissions: what each edge holds on its child and what it shares.
 *
 * A refresh visits every affected node parents-before-children (a
 * topological order of the union of the affected subtrees), so when a node
 * is visited all of its parents' edges already carry their new permissions.
 * Each node's parent edges must be pairwise compatible; the driver is asked
 * to prepare (check), then what the node needs from each child is derived.
 * Every change is recorded in the transaction: abort restores the edges and
 * tells the drivers (file locks included) to go back to the old state.
 */
#include "core.h"

static const char *const perms_names[BLK_PERM_COUNT] = {
    "consistent read", "write", "write unchanged", "resize",
};

char *bdrv_perm_names(uint64_t perm)
{
    char buf[128] = "";

    for (int i = 0; i < BLK_PERM_COUNT; i++) {
        if (perm & (1ULL << i)) {
            if (buf[0]) {
                pstrcat(buf, sizeof(buf), ", ");
            }
            pstrcat(buf, sizeof(buf), perms_names[i]);
        }
    }
    return g_strdup(buf);
}

void bdrv_get_cumulative_perm(BlockDriverState *bs, uint64_t *perm,
                              uint64_t *shared_perm)
{
    uint64_t p = 0, s = BLK_PERM_ALL;
    BdrvChild *c;

    QLIST_FOREACH(c, &bs->parents, next_parent) {
        p |= c->perm;
        s &= c->shared_perm;
    }
    *perm = p;
    *shared_perm = s;
}

bool perms_is_writable_node(BlockDriverState *bs)
{
    return !bdrv_is_read_only(bs) && !(bs->open_flags & BDRV_O_INACTIVE);
}

/* "node 'top' (uses node 'base' as 'backing' child)" */
char *perms_child_user_desc(BdrvChild *c)
{
    g_autofree char *parent = c->klass->get_parent_desc
                                  ? c->klass->get_parent_desc(c)
                                  : g_strdup("another user");

    return g_strdup_printf("%s (uses node '%s' as '%s' child)", parent,
                           bdrv_get_node_name(c->bs), c->name);
}

/* ---- default permissions by role -------------------------------------- */

void bdrv_filter_default_perms(BlockDriverState *bs, BdrvChild *c,
                               BdrvChildRole role,
                               BlockReopenQueue *reopen_queue, uint64_t perm,
                               uint64_t shared, uint64_t *nperm,
                               uint64_t *nshared)
{
    *nperm = perm & DEFAULT_PERM_PASSTHROUGH;
    *nshared = (shared & DEFAULT_PERM_PASSTHROUGH) | DEFAULT_PERM_UNCHANGED;
}

/*
 * A backing file is read consistently only if the parents read the image
 * so; it is never written through us.  Others may write (and resize) it
 * only if the parents let others write the image, or while we are
 * inactive.
 */
static void perms_for_cow(BlockDriverState *bs, uint64_t perm,
                          uint64_t shared, uint64_t *nperm, uint64_t *nshared)
{
    *nperm = perm & BLK_PERM_CONSISTENT_READ;
    *nshared = BLK_PERM_CONSISTENT_READ | BLK_PERM_WRITE_UNCHANGED;
    if ((shared & BLK_PERM_WRITE) || (bs->open_flags & BDRV_O_INACTIVE)) {
        *nshared |= BLK_PERM_WRITE | BLK_PERM_RESIZE;
    }
}

/*
 * Storage of a format.  What the parents need passes through as for a
 * filter, then: metadata is read (unless the node does no I/O), written
 * and resized whenever the node is writable, and nobody else may write or
 * resize it; data written may grow the file (and unchanged writes may
 * really change it, e.g. copy-on-read), and nobody else may resize it.
 * While inactive, others may write and resize.
 */
static void perms_for_storage(BlockDriverState *bs, BdrvChildRole role,
                              uint64_t perm, uint64_t shared, uint64_t *nperm,
                              uint64_t *nshared)
{
    uint64_t p = perm & DEFAULT_PERM_PASSTHROUGH;
    uint64_t s = (shared & DEFAULT_PERM_PASSTHROUGH) | DEFAULT_PERM_UNCHANGED;

    if (role & BDRV_CHILD_METADATA) {
        if (perms_is_writable_node(bs)) {
            p |= BLK_PERM_WRITE | BLK_PERM_RESIZE;
        }
        if (!(bs->open_flags & BDRV_O_NO_IO)) {
            p |= BLK_PERM_CONSISTENT_READ;
        }
        s &= ~(uint64_t)(BLK_PERM_WRITE | BLK_PERM_RESIZE);
    }
    if (role & BDRV_CHILD_DATA) {
        s &= ~(uint64_t)BLK_PERM_RESIZE;
        if (p & BLK_PERM_WRITE_UNCHANGED) {
            p |= BLK_PERM_WRITE;
        }
        if (p & BLK_PERM_WRITE) {
            p |= BLK_PERM_RESIZE;
        }
    }
    if (bs->open_flags & BDRV_O_INACTIVE) {
        s |= BLK_PERM_WRITE | BLK_PERM_RESIZE;
    }
    *nperm = p;
    *nshared = s;
}

/*
 * QEMU's rules by role (force-share is applied by the core on top, see
 * perms_refresh_node).  A child with none of the four roles gets nothing
 * and shares everything (QEMU asserts instead).
 */
void bdrv_default_perms(BlockDriverState *bs, BdrvChild *c, BdrvChildRole role,
                        BlockReopenQueue *reopen_queue, uint64_t perm,
                        uint64_t shared, uint64_t *nperm, uint64_t *nshared)
{
    if (role & BDRV_CHILD_FILTERED) {
        bdrv_filter_default_perms(bs, c, role, reopen_queue, perm, shared,
                                  nperm, nshared);
    } else if (role & BDRV_CHILD_COW) {
        perms_for_cow(bs, perm, shared, nperm, nshared);
    } else if (role & (BDRV_CHILD_DATA | BDRV_CHILD_METADATA)) {
        perms_for_storage(bs, role, perm, shared, nperm, nshared);
    } else {
        *nperm = 0;
        *nshared = BLK_PERM_ALL;
    }
}

/* The reopen whose permissions are being refreshed (reopen.c), or NULL */
static BlockReopenQueue *perms_reopen_queue;

int perms_refresh_list_reopen(GSList *list, BlockReopenQueue *queue,
                              Transaction *tran, Error **errp)
{
    int ret;

    perms_reopen_queue = queue;
    ret = perms_refresh_list(list, tran, errp);
    perms_reopen_queue = NULL;
    return ret;
}

void perms_child_perm(BlockDriverState *bs, BdrvChild *c, uint64_t perm,
                      uint64_t shared, uint64_t *nperm, uint64_t *nshared)
{
    *nperm = 0;
    *nshared = BLK_PERM_ALL;
    if (bs->drv && bs->drv->bdrv_child_perm) {
        bs->drv->bdrv_child_perm(bs, c, c->role, perms_reopen_queue, perm,
                                 shared, nperm, nshared);
    }
    /* Whatever the driver asks, an edge to a force-shared node shares all */
    if (c->bs->force_share) {
        *nshared = BLK_PERM_ALL;
    }
}

/* ---- transaction steps ------------------------------------------------ */

typedef struct PermsEdgeState {
    BdrvChild *child;
    uint64_t old_perm;
    uint64_t old_shared;
} PermsEdgeState;

static void perms_edge_abort(void *opaque)
{
    PermsEdgeState *s = opaque;

    s->child->perm = s->old_perm;
    s->child->shared_perm = s->old_shared;
}

static TransactionActionDrv perms_edge_drv = {
    .abort = perms_edge_abort,
};

static void perms_set_edge_tran(BdrvChild *c, uint64_t perm, uint64_t shared,
                                Transaction *tran)
{
    PermsEdgeState *s;

    if (c->perm == perm && c->shared_perm == shared) {
        return;
    }
    s = tran_alloc(tran, sizeof(*s));
    *s = (PermsEdgeState){ c, c->perm, c->shared_perm };
    c->perm = perm;
    c->shared_perm = shared;
    tran_add(tran, &perms_edge_drv, s);
}

typedef struct PermsDriverState {
    BlockDriverState *bs;
    uint64_t perm;
    uint64_t shared;
} PermsDriverState;

static void perms_driver_abort(void *opaque)
{
    PermsDriverState *s = opaque;

    if (s->bs->drv && s->bs->drv->bdrv_abort_perm_update) {
        s->bs->drv->bdrv_abort_perm_update(s->bs);
    }
}

static void perms_driver_commit(void *opaque)
{
    PermsDriverState *s = opaque;

    s->bs->cur_perm = s->perm;
    s->bs->cur_shared = s->shared;
    if (s->bs->drv && s->bs->drv->bdrv_set_perm) {
        s->bs->drv->bdrv_set_perm(s->bs, s->perm, s->shared);
    }
}

static void perms_driver_clean(void *opaque)
{
    PermsDriverState *s = opaque;

    bdrv_unref(s->bs);
}

static TransactionActionDrv perms_driver_drv = {
    .abort = perms_driver_abort,
    .commit = perms_driver_commit,
    .clean = perms_driver_clean,
};

/* ---- the refresh ------------------------------------------------------ */

/* Depth-first post-order: walked backwards, parents come before children */
static void perms_topo_visit(PtrVec *order, PtrSet *found,
                             BlockDriverState *bs)
{
    BdrvChild *c;

    if (!ptrset_add(found, bs)) {
        return;
    }
    QLIST_FOREACH(c, &bs->children, next) {
        perms_topo_visit(order, found, c->bs);
    }
    ptrvec_push(order, bs);
}

static void perms_topological_order(GSList *roots, PtrVec *order)
{
    PtrSet found;

    ptrset_init(&found);
    for (GSList *l = roots; l; l = l->next) {
        perms_topo_visit(order, &found, l->data);
    }
    ptrset_destroy(&found);
}

/* Every parent edge of @bs must be allowed by all its siblings */
static int perms_check_siblings(BlockDriverState *bs, Error **errp)
{
    BdrvChild *a, *b;

    QLIST_FOREACH(a, &bs->parents, next_parent) {
        QLIST_FOREACH(b, &bs->parents, next_parent) {
            uint64_t conflict = a->perm & ~b->shared_perm;
            if (a == b || !conflict) {
                continue;
            }
            g_autofree char *names = bdrv_perm_names(conflict);
            g_autofree char *user = perms_child_user_desc(a);
            g_autofree char *other = perms_child_user_desc(b);
            error_setg(errp, "Permission conflict on node '%s': permissions "
                       "'%s' are both required by %s and unshared by %s",
                       bdrv_get_node_name(bs), names, user, other);
            return -EPERM;
        }
    }
    return 0;
}

/*
 * A write that is not aligned to the node's request alignment is padded
 * to whole blocks; in the last block of a node whose length is not a
 * multiple of the alignment, the padding reaches past the end, which only
 * a holder of RESIZE may do.  So such a node grants no write without
 * RESIZE (QEMU's rule and message).
 */
int perms_check_write_alignment(BlockDriverState *bs, uint64_t perm,
                                uint32_t align, Error **errp)
{

    if (!(perm & (BLK_PERM_WRITE | BLK_PERM_WRITE_UNCHANGED)) ||
        (perm & BLK_PERM_RESIZE) || bs->total_sectors < 0 || align <= 1) {
        return 0;
    }
    if ((bs->total_sectors * (int64_t)BDRV_SECTOR_SIZE) % align) {
        error_setg(errp, "Cannot get 'write' permission without 'resize': "
                   "Image size is not a multiple of request alignment");
        return -EPERM;
    }
    return 0;
}

static int perms_refresh_node(BlockDriverState *bs, Transaction *tran,
                              Error **errp)
{
    uint64_t perm, shared;
    BdrvChild *c;
    int ret;

    bdrv_get_cumulative_perm(bs, &perm, &shared);
    ret = perms_check_siblings(bs, errp);
    if (ret < 0) {
        return ret;
    }
    if ((perm & (BLK_PERM_WRITE | BLK_PERM_WRITE_UNCHANGED)) &&
        !perms_is_writable_node(bs)) {
        error_setg(errp, "Block node is read-only");
        return -EPERM;
    }
    ret = perms_check_write_alignment(bs, perm, bs->bl.request_alignment,
                                      errp);
    if (ret < 0) {
        return ret;
    }
    if (!bs->drv) {
        return 0;
    }
    if (bs->drv->bdrv_check_perm) {
        ret = bs->drv->bdrv_check_perm(bs, perm, shared, errp);
        if (ret < 0) {
            return ret;
        }
    }
    PermsDriverState *s = tran_alloc(tran, sizeof(*s));
    bdrv_ref(bs);
    *s = (PermsDriverState){ bs, perm, shared };
    tran_add(tran, &perms_driver_drv, s);

    QLIST_FOREACH(c, &bs->children, next) {
        uint64_t nperm, nshared;
        perms_child_perm(bs, c, perm, shared, &nperm, &nshared);
        perms_set_edge_tran(c, nperm, nshared, tran);
    }
    return 0;
}

int perms_refresh_list(GSList *list, Transaction *tran, Error **errp)
{
    PtrVec order;
    int ret = 0;

    ptrvec_init(&order);
    perms_topological_order(list, &order);
    for (size_t i = order.n; i-- > 0 && ret == 0;) {
        ret = perms_refresh_node(order.v[i], tran, errp);
    }
    ptrvec_destroy(&order);
    return ret;
}

int bdrv_refresh_perms(BlockDriverState *bs, Transaction *tran, Error **errp)
{
    Transaction *local = tran ? NULL : tran_new();
    GSList list = { .data = bs };
    int ret;

    GLOBAL_STATE_CODE();
    ret = perms_refresh_list(&list, tran ? tran : local, errp);
    if (local) {
        tran_finalize(local, ret);
    }
    return ret;
}

int bdrv_child_try_set_perm(BdrvChild *c, uint64_t perm, uint64_t shared,
                            Error **errp)
{
    Transaction *tran = tran_new();
    int ret;

    GLOBAL_STATE_CODE();
    perms_set_edge_tran(c, perm, shared, tran);
    ret = bdrv_refresh_perms(c->bs, tran, errp);
    tran_finalize(tran, ret);
    return ret;
}
