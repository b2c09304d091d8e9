/*
 * qcow2 check, second half, and repair (qemu-img check -r leaks / all):
 * the references qcow2-check.c counted are compared with the refcounts;
 * leaks are freed (BDRV_FIX_LEAKS), refcounts that are too low raised
 * (BDRV_FIX_ERRORS).  A cluster in use whose refcount is 0, or a broken
 * refcount block, cannot be fixed in place: the whole refcount structure
 * is then rebuilt from the counts, in free clusters, and the old one freed.
 * Last the OFLAG_COPIED flags of the active tables are compared with the
 * refcounts.  Messages and counts follow qemu-img's.
 *
 * The dirty bit of lazy refcounts lives here too: set before the first
 * refcount change, cleared on clean close and after a repair; an image
 * opened read-write with it set is repaired first, as QEMU does.
 */
#include "qcow2-check.h"

/* References counted to clusters skipped per test when there are none */
#define QCOW2_REPAIR_SKIP_CHUNK 1024

/*
 * @i, or when cluster @i has no refcount block (its refcount is 0) and no
 * reference: the next cluster that has either, or the end.  The clusters
 * skipped compare equal (0 and 0): a padded or sparse file's clusters cost
 * a test each, not a refcount look-up.
 */
static int64_t qcow2_repair_skip_unused(Qcow2Check *c, int64_t i)
{
    BDRVQcow2State *s = c->bs->opaque;

    while (i < c->nb_clusters) {
        uint64_t block = (uint64_t)i >> s->refblock_bits;
        int64_t end;

        if (block < s->reftable_used && s->reftable[block]) {
            return i;
        }
        /* (past the entries in use, no cluster has a block) */
        end = block < s->reftable_used ?
              MIN(c->nb_clusters, (int64_t)(block + 1) << s->refblock_bits) :
              c->nb_clusters;
        while (end - i >= QCOW2_REPAIR_SKIP_CHUNK &&
               buffer_is_zero(c->refs + i,
                              QCOW2_REPAIR_SKIP_CHUNK * sizeof(*c->refs))) {
            i += QCOW2_REPAIR_SKIP_CHUNK;
        }
        while (i < end && !c->refs[i]) {
            i++;
        }
        if (i < end) {
            return i;
        }
    }
    return i;
}

int coroutine_fn qcow2_repair_compare(Qcow2Check *c, BdrvCheckResult *res,
                                      BdrvCheckMode fix, int64_t *highest)
{
    BDRVQcow2State *s = c->bs->opaque;
    Qcow2RefcountWalk w = { 0 };

    for (int64_t i = qcow2_repair_skip_unused(c, 0); i < c->nb_clusters;
         i = qcow2_repair_skip_unused(c, i + 1)) {
        uint64_t rc, ref = c->refs[i];
        int *fixed = NULL;
        int ret = qcow2_walk_refcount(c->bs, &w, i, &rc);

        if (ret < 0) {
            qcow2_check_msg(c, "Can't get refcount for cluster %" PRId64
                            ": %s", i, strerror(-ret));
            res->check_errors++;
            continue;
        }
        if (rc || ref) {
            *highest = i;
        }
        if (rc == ref) {
            continue;
        }
        if (rc == 0) {
            /* Raising it in place would race with allocations: rebuild */
            c->rebuild = true;
        } else if (rc > ref && (fix & BDRV_FIX_LEAKS)) {
            fixed = &res->leaks_fixed;
        } else if (rc < ref && (fix & BDRV_FIX_ERRORS)) {
            fixed = &res->corruptions_fixed;
        }
        qcow2_check_msg(c, "%s cluster %" PRId64 " refcount=%" PRIu64
                        " reference=%" PRIu64, fixed ? "Repairing" :
                        rc < ref ? "ERROR" : "Leaked", i, rc, ref);
        qcow2_walk_refcount_release(s, &w);
        if (fixed && qcow2_update_refcount(c->bs, i << s->cluster_bits,
                                           s->cluster_size,
                                           (int64_t)(ref - rc),
                                           QCOW2_DISCARD_NEVER) == 0) {
            (*fixed)++;
            continue;
        }
        if (rc < ref) {
            res->corruptions++;
        } else {
            res->leaks++;
        }
    }
    qcow2_walk_refcount_release(s, &w);
    return qcow2_cache_flush(c->bs, s->refblock_cache);
}

