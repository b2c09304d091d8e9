/*
 * qcow2 guest I/O: reads (backing file, zeroes, data, compressed data),
 * writes that allocate clusters with copy-on-write of the parts of a
 * cluster the request does not cover, zero writes, discard, block status.
 * Requests hold the driver's lock for metadata; guest data I/O runs
 * without it (qcow2-inflight.c), and a guest cluster being allocated is
 * busy: whatever else changes its mapping waits.
 */
#include "qcow2.h"

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

/*
 * Does entry @i of @l2es continue @x as cheaply as can be told: 0 in an
 * unallocated extent, or in an allocated one the next host cluster after
 * entry @i - 1 with the same flags (as valid as that entry was)
 */
static bool qcow2_io_run_continues(BDRVQcow2State *s, const Qcow2Extent *x,
                                   const uint64_t *l2es, int64_t i)
{
    if (!x->bytes) {
        return false;
    }
    if (x->type == QCOW2_CLUSTER_UNALLOCATED) {
        return !l2es[i];
    }
    return i > 0 && (x->type == QCOW2_CLUSTER_NORMAL ||
                     x->type == QCOW2_CLUSTER_ZERO_ALLOC) &&
           l2es[i] - l2es[i - 1] == (uint64_t)s->cluster_size &&
           !((l2es[i] ^ l2es[i - 1]) & ~QCOW2_L2E_OFFSET_MASK);
}

/* Entries looked up at once: one L2 table look-up per batch, not per cluster */
#define QCOW2_IO_BATCH 64

/* Is the L2 table mapping @offset absent (all of its clusters unallocated)? */
static bool qcow2_io_no_l2(BDRVQcow2State *s, uint64_t offset)
{
    uint64_t l1_index = offset >> (s->l2_bits + s->cluster_bits);

    return l1_index >= s->l1_size ||
           !(s->l1_table[l1_index] & QCOW2_L1E_OFFSET_MASK);
}

/* Extend @x by up to one batch of clusters from guest offset @pos */
static int coroutine_fn qcow2_io_extend(BlockDriverState *bs, uint64_t pos,
                                        int64_t in_cluster, int64_t bytes,
                                        Qcow2Extent *x, bool *done)
{
    BDRVQcow2State *s = bs->opaque;
    int64_t index = (pos >> s->cluster_bits) & (s->l2_size - 1);
    int64_t left = DIV_ROUND_UP(in_cluster + bytes, s->cluster_size) -
                   DIV_ROUND_UP(in_cluster + x->bytes, s->cluster_size);
    int64_t n = MIN(MIN(s->l2_size - index, QCOW2_IO_BATCH), MAX(left, 1));
    uint64_t l2es[QCOW2_IO_BATCH];
    uint64_t l2_offset;
    int ret;

    if (x->bytes && x->type == QCOW2_CLUSTER_UNALLOCATED &&
        qcow2_io_no_l2(s, pos)) {
        /* A whole L2 table's worth of unallocated clusters at once */
        x->bytes = MIN(bytes, x->bytes + (s->l2_size - index) *
                                         s->cluster_size);
        return 0;
    }
    ret = qcow2_get_l2_entries(bs, pos, n, l2es, &l2_offset);
    if (ret < 0) {
        return ret;
    }
    for (int64_t i = 0; i < n && x->bytes < bytes; i++) {
        if (qcow2_io_run_continues(s, x, l2es, i)) {
            /* A run of unallocated or contiguous clusters, fewer tests */
            int64_t j = x->type == QCOW2_CLUSTER_UNALLOCATED ?
                        qcow2_next_nonzero_entry(l2es, i, n, 1) : i + 1;

            x->bytes = MIN(bytes, x->bytes + (j - i) * s->cluster_size);
            i = j - 1;
            continue;
        }
        /* Only the entries the extent reaches are checked */
        ret = l2_offset ? qcow2_validate_l2_entry(bs, l2_offset, index + i,
                                                  l2es[i], 0) : 0;
        if (ret < 0) {
            return ret;
        }
        if (!x->bytes) {
            x->l2e = l2es[0];
            x->type = qcow2_entry_type(s, x->l2e);
            x->host = (x->l2e & QCOW2_L2E_OFFSET_MASK) + in_cluster;
            x->bytes = MIN(bytes, s->cluster_size - in_cluster);
        } else if (!qcow2_io_continues(s, x, l2es[i], x->bytes)) {
            *done = true;
            return 0;
        } else {
            x->bytes = MIN(bytes, x->bytes + s->cluster_size);
        }
    }
    return 0;
}

