/*
 * Backing files are opened by the core, after the driver's open: a driver
 * that supports backing files (supports_backing) only records the name and
 * format its image names (bs->backing_file, bs->backing_format).  A ':'
 * makes a protocol prefix only before any '/'.  Creating an overlay over an
 * image another user holds opens that backing image with force-share.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "test-common.h"
#include "block/driver.h"
#include "block/mem.h"
#include "util/cutils.h"

#define IMG_SIZE (1 << 20)

/* ---- a format that records a backing file and never opens it ----------- */

static const char *hdr_backing_file = "";
static const char *hdr_backing_fmt = "";
static bool backing_seen_in_open;

static int hdr_open(BlockDriverState *bs, QDict *options, int flags,
                    Error **errp)
{
    backing_seen_in_open = bs->backing != NULL;
    pstrcpy(bs->backing_file, sizeof(bs->backing_file), hdr_backing_file);
    pstrcpy(bs->backing_format, sizeof(bs->backing_format), hdr_backing_fmt);
    return 0;
}

static int64_t coroutine_fn hdr_co_getlength(BlockDriverState *bs)
{
    return IMG_SIZE;
}

static QemuOptsList hdr_create_opts = {
    .name = "hdr-create-opts",
    .desc = {
        { .name = BLOCK_OPT_SIZE, .type = QEMU_OPT_SIZE },
        { .name = BLOCK_OPT_BACKING_FILE, .type = QEMU_OPT_STRING },
        { .name = BLOCK_OPT_BACKING_FMT, .type = QEMU_OPT_STRING },
        { /* end of list */ }
    },
};

static int coroutine_fn hdr_co_create_opts(BlockDriver *drv,
                                           const char *filename,
                                           QemuOpts *opts, Error **errp)
{
    return bdrv_co_create_file(filename, opts, errp);
}

static BlockDriver bdrv_hdr = {
    .format_name = "hdr-fmt",
    .is_format = true,
    .supports_backing = true,
    .bdrv_open = hdr_open,
    .bdrv_co_getlength = hdr_co_getlength,
    .bdrv_child_perm = bdrv_default_perms,
    .bdrv_co_create_opts = hdr_co_create_opts,
    .create_opts = &hdr_create_opts,
};

static BlockDriverState *open_hdr(const char *backing_file,
                                  const char *backing_fmt, Error **errp)
{
    hdr_backing_file = backing_file;
    hdr_backing_fmt = backing_fmt;
    return bdrv_open(NULL, NULL, opts_new("hdr-fmt", "top"), BDRV_O_RDWR,
                     errp);
}

/* ---- tests ---------------------------------------------------------------- */

static void test_backing_opened_by_core_after_driver_open(void **state)
{
    BlockDriverState *top;
    Error *err = NULL;

    assert_int_equal(mem_image_set("bk-base", NULL, IMG_SIZE, NULL), 0);
    backing_seen_in_open = true;
    top = open_hdr("mem:bk-base", "raw", &err);
    check_ok(top != NULL, &err, "open hdr-fmt");
    expect_false(backing_seen_in_open);
    assert_non_null(top->backing);
    expect_true(top->backing->role & BDRV_CHILD_COW);
    expect_true(bdrv_is_read_only(top->backing->bs));
    assert_string_equal(bdrv_get_format_name(top->backing->bs), "raw");
    assert_string_equal(top->backing->bs->filename, "mem:bk-base");
    bdrv_unref(top);
    mem_image_delete("bk-base");
    end_test();
}

/* "./a:b" is a file in the image's directory, not protocol "." */
static void test_backing_colon_after_slash_is_a_path(void **state)
{
    g_autofree char *base = tmp_path("a:b");
    g_autofree char *top_path = tmp_path("top.img");
    QDict *opts = opts_new("test", "top");
    BlockDriverState *top;
    Error *err = NULL;

    bdrv_img_create(base, "raw", NULL, NULL, NULL, IMG_SIZE, 0, true, &err);
    check_ok(!err, &err, "create base");
    bdrv_img_create(top_path, "raw", NULL, NULL, NULL, IMG_SIZE, 0, true,
                    &err);
    check_ok(!err, &err, "create top");
    qdict_put_str(opts, "file.driver", "file");
    qdict_put_str(opts, "file.filename", top_path);
    qdict_put_str(opts, "backing-file", "./a:b");
    qdict_put_str(opts, "backing-fmt", "raw");
    top = bdrv_open(NULL, NULL, opts, BDRV_O_RDWR, &err);
    check_ok(top != NULL, &err, "open with backing ./a:b");
    assert_non_null(top->backing);
    assert_non_null(strstr(top->backing->bs->filename, "/./a:b"));
    assert_true(g_str_has_prefix(top->backing->bs->filename,
                                 test_common_tmp_dir()));
    bdrv_unref(top);
    end_test();
}

