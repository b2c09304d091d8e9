/*
 * The driver contract's global-state half, through the "test" driver:
 * check, amend, VM state, (in)activation, make_empty, change_backing_file,
 * get_info / specific info / measure, creation from a QDict, and the
 * helpers a format calls (bdrv_mark_corrupt, bdrv_apply_auto_read_only).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "block/driver.h"
#include "block/test-driver.h"
#include "test-common.h"

static BlockBackend *ops_open(const char *cluster_size, int flags)
{
    QDict *opts = qdict_new();

    qdict_put_str(opts, "size", "1M");
    if (cluster_size) {
        qdict_put_str(opts, "cluster-size", cluster_size);
    }
    return test_common_blk_open("test", NULL, opts, flags, &error_abort);
}

/* ---- check ---- */

static void test_check_reports_and_repairs(void **state)
{
    BlockBackend *blk = ops_open(NULL, BDRV_O_RDWR);
    BlockDriverState *bs = blk_bs(blk);
    BdrvCheckResult res;

    test_driver_set_check_result(bs, 3, 2);
    memset(&res, 0x5a, sizeof(res));   /* the core zeroes it first */
    assert_int_equal(bdrv_check(bs, &res, 0), 0);
    assert_int_equal(res.corruptions, 3);
    assert_int_equal(res.leaks, 2);
    assert_int_equal(res.check_errors, 0);
    assert_int_equal(res.corruptions_fixed, 0);
    assert_int_equal(res.image_end_offset, 1 << 20);
    assert_int_equal(res.bfi.total_clusters, 0);

    assert_int_equal(bdrv_check(bs, &res, BDRV_FIX_LEAKS), 0);
    assert_int_equal(res.leaks_fixed, 2);
    assert_int_equal(res.leaks, 0);
    assert_int_equal(res.corruptions, 3);
    assert_int_equal(bdrv_check(bs, &res, BDRV_FIX_ERRORS), 0);
    assert_int_equal(res.corruptions_fixed, 3);
    assert_int_equal(res.corruptions, 0);
    assert_int_equal(test_driver_counters(bs)->checks, 3);
    blk_unref(blk);
}

static void test_check_unsupported_and_read_only_repair(void **state)
{
    BlockDriverState *null_bs = open_null("check-null");
    BlockBackend *blk = ops_open(NULL, 0);
    BdrvCheckResult res;

    assert_int_equal(bdrv_check(null_bs, &res, 0), -ENOTSUP);
    assert_int_equal(bdrv_check(blk_bs(blk), &res, 0), 0);
    assert_int_equal(bdrv_check(blk_bs(blk), &res, BDRV_FIX_LEAKS), -EACCES);
    assert_int_equal(test_driver_counters(blk_bs(blk))->checks, 1);
    bdrv_unref(null_bs);
    blk_unref(blk);
}

/* ---- amend ---- */

static int64_t amend_progress[8];
static int amend_progress_len;

static void amend_status(BlockDriverState *bs, int64_t offset,
                         int64_t total, void *opaque)
{
    assert_int_equal(total, 2);
    if (amend_progress_len < 8) {
        amend_progress[amend_progress_len++] = offset;
    }
}

static QemuOptsList amend_wider_opts = {
    .name = "amend-wider",
    .desc = {
        { .name = "cluster-size", .type = QEMU_OPT_SIZE },
        { .name = "compat", .type = QEMU_OPT_STRING },
        { /* end of list */ }
    },
};

static void test_amend_options_reports_progress(void **state)
{
    BlockBackend *blk = ops_open("4096", BDRV_O_RDWR);
    BlockDriverState *bs = blk_bs(blk);
    QemuOpts *opts = qemu_opts_create(bs->drv->amend_opts, NULL, 0,
                                      &error_abort);
    BlockDriverInfo bdi;
    Error *err = NULL;

    qemu_opt_set(opts, "cluster-size", "65536", &error_abort);
    amend_progress_len = 0;
    assert_int_equal(bdrv_amend_options(bs, opts, amend_status, NULL, false,
                                        &err), 0);
    assert_int_equal(amend_progress_len, 3);
    assert_int_equal(amend_progress[0], 0);
    assert_int_equal(amend_progress[2], 2);
    assert_int_equal(bdrv_get_info(bs, &bdi), 0);
    assert_int_equal(bdi.cluster_size, 65536);
    qemu_opts_del(opts);

    /* An option the format cannot amend is an error, not ignored */
    opts = qemu_opts_create(&amend_wider_opts, NULL, 0, &error_abort);
    qemu_opt_set(opts, "compat", "1.1", &error_abort);
    assert_int_equal(bdrv_amend_options(bs, opts, NULL, NULL, false, &err),
                     -EINVAL);
    check_error(&err, "Invalid parameter 'compat'");
    assert_int_equal(test_driver_counters(bs)->amends, 1);
    qemu_opts_del(opts);
    blk_unref(blk);
}

