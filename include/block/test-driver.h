/*
 * The "test" driver: a format driver for unit tests of the graph core.
 * It forwards I/O to an optional "file" child (or serves zeroes / a
 * private buffer without one), counts drain hooks and can park requests so
 * that they stay in flight until a test releases them.
 *
 * Options: "size" (bytes, default 64 MiB), "file" (optional child),
 *          "backing" (optional COW child, or null for none), "align"
 *          (request alignment), "backing-file" and "backing-fmt" (a name
 *          and format as an image header records them; the core opens
 *          that file as the backing child unless "backing" is given).
 */
#ifndef BLOCK_TEST_DRIVER_H
#define BLOCK_TEST_DRIVER_H

#include "block/block-common.h"

extern BlockDriver bdrv_test;

typedef struct TestDriverCounters {
    int drain_begin;   /* calls of the driver's drain-begin hook */
    int drain_end;
    int reads;         /* requests that reached the driver */
    int writes;
    int set_perm;      /* bdrv_set_perm calls */
    uint64_t perm;     /* what the core last told the driver it holds */
    uint64_t shared;
} TestDriverCounters;

const TestDriverCounters *test_driver_counters(BlockDriverState *bs);
void test_driver_reset_counters(BlockDriverState *bs);

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

#endif
