/*
 * Padding of requests that are not aligned to the node's
 * request_alignment.
 *
 * The request is widened to whole blocks.  Instead of bouncing the whole
 * request, the caller's vector is wrapped: a piece of a bounce block in
 * front (the head padding), the caller's bytes, a piece of a bounce block
 * behind (the tail padding).  A read simply reads into that vector and
 * drops the padding; a write first reads the head and tail blocks into the
 * bounce blocks (read-modify-write) and then writes the vector.
 */
#include "io-int.h"

bool io_rmw_pad(BlockDriverState *bs, int64_t offset, int64_t bytes,
                QEMUIOVector *qiov, size_t qiov_offset, IoPadding *pad)
{
    int64_t align = io_align(bs);
    int64_t end = offset + bytes;
    int64_t mask = align - 1;       /* align is a power of two */
    bool two_blocks;

    /* The common case, an aligned request, costs one test */
    if (((offset | end) & mask) == 0) {
        pad->active = false;
        return false;
    }
    memset(pad, 0, sizeof(*pad));
    pad->head = (size_t)(offset & mask);
    pad->tail = (size_t)((align - (end & mask)) & mask);
    pad->active = true;
    pad->offset = offset - (int64_t)pad->head;
    pad->bytes = (int64_t)pad->head + bytes + (int64_t)pad->tail;
    /* Head and tail need separate blocks unless they are the same block */
    two_blocks = pad->head && pad->tail && pad->bytes > align;
    pad->buf_len = (size_t)align * (two_blocks ? 2 : 1);
    pad->buf = qemu_blockalign(bs, pad->buf_len);
    pad->tail_buf = pad->buf + pad->buf_len - align;

    qemu_iovec_init(&pad->qiov, qiov->niov + 2);
    if (pad->head) {
        qemu_iovec_add(&pad->qiov, pad->buf, pad->head);
    }
    qemu_iovec_concat(&pad->qiov, qiov, qiov_offset, (size_t)bytes);
    if (pad->tail) {
        qemu_iovec_add(&pad->qiov, pad->tail_buf + align - pad->tail,
                       pad->tail);
    }
    return true;
}

/* Read one aligned block at offset into buf */
static int coroutine_fn io_rmw_read_block(BdrvChild *child,
                                          BdrvTrackedRequest *req,
                                          int64_t offset, uint8_t *buf)
{
    int64_t align = io_align(child->bs);
    QEMUIOVector qiov;

    qemu_iovec_init_buf(&qiov, buf, (size_t)align);
    return io_aligned_preadv(child, req, offset, align, &qiov, 0, 0);
}

int coroutine_fn io_rmw_check_padded_end(BdrvChild *child, int64_t end)
{
    int64_t len;

    if (child->perm & BLK_PERM_RESIZE) {
        return 0;
    }
    len = bdrv_co_getlength(child->bs);
    if (len < 0) {
        return (int)len;
    }
    return end > len ? -EIO : 0;
}

int coroutine_fn io_rmw_read_edges(BdrvChild *child, BdrvTrackedRequest *req,
                                   IoPadding *pad)
{
    int64_t align = io_align(child->bs);
    int ret;

    assert(pad->active);
    ret = io_rmw_check_padded_end(child, pad->offset + pad->bytes);
    if (ret < 0) {
        return ret;
    }
    if (pad->head) {
        bdrv_co_debug_event(child->bs, BLKDBG_PWRITEV_RMW_HEAD);
        ret = io_rmw_read_block(child, req, pad->offset, pad->buf);
        if (ret < 0) {
            return ret;
        }
        bdrv_co_debug_event(child->bs, BLKDBG_PWRITEV_RMW_AFTER_HEAD);
        if (pad->tail_buf == pad->buf) {
            /* Head and tail share one block: it has been read */
            return 0;
        }
    }
    if (pad->tail) {
        bdrv_co_debug_event(child->bs, BLKDBG_PWRITEV_RMW_TAIL);
        ret = io_rmw_read_block(child, req, pad->offset + pad->bytes - align,
                                pad->tail_buf);
        if (ret < 0) {
            return ret;
        }
        bdrv_co_debug_event(child->bs, BLKDBG_PWRITEV_RMW_AFTER_TAIL);
    }
    return 0;
}

void io_rmw_pad_finish(IoPadding *pad)
{
    if (!pad->active) {
        return;
    }
    qemu_iovec_destroy(&pad->qiov);
    qemu_vfree(pad->buf);
    memset(pad, 0, sizeof(*pad));
}
