/*
 * Zero writes on images with extended L2 entries go by subclusters, as
 * QEMU's do: a zero write covering part of a cluster sets the zero bits of
 * the subclusters it covers (no data cluster is allocated for an
 * unallocated one; an allocated one keeps its other subclusters), and the
 * image maps exactly as the same workload through qemu-io maps.  A
 * compressed cluster has no bitmap: its zero write falls back to data.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "block/block-io.h"
#include "qcow2-common.h"
#include "test-common.h"

#define OPTS "extended_l2=on,cluster_size=64k"

static BlockBackend *open_rw(const char *path)
{
    Error *err = NULL;
    BlockBackend *blk = qcow2_test_open(path, BDRV_O_RDWR, &err);

    check_ok(blk != NULL, &err, "open");
    return blk;
}

static void write_byte(BlockBackend *blk, int64_t offset, int64_t bytes,
                       int byte)
{
    g_autofree uint8_t *buf = g_malloc(bytes);

    memset(buf, byte, bytes);
    assert_int_equal(blk_pwrite(blk, offset, bytes, buf, 0), 0);
}

static void expect_bytes(BlockBackend *blk, int64_t offset, int64_t bytes,
                         int byte)
{
    g_autofree uint8_t *buf = g_malloc(bytes);

    assert_int_equal(blk_pread(blk, offset, bytes, buf, 0), 0);
    for (int64_t i = 0; i < bytes; i++) {
        if (buf[i] != byte) {
            fail_msg("byte %" PRId64 " is %#x, not %#x", offset + i, buf[i],
                     byte);
        }
    }
}

/* Status of the extent at @offset: BDRV_BLOCK_* flags, its length */
static int status_at(BlockBackend *blk, int64_t offset, int64_t *pnum)
{
    int ret = bdrv_block_status(blk_bs(blk), offset, 64 * KiB, pnum, NULL,
                                NULL);

    assert_true(ret >= 0);
    return ret;
}

/* An unallocated cluster: zeroing 2 KiB of it allocates nothing */
static void test_partial_zero_allocates_nothing(void **state)
{
    g_autofree char *path = tmp_path("sc-unalloc.qcow2");
    BlockBackend *blk;
    int64_t pnum;
    int st;

    assert_int_equal(qcow2_test_sh("qemu-img create -q -f qcow2 -o " OPTS
                                   " %s 1M", path), 0);
    blk = open_rw(path);
    assert_int_equal(blk_pwrite_zeroes(blk, 8 * KiB, 4 * KiB, 0), 0);
    st = status_at(blk, 8 * KiB, &pnum);
    assert_true(st & BDRV_BLOCK_ZERO);
    assert_false(st & BDRV_BLOCK_DATA);
    assert_int_equal(pnum, 4 * KiB);
    st = status_at(blk, 12 * KiB, &pnum);
    assert_false(st & (BDRV_BLOCK_DATA | BDRV_BLOCK_ALLOCATED));
    blk_unref(blk);
    /* Header, L1, refcount table and block, one L2 table: no data */
    assert_int_equal(qcow2_test_sh("test $(stat -c %%s %s) -le $((5 * 65536))",
                                   path), 0);
    assert_int_equal(qcow2_test_sh("qemu-img check -q %s", path), 0);
}

