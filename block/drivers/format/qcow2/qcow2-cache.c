/*
 * qcow2 metadata cache: a fixed number of cluster-sized tables (L2 tables
 * or refcount blocks) kept in their on-disk (big-endian) form, evicted
 * least recently used first, written back on eviction and on flush.  A
 * cache may depend on another (the L2 cache on the refcount cache): the
 * other one is flushed first, so no table on disk points to clusters whose
 * refcounts are not on disk yet.  Refcount decrements need the opposite
 * order: the refcount cache then holds only decrements and waits for the
 * L2 cache (qcow2_cache_before_decrement), so no refcount on disk drops
 * while a table on disk still holds the reference.  Callers hold the
 * driver's lock.
 *
 * Slots are filled in order and a slot's table is allocated when it is
 * first used: an open costs no cache memory, and a small image never pays
 * for the tables it would need to be big.
 */
#include "qcow2.h"

#define QCOW2_CACHE_INLINE_ENTRIES 8

typedef struct Qcow2CacheEntry {
    uint64_t offset;   /* 0: free slot */
    void *table;
    uint64_t lru;
    int ref;
    bool dirty;
} Qcow2CacheEntry;

struct Qcow2Cache {
    Qcow2CacheEntry *entries;
    int size;
    int used;          /* entries[0, used) have a table */
    int allocated;     /* room in entries[], grown up to size */
    int last;          /* the entry found last: most look-ups find it again */
    BlockDriverState *file;
    int64_t table_size;
    uint64_t lru_counter;
    uint64_t clean_lru;     /* lru_counter at the last clean */
    int overlap_kind;
    Qcow2Cache *depends;
    Qcow2Cache *after;      /* holds only decrements: written after it */
    /* The first entries, in the cache's own allocation (an open makes two) */
    Qcow2CacheEntry inline_entries[QCOW2_CACHE_INLINE_ENTRIES];
};

Qcow2Cache *qcow2_cache_create(BlockDriverState *bs, int tables,
                               int64_t table_size, int overlap_kind)
{
    Qcow2Cache *c = g_new0(Qcow2Cache, 1);

    c->size = tables;
    c->table_size = table_size;
    c->overlap_kind = overlap_kind;
    c->file = bs->file->bs;
    /* Slots are set up when first used; the array grows as they are */
    c->allocated = MIN(tables, QCOW2_CACHE_INLINE_ENTRIES);
    c->entries = c->inline_entries;
    return c;
}

void qcow2_cache_destroy(Qcow2Cache *c)
{
    if (!c) {
        return;
    }
    for (int i = 0; i < c->used; i++) {
        qemu_vfree(c->entries[i].table);
    }
    if (c->entries != c->inline_entries) {
        g_free(c->entries);
    }
    g_free(c);
}

void qcow2_cache_set_dependency(Qcow2Cache *c, Qcow2Cache *dep)
{
    c->depends = dep;
}

static int coroutine_fn qcow2_cache_write_entry(BlockDriverState *bs,
                                                Qcow2Cache *c,
                                                Qcow2CacheEntry *e)
{
    int ret;

    if (!e->dirty) {
        return 0;
    }
    /* A cache of decrements that waits for this one is not flushed first */
    if (c->depends && c->depends->after != c) {
        ret = qcow2_cache_flush(bs, c->depends);
        if (ret < 0) {
            return ret;
        }
    }
    if (c->after) {
        ret = qcow2_cache_flush(bs, c->after);
        if (ret < 0) {
            return ret;
        }
        c->after = NULL;
    }
    ret = qcow2_pre_write_check(bs, c->overlap_kind, e->offset,
                                c->table_size);
    if (ret < 0) {
        return ret;
    }
    BLKDBG_CO_EVENT(bs->file, c->overlap_kind == QCOW2_OL_ACTIVE_L2 ?
                    BLKDBG_L2_UPDATE : BLKDBG_REFBLOCK_UPDATE);
    qcow2_file_written(bs->opaque, e->offset + c->table_size);
    ret = bdrv_co_pwrite(bs->file, e->offset, c->table_size, e->table, 0);
    if (ret == 0) {
        e->dirty = false;
    }
    return ret;
}

int coroutine_fn qcow2_cache_flush(BlockDriverState *bs, Qcow2Cache *c)
{
    int result = 0;

    for (int i = 0; i < c->used; i++) {
        int ret = qcow2_cache_write_entry(bs, c, &c->entries[i]);

        if (ret < 0 && result == 0) {
            result = ret;
        }
    }
    return result;
}

int coroutine_fn qcow2_cache_before_decrement(BlockDriverState *bs,
                                              Qcow2Cache *c, Qcow2Cache *tables)
{
    int ret;

    if (c->after == tables) {
        return 0;
    }
    /* Pending increments go first: the tables may already use them */
    ret = qcow2_cache_flush(bs, c);
    if (ret == 0) {
        c->after = tables;
    }
    return ret;
}

int coroutine_fn qcow2_cache_before_increment(BlockDriverState *bs,
                                              Qcow2Cache *c)
{
    int ret;

    if (!c->after) {
        return 0;
    }
    /* The tables that dropped references first, then increments as usual */
    ret = qcow2_cache_flush(bs, c->after);
    if (ret == 0) {
        c->after = NULL;
    }
    return ret;
}

