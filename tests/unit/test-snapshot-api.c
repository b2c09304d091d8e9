/*
 * The internal snapshot API (block/core/snapshot.c) over the "test"
 * driver's snapshots: create, list, goto, delete, load_tmp, find,
 * preadv_snapshot; the fallback to a node's primary child; and the errors
 * of drivers without snapshots.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "block/driver.h"
#include "block/test-driver.h"
#include "test-common.h"

static BlockBackend *snap_open(int flags)
{
    QDict *opts = qdict_new();

    qdict_put_str(opts, "size", "1M");
    return test_common_blk_open("test", NULL, opts, flags, &error_abort);
}

static void fill(BlockBackend *blk, uint8_t pattern)
{
    uint8_t buf[4096];

    memset(buf, pattern, sizeof(buf));
    assert_int_equal(blk_pwrite(blk, 0, sizeof(buf), buf, 0), 0);
}

static void check_pattern(BlockBackend *blk, uint8_t pattern)
{
    uint8_t buf[4096], want[4096];

    memset(want, pattern, sizeof(want));
    assert_int_equal(blk_pread(blk, 0, sizeof(buf), buf, 0), 0);
    assert_memory_equal(buf, want, sizeof(buf));
}

static void snap_create(BlockDriverState *bs, const char *name)
{
    QEMUSnapshotInfo sn = { .vm_state_size = 0 };

    snprintf(sn.name, sizeof(sn.name), "%s", name);
    assert_int_equal(bdrv_snapshot_create(bs, &sn), 0);
}

static void test_snapshot_create_list_goto_delete(void **state)
{
    BlockBackend *blk = snap_open(BDRV_O_RDWR);
    BlockDriverState *bs = blk_bs(blk);
    QEMUSnapshotInfo *list = NULL;
    Error *err = NULL;

    assert_true(bdrv_can_snapshot(bs));
    fill(blk, 0xaa);
    snap_create(bs, "first");
    fill(blk, 0xbb);
    snap_create(bs, "second");
    fill(blk, 0xcc);

    assert_int_equal(bdrv_snapshot_list(bs, &list), 2);
    assert_string_equal(list[0].id_str, "1");
    assert_string_equal(list[0].name, "first");
    assert_string_equal(list[1].id_str, "2");
    assert_string_equal(list[1].name, "second");
    g_free(list);

    /* By name, then by id */
    assert_int_equal(bdrv_snapshot_goto(bs, "first", &err), 0);
    check_pattern(blk, 0xaa);
    assert_int_equal(bdrv_snapshot_goto(bs, "2", &err), 0);
    check_pattern(blk, 0xbb);
    assert_int_equal(bdrv_snapshot_goto(bs, "third", &err), -ENOENT);
    check_error_has(&err, "third", NULL);

    assert_int_equal(bdrv_snapshot_delete(bs, NULL, "first", &err), 0);
    assert_int_equal(bdrv_snapshot_delete(bs, "2", NULL, &err), 0);
    assert_int_equal(bdrv_snapshot_list(bs, &list), 0);
    g_free(list);
    check_pattern(blk, 0xbb);
    blk_unref(blk);
}

static void test_snapshot_delete_needs_id_or_name(void **state)
{
    BlockBackend *blk = snap_open(BDRV_O_RDWR);
    Error *err = NULL;

    assert_int_equal(bdrv_snapshot_delete(blk_bs(blk), NULL, NULL, &err),
                     -EINVAL);
    check_error(&err, "snapshot_id and name are both NULL");
    blk_unref(blk);
}

static void test_snapshot_driver_without_snapshots(void **state)
{
    BlockDriverState *bs = open_null("nosnap");
    QEMUSnapshotInfo sn = { .vm_state_size = 0 };
    QEMUSnapshotInfo *list = (QEMUSnapshotInfo *)&sn;
    Error *err = NULL;

    assert_false(bdrv_can_snapshot(bs));
    assert_int_equal(bdrv_snapshot_create(bs, &sn), -ENOTSUP);
    assert_int_equal(bdrv_snapshot_list(bs, &list), -ENOTSUP);
    assert_null(list);
    assert_int_equal(bdrv_snapshot_goto(bs, "1", &err), -ENOTSUP);
    check_error(&err, "Block driver 'null-co' does not support snapshots");
    assert_int_equal(bdrv_snapshot_delete(bs, "1", NULL, &err), -ENOTSUP);
    check_error(&err, "Block format 'null-co' used by device 'nosnap' does "
                "not support internal snapshot deletion");
    assert_int_equal(bdrv_snapshot_find(bs, &sn, "1"), -ENOTSUP);
    bdrv_unref(bs);
}

/* raw over a test node: snapshots are the test node's */
static void test_snapshot_falls_back_to_primary_child(void **state)
{
    BlockDriverState *img = open_test("snap-img");
    QDict *opts = qdict_new();
    BlockBackend *blk;
    QEMUSnapshotInfo sn;
    Error *err = NULL;

    qdict_put_str(opts, "file", "snap-img");
    blk = test_common_blk_open("raw", NULL, opts, BDRV_O_RDWR, &error_abort);
    bdrv_unref(img);
    assert_true(bdrv_can_snapshot(blk_bs(blk)));
    fill(blk, 0x11);
    snap_create(blk_bs(blk), "via-raw");
    fill(blk, 0x22);
    assert_int_equal(bdrv_snapshot_find(img, &sn, "via-raw"), 0);
    assert_string_equal(sn.id_str, "1");
    assert_int_equal(bdrv_snapshot_goto(blk_bs(blk), "via-raw", &err), 0);
    check_pattern(blk, 0x11);
    assert_int_equal(bdrv_snapshot_delete(blk_bs(blk), "1", NULL, &err), 0);
    assert_int_equal(bdrv_snapshot_find(img, &sn, "via-raw"), -ENOENT);
    blk_unref(blk);
}

