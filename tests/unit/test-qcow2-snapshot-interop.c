/*
 * qcow2 internal snapshots against the reference implementation
 * (Debian's qemu-img / qemu-io), both directions: snapshots made by
 * `qemu-img snapshot -c` are listed, applied and deleted by drydock with
 * identical data; snapshots made by drydock are listed by `qemu-img
 * snapshot -l` and applied by `qemu-img snapshot -a` with identical data;
 * `qemu-img check` is clean after each step.  Also the VM state
 * (qemu-io write -b), snapshot disk sizes, and v2 images.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "block/mem.h"
#include "interop-common.h"
#include "qcow2-common.h"
#include "qcow2-snap-common.h"
#include "test-common.h"

#define RW (BDRV_O_RDWR | BDRV_O_UNMAP | BDRV_O_RESIZE)
#define B QSNAP_BYTE

static void expect_qemu_check_clean(const char *img)
{
    assert_int_equal(interop_run("qemu-img check -f qcow2 %s", img), 0);
}

static void expect_drydock_check_clean(const char *img)
{
    BlockBackend *blk = qsnap_open(img, 0);

    qsnap_check(blk, 0);
    blk_unref(blk);
}

/* qemu-io reads @cmds ("-c 'read -P ...'" ...) successfully from @img */
static void expect_qemu_reads(const char *img, const char *cmds)
{
    assert_int_equal(interop_run("qemu-io -f qcow2 -r %s %s", cmds, img), 0);
}

static void test_qemu_snapshots_applied_by_drydock(void **state)
{
    g_autofree char *img = tmp_path("q.qcow2");
    QEMUSnapshotInfo *sn = NULL;
    BlockBackend *blk;

    assert_int_equal(interop_run("qemu-img create -f qcow2 %s 2M", img), 0);
    assert_int_equal(interop_run("qemu-io -f qcow2 -c 'write -P 0x11 0 256k'"
                                 " %s", img), 0);
    assert_int_equal(interop_run("qemu-img snapshot -c a %s", img), 0);
    assert_int_equal(interop_run("qemu-io -f qcow2 -c 'write -P 0x22 64k 64k'"
                                 " -c 'write -P 0x33 1M 100k' %s", img), 0);
    assert_int_equal(interop_run("qemu-img snapshot -c b %s", img), 0);
    assert_int_equal(interop_run("qemu-io -f qcow2 -c 'write -P 0x44 0 512'"
                                 " %s", img), 0);

    blk = qsnap_open(img, RW);
    assert_int_equal(bdrv_snapshot_list(blk_bs(blk), &sn), 2);
    assert_string_equal(sn[0].id_str, "1");
    assert_string_equal(sn[0].name, "a");
    assert_string_equal(sn[1].id_str, "2");
    assert_string_equal(sn[1].name, "b");
    assert_true(sn[1].date_sec >= sn[0].date_sec && sn[0].date_sec > 0);
    g_free(sn);
    assert_int_equal(qsnap_goto(blk, "a"), 0);
    assert_true(qsnap_reads(blk, 0, 256 * KiB, B(0x11)));
    assert_true(qsnap_reads(blk, 256 * KiB, 1792 * KiB, -1));
    assert_int_equal(qsnap_goto(blk, "2"), 0);
    assert_true(qsnap_reads(blk, 0, 64 * KiB, B(0x11)));
    assert_true(qsnap_reads(blk, 64 * KiB, 64 * KiB, B(0x22)));
    assert_true(qsnap_reads(blk, 128 * KiB, 128 * KiB, B(0x11)));
    assert_true(qsnap_reads(blk, MiB, 100 * KiB, B(0x33)));
    qsnap_write(blk, 0, 64 * KiB, B(0x55));
    blk_unref(blk);
    expect_qemu_check_clean(img);
    expect_qemu_reads(img, "-c 'read -P 0x55 0 64k' "
                      "-c 'read -P 0x22 64k 64k' -c 'read -P 0x33 1M 100k'");

    assert_int_equal(interop_run("qemu-img snapshot -a a %s", img), 0);
    expect_qemu_reads(img, "-c 'read -P 0x11 0 256k' -c 'read -P 0 1M 100k'");
    expect_qemu_check_clean(img);

    blk = qsnap_open(img, RW);
    assert_int_equal(bdrv_snapshot_delete(blk_bs(blk), NULL, "a", NULL), 0);
    blk_unref(blk);
    expect_qemu_check_clean(img);
    expect_drydock_check_clean(img);
    {
        g_autofree char *out = interop_output("qemu-img snapshot -l %s",
                                              img);

        assert_null(strstr(out, " a "));
        assert_non_null(strstr(out, " b "));
    }
}

