/*
 * qcow2 cluster mapping: the active L1 table (in memory, written through)
 * and the L2 tables (in the L2 cache).  Offsets read from the image are
 * checked before use; a bad one marks the image corrupt.
 */
#include <sys/mman.h>
#include <unistd.h>

#include "qcow2.h"

Qcow2ClusterType qcow2_entry_type(BDRVQcow2State *s, uint64_t l2e)
{
    if (l2e & QCOW2_OFLAG_COMPRESSED) {
        return QCOW2_CLUSTER_COMPRESSED;
    }
    /* In a data file, guest offset 0 maps to host offset 0 */
    if (s->data_file && (l2e & QCOW2_OFLAG_COPIED) &&
        !(l2e & QCOW2_OFLAG_ZERO)) {
        return QCOW2_CLUSTER_NORMAL;
    }
    if ((l2e & QCOW2_OFLAG_ZERO) && s->version >= 3 && !s->extended_l2) {
        return (l2e & QCOW2_L2E_OFFSET_MASK) ? QCOW2_CLUSTER_ZERO_ALLOC
                                             : QCOW2_CLUSTER_ZERO_PLAIN;
    }
    return (l2e & QCOW2_L2E_OFFSET_MASK) ? QCOW2_CLUSTER_NORMAL
                                         : QCOW2_CLUSTER_UNALLOCATED;
}

int64_t qcow2_next_nonzero_entry(const uint64_t *table, int64_t from,
                                 int64_t end, int words)
{
    int64_t i = from;

    /* In a run of entries in use, the next one is: one test */
    if (i < end && table[i * words]) {
        return i;
    }
    /*
     * Most of a table is unallocated, and under -fsanitize=fuzzer each
     * comparison of a loop per entry is a call: all-zero chunks are
     * skipped by one memcmp (buffer_is_zero), then eight entries per test
     */
    while (end - i >= QCOW2_ZERO_SCAN_CHUNK &&
           buffer_is_zero(table + i * words,
                          QCOW2_ZERO_SCAN_CHUNK * words * sizeof(*table))) {
        i += QCOW2_ZERO_SCAN_CHUNK;
    }
    while (end - i >= 8) {
        const uint64_t *t = table + i * words;

        if (t[0] | t[words] | t[2 * words] | t[3 * words] | t[4 * words] |
            t[5 * words] | t[6 * words] | t[7 * words]) {
            break;
        }
        i += 8;
    }
    while (i < end && !table[i * words]) {
        i++;
    }
    return i;
}

/*
 * The non-zero entries of @n at @from, from big-endian to host order; the
 * index after the last one (0 if none)
 */
static int64_t qcow2_table_to_host(uint64_t *to, const uint64_t *from,
                                   int64_t n)
{
    int64_t used = 0;

    for (int64_t i = qcow2_next_nonzero_entry(from, 0, n, 1); i < n;
         i = qcow2_next_nonzero_entry(from, i + 1, n, 1)) {
        to[i] = be64_to_cpu(from[i]);
        used = i + 1;
    }
    return used;
}

/*
 * The bytes from @offset (at most @bytes, at least 1) that read alike, and
 * in *@hole whether the file reports them as zeroes (a hole of a sparse
 * file or mem buffer).  Not known: all @bytes, not a hole.
 */
static int64_t qcow2_file_extent(BdrvChild *file, int64_t offset,
                                 int64_t bytes, bool *hole)
{
    int64_t pnum = 0, map;
    BlockDriverState *f;
    int ret = bdrv_block_status(file->bs, offset, bytes, &pnum, &map, &f);

    if (ret < 0 || pnum <= 0) {
        *hole = false;
        return bytes;
    }
    *hole = ret & BDRV_BLOCK_ZERO;
    return pnum;
}

int qcow2_pread_data(BdrvChild *file, int64_t offset, int64_t bytes,
                     uint8_t *buf)
{
    for (int64_t done = 0, n; done < bytes; done += n) {
        bool hole;
        int ret;

        n = qcow2_file_extent(file, offset + done, bytes - done, &hole);
        if (hole) {
            continue;
        }
        ret = bdrv_pread(file, offset + done, n, buf + done, 0);
        if (ret < 0) {
            return ret;
        }
    }
    return 0;
}

