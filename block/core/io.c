/*
 * The generic read/write path: validation at the API boundary, request
 * tracking, alignment padding, splitting at max_transfer, and the calls
 * into the driver.
 *
 * A request goes through three layers:
 *   bdrv_co_preadv/pwritev(_part)  validate, pad to request_alignment, track
 *   io_aligned_preadv/pwritev  wait for conflicts, clamp at EOF, split
 *   io_driver_*              call the driver: its _part callback with the
 *                            caller's vector and an offset into it, or
 *                            the plain one with a vector of exactly the
 *                            bytes it is asked for
 */
#include "io-int.h"
#include "util/atomic.h"
#include "block/block-debug.h"

/* ---- small helpers ---- */

/* A power of two: io_limits_check refuses anything else */
uint32_t io_align(BlockDriverState *bs)
{
    return bs->bl.request_alignment;
}

int64_t io_max_transfer(BlockDriverState *bs)
{
    int64_t align = io_align(bs);
    int64_t max = bs->bl.max_transfer;

    /* 0 is "no limit"; the limit is a multiple of align unless below it */
    if (max == 0 || max > (int64_t)BDRV_REQUEST_MAX_BYTES) {
        max = BDRV_REQUEST_MAX_BYTES;
    }
    max &= ~(align - 1);
    return max > 0 ? max : align;
}

void bdrv_inc_in_flight(BlockDriverState *bs)
{
    IO_CODE();
    qatomic_inc(&bs->in_flight);
}

void bdrv_wakeup(BlockDriverState *bs)
{
    IO_CODE();
    aio_wait_kick();
}

void bdrv_dec_in_flight(BlockDriverState *bs)
{
    IO_CODE();
    assert(qatomic_read(&bs->in_flight) > 0);
    qatomic_dec(&bs->in_flight);
    bdrv_wakeup(bs);
}

int bdrv_check_request(int64_t offset, int64_t bytes, Error **errp)
{
    if (offset < 0) {
        error_setg(errp, "Offset %" PRId64 " is negative", offset);
        return -EIO;
    }
    if (bytes < 0) {
        error_setg(errp, "Length %" PRId64 " is negative", bytes);
        return -EIO;
    }
    if (bytes > BDRV_MAX_LENGTH) {
        error_setg(errp, "Length %" PRId64 " exceeds the maximum %" PRId64,
                   bytes, (int64_t)BDRV_MAX_LENGTH);
        return -EIO;
    }
    if (offset > BDRV_MAX_LENGTH) {
        error_setg(errp, "Offset %" PRId64 " exceeds the maximum %" PRId64,
                   offset, (int64_t)BDRV_MAX_LENGTH);
        return -EIO;
    }
    if (offset > BDRV_MAX_LENGTH - bytes) {
        error_setg(errp, "Offset %" PRId64 " plus length %" PRId64
                   " exceeds the maximum %" PRId64, offset, bytes,
                   (int64_t)BDRV_MAX_LENGTH);
        return -EIO;
    }
    return 0;
}

/*
 * Requests carrying data are limited to BDRV_REQUEST_MAX_BYTES (so that
 * lengths fit an int everywhere) and must fit in their vector.
 */
static int io_check_qiov_request(int64_t offset, int64_t bytes,
                                 QEMUIOVector *qiov, size_t qiov_offset)
{
    int ret = bdrv_check_request(offset, bytes, NULL);

    if (ret < 0) {
        return ret;
    }
    if (bytes > (int64_t)BDRV_REQUEST_MAX_BYTES) {
        return -EIO;
    }
    if (!qiov) {
        return bytes ? -EINVAL : 0;
    }
    if (qiov_offset > qiov->size || (size_t)bytes > qiov->size - qiov_offset) {
        return -EIO;
    }
    return 0;
}

/* ---- calls into the driver ---- */

typedef int coroutine_fn IoDriverPartFn(BlockDriverState *bs, int64_t offset,
                                        int64_t bytes, QEMUIOVector *qiov,
                                        size_t qiov_offset,
                                        BdrvRequestFlags flags);
typedef int coroutine_fn IoDriverFn(BlockDriverState *bs, int64_t offset,
                                    int64_t bytes, QEMUIOVector *qiov,
                                    BdrvRequestFlags flags);

/*
 * Run the driver on exactly [qiov_offset, qiov_offset + bytes) of qiov:
 * a _part callback gets the vector as it is; only a driver with the plain
 * callback gets a sub-vector when the range is not the whole vector.
 */
static uint64_t io_driver_slices;

uint64_t bdrv_debug_io_slices(void)
{
    return qatomic_read(&io_driver_slices);
}

