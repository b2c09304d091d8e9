/*
 * Zero writes (BDRV_REQ_ZERO_WRITE): the driver's efficient zeroing when it
 * has one, else explicit writes of a zeroed bounce buffer; unaligned head
 * and tail blocks by read-modify-write.
 */
#include "io-int.h"

/*
 * Write explicit zeroes over [offset, offset + bytes) with a bounce buffer
 * of at most IO_ZERO_BOUNCE_MAX bytes, reused for every chunk.
 */
static int coroutine_fn io_zero_fallback(BlockDriverState *bs, int64_t offset,
                                         int64_t bytes,
                                         BdrvRequestFlags write_flags)
{
    int64_t align = io_align(bs);
    int64_t chunk_max = MIN(io_max_transfer(bs), IO_ZERO_BOUNCE_MAX);
    size_t buf_len;
    void *buf;
    int ret = 0;

    /* Keep chunks aligned when the limit is not a multiple of the block */
    chunk_max = MAX(QEMU_ALIGN_DOWN(chunk_max, align), align);
    buf_len = (size_t)MIN(bytes, chunk_max);
    buf = qemu_try_blockalign0(bs, buf_len);
    if (!buf) {
        return -ENOMEM;
    }
    while (bytes > 0 && ret == 0) {
        int64_t num = MIN(bytes, (int64_t)buf_len);
        QEMUIOVector qiov;

        qemu_iovec_init_buf(&qiov, buf, (size_t)num);
        ret = io_driver_pwritev(bs, offset, num, &qiov, 0, write_flags);
        offset += num;
        bytes -= num;
    }
    qemu_vfree(buf);
    return ret;
}

/* Length of the next piece: head up to the zeroing alignment, then whole */
static int64_t io_zero_next_piece(int64_t offset, int64_t bytes,
                                  int64_t alignment, int64_t max_zeroes)
{
    int64_t head = offset % alignment;
    int64_t tail = (offset + bytes) % alignment;
    int64_t num = bytes;

    if (head) {
        num = MIN(bytes, alignment - head);
    } else if (tail && num > alignment) {
        num -= tail;
    }
    return MIN(num, max_zeroes);
}

int coroutine_fn io_zero_driver(BlockDriverState *bs, int64_t offset,
                                int64_t bytes, BdrvRequestFlags flags)
{
    const BlockDriver *drv = bs->drv;
    int64_t alignment = MAX((int64_t)bs->bl.pwrite_zeroes_alignment,
                            (int64_t)io_align(bs));
    int64_t max_zeroes = QEMU_ALIGN_DOWN(
        MIN_NON_ZERO(bs->bl.max_pwrite_zeroes, INT64_MAX), alignment);
    bool need_flush = false;
    int ret = 0;

    if (!drv) {
        return -ENOMEDIUM;
    }
    if ((flags & ~bs->supported_zero_flags) & BDRV_REQ_NO_FALLBACK) {
        return -ENOTSUP;
    }
    max_zeroes = MAX(max_zeroes, alignment);

    while (bytes > 0 && ret == 0) {
        int64_t num = io_zero_next_piece(offset, bytes, alignment,
                                         max_zeroes);

        ret = -ENOTSUP;
        if (drv->bdrv_co_pwrite_zeroes) {
            ret = drv->bdrv_co_pwrite_zeroes(bs, offset, num,
                                             flags & bs->supported_zero_flags);
            ret = ret > 0 ? 0 : ret;
            if (ret != -ENOTSUP && (flags & BDRV_REQ_FUA) &&
                !(bs->supported_zero_flags & BDRV_REQ_FUA)) {
                need_flush = true;
            }
        }
        if (ret == -ENOTSUP && !(flags & BDRV_REQ_NO_FALLBACK)) {
            BdrvRequestFlags wflags = flags & BDRV_REQ_FUA &
                                      bs->supported_write_flags;

            /* Emulated FUA: one flush at the end, not one per chunk */
            if ((flags & BDRV_REQ_FUA) && !wflags) {
                need_flush = true;
            }
            ret = io_zero_fallback(bs, offset, num, wflags);
        }
        offset += num;
        bytes -= num;
    }
    if (ret == 0 && need_flush) {
        ret = bdrv_co_flush(bs);
    }
    return ret;
}

