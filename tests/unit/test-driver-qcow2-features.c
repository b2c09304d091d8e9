/*
 * Unit tests of the qcow2 features beyond plain allocation: compressed
 * writes (zlib, zstd, fallback, shared host clusters), preallocation at
 * creation and resize, shrinking, the external data file, runtime options
 * and their QEMU messages, extended L2 entries (subclusters), and hostile
 * compressed descriptors, subcluster bitmaps and data file extensions.
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

static BlockBackend *open_rw(const char *name)
{
    Error *err = NULL;
    BlockBackend *blk = qcow2_test_open(name, BDRV_O_RDWR | BDRV_O_RESIZE,
                                        &err);

    check_ok(blk != NULL, &err, "open qcow2");
    return blk;
}

static void expect_pattern(BlockBackend *blk, int64_t offset, size_t len,
                           int seed)
{
    g_autofree uint8_t *w = g_malloc(len);
    g_autofree uint8_t *r = g_malloc(len);

    qcow2_test_pattern(w, len, seed);
    assert_int_equal(blk_pread(blk, offset, len, r, 0), 0);
    assert_memory_equal(w, r, len);
}

static void write_pattern(BlockBackend *blk, int64_t offset, size_t len,
                          int seed, BdrvRequestFlags flags)
{
    g_autofree uint8_t *w = g_malloc(len);

    qcow2_test_pattern(w, len, seed);
    assert_int_equal(blk_pwrite(blk, offset, len, w, flags), 0);
}

static int status_at(BlockBackend *blk, int64_t offset, int64_t *map)
{
    int64_t pnum;
    BlockDriverState *file;

    return bdrv_block_status(blk_bs(blk), offset, 512, &pnum, map, &file);
}

static void expect_check_clean(const char *name)
{
    BdrvCheckResult res;
    Error *err = NULL;
    BlockBackend *blk = qcow2_test_open(name, 0, &err);

    check_ok(blk != NULL, &err, "open for check");
    assert_int_equal(bdrv_check(blk_bs(blk), &res, 0), 0);
    assert_int_equal(res.corruptions, 0);
    assert_int_equal(res.leaks, 0);
    blk_unref(blk);
}

/* Both compression types: data round-trips, clusters are compressed */
static void test_qcow2_compressed_write_round_trip(void **state)
{
    static const char *const types[] = { "compression_type=zlib",
                                         "compression_type=zstd" };

    for (int i = 0; i < 2; i++) {
        BlockBackend *blk;
        int64_t map0, map1;

        qcow2_test_create("cw", 4 * MiB, types[i]);
        blk = open_rw("cw");
        /* Patterned data compresses; two clusters in one request */
        write_pattern(blk, 0, 128 * KiB, i, BDRV_REQ_WRITE_COMPRESSED);
        expect_pattern(blk, 0, 128 * KiB, i);
        assert_true(status_at(blk, 0, &map0) & BDRV_BLOCK_COMPRESSED);
        assert_true(status_at(blk, 64 * KiB, &map1) & BDRV_BLOCK_COMPRESSED);
        /* A partial overwrite copies from the compressed cluster */
        write_pattern(blk, 1000, 100, 9, 0);
        expect_pattern(blk, 1000, 100, 9);
        blk_unref(blk);
        expect_check_clean("cw");
        blk = open_rw("cw");
        {
            g_autofree uint8_t *e = g_malloc(128 * KiB);
            g_autofree uint8_t *r = g_malloc(128 * KiB);

            qcow2_test_pattern(e, 128 * KiB, i);
            qcow2_test_pattern(e + 1000, 100, 9);
            assert_int_equal(blk_pread(blk, 0, 128 * KiB, r, 0), 0);
            assert_memory_equal(e, r, 128 * KiB);
        }
        blk_unref(blk);
    }
}

