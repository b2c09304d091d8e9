/*
 * qcow2 header fields and extensions from hostile images: unknown
 * incompatible features are named from the image's feature table, an
 * encryption header or a repeated extension is refused, unknown
 * extensions are skipped, features that do not fit the geometry or the
 * compression type bit are refused, and unknown autoclear bits are
 * cleared when the image is opened read-write (as QEMU does).
 *
 * drydock's v3 header is 112 bytes; its feature name table extension
 * follows (type at 112, length 0x180 at 116, 48-byte entries from 120),
 * then the end marker at 504.
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

#define IMG "hhdr"
#define HDR_INCOMPAT 72
#define HDR_AUTOCLEAR 88
#define EXT_FEATURES 0x6803f857
#define EXT_BITMAPS 0x23852875
#define EXT_CRYPTO 0x0537be77
#define EXT_BACKING_FORMAT 0xe2792aca
#define EXT_END_AT 504
/* Where an extension or the backing name past the first 4 KiB read goes */
#define FAR_EXT_LEN 10000
#define FAR_NAME_AT 20000

#define expect_open_error(flags, needle)                                       \
    qcow2_test_expect_open_error(IMG, (flags), (needle))

static void expect_open_ok(int flags)
{
    Error *err = NULL;
    BlockBackend *blk = qcow2_test_open(IMG, flags, &err);

    check_ok(blk != NULL, &err, "open");
    blk_unref(blk);
}

static void test_unknown_features_named_from_table(void **state)
{
    uint8_t entry[48] = {0, 9};

    qcow2_test_create(IMG, MiB, NULL);
    memcpy(entry + 2, "test feature", 12);
    qcow2_test_poke(IMG, 120, entry, sizeof(entry));
    qcow2_test_poke64(IMG, HDR_INCOMPAT, 1ULL << 9);
    expect_open_error(0, "Unsupported qcow2 feature(s): test feature");
    /* A bit without a name is listed by value after the named ones */
    qcow2_test_poke64(IMG, HDR_INCOMPAT, (1ULL << 9) | (1ULL << 10));
    expect_open_error(0, "test feature, Unknown incompatible feature: 400");
}

static void test_encryption_header_refused(void **state)
{
    qcow2_test_create(IMG, MiB, NULL);
    qcow2_test_poke32(IMG, 112, EXT_CRYPTO);
    expect_open_error(0, "Encrypted qcow2 images are not supported");
}

/* An extension of a type drydock does not know is skipped */
static void test_unknown_extension_skipped(void **state)
{
    uint8_t buf[512];

    qcow2_test_create(IMG, MiB, NULL);
    qcow2_test_poke32(IMG, 112, 0x12345678);
    expect_open_ok(BDRV_O_RDWR);
    /* ... and the image still works */
    {
        Error *err = NULL;
        BlockBackend *blk = qcow2_test_open(IMG, BDRV_O_RDWR, &err);

        check_ok(blk != NULL, &err, "open");
        memset(buf, 0x5a, sizeof(buf));
        assert_int_equal(blk_pwrite(blk, 0, sizeof(buf), buf, 0), 0);
        memset(buf, 0, sizeof(buf));
        assert_int_equal(blk_pread(blk, 0, sizeof(buf), buf, 0), 0);
        assert_int_equal(buf[511], 0x5a);
        blk_unref(blk);
    }
}

static void test_extension_twice_refused(void **state)
{
    qcow2_test_create(IMG, MiB, NULL);
    /* A second, empty feature table where the end marker was */
    qcow2_test_poke32(IMG, EXT_END_AT, EXT_FEATURES);
    qcow2_test_poke32(IMG, EXT_END_AT + 4, 0);
    qcow2_test_poke64(IMG, EXT_END_AT + 8, 0);
    expect_open_error(0, "Header extension 0x6803f857 appears twice");
}

/* Extensions up to the end of the first cluster need no end marker */
static void test_extensions_fill_first_cluster(void **state)
{
    qcow2_test_create(IMG, MiB, "cluster_size=4096");
    qcow2_test_poke32(IMG, 116, 4096 - 120);
    expect_open_ok(0);
}

static BlockDriverState *open_no_backing(BlockBackend **blk)
{
    Error *err = NULL;

    *blk = qcow2_test_open(IMG, BDRV_O_NO_BACKING, &err);
    check_ok(*blk != NULL, &err, "open");
    return blk_bs(*blk);
}

