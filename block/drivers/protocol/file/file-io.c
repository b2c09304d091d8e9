/*
 * Requests of the "file" protocol.  Every blocking system call runs in the
 * thread pool (thread_pool_submit_co); the calling coroutine sleeps until
 * the worker's result is delivered back in its own AioContext.  Workers
 * see only the FileReq they are given, never the node.
 *
 * Reads and writes without O_DIRECT first try RWF_NOWAIT in the calling
 * coroutine (include/block/file.h): what the page cache can serve at once
 * never reaches the pool; the pool continues where the fast path stopped.
 * O_DIRECT reads go through io_uring (file-uring.c) when it is usable.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <linux/falloc.h>

#include "file-int.h"
#include "block/file.h"
#include "util/cutils.h"
#include "util/sched.h"
#include "util/thread-pool.h"

#ifndef RWF_NOWAIT
#define RWF_NOWAIT 0x00000008
#endif

/* Chunk of zeroes written per syscall by preallocation=full */
#define FILE_IO_PREALLOC_CHUNK (1 << 20)

typedef enum {
    FILE_REQ_READ,
    FILE_REQ_WRITE,
    FILE_REQ_FLUSH,
    FILE_REQ_DISCARD,
    FILE_REQ_ZEROES,          /* must read back as zeroes, allocated or not */
    FILE_REQ_ZEROES_UNMAP,    /* same, deallocating where possible */
    FILE_REQ_TRUNCATE,
} FileReqType;

typedef struct FileReq {
    FileReqType type;
    int fd;
    int64_t offset;
    int64_t bytes;
    struct iovec *iov;
    int niov;
    bool direct;              /* O_DIRECT: see file_io_worker_rw */
    int64_t done;             /* bytes already transferred (fast path) */
    /* truncate only */
    const char *filename;
    PreallocMode prealloc;
    Error **errp;
} FileReq;

const char *file_io_prealloc_name(PreallocMode prealloc)
{
    static const char *const names[PREALLOC_MODE__MAX] = {
        [PREALLOC_MODE_OFF] = "off",
        [PREALLOC_MODE_METADATA] = "metadata",
        [PREALLOC_MODE_FALLOC] = "falloc",
        [PREALLOC_MODE_FULL] = "full",
    };

    if ((unsigned)prealloc >= PREALLOC_MODE__MAX) {
        return "invalid";
    }
    return names[prealloc];
}

/* Drop the first @n bytes of the vector (which the caller owns) */
static void file_io_iov_advance(struct iovec **iov, int *niov, size_t n)
{
    while (n > 0 && *niov > 0) {
        if (n >= (*iov)->iov_len) {
            n -= (*iov)->iov_len;
            (*iov)++;
            (*niov)--;
        } else {
            (*iov)->iov_base = (char *)(*iov)->iov_base + n;
            (*iov)->iov_len -= n;
            n = 0;
        }
    }
}

static FileNowaitMode file_io_nowait_mode;
static FileNowaitStats file_io_nowait_stats;

void file_nowait_set_mode(FileNowaitMode mode)
{
    qatomic_set(&file_io_nowait_mode, mode);
}

void file_nowait_get_stats(FileNowaitStats *stats, bool reset)
{
    stats->fast = qatomic_read(&file_io_nowait_stats.fast);
    stats->fallback = qatomic_read(&file_io_nowait_stats.fallback);
    stats->uring = qatomic_read(&file_io_nowait_stats.uring);
    if (reset) {
        qatomic_set(&file_io_nowait_stats.fast, 0);
        qatomic_set(&file_io_nowait_stats.fallback, 0);
        qatomic_set(&file_io_nowait_stats.uring, 0);
    }
}