static int coroutine_fn io_driver_rw(BlockDriverState *bs, bool write,
                                     int64_t offset, int64_t bytes,
                                     QEMUIOVector *qiov, size_t qiov_offset,
                                     BdrvRequestFlags flags)
{
    const BlockDriver *drv = bs->drv;
    IoDriverPartFn *part_fn;
    IoDriverFn *fn;
    QEMUIOVector slice;
    int ret;

    if (!drv) {
        return -ENOMEDIUM;
    }
    part_fn = write ? drv->bdrv_co_pwritev_part : drv->bdrv_co_preadv_part;
    fn = write ? drv->bdrv_co_pwritev : drv->bdrv_co_preadv;
    if (part_fn) {
        ret = part_fn(bs, offset, bytes, qiov, qiov_offset, flags);
    } else if (!fn) {
        return -ENOTSUP;
    } else if (qiov_offset == 0 && (size_t)bytes == qiov->size) {
        ret = fn(bs, offset, bytes, qiov, flags);
    } else {
        qatomic_inc(&io_driver_slices);
        qemu_iovec_init_slice(&slice, qiov, qiov_offset, (size_t)bytes);
        ret = fn(bs, offset, bytes, &slice, flags);
        qemu_iovec_destroy(&slice);
    }
    /* Drivers return 0 or -errno; tolerate a byte count as success */
    return ret > 0 ? 0 : ret;
}

int coroutine_fn io_driver_preadv(BlockDriverState *bs, int64_t offset,
                                  int64_t bytes, QEMUIOVector *qiov,
                                  size_t qiov_offset, BdrvRequestFlags flags)
{
    return io_driver_rw(bs, false, offset, bytes, qiov, qiov_offset,
                        flags & bs->supported_read_flags);
}

int coroutine_fn io_driver_pwritev(BlockDriverState *bs, int64_t offset,
                                   int64_t bytes, QEMUIOVector *qiov,
                                   size_t qiov_offset, BdrvRequestFlags flags)
{
    bool emulate_fua = (flags & BDRV_REQ_FUA) &&
                       !(bs->supported_write_flags & BDRV_REQ_FUA);
    int ret;

    ret = io_driver_rw(bs, true, offset, bytes, qiov, qiov_offset,
                       flags & bs->supported_write_flags);
    if (ret == 0 && emulate_fua) {
        ret = bdrv_co_flush(bs);
    }
    return ret;
}

/* ---- the aligned layer ---- */

int coroutine_fn io_aligned_preadv(BdrvChild *child, BdrvTrackedRequest *req,
                                   int64_t offset, int64_t bytes,
                                   QEMUIOVector *qiov, size_t qiov_offset,
                                   BdrvRequestFlags flags)
{
    BlockDriverState *bs = child->bs;
    int64_t align = io_align(bs);
    int64_t max_transfer = io_max_transfer(bs);
    int64_t total, readable;

    /* align is a power of two: one test for both */
    assert(((offset | bytes) & (align - 1)) == 0);
    assert(req->offset <= offset &&
           offset + bytes <= req->offset + req->bytes);
    io_request_wait(req, false);

    total = bdrv_co_getlength(bs);
    if (total < 0) {
        return (int)total;
    }
    /* Bytes the driver can serve; everything past EOF reads as zeroes */
    readable = total > offset ? ROUND_UP(total - offset, align) : 0;
    while (bytes > 0) {
        int64_t num = MIN(MIN(bytes, max_transfer), readable);
        int ret;

        if (num == 0) {
            qemu_iovec_memset(qiov, qiov_offset, 0, (size_t)bytes);
            break;
        }
        if (flags & BDRV_REQ_COPY_ON_READ) {
            ret = io_cor_preadv(bs, offset, num, qiov, qiov_offset,
                                flags & ~BDRV_REQ_COPY_ON_READ);
        } else {
            ret = io_driver_preadv(bs, offset, num, qiov, qiov_offset, flags);
        }
        if (ret < 0) {
            return ret;
        }
        offset += num;
        bytes -= num;
        qiov_offset += num;
        readable -= num;
    }
    return 0;
}