/* Small compressed clusters share a host cluster: one reference each */
static void test_qcow2_compressed_clusters_share_host_cluster(void **state)
{
    g_autofree uint8_t *z = g_malloc0(64 * KiB);
    BlockBackend *blk;

    qcow2_test_create("cs", 4 * MiB, NULL);
    blk = open_rw("cs");
    for (int i = 0; i < 4; i++) {
        assert_int_equal(blk_pwrite(blk, i * 64 * KiB, 64 * KiB, z,
                                    BDRV_REQ_WRITE_COMPRESSED), 0);
    }
    blk_unref(blk);
    /* The L2 entries point into the same host cluster */
    {
        uint64_t l1 = qcow2_test_peek64("cs", 40);
        uint64_t l2 = qcow2_test_peek64("cs", l1) & 0x00fffffffffffe00ULL;
        uint64_t e0 = qcow2_test_peek64("cs", l2);
        uint64_t e3 = qcow2_test_peek64("cs", l2 + 24);
        uint64_t mask = (1ULL << 54) - 1;   /* offset bits, 64k clusters */

        assert_true(e0 & (1ULL << 62));
        assert_int_equal((e0 & mask) >> 16, (e3 & mask) >> 16);
        assert_int_not_equal(e0 & mask, e3 & mask);
    }
    expect_check_clean("cs");
    /* Dropping three of four keeps the cluster; the last one frees it */
    blk = open_rw("cs");
    assert_int_equal(blk_pdiscard(blk, 0, 192 * KiB), 0);
    blk_unref(blk);
    expect_check_clean("cs");
}

/* Data that does not shrink is written as a normal cluster */
static void test_qcow2_compressed_write_falls_back(void **state)
{
    g_autofree uint8_t *w = g_malloc(64 * KiB);
    g_autofree uint8_t *r = g_malloc(64 * KiB);
    BlockBackend *blk;
    int64_t map;
    uint32_t x = 12345;

    for (size_t i = 0; i < 64 * KiB; i++) {
        x = x * 1103515245 + 12345;
        w[i] = x >> 24;
    }
    qcow2_test_create("cf", MiB, NULL);
    blk = open_rw("cf");
    assert_int_equal(blk_pwrite(blk, 0, 64 * KiB, w,
                                BDRV_REQ_WRITE_COMPRESSED), 0);
    assert_int_equal(status_at(blk, 0, &map) & BDRV_BLOCK_COMPRESSED, 0);
    assert_true(status_at(blk, 0, &map) & BDRV_BLOCK_DATA);
    assert_int_equal(blk_pread(blk, 0, 64 * KiB, r, 0), 0);
    assert_memory_equal(w, r, 64 * KiB);
    blk_unref(blk);
    expect_check_clean("cf");
}

/* preallocation=metadata maps every cluster; reads are zeroes */
static void test_qcow2_preallocation_metadata(void **state)
{
    g_autofree uint8_t *r = g_malloc(64 * KiB);
    g_autofree uint8_t *z = g_malloc0(64 * KiB);
    BlockBackend *blk;
    int64_t map, prev = -1;

    qcow2_test_create("pm", 2 * MiB, "preallocation=metadata");
    blk = open_rw("pm");
    for (int64_t off = 0; off < 2 * MiB; off += 64 * KiB) {
        int ret = status_at(blk, off, &map);

        assert_true(ret & BDRV_BLOCK_OFFSET_VALID);
        assert_true(map > prev);
        prev = map;
        assert_int_equal(blk_pread(blk, off, 64 * KiB, r, 0), 0);
        assert_memory_equal(r, z, 64 * KiB);
    }
    /* Growing with preallocation maps the new clusters too */
    assert_int_equal(blk_truncate(blk, 3 * MiB, false,
                                  PREALLOC_MODE_METADATA, 0, NULL), 0);
    assert_true(status_at(blk, 3 * MiB - 512, &map) &
                BDRV_BLOCK_OFFSET_VALID);
    blk_unref(blk);
    expect_check_clean("pm");
}