/* drydock makes the snapshots of an image with @options */
static void drydock_snapshots_applied_by_qemu(const char *options)
{
    g_autofree char *img = tmp_path("d.qcow2");
    g_autofree char *list = NULL;
    BlockBackend *blk;

    qcow2_test_create(img, 2 * MiB, options);
    blk = qsnap_open(img, RW);
    qsnap_write(blk, 0, 256 * KiB, B(0x11));
    assert_int_equal(qsnap_create(blk, NULL, "first"), 0);
    qsnap_write(blk, 64 * KiB, 64 * KiB, B(0x22));
    assert_int_equal(blk_pwrite_zeroes(blk, 128 * KiB, 64 * KiB, 0), 0);
    qsnap_write(blk, MiB, 100 * KiB, B(0x33));
    assert_int_equal(qsnap_create(blk, NULL, "second"), 0);
    qsnap_write(blk, 0, 512, B(0x44));
    blk_unref(blk);

    expect_qemu_check_clean(img);
    list = interop_output("qemu-img snapshot -l %s", img);
    assert_non_null(strstr(list, "1         first"));
    assert_non_null(strstr(list, "2         second"));
    expect_qemu_reads(img, "-c 'read -P 0x44 0 512' "
                      "-c 'read -P 0x11 512 63k' -c 'read -P 0x22 64k 64k'");

    assert_int_equal(interop_run("qemu-img snapshot -a first %s", img), 0);
    expect_qemu_check_clean(img);
    expect_qemu_reads(img, "-c 'read -P 0x11 0 256k' -c 'read -P 0 1M 100k'");
    assert_int_equal(interop_run("qemu-img snapshot -a second %s", img), 0);
    expect_qemu_check_clean(img);
    expect_qemu_reads(img, "-c 'read -P 0x11 0 64k' -c 'read -P 0x22 64k 64k'"
                      " -c 'read -P 0 128k 64k' -c 'read -P 0x11 192k 64k'"
                      " -c 'read -P 0x33 1M 100k'");
    /* qemu-io writes over the applied snapshot, qemu-img deletes one */
    assert_int_equal(interop_run("qemu-io -f qcow2 -c 'write -P 0x66 0 128k'"
                                 " %s", img), 0);
    assert_int_equal(interop_run("qemu-img snapshot -d first %s", img), 0);
    expect_qemu_check_clean(img);
    expect_drydock_check_clean(img);
    blk = qsnap_open(img, RW);
    assert_int_equal(qsnap_count(blk), 1);
    assert_true(qsnap_reads(blk, 0, 128 * KiB, B(0x66)));
    assert_int_equal(qsnap_goto(blk, "second"), 0);
    assert_true(qsnap_reads(blk, 64 * KiB, 64 * KiB, B(0x22)));
    blk_unref(blk);
    expect_qemu_check_clean(img);
}

static void test_drydock_snapshots_applied_by_qemu(void **state)
{
    drydock_snapshots_applied_by_qemu(NULL);
    drydock_snapshots_applied_by_qemu("cluster_size=4096,refcount_bits=8");
    drydock_snapshots_applied_by_qemu("compat=0.10");
    drydock_snapshots_applied_by_qemu("cluster_size=512");
}

/* The VM state area: where qemu-io's write -b puts it, both ways
 * (qemu-io takes whole sectors only) */
static void test_vmstate_both_ways(void **state)
{
    g_autofree char *img = tmp_path("vm.qcow2");
    g_autofree char *list = NULL;
    QEMUSnapshotInfo sn = { .vm_state_size = 100 * KiB };
    BlockBackend *blk;

    assert_int_equal(interop_run("qemu-img create -f qcow2 %s 1M", img), 0);
    assert_int_equal(interop_run("qemu-io -f qcow2 -c 'write -b -P 0x66 0 "
                                 "100k' %s", img), 0);
    blk = qsnap_open(img, RW);
    assert_int_equal(qsnap_vmstate(blk, false, 0, 100 * KiB, B(0x66)),
                     100 * KiB);
    assert_int_equal(qsnap_vmstate(blk, true, 4096, 5120, B(0x77)), 5120);
    assert_true(qsnap_reads(blk, 0, MiB, -1));
    blk_unref(blk);
    expect_qemu_check_clean(img);
    expect_qemu_reads(img, "-c 'read -b -P 0x66 0 4096' "
                      "-c 'read -b -P 0x77 4096 5120' "
                      "-c 'read -b -P 0x66 9216 1024' -c 'read -P 0 0 1M'");

    /* A snapshot with its VM state, as savevm makes it */
    blk = qsnap_open(img, RW);
    strcpy(sn.name, "vm");
    assert_int_equal(bdrv_snapshot_create(blk_bs(blk), &sn), 0);
    blk_unref(blk);
    expect_qemu_check_clean(img);
    list = interop_output("qemu-img snapshot -l %s", img);
    assert_non_null(strstr(list, "100 KiB"));
    expect_qemu_reads(img, "-c 'read -b -P 0 0 100k'");
    assert_int_equal(interop_run("qemu-img snapshot -a vm %s", img), 0);
    expect_qemu_reads(img, "-c 'read -b -P 0x66 0 4096' "
                      "-c 'read -b -P 0x77 4096 5120'");
    expect_qemu_check_clean(img);
}

