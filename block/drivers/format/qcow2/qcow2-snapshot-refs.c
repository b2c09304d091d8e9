/*
 * qcow2 snapshots: the refcounts of everything an L1 table reaches.
 *
 * A host cluster's refcount counts the L1 tables that reach it (the
 * active one and each snapshot's), through whatever L2 table: taking a
 * snapshot adds one to every L2 table and every data cluster of the
 * active L1 table, deleting one subtracts one from everything its L1
 * table reaches.  The COPIED flag of an L1 entry (L2 table) or of an L2
 * entry (data cluster) says that refcount is exactly 1, so that a write
 * may go in place; it is rebuilt here from the refcounts after each
 * change.  Rebuilding only clears or sets flags, which is safe in any
 * order; refcounts are raised before anything points at them and lowered
 * after nothing does, so a crash at any point leaks at worst.
 */
#include "qcow2.h"

/* Where a walk stops: before L2 entry @l2 of L1 entry @l1 */
typedef struct Qcow2WalkPos {
    uint32_t l1;
    int64_t l2;
} Qcow2WalkPos;

/* The first 8 bytes of L2 entry @j, whatever the size of the entries */
static uint8_t *qcow2_refs_l2e(BDRVQcow2State *s, void *table, int64_t j)
{
    return (uint8_t *)table + j * (s->cluster_size / s->l2_size);
}

/* The COPIED flag of @e for a refcount of @rc (0 and compressed: never) */
static uint64_t qcow2_refs_flag(uint64_t e, uint64_t rc)
{
    return rc == 1 ? e | QCOW2_OFLAG_COPIED : e & ~QCOW2_OFLAG_COPIED;
}

/* A host range an entry names must be aligned and lie inside the file */
static int coroutine_fn qcow2_refs_check_host(BlockDriverState *bs,
                                              uint64_t l2e, uint64_t off,
                                              uint64_t len)
{
    BDRVQcow2State *s = bs->opaque;
    bool compressed = qcow2_entry_type(s, l2e) == QCOW2_CLUSTER_COMPRESSED;

    if ((!compressed && (off & (s->cluster_size - 1))) ||
        off > (uint64_t)s->file_len || len > s->file_len - off) {
        return qcow2_signal_corruption(bs, off, len, "Snapshot data cluster "
                                       "%#" PRIx64 " (L2 entry %#" PRIx64
                                       ") invalid", off, l2e);
    }
    return 0;
}

/* One L2 entry: its refcounts moved by @addend, its flag rebuilt */
static int coroutine_fn qcow2_refs_entry(BlockDriverState *bs, uint8_t *p,
                                         int addend, bool *dirty)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t l2e = ldq_be_p(p), off, rc, want;
    uint64_t len = qcow2_entry_host_range(s, l2e, &off);
    int ret;

    if (!len) {
        return 0;
    }
    ret = qcow2_refs_check_host(bs, l2e, off, len);
    if (ret == 0 && addend) {
        ret = qcow2_update_refcount(bs, off, len, addend, QCOW2_DISCARD_SNAPSHOT);
    }
    if (ret < 0 || qcow2_entry_type(s, l2e) == QCOW2_CLUSTER_COMPRESSED) {
        return ret;
    }
    ret = qcow2_get_refcount(bs, off >> s->cluster_bits, &rc);
    if (ret < 0) {
        return ret;
    }
    want = qcow2_refs_flag(l2e, rc);
    if (want != l2e) {
        stq_be_p(p, want);
        *dirty = true;
    }
    return 0;
}

/* The entries [0, @end) of the L2 table at @l2_offset */
static int coroutine_fn qcow2_refs_l2(BlockDriverState *bs,
                                      uint64_t l2_offset, int64_t end,
                                      int addend, int64_t *done)
{
    BDRVQcow2State *s = bs->opaque;
    bool dirty = false;
    void *table = NULL;
    int ret = qcow2_cache_get(bs, s->l2_cache, l2_offset, &table);

    *done = 0;
    for (int64_t j = 0; ret == 0 && j < end; j++) {
        ret = qcow2_refs_entry(bs, qcow2_refs_l2e(s, table, j), addend,
                               &dirty);
        if (ret == 0) {
            *done = j + 1;
        }
    }
    if (dirty) {
        qcow2_cache_mark_dirty(s->l2_cache, table);
    }
    if (table) {
        qcow2_cache_put(s->l2_cache, &table);
    }
    return ret;
}

