/*
 * Synchronous wrappers of the coroutine I/O API.
 *
 * io_sync_run() is the one place that turns a coroutine_fn into a plain
 * call: inside a coroutine it calls straight through; outside, it enters a
 * new coroutine in the node's AioContext and polls until it finishes.
 * Each wrapper below only packs its arguments into an IoSyncArgs and names
 * a one-line adapter.
 */
#include "io-int.h"
#include "util/atomic.h"

typedef struct IoSyncCall {
    IoSyncFn *fn;
    void *opaque;
    int64_t ret;
    bool done;
} IoSyncCall;

static void coroutine_fn io_sync_entry(void *opaque)
{
    IoSyncCall *call = opaque;

    call->ret = call->fn(call->opaque);
    qatomic_store_release(&call->done, true);
    /* The poller may be in another thread, waiting in AIO_WAIT_WHILE */
    aio_wait_kick();
}

int64_t io_sync_run(AioContext *ctx, IoSyncFn *fn, void *opaque)
{
    IoSyncCall call = { .fn = fn, .opaque = opaque };
    Coroutine *co;

    if (qemu_in_coroutine()) {
        return fn(opaque);
    }
    co = qemu_coroutine_create(io_sync_entry, &call);
    aio_co_enter(ctx, co);
    /* Most requests complete without yielding: then there is no wait */
    if (!qatomic_load_acquire(&call.done)) {
        AIO_WAIT_WHILE(ctx, !qatomic_load_acquire(&call.done));
    }
    return call.ret;
}

/* ---- the wrappers ---- */

typedef struct IoSyncArgs {
    BdrvChild *child;
    BlockDriverState *bs;
    int64_t offset;
    int64_t bytes;
    QEMUIOVector *qiov;
    void *buf;
    BdrvRequestFlags flags;
    bool exact;
    PreallocMode prealloc;
    Error **errp;
} IoSyncArgs;

static AioContext *io_sync_child_ctx(BdrvChild *child)
{
    return bdrv_get_aio_context(child ? child->bs : NULL);
}

static int64_t coroutine_fn io_sync_pread_fn(void *opaque)
{
    IoSyncArgs *a = opaque;
    return bdrv_co_pread(a->child, a->offset, a->bytes, a->buf, a->flags);
}

int bdrv_pread(BdrvChild *child, int64_t offset, int64_t bytes, void *buf,
               BdrvRequestFlags flags)
{
    IoSyncArgs a = { .child = child, .offset = offset, .bytes = bytes,
                     .buf = buf, .flags = flags };
    IO_CODE();
    return (int)io_sync_run(io_sync_child_ctx(child), io_sync_pread_fn, &a);
}

static int64_t coroutine_fn io_sync_pwrite_fn(void *opaque)
{
    IoSyncArgs *a = opaque;
    return bdrv_co_pwrite(a->child, a->offset, a->bytes, a->buf, a->flags);
}

int bdrv_pwrite(BdrvChild *child, int64_t offset, int64_t bytes,
                const void *buf, BdrvRequestFlags flags)
{
    IoSyncArgs a = { .child = child, .offset = offset, .bytes = bytes,
                     .buf = (void *)buf, .flags = flags };
    IO_CODE();
    return (int)io_sync_run(io_sync_child_ctx(child), io_sync_pwrite_fn, &a);
}

static int64_t coroutine_fn io_sync_pwrite_sync_fn(void *opaque)
{
    IoSyncArgs *a = opaque;
    return bdrv_co_pwrite_sync(a->child, a->offset, a->bytes, a->buf,
                               a->flags);
}

int bdrv_pwrite_sync(BdrvChild *child, int64_t offset, int64_t bytes,
                     const void *buf, BdrvRequestFlags flags)
{
    IoSyncArgs a = { .child = child, .offset = offset, .bytes = bytes,
                     .buf = (void *)buf, .flags = flags };
    IO_CODE();
    return (int)io_sync_run(io_sync_child_ctx(child), io_sync_pwrite_sync_fn,
                            &a);
}

static int64_t coroutine_fn io_sync_preadv_fn(void *opaque)
{
    IoSyncArgs *a = opaque;
    return bdrv_co_preadv(a->child, a->offset, a->bytes, a->qiov, a->flags);
}

int bdrv_preadv(BdrvChild *child, int64_t offset, int64_t bytes,
                QEMUIOVector *qiov, BdrvRequestFlags flags)
{
    IoSyncArgs a = { .child = child, .offset = offset, .bytes = bytes,
                     .qiov = qiov, .flags = flags };
    IO_CODE();
    return (int)io_sync_run(io_sync_child_ctx(child), io_sync_preadv_fn, &a);
}