/* Shrinking frees the clusters past the end, the image file shrinks */
static void test_qcow2_shrink_frees_clusters(void **state)
{
    BlockBackend *blk;
    size_t before, after;

    qcow2_test_create("sh", 8 * MiB, "cluster_size=4k");
    blk = open_rw("sh");
    write_pattern(blk, 0, 64 * KiB, 1, 0);
    write_pattern(blk, 6 * MiB, 2 * MiB, 2, 0);
    blk_unref(blk);
    assert_non_null(mem_image_get("sh", &before));
    blk = open_rw("sh");
    assert_int_equal(blk_truncate(blk, MiB, false, PREALLOC_MODE_OFF, 0,
                                  NULL), 0);
    assert_int_equal(blk_getlength(blk), MiB);
    expect_pattern(blk, 0, 64 * KiB, 1);
    /* Growing again shows zeroes where the data was */
    assert_int_equal(blk_truncate(blk, 8 * MiB, false, PREALLOC_MODE_OFF, 0,
                                  NULL), 0);
    {
        g_autofree uint8_t *r = g_malloc(64 * KiB);
        g_autofree uint8_t *z = g_malloc0(64 * KiB);

        assert_int_equal(blk_pread(blk, 7 * MiB, 64 * KiB, r, 0), 0);
        assert_memory_equal(r, z, 64 * KiB);
    }
    blk_unref(blk);
    assert_non_null(mem_image_get("sh", &after));
    assert_true(after + 2 * MiB <= before);
    expect_check_clean("sh");
}

/* Guest data lands in the data file at its guest offset */
static void test_qcow2_data_file_raw(void **state)
{
    g_autofree char *img = tmp_path("df.qcow2");
    g_autofree char *data = tmp_path("df.raw");
    g_autofree char *opts = g_strdup_printf("data_file=%s,data_file_raw=on",
                                            data);
    g_autofree uint8_t *w = g_malloc(4096);
    g_autofree uint8_t *r = g_malloc(4096);
    BlockBackend *blk;
    FILE *f;

    qcow2_test_create(img, 2 * MiB, opts);
    blk = open_rw(img);
    write_pattern(blk, MiB + 512, 4096, 3, 0);
    /* Compressed clusters cannot live in a data file */
    {
        g_autofree uint8_t *z = g_malloc0(64 * KiB);

        assert_int_equal(blk_pwrite(blk, 0, 64 * KiB, z,
                                    BDRV_REQ_WRITE_COMPRESSED), -ENOTSUP);
    }
    blk_unref(blk);
    f = fopen(data, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, MiB + 512, SEEK_SET), 0);
    assert_int_equal(fread(r, 1, 4096, f), 4096);
    fclose(f);
    qcow2_test_pattern(w, 4096, 3);
    assert_memory_equal(w, r, 4096);
    expect_check_clean(img);
}

static void expect_open_error(const char *name, const char *opt,
                              const char *val, const char *msg)
{
    g_autofree char *path = g_strdup_printf("mem:%s", name);
    QDict *opts = qdict_new();
    Error *err = NULL;
    BlockBackend *blk;

    qdict_put_str(opts, "driver", "qcow2");
    qdict_put_str(opts, opt, val);
    blk = blk_new_open(path, NULL, opts, 0, &err);
    assert_null(blk);
    assert_err_contains(err, msg);
    error_free(err);
}

/* Option checks and QEMU's messages */
static void test_qcow2_options_validated(void **state)
{
    g_autofree char *path = g_strdup("mem:op");
    QDict *opts;
    Error *err = NULL;
    BlockBackend *blk;

    qcow2_test_create("op", MiB, NULL);
    expect_open_error("op", "l2-cache-entry-size", "1000",
                      "L2 cache entry size must be a power of two between "
                      "512 and the cluster size (65536)");
    expect_open_error("op", "l2-cache-entry-size", "131072",
                      "L2 cache entry size must be a power of two");
    expect_open_error("op", "cache-clean-interval", "5000000000",
                      "Cache clean interval too big");
    expect_open_error("op", "pass-discard-request", "maybe",
                      "expects 'on' or 'off'");
    opts = qdict_new();
    qdict_put_str(opts, "driver", "qcow2");
    qdict_put_str(opts, "cache-size", "1M");
    qdict_put_str(opts, "l2-cache-size", "2M");
    assert_null(blk_new_open(path, NULL, opts, 0, &err));
    assert_err_contains(err, "l2-cache-size may not exceed cache-size");
    error_free(err);
    err = NULL;
    opts = qdict_new();
    qdict_put_str(opts, "driver", "qcow2");
    qdict_put_str(opts, "cache-size", "1M");
    qdict_put_str(opts, "l2-cache-size", "512k");
    qdict_put_str(opts, "refcount-cache-size", "512k");
    assert_null(blk_new_open(path, NULL, opts, 0, &err));
    assert_err_contains(err, "may not be set at the same time");
    error_free(err);
    err = NULL;
    /* Valid values open */
    opts = qdict_new();
    qdict_put_str(opts, "driver", "qcow2");
    qdict_put_str(opts, "cache-size", "1M");
    qdict_put_str(opts, "l2-cache-entry-size", "4096");
    qdict_put_str(opts, "cache-clean-interval", "0");
    qdict_put_str(opts, "discard-no-unref", "on");
    blk = blk_new_open(path, NULL, opts, BDRV_O_RDWR, &err);
    check_ok(blk != NULL, &err, "open with options");
    blk_unref(blk);
}

