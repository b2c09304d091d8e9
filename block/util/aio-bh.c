/*
 * aio-bh.c: bottom halves.
 *
 * A BH is on its context's bh_queue (BH_PENDING set) from the moment it is
 * scheduled until the poller takes it off; while BH_PENDING the poller owns
 * the memory, so qemu_bh_delete() only marks it and the poller frees it.
 * That lets any thread cancel or delete a BH while a poll is running.
 */
#include "util/osdep.h"

#include "util/main-loop.h"
#include "aio-internal.h"

QEMUBH *aio_bh_new_full(AioContext *ctx, QEMUBHFunc *cb, void *opaque,
                        const char *name)
{
    QEMUBH *bh = g_new0(QEMUBH, 1);

    assert(ctx && cb);
    bh->ctx = ctx;
    bh->cb = cb;
    bh->opaque = opaque;
    bh->name = name;
    return bh;
}

QEMUBH *aio_bh_new(AioContext *ctx, QEMUBHFunc *cb, void *opaque)
{
    return aio_bh_new_full(ctx, cb, opaque, NULL);
}

QEMUBH *qemu_bh_new(QEMUBHFunc *cb, void *opaque)
{
    return aio_bh_new(qemu_get_aio_context(), cb, opaque);
}

/* Under ctx->lock: put bh on the queue with extra flags */
static bool aio_bh_enqueue_locked(QEMUBH *bh, unsigned flags)
{
    bool queued = false;

    if (!(bh->flags & BH_PENDING)) {
        QTAILQ_INSERT_TAIL(&bh->ctx->bh_queue, bh, link);
        queued = true;
    }
    bh->flags |= BH_PENDING | flags;
    return queued;
}

void qemu_bh_schedule(QEMUBH *bh)
{
    AioContext *ctx = bh->ctx;
    bool wake;

    aio_ctx_lock(ctx);
    assert(!(bh->flags & BH_DELETED));
    wake = !(bh->flags & BH_SCHEDULED);
    aio_bh_enqueue_locked(bh, BH_SCHEDULED);
    if (wake) {
        /*
         * Once the lock is released the BH may run and its owner may free
         * ctx: aio_notify_unlock() keeps ctx alive until it has notified,
         * without a poller woken by it blocking on the lock.
         */
        aio_notify_unlock(ctx);
    } else {
        aio_ctx_unlock(ctx);
    }
}

void aio_bh_schedule_oneshot_full(AioContext *ctx, QEMUBHFunc *cb,
                                  void *opaque, const char *name)
{
    QEMUBH *bh = aio_bh_new_full(ctx, cb, opaque, name);

    aio_ctx_lock(ctx);
    aio_bh_enqueue_locked(bh, BH_SCHEDULED | BH_ONESHOT);
    aio_notify_unlock(ctx);     /* see qemu_bh_schedule() */
}

void aio_bh_schedule_oneshot(AioContext *ctx, QEMUBHFunc *cb, void *opaque)
{
    aio_bh_schedule_oneshot_full(ctx, cb, opaque, NULL);
}

void qemu_bh_cancel(QEMUBH *bh)
{
    aio_ctx_lock(bh->ctx);
    bh->flags &= ~BH_SCHEDULED;
    aio_ctx_unlock(bh->ctx);
}

void qemu_bh_delete(QEMUBH *bh)
{
    AioContext *ctx;
    bool owned_by_poller;

    if (!bh) {
        return;
    }
    ctx = bh->ctx;
    aio_ctx_lock(ctx);
    owned_by_poller = bh->flags & BH_PENDING;
    bh->flags = (bh->flags & ~BH_SCHEDULED) | BH_DELETED;
    aio_ctx_unlock(ctx);
    if (!owned_by_poller) {
        g_free(bh);
    }
}

/*
 * bh has been taken off every list by the caller (under ctx->lock, which
 * is still held). Releases the lock; runs or frees bh. True if it ran.
 */
