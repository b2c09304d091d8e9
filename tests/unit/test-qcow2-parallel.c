/*
 * qcow2 requests in parallel (deterministic scheduler): data I/O runs
 * without the driver's lock, so reads of allocated clusters go on while a
 * write's data is out; an allocating write holds back later writes to the
 * same guest cluster until its mapping is in, and they land after it.
 * A blkdebug breakpoint on the image file parks the first write's data.
 * The image file grows in steps that grow with it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "util/sched.h"
#include "qcow2-common.h"
#include "test-common.h"

#define CL 65536
#define POLLS 200

typedef struct Req {
    QEMUIOVector qiov;
    uint8_t *buf;
    bool done;
    int ret;
} Req;

static void req_cb(void *opaque, int ret)
{
    Req *r = opaque;

    r->done = true;
    r->ret = ret;
}

static void req_start(Req *r, BlockBackend *blk, bool write, int64_t offset,
                      int seed)
{
    r->buf = g_malloc(CL);
    r->done = false;
    qcow2_test_pattern(r->buf, CL, seed);
    qemu_iovec_init_buf(&r->qiov, r->buf, CL);
    if (write) {
        blk_aio_pwritev(blk, offset, &r->qiov, 0, req_cb, r);
    } else {
        blk_aio_preadv(blk, offset, &r->qiov, 0, req_cb, r);
    }
}

/* Poll at most POLLS times for @r: is it done? */
static bool req_poll(Req *r)
{
    for (int i = 0; i < POLLS && !r->done; i++) {
        aio_poll(qemu_get_aio_context(), false);
    }
    return r->done;
}

static BlockBackend *open_parked(void)
{
    QDict *opts = qdict_new();
    BlockBackend *blk;

    qdict_put_str(opts, "driver", "qcow2");
    blk = blk_new_open("blkdebug::mem:par", NULL, opts,
                       BDRV_O_RDWR | BDRV_O_UNMAP,
                       &error_abort);
    return blk;
}

static void expect_cluster(BlockBackend *blk, int64_t offset, int seed)
{
    g_autofree uint8_t *want = g_malloc(CL), *got = g_malloc(CL);

    qcow2_test_pattern(want, CL, seed);
    assert_int_equal(blk_pread(blk, offset, CL, got, 0), 0);
    assert_memory_equal(got, want, CL);
}

/* Write seed @seed to cluster 0 so that it is allocated */
static BlockBackend *setup_image(void)
{
    g_autofree uint8_t *buf = g_malloc(CL);
    BlockBackend *blk;

    qcow2_test_create("par", 16 * CL, NULL);
    blk = open_parked();
    qcow2_test_pattern(buf, CL, 1);
    assert_int_equal(blk_pwrite(blk, 0, CL, buf, 0), 0);
    return blk;
}

static void test_read_proceeds_during_allocating_write(void **state)
{
    BlockBackend *blk;
    Req w, r;

    sched_set_deterministic(11);
    blk = setup_image();
    assert_int_equal(bdrv_debug_breakpoint(blk_bs(blk), "write_aio", "A"), 0);
    req_start(&w, blk, true, 4 * CL, 2);
    for (int i = 0; i < POLLS && !bdrv_debug_is_suspended(blk_bs(blk), "A");
         i++) {
        aio_poll(qemu_get_aio_context(), false);
    }
    assert_true(bdrv_debug_is_suspended(blk_bs(blk), "A"));
    /* The allocated cluster reads while the write's data is parked */
    req_start(&r, blk, false, 0, 0);
    assert_true(req_poll(&r));
    assert_int_equal(r.ret, 0);
    assert_false(w.done);
    expect_cluster(blk, 0, 1);

    assert_int_equal(bdrv_debug_resume(blk_bs(blk), "A"), 0);
    assert_true(req_poll(&w));
    assert_int_equal(w.ret, 0);
    expect_cluster(blk, 4 * CL, 2);
    g_free(w.buf);
    g_free(r.buf);
    blk_unref(blk);
    sched_set_realtime();
}

