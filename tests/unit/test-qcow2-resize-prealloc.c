/*
 * qcow2 growing with preallocation (metadata, falloc, full): every new
 * guest cluster is mapped and reads as zeroes -- also when it reuses a
 * freed cluster inside the file that still holds old data -- clusters
 * already mapped keep their data, the file covers the preallocated
 * clusters, and the image checks clean.  Sizes that are not whole
 * sectors are refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "block/mem.h"
#include "qcow2-common.h"
#include "qcow2-snap-common.h"
#include "test-common.h"

#define IMG "prealloc"

static BlockBackend *open_rw(void)
{
    Error *err = NULL;
    BlockBackend *blk =
        qcow2_test_open(IMG, BDRV_O_RDWR | BDRV_O_RESIZE | BDRV_O_UNMAP, &err);

    check_ok(blk != NULL, &err, "open");
    return blk;
}

static void grow(BlockBackend *blk, int64_t size, PreallocMode mode)
{
    Error *err = NULL;

    check_ok(blk_truncate(blk, size, false, mode, 0, &err) == 0, &err, "grow");
}

/* Every cluster of [offset, offset + bytes) is mapped (allocated here) */
static bool all_mapped(BlockBackend *blk, int64_t offset, int64_t bytes)
{
    while (bytes > 0) {
        int64_t pnum;
        int ret =
            bdrv_block_status(blk_bs(blk), offset, bytes, &pnum, NULL, NULL);

        if (ret < 0 || !(ret & BDRV_BLOCK_OFFSET_VALID)) {
            return false;
        }
        offset += pnum;
        bytes -= pnum;
    }
    return true;
}

static void expect_clean(void)
{
    BdrvCheckResult res = {0};

    assert_int_equal(qcow2_test_check(IMG, 0, 0, &res), 0);
    assert_int_equal(res.corruptions + res.leaks + res.check_errors, 0);
}

static void grow_and_check(PreallocMode mode)
{
    BlockBackend *blk;
    size_t len;

    qcow2_test_create(IMG, MiB, "cluster_size=4096");
    blk = open_rw();
    qsnap_write(blk, 0, 64 * KiB, 1);
    grow(blk, 3 * MiB, mode);
    assert_int_equal(blk_getlength(blk), 3 * MiB);
    assert_true(all_mapped(blk, MiB, 2 * MiB));
    assert_true(qsnap_reads(blk, MiB, 2 * MiB, -1));
    assert_true(qsnap_reads(blk, 0, 64 * KiB, 1));
    blk_unref(blk);
    assert_non_null(mem_image_get(IMG, &len));
    assert_true(len >= 2 * MiB);
    expect_clean();
}

static void test_grow_metadata(void **state)
{
    grow_and_check(PREALLOC_MODE_METADATA);
}

static void test_grow_falloc(void **state)
{
    grow_and_check(PREALLOC_MODE_FALLOC);
}

static void test_grow_full(void **state)
{
    grow_and_check(PREALLOC_MODE_FULL);
}

/*
 * Clusters freed inside the file (a discard) still hold the old bytes:
 * preallocation that takes them zeroes them first
 */
static void test_grow_reuses_freed_clusters_zeroed(void **state)
{
    BlockBackend *blk;

    qcow2_test_create(IMG, MiB, "cluster_size=4096");
    blk = open_rw();
    qsnap_write(blk, 0, 256 * KiB, QSNAP_BYTE(0xab));
    qsnap_write(blk, 256 * KiB, 4 * KiB, 2);
    assert_int_equal(blk_pdiscard(blk, 0, 256 * KiB), 0);
    grow(blk, 2 * MiB, PREALLOC_MODE_METADATA);
    assert_true(all_mapped(blk, MiB, MiB));
    assert_true(qsnap_reads(blk, MiB, MiB, -1));
    assert_true(qsnap_reads(blk, 256 * KiB, 4 * KiB, 2));
    blk_unref(blk);
    expect_clean();
}

/* A disk that ends inside a cluster: the mapped last cluster is kept */
static void test_grow_from_partial_cluster(void **state)
{
    BlockBackend *blk;

    qcow2_test_create(IMG, MiB - 512, "cluster_size=4096");
    blk = open_rw();
    qsnap_write(blk, MiB - 4096, 3584, 3);
    grow(blk, MiB + 64 * KiB, PREALLOC_MODE_METADATA);
    assert_true(qsnap_reads(blk, MiB - 4096, 3584, 3));
    assert_true(qsnap_reads(blk, MiB - 512, 64 * KiB + 512, -1));
    assert_true(all_mapped(blk, MiB - 4096, 68 * KiB));
    blk_unref(blk);
    expect_clean();
}

static void test_size_must_be_whole_sectors(void **state)
{
    BlockBackend *blk;
    Error *err = NULL;

    qcow2_test_create(IMG, MiB, NULL);
    blk = open_rw();
    assert_int_equal(
        blk_truncate(blk, MiB + 100, false, PREALLOC_MODE_OFF, 0, &err),
        -EINVAL);
    assert_err_contains(err, "The new size must be a multiple of 512");
    error_free(err);
    assert_int_equal(blk_getlength(blk), MiB);
    blk_unref(blk);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_grow_metadata),
        T(test_grow_falloc),
        T(test_grow_full),
        T(test_grow_reuses_freed_clusters_zeroed),
        T(test_grow_from_partial_cluster),
        T(test_size_must_be_whole_sectors),
    };

    return test_common_run_group(tests, qsnap_group_setup,
                                 qsnap_group_teardown);
}
