/*
 * Requests that carry no data: discard, flush, truncate.
 */
#include "io-int.h"
#include "util/atomic.h"

/* ---- discard ---- */

/*
 * Discard is advisory, but devices may track and merge what they are
 * told, so nothing is dropped (QEMU's rule): the range is cut so that
 * every piece that can be aligned is, and the unaligned rest goes down
 * as small fragments the driver may ignore (-ENOTSUP).  With request
 * alignment r and discard alignment a (a multiple of r), the pieces are:
 * the head up to the next multiple of r, then up to the next multiple of
 * a, whole multiples of a, then the tail's multiple of r, then the rest.
 */
static int64_t io_ops_discard_piece(int64_t offset, int64_t bytes, int64_t r,
                                    int64_t a)
{
    int64_t end = offset + bytes;
    int64_t num;

    if (offset % r) {
        return MIN(bytes, QEMU_ALIGN_UP(offset, r) - offset);
    }
    if (offset % a && end >= QEMU_ALIGN_UP(offset, a)) {
        return QEMU_ALIGN_UP(offset, a) - offset;
    }
    if (offset % a == 0 && bytes >= a) {
        return QEMU_ALIGN_DOWN(bytes, a);
    }
    num = QEMU_ALIGN_DOWN(end, r) - offset;
    return num > 0 ? num : bytes;
}

static int coroutine_fn io_ops_discard_driver(BlockDriverState *bs,
                                          int64_t offset, int64_t bytes)
{
    int64_t r = io_align(bs);
    int64_t a = MAX((int64_t)bs->bl.pdiscard_alignment, r);
    int64_t max = QEMU_ALIGN_DOWN(MIN_NON_ZERO(bs->bl.max_pdiscard,
                                               INT64_MAX), a);

    max = MAX(max, a);
    while (bytes > 0) {
        int64_t num = MIN(io_ops_discard_piece(offset, bytes, r, a), max);
        int ret;

        if (!bs->drv) {
            return -ENOMEDIUM;
        }
        ret = bs->drv->bdrv_co_pdiscard(bs, offset, num);
        if (ret < 0 && ret != -ENOTSUP) {
            return ret;
        }
        offset += num;
        bytes -= num;
    }
    return 0;
}

int coroutine_fn bdrv_co_pdiscard(BdrvChild *child, int64_t offset,
                                  int64_t bytes)
{
    BlockDriverState *bs = child ? child->bs : NULL;
    BdrvTrackedRequest req;
    int ret;

    IO_CODE();
    if (!bs || !bdrv_is_inserted(bs)) {
        return -ENOMEDIUM;
    }
    ret = bdrv_check_request(offset, bytes, NULL);
    if (ret < 0) {
        return ret;
    }
    /* The read-only check (-EPERM) is io_write_prepare's, as for writes */
    if (!(bs->open_flags & BDRV_O_UNMAP) || !bs->drv->bdrv_co_pdiscard ||
        bytes == 0) {
        return 0;
    }

    bdrv_inc_in_flight(bs);
    io_request_begin(&req, bs, offset, bytes, BDRV_TRACKED_DISCARD, false);
    ret = io_write_prepare(child, &req, offset, bytes, 0);
    if (ret == 0) {
        ret = io_ops_discard_driver(bs, offset, bytes);
    }
    io_write_finish(child, &req, offset, bytes, ret);
    io_request_end(&req);
    bdrv_dec_in_flight(bs);
    return ret;
}

/* ---- flush ---- */

/* Flush every child this node may have written to; first error wins */
static int coroutine_fn io_ops_flush_children(BlockDriverState *bs)
{
    BdrvChild *child;
    int ret = 0;

    QLIST_FOREACH(child, &bs->children, next) {
        if (child->perm & (BLK_PERM_WRITE | BLK_PERM_WRITE_UNCHANGED)) {
            int child_ret = bdrv_co_flush(child->bs);

            if (ret == 0) {
                ret = child_ret;
            }
        }
    }
    return ret;
}

/*
 * Flushes of a node run one at a time, in the order they were issued
 * (QEMU's rule): a flush that finds one running waits for it; each
 * records the write generation it started with, so one that finds that
 * generation already flushed by its predecessor skips the flush to disk.
 * All requests of a node run in its AioContext: the flag needs no lock.
 */
static void coroutine_fn io_ops_flush_enter(BlockDriverState *bs)
{
    while (bs->active_flush_req) {
        qemu_co_queue_wait(&bs->flush_queue, NULL);
    }
    bs->active_flush_req = true;
}

static void io_ops_flush_leave(BlockDriverState *bs)
{
    bs->active_flush_req = false;
    qemu_co_queue_next(&bs->flush_queue);
}

