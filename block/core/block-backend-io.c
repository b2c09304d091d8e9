/*
 * BlockBackend I/O: coroutine, synchronous and callback (AIO) versions of
 * every request, all funnelled through block_backend_io_do().
 *
 * A backend request: counts as in flight on the backend (so that drains
 * and blk_unref wait for it), parks while the root node is drained, checks
 * that a medium is there and that the range lies within the device
 * (unless writes beyond EOF were allowed), then enters the graph through
 * the root edge.
 */
#include "block-backend-int.h"
#include "util/atomic.h"

typedef enum BlockBackendOp {
    BLOCK_BACKEND_READ,
    BLOCK_BACKEND_WRITE,
    BLOCK_BACKEND_WRITE_ZEROES,
    BLOCK_BACKEND_DISCARD,
    BLOCK_BACKEND_FLUSH,
} BlockBackendOp;

static int coroutine_fn block_backend_io_check(BlockBackend *blk,
                                               int64_t offset, int64_t bytes)
{
    if (bytes < 0) {
        return -EIO;
    }
    if (!blk_is_available(blk)) {
        return -ENOMEDIUM;
    }
    if (offset < 0) {
        return -EIO;
    }
    if (!blk->allow_write_beyond_eof) {
        int64_t len = bdrv_co_getlength(blk_bs(blk));

        if (len < 0) {
            return (int)len;
        }
        if (offset > len || len - offset < bytes) {
            return -EIO;
        }
    }
    return 0;
}

static int coroutine_fn block_backend_io_node(BlockBackend *blk,
                                              BlockBackendOp op,
                                              int64_t offset, int64_t bytes,
                                              QEMUIOVector *qiov,
                                              BdrvRequestFlags flags)
{
    switch (op) {
    case BLOCK_BACKEND_READ:
        return bdrv_co_preadv(blk->root, offset, bytes, qiov, flags);
    case BLOCK_BACKEND_WRITE:
        return bdrv_co_pwritev(blk->root, offset, bytes, qiov, flags);
    case BLOCK_BACKEND_WRITE_ZEROES:
        return bdrv_co_pwrite_zeroes(blk->root, offset, bytes, flags);
    case BLOCK_BACKEND_DISCARD:
        return bdrv_co_pdiscard(blk->root, offset, bytes);
    case BLOCK_BACKEND_FLUSH:
        return bdrv_co_flush(blk_bs(blk));
    }
    g_assert_not_reached();
}

/*
 * What the backend may still do when a request resumes: its permissions
 * may have been reduced while it was parked.  The core asserts them, so a
 * request the backend no longer may make fails here.
 */
static int coroutine_fn block_backend_io_perm(BlockBackend *blk,
                                              BlockBackendOp op,
                                              BdrvRequestFlags flags)
{
    uint64_t perm = qatomic_read(&blk->root->perm);
    uint64_t need = BLK_PERM_WRITE;

    switch (op) {
    case BLOCK_BACKEND_WRITE:
    case BLOCK_BACKEND_WRITE_ZEROES:
        if (flags & BDRV_REQ_WRITE_UNCHANGED) {
            need |= BLK_PERM_WRITE_UNCHANGED;
        }
        break;
    case BLOCK_BACKEND_DISCARD:
        break;
    default:
        return 0;
    }
    return (perm & need) ? 0 : -EPERM;
}

/*
 * The caller holds the request's hold and in-flight count on blk (the AIO
 * API until its callback has run); a parked request gives the in-flight
 * count up while it waits, so that the drain can complete.
 */
static int coroutine_fn block_backend_io_do(BlockBackend *blk,
                                            BlockBackendOp op,
                                            int64_t offset, int64_t bytes,
                                            QEMUIOVector *qiov,
                                            BdrvRequestFlags flags)
{
    BlockDriverState *bs;
    int ret;

    /*
     * The queue's lock only when a drain is on: our in-flight reference
     * is up (seq-cst) before we look, so a drain that began unseen waits
     * for this request
     */
    smp_mb();
    if (qatomic_read(&blk->quiesce_counter)) {
        block_backend_wait_while_drained(blk);
    }
    /* Only now: the root may have changed while the request was parked */
    bs = blk_bs(blk);
    if (op == BLOCK_BACKEND_FLUSH) {
        ret = blk_is_available(blk) ? 0 : -ENOMEDIUM;
    } else {
        ret = block_backend_io_check(blk, offset, bytes);
    }
    if (ret == 0) {
        ret = block_backend_io_perm(blk, op, flags);
    }
    if (ret == 0) {
        bdrv_inc_in_flight(bs);
        ret = block_backend_io_node(blk, op, offset, bytes, qiov, flags);
        bdrv_dec_in_flight(bs);
    }
    return ret;
}

