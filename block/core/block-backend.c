/*
 * BlockBackend: the device-side handle on a node tree.
 *
 * A backend is the parent of its root node through an edge of class
 * block_backend_root: it holds permissions on the node like any parent,
 * takes part in drains (new requests are parked while the node is
 * drained) and in AioContext moves (only when it opted in).
 */
#include "block-backend-int.h"
#include "util/atomic.h"

static QTAILQ_HEAD(, BlockBackend) block_backends =
    QTAILQ_HEAD_INITIALIZER(block_backends);
static QTAILQ_HEAD(, BlockBackend) monitor_block_backends =
    QTAILQ_HEAD_INITIALIZER(monitor_block_backends);

/* ---- the root edge's class ---- */

static BlockBackend *block_backend_of(BdrvChild *child)
{
    return child->opaque;
}

static const char *block_backend_root_get_name(BdrvChild *child)
{
    return blk_name(block_backend_of(child));
}

static char *block_backend_root_get_parent_desc(BdrvChild *child)
{
    BlockBackend *blk = block_backend_of(child);

    if (blk->name) {
        return g_strdup_printf("block device '%s'", blk->name);
    }
    return g_strdup("a block device");
}

static AioContext *block_backend_root_get_parent_aio_context(BdrvChild *child)
{
    return qatomic_read(&block_backend_of(child)->ctx);
}

/* ---- quiescing and parked requests ---- */

static void block_backend_quiesce(BlockBackend *blk)
{
    /* Atomic: requests look at it without the lock (block-backend-io.c) */
    pthread_mutex_lock(&blk->queued_lock);
    qatomic_inc(&blk->quiesce_counter);
    pthread_mutex_unlock(&blk->queued_lock);
}

/*
 * The last end resumes the parked requests, oldest first, in the context
 * the backend is in now (it may have moved while they waited).  Each one
 * counts as in flight again from here, so no drain or move can miss it
 * between its wake-up and its resumption.
 */
static void block_backend_unquiesce(BlockBackend *blk)
{
    BlockBackendWaiters woken = QSIMPLEQ_HEAD_INITIALIZER(woken);
    BlockBackendWaiter *w;
    AioContext *ctx;

    pthread_mutex_lock(&blk->queued_lock);
    assert(qatomic_read(&blk->quiesce_counter) > 0);
    if (qatomic_dec_fetch(&blk->quiesce_counter) == 0) {
        QSIMPLEQ_CONCAT(&woken, &blk->queued);
        QSIMPLEQ_FOREACH(w, &woken, next) {
            blk_inc_in_flight(blk);
        }
    }
    pthread_mutex_unlock(&blk->queued_lock);
    ctx = blk_get_aio_context(blk);
    while ((w = QSIMPLEQ_FIRST(&woken)) != NULL) {
        Coroutine *co = w->co;

        /* w lives on the waiter's stack: done with it before it runs */
        QSIMPLEQ_REMOVE_HEAD(&woken, next);
        aio_co_schedule(ctx, co);
    }
}

static void block_backend_root_drained_begin(BdrvChild *child)
{
    block_backend_quiesce(block_backend_of(child));
}

static void block_backend_root_drained_end(BdrvChild *child)
{
    block_backend_unquiesce(block_backend_of(child));
}

static bool block_backend_root_drained_poll(BdrvChild *child)
{
    return qatomic_load_acquire(&block_backend_of(child)->in_flight) > 0;
}

typedef struct BlockBackendCtxChange {
    BlockBackend *blk;
    AioContext *ctx;
} BlockBackendCtxChange;

static void block_backend_ctx_commit(void *opaque)
{
    BlockBackendCtxChange *s = opaque;

    qatomic_set(&s->blk->ctx, s->ctx);
}

/* After commit or abort: parked requests resume in the context it has now */
static void block_backend_ctx_clean(void *opaque)
{
    BlockBackendCtxChange *s = opaque;

    block_backend_unquiesce(s->blk);
    g_free(s);
}

static const TransactionActionDrv block_backend_ctx_drv = {
    .commit = block_backend_ctx_commit,
    .clean = block_backend_ctx_clean,
};

