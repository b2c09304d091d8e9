/*
 * BlockBackend: the device-side handle on the root of a node tree.  A
 * backend is a parent of its root node with permissions of its own; guest
 * requests enter the graph through it.
 */
#ifndef BLOCK_BLOCK_BACKEND_H
#define BLOCK_BLOCK_BACKEND_H

#include "block/block-common.h"
#include "block/block-global-state.h"
#include "block/block-io.h"

/* Global state */
BlockBackend *blk_new(AioContext *ctx, uint64_t perm, uint64_t shared_perm);
BlockBackend *blk_new_with_bs(BlockDriverState *bs, uint64_t perm,
                              uint64_t shared_perm, Error **errp);
BlockBackend *blk_new_open(const char *filename, const char *reference,
                           QDict *options, int flags, Error **errp);
void blk_ref(BlockBackend *blk);
void blk_unref(BlockBackend *blk);
int blk_insert_bs(BlockBackend *blk, BlockDriverState *bs, Error **errp);
void blk_remove_bs(BlockBackend *blk);
BlockDriverState *blk_bs(BlockBackend *blk);
BdrvChild *blk_root(BlockBackend *blk);
BlockBackend *blk_by_name(const char *name);
BlockBackend *blk_next(BlockBackend *blk);
BlockBackend *blk_all_next(BlockBackend *blk);
bool monitor_add_blk(BlockBackend *blk, const char *name, Error **errp);
void monitor_remove_blk(BlockBackend *blk);
const char *blk_name(const BlockBackend *blk);
int blk_set_perm(BlockBackend *blk, uint64_t perm, uint64_t shared_perm,
                 Error **errp);
void blk_get_perm(BlockBackend *blk, uint64_t *perm, uint64_t *shared_perm);
void blk_set_allow_write_beyond_eof(BlockBackend *blk, bool allow);
void blk_set_allow_aio_context_change(BlockBackend *blk, bool allow);
void blk_set_disable_request_queuing(BlockBackend *blk, bool disable);
int blk_set_aio_context(BlockBackend *blk, AioContext *new_context,
                        Error **errp);
void blk_drain(BlockBackend *blk);
void blk_drain_all(void);
bool blk_is_read_only(BlockBackend *blk);
bool blk_is_writable(BlockBackend *blk);
bool blk_is_inserted(BlockBackend *blk);
bool blk_is_available(BlockBackend *blk);

/* I/O, callable from any context */
AioContext *blk_get_aio_context(BlockBackend *blk);
int64_t blk_getlength(BlockBackend *blk);
int64_t blk_nb_sectors(BlockBackend *blk);
int blk_pread(BlockBackend *blk, int64_t offset, int64_t bytes, void *buf,
              BdrvRequestFlags flags);
int blk_pwrite(BlockBackend *blk, int64_t offset, int64_t bytes,
               const void *buf, BdrvRequestFlags flags);
int blk_preadv(BlockBackend *blk, int64_t offset, int64_t bytes,
               QEMUIOVector *qiov, BdrvRequestFlags flags);
int blk_pwritev(BlockBackend *blk, int64_t offset, int64_t bytes,
                QEMUIOVector *qiov, BdrvRequestFlags flags);
int blk_pwrite_zeroes(BlockBackend *blk, int64_t offset, int64_t bytes,
                      BdrvRequestFlags flags);
int blk_pdiscard(BlockBackend *blk, int64_t offset, int64_t bytes);
int blk_flush(BlockBackend *blk);
int blk_truncate(BlockBackend *blk, int64_t offset, bool exact,
                 PreallocMode prealloc, BdrvRequestFlags flags, Error **errp);

int coroutine_fn blk_co_preadv(BlockBackend *blk, int64_t offset,
                               int64_t bytes, QEMUIOVector *qiov,
                               BdrvRequestFlags flags);
int coroutine_fn blk_co_pwritev(BlockBackend *blk, int64_t offset,
                                int64_t bytes, QEMUIOVector *qiov,
                                BdrvRequestFlags flags);
int coroutine_fn blk_co_pread(BlockBackend *blk, int64_t offset,
                              int64_t bytes, void *buf,
                              BdrvRequestFlags flags);
int coroutine_fn blk_co_pwrite(BlockBackend *blk, int64_t offset,
                               int64_t bytes, const void *buf,
                               BdrvRequestFlags flags);
int coroutine_fn blk_co_pwrite_zeroes(BlockBackend *blk, int64_t offset,
                                      int64_t bytes, BdrvRequestFlags flags);
int coroutine_fn blk_co_pdiscard(BlockBackend *blk, int64_t offset,
                                 int64_t bytes);
int coroutine_fn blk_co_flush(BlockBackend *blk);

BlockAIOCB *blk_aio_preadv(BlockBackend *blk, int64_t offset,
                           QEMUIOVector *qiov, BdrvRequestFlags flags,
                           BlockCompletionFunc *cb, void *opaque);
BlockAIOCB *blk_aio_pwritev(BlockBackend *blk, int64_t offset,
                            QEMUIOVector *qiov, BdrvRequestFlags flags,
                            BlockCompletionFunc *cb, void *opaque);
BlockAIOCB *blk_aio_pwrite_zeroes(BlockBackend *blk, int64_t offset,
                                  int64_t bytes, BdrvRequestFlags flags,
                                  BlockCompletionFunc *cb, void *opaque);
BlockAIOCB *blk_aio_pdiscard(BlockBackend *blk, int64_t offset, int64_t bytes,
                             BlockCompletionFunc *cb, void *opaque);
BlockAIOCB *blk_aio_flush(BlockBackend *blk, BlockCompletionFunc *cb,
                          void *opaque);
void blk_aio_cancel(BlockAIOCB *acb);
void blk_aio_cancel_async(BlockAIOCB *acb);

/* Requests in flight through this backend */
void blk_inc_in_flight(BlockBackend *blk);
void blk_dec_in_flight(BlockBackend *blk);

#endif
