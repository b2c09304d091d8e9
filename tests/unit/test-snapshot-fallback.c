/*
 * The snapshot entry points past the basic create/list/goto/delete of
 * test-snapshot-api.c: load_tmp through a node without snapshots (its
 * primary child's), the refusals of the fallback (a second data child, no
 * child at all, a read-only node), find_by_id_and_name and the request
 * checks of preadv_snapshot.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "block/driver.h"
#include "block/test-driver.h"
#include "test-common.h"

static void fill(BlockBackend *blk, uint8_t pattern)
{
    uint8_t buf[4096];

    memset(buf, pattern, sizeof(buf));
    assert_int_equal(blk_pwrite(blk, 0, sizeof(buf), buf, 0), 0);
}

static bool has_pattern(BlockBackend *blk, uint8_t pattern)
{
    uint8_t buf[4096], want[4096];

    memset(want, pattern, sizeof(want));
    return blk_pread(blk, 0, sizeof(buf), buf, 0) == 0 &&
           !memcmp(buf, want, sizeof(buf));
}

static void snap_create(BlockDriverState *bs, const char *name)
{
    QEMUSnapshotInfo sn = { .vm_state_size = 0 };

    snprintf(sn.name, sizeof(sn.name), "%s", name);
    assert_int_equal(bdrv_snapshot_create(bs, &sn), 0);
}

/* raw over an inheriting test child, with snapshot "old" of 0xa1 data */
static BlockDriverState *raw_over_test_with_snapshot(void)
{
    QDict *opts = test_common_opts_pairs("driver", "raw", "node-name", "fb-raw",
                                         "file.driver", "test",
                                         "file.node-name", "fb-img",
                                         "file.size", "1M", NULL);
    BlockDriverState *bs = open_ok(NULL, opts, BDRV_O_RDWR);
    BlockBackend *blk = test_common_new_blk(bs, BLK_PERM_ALL, BLK_PERM_ALL);

    fill(blk, 0xa1);
    snap_create(bs, "old");
    fill(blk, 0xa2);
    blk_unref(blk);
    return bs;
}

/* load_tmp on raw loads the snapshot of raw's image (its primary child) */
static void test_load_tmp_falls_back_to_primary_child(void **state)
{
    BlockDriverState *bs = raw_over_test_with_snapshot();
    BlockBackend *blk;
    Error *err = NULL;

    check_ok(bdrv_reopen_set_read_only(bs, true, &err) == 0, &err,
             "reopen read-only");
    expect_true(bdrv_is_read_only(bs->file->bs));
    check_ok(bdrv_snapshot_load_tmp(bs, NULL, "old", &err) == 0, &err,
             "load_tmp through raw");
    blk = test_common_new_blk(bs, BLK_PERM_CONSISTENT_READ, BLK_PERM_ALL);
    expect_true(has_pattern(blk, 0xa1));
    blk_unref(blk);
    bdrv_unref(bs);
    end_test();
}

/* A driver without snapshots and without a child has nothing to load */
static void test_load_tmp_without_snapshots_or_child(void **state)
{
    BlockDriverState *bs = test_common_open_node("null-co", "fb-null", 0);
    Error *err = NULL;

    expect_int(bdrv_snapshot_load_tmp(bs, "1", NULL, &err), -ENOTSUP);
    check_error_has(&err, "'null-co'", "fb-null",
                    "does not support temporarily loading", NULL);
    bdrv_unref(bs);
    end_test();
}

/*
 * A second child holding data would have to be snapshotted together with
 * the primary one: the node cannot snapshot through its primary child.
 */
static void test_no_fallback_with_a_second_data_child(void **state)
{
    BlockDriverState *bs = raw_over_test_with_snapshot();
    BlockDriverState *extra = open_test("fb-extra");
    QEMUSnapshotInfo sn = { .vm_state_size = 0 };
    QEMUSnapshotInfo *list = NULL;
    BdrvChild *c;

    expect_true(bdrv_can_snapshot(bs));
    c = test_common_attach(bs, extra, "extra", BDRV_CHILD_DATA);
    expect_false(bdrv_can_snapshot(bs));
    expect_int(bdrv_snapshot_create(bs, &sn), -ENOTSUP);
    expect_int(bdrv_snapshot_list(bs, &list), -ENOTSUP);
    bdrv_unref_child(bs, c);
    expect_true(bdrv_can_snapshot(bs));
    expect_int(bdrv_snapshot_list(bs, &list), 1);
    g_free(list);
    bdrv_unref(bs);
    end_test();
}