/* One transfer; @nowait: RWF_NOWAIT (and the test modes) */
static ssize_t file_io_rw_once(FileReq *r, struct iovec *iov, int cnt,
                               int64_t offset, bool nowait)
{
    bool is_write = r->type == FILE_REQ_WRITE;
    struct iovec one;

    if (!nowait) {
        return is_write ? pwritev(r->fd, iov, cnt, offset)
                        : preadv(r->fd, iov, cnt, offset);
    }
    switch (qatomic_read(&file_io_nowait_mode)) {
    case FILE_NOWAIT_EAGAIN:
        errno = EAGAIN;
        return -1;
    case FILE_NOWAIT_SHORT:
        if (r->done > 0) {
            errno = EAGAIN;
            return -1;
        }
        one = (struct iovec){ .iov_base = iov[0].iov_base,
                              .iov_len = MIN(iov[0].iov_len, 512) };
        iov = &one;
        cnt = 1;
        break;
    default:
        break;
    }
    return is_write ? pwritev2(r->fd, iov, cnt, offset, RWF_NOWAIT)
                    : preadv2(r->fd, iov, cnt, offset, RWF_NOWAIT);
}

/*
 * Transfer the rest of the request (from r->done), looping over short
 * transfers and over vectors longer than IOV_MAX.  A read that hits end of
 * file leaves zeroes in the rest of the buffer, so that a file whose
 * length is not a multiple of the sector size reads like one that is.
 * With @nowait, stops with -EAGAIN (or -EOPNOTSUPP) where the kernel
 * would block; r->done tells how far it got.
 */
static int file_io_rw(FileReq *r, bool nowait)
{
    bool is_write = r->type == FILE_REQ_WRITE;
    struct iovec *copy = NULL;
    struct iovec *iov = r->iov;
    int niov = r->niov;
    int ret = 0;

    if (r->done > 0) {
        copy = g_memdup2(iov, niov * sizeof(*iov));
        iov = copy;
        file_io_iov_advance(&iov, &niov, r->done);
    }
    while (r->done < r->bytes && niov > 0) {
        int cnt = MIN(niov, IOV_MAX);
        ssize_t n = file_io_rw_once(r, iov, cnt, r->offset + r->done, nowait);

        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno == EINVAL && r->direct && !is_write && r->done > 0) {
                /* O_DIRECT refuses the unaligned offset a short read at
                 * end of file left us at: that is the end of file */
                iov_memset(r->iov, r->niov, r->done, 0, r->bytes - r->done);
                break;
            }
            ret = -errno;
            break;
        }
        if (n == 0) {
            if (is_write) {
                ret = -EIO;   /* no progress writing: do not spin */
            } else {
                iov_memset(r->iov, r->niov, r->done, 0, r->bytes - r->done);
            }
            break;
        }
        r->done += n;
        if (r->done < r->bytes) {
            if (!copy) {
                /* The caller's vector must stay intact: advance a copy */
                copy = g_memdup2(iov, niov * sizeof(*iov));
                iov = copy;
            }
            file_io_iov_advance(&iov, &niov, n);
        }
    }
    g_free(copy);
    return ret;
}

static int file_io_worker_rw(FileReq *r)
{
    return file_io_rw(r, false);
}

/*
 * Through io_uring: true if done (result in *ret); false if the pool must
 * do the rest (from r->done). By default only O_DIRECT reads: ext4 hands
 * io_uring's O_DIRECT writes to a kernel worker, which measured slower
 * than our own; aio=io_uring sends every read and write.
 */
static bool file_io_try_uring(BDRVFileState *s, FileReq *r, int *ret)
{
    bool is_write = r->type == FILE_REQ_WRITE;
    ssize_t n;

    if (sched_is_deterministic() || r->done > 0 ||
        !(s->aio_uring || (s->needs_alignment && !is_write))) {
        return false;
    }
    n = file_uring_rw(r->fd, is_write, r->iov, r->niov, r->offset);
    if (n == -ENOTSUP || n == -EAGAIN || n == -EINTR) {
        return false;
    }
    qatomic_inc(&file_io_nowait_stats.uring);
    if (n < 0) {
        *ret = n;
        return true;
    }
    r->done = n;
    /* Short (end of file, or a partial transfer): the pool finishes it */
    if (r->done < r->bytes) {
        return false;
    }
    *ret = 0;
    return true;
}