int coroutine_fn io_write_prepare(BdrvChild *child, BdrvTrackedRequest *req,
                                  int64_t offset, int64_t bytes,
                                  BdrvRequestFlags flags)
{
    BlockDriverState *bs = child->bs;
    int ret;

    if (bdrv_is_read_only(bs)) {
        return -EPERM;
    }
    /* bdrv_mark_corrupt(fatal): nothing more is written to this image */
    if (bs->corrupt) {
        return -EIO;
    }
    assert(!(bs->open_flags & BDRV_O_INACTIVE));
    assert(!(flags & ~BDRV_REQ_MASK));
    assert(!(flags & BDRV_REQ_NO_WAIT) || (flags & BDRV_REQ_SERIALISING));

    ret = io_request_wait(req, flags & BDRV_REQ_NO_WAIT);
    if (ret < 0) {
        return ret;
    }
    assert(req->offset <= offset &&
           offset + bytes <= req->offset + req->bytes);

    /* Permissions are the caller's contract with the graph: assert them */
    switch (req->type) {
    case BDRV_TRACKED_WRITE:
    case BDRV_TRACKED_DISCARD:
        if (flags & BDRV_REQ_WRITE_UNCHANGED) {
            assert(child->perm & (BLK_PERM_WRITE_UNCHANGED | BLK_PERM_WRITE));
        } else {
            assert(child->perm & BLK_PERM_WRITE);
        }
        assert(bs->total_sectors < 0 || (child->perm & BLK_PERM_RESIZE) ||
               offset + bytes <=
                   bs->total_sectors * (int64_t)BDRV_SECTOR_SIZE);
        break;
    case BDRV_TRACKED_TRUNCATE:
        assert(child->perm & BLK_PERM_RESIZE);
        break;
    default:
        g_assert_not_reached();
    }
    /*
     * Dirty the node before the data moves, so that a flush issued for
     * this request (emulated FUA) cannot be skipped as already clean.
     */
    qatomic_inc(&bs->write_gen);
    return 0;
}

void io_write_finish(BdrvChild *child, BdrvTrackedRequest *req,
                     int64_t offset, int64_t bytes, int ret)
{
    BlockDriverState *bs = child->bs;
    int64_t end_sector = DIV_ROUND_UP(offset + bytes,
                                      (int64_t)BDRV_SECTOR_SIZE);

    /* Again after the data moved: a flush that ran meanwhile missed it */
    qatomic_inc(&bs->write_gen);
    if (ret == 0 && req->type == BDRV_TRACKED_WRITE &&
        bs->total_sectors >= 0 && end_sector > bs->total_sectors) {
        /* A write past EOF grew the node (the edge holds RESIZE) */
        bs->total_sectors = end_sector;
        bdrv_parent_cb_resize(bs);
    }
}

int coroutine_fn io_aligned_pwritev(BdrvChild *child, BdrvTrackedRequest *req,
                                    int64_t offset, int64_t bytes,
                                    QEMUIOVector *qiov, size_t qiov_offset,
                                    BdrvRequestFlags flags)
{
    BlockDriverState *bs = child->bs;
    int64_t align = io_align(bs);
    int64_t max_transfer = io_max_transfer(bs);
    int ret;

    assert(((offset | bytes) & (align - 1)) == 0);
    ret = io_write_prepare(child, req, offset, bytes, flags);
    if (ret == 0 && (flags & BDRV_REQ_ZERO_WRITE)) {
        bdrv_co_debug_event(bs, BLKDBG_PWRITEV_ZERO);
        ret = io_zero_driver(bs, offset, bytes, flags);
    } else if (ret == 0 && (flags & BDRV_REQ_WRITE_COMPRESSED)) {
        /* One call: the driver lays out compressed clusters itself */
        ret = bs->drv ? bs->drv->bdrv_co_pwritev_compressed_part(
                            bs, offset, bytes, qiov, qiov_offset)
                      : -ENOMEDIUM;
        ret = ret > 0 ? 0 : ret;
        if (ret == 0 && (flags & BDRV_REQ_FUA)) {
            ret = bdrv_co_flush(bs);
        }
    } else if (ret == 0) {
        int64_t done = 0;

        bdrv_co_debug_event(bs, BLKDBG_PWRITEV);
        while (done < bytes && ret == 0) {
            int64_t num = MIN(bytes - done, max_transfer);
            BdrvRequestFlags f = flags;

            /* Emulated FUA: one flush, after the last piece */
            if (done + num < bytes &&
                !(bs->supported_write_flags & BDRV_REQ_FUA)) {
                f &= ~BDRV_REQ_FUA;
            }
            ret = io_driver_pwritev(bs, offset + done, num, qiov,
                                    qiov_offset + done, f);
            done += num;
        }
    }
    bdrv_co_debug_event(bs, BLKDBG_PWRITEV_DONE);
    io_write_finish(child, req, offset, bytes, ret);
    return ret;
}

/* ---- compressed writes ---- */

