/*
 * qcow2 internal snapshots through the bdrv_snapshot_* API: create, list,
 * goto, delete and load_tmp round trips with data patterns, the refcounts
 * (drydock's check) and COPIED flags after each step, copy-on-write after
 * a snapshot, many snapshots, ids and names, disk sizes, the VM state,
 * failures half-way, and snapshot=on over a qcow2 image.
 *
 * Images are 1 MiB mem images with 64 KiB clusters unless said otherwise.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "block/mem.h"
#include "util/bswap.h"
#include "qcow2-common.h"
#include "qcow2-snap-common.h"
#include "test-common.h"

#define IMG "snap"
#define RW (BDRV_O_RDWR | BDRV_O_UNMAP | BDRV_O_RESIZE)

/* A new image with pattern 1 over its first 256 KiB */
static BlockBackend *make_image(const char *options)
{
    BlockBackend *blk;

    qcow2_test_create(IMG, MiB, options);
    blk = qsnap_open(IMG, RW);
    qsnap_write(blk, 0, 256 * KiB, 1);
    return blk;
}

/* Close, then check COPIED flags, refcounts and the snapshot count */
static void close_and_check(BlockBackend *blk, int snapshots)
{
    blk_unref(blk);
    qsnap_check_copied(IMG);
    blk = qsnap_open(IMG, 0);
    qsnap_check(blk, 0);
    assert_int_equal(qsnap_count(blk), snapshots);
    blk_unref(blk);
}

static void test_create_list_persists(void **state)
{
    BlockBackend *blk = make_image(NULL);
    QEMUSnapshotInfo *sn = NULL;

    assert_int_equal(qsnap_create(blk, NULL, "first"), 0);
    assert_int_equal(qsnap_create(blk, NULL, "second"), 0);
    assert_int_equal(qsnap_create(blk, "77", ""), 0);
    qsnap_check(blk, 0);
    blk_unref(blk);
    qsnap_check_copied(IMG);

    blk = qsnap_open(IMG, 0);
    assert_int_equal(bdrv_snapshot_list(blk_bs(blk), &sn), 3);
    assert_string_equal(sn[0].id_str, "1");
    assert_string_equal(sn[0].name, "first");
    assert_string_equal(sn[1].id_str, "2");
    assert_string_equal(sn[1].name, "second");
    assert_string_equal(sn[2].id_str, "77");
    assert_string_equal(sn[2].name, "");
    assert_int_equal(sn[0].date_sec, 1700000000);
    assert_int_equal(sn[0].date_nsec, 5);
    assert_int_equal(sn[0].vm_clock_nsec, 77);
    assert_int_equal(sn[0].icount, -1ULL);
    assert_int_equal(sn[0].vm_state_size, 0);
    g_free(sn);
    qsnap_check(blk, 0);
    blk_unref(blk);
}

/* Ids: the largest number plus one; a given id must be new */
static void test_ids(void **state)
{
    BlockBackend *blk = make_image(NULL);
    QEMUSnapshotInfo *sn = NULL;
    Error *err = NULL;

    assert_int_equal(qsnap_create(blk, "10", "a"), 0);
    assert_int_equal(qsnap_create(blk, NULL, "b"), 0);
    assert_int_equal(qsnap_create(blk, "10", "c"), -EEXIST);
    assert_int_equal(qsnap_create(blk, NULL, "b"), 0);   /* names repeat */
    assert_int_equal(bdrv_snapshot_list(blk_bs(blk), &sn), 3);
    assert_string_equal(sn[1].id_str, "11");
    assert_string_equal(sn[2].id_str, "12");
    g_free(sn);
    /* Delete matches both id and name when both are given */
    assert_int_equal(bdrv_snapshot_delete(blk_bs(blk), "11", "a", &err),
                     -ENOENT);
    assert_err_contains(err, "Can't find the snapshot");
    error_free(err);
    err = NULL;
    assert_int_equal(bdrv_snapshot_delete(blk_bs(blk), "12", "b", &err), 0);
    assert_int_equal(bdrv_snapshot_delete(blk_bs(blk), NULL, "b", &err), 0);
    assert_int_equal(qsnap_count(blk), 1);
    assert_int_equal(bdrv_snapshot_goto(blk_bs(blk), "nope", &err), -ENOENT);
    check_error(&err, "Failed to load snapshot: No such file or directory");
    close_and_check(blk, 1);
}

