/*
 * qcow2 interop with the reference implementation (Debian's qemu-img /
 * qemu-io), both directions: images created and written by drydock pass
 * `qemu-img check` and read back through qemu-io; images made by qemu-img
 * and written by qemu-io (plain, zero writes, backing file, compressed
 * with zlib and zstd, snapshots, bitmaps) read identically through
 * drydock.  Without qemu-io every test is skipped.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sys/wait.h>

#include "interop-common.h"
#include "qcow2-common.h"
#include "test-common.h"

/* Run a shell command quietly; its exit status */
#define run interop_run

static void fill(uint8_t *buf, size_t len, uint8_t byte)
{
    memset(buf, byte, len);
}

/* Reads of [offset, offset + len) through drydock are all @byte */
static void expect_bytes(BlockBackend *blk, int64_t offset, size_t len,
                         uint8_t byte)
{
    g_autofree uint8_t *r = g_malloc(len);
    g_autofree uint8_t *e = g_malloc(len);

    fill(e, len, byte);
    assert_int_equal(blk_pread(blk, offset, len, r, 0), 0);
    assert_memory_equal(r, e, len);
}

static void write_bytes(BlockBackend *blk, int64_t offset, size_t len,
                        uint8_t byte)
{
    g_autofree uint8_t *w = g_malloc(len);

    fill(w, len, byte);
    assert_int_equal(blk_pwrite(blk, offset, len, w, 0), 0);
}

/* drydock's check of @path: no corruption, no leak */
static void expect_drydock_check_clean(const char *path)
{
    BdrvCheckResult res;
    Error *err = NULL;
    BlockBackend *blk = qcow2_test_open(path, 0, &err);

    check_ok(blk != NULL, &err, "open for check");
    assert_int_equal(bdrv_check(blk_bs(blk), &res, 0), 0);
    assert_int_equal(res.corruptions, 0);
    assert_int_equal(res.leaks, 0);
    assert_int_equal(res.check_errors, 0);
    blk_unref(blk);
}

/* drydock creates and writes; qemu-img check is clean, qemu-io reads */
static void drydock_writes_qemu_reads(const char *options)
{
    g_autofree char *img = tmp_path("dd.qcow2");
    Error *err = NULL;
    BlockBackend *blk;

    qcow2_test_create(img, 4 * 1024 * KiB, options);
    blk = qcow2_test_open(img, BDRV_O_RDWR | BDRV_O_UNMAP, &err);
    check_ok(blk != NULL, &err, "open");
    write_bytes(blk, 0, 64 * KiB, 0x11);
    write_bytes(blk, 100 * KiB + 7, 5000, 0x22);         /* partial */
    write_bytes(blk, 1024 * KiB - 512, 200 * KiB, 0x33); /* spans tables */
    assert_int_equal(blk_pwrite_zeroes(blk, 0, 64 * KiB, 0), 0);
    write_bytes(blk, 3 * 1024 * KiB, 128 * KiB, 0x44);
    assert_int_equal(blk_pdiscard(blk, 3 * 1024 * KiB, 64 * KiB), 0);
    blk_unref(blk);
    assert_int_equal(run("qemu-img check -f qcow2 %s", img), 0);
    expect_drydock_check_clean(img);
    /* qemu-io fails (1) when a pattern does not match */
    assert_int_equal(run("qemu-io -f qcow2 -r -c 'read -P 0 0 64k' "
                         "-c 'read -P 0x22 %ld 5000' -c 'read -P 0 100k 7' "
                         "-c 'read -P 0x33 %ld 200k' "
                         "-c 'read -P 0 3M 64k' -c 'read -P 0x44 3136k 64k' "
                         "%s", (long)(100 * KiB + 7),
                         (long)(1024 * KiB - 512), img), 0);
}

static void test_interop_qcow2_drydock_image_passes_qemu_check(void **state)
{
    drydock_writes_qemu_reads(NULL);
    drydock_writes_qemu_reads("compat=0.10,cluster_size=4096");
    drydock_writes_qemu_reads("cluster_size=512,refcount_bits=1");
}

/* qemu-img/qemu-io make the image, drydock reads it */
static void test_interop_qcow2_qemu_image_reads_in_drydock(void **state)
{
    g_autofree char *base = tmp_path("qb.qcow2");
    g_autofree char *top = tmp_path("qt.qcow2");
    g_autofree char *comp = tmp_path("qc.qcow2");
    g_autofree char *zstd = tmp_path("qz.qcow2");
    Error *err = NULL;
    BlockBackend *blk;

    assert_int_equal(run("qemu-img create -f qcow2 %s 2M", base), 0);
    assert_int_equal(run("qemu-io -f qcow2 -c 'write -P 0x5a 0 192k' "
                         "-c 'write -z 64k 64k' -c 'write -P 0x6b 1M 1000' "
                         "%s", base), 0);
    assert_int_equal(run("qemu-img create -f qcow2 -b %s -F qcow2 %s",
                         base, top), 0);
    assert_int_equal(run("qemu-io -f qcow2 -c 'write -P 0x7c 130k 2k' "
                         "-c 'write -z -u 1M 64k' %s", top), 0);
    assert_int_equal(run("qemu-img convert -c -O qcow2 %s %s", top, comp),
                     0);
    assert_int_equal(run("qemu-img convert -c -O qcow2 -o "
                         "compression_type=zstd %s %s", top, zstd), 0);

    blk = qcow2_test_open(top, 0, &err);
    check_ok(blk != NULL, &err, "open top");
    assert_non_null(blk_bs(blk)->backing);
    expect_bytes(blk, 0, 64 * KiB, 0x5a);
    expect_bytes(blk, 64 * KiB, 64 * KiB, 0);
    expect_bytes(blk, 128 * KiB, 2 * KiB, 0x5a);
    expect_bytes(blk, 130 * KiB, 2 * KiB, 0x7c);
    expect_bytes(blk, 132 * KiB, 60 * KiB, 0x5a);
    expect_bytes(blk, 1024 * KiB, 1000, 0);
    blk_unref(blk);

    expect_drydock_check_clean(base);
    expect_drydock_check_clean(top);
    expect_drydock_check_clean(comp);
    expect_drydock_check_clean(zstd);
    for (int i = 0; i < 2; i++) {
        blk = qcow2_test_open(i ? zstd : comp, 0, &err);
        check_ok(blk != NULL, &err, "open compressed");
        expect_bytes(blk, 0, 64 * KiB, 0x5a);
        expect_bytes(blk, 64 * KiB, 64 * KiB, 0);
        expect_bytes(blk, 130 * KiB, 2 * KiB, 0x7c);
        expect_bytes(blk, 132 * KiB, 60 * KiB, 0x5a);
        expect_bytes(blk, 1024 * KiB, 64 * KiB, 0);
        blk_unref(blk);
    }
}

