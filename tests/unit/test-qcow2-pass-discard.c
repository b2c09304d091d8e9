/*
 * qcow2's pass-discard-snapshot and pass-discard-other: clusters freed by a
 * snapshot operation (on by default, as in QEMU) or by anything else (off
 * by default) are discarded in the image file, so its allocated size
 * shrinks; told off, the file keeps them.  A freed cluster that is
 * allocated again before the discard is issued keeps its new data.
 * Images are real files (the allocated size is st_blocks) checked and read
 * back through qemu-img/qemu-io.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/bswap.h"
#include "util/qdict.h"
#include "qcow2-common.h"
#include "test-common.h"

#define DATA (2 * MiB)

/* Open @path with qcow2 options @opts ("key=value,..." or NULL) */
static BlockBackend *open_with(const char *path, const char *opts)
{
    QDict *options = qdict_new();
    g_autofree char *copy = g_strdup(opts ? opts : "");
    BlockBackend *blk;
    Error *err = NULL;

    qdict_put_str(options, "driver", "qcow2");
    for (char *kv = strtok(copy, ","); kv; kv = strtok(NULL, ",")) {
        char *eq = strchr(kv, '=');

        assert_non_null(eq);
        *eq = '\0';
        qdict_put_str(options, kv, eq + 1);
    }
    blk = blk_new_open(path, NULL, options, BDRV_O_RDWR | BDRV_O_RESIZE,
                       &err);
    check_ok(blk != NULL, &err, "open");
    return blk;
}

static int64_t allocated_bytes(const char *path)
{
    struct stat st;

    assert_int_equal(stat(path, &st), 0);
    return (int64_t)st.st_blocks * 512;
}

static void write_pattern(BlockBackend *blk, int64_t offset, int64_t bytes,
                          int seed)
{
    g_autofree uint8_t *buf = g_malloc(bytes);

    memset(buf, seed, bytes);
    assert_int_equal(blk_pwrite(blk, offset, bytes, buf, 0), 0);
}

static void expect_clean_and_reads(const char *path, int seed)
{
    assert_int_equal(qcow2_test_sh("qemu-img check -q %s && qemu-io -f qcow2 "
                                   "-c 'read -P %d 0 %d' %s >/dev/null",
                                   path, seed, (int)DATA, path), 0);
}

/*
 * Data, a snapshot, the data overwritten (copied on write), then the
 * snapshot deleted with @opts; the file's allocated bytes before and after
 * the delete
 */
static void snapshot_delete_workload(const char *path, const char *opts,
                                     int64_t *before, int64_t *after)
{
    QEMUSnapshotInfo sn = { .name = "s1" };
    BlockBackend *blk;
    Error *err = NULL;

    assert_int_equal(qcow2_test_sh("qemu-img create -q -f qcow2 %s 64M",
                                   path), 0);
    blk = open_with(path, opts);
    write_pattern(blk, 0, DATA, 1);
    assert_int_equal(bdrv_snapshot_create(blk_bs(blk), &sn), 0);
    write_pattern(blk, 0, DATA, 2);
    blk_unref(blk);
    *before = allocated_bytes(path);

    blk = open_with(path, opts);
    check_ok(bdrv_snapshot_delete(blk_bs(blk), NULL, "s1", &err) == 0, &err,
             "snapshot delete");
    blk_unref(blk);
    *after = allocated_bytes(path);
    expect_clean_and_reads(path, 2);
}

static void test_snapshot_delete_discards_by_default(void **state)
{
    g_autofree char *path = tmp_path("snap-default.qcow2");
    int64_t before, after;

    snapshot_delete_workload(path, NULL, &before, &after);
    /* The snapshot's 2 MiB of data went back to the filesystem */
    assert_true(before - after >= DATA);
}

static void test_snapshot_delete_keeps_space_when_off(void **state)
{
    g_autofree char *path = tmp_path("snap-off.qcow2");
    int64_t before, after;

    snapshot_delete_workload(path, "pass-discard-snapshot=off", &before,
                             &after);
    /* (the filesystem's own extent blocks may come and go) */
    assert_true(before - after < DATA / 2);
}

/* Is byte @offset of @path in a hole (SEEK_DATA moves past it)? */
static bool in_hole(const char *path, int64_t offset)
{
    int fd = open(path, O_RDONLY);
    off_t data;

    assert_true(fd >= 0);
    data = lseek(fd, offset, SEEK_DATA);
    close(fd);
    return data != offset;
}

/*
 * Growing the disk past what one L1 cluster maps moves the L1 table: the
 * old one is freed for "other" reasons, discarded only when that passes.
 * Whether its cluster became a hole in the file (allocated sizes would
 * also count the filesystem's extent blocks): true or false.
 */
static bool l1_move_leaves_hole(const char *path, const char *opts)
{
    BlockBackend *blk;
    Error *err = NULL;
    uint8_t hdr[8];
    int64_t old_l1;
    int fd;

    assert_int_equal(qcow2_test_sh("qemu-img create -q -f qcow2 -o "
                                   "cluster_size=4k %s 1G", path), 0);
    fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(pread(fd, hdr, sizeof(hdr), 40), sizeof(hdr));
    close(fd);
    old_l1 = (int64_t)ldq_be_p(hdr);
    blk = open_with(path, opts);
    write_pattern(blk, 0, DATA, 3);
    /* 4k clusters: one L1 cluster maps 512 * 512 * 4k = 1 GiB */
    check_ok(blk_truncate(blk, 4 * GiB, false, PREALLOC_MODE_OFF, 0, &err) ==
             0, &err, "grow");
    blk_unref(blk);
    expect_clean_and_reads(path, 3);
    return in_hole(path, old_l1);
}

static void test_other_discards_replaced_tables_when_on(void **state)
{
    g_autofree char *off = tmp_path("other-off.qcow2");
    g_autofree char *on = tmp_path("other-on.qcow2");

    /* The old one-cluster L1 table is a hole in the second file only */
    assert_false(l1_move_leaves_hole(off, NULL));
    assert_true(l1_move_leaves_hole(on, "pass-discard-other=on"));
}

/*
 * A cluster freed, queued for discard, then allocated again for guest data
 * before the queue is processed: the discard must skip it
 */
static void test_reallocated_cluster_keeps_its_data(void **state)
{
    g_autofree char *path = tmp_path("realloc.qcow2");
    BlockBackend *blk;
    Error *err = NULL;

    assert_int_equal(qcow2_test_sh("qemu-img create -q -f qcow2 -o "
                                   "cluster_size=4k %s 1G", path), 0);
    blk = open_with(path, "pass-discard-other=on");
    check_ok(blk_truncate(blk, 4 * GiB, false, PREALLOC_MODE_OFF, 0, &err) ==
             0, &err, "grow");
    /* The freed L1 cluster is the first free one: this data lands there */
    write_pattern(blk, 0, DATA, 4);
    assert_int_equal(blk_flush(blk), 0);
    blk_unref(blk);
    expect_clean_and_reads(path, 4);
}

static int pass_discard_setup(void **state)
{
    return qcow2_test_interop_setup(state, "qcow2-pass-discard");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_snapshot_delete_discards_by_default),
        T(test_snapshot_delete_keeps_space_when_off),
        T(test_other_discards_replaced_tables_when_on),
        T(test_reallocated_cluster_keeps_its_data),
    };

    return test_common_run_group(tests, pass_discard_setup,
                                 qcow2_test_interop_teardown);
}
