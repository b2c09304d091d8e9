/*
 * The I/O block API: requests on nodes and edges, drain, block status.
 * Callable from any context (IO_CODE()); the coroutine_fn variants only from
 * a coroutine, the plain ones from anywhere (they run a coroutine and poll
 * the node's AioContext until it finishes when called outside one).
 */
#ifndef BLOCK_BLOCK_IO_H
#define BLOCK_BLOCK_IO_H

#include "block/block-common.h"

/* Requests through an edge; offsets and lengths in bytes, any alignment */
int coroutine_fn bdrv_co_preadv(BdrvChild *child, int64_t offset,
                                int64_t bytes, QEMUIOVector *qiov,
                                BdrvRequestFlags flags);
int coroutine_fn bdrv_co_pwritev(BdrvChild *child, int64_t offset,
                                 int64_t bytes, QEMUIOVector *qiov,
                                 BdrvRequestFlags flags);
int coroutine_fn bdrv_co_pread(BdrvChild *child, int64_t offset,
                               int64_t bytes, void *buf,
                               BdrvRequestFlags flags);
int coroutine_fn bdrv_co_pwrite(BdrvChild *child, int64_t offset,
                                int64_t bytes, const void *buf,
                                BdrvRequestFlags flags);
int coroutine_fn bdrv_co_pwrite_sync(BdrvChild *child, int64_t offset,
                                     int64_t bytes, const void *buf,
                                     BdrvRequestFlags flags);
int coroutine_fn bdrv_co_pwrite_zeroes(BdrvChild *child, int64_t offset,
                                       int64_t bytes, BdrvRequestFlags flags);
int coroutine_fn bdrv_co_pdiscard(BdrvChild *child, int64_t offset,
                                  int64_t bytes);
int coroutine_fn bdrv_co_flush(BlockDriverState *bs);
int coroutine_fn bdrv_co_truncate(BdrvChild *child, int64_t offset,
                                  bool exact, PreallocMode prealloc,
                                  BdrvRequestFlags flags, Error **errp);
int64_t coroutine_fn bdrv_co_getlength(BlockDriverState *bs);
int64_t coroutine_fn bdrv_co_nb_sectors(BlockDriverState *bs);
int64_t coroutine_fn bdrv_co_get_allocated_file_size(BlockDriverState *bs);

/* The same, synchronous: 0 (or length) on success, -errno on failure */
int bdrv_pread(BdrvChild *child, int64_t offset, int64_t bytes, void *buf,
               BdrvRequestFlags flags);
int bdrv_pwrite(BdrvChild *child, int64_t offset, int64_t bytes,
                const void *buf, BdrvRequestFlags flags);
int bdrv_pwrite_sync(BdrvChild *child, int64_t offset, int64_t bytes,
                     const void *buf, BdrvRequestFlags flags);
int bdrv_preadv(BdrvChild *child, int64_t offset, int64_t bytes,
                QEMUIOVector *qiov, BdrvRequestFlags flags);
int bdrv_pwritev(BdrvChild *child, int64_t offset, int64_t bytes,
                 QEMUIOVector *qiov, BdrvRequestFlags flags);
int bdrv_pwrite_zeroes(BdrvChild *child, int64_t offset, int64_t bytes,
                       BdrvRequestFlags flags);
int bdrv_pdiscard(BdrvChild *child, int64_t offset, int64_t bytes);
int bdrv_flush(BlockDriverState *bs);
int bdrv_truncate(BdrvChild *child, int64_t offset, bool exact,
                  PreallocMode prealloc, BdrvRequestFlags flags, Error **errp);
int64_t bdrv_get_allocated_file_size(BlockDriverState *bs);

/* Block status */
int coroutine_fn bdrv_co_block_status(BlockDriverState *bs, int64_t offset,
                                      int64_t bytes, int64_t *pnum,
                                      int64_t *map, BlockDriverState **file);
int bdrv_block_status(BlockDriverState *bs, int64_t offset, int64_t bytes,
                      int64_t *pnum, int64_t *map, BlockDriverState **file);
int bdrv_block_status_above(BlockDriverState *bs, BlockDriverState *base,
                            int64_t offset, int64_t bytes, int64_t *pnum,
                            int64_t *map, BlockDriverState **file);