static int64_t coroutine_fn io_sync_pwritev_fn(void *opaque)
{
    IoSyncArgs *a = opaque;
    return bdrv_co_pwritev(a->child, a->offset, a->bytes, a->qiov, a->flags);
}

int bdrv_pwritev(BdrvChild *child, int64_t offset, int64_t bytes,
                 QEMUIOVector *qiov, BdrvRequestFlags flags)
{
    IoSyncArgs a = { .child = child, .offset = offset, .bytes = bytes,
                     .qiov = qiov, .flags = flags };
    IO_CODE();
    return (int)io_sync_run(io_sync_child_ctx(child), io_sync_pwritev_fn, &a);
}

static int64_t coroutine_fn io_sync_pwrite_zeroes_fn(void *opaque)
{
    IoSyncArgs *a = opaque;
    return bdrv_co_pwrite_zeroes(a->child, a->offset, a->bytes, a->flags);
}

int bdrv_pwrite_zeroes(BdrvChild *child, int64_t offset, int64_t bytes,
                       BdrvRequestFlags flags)
{
    IoSyncArgs a = { .child = child, .offset = offset, .bytes = bytes,
                     .flags = flags };
    IO_CODE();
    return (int)io_sync_run(io_sync_child_ctx(child),
                            io_sync_pwrite_zeroes_fn, &a);
}

static int64_t coroutine_fn io_sync_pdiscard_fn(void *opaque)
{
    IoSyncArgs *a = opaque;
    return bdrv_co_pdiscard(a->child, a->offset, a->bytes);
}

int bdrv_pdiscard(BdrvChild *child, int64_t offset, int64_t bytes)
{
    IoSyncArgs a = { .child = child, .offset = offset, .bytes = bytes };
    IO_CODE();
    return (int)io_sync_run(io_sync_child_ctx(child), io_sync_pdiscard_fn,
                            &a);
}

static int64_t coroutine_fn io_sync_flush_fn(void *opaque)
{
    IoSyncArgs *a = opaque;
    return bdrv_co_flush(a->bs);
}

int bdrv_flush(BlockDriverState *bs)
{
    IoSyncArgs a = { .bs = bs };
    IO_CODE();
    return (int)io_sync_run(bdrv_get_aio_context(bs), io_sync_flush_fn, &a);
}

static int64_t coroutine_fn io_sync_truncate_fn(void *opaque)
{
    IoSyncArgs *a = opaque;
    return bdrv_co_truncate(a->child, a->offset, a->exact, a->prealloc,
                            a->flags, a->errp);
}

int bdrv_truncate(BdrvChild *child, int64_t offset, bool exact,
                  PreallocMode prealloc, BdrvRequestFlags flags, Error **errp)
{
    IoSyncArgs a = { .child = child, .offset = offset, .exact = exact,
                     .prealloc = prealloc, .flags = flags, .errp = errp };
    IO_CODE();
    return (int)io_sync_run(io_sync_child_ctx(child), io_sync_truncate_fn,
                            &a);
}

static int64_t coroutine_fn io_sync_allocated_size_fn(void *opaque)
{
    IoSyncArgs *a = opaque;
    return bdrv_co_get_allocated_file_size(a->bs);
}

int64_t bdrv_get_allocated_file_size(BlockDriverState *bs)
{
    IoSyncArgs a = { .bs = bs };
    IO_CODE();
    return io_sync_run(bdrv_get_aio_context(bs), io_sync_allocated_size_fn,
                       &a);
}

static int64_t coroutine_fn io_sync_nb_sectors_fn(void *opaque)
{
    IoSyncArgs *a = opaque;
    return bdrv_co_nb_sectors(a->bs);
}

int64_t bdrv_nb_sectors(BlockDriverState *bs)
{
    IoSyncArgs a = { .bs = bs };

    IO_CODE();
    /* The cached length needs no coroutine: the common case stays cheap */
    if (bs->drv && !bs->drv->has_variable_length && bs->total_sectors >= 0) {
        return bs->total_sectors;
    }
    return io_sync_run(bdrv_get_aio_context(bs), io_sync_nb_sectors_fn, &a);
}

int64_t bdrv_getlength(BlockDriverState *bs)
{
    int64_t sectors = bdrv_nb_sectors(bs);

    IO_CODE();
    if (sectors < 0) {
        return sectors;
    }
    if (sectors > INT64_MAX / (int64_t)BDRV_SECTOR_SIZE) {
        return -EFBIG;
    }
    return sectors * (int64_t)BDRV_SECTOR_SIZE;
}