static bool block_backend_root_change_aio_ctx(BdrvChild *child,
                                              AioContext *ctx,
                                              GHashTable *visited,
                                              Transaction *tran,
                                              Error **errp)
{
    BlockBackend *blk = block_backend_of(child);
    BlockBackendCtxChange *s;

    if (!blk->allow_aio_context_change) {
        /* The device using the backend cannot follow the node */
        if (blk->name) {
            error_setg(errp, "Cannot change iothread of active block "
                       "backend '%s'", blk->name);
        } else {
            error_setg(errp, "Cannot change iothread of active block "
                       "backend");
        }
        return false;
    }
    /*
     * No parked request may be woken before the transaction is over,
     * whatever order the move drains and switches in: it would resume in
     * the old context
     */
    block_backend_quiesce(blk);
    s = g_new(BlockBackendCtxChange, 1);
    *s = (BlockBackendCtxChange){ .blk = blk, .ctx = ctx };
    tran_add(tran, &block_backend_ctx_drv, s);
    return true;
}

/*
 * Migration hand-over: the backend lets go of its permissions while its
 * node is inactive (drydock has no device model: every backend is the
 * device-side user QEMU lets go), and takes them back on activation.
 */
static int block_backend_root_inactivate(BdrvChild *child)
{
    BlockBackend *blk = block_backend_of(child);

    if (blk->disable_perm) {
        return 0;
    }
    blk->disable_perm = true;
    bdrv_child_try_set_perm(child, 0, BLK_PERM_ALL, &error_abort);
    return 0;
}

static void block_backend_root_activate(BdrvChild *child, Error **errp)
{
    BlockBackend *blk = block_backend_of(child);

    if (!blk->disable_perm) {
        return;
    }
    if (bdrv_child_try_set_perm(child, blk->perm, blk->shared_perm,
                                errp) == 0) {
        blk->disable_perm = false;
    }
}

static const BdrvChildClass block_backend_root = {
    .parent_is_bds = false,
    .get_name = block_backend_root_get_name,
    .get_parent_desc = block_backend_root_get_parent_desc,
    .get_parent_aio_context = block_backend_root_get_parent_aio_context,
    .drained_begin = block_backend_root_drained_begin,
    .drained_end = block_backend_root_drained_end,
    .drained_poll = block_backend_root_drained_poll,
    .change_aio_ctx = block_backend_root_change_aio_ctx,
    .activate = block_backend_root_activate,
    .inactivate = block_backend_root_inactivate,
};

void coroutine_fn block_backend_wait_while_drained(BlockBackend *blk)
{
    BlockBackendWaiter w = { .co = qemu_coroutine_self() };

    assert(qatomic_read(&blk->in_flight) > 0);
    pthread_mutex_lock(&blk->queued_lock);
    if (!qatomic_read(&blk->quiesce_counter) ||
        qatomic_read(&blk->disable_request_queuing)) {
        pthread_mutex_unlock(&blk->queued_lock);
        return;
    }
    QSIMPLEQ_INSERT_TAIL(&blk->queued, &w, next);
    /* Not in flight while parked, or the drain would never end */
    blk_dec_in_flight(blk);
    pthread_mutex_unlock(&blk->queued_lock);
    qemu_coroutine_yield();
    /*
     * block_backend_unquiesce() counted us in flight again when it woke
     * us: a drain that began since then waits for this request like for
     * any other in flight, so it goes on (no re-check, no livelock)
     */
}

/* ---- holds: what keeps the memory alive ---- */

static void block_backend_hold(BlockBackend *blk)
{
    qatomic_inc(&blk->holds);
}

/* The last holder frees: its fetch_dec orders it after every other one */
static void block_backend_release(BlockBackend *blk)
{
    if (qatomic_fetch_dec(&blk->holds) == 1) {
        pthread_mutex_destroy(&blk->queued_lock);
        g_free(blk);
    }
}

void block_backend_req_begin(BlockBackend *blk)
{
    block_backend_hold(blk);
    blk_inc_in_flight(blk);
}

void block_backend_req_end(BlockBackend *blk)
{
    /* The wake-up of the waiters comes before the hold goes */
    blk_dec_in_flight(blk);
    block_backend_release(blk);
}

/* ---- creation and references ---- */

BlockBackend *blk_new(AioContext *ctx, uint64_t perm, uint64_t shared_perm)
{
    BlockBackend *blk = g_new0(BlockBackend, 1);

    GLOBAL_STATE_CODE();
    blk->refcnt = 1;
    blk->holds = 1;
    blk->ctx = ctx ? ctx : qemu_get_aio_context();
    blk->perm = perm;
    blk->shared_perm = shared_perm;
    pthread_mutex_init(&blk->queued_lock, NULL);
    QSIMPLEQ_INIT(&blk->queued);
    QTAILQ_INSERT_TAIL(&block_backends, blk, link);
    return blk;
}