/*
 * The fast path, in the requesting coroutine: true if it finished the
 * request (result in *ret); false if the pool must do the rest.
 */
static bool file_io_try_nowait(BDRVFileState *s, FileReq *r, int *ret)
{
    bool is_write = r->type == FILE_REQ_WRITE;
    bool *unsupported = is_write ? &s->nowait_write_unsupported
                                 : &s->nowait_read_unsupported;
    int ret_nowait;

    /* O_DIRECT would wait for the device; deterministic mode for a seed */
    if (s->needs_alignment || qatomic_read(unsupported) ||
        qatomic_read(&file_io_nowait_mode) == FILE_NOWAIT_OFF ||
        sched_is_deterministic()) {
        return false;
    }
    ret_nowait = file_io_rw(r, true);
    if (ret_nowait == -EOPNOTSUPP) {
        qatomic_set(unsupported, true);
    } else if (ret_nowait != -EAGAIN) {
        qatomic_inc(&file_io_nowait_stats.fast);
        *ret = ret_nowait;
        return true;
    }
    qatomic_inc(&file_io_nowait_stats.fallback);
    return false;
}

static int file_io_fallocate(int fd, int mode, int64_t offset, int64_t len)
{
    while (fallocate(fd, mode, offset, len) < 0) {
        if (errno == EINTR) {
            continue;
        }
        if (errno == EOPNOTSUPP || errno == ENOSYS || errno == EINVAL) {
            return -ENOTSUP;
        }
        return -errno;
    }
    return 0;
}

static int64_t file_io_fd_length(int fd)
{
    struct stat st;

    if (fstat(fd, &st) < 0) {
        return -errno;
    }
    if (S_ISBLK(st.st_mode)) {
        off_t end = lseek(fd, 0, SEEK_END);
        return end < 0 ? -errno : end;
    }
    return st.st_size;
}

/*
 * Zero a range.  Punching a hole is tried first when unmapping is allowed
 * (only inside the file: a hole past the end would not extend it);
 * otherwise, or if that fails, the range is zeroed in place, which also
 * extends the file.  -ENOTSUP tells the core to write zeroes itself.
 */
static int file_io_worker_zeroes(FileReq *r)
{
    int ret;

    if (r->type == FILE_REQ_ZEROES_UNMAP) {
        int64_t len = file_io_fd_length(r->fd);
        if (len >= 0 && r->offset + r->bytes <= len) {
            ret = file_io_fallocate(r->fd,
                                    FALLOC_FL_PUNCH_HOLE |
                                    FALLOC_FL_KEEP_SIZE,
                                    r->offset, r->bytes);
            if (ret != -ENOTSUP) {
                return ret;
            }
        }
    }
    return file_io_fallocate(r->fd, FALLOC_FL_ZERO_RANGE, r->offset,
                             r->bytes);
}

/* Write zeroes over [from, to) of @fd, for preallocation=full */
static int file_io_write_zeroes_range(int fd, int64_t from, int64_t to)
{
    size_t chunk = MIN((int64_t)FILE_IO_PREALLOC_CHUNK, to - from);
    void *buf = g_try_malloc0(chunk);
    int ret = 0;

    if (!buf) {
        return -ENOMEM;
    }
    while (from < to) {
        ssize_t n = pwrite(fd, buf, MIN((int64_t)chunk, to - from), from);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            ret = -errno;
            break;
        }
        from += n;
    }
    g_free(buf);
    return ret;
}

