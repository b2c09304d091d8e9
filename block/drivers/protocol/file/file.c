/*
 * The "file" protocol: images in POSIX regular files (or block devices).
 *
 * Options: filename (required), locking (auto/on/off, default auto),
 * aio (threads, io_uring).  Requests run in the thread pool or through
 * io_uring (file-io.c, file-uring.c); image
 * locking is in file-lock.c.
 */
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <linux/fs.h>

#include "file-int.h"
#include "util/cutils.h"
#include "util/thread-pool.h"

/* Alignments tried when the kernel cannot tell what O_DIRECT needs */
#define FILE_PROBE_ALIGN_MIN 512
#define FILE_PROBE_ALIGN_MAX 4096

static QemuOptsList file_runtime_opts = {
    .name = "file",
    .desc = {
        {
            .name = "filename",
            .type = QEMU_OPT_STRING,
            .help = "Name of the image file",
        },
        {
            .name = "locking",
            .type = QEMU_OPT_STRING,
            .help = "Image locking: auto, on or off (default: auto)",
        },
        {
            .name = "aio",
            .type = QEMU_OPT_STRING,
            .help = "Host AIO implementation: threads or io_uring",
        },
        { /* end of list */ }
    },
};

static QemuOptsList file_create_opts = {
    .name = "file-create-opts",
    .desc = {
        {
            .name = BLOCK_OPT_SIZE,
            .type = QEMU_OPT_SIZE,
            .help = "Virtual disk size",
        },
        {
            .name = BLOCK_OPT_PREALLOC,
            .type = QEMU_OPT_STRING,
            .help = "Preallocation mode (allowed values: off, falloc, full)",
        },
        { /* end of list */ }
    },
};

/* What names the node (json: filenames) */
static const char *const file_strong_runtime_opts[] = {
    "filename",
    NULL
};

static void file_parse_filename(const char *filename, QDict *options,
                                Error **errp)
{
    const char *path = filename;

    /* Without its prefix, "file:a:b" must not look like protocol "a" */
    if (strstart(filename, "file:", &path) && strchr(path, ':') &&
        (!strchr(path, '/') || strchr(path, ':') < strchr(path, '/'))) {
        char *fixed = g_strdup_printf("./%s", path);
        qdict_put_str(options, "filename", fixed);
        g_free(fixed);
        return;
    }
    qdict_put_str(options, "filename", path);
}

static int file_parse_locking(const char *value, bool *use_lock,
                              Error **errp)
{
    if (!value || !strcmp(value, "auto") || !strcmp(value, "on")) {
        *use_lock = true;
    } else if (!strcmp(value, "off")) {
        *use_lock = false;
    } else {
        error_setg(errp, "Invalid value '%s' for option 'locking' "
                   "(expected 'auto', 'on' or 'off')", value);
        return -EINVAL;
    }
    return 0;
}

static int file_parse_aio(const char *value, bool *uring, Error **errp)
{
    *uring = value && !strcmp(value, "io_uring");
    if (*uring) {
        return file_uring_usable(errp) ? 0 : -EINVAL;
    }
    if (value && !strcmp(value, "native")) {
        error_setg(errp, "Unsupported value 'native' for option 'aio' "
                   "(drydock has no Linux AIO: use 'threads' or 'io_uring')");
        return -EINVAL;
    }
    if (value && strcmp(value, "threads") != 0) {
        error_setg(errp, "Invalid value '%s' for option 'aio' (expected "
                   "'threads', 'io_uring' or 'native')", value);
        return -EINVAL;
    }
    return 0;
}

/* Can a read of @len bytes at offset 0 be done with O_DIRECT? */
static bool file_probe_read_ok(int fd, void *buf, size_t len)
{
    ssize_t n;

    do {
        n = pread(fd, buf, len, 0);
    } while (n < 0 && errno == EINTR);
    return n >= 0 || errno != EINVAL;
}

/*
 * What O_DIRECT requires of offsets and buffers: ask the kernel (block
 * device sector size, statx's DIO alignment), else find the smallest read
 * size that works, else assume the largest common sector size.
 */
