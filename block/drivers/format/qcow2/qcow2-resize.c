/*
 * qcow2 resize: growing (with preallocation of the new clusters: metadata
 * only, or with their storage reserved or written) and shrinking (the
 * clusters past the new end are freed, the L2 tables they used too, and
 * the image file loses its unused tail), as qemu-img resize does.
 */
#include "qcow2.h"

/*
 * Map every unallocated guest cluster of [start, end) to a host cluster,
 * a run per L2 table.  Clusters that were free inside the file may hold
 * old data: they are zeroed.  Called with the lock held.
 */
static int64_t coroutine_fn qcow2_resize_map_run(BlockDriverState *bs,
                                                 uint64_t start, uint64_t end)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t span = (uint64_t)s->cluster_size << s->l2_bits;
    uint64_t stop = MIN(end, ROUND_UP(start + 1, span));
    int64_t n = 0, host, old_len;
    int ret = qcow2_prepare_l2(bs, start);

    for (uint64_t off = start; ret == 0 && off < stop;
         off += s->cluster_size, n++) {
        uint64_t l2e;

        ret = qcow2_get_l2_entry(bs, off, &l2e);
        if (ret == 0 && qcow2_entry_type(s, l2e) != QCOW2_CLUSTER_UNALLOCATED) {
            break;
        }
    }
    if (ret < 0 || n == 0) {
        return ret < 0 ? ret : s->cluster_size;
    }
    if (s->data_file) {
        host = start;
    } else {
        old_len = s->file_len;
        host = qcow2_alloc_clusters(bs, n);
        if (host < 0) {
            return host;
        }
        if (host < old_len) {
            ret = bdrv_co_pwrite_zeroes(bs->file, host, MIN(old_len - host,
                                        n * s->cluster_size), 0);
        }
    }
    for (int64_t i = 0; ret == 0 && i < n; i++) {
        ret = qcow2_set_l2_entry(bs, start + i * s->cluster_size,
                                 (host + i * s->cluster_size) |
                                 QCOW2_OFLAG_COPIED);
    }
    return ret < 0 ? ret : n * s->cluster_size;
}

int coroutine_fn qcow2_preallocate(BlockDriverState *bs, uint64_t start,
                                   uint64_t end, PreallocMode mode)
{
    BDRVQcow2State *s = bs->opaque;
    int64_t ret = 0;

    if (mode == PREALLOC_MODE_OFF) {
        return 0;
    }
    qemu_co_mutex_lock(&s->lock);
    /* Storage for the new clusters, as the image file grows */
    s->file_prealloc = mode == PREALLOC_MODE_METADATA ? PREALLOC_MODE_OFF
                                                      : mode;
    start = ROUND_DOWN(start, s->cluster_size);
    while (ret >= 0 && start < end) {
        ret = qcow2_resize_map_run(bs, start, end);
        start += ret;
    }
    s->file_prealloc = PREALLOC_MODE_OFF;
    if (ret >= 0) {
        ret = qcow2_cache_flush(bs, s->l2_cache);
    }
    qemu_co_mutex_unlock(&s->lock);
    return ret < 0 ? ret : 0;
}

/* Free every cluster of [start, disk_size) and the L2 tables past @size */
static int coroutine_fn qcow2_resize_free_tail(BlockDriverState *bs,
                                               uint64_t size)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t start = ROUND_UP(size, s->cluster_size);
    uint64_t keep = qcow2_l1_entries_for(s, size);
    int ret = 0;
    uint64_t span = (uint64_t)s->cluster_size << s->l2_bits;

    /* A write still allocating in the tail would set an entry there */
    qcow2_io_wait_alloc(bs, start, UINT64_MAX - start);

    for (uint64_t off = start; off < s->disk_size; off += s->cluster_size) {
        uint64_t l1_index = off >> (s->l2_bits + s->cluster_bits), l2e;

        if (l1_index >= s->l1_size) {
            break;
        }
        if (!(s->l1_table[l1_index] & QCOW2_L1E_OFFSET_MASK)) {
            off = ROUND_UP(off + 1, span) - s->cluster_size;
            continue;           /* nothing mapped in this table */
        }
        ret = qcow2_get_l2_entry(bs, off, &l2e);
        if (ret == 0 && l2e) {
            ret = qcow2_set_l2_entry(bs, off, 0);
            if (ret == 0) {
                qcow2_free_entry(bs, l2e, QCOW2_DISCARD_OTHER);
            }
        }
        if (ret < 0) {
            return ret;
        }
    }
    return qcow2_shrink_l1(bs, keep);
}