static void test_amend_unsupported_or_read_only(void **state)
{
    BlockDriverState *null_bs = open_null("amend-null");
    BlockBackend *blk = ops_open(NULL, 0);
    QemuOpts *opts = qemu_opts_create(&amend_wider_opts, NULL, 0,
                                      &error_abort);
    Error *err = NULL;

    assert_int_equal(bdrv_amend_options(null_bs, opts, NULL, NULL, false,
                                        &err), -ENOTSUP);
    check_error(&err, "Block driver 'null-co' does not support option "
                "amendment");
    assert_int_equal(bdrv_amend_options(blk_bs(blk), opts, NULL, NULL, false,
                                        &err), -EACCES);
    check_error_has(&err, "read-only", NULL);
    qemu_opts_del(opts);
    bdrv_unref(null_bs);
    blk_unref(blk);
}

typedef struct AmendCall {
    BlockDriverState *bs;
    QDict *options;
    Error **errp;
    int ret;
    bool done;
} AmendCall;

static void coroutine_fn amend_entry(void *opaque)
{
    AmendCall *c = opaque;

    c->ret = bdrv_co_amend(c->bs, c->options, false, c->errp);
    c->done = true;
}

static int run_co_amend(BlockDriverState *bs, QDict *options, Error **errp)
{
    AmendCall c = { .bs = bs, .options = options, .errp = errp };

    qemu_coroutine_enter(qemu_coroutine_create(amend_entry, &c));
    while (!c.done) {
        aio_poll(qemu_get_aio_context(), true);
    }
    qobject_unref(options);
    return c.ret;
}

static void test_co_amend_from_qdict(void **state)
{
    BlockBackend *blk = ops_open(NULL, BDRV_O_RDWR);
    BlockDriverState *bs = blk_bs(blk);
    BlockDriverInfo bdi;
    QDict *opts = qdict_new();
    Error *err = NULL;

    qdict_put_str(opts, "driver", "test");
    qdict_put_int(opts, "cluster-size", 8192);
    assert_int_equal(run_co_amend(bs, opts, &err), 0);
    assert_int_equal(bdrv_get_info(bs, &bdi), 0);
    assert_int_equal(bdi.cluster_size, 8192);

    opts = qdict_new();
    qdict_put_str(opts, "driver", "qcow2");
    assert_int_equal(run_co_amend(bs, opts, &err), -EINVAL);
    check_error_has(&err, "'qcow2'", NULL);
    opts = qdict_new();
    qdict_put_int(opts, "refcount-bits", 1);
    assert_int_equal(run_co_amend(bs, opts, &err), -EINVAL);
    check_error(&err, "Invalid parameter 'refcount-bits'");
    blk_unref(blk);
}

/* ---- VM state ---- */

static void test_vmstate_round_trip_through_filter(void **state)
{
    BlockDriverState *img = open_test("vm-img");
    BlockDriverState *null_bs = open_null("vm-null");
    QDict *opts = qdict_new();
    BlockBackend *blk;
    uint8_t in[300], out[300];

    qdict_put_str(opts, "file", "vm-img");
    blk = test_common_blk_open("raw", NULL, opts, BDRV_O_RDWR, &error_abort);
    for (int i = 0; i < 300; i++) {
        in[i] = (uint8_t)(i * 3 + 1);
    }
    /* raw has no VM state: it goes to its primary child */
    assert_int_equal(bdrv_save_vmstate(blk_bs(blk), in, 1000, 300), 300);
    assert_int_equal(bdrv_load_vmstate(img, out, 1000, 300), 300);
    assert_memory_equal(in, out, 300);
    /* Guest data is not touched */
    assert_int_equal(blk_pread(blk, 1000, 300, out, 0), 0);
    assert_true(buffer_is_zero(out, 300));
    assert_int_equal(bdrv_save_vmstate(null_bs, in, 0, 300), -ENOTSUP);
    assert_int_equal(bdrv_load_vmstate(img, out, -1, 300), -EIO);
    blk_unref(blk);
    unref_nodes(img, null_bs);
}