/* A request of the coroutine or synchronous API: in flight while it runs */
static int coroutine_fn block_backend_io_co(BlockBackend *blk,
                                            BlockBackendOp op,
                                            int64_t offset, int64_t bytes,
                                            QEMUIOVector *qiov,
                                            BdrvRequestFlags flags)
{
    int ret;

    block_backend_req_begin(blk);
    ret = block_backend_io_do(blk, op, offset, bytes, qiov, flags);
    block_backend_req_end(blk);
    return ret;
}

/* ---- coroutine API ---- */

int coroutine_fn blk_co_preadv(BlockBackend *blk, int64_t offset,
                               int64_t bytes, QEMUIOVector *qiov,
                               BdrvRequestFlags flags)
{
    IO_CODE();
    return block_backend_io_co(blk, BLOCK_BACKEND_READ, offset, bytes, qiov,
                               flags);
}

int coroutine_fn blk_co_pwritev(BlockBackend *blk, int64_t offset,
                                int64_t bytes, QEMUIOVector *qiov,
                                BdrvRequestFlags flags)
{
    IO_CODE();
    return block_backend_io_co(blk, (flags & BDRV_REQ_ZERO_WRITE) ?
                               BLOCK_BACKEND_WRITE_ZEROES :
                               BLOCK_BACKEND_WRITE,
                               offset, bytes, qiov,
                               flags & ~BDRV_REQ_ZERO_WRITE);
}

int coroutine_fn blk_co_pread(BlockBackend *blk, int64_t offset,
                              int64_t bytes, void *buf,
                              BdrvRequestFlags flags)
{
    QEMUIOVector qiov;

    IO_CODE();
    if (bytes < 0) {
        return -EIO;
    }
    qemu_iovec_init_buf(&qiov, buf, (size_t)bytes);
    return blk_co_preadv(blk, offset, bytes, &qiov, flags);
}

int coroutine_fn blk_co_pwrite(BlockBackend *blk, int64_t offset,
                               int64_t bytes, const void *buf,
                               BdrvRequestFlags flags)
{
    QEMUIOVector qiov;

    IO_CODE();
    if (bytes < 0) {
        return -EIO;
    }
    qemu_iovec_init_buf(&qiov, (void *)buf, (size_t)bytes);
    return blk_co_pwritev(blk, offset, bytes, &qiov, flags);
}

int coroutine_fn blk_co_pwrite_zeroes(BlockBackend *blk, int64_t offset,
                                      int64_t bytes, BdrvRequestFlags flags)
{
    IO_CODE();
    return block_backend_io_co(blk, BLOCK_BACKEND_WRITE_ZEROES, offset, bytes,
                               NULL, flags);
}

int coroutine_fn blk_co_pdiscard(BlockBackend *blk, int64_t offset,
                                 int64_t bytes)
{
    IO_CODE();
    return block_backend_io_co(blk, BLOCK_BACKEND_DISCARD, offset, bytes,
                               NULL, 0);
}

int coroutine_fn blk_co_flush(BlockBackend *blk)
{
    IO_CODE();
    return block_backend_io_co(blk, BLOCK_BACKEND_FLUSH, 0, 0, NULL, 0);
}

/* ---- synchronous API ---- */

typedef struct BlockBackendSyncArgs {
    BlockBackend *blk;
    BlockBackendOp op;
    int64_t offset;
    int64_t bytes;
    QEMUIOVector *qiov;
    BdrvRequestFlags flags;
} BlockBackendSyncArgs;

static int64_t coroutine_fn block_backend_io_sync_fn(void *opaque)
{
    BlockBackendSyncArgs *a = opaque;

    return block_backend_io_co(a->blk, a->op, a->offset, a->bytes, a->qiov,
                               a->flags);
}

static int block_backend_io_sync(BlockBackend *blk, BlockBackendOp op,
                                 int64_t offset, int64_t bytes,
                                 QEMUIOVector *qiov, BdrvRequestFlags flags)
{
    BlockBackendSyncArgs a = { .blk = blk, .op = op, .offset = offset,
                               .bytes = bytes, .qiov = qiov, .flags = flags };

    return (int)io_sync_run(blk_get_aio_context(blk), block_backend_io_sync_fn,
                            &a);
}

