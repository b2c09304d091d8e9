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
 * graph schedule a bottom half, which runs in the single poll at the end.
 */
#include "core.h"

int bdrv_drain_all_count;

/* ---- parents ---------------------------------------------------------- */

void bdrv_parent_drained_begin_single(BdrvChild *c)
{
    IO_OR_GS_CODE();
    assert(!c->quiesced_parent);
    c->quiesced_parent = true;
    if (c->klass->drained_begin) {
        c->klass->drained_begin(c);
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
    if (qatomic_read(&bs->in_flight)) {
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
    IO_OR_GS_CODE();
    if (qatomic_fetch_inc(&bs->quiesce_counter) == 0) {
        drain_parents_begin(bs, parent);
        if (bs->drv && bs->drv->bdrv_drain_begin) {
            bs->drain_hook_called = true;
            bs->drv->bdrv_drain_begin(bs);
        }
    }
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
 * Run what drained_begin callbacks scheduled (graph changes are deferred to
 * bottom halves) before looking at the counters, then report whether
 * anything is still in flight.  Only the context's home thread polls it.
 */
static void drain_flush_bhs(AioContext *ctx)
{
    if (in_aio_context_home_thread(ctx)) {
        while (aio_poll(ctx, false)) {
            /* until nothing is ready */
        }
    }
}

static bool drain_poll_top_level(BlockDriverState *bs)
{
    drain_flush_bhs(bdrv_get_aio_context(bs));
    return bdrv_drain_poll(bs, NULL, false);
}

static void drain_wait(BlockDriverState *bs)
{
    AIO_WAIT_WHILE(bdrv_get_aio_context(bs), drain_poll_top_level(bs));
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
    data->done = true;
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
    while (!data.done) {
        qemu_coroutine_yield();
    }
}

void bdrv_drained_begin(BlockDriverState *bs)
{
    IO_OR_GS_CODE();
    if (qemu_in_coroutine()) {
        drain_co_bounce(bs, true, false);
        return;
    }
    bdrv_do_drained_begin_quiesce(bs, NULL);
    drain_wait(bs);
}

void bdrv_drained_end(BlockDriverState *bs)
{
    AioContext *ctx = bdrv_get_aio_context(bs);

    IO_OR_GS_CODE();
    if (qemu_in_coroutine()) {
        drain_co_bounce(bs, false, false);
        return;
    }
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
    bdrv_drain_all_count++;
    while ((bs = bdrv_next_all_states(bs))) {
        bdrv_do_drained_begin_quiesce(bs, NULL);
    }
}

static bool drain_all_poll(void)
{
    BlockDriverState *bs = NULL;

    drain_flush_bhs(qemu_get_aio_context());
    while ((bs = bdrv_next_all_states(bs))) {
        if (bdrv_drain_poll(bs, NULL, true)) {
            return true;
        }
    }
    return false;
}

void bdrv_drain_all_begin(void)
{
    if (qemu_in_coroutine()) {
        drain_co_bounce(NULL, true, true);
        return;
    }
    bdrv_drain_all_begin_nopoll();
    AIO_WAIT_WHILE(qemu_get_aio_context(), drain_all_poll());
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