static void file_probe_alignment(BDRVFileState *s)
{
    void *buf = NULL;
    int sector;

    s->req_align = 0;
    s->buf_align = 0;
    if (s->is_blockdev && ioctl(s->fd, BLKSSZGET, &sector) == 0 &&
        sector > 0) {
        s->req_align = sector;
    }
#ifdef STATX_DIOALIGN
    {
        struct statx stx;
        if (statx(s->fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &stx) == 0 &&
            (stx.stx_mask & STATX_DIOALIGN) && stx.stx_dio_offset_align) {
            if (!s->req_align) {
                s->req_align = stx.stx_dio_offset_align;
            }
            s->buf_align = stx.stx_dio_mem_align;
        }
    }
#endif
    if (!s->req_align &&
        posix_memalign(&buf, FILE_PROBE_ALIGN_MAX, FILE_PROBE_ALIGN_MAX) == 0) {
        for (uint32_t a = FILE_PROBE_ALIGN_MIN; a <= FILE_PROBE_ALIGN_MAX;
             a <<= 1) {
            if (file_probe_read_ok(s->fd, buf, a)) {
                s->req_align = a;
                break;
            }
        }
        free(buf);
    }
    if (!s->req_align) {
        s->req_align = FILE_PROBE_ALIGN_MAX;
    }
    if (!s->buf_align) {
        s->buf_align = MAX(s->req_align, (uint32_t)getpagesize());
    }
}

/*
 * Open @filename, falling back to read-only if the node allows it.
 * O_NONBLOCK: opening a FIFO without a writer read-only would block
 * forever; file_open() refuses what is not a disk after fstat() and then
 * clears the flag (file_set_blocking).
 */
static int file_open_fd(BlockDriverState *bs, const char *filename, int flags,
                        Error **errp)
{
    int oflags = O_CLOEXEC | O_NONBLOCK |
                 ((flags & BDRV_O_RDWR) ? O_RDWR : O_RDONLY);
    int fd;

    if (flags & BDRV_O_NOCACHE) {
        oflags |= O_DIRECT;
    }
    fd = open(filename, oflags);
    if (fd < 0 && (errno == EACCES || errno == EROFS) &&
        (flags & BDRV_O_RDWR) && (flags & BDRV_O_AUTO_RDONLY)) {
        fd = open(filename, (oflags & ~O_RDWR) | O_RDONLY);
        if (fd >= 0) {
            bs->read_only = true;
            bs->open_flags &= ~BDRV_O_RDWR;
        }
    }
    if (fd < 0) {
        int err = errno == EROFS ? EACCES : errno;
        error_setg_errno(errp, err, "Could not open '%s'", filename);
        return -err;
    }
    return fd;
}

/* Only regular files and block devices are disks; then block as usual */
static int file_check_type(int fd, const char *filename, struct stat *st,
                           Error **errp)
{
    int fl;

    if (fstat(fd, st) < 0) {
        int err = errno;

        error_setg_errno(errp, err, "Could not stat '%s'", filename);
        return -err;
    }
    if (!S_ISREG(st->st_mode) && !S_ISBLK(st->st_mode)) {
        error_setg(errp, "'%s' is not a regular file or block device",
                   filename);
        return -EINVAL;
    }
    fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
        int err = errno;

        error_setg_errno(errp, err, "Could not make '%s' blocking",
                         filename);
        return -err;
    }
    return 0;
}

/* Consume the node's options into @s (s->filename, s->use_lock); without
 * an aio option, BDRV_O_IO_URING in @flags (qemu-io -i io_uring) means
 * aio=io_uring */
static int file_read_options(BDRVFileState *s, QDict *options, int flags,
                             Error **errp)
{
    QemuOpts *opts = qemu_opts_create(&file_runtime_opts, NULL, 0,
                                      &error_abort);
    const char *filename;
    int ret = -EINVAL;

    if (!qemu_opts_absorb_qdict(opts, options, errp)) {
        goto out;
    }
    filename = qemu_opt_get(opts, "filename");
    if (!filename || !*filename) {
        error_setg(errp, "The file driver needs the option 'filename'");
        goto out;
    }
    ret = file_parse_locking(qemu_opt_get(opts, "locking"), &s->use_lock,
                             errp);
    if (ret == 0) {
        const char *aio = qemu_opt_get(opts, "aio");

        if (!aio && (flags & BDRV_O_IO_URING)) {
            aio = "io_uring";
        }
        ret = file_parse_aio(aio, &s->aio_uring, errp);
    }
    if (ret == 0) {
        s->filename = g_strdup(filename);
    }
out:
    qemu_opts_del(opts);
    return ret;
}