BlockBackend *blk_new_with_bs(BlockDriverState *bs, uint64_t perm,
                              uint64_t shared_perm, Error **errp)
{
    BlockBackend *blk;

    GLOBAL_STATE_CODE();
    blk = blk_new(bdrv_get_aio_context(bs), perm, shared_perm);
    if (blk_insert_bs(blk, bs, errp) < 0) {
        blk_unref(blk);
        return NULL;
    }
    return blk;
}

/*
 * Permissions follow the open flags: reading unless BDRV_O_NO_IO, writing
 * with BDRV_O_RDWR, resizing with BDRV_O_RESIZE.  Everything is shared
 * unless BDRV_O_NO_SHARE (then only reading and unchanged writes).
 */
BlockBackend *blk_new_open(const char *filename, const char *reference,
                           QDict *options, int flags, Error **errp)
{
    uint64_t perm = 0;
    uint64_t shared = BLK_PERM_ALL;
    BlockDriverState *bs;
    BlockBackend *blk;
    int ret;

    GLOBAL_STATE_CODE();
    if (!(flags & BDRV_O_NO_IO)) {
        perm |= BLK_PERM_CONSISTENT_READ;
        if (flags & BDRV_O_RDWR) {
            perm |= BLK_PERM_WRITE;
        }
    }
    if (flags & BDRV_O_RESIZE) {
        perm |= BLK_PERM_RESIZE;
    }
    if (flags & BDRV_O_NO_SHARE) {
        shared = BLK_PERM_CONSISTENT_READ | BLK_PERM_WRITE_UNCHANGED;
    }

    bs = bdrv_open(filename, reference, options, flags, errp);
    if (!bs) {
        return NULL;
    }
    /* bdrv_open may have placed the node in an IOThread's context */
    blk = blk_new(bdrv_get_aio_context(bs), perm, shared);
    ret = blk_insert_bs(blk, bs, errp);
    bdrv_unref(bs);
    if (ret < 0) {
        blk_unref(blk);
        return NULL;
    }
    return blk;
}

void blk_ref(BlockBackend *blk)
{
    GLOBAL_STATE_CODE();
    assert(blk->refcnt > 0);
    blk->refcnt++;
}

/*
 * Requests parked or woken when the backend goes keep its memory (their
 * holds) and fail without a medium when they resume.
 */
static void block_backend_delete(BlockBackend *blk)
{
    assert(blk->refcnt == 0);
    monitor_remove_blk(blk);
    if (blk->root) {
        blk_remove_bs(blk);
    }
    QTAILQ_REMOVE(&block_backends, blk, link);
    block_backend_release(blk);
}

void blk_unref(BlockBackend *blk)
{
    GLOBAL_STATE_CODE();
    if (!blk) {
        return;
    }
    assert(blk->refcnt > 0);
    if (blk->refcnt > 1) {
        blk->refcnt--;
        return;
    }
    /* Let requests in flight finish (e.g. -ENOMEDIUM completions) */
    blk_drain(blk);
    assert(blk->refcnt == 1);
    blk->refcnt = 0;
    block_backend_delete(blk);
}

/* ---- the root node ---- */

/*
 * A drained section of the backend: new requests park (with or without a
 * medium), then the requests in flight are waited for, inside the
 * section, so a device that resubmits from its callbacks cannot keep the
 * wait going.  Returns the root it drained (referenced), for the end.
 */
static BlockDriverState *block_backend_drained_begin(BlockBackend *blk)
{
    BlockDriverState *bs = blk_bs(blk);

    block_backend_quiesce(blk);
    if (bs) {
        bdrv_ref(bs);
        bdrv_drained_begin(bs);
    }
    /* Requests that fail without reaching a node are waited for too */
    AIO_WAIT_WHILE(blk_get_aio_context(blk),
                   qatomic_load_acquire(&blk->in_flight) > 0);
    return bs;
}

static void block_backend_drained_end(BlockBackend *blk, BlockDriverState *bs)
{
    if (bs) {
        bdrv_drained_end(bs);
        bdrv_unref(bs);
    }
    block_backend_unquiesce(blk);
}

