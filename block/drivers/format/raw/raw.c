/*
 * The "raw" format: the image is the bytes of its file child, optionally
 * a window [offset, offset + size) of it.  Without offset and size the
 * driver behaves like a filter (its child role is FILTERED); with them the
 * child holds data the parent only partly exposes (role DATA).
 *
 * A raw image whose format was probed (the user named no format) must not
 * be turned into another format by its guest: a write to the first sector
 * that would make the image probe as something else fails with -EPERM.
 * The check is the core's probe (bdrv_probe_format) with the filename the
 * open probed with, so the two always agree.
 *
 * Options: offset (bytes, default 0), size (bytes, multiple of 512).
 */
#include "block/driver.h"

#define RAW_OPT_OFFSET "offset"

typedef struct BDRVRawState {
    uint64_t offset;
    uint64_t size;
    bool has_size;
    /* Probed images: the filename probing saw (NULL: no guard) */
    char *probe_filename;
} BDRVRawState;

static QemuOptsList raw_runtime_opts = {
    .name = "raw",
    .desc = {
        {
            .name = RAW_OPT_OFFSET,
            .type = QEMU_OPT_SIZE,
            .help = "Offset of the image in the file",
        },
        {
            .name = BLOCK_OPT_SIZE,
            .type = QEMU_OPT_SIZE,
            .help = "Virtual disk size (a multiple of 512)",
        },
        { /* end of list */ }
    },
};

static QemuOptsList raw_create_opts = {
    .name = "raw-create-opts",
    .desc = {
        {
            .name = BLOCK_OPT_SIZE,
            .type = QEMU_OPT_SIZE,
            .help = "Virtual disk size",
        },
        {
            .name = BLOCK_OPT_PREALLOC,
            .type = QEMU_OPT_STRING,
            .help = "Preallocation mode of the file (off, falloc, full)",
        },
        { /* end of list */ }
    },
};

static const char *const raw_strong_runtime_opts[] = {
    RAW_OPT_OFFSET,
    BLOCK_OPT_SIZE,
    NULL
};

static int raw_probe(const uint8_t *buf, int buf_size, const char *filename)
{
    /* Anything is a raw image: the lowest score, so others win */
    return 1;
}

static int raw_read_options(BDRVRawState *s, QDict *options, Error **errp)
{
    QemuOpts *opts = qemu_opts_create(&raw_runtime_opts, NULL, 0,
                                      &error_abort);
    int ret = -EINVAL;

    if (qemu_opts_absorb_qdict(opts, options, errp)) {
        s->offset = qemu_opt_get_size(opts, RAW_OPT_OFFSET, 0);
        s->has_size = qemu_opt_find_set(opts, BLOCK_OPT_SIZE);
        s->size = qemu_opt_get_size(opts, BLOCK_OPT_SIZE, 0);
        ret = 0;
    }
    qemu_opts_del(opts);
    return ret;
}

/* Check offset and size against the file's length */
static int raw_apply_options(BlockDriverState *bs, BDRVRawState *s,
                             Error **errp)
{
    int64_t file_len = bdrv_getlength(bs->file->bs);

    if (file_len < 0) {
        error_setg_errno(errp, -file_len, "Could not get the length of the "
                         "raw image's file");
        return file_len;
    }
    if (s->offset > (uint64_t)file_len) {
        error_setg(errp, "Offset (%" PRIu64 ") cannot be greater than the "
                   "size of the containing file (%" PRId64 ")", s->offset,
                   file_len);
        return -EINVAL;
    }
    if (s->has_size && (uint64_t)file_len - s->offset < s->size) {
        error_setg(errp, "The sum of offset (%" PRIu64 ") and size (%" PRIu64
                   ") has to be smaller or equal to the actual size of the "
                   "containing file (%" PRId64 ")", s->offset, s->size,
                   file_len);
        return -EINVAL;
    }
    /* The core rounds lengths up to sectors: that would expose more */
    if (s->has_size && !QEMU_IS_ALIGNED(s->size, BDRV_SECTOR_SIZE)) {
        error_setg(errp, "Size %" PRIu64 " is not a multiple of %llu",
                   s->size, (unsigned long long)BDRV_SECTOR_SIZE);
        return -EINVAL;
    }
    if (!s->has_size) {
        s->size = file_len - s->offset;
    }
    return 0;
}

/* Reopen: offset and size may change, checked against the file now */
static int raw_reopen_prepare(BDRVReopenState *state, BlockReopenQueue *queue,
                              Error **errp)
{
    BDRVRawState *s = state->bs->opaque;
    BDRVRawState *n = g_new(BDRVRawState, 1);
    int ret;

    *n = *s;
    n->has_size = false;
    ret = raw_read_options(n, state->options, errp);
    if (ret == 0) {
        ret = raw_apply_options(state->bs, n, errp);
    }
    if (ret < 0) {
        g_free(n);
        return ret;
    }
    state->opaque = n;
    return 0;
}

