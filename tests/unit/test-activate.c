/*
 * Activation (migration hand-over): bdrv_inactivate_all, bdrv_activate,
 * bdrv_activate_all.  An inactive node refuses writes and metadata
 * updates and holds no write permission; a BlockBackend lets go of its
 * permissions while its node is inactive and takes them back on
 * activation, which fails cleanly when someone else took them meanwhile.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "block/driver.h"
#include "block/test-driver.h"
#include "test-common.h"

extern QemuOptsList test_amend_opts;

/* A test-driver node over a test-driver file node */
static BlockDriverState *act_open_pair(const char *name)
{
    g_autofree char *file = g_strdup_printf("%s-file", name);
    BlockDriverState *child = open_test(file);
    QDict *opts = qdict_new();
    BlockDriverState *top;

    qdict_put_str(opts, "driver", "test");
    qdict_put_str(opts, "node-name", name);
    qdict_put_str(opts, "file", file);
    top = open_ok(NULL, opts, BDRV_O_RDWR);
    bdrv_unref(child);
    return top;
}

static void test_inactivate_all_with_writing_backend_drops_write(void **state)
{
    BlockDriverState *bs = act_open_pair("iw");
    BlockBackend *blk = test_common_new_blk(bs, BLK_PERM_CONSISTENT_READ |
                                            BLK_PERM_WRITE, BLK_PERM_ALL);
    uint8_t buf[512] = { 0 };
    Error *err = NULL;

    expect_int(blk_pwrite(blk, 0, 512, buf, 0), 0);
    expect_int(bdrv_inactivate_all(), 0);
    expect_true(bs->open_flags & BDRV_O_INACTIVE);
    expect_true(bs->file->bs->open_flags & BDRV_O_INACTIVE);
    expect_int(blk_root(blk)->perm, 0);
    expect_int(bs->file->perm & (BLK_PERM_WRITE | BLK_PERM_RESIZE), 0);
    expect_int(blk_pwrite(blk, 0, 512, buf, 0), -EPERM);
    expect_graph_ok();

    bdrv_activate_all(&err);
    check_ok(true, &err, "bdrv_activate_all");
    expect_false(bs->open_flags & BDRV_O_INACTIVE);
    expect_int(blk_root(blk)->perm,
               BLK_PERM_CONSISTENT_READ | BLK_PERM_WRITE);
    expect_true(bs->file->perm & BLK_PERM_WRITE);
    expect_int(blk_pwrite(blk, 0, 512, buf, 0), 0);
    expect_graph_ok();
    blk_unref(blk);
    bdrv_unref(bs);
    end_test();
}

static void test_inactive_node_refuses_metadata_updates(void **state)
{
    BlockDriverState *bs = act_open_pair("im");
    BlockBackend *blk = test_common_new_blk(bs, BLK_PERM_ALL, BLK_PERM_ALL);
    QemuOpts *opts = qemu_opts_create(&test_amend_opts, NULL, 0,
                                      &error_abort);
    Error *err = NULL;

    qemu_opt_set(opts, "cluster-size", "65536", &error_abort);
    expect_int(bdrv_inactivate_all(), 0);
    expect_int(bdrv_amend_options(bs, opts, NULL, NULL, false, &err), -EPERM);
    check_error(&err, "Node 'im' is inactive");
    expect_int(bdrv_change_backing_file(bs, "b.img", "raw", false), -EPERM);
    expect_int(bdrv_make_empty(blk_root(blk), &err), -EPERM);
    check_error(&err, "Node 'im' is inactive");
    expect_int(test_driver_counters(bs)->amends, 0);
    expect_int(test_driver_counters(bs)->change_backing_file, 0);
    expect_int(test_driver_counters(bs)->make_empty, 0);

    expect_int(bdrv_activate(bs, &err), 0);
    check_ok(true, &err, "bdrv_activate");
    expect_int(bdrv_amend_options(bs, opts, NULL, NULL, false, &err), 0);
    check_ok(true, &err, "bdrv_amend_options once active");
    qemu_opts_del(opts);
    blk_unref(blk);
    bdrv_unref(bs);
    end_test();
}