int blk_insert_bs(BlockBackend *blk, BlockDriverState *bs, Error **errp)
{
    BdrvChild *root;

    GLOBAL_STATE_CODE();
    assert(!blk->root);
    /* The edge takes this reference; attach drops it on failure */
    bdrv_ref(bs);
    root = bdrv_root_attach_child(bs, "root", &block_backend_root,
                                  BDRV_CHILD_FILTERED | BDRV_CHILD_PRIMARY,
                                  blk->disable_perm ? 0 : blk->perm,
                                  blk->disable_perm ? BLK_PERM_ALL
                                                    : blk->shared_perm,
                                  blk, errp);
    if (!root) {
        return -EPERM;
    }
    /* No request of the backend reads the root while it changes */
    block_backend_drained_begin(blk);
    blk->root = root;
    block_backend_drained_end(blk, NULL);
    return 0;
}

void blk_remove_bs(BlockBackend *blk)
{
    BlockDriverState *bs;
    BdrvChild *root;

    GLOBAL_STATE_CODE();
    if (!blk->root) {
        return;
    }
    /* Parked requests stay parked until the root is gone, then fail */
    bs = block_backend_drained_begin(blk);
    root = blk->root;
    blk->root = NULL;
    bdrv_root_unref_child(root);
    block_backend_drained_end(blk, bs);
}

BlockDriverState *blk_bs(BlockBackend *blk)
{
    IO_CODE();
    return blk->root ? blk->root->bs : NULL;
}

BdrvChild *blk_root(BlockBackend *blk)
{
    GLOBAL_STATE_CODE();
    return blk->root;
}

/* ---- names and iteration ---- */

/*
 * QEMU's bdrv_first_blk/bdrv_has_blk: is bs the root of a backend?  Not
 * declared in a public header yet (the core's node iteration needs it to
 * skip backend roots among monitor-owned nodes).
 */
BlockBackend *bdrv_first_blk(BlockDriverState *bs)
{
    BdrvChild *c;

    GLOBAL_STATE_CODE();
    QLIST_FOREACH(c, &bs->parents, next_parent) {
        if (c->klass == &block_backend_root) {
            return c->opaque;
        }
    }
    return NULL;
}

bool bdrv_has_blk(BlockDriverState *bs)
{
    GLOBAL_STATE_CODE();
    return bdrv_first_blk(bs) != NULL;
}

BlockBackend *blk_all_next(BlockBackend *blk)
{
    GLOBAL_STATE_CODE();
    return blk ? QTAILQ_NEXT(blk, link) : QTAILQ_FIRST(&block_backends);
}

BlockBackend *blk_next(BlockBackend *blk)
{
    GLOBAL_STATE_CODE();
    return blk ? QTAILQ_NEXT(blk, monitor_link)
               : QTAILQ_FIRST(&monitor_block_backends);
}

BlockBackend *blk_by_name(const char *name)
{
    BlockBackend *blk = NULL;

    GLOBAL_STATE_CODE();
    assert(name);
    while ((blk = blk_next(blk)) != NULL) {
        if (!strcmp(name, blk->name)) {
            return blk;
        }
    }
    return NULL;
}

bool blk_name_taken(const char *name)
{
    GLOBAL_STATE_CODE();
    return name && blk_by_name(name) != NULL;
}

bool monitor_add_blk(BlockBackend *blk, const char *name, Error **errp)
{
    GLOBAL_STATE_CODE();
    assert(!blk->name);
    if (!name || !bdrv_id_wellformed(name)) {
        error_setg(errp, "Invalid device name '%s'", name ? name : "");
        return false;
    }
    if (blk_by_name(name)) {
        error_setg(errp, "Device with id '%s' already exists", name);
        return false;
    }
    if (bdrv_find_node(name)) {
        error_setg(errp, "Device name '%s' conflicts with an existing node "
                   "name", name);
        return false;
    }
    blk->name = g_strdup(name);
    QTAILQ_INSERT_TAIL(&monitor_block_backends, blk, monitor_link);
    return true;
}

void monitor_remove_blk(BlockBackend *blk)
{
    GLOBAL_STATE_CODE();
    if (!blk->name) {
        return;
    }
    QTAILQ_REMOVE(&monitor_block_backends, blk, monitor_link);
    g_free(blk->name);
    blk->name = NULL;
}