static void raw_reopen_commit(BDRVReopenState *state)
{
    BDRVRawState *s = state->bs->opaque;
    BDRVRawState *n = state->opaque;

    s->offset = n->offset;
    s->size = n->size;
    s->has_size = n->has_size;
    g_free(n);
    state->opaque = NULL;
}

static void raw_reopen_abort(BDRVReopenState *state)
{
    g_free(state->opaque);
    state->opaque = NULL;
}

static void raw_setup_probed(BlockDriverState *bs, BDRVRawState *s)
{
    warn_report("The format of '%s' was not given and probing found raw: "
                "writes to its first sector that would make it look like "
                "another format will be refused. Name the format 'raw' to "
                "lift this restriction", bs->file->bs->filename);
    s->probe_filename = g_strdup(bs->filename);
}

static int raw_open(BlockDriverState *bs, QDict *options, int flags,
                    Error **errp)
{
    BDRVRawState *s = bs->opaque;
    BdrvChildRole role;
    BlockDriverState *file_bs;
    int ret;

    ret = raw_read_options(s, options, errp);
    if (ret < 0) {
        return ret;
    }
    role = (s->offset || s->has_size) ? BDRV_CHILD_DATA | BDRV_CHILD_PRIMARY
                                      : BDRV_CHILD_FILTERED |
                                        BDRV_CHILD_PRIMARY;
    if (!bdrv_open_child(NULL, options, "file", bs, &child_of_bds, role,
                         false, errp)) {
        return -EINVAL;
    }
    assert(bs->file);
    ret = raw_apply_options(bs, s, errp);
    if (ret < 0) {
        return ret;
    }

    file_bs = bs->file->bs;
    bs->sg = file_bs->sg;
    bs->supported_write_flags = BDRV_REQ_WRITE_UNCHANGED |
                                (file_bs->supported_write_flags &
                                 BDRV_REQ_FUA);
    bs->supported_zero_flags = BDRV_REQ_WRITE_UNCHANGED |
                               (file_bs->supported_zero_flags &
                                (BDRV_REQ_FUA | BDRV_REQ_MAY_UNMAP |
                                 BDRV_REQ_NO_FALLBACK));
    bs->supported_truncate_flags = file_bs->supported_truncate_flags &
                                   BDRV_REQ_ZERO_WRITE;
    if (bs->probed && !bdrv_is_read_only(bs)) {
        raw_setup_probed(bs, s);
    }
    return 0;
}

static void raw_close(BlockDriverState *bs)
{
    BDRVRawState *s = bs->opaque;

    g_free(s->probe_filename);
    s->probe_filename = NULL;
}

static void raw_refresh_limits(BlockDriverState *bs, Error **errp)
{
    if (bs->probed) {
        /* Whole sectors only, so the first one is always checked whole */
        bs->bl.request_alignment = MAX(bs->bl.request_alignment,
                                       (uint32_t)BLOCK_PROBE_BUF_SIZE);
    }
}

/*
 * Translate a request to the file's offsets; with an explicit size,
 * nothing outside the window may be touched.
 */
static int raw_adjust_offset(BDRVRawState *s, int64_t *offset, int64_t bytes,
                             bool is_write)
{
    if (s->has_size && ((uint64_t)*offset > s->size ||
                        (uint64_t)bytes > s->size - *offset)) {
        return is_write ? -ENOSPC : -EINVAL;
    }
    if ((uint64_t)*offset > (uint64_t)INT64_MAX - s->offset) {
        return -EINVAL;
    }
    *offset += s->offset;
    return 0;
}

static int coroutine_fn raw_co_preadv_part(BlockDriverState *bs,
                                           int64_t offset, int64_t bytes,
                                           QEMUIOVector *qiov,
                                           size_t qiov_offset,
                                           BdrvRequestFlags flags)
{
    int ret = raw_adjust_offset(bs->opaque, &offset, bytes, false);

    if (ret < 0) {
        return ret;
    }
    BLKDBG_CO_EVENT(bs->file, BLKDBG_READ_AIO);
    return bdrv_co_preadv_part(bs->file, offset, bytes, qiov, qiov_offset,
                               flags);
}

