/*
 * qcow2 check with repair (qemu-img check -r leaks / -r all): one test per
 * kind of damage, each on an image corrupted with the poke helpers.  After
 * the repair drydock's check is clean, the guest data is intact, and
 * Debian's qemu-img check finds the image clean too.
 *
 * The base image: 1 MiB, 64 KiB clusters, 128 KiB written: header 0,
 * refcount table 0x10000, refcount block 0x20000 (16-bit entries), L1
 * 0x30000, L2 0x40000, data 0x50000 and 0x60000.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "block/mem.h"
#include "interop-common.h"
#include "qcow2-common.h"
#include "test-common.h"
#include "util/bswap.h"

#define IMG "repair"
#define RB 0x20000
#define L1 0x30000
#define L2 0x40000
#define COPIED (1ULL << 63)
#define RW (BDRV_O_RDWR)

static void make_base(void)
{
    g_autofree uint8_t *buf = g_malloc(128 * KiB);
    Error *err = NULL;
    BlockBackend *blk;

    qcow2_test_create(IMG, MiB, NULL);
    blk = qcow2_test_open(IMG, RW, &err);
    check_ok(blk != NULL, &err, "open");
    qcow2_test_pattern(buf, 128 * KiB, 1);
    assert_int_equal(blk_pwrite(blk, 0, 128 * KiB, buf, 0), 0);
    blk_unref(blk);
}

static void set_refcount(int64_t cluster, uint16_t v)
{
    uint8_t b[2];

    stw_be_p(b, v);
    qcow2_test_poke(IMG, RB + cluster * 2, b, 2);
}

/* The first @len bytes read back as the base pattern */
static void expect_data(size_t len)
{
    g_autofree uint8_t *e = g_malloc(128 * KiB);
    g_autofree uint8_t *r = g_malloc(128 * KiB);
    Error *err = NULL;
    BlockBackend *blk = qcow2_test_open(IMG, 0, &err);

    check_ok(blk != NULL, &err, "open");
    qcow2_test_pattern(e, 128 * KiB, 1);
    assert_int_equal(blk_pread(blk, 0, 128 * KiB, r, 0), 0);
    blk_unref(blk);
    assert_memory_equal(r, e, len);
}

/* drydock's check and qemu-img's find nothing wrong any more */
static void expect_clean(void)
{
    g_autofree char *path = tmp_path("repaired.qcow2");
    BdrvCheckResult res;

    assert_int_equal(qcow2_test_check(IMG, 0, 0, &res), 0);
    assert_int_equal(res.corruptions, 0);
    assert_int_equal(res.leaks, 0);
    assert_int_equal(res.check_errors, 0);
    qcow2_test_save(IMG, path);
    assert_int_equal(qcow2_test_sh("qemu-img check -f qcow2 %s", path), 0);
}

static void check_counts(BdrvCheckMode fix, int ret, int corruptions,
                         int leaks, int corruptions_fixed, int leaks_fixed)
{
    BdrvCheckResult res;

    assert_int_equal(qcow2_test_check(IMG, fix ? RW : 0, fix, &res), ret);
    assert_int_equal(res.corruptions, corruptions);
    assert_int_equal(res.leaks, leaks);
    assert_int_equal(res.corruptions_fixed, corruptions_fixed);
    assert_int_equal(res.leaks_fixed, leaks_fixed);
}

static void test_repair_clean_image_reports_layout(void **state)
{
    BdrvCheckResult res;

    make_base();
    assert_int_equal(qcow2_test_check(IMG, 0, 0, &res), 0);
    assert_int_equal(res.image_end_offset, 7 * 64 * KiB);
    assert_int_equal(res.bfi.total_clusters, 16);
    assert_int_equal(res.bfi.allocated_clusters, 2);
    assert_int_equal(res.bfi.fragmented_clusters, 0);
    check_counts(BDRV_FIX_LEAKS | BDRV_FIX_ERRORS, 0, 0, 0, 0, 0);
}

/* Refcount 2 for a cluster referenced once: a leak (and OFLAG_COPIED) */
static void test_repair_leak_fixed_by_r_leaks(void **state)
{
    make_base();
    set_refcount(5, 2);
    check_counts(0, 0, 1, 1, 0, 0);
    check_counts(BDRV_FIX_LEAKS, 0, 0, 0, 0, 1);
    expect_clean();
    expect_data(128 * KiB);
}

/* A leaked cluster past the data: freed, the image end moves back */
static void test_repair_leaked_cluster_freed(void **state)
{
    BdrvCheckResult res;

    make_base();
    /* Cluster 7 exists in the file, unreferenced, with refcount 1 */
    qcow2_test_poke(IMG, 8 * 64 * KiB - 1, "", 1);
    set_refcount(7, 1);
    assert_int_equal(qcow2_test_check(IMG, 0, 0, &res), 0);
    assert_int_equal(res.leaks, 1);
    assert_int_equal(res.image_end_offset, 8 * 64 * KiB);
    check_counts(BDRV_FIX_LEAKS, 0, 0, 0, 0, 1);
    assert_int_equal(qcow2_test_check(IMG, 0, 0, &res), 0);
    assert_int_equal(res.image_end_offset, 7 * 64 * KiB);
    expect_clean();
}

