/*
 * qcow2 against hostile images: one test per parser bug class of
 * REFERENCE.md (sizes and counts without limits, offsets unaligned or
 * outside the file, overflows, bad extensions, unknown features, tables
 * pointing into other metadata).  Each gives a clear error or -EIO with
 * the image marked corrupt, never a crash or an unbounded allocation.
 *
 * The base image is drydock's 1 MiB image with 64 KiB clusters: header at
 * 0, refcount table at 0x10000, refcount block at 0x20000, L1 table at
 * 0x30000; the first write adds an L2 table at 0x40000 and data at
 * 0x50000.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "block/mem.h"
#include "util/bswap.h"
#include "qcow2-common.h"
#include "test-common.h"

#define IMG "hostile"
#define L1_OFF 0x30000
#define L2_OFF 0x40000
#define COPIED (1ULL << 63)

static void make_base(void)
{
    qcow2_test_create(IMG, MiB, NULL);
}

/* The base image with its first cluster written: L2 and data allocated */
static void make_base_with_data(void)
{
    uint8_t buf[4096] = { 1 };
    Error *err = NULL;
    BlockBackend *blk;

    make_base();
    blk = qcow2_test_open(IMG, BDRV_O_RDWR, &err);
    check_ok(blk != NULL, &err, "open");
    assert_int_equal(blk_pwrite(blk, 0, sizeof(buf), buf, 0), 0);
    blk_unref(blk);
}

/* Opening @IMG with @flags fails with an error containing @needle */
#define expect_open_error(flags, needle)                                       \
    qcow2_test_expect_open_error(IMG, (flags), (needle))

static void test_hostile_huge_l1_size(void **state)
{
    make_base();
    qcow2_test_poke32(IMG, 36, 0x10000000);
    expect_open_error(0, "Active L1 table too large");
}

static void test_hostile_l1_too_small_for_size(void **state)
{
    make_base();
    qcow2_test_poke32(IMG, 36, 0);
    expect_open_error(0, "L1 table is too small");
}

static void test_hostile_huge_refcount_table(void **state)
{
    make_base();
    qcow2_test_poke32(IMG, 56, 0x1000000);
    expect_open_error(0, "Reference count table too large");
    qcow2_test_poke32(IMG, 56, 0);
    expect_open_error(0, "Reference count table too large or empty");
}

static void test_hostile_backing_name_too_long(void **state)
{
    make_base();
    qcow2_test_poke64(IMG, 8, 0x200);
    qcow2_test_poke32(IMG, 16, 2000);
    expect_open_error(0, "Backing file name too long");
}

static void test_hostile_backing_name_outside_first_cluster(void **state)
{
    make_base();
    qcow2_test_poke64(IMG, 8, 65530);
    qcow2_test_poke32(IMG, 16, 100);
    expect_open_error(0, "outside the first cluster");
}

static void test_hostile_header_length(void **state)
{
    make_base();
    qcow2_test_poke32(IMG, 100, 100000);
    expect_open_error(0, "qcow2 header exceeds cluster size");
    qcow2_test_poke32(IMG, 100, 96);
    expect_open_error(0, "qcow2 header too short");
    qcow2_test_poke32(IMG, 100, 108);
    expect_open_error(0, "not a multiple of 8");
}

static void test_hostile_extension_length(void **state)
{
    make_base();
    /* The feature name table extension follows the 112-byte header */
    qcow2_test_poke32(IMG, 112 + 4, 0x100000);
    expect_open_error(0, "goes past the end of the header area");
}

static void test_hostile_bitmaps_extension(void **state)
{
    make_base();
    qcow2_test_poke32(IMG, 112, 0x23852875);
    qcow2_test_poke32(IMG, 116, 16);
    expect_open_error(0, "Bitmaps extension length 16 is not 24");
    qcow2_test_poke32(IMG, 116, 24);
    qcow2_test_poke32(IMG, 120, 0);
    expect_open_error(0, "0 bitmaps");
    qcow2_test_poke32(IMG, 120, 1);
    qcow2_test_poke32(IMG, 124, 0);
    qcow2_test_poke64(IMG, 128, 0x7fffffffffffffffULL);
    qcow2_test_poke64(IMG, 136, 0x50000);
    expect_open_error(0, "directory size");
    qcow2_test_poke64(IMG, 128, 100);
    qcow2_test_poke64(IMG, 136, 0x4000000);
    expect_open_error(0, "beyond the end of the file");
}