bool bdrv_supports_compressed_writes(BlockDriverState *bs)
{
    IO_CODE();
    if (!bs->drv || !bs->drv->bdrv_co_pwritev_compressed_part) {
        return false;
    }
    /* A filter compresses only if what it passes the data to does */
    if (bs->drv->is_filter) {
        BlockDriverState *filtered = bdrv_filter_bs(bs);

        return filtered && bdrv_supports_compressed_writes(filtered);
    }
    return true;
}

/*
 * The core's half of the compressed-write contract: the driver compresses
 * whole clusters, so the write starts on a cluster boundary, covers whole
 * clusters except for the last one of the image, and is one cluster long
 * unless the driver splits longer ones itself.  The cluster size is what
 * bdrv_co_get_info reports: a node that reports none cannot compress.
 */
static int coroutine_fn io_check_compressed(BlockDriverState *bs,
                                            int64_t offset, int64_t bytes,
                                            BdrvRequestFlags flags)
{
    BlockDriverInfo bdi;
    int64_t cluster, length;

    if (!bdrv_supports_compressed_writes(bs)) {
        return -ENOTSUP;
    }
    if (flags & BDRV_REQ_ZERO_WRITE) {
        return -EINVAL;
    }
    if (bdrv_co_get_info(bs, &bdi) < 0 || bdi.cluster_size <= 0) {
        return -ENOTSUP;
    }
    cluster = MAX((int64_t)io_align(bs), (int64_t)bdi.cluster_size);
    length = bdrv_co_getlength(bs);
    if (length < 0) {
        return (int)length;
    }
    if (!QEMU_IS_ALIGNED(offset, cluster) ||
        (!QEMU_IS_ALIGNED(bytes, cluster) && offset + bytes != length) ||
        !QEMU_IS_ALIGNED(bytes, io_align(bs))) {
        return -EINVAL;
    }
    if (bytes > cluster && !bs->compressed_multi_cluster) {
        return -EINVAL;
    }
    return 0;
}

/* ---- public entry points ---- */

int coroutine_fn bdrv_co_preadv_part(BdrvChild *child, int64_t offset,
                                     int64_t bytes, QEMUIOVector *qiov,
                                     size_t qiov_offset,
                                     BdrvRequestFlags flags)
{
    BlockDriverState *bs = child->bs;
    BdrvTrackedRequest req;
    IoPadding pad;
    int ret;

    IO_CODE();
    if (!bdrv_is_inserted(bs)) {
        return -ENOMEDIUM;
    }
    ret = io_check_qiov_request(offset, bytes, qiov, qiov_offset);
    if (ret < 0 || bytes == 0) {
        return ret;
    }

    bdrv_inc_in_flight(bs);
    if (io_rmw_pad(bs, offset, bytes, qiov, qiov_offset, &pad)) {
        offset = pad.offset;
        bytes = pad.bytes;
        qiov = &pad.qiov;
        qiov_offset = 0;
    }
    /*
     * A parent asks for copies only through an edge that may write them:
     * a read-only copy-on-read filter holds no write permission, even over
     * a node another user keeps writable
     */
    if ((flags & BDRV_REQ_COPY_ON_READ) &&
        !(child->perm & (BLK_PERM_WRITE | BLK_PERM_WRITE_UNCHANGED))) {
        flags &= ~BDRV_REQ_COPY_ON_READ;
    }
    /* Copy-on-read: a node opened with it copies on every read */
    if (bs->open_flags & BDRV_O_COPY_ON_READ) {
        flags |= BDRV_REQ_COPY_ON_READ;
    }
    if ((flags & BDRV_REQ_COPY_ON_READ) &&
        (bdrv_is_read_only(bs) || (bs->open_flags & BDRV_O_INACTIVE))) {
        flags &= ~BDRV_REQ_COPY_ON_READ;
    }
    io_request_begin(&req, bs, offset, bytes, BDRV_TRACKED_READ, false);
    /* No write may overlap the data being copied */
    if (flags & (BDRV_REQ_SERIALISING | BDRV_REQ_COPY_ON_READ)) {
        io_request_serialise(&req, io_request_cluster_size(bs));
    }
    ret = io_aligned_preadv(child, &req, offset, bytes, qiov, qiov_offset,
                            flags);
    io_request_end(&req);
    io_rmw_pad_finish(&pad);
    bdrv_dec_in_flight(bs);
    return ret;
}