int blk_pread(BlockBackend *blk, int64_t offset, int64_t bytes, void *buf,
              BdrvRequestFlags flags)
{
    QEMUIOVector qiov;

    IO_CODE();
    if (bytes < 0) {
        return -EIO;
    }
    qemu_iovec_init_buf(&qiov, buf, (size_t)bytes);
    return block_backend_io_sync(blk, BLOCK_BACKEND_READ, offset, bytes, &qiov,
                                 flags);
}

int blk_pwrite(BlockBackend *blk, int64_t offset, int64_t bytes,
               const void *buf, BdrvRequestFlags flags)
{
    QEMUIOVector qiov;

    IO_CODE();
    if (bytes < 0) {
        return -EIO;
    }
    qemu_iovec_init_buf(&qiov, (void *)buf, (size_t)bytes);
    return blk_pwritev(blk, offset, bytes, &qiov, flags);
}

int blk_preadv(BlockBackend *blk, int64_t offset, int64_t bytes,
               QEMUIOVector *qiov, BdrvRequestFlags flags)
{
    IO_CODE();
    return block_backend_io_sync(blk, BLOCK_BACKEND_READ, offset, bytes, qiov,
                                 flags);
}

int blk_pwritev(BlockBackend *blk, int64_t offset, int64_t bytes,
                QEMUIOVector *qiov, BdrvRequestFlags flags)
{
    IO_CODE();
    return block_backend_io_sync(blk, (flags & BDRV_REQ_ZERO_WRITE) ?
                                 BLOCK_BACKEND_WRITE_ZEROES :
                                 BLOCK_BACKEND_WRITE,
                                 offset, bytes, qiov,
                                 flags & ~BDRV_REQ_ZERO_WRITE);
}

int blk_pwrite_zeroes(BlockBackend *blk, int64_t offset, int64_t bytes,
                      BdrvRequestFlags flags)
{
    IO_CODE();
    return block_backend_io_sync(blk, BLOCK_BACKEND_WRITE_ZEROES, offset, bytes,
                                 NULL, flags);
}

int blk_pdiscard(BlockBackend *blk, int64_t offset, int64_t bytes)
{
    IO_CODE();
    return block_backend_io_sync(blk, BLOCK_BACKEND_DISCARD, offset, bytes,
                                 NULL, 0);
}

int blk_flush(BlockBackend *blk)
{
    IO_CODE();
    return block_backend_io_sync(blk, BLOCK_BACKEND_FLUSH, 0, 0, NULL, 0);
}

int blk_truncate(BlockBackend *blk, int64_t offset, bool exact,
                 PreallocMode prealloc, BdrvRequestFlags flags, Error **errp)
{
    IO_OR_GS_CODE();
    if (!blk_is_available(blk)) {
        error_setg(errp, "No medium inserted");
        return -ENOMEDIUM;
    }
    return bdrv_truncate(blk->root, offset, exact, prealloc, flags, errp);
}

int64_t blk_getlength(BlockBackend *blk)
{
    IO_CODE();
    if (!blk_is_available(blk)) {
        return -ENOMEDIUM;
    }
    return bdrv_getlength(blk_bs(blk));
}

int64_t blk_nb_sectors(BlockBackend *blk)
{
    IO_CODE();
    if (!blk_is_available(blk)) {
        return -ENOMEDIUM;
    }
    return bdrv_nb_sectors(blk_bs(blk));
}

/* ---- callback (AIO) API ---- */

typedef struct BlockBackendAIOCB {
    BlockAIOCB common;
    BlockBackend *blk;
    BlockBackendOp op;
    int64_t offset;
    int64_t bytes;
    QEMUIOVector *qiov;
    BdrvRequestFlags flags;
    int ret;
    /* The submitting call has returned / the request is done: BB_AIO_* */
    unsigned state;
} BlockBackendAIOCB;

/* Not the node's: the root may be replaced (and freed) under the request */
static AioContext *block_backend_io_aiocb_ctx(BlockAIOCB *common)
{
    BlockBackendAIOCB *acb = container_of(common, BlockBackendAIOCB, common);

    return blk_get_aio_context(acb->blk);
}

enum {
    BB_AIO_RETURNED = 1,
    BB_AIO_DONE = 2,
};

static const AIOCBInfo block_backend_io_aiocb_info = {
    .aiocb_size = sizeof(BlockBackendAIOCB),
    .get_aio_context = block_backend_io_aiocb_ctx,
};