/* Writes after a snapshot copy clusters and L2 tables; goto brings back */
static void test_goto_after_writes(void **state)
{
    BlockBackend *blk = make_image(NULL);

    assert_int_equal(qsnap_create(blk, NULL, "s1"), 0);
    qsnap_write(blk, 1000, 3000, 2);                  /* inside a cluster */
    qsnap_write(blk, 64 * KiB, 64 * KiB, 3);          /* a whole one */
    qsnap_write(blk, 512 * KiB, 64 * KiB, 4);         /* a new one */
    assert_int_equal(blk_pwrite_zeroes(blk, 128 * KiB, 64 * KiB, 0), 0);
    assert_int_equal(blk_pdiscard(blk, 192 * KiB, 64 * KiB), 0);
    assert_true(qsnap_reads(blk, 1000, 3000, 2));
    assert_true(qsnap_reads(blk, 128 * KiB, 128 * KiB, -1));
    qsnap_check(blk, 0);
    assert_int_equal(qsnap_create(blk, NULL, "s2"), 0);

    assert_int_equal(qsnap_goto(blk, "s1"), 0);
    assert_true(qsnap_reads(blk, 0, 256 * KiB, 1));
    assert_true(qsnap_reads(blk, 512 * KiB, 64 * KiB, -1));
    qsnap_check(blk, 0);
    /* Writing after goto leaves the snapshot alone */
    qsnap_write(blk, 0, 128 * KiB, 5);
    assert_int_equal(qsnap_goto(blk, "1"), 0);
    assert_true(qsnap_reads(blk, 0, 256 * KiB, 1));
    assert_int_equal(qsnap_goto(blk, "s2"), 0);
    assert_true(qsnap_reads(blk, 1000, 3000, 2));
    assert_true(qsnap_reads(blk, 64 * KiB, 64 * KiB, 3));
    assert_true(qsnap_reads(blk, 128 * KiB, 128 * KiB, -1));
    assert_true(qsnap_reads(blk, 512 * KiB, 64 * KiB, 4));
    close_and_check(blk, 2);
}

/* Deleting the middle one of three keeps the others; then all of them */
static void test_delete_middle_then_all(void **state)
{
    BlockBackend *blk = make_image(NULL);
    int64_t len_before, len_after;

    for (int i = 0; i < 3; i++) {
        g_autofree char *name = g_strdup_printf("s%d", i);

        qsnap_write(blk, i * 64 * KiB, 64 * KiB, 10 + i);
        assert_int_equal(qsnap_create(blk, NULL, name), 0);
    }
    qsnap_write(blk, 0, 256 * KiB, 20);
    assert_int_equal(bdrv_snapshot_delete(blk_bs(blk), NULL, "s1", NULL), 0);
    assert_int_equal(qsnap_count(blk), 2);
    qsnap_check(blk, 0);
    assert_int_equal(qsnap_goto(blk, "s0"), 0);
    assert_true(qsnap_reads(blk, 0, 64 * KiB, 10));
    assert_true(qsnap_reads(blk, 64 * KiB, 64 * KiB, 1));
    assert_int_equal(qsnap_goto(blk, "s2"), 0);
    assert_true(qsnap_reads(blk, 0, 64 * KiB, 10));
    assert_true(qsnap_reads(blk, 64 * KiB, 64 * KiB, 11));
    assert_true(qsnap_reads(blk, 128 * KiB, 64 * KiB, 12));
    blk_unref(blk);
    qsnap_check_copied(IMG);

    blk = qsnap_open(IMG, RW);
    len_before = bdrv_getlength(blk_bs(blk)->file->bs);
    assert_int_equal(bdrv_snapshot_delete(blk_bs(blk), "1", NULL, NULL), 0);
    assert_int_equal(bdrv_snapshot_delete(blk_bs(blk), "3", "s2", NULL), 0);
    assert_int_equal(qsnap_count(blk), 0);
    assert_true(qsnap_reads(blk, 128 * KiB, 64 * KiB, 12));
    /* Every cluster is private again: writes go in place */
    qsnap_write(blk, 0, 192 * KiB, 21);
    len_after = bdrv_getlength(blk_bs(blk)->file->bs);
    assert_int_equal(len_after, len_before);
    close_and_check(blk, 0);
}