/*
 * L1 entry @i: the entries [0, @l2_end) of its L2 table, then, when
 * @whole, the table itself
 */
static int coroutine_fn qcow2_refs_l1e(BlockDriverState *bs, uint64_t *l1,
                                       uint32_t i, int64_t l2_end, bool whole,
                                       int addend, Qcow2WalkPos *done)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t l2_offset = l1[i] & QCOW2_L1E_OFFSET_MASK, rc;
    int ret;

    done->l1 = i;
    done->l2 = 0;
    if (!l2_offset) {
        return 0;
    }
    if (l2_offset > (uint64_t)s->file_len - s->cluster_size) {
        return qcow2_signal_corruption(bs, l2_offset, s->cluster_size,
                                       "L2 table offset %#" PRIx64 " (L1 "
                                       "index %#" PRIx32 ") beyond the end "
                                       "of the file", l2_offset, i);
    }
    ret = qcow2_validate_l2_offset(bs, l1[i], i);
    if (ret == 0) {
        ret = qcow2_refs_l2(bs, l2_offset, l2_end, addend, &done->l2);
    }
    if (ret < 0 || !whole) {
        return ret;
    }
    if (addend) {
        ret = qcow2_update_refcount(bs, l2_offset, s->cluster_size, addend,
                                    QCOW2_DISCARD_SNAPSHOT);
        if (ret < 0) {
            return ret;
        }
    }
    ret = qcow2_get_refcount(bs, l2_offset >> s->cluster_bits, &rc);
    if (ret == 0) {
        l1[i] = qcow2_refs_flag(l1[i], rc);
    }
    return ret;
}

/*
 * The walk of @l1 up to @stop (all of it when stop.l1 is l1_size); on
 * failure *@done is where it stopped (everything before it is done).
 */
static int coroutine_fn qcow2_refs_walk(BlockDriverState *bs, uint64_t *l1,
                                        uint32_t l1_size, int addend,
                                        Qcow2WalkPos stop,
                                        Qcow2WalkPos *done)
{
    BDRVQcow2State *s = bs->opaque;

    for (uint32_t i = 0; i < l1_size && i <= stop.l1; i++) {
        bool whole = i < stop.l1;
        int ret;

        if (!whole && !stop.l2) {
            break;
        }
        ret = qcow2_refs_l1e(bs, l1, i, whole ? s->l2_size : stop.l2, whole,
                             addend, done);
        if (ret < 0) {
            return ret;
        }
    }
    done->l1 = l1_size;
    done->l2 = 0;
    return 0;
}

int coroutine_fn qcow2_snapshot_update_refs(BlockDriverState *bs,
                                            uint64_t *l1, uint32_t l1_size,
                                            int addend, bool *l1_changed)
{
    g_autofree uint64_t *before = g_memdup2(l1, l1_size * 8ULL);
    Qcow2WalkPos all = { .l1 = l1_size }, done;
    int ret = qcow2_refs_walk(bs, l1, l1_size, addend, all, &done);

    if (ret < 0 && addend > 0) {
        /* Undo the increments, so that a failure leaks nothing */
        Qcow2WalkPos undone;

        qcow2_refs_walk(bs, l1, l1_size, -addend, done, &undone);
    }
    if (ret == -ERANGE) {
        ret = -EINVAL;   /* a refcount would overflow, as QEMU reports it */
    }
    *l1_changed = l1_size && memcmp(before, l1, l1_size * 8ULL);
    return ret;
}

int coroutine_fn qcow2_snapshot_write_active_l1(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    int64_t bytes = (int64_t)s->l1_size * 8;
    g_autofree uint64_t *buf = g_try_malloc(MAX(bytes, 8));
    int ret;

    if (!buf) {
        return -ENOMEM;
    }
    for (uint32_t i = 0; i < s->l1_size; i++) {
        buf[i] = cpu_to_be64(s->l1_table[i]);
    }
    ret = qcow2_pre_write_check(bs, QCOW2_OL_ACTIVE_L1, s->l1_offset, bytes);
    if (ret < 0) {
        return ret;
    }
    BLKDBG_CO_EVENT(bs->file, BLKDBG_L1_UPDATE);
    return bdrv_co_pwrite_sync(bs->file, s->l1_offset, bytes, buf, 0);
}
