/*
 * The "test" driver's implementation of the driver contract beyond plain
 * I/O, so that the core's entry points (bdrv_check, bdrv_amend_options,
 * bdrv_save_vmstate, bdrv_activate, ...) have a driver to call before any
 * real format exists.  Each callback counts its calls and does the
 * simplest thing that shows the core passed the right arguments.
 */
#include "test-driver-int.h"
#include "util/cutils.h"

static int test_created;
static int64_t test_created_size = -1;

QemuOptsList test_amend_opts = {
    .name = "test-amend-opts",
    .desc = {
        {
            .name = "cluster-size",
            .type = QEMU_OPT_SIZE,
            .help = "Cluster size bdrv_get_info reports",
        },
        { /* end of list */ }
    },
};

void test_contract_close(BDRVTestState *s)
{
    test_snapshots_free(s);
    g_free(s->vmstate);
}

static void test_count(BlockDriverState *bs, int *counter)
{
    BDRVTestState *s = bs->opaque;

    pthread_mutex_lock(&s->lock);
    (*counter)++;
    pthread_mutex_unlock(&s->lock);
}

/* Compressed writes store the data as it is; only the count differs */
int coroutine_fn test_co_pwritev_compressed_part(BlockDriverState *bs,
                                                 int64_t offset,
                                                 int64_t bytes,
                                                 QEMUIOVector *qiov,
                                                 size_t qiov_offset)
{
    BDRVTestState *s = bs->opaque;

    test_count(bs, &s->counters.compressed_writes);
    return test_co_rw_part(bs, true, offset, bytes, qiov, qiov_offset,
                           BDRV_REQ_WRITE_COMPRESSED);
}

/* Creation only validates "size": the store lives in memory */
int coroutine_fn test_co_create(QDict *options, Error **errp)
{
    QObject *size = qdict_get(options, "size");
    QNum *num = qobject_to(QNum, size);
    int64_t value;

    if (!num || !qnum_get_try_int(num, &value)) {
        error_setg(errp, "Parameter 'size' is missing or not an integer");
        return -EINVAL;
    }
    if (value < 0 || value > BDRV_MAX_LENGTH) {
        error_setg(errp, "Invalid size %" PRId64 " for the test driver",
                   value);
        return -EINVAL;
    }
    test_created++;
    test_created_size = value;
    return 0;
}

int test_driver_create_count(void)
{
    return test_created;
}

int64_t test_driver_last_create_size(void)
{
    return test_created_size;
}

void test_driver_set_check_result(BlockDriverState *bs, int corruptions,
                                  int leaks)
{
    BDRVTestState *s = test_state(bs);

    s->check_corruptions = corruptions;
    s->check_leaks = leaks;
}

/* Reports what the test set; a fix mode repairs (and forgets) it */
int coroutine_fn test_co_check(BlockDriverState *bs, BdrvCheckResult *result,
                               BdrvCheckMode fix)
{
    BDRVTestState *s = bs->opaque;

    test_count(bs, &s->counters.checks);
    if (fix & BDRV_FIX_ERRORS) {
        result->corruptions_fixed = s->check_corruptions;
        s->check_corruptions = 0;
    }
    if (fix & BDRV_FIX_LEAKS) {
        result->leaks_fixed = s->check_leaks;
        s->check_leaks = 0;
    }
    result->corruptions = s->check_corruptions;
    result->leaks = s->check_leaks;
    result->image_end_offset = s->size;
    return 0;
}

static int test_set_cluster_size(BDRVTestState *s, uint64_t cluster_size,
                                 Error **errp)
{
    if (cluster_size && (!is_power_of_2(cluster_size) ||
                         cluster_size > BDRV_MAX_ALIGNMENT)) {
        error_setg(errp, "Invalid cluster-size %" PRIu64 ": expected a power "
                   "of two up to %ld", cluster_size, BDRV_MAX_ALIGNMENT);
        return -EINVAL;
    }
    s->cluster_size = cluster_size;
    return 0;
}

/* Amends "cluster-size" in two reported steps */
int test_amend_options(BlockDriverState *bs, QemuOpts *opts,
                       BlockDriverAmendStatusCB *status_cb, void *cb_opaque,
                       bool force, Error **errp)
{
    BDRVTestState *s = bs->opaque;
    int ret = 0;

    test_count(bs, &s->counters.amends);
    if (status_cb) {
        status_cb(bs, 0, 2, cb_opaque);
    }
    if (qemu_opt_find_set(opts, "cluster-size")) {
        ret = test_set_cluster_size(
            s, qemu_opt_get_size(opts, "cluster-size", 0), errp);
    }
    if (status_cb && ret == 0) {
        status_cb(bs, 1, 2, cb_opaque);
        status_cb(bs, 2, 2, cb_opaque);
    }
    return ret;
}

int coroutine_fn test_co_amend(BlockDriverState *bs, QDict *options,
                               bool force, Error **errp)
{
    BDRVTestState *s = bs->opaque;
    const QDictEntry *e;
    int64_t value;

    test_count(bs, &s->counters.amends);
    for (e = qdict_first(options); e; e = qdict_next(options, e)) {
        const char *key = qdict_entry_key(e);
        QNum *num = qobject_to(QNum, qdict_entry_value(e));

        if (!strcmp(key, "driver")) {
            continue;
        }
        if (strcmp(key, "cluster-size") || !num ||
            !qnum_get_try_int(num, &value) || value < 0) {
            error_setg(errp, "Invalid parameter '%s'", key);
            return -EINVAL;
        }
        if (test_set_cluster_size(s, (uint64_t)value, errp) < 0) {
            return -EINVAL;
        }
    }
    return 0;
}