/* Snapshots write the image: not on a read-only node */
static void test_read_only_node_cannot_snapshot(void **state)
{
    BlockDriverState *bs = test_common_open_node("test", "fb-ro", 0);

    expect_false(bdrv_can_snapshot(bs));
    bdrv_unref(bs);
    end_test();
}

/* Both the id and the name must match when both are given */
static void test_find_by_id_and_name(void **state)
{
    BlockDriverState *bs = raw_over_test_with_snapshot();
    QEMUSnapshotInfo sn;
    Error *err = NULL;

    snap_create(bs, "new");
    expect_true(bdrv_snapshot_find_by_id_and_name(bs, "2", NULL, &sn, &err));
    expect_true(!strcmp(sn.name, "new"));
    expect_true(bdrv_snapshot_find_by_id_and_name(bs, NULL, "old", &sn, &err));
    expect_true(!strcmp(sn.id_str, "1"));
    expect_true(bdrv_snapshot_find_by_id_and_name(bs, "1", "old", &sn, &err));
    expect_false(bdrv_snapshot_find_by_id_and_name(bs, "2", "old", &sn,
                                                   &err));
    expect_false(bdrv_snapshot_find_by_id_and_name(bs, "9", NULL, &sn, &err));
    expect_true(err == NULL);   /* not found is no error */
    expect_int(bdrv_snapshot_find(bs, &sn, "new"), 0);
    expect_true(!strcmp(sn.id_str, "2"));
    bdrv_unref(bs);
    end_test();
}

typedef struct SnapRead {
    BdrvChild *child;
    int64_t bytes;
    QEMUIOVector *qiov;
    size_t qiov_offset;
    int ret;
    bool done;
} SnapRead;

static void coroutine_fn snap_read_entry(void *opaque)
{
    SnapRead *r = opaque;

    r->ret = bdrv_co_preadv_snapshot(r->child, 0, r->bytes, r->qiov,
                                     r->qiov_offset);
    r->done = true;
}

static int snap_read(BdrvChild *child, int64_t bytes, size_t buf_size,
                     size_t qiov_offset)
{
    uint8_t *buf = g_malloc(buf_size);
    QEMUIOVector qiov;
    SnapRead r = { .child = child, .bytes = bytes, .qiov = &qiov,
                   .qiov_offset = qiov_offset };

    qemu_iovec_init_buf(&qiov, buf, buf_size);
    qemu_coroutine_enter(qemu_coroutine_create(snap_read_entry, &r));
    while (!r.done) {
        aio_poll(qemu_get_aio_context(), true);
    }
    g_free(buf);
    return r.ret;
}

/* The I/O vector must hold the request; the range must be a valid one */
static void test_preadv_snapshot_checks_the_request(void **state)
{
    BlockDriverState *bs = open_test("fb-pit");
    BlockBackend *blk = test_common_new_blk(bs, BLK_PERM_ALL, BLK_PERM_ALL);

    /* The request reaches the driver: without a snapshot it has none */
    expect_int(snap_read(blk_root(blk), 4096, 4096, 0), -ENOENT);
    snap_create(bs, "pit");
    expect_int(snap_read(blk_root(blk), 4096, 4096, 0), 0);
    expect_int(snap_read(blk_root(blk), 4096, 512, 0), -EINVAL);
    expect_int(snap_read(blk_root(blk), 512, 4096, 4096 - 511), -EINVAL);
    expect_int(snap_read(blk_root(blk), 512, 4096, 4097), -EINVAL);
    expect_int(snap_read(blk_root(blk), -1, 4096, 0), -EIO);
    blk_unref(blk);
    bdrv_unref(bs);
    end_test();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_load_tmp_falls_back_to_primary_child),
        T(test_load_tmp_without_snapshots_or_child),
        T(test_no_fallback_with_a_second_data_child),
        T(test_read_only_node_cannot_snapshot),
        T(test_find_by_id_and_name),
        T(test_preadv_snapshot_checks_the_request),
    };

    return test_common_run_group(tests, test_common_group_setup, NULL);
}
