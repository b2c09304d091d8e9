/*
 * qcow2 refcounts: the refcount table (kept in memory) and refcount
 * blocks (in the refcount-block cache), allocation and freeing of host
 * clusters.
 *
 * An allocation creates the refcount blocks its run lacks right before
 * the run, in clusters it searched for together with the run: placed
 * inside the range they cover (at its first cluster, say), they would cut
 * every run longer than that range, and no run would ever fit.  When the
 * table itself is too small, a bigger copy is allocated the same way in
 * free clusters the old one covers; where those are too few, it is
 * written past everything the old one covers, together with the refcount
 * blocks that cover it.  Then the header is switched to it.
 */
#include "qcow2.h"

uint64_t qcow2_refblock_get(BDRVQcow2State *s, const void *block,
                            int64_t index)
{
    const uint8_t *b = block;

    switch (s->refcount_order) {
    case 6:
        return ldq_be_p(b + index * 8);
    case 5:
        return ldl_be_p(b + index * 4);
    case 4:
        return lduw_be_p(b + index * 2);
    case 3:
        return b[index];
    default: {
        int per_byte = 8 >> s->refcount_order;
        int shift = (index % per_byte) << s->refcount_order;

        return (b[index / per_byte] >> shift) & s->refcount_max;
    }
    }
}

void qcow2_refblock_set(BDRVQcow2State *s, void *block, int64_t index,
                        uint64_t value)
{
    uint8_t *b = block;

    switch (s->refcount_order) {
    case 6:
        stq_be_p(b + index * 8, value);
        break;
    case 5:
        stl_be_p(b + index * 4, value);
        break;
    case 4:
        stw_be_p(b + index * 2, value);
        break;
    case 3:
        b[index] = value;
        break;
    default: {
        int per_byte = 8 >> s->refcount_order;
        int shift = (index % per_byte) << s->refcount_order;

        b[index / per_byte] &= ~(s->refcount_max << shift);
        b[index / per_byte] |= value << shift;
    }
    }
}

/* The refcount block holding @cluster's count (0 when there is none) */
static uint64_t qcow2_refcount_block_of(BDRVQcow2State *s, int64_t cluster)
{
    uint64_t index = (uint64_t)cluster >> s->refblock_bits;

    return index < s->reftable_size ? s->reftable[index] : 0;
}

int coroutine_fn qcow2_walk_refcount(BlockDriverState *bs,
                                     Qcow2RefcountWalk *w, int64_t cluster,
                                     uint64_t *refcount)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t block_offset = qcow2_refcount_block_of(s, cluster);
    int ret;

    *refcount = 0;
    if (block_offset != w->offset) {
        qcow2_walk_refcount_release(s, w);
        if (block_offset) {
            ret = qcow2_cache_get(bs, s->refblock_cache, block_offset,
                                  &w->block);
            if (ret < 0) {
                return ret;
            }
            w->offset = block_offset;
        }
    }
    if (w->offset) {
        *refcount = qcow2_refblock_get(s, w->block,
                                       cluster & (s->refblock_entries - 1));
    }
    return 0;
}

void qcow2_walk_refcount_release(BDRVQcow2State *s, Qcow2RefcountWalk *w)
{
    if (w->offset) {
        qcow2_cache_put(s->refblock_cache, &w->block);
        w->offset = 0;
    }
}

/* A walk of one cluster */
int coroutine_fn qcow2_get_refcount(BlockDriverState *bs, int64_t cluster,
                                    uint64_t *refcount)
{
    Qcow2RefcountWalk w = { 0 };
    int ret = qcow2_walk_refcount(bs, &w, cluster, refcount);

    qcow2_walk_refcount_release(bs->opaque, &w);
    return ret;
}

/* A power of two: an eighth of the file, within the bounds of qcow2.h */
static int64_t qcow2_file_grow_step(int64_t file_len)
{
    int64_t step = QCOW2_FILE_GROW_STEP;

    while (step < QCOW2_FILE_GROW_STEP_MAX && step * 8 <= file_len) {
        step *= 2;
    }
    return step;
}

