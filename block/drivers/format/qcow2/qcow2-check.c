/*
 * qcow2 consistency check (qemu-img check, without repair): every cluster
 * the metadata references is counted -- header, L1 tables (active and of
 * each snapshot), L2 tables, data and compressed clusters, the refcount
 * table and blocks, the snapshot table, the bitmap directory, bitmap
 * tables and their data -- and the counts are compared with the stored
 * refcounts.  A cluster referenced but not counted is a corruption, one
 * counted but not referenced a leak.
 */
#include "qcow2.h"

typedef struct Qcow2CheckState {
    BlockDriverState *bs;
    BdrvCheckResult *res;
    uint32_t *refs;     /* references found, per cluster of the file */
    int64_t nb_clusters;
} Qcow2CheckState;

/* One more reference to every cluster of [offset, offset + size) */
static void qcow2_check_ref(Qcow2CheckState *c, uint64_t offset,
                            uint64_t size)
{
    BDRVQcow2State *s = c->bs->opaque;

    if (!size) {
        return;
    }
    for (uint64_t i = offset >> s->cluster_bits;
         i <= (offset + size - 1) >> s->cluster_bits; i++) {
        if (i >= (uint64_t)c->nb_clusters) {
            fprintf(stderr, "ERROR: reference to cluster %#" PRIx64
                    " beyond the end of the image file\n",
                    i << s->cluster_bits);
            c->res->corruptions++;
            return;
        }
        if (c->refs[i] < UINT32_MAX) {
            c->refs[i]++;
        }
    }
}

static void qcow2_check_l2_entry(Qcow2CheckState *c, uint64_t l2e)
{
    BDRVQcow2State *s = c->bs->opaque;
    uint64_t offset;
    uint64_t len = qcow2_entry_host_range(s, l2e, &offset);

    if (qcow2_entry_type(s, l2e) != QCOW2_CLUSTER_COMPRESSED &&
        (offset & (s->cluster_size - 1))) {
        fprintf(stderr, "ERROR: unaligned data cluster offset %#" PRIx64
                "\n", offset);
        c->res->corruptions++;
        return;
    }
    qcow2_check_ref(c, offset, len);
}

/* An L1 table and everything it reaches */
static int coroutine_fn qcow2_check_l1(Qcow2CheckState *c, uint64_t l1_offset,
                                       uint32_t l1_size)
{
    BDRVQcow2State *s = c->bs->opaque;
    g_autofree uint64_t *l1 = g_try_malloc(MAX(l1_size, 1) * 8ULL);
    g_autofree uint64_t *l2 = g_malloc(s->cluster_size);
    int ret;

    if (!l1) {
        return -ENOMEM;
    }
    qcow2_check_ref(c, l1_offset, (uint64_t)l1_size * 8);
    ret = bdrv_co_pread(c->bs->file, l1_offset, l1_size * 8LL, l1, 0);
    for (uint32_t i = 0; ret == 0 && i < l1_size; i++) {
        uint64_t off = be64_to_cpu(l1[i]) & QCOW2_L1E_OFFSET_MASK;

        if (!off) {
            continue;
        }
        if (off & (s->cluster_size - 1)) {
            fprintf(stderr, "ERROR: unaligned L2 table offset %#" PRIx64
                    "\n", off);
            c->res->corruptions++;
            continue;
        }
        qcow2_check_ref(c, off, s->cluster_size);
        ret = bdrv_co_pread(c->bs->file, off, s->cluster_size, l2, 0);
        for (int64_t j = 0; ret == 0 && j < s->l2_size; j++) {
            qcow2_check_l2_entry(c, be64_to_cpu(l2[j * s->l2_entry_words]));
        }
    }
    return ret;
}