/* discard-no-unref: a discarded cluster reads as zeroes but stays mapped */
static void test_qcow2_discard_no_unref_keeps_cluster(void **state)
{
    g_autofree char *path = g_strdup("mem:nu");
    QDict *opts = qdict_new();
    Error *err = NULL;
    BlockBackend *blk;
    int64_t before, after;

    qcow2_test_create("nu", MiB, NULL);
    qdict_put_str(opts, "driver", "qcow2");
    qdict_put_str(opts, "discard-no-unref", "on");
    blk = blk_new_open(path, NULL, opts, BDRV_O_RDWR | BDRV_O_UNMAP, &err);
    check_ok(blk != NULL, &err, "open");
    write_pattern(blk, 0, 64 * KiB, 1, 0);
    assert_true(status_at(blk, 0, &before) & BDRV_BLOCK_DATA);
    assert_int_equal(blk_pdiscard(blk, 0, 64 * KiB), 0);
    assert_true(status_at(blk, 0, &after) & BDRV_BLOCK_ZERO);
    assert_true(status_at(blk, 0, &after) & BDRV_BLOCK_OFFSET_VALID);
    assert_int_equal(before, after);
    blk_unref(blk);
    expect_check_clean("nu");
}

/* A compressed descriptor past the end of the file fails the read */
static void test_qcow2_hostile_compressed_descriptor(void **state)
{
    g_autofree uint8_t *buf = g_malloc(64 * KiB);
    BlockBackend *blk;
    uint64_t l1, l2;

    qcow2_test_create("hc", MiB, NULL);
    blk = open_rw("hc");
    memset(buf, 0, 64 * KiB);
    assert_int_equal(blk_pwrite(blk, 0, 64 * KiB, buf,
                                BDRV_REQ_WRITE_COMPRESSED), 0);
    blk_unref(blk);
    l1 = qcow2_test_peek64("hc", 40);
    l2 = qcow2_test_peek64("hc", l1) & 0x00fffffffffffe00ULL;
    /* Far past the end of the file, every sector bit set */
    qcow2_test_poke64("hc", l2, (1ULL << 62) | (0xffULL << 54) |
                      (1ULL << 50));
    blk = qcow2_test_open("hc", 0, NULL);
    assert_non_null(blk);
    assert_true(blk_pread(blk, 0, 64 * KiB, buf, 0) < 0);
    blk_unref(blk);
    /* Garbage that does not decompress: -EIO */
    qcow2_test_poke64("hc", l2, (1ULL << 62) | 0);
    blk = qcow2_test_open("hc", 0, NULL);
    assert_non_null(blk);
    assert_int_equal(blk_pread(blk, 0, 64 * KiB, buf, 0), -EIO);
    blk_unref(blk);
}

/* 512-byte clusters: offset bits 56-60 of a descriptor must be 0 */
static void test_qcow2_hostile_compressed_offset_bits(void **state)
{
    g_autofree uint8_t *buf = g_malloc(512);
    BlockBackend *blk;
    uint64_t l1, l2, e;

    qcow2_test_create("hb", MiB, "cluster_size=512");
    blk = open_rw("hb");
    memset(buf, 0, 512);
    assert_int_equal(blk_pwrite(blk, 0, 512, buf,
                                BDRV_REQ_WRITE_COMPRESSED), 0);
    blk_unref(blk);
    l1 = qcow2_test_peek64("hb", 40);
    l2 = qcow2_test_peek64("hb", l1) & 0x00fffffffffffe00ULL;
    e = qcow2_test_peek64("hb", l2);
    assert_true(e & (1ULL << 62));
    qcow2_test_poke64("hb", l2, e | (1ULL << 57));
    blk = qcow2_test_open("hb", 0, NULL);
    assert_non_null(blk);
    /* Refused when the entry is looked up, before any read of the data */
    {
        int64_t map;

        assert_int_equal(status_at(blk, 0, &map), -EIO);
    }
    assert_int_equal(blk_pread(blk, 0, 512, buf, 0), -EIO);
    blk_unref(blk);
}

