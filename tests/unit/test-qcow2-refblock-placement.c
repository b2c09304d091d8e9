/*
 * qcow2 allocations of runs longer than one refcount block's range (an L1
 * table on small clusters, a snapshot's L1 copy, preallocated data runs):
 * the refcount blocks the run lacks must not be placed inside it, or no
 * run ever fits and the file grows without end.  Each case grows an image
 * as qemu-img does it and compares: the file stays as small as qemu-img's
 * (the group caps the file size, so a runaway fails instead of filling
 * the disk), the image checks clean here and in qemu-img, data reads back.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "block/block-global-state.h"
#include "interop-common.h"
#include "qcow2-common.h"
#include "test-common.h"

/* Far beyond any image here, small enough to stop a runaway early */
#define FILE_SIZE_CAP (96 * MiB)

/* Where qemu-img check finds @path's last cluster in use ends */
static int64_t end_offset(const char *path)
{
    g_autofree char *out = interop_output("qemu-img check --output=json %s",
                                          path);
    const char *key = out ? strstr(out, "\"image-end-offset\": ") : NULL;

    assert_non_null(key);
    return strtoll(key + strlen("\"image-end-offset\": "), NULL, 10);
}

/* Open @path to write and resize it */
static BlockBackend *open_rw(const char *path)
{
    Error *err = NULL;
    BlockBackend *blk = qcow2_test_open(path, BDRV_O_RDWR, &err);

    check_ok(blk != NULL, &err, "open");
    check_ok(blk_set_perm(blk, BLK_PERM_CONSISTENT_READ | BLK_PERM_WRITE |
                          BLK_PERM_RESIZE, BLK_PERM_ALL, &err) == 0, &err,
             "perm");
    return blk;
}

/* A qemu-img image of 1M with @opts, at @path and at @ref */
static void make_pair(const char *path, const char *ref, const char *opts)
{
    assert_int_equal(qcow2_test_sh("qemu-img create -q -f qcow2 -o %s %s 1M "
                                   "&& cp %s %s", opts, path, path, ref), 0);
}

/* Clean for both implementations, and its clusters in use end no later
 * than @ref's plus @slack (the file itself grows by steps) */
static void expect_clean_and_small(const char *path, const char *ref,
                                   int64_t slack)
{
    BdrvCheckResult res = {0};
    int64_t end = end_offset(path), ref_end = end_offset(ref);

    assert_int_equal(qcow2_test_check(path, 0, 0, &res), 0);
    assert_int_equal(res.corruptions + res.leaks + res.check_errors, 0);
    assert_int_equal(res.image_end_offset, end);
    if (end > ref_end + slack) {
        fail_msg("%s: clusters in use up to %" PRId64 ", qemu-img's %" PRId64,
                 path, end, ref_end);
    }
}

/* Write a pattern at the start and at @end - 64k, read both back */
static void write_and_verify(BlockBackend *blk, int64_t end, int seed)
{
    g_autofree uint8_t *buf = g_malloc(64 * KiB);
    g_autofree uint8_t *back = g_malloc(64 * KiB);
    int64_t at[] = { 0, end - 64 * KiB };

    for (int i = 0; i < 2; i++) {
        qcow2_test_pattern(buf, 64 * KiB, seed + i);
        assert_int_equal(blk_pwrite(blk, at[i], 64 * KiB, buf, 0), 0);
    }
    for (int i = 0; i < 2; i++) {
        qcow2_test_pattern(buf, 64 * KiB, seed + i);
        assert_int_equal(blk_pread(blk, at[i], 64 * KiB, back, 0), 0);
        assert_memory_equal(back, buf, 64 * KiB);
    }
}

/* The same, the image opened again; then it still checks clean, and the
 * rest of the disk reads as zeroes in qemu-io */
static void reopen_write_and_verify(const char *path, int64_t end, int seed)
{
    BlockBackend *blk = open_rw(path);
    BdrvCheckResult res = {0};

    write_and_verify(blk, end, seed);
    blk_unref(blk);
    assert_int_equal(qcow2_test_check(path, 0, 0, &res), 0);
    assert_int_equal(res.corruptions + res.leaks + res.check_errors, 0);
    assert_int_equal(qcow2_test_sh("qemu-img check -q %s && qemu-io -f qcow2 "
                                   "-c 'read -P 0 64k 64k' %s >/dev/null",
                                   path, path), 0);
}

