/*
 * Internal snapshots of the "test" driver: each one is a copy of the
 * private store (and its size).  Only a node without a "file" child has
 * snapshots; goto and load_tmp copy a snapshot back into the store, and
 * bdrv_co_preadv_snapshot reads the newest one.
 */
#include "test-driver-int.h"
#include "util/cutils.h"

#define TEST_SNAPSHOT_MAX 64

static bool test_snapshot_matches(TestSnapshot *sn, const char *id,
                                  const char *name)
{
    return (!id || !strcmp(sn->info.id_str, id)) &&
           (!name || !strcmp(sn->info.name, name));
}

/* By @id and @name (either may be NULL); -1 when there is none */
static int test_snapshot_find(BDRVTestState *s, const char *id,
                              const char *name)
{
    for (int i = 0; i < s->nb_snapshots; i++) {
        if (test_snapshot_matches(s->snapshots[i], id, name)) {
            return i;
        }
    }
    return -1;
}

/* goto and load_tmp take an id, else a name, like QEMU's qcow2 */
static int test_snapshot_find_id_or_name(BDRVTestState *s, const char *str)
{
    int i = test_snapshot_find(s, str, NULL);

    return i >= 0 ? i : test_snapshot_find(s, NULL, str);
}

static void test_snapshot_free(TestSnapshot *sn)
{
    test_chunks_free(sn->chunks);
    g_free(sn);
}

void test_snapshots_free(BDRVTestState *s)
{
    for (int i = 0; i < s->nb_snapshots; i++) {
        test_snapshot_free(s->snapshots[i]);
    }
    g_free(s->snapshots);
    s->snapshots = NULL;
    s->nb_snapshots = 0;
}

int test_snapshot_create(BlockDriverState *bs, QEMUSnapshotInfo *sn_info)
{
    BDRVTestState *s = bs->opaque;
    TestSnapshot *sn;

    if (bs->file) {
        return -ENOTSUP;
    }
    if (s->nb_snapshots == TEST_SNAPSHOT_MAX) {
        return -EFBIG;
    }
    if (!sn_info->id_str[0]) {
        snprintf(sn_info->id_str, sizeof(sn_info->id_str), "%d",
                 ++s->next_snapshot_id);
    } else if (test_snapshot_find(s, sn_info->id_str, NULL) >= 0) {
        return -EEXIST;
    }
    sn = g_new0(TestSnapshot, 1);
    sn->info = *sn_info;
    sn->size = s->size;
    pthread_mutex_lock(&s->lock);
    if (!test_chunks_copy(sn->chunks, s->chunks)) {
        pthread_mutex_unlock(&s->lock);
        test_snapshot_free(sn);
        return -ENOMEM;
    }
    pthread_mutex_unlock(&s->lock);
    s->snapshots = g_renew(TestSnapshot *, s->snapshots, s->nb_snapshots + 1);
    s->snapshots[s->nb_snapshots++] = sn;
    return 0;
}

/* Replace the store by a copy of snapshot @i */
static int test_snapshot_restore(BDRVTestState *s, int i, Error **errp)
{
    TestChunk *chunks[TEST_CHUNK_BUCKETS] = { NULL };

    if (!test_chunks_copy(chunks, s->snapshots[i]->chunks)) {
        test_chunks_free(chunks);
        error_setg(errp, "Not enough memory to load snapshot '%s'",
                   s->snapshots[i]->info.id_str);
        return -ENOMEM;
    }
    pthread_mutex_lock(&s->lock);
    test_chunks_free(s->chunks);
    memcpy(s->chunks, chunks, sizeof(chunks));
    s->size = s->snapshots[i]->size;
    pthread_mutex_unlock(&s->lock);
    return 0;
}

/* Restore snapshot @i, or fail naming @what when there is none */
static int test_snapshot_load(BDRVTestState *s, int i, const char *what,
                              Error **errp)
{
    if (i < 0) {
        error_setg(errp, "Can't find snapshot '%s'", what);
        return -ENOENT;
    }
    return test_snapshot_restore(s, i, errp);
}

int test_snapshot_goto(BlockDriverState *bs, const char *snapshot_id,
                       Error **errp)
{
    BDRVTestState *s = bs->opaque;

    return test_snapshot_load(s, test_snapshot_find_id_or_name(s, snapshot_id),
                              snapshot_id, errp);
}

int test_snapshot_delete(BlockDriverState *bs, const char *snapshot_id,
                         const char *name, Error **errp)
{
    BDRVTestState *s = bs->opaque;
    int i = test_snapshot_find(s, snapshot_id, name);

    if (i < 0) {
        error_setg(errp, "Can't find the snapshot");
        return -ENOENT;
    }
    test_snapshot_free(s->snapshots[i]);
    memmove(&s->snapshots[i], &s->snapshots[i + 1],
            (s->nb_snapshots - i - 1) * sizeof(s->snapshots[0]));
    s->nb_snapshots--;
    return 0;
}

int test_snapshot_list(BlockDriverState *bs, QEMUSnapshotInfo **psn_info)
{
    BDRVTestState *s = bs->opaque;
    QEMUSnapshotInfo *list = g_new0(QEMUSnapshotInfo, s->nb_snapshots);

    for (int i = 0; i < s->nb_snapshots; i++) {
        list[i] = s->snapshots[i]->info;
    }
    *psn_info = list;
    return s->nb_snapshots;
}

int test_snapshot_load_tmp(BlockDriverState *bs, const char *snapshot_id,
                           const char *name, Error **errp)
{
    BDRVTestState *s = bs->opaque;

    return test_snapshot_load(s, test_snapshot_find(s, snapshot_id, name),
                              snapshot_id ?: name, errp);
}

int coroutine_fn test_co_preadv_snapshot(BlockDriverState *bs,
                                         int64_t offset, int64_t bytes,
                                         QEMUIOVector *qiov,
                                         size_t qiov_offset)
{
    BDRVTestState *s = bs->opaque;
    TestSnapshot *sn;

    if (!s->nb_snapshots) {
        return -ENOENT;
    }
    sn = s->snapshots[s->nb_snapshots - 1];
    pthread_mutex_lock(&s->lock);
    while (bytes > 0) {
        int64_t in_chunk = offset % TEST_CHUNK_SIZE;
        int64_t n = MIN(bytes, TEST_CHUNK_SIZE - in_chunk);
        TestChunk *c = test_chunk_find(sn->chunks, offset / TEST_CHUNK_SIZE);

        if (c) {
            qemu_iovec_from_buf(qiov, qiov_offset, c->data + in_chunk, n);
        } else {
            qemu_iovec_memset(qiov, qiov_offset, 0, n);
        }
        offset += n;
        bytes -= n;
        qiov_offset += n;
    }
    pthread_mutex_unlock(&s->lock);
    return 0;
}
