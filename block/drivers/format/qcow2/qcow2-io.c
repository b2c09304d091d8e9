/*
 * qcow2 guest I/O: reads (backing file, zeroes, data, compressed data),
 * writes that allocate clusters with copy-on-write of the parts of a
 * cluster the request does not cover, zero writes, discard, block status.
 * Requests hold the driver's lock for metadata; data I/O to clusters
 * that are already allocated runs without it (qcow2_io_unlocked), and
 * whatever may free a cluster first waits until none is out.
 */
#include "qcow2.h"

/*
 * Run @fn on the image file without the lock (held on entry and on
 * return): other requests' metadata work and data I/O proceed meanwhile.
 */
static int coroutine_fn qcow2_io_unlocked(BlockDriverState *bs, bool write,
                                          int64_t host, int64_t bytes,
                                          QEMUIOVector *qiov,
                                          size_t qiov_offset)
{
    BDRVQcow2State *s = bs->opaque;
    int ret;

    s->data_inflight++;
    qemu_co_mutex_unlock(&s->lock);
    /* The event after the unlock: a blkdebug breakpoint on it holds only
     * this request */
    BLKDBG_CO_EVENT(bs->file, write ? BLKDBG_WRITE_AIO : BLKDBG_READ_AIO);
    if (write) {
        ret = bdrv_co_pwritev_part(bs->file, host, bytes, qiov, qiov_offset,
                                   0);
    } else {
        ret = bdrv_co_preadv_part(bs->file, host, bytes, qiov, qiov_offset,
                                  0);
    }
    qemu_co_mutex_lock(&s->lock);
    if (--s->data_inflight == 0) {
        qemu_co_queue_restart_all(&s->data_idle);
    }
    return ret;
}

/* Before freeing clusters: no unlocked data I/O may still use them */
static void coroutine_fn qcow2_io_wait_data_idle(BDRVQcow2State *s)
{
    while (s->data_inflight > 0) {
        qemu_co_queue_wait(&s->data_idle, &s->lock);
    }
}

/* A run of guest clusters with the same kind of mapping */
typedef struct Qcow2Extent {
    Qcow2ClusterType type;
    uint64_t l2e;       /* entry of the first cluster */
    uint64_t host;      /* host offset of @offset (NORMAL, ZERO_ALLOC) */
    int64_t bytes;      /* from @offset */
} Qcow2Extent;

static bool qcow2_io_continues(BDRVQcow2State *s, const Qcow2Extent *x,
                               uint64_t l2e, int64_t done)
{
    Qcow2ClusterType t = qcow2_entry_type(s, l2e);

    if (t != x->type || t == QCOW2_CLUSTER_COMPRESSED) {
        return false;
    }
    if (t == QCOW2_CLUSTER_NORMAL || t == QCOW2_CLUSTER_ZERO_ALLOC) {
        return (l2e & QCOW2_L2E_OFFSET_MASK) == x->host + done &&
               (l2e & QCOW2_OFLAG_COPIED) == (x->l2e & QCOW2_OFLAG_COPIED);
    }
    return true;
}

/* The mapping of [offset, offset + bytes) up to where it changes */
static int coroutine_fn qcow2_io_extent(BlockDriverState *bs, int64_t offset,
                                        int64_t bytes, Qcow2Extent *x)
{
    BDRVQcow2State *s = bs->opaque;
    int64_t in_cluster = offset & (s->cluster_size - 1);
    int ret = qcow2_get_l2_entry(bs, offset, &x->l2e);

    if (ret < 0) {
        return ret;
    }
    x->type = qcow2_entry_type(s, x->l2e);
    x->host = (x->l2e & QCOW2_L2E_OFFSET_MASK) + in_cluster;
    x->bytes = MIN(bytes, s->cluster_size - in_cluster);
    while (x->bytes < bytes) {
        uint64_t l2e;

        ret = qcow2_get_l2_entry(bs, offset + x->bytes, &l2e);
        if (ret < 0) {
            return ret;
        }
        if (!qcow2_io_continues(s, x, l2e, x->bytes)) {
            break;
        }
        x->bytes = MIN(bytes, x->bytes + s->cluster_size);
    }
    return 0;
}

