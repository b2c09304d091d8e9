/*
 * qcow2 extended L2 entries: each standard cluster is 32 subclusters,
 * with an allocation bit and a zero bit each in the entry's second word.
 * Reads go by runs of subclusters of one kind; a write to subclusters
 * that are not allocated allocates only those it touches (copying the
 * uncovered parts of its first and last subcluster), unless the cluster
 * is shared or compressed, which is copied whole.
 */
#include "qcow2.h"

/* Bits [first, last] of a 32-bit allocation bitmap */
static uint64_t qcow2_sc_mask(int first, int last)
{
    return ((1ULL << (last + 1)) - 1) & ~((1ULL << first) - 1);
}

int coroutine_fn qcow2_sc_check_bitmap(BlockDriverState *bs, uint64_t l2e,
                                       uint64_t bitmap, uint64_t l2_offset,
                                       int64_t index)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t alloc = bitmap & QCOW2_BITMAP_ALL_ALLOC, zero = bitmap >> 32;
    bool host = (l2e & QCOW2_L2E_OFFSET_MASK) ||
                (s->data_file && (l2e & QCOW2_OFLAG_COPIED));
    const char *why = NULL;

    if (l2e & QCOW2_OFLAG_COMPRESSED) {
        why = bitmap ? "compressed cluster with a subcluster bitmap" : NULL;
    } else if (l2e & QCOW2_OFLAG_ZERO) {
        why = "zero flag set";
    } else if (alloc & zero) {
        why = "subclusters both allocated and zero";
    } else if (alloc && !host) {
        why = "allocated subclusters without a host cluster";
    }
    if (!why) {
        return 0;
    }
    return qcow2_signal_corruption(bs, l2_offset + index * 16, 16,
                                   "Invalid extended L2 entry %#" PRIx64
                                   " bitmap %#" PRIx64 " (L2 offset: %#"
                                   PRIx64 ", L2 index: %#" PRIx64 "): %s",
                                   l2e, bitmap, l2_offset, index, why);
}

static Qcow2ClusterType qcow2_sc_type(uint64_t bitmap, int sc)
{
    if (bitmap & (1ULL << sc)) {
        return QCOW2_CLUSTER_NORMAL;
    }
    return (bitmap >> 32) & (1ULL << sc) ? QCOW2_CLUSTER_ZERO_PLAIN
                                         : QCOW2_CLUSTER_UNALLOCATED;
}

int coroutine_fn qcow2_sc_extent(BlockDriverState *bs, int64_t offset,
                                 int64_t bytes, Qcow2Extent *x)
{
    BDRVQcow2State *s = bs->opaque;
    int64_t in = offset & (s->cluster_size - 1);
    int sc = in >> s->subcluster_bits, end = sc + 1;
    uint64_t bitmap;
    int ret = qcow2_get_l2_entry_ext(bs, offset, &x->l2e, &bitmap);

    if (ret < 0) {
        return ret;
    }
    x->host = (x->l2e & QCOW2_L2E_OFFSET_MASK) + in;
    if (x->l2e & QCOW2_OFLAG_COMPRESSED) {
        x->type = QCOW2_CLUSTER_COMPRESSED;
        x->bytes = MIN(bytes, s->cluster_size - in);
        return 0;
    }
    x->type = qcow2_sc_type(bitmap, sc);
    while (end < QCOW2_SUBCLUSTERS && qcow2_sc_type(bitmap, end) == x->type) {
        end++;
    }
    x->bytes = MIN(bytes, ((int64_t)end << s->subcluster_bits) - in);
    return 0;
}

/*
 * The host cluster a write to the cluster of @l2e goes to: its own when
 * the image owns it alone (*whole false), else a new one (*fresh), which
 * gets the whole cluster when the old one had data (shared, compressed).
 */
static int64_t coroutine_fn qcow2_sc_target(BlockDriverState *bs,
                                            int64_t start, uint64_t l2e,
                                            bool *whole, bool *fresh)
{
    BDRVQcow2State *s = bs->opaque;
    bool has_host = (l2e & QCOW2_L2E_OFFSET_MASK) ||
                    (s->data_file && (l2e & QCOW2_OFLAG_COPIED));

    *whole = *fresh = false;
    if (!(l2e & QCOW2_OFLAG_COMPRESSED) && has_host &&
        (l2e & QCOW2_OFLAG_COPIED)) {
        return l2e & QCOW2_L2E_OFFSET_MASK;
    }
    *whole = (l2e & QCOW2_OFLAG_COMPRESSED) || has_host;
    if (s->data_file) {
        return start;
    }
    *fresh = true;
    return qcow2_alloc_clusters(bs, 1);
}