int file_io_resize_fd(int fd, const char *filename, int64_t offset,
                      PreallocMode prealloc, Error **errp)
{
    int64_t cur = file_io_fd_length(fd);
    int ret;

    if (cur < 0) {
        error_setg_errno(errp, -cur, "Could not get the length of '%s'",
                         filename);
        return cur;
    }
    if (offset < cur && prealloc != PREALLOC_MODE_OFF) {
        error_setg(errp, "Cannot preallocate ('%s') while shrinking '%s'",
                   file_io_prealloc_name(prealloc), filename);
        return -ENOTSUP;
    }

    switch (prealloc) {
    case PREALLOC_MODE_OFF:
        break;
    case PREALLOC_MODE_FALLOC:
        if (offset > cur) {
            ret = -posix_fallocate(fd, cur, offset - cur);
            if (ret < 0) {
                error_setg_errno(errp, -ret,
                                 "Could not preallocate %" PRId64
                                 " bytes in '%s'", offset - cur, filename);
                return ret;
            }
        }
        break;
    case PREALLOC_MODE_FULL:
        if (offset > cur) {
            /* Extend first so that a failure mid-way leaves the new
             * length (as with falloc) rather than a half-written tail */
            if (ftruncate(fd, offset) < 0) {
                ret = -errno;
                error_setg_errno(errp, -ret, "Could not resize '%s'",
                                 filename);
                return ret;
            }
            ret = file_io_write_zeroes_range(fd, cur, offset);
            if (ret == 0) {
                ret = qemu_fdatasync(fd);
            }
            if (ret < 0) {
                error_setg_errno(errp, -ret,
                                 "Could not write zeroes to preallocate '%s'",
                                 filename);
                return ret;
            }
        }
        return 0;
    default:
        /* QEMU's message (qemu-io truncate, qemu-img create) */
        error_setg(errp, "Unsupported preallocation mode: %s",
                   file_io_prealloc_name(prealloc));
        return -ENOTSUP;
    }

    if (ftruncate(fd, offset) < 0) {
        ret = -errno;
        error_setg_errno(errp, -ret, "Could not resize '%s' to %" PRId64,
                         filename, offset);
        return ret;
    }
    return 0;
}

static int file_io_worker(void *opaque)
{
    FileReq *r = opaque;

    switch (r->type) {
    case FILE_REQ_READ:
    case FILE_REQ_WRITE:
        return file_io_worker_rw(r);
    case FILE_REQ_FLUSH:
        return qemu_fdatasync(r->fd);
    case FILE_REQ_DISCARD:
        return file_io_fallocate(r->fd,
                                 FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                                 r->offset, r->bytes);
    case FILE_REQ_ZEROES:
    case FILE_REQ_ZEROES_UNMAP:
        return file_io_worker_zeroes(r);
    case FILE_REQ_TRUNCATE:
        return file_io_resize_fd(r->fd, r->filename, r->offset, r->prealloc,
                                 r->errp);
    }
    return -EINVAL;
}

static bool file_io_qiov_aligned(QEMUIOVector *qiov, size_t align)
{
    for (int i = 0; i < qiov->niov; i++) {
        if ((uintptr_t)qiov->iov[i].iov_base % align ||
            qiov->iov[i].iov_len % align) {
            return false;
        }
    }
    return true;
}

/*
 * The request's data is [qiov_offset, qiov_offset + bytes) of @qiov: the
 * iovec window for it is built once, here, and only when the request is
 * not the whole vector; every path (RWF_NOWAIT, io_uring, thread pool)
 * then takes that array.
 */