/* Two L2 entries share a cluster of refcount 1: raised, flags cleared */
static void test_repair_refcount_too_low(void **state)
{
    make_base();
    qcow2_test_poke64(IMG, L2 + 16, COPIED | 0x50000);
    check_counts(0, 0, 1, 0, 0, 0);
    /* -r leaks cannot raise it */
    check_counts(BDRV_FIX_LEAKS, 0, 1, 0, 0, 0);
    /* the refcount, then OFLAG_COPIED of both entries */
    check_counts(BDRV_FIX_ERRORS | BDRV_FIX_LEAKS, 0, 0, 0, 3, 0);
    assert_int_equal(qcow2_test_peek64(IMG, L2) & COPIED, 0);
    assert_int_equal(qcow2_test_peek64(IMG, L2 + 16) & COPIED, 0);
    expect_clean();
    expect_data(128 * KiB);
}

/* Refcount 0 for a cluster in use: only a rebuild can fix it */
static void test_repair_zero_refcount_rebuilds(void **state)
{
    BdrvCheckResult res;

    make_base();
    set_refcount(6, 0);
    assert_int_equal(qcow2_test_check(IMG, RW, BDRV_FIX_LEAKS, &res), -EIO);
    assert_int_equal(res.check_errors, 1);
    check_counts(BDRV_FIX_LEAKS | BDRV_FIX_ERRORS, 0, 0, 0, 1, 0);
    /* A new refcount block at 0x70000 and table at 0x80000 (as qemu-img) */
    assert_int_equal(qcow2_test_peek64(IMG, 48), 0x80000);
    assert_int_equal(qcow2_test_peek64(IMG, 0x80000), 0x70000);
    expect_clean();
    expect_data(128 * KiB);
}

/* OFLAG_COPIED missing on the L1 entry and on a data entry */
static void test_repair_oflag_copied(void **state)
{
    make_base();
    qcow2_test_poke64(IMG, L1, 0x40000);
    qcow2_test_poke64(IMG, L2, 0x50000);
    check_counts(0, 0, 2, 0, 0, 0);
    check_counts(BDRV_FIX_LEAKS, 0, 0, 0, 2, 0);
    assert_int_equal(qcow2_test_peek64(IMG, L1), COPIED | 0x40000);
    assert_int_equal(qcow2_test_peek64(IMG, L2), COPIED | 0x50000);
    expect_clean();
    expect_data(128 * KiB);
}

/* A misaligned preallocated zero cluster becomes a plain zero cluster */
static void test_repair_misaligned_zero_cluster(void **state)
{
    make_base();
    qcow2_test_poke64(IMG, L2 + 8, COPIED | 0x60201);
    check_counts(0, 0, 2, 0, 0, 0);
    check_counts(BDRV_FIX_LEAKS | BDRV_FIX_ERRORS, 0, 0, 0, 1, 1);
    assert_int_equal(qcow2_test_peek64(IMG, L2 + 8), 1);
    expect_clean();
    expect_data(64 * KiB);
}

/* Data entries misaligned or past the file: cleared (reads zeroes) */
static void test_repair_bad_data_entries_cleared(void **state)
{
    make_base();
    qcow2_test_poke64(IMG, L2 + 8, COPIED | 0x60200);
    qcow2_test_poke64(IMG, L2 + 24, COPIED | 0x1000000);
    check_counts(0, 0, 4, 0, 0, 0);
    check_counts(BDRV_FIX_LEAKS | BDRV_FIX_ERRORS, 0, 0, 0, 2, 1);
    assert_int_equal(qcow2_test_peek64(IMG, L2 + 8), 1);
    assert_int_equal(qcow2_test_peek64(IMG, L2 + 24), 1);
    expect_clean();
    expect_data(64 * KiB);
}

/* L1 entries misaligned or past the file: cleared */
static void test_repair_bad_l1_entry_cleared(void **state)
{
    BdrvCheckResult res;

    make_base();
    qcow2_test_poke64(IMG, L1, COPIED | 0x1000000);
    assert_int_equal(qcow2_test_check(IMG, 0, 0, &res), 0);
    assert_int_equal(res.corruptions, 2);
    assert_int_equal(res.leaks, 3);
    check_counts(BDRV_FIX_LEAKS | BDRV_FIX_ERRORS, 0, 0, 0, 1, 3);
    assert_int_equal(qcow2_test_peek64(IMG, L1), 0);
    expect_clean();
}

/* A refcount table entry that is not aligned: rebuilt */
static void test_repair_misaligned_refblock_rebuilds(void **state)
{
    BdrvCheckResult res;

    make_base();
    qcow2_test_poke64(IMG, 0x10000, 0x20200);
    /* An ordinary open refuses it */
    assert_null(qcow2_test_open(IMG, 0, NULL));
    assert_int_equal(qcow2_test_check(IMG, 0, 0, &res), 0);
    assert_true(res.corruptions >= 1);
    /* the table entry and the six clusters it hid (not the block) */
    check_counts(BDRV_FIX_LEAKS | BDRV_FIX_ERRORS, 0, 0, 0, 7, 0);
    expect_clean();
    expect_data(128 * KiB);
}

