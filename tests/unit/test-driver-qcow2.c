/*
 * Unit tests of the qcow2 driver over mem nodes: creation, I/O round
 * trips (allocation, copy-on-write, zero writes, discard, backing files,
 * growth of the L1 and refcount tables), block status.
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
    BlockBackend *blk = qcow2_test_open(name, BDRV_O_RDWR, &err);

    check_ok(blk != NULL, &err, "open qcow2");
    return blk;
}

/* Write @len bytes of pattern @seed at @offset, read them back */
static void write_check(BlockBackend *blk, int64_t offset, size_t len,
                        int seed)
{
    g_autofree uint8_t *w = g_malloc(len);
    g_autofree uint8_t *r = g_malloc(len);

    qcow2_test_pattern(w, len, seed);
    assert_int_equal(blk_pwrite(blk, offset, len, w, 0), 0);
    assert_int_equal(blk_pread(blk, offset, len, r, 0), 0);
    assert_memory_equal(w, r, len);
}

static void expect_zero(BlockBackend *blk, int64_t offset, size_t len)
{
    g_autofree uint8_t *r = g_malloc(len);
    g_autofree uint8_t *z = g_malloc0(len);

    assert_int_equal(blk_pread(blk, offset, len, r, 0), 0);
    assert_memory_equal(r, z, len);
}

static void test_qcow2_create_and_reopen(void **state)
{
    BlockBackend *blk;

    qcow2_test_create("c", 4 * MiB, NULL);
    assert_int_equal(qcow2_test_peek64("c", 0) >> 32, 0x514649fb);
    blk = open_rw("c");
    assert_int_equal(blk_getlength(blk), 4 * MiB);
    assert_string_equal(bdrv_get_format_name(blk_bs(blk)), "qcow2");
    expect_zero(blk, 0, 65536);
    blk_unref(blk);
}

static void test_qcow2_write_read_round_trip(void **state)
{
    BlockBackend *blk;

    qcow2_test_create("rt", 8 * MiB, NULL);
    blk = open_rw("rt");
    write_check(blk, 0, 65536, 1);
    write_check(blk, 3 * 65536 + 512, 1000, 2);       /* partial: COW */
    write_check(blk, 5 * MiB - 4096, 3 * 65536, 3);   /* spans clusters */
    blk_unref(blk);
    /* The data survives a reopen (caches written back) */
    blk = open_rw("rt");
    {
        uint8_t w[1000], r[1000];

        qcow2_test_pattern(w, sizeof(w), 2);
        assert_int_equal(blk_pread(blk, 3 * 65536 + 512, 1000, r, 0), 0);
        assert_memory_equal(w, r, 1000);
    }
    expect_zero(blk, 3 * 65536, 512);
    expect_zero(blk, 7 * MiB, 65536);
    blk_unref(blk);
}

static void test_qcow2_small_clusters_grow_refcount_table(void **state)
{
    BlockBackend *blk;
    g_autofree uint8_t *buf = g_malloc(MiB);
    g_autofree uint8_t *r = g_malloc(MiB);

    /* 512-byte clusters, 64-bit refcounts: one table cluster covers 2 MiB */
    qcow2_test_create("small", 8 * MiB, "cluster_size=512,refcount_bits=64");
    blk = open_rw("small");
    for (int i = 0; i < 6; i++) {
        qcow2_test_pattern(buf, MiB, i);
        assert_int_equal(blk_pwrite(blk, (int64_t)i * MiB, MiB, buf, 0), 0);
    }
    blk_unref(blk);
    blk = open_rw("small");
    for (int i = 0; i < 6; i++) {
        qcow2_test_pattern(buf, MiB, i);
        assert_int_equal(blk_pread(blk, (int64_t)i * MiB, MiB, r, 0), 0);
        assert_memory_equal(buf, r, MiB);
    }
    blk_unref(blk);
}

