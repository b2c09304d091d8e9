/*
 * bdrv_commit: write what the active layer holds into its backing file
 * (qemu-img commit without a job), then empty the active layer where its
 * driver can.
 *
 * A read-only backing file is reopened read-write for the commit and back
 * to read-only afterwards (as QEMU does); when that reopen fails, nothing
 * is written and the commit fails with -EACCES.
 */
#include "core.h"
#include "block/block-backend.h"
#include "block/block-io.h"

#define COMMIT_BUF_SIZE (2 * 1024 * 1024)

/* Every allocated range of @bs (not of its backing chain) into @backing */
static int commit_copy(BlockDriverState *bs, BlockBackend *src,
                       BlockBackend *backing, int64_t length)
{
    g_autofree uint8_t *buf = g_malloc(COMMIT_BUF_SIZE);
    int64_t offset, n;
    int ret;

    for (offset = 0; offset < length; offset += n) {
        ret = bdrv_is_allocated(bs, offset, MIN(COMMIT_BUF_SIZE,
                                                length - offset), &n);
        if (ret < 0) {
            return ret;
        }
        if (ret) {
            ret = blk_pread(src, offset, n, buf, 0);
            if (ret < 0) {
                return ret;
            }
            ret = blk_pwrite(backing, offset, n, buf, 0);
            if (ret < 0) {
                return ret;
            }
        }
    }
    return 0;
}

/* The backing file grows to the active layer's length if shorter */
static int commit_grow(BlockBackend *src, BlockBackend *backing,
                       int64_t *length)
{
    int64_t backing_length;
    Error *local_err = NULL;
    int ret;

    *length = blk_getlength(src);
    if (*length < 0) {
        return *length;
    }
    backing_length = blk_getlength(backing);
    if (backing_length < 0) {
        return backing_length;
    }
    if (*length > backing_length) {
        ret = blk_truncate(backing, *length, false, PREALLOC_MODE_OFF, 0,
                           &local_err);
        if (ret < 0) {
            error_report_err(local_err);
            return ret;
        }
    }
    return 0;
}

static int commit_run(BlockDriverState *bs, BlockDriverState *backing_bs)
{
    AioContext *ctx = bdrv_get_aio_context(bs);
    BlockBackend *src = blk_new(ctx, BLK_PERM_CONSISTENT_READ, BLK_PERM_ALL);
    BlockBackend *backing = blk_new(ctx, BLK_PERM_WRITE | BLK_PERM_RESIZE,
                                    BLK_PERM_ALL);
    Error *local_err = NULL;
    int64_t length;
    int ret;

    ret = blk_insert_bs(src, bs, &local_err);
    if (ret == 0) {
        ret = blk_insert_bs(backing, backing_bs, &local_err);
    }
    if (ret < 0) {
        error_report_err(local_err);
        goto out;
    }
    ret = commit_grow(src, backing, &length);
    if (ret == 0) {
        ret = commit_copy(bs, src, backing, length);
    }
    if (ret < 0) {
        goto out;
    }
    /* Empty the active layer: a driver that cannot keeps the copies */
    if (bs->drv->bdrv_make_empty) {
        ret = blk_set_perm(src, BLK_PERM_CONSISTENT_READ | BLK_PERM_WRITE,
                           BLK_PERM_ALL, NULL);
        if (ret == 0) {
            ret = bdrv_make_empty(blk_root(src), NULL);
        }
        if (ret < 0 && ret != -ENOTSUP) {
            goto out;
        }
    }
    blk_flush(src);
    ret = blk_flush(backing); /* what was written is stable on disk */
out:
    blk_unref(backing);
    blk_unref(src);
    return ret;
}

int bdrv_commit(BlockDriverState *bs)
{
    BlockDriverState *backing_bs;
    Error *local_err = NULL;
    bool ro;
    int ret;

    GLOBAL_STATE_CODE();
    if (!bs->drv) {
        return -ENOMEDIUM;
    }
    backing_bs = bdrv_cow_bs(bs);
    if (!backing_bs) {
        return -ENOTSUP;
    }
    if (bdrv_op_is_blocked(bs, BLOCK_OP_TYPE_COMMIT_SOURCE, NULL) ||
        bdrv_op_is_blocked(backing_bs, BLOCK_OP_TYPE_COMMIT_TARGET, NULL)) {
        return -EBUSY;
    }
    if ((bs->open_flags & BDRV_O_INACTIVE) ||
        (backing_bs->open_flags & BDRV_O_INACTIVE)) {
        return -EACCES;
    }
    bdrv_ref(bs);
    bdrv_ref(backing_bs);
    ro = bdrv_is_read_only(backing_bs);
    if (ro && bdrv_reopen_set_read_only(backing_bs, false, &local_err) < 0) {
        error_report_err(local_err);
        ret = -EACCES;
        goto out;
    }
    ret = commit_run(bs, backing_bs);
    if (ro) {
        /* Back to read-only; a failure leaves it read-write (as QEMU) */
        if (bdrv_reopen_set_read_only(backing_bs, true, &local_err) < 0) {
            error_report_err(local_err);
        }
    }
out:
    bdrv_unref(backing_bs);
    bdrv_unref(bs);
    return ret;
}