static int file_open(BlockDriverState *bs, QDict *options, int flags,
                     Error **errp)
{
    BDRVFileState *s = bs->opaque;
    struct stat st;
    int ret;

    s->fd = -1;
    s->shared_perm = BLK_PERM_ALL;
    ret = file_read_options(s, options, flags, errp);
    if (ret < 0) {
        return ret;
    }
    ret = s->fd = file_open_fd(bs, s->filename, flags, errp);
    if (ret < 0) {
        goto fail;
    }
    ret = file_check_type(s->fd, s->filename, &st, errp);
    if (ret < 0) {
        goto fail;
    }
    s->is_blockdev = S_ISBLK(st.st_mode);
    if (s->use_lock && !file_lock_supported(s->fd)) {
        /* No OFD locks here (old kernel or file system): run unlocked */
        s->use_lock = false;
    }

    s->needs_alignment = flags & BDRV_O_NOCACHE;
    if (s->needs_alignment) {
        file_probe_alignment(s);
    } else {
        s->req_align = 1;
        s->buf_align = 1;
    }
    bs->supported_zero_flags = BDRV_REQ_MAY_UNMAP | BDRV_REQ_NO_FALLBACK;
    if (!s->is_blockdev) {
        /* Growing a regular file yields zeroes */
        bs->supported_truncate_flags = BDRV_REQ_ZERO_WRITE;
    }
    return 0;

fail:
    if (s->fd >= 0) {
        close(s->fd);
    }
    s->fd = -1;
    g_free(s->filename);
    s->filename = NULL;
    return ret;
}

static void file_close(BlockDriverState *bs)
{
    BDRVFileState *s = bs->opaque;

    /* Closing the open file description drops all its locks */
    if (s->fd >= 0) {
        close(s->fd);
        s->fd = -1;
    }
    g_free(s->filename);
    s->filename = NULL;
}

static void file_refresh_limits(BlockDriverState *bs, Error **errp)
{
    BDRVFileState *s = bs->opaque;
    long iov_max = sysconf(_SC_IOV_MAX);

    bs->bl.request_alignment = s->req_align;
    bs->bl.min_mem_alignment = s->buf_align;
    bs->bl.opt_mem_alignment = MAX(s->buf_align, (size_t)getpagesize());
    bs->bl.max_iov = iov_max > 0 ? (int)MIN(iov_max, INT_MAX) : IOV_MAX;
}

static int64_t coroutine_fn file_co_getlength(BlockDriverState *bs)
{
    BDRVFileState *s = bs->opaque;
    struct stat st;

    if (s->is_blockdev) {
        off_t end = lseek(s->fd, 0, SEEK_END);
        return end < 0 ? -errno : end;
    }
    if (fstat(s->fd, &st) < 0) {
        return -errno;
    }
    return st.st_size;
}

static int64_t coroutine_fn file_co_get_allocated_file_size(
    BlockDriverState *bs)
{
    BDRVFileState *s = bs->opaque;
    struct stat st;

    if (fstat(s->fd, &st) < 0) {
        return -errno;
    }
    return (int64_t)st.st_blocks * 512;
}

static int file_has_zero_init(BlockDriverState *bs)
{
    BDRVFileState *s = bs->opaque;

    /* A device keeps whatever was on it before */
    return !s->is_blockdev;
}

typedef struct FileCreateReq {
    const char *filename;
    int64_t size;
    PreallocMode prealloc;
    Error **errp;
} FileCreateReq;

/*
 * Create (or reuse) the file and give it its size, in a worker.  An
 * existing file is only cleared after taking the write lock, so creating
 * over an image that is in use fails instead of destroying it.
 */
static int file_create_worker(void *opaque)
{
    FileCreateReq *c = opaque;
    const uint64_t perm = BLK_PERM_WRITE | BLK_PERM_RESIZE;
    const uint64_t shared = BLK_PERM_ALL & ~BLK_PERM_RESIZE;
    uint64_t locked_perm = 0, locked_unshared = 0;
    int fd, ret;

    fd = open(c->filename, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        ret = -errno;
        error_setg_errno(c->errp, -ret, "Could not create '%s'", c->filename);
        return ret;
    }
    if (file_lock_supported(fd)) {
        ret = file_lock_apply(fd, &locked_perm, &locked_unshared, perm,
                              ~shared, false, c->errp);
        if (ret == 0) {
            ret = file_lock_check(fd, perm, shared, c->errp);
            if (ret < 0) {
                error_append_hint(c->errp, "Is another process using the "
                                  "image [%s]?\n", c->filename);
            }
        }
        if (ret < 0) {
            goto out;
        }
    }
    if (ftruncate(fd, 0) < 0) {
        ret = -errno;
        error_setg_errno(c->errp, -ret, "Could not clear '%s'", c->filename);
        goto out;
    }
    ret = file_io_resize_fd(fd, c->filename, c->size, c->prealloc, c->errp);

out:
    close(fd);
    return ret;
}