/*
 * Clusters and L2 tables shared with a qemu-img snapshot: drydock's writes
 * copy them, refcounts stay right, the snapshot keeps its data.
 */
static void test_interop_qcow2_writes_over_qemu_snapshot(void **state)
{
    g_autofree char *img = tmp_path("qs.qcow2");
    Error *err = NULL;
    BlockBackend *blk;

    assert_int_equal(run("qemu-img create -f qcow2 %s 1M", img), 0);
    assert_int_equal(run("qemu-io -f qcow2 -c 'write -P 0x21 0 256k' %s",
                         img), 0);
    assert_int_equal(run("qemu-img snapshot -c s1 %s", img), 0);
    blk = qcow2_test_open(img, BDRV_O_RDWR | BDRV_O_UNMAP, &err);
    check_ok(blk != NULL, &err, "open");
    {
        QEMUSnapshotInfo *sn = NULL;

        assert_int_equal(bdrv_snapshot_list(blk_bs(blk), &sn), 1);
        assert_string_equal(sn[0].name, "s1");
        assert_string_equal(sn[0].id_str, "1");
        g_free(sn);
    }
    write_bytes(blk, 1000, 100, 0x31);                   /* COW in cluster */
    write_bytes(blk, 64 * KiB, 64 * KiB, 0x32);          /* whole cluster */
    assert_int_equal(blk_pwrite_zeroes(blk, 128 * KiB, 64 * KiB, 0), 0);
    assert_int_equal(blk_pdiscard(blk, 192 * KiB, 64 * KiB), 0);
    expect_bytes(blk, 0, 1000, 0x21);
    expect_bytes(blk, 1000, 100, 0x31);
    blk_unref(blk);
    assert_int_equal(run("qemu-img check -f qcow2 %s", img), 0);
    assert_int_equal(run("qemu-io -f qcow2 -r -c 'read -P 0x21 0 1000' "
                         "-c 'read -P 0x31 1000 100' -c 'read -P 0x32 64k "
                         "64k' -c 'read -P 0 128k 128k' %s", img), 0);
    expect_drydock_check_clean(img);
    assert_int_equal(run("qemu-img snapshot -a s1 %s", img), 0);
    assert_int_equal(run("qemu-io -f qcow2 -r -c 'read -P 0x21 0 256k' %s",
                         img), 0);
    assert_int_equal(run("qemu-img check -f qcow2 %s", img), 0);
}

/* A qemu-img bitmap survives drydock's writes, marked in use; no leaks */
static void test_interop_qcow2_bitmaps_preserved_in_use(void **state)
{
    g_autofree char *img = tmp_path("qbm.qcow2");
    char out[4096];
    Error *err = NULL;
    BlockBackend *blk;
    FILE *p;
    size_t n;
    g_autofree char *cmd = NULL;

    assert_int_equal(run("qemu-img create -f qcow2 %s 1M", img), 0);
    assert_int_equal(run("qemu-img bitmap --add %s b0", img), 0);
    blk = qcow2_test_open(img, BDRV_O_RDWR, &err);
    check_ok(blk != NULL, &err, "open");
    write_bytes(blk, 0, 64 * KiB, 0x42);
    blk_unref(blk);
    assert_int_equal(run("qemu-img check -f qcow2 %s", img), 0);
    expect_drydock_check_clean(img);
    cmd = g_strdup_printf("qemu-img info -f qcow2 %s", img);
    p = popen(cmd, "r");
    assert_non_null(p);
    n = fread(out, 1, sizeof(out) - 1, p);
    out[n] = 0;
    pclose(p);
    assert_non_null(strstr(out, "name: b0"));
    assert_non_null(strstr(out, "in-use"));
}

/* The reference implementation is a dependency: missing fails the suite */
static int interop_qcow2_group_setup(void **state)
{
    if (interop_require_reference_tools() < 0) {
        return -1;
    }
    return test_common_group_setup(state);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_interop_qcow2_drydock_image_passes_qemu_check),
        T(test_interop_qcow2_qemu_image_reads_in_drydock),
        T(test_interop_qcow2_writes_over_qemu_snapshot),
        T(test_interop_qcow2_bitmaps_preserved_in_use),
    };

    return test_common_run_group(tests, interop_qcow2_group_setup,
                                 test_common_group_teardown_mem);
}