int64_t qcow2_walk_table(BdrvChild *file, uint64_t offset, uint64_t entries,
                         Qcow2TableEntryFn *fn, void *opaque)
{
    const uint64_t piece = QCOW2_TABLE_PIECE / sizeof(uint64_t);
    /* A table of a few clusters (a check's refcount table) needs no heap */
    uint64_t small[512];
    g_autofree uint64_t *heap = NULL;
    uint64_t *buf = small;
    int64_t used = 0;
    int ret;

    if (MIN(entries, piece) > ARRAY_SIZE(small)) {
        heap = g_try_malloc(MIN(entries, piece) * 8);
        if (!heap) {
            return -ENOMEM;
        }
        buf = heap;
    }
    for (uint64_t done = 0, n = 0; done < entries; done += n) {
        bool hole = false;

        /* (a table of one piece is read without asking) */
        if (entries > piece) {
            n = qcow2_file_extent(file, offset + done * 8,
                                  MIN(entries - done, INT64_MAX / 8) * 8,
                                  &hole) / 8;
        }
        if (hole && n) {
            continue;
        }
        n = MIN(piece, entries - done);
        ret = bdrv_pread(file, offset + done * 8, n * 8, buf, 0);
        if (ret < 0) {
            return ret;
        }
        for (int64_t i = qcow2_next_nonzero_entry(buf, 0, n, 1); i < (int64_t)n;
             i = qcow2_next_nonzero_entry(buf, i + 1, n, 1)) {
            ret = fn(opaque, done + i, be64_to_cpu(buf[i]));
            if (ret < 0) {
                return ret;
            }
            used = done + i + 1;
        }
    }
    return used;
}

typedef struct Qcow2TableStore {
    uint64_t *table;
    uint64_t used;
} Qcow2TableStore;

static int qcow2_table_store(void *opaque, uint64_t index, uint64_t entry)
{
    Qcow2TableStore *st = opaque;

    st->table[index] = entry;
    st->used = index + 1;
    return 0;
}

int64_t qcow2_read_table(BdrvChild *file, uint64_t offset, uint64_t entries,
                         uint64_t *table)
{
    Qcow2TableStore st = { .table = table };
    int64_t ret;

    if (entries <= QCOW2_TABLE_PIECE / sizeof(uint64_t)) {
        ret = bdrv_pread(file, offset, entries * 8, table, 0);
        if (ret < 0) {
            memset(table, 0, entries * 8);
            return ret;
        }
        return qcow2_table_to_host(table, table, entries);
    }
    ret = qcow2_walk_table(file, offset, entries, qcow2_table_store, &st);
    if (ret < 0) {
        /* The table is left as it came: the entries stored so far go */
        memset(table, 0, st.used * 8);
    }
    return ret;
}

/*
 * A big table is mapped (zero pages cost nothing until touched), so that
 * one a header declares megabytes long but uses a few entries of costs
 * what it uses, under ASan as well, whose allocator zeroes, poisons and
 * unmaps a big block at every open and close (3/4 of such an input's
 * time).  It ends where a page that cannot be touched starts, so that an
 * access past its end faults (ASan reports the SEGV with its stack).
 */
static size_t qcow2_table_map_len(size_t bytes)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);

    return ROUND_UP(bytes, page) + page;
}

