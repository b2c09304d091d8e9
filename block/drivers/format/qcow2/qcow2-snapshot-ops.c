/*
 * qcow2 internal snapshots: create, goto (apply), delete, load_tmp, and
 * the VM state area.
 *
 * Each operation runs in a coroutine with the driver's lock held and
 * orders its metadata writes so that a crash leaves a consistent image
 * (at worst with leaked clusters): refcounts go up before anything on
 * disk points at the clusters, the header or the snapshot table switches
 * in one write, and refcounts go down only after nothing points there.
 *
 * The VM state (savevm) is stored like guest data, from the first guest
 * offset past the L1 entries the disk needs; a snapshot taken after it
 * was written keeps it, and the active image then drops it.
 */
#include "qcow2.h"
#include "util/atomic.h"

typedef struct Qcow2SnapshotCall {
    BlockDriverState *bs;
    int (*fn)(struct Qcow2SnapshotCall *c);
    QEMUSnapshotInfo *sn_info;
    const char *id;
    const char *name;
    Error **errp;
    int ret;
    bool done;
} Qcow2SnapshotCall;

static void coroutine_fn qcow2_snapshot_co_entry(void *opaque)
{
    Qcow2SnapshotCall *c = opaque;
    BDRVQcow2State *s = c->bs->opaque;

    qemu_co_mutex_lock(&s->lock);
    c->ret = c->fn(c);
    qemu_co_mutex_unlock(&s->lock);
    qatomic_store_release(&c->done, true);
    aio_wait_kick();
}

/* c->fn in a coroutine (the snapshot callbacks are not coroutine_fn) */
static int qcow2_snapshot_run(Qcow2SnapshotCall *c)
{
    AioContext *ctx = bdrv_get_aio_context(c->bs);

    if (qemu_in_coroutine()) {
        qcow2_snapshot_co_entry(c);
        return c->ret;
    }
    aio_co_enter(ctx, qemu_coroutine_create(qcow2_snapshot_co_entry, c));
    AIO_WAIT_WHILE(ctx, !qatomic_load_acquire(&c->done));
    return c->ret;
}

/* What every change of the snapshots needs: a writable, sound image */
static int qcow2_snapshot_can_change(BlockDriverState *bs, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;

    if (bdrv_is_read_only(bs)) {
        error_setg(errp, "Image is read-only");
        return -EACCES;
    }
    if (s->corrupt_marked) {
        error_setg(errp, "Image is corrupt");
        return -EIO;
    }
    if (s->incompatible & QCOW2_INCOMPAT_DATA_FILE) {
        error_setg(errp, "Internal snapshots are not supported with an "
                   "external data file");
        return -ENOTSUP;
    }
    return 0;
}

int64_t qcow2_vm_state_offset(BDRVQcow2State *s)
{
    return (int64_t)qcow2_l1_entries_for(s, s->disk_size)
           << (s->cluster_bits + s->l2_bits);
}

/* Metadata in the caches reaches the disk, refcounts first */
static int coroutine_fn qcow2_snapshot_flush(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    int ret = qcow2_cache_flush(bs, s->refblock_cache);

    if (ret == 0) {
        ret = qcow2_cache_flush(bs, s->l2_cache);
    }
    if (ret == 0) {
        ret = bdrv_co_flush(bs->file->bs);
    }
    return ret;
}

/*
 * Rebuild the COPIED flags of the active tables (refcounts unchanged);
 * the L1 table is written when they changed or when @write (the table on
 * disk may differ from the one in memory)
 */
static int coroutine_fn qcow2_snapshot_refresh_copied(BlockDriverState *bs,
                                                      bool write)
{
    BDRVQcow2State *s = bs->opaque;
    bool changed;
    int ret = qcow2_snapshot_update_refs(bs, s->l1_table, s->l1_size, 0,
                                         &changed);

    if (ret == 0 && (changed || write)) {
        ret = qcow2_snapshot_write_active_l1(bs);
    }
    if (ret == 0) {
        ret = qcow2_snapshot_flush(bs);
    }
    return ret;
}