static int coroutine_fn raw_co_pwritev_part(BlockDriverState *bs,
                                            int64_t offset, int64_t bytes,
                                            QEMUIOVector *qiov,
                                            size_t qiov_offset,
                                            BdrvRequestFlags flags)
{
    BDRVRawState *s = bs->opaque;
    QEMUIOVector checked_qiov;
    uint8_t *sector = NULL;
    int ret;

    if (s->probe_filename && offset < BLOCK_PROBE_BUF_SIZE && bytes) {
        /* request_alignment guarantees the whole first sector */
        if (offset != 0 || bytes < BLOCK_PROBE_BUF_SIZE) {
            return -EINVAL;
        }
        sector = qemu_try_blockalign(bs->file->bs, BLOCK_PROBE_BUF_SIZE);
        if (!sector) {
            return -ENOMEM;
        }
        qemu_iovec_to_buf(qiov, qiov_offset, sector, BLOCK_PROBE_BUF_SIZE);
        if (bdrv_probe_format(sector, BLOCK_PROBE_BUF_SIZE,
                              s->probe_filename) != bs->drv) {
            qemu_vfree(sector);
            return -EPERM;
        }
        /* Write the copy we checked: the guest may change its buffer */
        qemu_iovec_init(&checked_qiov, qiov->niov + 1);
        qemu_iovec_add(&checked_qiov, sector, BLOCK_PROBE_BUF_SIZE);
        qemu_iovec_concat(&checked_qiov, qiov,
                          qiov_offset + BLOCK_PROBE_BUF_SIZE,
                          bytes - BLOCK_PROBE_BUF_SIZE);
        qiov = &checked_qiov;
        qiov_offset = 0;
        flags &= ~BDRV_REQ_REGISTERED_BUF;
    }

    ret = raw_adjust_offset(s, &offset, bytes, true);
    if (ret == 0) {
        BLKDBG_CO_EVENT(bs->file, BLKDBG_WRITE_AIO);
        ret = bdrv_co_pwritev_part(bs->file, offset, bytes, qiov,
                                   qiov_offset, flags);
    }
    if (sector) {
        qemu_iovec_destroy(&checked_qiov);
        qemu_vfree(sector);
    }
    return ret;
}

static int coroutine_fn raw_co_pwrite_zeroes(BlockDriverState *bs,
                                             int64_t offset, int64_t bytes,
                                             BdrvRequestFlags flags)
{
    int ret = raw_adjust_offset(bs->opaque, &offset, bytes, true);

    if (ret < 0) {
        return ret;
    }
    return bdrv_co_pwrite_zeroes(bs->file, offset, bytes, flags);
}

static int coroutine_fn raw_co_pdiscard(BlockDriverState *bs, int64_t offset,
                                        int64_t bytes)
{
    int ret = raw_adjust_offset(bs->opaque, &offset, bytes, true);

    if (ret < 0) {
        return ret;
    }
    return bdrv_co_pdiscard(bs->file, offset, bytes);
}

static int64_t coroutine_fn raw_co_getlength(BlockDriverState *bs)
{
    BDRVRawState *s = bs->opaque;
    int64_t len = bdrv_co_getlength(bs->file->bs);

    if (len < 0) {
        return len;
    }
    /* Follow the file if it shrank behind our back */
    if ((uint64_t)len < s->offset) {
        s->size = 0;
    } else if (s->has_size) {
        s->size = MIN(s->size, (uint64_t)len - s->offset);
    } else {
        s->size = len - s->offset;
    }
    return s->size;
}

static int64_t coroutine_fn raw_co_get_allocated_file_size(
    BlockDriverState *bs)
{
    return bdrv_co_get_allocated_file_size(bs->file->bs);
}

static int coroutine_fn raw_co_block_status(BlockDriverState *bs,
                                            bool want_zero, int64_t offset,
                                            int64_t bytes, int64_t *pnum,
                                            int64_t *map,
                                            BlockDriverState **file)
{
    BDRVRawState *s = bs->opaque;

    *pnum = bytes;
    *file = bs->file->bs;
    *map = offset + s->offset;
    return BDRV_BLOCK_RAW | BDRV_BLOCK_OFFSET_VALID;
}

static int coroutine_fn raw_co_truncate(BlockDriverState *bs, int64_t offset,
                                        bool exact, PreallocMode prealloc,
                                        BdrvRequestFlags flags, Error **errp)
{
    BDRVRawState *s = bs->opaque;

    if (s->has_size) {
        error_setg(errp, "Cannot resize a raw image with a fixed size "
                   "(option 'size' is %" PRIu64 ")", s->size);
        return -ENOTSUP;
    }
    if ((uint64_t)offset > (uint64_t)INT64_MAX - s->offset) {
        error_setg(errp, "Size %" PRId64 " is too large for the offset %"
                   PRIu64, offset, s->offset);
        return -EINVAL;
    }
    s->size = offset;
    return bdrv_co_truncate(bs->file, offset + s->offset, exact, prealloc,
                            flags, errp);
}