static int coroutine_fn qcow2_io_read_compressed(BlockDriverState *bs,
                                                 uint64_t l2e,
                                                 int64_t in_cluster,
                                                 int64_t bytes,
                                                 QEMUIOVector *qiov,
                                                 size_t qiov_offset)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t coffset = l2e & s->cluster_offset_mask;
    int64_t csize = (((l2e >> s->csize_shift) & s->csize_mask) + 1) * 512 -
                    (coffset & 511);
    g_autofree uint8_t *in = g_malloc(csize);
    g_autofree uint8_t *out = g_malloc(s->cluster_size);
    int ret;

    BLKDBG_CO_EVENT(bs->file, BLKDBG_READ_COMPRESSED);
    ret = bdrv_co_pread(bs->file, coffset, csize, in, 0);
    if (ret < 0) {
        return ret;
    }
    if (qcow2_decompress(s->compression_type, out, s->cluster_size, in,
                         csize) < 0) {
        return qcow2_signal_corruption(bs, coffset, csize, "Compressed "
                                       "cluster at %#" PRIx64 " cannot be "
                                       "decompressed", coffset);
    }
    qemu_iovec_from_buf(qiov, qiov_offset, out + in_cluster, bytes);
    return 0;
}

/* With the lock held; @unlock: data clusters are read without it */
static int coroutine_fn qcow2_io_read_locked(BlockDriverState *bs,
                                             int64_t offset, int64_t bytes,
                                             QEMUIOVector *qiov,
                                             size_t qiov_offset, bool unlock)
{
    BDRVQcow2State *s = bs->opaque;

    while (bytes > 0) {
        Qcow2Extent x;
        int ret = qcow2_io_extent(bs, offset, bytes, &x);

        if (ret < 0) {
            return ret;
        }
        switch (x.type) {
        case QCOW2_CLUSTER_UNALLOCATED:
            if (bs->backing) {
                BLKDBG_CO_EVENT(bs->file, BLKDBG_READ_BACKING_AIO);
                ret = bdrv_co_preadv_part(bs->backing, offset, x.bytes, qiov,
                                          qiov_offset, 0);
                break;
            }
            /* fall through */
        case QCOW2_CLUSTER_ZERO_PLAIN:
        case QCOW2_CLUSTER_ZERO_ALLOC:
            qemu_iovec_memset(qiov, qiov_offset, 0, x.bytes);
            break;
        case QCOW2_CLUSTER_NORMAL:
            if (unlock) {
                ret = qcow2_io_unlocked(bs, false, x.host, x.bytes, qiov,
                                        qiov_offset);
                break;
            }
            BLKDBG_CO_EVENT(bs->file, BLKDBG_READ_AIO);
            ret = bdrv_co_preadv_part(bs->file, x.host, x.bytes, qiov,
                                      qiov_offset, 0);
            break;
        case QCOW2_CLUSTER_COMPRESSED:
            ret = qcow2_io_read_compressed(bs, x.l2e,
                                           offset & (s->cluster_size - 1),
                                           x.bytes, qiov, qiov_offset);
            break;
        }
        if (ret < 0) {
            return ret;
        }
        offset += x.bytes;
        bytes -= x.bytes;
        qiov_offset += x.bytes;
    }
    return 0;
}

int coroutine_fn qcow2_co_preadv_part(BlockDriverState *bs, int64_t offset,
                                      int64_t bytes, QEMUIOVector *qiov,
                                      size_t qiov_offset,
                                      BdrvRequestFlags flags)
{
    BDRVQcow2State *s = bs->opaque;
    int ret;

    qemu_co_mutex_lock(&s->lock);
    ret = qcow2_io_read_locked(bs, offset, bytes, qiov, qiov_offset, true);
    qemu_co_mutex_unlock(&s->lock);
    return ret;
}

/*
 * Write [offset, offset + bytes) (inside one guest cluster) to a newly
 * allocated cluster: the rest of the cluster is copied from what it reads
 * as now.  The old mapping's references are dropped.
 */
