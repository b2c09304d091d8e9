/*
 * qcow2 when the image file fails: every request that opening, one guest
 * operation and closing make is failed in turn (the qcow2-fault filter),
 * and each time the operation ends in -EIO or success, and the image is
 * left without corruption or the corrupt bit -- at most leaked clusters.
 * Operations: allocating writes, refcount block and table growth,
 * copy-on-write from a backing file, compressed writes and reads, zero
 * writes and discards, subcluster (extended L2) writes, flushes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "block/mem.h"
#include "qcow2-common.h"
#include "qcow2-fault.h"
#include "test-common.h"

/*
 * A sweep writes the same pattern once per request of the operation: the
 * last one is kept (generating 200 KiB byte by byte, hundreds of times,
 * was a quarter of the suite's time under TSan)
 */
static int write_seed(BlockBackend *blk, int64_t offset, int64_t bytes,
                      int seed, BdrvRequestFlags flags)
{
    static uint8_t *buf;
    static int64_t buf_bytes;
    static int buf_seed;

    if (!buf || buf_bytes != bytes || buf_seed != seed) {
        g_free(buf);
        buf = g_malloc(bytes);
        qcow2_test_pattern(buf, bytes, seed);
        buf_bytes = bytes;
        buf_seed = seed;
    }
    return blk_pwrite(blk, offset, bytes, buf, flags);
}

/* Setup: a plain open of QFAULT_IMG writing @bytes at @offset */
static void prefill(int64_t offset, int64_t bytes, BdrvRequestFlags flags)
{
    Error *err = NULL;
    BlockBackend *blk = qcow2_test_open(QFAULT_IMG, BDRV_O_RDWR, &err);

    check_ok(blk != NULL, &err, "open for the setup");
    assert_int_equal(write_seed(blk, offset, bytes, 1, flags), 0);
    blk_unref(blk);
}

static void setup_empty(void)
{
    qcow2_test_create(QFAULT_IMG, MiB, "cluster_size=4096");
}

static void setup_data(void)
{
    setup_empty();
    prefill(0, 64 * KiB, 0);
}

static void setup_compressed(void)
{
    setup_empty();
    prefill(0, 16 * KiB, BDRV_REQ_WRITE_COMPRESSED);
}

/* 512-byte clusters with 64-bit refcounts: 64 clusters per refcount block */
static void setup_small_refblocks(void)
{
    qcow2_test_create(QFAULT_IMG, 4 * MiB, "cluster_size=512,refcount_bits=64");
}

/*
 * The same with 1980 KiB written: the refcount table (64 entries of 64
 * clusters) is nearly full, 8 KiB more make it grow
 */
static void setup_full_reftable(void)
{
    static uint8_t *made;
    static size_t made_len;

    /* Made once, copied for each run of the sweep */
    if (!made) {
        const uint8_t *img;

        setup_small_refblocks();
        prefill(0, 1980 * KiB, 0);
        img = mem_image_get(QFAULT_IMG, &made_len);
        made = g_memdup2(img, made_len);
    }
    mem_image_set(QFAULT_IMG, made, made_len, &error_abort);
}

static void setup_backing(void)
{
    Error *err = NULL;
    BlockBackend *blk;

    qcow2_test_create("qfault-base", MiB, "cluster_size=4096");
    blk = qcow2_test_open("qfault-base", BDRV_O_RDWR, &err);
    check_ok(blk != NULL, &err, "open the base");
    assert_int_equal(write_seed(blk, 0, 64 * KiB, 2, 0), 0);
    blk_unref(blk);
    qcow2_test_create(QFAULT_IMG, MiB,
                      "cluster_size=4096,backing_file=mem:qfault-base,"
                      "backing_fmt=qcow2");
}

static void setup_extended_l2(void)
{
    qcow2_test_create(QFAULT_IMG, MiB, "cluster_size=16384,extended_l2=on");
    prefill(0, 32 * KiB, 0);
}

static int op_alloc_write(BlockBackend *blk)
{
    return write_seed(blk, 4096 + 512, 12 * KiB, 3, 0)
               ?: write_seed(blk, 600 * KiB, 4096, 4, 0);
}

/* 200 KiB of 512-byte clusters: new refcount blocks and a larger table */
static int op_refcount_growth(BlockBackend *blk)
{
    return write_seed(blk, 0, 200 * KiB, 5, 0);
}

static int op_reftable_growth(BlockBackend *blk)
{
    return write_seed(blk, 1980 * KiB, 8 * KiB, 14, 0);
}

