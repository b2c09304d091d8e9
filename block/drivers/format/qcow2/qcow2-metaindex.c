/*
 * The cluster-sized metadata of the overlap check (refcount blocks, active
 * L2 tables), indexed: a sorted array of their offsets, so a check before
 * a data write is a binary search, not a walk of the refcount table and
 * the L1 table.  Allocating an L2 table or a refcount block updates the
 * index in place; any other change of the two tables drops it, and the
 * next check rebuilds it from them.
 */
#include "qcow2.h"

typedef struct Qcow2MetaRange {
    uint64_t offset;
    int kind;               /* QCOW2_OL_REFBLOCK or QCOW2_OL_ACTIVE_L2 */
} Qcow2MetaRange;

/* Ranges in the index's own allocation: most images have a few tables */
#define QCOW2_META_INLINE 16

struct Qcow2MetaIndex {
    Qcow2MetaRange *r;      /* inline_r until it outgrows it */
    size_t n, cap;
    Qcow2MetaRange inline_r[QCOW2_META_INLINE];
};

void qcow2_meta_index_drop(BDRVQcow2State *s)
{
    if (s->meta_index) {
        if (s->meta_index->r != s->meta_index->inline_r) {
            g_free(s->meta_index->r);
        }
        g_free(s->meta_index);
        s->meta_index = NULL;
    }
}

/* The first range whose offset is @offset or more */
static size_t qcow2_meta_index_lower(const Qcow2MetaIndex *m, uint64_t offset)
{
    size_t lo = 0, hi = m->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (m->r[mid].offset < offset) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

/* Room for one more range */
static void qcow2_meta_index_reserve(Qcow2MetaIndex *m)
{
    if (m->n < m->cap) {
        return;
    }
    m->cap *= 2;
    if (m->r == m->inline_r) {
        m->r = g_new(Qcow2MetaRange, m->cap);
        memcpy(m->r, m->inline_r, sizeof(m->inline_r));
    } else {
        m->r = g_renew(Qcow2MetaRange, m->r, m->cap);
    }
}

static void qcow2_meta_index_insert(Qcow2MetaIndex *m, uint64_t offset,
                                    int kind)
{
    size_t at = qcow2_meta_index_lower(m, offset);

    qcow2_meta_index_reserve(m);
    memmove(&m->r[at + 1], &m->r[at], (m->n - at) * sizeof(*m->r));
    m->r[at] = (Qcow2MetaRange) { .offset = offset, .kind = kind };
    m->n++;
}

static void qcow2_meta_index_remove(Qcow2MetaIndex *m, uint64_t offset,
                                    int kind)
{
    for (size_t i = qcow2_meta_index_lower(m, offset);
         i < m->n && m->r[i].offset == offset; i++) {
        if (m->r[i].kind == kind) {
            memmove(&m->r[i], &m->r[i + 1], (m->n - i - 1) * sizeof(*m->r));
            m->n--;
            return;
        }
    }
}

void qcow2_meta_index_replace(BDRVQcow2State *s, int kind, uint64_t old,
                              uint64_t new)
{
    if (!s->meta_index) {
        return;             /* rebuilt when next needed */
    }
    if (old) {
        qcow2_meta_index_remove(s->meta_index, old, kind);
    }
    if (new) {
        qcow2_meta_index_insert(s->meta_index, new, kind);
    }
}

static int qcow2_meta_range_cmp(const void *a, const void *b)
{
    const Qcow2MetaRange *x = a, *y = b;

    return x->offset < y->offset ? -1 : x->offset > y->offset;
}

static Qcow2MetaIndex *qcow2_meta_index_build(BDRVQcow2State *s)
{
    Qcow2MetaIndex *m = g_new(Qcow2MetaIndex, 1);

    m->r = m->inline_r;
    m->n = 0;
    m->cap = QCOW2_META_INLINE;

    /* Only the entries in use cost a step, whatever the declared sizes */
    for (int64_t i = s->reftable ? qcow2_next_nonzero_entry(s->reftable, 0,
                                                            s->reftable_used,
                                                            1)
                                 : (int64_t)s->reftable_used;
         i < (int64_t)s->reftable_used;
         i = qcow2_next_nonzero_entry(s->reftable, i + 1, s->reftable_used,
                                      1)) {
        qcow2_meta_index_insert(m, s->reftable[i], QCOW2_OL_REFBLOCK);
    }
    for (int64_t i = s->l1_table ? qcow2_next_nonzero_entry(s->l1_table, 0,
                                                            s->l1_used, 1)
                                 : (int64_t)s->l1_used;
         i < (int64_t)s->l1_used;
         i = qcow2_next_nonzero_entry(s->l1_table, i + 1, s->l1_used, 1)) {
        uint64_t l2 = s->l1_table[i] & QCOW2_L1E_OFFSET_MASK;

        if (l2) {
            /* Appended, then sorted once: L1 order is not file order */
            qcow2_meta_index_reserve(m);
            m->r[m->n++] = (Qcow2MetaRange) {
                .offset = l2, .kind = QCOW2_OL_ACTIVE_L2,
            };
        }
    }
    if (m->n > 1) {
        qsort(m->r, m->n, sizeof(*m->r), qcow2_meta_range_cmp);
    }
    return m;
}

int qcow2_meta_index_find(BDRVQcow2State *s, int check, int64_t offset,
                          int64_t size)
{
    uint64_t start = offset, end = offset + size;
    int found = 0;

    check &= QCOW2_OL_REFBLOCK | QCOW2_OL_ACTIVE_L2;
    if (!check) {
        return 0;
    }
    if (!s->meta_index) {
        s->meta_index = qcow2_meta_index_build(s);
    }
    /* Every range is one cluster long: those starting after start - cs */
    for (size_t i = qcow2_meta_index_lower(s->meta_index,
                                           start < (uint64_t)s->cluster_size ?
                                           0 : start - s->cluster_size + 1);
         i < s->meta_index->n && s->meta_index->r[i].offset < end; i++) {
        found |= s->meta_index->r[i].kind & check;
    }
    /* A refcount block is named first, as the table walk did */
    return found & QCOW2_OL_REFBLOCK ? QCOW2_OL_REFBLOCK : found;
}