/* ---- activation ---- */

static void test_inactivate_all_then_activate(void **state)
{
    BlockDriverState *bs = open_test("act-node");
    const TestDriverCounters *c = test_driver_counters(bs);
    BlockBackend *blk;
    uint8_t buf[512] = { 0 };
    Error *err = NULL;

    assert_int_equal(bdrv_inactivate_all(), 0);
    assert_true(bs->open_flags & BDRV_O_INACTIVE);
    assert_int_equal(c->inactivate, 1);
    assert_false(bdrv_is_writable(bs));
    /* Twice is harmless: an inactive node is left alone */
    assert_int_equal(bdrv_inactivate_all(), 0);
    assert_int_equal(c->inactivate, 1);

    bdrv_activate_all(&err);
    assert_null(err);
    assert_false(bs->open_flags & BDRV_O_INACTIVE);
    assert_int_equal(c->invalidate_cache, 1);
    blk = test_common_new_blk(bs, BLK_PERM_ALL, BLK_PERM_ALL);
    assert_int_equal(blk_pwrite(blk, 0, 512, buf, 0), 0);
    /* A backend still attached lets go of its write permission */
    assert_int_equal(bdrv_inactivate_all(), 0);
    assert_true(bs->open_flags & BDRV_O_INACTIVE);
    assert_int_equal(blk_pwrite(blk, 0, 512, buf, 0), -EPERM);
    bdrv_activate_all(&err);
    assert_null(err);
    assert_int_equal(blk_pwrite(blk, 0, 512, buf, 0), 0);
    blk_unref(blk);
    bdrv_unref(bs);
}

/* Inactive from the top down: the child follows its last parent */
static void test_inactivate_parents_before_children(void **state)
{
    BlockDriverState *child = open_test("act-child");
    QDict *opts = qdict_new();
    BlockDriverState *top;

    qdict_put_str(opts, "driver", "test");
    qdict_put_str(opts, "file", "act-child");
    top = open_ok(NULL, opts, BDRV_O_RDWR);
    bdrv_unref(child);
    assert_int_equal(bdrv_inactivate_all(), 0);
    assert_true(top->open_flags & BDRV_O_INACTIVE);
    assert_true(child->open_flags & BDRV_O_INACTIVE);
    assert_int_equal(bdrv_activate(top, &error_abort), 0);
    assert_false(child->open_flags & BDRV_O_INACTIVE);
    assert_int_equal(test_driver_counters(child)->invalidate_cache, 1);
    bdrv_unref(top);
}

/* ---- make_empty and change_backing_file ---- */

static void test_make_empty_drops_data(void **state)
{
    BlockBackend *blk = ops_open(NULL, BDRV_O_RDWR);
    BlockBackend *reader = test_common_new_blk(blk_bs(blk),
                                               BLK_PERM_CONSISTENT_READ,
                                               BLK_PERM_ALL);
    BlockDriverState *null_bs = open_null("empty-null");
    BlockBackend *null_blk = test_common_new_blk(null_bs, BLK_PERM_ALL,
                                                 BLK_PERM_ALL);
    uint8_t buf[512];
    Error *err = NULL;

    memset(buf, 0xee, sizeof(buf));
    assert_int_equal(blk_pwrite(blk, 0, 512, buf, 0), 0);
    assert_int_equal(bdrv_make_empty(blk_root(reader), &err), -EPERM);
    check_error_has(&err, "write permission", NULL);
    assert_int_equal(bdrv_make_empty(blk_root(blk), &err), 0);
    assert_int_equal(blk_pread(blk, 0, 512, buf, 0), 0);
    assert_true(buffer_is_zero(buf, 512));
    assert_int_equal(bdrv_make_empty(blk_root(null_blk), &err), -ENOTSUP);
    check_error(&err, "null-co does not support emptying nodes");
    blk_unref(null_blk);
    bdrv_unref(null_bs);
    blk_unref(reader);
    blk_unref(blk);
}