/* The mapping of [offset, offset + bytes) up to where it changes */
static int coroutine_fn qcow2_io_extent(BlockDriverState *bs, int64_t offset,
                                        int64_t bytes, Qcow2Extent *x)
{
    BDRVQcow2State *s = bs->opaque;
    int64_t in_cluster = offset & (s->cluster_size - 1);
    bool done = false;

    if (s->extended_l2) {
        return qcow2_sc_extent(bs, offset, bytes, x);
    }
    x->bytes = 0;
    while (!done && x->bytes < bytes) {
        int ret = qcow2_io_extend(bs, offset + x->bytes, in_cluster, bytes, x,
                                  &done);

        if (ret < 0) {
            return ret;
        }
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

int coroutine_fn qcow2_io_read_locked(BlockDriverState *bs, int64_t offset,
                                      int64_t bytes, QEMUIOVector *qiov,
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
            if (bs->backing && unlock) {
                ret = qcow2_io_unlocked(bs, bs->backing, false, offset,
                                        x.bytes, qiov, qiov_offset);
                break;
            }
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
                ret = qcow2_io_unlocked(bs, qcow2_data_child(bs), false,
                                        x.host, x.bytes, qiov, qiov_offset);
                break;
            }
            BLKDBG_CO_EVENT(bs->file, BLKDBG_READ_AIO);
            ret = bdrv_co_preadv_part(qcow2_data_child(bs), x.host, x.bytes,
                                      qiov, qiov_offset, 0);
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

/* Does a guest cluster mapped by @l2e read as zeroes? */
static bool qcow2_io_reads_zero(BlockDriverState *bs, uint64_t l2e)
{
    switch (qcow2_entry_type(bs->opaque, l2e)) {
    case QCOW2_CLUSTER_UNALLOCATED:
        return !bs->backing;
    case QCOW2_CLUSTER_ZERO_PLAIN:
    case QCOW2_CLUSTER_ZERO_ALLOC:
        return true;
    default:
        return false;
    }
}

/*
 * The guest cluster at @start as it reads now with [offset, offset + bytes)
 * of @qiov over it, written to @host (the lock dropped for the I/O); if
 * @zero, @host and the cluster read as zeroes: only @qiov's bytes go
 */
static int coroutine_fn qcow2_io_write_cow(BlockDriverState *bs,
                                           int64_t offset, int64_t bytes,
                                           QEMUIOVector *qiov,
                                           size_t qiov_offset, int64_t host,
                                           bool zero)
{
    BDRVQcow2State *s = bs->opaque;
    int64_t start = offset & ~(s->cluster_size - 1);
    /* A data file ends with the disk */
    int64_t len = MIN(s->cluster_size, s->data_file ?
                      (int64_t)s->disk_size - start : s->cluster_size);
    uint8_t *buf;
    QEMUIOVector cow;
    int ret;

    if (zero) {
        /* Cluster and copy read as zeroes: the guest's bytes are all */
        return qcow2_io_unlocked(bs, bs->file, true, host + (offset - start),
                                 bytes, qiov, qiov_offset);
    }
    buf = qemu_try_blockalign(bs->file->bs, s->cluster_size);
    if (!buf) {
        return -ENOMEM;
    }
    qemu_iovec_init_buf(&cow, buf, s->cluster_size);
    BLKDBG_CO_EVENT(bs->file, BLKDBG_COW_READ);
    ret = qcow2_io_read_locked(bs, start, s->cluster_size, &cow, 0, true);
    if (ret == 0) {
        qemu_iovec_to_buf(qiov, qiov_offset, buf + (offset - start), bytes);
        BLKDBG_CO_EVENT(bs->file, BLKDBG_COW_WRITE);
        /* (the guest's data goes with the copied parts: a data write too) */
        qemu_iovec_init_buf(&cow, buf, len);
        ret = qcow2_io_unlocked(bs, qcow2_data_child(bs), true, host, len,
                                &cow, 0);
    }
    qemu_vfree(buf);
    return ret;
}

/*
 * Write [offset, offset + bytes) (inside one guest cluster) to a newly
 * allocated cluster: the rest of the cluster is copied from what it reads
 * as now.  The data I/O runs without the lock, the guest cluster busy
 * meanwhile; then the mapping is set and the old one's references dropped.
 */
static int coroutine_fn qcow2_io_write_new(BlockDriverState *bs,
                                           int64_t offset, int64_t bytes,
                                           QEMUIOVector *qiov,
                                           size_t qiov_offset)
{
    BDRVQcow2State *s = bs->opaque;
    int64_t start = offset & ~(s->cluster_size - 1);
    Qcow2Inflight alloc;
    uint64_t old, fresh = s->fresh_from;
    int64_t host;
    bool zero;
    int ret;

    /* The L2 table first: data clusters then follow each other */
    ret = qcow2_prepare_l2(bs, offset);
    if (ret == 0) {
        ret = qcow2_get_l2_entry(bs, offset, &old);
    }
    if (ret < 0) {
        return ret;
    }
    zero = qcow2_io_reads_zero(bs, old);
    /* A data file holds the cluster at its guest offset, unrefcounted */
    host = s->data_file ? start : qcow2_alloc_clusters(bs, 1);
    if (host < 0) {
        return host;
    }
    ret = s->data_file ? 0 : qcow2_pre_write_check(bs, 0, host,
                                                    s->cluster_size);
    if (ret < 0) {
        goto fail;
    }
    /* A cluster the file never had since open reads as zeroes */
    zero = zero && !s->data_file && (uint64_t)host >= fresh;
    qcow2_io_alloc_begin(bs, &alloc, offset);
    if (bytes == s->cluster_size) {
        ret = qcow2_io_unlocked(bs, qcow2_data_child(bs), true, host, bytes,
                                qiov, qiov_offset);
    } else {
        ret = qcow2_io_write_cow(bs, offset, bytes, qiov, qiov_offset, host,
                                 zero);
    }
    /* The mapping as it is now: nothing else changed it while busy */
    if (ret == 0) {
        ret = qcow2_get_l2_entry(bs, offset, &old);
    }
    if (ret == 0) {
        ret = qcow2_set_l2_entry_ext(bs, offset, host | QCOW2_OFLAG_COPIED,
                                     s->extended_l2 ? QCOW2_BITMAP_ALL_ALLOC
                                                    : 0);
    }
    qcow2_io_alloc_end(bs, &alloc);
    if (ret == 0) {
        qcow2_free_entry(bs, old, QCOW2_DISCARD_NEVER);
        return 0;
    }
fail:
    if (!s->data_file) {
        qcow2_free_clusters(bs, host, s->cluster_size, QCOW2_DISCARD_NEVER);
    }
    return ret;
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

        /* A cluster being allocated is never NORMAL and COPIED, so an
         * extent found after this wait holds none of them */
        qcow2_io_wait_alloc(bs, offset, 1);
        ret = qcow2_io_extent(bs, offset, bytes, &x);
        if (ret < 0) {
            return ret;
        }
        if (x.type == QCOW2_CLUSTER_NORMAL &&
            (x.l2e & QCOW2_OFLAG_COPIED)) {
            ret = s->data_file ? 0 : qcow2_pre_write_check(bs, 0, x.host,
                                                            x.bytes);
            if (ret == 0) {
                if (!s->data_file) {
                    qcow2_file_written(s, x.host + x.bytes);
                }
                ret = qcow2_io_unlocked(bs, qcow2_data_child(bs), true,
                                        x.host, x.bytes, qiov, qiov_offset);
            }
        } else {
            x.bytes = MIN(x.bytes, s->cluster_size -
                          (offset & (s->cluster_size - 1)));
            /* Subclusters are allocated one by one, a whole cluster at once */
            ret = s->extended_l2 && x.bytes < s->cluster_size ?
                  qcow2_sc_write(bs, offset, x.bytes, qiov, qiov_offset) :
                  qcow2_io_write_new(bs, offset, x.bytes, qiov, qiov_offset);
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
 * Store @len compressed bytes of @out as guest cluster @offset: the data
 * reaches the file before the L2 entry names it.
 */
static int coroutine_fn qcow2_io_store_compressed(BlockDriverState *bs,
                                                  int64_t offset,
                                                  const uint8_t *out,
                                                  int64_t len)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t old, l2e, nsect;
    int64_t host;
    int ret;

    qcow2_io_wait_alloc(bs, offset, 1);
    ret = qcow2_get_l2_entry(bs, offset, &old);
    if (ret == 0) {
        ret = qcow2_prepare_l2(bs, offset);
    }
    if (ret < 0) {
        return ret;
    }
    host = qcow2_alloc_bytes(bs, len);
    if (host < 0) {
        return host;
    }
    nsect = ((host + len - 1) >> 9) - (host >> 9);
    l2e = QCOW2_OFLAG_COMPRESSED | (nsect << s->csize_shift) | host;
    ret = qcow2_pre_write_check(bs, 0, host, len);
    if (ret == 0 && ((uint64_t)host > (uint64_t)s->cluster_offset_mask ||
                     nsect > s->csize_mask)) {
        ret = -EFBIG;           /* beyond what a descriptor can hold */
    }
    if (ret == 0) {
        BLKDBG_CO_EVENT(bs->file, BLKDBG_WRITE_COMPRESSED);
        ret = bdrv_co_pwrite(bs->file, host, len, out, 0);
    }
    if (ret == 0) {
        BLKDBG_CO_EVENT(bs->file, BLKDBG_L2_UPDATE_COMPRESSED);
        ret = qcow2_set_l2_entry(bs, offset, l2e);
    }
    if (ret == 0) {
        qcow2_free_entry(bs, old, QCOW2_DISCARD_NEVER);
        return 0;
    }
    qcow2_free_entry(bs, l2e, QCOW2_DISCARD_NEVER);
    return ret;
}

/* One guest cluster (shorter at the end of the disk), compressed if smaller */
static int coroutine_fn qcow2_io_write_compressed_one(BlockDriverState *bs,
                                                      int64_t offset,
                                                      int64_t bytes,
                                                      QEMUIOVector *qiov,
                                                      size_t qiov_offset)
{
    BDRVQcow2State *s = bs->opaque;
    g_autofree uint8_t *in = g_malloc0(s->cluster_size);
    g_autofree uint8_t *out = g_malloc(s->cluster_size);
    ssize_t len;
    int ret;

    qemu_iovec_to_buf(qiov, qiov_offset, in, bytes);
    /* Smaller than a cluster, or it is written as it is */
    len = qcow2_compress(s->compression_type, out, s->cluster_size - 1, in,
                         s->cluster_size);
    if (len < 0 && len != -ENOSPC) {
        return len;
    }
    qemu_co_mutex_lock(&s->lock);
    if (len == -ENOSPC) {
        ret = qcow2_io_write_locked(bs, offset, bytes, qiov, qiov_offset);
    } else {
        ret = qcow2_io_store_compressed(bs, offset, out, len);
    }
    qemu_co_mutex_unlock(&s->lock);
    return ret;
}

int coroutine_fn qcow2_co_pwritev_compressed_part(BlockDriverState *bs,
                                                  int64_t offset,
                                                  int64_t bytes,
                                                  QEMUIOVector *qiov,
                                                  size_t qiov_offset)
{
    BDRVQcow2State *s = bs->opaque;

    if (s->data_file) {
        return -ENOTSUP;
    }
    while (bytes > 0) {
        int64_t n = MIN(bytes, s->cluster_size);
        int ret = qcow2_io_write_compressed_one(bs, offset, n, qiov,
                                                qiov_offset);

        if (ret < 0) {
            return ret;
        }
        offset += n;
        bytes -= n;
        qiov_offset += n;
    }
    return 0;
}

/*
 * A guest discard of a cluster the image owned alone: with
 * pass-discard-request its host cluster is discarded in the file too
 * (freed, or kept as preallocation with discard-no-unref).
 */
static void coroutine_fn qcow2_io_pass_discard(BlockDriverState *bs,
                                               uint64_t old, uint64_t new,
                                               bool unmap)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t host = old & QCOW2_L2E_OFFSET_MASK;

    if (!unmap || !s->discard_pass[QCOW2_DISCARD_REQUEST] || s->data_file ||
        qcow2_entry_type(s, old) != QCOW2_CLUSTER_NORMAL ||
        !(old & QCOW2_OFLAG_COPIED)) {
        return;
    }
    if ((new & QCOW2_L2E_OFFSET_MASK) && (new & QCOW2_L2E_OFFSET_MASK) != host) {
        return;
    }
    /* Best effort: the cluster reads as zeroes whatever the file does */
    bdrv_co_pdiscard(bs->file, host, s->cluster_size);
}

/* Before [offset, offset + bytes) is made to read as zeroes */
static int coroutine_fn qcow2_io_zero_prepare(BlockDriverState *bs,
                                              int64_t offset, int64_t bytes)
{
    BDRVQcow2State *s = bs->opaque;

    /* Writes allocating here set their mapping first; those of a data file
     * land first (the callers keep the lock: a data file frees none) */
    qcow2_io_wait_alloc(bs, offset, bytes);
    if (s->data_file) {
        qcow2_io_wait_host(bs, s->data_file, offset, bytes);
    }
    /* A raw data file must read as the disk does */
    if (s->data_file_raw) {
        return bdrv_co_pwrite_zeroes(s->data_file, offset,
                                     MIN(bytes, (int64_t)s->disk_size -
                                         offset), BDRV_REQ_MAY_UNMAP);
    }
    return 0;
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
    int prep = qcow2_io_zero_prepare(bs, offset, bytes);

    if (prep < 0) {
        return prep;
    }
    for (int64_t off = offset; off < offset + bytes; off += s->cluster_size) {
        uint64_t old, new = QCOW2_OFLAG_ZERO;
        Qcow2ClusterType t;
        int ret;

        if (s->extended_l2) {
            ret = qcow2_sc_zero_cluster(bs, off, unmap);
            if (ret < 0) {
                return ret;
            }
            continue;
        }
        ret = qcow2_get_l2_entry(bs, off, &old);
        if (ret < 0) {
            return ret;
        }
        t = qcow2_entry_type(s, old);
        if (t == QCOW2_CLUSTER_ZERO_PLAIN ||
            (t == QCOW2_CLUSTER_ZERO_ALLOC &&
             (!unmap || s->discard_no_unref))) {
            continue;
        }
        if (s->data_file) {
            /* The data file keeps the cluster at its guest offset */
            new = off | QCOW2_OFLAG_COPIED | QCOW2_OFLAG_ZERO;
        } else if ((!unmap || s->discard_no_unref) &&
                   (old & QCOW2_OFLAG_COPIED) && t == QCOW2_CLUSTER_NORMAL) {
            new = (old & QCOW2_L2E_OFFSET_MASK) | QCOW2_OFLAG_COPIED |
                  QCOW2_OFLAG_ZERO;
        }
        ret = qcow2_set_l2_entry(bs, off, new);
        if (ret < 0) {
            return ret;
        }
        if (!(new & QCOW2_L2E_OFFSET_MASK)) {
            qcow2_free_entry(bs, old, QCOW2_DISCARD_REQUEST);
        }
        qcow2_io_pass_discard(bs, old, new, unmap);
    }
    return 0;
}

/*
 * Does [offset, offset + bytes) cover whole units of @unit bytes (or reach
 * the end of the disk)?  Then *bytes is rounded up to a whole unit.
 */
static bool qcow2_io_whole_units(BlockDriverState *bs, int64_t offset,
                                 int64_t *bytes, int64_t unit)
{
    BDRVQcow2State *s = bs->opaque;
    int64_t end = offset + *bytes;

    if (offset & (unit - 1)) {
        return false;
    }
    if (end >= (int64_t)s->disk_size) {
        end = ROUND_UP(end, unit);
    }
    if (end & (unit - 1)) {
        return false;
    }
    *bytes = end - offset;
    return true;
}

static bool qcow2_io_whole_clusters(BlockDriverState *bs, int64_t offset,
                                    int64_t *bytes)
{
    BDRVQcow2State *s = bs->opaque;

    return qcow2_io_whole_units(bs, offset, bytes, s->cluster_size);
}

/*
 * Extended L2 entries: zero whole subclusters.  The parts of a cluster a
 * request covers get their zero bits (the cluster keeps its host cluster
 * for the other subclusters), whole clusters go as without subclusters.
 */
static int coroutine_fn qcow2_io_zero_subclusters(BlockDriverState *bs,
                                                  int64_t offset,
                                                  int64_t bytes, bool unmap)
{
    BDRVQcow2State *s = bs->opaque;
    int64_t end = offset + bytes;
    int64_t mid = MIN(ROUND_UP(offset, s->cluster_size), end);
    int64_t tail = MAX(ROUND_DOWN(end, s->cluster_size), mid);
    int ret = 0;

    if (offset < mid) {
        ret = qcow2_io_zero_prepare(bs, offset, mid - offset);
        ret = ret < 0 ? ret : qcow2_sc_zero_range(bs, offset, mid - offset);
    }
    if (ret == 0 && mid < tail) {
        ret = qcow2_io_zero_clusters(bs, mid, tail - mid, unmap);
    }
    if (ret == 0 && tail < end) {
        ret = qcow2_io_zero_prepare(bs, tail, end - tail);
        ret = ret < 0 ? ret : qcow2_sc_zero_range(bs, tail, end - tail);
    }
    return ret;
}

int coroutine_fn qcow2_co_pwrite_zeroes(BlockDriverState *bs, int64_t offset,
                                        int64_t bytes, BdrvRequestFlags flags)
{
    BDRVQcow2State *s = bs->opaque;
    int ret;

    if (s->version < 3) {
        return -ENOTSUP;
    }
    if (qcow2_io_whole_clusters(bs, offset, &bytes)) {
        qemu_co_mutex_lock(&s->lock);
        ret = qcow2_io_zero_clusters(bs, offset, bytes,
                                     flags & BDRV_REQ_MAY_UNMAP);
        qemu_co_mutex_unlock(&s->lock);
        return ret;
    }
    if (!s->extended_l2 ||
        !qcow2_io_whole_units(bs, offset, &bytes, 1LL << s->subcluster_bits)) {
        return -ENOTSUP;
    }
    qemu_co_mutex_lock(&s->lock);
    ret = qcow2_io_zero_subclusters(bs, offset, bytes,
                                    flags & BDRV_REQ_MAY_UNMAP);
    qemu_co_mutex_unlock(&s->lock);
    return ret;
}

/* Discard: v3 clusters read as zeroes afterwards, v2 ones are unmapped */
static int coroutine_fn qcow2_io_discard_v2(BlockDriverState *bs,
                                            int64_t offset, int64_t bytes)
{
    BDRVQcow2State *s = bs->opaque;

    qcow2_io_wait_alloc(bs, offset, bytes);
    for (int64_t off = offset; off < offset + bytes; off += s->cluster_size) {
        uint64_t old;
        int ret = qcow2_get_l2_entry(bs, off, &old);

        if (ret == 0 && old) {
            ret = qcow2_set_l2_entry(bs, off, 0);
        }
        if (ret < 0) {
            return ret;
        }
        qcow2_free_entry(bs, old, QCOW2_DISCARD_REQUEST);
        qcow2_io_pass_discard(bs, old, 0, true);
    }
    return 0;
}

int coroutine_fn qcow2_co_pdiscard(BlockDriverState *bs, int64_t offset,
                                   int64_t bytes)
{
    BDRVQcow2State *s = bs->opaque;
    int ret;

    /* v2 has no zero flag: unmapping would expose the backing file */
    if (!qcow2_io_whole_clusters(bs, offset, &bytes) ||
        (s->version < 3 && bs->backing)) {
        return -ENOTSUP;
    }
    qemu_co_mutex_lock(&s->lock);
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
    *file = qcow2_data_child(bs)->bs;
    return ret | BDRV_BLOCK_OFFSET_VALID;
}