/* @n free clusters in a row (refs 0), first fit from *hint; marked used */
static int64_t qcow2_repair_alloc(Qcow2Check *c, int64_t n, int64_t *hint)
{
    int64_t start = *hint;

    /* The bound moves with start: one pass finds the first free run */
    for (int64_t i = start; i < start + n; i++) {
        if (i < c->nb_clusters && c->refs[i]) {
            start = i + 1;
        }
    }
    if (qcow2_check_grow(c, start + n - 1) < 0) {
        return -ENOMEM;
    }
    for (int64_t i = start; i < start + n; i++) {
        c->refs[i] = 1;
    }
    if (n == 1) {
        *hint = start + 1;
    }
    return start;
}

typedef struct Qcow2Rebuild {
    int order;
    int block_bits;        /* log2 of refcounts per block */
    uint64_t *blocks;      /* cluster of each refcount block, 0: none */
    int64_t nb_blocks;
    int64_t table;         /* first cluster of the table */
    int64_t table_clusters;
} Qcow2Rebuild;

/* A refcount block for every range with a cluster in use */
static int qcow2_repair_plan_blocks(Qcow2Check *c, Qcow2Rebuild *r,
                                    int64_t *hint)
{
    bool changed = true;

    while (changed) {
        changed = false;
        for (int64_t b = 0; (b << r->block_bits) < c->nb_clusters; b++) {
            int64_t start = b << r->block_bits;
            int64_t end = MIN(c->nb_clusters, start + (1LL << r->block_bits));
            bool used = false;

            if (b >= r->nb_blocks) {
                r->blocks = g_renew(uint64_t, r->blocks, b + 1);
                memset(r->blocks + r->nb_blocks, 0,
                       (b + 1 - r->nb_blocks) * 8);
                r->nb_blocks = b + 1;
            }
            for (int64_t i = start; i < end && !used && !r->blocks[b]; i++) {
                used = c->refs[i] != 0;
            }
            if (used) {
                int64_t at = qcow2_repair_alloc(c, 1, hint);

                if (at < 0) {
                    return at;
                }
                r->blocks[b] = at;
                changed = true;
            }
        }
    }
    return 0;
}

/* Where the new blocks and table go; refs counts them */
static int qcow2_repair_plan(Qcow2Check *c, Qcow2Rebuild *r)
{
    BDRVQcow2State *s = c->bs->opaque;
    int64_t hint = 0;

    for (;;) {
        int ret = qcow2_repair_plan_blocks(c, r, &hint);
        int64_t need = DIV_ROUND_UP(r->nb_blocks * 8, s->cluster_size);

        if (ret < 0) {
            return ret;
        }
        if (r->table_clusters >= need) {
            return 0;
        }
        if (need * s->cluster_size > QCOW2_MAX_REFTABLE_BYTES) {
            return -EFBIG;
        }
        for (int64_t i = 0; i < r->table_clusters; i++) {
            c->refs[r->table + i] = 0;
        }
        int64_t from = 0;

        r->table = qcow2_repair_alloc(c, need, &from);
        if (r->table < 0) {
            return r->table;
        }
        r->table_clusters = need;
    }
}

/* Write the planned blocks (refcounts from refs) and table */
static int coroutine_fn qcow2_repair_write(Qcow2Check *c, Qcow2Rebuild *r,
                                           uint64_t *table)
{
    BDRVQcow2State *s = c->bs->opaque;
    BDRVQcow2State w = { .refcount_order = r->order,
                         .refcount_max = r->order == 6 ? UINT64_MAX :
                             (1ULL << (1 << r->order)) - 1 };
    g_autofree uint8_t *buf = g_try_malloc(s->cluster_size);
    int64_t per_block = 1LL << r->block_bits;
    int64_t bytes = r->table_clusters * s->cluster_size;
    int ret = buf ? 0 : -ENOMEM;

    for (int64_t b = 0; ret == 0 && b < r->nb_blocks; b++) {
        int64_t off = r->blocks[b] << s->cluster_bits;

        table[b] = cpu_to_be64(off);
        if (!r->blocks[b]) {
            continue;
        }
        memset(buf, 0, s->cluster_size);
        for (int64_t i = 0; i < per_block &&
             b * per_block + i < c->nb_clusters; i++) {
            uint64_t v = c->refs[b * per_block + i];

            if (v > w.refcount_max) {
                qcow2_check_msg(c, "ERROR cluster %" PRId64 " has %" PRIu64
                                " references, more than %d bits can count",
                                b * per_block + i, v, 1 << r->order);
                return -ERANGE;
            }
            qcow2_refblock_set(&w, buf, i, v);
        }
        ret = qcow2_pre_write_check(c->bs, 0, off, s->cluster_size);
        if (ret == 0) {
            ret = bdrv_co_pwrite(c->bs->file, off, s->cluster_size, buf, 0);
        }
    }
    if (ret == 0) {
        ret = qcow2_pre_write_check(c->bs, 0, r->table << s->cluster_bits,
                                    bytes);
    }
    if (ret == 0) {
        ret = bdrv_co_pwrite_sync(c->bs->file, r->table << s->cluster_bits,
                                  bytes, table, 0);
    }
    return ret;
}