/* "mem:x" names the mem protocol: not relative to the image */
static void test_backing_colon_before_slash_is_a_protocol(void **state)
{
    BlockDriverState *top;
    Error *err = NULL;

    assert_int_equal(mem_image_set("bk-proto", NULL, IMG_SIZE, NULL), 0);
    top = open_hdr("mem:bk-proto", "raw", &err);
    check_ok(top != NULL, &err, "open hdr-fmt");
    assert_non_null(top->backing);
    assert_string_equal(top->backing->bs->filename, "mem:bk-proto");
    bdrv_unref(top);
    mem_image_delete("bk-proto");
    end_test();
}

/* A name without '/' whose prefix is no protocol: QEMU's error */
static void test_backing_unknown_protocol(void **state)
{
    Error *err = NULL;

    assert_null(open_hdr("nosuchproto:x", "raw", &err));
    check_error_has(&err, "Could not open backing file",
                    "Unknown protocol 'nosuchproto'", NULL);
}

static void test_backing_refused_without_driver_support(void **state)
{
    QDict *opts = opts_new("null-co", "nb");
    Error *err = NULL;

    qdict_put_str(opts, "backing", "whatever");
    assert_null(bdrv_open(NULL, NULL, opts, BDRV_O_RDWR, &err));
    check_error(&err, "Driver doesn't support backing files");

    opts = opts_new("null-co", "nb2");
    qdict_put_str(opts, "backing.driver", "null-co");
    assert_null(bdrv_open(NULL, NULL, opts, BDRV_O_RDWR, &err));
    check_error(&err, "Driver doesn't support backing files");
}

/* backing: null is fine for any driver: there is no backing file */
static void test_backing_null_for_any_driver(void **state)
{
    QDict *opts = opts_new("null-co", "nn");
    BlockDriverState *bs;

    qdict_put_null(opts, "backing");
    bs = open_ok(NULL, opts, BDRV_O_RDWR);
    assert_null(bs->backing);
    bdrv_unref(bs);
}

/* Header options do not stop "backing.*" options from using the name */
static void test_backing_options_use_recorded_name(void **state)
{
    QDict *opts = opts_new("hdr-fmt", "top");
    BlockDriverState *top;

    assert_int_equal(mem_image_set("bk-opt", NULL, IMG_SIZE, NULL), 0);
    hdr_backing_file = "mem:bk-opt";
    hdr_backing_fmt = "raw";
    qdict_put_str(opts, "backing.node-name", "bk-opt-node");
    top = open_ok(NULL, opts, BDRV_O_RDWR);
    assert_non_null(top->backing);
    assert_string_equal(bdrv_get_node_name(top->backing->bs), "bk-opt-node");
    assert_string_equal(top->backing->bs->filename, "mem:bk-opt");
    bdrv_unref(top);
    mem_image_delete("bk-opt");
    end_test();
}

/* The backing image is held read-write by someone: create an overlay */
static void test_overlay_create_over_image_in_use(void **state)
{
    g_autofree char *base = tmp_path("inuse.base");
    g_autofree char *ovl = tmp_path("inuse.ovl");
    QDict *opts = opts_new("test", NULL);
    BlockBackend *holder;
    Error *err = NULL;

    bdrv_img_create(base, "raw", NULL, NULL, NULL, IMG_SIZE, 0, true, &err);
    check_ok(!err, &err, "create base");
    qdict_put_str(opts, "file.driver", "file");
    qdict_put_str(opts, "file.filename", base);
    holder = blk_new_open(NULL, NULL, opts, BDRV_O_RDWR, &err);
    check_ok(holder != NULL, &err, "hold the base read-write");

    bdrv_img_create(ovl, "hdr-fmt", base, "test", NULL, (uint64_t)-1, 0,
                    true, &err);
    blk_unref(holder);
    check_ok(!err, &err, "create an overlay over an image in use");
}

static int group_setup(void **state)
{
    test_common_init(TEST_COMMON_STEP_CHECKS | TEST_COMMON_NO_BACKEND);
    bdrv_register(&bdrv_hdr);
    return test_common_tmp_dir_create("backing-core");
}

static int group_teardown(void **state)
{
    return test_common_tmp_dir_remove();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_backing_opened_by_core_after_driver_open),
        T(test_backing_colon_after_slash_is_a_path),
        T(test_backing_colon_before_slash_is_a_protocol),
        T(test_backing_unknown_protocol),
        T(test_backing_refused_without_driver_support),
        T(test_backing_null_for_any_driver),
        T(test_backing_options_use_recorded_name),
        T(test_overlay_create_over_image_in_use),
    };

    return test_common_run_group(tests, group_setup, group_teardown);
}