static int op_overwrite(BlockBackend *blk)
{
    return write_seed(blk, 8 * KiB, 8 * KiB, 6, 0);
}

static int op_cow_from_backing(BlockBackend *blk)
{
    return write_seed(blk, 4096 + 100, 300, 7, 0)
               ?: write_seed(blk, 3 * 4096 - 200, 400, 8, 0);
}

static int op_compressed_write(BlockBackend *blk)
{
    return write_seed(blk, 0, 16 * KiB, 9, BDRV_REQ_WRITE_COMPRESSED);
}

static int op_read(BlockBackend *blk)
{
    g_autofree uint8_t *buf = g_malloc(64 * KiB);

    return blk_pread(blk, 0, 64 * KiB, buf, 0);
}

/* A partial write into a compressed cluster: read, decompress, rewrite */
static int op_write_into_compressed(BlockBackend *blk)
{
    return write_seed(blk, 4096 + 1024, 1024, 10, 0);
}

static int op_zero_and_discard(BlockBackend *blk)
{
    return blk_pwrite_zeroes(blk, 0, 8 * KiB, BDRV_REQ_MAY_UNMAP) ?:
           blk_pwrite_zeroes(blk, 16 * KiB, 8 * KiB, 0) ?:
           blk_pdiscard(blk, 32 * KiB, 16 * KiB);
}

static int op_subcluster_writes(BlockBackend *blk)
{
    return write_seed(blk, 40 * KiB + 512, 1024, 11, 0) ?:
           write_seed(blk, 4 * KiB, 2 * KiB, 12, 0) ?:
           blk_pwrite_zeroes(blk, 8 * KiB, 4 * KiB, 0) ?:
           blk_pdiscard(blk, 16 * KiB, 16 * KiB);
}

static int op_write_flush(BlockBackend *blk)
{
    return write_seed(blk, 0, 4096, 13, 0) ?: blk_flush(blk);
}

#define SWEEP(fn, setup_fn, op_fn)                                             \
    static void fn(void **state)                                               \
    {                                                                          \
        static const QfaultCase c = {#fn, setup_fn, op_fn, 0, false};          \
        assert_true(qfault_sweep(&c) > 1);                                     \
    }

SWEEP(test_fault_alloc_write, setup_empty, op_alloc_write)
SWEEP(test_fault_refcount_growth, setup_small_refblocks, op_refcount_growth)
static void test_fault_reftable_growth(void **state)
{
    static const QfaultCase c = {"test_fault_reftable_growth",
                                 setup_full_reftable, op_reftable_growth, 0,
                                 false};
    Error *err = NULL;
    BlockBackend *blk;
    uint64_t reftable;

    /* Without a fault the operation moves the refcount table */
    setup_full_reftable();
    reftable = qcow2_test_peek64(QFAULT_IMG, 48);
    blk = qcow2_test_open(QFAULT_IMG, BDRV_O_RDWR, &err);
    check_ok(blk != NULL, &err, "open");
    assert_int_equal(op_reftable_growth(blk), 0);
    blk_unref(blk);
    assert_int_not_equal(qcow2_test_peek64(QFAULT_IMG, 48), reftable);
    assert_true(qfault_sweep(&c) > 1);
}
SWEEP(test_fault_overwrite, setup_data, op_overwrite)
SWEEP(test_fault_cow_from_backing, setup_backing, op_cow_from_backing)
SWEEP(test_fault_compressed_write, setup_empty, op_compressed_write)
SWEEP(test_fault_read_compressed, setup_compressed, op_read)
SWEEP(test_fault_read_backing, setup_backing, op_read)
SWEEP(test_fault_write_into_compressed, setup_compressed,
      op_write_into_compressed)
SWEEP(test_fault_zero_and_discard, setup_data, op_zero_and_discard)
SWEEP(test_fault_subcluster_writes, setup_extended_l2, op_subcluster_writes)
SWEEP(test_fault_write_flush, setup_empty, op_write_flush)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_fault_alloc_write),           T(test_fault_refcount_growth),
        T(test_fault_reftable_growth),       T(test_fault_overwrite),
        T(test_fault_cow_from_backing),      T(test_fault_compressed_write),
        T(test_fault_read_compressed),       T(test_fault_read_backing),
        T(test_fault_write_into_compressed), T(test_fault_zero_and_discard),
        T(test_fault_subcluster_writes),     T(test_fault_write_flush),
    };

    return test_common_run_group(tests, test_common_group_setup,
                                 test_common_group_teardown_mem);
}
