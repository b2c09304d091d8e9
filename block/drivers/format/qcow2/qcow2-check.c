/*
 * qcow2 consistency check, first half: every cluster the metadata
 * references is counted -- header, L1 tables (active and of each
 * snapshot), L2 tables, data and compressed clusters, the snapshot table,
 * the refcount table and blocks, the bitmap directory, bitmap tables and
 * their data.  Entries that are wrong on their own (reserved bits,
 * misaligned, beyond the end of the file) are reported here with
 * qemu-img's wording; with BDRV_FIX_ERRORS the active L2 entries among
 * them are cleared.  qcow2-repair.c compares the counts with the refcounts.
 */
#include "qcow2-check.h"

void qcow2_check_msg(Qcow2Check *c, const char *fmt, ...)
{
    va_list ap;

    if (c->quiet || error_reports_discarded()) {
        return;
    }
    va_start(ap, fmt);
    error_vprintf(fmt, ap);
    va_end(ap);
    error_printf("\n");
}

int qcow2_check_grow(Qcow2Check *c, int64_t cluster)
{
    if (cluster >= c->alloc) {
        int64_t n = MAX(cluster + 1, c->alloc + c->alloc / 4);
        uint32_t *r = g_try_realloc(c->refs, n * sizeof(uint32_t));

        if (!r) {
            return -ENOMEM;
        }
        memset(r + c->alloc, 0, (n - c->alloc) * sizeof(uint32_t));
        c->refs = r;
        c->alloc = n;
    }
    c->nb_clusters = MAX(c->nb_clusters, cluster + 1);
    return 0;
}

int coroutine_fn qcow2_check_init(Qcow2Check *c)
{
    BDRVQcow2State *s = c->bs->opaque;
    int64_t len = bdrv_co_getlength(c->bs->file->bs);

    if (len < 0) {
        return len;
    }
    c->file_len = len;
    g_free(c->refs);
    c->refs = NULL;
    c->alloc = c->nb_clusters = 0;
    if (DIV_ROUND_UP(len, s->cluster_size) > INT32_MAX) {
        return -EFBIG;
    }
    /* Two spare clusters: references may end just past the file */
    if (qcow2_check_grow(c, DIV_ROUND_UP(len, s->cluster_size) + 1) < 0) {
        return -ENOMEM;
    }
    c->nb_clusters = DIV_ROUND_UP(len, s->cluster_size);
    return 0;
}

void qcow2_check_free(Qcow2Check *c)
{
    g_free(c->refs);
    c->refs = NULL;
    g_free(c->l2_buf);
    c->l2_buf = NULL;
    g_free(c->l1_buf);
    c->l1_buf = NULL;
    c->l1_buf_entries = 0;
}

/*
 * Does [offset, offset + size) end less than a cluster past the file?
 * (qemu-img counts such references; farther ones are corruptions.)
 */
static bool qcow2_check_in_file(Qcow2Check *c, uint64_t offset,
                                uint64_t size)
{
    BDRVQcow2State *s = c->bs->opaque;

    return offset + size >= offset &&
           offset + size < (uint64_t)c->file_len + s->cluster_size;
}

/* One more reference to every cluster of [offset, offset + size) */
static int qcow2_check_ref(Qcow2Check *c, uint64_t offset, uint64_t size)
{
    BDRVQcow2State *s = c->bs->opaque;

    if (!size) {
        return 0;
    }
    if (!qcow2_check_in_file(c, offset, size)) {
        qcow2_check_msg(c, "ERROR: counting reference for region exceeding "
                        "the end of the file by one cluster or more: offset "
                        "%#" PRIx64 " size %#" PRIx64, offset, size);
        c->res->corruptions++;
        return 0;
    }
    /* (grown once for the whole range: a table can span many clusters) */
    if (qcow2_check_grow(c, (offset + size - 1) >> s->cluster_bits) < 0) {
        return -ENOMEM;
    }
    for (uint64_t i = offset >> s->cluster_bits;
         i <= (offset + size - 1) >> s->cluster_bits; i++) {
        if (c->refs[i] < UINT32_MAX) {
            c->refs[i]++;
        }
    }
    return 0;
}

/* The entry a repair leaves: reads as zeroes (v3) or unallocated (v2) */
static uint64_t qcow2_check_cleared(BDRVQcow2State *s)
{
    return s->version >= 3 ? QCOW2_OFLAG_ZERO : 0;
}