/* An allocated cluster: the zeroed subclusters read zero, the rest keep */
static void test_partial_zero_keeps_the_other_subclusters(void **state)
{
    g_autofree char *path = tmp_path("sc-alloc.qcow2");
    BlockBackend *blk;
    int64_t pnum;

    assert_int_equal(qcow2_test_sh("qemu-img create -q -f qcow2 -o " OPTS
                                   " %s 1M", path), 0);
    blk = open_rw(path);
    write_byte(blk, 64 * KiB, 64 * KiB, 1);
    assert_int_equal(blk_pwrite_zeroes(blk, 68 * KiB, 4 * KiB, 0), 0);
    assert_true(status_at(blk, 68 * KiB, &pnum) & BDRV_BLOCK_ZERO);
    assert_int_equal(pnum, 4 * KiB);
    expect_bytes(blk, 64 * KiB, 4 * KiB, 1);
    expect_bytes(blk, 68 * KiB, 4 * KiB, 0);
    expect_bytes(blk, 72 * KiB, 56 * KiB, 1);
    blk_unref(blk);
    assert_int_equal(qcow2_test_sh("qemu-img check -q %s && qemu-io -f qcow2 "
                                   "-c 'read -P 1 64k 4k' -c 'read -P 0 68k "
                                   "4k' -c 'read -P 1 72k 56k' %s >/dev/null",
                                   path, path), 0);
}

/* A compressed cluster: the zero write is written as data */
static void test_partial_zero_of_compressed_cluster(void **state)
{
    g_autofree char *path = tmp_path("sc-compressed.qcow2");
    BlockBackend *blk;

    assert_int_equal(qcow2_test_sh("qemu-img create -q -f qcow2 -o " OPTS
                                   " %s 1M && qemu-io -f qcow2 -c 'write -c "
                                   "-P 7 0 64k' %s >/dev/null", path, path),
                     0);
    blk = open_rw(path);
    assert_int_equal(blk_pwrite_zeroes(blk, 4 * KiB, 2 * KiB, 0), 0);
    expect_bytes(blk, 0, 4 * KiB, 7);
    expect_bytes(blk, 4 * KiB, 2 * KiB, 0);
    expect_bytes(blk, 6 * KiB, 58 * KiB, 7);
    blk_unref(blk);
    assert_int_equal(qcow2_test_sh("qemu-img check -q %s", path), 0);
}

/* The same zero writes through qemu-io map the same */
static void test_map_matches_qemu_io(void **state)
{
    g_autofree char *ours = tmp_path("sc-ours.qcow2");
    g_autofree char *theirs = tmp_path("sc-theirs.qcow2");
    BlockBackend *blk;

    assert_int_equal(qcow2_test_sh("qemu-img create -q -f qcow2 -o " OPTS
                                   " %s 1M && qemu-img create -q -f qcow2 -o "
                                   OPTS " %s 1M && qemu-io -f qcow2 -c "
                                   "'write -z 0 2k' -c 'write -z 8k 4k' -c "
                                   "'write -P 1 64k 64k' -c 'write -z 68k 4k' "
                                   "-c 'write -z 126k 6k' %s >/dev/null",
                                   ours, theirs, theirs), 0);
    blk = open_rw(ours);
    assert_int_equal(blk_pwrite_zeroes(blk, 0, 2 * KiB, 0), 0);
    assert_int_equal(blk_pwrite_zeroes(blk, 8 * KiB, 4 * KiB, 0), 0);
    write_byte(blk, 64 * KiB, 64 * KiB, 1);
    assert_int_equal(blk_pwrite_zeroes(blk, 68 * KiB, 4 * KiB, 0), 0);
    assert_int_equal(blk_pwrite_zeroes(blk, 126 * KiB, 6 * KiB, 0), 0);
    blk_unref(blk);
    assert_int_equal(qcow2_test_sh("qemu-img check -q %s && qemu-img compare "
                                   "-q %s %s && qemu-img map --output=json %s "
                                   ">%s.map && qemu-img map --output=json %s "
                                   ">%s.map && cmp %s.map %s.map", ours, ours,
                                   theirs, ours, ours, theirs, theirs, ours,
                                   theirs), 0);
}

static int sc_zero_setup(void **state)
{
    return qcow2_test_interop_setup(state, "qcow2-subcluster-zero");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_partial_zero_allocates_nothing),
        T(test_partial_zero_keeps_the_other_subclusters),
        T(test_partial_zero_of_compressed_cluster),
        T(test_map_matches_qemu_io),
    };

    return test_common_run_group(tests, sc_zero_setup,
                                 qcow2_test_interop_teardown);
}