void *qcow2_table_new0(size_t bytes)
{
    size_t len, page = (size_t)sysconf(_SC_PAGESIZE);
    uint8_t *map;

    if (bytes < QCOW2_TABLE_MAP_MIN) {
        return g_try_malloc0(MAX(bytes, 1));
    }
    len = qcow2_table_map_len(bytes);
    map = mmap(NULL, len, PROT_READ | PROT_WRITE,
               MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (map == MAP_FAILED) {
        return NULL;
    }
    if (mprotect(map + len - page, page, PROT_NONE) < 0) {
        munmap(map, len);
        return NULL;
    }
    return map + (len - page - bytes);
}

void qcow2_table_free(void *table, size_t bytes)
{
    size_t len, page = (size_t)sysconf(_SC_PAGESIZE);

    if (bytes < QCOW2_TABLE_MAP_MIN) {
        g_free(table);
    } else if (table) {
        len = qcow2_table_map_len(bytes);
        munmap((uint8_t *)table + bytes + page - len, len);
    }
}

void qcow2_l1_table_free(BDRVQcow2State *s, uint64_t *table)
{
    if (table && table == s->l1_loaded) {
        qcow2_table_free(table, s->l1_loaded_bytes);
        s->l1_loaded = NULL;
        s->l1_loaded_bytes = 0;
    } else {
        g_free(table);
    }
}

void qcow2_l1_set(BDRVQcow2State *s, uint32_t index, uint64_t value)
{
    s->l1_table[index] = value;
    if (value && index >= s->l1_used) {
        s->l1_used = index + 1;
    }
}

void qcow2_reftable_set(BDRVQcow2State *s, uint64_t index, uint64_t value)
{
    s->reftable[index] = value;
    if (value && index >= s->reftable_used) {
        s->reftable_used = index + 1;
    }
}

uint64_t qcow2_l1_entries_for(BDRVQcow2State *s, uint64_t disk_size)
{
    uint64_t l2_span = (uint64_t)s->cluster_size << s->l2_bits;

    return disk_size / l2_span + !!(disk_size % l2_span);
}

/* An L2 table offset from the L1 table: aligned, not over other metadata */
int coroutine_fn qcow2_validate_l2_offset(BlockDriverState *bs, uint64_t l1e,
                                          uint32_t l1_index)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t off = l1e & QCOW2_L1E_OFFSET_MASK;
    int kind;

    if (off & (s->cluster_size - 1)) {
        return qcow2_signal_corruption(bs, off, s->cluster_size,
                                       "L2 table offset %#" PRIx64
                                       " unaligned (L1 index: %#" PRIx32 ")",
                                       off, l1_index);
    }
    kind = qcow2_check_overlap(bs, QCOW2_OL_ACTIVE_L2, off, s->cluster_size);
    if (kind) {
        return qcow2_signal_corruption(bs, off, s->cluster_size,
                                       "L2 table offset %#" PRIx64
                                       " (L1 index: %#" PRIx32 ") overlaps "
                                       "other metadata", off, l1_index);
    }
    return 0;
}

/* The entry, checked: a data cluster offset must be aligned, a subcluster
 * bitmap must be one the spec allows */
int coroutine_fn qcow2_validate_l2_entry(BlockDriverState *bs,
                                         uint64_t l2_offset, int64_t index,
                                         uint64_t l2e, uint64_t bitmap)
{
    BDRVQcow2State *s = bs->opaque;
    Qcow2ClusterType type = qcow2_entry_type(s, l2e);
    uint64_t host = l2e & QCOW2_L2E_OFFSET_MASK;

    if (s->extended_l2) {
        int ret = qcow2_sc_check_bitmap(bs, l2e, bitmap, l2_offset, index);

        if (ret < 0) {
            return ret;
        }
    }
    /* A compressed offset field wider than 56 bits has its top bits 0 */
    if (type == QCOW2_CLUSTER_COMPRESSED &&
        (l2e & s->cluster_offset_mask) >> 56) {
        return qcow2_signal_corruption(bs, 0, 0, "Compressed cluster offset "
                                       "%#" PRIx64 " beyond 64 PB (L2 "
                                       "offset: %#" PRIx64 ", L2 index: %#"
                                       PRIx64 ")", l2e &
                                       s->cluster_offset_mask, l2_offset,
                                       index);
    }
    if ((type == QCOW2_CLUSTER_NORMAL || type == QCOW2_CLUSTER_ZERO_ALLOC) &&
        (host & (s->cluster_size - 1))) {
        return qcow2_signal_corruption(bs, host, s->cluster_size,
                                       "Cluster allocation offset %#" PRIx64
                                       " unaligned (L2 offset: %#" PRIx64
                                       ", L2 index: %#" PRIx64 ")", host,
                                       l2_offset, index);
    }
    return 0;
}

