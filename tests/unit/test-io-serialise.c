/*
 * QEMU's ordering rules on the I/O path: which overlapping requests wait
 * for each other (only serialising ones, widened to the cluster size),
 * how a discard is cut into fragments for the driver (unaligned head and
 * tail passed down), flushes one at a time per node, and FUA emulated by
 * a single flush at the end of a request.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "block/test-driver.h"
#include "io-helpers.h"

static int serialise_group_setup(void **state)
{
    return tio_group_setup(state);
}

static int serialise_teardown(void **state)
{
    rec_config = (RecConfig){ .size = 64 * 1024, .align = 1 };
    return test_common_teardown(state);
}

#define TS(fn) cmocka_unit_test_setup_teardown(fn, test_common_setup,        \
                                               serialise_teardown)

/* ---- requests from coroutines ---- */

typedef struct CoWrite {
    BdrvChild *child;
    int64_t offset, bytes;
    BdrvRequestFlags flags;
    int ret;
    bool done;
} CoWrite;

static void coroutine_fn co_write_entry(void *opaque)
{
    CoWrite *w = opaque;
    g_autofree uint8_t *buf = g_malloc0(w->bytes);

    w->ret = bdrv_co_pwrite(w->child, w->offset, w->bytes, buf, w->flags);
    w->done = true;
}

static void co_write_start(CoWrite *w)
{
    qemu_coroutine_enter(qemu_coroutine_create(co_write_entry, w));
}

/* ---- overlapping writes wait only on serialising requests ---- */

static void test_overlapping_plain_writes_do_not_wait(void **state)
{
    TestIo t = tio_open("driver=test,size=1M", BDRV_O_RDWR);
    CoWrite a = { t.child, 0, 4096 }, b = { t.child, 2048, 4096 };

    test_driver_set_parking(t.bs, true);
    co_write_start(&a);
    co_write_start(&b);
    tio_poll_some();
    /* Both reached the driver: neither serialises */
    expect_int(test_driver_parked_count(t.bs), 2);
    test_driver_set_parking(t.bs, false);
    test_driver_release(t.bs, 2);
    TIO_POLL_UNTIL(a.done && b.done);
    /* Later release of one that waited in the core */
    test_driver_release(t.bs, 2);
    TIO_POLL_UNTIL(a.done && b.done);
    expect_int(a.ret, 0);
    expect_int(b.ret, 0);
    tio_close(&t);
    end_test();
}

/* A serialising request still waits for an older overlapping one */
static void test_serialising_write_waits_for_older_overlap(void **state)
{
    TestIo t = tio_open("driver=test,size=1M", BDRV_O_RDWR);
    CoWrite a = { t.child, 0, 4096 };
    CoWrite b = { t.child, 2048, 4096, BDRV_REQ_SERIALISING };

    test_driver_set_parking(t.bs, true);
    co_write_start(&a);
    co_write_start(&b);
    tio_poll_some();
    assert_int_equal(test_driver_parked_count(t.bs), 1);
    test_driver_release(t.bs, 1);
    TIO_POLL_UNTIL(a.done);
    TIO_POLL_UNTIL(test_driver_parked_count(t.bs) == 1);
    assert_false(b.done);
    test_driver_set_parking(t.bs, false);
    test_driver_release(t.bs, 1);
    TIO_POLL_UNTIL(b.done);
    assert_int_equal(a.ret, 0);
    assert_int_equal(b.ret, 0);
    tio_close(&t);
}

/* ---- a filter with a cluster size, over a parking test node ---- */

static int clus_open(BlockDriverState *bs, QDict *options, int flags,
                     Error **errp)
{
    return bdrv_open_file_child(NULL, options, "file", bs, errp);
}

static int coroutine_fn clus_co_preadv(BlockDriverState *bs, int64_t offset,
                                       int64_t bytes, QEMUIOVector *qiov,
                                       BdrvRequestFlags flags)
{
    return bdrv_co_preadv(bs->file, offset, bytes, qiov, 0);
}