/* Cut the image file after the last cluster in use */
static void coroutine_fn qcow2_resize_trim_file(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    int64_t c = DIV_ROUND_UP(s->file_len, s->cluster_size);
    uint64_t rc = 0;

    while (c > 1 && qcow2_get_refcount(bs, c - 1, &rc) == 0 && !rc) {
        c--;
    }
    if (c * s->cluster_size < s->file_len &&
        bdrv_co_truncate(bs->file, c * s->cluster_size, false,
                         PREALLOC_MODE_OFF, 0, NULL) == 0) {
        s->file_len = c * s->cluster_size;
        s->free_cluster_index = MIN(s->free_cluster_index, c);
    }
}

static int coroutine_fn qcow2_resize_shrink(BlockDriverState *bs,
                                            uint64_t size, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    uint8_t buf[8];
    int ret;

    qemu_co_mutex_lock(&s->lock);
    ret = qcow2_resize_free_tail(bs, size);
    if (ret == 0) {
        ret = qcow2_cache_flush(bs, s->l2_cache);
    }
    if (ret == 0) {
        ret = qcow2_cache_flush(bs, s->refblock_cache);
    }
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Failed to discard cropped clusters");
        goto out;
    }
    stq_be_p(buf, size);
    ret = qcow2_write_header_field(bs, 24, buf, 8);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Failed to update the image size");
        goto out;
    }
    s->disk_size = size;
    qcow2_resize_trim_file(bs);
    /* QEMU cuts the data file to the disk size too */
    if (s->data_file) {
        ret = bdrv_co_truncate(s->data_file, size, false, PREALLOC_MODE_OFF,
                               0, errp);
    }
out:
    qemu_co_mutex_unlock(&s->lock);
    return ret;
}

int coroutine_fn qcow2_co_truncate(BlockDriverState *bs, int64_t offset,
                                   bool exact, PreallocMode prealloc,
                                   BdrvRequestFlags flags, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t old = s->disk_size;
    int ret;

    if (offset % BDRV_SECTOR_SIZE) {
        error_setg(errp, "The new size must be a multiple of %d",
                   (int)BDRV_SECTOR_SIZE);
        return -EINVAL;
    }
    ret = qcow2_snapshot_check_resize(bs, errp);
    if (ret < 0) {
        return ret;
    }
    if ((uint64_t)offset < old) {
        if (prealloc != PREALLOC_MODE_OFF) {
            error_setg(errp, "Preallocation can't be used for shrinking an "
                       "image");
            return -EINVAL;
        }
        return qcow2_resize_shrink(bs, offset, errp);
    }
    ret = qcow2_grow(bs, offset);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Failed to grow the L1 table to %"
                         PRId64 " bytes", offset);
        return ret;
    }
    /* The data file covers the disk, as QEMU makes it */
    if (s->data_file && bdrv_co_getlength(s->data_file->bs) < offset) {
        ret = bdrv_co_truncate(s->data_file, offset, false,
                               prealloc == PREALLOC_MODE_METADATA ?
                               PREALLOC_MODE_OFF : prealloc, 0, errp);
        if (ret < 0) {
            return ret;
        }
    }
    ret = qcow2_preallocate(bs, old, offset, prealloc);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Preallocation failed");
    }
    return ret;
}