static int raw_has_zero_init(BlockDriverState *bs)
{
    return bdrv_has_zero_init(bs->file->bs);
}

static int coroutine_fn raw_co_get_info(BlockDriverState *bs,
                                        BlockDriverInfo *bdi)
{
    return bdrv_co_get_info(bs->file->bs, bdi);
}

static int raw_probe_blocksizes(BlockDriverState *bs, BlockSizes *bsz)
{
    BDRVRawState *s = bs->opaque;
    int ret = bdrv_probe_blocksizes(bs->file->bs, bsz);

    if (ret < 0) {
        return ret;
    }
    /* Sizes of the device only mean something if we start on a block */
    if (!QEMU_IS_ALIGNED(s->offset, MAX(bsz->log, bsz->phys))) {
        return -ENOTSUP;
    }
    return 0;
}

static int raw_probe_geometry(BlockDriverState *bs, HDGeometry *geo)
{
    BDRVRawState *s = bs->opaque;

    if (s->offset || s->has_size) {
        return -ENOTSUP;
    }
    return bdrv_probe_geometry(bs->file->bs, geo);
}

/*
 * The default permissions of our role, except that WRITE and RESIZE on
 * the file are only taken when our parents take them (the default
 * would take them for any writable format node and cause conflicts).
 */
static void raw_child_perm(BlockDriverState *bs, BdrvChild *c,
                           BdrvChildRole role, BlockReopenQueue *reopen_queue,
                           uint64_t perm, uint64_t shared, uint64_t *nperm,
                           uint64_t *nshared)
{
    bdrv_default_perms(bs, c, role, reopen_queue, perm, shared, nperm,
                       nshared);
    *nperm &= ~(uint64_t)(BLK_PERM_WRITE | BLK_PERM_RESIZE);
    *nperm |= perm & (BLK_PERM_WRITE | BLK_PERM_RESIZE);
}

static int coroutine_fn raw_co_create_opts(BlockDriver *drv,
                                           const char *filename,
                                           QemuOpts *opts, Error **errp)
{
    return bdrv_co_create_file(filename, opts, errp);
}

/* A raw image is its data: every byte counts, sparse or not (as QEMU) */
static BlockMeasureInfo *raw_measure(QemuOpts *opts, BlockDriverState *in_bs,
                                     Error **errp)
{
    BlockMeasureInfo *info;
    int64_t size = opts ? (int64_t)qemu_opt_get_size(opts, BLOCK_OPT_SIZE, 0)
                        : 0;

    if (in_bs) {
        size = bdrv_getlength(in_bs);
        if (size < 0) {
            error_setg_errno(errp, (int)-size, "Unable to get image size");
            return NULL;
        }
    }
    if (size < 0 || size > BDRV_MAX_LENGTH) {
        error_setg(errp, "Invalid image size %" PRId64, size);
        return NULL;
    }
    info = g_new0(BlockMeasureInfo, 1);
    info->required = ROUND_UP(size, BDRV_SECTOR_SIZE);
    info->fully_allocated = info->required;
    return info;
}

BlockDriver bdrv_raw = {
    .format_name = "raw",
    .instance_size = sizeof(BDRVRawState),
    .is_format = true,
    /* The length follows the file's */
    .has_variable_length = true,

    .bdrv_probe = raw_probe,
    .bdrv_open = raw_open,
    .bdrv_reopen_prepare = raw_reopen_prepare,
    .bdrv_reopen_commit = raw_reopen_commit,
    .bdrv_reopen_abort = raw_reopen_abort,
    .bdrv_close = raw_close,
    .bdrv_co_create_opts = raw_co_create_opts,
    .create_opts = &raw_create_opts,

    .bdrv_co_preadv_part = raw_co_preadv_part,
    .bdrv_co_pwritev_part = raw_co_pwritev_part,
    .bdrv_co_pwrite_zeroes = raw_co_pwrite_zeroes,
    .bdrv_co_pdiscard = raw_co_pdiscard,
    .bdrv_co_truncate = raw_co_truncate,
    .bdrv_co_getlength = raw_co_getlength,
    .bdrv_co_get_allocated_file_size = raw_co_get_allocated_file_size,
    .bdrv_co_block_status = raw_co_block_status,

    .bdrv_refresh_limits = raw_refresh_limits,
    .bdrv_has_zero_init = raw_has_zero_init,
    .bdrv_co_get_info = raw_co_get_info,
    .bdrv_measure = raw_measure,
    .bdrv_probe_blocksizes = raw_probe_blocksizes,
    .bdrv_probe_geometry = raw_probe_geometry,
    .bdrv_child_perm = raw_child_perm,

    .strong_runtime_opts = raw_strong_runtime_opts,
};