static int coroutine_fn clus_co_pwritev(BlockDriverState *bs, int64_t offset,
                                        int64_t bytes, QEMUIOVector *qiov,
                                        BdrvRequestFlags flags)
{
    return bdrv_co_pwritev(bs->file, offset, bytes, qiov, 0);
}

static int64_t coroutine_fn clus_co_getlength(BlockDriverState *bs)
{
    return bdrv_co_getlength(bs->file->bs);
}

static int coroutine_fn clus_get_info(BlockDriverState *bs, BlockDriverInfo *bdi)
{
    bdi->cluster_size = 64 * 1024;
    return 0;
}

static BlockDriver bdrv_clus = {
    .format_name = "clus",
    .is_filter = true,
    .bdrv_open = clus_open,
    .bdrv_co_preadv = clus_co_preadv,
    .bdrv_co_pwritev = clus_co_pwritev,
    .bdrv_co_getlength = clus_co_getlength,
    .bdrv_co_get_info = clus_get_info,
    .bdrv_child_perm = bdrv_filter_default_perms,
};

/* BDRV_REQ_SERIALISING covers whole clusters, not only its own bytes */
static void test_serialising_write_widened_to_cluster_size(void **state)
{
    TestIo t;
    BlockDriverState *below;
    CoWrite a, b;

    bdrv_register(&bdrv_clus);
    t = tio_open("driver=clus,file.driver=test,file.size=1M", BDRV_O_RDWR);
    below = t.bs->file->bs;
    a = (CoWrite){ t.child, 8192, 512 };
    b = (CoWrite){ t.child, 0, 512, BDRV_REQ_SERIALISING };

    test_driver_set_parking(below, true);
    co_write_start(&a);
    tio_poll_some();
    assert_int_equal(test_driver_parked_count(below), 1);
    co_write_start(&b);
    tio_poll_some();
    /* [0, 512) widened to [0, 64K) overlaps [8192, 8704): b waits */
    expect_int(test_driver_parked_count(below), 1);
    test_driver_set_parking(below, false);
    test_driver_release(below, 2);
    TIO_POLL_UNTIL(a.done);
    test_driver_release(below, 2);
    TIO_POLL_UNTIL(b.done);
    expect_int(a.ret, 0);
    expect_int(b.ret, 0);
    tio_close(&t);
    end_test();
}

/* ---- discard fragments ---- */

static void expect_calls(RecState *s, const RecCall *want, int n)
{
    expect_int(s->ncalls, n);
    for (int i = 0; i < MIN(n, s->ncalls); i++) {
        expect_int(s->calls[i].op, want[i].op);
        expect_int(s->calls[i].offset, want[i].offset);
        expect_int(s->calls[i].bytes, want[i].bytes);
    }
}

/* qemu-io -t none -c 'discard 100 69900' on a file (request alignment
 * 512) punches [100, 512), [512, 69632), [69632, 70000) */
static void test_discard_passes_unaligned_head_and_tail(void **state)
{
    TestIo t;
    RecState *s;
    static const RecCall want[] = {
        { 'd', 100, 412 }, { 'd', 512, 69120 }, { 'd', 69632, 368 },
    };

    rec_config = (RecConfig){ .size = 1024 * 1024, .align = 512 };
    t = tio_open("driver=rec", BDRV_O_RDWR | BDRV_O_UNMAP);
    s = t.bs->opaque;
    assert_int_equal(bdrv_pdiscard(t.child, 100, 69900), 0);
    expect_calls(s, want, ARRAY_SIZE(want));
    tio_close(&t);
    end_test();
}

/* A larger discard alignment: fragments up to it, each piece as large
 * as the request alignment allows */
static void test_discard_fragments_to_discard_alignment(void **state)
{
    TestIo t;
    RecState *s;
    static const RecCall want[] = {
        { 'd', 100, 412 },   { 'd', 512, 65024 },  { 'd', 65536, 131072 },
        { 'd', 196608, 3072 }, { 'd', 199680, 320 },
    };

    rec_config = (RecConfig){ .size = 1024 * 1024, .align = 512 };
    t = tio_open("driver=rec", BDRV_O_RDWR | BDRV_O_UNMAP);
    s = t.bs->opaque;
    t.bs->bl.pdiscard_alignment = 64 * 1024;
    assert_int_equal(bdrv_pdiscard(t.child, 100, 200000 - 100), 0);
    expect_calls(s, want, ARRAY_SIZE(want));

    /* A fragment inside one discard block */
    rec_reset(s);
    s->ncalls = 0;
    assert_int_equal(bdrv_pdiscard(t.child, 1000, 2000), 0);
    expect_calls(s, (const RecCall[]){ { 'd', 1000, 24 }, { 'd', 1024, 1536 },
                                       { 'd', 2560, 440 } }, 3);
    tio_close(&t);
    end_test();
}

