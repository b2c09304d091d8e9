/*
 * qcow2 internal snapshots: the snapshot table.  It is read and validated
 * at open (its size, every entry's fields and L1 table), kept in memory
 * for the metadata overlap checks and the listing, and rewritten as a
 * whole into new clusters whenever it changes: the header then switches
 * to the new table in one write (count and offset together), and only
 * after that are the old table's clusters freed, so a crash leaves either
 * table complete (at worst with a leak).
 */
#include "qcow2.h"
#include "util/cutils.h"

#define QCOW2_SNAPSHOT_FIXED_LEN 40
#define QCOW2_SNAPSHOT_KNOWN_EXTRA 24   /* VM state size, disk size, icount */
#define QCOW2_MAX_SNAPSHOT_EXTRA 1024
#define QCOW2_MAX_SNAPSHOT_TABLE (64 * 1024 * 1024)
#define QCOW2_HDR_NB_SNAPSHOTS 60
/*
 * The table is read in pieces: the first of 4 KiB (most tables hold a few
 * entries of about 100 bytes), each next twice as large, up to 64 KiB
 */
#define QCOW2_SNAPSHOT_FIRST_READ 4096
#define QCOW2_SNAPSHOT_READ_STEP (64 * 1024)

/*
 * A window on the snapshot table, which is read in order: it moves on
 * with the entries, so the memory held is a piece and the largest entry,
 * not the table (up to QCOW2_MAX_SNAPSHOT_TABLE)
 */
typedef struct Qcow2SnapshotReader {
    BlockDriverState *bs;
    uint8_t *buf;
    uint64_t cap;       /* bytes allocated at buf */
    uint64_t base;      /* table position of buf[0] */
    uint64_t len;       /* bytes in buf */
    uint64_t limit;     /* bytes that may be read (file end, table limit) */
    bool file_limit;    /* the limit is the end of the file */
} Qcow2SnapshotReader;

/* Bytes [pos, pos + n) of the table (@pos never goes back) */
static const uint8_t *qcow2_snapshot_bytes(Qcow2SnapshotReader *r,
                                           uint64_t pos, uint64_t n,
                                           Error **errp)
{
    BDRVQcow2State *s = r->bs->opaque;
    uint64_t want, keep;
    uint8_t *grown;
    int ret;

    if (pos + n > r->limit) {
        if (r->file_limit) {
            error_setg(errp, "Snapshot table at %#" PRIx64 " goes past the "
                       "end of the file", s->snapshots_offset);
        } else {
            error_setg(errp, "Snapshot table too large (more than %d bytes)",
                       QCOW2_MAX_SNAPSHOT_TABLE);
        }
        return NULL;
    }
    assert(pos >= r->base);
    if (pos + n <= r->base + r->len) {
        return r->buf + (pos - r->base);
    }
    want = MIN(r->limit - pos,
               MAX(n, MIN(QCOW2_SNAPSHOT_READ_STEP,
                          MAX(QCOW2_SNAPSHOT_FIRST_READ, r->cap * 2))));
    if (want > r->cap) {
        grown = g_try_realloc(r->buf, want);
        if (!grown) {
            error_setg(errp, "Could not allocate %" PRIu64 " bytes for the "
                       "snapshot table", want);
            return NULL;
        }
        r->buf = grown;
        r->cap = want;
    }
    keep = r->base + r->len > pos ? r->base + r->len - pos : 0;
    memmove(r->buf, r->buf + (pos - r->base), keep);
    r->base = pos;
    r->len = keep;
    ret = bdrv_pread(r->bs->file, s->snapshots_offset + pos + keep,
                     want - keep, r->buf + keep, 0);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Could not read the snapshot table");
        return NULL;
    }
    r->len = want;
    return r->buf;
}

