/*
 * The "test" driver: a format driver for unit tests of the graph core.
 * It forwards I/O to an optional "file" child (or serves zeroes / a
 * private buffer without one), counts drain hooks and can park requests so
 * that they stay in flight until a test releases them.
 *
 * Options: "size" (bytes, default 64 MiB), "file" (optional child),
 *          "backing" (optional COW child, or null for none), "align"
 *          (request alignment), "max-transfer" (bytes, 0: none),
 *          "cluster-size" (what bdrv_get_info reports, 0: none),
 *          "backing-file" and "backing-fmt" (a name and format as an image
 *          header records them; the core opens that file as the backing
 *          child unless "backing" is given), and error injection rules
 *          "inject-error.N.{iotype,offset,bytes,errno,once}" (N = 0, 1, ...;
 *          iotype read|write|flush|discard|zero|block-status, default read;
 *          bytes 0 = to the end; errno a positive number, default EIO (5);
 *          once: only the first matching request fails).
 *
 * It also implements the rest of the driver contract so that the core's
 * entry points can be tested before any real format exists: _part I/O,
 * compressed writes (with a cluster-size; stored uncompressed and
 * counted), check, amend ("cluster-size"), internal snapshots of
 * its private store, VM state, (in)activation, make_empty,
 * change_backing_file, specific info, measure, get_info, debug events and
 * creation from a QDict.
 */
#ifndef BLOCK_TEST_DRIVER_H
#define BLOCK_TEST_DRIVER_H

#include "block/block-common.h"

extern BlockDriver bdrv_test;

/* Register the driver: the tests and the harness do, bdrv_init() does not */
void test_driver_register(void);

/* One request as the driver's _part callback saw it */
typedef struct TestDriverRequest {
    bool is_write;
    int64_t offset;
    int64_t bytes;
    const QEMUIOVector *qiov;
    size_t qiov_offset;
    BdrvRequestFlags flags;
} TestDriverRequest;

#define TEST_DRIVER_LOG_MAX 16

typedef struct TestDriverCounters {
    int drain_begin;   /* calls of the driver's drain-begin hook */
    int drain_end;
    int reads;         /* requests that reached the driver */
    int writes;
    int set_perm;      /* bdrv_set_perm calls */
    uint64_t perm;     /* what the core last told the driver it holds */
    uint64_t shared;

    int compressed_writes;
    int flushes;       /* flush_to_disk calls */
    int injected;      /* requests failed by an injected error */
    int checks;
    int amends;
    int invalidate_cache;
    int inactivate;
    int make_empty;
    int change_backing_file;
    int reopen_prepare;        /* bdrv_reopen_prepare/commit/abort calls */
    int reopen_commit;
    int reopen_abort;
    int events[BLKDBG__MAX];   /* debug events raised on the node */
    int prealloc_refused;      /* truncates refused (refuse_prealloc) */
    /* The first reads and writes since the last reset, in order */
    int nb_requests;
    TestDriverRequest requests[TEST_DRIVER_LOG_MAX];
} TestDriverCounters;

const TestDriverCounters *test_driver_counters(BlockDriverState *bs);
void test_driver_reset_counters(BlockDriverState *bs);

/* Truncates with a preallocation mode other than off fail with -ENOTSUP,
 * as on a protocol that cannot preallocate */
void test_driver_refuse_prealloc(BlockDriverState *bs, bool refuse);

/* While parking, requests wait in the driver (in flight) until released */
void test_driver_set_parking(BlockDriverState *bs, bool park);
int test_driver_parked_count(BlockDriverState *bs);
/* Release up to @n parked requests (their completion is scheduled as BHs) */
int test_driver_release(BlockDriverState *bs, int n);

/* Make the driver's bdrv_check_perm fail with -EPERM for these permissions */
void test_driver_fail_perm(BlockDriverState *bs, uint64_t perm);

/* Called from the driver's drain-begin hook, for tests of graph changes
 * made from drain callbacks */
void test_driver_set_drain_hook(BlockDriverState *bs,
                                void (*fn)(BlockDriverState *bs, void *opaque),
                                void *opaque);

/* ---- error injection (also the "inject-error.N.*" options) ---- */

typedef enum TestDriverIoType {
    TEST_IO_READ,
    TEST_IO_WRITE,
    TEST_IO_FLUSH,
    TEST_IO_DISCARD,
    TEST_IO_ZERO,
    TEST_IO_BLOCK_STATUS,
    TEST_IO__MAX,
} TestDriverIoType;

/*
 * Fail requests of @iotype that overlap [offset, offset + bytes) (bytes 0:
 * up to the end; flushes match any range) with -@error; with @once only
 * the first one.  0, or -ENOSPC when the node has too many rules.
 */
int test_driver_inject_error(BlockDriverState *bs, TestDriverIoType iotype,
                             int64_t offset, int64_t bytes, int error,
                             bool once);
void test_driver_clear_errors(BlockDriverState *bs);

/* ---- the rest of the contract ---- */

/* What the next bdrv_check() finds (BDRV_FIX_* repairs and clears it) */
void test_driver_set_check_result(BlockDriverState *bs, int corruptions,
                                  int leaks);
/* bdrv_create_qdict() calls of the test driver and the last "size" */
int test_driver_create_count(void);
int64_t test_driver_last_create_size(void);

#endif