int coroutine_fn qcow2_ensure_file_len(BlockDriverState *bs, int64_t end)
{
    BDRVQcow2State *s = bs->opaque;
    int ret;

    if (end <= s->file_len) {
        return 0;
    }
    /*
     * Not one cluster at a time (storage may copy to resize): by a quarter
     * of a small file (one cluster at least), so it stays small, and by
     * steps growing with a large one (qcow2_file_grow_step): a truncate
     * waits for all direct I/O in flight, so a sequential fill must not
     * meet one per MiB
     */
    end = MAX(end, s->file_len + MIN(MAX(s->file_len / 4, s->cluster_size),
                                     qcow2_file_grow_step(s->file_len)));
    end = ROUND_UP(end, s->cluster_size);
    ret = -ENOTSUP;
    if (s->file_prealloc == PREALLOC_MODE_OFF && !s->grow_without_falloc) {
        /*
         * Allocated, not a hole: direct writes into a hole of the file
         * take the filesystem's inode lock one at a time (ext4, xfs), into
         * allocated blocks they run in parallel (scripts/bench-qcow2 a)
         */
        ret = bdrv_co_truncate(bs->file, end, false, PREALLOC_MODE_FALLOC,
                               0, NULL);
        s->grow_without_falloc = ret == -ENOTSUP || ret == -EOPNOTSUPP;
    }
    if (ret < 0) {
        ret = bdrv_co_truncate(bs->file, end, false, s->file_prealloc, 0,
                               NULL);
    }
    if (ret == 0) {
        s->file_len = end;
    }
    return ret;
}

static int coroutine_fn qcow2_file_trim_co(BlockDriverState *bs,
                                           void *opaque)
{
    BDRVQcow2State *s = bs->opaque;
    int64_t end = ROUND_UP(s->fresh_from, s->cluster_size);
    int ret = 0;

    qemu_co_mutex_lock(&s->lock);
    if (end < s->file_len) {
        ret = bdrv_co_truncate(bs->file, end, false, PREALLOC_MODE_OFF, 0,
                               NULL);
    }
    if (ret == 0) {
        s->file_len = MIN(s->file_len, end);
    }
    qemu_co_mutex_unlock(&s->lock);
    return ret;
}

void qcow2_file_trim(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;

    if (s->file_len > (int64_t)ROUND_UP(s->fresh_from, s->cluster_size)) {
        /* Best effort: the room is harmless, only larger than needed */
        qcow2_co_run(bs, qcow2_file_trim_co, NULL);
    }
}

/* Write refcount table entries [first, first + n) to the image */
static int coroutine_fn qcow2_refcount_write_table(BlockDriverState *bs,
                                                   uint64_t first, uint64_t n)
{
    BDRVQcow2State *s = bs->opaque;
    g_autofree uint64_t *buf = g_new(uint64_t, n);
    int64_t offset = s->reftable_offset + first * 8;
    int ret;

    for (uint64_t i = 0; i < n; i++) {
        buf[i] = cpu_to_be64(s->reftable[first + i]);
    }
    ret = qcow2_pre_write_check(bs, QCOW2_OL_REFTABLE, offset, n * 8);
    if (ret < 0) {
        return ret;
    }
    BLKDBG_CO_EVENT(bs->file, BLKDBG_REFTABLE_UPDATE);
    return bdrv_co_pwrite_sync(bs->file, offset, n * 8, buf, 0);
}

/* A table of @entries whose copy and new blocks fit at cluster @p */
static void qcow2_refcount_grow_plan(BDRVQcow2State *s, uint64_t min_index,
                                     int64_t p, int64_t *t, int64_t *b,
                                     uint64_t *entries)
{
    *t = s->reftable_clusters;
    *b = 0;
    for (;;) {
        int64_t end = p + *t + *b;
        int64_t last = (end - 1) >> s->refblock_bits;
        int64_t nb = last - (p >> s->refblock_bits) + 1;
        uint64_t need = MAX(min_index, (uint64_t)last) + 1;
        int64_t nt = MAX(*t, (int64_t)DIV_ROUND_UP(need * 8, s->cluster_size));

        nt = MAX(nt, (int64_t)s->reftable_clusters * 3 / 2);
        if (nt == *t && nb == *b) {
            break;
        }
        *t = nt;
        *b = nb;
    }
    *entries = *t * s->cluster_size / 8;
}

/*
 * A refcount block for each index of [first, last] that @table lacks,
 * written one after the other from cluster @at; each counts the clusters
 * of [mark, mark_end) it covers (the new blocks, and the new table when
 * it grows).  How many were written in *written.
 */
