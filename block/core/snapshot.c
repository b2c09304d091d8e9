/*
 * Internal snapshots: the bdrv_snapshot_* entry points over the drivers'
 * snapshot callbacks.
 *
 * A node whose driver has no snapshot callbacks falls back to its primary
 * child, if that is its only child holding data or metadata (a raw or
 * filter node over a qcow2 image snapshots the image).  goto and delete
 * run in a drained section, so no request sees the image change under it.
 */
#include "io-int.h"
#include "util/cutils.h"

/* The child a snapshot operation falls back to, or NULL */
static BdrvChild *snapshot_fallback_child(BlockDriverState *bs)
{
    BdrvChild *primary = bdrv_primary_child(bs);
    BdrvChild *child;

    if (!primary) {
        return NULL;
    }
    QLIST_FOREACH(child, &bs->children, next) {
        if (child != primary &&
            (child->role & (BDRV_CHILD_DATA | BDRV_CHILD_METADATA |
                            BDRV_CHILD_FILTERED))) {
            return NULL;   /* it would have to be snapshotted too */
        }
    }
    return primary;
}

static BlockDriverState *snapshot_fallback_bs(BlockDriverState *bs)
{
    BdrvChild *child = snapshot_fallback_child(bs);

    return child ? child->bs : NULL;
}

/* -ENOMEDIUM with a message when @bs has no driver (closed or ejected) */
static int snapshot_check_medium(BlockDriverState *bs, Error **errp)
{
    if (!bs->drv) {
        error_setg(errp, "Device '%s' has no medium",
                   bdrv_get_device_or_node_name(bs));
        return -ENOMEDIUM;
    }
    return 0;
}

/* A driver, and at least one of @id and @name to find the snapshot by */
static int snapshot_check_id_name(BlockDriverState *bs, const char *id,
                                  const char *name, Error **errp)
{
    int ret = snapshot_check_medium(bs, errp);

    if (ret == 0 && !id && !name) {
        error_setg(errp, "snapshot_id and name are both NULL");
        ret = -EINVAL;
    }
    return ret;
}

bool bdrv_can_snapshot(BlockDriverState *bs)
{
    GLOBAL_STATE_CODE();
    if (!bs->drv || !bdrv_is_inserted(bs) || !bdrv_is_writable(bs)) {
        return false;
    }
    if (!bs->drv->bdrv_snapshot_create) {
        BlockDriverState *fallback = snapshot_fallback_bs(bs);

        return fallback && bdrv_can_snapshot(fallback);
    }
    return true;
}

int bdrv_snapshot_create(BlockDriverState *bs, QEMUSnapshotInfo *sn_info)
{
    BlockDriverState *fallback;

    GLOBAL_STATE_CODE();
    if (!bs->drv) {
        return -ENOMEDIUM;
    }
    if (bs->drv->bdrv_snapshot_create) {
        return bs->drv->bdrv_snapshot_create(bs, sn_info);
    }
    fallback = snapshot_fallback_bs(bs);
    return fallback ? bdrv_snapshot_create(fallback, sn_info) : -ENOTSUP;
}

/* The node's length may have changed with its contents */
static int snapshot_refresh_length(BlockDriverState *bs, Error **errp)
{
    int ret = bdrv_refresh_total_sectors(bs, bs->total_sectors);

    if (ret < 0) {
        error_setg_errno(errp, -ret, "Could not refresh total sector count");
        return ret;
    }
    bdrv_parent_cb_resize(bs);
    return 0;
}

int bdrv_snapshot_goto(BlockDriverState *bs, const char *snapshot_id,
                       Error **errp)
{
    BlockDriverState *fallback;
    int ret;

    GLOBAL_STATE_CODE();
    ret = snapshot_check_medium(bs, errp);
    if (ret < 0) {
        return ret;
    }
    fallback = snapshot_fallback_bs(bs);
    if (!bs->drv->bdrv_snapshot_goto && !fallback) {
        error_setg(errp, "Block driver '%s' does not support snapshots",
                   bs->drv->format_name);
        return -ENOTSUP;
    }
    bdrv_drained_begin(bs);
    if (bs->drv->bdrv_snapshot_goto) {
        ret = bs->drv->bdrv_snapshot_goto(bs, snapshot_id, errp);
    } else {
        ret = bdrv_snapshot_goto(fallback, snapshot_id, errp);
    }
    if (ret == 0) {
        ret = snapshot_refresh_length(bs, errp);
    }
    bdrv_drained_end(bs);
    return ret;
}

int bdrv_snapshot_delete(BlockDriverState *bs, const char *snapshot_id,
                         const char *name, Error **errp)
{
    BlockDriverState *fallback;
    int ret;

    GLOBAL_STATE_CODE();
    ret = snapshot_check_id_name(bs, snapshot_id, name, errp);
    if (ret < 0) {
        return ret;
    }
    fallback = snapshot_fallback_bs(bs);
    bdrv_drained_begin(bs);
    if (bs->drv->bdrv_snapshot_delete) {
        ret = bs->drv->bdrv_snapshot_delete(bs, snapshot_id, name, errp);
    } else if (fallback) {
        ret = bdrv_snapshot_delete(fallback, snapshot_id, name, errp);
    } else {
        error_setg(errp, "Block format '%s' used by device '%s' does not "
                   "support internal snapshot deletion", bs->drv->format_name,
                   bdrv_get_device_or_node_name(bs));
        ret = -ENOTSUP;
    }
    bdrv_drained_end(bs);
    return ret;
}

