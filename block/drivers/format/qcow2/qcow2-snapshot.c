/*
 * qcow2 internal snapshots: the snapshot table is read and validated at
 * open (its size, every entry's L1 table), kept for the metadata overlap
 * checks, and listed.  Creating, applying and deleting snapshots is not
 * implemented yet.
 */
#include "qcow2.h"

#define QCOW2_SNAPSHOT_FIXED_LEN 40
#define QCOW2_MAX_SNAPSHOT_EXTRA 1024
#define QCOW2_MAX_SNAPSHOT_TABLE (64 * 1024 * 1024)

static void qcow2_snapshot_copy_str(char *dst, size_t dst_size,
                                    const uint8_t *src, size_t len)
{
    len = MIN(len, dst_size - 1);
    memcpy(dst, src, len);
    dst[len] = 0;
}

/* Entry @i at @offset: validated, stored in s->snapshots[i] */
static int qcow2_snapshot_read_one(BlockDriverState *bs, BDRVQcow2State *s,
                                   uint32_t i, uint64_t *offset,
                                   Error **errp)
{
    Qcow2Snapshot *sn = &s->snapshots[i];
    uint8_t h[QCOW2_SNAPSHOT_FIXED_LEN];
    g_autofree uint8_t *var = NULL;
    uint32_t extra, id_len, name_len;
    uint64_t len;
    int ret = bdrv_pread(bs->file, *offset, sizeof(h), h, 0);

    if (ret < 0) {
        error_setg_errno(errp, -ret, "Could not read snapshot %u", i);
        return ret;
    }
    sn->l1_offset = ldq_be_p(h);
    sn->l1_size = ldl_be_p(h + 8);
    id_len = lduw_be_p(h + 12);
    name_len = lduw_be_p(h + 14);
    sn->info.date_sec = ldl_be_p(h + 16);
    sn->info.date_nsec = ldl_be_p(h + 20);
    sn->info.vm_clock_nsec = ldq_be_p(h + 24);
    sn->info.vm_state_size = (uint32_t)ldl_be_p(h + 32);
    extra = ldl_be_p(h + 36);
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
        sn->l1_offset + (uint64_t)sn->l1_size * 8 > (uint64_t)s->file_len) {
        error_setg(errp, "Snapshot %u: L1 table offset %#" PRIx64 " invalid",
                   i, sn->l1_offset);
        return -EINVAL;
    }
    len = ROUND_UP(QCOW2_SNAPSHOT_FIXED_LEN + extra + id_len + name_len, 8);
    if (*offset + len - s->snapshots_offset > QCOW2_MAX_SNAPSHOT_TABLE) {
        error_setg(errp, "Snapshot table too large (more than %d bytes)",
                   QCOW2_MAX_SNAPSHOT_TABLE);
        return -EFBIG;
    }
    var = g_malloc(extra + id_len + name_len + 1);
    ret = bdrv_pread(bs->file, *offset + QCOW2_SNAPSHOT_FIXED_LEN,
                     extra + id_len + name_len, var, 0);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Could not read snapshot %u", i);
        return ret;
    }
    sn->info.icount = -1ULL;
    if (extra >= 8) {
        sn->info.vm_state_size = ldq_be_p(var);
    }
    if (extra >= 24) {
        sn->info.icount = ldq_be_p(var + 16);
    }
    qcow2_snapshot_copy_str(sn->info.id_str, sizeof(sn->info.id_str),
                            var + extra, id_len);
    qcow2_snapshot_copy_str(sn->info.name, sizeof(sn->info.name),
                            var + extra + id_len, name_len);
    *offset += len;
    return 0;
}

int qcow2_read_snapshots(BlockDriverState *bs, BDRVQcow2State *s,
                         Error **errp)
{
    uint64_t offset = s->snapshots_offset;

    if (!s->nb_snapshots) {
        return 0;
    }
    s->snapshots = g_try_malloc0(s->nb_snapshots * sizeof(Qcow2Snapshot));
    if (!s->snapshots) {
        error_setg(errp, "Could not allocate the snapshot table");
        return -ENOMEM;
    }
    for (uint32_t i = 0; i < s->nb_snapshots; i++) {
        int ret = qcow2_snapshot_read_one(bs, s, i, &offset, errp);

        if (ret < 0) {
            return ret;
        }
    }
    s->snapshots_size = offset - s->snapshots_offset;
    return 0;
}

int qcow2_snapshot_list(BlockDriverState *bs, QEMUSnapshotInfo **psn_info)
{
    BDRVQcow2State *s = bs->opaque;
    QEMUSnapshotInfo *list = g_new0(QEMUSnapshotInfo,
                                    MAX(s->nb_snapshots, 1));

    for (uint32_t i = 0; i < s->nb_snapshots; i++) {
        list[i] = s->snapshots[i].info;
    }
    *psn_info = list;
    return s->nb_snapshots;
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
