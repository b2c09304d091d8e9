/*
 * Unit tests for block status (block/core/io-status.c), the synchronous
 * wrappers from inside coroutines, and the I/O API on a node that lives in
 * an IOThread (REFERENCE.md #26).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "block/test-driver.h"
#include "util/iothread.h"
#include "util/sched.h"
#include "io-helpers.h"


/* ---- a driver without a block-status callback ---- */

static void test_status_no_callback(void **state)
{
    TestIo t = tio_open("driver=rec", BDRV_O_RDWR);   /* 64 KiB */
    BlockDriverState *file = NULL;
    int64_t pnum = -1, map = -1;
    int ret;

    /* A protocol holds its data itself, at the same offset */
    ret = bdrv_block_status(t.bs, 4096, 8192, &pnum, &map, &file);
    assert_int_equal(ret, BDRV_BLOCK_DATA | BDRV_BLOCK_ALLOCATED |
                          BDRV_BLOCK_OFFSET_VALID);
    assert_int_equal(pnum, 8192);
    assert_int_equal(map, 4096);
    assert_ptr_equal(file, t.bs);

    /* Clamped at EOF, which is reported */
    ret = bdrv_block_status(t.bs, 60 * KiB, 64 * KiB, &pnum, &map, &file);
    assert_true(ret & BDRV_BLOCK_EOF);
    assert_true(ret & BDRV_BLOCK_DATA);
    assert_int_equal(pnum, 4 * KiB);

    /* At or past EOF: EOF only, nothing mapped */
    ret = bdrv_block_status(t.bs, 64 * KiB, 512, &pnum, &map, &file);
    assert_int_equal(ret, BDRV_BLOCK_EOF);
    assert_int_equal(pnum, 0);
    assert_null(file);
    ret = bdrv_block_status(t.bs, 1024 * KiB, 512, &pnum, NULL, NULL);
    assert_int_equal(ret, BDRV_BLOCK_EOF);

    /* Zero bytes: no status */
    pnum = -1;
    assert_int_equal(bdrv_block_status(t.bs, 0, 0, &pnum, NULL, NULL), 0);
    assert_int_equal(pnum, 0);

    /* is_allocated: 1 with no callback, 0 for zero bytes and past EOF */
    assert_int_equal(bdrv_is_allocated(t.bs, 0, 4096, &pnum), 1);
    assert_int_equal(pnum, 4096);
    assert_int_equal(bdrv_is_allocated(t.bs, 0, 0, &pnum), 0);
    assert_int_equal(pnum, 0);
    pnum = -1;
    assert_int_equal(bdrv_is_allocated(t.bs, 64 * KiB, 4096, &pnum), 0);
    assert_int_equal(pnum, 0);
    assert_int_equal(bdrv_is_allocated(t.bs, 0, 4096, NULL), 1);
    tio_close(&t);

    /* Not a protocol: data, but no mapping */
    t = tio_open("driver=recnotrunc", BDRV_O_RDWR);
    file = t.bs;
    ret = bdrv_block_status(t.bs, 0, 512, &pnum, &map, &file);
    assert_int_equal(ret, BDRV_BLOCK_DATA | BDRV_BLOCK_ALLOCATED);
    assert_null(file);
    tio_close(&t);
}

/* A filter without a callback and a format returning RAW: the child answers */
static void test_status_through_filters(void **state)
{
    TestIo t = tio_open("driver=recfilter,file.driver=rec", BDRV_O_RDWR);
    BlockDriverState *file = NULL;
    int64_t pnum, map;
    int ret;

    ret = bdrv_block_status(t.bs, 512, 1024, &pnum, &map, &file);
    assert_int_equal(ret, BDRV_BLOCK_DATA | BDRV_BLOCK_ALLOCATED |
                          BDRV_BLOCK_OFFSET_VALID);
    assert_ptr_equal(file, bdrv_filter_bs(t.bs));
    assert_int_equal(map, 512);
    assert_int_equal(pnum, 1024);
    assert_int_equal(bdrv_is_allocated(t.bs, 0, 512, &pnum), 1);
    tio_close(&t);

    t = tio_open("driver=test,size=64K,file.driver=null-co,file.size=64K,"
                 "file.read-zeroes=on", BDRV_O_RDWR);
    ret = bdrv_block_status(t.bs, 4096, 4096, &pnum, &map, &file);
    assert_true(ret & BDRV_BLOCK_ZERO);
    assert_true(ret & BDRV_BLOCK_OFFSET_VALID);
    assert_true(ret & BDRV_BLOCK_ALLOCATED);
    assert_false(ret & BDRV_BLOCK_RAW);
    assert_ptr_equal(file, t.bs->file->bs);
    assert_int_equal(map, 4096);
    tio_close(&t);
}