int bdrv_snapshot_list(BlockDriverState *bs, QEMUSnapshotInfo **psn_info)
{
    BlockDriverState *fallback;
    int ret;

    GLOBAL_STATE_CODE();
    *psn_info = NULL;
    if (!bs->drv) {
        return -ENOMEDIUM;
    }
    if (bs->drv->bdrv_snapshot_list) {
        ret = bs->drv->bdrv_snapshot_list(bs, psn_info);
        /* The driver's half: a count, and an array exactly when >= 0 */
        if (ret < 0) {
            g_free(*psn_info);
            *psn_info = NULL;
        }
        return ret;
    }
    fallback = snapshot_fallback_bs(bs);
    return fallback ? bdrv_snapshot_list(fallback, psn_info) : -ENOTSUP;
}

int bdrv_snapshot_load_tmp(BlockDriverState *bs, const char *snapshot_id,
                           const char *name, Error **errp)
{
    BlockDriverState *fallback;
    int ret;

    GLOBAL_STATE_CODE();
    ret = snapshot_check_id_name(bs, snapshot_id, name, errp);
    if (ret < 0) {
        return ret;
    }
    /* The active image is left as it is: nothing may write it meanwhile */
    if (!bdrv_is_read_only(bs)) {
        error_setg(errp, "Device '%s' is not read-only",
                   bdrv_get_device_or_node_name(bs));
        return -EINVAL;
    }
    if (bs->drv->bdrv_snapshot_load_tmp) {
        ret = bs->drv->bdrv_snapshot_load_tmp(bs, snapshot_id, name, errp);
        return ret < 0 ? ret : snapshot_refresh_length(bs, errp);
    }
    fallback = snapshot_fallback_bs(bs);
    if (fallback) {
        return bdrv_snapshot_load_tmp(fallback, snapshot_id, name, errp);
    }
    error_setg(errp, "Block format '%s' used by device '%s' does not support "
               "temporarily loading internal snapshots", bs->drv->format_name,
               bdrv_get_device_or_node_name(bs));
    return -ENOTSUP;
}

/* An id first, then a name, as qemu-img's -l takes either */
int bdrv_snapshot_load_tmp_by_id_or_name(BlockDriverState *bs,
                                         const char *id_or_name,
                                         Error **errp)
{
    Error *local_err = NULL;
    int ret;

    GLOBAL_STATE_CODE();
    ret = bdrv_snapshot_load_tmp(bs, id_or_name, NULL, &local_err);
    if (ret == -ENOENT || ret == -EINVAL) {
        error_free(local_err);
        local_err = NULL;
        ret = bdrv_snapshot_load_tmp(bs, NULL, id_or_name, &local_err);
    }
    error_propagate(errp, local_err);
    return ret;
}

int bdrv_snapshot_find(BlockDriverState *bs, QEMUSnapshotInfo *sn_info,
                       const char *name)
{
    QEMUSnapshotInfo *list = NULL;
    int n, ret = -ENOENT;

    GLOBAL_STATE_CODE();
    n = bdrv_snapshot_list(bs, &list);
    if (n < 0) {
        return n;
    }
    for (int i = 0; i < n; i++) {
        if (!strcmp(list[i].id_str, name) || !strcmp(list[i].name, name)) {
            *sn_info = list[i];
            ret = 0;
            break;
        }
    }
    g_free(list);
    return ret;
}

bool bdrv_snapshot_find_by_id_and_name(BlockDriverState *bs, const char *id,
                                       const char *name,
                                       QEMUSnapshotInfo *sn_info,
                                       Error **errp)
{
    QEMUSnapshotInfo *list = NULL;
    bool found = false;
    int n;

    GLOBAL_STATE_CODE();
    assert(id || name);
    n = bdrv_snapshot_list(bs, &list);
    if (n < 0) {
        error_setg_errno(errp, -n, "Failed to get a snapshot list");
        return false;
    }
    for (int i = 0; i < n && !found; i++) {
        if ((!id || !strcmp(list[i].id_str, id)) &&
            (!name || !strcmp(list[i].name, name))) {
            *sn_info = list[i];
            found = true;
        }
    }
    g_free(list);
    return found;
}

int coroutine_fn bdrv_co_preadv_snapshot(BdrvChild *child, int64_t offset,
                                         int64_t bytes, QEMUIOVector *qiov,
                                         size_t qiov_offset)
{
    BlockDriverState *bs = child->bs;
    int ret;

    IO_CODE();
    if (!bs->drv) {
        return -ENOMEDIUM;
    }
    if (!bs->drv->bdrv_co_preadv_snapshot) {
        return -ENOTSUP;
    }
    ret = bdrv_check_request(offset, bytes, NULL);
    if (ret == 0 && (qiov_offset > qiov->size ||
                     (uint64_t)bytes > qiov->size - qiov_offset)) {
        ret = -EINVAL;
    }
    if (ret < 0) {
        return ret;
    }
    bdrv_inc_in_flight(bs);
    ret = bs->drv->bdrv_co_preadv_snapshot(bs, offset, bytes, qiov,
                                           qiov_offset);
    bdrv_dec_in_flight(bs);
    return ret;
}