/* Snapshot disk sizes: each side restores the size the other recorded */
static void test_disk_sizes_both_ways(void **state)
{
    g_autofree char *img = tmp_path("size.qcow2");
    g_autofree char *info = NULL;
    BlockBackend *blk;

    qcow2_test_create(img, MiB, NULL);
    blk = qsnap_open(img, RW);
    qsnap_write(blk, 0, 64 * KiB, B(0x11));
    assert_int_equal(qsnap_create(blk, NULL, "small"), 0);
    assert_int_equal(blk_truncate(blk, 3 * MiB, false, PREALLOC_MODE_OFF, 0,
                                  NULL), 0);
    blk_unref(blk);
    assert_int_equal(interop_run("qemu-img snapshot -a small %s", img), 0);
    info = interop_output("qemu-img info %s", img);
    assert_non_null(strstr(info, "virtual size: 1 MiB"));
    expect_qemu_check_clean(img);

    assert_int_equal(interop_run("qemu-img resize %s 2M", img), 0);
    assert_int_equal(interop_run("qemu-img snapshot -c two %s", img), 0);
    assert_int_equal(interop_run("qemu-img resize %s 4M", img), 0);
    blk = qsnap_open(img, RW);
    assert_int_equal(blk_getlength(blk), 4 * MiB);
    assert_int_equal(qsnap_goto(blk, "two"), 0);
    assert_int_equal(blk_getlength(blk), 2 * MiB);
    assert_true(qsnap_reads(blk, 0, 64 * KiB, B(0x11)));
    blk_unref(blk);
    g_free(info);
    info = interop_output("qemu-img info %s", img);
    assert_non_null(strstr(info, "virtual size: 2 MiB"));
    expect_qemu_check_clean(img);
}

/* Compressed clusters (qemu-img convert -c) shared with snapshots */
static void test_compressed_clusters_in_snapshots(void **state)
{
    g_autofree char *raw = tmp_path("c.raw");
    g_autofree char *img = tmp_path("c.qcow2");
    BlockBackend *blk;

    assert_int_equal(interop_run("(qemu-img create -f raw %s 1M && qemu-io "
                                 "-f raw -c 'write -P 0x5a 0 512k' %s)", raw,
                                 raw), 0);
    assert_int_equal(interop_run("qemu-img convert -c -O qcow2 %s %s", raw,
                                 img), 0);
    blk = qsnap_open(img, RW);
    assert_int_equal(qsnap_create(blk, NULL, "c"), 0);
    qsnap_write(blk, 0, 64 * KiB, B(0x11));
    qsnap_write(blk, 100 * KiB, 1000, B(0x12));
    assert_int_equal(qsnap_create(blk, NULL, "d"), 0);
    assert_int_equal(qsnap_goto(blk, "c"), 0);
    assert_true(qsnap_reads(blk, 0, 512 * KiB, B(0x5a)));
    blk_unref(blk);
    expect_qemu_check_clean(img);
    expect_drydock_check_clean(img);
    assert_int_equal(interop_run("qemu-img snapshot -a d %s", img), 0);
    expect_qemu_reads(img, "-c 'read -P 0x11 0 64k' -c 'read -P 0x5a 64k 36k'"
                      " -c 'read -P 0x12 100k 1000' -c 'read -P 0x5a 200k "
                      "312k'");
    blk = qsnap_open(img, RW);
    assert_int_equal(bdrv_snapshot_delete(blk_bs(blk), NULL, "c", NULL), 0);
    assert_int_equal(bdrv_snapshot_delete(blk_bs(blk), NULL, "d", NULL), 0);
    blk_unref(blk);
    expect_qemu_check_clean(img);
    expect_qemu_reads(img, "-c 'read -P 0x11 0 64k' -c 'read -P 0x5a 200k "
                      "312k'");
}