/* The fixed part of entry @i: limits of its extra data and L1 table */
static int qcow2_snapshot_check_fixed(BlockDriverState *bs, uint32_t i,
                                      const uint8_t *h, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    Qcow2Snapshot *sn = &s->snapshots[i];
    uint32_t extra = ldl_be_p(h + 36);

    if (extra > QCOW2_MAX_SNAPSHOT_EXTRA) {
        error_setg(errp, "Snapshot %u: extra data of %u bytes (at most %d)",
                   i, extra, QCOW2_MAX_SNAPSHOT_EXTRA);
        return -EFBIG;
    }
    if ((uint64_t)sn->l1_size * 8 > QCOW2_MAX_L1_BYTES) {
        error_setg(errp, "Snapshot %u: L1 table too large (%u entries)", i,
                   sn->l1_size);
        return -EFBIG;
    }
    if ((sn->l1_offset & (s->cluster_size - 1)) ||
        sn->l1_offset > (uint64_t)s->file_len ||
        (uint64_t)sn->l1_size * 8 > s->file_len - sn->l1_offset ||
        (sn->l1_size && sn->l1_offset < (uint64_t)s->cluster_size)) {
        error_setg(errp, "Snapshot %u: L1 table offset %#" PRIx64 " invalid",
                   i, sn->l1_offset);
        return -EINVAL;
    }
    return 0;
}

/* The extra data of entry @i (@extra bytes at @e) */
static int qcow2_snapshot_parse_extra(BlockDriverState *bs, uint32_t i,
                                      const uint8_t *e, uint32_t extra,
                                      Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    Qcow2Snapshot *sn = &s->snapshots[i];

    sn->icount = -1ULL;
    sn->disk_size = s->disk_size;
    if (extra >= 8) {
        sn->vm_state_size = ldq_be_p(e);
    }
    if (extra >= 16) {
        sn->disk_size = ldq_be_p(e + 8);
    }
    if (extra >= 24) {
        sn->icount = ldq_be_p(e + 16);
    }
    if (sn->disk_size > (uint64_t)BDRV_MAX_LENGTH ||
        qcow2_l1_entries_for(s, sn->disk_size) * 8 > QCOW2_MAX_L1_BYTES) {
        error_setg(errp, "Snapshot %u: disk size %" PRIu64 " too large", i,
                   sn->disk_size);
        return -EFBIG;
    }
    if (extra > QCOW2_SNAPSHOT_KNOWN_EXTRA) {
        sn->unknown_extra_size = extra - QCOW2_SNAPSHOT_KNOWN_EXTRA;
        sn->unknown_extra = g_memdup2(e + QCOW2_SNAPSHOT_KNOWN_EXTRA,
                                      sn->unknown_extra_size);
    }
    return 0;
}

/* Entry @i at table position *@pos: validated, stored in s->snapshots[i] */
static int qcow2_snapshot_read_one(Qcow2SnapshotReader *r, uint32_t i,
                                   uint64_t *pos, Error **errp)
{
    BDRVQcow2State *s = r->bs->opaque;
    Qcow2Snapshot *sn = &s->snapshots[i];
    const uint8_t *h = qcow2_snapshot_bytes(r, *pos, QCOW2_SNAPSHOT_FIXED_LEN,
                                            errp);
    const uint8_t *var;
    uint32_t extra, id_len, name_len;
    uint64_t len;
    int ret;

    *sn = (Qcow2Snapshot) { 0 };
    if (!h) {
        return -EINVAL;
    }
    sn->l1_offset = ldq_be_p(h);
    sn->l1_size = ldl_be_p(h + 8);
    id_len = lduw_be_p(h + 12);
    name_len = lduw_be_p(h + 14);
    sn->date_sec = ldl_be_p(h + 16);
    sn->date_nsec = ldl_be_p(h + 20);
    sn->vm_clock_nsec = ldq_be_p(h + 24);
    sn->vm_state_size = (uint32_t)ldl_be_p(h + 32);
    extra = ldl_be_p(h + 36);
    ret = qcow2_snapshot_check_fixed(r->bs, i, h, errp);
    if (ret < 0) {
        return ret;
    }
    len = ROUND_UP(QCOW2_SNAPSHOT_FIXED_LEN + extra + id_len + name_len, 8);
    var = qcow2_snapshot_bytes(r, *pos, len, errp);
    if (!var) {
        return -EFBIG;
    }
    var += QCOW2_SNAPSHOT_FIXED_LEN;
    ret = qcow2_snapshot_parse_extra(r->bs, i, var, extra, errp);
    if (ret < 0) {
        return ret;
    }
    qcow2_snapshot_set_names(sn, (const char *)var + extra, id_len,
                             (const char *)var + extra + id_len, name_len);
    *pos += len;
    return 0;
}