/* 100 snapshots, each with its own data; every one comes back */
static void test_many_snapshots(void **state)
{
    BlockBackend *blk = make_image("cluster_size=4096");
    enum { N = 100 };

    for (int i = 0; i < N; i++) {
        g_autofree char *name = g_strdup_printf("n%d", i);

        qsnap_write(blk, (i % 16) * 4096, 4096, 100 + i);
        assert_int_equal(qsnap_create(blk, NULL, name), 0);
    }
    qsnap_check(blk, 0);
    for (int i = N - 1; i >= 0; i -= 7) {
        g_autofree char *name = g_strdup_printf("n%d", i);

        assert_int_equal(qsnap_goto(blk, name), 0);
        assert_true(qsnap_reads(blk, (i % 16) * 4096, 4096, 100 + i));
        if (i >= 16) {
            assert_true(qsnap_reads(blk, ((i + 1) % 16) * 4096, 4096,
                                    100 + i - 15));
        }
    }
    blk_unref(blk);
    qsnap_check_copied(IMG);
    blk = qsnap_open(IMG, RW);
    for (int i = 0; i < N; i += 2) {
        g_autofree char *name = g_strdup_printf("n%d", i);

        assert_int_equal(bdrv_snapshot_delete(blk_bs(blk), NULL, name, NULL),
                         0);
    }
    assert_int_equal(qsnap_goto(blk, "n51"), 0);
    assert_true(qsnap_reads(blk, 3 * 4096, 4096, 151));
    close_and_check(blk, N / 2);
}

/*
 * 512-byte clusters over 8 MiB: an L1 table of four clusters; 64-bit
 * refcounts, so that refcount blocks are created and the refcount table
 * grows while snapshots are taken
 */
static void test_multi_cluster_l1_and_refcount_growth(void **state)
{
    BlockBackend *blk;

    qcow2_test_create(IMG, 8 * MiB, "cluster_size=512,refcount_bits=64");
    blk = qsnap_open(IMG, RW);
    qsnap_write(blk, 0, 1536 * KiB, 1);
    qsnap_write(blk, 7 * MiB, 512 * KiB, 2);
    assert_int_equal(qsnap_create(blk, NULL, "a"), 0);
    qsnap_write(blk, MiB, MiB, 3);
    assert_int_equal(qsnap_create(blk, NULL, "b"), 0);
    qsnap_write(blk, 0, 2 * MiB, 4);
    qsnap_check(blk, 0);
    assert_true(qcow2_test_peek64(IMG, 48) != 0x200);   /* table moved */
    assert_int_equal(qsnap_goto(blk, "a"), 0);
    assert_true(qsnap_reads(blk, 0, 1536 * KiB, 1));
    assert_true(qsnap_reads(blk, 1536 * KiB, 5632 * KiB, -1));
    assert_true(qsnap_reads(blk, 7 * MiB, 512 * KiB, 2));
    assert_int_equal(bdrv_snapshot_delete(blk_bs(blk), NULL, "a", NULL), 0);
    assert_int_equal(qsnap_goto(blk, "b"), 0);
    assert_true(qsnap_reads(blk, 0, MiB, 1));
    assert_true(qsnap_reads(blk, MiB, MiB, 3));
    close_and_check(blk, 1);
}