int coroutine_fn test_co_get_info(BlockDriverState *bs, BlockDriverInfo *bdi)
{
    BDRVTestState *s = bs->opaque;

    bdi->cluster_size = (int)s->cluster_size;
    bdi->vm_state_offset = s->size;
    return 0;
}

ImageInfoSpecific *test_get_specific_info(BlockDriverState *bs, Error **errp)
{
    BDRVTestState *s = bs->opaque;
    ImageInfoSpecific *info = g_new0(ImageInfoSpecific, 1);

    info->type = g_strdup("test");
    info->data = qdict_new();
    qdict_put_int(info->data, "cluster-size", s->cluster_size);
    qdict_put_int(info->data, "snapshots", s->nb_snapshots);
    return info;
}

/* Every byte of the new image is data: required = fully allocated = size */
BlockMeasureInfo *test_measure(QemuOpts *opts, BlockDriverState *in_bs,
                               Error **errp)
{
    BlockMeasureInfo *info;
    int64_t size = opts ? (int64_t)qemu_opt_get_size(opts, BLOCK_OPT_SIZE, 0)
                        : 0;

    if (in_bs) {
        size = bdrv_getlength(in_bs);
        if (size < 0) {
            error_setg_errno(errp, (int)-size, "Cannot get the length of "
                             "node '%s'", bdrv_get_node_name(in_bs));
            return NULL;
        }
    }
    info = g_new0(BlockMeasureInfo, 1);
    info->required = size;
    info->fully_allocated = size;
    return info;
}

/* ---- VM state: a buffer beside the store ---- */

int coroutine_fn test_co_load_vmstate(BlockDriverState *bs,
                                      QEMUIOVector *qiov, int64_t pos)
{
    BDRVTestState *s = bs->opaque;
    size_t have;

    pthread_mutex_lock(&s->lock);
    have = (uint64_t)pos < s->vmstate_len ? s->vmstate_len - pos : 0;
    have = MIN(have, qiov->size);
    qemu_iovec_from_buf(qiov, 0, s->vmstate + pos, have);
    qemu_iovec_memset(qiov, have, 0, qiov->size - have);
    pthread_mutex_unlock(&s->lock);
    return 0;
}

int coroutine_fn test_co_save_vmstate(BlockDriverState *bs,
                                      QEMUIOVector *qiov, int64_t pos)
{
    BDRVTestState *s = bs->opaque;
    uint64_t end = (uint64_t)pos + qiov->size;

    if (end > TEST_VMSTATE_MAX) {
        return -ENOSPC;
    }
    pthread_mutex_lock(&s->lock);
    if (end > s->vmstate_len) {
        s->vmstate = g_realloc(s->vmstate, end);
        memset(s->vmstate + s->vmstate_len, 0, end - s->vmstate_len);
        s->vmstate_len = end;
    }
    qemu_iovec_to_buf(qiov, 0, s->vmstate + pos, qiov->size);
    pthread_mutex_unlock(&s->lock);
    return 0;
}

/* ---- activation, emptying, backing file name, debug events ---- */

void coroutine_fn test_co_invalidate_cache(BlockDriverState *bs,
                                           Error **errp)
{
    BDRVTestState *s = bs->opaque;

    test_count(bs, &s->counters.invalidate_cache);
}

int test_inactivate(BlockDriverState *bs)
{
    BDRVTestState *s = bs->opaque;

    test_count(bs, &s->counters.inactivate);
    return 0;
}

int coroutine_fn test_make_empty(BlockDriverState *bs)
{
    BDRVTestState *s = bs->opaque;

    test_count(bs, &s->counters.make_empty);
    if (bs->file) {
        return -ENOTSUP;
    }
    pthread_mutex_lock(&s->lock);
    test_chunks_free(s->chunks);
    pthread_mutex_unlock(&s->lock);
    return 0;
}

/* The core records the new name in bs->backing_file on success */
int coroutine_fn test_co_change_backing_file(BlockDriverState *bs,
                                             const char *backing_file,
                                             const char *backing_fmt)
{
    BDRVTestState *s = bs->opaque;

    test_count(bs, &s->counters.change_backing_file);
    return 0;
}

void coroutine_fn test_co_debug_event(BlockDriverState *bs,
                                      BlkdebugEvent event)
{
    BDRVTestState *s = bs->opaque;

    assert(event >= 0 && event < BLKDBG__MAX);
    test_count(bs, &s->counters.events[event]);
}

/* Reopen: counted; no driver option may change ("Cannot change the
 * option 'size'" from the core) */
int test_reopen_prepare(BDRVReopenState *state, BlockReopenQueue *queue,
                        Error **errp)
{
    BDRVTestState *s = state->bs->opaque;

    test_count(state->bs, &s->counters.reopen_prepare);
    return 0;
}

void test_reopen_commit(BDRVReopenState *state)
{
    BDRVTestState *s = state->bs->opaque;

    test_count(state->bs, &s->counters.reopen_commit);
}

void test_reopen_abort(BDRVReopenState *state)
{
    BDRVTestState *s = state->bs->opaque;

    test_count(state->bs, &s->counters.reopen_abort);
}