static void test_same_cluster_allocations_serialise(void **state)
{
    BlockBackend *blk;
    BlockDriverState *bs;
    BdrvCheckResult res = { 0 };
    Req a, b;

    sched_set_deterministic(12);
    blk = setup_image();
    bs = blk_bs(blk);
    assert_int_equal(bdrv_debug_breakpoint(bs, "write_aio", "A"), 0);
    req_start(&a, blk, true, 5 * CL, 3);
    for (int i = 0; i < POLLS && !bdrv_debug_is_suspended(bs, "A"); i++) {
        aio_poll(qemu_get_aio_context(), false);
    }
    assert_true(bdrv_debug_is_suspended(bs, "A"));
    /* A second write of the same unallocated cluster waits for the first */
    req_start(&b, blk, true, 5 * CL, 4);
    assert_false(req_poll(&b));
    assert_int_equal(bdrv_debug_resume(bs, "A"), 0);
    assert_true(req_poll(&a));
    assert_true(req_poll(&b));
    assert_int_equal(a.ret, 0);
    assert_int_equal(b.ret, 0);
    /* The later write wins, and no cluster leaked or was mapped twice */
    expect_cluster(blk, 5 * CL, 4);
    expect_cluster(blk, 0, 1);
    assert_int_equal(bdrv_check(bs, &res, 0), 0);
    assert_int_equal(res.corruptions + res.leaks, 0);
    g_free(a.buf);
    g_free(b.buf);
    blk_unref(blk);
    sched_set_realtime();
}

/* Park the data write of a whole-cluster allocating write of cluster 5 */
static BlockBackend *park_allocating_write(Req *w)
{
    BlockBackend *blk = setup_image();
    BlockDriverState *bs = blk_bs(blk);

    assert_int_equal(bdrv_debug_breakpoint(bs, "write_aio", "A"), 0);
    req_start(w, blk, true, 5 * CL, 3);
    for (int i = 0; i < POLLS && !bdrv_debug_is_suspended(bs, "A"); i++) {
        aio_poll(qemu_get_aio_context(), false);
    }
    assert_true(bdrv_debug_is_suspended(bs, "A"));
    return blk;
}

/* Resume the parked write, wait for @other too; the image stays clean */
static void finish_parked(BlockBackend *blk, Req *w, Req *other)
{
    BdrvCheckResult res = { 0 };

    assert_int_equal(bdrv_debug_resume(blk_bs(blk), "A"), 0);
    assert_true(req_poll(w));
    assert_true(req_poll(other));
    assert_int_equal(w->ret, 0);
    assert_int_equal(other->ret, 0);
    assert_int_equal(bdrv_check(blk_bs(blk), &res, 0), 0);
    assert_int_equal(res.corruptions + res.leaks, 0);
}

/*
 * A compressed write of a guest cluster being allocated waits until the
 * allocating write has set its mapping, and lands after it: without the
 * wait it would set its entry first and the allocating write would drop it
 */
static void test_compressed_write_waits_for_allocation(void **state)
{
    g_autofree uint8_t *got = g_malloc(CL);
    BlockBackend *blk;
    Req w, c;

    sched_set_deterministic(13);
    blk = park_allocating_write(&w);
    c.buf = g_malloc(CL);
    c.done = false;
    memset(c.buf, 0x44, CL);            /* compresses well */
    qemu_iovec_init_buf(&c.qiov, c.buf, CL);
    blk_aio_pwritev(blk, 5 * CL, &c.qiov, BDRV_REQ_WRITE_COMPRESSED, req_cb,
                    &c);
    assert_false(req_poll(&c));
    finish_parked(blk, &w, &c);
    assert_int_equal(blk_pread(blk, 5 * CL, CL, got, 0), 0);
    assert_memory_equal(got, c.buf, CL);
    g_free(w.buf);
    g_free(c.buf);
    blk_unref(blk);
    sched_set_realtime();
}