static int coroutine_fn file_io_co_rw(BlockDriverState *bs, int64_t offset,
                                      int64_t bytes, QEMUIOVector *qiov,
                                      size_t qiov_offset, FileReqType type)
{
    BDRVFileState *s = bs->opaque;
    QEMUIOVector window;
    bool sliced = qiov_offset != 0 || (size_t)bytes != qiov->size;
    FileReq r = {
        .type = type, .fd = s->fd, .offset = offset, .bytes = bytes,
        .direct = s->needs_alignment,
    };
    struct iovec bounce_iov;
    void *bounce = NULL;
    int ret;

    assert(qiov_offset + (size_t)bytes <= qiov->size);
    if (sliced) {
        qemu_iovec_init_slice(&window, qiov, qiov_offset, (size_t)bytes);
        qiov = &window;
    }
    r.iov = qiov->iov;
    r.niov = qiov->niov;
    /* O_DIRECT also constrains the memory: bounce misaligned buffers */
    if (s->needs_alignment && !file_io_qiov_aligned(qiov, s->buf_align)) {
        bounce = qemu_try_blockalign(bs, bytes);
        if (!bounce) {
            ret = -ENOMEM;
            goto out;
        }
        if (type == FILE_REQ_WRITE) {
            qemu_iovec_to_buf(qiov, 0, bounce, bytes);
        }
        bounce_iov = (struct iovec){ .iov_base = bounce, .iov_len = bytes };
        r.iov = &bounce_iov;
        r.niov = 1;
    }

    if (!file_io_try_nowait(s, &r, &ret) && !file_io_try_uring(s, &r, &ret)) {
        ret = thread_pool_submit_co(file_io_worker, &r);
    }

    if (bounce) {
        if (ret == 0 && type == FILE_REQ_READ) {
            qemu_iovec_from_buf(qiov, 0, bounce, bytes);
        }
        qemu_vfree(bounce);
    }
out:
    if (sliced) {
        qemu_iovec_destroy(&window);
    }
    return ret;
}

int coroutine_fn file_io_co_preadv_part(BlockDriverState *bs, int64_t offset,
                                        int64_t bytes, QEMUIOVector *qiov,
                                        size_t qiov_offset,
                                        BdrvRequestFlags flags)
{
    return file_io_co_rw(bs, offset, bytes, qiov, qiov_offset,
                         FILE_REQ_READ);
}

int coroutine_fn file_io_co_pwritev_part(BlockDriverState *bs, int64_t offset,
                                         int64_t bytes, QEMUIOVector *qiov,
                                         size_t qiov_offset,
                                         BdrvRequestFlags flags)
{
    return file_io_co_rw(bs, offset, bytes, qiov, qiov_offset,
                         FILE_REQ_WRITE);
}

int coroutine_fn file_io_co_pwrite_zeroes(BlockDriverState *bs,
                                          int64_t offset, int64_t bytes,
                                          BdrvRequestFlags flags)
{
    BDRVFileState *s = bs->opaque;
    FileReq r = {
        .type = (flags & BDRV_REQ_MAY_UNMAP) ? FILE_REQ_ZEROES_UNMAP
                                             : FILE_REQ_ZEROES,
        .fd = s->fd, .offset = offset, .bytes = bytes,
    };

    return thread_pool_submit_co(file_io_worker, &r);
}

int coroutine_fn file_io_co_pdiscard(BlockDriverState *bs, int64_t offset,
                                     int64_t bytes)
{
    BDRVFileState *s = bs->opaque;
    FileReq r = {
        .type = FILE_REQ_DISCARD, .fd = s->fd, .offset = offset,
        .bytes = bytes,
    };

    return thread_pool_submit_co(file_io_worker, &r);
}

int coroutine_fn file_io_co_flush_to_disk(BlockDriverState *bs)
{
    BDRVFileState *s = bs->opaque;
    FileReq r = { .type = FILE_REQ_FLUSH, .fd = s->fd };
    int ret;

    if (s->flush_failed) {
        return -EIO;
    }
    ret = -ENOTSUP;
    if (s->aio_uring && !sched_is_deterministic()) {
        ret = file_uring_fdatasync(s->fd);
        if (ret != -ENOTSUP) {
            qatomic_inc(&file_io_nowait_stats.uring);
        }
    }
    if (ret == -ENOTSUP) {
        ret = thread_pool_submit_co(file_io_worker, &r);
    }
    if (ret < 0) {
        s->flush_failed = true;
    }
    return ret;
}

