/*
 * Asynchronous control blocks (BlockAIOCB) for the callback-style API:
 * allocation with a reference count, and cancellation.
 */
#include "io-int.h"
#include "util/atomic.h"

void *qemu_aio_get(const AIOCBInfo *aiocb_info, BlockDriverState *bs,
                   BlockCompletionFunc *cb, void *opaque)
{
    BlockAIOCB *acb;

    IO_CODE();
    assert(aiocb_info->aiocb_size >= sizeof(BlockAIOCB));
    /* Zeroed: the embedding structure starts from a known state */
    acb = g_malloc0(aiocb_info->aiocb_size);
    acb->aiocb_info = aiocb_info;
    acb->bs = bs;
    acb->cb = cb;
    acb->opaque = opaque;
    acb->refcnt = 1;
    return acb;
}

void qemu_aio_ref(void *p)
{
    BlockAIOCB *acb = p;

    IO_CODE();
    assert(qatomic_read(&acb->refcnt) > 0);
    qatomic_inc(&acb->refcnt);
}

void qemu_aio_unref(void *p)
{
    BlockAIOCB *acb = p;

    IO_CODE();
    assert(qatomic_read(&acb->refcnt) > 0);
    /* The completion may drop its reference in another thread */
    if (qatomic_fetch_dec(&acb->refcnt) == 1) {
        g_free(acb);
    }
}

/* Ask the request to finish early; its callback still runs exactly once */
void bdrv_aio_cancel_async(BlockAIOCB *acb)
{
    IO_CODE();
    if (acb->aiocb_info->cancel_async) {
        acb->aiocb_info->cancel_async(acb);
    }
}

/*
 * Cancel and wait until the request has completed (its callback has run
 * and dropped the request's reference).  The reference taken here keeps
 * acb alive for the wait.
 */
void bdrv_aio_cancel(BlockAIOCB *acb)
{
    AioContext *ctx = acb->aiocb_info->get_aio_context
                          ? acb->aiocb_info->get_aio_context(acb)
                          : bdrv_get_aio_context(acb->bs);

    GLOBAL_STATE_CODE();
    qemu_aio_ref(acb);
    bdrv_aio_cancel_async(acb);
    AIO_WAIT_WHILE(ctx, qatomic_load_acquire(&acb->refcnt) > 1);
    qemu_aio_unref(acb);
}