/* Resize with qemu-img on @ref and here on @path, to @size */
static void grow_like_qemu(const char *opts, int64_t size, int64_t slack)
{
    g_autofree char *path = tmp_path("grow.qcow2");
    g_autofree char *ref = tmp_path("grow-ref.qcow2");
    BlockBackend *blk;
    Error *err = NULL;

    make_pair(path, ref, opts);
    assert_int_equal(qcow2_test_sh("qemu-img resize -q %s %" PRId64, ref,
                                   size), 0);
    blk = open_rw(path);
    check_ok(blk_truncate(blk, size, false, PREALLOC_MODE_OFF, 0, &err) == 0,
             &err, opts);
    blk_unref(blk);
    expect_clean_and_small(path, ref, slack);
    reopen_write_and_verify(path, size, 1);
}

/* The case: a new L1 table of 128 clusters, 64 per refcount block */
static void test_l1_run_longer_than_a_refblock_range(void **state)
{
    grow_like_qemu("cluster_size=512,refcount_bits=64", 256 * MiB, 0);
}

/* Every refcount width and small cluster size, to many new blocks */
static void test_l1_runs_every_width(void **state)
{
    static const char *const cs[] = { "512", "1k", "4k" };
    static const int rb[] = { 1, 16, 64 };

    for (size_t i = 0; i < ARRAY_SIZE(cs); i++) {
        for (size_t j = 0; j < ARRAY_SIZE(rb); j++) {
            g_autofree char *o = g_strdup_printf("cluster_size=%s,"
                                                 "refcount_bits=%d", cs[i],
                                                 rb[j]);

            /* (4k clusters: qemu-img's file grows less, by some clusters) */
            grow_like_qemu(o, 4 * GiB, 16 * KiB);
        }
    }
}

/* The L1 table outgrows what the refcount table covers: it grows too */
static void test_l1_run_needs_a_bigger_reftable(void **state)
{
    grow_like_qemu("cluster_size=512,refcount_bits=64", 8 * GiB, 16 * KiB);
    grow_like_qemu("cluster_size=512,refcount_bits=16", 64 * GiB, 16 * KiB);
}

/* A snapshot copies the L1 table: a run of its length */
static void test_snapshot_l1_copy(void **state)
{
    g_autofree char *path = tmp_path("snap.qcow2");
    g_autofree char *ref = tmp_path("snap-ref.qcow2");
    QEMUSnapshotInfo sn = {0};
    BlockBackend *blk;

    make_pair(path, ref, "cluster_size=512,refcount_bits=64");
    assert_int_equal(qcow2_test_sh("qemu-img resize -q %s 256M && "
                                   "qemu-img resize -q %s 256M && "
                                   "qemu-img snapshot -c s1 %s", path, ref,
                                   ref), 0);
    blk = open_rw(path);
    snprintf(sn.name, sizeof(sn.name), "s1");
    assert_int_equal(bdrv_snapshot_create(blk_bs(blk), &sn), 0);
    blk_unref(blk);
    expect_clean_and_small(path, ref, 0);
    reopen_write_and_verify(path, 256 * MiB, 3);
    assert_int_equal(qcow2_test_sh("qemu-img snapshot -l %s | grep -q s1",
                                   path), 0);
}

/* preallocation=metadata maps a run of one L2 table's length at a time */
static void test_preallocated_runs(void **state)
{
    g_autofree char *path = tmp_path("prealloc.qcow2");
    g_autofree char *ref = tmp_path("prealloc-ref.qcow2");
    const char *opts = "cluster_size=512,refcount_bits=64,"
                       "preallocation=metadata";

    assert_int_equal(qcow2_test_sh("qemu-img create -q -f qcow2 -o %s %s 8M",
                                   opts, ref), 0);
    qcow2_test_create(path, 8 * MiB, opts);
    expect_clean_and_small(path, ref, 0);
    reopen_write_and_verify(path, 8 * MiB, 5);
}

static int placement_group_setup(void **state)
{
    struct rlimit cap = { FILE_SIZE_CAP, FILE_SIZE_CAP };

    /* Writes past the cap fail with EFBIG instead of killing the test */
    signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &cap), 0);
    return qcow2_test_interop_setup(state, "qcow2-refblock-placement");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_l1_run_longer_than_a_refblock_range),
        T(test_l1_runs_every_width),
        T(test_l1_run_needs_a_bigger_reftable),
        T(test_snapshot_l1_copy),
        T(test_preallocated_runs),
    };

    return test_common_run_group(tests, placement_group_setup,
                                 qcow2_test_interop_teardown);
}