static int coroutine_fn qcow2_io_write_new(BlockDriverState *bs,
                                           int64_t offset, int64_t bytes,
                                           QEMUIOVector *qiov,
                                           size_t qiov_offset, uint64_t old)
{
    BDRVQcow2State *s = bs->opaque;
    int64_t start = offset & ~(s->cluster_size - 1);
    int64_t in_cluster = offset - start;
    g_autofree uint8_t *buf = NULL;
    int64_t host;
    int ret;

    /* The L2 table first: data clusters then follow each other */
    ret = qcow2_prepare_l2(bs, offset);
    if (ret < 0) {
        return ret;
    }
    host = qcow2_alloc_clusters(bs, 1);
    if (host < 0) {
        return host;
    }
    ret = qcow2_pre_write_check(bs, 0, host, s->cluster_size);
    if (ret < 0) {
        return ret;
    }
    if (bytes == s->cluster_size) {
        BLKDBG_CO_EVENT(bs->file, BLKDBG_WRITE_AIO);
        ret = bdrv_co_pwritev_part(bs->file, host, bytes, qiov, qiov_offset,
                                   0);
    } else {
        QEMUIOVector cow;

        buf = qemu_try_blockalign(bs->file->bs, s->cluster_size);
        if (!buf) {
            ret = -ENOMEM;
            goto fail;
        }
        qemu_iovec_init_buf(&cow, buf, s->cluster_size);
        BLKDBG_CO_EVENT(bs->file, BLKDBG_COW_READ);
        ret = qcow2_io_read_locked(bs, start, s->cluster_size, &cow, 0,
                                   false);
        if (ret < 0) {
            qemu_vfree(g_steal_pointer(&buf));
            goto fail;
        }
        qemu_iovec_to_buf(qiov, qiov_offset, buf + in_cluster, bytes);
        BLKDBG_CO_EVENT(bs->file, BLKDBG_COW_WRITE);
        ret = bdrv_co_pwrite(bs->file, host, s->cluster_size, buf, 0);
        qemu_vfree(g_steal_pointer(&buf));
    }
    if (ret == 0) {
        ret = qcow2_set_l2_entry(bs, offset, host | QCOW2_OFLAG_COPIED);
    }
    if (ret == 0) {
        if (old & QCOW2_L2E_OFFSET_MASK) {
            qcow2_io_wait_data_idle(s);
        }
        qcow2_free_entry(bs, old);
        return 0;
    }
fail:
    qcow2_free_clusters(bs, host, s->cluster_size);
    return ret;
}

typedef struct Qcow2IoAlloc {
    int64_t start;                  /* guest cluster */
    struct Qcow2IoAlloc *next;
} Qcow2IoAlloc;

static bool qcow2_io_alloc_busy(BDRVQcow2State *s, int64_t offset)
{
    int64_t start = offset & ~(s->cluster_size - 1);

    for (Qcow2IoAlloc *a = s->allocs; a; a = a->next) {
        if (a->start == start) {
            return true;
        }
    }
    return false;
}

static void qcow2_io_alloc_end(BDRVQcow2State *s, Qcow2IoAlloc *done)
{
    for (Qcow2IoAlloc **p = &s->allocs; *p; p = &(*p)->next) {
        if (*p == done) {
            *p = done->next;
            break;
        }
    }
    qemu_co_queue_restart_all(&s->alloc_done);
}

/*
 * Write the whole guest cluster at @offset to a new cluster: allocated
 * under the lock, the data written without it (other requests go on),
 * then the L2 entry set. Writes to the same guest cluster wait meanwhile;
 * a zero write or discard of it in between is simply overwritten.
 */
static int coroutine_fn qcow2_io_write_whole(BlockDriverState *bs,
                                             int64_t offset,
                                             QEMUIOVector *qiov,
                                             size_t qiov_offset)
{
    BDRVQcow2State *s = bs->opaque;
    Qcow2IoAlloc alloc = { .start = offset, .next = s->allocs };
    uint64_t old;
    int64_t host;
    int ret = qcow2_prepare_l2(bs, offset);

    if (ret < 0) {
        return ret;
    }
    host = qcow2_alloc_clusters(bs, 1);
    if (host < 0) {
        return host;
    }
    ret = qcow2_pre_write_check(bs, 0, host, s->cluster_size);
    if (ret == 0) {
        s->allocs = &alloc;
        ret = qcow2_io_unlocked(bs, true, host, s->cluster_size, qiov,
                                qiov_offset);
        if (ret == 0) {
            ret = qcow2_get_l2_entry(bs, offset, &old);
        }
        if (ret == 0) {
            ret = qcow2_set_l2_entry(bs, offset, host | QCOW2_OFLAG_COPIED);
        }
        qcow2_io_alloc_end(s, &alloc);
    }
    if (ret < 0) {
        qcow2_free_clusters(bs, host, s->cluster_size);
        return ret;
    }
    if (old & QCOW2_L2E_OFFSET_MASK) {
        qcow2_io_wait_data_idle(s);
    }
    qcow2_free_entry(bs, old);
    return 0;
}