/* Many qemu-img snapshots; drydock deletes every other one */
static void test_many_qemu_snapshots_deleted_by_drydock(void **state)
{
    g_autofree char *img = tmp_path("many.qcow2");
    BlockBackend *blk;

    assert_int_equal(interop_run("qemu-img create -f qcow2 -o "
                                 "cluster_size=4096 %s 1M", img), 0);
    for (int i = 0; i < 20; i++) {
        assert_int_equal(interop_run("(qemu-io -f qcow2 -c 'write -P %d %dk "
                                     "4k' %s && qemu-img snapshot -c s%d %s)",
                                     i + 1, (i % 8) * 4, img, i, img), 0);
    }
    blk = qsnap_open(img, RW);
    assert_int_equal(qsnap_count(blk), 20);
    for (int i = 0; i < 20; i += 2) {
        g_autofree char *name = g_strdup_printf("s%d", i);

        assert_int_equal(bdrv_snapshot_delete(blk_bs(blk), NULL, name, NULL),
                         0);
    }
    assert_int_equal(qsnap_goto(blk, "s13"), 0);
    assert_true(qsnap_reads(blk, 20 * KiB, 4 * KiB, B(14)));
    assert_true(qsnap_reads(blk, 16 * KiB, 4 * KiB, B(13)));
    blk_unref(blk);
    expect_qemu_check_clean(img);
    assert_int_equal(interop_run("qemu-img snapshot -a s19 %s", img), 0);
    expect_qemu_reads(img, "-c 'read -P 20 12k 4k' -c 'read -P 19 8k 4k'");
    expect_qemu_check_clean(img);
}

/*
 * A crash in @op after @event (every later write lost), judged by qemu-img
 * check: leaks and OFLAG_COPIED mismatches (repairable: the extra
 * references are leaks, so no data is shared that a write could reach)
 * but no cluster with fewer references counted than it has; after
 * repair the image shows the state before or after @op
 */
static void crash_one(const char *event, int op)
{
    g_autofree char *img = tmp_path("crash.qcow2");
    g_autofree char *out = NULL;
    int ret = qsnap_failing_op("crash", event, op, true);
    size_t len;
    const uint8_t *bytes = mem_image_get("crash", &len);
    BlockBackend *blk;
    FILE *f = fopen(img, "w");
    int n;

    assert_non_null(f);
    assert_int_equal(fwrite(bytes, 1, len, f), len);
    fclose(f);
    out = interop_output("qemu-img check -f qcow2 %s 2>&1", img);
    for (char *l = strstr(out, "ERROR"); l; l = strstr(l + 1, "ERROR")) {
        if (strncmp(l, "ERROR OFLAG_COPIED", 18)) {
            fail_msg("%s, op %d: %s", event, op, out);
        }
    }
    assert_int_equal(interop_run("qemu-img check -r all -f qcow2 %s", img),
                     0);
    expect_qemu_check_clean(img);
    blk = qsnap_open(img, 0);
    n = qsnap_count(blk);
    assert_true(n == (op == QSNAP_OP_CREATE ? 2 : op == QSNAP_OP_DELETE
                      ? 0 : 1) || (ret && n == 1));
    assert_true(qsnap_reads(blk, 0, 8192, 2) ||
                (op == QSNAP_OP_GOTO && qsnap_reads(blk, 0, 8192, 1)));
    blk_unref(blk);
}

static void test_crash_at_each_metadata_event(void **state)
{
    for (size_t e = 0; e < ARRAY_SIZE(qsnap_fail_events); e++) {
        for (int op = 0; op < QSNAP_OPS; op++) {
            crash_one(qsnap_fail_events[e], op);
        }
    }
}

static int snapshot_interop_group_setup(void **state)
{
    if (interop_require_reference_tools() < 0) {
        return -1;
    }
    return qsnap_group_setup(state);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_qemu_snapshots_applied_by_drydock),
        T(test_drydock_snapshots_applied_by_qemu),
        T(test_vmstate_both_ways),
        T(test_disk_sizes_both_ways),
        T(test_many_qemu_snapshots_deleted_by_drydock),
        T(test_compressed_clusters_in_snapshots),
        T(test_crash_at_each_metadata_event),
    };

    return test_common_run_group(tests, snapshot_interop_group_setup,
                                 qsnap_group_teardown);
}