/* ---- backing chains ---- */

static void test_status_backing_chain(void **state)
{
    TestIo b = tio_open("driver=test,size=512K,node-name=base0", BDRV_O_RDWR);
    BlockDriverState *base = b.bs;
    uint8_t buf[64 * 1024];
    BlockDriverState *file;
    TestIo t;
    int64_t pnum, map;
    int ret;

    /* Fill the base while it is writable, then put it under a top */
    memset(buf, 1, sizeof(buf));
    assert_int_equal(bdrv_pwrite(b.child, 128 * KiB, sizeof(buf), buf, 0), 0);
    bdrv_ref(base);
    tio_close(&b);
    t = tio_open("driver=test,size=1M,backing=base0", BDRV_O_RDWR);
    bdrv_unref(base);
    assert_ptr_equal(bdrv_cow_bs(t.bs), base);
    assert_int_equal(bdrv_pwrite(t.child, 0, sizeof(buf), buf, 0), 0);

    /* Allocated in the top layer */
    assert_int_equal(bdrv_is_allocated(t.bs, 0, 1024 * KiB, &pnum), 1);
    assert_int_equal(pnum, 64 * KiB);
    /* Not in the top layer, whatever the base holds */
    assert_int_equal(bdrv_is_allocated(t.bs, 64 * KiB, 256 * KiB, &pnum), 0);
    assert_true(pnum > 0);

    /* Depth of the layer that allocates: 1 is the top */
    assert_int_equal(bdrv_is_allocated_above(t.bs, NULL, false, 0, 4096,
                                             &pnum), 1);
    assert_int_equal(bdrv_is_allocated_above(t.bs, NULL, false, 128 * KiB,
                                             4096, &pnum), 2);
    assert_int_equal(bdrv_is_allocated_above(t.bs, NULL, false, 256 * KiB,
                                             4096, &pnum), 0);
    /* The base excluded unless include_base */
    assert_int_equal(bdrv_is_allocated_above(t.bs, base, false, 128 * KiB,
                                             4096, &pnum), 0);
    assert_int_equal(bdrv_is_allocated_above(t.bs, base, true, 128 * KiB,
                                             4096, &pnum), 2);

    /* bdrv_block_status looks at the top layer only */
    ret = bdrv_block_status(t.bs, 128 * KiB, 4096, &pnum, &map, &file);
    assert_false(ret & BDRV_BLOCK_ALLOCATED);
    /* ...block_status_above through the chain */
    ret = bdrv_block_status_above(t.bs, NULL, 128 * KiB, 4096, &pnum, &map,
                                  &file);
    assert_true(ret & BDRV_BLOCK_DATA);
    assert_true(ret & BDRV_BLOCK_ALLOCATED);
    /* Past the end of the shorter base: zeroes, allocated there */
    ret = bdrv_block_status_above(t.bs, NULL, 600 * KiB, 4096, &pnum, &map,
                                  &file);
    assert_int_equal(ret & (BDRV_BLOCK_ZERO | BDRV_BLOCK_ALLOCATED),
                     BDRV_BLOCK_ZERO | BDRV_BLOCK_ALLOCATED);
    assert_ptr_equal(file, base);
    assert_int_equal(pnum, 4096);
    /* The top layer's own answer there: zero (the base is too short) */
    ret = bdrv_block_status(t.bs, 600 * KiB, 4096, &pnum, NULL, NULL);
    assert_true(ret & BDRV_BLOCK_ZERO);

    /* base == bs and not included: nothing to say */
    pnum = 0;
    assert_int_equal(bdrv_block_status_above(t.bs, t.bs, 0, 4096, &pnum,
                                             NULL, NULL), 0);
    assert_int_equal(pnum, 4096);

    tio_close(&t);
}

static void test_status_no_backing(void **state)
{
    TestIo t = tio_open("driver=test,size=1M", BDRV_O_RDWR);
    int64_t pnum;
    int ret;

    /* Unallocated without a backing file reads as zeroes (QEMU: still
     * not allocated in this layer) */
    ret = bdrv_block_status(t.bs, 0, 4096, &pnum, NULL, NULL);
    assert_int_equal(ret & (BDRV_BLOCK_ZERO | BDRV_BLOCK_ALLOCATED),
                     BDRV_BLOCK_ZERO);
    assert_int_equal(bdrv_is_allocated(t.bs, 0, 4096, &pnum), 0);
    tio_close(&t);
}

/* ---- wrappers called from a coroutine ---- */

typedef struct CoCall {
    TestIo *t;
    int read_ret;
    int status_ret;
    int64_t len;
    bool done;
} CoCall;