/*
 * The table and the snapshots' L1 tables must not lie on other metadata
 * (a write to one would destroy the other).  Only the checks that cost
 * O(1) per table are made for the L1 tables: there may be 65536 of them.
 */
static int qcow2_snapshot_check_overlaps(BlockDriverState *bs, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    int cheap = QCOW2_OL_ACTIVE_L2 | QCOW2_OL_REFBLOCK | QCOW2_OL_INACTIVE_L1;

    if (qcow2_check_overlap(bs, QCOW2_OL_SNAPSHOT_TABLE | QCOW2_OL_INACTIVE_L1,
                            s->snapshots_offset, s->snapshots_size)) {
        error_setg(errp, "Snapshot table at %#" PRIx64 " overlaps other "
                   "metadata", s->snapshots_offset);
        return -EINVAL;
    }
    for (uint32_t i = 0; i < s->nb_snapshots; i++) {
        Qcow2Snapshot *sn = &s->snapshots[i];

        if (qcow2_check_overlap(bs, cheap, sn->l1_offset,
                                sn->l1_size * 8ULL)) {
            error_setg(errp, "Snapshot %u: L1 table at %#" PRIx64 " overlaps "
                       "other metadata", i, sn->l1_offset);
            return -EINVAL;
        }
    }
    return 0;
}

/*
 * Room for entry @i: a first few entries, then, when there are more, as
 * many as the table can hold (@most: an entry takes 40 bytes at least).
 * A header claiming 65536 snapshots over a short table costs what the
 * table holds, and a long table one copy of the first entries,
 * not a copy per doubling (ASan's realloc copies and poisons every time).
 * The room is not zeroed: each entry is, as it is read.
 */
static int qcow2_snapshot_reserve(BDRVQcow2State *s, uint32_t i,
                                  uint32_t most, uint32_t *room, Error **errp)
{
    Qcow2Snapshot *grown;
    uint32_t want;

    if (i < *room) {
        return 0;
    }
    want = MIN(s->nb_snapshots, MAX(i + 1, *room ? most : MIN(16u, most)));
    grown = g_try_realloc(s->snapshots, (size_t)want * sizeof(*grown));
    if (!grown) {
        error_setg(errp, "Could not allocate the snapshot table");
        return -ENOMEM;
    }
    s->snapshots = grown;
    *room = want;
    return 0;
}

/*
 * One allocation for both strings: a table may hold 65536 snapshots, and
 * the fuzz targets open many such tables a second
 */
void qcow2_snapshot_set_names(Qcow2Snapshot *sn, const char *id,
                              size_t id_len, const char *name,
                              size_t name_len)
{
    char *both = g_malloc(id_len + name_len + 2);

    memcpy(both, id, id_len);
    both[id_len] = 0;
    memcpy(both + id_len + 1, name, name_len);
    both[id_len + 1 + name_len] = 0;
    sn->id = both;
    sn->name = both + id_len + 1;
}

void qcow2_snapshot_clear(Qcow2Snapshot *sn)
{
    g_free(sn->id);
    g_free(sn->unknown_extra);
    sn->id = sn->name = NULL;
    sn->unknown_extra = NULL;
}

/* Free entries [0, @n) and the array */
static void qcow2_snapshots_free_n(BDRVQcow2State *s, uint32_t n)
{
    for (uint32_t i = 0; s->snapshots && i < n; i++) {
        qcow2_snapshot_clear(&s->snapshots[i]);
    }
    g_free(s->snapshots);
    s->snapshots = NULL;
}