static void test_hostile_backing_format_too_long(void **state)
{
    make_base();
    qcow2_test_poke32(IMG, 112, 0xe2792aca);
    qcow2_test_poke32(IMG, 116, 40);
    expect_open_error(0, "Backing format name length 40 too large");
}

static void test_hostile_unaligned_and_outside_offsets(void **state)
{
    make_base();
    qcow2_test_poke64(IMG, 40, L1_OFF + 1);
    expect_open_error(0, "Active L1 table offset 0x30001 is not aligned");
    qcow2_test_poke64(IMG, 40, 0x100000000ULL);
    expect_open_error(0, "beyond the end of the file");
    qcow2_test_poke64(IMG, 40, 0xffffffffffff0000ULL);
    expect_open_error(0, "overflows");
    qcow2_test_poke64(IMG, 40, 0);
    expect_open_error(0, "overlaps the header");
    qcow2_test_poke64(IMG, 40, L1_OFF);
    qcow2_test_poke64(IMG, 48, 0x10200);
    expect_open_error(0, "Reference count table offset 0x10200 is not "
                      "aligned");
    qcow2_test_poke64(IMG, 48, 0x10000);
    qcow2_test_poke64(IMG, 0x10000, 0x20001);
    expect_open_error(0, "Refcount table entry 0 is invalid");
}

static void test_hostile_cluster_bits(void **state)
{
    make_base();
    qcow2_test_poke32(IMG, 20, 0);
    expect_open_error(0, "Unsupported cluster size: 2^0");
    qcow2_test_poke32(IMG, 20, 30);
    expect_open_error(0, "Unsupported cluster size: 2^30");
}

static void test_hostile_refcount_order(void **state)
{
    make_base();
    qcow2_test_poke32(IMG, 96, 7);
    expect_open_error(0, "Reference count entry width too large; may not "
                      "exceed 64 bits");
}

static void test_hostile_version_and_magic(void **state)
{
    make_base();
    qcow2_test_poke32(IMG, 4, 4);
    expect_open_error(0, "Unsupported qcow2 version 4");
    qcow2_test_poke32(IMG, 0, 0x12345678);
    expect_open_error(0, "Image is not in qcow2 format");
}

static void test_hostile_snapshot_count(void **state)
{
    make_base();
    qcow2_test_poke32(IMG, 60, 70000);
    expect_open_error(0, "Too many snapshots: 70000");
}

static void test_hostile_disk_size(void **state)
{
    make_base();
    qcow2_test_poke64(IMG, 24, 0x7fffffffffffffffULL);
    expect_open_error(0, "too large");
}

static void test_hostile_unknown_incompatible_features(void **state)
{
    make_base();
    /* Named by the image's feature name table */
    qcow2_test_poke64(IMG, 72, 1ULL << 5);
    expect_open_error(0, "Unsupported qcow2 feature(s): Unknown "
                      "incompatible feature: 20");
    /* The data file bit without a data file name */
    qcow2_test_poke64(IMG, 72, 1ULL << 2);
    expect_open_error(0, "'data-file' is required for this image");
    qcow2_test_poke64(IMG, 72, (1ULL << 20) | (1ULL << 21));
    expect_open_error(0, "Unsupported qcow2 feature(s): Unknown "
                      "incompatible feature: 300000");
}

static void test_hostile_encrypted_refused(void **state)
{
    make_base();
    qcow2_test_poke32(IMG, 32, 2);
    expect_open_error(0, "Encrypted qcow2 images are not supported");
}

static void test_hostile_corrupt_bit_read_only_allowed(void **state)
{
    BlockBackend *blk;
    Error *err = NULL;
    uint8_t buf[512];

    make_base();
    qcow2_test_poke64(IMG, 72, 1ULL << 1);
    expect_open_error(BDRV_O_RDWR, "qcow2: Image is corrupt; cannot be "
                      "opened read/write");
    blk = qcow2_test_open(IMG, 0, &err);
    check_ok(blk != NULL, &err, "read-only open");
    assert_int_equal(blk_pread(blk, 0, sizeof(buf), buf, 0), 0);
    blk_unref(blk);
}

