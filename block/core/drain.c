/*
 * Drain: quiesce a node and its parents and wait for its requests.
 *
 * A node's quiesce_counter counts the drains covering it: its own
 * (bdrv_drained_begin, one per bdrv_drain_all_begin level) and one per
 * drained child that quiesced it through an edge.  On 0 -> 1 the parents
 * are told (BdrvChildClass.drained_begin, which quiesces node parents in
 * turn) and the driver hook runs; on 1 -> 0 the reverse.  Every edge's
 * quiesced_parent flag records whether it has told its parent, so a child
 * edge moved or removed mid-drain undrains the parent exactly once.
 *
 * The recursive begin phase never polls: callbacks that want to change the
 * graph call bdrv_drain_defer(), and the outermost polling begin runs what
 * they queued after its poll, before it returns.
 *
 * The condition of every wait is side-effect free (it only reads counters
 * and asks parents): a bottom half or timer that re-arms itself forever
 * cannot keep a drain from returning.  Before it waits, a drain polls its
 * context once (non-blocking), so work that is already ready runs.
 */
#include "core.h"

int bdrv_drain_all_count;

/* ---- graph changes deferred out of drained_begin callbacks ---------- */

typedef struct DrainDeferred {
    void (*fn)(void *opaque);
    void *opaque;
    QSIMPLEQ_ENTRY(DrainDeferred) next;
} DrainDeferred;

/* Main thread only (every drain begin runs there) */
static QSIMPLEQ_HEAD(, DrainDeferred) drain_deferred =
    QSIMPLEQ_HEAD_INITIALIZER(drain_deferred);
/* Begin phases in progress: recursions and the polls of polling begins */
static int drain_begin_depth;
static bool drain_deferred_bh_scheduled;

void bdrv_drain_defer(void (*fn)(void *opaque), void *opaque)
{
    DrainDeferred *d;

    GLOBAL_STATE_CODE();
    if (!drain_begin_depth) {
        fn(opaque);
        return;
    }
    d = g_new(DrainDeferred, 1);
    d->fn = fn;
    d->opaque = opaque;
    QSIMPLEQ_INSERT_TAIL(&drain_deferred, d, next);
}

/* Run what was deferred, oldest first, until nothing is left; true if any */
static bool drain_run_deferred(void)
{
    DrainDeferred *d;
    bool ran = false;

    assert(!drain_begin_depth);
    while ((d = QSIMPLEQ_FIRST(&drain_deferred))) {
        QSIMPLEQ_REMOVE_HEAD(&drain_deferred, next);
        d->fn(d->opaque);
        g_free(d);
        ran = true;
    }
    return ran;
}

static void drain_deferred_bh(void *opaque)
{
    drain_deferred_bh_scheduled = false;
    if (!drain_begin_depth) {
        drain_run_deferred();
    }
}

static void drain_begin_enter(void)
{
    drain_begin_depth++;
}

/*
 * A begin phase that does not poll (a quiesce through a graph change, or
 * bdrv_drain_all_begin_nopoll) ended: when no polling begin will run what
 * its callbacks deferred, a bottom half in the main context does.
 */
static void drain_begin_leave(void)
{
    assert(drain_begin_depth > 0);
    if (--drain_begin_depth == 0 && !QSIMPLEQ_EMPTY(&drain_deferred) &&
        !drain_deferred_bh_scheduled) {
        drain_deferred_bh_scheduled = true;
        aio_bh_schedule_oneshot(qemu_get_aio_context(), drain_deferred_bh,
                                NULL);
    }
}

/* ---- parents ---------------------------------------------------------- */

void bdrv_parent_drained_begin_single(BdrvChild *c)
{
    GLOBAL_STATE_CODE();
    assert(!c->quiesced_parent);
    c->quiesced_parent = true;
    if (c->klass->drained_begin) {
        drain_begin_enter();
        c->klass->drained_begin(c);
        drain_begin_leave();
    }
}

void bdrv_parent_drained_end_single(BdrvChild *c)
{
    IO_OR_GS_CODE();
    assert(c->quiesced_parent);
    c->quiesced_parent = false;
    if (c->klass->drained_end) {
        c->klass->drained_end(c);
    }
}

bool bdrv_parent_drained_poll_single(BdrvChild *c)
{
    return c->klass->drained_poll && c->klass->drained_poll(c);
}

/*
 * Callbacks may attach or detach edges of @bs, so restart the scan after
 * each call; the flag guarantees progress.
 */
static void drain_parents_begin(BlockDriverState *bs, BdrvChild *ignore)
{
    BdrvChild *c;

again:
    QLIST_FOREACH(c, &bs->parents, next_parent) {
        if (c != ignore && !c->quiesced_parent) {
            bdrv_parent_drained_begin_single(c);
            goto again;
        }
    }
}