static int coroutine_fn qcow2_refcount_write_new_blocks(BlockDriverState *bs,
                                                        uint64_t *table,
                                                        int64_t first,
                                                        int64_t last,
                                                        int64_t at,
                                                        int64_t mark,
                                                        int64_t mark_end,
                                                        int64_t *written)
{
    BDRVQcow2State *s = bs->opaque;
    g_autofree void *block = g_malloc(s->cluster_size);

    *written = 0;
    for (int64_t index = first; index <= last; index++) {
        int64_t start = index << s->refblock_bits;
        int64_t boff = (at + *written) * s->cluster_size;
        int ret;

        if (table[index]) {
            continue;
        }
        memset(block, 0, s->cluster_size);
        for (int64_t c = MAX(start, mark);
             c < MIN(start + s->refblock_entries, mark_end); c++) {
            qcow2_refblock_set(s, block, c - start, 1);
        }
        ret = qcow2_pre_write_check(bs, 0, boff, s->cluster_size);
        if (ret < 0) {
            return ret;
        }
        BLKDBG_CO_EVENT(bs->file, BLKDBG_REFBLOCK_ALLOC_WRITE_BLOCKS);
        ret = bdrv_co_pwrite(bs->file, boff, s->cluster_size, block, 0);
        if (ret < 0) {
            return ret;
        }
        table[index] = boff;
        (*written)++;
    }
    return 0;
}

/*
 * Switch to @table (in memory, its entries filling @t clusters), written
 * at cluster @p here; the old table is freed.  @table is taken.
 */
static int coroutine_fn qcow2_refcount_switch_table(BlockDriverState *bs,
                                                    int64_t p, int64_t t,
                                                    uint64_t *table)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t entries = t * s->cluster_size / 8;
    uint64_t old_offset = s->reftable_offset;
    uint32_t old_clusters = s->reftable_clusters;
    uint64_t used = 0;
    uint8_t hdr[12];
    int ret;

    for (uint64_t i = 0; i < entries; i++) {
        used = table[i] ? i + 1 : used;
        table[i] = cpu_to_be64(table[i]);
    }
    ret = qcow2_pre_write_check(bs, 0, p * s->cluster_size, entries * 8);
    if (ret == 0) {
        ret = bdrv_co_pwrite_sync(bs->file, p * s->cluster_size,
                                  entries * 8, table, 0);
    }
    for (uint64_t i = 0; i < entries; i++) {
        table[i] = be64_to_cpu(table[i]);
    }
    stq_be_p(hdr, p * s->cluster_size);
    stl_be_p(hdr + 8, t);
    if (ret == 0) {
        ret = qcow2_write_header_field(bs, QCOW2_HDR_REFTABLE_OFFSET, hdr, 12);
    }
    if (ret < 0) {
        qcow2_table_free(table, entries * 8);
        return ret;
    }
    qcow2_table_free(s->reftable, s->reftable_size * 8);
    s->reftable = table;
    s->reftable_size = entries;
    s->reftable_used = used;
    s->reftable_offset = p * s->cluster_size;
    s->reftable_clusters = t;
    /* (rebuilt with any new blocks when next needed) */
    qcow2_meta_index_drop(s);
    qcow2_free_clusters(bs, old_offset,
                        (int64_t)old_clusters * s->cluster_size,
                        QCOW2_DISCARD_OTHER);
    return 0;
}

/* A copy of the table in memory, room for @entries */
static uint64_t *qcow2_refcount_table_copy(BDRVQcow2State *s,
                                           uint64_t entries)
{
    uint64_t *table = qcow2_table_new0(entries * sizeof(uint64_t));

    /* (the entries past reftable_used are 0, as in the new table) */
    if (table) {
        memcpy(table, s->reftable, s->reftable_used * 8);
    }
    return table;
}

/* The bigger table past everything the current one covers, with the
 * refcount blocks that cover it */