/* Point the header to the new table (and width) in one write */
static int coroutine_fn qcow2_repair_switch(Qcow2Check *c, Qcow2Rebuild *r)
{
    BDRVQcow2State *s = c->bs->opaque;
    uint8_t hdr[QCOW2_V3_MIN_HEADER_LEN];
    int64_t end = s->version >= 3 ? QCOW2_V3_MIN_HEADER_LEN : 60;
    int ret = bdrv_co_pread(c->bs->file, 0, end, hdr, 0);

    if (ret < 0) {
        return ret;
    }
    stq_be_p(hdr + QCOW2_HDR_REFTABLE_OFFSET, r->table << s->cluster_bits);
    stl_be_p(hdr + QCOW2_HDR_REFTABLE_OFFSET + 8, r->table_clusters);
    if (s->version >= 3) {
        stl_be_p(hdr + 96, r->order);
    }
    return qcow2_write_header_field(c->bs, QCOW2_HDR_REFTABLE_OFFSET,
                                    hdr + QCOW2_HDR_REFTABLE_OFFSET,
                                    end - QCOW2_HDR_REFTABLE_OFFSET);
}

static void qcow2_repair_adopt(BDRVQcow2State *s, Qcow2Rebuild *r,
                               uint64_t *table)
{
    for (uint64_t i = 0; i < s->reftable_used; i++) {
        if (s->reftable[i]) {
            qcow2_cache_discard(s->refblock_cache, s->reftable[i]);
        }
    }
    qcow2_table_free(s->reftable, s->reftable_size * 8);
    s->reftable_size = r->table_clusters * s->cluster_size / 8;
    s->reftable_used = 0;
    for (uint64_t i = 0; i < s->reftable_size; i++) {
        table[i] = be64_to_cpu(table[i]);
        s->reftable_used = table[i] ? i + 1 : s->reftable_used;
    }
    s->reftable = table;
    qcow2_meta_index_drop(s);
    s->reftable_offset = r->table << s->cluster_bits;
    s->reftable_clusters = r->table_clusters;
    s->refcount_order = r->order;
    s->refcount_bits = 1 << r->order;
    s->refcount_max = r->order == 6 ? UINT64_MAX
                                    : (1ULL << s->refcount_bits) - 1;
    s->refblock_bits = r->block_bits;
    s->refblock_entries = 1LL << r->block_bits;
    s->free_cluster_index = 0;
}

int coroutine_fn qcow2_repair_rebuild(Qcow2Check *c, int order)
{
    BDRVQcow2State *s = c->bs->opaque;
    Qcow2Rebuild r = { .order = order,
                       .block_bits = s->cluster_bits + 3 - order };
    uint64_t *table = NULL;
    int ret = qcow2_cache_flush(c->bs, s->refblock_cache);

    if (ret == 0) {
        ret = qcow2_repair_plan(c, &r);
    }
    if (ret == 0) {
        table = qcow2_table_new0(r.table_clusters * s->cluster_size);
        ret = table ? qcow2_ensure_file_len(c->bs, c->nb_clusters *
                                            s->cluster_size) : -ENOMEM;
    }
    if (ret == 0) {
        /* The rebuilt tables go anywhere in the file */
        qcow2_file_written(s, MAX(s->file_len, c->nb_clusters *
                                  s->cluster_size));
        ret = qcow2_repair_write(c, &r, table);
    }
    if (ret == 0) {
        ret = qcow2_repair_switch(c, &r);
    }
    if (ret == 0) {
        qcow2_repair_adopt(s, &r, table);
        table = NULL;
    } else {
        qcow2_check_msg(c, "ERROR writing the new refcount structure: %s",
                        strerror(-ret));
    }
    qcow2_table_free(table, r.table_clusters * s->cluster_size);
    g_free(r.blocks);
    return ret;
}