int qcow2_read_snapshots(BlockDriverState *bs, BDRVQcow2State *s,
                         Error **errp)
{
    Qcow2SnapshotReader r = { .bs = bs };
    uint64_t pos = 0;
    uint32_t i, room = 0, most;
    int ret = 0;

    if (!s->nb_snapshots) {
        s->snapshots_offset = 0;
        return 0;
    }
    /* The header checked that the offset lies inside the file */
    r.limit = MIN((uint64_t)QCOW2_MAX_SNAPSHOT_TABLE,
                  (uint64_t)s->file_len - s->snapshots_offset);
    r.file_limit = r.limit < QCOW2_MAX_SNAPSHOT_TABLE;
    most = MIN(s->nb_snapshots, r.limit / QCOW2_SNAPSHOT_FIXED_LEN);
    for (i = 0; i < s->nb_snapshots; i++) {
        ret = qcow2_snapshot_reserve(s, i, most, &room, errp);
        if (ret < 0) {
            break;
        }
        ret = qcow2_snapshot_read_one(&r, i, &pos, errp);
        if (ret < 0) {
            i++;        /* (it may have taken its extra data) */
            break;
        }
    }
    g_free(r.buf);
    s->snapshots_size = pos;
    if (ret < 0) {
        qcow2_snapshots_free_n(s, i);
        return ret;
    }
    return qcow2_snapshot_check_overlaps(bs, errp);
}

/* s->snapshots, when set, holds all nb_snapshots entries */
void qcow2_snapshots_free(BDRVQcow2State *s)
{
    qcow2_snapshots_free_n(s, s->nb_snapshots);
}

int qcow2_snapshot_list(BlockDriverState *bs, QEMUSnapshotInfo **psn_info)
{
    BDRVQcow2State *s = bs->opaque;
    QEMUSnapshotInfo *list = g_new0(QEMUSnapshotInfo,
                                    MAX(s->nb_snapshots, 1));

    for (uint32_t i = 0; i < s->nb_snapshots; i++) {
        const Qcow2Snapshot *sn = &s->snapshots[i];

        /* id and name are cut to the info's fields */
        pstrcpy(list[i].id_str, sizeof(list[i].id_str), sn->id);
        pstrcpy(list[i].name, sizeof(list[i].name), sn->name);
        list[i].vm_state_size = sn->vm_state_size;
        list[i].date_sec = sn->date_sec;
        list[i].date_nsec = sn->date_nsec;
        list[i].vm_clock_nsec = sn->vm_clock_nsec;
        list[i].icount = sn->icount;
    }
    *psn_info = list;
    return s->nb_snapshots;
}

int qcow2_snapshot_find(BDRVQcow2State *s, const char *id, const char *name)
{
    for (uint32_t i = 0; i < s->nb_snapshots; i++) {
        Qcow2Snapshot *sn = &s->snapshots[i];

        if ((!id || !strcmp(sn->id, id)) &&
            (!name || !strcmp(sn->name, name))) {
            return i;
        }
    }
    return -1;
}

/* The snapshot table or an inactive L1 table overlapping the range */
int qcow2_snapshot_overlap(BDRVQcow2State *s, int check, int64_t offset,
                           int64_t size)
{
    if ((check & QCOW2_OL_SNAPSHOT_TABLE) && s->nb_snapshots &&
        (uint64_t)offset < s->snapshots_offset + s->snapshots_size &&
        s->snapshots_offset < (uint64_t)(offset + size)) {
        return QCOW2_OL_SNAPSHOT_TABLE;
    }
    for (uint32_t i = 0; (check & QCOW2_OL_INACTIVE_L1) && s->snapshots &&
         i < s->nb_snapshots; i++) {
        Qcow2Snapshot *sn = &s->snapshots[i];

        if (sn->l1_size && (uint64_t)offset < sn->l1_offset + sn->l1_size * 8ULL
            && sn->l1_offset < (uint64_t)(offset + size)) {
            return QCOW2_OL_INACTIVE_L1;
        }
    }
    return 0;
}

static uint64_t qcow2_snapshot_entry_len(const Qcow2Snapshot *sn)
{
    return ROUND_UP(QCOW2_SNAPSHOT_FIXED_LEN + QCOW2_SNAPSHOT_KNOWN_EXTRA +
                    (uint64_t)sn->unknown_extra_size + strlen(sn->id) +
                    strlen(sn->name), 8);
}