/* A copy of @l1 (@size entries) in new clusters, COPIED flags cleared */
static int64_t coroutine_fn qcow2_snapshot_write_l1(BlockDriverState *bs,
                                                    const uint64_t *l1,
                                                    uint32_t size)
{
    BDRVQcow2State *s = bs->opaque;
    int64_t bytes = (int64_t)size * 8, offset;
    g_autofree uint64_t *buf = NULL;
    int ret;

    if (!size) {
        return 0;
    }
    buf = g_try_malloc(bytes);
    if (!buf) {
        return -ENOMEM;
    }
    for (uint32_t i = 0; i < size; i++) {
        buf[i] = cpu_to_be64(l1[i] & ~QCOW2_OFLAG_COPIED);
    }
    offset = qcow2_alloc_clusters(bs, DIV_ROUND_UP(bytes, s->cluster_size));
    if (offset < 0) {
        return offset;
    }
    ret = qcow2_pre_write_check(bs, 0, offset, bytes);
    if (ret == 0) {
        ret = bdrv_co_pwrite(bs->file, offset, bytes, buf, 0);
    }
    if (ret < 0) {
        qcow2_free_clusters(bs, offset, bytes, QCOW2_DISCARD_NEVER);
        return ret;
    }
    return offset;
}

/* A unique id: one more than the largest number among the ids */
static void qcow2_snapshot_new_id(BDRVQcow2State *s, char *id, size_t size)
{
    unsigned long max = 0;

    for (uint32_t i = 0; i < s->nb_snapshots; i++) {
        max = MAX(max, strtoul(s->snapshots[i].id, NULL, 10));
    }
    snprintf(id, size, "%lu", max + 1);
}

/* Append the snapshot of the L1 copy at @l1_offset and write the table */
static int coroutine_fn qcow2_snapshot_append(BlockDriverState *bs,
                                              QEMUSnapshotInfo *info,
                                              int64_t l1_offset)
{
    BDRVQcow2State *s = bs->opaque;
    Qcow2Snapshot *sn;
    int ret;

    s->snapshots = g_renew(Qcow2Snapshot, s->snapshots, s->nb_snapshots + 1);
    sn = &s->snapshots[s->nb_snapshots];
    *sn = (Qcow2Snapshot) {
        .l1_offset = l1_offset,
        .l1_size = s->l1_size,
        .vm_state_size = info->vm_state_size,
        .date_sec = info->date_sec,
        .date_nsec = info->date_nsec,
        .vm_clock_nsec = info->vm_clock_nsec,
        .icount = info->icount,
        .disk_size = s->disk_size,
    };
    qcow2_snapshot_set_names(sn, info->id_str, strlen(info->id_str),
                             info->name, strlen(info->name));
    s->nb_snapshots++;
    ret = qcow2_snapshot_write_table(bs);
    if (ret < 0) {
        s->nb_snapshots--;
        qcow2_snapshot_clear(sn);
    }
    return ret;
}

static int coroutine_fn qcow2_snapshot_do_create(Qcow2SnapshotCall *c)
{
    BlockDriverState *bs = c->bs;
    BDRVQcow2State *s = bs->opaque;
    QEMUSnapshotInfo *info = c->sn_info;
    int64_t l1_offset;
    bool changed;
    int ret = qcow2_snapshot_can_change(bs, NULL);

    if (ret < 0) {
        return ret;
    }
    if (s->nb_snapshots >= QCOW2_MAX_SNAPSHOTS) {
        return -EFBIG;
    }
    if (!info->id_str[0]) {
        qcow2_snapshot_new_id(s, info->id_str, sizeof(info->id_str));
    }
    if (qcow2_snapshot_find(s, info->id_str, NULL) >= 0) {
        return -EEXIST;
    }
    /* Refcounts up (COPIED flags off) before the copy is referenced */
    ret = qcow2_snapshot_update_refs(bs, s->l1_table, s->l1_size, 1,
                                     &changed);
    if (ret < 0) {
        return ret;
    }
    l1_offset = qcow2_snapshot_write_l1(bs, s->l1_table, s->l1_size);
    ret = l1_offset < 0 ? l1_offset : 0;
    if (ret == 0 && changed) {
        ret = qcow2_snapshot_write_active_l1(bs);
    }
    if (ret == 0) {
        ret = qcow2_snapshot_flush(bs);
    }
    if (ret == 0) {
        ret = qcow2_snapshot_append(bs, info, l1_offset);
    }
    if (ret < 0) {
        if (l1_offset > 0) {
            qcow2_free_clusters(bs, l1_offset, s->l1_size * 8LL, QCOW2_DISCARD_NEVER);
        }
        qcow2_snapshot_update_refs(bs, s->l1_table, s->l1_size, -1,
                                   &changed);
        qcow2_snapshot_refresh_copied(bs, true);
    }
    return ret;
}