static int coroutine_fn qcow2_io_write_locked(BlockDriverState *bs,
                                              int64_t offset, int64_t bytes,
                                              QEMUIOVector *qiov,
                                              size_t qiov_offset)
{
    BDRVQcow2State *s = bs->opaque;

    while (bytes > 0) {
        Qcow2Extent x;
        int ret;

        /* An extent ends before any other cluster being allocated */
        while (qcow2_io_alloc_busy(s, offset)) {
            qemu_co_queue_wait(&s->alloc_done, &s->lock);
        }
        ret = qcow2_io_extent(bs, offset, bytes, &x);
        if (ret < 0) {
            return ret;
        }
        if (x.type == QCOW2_CLUSTER_NORMAL &&
            (x.l2e & QCOW2_OFLAG_COPIED)) {
            ret = qcow2_pre_write_check(bs, 0, x.host, x.bytes);
            if (ret == 0) {
                ret = qcow2_io_unlocked(bs, true, x.host, x.bytes, qiov,
                                        qiov_offset);
            }
        } else {
            x.bytes = MIN(x.bytes, s->cluster_size -
                          (offset & (s->cluster_size - 1)));
            if (x.bytes == s->cluster_size) {
                ret = qcow2_io_write_whole(bs, offset, qiov, qiov_offset);
            } else {
                ret = qcow2_io_write_new(bs, offset, x.bytes, qiov,
                                         qiov_offset, x.l2e);
            }
        }
        if (ret < 0) {
            return ret;
        }
        offset += x.bytes;
        bytes -= x.bytes;
        qiov_offset += x.bytes;
    }
    return 0;
}

int coroutine_fn qcow2_co_pwritev_part(BlockDriverState *bs, int64_t offset,
                                       int64_t bytes, QEMUIOVector *qiov,
                                       size_t qiov_offset,
                                       BdrvRequestFlags flags)
{
    BDRVQcow2State *s = bs->opaque;
    int ret;

    qemu_co_mutex_lock(&s->lock);
    ret = qcow2_io_write_locked(bs, offset, bytes, qiov, qiov_offset);
    qemu_co_mutex_unlock(&s->lock);
    return ret;
}

/*
 * Make whole clusters of [offset, offset + bytes) read as zeroes (v3):
 * the zero flag, keeping a private allocation unless @unmap.
 */
static int coroutine_fn qcow2_io_zero_clusters(BlockDriverState *bs,
                                               int64_t offset, int64_t bytes,
                                               bool unmap)
{
    BDRVQcow2State *s = bs->opaque;

    for (int64_t off = offset; off < offset + bytes; off += s->cluster_size) {
        uint64_t old, new = QCOW2_OFLAG_ZERO;
        Qcow2ClusterType t;
        int ret = qcow2_get_l2_entry(bs, off, &old);

        if (ret < 0) {
            return ret;
        }
        t = qcow2_entry_type(s, old);
        if (t == QCOW2_CLUSTER_ZERO_PLAIN ||
            (t == QCOW2_CLUSTER_ZERO_ALLOC && !unmap)) {
            continue;
        }
        if (!unmap && (old & QCOW2_OFLAG_COPIED) &&
            t == QCOW2_CLUSTER_NORMAL) {
            new = (old & QCOW2_L2E_OFFSET_MASK) | QCOW2_OFLAG_COPIED |
                  QCOW2_OFLAG_ZERO;
        }
        ret = qcow2_set_l2_entry(bs, off, new);
        if (ret < 0) {
            return ret;
        }
        if (!(new & QCOW2_L2E_OFFSET_MASK)) {
            qcow2_free_entry(bs, old);
        }
    }
    return 0;
}