/* L1 entries pointing into other metadata, or unaligned */
static void test_hostile_l1_entry_into_metadata(void **state)
{
    static const uint64_t targets[] = { 0x10000, L1_OFF, 0x200 };
    uint8_t buf[512];

    for (size_t i = 0; i < ARRAY_SIZE(targets); i++) {
        Error *err = NULL;
        BlockBackend *blk;

        make_base();
        qcow2_test_poke64(IMG, L1_OFF, targets[i] | COPIED);
        blk = qcow2_test_open(IMG, BDRV_O_RDWR, &err);
        check_ok(blk != NULL, &err, "open");
        assert_int_equal(blk_pread(blk, 0, sizeof(buf), buf, 0), -EIO);
        assert_int_equal(blk_pwrite(blk, 0, sizeof(buf), buf, 0), -EIO);
        blk_unref(blk);
        /* The corrupt bit was set */
        assert_int_equal(qcow2_test_peek64(IMG, 72) & 2, 2);
        expect_open_error(BDRV_O_RDWR, "Image is corrupt");
    }
}

/* A data cluster in the L1 table: the write is refused, image marked */
static void test_hostile_data_cluster_over_l1(void **state)
{
    Error *err = NULL;
    BlockBackend *blk;
    uint8_t buf[4096] = { 1 };

    make_base_with_data();
    qcow2_test_poke64(IMG, L2_OFF, L1_OFF | COPIED);
    blk = qcow2_test_open(IMG, BDRV_O_RDWR, &err);
    check_ok(blk != NULL, &err, "open");
    assert_int_equal(blk_pwrite(blk, 0, sizeof(buf), buf, 0), -EIO);
    assert_true(blk_bs(blk)->corrupt);
    blk_unref(blk);
    assert_int_equal(qcow2_test_peek64(IMG, 72) & 2, 2);
    /* The L1 table is intact: its first entry still names the L2 table */
    assert_int_equal(qcow2_test_peek64(IMG, L1_OFF), L2_OFF | COPIED);
}

static void test_hostile_compressed_garbage(void **state)
{
    Error *err = NULL;
    BlockBackend *blk;
    uint8_t buf[4096] = { 1 };

    make_base_with_data();
    /* Compressed, 8 sectors at the (random) data of the data cluster */
    qcow2_test_poke64(IMG, L2_OFF, (1ULL << 62) | (7ULL << 54) | 0x50100);
    qcow2_test_poke(IMG, 0x50100, "garbage!", 8);
    blk = qcow2_test_open(IMG, 0, &err);
    check_ok(blk != NULL, &err, "open");
    assert_int_equal(blk_pread(blk, 0, sizeof(buf), buf, 0), -EIO);
    blk_unref(blk);
}

/* Every refcount says "in use": the search for a free cluster stops at EOF */
static void test_hostile_refcounts_all_busy(void **state)
{
    g_autofree uint8_t *ones = g_malloc(65536);
    Error *err = NULL;
    BlockBackend *blk;
    uint8_t buf[512] = { 1 };

    make_base();
    for (int i = 0; i < 65536; i += 2) {
        ones[i] = 0;
        ones[i + 1] = 1;
    }
    qcow2_test_poke(IMG, 0x20000, ones, 65536);
    blk = qcow2_test_open(IMG, BDRV_O_RDWR, &err);
    check_ok(blk != NULL, &err, "open");
    assert_int_equal(blk_pwrite(blk, 0, sizeof(buf), buf, 0), -EIO);
    blk_unref(blk);
    assert_int_equal(qcow2_test_peek64(IMG, 72) & 2, 2);
}