/* Entry @sn at @p (zeroed): every known extra field, unknown ones kept */
static void qcow2_snapshot_put_entry(uint8_t *p, const Qcow2Snapshot *sn)
{
    size_t id_len = strlen(sn->id), name_len = strlen(sn->name);
    uint8_t *e = p + QCOW2_SNAPSHOT_FIXED_LEN;

    stq_be_p(p, sn->l1_offset);
    stl_be_p(p + 8, sn->l1_size);
    stw_be_p(p + 12, id_len);
    stw_be_p(p + 14, name_len);
    stl_be_p(p + 16, sn->date_sec);
    stl_be_p(p + 20, sn->date_nsec);
    stq_be_p(p + 24, sn->vm_clock_nsec);
    /* Superseded by the 64-bit field of the extra data */
    stl_be_p(p + 32, (uint32_t)sn->vm_state_size);
    stl_be_p(p + 36, QCOW2_SNAPSHOT_KNOWN_EXTRA + sn->unknown_extra_size);
    stq_be_p(e, sn->vm_state_size);
    stq_be_p(e + 8, sn->disk_size);
    stq_be_p(e + 16, sn->icount);
    e += QCOW2_SNAPSHOT_KNOWN_EXTRA;
    if (sn->unknown_extra_size) {
        memcpy(e, sn->unknown_extra, sn->unknown_extra_size);
    }
    e += sn->unknown_extra_size;
    memcpy(e, sn->id, id_len);
    memcpy(e + id_len, sn->name, name_len);
}

/* The table in new clusters: its offset, or 0 when there are no entries */
static int64_t coroutine_fn qcow2_snapshot_put_table(BlockDriverState *bs,
                                                     uint64_t *size)
{
    BDRVQcow2State *s = bs->opaque;
    g_autofree uint8_t *buf = NULL;
    uint64_t pos = 0;
    int64_t offset;
    int ret;

    *size = 0;
    for (uint32_t i = 0; i < s->nb_snapshots; i++) {
        *size += qcow2_snapshot_entry_len(&s->snapshots[i]);
    }
    if (*size > QCOW2_MAX_SNAPSHOT_TABLE) {
        return -EFBIG;
    }
    if (!*size) {
        return 0;
    }
    buf = g_try_malloc0(*size);
    if (!buf) {
        return -ENOMEM;
    }
    for (uint32_t i = 0; i < s->nb_snapshots; i++) {
        qcow2_snapshot_put_entry(buf + pos, &s->snapshots[i]);
        pos += qcow2_snapshot_entry_len(&s->snapshots[i]);
    }
    offset = qcow2_alloc_clusters(bs, DIV_ROUND_UP(*size, s->cluster_size));
    if (offset < 0) {
        return offset;
    }
    ret = qcow2_pre_write_check(bs, 0, offset, *size);
    if (ret == 0) {
        ret = bdrv_co_pwrite(bs->file, offset, *size, buf, 0);
    }
    if (ret < 0) {
        qcow2_free_clusters(bs, offset, *size, QCOW2_DISCARD_NEVER);
        return ret;
    }
    return offset;
}

int coroutine_fn qcow2_snapshot_write_table(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t old_offset = s->snapshots_offset, old_size = s->snapshots_size;
    uint64_t size;
    int64_t offset = qcow2_snapshot_put_table(bs, &size);
    uint8_t hdr[12];
    int ret;

    if (offset < 0) {
        return offset;
    }
    /* The table and its refcounts are on disk before the header names it */
    ret = qcow2_cache_flush(bs, s->refblock_cache);
    if (ret == 0) {
        ret = bdrv_co_flush(bs->file->bs);
    }
    stl_be_p(hdr, s->nb_snapshots);
    stq_be_p(hdr + 4, offset);
    if (ret == 0) {
        ret = qcow2_write_header_field(bs, QCOW2_HDR_NB_SNAPSHOTS, hdr, 12);
    }
    if (ret < 0) {
        if (size) {
            qcow2_free_clusters(bs, offset, size, QCOW2_DISCARD_NEVER);
        }
        return ret;
    }
    s->snapshots_offset = offset;
    s->snapshots_size = size;
    if (old_size) {
        qcow2_free_clusters(bs, old_offset, old_size, QCOW2_DISCARD_SNAPSHOT);
    }
    return 0;
}

int qcow2_snapshot_check_resize(BlockDriverState *bs, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;

    if (s->nb_snapshots && s->version < 3) {
        error_setg(errp, "Can't resize a v2 image which has snapshots");
        return -ENOTSUP;
    }
    return 0;
}