/* Does [offset, offset + bytes) cover whole clusters (or reach the end)? */
static bool qcow2_io_whole_clusters(BlockDriverState *bs, int64_t offset,
                                    int64_t *bytes)
{
    BDRVQcow2State *s = bs->opaque;
    int64_t end = offset + *bytes;

    if (offset & (s->cluster_size - 1)) {
        return false;
    }
    if (end >= (int64_t)s->disk_size) {
        end = ROUND_UP(end, s->cluster_size);
    }
    if (end & (s->cluster_size - 1)) {
        return false;
    }
    *bytes = end - offset;
    return true;
}

int coroutine_fn qcow2_co_pwrite_zeroes(BlockDriverState *bs, int64_t offset,
                                        int64_t bytes, BdrvRequestFlags flags)
{
    BDRVQcow2State *s = bs->opaque;
    int ret;

    if (s->version < 3 || !qcow2_io_whole_clusters(bs, offset, &bytes)) {
        return -ENOTSUP;
    }
    qemu_co_mutex_lock(&s->lock);
    qcow2_io_wait_data_idle(s);
    ret = qcow2_io_zero_clusters(bs, offset, bytes,
                                 flags & BDRV_REQ_MAY_UNMAP);
    qemu_co_mutex_unlock(&s->lock);
    return ret;
}

/* Discard: v3 clusters read as zeroes afterwards, v2 ones are unmapped */
static int coroutine_fn qcow2_io_discard_v2(BlockDriverState *bs,
                                            int64_t offset, int64_t bytes)
{
    BDRVQcow2State *s = bs->opaque;

    for (int64_t off = offset; off < offset + bytes; off += s->cluster_size) {
        uint64_t old;
        int ret = qcow2_get_l2_entry(bs, off, &old);

        if (ret == 0 && old) {
            ret = qcow2_set_l2_entry(bs, off, 0);
        }
        if (ret < 0) {
            return ret;
        }
        qcow2_free_entry(bs, old);
    }
    return 0;
}

int coroutine_fn qcow2_co_pdiscard(BlockDriverState *bs, int64_t offset,
                                   int64_t bytes)
{
    BDRVQcow2State *s = bs->opaque;
    int ret;

    if (!qcow2_io_whole_clusters(bs, offset, &bytes)) {
        return -ENOTSUP;
    }
    qemu_co_mutex_lock(&s->lock);
    qcow2_io_wait_data_idle(s);
    if (s->version >= 3) {
        ret = qcow2_io_zero_clusters(bs, offset, bytes, true);
    } else {
        ret = qcow2_io_discard_v2(bs, offset, bytes);
    }
    qemu_co_mutex_unlock(&s->lock);
    return ret;
}

int coroutine_fn qcow2_co_block_status(BlockDriverState *bs, bool want_zero,
                                       int64_t offset, int64_t bytes,
                                       int64_t *pnum, int64_t *map,
                                       BlockDriverState **file)
{
    BDRVQcow2State *s = bs->opaque;
    Qcow2Extent x;
    int ret;

    qemu_co_mutex_lock(&s->lock);
    ret = qcow2_io_extent(bs, offset, bytes, &x);
    qemu_co_mutex_unlock(&s->lock);
    if (ret < 0) {
        return ret;
    }
    *pnum = x.bytes;
    switch (x.type) {
    case QCOW2_CLUSTER_UNALLOCATED:
        return 0;
    case QCOW2_CLUSTER_ZERO_PLAIN:
        return BDRV_BLOCK_ZERO;
    case QCOW2_CLUSTER_COMPRESSED:
        return BDRV_BLOCK_DATA | BDRV_BLOCK_COMPRESSED;
    case QCOW2_CLUSTER_ZERO_ALLOC:
        ret = BDRV_BLOCK_ZERO;
        break;
    default:
        ret = BDRV_BLOCK_DATA;
        break;
    }
    *map = x.host;
    *file = bs->file->bs;
    return ret | BDRV_BLOCK_OFFSET_VALID;
}