int coroutine_fn bdrv_co_pwritev_part(BdrvChild *child, int64_t offset,
                                      int64_t bytes, QEMUIOVector *qiov,
                                      size_t qiov_offset,
                                      BdrvRequestFlags flags)
{
    BlockDriverState *bs = child->bs;
    BdrvTrackedRequest req;
    IoPadding pad;
    bool padded;
    int ret;

    IO_CODE();
    if (!bdrv_is_inserted(bs)) {
        return -ENOMEDIUM;
    }
    if (flags & BDRV_REQ_ZERO_WRITE) {
        ret = bdrv_check_request(offset, bytes, NULL);
    } else {
        ret = io_check_qiov_request(offset, bytes, qiov, qiov_offset);
    }
    if (ret < 0) {
        return ret;
    }
    if (bdrv_is_read_only(bs) || (bs->open_flags & BDRV_O_INACTIVE)) {
        return -EPERM;
    }
    if (bytes == 0) {
        return 0;
    }
    /* Silently writing uncompressed data would be wrong, not slower */
    if (flags & BDRV_REQ_WRITE_COMPRESSED) {
        ret = io_check_compressed(bs, offset, bytes, flags);
        if (ret < 0) {
            return ret;
        }
    }

    bdrv_inc_in_flight(bs);
    if (flags & BDRV_REQ_ZERO_WRITE) {
        ret = io_zero_pwritev(child, offset, bytes, flags);
        bdrv_dec_in_flight(bs);
        return ret;
    }

    padded = io_rmw_pad(bs, offset, bytes, qiov, qiov_offset, &pad);
    if (padded) {
        offset = pad.offset;
        bytes = pad.bytes;
        qiov = &pad.qiov;
        qiov_offset = 0;
    }
    /* A read-modify-write must not interleave with other writes */
    io_request_begin(&req, bs, offset, bytes, BDRV_TRACKED_WRITE, padded);
    if (flags & BDRV_REQ_SERIALISING) {
        io_request_serialise(&req, io_request_cluster_size(bs));
    }
    ret = padded ? io_rmw_read_edges(child, &req, &pad) : 0;
    if (ret == 0) {
        ret = io_aligned_pwritev(child, &req, offset, bytes, qiov,
                                 qiov_offset, flags);
    }
    io_request_end(&req);
    io_rmw_pad_finish(&pad);
    bdrv_dec_in_flight(bs);
    return ret;
}

int coroutine_fn bdrv_co_preadv(BdrvChild *child, int64_t offset,
                                int64_t bytes, QEMUIOVector *qiov,
                                BdrvRequestFlags flags)
{
    IO_CODE();
    return bdrv_co_preadv_part(child, offset, bytes, qiov, 0, flags);
}

int coroutine_fn bdrv_co_pwritev(BdrvChild *child, int64_t offset,
                                 int64_t bytes, QEMUIOVector *qiov,
                                 BdrvRequestFlags flags)
{
    IO_CODE();
    return bdrv_co_pwritev_part(child, offset, bytes, qiov, 0, flags);
}

int coroutine_fn bdrv_co_pread(BdrvChild *child, int64_t offset,
                               int64_t bytes, void *buf,
                               BdrvRequestFlags flags)
{
    QEMUIOVector qiov;

    IO_CODE();
    if (bytes < 0) {
        return -EIO;
    }
    qemu_iovec_init_buf(&qiov, buf, (size_t)bytes);
    return bdrv_co_preadv(child, offset, bytes, &qiov, flags);
}

int coroutine_fn bdrv_co_pwrite(BdrvChild *child, int64_t offset,
                                int64_t bytes, const void *buf,
                                BdrvRequestFlags flags)
{
    QEMUIOVector qiov;

    IO_CODE();
    if (bytes < 0) {
        return -EIO;
    }
    qemu_iovec_init_buf(&qiov, (void *)buf, (size_t)bytes);
    return bdrv_co_pwritev(child, offset, bytes, &qiov, flags);
}

int coroutine_fn bdrv_co_pwrite_sync(BdrvChild *child, int64_t offset,
                                     int64_t bytes, const void *buf,
                                     BdrvRequestFlags flags)
{
    int ret;

    IO_CODE();
    ret = bdrv_co_pwrite(child, offset, bytes, buf, flags);
    if (ret < 0) {
        return ret;
    }
    return bdrv_co_flush(child->bs);
}

int coroutine_fn bdrv_co_pwrite_zeroes(BdrvChild *child, int64_t offset,
                                       int64_t bytes, BdrvRequestFlags flags)
{
    IO_CODE();
    /* Unmapping is only allowed where the user enabled discard */
    if (!(child->bs->open_flags & BDRV_O_UNMAP)) {
        flags &= ~BDRV_REQ_MAY_UNMAP;
    }
    return bdrv_co_pwritev(child, offset, bytes, NULL,
                           BDRV_REQ_ZERO_WRITE | flags);
}