/* Rewrite the block at block_offset with [start, start + len) zeroed */
static int coroutine_fn io_zero_rmw_block(BdrvChild *child,
                                          BdrvTrackedRequest *req,
                                          int64_t block_offset, size_t start,
                                          size_t len, uint8_t *buf,
                                          BdrvRequestFlags flags)
{
    int64_t align = io_align(child->bs);
    QEMUIOVector qiov;
    int ret;

    qemu_iovec_init_buf(&qiov, buf, (size_t)align);
    ret = io_aligned_preadv(child, req, block_offset, align, &qiov, 0, 0);
    if (ret < 0) {
        return ret;
    }
    memset(buf + start, 0, len);
    return io_aligned_pwritev(child, req, block_offset, align, &qiov, 0,
                              flags);
}

int coroutine_fn io_zero_pwritev(BdrvChild *child, int64_t offset,
                                 int64_t bytes, BdrvRequestFlags flags)
{
    BlockDriverState *bs = child->bs;
    int64_t align = io_align(bs);
    int64_t aligned_start = QEMU_ALIGN_DOWN(offset, align);
    int64_t aligned_end = QEMU_ALIGN_UP(offset + bytes, align);
    bool padded = aligned_start != offset || aligned_end != offset + bytes;
    /* Partial blocks are written as data: drop the zeroing-only flags */
    BdrvRequestFlags data_flags = flags & ~(BDRV_REQ_ZERO_WRITE |
                                            BDRV_REQ_MAY_UNMAP |
                                            BDRV_REQ_NO_FALLBACK);
    /* Several pieces without native FUA: one flush after all of them */
    bool fua_once = padded && (flags & BDRV_REQ_FUA) &&
                    !(bs->supported_write_flags & bs->supported_zero_flags &
                      BDRV_REQ_FUA);
    BdrvTrackedRequest req;
    uint8_t *buf = NULL;
    int ret = 0;

    if (fua_once) {
        flags &= ~BDRV_REQ_FUA;
        data_flags &= ~BDRV_REQ_FUA;
    }
    if (padded && (flags & BDRV_REQ_NO_FALLBACK)) {
        /* Partial blocks can only be zeroed by writing data */
        return -ENOTSUP;
    }
    io_request_begin(&req, bs, aligned_start, aligned_end - aligned_start,
                     BDRV_TRACKED_WRITE, padded);
    if (flags & BDRV_REQ_SERIALISING) {
        io_request_serialise(&req, io_request_cluster_size(bs));
    }
    if (padded) {
        buf = qemu_blockalign(bs, (size_t)align);
        ret = io_rmw_check_padded_end(child, aligned_end);
    }

    if (ret == 0 && offset != aligned_start) {
        size_t head = (size_t)(offset - aligned_start);
        size_t len = (size_t)MIN(bytes, align - (int64_t)head);

        ret = io_zero_rmw_block(child, &req, aligned_start, head, len, buf,
                                data_flags);
        offset += len;
        bytes -= len;
    }
    if (ret == 0 && bytes >= align) {
        int64_t mid = QEMU_ALIGN_DOWN(bytes, align);

        ret = io_aligned_pwritev(child, &req, offset, mid, NULL, 0, flags);
        offset += mid;
        bytes -= mid;
    }
    if (ret == 0 && bytes > 0) {
        ret = io_zero_rmw_block(child, &req, offset, 0, (size_t)bytes, buf,
                                data_flags);
    }

    if (ret == 0 && fua_once) {
        ret = bdrv_co_flush(bs);
    }
    qemu_vfree(buf);
    io_request_end(&req);
    return ret;
}
