/*
 * A node without a driver (bdrv_new() before an open, or ejected): every
 * entry point that needs the driver refuses it with -ENOMEDIUM (and a
 * message naming the node where the function takes an Error), never
 * dereferencing the missing driver.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "block/driver.h"
#include "block/test-driver.h"
#include "util/iothread.h"
#include "test-common.h"

static void test_ejected_node_has_no_snapshots(void **state)
{
    BlockDriverState *bs = bdrv_new();
    QEMUSnapshotInfo sn = { .vm_state_size = 0 };
    QEMUSnapshotInfo *list = &sn;
    Error *err = NULL;

    expect_false(bdrv_can_snapshot(bs));
    expect_int(bdrv_snapshot_create(bs, &sn), -ENOMEDIUM);
    expect_int(bdrv_snapshot_goto(bs, "1", &err), -ENOMEDIUM);
    check_error_has(&err, "has no medium", NULL);
    expect_int(bdrv_snapshot_delete(bs, "1", NULL, &err), -ENOMEDIUM);
    check_error_has(&err, "has no medium", NULL);
    expect_int(bdrv_snapshot_list(bs, &list), -ENOMEDIUM);
    expect_true(list == NULL);
    expect_int(bdrv_snapshot_find(bs, &sn, "1"), -ENOMEDIUM);
    expect_false(bdrv_snapshot_find_by_id_and_name(bs, "1", NULL, &sn, &err));
    check_error_has(&err, "Failed to get a snapshot list", NULL);
    expect_int(bdrv_snapshot_load_tmp(bs, "1", NULL, &err), -ENOMEDIUM);
    check_error_has(&err, "has no medium", NULL);
    bdrv_unref(bs);
    end_test();
}

static void test_ejected_node_refuses_image_operations(void **state)
{
    BlockDriverState *bs = bdrv_new();
    BdrvCheckResult res;
    BlockDriverInfo bdi;
    Error *err = NULL;

    expect_int(bdrv_check(bs, &res, 0), -ENOMEDIUM);
    expect_int(bdrv_get_info(bs, &bdi), -ENOMEDIUM);
    expect_true(bdrv_get_specific_info(bs, &err) == NULL);
    error_free(err);
    err = NULL;
    expect_int(bdrv_amend_options(bs, NULL, NULL, NULL, false, &err),
               -ENOMEDIUM);
    check_error_has(&err, "is ejected", NULL);
    expect_int(bdrv_change_backing_file(bs, "base", "raw", false),
               -ENOMEDIUM);
    expect_int(bdrv_commit(bs), -ENOMEDIUM);
    expect_true(bdrv_dirname(bs, &err) == NULL);
    check_error_has(&err, "is ejected", NULL);
    bdrv_unref(bs);
    end_test();
}

static void test_ejected_node_has_no_length_or_data(void **state)
{
    BlockDriverState *bs = bdrv_new();
    uint8_t buf[512];
    int64_t pnum = 1;

    expect_int(bdrv_getlength(bs), -ENOMEDIUM);
    expect_int(bdrv_nb_sectors(bs), -ENOMEDIUM);
    expect_int(bdrv_block_status(bs, 0, 512, &pnum, NULL, NULL), -ENOMEDIUM);
    expect_int(pnum, 0);
    expect_int(bdrv_save_vmstate(bs, buf, 0, sizeof(buf)), -ENOMEDIUM);
    expect_int(bdrv_load_vmstate(bs, buf, 0, sizeof(buf)), -ENOMEDIUM);
    /* A negative size is refused before anything else */
    expect_int(bdrv_load_vmstate(bs, buf, 0, -1), -EINVAL);
    bdrv_unref(bs);
    end_test();
}

/* Breakpoints need a driver that takes them: none here */
static void test_ejected_node_takes_no_breakpoint(void **state)
{
    BlockDriverState *bs = bdrv_new();

    expect_int(bdrv_debug_breakpoint(bs, "read_aio", "t"), -ENOTSUP);
    expect_int(bdrv_debug_remove_breakpoint(bs, "t"), -ENOTSUP);
    expect_int(bdrv_debug_resume(bs, "t"), -ENOTSUP);
    expect_false(bdrv_debug_is_suspended(bs, "t"));
    bdrv_unref(bs);
    end_test();
}

/* Without a driver there is nothing to detach or attach: the node moves */
static void test_ejected_node_changes_aio_context(void **state)
{
    IOThread *iothread = iothread_create("ej-io", &error_abort);
    AioContext *io = iothread_get_aio_context(iothread);
    BlockDriverState *bs = bdrv_new();
    Error *err = NULL;

    check_ok(bdrv_try_change_aio_context(bs, io, NULL, &err) == 0, &err,
             "move to the IOThread");
    expect_true(bdrv_get_aio_context(bs) == io);
    check_ok(bdrv_try_change_aio_context(bs, qemu_get_aio_context(), NULL,
                                         &err) == 0, &err, "move back");
    expect_true(bdrv_get_aio_context(bs) == qemu_get_aio_context());
    bdrv_unref(bs);
    iothread_destroy(iothread);
    end_test();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_ejected_node_has_no_snapshots),
        T(test_ejected_node_refuses_image_operations),
        T(test_ejected_node_has_no_length_or_data),
        T(test_ejected_node_takes_no_breakpoint),
        T(test_ejected_node_changes_aio_context),
    };

    return test_common_run_group(tests, test_common_group_setup, NULL);
}