static int coroutine_fn qcow2_refcount_grow_past(BlockDriverState *bs,
                                                 uint64_t min_index)
{
    BDRVQcow2State *s = bs->opaque;
    int64_t p, t, b, written;
    uint64_t entries, *table;
    int ret;

    p = MAX(DIV_ROUND_UP(s->file_len, s->cluster_size),
            (int64_t)(s->reftable_size << s->refblock_bits));
    qcow2_refcount_grow_plan(s, min_index, p, &t, &b, &entries);
    if (t * s->cluster_size > QCOW2_MAX_REFTABLE_BYTES) {
        return -EFBIG;
    }
    ret = qcow2_ensure_file_len(bs, (p + t + b) * s->cluster_size);
    if (ret < 0) {
        return ret;
    }
    table = qcow2_refcount_table_copy(s, entries);
    if (!table) {
        return -ENOMEM;
    }
    qcow2_file_written(s, (p + t + b) * s->cluster_size);
    BLKDBG_CO_EVENT(bs->file, BLKDBG_REFTABLE_GROW);
    ret = qcow2_refcount_write_new_blocks(bs, table, p >> s->refblock_bits,
                                          (p + t + b - 1) >> s->refblock_bits,
                                          p + t, p, p + t + b, &written);
    if (ret < 0) {
        qcow2_table_free(table, entries * 8);
        return ret;
    }
    return qcow2_refcount_switch_table(bs, p, t, table);
}

static int64_t coroutine_fn qcow2_refcount_alloc_run(BlockDriverState *bs,
                                                     int64_t n,
                                                     bool may_grow);

/*
 * The bigger table in free clusters the current one covers, allocated
 * like any run (with the refcount blocks it lacks): no gap is left in
 * the file.  -ENOSPC when the free clusters there are too few.
 */
static int coroutine_fn qcow2_refcount_grow_within(BlockDriverState *bs,
                                                   uint64_t min_index)
{
    BDRVQcow2State *s = bs->opaque;
    int64_t t = MAX((int64_t)DIV_ROUND_UP((min_index + 1) * 8,
                                          (uint64_t)s->cluster_size),
                    (int64_t)s->reftable_clusters * 3 / 2);
    int64_t offset;
    uint64_t *table;
    int ret;

    if (t * s->cluster_size > QCOW2_MAX_REFTABLE_BYTES) {
        return -EFBIG;
    }
    offset = qcow2_refcount_alloc_run(bs, t, false);
    if (offset < 0) {
        return offset;
    }
    /* Its refcounts on disk before the header names it */
    ret = qcow2_cache_flush(bs, s->refblock_cache);
    table = ret ? NULL : qcow2_refcount_table_copy(s, t * s->cluster_size / 8);
    if (table) {
        BLKDBG_CO_EVENT(bs->file, BLKDBG_REFTABLE_GROW);
        ret = qcow2_refcount_switch_table(bs, offset >> s->cluster_bits, t,
                                          table);
    }
    if (ret < 0 || !table) {
        qcow2_free_clusters(bs, offset, t * s->cluster_size,
                            QCOW2_DISCARD_NEVER);
        return ret < 0 ? ret : -ENOMEM;
    }
    return 0;
}

static int coroutine_fn qcow2_refcount_grow_table(BlockDriverState *bs,
                                                  uint64_t min_index)
{
    BDRVQcow2State *s = bs->opaque;
    int ret = qcow2_cache_flush(bs, s->l2_cache);

    if (ret == 0) {
        ret = qcow2_refcount_grow_within(bs, min_index);
    }
    return ret == -ENOSPC ? qcow2_refcount_grow_past(bs, min_index) : ret;
}

/*
 * Make sure the refcount block of @cluster exists.  Allocations create
 * theirs beforehand: this one, at the start of its range, is for a count
 * raised on a cluster the table did not cover (a damaged image)
 */