/* Data file name extensions that cannot be a name */
static void test_qcow2_hostile_data_file_extension(void **state)
{
    static const uint8_t ext_empty[8] = { 0x44, 0x41, 0x54, 0x41, 0, 0, 0,
                                          0 };
    static const uint8_t ext_nul[16] = { 0x44, 0x41, 0x54, 0x41, 0, 0, 0, 3,
                                         'a', 0, 'b' };
    Error *err = NULL;

    for (int i = 0; i < 2; i++) {
        qcow2_test_create("hd", MiB, NULL);
        qcow2_test_poke64("hd", 72, 1ULL << 2);
        /* Replace the first extension */
        qcow2_test_poke("hd", 112, i ? ext_nul : ext_empty,
                        i ? sizeof(ext_nul) : sizeof(ext_empty));
        assert_null(qcow2_test_open("hd", 0, &err));
        assert_err_contains(err, i ? "contains a NUL byte" :
                            "External data file name length 0 is invalid");
        error_free(err);
        err = NULL;
    }
    /* data-file-raw without the data file bit */
    qcow2_test_create("hd", MiB, NULL);
    qcow2_test_poke64("hd", 88, 1ULL << 1);
    assert_null(qcow2_test_open("hd", 0, &err));
    assert_err_contains(err, "data-file-raw requires a data file");
    error_free(err);
}

/* Creation refuses what QEMU refuses, with its messages */
static void test_qcow2_create_combinations_refused(void **state)
{
    static const struct {
        const char *opts, *msg;
    } cases[] = {
        { "preallocation=bogus",
          "Parameter 'preallocation' does not accept value 'bogus'" },
        { "data_file_raw=on", "data-file-raw requires data-file" },
        { "data_file=x,compat=0.10", "External data files are only "
          "supported with compatibility level 1.1" },
        { "preallocation=metadata,backing_file=b,backing_fmt=raw",
          "Backing file and preallocation can only be used at the same "
          "time if extended_l2 is on" },
    };

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        g_autofree char *o = g_strdup(cases[i].opts);
        Error *err = NULL;

        bdrv_img_create("mem:cc", "qcow2", NULL, NULL, o, MiB, 0, true,
                        &err);
        assert_non_null(err);
        assert_err_contains(err, cases[i].msg);
        error_free(err);
    }
}

/* Offset of the first L2 entry of mem image @name (one L2 table) */
static uint64_t first_l2_entry(const char *name)
{
    uint64_t l1 = qcow2_test_peek64(name, 40);

    return qcow2_test_peek64(name, l1) & 0x00fffffffffffe00ULL;
}

/* extended_l2: a write allocates only the subclusters it touches */
static void test_qcow2_extended_l2_allocates_subclusters(void **state)
{
    g_autofree uint8_t *r = g_malloc(64 * KiB);
    g_autofree uint8_t *z = g_malloc0(64 * KiB);
    BlockBackend *blk;
    uint64_t l2;
    int64_t map;

    qcow2_test_create("x", MiB, "extended_l2=on");
    blk = open_rw("x");
    /* 2 KiB subclusters: 5000..8000 touches subclusters 2 and 3 */
    write_pattern(blk, 5000, 3000, 4, 0);
    expect_pattern(blk, 5000, 3000, 4);
    assert_int_equal(status_at(blk, 0, &map) & BDRV_BLOCK_DATA, 0);
    assert_true(status_at(blk, 4096, &map) & BDRV_BLOCK_DATA);
    assert_int_equal(status_at(blk, 8192, &map) & BDRV_BLOCK_DATA, 0);
    assert_int_equal(blk_pread(blk, 0, 5000, r, 0), 0);
    assert_memory_equal(r, z, 5000);
    blk_unref(blk);
    l2 = first_l2_entry("x");
    assert_int_equal(qcow2_test_peek64("x", l2 + 8), 0xc);
    expect_check_clean("x");
    /* A zero write marks every subcluster zero */
    blk = open_rw("x");
    assert_int_equal(blk_pwrite_zeroes(blk, 0, 64 * KiB, 0), 0);
    assert_int_equal(blk_pread(blk, 0, 64 * KiB, r, 0), 0);
    assert_memory_equal(r, z, 64 * KiB);
    blk_unref(blk);
    assert_int_equal(qcow2_test_peek64("x", l2 + 8), 0xffffffff00000000ULL);
    expect_check_clean("x");
}