/* Drop the VM state from the active image: the snapshot keeps it */
static void coroutine_fn qcow2_snapshot_drop_vmstate(BlockDriverState *bs,
                                                     uint64_t size)
{
    BDRVQcow2State *s = bs->opaque;
    int ret;

    if (!size) {
        return;
    }
    ret = bs->drv->bdrv_co_pdiscard(bs, qcow2_vm_state_offset(s),
                                    ROUND_UP(size, s->cluster_size));
    if (ret < 0 && ret != -ENOTSUP) {
        warn_report("qcow2: Could not drop the VM state from the active "
                    "image: %s", strerror(-ret));
    }
}

static int coroutine_fn qcow2_snapshot_create_fn(Qcow2SnapshotCall *c)
{
    BDRVQcow2State *s = c->bs->opaque;
    int ret = qcow2_snapshot_do_create(c);

    if (ret == 0) {
        qemu_co_mutex_unlock(&s->lock);
        qcow2_snapshot_drop_vmstate(c->bs, c->sn_info->vm_state_size);
        qemu_co_mutex_lock(&s->lock);
    }
    return ret;
}

int qcow2_snapshot_create(BlockDriverState *bs, QEMUSnapshotInfo *sn_info)
{
    Qcow2SnapshotCall c = { .bs = bs, .fn = qcow2_snapshot_create_fn,
                            .sn_info = sn_info };

    return qcow2_snapshot_run(&c);
}

/* The L1 table of @sn read into a table of @size >= sn->l1_size entries */
static uint64_t *coroutine_fn qcow2_snapshot_read_l1(BlockDriverState *bs,
                                                     Qcow2Snapshot *sn,
                                                     uint32_t size, int *ret)
{
    uint64_t *l1 = g_try_malloc0(MAX(size, 1) * 8ULL);

    *ret = l1 ? 0 : -ENOMEM;
    if (l1 && sn->l1_size) {
        *ret = bdrv_co_pread(bs->file, sn->l1_offset, sn->l1_size * 8LL, l1,
                             0);
    }
    if (*ret < 0) {
        g_free(l1);
        return NULL;
    }
    for (uint32_t i = 0; i < sn->l1_size; i++) {
        l1[i] = be64_to_cpu(l1[i]);
    }
    return l1;
}

/* Make @l1 (@size entries at @offset) the active table of a @disk_size disk */
static int coroutine_fn qcow2_snapshot_switch_l1(BlockDriverState *bs,
                                                 uint64_t *l1, uint32_t size,
                                                 int64_t offset,
                                                 uint64_t disk_size)
{
    BDRVQcow2State *s = bs->opaque;
    uint8_t hdr[24];
    int ret;

    /* Size, crypt method (0), L1 size and offset: one write */
    stq_be_p(hdr, disk_size);
    stl_be_p(hdr + 8, 0);
    stl_be_p(hdr + 12, size);
    stq_be_p(hdr + 16, offset);
    ret = qcow2_snapshot_flush(bs);
    if (ret == 0) {
        BLKDBG_CO_EVENT(bs->file, BLKDBG_L1_UPDATE);
        ret = qcow2_write_header_field(bs, 24, hdr, sizeof(hdr));
    }
    if (ret < 0) {
        return ret;
    }
    s->l1_table = l1;
    s->l1_size = size;
    s->l1_used = size;
    qcow2_meta_index_drop(s);
    s->l1_offset = offset;
    s->disk_size = disk_size;
    return 0;
}