static void test_qcow2_refcount_widths(void **state)
{
    static const char *const widths[] = { "1", "2", "4", "8", "16", "32",
                                          "64" };

    for (size_t i = 0; i < ARRAY_SIZE(widths); i++) {
        g_autofree char *o = g_strdup_printf("refcount_bits=%s,"
                                             "cluster_size=4096", widths[i]);
        BlockBackend *blk;

        qcow2_test_create("w", 2 * MiB, o);
        blk = open_rw("w");
        write_check(blk, 4096, 3 * 4096, (int)i);
        write_check(blk, 1 * MiB, 100, (int)i + 1);
        blk_unref(blk);
        mem_image_delete("w");
    }
}

static void test_qcow2_zero_write_and_discard(void **state)
{
    BlockBackend *blk;
    int64_t pnum, map;
    BlockDriverState *file;
    int ret;

    qcow2_test_create("z", 4 * MiB, NULL);
    blk = open_rw("z");
    write_check(blk, 0, 4 * 65536, 5);
    assert_int_equal(blk_pwrite_zeroes(blk, 65536, 65536, 0), 0);
    expect_zero(blk, 65536, 65536);
    ret = bdrv_block_status(blk_bs(blk), 65536, 65536, &pnum, &map, &file);
    expect_true(ret & BDRV_BLOCK_ZERO);
    /* A partial zero write falls back to writing zeroes */
    assert_int_equal(blk_pwrite_zeroes(blk, 2 * 65536 + 100, 200, 0), 0);
    expect_zero(blk, 2 * 65536 + 100, 200);
    assert_int_equal(blk_pdiscard(blk, 3 * 65536, 65536), 0);
    blk_unref(blk);
    end_test();
}

static void test_qcow2_block_status_maps_offsets(void **state)
{
    BlockBackend *blk;
    int64_t pnum, map;
    BlockDriverState *file;
    int ret;

    qcow2_test_create("bs", 4 * MiB, NULL);
    blk = open_rw("bs");
    write_check(blk, 65536, 2 * 65536, 9);
    ret = bdrv_block_status(blk_bs(blk), 65536, 4 * 65536, &pnum, &map,
                            &file);
    expect_true(ret & BDRV_BLOCK_DATA);
    expect_true(ret & BDRV_BLOCK_OFFSET_VALID);
    expect_int(pnum, 2 * 65536);
    /* header, reftable, refblock, L1, L2, then the data */
    expect_int(map, 5 * 65536);
    expect_true(file == blk_bs(blk)->file->bs);
    ret = bdrv_block_status(blk_bs(blk), 0, 65536, &pnum, &map, &file);
    expect_false(ret & BDRV_BLOCK_DATA);
    blk_unref(blk);
    end_test();
}

static void test_qcow2_backing_cow(void **state)
{
    BlockBackend *base, *top;
    QDict *opts;
    Error *err = NULL;
    uint8_t b[65536], r[65536];

    qcow2_test_create("base", 2 * MiB, NULL);
    base = open_rw("base");
    write_check(base, 0, 2 * 65536, 11);
    blk_unref(base);
    qcow2_test_create("top", 2 * MiB,
                      "backing_file=mem:base,backing_fmt=qcow2");
    opts = qdict_new();
    qdict_put_str(opts, "driver", "qcow2");
    top = blk_new_open("mem:top", NULL, opts, BDRV_O_RDWR, &err);
    check_ok(top != NULL, &err, "open top");
    assert_non_null(blk_bs(top)->backing);
    /* Unallocated: the backing file's data */
    qcow2_test_pattern(b, sizeof(b), 11);
    assert_int_equal(blk_pread(top, 0, 65536, r, 0), 0);
    assert_memory_equal(b, r, 65536);
    /* A partial write copies the rest of the cluster from the backing file */
    memset(b + 100, 0xaa, 50);
    assert_int_equal(blk_pwrite(top, 100, 50, b + 100, 0), 0);
    assert_int_equal(blk_pread(top, 0, 65536, r, 0), 0);
    assert_memory_equal(b, r, 65536);
    /* A zero write hides the backing file */
    assert_int_equal(blk_pwrite_zeroes(top, 65536, 65536, 0), 0);
    expect_zero(top, 65536, 65536);
    blk_unref(top);
}