int coroutine_fn bdrv_co_flush(BlockDriverState *bs)
{
    uint64_t gen;
    int ret = 0;

    IO_CODE();
    if (!bs || !bdrv_is_inserted(bs) || bdrv_is_read_only(bs) ||
        bdrv_is_sg(bs)) {
        return 0;
    }
    bdrv_inc_in_flight(bs);
    gen = qatomic_read(&bs->write_gen);
    io_ops_flush_enter(bs);

    if (!bs->drv) {
        ret = -ENOMEDIUM;   /* closed while we waited */
        goto out;
    }
    if (bs->drv->bdrv_co_flush) {
        /* The driver writes back every layer itself, children included */
        ret = bs->drv->bdrv_co_flush(bs);
        goto out;
    }
    /* Even cache=unsafe (BDRV_O_NO_FLUSH) hands cached data to the OS */
    BLKDBG_CO_EVENT(bdrv_primary_child(bs), BLKDBG_FLUSH_TO_OS);
    if (bs->drv->bdrv_co_flush_to_os) {
        ret = bs->drv->bdrv_co_flush_to_os(bs);
    }
    if (ret == 0 && !(bs->open_flags & BDRV_O_NO_FLUSH) &&
        qatomic_read(&bs->flushed_gen) != gen) {
        BLKDBG_CO_EVENT(bdrv_primary_child(bs), BLKDBG_FLUSH_TO_DISK);
        if (!bs->drv) {
            ret = -ENOMEDIUM;   /* closed while we yielded */
        } else if (bs->drv->bdrv_co_flush_to_disk) {
            ret = bs->drv->bdrv_co_flush_to_disk(bs);
        }
    }
    if (ret == 0) {
        ret = io_ops_flush_children(bs);
    }
out:
    /* Never move flushed_gen backwards when flushes overlap */
    if (ret == 0 && gen > qatomic_read(&bs->flushed_gen)) {
        qatomic_set(&bs->flushed_gen, gen);
    }
    io_ops_flush_leave(bs);
    bdrv_dec_in_flight(bs);
    return ret > 0 ? 0 : ret;
}

/* ---- truncate ---- */

/*
 * A backing file longer than the old size would show through a grown
 * area left unallocated: ask the driver to zero it instead.
 */
static int coroutine_fn io_ops_truncate_flags(BlockDriverState *bs,
                                          int64_t old_size, int64_t new_size,
                                          BdrvRequestFlags flags)
{
    BdrvChild *backing = bdrv_cow_child(bs);

    if (new_size > old_size && backing) {
        int64_t backing_len = bdrv_co_getlength(backing->bs);

        if (backing_len < 0) {
            return (int)backing_len;
        }
        if (backing_len > old_size) {
            flags |= BDRV_REQ_ZERO_WRITE;
        }
    }
    return (int)flags;
}

static int coroutine_fn io_ops_truncate_driver(BdrvChild *child, int64_t offset,
                                           bool exact, PreallocMode prealloc,
                                           BdrvRequestFlags flags,
                                           Error **errp)
{
    BlockDriverState *bs = child->bs;
    BdrvChild *filtered = bdrv_filter_child(bs);
    int ret;

    ERRP_GUARD();
    if (bs->drv->bdrv_co_truncate) {
        if (flags & ~bs->supported_truncate_flags) {
            error_setg(errp, "Block driver '%s' does not support the "
                       "requested truncate flags 0x%x",
                       bs->drv->format_name,
                       (unsigned)(flags & ~bs->supported_truncate_flags));
            return -ENOTSUP;
        }
        ret = bs->drv->bdrv_co_truncate(bs, offset, exact, prealloc, flags,
                                        errp);
        if (ret < 0 && !*errp) {
            /* Every failure reaches the user with a message */
            error_setg_errno(errp, -ret, "Failed to resize '%s' to %" PRId64,
                             bdrv_get_node_name(bs), offset);
        }
        return ret;
    }
    if (filtered) {
        return bdrv_co_truncate(filtered, offset, exact, prealloc, flags,
                                errp);
    }
    error_setg(errp, "Image format driver '%s' does not support resize",
               bs->drv->format_name);
    return -ENOTSUP;
}

int coroutine_fn bdrv_co_truncate(BdrvChild *child, int64_t offset,
                                  bool exact, PreallocMode prealloc,
                                  BdrvRequestFlags flags, Error **errp)
{
    BlockDriverState *bs = child->bs;
    BdrvTrackedRequest req;
    int64_t old_size, grown;
    int ret;

    IO_CODE();
    if (!bs->drv) {
        error_setg(errp, "No medium inserted");
        return -ENOMEDIUM;
    }
    if (offset < 0) {
        error_setg(errp, "Image size %" PRId64 " cannot be negative", offset);
        return -EINVAL;
    }
    ret = bdrv_check_request(offset, 0, errp);
    if (ret < 0) {
        return ret;
    }
    old_size = bdrv_co_getlength(bs);
    if (old_size < 0) {
        error_setg_errno(errp, (int)-old_size, "Failed to get old image size");
        return (int)old_size;
    }
    if (bdrv_is_read_only(bs)) {
        error_setg(errp, "Image is read-only");
        return -EACCES;
    }
    /*
     * QEMU asserts this; a resize is often user-requested, so a caller
     * that forgot the permission gets an error instead of an abort.
     */
    if (!(child->perm & BLK_PERM_RESIZE)) {
        error_setg(errp, "Cannot resize node '%s' to %" PRId64 ": the "
                   "resize permission is not held", bdrv_get_node_name(bs),
                   offset);
        return -EPERM;
    }

    grown = offset > old_size ? offset - old_size : 0;
    bdrv_inc_in_flight(bs);
    /* Growing: nobody may write the new area while it is preallocated */
    io_request_begin(&req, bs, offset - grown, grown, BDRV_TRACKED_TRUNCATE,
                     grown > 0);
    ret = io_write_prepare(child, &req, offset - grown, grown, 0);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Failed to prepare request for "
                         "truncation");
        goto out;
    }
    ret = io_ops_truncate_flags(bs, old_size, offset, flags);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Could not get the backing file size");
        goto out;
    }
    ret = io_ops_truncate_driver(child, offset, exact, prealloc,
                             (BdrvRequestFlags)ret, errp);
    if (ret < 0) {
        goto out;
    }
    ret = io_length_refresh_total_sectors(bs, offset >> BDRV_SECTOR_BITS);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Could not refresh total sector count");
    }
    /* The size changed even if refreshing the cache failed */
    bdrv_parent_cb_resize(bs);
    qatomic_inc(&bs->write_gen);
out:
    io_request_end(&req);
    bdrv_dec_in_flight(bs);
    return ret;
}