/*
 * While the node is inactive another user takes it, sharing no write:
 * the backend cannot take its write permission back, activation fails
 * naming the conflict and the node stays inactive; once the other user
 * is gone, activation succeeds
 */
static void test_activate_fails_cleanly_on_permission_conflict(void **state)
{
    BlockDriverState *bs = act_open_pair("ac");
    BlockBackend *blk = test_common_new_blk(bs, BLK_PERM_CONSISTENT_READ |
                                            BLK_PERM_WRITE, BLK_PERM_ALL);
    BlockBackend *other;
    uint8_t buf[512] = { 0 };
    Error *err = NULL;

    expect_int(bdrv_inactivate_all(), 0);
    other = test_common_new_blk(bs, BLK_PERM_CONSISTENT_READ,
                                BLK_PERM_CONSISTENT_READ);
    expect_int(bdrv_activate(bs, &err), -EPERM);
    check_error_has(&err, "Could not activate node 'ac'",
                    "Permission conflict on node 'ac'", "write",
                    NULL);
    expect_true(bs->open_flags & BDRV_O_INACTIVE);
    expect_int(blk_root(blk)->perm, 0);
    expect_int(blk_pwrite(blk, 0, 512, buf, 0), -EPERM);
    expect_graph_ok();

    blk_unref(other);
    expect_int(bdrv_activate(bs, &err), 0);
    check_ok(true, &err, "bdrv_activate after the conflict is gone");
    expect_int(blk_pwrite(blk, 0, 512, buf, 0), 0);
    blk_unref(blk);
    bdrv_unref(bs);
    end_test();
}

/* bdrv_activate_all reports the same failure */
static void test_activate_all_reports_conflict(void **state)
{
    BlockDriverState *bs = open_test("aa");
    BlockBackend *blk = test_common_new_blk(bs, BLK_PERM_ALL, BLK_PERM_ALL);
    BlockBackend *other;
    Error *err = NULL;

    expect_int(bdrv_inactivate_all(), 0);
    other = test_common_new_blk(bs, BLK_PERM_CONSISTENT_READ, 0);
    bdrv_activate_all(&err);
    check_error_has(&err, "Could not activate node 'aa'", NULL);
    expect_true(bs->open_flags & BDRV_O_INACTIVE);
    blk_unref(other);
    bdrv_activate_all(&err);
    check_ok(true, &err, "bdrv_activate_all");
    expect_false(bs->open_flags & BDRV_O_INACTIVE);
    blk_unref(blk);
    bdrv_unref(bs);
    end_test();
}

/* A writing parent without an inactivate hook keeps the node active */
static const BdrvChildClass act_writer_class = {
    .parent_is_bds = false,
};

static void test_inactivate_all_refused_by_writer_without_hook(void **state)
{
    BlockDriverState *bs = open_test("ir");
    Error *err = NULL;
    BdrvChild *c;

    bdrv_ref(bs);
    c = bdrv_root_attach_child(bs, "writer", &act_writer_class,
                               BDRV_CHILD_DATA, BLK_PERM_WRITE, BLK_PERM_ALL,
                               NULL, &err);
    check_ok(c != NULL, &err, "attaching the writer");
    expect_int(bdrv_inactivate_all(), -EPERM);
    expect_false(bs->open_flags & BDRV_O_INACTIVE);
    expect_int(test_driver_counters(bs)->inactivate, 0);
    bdrv_root_unref_child(c);
    bdrv_unref(bs);
    end_test();
}

/* A node without a driver (ejected) cannot be activated */
static void test_activate_refuses_ejected_node(void **state)
{
    BlockDriverState *bs = bdrv_new();
    Error *err = NULL;

    expect_int(bdrv_activate(bs, &err), -ENOMEDIUM);
    bdrv_unref(bs);
    error_free(err);
    end_test();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_inactivate_all_with_writing_backend_drops_write),
        T(test_inactive_node_refuses_metadata_updates),
        T(test_activate_fails_cleanly_on_permission_conflict),
        T(test_activate_all_reports_conflict),
        T(test_inactivate_all_refused_by_writer_without_hook),
        T(test_activate_refuses_ejected_node),
    };

    return test_common_run_group(tests, test_common_group_setup, NULL);
}