static void test_qcow2_truncate_grows(void **state)
{
    BlockBackend *blk;
    Error *err = NULL;

    qcow2_test_create("t", MiB, "cluster_size=512");
    blk = qcow2_test_open("t", BDRV_O_RDWR | BDRV_O_RESIZE, &err);
    check_ok(blk != NULL, &err, "open");
    write_check(blk, 1000, 10, 1);
    check_ok(blk_truncate(blk, 64 * MiB, false, PREALLOC_MODE_OFF, 0,
                          &err) == 0, &err, "grow");
    assert_int_equal(blk_getlength(blk), 64 * MiB);
    write_check(blk, 63 * MiB, 4096, 2);
    /* Shrinking with preallocation is refused, as QEMU does */
    assert_int_not_equal(blk_truncate(blk, MiB, false, PREALLOC_MODE_FULL, 0,
                                      &err), 0);
    assert_err_contains(err, "Preallocation can't be used for shrinking");
    error_free(err);
    err = NULL;
    blk_unref(blk);
    blk = open_rw("t");
    assert_int_equal(blk_getlength(blk), 64 * MiB);
    blk_unref(blk);
    end_test();
}

static void test_qcow2_cluster_size_reported(void **state)
{
    BlockBackend *blk;
    BlockDriverInfo bdi;

    qcow2_test_create("i", MiB, "cluster_size=4096");
    blk = open_rw("i");
    assert_int_equal(bdrv_get_info(blk_bs(blk), &bdi), 0);
    assert_int_equal(bdi.cluster_size, 4096);
    assert_int_equal(bdrv_has_zero_init(blk_bs(blk)), 1);
    blk_unref(blk);
}

static void test_qcow2_v2_round_trip(void **state)
{
    BlockBackend *blk;

    qcow2_test_create("v2", 2 * MiB, "compat=0.10");
    assert_int_equal(qcow2_test_peek64("v2", 0) & 0xffffffff, 2);
    blk = open_rw("v2");
    write_check(blk, 65536 + 10, 70000, 4);
    assert_int_equal(blk_pwrite_zeroes(blk, 0, 65536, 0), 0);
    expect_zero(blk, 0, 65536);
    blk_unref(blk);
}

/* Two L2 tables of cache for twelve: evictions write tables back */
static void test_qcow2_small_l2_cache_evicts(void **state)
{
    BlockBackend *blk;
    QDict *opts = qdict_new();
    Error *err = NULL;

    /* 4 KiB clusters: one L2 table maps 2 MiB */
    qcow2_test_create("lc", 24 * MiB, "cluster_size=4096");
    qdict_put_str(opts, "driver", "qcow2");
    qdict_put_str(opts, "l2-cache-size", "8192");
    qdict_put_str(opts, "refcount-cache-size", "8192");
    blk = blk_new_open("mem:lc", NULL, opts, BDRV_O_RDWR, &err);
    check_ok(blk != NULL, &err, "open");
    for (int i = 0; i < 12; i++) {
        write_check(blk, (int64_t)i * 2 * MiB + 4096 * i, 5000, i);
    }
    for (int i = 0; i < 12; i++) {
        g_autofree uint8_t *w = g_malloc(5000);
        g_autofree uint8_t *r = g_malloc(5000);

        qcow2_test_pattern(w, 5000, i);
        assert_int_equal(blk_pread(blk, (int64_t)i * 2 * MiB + 4096 * i,
                                   5000, r, 0), 0);
        assert_memory_equal(w, r, 5000);
    }
    blk_unref(blk);
}