/* The core refreshes the length a snapshot brings back */
static void test_snapshot_goto_restores_length(void **state)
{
    BlockBackend *blk = snap_open(BDRV_O_RDWR | BDRV_O_RESIZE);
    BlockDriverState *bs = blk_bs(blk);
    Error *err = NULL;

    snap_create(bs, "small");
    assert_int_equal(blk_truncate(blk, 2 << 20, false, PREALLOC_MODE_OFF, 0,
                                  &error_abort), 0);
    assert_int_equal(blk_getlength(blk), 2 << 20);
    assert_int_equal(bdrv_snapshot_goto(bs, "small", &err), 0);
    assert_int_equal(blk_getlength(blk), 1 << 20);
    blk_unref(blk);
}

static void test_snapshot_load_tmp_needs_read_only(void **state)
{
    BlockBackend *blk = snap_open(BDRV_O_RDWR);
    BlockDriverState *bs = blk_bs(blk);
    Error *err = NULL;

    fill(blk, 0x33);
    snap_create(bs, "tmp");
    fill(blk, 0x44);
    assert_int_equal(bdrv_snapshot_load_tmp(bs, NULL, "tmp", &err), -EINVAL);
    check_error_has(&err, "is not read-only", NULL);
    assert_int_equal(bdrv_snapshot_load_tmp(bs, NULL, NULL, &err), -EINVAL);
    check_error(&err, "snapshot_id and name are both NULL");
    blk_unref(blk);
}

/* qemu-img's -l: an id, else a name; on a node that became read-only */
static void test_snapshot_load_tmp_by_id_or_name(void **state)
{
    BlockDriverState *bs = open_test("tmp-node");
    BlockBackend *blk = test_common_new_blk(bs, BLK_PERM_ALL, BLK_PERM_ALL);
    Error *err = NULL;

    fill(blk, 0x55);
    snap_create(bs, "named");
    fill(blk, 0x66);
    blk_unref(blk);
    /* No writer is left: the node may become read-only */
    bs->open_flags |= BDRV_O_AUTO_RDONLY;
    assert_int_equal(bdrv_apply_auto_read_only(bs, NULL, &err), 0);
    assert_int_equal(bdrv_snapshot_load_tmp_by_id_or_name(bs, "named", &err),
                     0);
    blk = test_common_new_blk(bs, BLK_PERM_CONSISTENT_READ, BLK_PERM_ALL);
    check_pattern(blk, 0x55);
    assert_int_equal(bdrv_snapshot_load_tmp_by_id_or_name(bs, "nope", &err),
                     -ENOENT);
    error_free(err);
    blk_unref(blk);
    bdrv_unref(bs);
}

typedef struct SnapRead {
    BdrvChild *child;
    QEMUIOVector *qiov;
    int ret;
    bool done;
} SnapRead;

static void coroutine_fn snap_read_entry(void *opaque)
{
    SnapRead *r = opaque;

    r->ret = bdrv_co_preadv_snapshot(r->child, 0, 4096, r->qiov, 0);
    r->done = true;
}

static int snap_read(BdrvChild *child, uint8_t *buf)
{
    QEMUIOVector qiov;
    SnapRead r = { .child = child, .qiov = &qiov };

    qemu_iovec_init_buf(&qiov, buf, 4096);
    qemu_coroutine_enter(qemu_coroutine_create(snap_read_entry, &r));
    while (!r.done) {
        aio_poll(qemu_get_aio_context(), true);
    }
    return r.ret;
}

static void test_preadv_snapshot_reads_point_in_time(void **state)
{
    BlockBackend *blk = snap_open(BDRV_O_RDWR);
    BlockDriverState *null_bs = open_null("snapread-null");
    BlockBackend *null_blk = test_common_new_blk(null_bs, BLK_PERM_ALL,
                                                 BLK_PERM_ALL);
    uint8_t buf[4096], want[4096];

    fill(blk, 0x77);
    snap_create(blk_bs(blk), "pit");
    fill(blk, 0x88);
    assert_int_equal(snap_read(blk_root(blk), buf), 0);
    memset(want, 0x77, sizeof(want));
    assert_memory_equal(buf, want, sizeof(want));
    check_pattern(blk, 0x88);
    assert_int_equal(snap_read(blk_root(null_blk), buf), -ENOTSUP);
    blk_unref(null_blk);
    bdrv_unref(null_bs);
    blk_unref(blk);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_snapshot_create_list_goto_delete),
        T(test_snapshot_delete_needs_id_or_name),
        T(test_snapshot_driver_without_snapshots),
        T(test_snapshot_falls_back_to_primary_child),
        T(test_snapshot_goto_restores_length),
        T(test_snapshot_load_tmp_needs_read_only),
        T(test_snapshot_load_tmp_by_id_or_name),
        T(test_preadv_snapshot_reads_point_in_time),
    };

    return test_common_run_group(tests, test_common_group_setup, NULL);
}
