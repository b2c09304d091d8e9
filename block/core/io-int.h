/*
 * Private to the I/O path (block/core/io*.c, aiocb.c, block-backend*.c):
 * request tracking, alignment padding, the aligned request layer and the
 * generic synchronous-wrapper runner.
 */
#ifndef BLOCK_CORE_IO_INT_H
#define BLOCK_CORE_IO_INT_H

#include "block/block-int.h"
#include "util/main-loop.h"

/* Largest bounce buffer the zero-write fallback allocates at once */
#define IO_ZERO_BOUNCE_MAX (1024 * 1024)

/* ---- io-request.c: tracked requests and serialisation ---- */

/*
 * Track [offset, offset + bytes) on bs.  A serialising request makes every
 * later overlapping request wait for it, and waits itself for every earlier
 * overlapping request; its overlap range is widened to whole blocks of
 * the node's request alignment (the read-modify-write case).  Requests
 * that do not serialise wait for nobody but serialising ones.
 */
void io_request_begin(BdrvTrackedRequest *req, BlockDriverState *bs,
                      int64_t offset, int64_t bytes,
                      BdrvTrackedRequestType type, bool serialising);
/*
 * Make req serialising (if it is not yet) and widen its overlap range to
 * whole blocks of @align; call it before req first waits.
 */
void io_request_serialise(BdrvTrackedRequest *req, uint64_t align);
/* What BDRV_REQ_SERIALISING widens to: the cluster size from
 * bdrv_get_info(), else the request alignment */
uint64_t coroutine_fn io_request_cluster_size(BlockDriverState *bs);
void io_request_end(BdrvTrackedRequest *req);
/*
 * Wait until no earlier request conflicts with req.  With nowait, return
 * -EBUSY instead of waiting when one does.
 */
int coroutine_fn io_request_wait(BdrvTrackedRequest *req, bool nowait);

/* ---- io.c: the aligned layer ---- */

/* bs->bl.request_alignment, which the core keeps >= 1 */
uint32_t io_align(BlockDriverState *bs);
/* Largest aligned chunk one driver call may transfer */
int64_t io_max_transfer(BlockDriverState *bs);

int coroutine_fn io_aligned_preadv(BdrvChild *child, BdrvTrackedRequest *req,
                                   int64_t offset, int64_t bytes,
                                   QEMUIOVector *qiov, size_t qiov_offset,
                                   BdrvRequestFlags flags);
int coroutine_fn io_aligned_pwritev(BdrvChild *child, BdrvTrackedRequest *req,
                                    int64_t offset, int64_t bytes,
                                    QEMUIOVector *qiov, size_t qiov_offset,
                                    BdrvRequestFlags flags);
/* Checks every write-type request makes, after waiting for conflicts */
int coroutine_fn io_write_prepare(BdrvChild *child, BdrvTrackedRequest *req,
                                  int64_t offset, int64_t bytes,
                                  BdrvRequestFlags flags);
/* Bookkeeping after a write-type request: write generation, length */
void io_write_finish(BdrvChild *child, BdrvTrackedRequest *req,
                     int64_t offset, int64_t bytes, int ret);
/* Call the driver's preadv (flags limited to its supported_read_flags) */
int coroutine_fn io_driver_preadv(BlockDriverState *bs, int64_t offset,
                                  int64_t bytes, QEMUIOVector *qiov,
                                  size_t qiov_offset, BdrvRequestFlags flags);
/*
 * io-cor.c: an aligned read (at most max_transfer, inside the readable
 * length) that writes the data it reads from unallocated areas into @bs
 */
int coroutine_fn io_cor_preadv(BlockDriverState *bs, int64_t offset,
                               int64_t bytes, QEMUIOVector *qiov,
                               size_t qiov_offset, BdrvRequestFlags flags);
/* Call the driver's pwritev (FUA emulated by a flush when unsupported) */
int coroutine_fn io_driver_pwritev(BlockDriverState *bs, int64_t offset,
                                   int64_t bytes, QEMUIOVector *qiov,
                                   size_t qiov_offset, BdrvRequestFlags flags);

/* ---- io-zero.c ---- */

/* Zero an aligned range on the driver (or by writing zeroes) */
int coroutine_fn io_zero_driver(BlockDriverState *bs, int64_t offset,
                                int64_t bytes, BdrvRequestFlags flags);
/* BDRV_REQ_ZERO_WRITE request of any alignment, tracked and in flight */
int coroutine_fn io_zero_pwritev(BdrvChild *child, int64_t offset,
                                 int64_t bytes, BdrvRequestFlags flags);

/* ---- io-rmw.c: padding unaligned requests to request_alignment ---- */

typedef struct IoPadding {
    bool active;
    int64_t offset;          /* the aligned request */
    int64_t bytes;
    size_t head;             /* padding bytes before the caller's data */
    size_t tail;             /* padding bytes after it */
    uint8_t *buf;            /* head block, then tail block */
    size_t buf_len;
    uint8_t *tail_buf;       /* the tail block inside buf */
    QEMUIOVector qiov;       /* head padding + caller's bytes + tail padding */
} IoPadding;

/*
 * Fill pad for [offset, offset + bytes) of qiov (from qiov_offset).
 * Returns false (and pad->active false) when the request is aligned.
 */
bool io_rmw_pad(BlockDriverState *bs, int64_t offset, int64_t bytes,
                QEMUIOVector *qiov, size_t qiov_offset, IoPadding *pad);
/*
 * A padded write may only reach past the end with RESIZE: the permission
 * check refuses WRITE on an unaligned length, but a length that changed
 * behind the core's back (variable length) gets -EIO here, not the EOF
 * assertion of io_write_prepare.
 */
int coroutine_fn io_rmw_check_padded_end(BdrvChild *child, int64_t end);
/* Read the head and tail blocks a padded write must preserve (after
 * io_rmw_check_padded_end) */
int coroutine_fn io_rmw_read_edges(BdrvChild *child, BdrvTrackedRequest *req,
                                   IoPadding *pad);
void io_rmw_pad_finish(IoPadding *pad);

/* ---- io-sync.c: running a coroutine_fn from anywhere ---- */

typedef int64_t coroutine_fn IoSyncFn(void *opaque);

/*
 * Call fn(opaque) directly when already in a coroutine; otherwise run it
 * in a new coroutine entered in ctx and poll ctx until it has finished.
 */
int64_t io_sync_run(AioContext *ctx, IoSyncFn *fn, void *opaque);

/* io-length.c: qemu_try_blockalign() with the memory zeroed */
void *qemu_try_blockalign0(BlockDriverState *bs, size_t size);

/* io-length.c: the coroutine version of bdrv_refresh_total_sectors */
int coroutine_fn io_length_refresh_total_sectors(BlockDriverState *bs,
                                             int64_t hint);

#endif