/* max_pdiscard still cuts the aligned middle */
static void test_discard_fragments_respect_max_discard(void **state)
{
    TestIo t;
    RecState *s;
    static const RecCall want[] = {
        { 'd', 0, 65536 }, { 'd', 65536, 65536 }, { 'd', 131072, 4096 },
        { 'd', 135168, 100 },
    };

    rec_config = (RecConfig){ .size = 1024 * 1024, .align = 4096 };
    t = tio_open("driver=rec", BDRV_O_RDWR | BDRV_O_UNMAP);
    s = t.bs->opaque;
    t.bs->bl.max_pdiscard = 64 * 1024;
    assert_int_equal(bdrv_pdiscard(t.child, 0, 135268), 0);
    expect_calls(s, want, ARRAY_SIZE(want));
    tio_close(&t);
    end_test();
}

/* ---- flushes one at a time ---- */

typedef struct PflushState {
    int flushes;         /* flush_to_disk calls */
    int active, max_active;
    bool park;
    Coroutine *parked;
} PflushState;

static PflushState pflush;

static int coroutine_fn pflush_co_rw(BlockDriverState *bs, int64_t offset,
                                     int64_t bytes, QEMUIOVector *qiov,
                                     BdrvRequestFlags flags)
{
    return 0;
}

static int coroutine_fn pflush_co_flush(BlockDriverState *bs)
{
    pflush.flushes++;
    pflush.active++;
    pflush.max_active = MAX(pflush.max_active, pflush.active);
    if (pflush.park) {
        pflush.parked = qemu_coroutine_self();
        qemu_coroutine_yield();
    }
    pflush.active--;
    return 0;
}

static int64_t coroutine_fn pflush_co_getlength(BlockDriverState *bs)
{
    return 1024 * 1024;
}

static BlockDriver bdrv_pflush = {
    .format_name = "pflush",
    .protocol_name = "pflush",
    .bdrv_co_preadv = pflush_co_rw,
    .bdrv_co_pwritev = pflush_co_rw,
    .bdrv_co_flush_to_disk = pflush_co_flush,
    .bdrv_co_getlength = pflush_co_getlength,
};

typedef struct CoFlush {
    BlockDriverState *bs;
    int ret;
    bool done;
    int order;
} CoFlush;

static int flush_done_count;

static void coroutine_fn co_flush_entry(void *opaque)
{
    CoFlush *f = opaque;

    f->ret = bdrv_co_flush(f->bs);
    f->order = ++flush_done_count;
    f->done = true;
}

static void co_flush_start(CoFlush *f)
{
    qemu_coroutine_enter(qemu_coroutine_create(co_flush_entry, f));
}

/* Let the parked flush finish (it resumes from the event loop) */
static void pflush_release(void)
{
    Coroutine *co = pflush.parked;

    assert_non_null(co);
    pflush.parked = NULL;
    aio_co_schedule(qemu_get_aio_context(), co);
}