static void test_change_backing_file_records_name(void **state)
{
    BlockDriverState *bs = open_test("cbf-node");
    BlockDriverState *null_bs = open_null("cbf-null");

    assert_int_equal(bdrv_change_backing_file(bs, "base.img", "raw", true),
                     0);
    assert_string_equal(bs->backing_file, "base.img");
    assert_string_equal(bs->backing_format, "raw");
    assert_int_equal(test_driver_counters(bs)->change_backing_file, 1);
    /* A format without a file; a required format missing */
    assert_int_equal(bdrv_change_backing_file(bs, NULL, "raw", false),
                     -EINVAL);
    assert_int_equal(bdrv_change_backing_file(bs, "b.img", NULL, true),
                     -EINVAL);
    assert_int_equal(test_driver_counters(bs)->change_backing_file, 1);
    /* Dropping the name */
    assert_int_equal(bdrv_change_backing_file(bs, NULL, NULL, false), 0);
    assert_string_equal(bs->backing_file, "");
    assert_int_equal(bdrv_change_backing_file(null_bs, "b.img", "raw", true),
                     -ENOTSUP);
    unref_nodes(bs, null_bs);
}

/* ---- information ---- */

static void test_get_info_specific_info_measure(void **state)
{
    BlockBackend *blk = ops_open("65536", BDRV_O_RDWR);
    BlockDriverState *null_bs = open_null("info-null");
    BlockDriver *test_drv = bdrv_find_format("test");
    QemuOpts *opts = qemu_opts_create(&amend_wider_opts, NULL, 0,
                                      &error_abort);
    ImageInfoSpecific *info;
    BlockMeasureInfo *m;
    BlockDriverInfo bdi;
    Error *err = NULL;

    assert_int_equal(bdrv_get_info(blk_bs(blk), &bdi), 0);
    assert_int_equal(bdi.cluster_size, 65536);
    assert_int_equal(bdrv_get_info(null_bs, &bdi), -ENOTSUP);

    info = bdrv_get_specific_info(blk_bs(blk), &err);
    assert_non_null(info);
    assert_string_equal(info->type, "test");
    assert_int_equal(qdict_get_int(info->data, "cluster-size"), 65536);
    qapi_free_ImageInfoSpecific(info);
    assert_null(bdrv_get_specific_info(null_bs, &err));

    m = bdrv_measure(test_drv, opts, blk_bs(blk), &err);
    assert_non_null(m);
    assert_int_equal(m->required, 1 << 20);
    qapi_free_BlockMeasureInfo(m);
    assert_null(bdrv_measure(bdrv_find_format("null-co"), opts, NULL, &err));
    check_error(&err, "Block driver 'null-co' does not support size "
                "measurement");
    qemu_opts_del(opts);
    bdrv_unref(null_bs);
    blk_unref(blk);
}

/* ---- creation from a QDict ---- */

static void test_create_from_qdict(void **state)
{
    QDict *opts = qdict_new();
    int before = test_driver_create_count();
    Error *err = NULL;

    qdict_put_str(opts, "driver", "test");
    qdict_put_int(opts, "size", 1 << 20);
    assert_int_equal(bdrv_create_qdict(opts, &err), 0);
    assert_int_equal(test_driver_create_count(), before + 1);
    assert_int_equal(test_driver_last_create_size(), 1 << 20);
    /* The caller still owns the options */
    assert_int_equal(qdict_get_int(opts, "size"), 1 << 20);

    qdict_put_int(opts, "size", -1);
    assert_int_equal(bdrv_create_qdict(opts, &err), -EINVAL);
    check_error_has(&err, "size -1", NULL);
    qdict_put_str(opts, "driver", "null-co");
    assert_int_equal(bdrv_create_qdict(opts, &err), -ENOTSUP);
    check_error(&err, "Driver 'null-co' does not support blockdev-create");
    qdict_put_str(opts, "driver", "nosuch");
    assert_int_equal(bdrv_create_qdict(opts, &err), -ENOENT);
    check_error(&err, "Unknown driver 'nosuch'");
    qdict_del(opts, "driver");
    assert_int_equal(bdrv_create_qdict(opts, &err), -EINVAL);
    check_error(&err, "Parameter 'driver' is missing");
    qobject_unref(opts);
}

/* ---- bdrv_mark_corrupt ---- */

/* What error_report printed while @fn ran */
static char *captured_reports(void (*fn)(BlockDriverState *),
                              BlockDriverState *bs)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);

    error_set_report_stream(f);
    fn(bs);
    error_set_report_stream(NULL);
    fclose(f);
    return text;
}

static void corrupt_fatal(BlockDriverState *bs)
{
    bdrv_mark_corrupt(bs, true, 65536, 512, "Preventing invalid write on "
                      "metadata (overlaps with %s)", "active L1 table");
}

static void corrupt_nonfatal(BlockDriverState *bs)
{
    bdrv_mark_corrupt(bs, false, -1, -1, "Cluster %d is unaligned", 7);
}

