/*
 * Copy-on-read (BDRV_REQ_COPY_ON_READ, set by the copy-on-read filter or
 * by BDRV_O_COPY_ON_READ on a writable node): a read of data the node does
 * not hold itself (bdrv_is_allocated() says 0: it comes from the backing
 * chain) is read into a bounce buffer, written into the node with
 * BDRV_REQ_WRITE_UNCHANGED (blkdebug event cor_write), then copied to the
 * caller.  A failed copy fails the read.  The request was made
 * serialising by the caller, so no write overlaps it meanwhile; the
 * write goes straight to the driver (the data does not change, so the
 * node's parents need no write permission, as in QEMU).
 */
#include "io-int.h"
#include "util/atomic.h"

/* Read [start, start + bytes) into @bounce and write it back, in pieces
 * the driver accepts */
static int coroutine_fn io_cor_copy(BlockDriverState *bs, int64_t start,
                                    int64_t bytes, uint8_t *bounce,
                                    BdrvRequestFlags flags)
{
    int64_t max = io_max_transfer(bs);
    int ret = 0;

    for (int64_t done = 0; done < bytes && ret == 0; done += max) {
        int64_t num = MIN(max, bytes - done);
        QEMUIOVector qiov;

        qemu_iovec_init_buf(&qiov, bounce + done, (size_t)num);
        ret = io_driver_preadv(bs, start + done, num, &qiov, 0, flags);
        if (ret == 0) {
            bdrv_co_debug_event(bs, BLKDBG_COR_WRITE);
            qatomic_inc(&bs->write_gen);
            ret = io_driver_pwritev(bs, start + done, num, &qiov, 0,
                                    BDRV_REQ_WRITE_UNCHANGED);
            qatomic_inc(&bs->write_gen);
        }
    }
    return ret;
}

/*
 * Copy the unallocated [offset, offset + bytes) widened to whole clusters
 * (a format allocates clusters: the rest of a partly read one must be
 * copied too, not left to read as zeroes), but not past the last whole
 * block of the node; then hand the caller its part.  -ENOTSUP when
 * nothing can be copied (the caller then reads without copying).
 */
static int coroutine_fn io_cor_cluster_copy(BlockDriverState *bs,
                                            int64_t offset, int64_t bytes,
                                            int64_t length,
                                            QEMUIOVector *qiov,
                                            size_t qiov_offset,
                                            BdrvRequestFlags flags)
{
    int64_t align = io_align(bs);
    int64_t cluster = MAX((int64_t)io_request_cluster_size(bs), align);
    int64_t start = QEMU_ALIGN_DOWN(offset, cluster);
    int64_t end = MIN(QEMU_ALIGN_UP(offset + bytes, cluster),
                      QEMU_ALIGN_DOWN(length, align));
    uint8_t *bounce;
    int ret;

    if (end < offset + bytes) {
        return -ENOTSUP;
    }
    bounce = qemu_try_blockalign(bs, (size_t)(end - start));
    if (!bounce) {
        return -ENOMEM;
    }
    ret = io_cor_copy(bs, start, end - start, bounce, flags);
    if (ret == 0) {
        qemu_iovec_from_buf(qiov, qiov_offset, bounce + (offset - start),
                            (size_t)bytes);
    }
    qemu_vfree(bounce);
    return ret;
}

int coroutine_fn io_cor_preadv(BlockDriverState *bs, int64_t offset,
                               int64_t bytes, QEMUIOVector *qiov,
                               size_t qiov_offset, BdrvRequestFlags flags)
{
    int64_t align = io_align(bs);
    int64_t length = bdrv_co_getlength(bs);

    if (length < 0) {
        return (int)length;
    }
    while (bytes > 0) {
        int64_t pnum = bytes;
        int ret = 1;

        if (offset < length) {
            ret = bdrv_is_allocated(bs, offset, MIN(bytes, length - offset),
                                    &pnum);
            pnum = MIN(bytes, QEMU_ALIGN_UP(MAX(pnum, 1), align));
        }
        if (ret == 0) {
            ret = io_cor_cluster_copy(bs, offset, pnum, length, qiov,
                                      qiov_offset, flags);
            ret = ret == -ENOTSUP ? 1 : ret;
        }
        if (ret > 0) {
            ret = io_driver_preadv(bs, offset, pnum, qiov, qiov_offset,
                                   flags);
        }
        if (ret < 0) {
            return ret;
        }
        offset += pnum;
        bytes -= pnum;
        qiov_offset += pnum;
    }
    return 0;
}