static void qcow2_check_frag(Qcow2Check *c, uint64_t offset, bool frag)
{
    BDRVQcow2State *s = c->bs->opaque;

    if (!frag) {
        return;
    }
    c->res->bfi.allocated_clusters++;
    if (c->next_contig && offset != c->next_contig) {
        c->res->bfi.fragmented_clusters++;
    }
    c->next_contig = offset + s->cluster_size;
}

/* A standard (not compressed) allocated entry; may rewrite *l2e */
static int qcow2_check_std_entry(Qcow2Check *c, uint64_t *l2e, bool active,
                                 bool *modified)
{
    BDRVQcow2State *s = c->bs->opaque;
    bool prealloc = qcow2_entry_type(s, *l2e) == QCOW2_CLUSTER_ZERO_ALLOC;
    uint64_t off = *l2e & QCOW2_L2E_OFFSET_MASK;
    bool fix = active && (c->fix & BDRV_FIX_ERRORS);

    qcow2_check_frag(c, off, active);
    /* Guest data in an external data file has no refcounts */
    if (s->data_file) {
        return 0;
    }
    if (off & (s->cluster_size - 1)) {
        qcow2_check_msg(c, "%s offset=%" PRIx64 ": %s cluster is not "
                        "properly aligned; L2 entry corrupted.",
                        fix ? "Repairing" : "ERROR", off,
                        prealloc ? "Preallocated" : "Data");
    } else if (!qcow2_check_in_file(c, off, s->cluster_size) && fix) {
        qcow2_check_msg(c, "Repairing offset=%" PRIx64 ": Cluster lies "
                        "beyond the end of the file; L2 entry corrupted.",
                        off);
    } else {
        return qcow2_check_ref(c, off, s->cluster_size);
    }
    if (!fix) {
        c->res->corruptions++;
        return qcow2_check_ref(c, off, s->cluster_size);
    }
    *l2e = prealloc ? QCOW2_OFLAG_ZERO : qcow2_check_cleared(s);
    *modified = true;
    c->res->corruptions_fixed++;
    return 0;
}

/*
 * An entry with bits it must not have: an error, or with -r all in an
 * active table (beyond what qemu-img repairs) the bits are cleared
 */
static void qcow2_check_bad_bits(Qcow2Check *c, uint64_t *e, uint64_t bad,
                                 bool active, bool *modified,
                                 const char *what)
{
    if (!(*e & bad)) {
        return;
    }
    if (active && (c->fix & BDRV_FIX_ERRORS)) {
        qcow2_check_msg(c, "Repairing %s: %" PRIx64, what, *e);
        *e &= ~bad;
        *modified = true;
        c->res->corruptions_fixed++;
        return;
    }
    qcow2_check_msg(c, "ERROR found %s: %" PRIx64, what, *e);
    c->res->corruptions++;
}

static int qcow2_check_l2_entry(Qcow2Check *c, uint64_t *l2e, bool active,
                                bool *modified)
{
    BDRVQcow2State *s = c->bs->opaque;
    uint64_t off;
    uint64_t len;

    switch (qcow2_entry_type(s, *l2e)) {
    case QCOW2_CLUSTER_COMPRESSED:
        if (*l2e & QCOW2_OFLAG_COPIED) {
            bool fix = active && (c->fix & BDRV_FIX_ERRORS);

            qcow2_check_msg(c, "%s: coffset=%#" PRIx64 ": copied flag "
                            "must never be set for compressed clusters",
                            fix ? "Repairing" : "ERROR",
                            *l2e & s->cluster_offset_mask);
            if (fix) {
                *l2e &= ~QCOW2_OFLAG_COPIED;
                *modified = true;
                c->res->corruptions_fixed++;
            } else {
                c->res->corruptions++;
            }
        }
        if (active) {
            c->res->bfi.allocated_clusters++;
            c->res->bfi.compressed_clusters++;
            c->res->bfi.fragmented_clusters++;
        }
        len = qcow2_entry_host_range(s, *l2e, &off);
        return qcow2_check_ref(c, off, len);
    case QCOW2_CLUSTER_NORMAL:
    case QCOW2_CLUSTER_ZERO_ALLOC:
        qcow2_check_bad_bits(c, l2e, QCOW2_L2E_RESERVED, active, modified,
                             "l2 entry with reserved bits set");
        return qcow2_check_std_entry(c, l2e, active, modified);
    default:
        qcow2_check_bad_bits(c, l2e, QCOW2_L2E_RESERVED, active, modified,
                             "l2 entry with reserved bits set");
        return 0;
    }
}