/* The bitmap directory, each bitmap table and the clusters it names */
static int coroutine_fn qcow2_check_bitmaps(Qcow2CheckState *c)
{
    BDRVQcow2State *s = c->bs->opaque;
    g_autofree uint8_t *dir = NULL;
    uint64_t pos = 0;
    int ret;

    if (!s->has_bitmaps || !(s->autoclear & QCOW2_AUTOCLEAR_BITMAPS)) {
        return 0;
    }
    qcow2_check_ref(c, s->bitmap_dir_offset, s->bitmap_dir_size);
    dir = g_malloc(s->bitmap_dir_size);
    ret = bdrv_co_pread(c->bs->file, s->bitmap_dir_offset, s->bitmap_dir_size,
                        dir, 0);
    /* The directory was validated at open: every entry fits */
    while (ret == 0 && pos + 24 <= s->bitmap_dir_size) {
        uint8_t *e = dir + pos;
        uint64_t toff = ldq_be_p(e);
        uint32_t tsize = ldl_be_p(e + 8);
        uint32_t extra = ldl_be_p(e + 20);
        g_autofree uint64_t *table = NULL;

        if ((uint64_t)tsize * 8 > (uint64_t)c->nb_clusters * s->cluster_size) {
            c->res->corruptions++;
            return 0;
        }
        qcow2_check_ref(c, toff, tsize * 8ULL);
        table = g_malloc(MAX(tsize, 1) * 8ULL);
        ret = bdrv_co_pread(c->bs->file, toff, tsize * 8LL, table, 0);
        for (uint32_t i = 0; ret == 0 && i < tsize; i++) {
            uint64_t off = be64_to_cpu(table[i]) & QCOW2_L2E_OFFSET_MASK;

            if (off) {
                qcow2_check_ref(c, off, s->cluster_size);
            }
        }
        pos += ROUND_UP(24 + (uint64_t)extra + lduw_be_p(e + 18), 8);
    }
    return ret;
}

/* Compare the references found with the refcounts */
static int coroutine_fn qcow2_check_compare(Qcow2CheckState *c)
{
    BDRVQcow2State *s = c->bs->opaque;
    BdrvCheckResult *res = c->res;

    for (int64_t i = 0; i < c->nb_clusters; i++) {
        uint64_t rc;
        int ret = qcow2_get_refcount(c->bs, i, &rc);

        if (ret < 0) {
            res->check_errors++;
            return ret;
        }
        if (c->refs[i]) {
            res->image_end_offset = (i + 1) * s->cluster_size;
        }
        if (rc == c->refs[i]) {
            continue;
        }
        if (c->refs[i] == 0) {
            fprintf(stderr, "Leaked cluster %" PRId64 " refcount=%" PRIu64
                    " reference=0\n", i, rc);
            res->leaks++;
        } else {
            fprintf(stderr, "ERROR cluster %" PRId64 " refcount=%" PRIu64
                    " reference=%u\n", i, rc, c->refs[i]);
            res->corruptions++;
        }
    }
    return 0;
}

int coroutine_fn qcow2_co_check(BlockDriverState *bs, BdrvCheckResult *res,
                                BdrvCheckMode fix)
{
    BDRVQcow2State *s = bs->opaque;
    Qcow2CheckState c = { .bs = bs, .res = res };
    int ret;

    if (fix) {
        return -ENOTSUP;
    }
    c.nb_clusters = DIV_ROUND_UP(s->file_len, s->cluster_size);
    c.refs = g_try_malloc0(MAX(c.nb_clusters, 1) * sizeof(uint32_t));
    if (!c.refs) {
        res->check_errors++;
        return -ENOMEM;
    }
    qemu_co_mutex_lock(&s->lock);
    ret = qcow2_cache_flush(bs, s->l2_cache);
    qcow2_check_ref(&c, 0, s->cluster_size);
    if (ret == 0) {
        ret = qcow2_check_l1(&c, s->l1_offset, s->l1_size);
    }
    for (uint32_t i = 0; ret == 0 && i < s->nb_snapshots; i++) {
        ret = qcow2_check_l1(&c, s->snapshots[i].l1_offset,
                             s->snapshots[i].l1_size);
    }
    qcow2_check_ref(&c, s->snapshots_offset, s->snapshots_size);
    qcow2_check_ref(&c, s->reftable_offset,
                    (uint64_t)s->reftable_clusters * s->cluster_size);
    for (uint64_t i = 0; i < s->reftable_size; i++) {
        qcow2_check_ref(&c, s->reftable[i], s->reftable[i] ? s->cluster_size
                                                           : 0);
    }
    if (ret == 0) {
        ret = qcow2_check_bitmaps(&c);
    }
    if (ret == 0) {
        ret = qcow2_check_compare(&c);
    } else {
        res->check_errors++;
    }
    qemu_co_mutex_unlock(&s->lock);
    g_free(c.refs);
    return ret;
}