int coroutine_fn file_io_co_truncate(BlockDriverState *bs, int64_t offset,
                                     bool exact, PreallocMode prealloc,
                                     BdrvRequestFlags flags, Error **errp)
{
    BDRVFileState *s = bs->opaque;
    FileReq r = {
        .type = FILE_REQ_TRUNCATE, .fd = s->fd, .offset = offset,
        .filename = s->filename, .prealloc = prealloc, .errp = errp,
    };
    int64_t len;

    if (!s->is_blockdev) {
        return thread_pool_submit_co(file_io_worker, &r);
    }

    /* A device cannot change size: accept what it already satisfies */
    if (prealloc != PREALLOC_MODE_OFF) {
        error_setg(errp, "Preallocation mode '%s' is not supported for the "
                   "block device '%s'", file_io_prealloc_name(prealloc),
                   s->filename);
        return -ENOTSUP;
    }
    len = file_io_fd_length(s->fd);
    if (len < 0) {
        error_setg_errno(errp, -len, "Could not get the length of '%s'",
                         s->filename);
        return len;
    }
    if (offset > len) {
        error_setg(errp, "Cannot grow the block device '%s' to %" PRId64
                   " bytes (it has %" PRId64 ")", s->filename, offset, len);
        return -EINVAL;
    }
    if (exact && offset != len) {
        error_setg(errp, "Cannot resize the block device '%s' to %" PRId64
                   " bytes (it has %" PRId64 ")", s->filename, offset, len);
        return -ENOTSUP;
    }
    return 0;
}

/*
 * Where does the data or the hole containing @offset end?  Returns 0 with
 * *data_end set (data at @offset) or *hole_end set (hole at @offset);
 * -ENXIO when @offset is in the trailing hole or past the end; another
 * -errno when the file system cannot tell.
 */
static int file_io_find_extent(int fd, int64_t offset, int64_t *data_end,
                               int64_t *hole_end)
{
    off_t data = lseek(fd, offset, SEEK_DATA);
    off_t hole;

    *data_end = *hole_end = -1;
    if (data < 0) {
        return -errno;
    }
    if (data > offset) {
        *hole_end = data;
        return 0;
    }
    hole = lseek(fd, offset, SEEK_HOLE);
    if (hole < 0) {
        return -errno;
    }
    if (hole <= offset) {
        /* Racing with a concurrent change: call it data */
        hole = offset + 1;
    }
    *data_end = hole;
    return 0;
}

int coroutine_fn file_io_co_block_status(BlockDriverState *bs,
                                         bool want_zero, int64_t offset,
                                         int64_t bytes, int64_t *pnum,
                                         int64_t *map,
                                         BlockDriverState **file)
{
    BDRVFileState *s = bs->opaque;
    uint32_t align = MAX(s->req_align, 1);
    int64_t data_end, hole_end;
    int ret;

    *map = offset;
    *file = bs;
    if (!want_zero) {
        *pnum = bytes;
        return BDRV_BLOCK_DATA | BDRV_BLOCK_OFFSET_VALID;
    }

    ret = file_io_find_extent(s->fd, offset, &data_end, &hole_end);
    if (ret == -ENXIO) {
        *pnum = bytes;
        return BDRV_BLOCK_ZERO | BDRV_BLOCK_OFFSET_VALID;
    }
    if (ret < 0) {
        *pnum = bytes;
        return BDRV_BLOCK_DATA | BDRV_BLOCK_OFFSET_VALID;
    }

    if (data_end >= 0) {
        *pnum = MIN(bytes, data_end - offset);
        ret = BDRV_BLOCK_DATA;
    } else {
        *pnum = MIN(bytes, hole_end - offset);
        ret = BDRV_BLOCK_ZERO;
    }
    /* Results must be in whole alignment units; a unit that is only
     * partly a hole holds data */
    if (*pnum < bytes && *pnum % align) {
        if (*pnum >= align) {
            *pnum = QEMU_ALIGN_DOWN(*pnum, align);
        } else {
            *pnum = MIN(bytes, (int64_t)align);
            ret = BDRV_BLOCK_DATA;
        }
    }
    return ret | BDRV_BLOCK_OFFSET_VALID;
}