/* Replace the active L1 table by a copy of @sn's */
static int coroutine_fn qcow2_snapshot_apply(BlockDriverState *bs,
                                             Qcow2Snapshot *sn)
{
    BDRVQcow2State *s = bs->opaque;
    uint32_t size = MAX(sn->l1_size, qcow2_l1_entries_for(s, sn->disk_size));
    uint64_t *old = s->l1_table, old_offset = s->l1_offset;
    uint32_t old_size = s->l1_size;
    g_autofree uint64_t *l1 = NULL;
    int64_t offset = 0;
    bool changed;
    int ret;

    l1 = qcow2_snapshot_read_l1(bs, sn, size, &ret);
    if (!l1) {
        return ret;
    }
    ret = qcow2_snapshot_update_refs(bs, l1, size, 1, &changed);
    if (ret < 0) {
        return ret;
    }
    offset = qcow2_snapshot_write_l1(bs, l1, size);
    ret = offset < 0 ? offset : 0;
    if (ret == 0) {
        ret = qcow2_snapshot_switch_l1(bs, l1, size, offset, sn->disk_size);
    }
    if (ret < 0) {
        if (offset > 0) {
            qcow2_free_clusters(bs, offset, size * 8LL, QCOW2_DISCARD_NEVER);
        }
        qcow2_snapshot_update_refs(bs, l1, size, -1, &changed);
        return ret;
    }
    g_steal_pointer(&l1);
    /* Nothing points at the old table any more */
    ret = qcow2_snapshot_update_refs(bs, old, old_size, -1, &changed);
    if (old_size) {
        qcow2_free_clusters(bs, old_offset, old_size * 8LL, QCOW2_DISCARD_SNAPSHOT);
    }
    qcow2_l1_table_free(s, old);
    if (ret < 0) {
        warn_report("qcow2: Could not release the clusters of the previous "
                    "active L1 table: %s", strerror(-ret));
    }
    /* The copy was written without COPIED flags: write the rebuilt ones */
    return qcow2_snapshot_refresh_copied(bs, true);
}

static int coroutine_fn qcow2_snapshot_goto_fn(Qcow2SnapshotCall *c)
{
    BlockDriverState *bs = c->bs;
    BDRVQcow2State *s = bs->opaque;
    int i, ret = qcow2_snapshot_can_change(bs, c->errp);

    if (ret < 0) {
        return ret;
    }
    i = qcow2_snapshot_find(s, c->id, NULL);
    if (i < 0) {
        i = qcow2_snapshot_find(s, NULL, c->id);
    }
    if (i < 0) {
        error_setg_errno(c->errp, ENOENT, "Failed to load snapshot");
        return -ENOENT;
    }
    if (s->snapshots[i].disk_size != s->disk_size && s->has_bitmaps) {
        error_setg(c->errp, "Cannot change the disk size of an image with "
                   "persistent bitmaps (snapshot '%s' is %" PRIu64 " bytes)",
                   s->snapshots[i].id, s->snapshots[i].disk_size);
        return -ENOTSUP;
    }
    ret = qcow2_snapshot_apply(bs, &s->snapshots[i]);
    if (ret < 0) {
        error_setg_errno(c->errp, -ret, "Could not apply snapshot '%s'",
                         c->id);
    }
    return ret;
}

int qcow2_snapshot_goto(BlockDriverState *bs, const char *snapshot_id,
                        Error **errp)
{
    Qcow2SnapshotCall c = { .bs = bs, .fn = qcow2_snapshot_goto_fn,
                            .id = snapshot_id, .errp = errp };

    return qcow2_snapshot_run(&c);
}

/* Release what snapshot @sn (no longer in the table) held */
static int coroutine_fn qcow2_snapshot_release(BlockDriverState *bs,
                                               Qcow2Snapshot *sn)
{
    bool changed;
    int ret;
    g_autofree uint64_t *l1 = qcow2_snapshot_read_l1(bs, sn, sn->l1_size,
                                                     &ret);

    if (l1) {
        ret = qcow2_snapshot_update_refs(bs, l1, sn->l1_size, -1, &changed);
    }
    if (sn->l1_size) {
        qcow2_free_clusters(bs, sn->l1_offset, sn->l1_size * 8LL, QCOW2_DISCARD_SNAPSHOT);
    }
    if (ret == 0) {
        ret = qcow2_snapshot_refresh_copied(bs, false);
    }
    return ret;
}