/* Compare @e's OFLAG_COPIED with the refcount of @host; may flip it */
static int coroutine_fn qcow2_repair_copied(Qcow2Check *c, uint64_t *e,
                                            uint64_t host, const char *what,
                                            uint32_t l1_index)
{
    BDRVQcow2State *s = c->bs->opaque;
    /*
     * As qemu-img: -r leaks repairs these flags too when the refcounts are
     * known to be right (every other problem was fixed)
     */
    bool fix = (c->fix & BDRV_FIX_ERRORS) ||
               ((c->fix & BDRV_FIX_LEAKS) && !c->res->check_errors &&
                !c->res->corruptions && !c->res->leaks);
    uint64_t rc;
    int ret = qcow2_get_refcount(c->bs, host >> s->cluster_bits, &rc);

    if (ret < 0) {
        c->res->check_errors++;
        return ret;
    }
    if ((rc == 1) == !!(*e & QCOW2_OFLAG_COPIED)) {
        return 0;
    }
    if (l1_index != UINT32_MAX) {
        qcow2_check_msg(c, "%s OFLAG_COPIED L2 cluster: l1_index=%" PRIu32
                        " l1_entry=%" PRIx64 " refcount=%" PRIu64,
                        fix ? "Repairing" : "ERROR", l1_index, *e, rc);
    } else {
        qcow2_check_msg(c, "%s OFLAG_COPIED %s: l2_entry=%" PRIx64
                        " refcount=%" PRIu64, fix ? "Repairing" : "ERROR",
                        what, *e, rc);
    }
    if (!fix) {
        c->res->corruptions++;
        return 0;
    }
    *e = rc == 1 ? *e | QCOW2_OFLAG_COPIED : *e & ~QCOW2_OFLAG_COPIED;
    c->res->corruptions_fixed++;
    return 1;
}

/* The data clusters of one active L2 table (through the L2 cache) */
static int coroutine_fn qcow2_repair_copied_l2(Qcow2Check *c, uint64_t off)
{
    BDRVQcow2State *s = c->bs->opaque;
    uint64_t *table = NULL;     /* stays NULL when the table cannot be read */
    int ret;

    /* (data clusters in an external data file have no refcounts) */
    if (s->data_file) {
        return 0;
    }
    ret = qcow2_cache_get(c->bs, s->l2_cache, off, (void **)&table);
    /* (an entry that is 0 maps no cluster) */
    for (int64_t j = ret < 0 ? s->l2_size :
                     qcow2_next_nonzero_entry(table, 0, s->l2_size,
                                              s->l2_entry_words);
         ret >= 0 && j < s->l2_size;
         j = qcow2_next_nonzero_entry(table, j + 1, s->l2_size,
                                      s->l2_entry_words)) {
        uint64_t e = be64_to_cpu(table[j * s->l2_entry_words]);
        uint64_t host = e & QCOW2_L2E_OFFSET_MASK;
        Qcow2ClusterType t = qcow2_entry_type(s, e);

        if ((t != QCOW2_CLUSTER_NORMAL && t != QCOW2_CLUSTER_ZERO_ALLOC) ||
            (host & (s->cluster_size - 1))) {
            continue;
        }
        ret = qcow2_repair_copied(c, &e, host, "data cluster", UINT32_MAX);
        if (ret > 0) {
            table[j * s->l2_entry_words] = cpu_to_be64(e);
            qcow2_cache_mark_dirty(s->l2_cache, table);
        }
    }
    if (table) {
        qcow2_cache_put(s->l2_cache, (void **)&table);
    }
    return ret < 0 ? ret : 0;
}