static int coroutine_fn qcow2_refcount_ensure_block(BlockDriverState *bs,
                                                    int64_t cluster)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t index = (uint64_t)cluster >> s->refblock_bits;
    int64_t start = (int64_t)index << s->refblock_bits;
    void *block;
    int ret;

    if (index >= s->reftable_size) {
        ret = qcow2_refcount_grow_table(bs, index);
        if (ret < 0 || s->reftable[index]) {
            return ret;
        }
    }
    if (s->reftable[index]) {
        return 0;
    }
    if (start == 0) {
        return qcow2_signal_corruption(bs, s->reftable_offset, 8,
                                       "Refcount block of the header missing");
    }
    /* The block counts itself, at the start of its range */
    qcow2_file_written(s, (start + 1) * s->cluster_size);
    BLKDBG_CO_EVENT(bs->file, BLKDBG_REFBLOCK_ALLOC);
    ret = qcow2_ensure_file_len(bs, (start + 1) * s->cluster_size);
    if (ret < 0) {
        return ret;
    }
    ret = qcow2_cache_get_empty(bs, s->refblock_cache,
                                start * s->cluster_size, &block);
    if (ret < 0) {
        return ret;
    }
    qcow2_refblock_set(s, block, 0, 1);
    qcow2_cache_put(s->refblock_cache, &block);
    qcow2_reftable_set(s, index, start * s->cluster_size);
    qcow2_meta_index_replace(s, QCOW2_OL_REFBLOCK, 0, s->reftable[index]);
    ret = qcow2_cache_flush(bs, s->refblock_cache);
    if (ret == 0) {
        BLKDBG_CO_EVENT(bs->file, BLKDBG_REFBLOCK_ALLOC_HOOKUP);
        ret = qcow2_refcount_write_table(bs, index, 1);
    }
    if (ret < 0) {
        s->reftable[index] = 0;
        qcow2_meta_index_drop(s);
        qcow2_cache_discard(s->refblock_cache, start * s->cluster_size);
    }
    return ret;
}

static int coroutine_fn qcow2_refcount_update_one(BlockDriverState *bs,
                                                  int64_t cluster,
                                                  int64_t addend,
                                                  Qcow2DiscardType why)
{
    BDRVQcow2State *s = bs->opaque;
    int64_t index = cluster & (s->refblock_entries - 1);
    uint64_t old, new;
    void *block;
    int ret;

    if (addend > 0) {
        ret = qcow2_refcount_ensure_block(bs, cluster);
        if (ret < 0) {
            return ret;
        }
    }
    if (!qcow2_refcount_block_of(s, cluster)) {
        return qcow2_signal_corruption(bs, cluster * s->cluster_size, 1,
                                       "Freeing cluster %#" PRIx64 " without "
                                       "a refcount block",
                                       cluster * s->cluster_size);
    }
    ret = qcow2_cache_get(bs, s->refblock_cache,
                          qcow2_refcount_block_of(s, cluster), &block);
    if (ret < 0) {
        return ret;
    }
    old = qcow2_refblock_get(s, block, index);
    new = old + addend;
    /* (-(uint64_t)addend: an addend of INT64_MIN is a repair's too) */
    if ((addend < 0 && old < -(uint64_t)addend) ||
        (addend > 0 && (new < old || new > s->refcount_max))) {
        qcow2_cache_put(s->refblock_cache, &block);
        if (addend > 0) {
            return -ERANGE;
        }
        return qcow2_signal_corruption(bs, cluster * s->cluster_size, 1,
                                       "Refcount of cluster %#" PRIx64
                                       " would drop below 0",
                                       cluster * s->cluster_size);
    }
    qcow2_refblock_set(s, block, index, new);
    qcow2_cache_mark_dirty(s->refblock_cache, block);
    qcow2_cache_put(s->refblock_cache, &block);
    if (new == 0) {
        s->free_cluster_index = MIN(s->free_cluster_index, cluster);
        /* Compressed data never goes on into a freed cluster */
        if (s->free_byte_offset >> s->cluster_bits == cluster) {
            s->free_byte_offset = 0;
        }
        qcow2_cache_discard(s->l2_cache, cluster * s->cluster_size);
        qcow2_cache_discard(s->refblock_cache, cluster * s->cluster_size);
        qcow2_discard_queue(s, cluster, why);
    }
    return 0;
}

int coroutine_fn qcow2_update_refcount(BlockDriverState *bs, int64_t offset,
                                       int64_t length, int64_t addend,
                                       Qcow2DiscardType why)
{
    BDRVQcow2State *s = bs->opaque;
    Qcow2DiscardMark mark = qcow2_discard_mark(s);
    int64_t first = offset >> s->cluster_bits;
    int64_t last = (offset + length - 1) >> s->cluster_bits;
    int ret;

    if (length <= 0) {
        return 0;
    }
    if (addend > 0) {
        /* In use from now on, so written (or about to be) */
        qcow2_file_written(s, (last + 1) * s->cluster_size);
    }
    ret = qcow2_mark_dirty(bs);
    if (ret == 0) {
        ret = addend < 0 ? qcow2_cache_before_decrement(bs, s->refblock_cache,
                                                        s->l2_cache)
                         : qcow2_cache_before_increment(bs, s->refblock_cache);
    }
    if (ret < 0) {
        return ret;
    }
    for (int64_t c = first; c <= last; c++) {
        ret = qcow2_refcount_update_one(bs, c, addend, why);

        if (ret < 0) {
            /* Undo what was done, so a failure leaks nothing */
            for (int64_t u = first; u < c; u++) {
                qcow2_refcount_update_one(bs, u, -addend,
                                          QCOW2_DISCARD_NEVER);
            }
            qcow2_discard_rollback(s, mark);
            return ret;
        }
    }
    return 0;
}