static int coroutine_fn qcow2_snapshot_delete_fn(Qcow2SnapshotCall *c)
{
    BlockDriverState *bs = c->bs;
    BDRVQcow2State *s = bs->opaque;
    Qcow2Snapshot sn;
    int i, ret = qcow2_snapshot_can_change(bs, c->errp);

    if (ret < 0) {
        return ret;
    }
    i = qcow2_snapshot_find(s, c->id, c->name);
    if (i < 0) {
        error_setg(c->errp, "Can't find the snapshot");
        return -ENOENT;
    }
    /* Out of the table first: until then it holds its references */
    sn = s->snapshots[i];
    memmove(&s->snapshots[i], &s->snapshots[i + 1],
            (s->nb_snapshots - i - 1) * sizeof(sn));
    s->nb_snapshots--;
    ret = qcow2_snapshot_write_table(bs);
    if (ret < 0) {
        memmove(&s->snapshots[i + 1], &s->snapshots[i],
                (s->nb_snapshots - i) * sizeof(sn));
        s->snapshots[i] = sn;
        s->nb_snapshots++;
        error_setg_errno(c->errp, -ret, "Failed to remove snapshot from "
                         "snapshot list");
        return ret;
    }
    ret = qcow2_snapshot_release(bs, &sn);
    qcow2_snapshot_clear(&sn);
    if (ret < 0) {
        /* The snapshot is gone; what it held may have leaked */
        error_setg_errno(c->errp, -ret, "Failed to free the cluster and L1 "
                         "table");
    }
    return ret;
}

int qcow2_snapshot_delete(BlockDriverState *bs, const char *snapshot_id,
                          const char *name, Error **errp)
{
    Qcow2SnapshotCall c = { .bs = bs, .fn = qcow2_snapshot_delete_fn,
                            .id = snapshot_id, .name = name, .errp = errp };

    return qcow2_snapshot_run(&c);
}

/* Read-only: the snapshot's L1 table becomes the active one, in memory */
static int coroutine_fn qcow2_snapshot_load_tmp_fn(Qcow2SnapshotCall *c)
{
    BDRVQcow2State *s = c->bs->opaque;
    Qcow2Snapshot *sn;
    uint64_t *l1;
    uint32_t size;
    int i = qcow2_snapshot_find(s, c->id, c->name), ret;

    if (i < 0) {
        error_setg(c->errp, "Can't find snapshot");
        return -ENOENT;
    }
    sn = &s->snapshots[i];
    size = MAX(sn->l1_size, qcow2_l1_entries_for(s, sn->disk_size));
    l1 = qcow2_snapshot_read_l1(c->bs, sn, size, &ret);
    if (!l1) {
        error_setg_errno(c->errp, -ret, "Failed to load snapshot");
        return ret;
    }
    qcow2_l1_table_free(s, s->l1_table);
    s->l1_table = l1;
    s->l1_size = size;
    s->l1_used = size;
    qcow2_meta_index_drop(s);
    s->l1_offset = sn->l1_offset;
    s->disk_size = sn->disk_size;
    return 0;
}

int qcow2_snapshot_load_tmp(BlockDriverState *bs, const char *snapshot_id,
                            const char *name, Error **errp)
{
    Qcow2SnapshotCall c = { .bs = bs, .fn = qcow2_snapshot_load_tmp_fn,
                            .id = snapshot_id, .name = name, .errp = errp };

    return qcow2_snapshot_run(&c);
}

/* [pos, pos + qiov->size) of the VM state, read or written as guest data */
static int coroutine_fn qcow2_snapshot_vmstate_rw(BlockDriverState *bs,
                                                  QEMUIOVector *qiov,
                                                  int64_t pos, bool write)
{
    int64_t start = qcow2_vm_state_offset(bs->opaque);
    int64_t bytes = qiov->size;

    if (pos < 0 || pos > INT64_MAX - start - bytes) {
        return -EINVAL;
    }
    if (write) {
        BLKDBG_CO_EVENT(bs->file, BLKDBG_VMSTATE_SAVE);
        return bs->drv->bdrv_co_pwritev_part(bs, start + pos, bytes, qiov, 0,
                                             0);
    }
    BLKDBG_CO_EVENT(bs->file, BLKDBG_VMSTATE_LOAD);
    return bs->drv->bdrv_co_preadv_part(bs, start + pos, bytes, qiov, 0, 0);
}

int coroutine_fn qcow2_co_save_vmstate(BlockDriverState *bs,
                                       QEMUIOVector *qiov, int64_t pos)
{
    return qcow2_snapshot_vmstate_rw(bs, qiov, pos, true);
}

int coroutine_fn qcow2_co_load_vmstate(BlockDriverState *bs,
                                       QEMUIOVector *qiov, int64_t pos)
{
    return qcow2_snapshot_vmstate_rw(bs, qiov, pos, false);
}