static int coroutine_fn qcow2_repair_check_copied(Qcow2Check *c)
{
    BDRVQcow2State *s = c->bs->opaque;
    int ret = 0, flushed;

    /* (an entry that is 0 names no table) */
    for (int64_t i = qcow2_next_nonzero_entry(s->l1_table, 0, s->l1_used, 1);
         ret == 0 && i < s->l1_used;
         i = qcow2_next_nonzero_entry(s->l1_table, i + 1, s->l1_used, 1)) {
        uint64_t e = s->l1_table[i];
        uint64_t off = e & QCOW2_L1E_OFFSET_MASK;

        if (!off || (off & (s->cluster_size - 1))) {
            continue;
        }
        ret = qcow2_repair_copied(c, &e, off, NULL, i);
        if (ret > 0) {
            ret = qcow2_check_write_l1(c, i, e);
        }
        if (ret == 0 && off + s->cluster_size <= (uint64_t)c->file_len) {
            ret = qcow2_repair_copied_l2(c, off);
        }
    }
    /* What was repaired reaches the disk even after an error */
    flushed = qcow2_check_flush_l1(c);
    ret = ret ? ret : flushed;
    return ret ? ret : qcow2_cache_flush(c->bs, s->l2_cache);
}

/* After a rebuild: the old structure leaked, count again, free it */
static int coroutine_fn qcow2_repair_after_rebuild(Qcow2Check *c,
                                                   int64_t *highest)
{
    BdrvCheckResult *res = c->res, old = *res, saved, fresh = { 0 };
    int ret;

    res->corruptions = res->leaks = 0;
    c->rebuild = false;
    c->fix = 0;
    ret = qcow2_check_init(c);
    if (ret == 0) {
        ret = qcow2_check_calculate(c);
    }
    if (ret < 0) {
        return ret;
    }
    saved = *res;
    c->res = &fresh;
    ret = qcow2_repair_compare(c, &fresh, BDRV_FIX_LEAKS, highest);
    c->res = res;
    if (c->rebuild) {
        qcow2_check_msg(c, "ERROR rebuilt refcount structure is still "
                        "broken");
    }
    *res = saved;
    if (res->corruptions < old.corruptions) {
        res->corruptions_fixed += old.corruptions - res->corruptions;
    }
    if (res->leaks < old.leaks) {
        res->leaks_fixed += old.leaks - res->leaks;
    }
    res->leaks += fresh.leaks;
    return ret;
}

static int coroutine_fn qcow2_repair_refcounts(Qcow2Check *c)
{
    BDRVQcow2State *s = c->bs->opaque;
    BdrvCheckMode fix = c->fix;
    BdrvCheckResult pre;
    int64_t highest = 0;
    int ret = qcow2_check_init(c);

    if (ret == 0) {
        ret = qcow2_check_calculate(c);
    }
    if (ret < 0) {
        return ret;
    }
    pre = *c->res;
    ret = qcow2_repair_compare(c, c->res, 0, &highest);
    if (ret == 0 && c->rebuild && (fix & BDRV_FIX_ERRORS)) {
        qcow2_check_msg(c, "Rebuilding refcount structure");
        ret = qcow2_repair_rebuild(c, s->refcount_order);
        if (ret == 0) {
            ret = qcow2_repair_after_rebuild(c, &highest);
        }
        c->fix = fix;
    } else if (ret == 0 && fix && c->rebuild) {
        qcow2_check_msg(c, "ERROR need to rebuild refcount structures");
        c->res->check_errors++;
        return -EIO;
    } else if (ret == 0 && fix && (c->res->leaks || c->res->corruptions)) {
        *c->res = pre;
        ret = qcow2_repair_compare(c, c->res, fix, &highest);
    }
    if (ret == 0) {
        ret = qcow2_repair_check_copied(c);
    }
    c->res->image_end_offset = (highest + 1) * s->cluster_size;
    return ret;
}

/* Flush, then clear incompatible @bits (dirty, corrupt) */
int coroutine_fn qcow2_mark_clean(BlockDriverState *bs, uint64_t bits)
{
    BDRVQcow2State *s = bs->opaque;
    int ret = qcow2_cache_flush(bs, s->l2_cache);

    if (ret == 0) {
        ret = qcow2_cache_flush(bs, s->refblock_cache);
    }
    if (ret == 0 && (s->incompatible & bits)) {
        ret = qcow2_update_incompatible(bs, s->incompatible & ~bits);
    }
    if (ret == 0 && (bits & QCOW2_INCOMPAT_CORRUPT)) {
        s->corrupt_marked = false;
    }
    if (ret == 0) {
        /* Refcounts are accurate again until the next dirty mark */
        qcow2_cache_set_dependency(s->l2_cache, s->refblock_cache);
    }
    return ret;
}