static void coroutine_fn co_call_entry(void *opaque)
{
    CoCall *c = opaque;
    uint8_t buf[512];
    int64_t pnum;

    /* The synchronous API works inside a coroutine too (direct call) */
    c->read_ret = bdrv_pread(c->t->child, 0, sizeof(buf), buf, 0);
    c->status_ret = bdrv_block_status(c->t->bs, 0, 512, &pnum, NULL, NULL);
    c->len = bdrv_getlength(c->t->bs);
    c->done = true;
}

static void test_sync_in_coroutine(void **state)
{
    TestIo t = tio_open("driver=rec", BDRV_O_RDWR);
    CoCall c = { .t = &t };

    qemu_coroutine_enter(qemu_coroutine_create(co_call_entry, &c));
    TIO_POLL_UNTIL(c.done);
    assert_int_equal(c.read_ret, 0);
    assert_true(c.status_ret & BDRV_BLOCK_DATA);
    assert_int_equal(c.len, 64 * KiB);
    tio_close(&t);
}

/* ---- REFERENCE.md #26: a node in an IOThread ---- */

static void iothread_wrappers(void)
{
    IOThread *iot = iothread_create("io-test", &error_abort);
    AioContext *ctx = iothread_get_aio_context(iot);
    TestIo t = tio_open_perm("driver=rec", BDRV_O_RDWR | BDRV_O_UNMAP,
                             BLK_PERM_WRITE | BLK_PERM_RESIZE);
    Error *err = NULL;
    uint8_t buf[4096];
    int64_t pnum;

    assert_int_equal(blk_set_aio_context(t.blk, ctx, &error_abort), 0);
    assert_ptr_equal(bdrv_get_aio_context(t.bs), ctx);

    memset(buf, 0x3c, sizeof(buf));
    assert_int_equal(bdrv_pwrite(t.child, 100, sizeof(buf), buf, 0), 0);
    memset(buf, 0, sizeof(buf));
    assert_int_equal(bdrv_pread(t.child, 100, sizeof(buf), buf, 0), 0);
    assert_int_equal(buf[4095], 0x3c);
    assert_int_equal(bdrv_flush(t.bs), 0);

    assert_int_equal(bdrv_pdiscard(t.child, -1, 512), -EIO);
    assert_int_equal(bdrv_truncate(t.child, -1, false, PREALLOC_MODE_OFF, 0,
                                   &err), -EINVAL);
    error_free_or_abort(&err);
    assert_int_equal(bdrv_is_allocated(t.bs, 0, 4096, &pnum), 1);
    assert_int_equal(pnum, 4096);
    assert_int_equal(bdrv_is_allocated(t.bs, 0, 0, &pnum), 0);
    assert_int_equal(bdrv_is_allocated(t.bs, 64 * KiB, 512, &pnum), 0);
    assert_int_equal(pnum, 0);
    assert_int_equal(bdrv_truncate(t.child, 128 * KiB, false,
                                   PREALLOC_MODE_OFF, 0, &error_abort), 0);
    assert_int_equal(bdrv_getlength(t.bs), 128 * KiB);

    assert_int_equal(blk_set_aio_context(t.blk, qemu_get_aio_context(),
                                         &error_abort), 0);
    tio_close(&t);

    /* Truncating a read-only node in an IOThread */
    t = tio_open("driver=rec", 0);
    assert_int_equal(blk_set_aio_context(t.blk, ctx, &error_abort), 0);
    assert_int_equal(bdrv_truncate(t.child, 4096, false, PREALLOC_MODE_OFF, 0,
                                   &err), -EACCES);
    error_free_or_abort(&err);
    assert_int_equal(blk_set_aio_context(t.blk, qemu_get_aio_context(),
                                         &error_abort), 0);
    tio_close(&t);
    iothread_destroy(iot);
}

/* Virtual IOThread: polled from the main thread by the scheduler */
static void test_iothread_wrappers_deterministic(void **state)
{
    for (uint64_t seed = 1; seed <= 3; seed++) {
        sched_set_deterministic(seed);
        iothread_wrappers();
        sched_set_realtime();
    }
}

/* A real IOThread (pthread) */
static void test_iothread_wrappers_realtime(void **state)
{
    iothread_wrappers();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TIO(test_status_no_callback),
        TIO(test_status_through_filters),
        TIO(test_status_backing_chain),
        TIO(test_status_no_backing),
        TIO(test_sync_in_coroutine),
        TIO(test_iothread_wrappers_deterministic),
        TIO(test_iothread_wrappers_realtime),
    };

    return test_common_run_group(tests, tio_group_setup, NULL);
}