static void drain_parents_end(BlockDriverState *bs, BdrvChild *ignore)
{
    BdrvChild *c;

again:
    QLIST_FOREACH(c, &bs->parents, next_parent) {
        if (c != ignore && c->quiesced_parent) {
            bdrv_parent_drained_end_single(c);
            goto again;
        }
    }
}

bool bdrv_drain_poll(BlockDriverState *bs, BdrvChild *ignore_parent,
                     bool ignore_bds_parents)
{
    BdrvChild *c;

    IO_OR_GS_CODE();
    /* Pairs with the decrement of the request's last access to the node */
    if (qatomic_load_acquire(&bs->in_flight)) {
        return true;
    }
    QLIST_FOREACH(c, &bs->parents, next_parent) {
        if (c == ignore_parent ||
            (ignore_bds_parents && c->klass->parent_is_bds)) {
            continue;
        }
        if (bdrv_parent_drained_poll_single(c)) {
            return true;
        }
    }
    return false;
}

/* ---- one node --------------------------------------------------------- */

void bdrv_do_drained_begin_quiesce(BlockDriverState *bs, BdrvChild *parent)
{
    GLOBAL_STATE_CODE();
    drain_begin_enter();
    if (qatomic_fetch_inc(&bs->quiesce_counter) == 0) {
        drain_parents_begin(bs, parent);
        if (bs->drv && bs->drv->bdrv_drain_begin) {
            bs->drain_hook_called = true;
            bs->drv->bdrv_drain_begin(bs);
        }
    }
    drain_begin_leave();
}

void bdrv_drained_end_no_poll(BlockDriverState *bs, BdrvChild *parent)
{
    IO_OR_GS_CODE();
    assert(bs->quiesce_counter > 0);
    if (qatomic_fetch_dec(&bs->quiesce_counter) == 1) {
        if (bs->drain_hook_called) {
            bs->drain_hook_called = false;
            if (bs->drv && bs->drv->bdrv_drain_end) {
                bs->drv->bdrv_drain_end(bs);
            }
        }
        drain_parents_end(bs, parent);
    }
}

/*
 * Run what is ready in @ctx once, without blocking, before a wait whose
 * condition then only looks.  Only the context's home thread polls it.
 */
static void drain_poll_once(AioContext *ctx)
{
    if (in_aio_context_home_thread(ctx)) {
        aio_poll(ctx, false);
    }
}

static void drain_wait(BlockDriverState *bs)
{
    AioContext *ctx = bdrv_get_aio_context(bs);

    drain_poll_once(ctx);
    AIO_WAIT_WHILE(ctx, bdrv_drain_poll(bs, NULL, false));
}

/* The one poll after a drained section ends: runs what the ends scheduled */
static void drain_end_poll(AioContext *ctx)
{
    if (!qemu_in_coroutine() && in_aio_context_home_thread(ctx)) {
        aio_poll(ctx, false);
    }
}

typedef struct DrainCoData {
    Coroutine *co;
    BlockDriverState *bs;
    bool begin;
    bool all;
    bool done;
} DrainCoData;

static void drain_co_bh(void *opaque)
{
    DrainCoData *data = opaque;

    if (data->all) {
        data->begin ? bdrv_drain_all_begin() : bdrv_drain_all_end();
    } else {
        /* Not before: the drain would wait for our own hold on the node */
        bdrv_dec_in_flight(data->bs);
        data->begin ? bdrv_drained_begin(data->bs) : bdrv_drained_end(data->bs);
    }
    qatomic_store_release(&data->done, true);
    aio_co_wake(data->co);
}

/*
 * A coroutine cannot poll: hand the drain to a bottom half in the main
 * context and sleep until it is done, so the counts are the same as when
 * draining from outside.
 */
static void coroutine_fn drain_co_bounce(BlockDriverState *bs, bool begin,
                                         bool all)
{
    DrainCoData data = {
        .co = qemu_coroutine_self(), .bs = bs, .begin = begin, .all = all,
    };

    if (bs) {
        /* Keeps the node alive until the bottom half (a reference could
         * only be taken in the main thread; we may be in an IOThread) */
        bdrv_inc_in_flight(bs);
    }
    aio_bh_schedule_oneshot(qemu_get_aio_context(), drain_co_bh, &data);
    /*
     * Exactly one yield for its one wake-up: in an IOThread the bottom
     * half may run (and wake us, through a scheduling) before we yield;
     * not yielding then would leave that wake-up to enter the coroutine
     * once it has been recycled
     */
    qemu_coroutine_yield();
    assert(qatomic_load_acquire(&data.done));
}