/*
 * The header cluster is read as far as its extensions and backing file
 * name go, past the first read of 4 KiB: an unknown extension of 10,000
 * bytes, then the backing format; a backing file name at 20,000
 */
static void test_header_read_past_first_read(void **state)
{
    uint8_t ext[8 + 8] = {0};
    BlockBackend *blk;
    BlockDriverState *bs;

    qcow2_test_create(IMG, MiB, NULL);
    qcow2_test_poke32(IMG, EXT_END_AT, 0x12345678);
    qcow2_test_poke32(IMG, EXT_END_AT + 4, FAR_EXT_LEN);
    stl_be_p(ext, EXT_BACKING_FORMAT);
    stl_be_p(ext + 4, 3);
    memcpy(ext + 8, "raw", 3);
    qcow2_test_poke(IMG, EXT_END_AT + 8 + FAR_EXT_LEN, ext, sizeof(ext));
    qcow2_test_poke64(IMG, EXT_END_AT + 8 + FAR_EXT_LEN + sizeof(ext), 0);
    qcow2_test_poke64(IMG, 8, FAR_NAME_AT);
    qcow2_test_poke32(IMG, 16, 8);
    qcow2_test_poke(IMG, FAR_NAME_AT, "far-name", 8);
    bs = open_no_backing(&blk);
    assert_string_equal(bs->backing_format, "raw");
    assert_string_equal(bs->backing_file, "far-name");
    blk_unref(blk);
    /* An extension that runs past the backing name is refused */
    qcow2_test_poke64(IMG, 8, EXT_END_AT + FAR_EXT_LEN);
    expect_open_error(BDRV_O_NO_BACKING, "goes past the end of the header");
}

static void test_bitmaps_reserved_field(void **state)
{
    uint8_t ext[32] = {0};

    qcow2_test_create(IMG, MiB, NULL);
    stl_be_p(ext, EXT_BITMAPS);
    stl_be_p(ext + 4, 24);
    stl_be_p(ext + 8, 1);        /* one bitmap */
    stl_be_p(ext + 12, 7);       /* reserved */
    stq_be_p(ext + 16, 64);      /* directory size */
    stq_be_p(ext + 24, 0x40000); /* directory offset */
    qcow2_test_poke(IMG, EXT_END_AT, ext, sizeof(ext));
    qcow2_test_poke64(IMG, EXT_END_AT + sizeof(ext), 0);
    qcow2_test_poke64(IMG, HDR_AUTOCLEAR, 1);
    expect_open_error(0, "Bitmaps extension: reserved field is 0x7, not 0");
}

static void test_extended_l2_needs_16k_clusters(void **state)
{
    qcow2_test_create(IMG, MiB, "cluster_size=4096");
    qcow2_test_poke64(IMG, HDR_INCOMPAT, 1ULL << 4);
    expect_open_error(0, "Extended L2 entries are only supported with "
                         "cluster sizes of at least 16384 bytes");
}

static void test_compression_type_and_bit(void **state)
{
    qcow2_test_create(IMG, MiB, NULL);
    qcow2_test_poke(IMG, 104, "\1", 1);
    expect_open_error(0, "Invalid compression type 1 for the compression "
                         "type feature bit clear");
    qcow2_test_poke64(IMG, HDR_INCOMPAT, 1ULL << 3);
    qcow2_test_poke(IMG, 104, "\7", 1);
    expect_open_error(0, "Unknown compression type 7");
}

/* Unknown autoclear bits: kept by a read-only open, cleared read-write */
static void test_unknown_autoclear_cleared(void **state)
{
    qcow2_test_create(IMG, MiB, NULL);
    qcow2_test_poke64(IMG, HDR_AUTOCLEAR, 1ULL << 20);
    expect_open_ok(0);
    assert_int_equal(qcow2_test_peek64(IMG, HDR_AUTOCLEAR), 1ULL << 20);
    expect_open_ok(BDRV_O_RDWR);
    assert_int_equal(qcow2_test_peek64(IMG, HDR_AUTOCLEAR), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_unknown_features_named_from_table),
        T(test_encryption_header_refused),
        T(test_unknown_extension_skipped),
        T(test_extension_twice_refused),
        T(test_extensions_fill_first_cluster),
        T(test_header_read_past_first_read),
        T(test_bitmaps_reserved_field),
        T(test_extended_l2_needs_16k_clusters),
        T(test_compression_type_and_bit),
        T(test_unknown_autoclear_cleared),
    };

    return test_common_run_group(tests, test_common_group_setup,
                                 test_common_group_teardown_mem);
}