const char *blk_name(const BlockBackend *blk)
{
    IO_CODE();
    return blk->name ? blk->name : "";
}

/* ---- permissions and settings ---- */

int blk_set_perm(BlockBackend *blk, uint64_t perm, uint64_t shared_perm,
                 Error **errp)
{
    GLOBAL_STATE_CODE();
    if (blk->root && !blk->disable_perm) {
        int ret = bdrv_child_try_set_perm(blk->root, perm, shared_perm, errp);

        if (ret < 0) {
            return ret;
        }
    }
    blk->perm = perm;
    blk->shared_perm = shared_perm;
    return 0;
}

void blk_get_perm(BlockBackend *blk, uint64_t *perm, uint64_t *shared_perm)
{
    GLOBAL_STATE_CODE();
    *perm = blk->perm;
    *shared_perm = blk->shared_perm;
}

void blk_set_allow_write_beyond_eof(BlockBackend *blk, bool allow)
{
    IO_CODE();
    blk->allow_write_beyond_eof = allow;
}

void blk_set_allow_aio_context_change(BlockBackend *blk, bool allow)
{
    IO_CODE();
    blk->allow_aio_context_change = allow;
}

void blk_set_disable_request_queuing(BlockBackend *blk, bool disable)
{
    IO_CODE();
    qatomic_set(&blk->disable_request_queuing, disable);
}

int blk_set_aio_context(BlockBackend *blk, AioContext *new_context,
                        Error **errp)
{
    BlockDriverState *bs = blk_bs(blk);
    bool old_allow;
    int ret;

    GLOBAL_STATE_CODE();
    if (!bs) {
        qatomic_set(&blk->ctx, new_context);
        return 0;
    }
    bdrv_ref(bs);
    /*
     * The backend asked for it: no veto of its own, and its switch is a
     * step of the same transaction as its nodes' (at commit)
     */
    old_allow = blk->allow_aio_context_change;
    blk->allow_aio_context_change = true;
    ret = bdrv_try_change_aio_context(bs, new_context, NULL, errp);
    blk->allow_aio_context_change = old_allow;
    bdrv_unref(bs);
    return ret;
}

/* ---- drain and state ---- */

void blk_drain(BlockBackend *blk)
{
    GLOBAL_STATE_CODE();
    block_backend_drained_end(blk, block_backend_drained_begin(blk));
}

/* Backends without a root are quiesced too, and kept for the drain */
void blk_drain_all(void)
{
    BlockBackend *blk = NULL;
    GSList *held = NULL;

    GLOBAL_STATE_CODE();
    while ((blk = blk_all_next(blk)) != NULL) {
        block_backend_hold(blk);
        block_backend_quiesce(blk);
        held = g_slist_prepend(held, blk);
    }
    bdrv_drain_all_begin();
    for (GSList *l = held; l; l = l->next) {
        blk = l->data;
        AIO_WAIT_WHILE(blk_get_aio_context(blk),
                       qatomic_load_acquire(&blk->in_flight) > 0);
    }
    bdrv_drain_all_end();
    for (GSList *l = held; l; l = l->next) {
        block_backend_unquiesce(l->data);
        block_backend_release(l->data);
    }
    g_slist_free(held);
}

bool blk_is_writable(BlockBackend *blk)
{
    BlockDriverState *bs = blk_bs(blk);

    IO_CODE();
    return bs && !bdrv_is_read_only(bs);
}

bool blk_is_read_only(BlockBackend *blk)
{
    IO_CODE();
    return !blk_is_writable(blk);
}

bool blk_is_inserted(BlockBackend *blk)
{
    BlockDriverState *bs = blk_bs(blk);

    IO_CODE();
    return bs && bdrv_is_inserted(bs);
}

bool blk_is_available(BlockBackend *blk)
{
    IO_CODE();
    return blk_is_inserted(blk);
}

AioContext *blk_get_aio_context(BlockBackend *blk)
{
    IO_CODE();
    return blk ? qatomic_read(&blk->ctx) : qemu_get_aio_context();
}

void blk_inc_in_flight(BlockBackend *blk)
{
    IO_CODE();
    qatomic_inc(&blk->in_flight);
}

void blk_dec_in_flight(BlockBackend *blk)
{
    IO_CODE();
    assert(qatomic_read(&blk->in_flight) > 0);
    qatomic_dec(&blk->in_flight);
    aio_wait_kick();
}