/* Bitmaps the spec forbids are corruption: the read fails with -EIO */
static void test_qcow2_hostile_extended_l2_bitmaps(void **state)
{
    static const struct {
        uint64_t entry_or, bitmap;
    } cases[] = {
        { 0, 0x0000000100000001ULL },      /* allocated and zero */
        { 0, 0x00000000000000f0ULL },      /* allocated, no host cluster */
        { 1, 0 },                          /* zero flag (bit 0) */
        { 1ULL << 62, 1 },                 /* compressed with a bitmap */
    };
    g_autofree uint8_t *buf = g_malloc(4096);

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        BlockBackend *blk;
        uint64_t l2, e;

        qcow2_test_create("xh", MiB, "extended_l2=on");
        blk = open_rw("xh");
        write_pattern(blk, 0, 64 * KiB, 1, 0);
        blk_unref(blk);
        l2 = first_l2_entry("xh");
        e = qcow2_test_peek64("xh", l2);
        if (i == 1) {
            e = 0;
        }
        qcow2_test_poke64("xh", l2, e | cases[i].entry_or);
        qcow2_test_poke64("xh", l2 + 8, cases[i].bitmap);
        blk = qcow2_test_open("xh", 0, NULL);
        assert_non_null(blk);
        assert_int_equal(blk_pread(blk, 0, 4096, buf, 0), -EIO);
        blk_unref(blk);
    }
}

/* Subclusters a write does not touch still read the backing file */
static void test_qcow2_extended_l2_backing(void **state)
{
    BlockBackend *blk;

    qcow2_test_create("xb", MiB, NULL);
    blk = open_rw("xb");
    write_pattern(blk, 0, 64 * KiB, 7, 0);
    blk_unref(blk);
    qcow2_test_create("xt", MiB, "extended_l2=on,backing_file=mem:xb,"
                      "backing_fmt=qcow2");
    blk = open_rw("xt");
    write_pattern(blk, 10000, 100, 8, 0);
    expect_pattern(blk, 10000, 100, 8);
    {
        g_autofree uint8_t *e = g_malloc(64 * KiB);
        g_autofree uint8_t *r = g_malloc(64 * KiB);

        qcow2_test_pattern(e, 64 * KiB, 7);
        assert_int_equal(blk_pread(blk, 0, 10000, r, 0), 0);
        assert_memory_equal(e, r, 10000);
        assert_int_equal(blk_pread(blk, 20000, 40000, r, 0), 0);
        assert_memory_equal(e + 20000, r, 40000);
    }
    blk_unref(blk);
    expect_check_clean("xt");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_qcow2_compressed_write_round_trip),
        T(test_qcow2_compressed_clusters_share_host_cluster),
        T(test_qcow2_compressed_write_falls_back),
        T(test_qcow2_preallocation_metadata),
        T(test_qcow2_shrink_frees_clusters),
        T(test_qcow2_data_file_raw),
        T(test_qcow2_options_validated),
        T(test_qcow2_discard_no_unref_keeps_cluster),
        T(test_qcow2_hostile_compressed_descriptor),
        T(test_qcow2_hostile_compressed_offset_bits),
        T(test_qcow2_hostile_data_file_extension),
        T(test_qcow2_create_combinations_refused),
        T(test_qcow2_extended_l2_allocates_subclusters),
        T(test_qcow2_hostile_extended_l2_bitmaps),
        T(test_qcow2_extended_l2_backing),
    };

    return test_common_run_group(tests, test_common_group_setup,
                                 test_common_group_teardown_mem);
}
