/*
 * Private to the "test" driver (the files of block/drivers/test/): its
 * state, the chunk store, and the callbacks each file provides.
 */
#ifndef BLOCK_DRIVERS_TEST_DRIVER_INT_H
#define BLOCK_DRIVERS_TEST_DRIVER_INT_H

#include <pthread.h>

#include "block/driver.h"
#include "block/test-driver.h"

#define TEST_CHUNK_SIZE (64 * 1024)
#define TEST_CHUNK_BUCKETS 256
#define TEST_INJECT_MAX 16
#define TEST_VMSTATE_MAX (16 * 1024 * 1024)

typedef struct TestChunk {
    int64_t index;
    uint8_t *data;
    struct TestChunk *next;
} TestChunk;

typedef struct TestParked {
    Coroutine *co;
    QTAILQ_ENTRY(TestParked) next;
} TestParked;

typedef struct TestInjectRule {
    TestDriverIoType iotype;
    int64_t offset;
    int64_t bytes;          /* 0: up to the end */
    int error;              /* positive errno */
    bool once;
    bool spent;             /* a once-rule that has fired */
} TestInjectRule;

/* An internal snapshot: a copy of the store */
typedef struct TestSnapshot {
    QEMUSnapshotInfo info;
    int64_t size;
    TestChunk *chunks[TEST_CHUNK_BUCKETS];
} TestSnapshot;

typedef struct BDRVTestState {
    /* Requests may run in IOThreads while tests look from the main one */
    pthread_mutex_t lock;
    TestDriverCounters counters;
    bool parking;
    bool refuse_prealloc;   /* truncate refuses modes other than off */
    int nb_parked;
    QTAILQ_HEAD(, TestParked) parked;
    uint64_t fail_perm;
    void (*drain_hook)(BlockDriverState *bs, void *opaque);
    void *drain_hook_opaque;

    int64_t size;
    uint32_t align;
    uint32_t max_transfer;
    uint32_t cluster_size;
    TestChunk *chunks[TEST_CHUNK_BUCKETS];   /* by index % buckets */

    TestInjectRule rules[TEST_INJECT_MAX];
    int nb_rules;

    int check_corruptions;
    int check_leaks;
    TestSnapshot **snapshots;
    int nb_snapshots;
    int next_snapshot_id;
    uint8_t *vmstate;
    size_t vmstate_len;
} BDRVTestState;

BDRVTestState *test_state(BlockDriverState *bs);

/* test-driver.c: the store */
TestChunk *test_chunk_find(TestChunk *const *table, int64_t index);
void test_chunks_free(TestChunk **table);
/* Copy every chunk of @src into the empty table @dst; false on ENOMEM */
bool test_chunks_copy(TestChunk **dst, TestChunk *const *src);
int coroutine_fn test_store_read(BlockDriverState *bs, int64_t offset,
                                 int64_t bytes, QEMUIOVector *qiov,
                                 size_t qoff);
int test_store_write(BDRVTestState *s, int64_t offset, int64_t bytes,
                     QEMUIOVector *qiov, size_t qoff);
/* A read or write: to the "file" child if there is one, else the store */
int coroutine_fn test_co_rw_part(BlockDriverState *bs, bool write,
                                 int64_t offset, int64_t bytes,
                                 QEMUIOVector *qiov, size_t qiov_offset,
                                 BdrvRequestFlags flags);
/* Count, log, park; then the injected error for this request, or 0 */
int coroutine_fn test_enter_request(BlockDriverState *bs,
                                    TestDriverIoType iotype, int64_t offset,
                                    int64_t bytes, QEMUIOVector *qiov,
                                    size_t qiov_offset,
                                    BdrvRequestFlags flags);

/* test-driver-inject.c */
int test_inject_open(BDRVTestState *s, QDict *options, Error **errp);
/* -errno of the first rule matching the request, 0 if none (under lock) */
int test_inject_match(BDRVTestState *s, TestDriverIoType iotype,
                      int64_t offset, int64_t bytes);

/* test-driver-contract.c: the rest of the driver contract */
extern QemuOptsList test_amend_opts;
void test_contract_close(BDRVTestState *s);
int coroutine_fn test_co_pwritev_compressed_part(BlockDriverState *bs,
                                                 int64_t offset,
                                                 int64_t bytes,
                                                 QEMUIOVector *qiov,
                                                 size_t qiov_offset);
int coroutine_fn test_co_create(QDict *options, Error **errp);
int coroutine_fn test_co_check(BlockDriverState *bs, BdrvCheckResult *result,
                               BdrvCheckMode fix);
int test_amend_options(BlockDriverState *bs, QemuOpts *opts,
                       BlockDriverAmendStatusCB *status_cb, void *cb_opaque,
                       bool force, Error **errp);
int coroutine_fn test_co_amend(BlockDriverState *bs, QDict *options,
                               bool force, Error **errp);
int coroutine_fn test_co_get_info(BlockDriverState *bs, BlockDriverInfo *bdi);
ImageInfoSpecific *test_get_specific_info(BlockDriverState *bs, Error **errp);
BlockMeasureInfo *test_measure(QemuOpts *opts, BlockDriverState *in_bs,
                               Error **errp);
int coroutine_fn test_co_load_vmstate(BlockDriverState *bs,
                                      QEMUIOVector *qiov, int64_t pos);
int coroutine_fn test_co_save_vmstate(BlockDriverState *bs,
                                      QEMUIOVector *qiov, int64_t pos);
void coroutine_fn test_co_invalidate_cache(BlockDriverState *bs,
                                           Error **errp);
int test_inactivate(BlockDriverState *bs);
int coroutine_fn test_make_empty(BlockDriverState *bs);
int coroutine_fn test_co_change_backing_file(BlockDriverState *bs,
                                             const char *backing_file,
                                             const char *backing_fmt);
void coroutine_fn test_co_debug_event(BlockDriverState *bs,
                                      BlkdebugEvent event);

/* test-driver-snapshot.c */
int test_snapshot_create(BlockDriverState *bs, QEMUSnapshotInfo *sn_info);
int test_snapshot_goto(BlockDriverState *bs, const char *snapshot_id,
                       Error **errp);
int test_snapshot_delete(BlockDriverState *bs, const char *snapshot_id,
                         const char *name, Error **errp);
int test_snapshot_list(BlockDriverState *bs, QEMUSnapshotInfo **psn_info);
int test_snapshot_load_tmp(BlockDriverState *bs, const char *snapshot_id,
                           const char *name, Error **errp);
int coroutine_fn test_co_preadv_snapshot(BlockDriverState *bs,
                                         int64_t offset, int64_t bytes,
                                         QEMUIOVector *qiov,
                                         size_t qiov_offset);
void test_snapshots_free(BDRVTestState *s);

/* Reopen (test-driver-contract.c): counted; no driver option may change */
int test_reopen_prepare(BDRVReopenState *state, BlockReopenQueue *queue,
                        Error **errp);
void test_reopen_commit(BDRVReopenState *state);
void test_reopen_abort(BDRVReopenState *state);

#endif