/* The L2 table at @off (inside the file); repaired entries written back */
static int coroutine_fn qcow2_check_l2(Qcow2Check *c, uint64_t off,
                                       bool active, uint64_t *l2)
{
    BDRVQcow2State *s = c->bs->opaque;
    bool modified = false;
    int ret = bdrv_co_pread(c->bs->file, off, s->cluster_size, l2, 0);

    if (ret < 0) {
        qcow2_check_msg(c, "ERROR: I/O error in check_refcounts_l2");
        c->res->check_errors++;
        return ret;
    }
    /* (an entry that is 0 counts nothing and is never repaired) */
    for (int64_t j = qcow2_next_nonzero_entry(l2, 0, s->l2_size,
                                              s->l2_entry_words);
         j < s->l2_size;
         j = qcow2_next_nonzero_entry(l2, j + 1, s->l2_size,
                                      s->l2_entry_words)) {
        /* (the first word of an extended entry; its bitmap word follows) */
        uint64_t e = be64_to_cpu(l2[j * s->l2_entry_words]);

        ret = qcow2_check_l2_entry(c, &e, active, &modified);
        if (ret < 0) {
            return ret;
        }
        l2[j * s->l2_entry_words] = cpu_to_be64(e);
    }
    if (!modified) {
        return 0;
    }
    ret = qcow2_pre_write_check(c->bs, QCOW2_OL_ACTIVE_L2, off,
                                s->cluster_size);
    if (ret == 0) {
        ret = bdrv_co_pwrite_sync(c->bs->file, off, s->cluster_size, l2, 0);
    }
    qcow2_cache_discard(s->l2_cache, off);
    if (ret < 0) {
        qcow2_check_msg(c, "ERROR: Could not write the repaired L2 table at "
                        "%#" PRIx64 ": %s", off, strerror(-ret));
        c->res->check_errors++;
    }
    return ret;
}

int coroutine_fn qcow2_check_write_l1(Qcow2Check *c, uint32_t i,
                                      uint64_t e)
{
    BDRVQcow2State *s = c->bs->opaque;

    qcow2_l1_set(s, i, e);
    qcow2_meta_index_drop(s);
    if (c->l1_lo > c->l1_hi) {
        c->l1_lo = c->l1_hi = i;
    } else {
        c->l1_lo = MIN(c->l1_lo, (int64_t)i);
        c->l1_hi = MAX(c->l1_hi, (int64_t)i);
    }
    return 0;
}

int coroutine_fn qcow2_check_flush_l1(Qcow2Check *c)
{
    BDRVQcow2State *s = c->bs->opaque;
    int64_t n = c->l1_hi - c->l1_lo + 1;
    int64_t at = s->l1_offset + c->l1_lo * 8;
    g_autofree uint64_t *be = NULL;
    int ret;

    if (c->l1_lo > c->l1_hi) {
        return 0;
    }
    be = g_try_malloc(n * 8);
    ret = be ? qcow2_pre_write_check(c->bs, QCOW2_OL_ACTIVE_L1, at, n * 8)
             : -ENOMEM;
    for (int64_t i = 0; ret == 0 && i < n; i++) {
        be[i] = cpu_to_be64(s->l1_table[c->l1_lo + i]);
    }
    if (ret == 0) {
        ret = bdrv_co_pwrite_sync(c->bs->file, at, n * 8, be, 0);
    }
    c->l1_lo = 1;
    c->l1_hi = 0;
    if (ret < 0) {
        c->res->check_errors++;
    }
    return ret;
}

/* One L1 entry: its L2 table and everything the table reaches */
static int coroutine_fn qcow2_check_l1_entry(Qcow2Check *c, uint64_t l1e,
                                             uint32_t i, bool active)
{
    BDRVQcow2State *s = c->bs->opaque;
    uint64_t off = l1e & QCOW2_L1E_OFFSET_MASK;
    bool fix = active && (c->fix & BDRV_FIX_ERRORS);
    bool aligned = !(off & (s->cluster_size - 1));
    bool inside = qcow2_check_in_file(c, off, s->cluster_size);
    int ret;

    if (l1e & QCOW2_L1E_RESERVED) {
        bool modified = false;

        qcow2_check_bad_bits(c, &l1e, QCOW2_L1E_RESERVED, active, &modified,
                             "L1 entry with reserved bits set");
        /* Nothing left but flags: no table */
        ret = modified ? qcow2_check_write_l1(c, i, off ? l1e : 0) : 0;
        if (ret < 0 || (modified && !off)) {
            return ret;
        }
    }
    if (!l1e) {
        return 0;
    }
    if (!off && fix) {
        qcow2_check_msg(c, "Repairing L1 entry without an L2 table offset: "
                        "%" PRIx64, l1e);
        c->res->corruptions_fixed++;
        return qcow2_check_write_l1(c, i, 0);
    }
    /* (Without -r all, as qemu-img: flags alone name the header as L2) */
    if (!aligned || (!inside && fix)) {
        qcow2_check_msg(c, "%s l2_offset=%" PRIx64 ": Table is %s; L1 entry "
                        "corrupted", fix ? "Repairing" : "ERROR", off,
                        aligned ? "beyond the end of the file"
                                : "not cluster aligned");
        if (fix) {
            c->res->corruptions_fixed++;
            return qcow2_check_write_l1(c, i, 0);
        }
        c->res->corruptions++;
    }
    ret = qcow2_check_ref(c, off, s->cluster_size);
    if (ret < 0 || off + s->cluster_size > (uint64_t)c->file_len) {
        return ret;
    }
    if (!c->l2_buf) {
        c->l2_buf = g_try_malloc(s->cluster_size);
        if (!c->l2_buf) {
            c->res->check_errors++;
            return -ENOMEM;
        }
    }
    return qcow2_check_l2(c, off, active, c->l2_buf);
}