/* The corrupt bit: a repair that leaves no error clears it */
static void test_repair_clears_corrupt_bit(void **state)
{
    make_base();
    set_refcount(5, 2);
    qcow2_test_poke64(IMG, 72, 2);
    assert_null(qcow2_test_open(IMG, RW, NULL));
    check_counts(BDRV_FIX_LEAKS, 0, 0, 0, 0, 1);
    assert_int_equal(qcow2_test_peek64(IMG, 72), 0);
    expect_clean();
}

/* Refcount widths other than 16: 1-bit counts cannot hold 2 references */
static void test_repair_rebuild_narrow_refcounts(void **state)
{
    BdrvCheckResult res;

    qcow2_test_create(IMG, MiB, "refcount_bits=1,cluster_size=4096");
    {
        g_autofree uint8_t *buf = g_malloc(128 * KiB);
        Error *err = NULL;
        BlockBackend *blk = qcow2_test_open(IMG, RW, &err);

        check_ok(blk != NULL, &err, "open");
        qcow2_test_pattern(buf, 128 * KiB, 1);
        assert_int_equal(blk_pwrite(blk, 0, 128 * KiB, buf, 0), 0);
        blk_unref(blk);
    }
    /* Zero the whole refcount block (at 0x2000): every count is 0 */
    qcow2_test_poke(IMG, 0x2000, (uint8_t[64]){ 0 }, 64);
    assert_int_equal(qcow2_test_check(IMG, 0, 0, &res), 0);
    assert_true(res.corruptions > 30);
    assert_int_equal(qcow2_test_check(IMG, RW, BDRV_FIX_LEAKS |
                                      BDRV_FIX_ERRORS, &res), 0);
    assert_int_equal(res.corruptions + res.leaks + res.check_errors, 0);
    assert_true(res.corruptions_fixed > 30);
    expect_clean();
    expect_data(128 * KiB);
}

/*
 * Seeded random damage to the first entries of the refcount table, the
 * refcount block, L1 and L2: never a crash, and -r all leaves an image
 * drydock's check (and, for some seeds, qemu-img's) finds clean
 */
static void test_repair_random_damage_sweep(void **state)
{
    g_autofree char *path = tmp_path("sweep.qcow2");
    int clean = 0, opened = 0;

    for (unsigned seed = 1; seed <= 200; seed++) {
        unsigned r = seed;
        BdrvCheckResult res;
        BlockBackend *blk;
        Error *err = NULL;

        make_base();
        for (unsigned i = 0; i < 1 + seed % 6; i++) {
            uint8_t byte;

            r = r * 1103515245 + 12345;
            byte = r >> 16;
            r = r * 1103515245 + 12345;
            qcow2_test_poke(IMG, 0x10000 * (1 + (r >> 16) % 4) +
                            (r >> 8) % 64, &byte, 1);
        }
        blk = qcow2_test_open(IMG, RW | BDRV_O_CHECK, &err);
        if (!blk) {
            /* refused with a message (e.g. a reserved reftable bit) */
            assert_non_null(err);
            error_free(err);
            continue;
        }
        opened++;
        if (bdrv_check(blk_bs(blk), &res, BDRV_FIX_LEAKS |
                       BDRV_FIX_ERRORS) == 0 && !res.check_errors &&
            bdrv_check(blk_bs(blk), &res, 0) == 0 &&
            !res.corruptions && !res.leaks) {
            clean++;
        } else {
            print_message("seed %u: not clean after -r all\n", seed);
        }
        blk_unref(blk);
        if (seed % 10 == 0) {
            qcow2_test_save(IMG, path);
            if (qcow2_test_sh("qemu-img check %s", path)) { print_message("seed %u\n", seed); qcow2_test_sh("cp %s /tmp/qr/sweepfail.qcow2", path); }
            assert_int_equal(qcow2_test_sh("qemu-img check %s", path), 0);
        }
    }
    assert_true(opened > 150);
    assert_int_equal(clean, opened);
}

static int repair_group_setup(void **state)
{
    return qcow2_test_interop_setup(state, "qcow2-repair");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_repair_clean_image_reports_layout),
        T(test_repair_leak_fixed_by_r_leaks),
        T(test_repair_leaked_cluster_freed),
        T(test_repair_refcount_too_low),
        T(test_repair_zero_refcount_rebuilds),
        T(test_repair_oflag_copied),
        T(test_repair_misaligned_zero_cluster),
        T(test_repair_bad_data_entries_cleared),
        T(test_repair_bad_l1_entry_cleared),
        T(test_repair_misaligned_refblock_rebuilds),
        T(test_repair_clears_corrupt_bit),
        T(test_repair_rebuild_narrow_refcounts),
        T(test_repair_random_damage_sweep),
    };

    return test_common_run_group(tests, repair_group_setup,
                                 qcow2_test_interop_teardown);
}
