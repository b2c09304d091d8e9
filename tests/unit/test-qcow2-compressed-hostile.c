/*
 * Compressed clusters whose bytes are hostile: garbage where the deflate
 * or zstd data should be, or a valid stream that ends before the cluster
 * is full.  Reading such a cluster fails with -EIO (the image reported
 * corrupt), never a crash or a short cluster padded with stale memory;
 * the other clusters still read.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <zlib.h>
#include <zstd.h>

#include "block/mem.h"
#include "qcow2-common.h"
#include "test-common.h"

#define IMG "chostile"
#define CLUSTER 65536
#define L1_OFF 0x30000
/* 64 KiB clusters: the compressed sector count starts at bit 54 */
#define CSIZE_SHIFT 54

/* Cluster 0 compressed with @type, cluster 1 plain, both of 'A's */
static void make_image(const char *type)
{
    g_autofree char *opts = g_strdup_printf("compression_type=%s", type);
    g_autofree uint8_t *buf = g_malloc(2 * CLUSTER);
    Error *err = NULL;
    BlockBackend *blk;

    qcow2_test_create(IMG, MiB, opts);
    blk = qcow2_test_open(IMG, BDRV_O_RDWR, &err);
    check_ok(blk != NULL, &err, "open");
    memset(buf, 0x41, 2 * CLUSTER);
    assert_int_equal(
        blk_pwrite(blk, 0, CLUSTER, buf, BDRV_REQ_WRITE_COMPRESSED), 0);
    assert_int_equal(blk_pwrite(blk, CLUSTER, CLUSTER, buf, 0), 0);
    blk_unref(blk);
}

/* Where guest cluster 0's compressed bytes are */
static uint64_t compressed_offset(void)
{
    uint64_t l2 = qcow2_test_peek64(IMG, L1_OFF) & 0x00fffffffffffe00ULL;
    uint64_t l2e = qcow2_test_peek64(IMG, l2);

    assert_true(l2e & (1ULL << 62));
    return l2e & ((1ULL << CSIZE_SHIFT) - 1);
}

/* Reading cluster 0 fails with -EIO, cluster 1 still reads */
static void expect_cluster0_unreadable(void)
{
    g_autofree uint8_t *buf = g_malloc(CLUSTER);
    Error *err = NULL;
    BlockBackend *blk = qcow2_test_open(IMG, 0, &err);

    check_ok(blk != NULL, &err, "open");
    assert_int_equal(blk_pread(blk, 0, CLUSTER, buf, 0), -EIO);
    assert_int_equal(blk_pread(blk, CLUSTER, CLUSTER, buf, 0), 0);
    assert_int_equal(buf[CLUSTER - 1], 0x41);
    blk_unref(blk);
}

static void poke_garbage(void)
{
    uint8_t junk[64];

    memset(junk, 0xff, sizeof(junk));
    qcow2_test_poke(IMG, compressed_offset(), junk, sizeof(junk));
}

static void test_zlib_garbage(void **state)
{
    make_image("zlib");
    poke_garbage();
    expect_cluster0_unreadable();
}

static void test_zstd_garbage(void **state)
{
    make_image("zstd");
    poke_garbage();
    expect_cluster0_unreadable();
}

/* A raw deflate stream of only 1 KiB where a cluster's worth should be */
static void test_zlib_stream_too_short(void **state)
{
    uint8_t in[1024], out[256];
    z_stream z = {0};

    make_image("zlib");
    memset(in, 0x42, sizeof(in));
    assert_int_equal(deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -12, 9,
                                  Z_DEFAULT_STRATEGY),
                     Z_OK);
    z.next_in = in;
    z.avail_in = sizeof(in);
    z.next_out = out;
    z.avail_out = sizeof(out);
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    qcow2_test_poke(IMG, compressed_offset(), out, z.total_out);
    deflateEnd(&z);
    expect_cluster0_unreadable();
}

/* A complete zstd frame of 1 KiB: the cluster would come out short */
static void test_zstd_frame_too_short(void **state)
{
    uint8_t in[1024], out[256];
    size_t n;

    make_image("zstd");
    memset(in, 0x42, sizeof(in));
    n = ZSTD_compress(out, sizeof(out), in, sizeof(in), 1);
    assert_false(ZSTD_isError(n));
    qcow2_test_poke(IMG, compressed_offset(), out, n);
    expect_cluster0_unreadable();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_zlib_garbage),
        T(test_zstd_garbage),
        T(test_zlib_stream_too_short),
        T(test_zstd_frame_too_short),
    };

    return test_common_run_group(tests, test_common_group_setup,
                                 test_common_group_teardown_mem);
}