/* Are clusters [c, c + n) free?  The first busy one in *busy */
static int coroutine_fn qcow2_refcount_run_free(BlockDriverState *bs,
                                                int64_t c, int64_t n,
                                                int64_t *busy)
{
    BDRVQcow2State *s = bs->opaque;
    Qcow2RefcountWalk w = { 0 };

    for (int64_t i = c; i < c + n; i++) {
        uint64_t rc;
        int ret = qcow2_walk_refcount(bs, &w, i, &rc);

        if (ret < 0) {
            return ret;
        }
        if (rc) {
            qcow2_walk_refcount_release(s, &w);
        }
        if (rc && i >= DIV_ROUND_UP(s->file_len, s->cluster_size)) {
            /* Every cluster in use lies in the file: bounds the search */
            return qcow2_signal_corruption(bs, i * s->cluster_size, 1,
                                           "Cluster %#" PRIx64 " beyond the "
                                           "end of the file has a refcount",
                                           i * s->cluster_size);
        }
        if (rc) {
            *busy = i;
            return 0;
        }
    }
    qcow2_walk_refcount_release(s, &w);
    *busy = -1;
    return 0;
}

/* Refcount blocks [c, c + n) lacks (past the table: lacking too) */
static int64_t qcow2_refcount_missing_blocks(BDRVQcow2State *s, int64_t c,
                                             int64_t n)
{
    uint64_t last = (uint64_t)(c + n - 1) >> s->refblock_bits;
    int64_t missing = 0;

    for (uint64_t i = (uint64_t)c >> s->refblock_bits; i <= last; i++) {
        missing += i >= s->reftable_size || !s->reftable[i];
    }
    return missing;
}

/*
 * The refcount blocks to create at [c, c + m) for a run [c + m, c + m + n):
 * the blocks count themselves too, so m is the fixed point (it grows with
 * the span and a block covers many clusters: a few steps)
 */
static int64_t qcow2_refcount_blocks_needed(BDRVQcow2State *s, int64_t c,
                                            int64_t n)
{
    int64_t m = 0, next;

    while ((next = qcow2_refcount_missing_blocks(s, c, m + n)) != m) {
        m = next;
    }
    return m;
}

/*
 * Create the @m refcount blocks [c, c + m + n) lacks at [c, c + m), free
 * clusters covered by the table.  Where a block's own cluster is counted
 * by a block that exists, that count goes up first: a failure or a crash
 * before the table entries reach the disk leaks the cluster, no more.
 */
static int coroutine_fn qcow2_refcount_add_blocks(BlockDriverState *bs,
                                                  int64_t c, int64_t m,
                                                  int64_t n)
{
    BDRVQcow2State *s = bs->opaque;
    int64_t first = c >> s->refblock_bits;
    int64_t last = (c + m + n - 1) >> s->refblock_bits, written = 0;
    int ret = qcow2_ensure_file_len(bs, (c + m) * s->cluster_size);

    for (int64_t k = c; ret == 0 && k < c + m; k++) {
        if (qcow2_refcount_block_of(s, k)) {
            ret = qcow2_update_refcount(bs, k * s->cluster_size,
                                        s->cluster_size, 1,
                                        QCOW2_DISCARD_NEVER);
        }
    }
    if (ret == 0) {
        ret = qcow2_cache_flush(bs, s->refblock_cache);
    }
    if (ret == 0) {
        qcow2_file_written(s, (c + m) * s->cluster_size);
        BLKDBG_CO_EVENT(bs->file, BLKDBG_REFBLOCK_ALLOC);
        ret = qcow2_refcount_write_new_blocks(bs, s->reftable, first, last, c,
                                              c, c + m, &written);
        s->reftable_used = MAX(s->reftable_used, (uint64_t)last + 1);
    }
    if (ret == 0) {
        assert(written == m);
        BLKDBG_CO_EVENT(bs->file, BLKDBG_REFBLOCK_ALLOC_HOOKUP);
        ret = qcow2_refcount_write_table(bs, first, last - first + 1);
    }
    for (int64_t i = first; i <= last; i++) {
        uint64_t off = s->reftable[i];

        if (off < (uint64_t)c * s->cluster_size ||
            off >= (uint64_t)(c + m) * s->cluster_size) {
            continue;       /* an older block */
        }
        if (ret < 0) {
            s->reftable[i] = 0;
        } else {
            qcow2_meta_index_replace(s, QCOW2_OL_REFBLOCK, 0, off);
        }
    }
    return ret;
}