/* Write @buf (bytes [rs, re) of the cluster at @start) to @host */
static int coroutine_fn qcow2_sc_store(BlockDriverState *bs, int64_t host,
                                       int64_t rs, int64_t re,
                                       const uint8_t *buf)
{
    BDRVQcow2State *s = bs->opaque;
    int ret = s->data_file ? 0 : qcow2_pre_write_check(bs, 0, host + rs,
                                                        re - rs);

    if (ret == 0) {
        BLKDBG_CO_EVENT(bs->file, BLKDBG_COW_WRITE);
        ret = bdrv_co_pwrite(qcow2_data_child(bs), host + rs, re - rs, buf,
                             0);
    }
    return ret;
}

int coroutine_fn qcow2_sc_write(BlockDriverState *bs, int64_t offset,
                                int64_t bytes, QEMUIOVector *qiov,
                                size_t qiov_offset)
{
    BDRVQcow2State *s = bs->opaque;
    int64_t start = offset & ~(s->cluster_size - 1), in = offset - start;
    int64_t sc = 1LL << s->subcluster_bits, rs, re, host;
    uint64_t l2e, bitmap;
    g_autofree uint8_t *buf = NULL;
    QEMUIOVector cow;
    bool whole, fresh;
    int ret = qcow2_get_l2_entry_ext(bs, offset, &l2e, &bitmap);

    if (ret == 0) {
        ret = qcow2_prepare_l2(bs, offset);
    }
    if (ret < 0) {
        return ret;
    }
    host = qcow2_sc_target(bs, start, l2e, &whole, &fresh);
    if (host < 0) {
        return host;
    }
    rs = whole ? 0 : ROUND_DOWN(in, sc);
    re = whole ? s->cluster_size : ROUND_UP(in + bytes, sc);
    buf = g_malloc(re - rs);
    /* What the subclusters read as now, then the new data over it */
    qemu_iovec_init_buf(&cow, buf, re - rs);
    BLKDBG_CO_EVENT(bs->file, BLKDBG_COW_READ);
    ret = qcow2_io_read_locked(bs, start + rs, re - rs, &cow, 0, false);
    if (ret == 0) {
        qemu_iovec_to_buf(qiov, qiov_offset, buf + (in - rs), bytes);
        ret = qcow2_sc_store(bs, host, rs, re, buf);
    }
    if (whole) {
        bitmap = QCOW2_BITMAP_ALL_ALLOC;
    } else {
        uint64_t m = qcow2_sc_mask(rs / sc, (re - 1) / sc);

        bitmap = (bitmap | m) & ~(m << 32);
    }
    if (ret == 0) {
        ret = qcow2_set_l2_entry_ext(bs, offset, host | QCOW2_OFLAG_COPIED,
                                     bitmap);
    }
    if (ret == 0 && fresh) {
        qcow2_free_entry(bs, l2e, QCOW2_DISCARD_NEVER);
    } else if (ret < 0 && fresh) {
        qcow2_free_clusters(bs, host, s->cluster_size, QCOW2_DISCARD_NEVER);
    }
    return ret;
}

int coroutine_fn qcow2_sc_zero_range(BlockDriverState *bs, int64_t offset,
                                     int64_t bytes)
{
    BDRVQcow2State *s = bs->opaque;
    int64_t in = offset & (s->cluster_size - 1);
    uint64_t l2e, bitmap, m;
    int ret = qcow2_get_l2_entry_ext(bs, offset, &l2e, &bitmap);

    if (ret < 0) {
        return ret;
    }
    /* No bitmap to set: the core writes zeroes instead */
    if (qcow2_entry_type(s, l2e) == QCOW2_CLUSTER_COMPRESSED) {
        return -ENOTSUP;
    }
    m = qcow2_sc_mask(in >> s->subcluster_bits,
                      (in + bytes - 1) >> s->subcluster_bits);
    if (!(bitmap & m) && ((bitmap >> 32) & m) == m) {
        return 0;
    }
    return qcow2_set_l2_entry_ext(bs, offset, l2e, (bitmap & ~m) | (m << 32));
}

int coroutine_fn qcow2_sc_zero_cluster(BlockDriverState *bs, int64_t offset,
                                       bool unmap)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t old, bitmap, new = 0;
    int ret = qcow2_get_l2_entry_ext(bs, offset, &old, &bitmap);

    if (ret < 0) {
        return ret;
    }
    if (s->data_file) {
        new = offset | QCOW2_OFLAG_COPIED;
    } else if ((!unmap || s->discard_no_unref) &&
               (old & QCOW2_OFLAG_COPIED) &&
               qcow2_entry_type(s, old) == QCOW2_CLUSTER_NORMAL) {
        new = old;          /* kept as preallocation */
    }
    if (new == old && bitmap == QCOW2_BITMAP_ALL_ZERO) {
        return 0;
    }
    ret = qcow2_set_l2_entry_ext(bs, offset, new, QCOW2_BITMAP_ALL_ZERO);
    if (ret == 0 && !(new & QCOW2_L2E_OFFSET_MASK)) {
        qcow2_free_entry(bs, old, QCOW2_DISCARD_REQUEST);
    }
    return ret;
}