int coroutine_fn qcow2_get_l2_entries(BlockDriverState *bs, uint64_t offset,
                                      int64_t n, uint64_t *l2es,
                                      uint64_t *l2_offset)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t l1_index = offset >> (s->l2_bits + s->cluster_bits);
    int64_t l2_index = (offset >> s->cluster_bits) & (s->l2_size - 1);
    uint64_t *table;
    int ret;

    assert(n > 0 && l2_index + n <= s->l2_size);
    memset(l2es, 0, n * sizeof(*l2es));
    *l2_offset = 0;
    if (l1_index >= s->l1_size ||
        !(s->l1_table[l1_index] & QCOW2_L1E_OFFSET_MASK)) {
        return 0;
    }
    /* One validation and one cache look-up for the whole run; a cached
     * table was checked when loaded (or made by us), and metadata written
     * over it later fails its own overlap check */
    if (!qcow2_cache_contains(s->l2_cache,
                              s->l1_table[l1_index] & QCOW2_L1E_OFFSET_MASK)) {
        ret = qcow2_validate_l2_offset(bs, s->l1_table[l1_index], l1_index);
        if (ret < 0) {
            return ret;
        }
    }
    *l2_offset = s->l1_table[l1_index] & QCOW2_L1E_OFFSET_MASK;
    ret = qcow2_cache_get(bs, s->l2_cache, *l2_offset, (void **)&table);
    if (ret < 0) {
        return ret;
    }
    if (s->l2_entry_words == 1) {
        /* One copy, then only the entries in use are swapped */
        memcpy(l2es, table + l2_index, n * sizeof(*l2es));
        qcow2_table_to_host(l2es, l2es, n);
    } else {
        for (int64_t i = 0; i < n; i++) {
            l2es[i] = be64_to_cpu(table[(l2_index + i) * s->l2_entry_words]);
        }
    }
    qcow2_cache_put(s->l2_cache, (void **)&table);
    return 0;
}

int coroutine_fn qcow2_get_l2_entry(BlockDriverState *bs, uint64_t offset,
                                    uint64_t *l2e)
{
    uint64_t bitmap;

    return qcow2_get_l2_entry_ext(bs, offset, l2e, &bitmap);
}

int coroutine_fn qcow2_get_l2_entry_ext(BlockDriverState *bs,
                                        uint64_t offset, uint64_t *l2e,
                                        uint64_t *bitmap)
{
    BDRVQcow2State *s = bs->opaque;
    int64_t l2_index = (offset >> s->cluster_bits) & (s->l2_size - 1);
    uint64_t l2_offset;
    uint64_t *table;
    int ret = qcow2_get_l2_entries(bs, offset, 1, l2e, &l2_offset);

    *bitmap = 0;
    if (ret < 0 || !l2_offset) {
        return ret;
    }
    if (s->extended_l2) {
        ret = qcow2_cache_get(bs, s->l2_cache, l2_offset, (void **)&table);
        if (ret < 0) {
            return ret;
        }
        *bitmap = be64_to_cpu(table[l2_index * 2 + 1]);
        qcow2_cache_put(s->l2_cache, (void **)&table);
    }
    return qcow2_validate_l2_entry(bs, l2_offset, l2_index, *l2e, *bitmap);
}

static int coroutine_fn qcow2_cluster_write_l1_entry(BlockDriverState *bs,
                                                     uint32_t index)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t e = cpu_to_be64(s->l1_table[index]);
    int64_t off = s->l1_offset + (int64_t)index * 8;
    int ret = qcow2_pre_write_check(bs, QCOW2_OL_ACTIVE_L1, off, 8);

    if (ret < 0) {
        return ret;
    }
    BLKDBG_CO_EVENT(bs->file, BLKDBG_L1_UPDATE);
    return bdrv_co_pwrite_sync(bs->file, off, 8, &e, 0);
}

/*
 * A new L2 table for L1 entry @index: empty, or a copy of the shared one
 * the entry pointed to.  It is on disk before the L1 entry points to it.
 */
static int coroutine_fn qcow2_cluster_new_l2(BlockDriverState *bs,
                                             uint32_t index)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t old = s->l1_table[index] & QCOW2_L1E_OFFSET_MASK;
    g_autofree void *copy = NULL;
    void *table;
    int64_t new;
    int ret;

    if (old) {
        copy = g_malloc(s->cluster_size);
        ret = qcow2_cache_get(bs, s->l2_cache, old, &table);
        if (ret < 0) {
            return ret;
        }
        memcpy(copy, table, s->cluster_size);
        qcow2_cache_put(s->l2_cache, &table);
    }
    BLKDBG_CO_EVENT(bs->file, BLKDBG_L2_ALLOC_COW_READ);
    new = qcow2_alloc_clusters(bs, 1);
    if (new < 0) {
        return new;
    }
    ret = qcow2_cache_get_empty(bs, s->l2_cache, new, &table);
    if (ret < 0) {
        qcow2_free_clusters(bs, new, s->cluster_size, QCOW2_DISCARD_NEVER);
        return ret;
    }
    if (copy) {
        memcpy(table, copy, s->cluster_size);
    }
    qcow2_cache_put(s->l2_cache, &table);
    BLKDBG_CO_EVENT(bs->file, BLKDBG_L2_ALLOC_WRITE);
    ret = qcow2_cache_flush(bs, s->l2_cache);
    if (ret < 0) {
        return ret;
    }
    qcow2_l1_set(s, index, new | QCOW2_OFLAG_COPIED);
    qcow2_meta_index_replace(s, QCOW2_OL_ACTIVE_L2, old, new);
    ret = qcow2_cluster_write_l1_entry(bs, index);
    if (ret < 0) {
        qcow2_l1_set(s, index, old);
        qcow2_meta_index_drop(s);
        return ret;
    }
    if (old) {
        qcow2_free_clusters(bs, old, s->cluster_size, QCOW2_DISCARD_OTHER);
    }
    return 0;
}

