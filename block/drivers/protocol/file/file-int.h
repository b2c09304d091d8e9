/*
 * Private to the "file" protocol driver: its node state and the helpers
 * shared between file.c (open, create, options), file-io.c (requests run
 * in the thread pool), file-uring.c (O_DIRECT reads through io_uring) and
 * file-lock.c (image locking).
 */
#ifndef BLOCK_DRIVERS_PROTOCOL_FILE_FILE_INT_H
#define BLOCK_DRIVERS_PROTOCOL_FILE_FILE_INT_H

#include "block/driver.h"


/* Lock bytes: FILE_LOCK_PERM_BASE + bit for each permission held,
 * FILE_LOCK_SHARED_BASE + bit for each permission not shared */
#define FILE_LOCK_PERM_BASE   100
#define FILE_LOCK_SHARED_BASE 200

typedef struct BDRVFileState {
    int fd;
    char *filename;
    bool is_blockdev;
    bool use_lock;
    bool needs_alignment;   /* opened with O_DIRECT */
    bool aio_uring;         /* aio=io_uring: reads, writes, flushes */
    uint32_t req_align;     /* offset/length alignment O_DIRECT needs */
    size_t buf_align;       /* memory alignment O_DIRECT needs */
    /*
     * A failed fdatasync may have dropped dirty pages: the kernel will not
     * report it again, so every later flush must fail too.
     */
    bool flush_failed;
    /* RWF_NOWAIT refused with EOPNOTSUPP: no fast path (file-io.c) */
    bool nowait_read_unsupported;
    bool nowait_write_unsupported;

    /* Permissions last committed by bdrv_set_perm */
    uint64_t perm;
    uint64_t shared_perm;
    /* Lock bytes held: permissions at 100+, unshared permissions at 200+ */
    uint64_t locked_perm;
    uint64_t locked_unshared;
} BDRVFileState;

/* file-lock.c */

/*
 * Take the lock bytes for @perm (at 100+) and @unshared (at 200+) that
 * *@locked_perm / *@locked_unshared do not record yet; with @unlock, also
 * release those that are recorded but not asked for.  The records follow
 * what actually succeeded.
 */
int file_lock_apply(int fd, uint64_t *locked_perm, uint64_t *locked_unshared,
                    uint64_t perm, uint64_t unshared, bool unlock,
                    Error **errp);
/* Fail if another open file description holds a lock conflicting with
 * holding @perm while sharing @shared */
int file_lock_check(int fd, uint64_t perm, uint64_t shared, Error **errp);
/* Does this fd support open-file-description locks? */
bool file_lock_supported(int fd);
const char *file_lock_perm_name(int bit);

int file_lock_check_perm(BlockDriverState *bs, uint64_t perm,
                         uint64_t shared, Error **errp);
void file_lock_set_perm(BlockDriverState *bs, uint64_t perm,
                        uint64_t shared);
void file_lock_abort_perm_update(BlockDriverState *bs);

/* file-uring.c */
/*
 * Read or write @iov at @offset through this thread's io_uring; the
 * coroutine sleeps until done. Bytes transferred (may be short) or
 * -errno; -ENOTSUP when io_uring cannot take it (use the thread pool).
 */
ssize_t coroutine_fn file_uring_rw(int fd, bool is_write,
                                   const struct iovec *iov, int niov,
                                   int64_t offset);
/* fdatasync through the ring: 0, -errno, or -ENOTSUP as above */
int coroutine_fn file_uring_fdatasync(int fd);
/* Can this thread use io_uring? If not, why (the kernel's refusal) */
bool file_uring_usable(Error **errp);

/* file-reopen.c */
int file_reopen_prepare(BDRVReopenState *state, BlockReopenQueue *queue,
                        Error **errp);
void file_reopen_commit(BDRVReopenState *state);
void file_reopen_abort(BDRVReopenState *state);

/* file-io.c */
int coroutine_fn file_io_co_preadv_part(BlockDriverState *bs, int64_t offset,
                                        int64_t bytes, QEMUIOVector *qiov,
                                        size_t qiov_offset,
                                        BdrvRequestFlags flags);
int coroutine_fn file_io_co_pwritev_part(BlockDriverState *bs, int64_t offset,
                                         int64_t bytes, QEMUIOVector *qiov,
                                         size_t qiov_offset,
                                         BdrvRequestFlags flags);
int coroutine_fn file_io_co_pwrite_zeroes(BlockDriverState *bs,
                                          int64_t offset, int64_t bytes,
                                          BdrvRequestFlags flags);
int coroutine_fn file_io_co_pdiscard(BlockDriverState *bs, int64_t offset,
                                     int64_t bytes);
int coroutine_fn file_io_co_flush_to_disk(BlockDriverState *bs);
int coroutine_fn file_io_co_truncate(BlockDriverState *bs, int64_t offset,
                                     bool exact, PreallocMode prealloc,
                                     BdrvRequestFlags flags, Error **errp);
int coroutine_fn file_io_co_block_status(BlockDriverState *bs,
                                         bool want_zero, int64_t offset,
                                         int64_t bytes, int64_t *pnum,
                                         int64_t *map,
                                         BlockDriverState **file);
/*
 * Resize the regular file @fd from its current length to @offset with
 * @prealloc (blocking: call from a worker).  Used by truncate and create.
 */
int file_io_resize_fd(int fd, const char *filename, int64_t offset,
                      PreallocMode prealloc, Error **errp);
const char *file_io_prealloc_name(PreallocMode prealloc);

#endif