int bdrv_is_allocated(BlockDriverState *bs, int64_t offset, int64_t bytes,
                      int64_t *pnum);
int bdrv_is_allocated_above(BlockDriverState *top, BlockDriverState *base,
                            bool include_base, int64_t offset, int64_t bytes,
                            int64_t *pnum);

/*
 * Drain: quiesce a node and its parents, wait for requests in flight.
 * Outside a coroutine only from the main thread (asserted); a coroutine
 * anywhere may drain (the drain runs in the main thread meanwhile).
 */
void bdrv_drained_begin(BlockDriverState *bs);
void bdrv_drained_end(BlockDriverState *bs);
void bdrv_drain(BlockDriverState *bs);
void coroutine_fn bdrv_co_drain(BlockDriverState *bs);
/* Begin without polling; the caller polls (bdrv_drain_poll) itself */
void bdrv_do_drained_begin_quiesce(BlockDriverState *bs, BdrvChild *parent);
bool bdrv_drain_poll(BlockDriverState *bs, BdrvChild *ignore_parent,
                     bool ignore_bds_parents);
bool bdrv_parent_drained_poll_single(BdrvChild *c);
void bdrv_parent_drained_begin_single(BdrvChild *c);
void bdrv_parent_drained_end_single(BdrvChild *c);

/* Alignment and limits of a node */
uint32_t bdrv_get_request_alignment(BlockDriverState *bs);
size_t bdrv_min_mem_align(BlockDriverState *bs);
size_t bdrv_opt_mem_align(BlockDriverState *bs);
void *qemu_blockalign(BlockDriverState *bs, size_t size);
void *qemu_blockalign0(BlockDriverState *bs, size_t size);
void *qemu_try_blockalign(BlockDriverState *bs, size_t size);
void qemu_vfree(void *ptr);

bool bdrv_is_inserted(BlockDriverState *bs);
void bdrv_get_backing_filename(BlockDriverState *bs, char *filename,
                               int filename_size);

/*
 * The _part forms: the data is [qiov_offset, qiov_offset + bytes) of @qiov.
 * The core splits and pads by passing qiov_offset down, without building
 * a sub-vector for each piece.
 */
int coroutine_fn bdrv_co_preadv_part(BdrvChild *child, int64_t offset,
                                     int64_t bytes, QEMUIOVector *qiov,
                                     size_t qiov_offset,
                                     BdrvRequestFlags flags);
int coroutine_fn bdrv_co_pwritev_part(BdrvChild *child, int64_t offset,
                                      int64_t bytes, QEMUIOVector *qiov,
                                      size_t qiov_offset,
                                      BdrvRequestFlags flags);
/* Does a BDRV_REQ_WRITE_COMPRESSED write reach a driver that compresses? */
bool bdrv_supports_compressed_writes(BlockDriverState *bs);

/* Read the node's point-in-time snapshot (bdrv_co_preadv_snapshot driver) */
int coroutine_fn bdrv_co_preadv_snapshot(BdrvChild *child, int64_t offset,
                                         int64_t bytes, QEMUIOVector *qiov,
                                         size_t qiov_offset);

/* VM state: 0 (co) / @size (sync) on success, -errno on failure */
int coroutine_fn bdrv_co_readv_vmstate(BlockDriverState *bs,
                                       QEMUIOVector *qiov, int64_t pos);
int coroutine_fn bdrv_co_writev_vmstate(BlockDriverState *bs,
                                        QEMUIOVector *qiov, int64_t pos);
int bdrv_save_vmstate(BlockDriverState *bs, const uint8_t *buf, int64_t pos,
                      int size);
int bdrv_load_vmstate(BlockDriverState *bs, uint8_t *buf, int64_t pos,
                      int size);

/* Driver information (cluster size, ...); -ENOTSUP when it has none */
int coroutine_fn bdrv_co_get_info(BlockDriverState *bs, BlockDriverInfo *bdi);
/* Format-specific information or NULL; the caller frees it */
ImageInfoSpecific *bdrv_get_specific_info(BlockDriverState *bs, Error **errp);

/* Tell @bs's driver (blkdebug) that a BLKDBG_EVENT point was reached */
void coroutine_fn bdrv_co_debug_event(BlockDriverState *bs,
                                      BlkdebugEvent event);
void bdrv_debug_event(BlockDriverState *bs, BlkdebugEvent event);

#endif