/*
 * A snapshot's L1 table, read from the file into host order in *@l1 (the
 * check's buffer, grown to the largest table so far: an image may have
 * thousands of snapshots, and a check walks each)
 */
static int coroutine_fn qcow2_check_read_l1(Qcow2Check *c, uint64_t l1_offset,
                                            uint32_t l1_size,
                                            const uint64_t **l1)
{
    int64_t ret;

    if (l1_size > c->l1_buf_entries || !c->l1_buf) {
        g_free(c->l1_buf);
        c->l1_buf_entries = 0;
        c->l1_buf = g_try_malloc(MAX(l1_size, 1) * 8ULL);
        if (!c->l1_buf) {
            c->res->check_errors++;
            return -ENOMEM;
        }
        c->l1_buf_entries = MAX(l1_size, 1);
    }
    /* The read stores only the entries that are not zero */
    memset(c->l1_buf, 0, l1_size * 8ULL);
    *l1 = c->l1_buf;
    ret = qcow2_read_table(c->bs->file, l1_offset, l1_size, c->l1_buf);
    if (ret < 0) {
        qcow2_check_msg(c, "ERROR: I/O error in check_refcounts_l1");
        c->res->check_errors++;
        return ret;
    }
    return 0;
}

/*
 * An L1 table and everything it reaches.  The active one is walked in
 * place, not copied (it can be megabytes, mostly zeroes): a repair
 * rewrites only the entry being checked, which the walk has already read.
 */
static int coroutine_fn qcow2_check_l1(Qcow2Check *c, uint64_t l1_offset,
                                       uint32_t l1_size, bool active)
{
    BDRVQcow2State *s = c->bs->opaque;
    const uint64_t *l1 = active ? s->l1_table : NULL;
    int64_t end;
    int ret;

    ret = qcow2_check_ref(c, l1_offset, (uint64_t)l1_size * 8);
    if (ret == 0 && !active) {
        ret = qcow2_check_read_l1(c, l1_offset, l1_size, &l1);
    }
    /* (an entry that is 0 names no table and is never repaired) */
    end = active ? s->l1_used : l1_size;
    for (int64_t i = ret ? end : qcow2_next_nonzero_entry(l1, 0, end, 1);
         ret == 0 && i < end; i = qcow2_next_nonzero_entry(l1, i + 1, end, 1)) {
        ret = qcow2_check_l1_entry(c, l1[i], i, active);
    }
    if (active) {
        int flushed = qcow2_check_flush_l1(c);

        ret = ret ? ret : flushed;
    }
    return ret;
}