static void test_flush_waits_for_running_flush(void **state)
{
    TestIo t;
    CoFlush f1 = { 0 }, f2 = { 0 }, f3 = { 0 };

    bdrv_register(&bdrv_pflush);
    pflush = (PflushState){ .park = true };
    flush_done_count = 0;
    t = tio_open("driver=pflush", BDRV_O_RDWR);
    f1.bs = f2.bs = f3.bs = t.bs;

    assert_int_equal(bdrv_pwrite(t.child, 0, 512, (uint8_t[512]){ 0 }, 0), 0);
    co_flush_start(&f1);
    assert_int_equal(pflush.flushes, 1);
    /* New data, then two more flushes while the first one runs */
    assert_int_equal(bdrv_pwrite(t.child, 0, 512, (uint8_t[512]){ 0 }, 0), 0);
    co_flush_start(&f2);
    co_flush_start(&f3);
    tio_poll_some();
    expect_int(pflush.max_active, 1);
    expect_int(pflush.flushes, 1);

    /* f2 runs after f1, for the newer data; f3 then finds it flushed */
    pflush_release();
    TIO_POLL_UNTIL(f1.done);
    TIO_POLL_UNTIL(pflush.parked || f2.done);
    expect_int(pflush.flushes, 2);
    pflush.park = false;
    if (pflush.parked) {
        pflush_release();
    }
    TIO_POLL_UNTIL(f2.done && f3.done);
    expect_int(pflush.flushes, 2);
    expect_int(pflush.max_active, 1);
    expect_int(f1.order, 1);
    expect_int(f2.order, 2);
    expect_int(f3.order, 3);
    expect_int(f1.ret | f2.ret | f3.ret, 0);
    tio_close(&t);
    end_test();
}

/* ---- FUA: emulated by one flush at the end of the request ---- */

static void test_fua_emulated_zero_write_flushes_once(void **state)
{
    TestIo t;
    RecState *s;

    /* No FUA support, no zeroing callback: zeroes written in chunks */
    rec_config = (RecConfig){ .size = 1024 * 1024, .align = 512,
                              .max_transfer = 4096 };
    t = tio_open("driver=rec", BDRV_O_RDWR);
    s = t.bs->opaque;
    assert_int_equal(bdrv_pwrite_zeroes(t.child, 0, 16384, BDRV_REQ_FUA), 0);
    expect_int(s->nwrites, 4);
    /* flush_to_os counts every flush the core made */
    expect_int(s->nflush_os, 1);
    expect_int(s->nflush_disk, 1);

    /* Unaligned: head and tail by read-modify-write, middle zeroed */
    rec_reset(s);
    assert_int_equal(bdrv_pwrite_zeroes(t.child, 100, 16384, BDRV_REQ_FUA),
                     0);
    expect_int(s->nflush_os, 1);
    expect_int(s->nflush_disk, 1);

    /* A padded data write split at max_transfer */
    rec_reset(s);
    assert_int_equal(bdrv_pwrite(t.child, 100, 16384,
                                 (uint8_t[16384]){ 0 }, BDRV_REQ_FUA), 0);
    expect_int(s->nflush_os, 1);
    expect_int(s->nflush_disk, 1);
    tio_close(&t);
    end_test();
}

/* Native FUA is not emulated: every chunk carries it, nothing flushes */
static void test_native_fua_on_every_chunk(void **state)
{
    TestIo t;
    RecState *s;

    rec_config = (RecConfig){ .size = 1024 * 1024, .align = 512,
                              .max_transfer = 4096,
                              .write_flags = BDRV_REQ_FUA };
    t = tio_open("driver=rec", BDRV_O_RDWR);
    s = t.bs->opaque;
    assert_int_equal(bdrv_pwrite(t.child, 0, 16384, (uint8_t[16384]){ 0 },
                                 BDRV_REQ_FUA), 0);
    expect_int(s->nwrites, 4);
    for (int i = 0; i < s->ncalls; i++) {
        expect_true(s->calls[i].flags & BDRV_REQ_FUA);
    }
    expect_int(s->nflush_os + s->nflush_disk, 0);
    tio_close(&t);
    end_test();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TS(test_overlapping_plain_writes_do_not_wait),
        TS(test_serialising_write_waits_for_older_overlap),
        TS(test_serialising_write_widened_to_cluster_size),
        TS(test_discard_passes_unaligned_head_and_tail),
        TS(test_discard_fragments_to_discard_alignment),
        TS(test_discard_fragments_respect_max_discard),
        TS(test_flush_waits_for_running_flush),
        TS(test_fua_emulated_zero_write_flushes_once),
        TS(test_native_fua_on_every_chunk),
    };

    return test_common_run_group(tests, serialise_group_setup, NULL);
}
