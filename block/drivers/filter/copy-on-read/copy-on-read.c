/*
 * The "copy-on-read" filter: reads through it carry BDRV_REQ_COPY_ON_READ,
 * so the core writes what its child ("file") does not hold itself (data
 * from the child's backing chain) into the child as it reads it.  Every
 * other request passes through unchanged.
 *
 * Permissions: the parents' pass through; while the parents read, the
 * filter also takes write-unchanged on its child (the copies), which a
 * read-only filter cannot.
 */
#include "block/driver.h"

static int cor_open(BlockDriverState *bs, QDict *options, int flags,
                    Error **errp)
{
    int ret = bdrv_open_file_child(NULL, options, "file", bs, errp);

    if (ret < 0) {
        return ret;
    }
    bs->supported_write_flags = BDRV_REQ_WRITE_UNCHANGED |
        (BDRV_REQ_FUA & bs->file->bs->supported_write_flags);
    bs->supported_zero_flags = BDRV_REQ_WRITE_UNCHANGED |
        ((BDRV_REQ_FUA | BDRV_REQ_MAY_UNMAP | BDRV_REQ_NO_FALLBACK) &
         bs->file->bs->supported_zero_flags);
    return 0;
}

static void cor_child_perm(BlockDriverState *bs, BdrvChild *c,
                           BdrvChildRole role, BlockReopenQueue *reopen_queue,
                           uint64_t perm, uint64_t shared, uint64_t *nperm,
                           uint64_t *nshared)
{
    bdrv_filter_default_perms(bs, c, role, reopen_queue, perm, shared, nperm,
                              nshared);
    /*
     * Every read through the filter may copy, whoever asks (a parent needs
     * no permission to read, and a filter above asks for copies too), as
     * in QEMU; a read-only or inactive filter copies nothing
     */
    if (!bdrv_is_read_only(bs) && !(bs->open_flags & BDRV_O_INACTIVE)) {
        *nperm |= BLK_PERM_WRITE_UNCHANGED;
    }
}

static int64_t coroutine_fn cor_co_getlength(BlockDriverState *bs)
{
    /* bdrv_drop_filter detaches the child of a node that lives on */
    if (!bs->file) {
        return -ENOMEDIUM;
    }
    return bdrv_co_getlength(bs->file->bs);
}

static int coroutine_fn cor_co_preadv_part(BlockDriverState *bs,
                                           int64_t offset, int64_t bytes,
                                           QEMUIOVector *qiov,
                                           size_t qiov_offset,
                                           BdrvRequestFlags flags)
{
    return bdrv_co_preadv_part(bs->file, offset, bytes, qiov, qiov_offset,
                               flags | BDRV_REQ_COPY_ON_READ);
}

static int coroutine_fn cor_co_pwritev_part(BlockDriverState *bs,
                                            int64_t offset, int64_t bytes,
                                            QEMUIOVector *qiov,
                                            size_t qiov_offset,
                                            BdrvRequestFlags flags)
{
    return bdrv_co_pwritev_part(bs->file, offset, bytes, qiov, qiov_offset,
                                flags);
}

static int coroutine_fn cor_co_pwrite_zeroes(BlockDriverState *bs,
                                             int64_t offset, int64_t bytes,
                                             BdrvRequestFlags flags)
{
    return bdrv_co_pwrite_zeroes(bs->file, offset, bytes, flags);
}

static int coroutine_fn cor_co_pdiscard(BlockDriverState *bs, int64_t offset,
                                        int64_t bytes)
{
    return bdrv_co_pdiscard(bs->file, offset, bytes);
}

static int coroutine_fn cor_co_block_status(BlockDriverState *bs,
                                            bool want_zero, int64_t offset,
                                            int64_t bytes, int64_t *pnum,
                                            int64_t *map,
                                            BlockDriverState **file)
{
    if (!bs->file) {
        return -ENOMEDIUM;
    }
    *pnum = bytes;
    *map = offset;
    *file = bs->file->bs;
    return BDRV_BLOCK_RAW | BDRV_BLOCK_OFFSET_VALID;
}

BlockDriver bdrv_copy_on_read = {
    .format_name = "copy-on-read",
    .is_filter = true,

    .bdrv_open = cor_open,
    .bdrv_child_perm = cor_child_perm,
    .bdrv_co_getlength = cor_co_getlength,

    .bdrv_co_preadv_part = cor_co_preadv_part,
    .bdrv_co_pwritev_part = cor_co_pwritev_part,
    .bdrv_co_pwrite_zeroes = cor_co_pwrite_zeroes,
    .bdrv_co_pdiscard = cor_co_pdiscard,
    .bdrv_co_block_status = cor_co_block_status,
};