static void block_backend_io_aio_complete_bh(void *opaque)
{
    BlockBackendAIOCB *acb = opaque;
    BlockBackend *blk = acb->blk;

    if (acb->common.cb) {
        acb->common.cb(acb->common.opaque, acb->ret);
    }
    /* Drop the reference before the kick that wakes bdrv_aio_cancel */
    qemu_aio_unref(acb);
    block_backend_req_end(blk);
}

static void coroutine_fn block_backend_io_aio_entry(void *opaque)
{
    BlockBackendAIOCB *acb = opaque;

    acb->ret = block_backend_io_do(acb->blk, acb->op, acb->offset, acb->bytes,
                                   acb->qiov, acb->flags);
    /*
     * Never call back from inside the submitting call: a request done
     * before it returned is completed by it, through a BH; one that
     * completed later calls back right here.
     */
    if (qatomic_fetch_or(&acb->state, BB_AIO_DONE) & BB_AIO_RETURNED) {
        block_backend_io_aio_complete_bh(acb);
    }
}

static BlockAIOCB *block_backend_io_aio_submit(BlockBackend *blk,
                                               BlockBackendOp op,
                                               int64_t offset, int64_t bytes,
                                               QEMUIOVector *qiov,
                                               BdrvRequestFlags flags,
                                               BlockCompletionFunc *cb,
                                               void *opaque)
{
    /* No node: the AIOCB lives in the backend's context (see above) */
    BlockBackendAIOCB *acb = qemu_aio_get(&block_backend_io_aiocb_info,
                                          NULL, cb, opaque);
    Coroutine *co;

    acb->blk = blk;
    acb->op = op;
    acb->offset = offset;
    acb->bytes = bytes;
    acb->qiov = qiov;
    acb->flags = flags;
    /* In flight until the callback has run, so drains wait for it */
    block_backend_req_begin(blk);
    co = qemu_coroutine_create(block_backend_io_aio_entry, acb);
    aio_co_enter(blk_get_aio_context(blk), co);
    if (qatomic_fetch_or(&acb->state, BB_AIO_RETURNED) & BB_AIO_DONE) {
        aio_bh_schedule_oneshot(blk_get_aio_context(blk),
                                block_backend_io_aio_complete_bh, acb);
    }
    return &acb->common;
}

BlockAIOCB *blk_aio_preadv(BlockBackend *blk, int64_t offset,
                           QEMUIOVector *qiov, BdrvRequestFlags flags,
                           BlockCompletionFunc *cb, void *opaque)
{
    IO_CODE();
    return block_backend_io_aio_submit(blk, BLOCK_BACKEND_READ, offset,
                                       (int64_t)qiov->size, qiov, flags, cb,
                                       opaque);
}

BlockAIOCB *blk_aio_pwritev(BlockBackend *blk, int64_t offset,
                            QEMUIOVector *qiov, BdrvRequestFlags flags,
                            BlockCompletionFunc *cb, void *opaque)
{
    IO_CODE();
    return block_backend_io_aio_submit(blk, BLOCK_BACKEND_WRITE, offset,
                                       (int64_t)qiov->size, qiov, flags, cb,
                                       opaque);
}

BlockAIOCB *blk_aio_pwrite_zeroes(BlockBackend *blk, int64_t offset,
                                  int64_t bytes, BdrvRequestFlags flags,
                                  BlockCompletionFunc *cb, void *opaque)
{
    IO_CODE();
    return block_backend_io_aio_submit(blk, BLOCK_BACKEND_WRITE_ZEROES, offset,
                                       bytes, NULL, flags, cb, opaque);
}

BlockAIOCB *blk_aio_pdiscard(BlockBackend *blk, int64_t offset, int64_t bytes,
                             BlockCompletionFunc *cb, void *opaque)
{
    IO_CODE();
    return block_backend_io_aio_submit(blk, BLOCK_BACKEND_DISCARD, offset,
                                       bytes, NULL, 0, cb, opaque);
}

BlockAIOCB *blk_aio_flush(BlockBackend *blk, BlockCompletionFunc *cb,
                          void *opaque)
{
    IO_CODE();
    return block_backend_io_aio_submit(blk, BLOCK_BACKEND_FLUSH, 0, 0, NULL, 0,
                                       cb, opaque);
}

void blk_aio_cancel(BlockAIOCB *acb)
{
    GLOBAL_STATE_CODE();
    bdrv_aio_cancel(acb);
}

void blk_aio_cancel_async(BlockAIOCB *acb)
{
    IO_CODE();
    bdrv_aio_cancel_async(acb);
}