static void test_mark_corrupt_fatal_refuses_writes(void **state)
{
    BlockBackend *blk = ops_open(NULL, BDRV_O_RDWR);
    BlockDriverState *bs = blk_bs(blk);
    g_autofree char *first = NULL, *second = NULL;
    uint8_t buf[512] = { 0 };

    first = captured_reports(corrupt_fatal, bs);
    assert_non_null(strstr(first, "test: Marking image as corrupt: Preventing "
                           "invalid write on metadata (overlaps with active "
                           "L1 table); further corruption events will be "
                           "suppressed"));
    assert_true(bs->corrupt);
    assert_int_equal(blk_pwrite(blk, 0, 512, buf, 0), -EIO);
    assert_int_equal(blk_pwrite_zeroes(blk, 0, 512, 0), -EIO);
    assert_int_equal(blk_pread(blk, 0, 512, buf, 0), 0);
    assert_int_equal(test_driver_counters(bs)->writes, 0);
    /* Suppressed the second time */
    second = captured_reports(corrupt_fatal, bs);
    assert_string_equal(second, "");
    blk_unref(blk);
}

static void test_mark_corrupt_nonfatal_only_reports(void **state)
{
    BlockBackend *blk = ops_open(NULL, BDRV_O_RDWR);
    BlockDriverState *bs = blk_bs(blk);
    g_autofree char *first = NULL, *second = NULL;
    uint8_t buf[512] = { 0 };

    first = captured_reports(corrupt_nonfatal, bs);
    assert_non_null(strstr(first, "test: Image is corrupt: Cluster 7 is "
                           "unaligned; further non-fatal corruption events "
                           "will be suppressed"));
    second = captured_reports(corrupt_nonfatal, bs);
    assert_string_equal(second, "");
    assert_false(bs->corrupt);
    assert_int_equal(blk_pwrite(blk, 0, 512, buf, 0), 0);
    blk_unref(blk);
}

/* ---- bdrv_apply_auto_read_only ---- */

static int ro_media_open(BlockDriverState *bs, QDict *options, int flags,
                         Error **errp)
{
    bs->total_sectors = 8;
    return bdrv_apply_auto_read_only(bs, "The ro-media image cannot be "
                                     "written", errp);
}

static BlockDriver ro_media_drv = {
    .format_name = "ro-media",
    .bdrv_open = ro_media_open,
};

static void test_apply_auto_read_only(void **state)
{
    BlockDriverState *bs;
    Error *err = NULL;

    /* Read-write without auto-read-only: refused with the driver's words */
    bs = bdrv_new_open_driver(&ro_media_drv, NULL, BDRV_O_RDWR, &err);
    assert_null(bs);
    check_error_has(&err, "The ro-media image cannot be written", NULL);

    bs = bdrv_new_open_driver(&ro_media_drv, NULL,
                              BDRV_O_RDWR | BDRV_O_AUTO_RDONLY, &err);
    check_ok(bs != NULL, &err, "auto-read-only open");
    assert_true(bdrv_is_read_only(bs));
    assert_false(bdrv_get_flags(bs) & BDRV_O_RDWR);
    bdrv_unref(bs);

    bs = bdrv_new_open_driver(&ro_media_drv, NULL, 0, &err);
    check_ok(bs != NULL, &err, "read-only open");
    bdrv_unref(bs);

    /* Copy-on-read cannot be read-only */
    bs = bdrv_new_open_driver(&ro_media_drv, NULL,
                              BDRV_O_RDWR | BDRV_O_AUTO_RDONLY |
                                  BDRV_O_COPY_ON_READ, &err);
    assert_null(bs);
    check_error_has(&err, "cannot be written", NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_check_reports_and_repairs),
        T(test_check_unsupported_and_read_only_repair),
        T(test_amend_options_reports_progress),
        T(test_amend_unsupported_or_read_only),
        T(test_co_amend_from_qdict),
        T(test_vmstate_round_trip_through_filter),
        T(test_inactivate_all_then_activate),
        T(test_inactivate_parents_before_children),
        T(test_make_empty_drops_data),
        T(test_change_backing_file_records_name),
        T(test_get_info_specific_info_measure),
        T(test_create_from_qdict),
        T(test_mark_corrupt_fatal_refuses_writes),
        T(test_mark_corrupt_nonfatal_only_reports),
        T(test_apply_auto_read_only),
    };

    return test_common_run_group(tests, test_common_group_setup, NULL);
}