/*
 * The first free run of @n clusters from @c that has room for the
 * refcount blocks it lacks right before it: its start in *c, how many
 * blocks in *m.  The table grows first when it does not cover them.
 */
static int coroutine_fn qcow2_refcount_find_run(BlockDriverState *bs,
                                                int64_t *c, int64_t n,
                                                int64_t *m, bool may_grow)
{
    BDRVQcow2State *s = bs->opaque;
    int64_t limit = QCOW2_L2E_OFFSET_MASK >> s->cluster_bits, busy = -1;
    uint64_t last;
    int ret;

    for (;;) {
        *m = qcow2_refcount_blocks_needed(s, *c, n);
        if (*c + *m + n > limit) {
            return -EFBIG;
        }
        ret = qcow2_refcount_run_free(bs, *c, *m + n, &busy);
        if (ret < 0) {
            return ret;
        }
        if (busy >= 0) {
            *c = busy + 1;
            continue;
        }
        last = (uint64_t)(*c + *m + n - 1) >> s->refblock_bits;
        if (*m == 0 || last < s->reftable_size) {
            return 0;
        }
        if (!may_grow) {
            return -ENOSPC;     /* any later run lies further out */
        }
        /* The new table (and its blocks) may land in the run: look again */
        ret = qcow2_refcount_grow_table(bs, last);
        if (ret < 0) {
            return ret;
        }
    }
}

/* @n clusters with a refcount of 1; the table grows only if @may_grow */
static int64_t coroutine_fn qcow2_refcount_alloc_run(BlockDriverState *bs,
                                                     int64_t n, bool may_grow)
{
    BDRVQcow2State *s = bs->opaque;
    int64_t start = MAX(s->free_cluster_index, 1), c = start, m;
    int ret = qcow2_refcount_find_run(bs, &c, n, &m, may_grow);

    if (ret == 0 && m > 0) {
        ret = qcow2_refcount_add_blocks(bs, c, m, n);
    }
    if (ret == 0) {
        ret = qcow2_ensure_file_len(bs, (c + m + n) * s->cluster_size);
    }
    if (ret == 0) {
        ret = qcow2_update_refcount(bs, (c + m) * s->cluster_size,
                                    n * s->cluster_size, 1,
                                    QCOW2_DISCARD_NEVER);
    }
    if (ret < 0) {
        return ret;
    }
    /* Every cluster between start and c is busy when one was sought */
    if (m + n == 1 || c == start) {
        s->free_cluster_index = c + m + n;
    }
    return (c + m) * s->cluster_size;
}

int64_t coroutine_fn qcow2_alloc_clusters(BlockDriverState *bs, int64_t n)
{
    BLKDBG_CO_EVENT(bs->file, BLKDBG_CLUSTER_ALLOC);
    return qcow2_refcount_alloc_run(bs, n, true);
}

void coroutine_fn qcow2_free_clusters(BlockDriverState *bs, int64_t offset,
                                      int64_t length, Qcow2DiscardType why)
{
    int ret;

    BLKDBG_CO_EVENT(bs->file, BLKDBG_CLUSTER_FREE);
    ret = qcow2_update_refcount(bs, offset, length, -1, why);
    if (ret < 0) {
        /* The clusters leak: check finds them, nothing is corrupted */
        warn_report("qcow2: Could not free clusters at %#" PRIx64 ": %s",
                    offset, strerror(-ret));
    }
}