/* The "Formatting ..." line lists the options in qemu-img's order */
static void test_qcow2_create_options_print_in_qemu_img_order(void **state)
{
    QemuOpts *opts = qemu_opts_create(bdrv_find_format("qcow2")->create_opts,
                                      NULL, 0, &error_abort);
    g_autofree char *line = NULL;

    qemu_opt_set(opts, "size", "1048576", &error_abort);
    line = qemu_opts_print_str(opts, " ");
    assert_string_equal(line, "cluster_size=65536 extended_l2=off "
                        "compression_type=zlib size=1048576 "
                        "lazy_refcounts=off refcount_bits=16");
    g_free(g_steal_pointer(&line));
    qemu_opt_set(opts, "compat", "0.10", &error_abort);
    qemu_opt_set(opts, "backing_file", "b.img", &error_abort);
    qemu_opt_set(opts, "backing_fmt", "raw", &error_abort);
    line = qemu_opts_print_str(opts, " ");
    assert_string_equal(line, "cluster_size=65536 extended_l2=off "
                        "compression_type=zlib size=1048576 compat=0.10 "
                        "backing_file=b.img backing_fmt=raw "
                        "lazy_refcounts=off refcount_bits=16");
    qemu_opts_del(opts);
}

typedef struct ConcurrentWrite {
    int done;
    int ret;
} ConcurrentWrite;

static void concurrent_write_cb(void *opaque, int ret)
{
    ConcurrentWrite *c = opaque;

    c->done++;
    c->ret = c->ret ? c->ret : ret;
}

/*
 * Sixteen writes in flight on a file image, several sharing a cluster
 * (each allocates or copies it): every write lands, none is lost.
 */
static void test_qcow2_concurrent_writes_share_clusters(void **state)
{
    enum { N = 16, LEN = 40000, STRIDE = 50000 };
    g_autofree char *img = tmp_path("conc.qcow2");
    g_autofree uint8_t *bufs = g_malloc(N * LEN);
    QEMUIOVector qiov[N];
    ConcurrentWrite c = { 0 };
    BlockBackend *blk;
    Error *err = NULL;

    qcow2_test_create(img, 2 * MiB, NULL);
    blk = qcow2_test_open(img, BDRV_O_RDWR, &err);
    check_ok(blk != NULL, &err, "open");
    for (int i = 0; i < N; i++) {
        qcow2_test_pattern(bufs + i * LEN, LEN, i + 1);
        qemu_iovec_init_buf(&qiov[i], bufs + i * LEN, LEN);
        blk_aio_pwritev(blk, (int64_t)i * STRIDE, &qiov[i], 0,
                        concurrent_write_cb, &c);
    }
    while (c.done < N) {
        aio_poll(qemu_get_aio_context(), true);
    }
    assert_int_equal(c.ret, 0);
    blk_unref(blk);
    blk = qcow2_test_open(img, 0, &err);
    check_ok(blk != NULL, &err, "reopen");
    for (int i = 0; i < N; i++) {
        uint8_t r[LEN];

        assert_int_equal(blk_pread(blk, (int64_t)i * STRIDE, LEN, r, 0), 0);
        assert_memory_equal(r, bufs + i * LEN, LEN);
    }
    expect_zero(blk, LEN, STRIDE - LEN);
    blk_unref(blk);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_qcow2_create_and_reopen),
        T(test_qcow2_write_read_round_trip),
        T(test_qcow2_small_clusters_grow_refcount_table),
        T(test_qcow2_refcount_widths),
        T(test_qcow2_zero_write_and_discard),
        T(test_qcow2_block_status_maps_offsets),
        T(test_qcow2_backing_cow),
        T(test_qcow2_truncate_grows),
        T(test_qcow2_cluster_size_reported),
        T(test_qcow2_v2_round_trip),
        T(test_qcow2_small_l2_cache_evicts),
        T(test_qcow2_create_options_print_in_qemu_img_order),
        T(test_qcow2_concurrent_writes_share_clusters),
    };

    return test_common_run_group(tests, test_common_group_setup,
                                 test_common_group_teardown_mem);
}