/* Lazy refcounts: the dirty bit reaches the disk before any refcount */
int coroutine_fn qcow2_mark_dirty(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    int ret;

    if (!(s->compatible & QCOW2_COMPAT_LAZY_REFCOUNTS) ||
        (s->incompatible & QCOW2_INCOMPAT_DIRTY) || s->version < 3) {
        return 0;
    }
    ret = qcow2_update_incompatible(bs, s->incompatible |
                                    QCOW2_INCOMPAT_DIRTY);
    if (ret == 0) {
        /* From now on L2 tables may reach the disk before refcounts */
        qcow2_cache_set_dependency(s->l2_cache, NULL);
    }
    return ret;
}

int coroutine_fn qcow2_co_check(BlockDriverState *bs, BdrvCheckResult *res,
                                BdrvCheckMode fix)
{
    BDRVQcow2State *s = bs->opaque;
    Qcow2Check c = { .bs = bs, .res = res, .fix = fix, .l1_lo = 1 };
    int ret;

    qemu_co_mutex_lock(&s->lock);
    ret = qcow2_cache_flush(bs, s->l2_cache);
    if (ret == 0) {
        ret = qcow2_cache_flush(bs, s->refblock_cache);
    }
    if (ret == 0) {
        ret = qcow2_repair_refcounts(&c);
    } else {
        res->check_errors++;
    }
    if (ret == 0 && fix && !res->check_errors && !res->corruptions) {
        ret = qcow2_mark_clean(bs, QCOW2_INCOMPAT_DIRTY |
                                   QCOW2_INCOMPAT_CORRUPT);
    }
    qemu_co_mutex_unlock(&s->lock);
    qcow2_check_free(&c);
    return ret;
}

typedef struct Qcow2CoCall {
    BlockDriverState *bs;
    int coroutine_fn (*fn)(BlockDriverState *bs, void *opaque);
    void *opaque;
    int ret;
    bool done;
} Qcow2CoCall;

static void coroutine_fn qcow2_co_call_entry(void *opaque)
{
    Qcow2CoCall *c = opaque;

    c->ret = c->fn(c->bs, c->opaque);
    qatomic_store_release(&c->done, true);
    aio_wait_kick();
}

int qcow2_co_run(BlockDriverState *bs,
                 int coroutine_fn (*fn)(BlockDriverState *bs, void *opaque),
                 void *opaque)
{
    Qcow2CoCall c = { .bs = bs, .fn = fn, .opaque = opaque };

    if (qemu_in_coroutine()) {
        return fn(bs, opaque);
    }
    aio_co_enter(bdrv_get_aio_context(bs),
                 qemu_coroutine_create(qcow2_co_call_entry, &c));
    AIO_WAIT_WHILE(bdrv_get_aio_context(bs), !qatomic_load_acquire(&c.done));
    return c.ret;
}

static int coroutine_fn qcow2_repair_dirty_co(BlockDriverState *bs,
                                              void *opaque)
{
    return qcow2_co_check(bs, opaque, BDRV_FIX_LEAKS | BDRV_FIX_ERRORS);
}

int qcow2_repair_dirty(BlockDriverState *bs, Error **errp)
{
    BdrvCheckResult res = { 0 };
    int ret = qcow2_co_run(bs, qcow2_repair_dirty_co, &res);

    if (ret < 0 || res.check_errors) {
        error_setg_errno(errp, ret < 0 ? -ret : EIO,
                         "Could not repair dirty image");
        return ret < 0 ? ret : -EIO;
    }
    return 0;
}

static int coroutine_fn qcow2_close_clean_co(BlockDriverState *bs,
                                             void *opaque)
{
    BDRVQcow2State *s = bs->opaque;
    int ret;

    qemu_co_mutex_lock(&s->lock);
    ret = qcow2_mark_clean(bs, QCOW2_INCOMPAT_DIRTY);
    qemu_co_mutex_unlock(&s->lock);
    return ret;
}

int qcow2_close_clean(BlockDriverState *bs)
{
    return qcow2_co_run(bs, qcow2_close_clean_co, NULL);
}