static int file_parse_prealloc(const char *value, PreallocMode *prealloc,
                               Error **errp)
{
    static const PreallocMode modes[] = {
        PREALLOC_MODE_OFF, PREALLOC_MODE_FALLOC, PREALLOC_MODE_FULL,
    };

    if (!value) {
        *prealloc = PREALLOC_MODE_OFF;
        return 0;
    }
    for (size_t i = 0; i < ARRAY_SIZE(modes); i++) {
        if (!strcmp(value, file_io_prealloc_name(modes[i]))) {
            *prealloc = modes[i];
            return 0;
        }
    }
    error_setg(errp, "Invalid preallocation mode '%s' for the file driver "
               "(expected 'off', 'falloc' or 'full')", value);
    return -EINVAL;
}

static int coroutine_fn file_co_create_opts(BlockDriver *drv,
                                            const char *filename,
                                            QemuOpts *opts, Error **errp)
{
    /* The worker fills @local_err: ERRP_GUARD is not thread-safe */
    Error *local_err = NULL;
    FileCreateReq c = { .errp = &local_err };
    char *prealloc;
    uint64_t size;
    int ret;

    strstart(filename, "file:", &filename);
    c.filename = filename;
    size = qemu_opt_get_size_del(opts, BLOCK_OPT_SIZE, 0);
    if (size > (uint64_t)BDRV_MAX_LENGTH) {
        error_setg(errp, "Image size %" PRIu64 " is too large (the largest "
                   "is %" PRId64 ")", size, (int64_t)BDRV_MAX_LENGTH);
        return -EFBIG;
    }
    c.size = ROUND_UP(size, BDRV_SECTOR_SIZE);
    prealloc = qemu_opt_get_del(opts, BLOCK_OPT_PREALLOC);
    ret = file_parse_prealloc(prealloc, &c.prealloc, errp);
    g_free(prealloc);
    if (ret < 0) {
        return ret;
    }

    ret = thread_pool_submit_co(file_create_worker, &c);
    error_propagate(errp, local_err);
    return ret;
}

/* A plain file has no clusters and no VM state area (as QEMU's file driver) */
static int coroutine_fn file_co_get_info(BlockDriverState *bs,
                                         BlockDriverInfo *bdi)
{
    memset(bdi, 0, sizeof(*bdi));
    return 0;
}

BlockDriver bdrv_file = {
    .format_name = "file",
    .protocol_name = "file",
    .strong_runtime_opts = file_strong_runtime_opts,
    .instance_size = sizeof(BDRVFileState),
    .bdrv_needs_filename = true,

    .bdrv_parse_filename = file_parse_filename,
    .bdrv_open = file_open,
    .bdrv_close = file_close,
    .bdrv_reopen_prepare = file_reopen_prepare,
    .bdrv_reopen_commit = file_reopen_commit,
    .bdrv_reopen_abort = file_reopen_abort,
    .bdrv_co_create_opts = file_co_create_opts,
    .create_opts = &file_create_opts,

    .bdrv_co_preadv_part = file_io_co_preadv_part,
    .bdrv_co_pwritev_part = file_io_co_pwritev_part,
    .bdrv_co_pwrite_zeroes = file_io_co_pwrite_zeroes,
    .bdrv_co_pdiscard = file_io_co_pdiscard,
    .bdrv_co_flush_to_disk = file_io_co_flush_to_disk,
    .bdrv_co_truncate = file_io_co_truncate,
    .bdrv_co_getlength = file_co_getlength,
    .bdrv_co_get_allocated_file_size = file_co_get_allocated_file_size,
    .bdrv_co_block_status = file_io_co_block_status,
    .bdrv_co_get_info = file_co_get_info,

    .bdrv_refresh_limits = file_refresh_limits,
    .bdrv_has_zero_init = file_has_zero_init,

    .bdrv_check_perm = file_lock_check_perm,
    .bdrv_set_perm = file_lock_set_perm,
    .bdrv_abort_perm_update = file_lock_abort_perm_update,
};