/* The bitmap directory, each bitmap table and the clusters it names */
static int coroutine_fn qcow2_check_bitmaps(Qcow2Check *c)
{
    BDRVQcow2State *s = c->bs->opaque;
    g_autofree uint8_t *dir = NULL;
    uint64_t pos = 0;
    int ret;

    if (!s->has_bitmaps || !(s->autoclear & QCOW2_AUTOCLEAR_BITMAPS)) {
        return 0;
    }
    ret = qcow2_check_ref(c, s->bitmap_dir_offset, s->bitmap_dir_size);
    dir = g_malloc(s->bitmap_dir_size);
    if (ret == 0) {
        ret = bdrv_co_pread(c->bs->file, s->bitmap_dir_offset,
                            s->bitmap_dir_size, dir, 0);
    }
    /* The directory was validated at open: every entry fits */
    while (ret == 0 && pos + 24 <= s->bitmap_dir_size) {
        uint8_t *e = dir + pos;
        uint64_t toff = ldq_be_p(e);
        uint32_t tsize = ldl_be_p(e + 8);
        uint32_t extra = ldl_be_p(e + 20);
        g_autofree uint64_t *table = NULL;

        if ((uint64_t)tsize * 8 > (uint64_t)c->file_len) {
            c->res->corruptions++;
            return 0;
        }
        ret = qcow2_check_ref(c, toff, tsize * 8ULL);
        table = g_malloc(MAX(tsize, 1) * 8ULL);
        if (ret == 0) {
            ret = bdrv_co_pread(c->bs->file, toff, tsize * 8LL, table, 0);
        }
        for (uint32_t i = 0; ret == 0 && i < tsize; i++) {
            uint64_t off = be64_to_cpu(table[i]) & QCOW2_L2E_OFFSET_MASK;

            if (off) {
                ret = qcow2_check_ref(c, off, s->cluster_size);
            }
        }
        pos += ROUND_UP(24 + (uint64_t)extra + lduw_be_p(e + 18), 8);
    }
    return ret;
}

/* Entry @i of the refcount table on disk (see qcow2_check_refblocks) */
static int qcow2_check_refblock_entry(void *opaque, uint64_t i, uint64_t e)
{
    Qcow2Check *c = opaque;
    BDRVQcow2State *s = c->bs->opaque;
    uint64_t off = e & QCOW2_REFT_OFFSET_MASK;
    int64_t cluster = off >> s->cluster_bits;
    int ret;

    if (e & ~QCOW2_REFT_OFFSET_MASK) {
        qcow2_check_msg(c, "ERROR refcount table entry %" PRIu64 " has "
                        "reserved bits set", i);
        c->res->corruptions++;
        c->rebuild = true;
        return 0;
    }
    if (!off) {
        return 0;
    }
    if (off & (s->cluster_size - 1)) {
        qcow2_check_msg(c, "ERROR refcount block %" PRIu64 " is not "
                        "cluster aligned; refcount table entry "
                        "corrupted", i);
    } else if (cluster >= DIV_ROUND_UP(c->file_len, s->cluster_size)) {
        qcow2_check_msg(c, "ERROR refcount block %" PRIu64 " is outside "
                        "image", i);
    } else {
        ret = qcow2_check_ref(c, off, s->cluster_size);
        if (ret < 0 || c->refs[cluster] == 1) {
            return ret;
        }
        qcow2_check_msg(c, "ERROR refcount block %" PRIu64 " refcount=%"
                        PRIu32, i, c->refs[cluster]);
    }
    c->res->corruptions++;
    c->rebuild = true;
    return 0;
}

/*
 * The refcount blocks as the table on disk names them: each must be
 * aligned, inside the file and referenced by nothing else; otherwise the
 * structure has to be rebuilt.  The table is walked, not held: a header
 * may declare it megabytes long.
 */
static int coroutine_fn qcow2_check_refblocks(Qcow2Check *c)
{
    BDRVQcow2State *s = c->bs->opaque;
    int64_t ret = qcow2_walk_table(c->bs->file, s->reftable_offset,
                                   s->reftable_size,
                                   qcow2_check_refblock_entry, c);

    return ret < 0 ? ret : 0;
}

int coroutine_fn qcow2_check_calculate(Qcow2Check *c)
{
    BDRVQcow2State *s = c->bs->opaque;
    int ret;

    memset(c->refs, 0, c->alloc * sizeof(uint32_t));
    c->nb_clusters = MIN(c->nb_clusters,
                         DIV_ROUND_UP(c->file_len, s->cluster_size));
    c->next_contig = 0;
    c->res->bfi.total_clusters = DIV_ROUND_UP(s->disk_size, s->cluster_size);
    ret = qcow2_check_ref(c, 0, s->cluster_size);
    if (ret == 0) {
        ret = qcow2_check_l1(c, s->l1_offset, s->l1_size, true);
    }
    for (uint32_t i = 0; ret == 0 && i < s->nb_snapshots; i++) {
        ret = qcow2_check_l1(c, s->snapshots[i].l1_offset,
                             s->snapshots[i].l1_size, false);
    }
    if (ret == 0) {
        ret = qcow2_check_ref(c, s->snapshots_offset, s->snapshots_size);
    }
    if (ret == 0) {
        ret = qcow2_check_ref(c, s->reftable_offset,
                              (uint64_t)s->reftable_clusters *
                              s->cluster_size);
    }
    if (ret == 0) {
        ret = qcow2_check_bitmaps(c);
    }
    if (ret == 0) {
        ret = qcow2_check_refblocks(c);
    }
    return ret;
}