/* Make the L2 table of @offset exist and be private to the active L1 */
int coroutine_fn qcow2_prepare_l2(BlockDriverState *bs, uint64_t offset)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t l1_index = offset >> (s->l2_bits + s->cluster_bits);
    int ret;

    if (l1_index >= s->l1_size) {
        ret = qcow2_grow_l1(bs, l1_index + 1);
        if (ret < 0) {
            return ret;
        }
    }
    if (s->l1_table[l1_index] & QCOW2_L1E_OFFSET_MASK) {
        ret = qcow2_validate_l2_offset(bs, s->l1_table[l1_index], l1_index);
        if (ret < 0) {
            return ret;
        }
    }
    /* COPIED without a table (hostile) is no table either */
    if (!(s->l1_table[l1_index] & QCOW2_OFLAG_COPIED) ||
        !(s->l1_table[l1_index] & QCOW2_L1E_OFFSET_MASK)) {
        return qcow2_cluster_new_l2(bs, l1_index);
    }
    return 0;
}

int coroutine_fn qcow2_set_l2_entry(BlockDriverState *bs, uint64_t offset,
                                    uint64_t l2e)
{
    return qcow2_set_l2_entry_ext(bs, offset, l2e, 0);
}

int coroutine_fn qcow2_set_l2_entry_ext(BlockDriverState *bs,
                                        uint64_t offset, uint64_t l2e,
                                        uint64_t bitmap)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t l1_index = offset >> (s->l2_bits + s->cluster_bits);
    int64_t l2_index = (offset >> s->cluster_bits) & (s->l2_size - 1);
    uint64_t *table;
    int ret = qcow2_prepare_l2(bs, offset);

    if (ret < 0) {
        return ret;
    }
    ret = qcow2_cache_get(bs, s->l2_cache,
                          s->l1_table[l1_index] & QCOW2_L1E_OFFSET_MASK,
                          (void **)&table);
    if (ret < 0) {
        return ret;
    }
    table[l2_index * s->l2_entry_words] = cpu_to_be64(l2e);
    if (s->extended_l2) {
        table[l2_index * 2 + 1] = cpu_to_be64(bitmap);
    }
    qcow2_cache_mark_dirty(s->l2_cache, table);
    qcow2_cache_put(s->l2_cache, (void **)&table);
    return 0;
}

uint64_t qcow2_entry_host_range(BDRVQcow2State *s, uint64_t l2e,
                                uint64_t *offset)
{
    Qcow2ClusterType t = qcow2_entry_type(s, l2e);

    /* Clusters of a data file have no refcounts */
    if (s->data_file && t != QCOW2_CLUSTER_COMPRESSED) {
        t = QCOW2_CLUSTER_UNALLOCATED;
    }
    switch (t) {
    case QCOW2_CLUSTER_NORMAL:
    case QCOW2_CLUSTER_ZERO_ALLOC:
        *offset = l2e & QCOW2_L2E_OFFSET_MASK;
        return s->cluster_size;
    case QCOW2_CLUSTER_COMPRESSED:
        /* From the sector of the offset, nsect + 1 sectors */
        *offset = l2e & s->cluster_offset_mask & ~511ULL;
        return (((l2e >> s->csize_shift) & s->csize_mask) + 1) * 512;
    default:
        *offset = 0;
        return 0;
    }
}

void coroutine_fn qcow2_free_entry(BlockDriverState *bs, uint64_t l2e,
                                   Qcow2DiscardType why)
{
    uint64_t offset;
    uint64_t len = qcow2_entry_host_range(bs->opaque, l2e, &offset);

    if (len) {
        /* Data I/O without the lock may still be reading or writing it */
        qcow2_io_wait_host(bs, bs->file, offset, len);
        qcow2_free_clusters(bs, offset, len, why);
    }
}