/* A v3 snapshot keeps its disk size: goto resizes the disk */
static void test_disk_size_follows_snapshot(void **state)
{
    BlockBackend *blk = make_image(NULL);

    assert_int_equal(qsnap_create(blk, NULL, "small"), 0);
    assert_int_equal(blk_truncate(blk, 3 * MiB, false, PREALLOC_MODE_OFF, 0,
                                  NULL), 0);
    qsnap_write(blk, 2 * MiB, 64 * KiB, 30);
    assert_int_equal(qsnap_create(blk, NULL, "big"), 0);
    assert_int_equal(qsnap_goto(blk, "small"), 0);
    assert_int_equal(blk_getlength(blk), MiB);
    assert_true(qsnap_reads(blk, 0, 256 * KiB, 1));
    assert_int_equal(qsnap_goto(blk, "big"), 0);
    assert_int_equal(blk_getlength(blk), 3 * MiB);
    assert_true(qsnap_reads(blk, 2 * MiB, 64 * KiB, 30));
    close_and_check(blk, 2);
}

/* v2: snapshots carry no disk size, so resizing is refused */
static void test_v2_resize_refused(void **state)
{
    BlockBackend *blk = make_image("compat=0.10");
    Error *err = NULL;

    assert_int_equal(qsnap_create(blk, NULL, "s"), 0);
    qsnap_write(blk, 0, 64 * KiB, 2);
    assert_int_equal(blk_truncate(blk, 2 * MiB, false, PREALLOC_MODE_OFF, 0,
                                  &err), -ENOTSUP);
    check_error(&err, "Can't resize a v2 image which has snapshots");
    assert_int_equal(qsnap_goto(blk, "s"), 0);
    assert_true(qsnap_reads(blk, 0, 256 * KiB, 1));
    close_and_check(blk, 1);
}

/* refcount_bits=1 cannot count two references: nothing changes, no leak */
static void test_refcount_overflow_rolls_back(void **state)
{
    BlockBackend *blk = make_image("refcount_bits=1");

    assert_int_equal(qsnap_create(blk, NULL, "s"), -EINVAL);
    assert_int_equal(qsnap_count(blk), 0);
    qsnap_write(blk, 0, 64 * KiB, 2);
    assert_true(qsnap_reads(blk, 0, 64 * KiB, 2));
    close_and_check(blk, 0);
}

/* Read-only nodes refuse changes; load_tmp shows a snapshot read-only */
static void test_read_only_and_load_tmp(void **state)
{
    BlockBackend *blk = make_image(NULL);
    Error *err = NULL;

    assert_int_equal(qsnap_create(blk, NULL, "s"), 0);
    assert_int_equal(blk_truncate(blk, 2 * MiB, false, PREALLOC_MODE_OFF, 0,
                                  NULL), 0);
    qsnap_write(blk, 0, 64 * KiB, 9);
    blk_unref(blk);

    blk = qsnap_open(IMG, 0);
    assert_int_equal(qsnap_create(blk, NULL, "x"), -EACCES);
    assert_int_equal(bdrv_snapshot_goto(blk_bs(blk), "s", &err), -EACCES);
    check_error(&err, "Image is read-only");
    assert_int_equal(bdrv_snapshot_load_tmp(blk_bs(blk), NULL, "t", &err),
                     -ENOENT);
    error_free(err);
    err = NULL;
    assert_true(qsnap_reads(blk, 0, 64 * KiB, 9));
    assert_int_equal(bdrv_snapshot_load_tmp_by_id_or_name(blk_bs(blk), "s",
                                                          &err), 0);
    assert_int_equal(blk_getlength(blk), MiB);
    assert_true(qsnap_reads(blk, 0, 256 * KiB, 1));
    assert_true(qsnap_reads(blk, 256 * KiB, 768 * KiB, -1));
    blk_unref(blk);
    blk = qsnap_open(IMG, 0);
    assert_true(qsnap_reads(blk, 0, 64 * KiB, 9));
    qsnap_check(blk, 0);
    blk_unref(blk);
}