/*
 * The end of a polling begin: the outermost one runs what callbacks
 * deferred, then waits again for what the deferred changes started.
 */
static void drain_begin_finish(void (*wait)(void *opaque), void *opaque)
{
    assert(drain_begin_depth > 0);
    if (--drain_begin_depth) {
        return;
    }
    while (drain_run_deferred()) {
        wait(opaque);
    }
}

static void drain_wait_node(void *opaque)
{
    drain_wait(opaque);
}

/*
 * Outside a coroutine a drain polls: only the main thread may (an
 * IOThread's event loop cannot wait for work the main thread must do).
 * In a coroutine it bounces to the main thread instead.
 */
void bdrv_drained_begin(BlockDriverState *bs)
{
    IO_OR_GS_CODE();
    if (qemu_in_coroutine()) {
        drain_co_bounce(bs, true, false);
        return;
    }
    GLOBAL_STATE_CODE();
    drain_begin_enter();
    bdrv_do_drained_begin_quiesce(bs, NULL);
    drain_wait(bs);
    drain_begin_finish(drain_wait_node, bs);
}

void bdrv_drained_end(BlockDriverState *bs)
{
    AioContext *ctx = bdrv_get_aio_context(bs);

    IO_OR_GS_CODE();
    if (qemu_in_coroutine()) {
        drain_co_bounce(bs, false, false);
        return;
    }
    GLOBAL_STATE_CODE();
    bdrv_drained_end_no_poll(bs, NULL);
    drain_end_poll(ctx);
}

void bdrv_drain(BlockDriverState *bs)
{
    IO_OR_GS_CODE();
    bdrv_drained_begin(bs);
    bdrv_drained_end(bs);
}

void coroutine_fn bdrv_co_drain(BlockDriverState *bs)
{
    IO_CODE();
    assert(qemu_in_coroutine());
    bdrv_drain(bs);
}

/* ---- every node ------------------------------------------------------- */

/* A node created while drain_all is in effect starts quiesced by it */
void drain_new_node(BlockDriverState *bs)
{
    for (int i = 0; i < bdrv_drain_all_count; i++) {
        bdrv_do_drained_begin_quiesce(bs, NULL);
    }
}

void bdrv_drain_all_begin_nopoll(void)
{
    BlockDriverState *bs = NULL;

    GLOBAL_STATE_CODE();
    drain_begin_enter();
    bdrv_drain_all_count++;
    while ((bs = bdrv_next_all_states(bs))) {
        bdrv_do_drained_begin_quiesce(bs, NULL);
    }
    drain_begin_leave();
}

static bool drain_all_poll(void)
{
    BlockDriverState *bs = NULL;

    while ((bs = bdrv_next_all_states(bs))) {
        if (bdrv_drain_poll(bs, NULL, true)) {
            return true;
        }
    }
    return false;
}

static void drain_all_wait(void *opaque)
{
    drain_poll_once(qemu_get_aio_context());
    AIO_WAIT_WHILE(qemu_get_aio_context(), drain_all_poll());
}

void bdrv_drain_all_begin(void)
{
    if (qemu_in_coroutine()) {
        drain_co_bounce(NULL, true, true);
        return;
    }
    GLOBAL_STATE_CODE();
    drain_begin_enter();
    bdrv_drain_all_begin_nopoll();
    drain_all_wait(NULL);
    drain_begin_finish(drain_all_wait, NULL);
}

/* Callbacks may delete nodes: end each one of a referenced snapshot */
void bdrv_drain_all_end(void)
{
    BlockDriverState *bs = NULL;
    GSList *nodes = NULL;

    if (qemu_in_coroutine()) {
        drain_co_bounce(NULL, false, true);
        return;
    }
    GLOBAL_STATE_CODE();
    assert(bdrv_drain_all_count > 0);
    while ((bs = bdrv_next_all_states(bs))) {
        bdrv_ref(bs);
        nodes = g_slist_prepend(nodes, bs);
    }
    nodes = g_slist_reverse(nodes);
    for (GSList *l = nodes; l; l = l->next) {
        bdrv_drained_end_no_poll(l->data, NULL);
    }
    bdrv_drain_all_count--;
    for (GSList *l = nodes; l; l = l->next) {
        bdrv_unref(l->data);
    }
    g_slist_free(nodes);
    drain_end_poll(qemu_get_aio_context());
}

void bdrv_drain_all(void)
{
    GLOBAL_STATE_CODE();
    bdrv_drain_all_begin();
    bdrv_drain_all_end();
}

int bdrv_debug_drain_all_count(void)
{
    return bdrv_drain_all_count;
}

int bdrv_debug_quiesce_count(BlockDriverState *bs)
{
    GLOBAL_STATE_CODE();
    return bs->quiesce_counter;
}