/* Grow the active L1 table to at least @min_size entries */
int coroutine_fn qcow2_grow_l1(BlockDriverState *bs, uint64_t min_size)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t new_size = MAX(min_size, (uint64_t)s->l1_size);
    int64_t bytes, new_offset;
    g_autofree uint64_t *table = NULL;
    uint8_t hdr[12];
    int ret;

    if (new_size * 8 > QCOW2_MAX_L1_BYTES) {
        return -EFBIG;
    }
    if (new_size == s->l1_size) {
        return 0;
    }
    bytes = ROUND_UP(new_size * 8, s->cluster_size);
    new_size = bytes / 8;
    BLKDBG_CO_EVENT(bs->file, BLKDBG_L1_GROW_ALLOC_TABLE);
    new_offset = qcow2_alloc_clusters(bs, bytes / s->cluster_size);
    if (new_offset < 0) {
        return new_offset;
    }
    table = g_new0(uint64_t, new_size);
    for (uint32_t i = 0; i < s->l1_size; i++) {
        table[i] = cpu_to_be64(s->l1_table[i]);
    }
    /* Refcounts of the new table reach the disk before the header */
    ret = qcow2_cache_flush(bs, s->refblock_cache);
    if (ret == 0) {
        ret = qcow2_pre_write_check(bs, 0, new_offset, bytes);
    }
    if (ret == 0) {
        BLKDBG_CO_EVENT(bs->file, BLKDBG_L1_GROW_WRITE_TABLE);
        ret = bdrv_co_pwrite_sync(bs->file, new_offset, bytes, table, 0);
    }
    stl_be_p(hdr, new_size);
    stq_be_p(hdr + 4, new_offset);
    if (ret == 0) {
        BLKDBG_CO_EVENT(bs->file, BLKDBG_L1_GROW_ACTIVATE_TABLE);
        ret = qcow2_write_header_field(bs, QCOW2_HDR_L1_SIZE, hdr, 12);
    }
    if (ret < 0) {
        qcow2_free_clusters(bs, new_offset, bytes, QCOW2_DISCARD_NEVER);
        return ret;
    }
    for (uint64_t i = 0; i < new_size; i++) {
        table[i] = be64_to_cpu(table[i]);
    }
    if (s->l1_size) {
        qcow2_free_clusters(bs, s->l1_offset,
                            ROUND_UP((int64_t)s->l1_size * 8,
                                     s->cluster_size), QCOW2_DISCARD_OTHER);
    }
    qcow2_l1_table_free(s, s->l1_table);
    s->l1_table = g_steal_pointer(&table);
    s->l1_size = new_size;
    s->l1_offset = new_offset;
    return 0;
}

/* Drop the L2 tables of L1 entries from @keep on (the entries become 0) */
int coroutine_fn qcow2_shrink_l1(BlockDriverState *bs, uint64_t keep)
{
    BDRVQcow2State *s = bs->opaque;
    int64_t n = (int64_t)s->l1_size - (int64_t)keep;
    int64_t off = s->l1_offset + (int64_t)keep * 8;
    g_autofree uint64_t *zeroes = NULL;
    int ret;

    if (n <= 0) {
        return 0;
    }
    zeroes = g_new0(uint64_t, n);
    ret = qcow2_pre_write_check(bs, QCOW2_OL_ACTIVE_L1, off, n * 8);
    if (ret == 0) {
        BLKDBG_CO_EVENT(bs->file, BLKDBG_L1_SHRINK_WRITE_TABLE);
        ret = bdrv_co_pwrite_sync(bs->file, off, n * 8, zeroes, 0);
    }
    if (ret < 0) {
        return ret;
    }
    for (uint64_t i = keep; i < s->l1_size; i++) {
        uint64_t l2 = s->l1_table[i] & QCOW2_L1E_OFFSET_MASK;

        s->l1_table[i] = 0;
        qcow2_meta_index_replace(s, QCOW2_OL_ACTIVE_L2, l2, 0);
        if (l2) {
            BLKDBG_CO_EVENT(bs->file, BLKDBG_L1_SHRINK_FREE_L2_CLUSTERS);
            qcow2_free_clusters(bs, l2, s->cluster_size, QCOW2_DISCARD_OTHER);
        }
    }
    return 0;
}