/* VM state: beside the guest data, kept by a snapshot taken after it */
static void test_vmstate_round_trip(void **state)
{
    BlockBackend *blk = make_image(NULL);
    QEMUSnapshotInfo sn = { .vm_state_size = 100000 };
    BlockDriverInfo bdi;

    assert_int_equal(bdrv_get_info(blk_bs(blk), &bdi), 0);
    assert_int_equal(bdi.vm_state_offset, 512 * MiB);   /* one L2 span */
    assert_int_equal(qsnap_vmstate(blk, true, 0, 100000, 40), 100000);
    assert_int_equal(qsnap_vmstate(blk, true, 70001, 333, 41), 333);
    assert_int_equal(qsnap_vmstate(blk, false, 70001, 333, 41), 333);
    assert_int_equal(qsnap_vmstate(blk, false, 0, 4096, 40), 4096);
    assert_true(qsnap_reads(blk, 0, 256 * KiB, 1));
    assert_true(qsnap_reads(blk, 256 * KiB, 768 * KiB, -1));
    assert_int_equal(qsnap_vmstate(blk, true, 0, 100000, 42), 100000);
    strcpy(sn.name, "vm");
    assert_int_equal(bdrv_snapshot_create(blk_bs(blk), &sn), 0);
    /* The active image dropped it; the snapshot has it */
    assert_int_equal(qsnap_vmstate(blk, false, 0, 100000, -1), 100000);
    qsnap_check(blk, 0);
    qsnap_write(blk, 0, 64 * KiB, 2);
    assert_int_equal(qsnap_goto(blk, "vm"), 0);
    assert_int_equal(qsnap_vmstate(blk, false, 0, 100000, 42), 100000);
    assert_true(qsnap_reads(blk, 0, 256 * KiB, 1));
    {
        QEMUSnapshotInfo *list = NULL;

        assert_int_equal(bdrv_snapshot_list(blk_bs(blk), &list), 1);
        assert_int_equal(list[0].vm_state_size, 100000);
        g_free(list);
    }
    close_and_check(blk, 1);
}

/* Extra data this driver does not know survives a rewrite of the table */
static void test_unknown_extra_data_kept(void **state)
{
    BlockBackend *blk = make_image(NULL);
    uint64_t table;
    size_t img_len;
    const uint8_t *img;
    uint8_t entry[80] = { 0 };

    assert_int_equal(qsnap_create(blk, NULL, "s"), 0);
    blk_unref(blk);
    /* Entry 0 (alone in its cluster) with 8 more bytes of extra data */
    table = qcow2_test_peek64(IMG, 64);
    img = mem_image_get(IMG, &img_len);
    memcpy(entry, img + table, 64);
    stl_be_p(entry + 36, 32);
    memcpy(entry + 64, "UNKNOWN!1s", 10);
    qcow2_test_poke(IMG, table, entry, sizeof(entry));

    blk = qsnap_open(IMG, RW);
    assert_int_equal(qsnap_create(blk, NULL, "t"), 0);
    blk_unref(blk);
    table = qcow2_test_peek64(IMG, 64);
    img = mem_image_get(IMG, &img_len);
    assert_int_equal(ldl_be_p(img + table + 36), 32);
    assert_memory_equal(img + table + 64, "UNKNOWN!1s", 10);
    blk = qsnap_open(IMG, RW);
    assert_int_equal(qsnap_goto(blk, "s"), 0);
    assert_true(qsnap_reads(blk, 0, 256 * KiB, 1));
    close_and_check(blk, 2);
}