static bool aio_bh_run_unlocked(AioContext *ctx, QEMUBH *bh)
{
    unsigned flags = bh->flags;
    QEMUBHFunc *cb = bh->cb;
    void *opaque = bh->opaque;

    bh->flags &= ~(BH_PENDING | BH_SCHEDULED);
    aio_ctx_unlock(ctx);
    if (flags & BH_DELETED) {
        g_free(bh);
        return false;
    }
    if (!(flags & BH_SCHEDULED)) {
        return false;           /* cancelled */
    }
    /* bh may be deleted by its own callback: do not touch it after */
    cb(opaque);
    if (flags & BH_ONESHOT) {
        g_free(bh);
    }
    return true;
}

/*
 * Realtime mode: run every BH scheduled when the call starts, in
 * scheduling order. BHs scheduled by the callbacks wait for the next call.
 * A call nested in a callback (a wait inside a BH) first runs what the
 * outer calls took and have not run yet, oldest first: those BHs are off
 * bh_queue, and a wait for one of them must not hang.
 */
bool aio_bh_poll(AioContext *ctx)
{
    AioBhSlice slice;
    AioBhSlice *s;
    QEMUBH *bh;
    bool progress = false;

    QTAILQ_INIT(&slice.bhs);
    aio_ctx_lock(ctx);
    while ((bh = QTAILQ_FIRST(&ctx->bh_queue))) {
        QTAILQ_REMOVE(&ctx->bh_queue, bh, link);
        QTAILQ_INSERT_TAIL(&slice.bhs, bh, link);
    }
    QSIMPLEQ_INSERT_TAIL(&ctx->bh_slices, &slice, next);
    aio_ctx_unlock(ctx);

    for (;;) {
        aio_ctx_lock(ctx);
        s = QSIMPLEQ_FIRST(&ctx->bh_slices);
        if (!s) {
            aio_ctx_unlock(ctx);
            break;
        }
        bh = QTAILQ_FIRST(&s->bhs);
        if (!bh) {
            /* Done (perhaps by a nested call): a caller's slice goes */
            QSIMPLEQ_REMOVE_HEAD(&ctx->bh_slices, next);
            aio_ctx_unlock(ctx);
            continue;
        }
        QTAILQ_REMOVE(&s->bhs, bh, link);
        progress |= aio_bh_run_unlocked(ctx, bh);
    }
    return progress;
}

/*
 * Deterministic mode: add every runnable BH of ctx to v; drop cancelled
 * and deleted ones from the queue on the way.
 */
void aio_bh_collect(AioContext *ctx, AioEventVec *v)
{
    QEMUBH *bh, *next;

    aio_ctx_lock(ctx);
    QTAILQ_FOREACH_SAFE(bh, &ctx->bh_queue, link, next) {
        if ((bh->flags & BH_SCHEDULED) && !(bh->flags & BH_DELETED)) {
            aio_poll_ev_push(v, AIO_EV_BH, ctx, bh, 0);
            continue;
        }
        QTAILQ_REMOVE(&ctx->bh_queue, bh, link);
        bh->flags &= ~BH_PENDING;
        if (bh->flags & BH_DELETED) {
            g_free(bh);
        }
    }
    aio_ctx_unlock(ctx);
}

/* Deterministic mode: run one BH found by aio_bh_collect() */
bool aio_bh_dispatch(AioContext *ctx, QEMUBH *bh)
{
    aio_ctx_lock(ctx);
    if (!QTAILQ_IN_USE(bh, link)) {
        aio_ctx_unlock(ctx);
        return false;
    }
    QTAILQ_REMOVE(&ctx->bh_queue, bh, link);
    return aio_bh_run_unlocked(ctx, bh);
}

/* Context teardown: free what the poller owns, detach the rest */
void aio_bh_ctx_cleanup(AioContext *ctx)
{
    QEMUBH *bh;

    aio_ctx_lock(ctx);
    while ((bh = QTAILQ_FIRST(&ctx->bh_queue))) {
        QTAILQ_REMOVE(&ctx->bh_queue, bh, link);
        bh->flags &= ~(BH_PENDING | BH_SCHEDULED);
        if (bh->flags & (BH_DELETED | BH_ONESHOT)) {
            g_free(bh);
        }
    }
    aio_ctx_unlock(ctx);
}