static Qcow2CacheEntry *qcow2_cache_find(Qcow2Cache *c, uint64_t offset)
{
    /* (a table's offset is in one slot at most; 0 marks free slots) */
    if (offset && c->last < c->used && c->entries[c->last].offset == offset) {
        return &c->entries[c->last];
    }
    for (int i = 0; i < c->used; i++) {
        if (c->entries[i].offset == offset) {
            c->last = i;
            return &c->entries[i];
        }
    }
    return NULL;
}

/* The least recently used unreferenced slot, written back if dirty */
static int coroutine_fn qcow2_cache_victim(BlockDriverState *bs, Qcow2Cache *c,
                                           Qcow2CacheEntry **victim)
{
    Qcow2CacheEntry *best = NULL;
    int ret;

    if (c->used < c->size) {
        /* A slot never used: its table now (no yield: pointers stay valid) */
        if (c->used == c->allocated) {
            c->allocated = MIN(c->size, c->allocated * 2);
            if (c->entries == c->inline_entries) {
                c->entries = g_new(Qcow2CacheEntry, c->allocated);
                memcpy(c->entries, c->inline_entries,
                       sizeof(c->inline_entries));
            } else {
                c->entries = g_renew(Qcow2CacheEntry, c->entries,
                                     c->allocated);
            }
        }
        best = &c->entries[c->used];
        *best = (Qcow2CacheEntry) {
            .table = qemu_try_blockalign(c->file, c->table_size),
        };
        if (!best->table) {
            return -ENOMEM;
        }
        c->used++;
        *victim = best;
        return 0;
    }
    for (int i = 0; i < c->used; i++) {
        Qcow2CacheEntry *e = &c->entries[i];

        if (e->ref == 0 && (!best || e->lru < best->lru)) {
            best = e;
        }
    }
    if (!best) {
        return -ENOSPC;
    }
    ret = qcow2_cache_write_entry(bs, c, best);
    if (ret < 0) {
        return ret;
    }
    best->offset = 0;
    *victim = best;
    return 0;
}

static int coroutine_fn qcow2_cache_do_get(BlockDriverState *bs,
                                           Qcow2Cache *c, uint64_t offset,
                                           bool read, void **table)
{
    Qcow2CacheEntry *e = qcow2_cache_find(c, offset);
    int ret;

    assert(offset);
    if (!e) {
        ret = qcow2_cache_victim(bs, c, &e);
        if (ret < 0) {
            return ret;
        }
        if (read) {
            ptrdiff_t i = e - c->entries;

            BLKDBG_CO_EVENT(bs->file, c->overlap_kind == QCOW2_OL_ACTIVE_L2 ?
                            BLKDBG_L2_LOAD : BLKDBG_REFBLOCK_LOAD);
            ret = bdrv_co_pread(bs->file, offset, c->table_size, e->table, 0);
            if (ret < 0) {
                return ret;
            }
            /* The array may have grown while the read yielded */
            e = &c->entries[i];
        }
        e->offset = offset;
    }
    if (!read) {
        memset(e->table, 0, c->table_size);
        e->dirty = true;
    }
    e->ref++;
    e->lru = ++c->lru_counter;
    c->last = e - c->entries;
    *table = e->table;
    return 0;
}

int coroutine_fn qcow2_cache_get(BlockDriverState *bs, Qcow2Cache *c,
                                 uint64_t offset, void **table)
{
    return qcow2_cache_do_get(bs, c, offset, true, table);
}

/* A new table at @offset, zero-filled and dirty (nothing is read) */
int coroutine_fn qcow2_cache_get_empty(BlockDriverState *bs, Qcow2Cache *c,
                                       uint64_t offset, void **table)
{
    return qcow2_cache_do_get(bs, c, offset, false, table);
}

static Qcow2CacheEntry *qcow2_cache_by_table(Qcow2Cache *c, void *table)
{
    if (c->last < c->used && c->entries[c->last].table == table) {
        return &c->entries[c->last];
    }
    for (int i = 0; i < c->used; i++) {
        if (c->entries[i].table == table) {
            c->last = i;
            return &c->entries[i];
        }
    }
    g_assert_not_reached();
}

void qcow2_cache_put(Qcow2Cache *c, void **table)
{
    Qcow2CacheEntry *e = qcow2_cache_by_table(c, *table);

    assert(e->ref > 0);
    e->ref--;
    *table = NULL;
}

void qcow2_cache_mark_dirty(Qcow2Cache *c, void *table)
{
    qcow2_cache_by_table(c, table)->dirty = true;
}

void qcow2_cache_discard(Qcow2Cache *c, uint64_t offset)
{
    Qcow2CacheEntry *e = qcow2_cache_find(c, offset);

    if (e && e->ref == 0) {
        e->offset = 0;
        e->dirty = false;
        e->lru = 0;
    }
}

bool qcow2_cache_contains(Qcow2Cache *c, uint64_t offset)
{
    return offset && qcow2_cache_find(c, offset);
}

void qcow2_cache_clean_unused(Qcow2Cache *c)
{
    /* Only the slots in use exist: the array grows as they are taken */
    for (int i = 0; i < c->used; i++) {
        Qcow2CacheEntry *e = &c->entries[i];

        if (e->offset && !e->ref && !e->dirty && e->lru <= c->clean_lru) {
            e->offset = 0;
        }
    }
    c->clean_lru = c->lru_counter;
}