/* Operation @op with the first write after @event failing */
static void fail_one(const char *event, int op)
{
    int ret = qsnap_failing_op(IMG, event, op, false), n;
    BlockBackend *blk = qsnap_open(IMG, 0);

    n = qsnap_count(blk);
    qsnap_check(blk, 0);
    /* The state before the call or after it, never a mix */
    if (op == QSNAP_OP_CREATE) {
        assert_int_equal(n, ret ? 1 : 2);
    } else if (op == QSNAP_OP_DELETE) {
        /* A failure after the table was rewritten: it is gone */
        assert_true(n == 0 || (ret && n == 1));
    }
    assert_true(qsnap_reads(blk, 0, 8192, op == QSNAP_OP_GOTO && !ret ? 1
                                                                       : 2));
    blk_unref(blk);
    qsnap_check_copied(IMG);
}

/*
 * A write failing in the middle of create, goto or delete (at each of
 * the metadata events they go through): the image stays consistent (no
 * corruption, no leak) and shows the state before or after the call
 * (crashes at the same points: test-qcow2-snapshot-interop.c)
 */
static void test_failures_leave_consistent_image(void **state)
{
    for (size_t e = 0; e < ARRAY_SIZE(qsnap_fail_events); e++) {
        for (int op = 0; op < QSNAP_OPS; op++) {
            fail_one(qsnap_fail_events[e], op);
        }
    }
}

/* snapshot=on over a qcow2 image: writes go to the overlay only */
static void test_temporary_overlay(void **state)
{
    g_autofree char *path = tmp_path("temp.qcow2");
    QDict *opts = qdict_new();
    Error *err = NULL;
    BlockBackend *blk;

    qcow2_test_create(path, MiB, NULL);
    blk = qsnap_open(path, RW);
    qsnap_write(blk, 0, 128 * KiB, 1);
    assert_int_equal(qsnap_create(blk, NULL, "s"), 0);
    blk_unref(blk);

    qdict_put_str(opts, "driver", "qcow2");
    qdict_put_str(opts, "snapshot", "on");
    blk = blk_new_open(path, NULL, opts, RW, &err);
    check_ok(blk != NULL, &err, "snapshot=on");
    assert_true(blk_bs(blk)->open_flags & BDRV_O_TEMPORARY);
    assert_true(bdrv_is_read_only(bdrv_cow_bs(blk_bs(blk))));
    qsnap_write(blk, 64 * KiB, 128 * KiB, 2);
    assert_true(qsnap_reads(blk, 0, 64 * KiB, 1));
    assert_true(qsnap_reads(blk, 64 * KiB, 128 * KiB, 2));
    /* The image's own snapshots are behind the overlay */
    assert_int_equal(qsnap_count(blk), 0);
    blk_unref(blk);

    blk = qsnap_open(path, 0);
    assert_true(qsnap_reads(blk, 0, 128 * KiB, 1));
    assert_true(qsnap_reads(blk, 128 * KiB, 64 * KiB, -1));
    assert_int_equal(qsnap_count(blk), 1);
    qsnap_check(blk, 0);
    blk_unref(blk);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_create_list_persists),
        T(test_ids),
        T(test_goto_after_writes),
        T(test_delete_middle_then_all),
        T(test_many_snapshots),
        T(test_multi_cluster_l1_and_refcount_growth),
        T(test_disk_size_follows_snapshot),
        T(test_v2_resize_refused),
        T(test_refcount_overflow_rolls_back),
        T(test_read_only_and_load_tmp),
        T(test_vmstate_round_trip),
        T(test_unknown_extra_data_kept),
        T(test_failures_leave_consistent_image),
        T(test_temporary_overlay),
    };

    return test_common_run_group(tests, qsnap_group_setup,
                                 qsnap_group_teardown);
}