/* A zero write of a guest cluster being allocated waits for it too */
static void test_zero_write_waits_for_allocation(void **state)
{
    g_autofree uint8_t *got = g_malloc(CL);
    g_autofree uint8_t *zero = g_malloc0(CL);
    BlockBackend *blk;
    Req w, z = { .done = false };

    sched_set_deterministic(14);
    blk = park_allocating_write(&w);
    blk_aio_pwrite_zeroes(blk, 5 * CL, CL, BDRV_REQ_MAY_UNMAP, req_cb, &z);
    assert_false(req_poll(&z));
    finish_parked(blk, &w, &z);
    assert_int_equal(blk_pread(blk, 5 * CL, CL, got, 0), 0);
    assert_memory_equal(got, zero, CL);
    g_free(w.buf);
    blk_unref(blk);
    sched_set_realtime();
}

/*
 * A discard of a cluster with a read out on it frees the host cluster only
 * when the read is in: else a write could take the cluster over and the
 * read return that write's data
 */
static void test_free_waits_for_data_read(void **state)
{
    BlockBackend *blk;
    BlockDriverState *bs;
    Req r, d = { .done = false }, w;
    g_autofree uint8_t *want = g_malloc(CL);

    sched_set_deterministic(15);
    blk = setup_image();
    bs = blk_bs(blk);
    assert_int_equal(bdrv_debug_breakpoint(bs, "read_aio", "A"), 0);
    req_start(&r, blk, false, 0, 0);
    for (int i = 0; i < POLLS && !bdrv_debug_is_suspended(bs, "A"); i++) {
        aio_poll(qemu_get_aio_context(), false);
    }
    assert_true(bdrv_debug_is_suspended(bs, "A"));
    blk_aio_pdiscard(blk, 0, CL, req_cb, &d);
    assert_false(req_poll(&d));
    /* A new allocation meanwhile cannot take the read's cluster */
    req_start(&w, blk, true, 7 * CL, 5);
    assert_true(req_poll(&w));
    assert_int_equal(w.ret, 0);
    finish_parked(blk, &r, &d);
    qcow2_test_pattern(want, CL, 1);
    assert_memory_equal(r.buf, want, CL);
    expect_cluster(blk, 7 * CL, 5);
    g_free(r.buf);
    g_free(w.buf);
    blk_unref(blk);
    sched_set_realtime();
}

/*
 * A sequential fill grows the file in steps that grow with it (a truncate
 * waits for all direct I/O in flight): 64 MiB of data take about 20
 * steps, not 64, and the file overshoots the data by at most a quarter
 */
static void test_file_grows_in_growing_steps(void **state)
{
    g_autofree uint8_t *buf = g_malloc0(1024 * 1024);
    BlockBackend *blk;
    BlockDriverState *file;
    int64_t len = 0, data = 64 * 1024 * 1024;
    int steps = 0;

    qcow2_test_create("grow", data, NULL);
    blk = qcow2_test_open("grow", BDRV_O_RDWR, &error_abort);
    file = blk_bs(blk)->file->bs;
    for (int64_t off = 0; off < data; off += 1024 * 1024) {
        memset(buf, (int)(off >> 20) + 1, 1024 * 1024);
        assert_int_equal(blk_pwrite(blk, off, 1024 * 1024, buf, 0), 0);
        if (bdrv_getlength(file) != len) {
            len = bdrv_getlength(file);
            steps++;
        }
    }
    assert_true(steps <= 24);
    assert_true(len >= data && len <= data + data / 4);
    blk_unref(blk);
}

static int group_setup(void **state)
{
    test_common_init(TEST_COMMON_NO_BACKEND);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_read_proceeds_during_allocating_write),
        T(test_same_cluster_allocations_serialise),
        T(test_file_grows_in_growing_steps),
        T(test_compressed_write_waits_for_allocation),
        T(test_zero_write_waits_for_allocation),
        T(test_free_waits_for_data_read),
    };

    return test_common_run_group(tests, group_setup,
                                 test_common_group_teardown_mem);
}