/* A bitmap directory whose entries do not fit it */
static void test_hostile_bitmap_directory_entries(void **state)
{
    make_base();
    qcow2_test_poke64(IMG, 88, 1);              /* bitmaps consistent */
    qcow2_test_poke32(IMG, 112, 0x23852875);
    qcow2_test_poke32(IMG, 116, 24);
    qcow2_test_poke32(IMG, 120, 1);
    qcow2_test_poke32(IMG, 124, 0);
    qcow2_test_poke64(IMG, 128, 32);
    qcow2_test_poke64(IMG, 136, 0x50000);
    qcow2_test_poke32(IMG, 0x50000 + 20, 0xfffffff0);   /* extra data */
    expect_open_error(0, "goes past the end of the directory");
    qcow2_test_poke32(IMG, 0x50000 + 20, 0);
    qcow2_test_poke64(IMG, 128, 24);
    qcow2_test_poke32(IMG, 120, 2);
    expect_open_error(0, "Bitmap directory holds 1 bitmaps, the header "
                      "says 2");
}

/* Snapshot table entries: L1 size, extra data, L1 offset */
static void test_hostile_snapshot_entries(void **state)
{
    make_base();
    qcow2_test_poke32(IMG, 60, 1);
    qcow2_test_poke64(IMG, 64, 0x50000);
    qcow2_test_poke64(IMG, 0x50000, 0x60000);
    qcow2_test_poke32(IMG, 0x50000 + 8, 0x10000000);
    expect_open_error(0, "Snapshot 0: L1 table too large");
    qcow2_test_poke32(IMG, 0x50000 + 8, 1);
    qcow2_test_poke32(IMG, 0x50000 + 36, 100000);
    expect_open_error(0, "Snapshot 0: extra data of 100000 bytes");
    qcow2_test_poke32(IMG, 0x50000 + 36, 0);
    qcow2_test_poke64(IMG, 0x50000, 0x60200);
    expect_open_error(0, "Snapshot 0: L1 table offset 0x60200 invalid");
}

static void check_counts(int flags, int corruptions, int leaks)
{
    BdrvCheckResult res;
    Error *err = NULL;
    BlockBackend *blk = qcow2_test_open(IMG, flags, &err);

    check_ok(blk != NULL, &err, "open");
    assert_int_equal(bdrv_check(blk_bs(blk), &res, 0), 0);
    assert_int_equal(res.corruptions, corruptions);
    assert_int_equal(res.leaks, leaks);
    blk_unref(blk);
}

/* check finds a leaked cluster and a cluster referenced without refcount */
static void test_hostile_check_finds_leaks_and_corruption(void **state)
{
    make_base_with_data();
    check_counts(0, 0, 0);
    /* The file grows by what it needs: make it cover cluster 7 */
    qcow2_test_poke(IMG, 0x80000 - 1, "", 1);
    check_counts(0, 0, 0);
    /* Refcount 1 for cluster 7, which nothing uses */
    qcow2_test_poke(IMG, 0x20000 + 7 * 2, "\0\1", 2);
    check_counts(0, 0, 1);
    /* Refcount 0 for the data cluster 5: and its OFLAG_COPIED is wrong */
    qcow2_test_poke(IMG, 0x20000 + 5 * 2, "\0\0", 2);
    check_counts(0, 2, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_hostile_huge_l1_size),
        T(test_hostile_l1_too_small_for_size),
        T(test_hostile_huge_refcount_table),
        T(test_hostile_backing_name_too_long),
        T(test_hostile_backing_name_outside_first_cluster),
        T(test_hostile_header_length),
        T(test_hostile_extension_length),
        T(test_hostile_bitmaps_extension),
        T(test_hostile_backing_format_too_long),
        T(test_hostile_unaligned_and_outside_offsets),
        T(test_hostile_cluster_bits),
        T(test_hostile_refcount_order),
        T(test_hostile_version_and_magic),
        T(test_hostile_snapshot_count),
        T(test_hostile_disk_size),
        T(test_hostile_unknown_incompatible_features),
        T(test_hostile_encrypted_refused),
        T(test_hostile_corrupt_bit_read_only_allowed),
        T(test_hostile_l1_entry_into_metadata),
        T(test_hostile_data_cluster_over_l1),
        T(test_hostile_compressed_garbage),
        T(test_hostile_refcounts_all_busy),
        T(test_hostile_bitmap_directory_entries),
        T(test_hostile_snapshot_entries),
        T(test_hostile_check_finds_leaks_and_corruption),
    };

    return test_common_run_group(tests, test_common_group_setup,
                                 test_common_group_teardown_mem);
}
