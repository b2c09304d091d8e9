/*
 * bdrv_open_backing_file: how a format's backing file is found.  The
 * "test" driver plays the format: its backing-file / backing-fmt options
 * stand for what an image header records, and the core opens its backing
 * child after the driver's open, as for a real format.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "test-common.h"
#include "block/driver.h"

#define BASE_SIZE (1 << 20)

/* A raw image of BASE_SIZE bytes whose first 4 KiB are @pattern */
static char *make_base(const char *name, uint8_t pattern)
{
    char *path = tmp_path(name);
    uint8_t buf[4096];
    Error *err = NULL;
    BlockBackend *blk;

    bdrv_img_create(path, "raw", NULL, NULL, NULL, BASE_SIZE, 0, true, &err);
    check_ok(!err, &err, "bdrv_img_create");
    blk = test_common_blk_open("file", path, NULL, BDRV_O_RDWR, &err);
    check_ok(blk != NULL, &err, "open base");
    memset(buf, pattern, sizeof(buf));
    assert_int_equal(blk_pwrite(blk, 0, sizeof(buf), buf, 0), 0);
    blk_unref(blk);
    return path;
}

/* A "test" node over the file @top_name whose header names @backing_file */
static QDict *top_opts(const char *top_name, const char *backing_file,
                       const char *backing_fmt)
{
    g_autofree char *top = tmp_path(top_name);
    QDict *opts = opts_new("test", "top");
    FILE *f = fopen(top, "w");

    assert_non_null(f);
    fclose(f);
    qdict_put_str(opts, "file.driver", "file");
    qdict_put_str(opts, "file.filename", top);
    qdict_put_str(opts, "size", "1M");
    if (backing_file) {
        qdict_put_str(opts, "backing-file", backing_file);
    }
    if (backing_fmt) {
        qdict_put_str(opts, "backing-fmt", backing_fmt);
    }
    return opts;
}

/* The backing node holds the base image's data (the test driver reads its
 * "file" child, not its backing, so look at the backing node itself) */
static void expect_backing_data(BlockDriverState *top, uint8_t pattern)
{
    BlockBackend *blk = test_common_new_blk(top->backing->bs,
                                            BLK_PERM_CONSISTENT_READ,
                                            BLK_PERM_ALL);
    uint8_t buf[512], want[512];

    memset(want, pattern, sizeof(want));
    assert_int_equal(blk_pread(blk, 1024, sizeof(buf), buf, 0), 0);
    assert_memory_equal(buf, want, sizeof(buf));
    blk_unref(blk);
}

static void test_backing_absolute_name(void **state)
{
    g_autofree char *base = make_base("abs-base.raw", 0x3c);
    BlockDriverState *top = open_ok(NULL, top_opts("abs-top", base, "raw"),
                                    BDRV_O_RDWR);

    assert_non_null(top->backing);
    assert_string_equal(top->backing->bs->filename, base);
    assert_string_equal(bdrv_get_format_name(top->backing->bs), "raw");
    /* A named format is not probed, and the backing file is read-only */
    assert_false(top->backing->bs->probed);
    assert_true(bdrv_is_read_only(top->backing->bs));
    assert_true(top->backing->role & BDRV_CHILD_COW);
    expect_backing_data(top, 0x3c);
    bdrv_unref(top);
}

/* A relative name is relative to the directory of the image naming it */
static void test_backing_relative_name(void **state)
{
    g_autofree char *base = make_base("rel-base.raw", 0x5d);
    BlockDriverState *top = open_ok(NULL, top_opts("rel-top", "rel-base.raw",
                                                   NULL),
                                    BDRV_O_RDWR);

    assert_non_null(top->backing);
    assert_string_equal(top->backing->bs->filename, base);
    /* Without a recorded format the backing file is probed */
    assert_true(top->backing->bs->probed);
    expect_backing_data(top, 0x5d);
    bdrv_unref(top);
}

static void test_backing_missing_file(void **state)
{
    g_autofree char *missing = tmp_path("no-such-base.raw");
    Error *err = NULL;
    BlockDriverState *bs;

    bs = bdrv_open(NULL, NULL, top_opts("miss-top", "no-such-base.raw", NULL),
                   BDRV_O_RDWR, &err);
    assert_null(bs);
    check_error_has(&err, "Could not open backing file: ", missing,
                    "No such file or directory", NULL);
}

/* "backing": null means no backing file, whatever the header says */
static void test_backing_null_overrides_header(void **state)
{
    QDict *opts = top_opts("null-top", "whatever.raw", NULL);
    BlockDriverState *top;

    qdict_put_null(opts, "backing");
    top = open_ok(NULL, opts, BDRV_O_RDWR);
    assert_null(top->backing);
    bdrv_unref(top);
}

static void test_backing_no_backing_flag(void **state)
{
    BlockDriverState *top = open_ok(NULL, top_opts("nb-top", "whatever.raw",
                                                   NULL),
                                    BDRV_O_RDWR | BDRV_O_NO_BACKING);

    assert_null(top->backing);
    bdrv_unref(top);
}

/* A reference to an existing node wins over the recorded name */
static void test_backing_reference_overrides_header(void **state)
{
    BlockDriverState *other = open_null("other-base");
    QDict *opts = top_opts("ref-top", "whatever.raw", NULL);
    BlockDriverState *top;

    qdict_put_str(opts, "backing", "other-base");
    top = open_ok(NULL, opts, BDRV_O_RDWR);
    assert_ptr_equal(top->backing->bs, other);
    check_refcnt(other, 2);
    unref_nodes(top, other);
}

/*
 * "backing.*" options with a "file.filename" define the backing node
 * instead of the header (without one, the recorded name is still used:
 * test-open-backing-core.c)
 */
static void test_backing_options_override_header(void **state)
{
    g_autofree char *other = make_base("opt-base.raw", 0x6e);
    QDict *opts = top_opts("opt-top", "whatever.raw", "raw");
    BlockDriverState *top;

    qdict_put_str(opts, "backing.file.filename", other);
    qdict_put_str(opts, "backing.node-name", "opt-base");
    top = open_ok(NULL, opts, BDRV_O_RDWR);
    assert_non_null(top->backing);
    assert_string_equal(bdrv_get_node_name(top->backing->bs), "opt-base");
    /* The recorded format still applies */
    assert_string_equal(bdrv_get_format_name(top->backing->bs), "raw");
    assert_string_equal(top->backing->bs->filename, other);
    expect_backing_data(top, 0x6e);
    bdrv_unref(top);
}

/* A reference that names nothing is an error naming the reference */
static void test_backing_bad_reference(void **state)
{
    QDict *opts = top_opts("badref-top", NULL, NULL);
    Error *err = NULL;

    qdict_put_str(opts, "backing", "no-such-node");
    assert_null(bdrv_open(NULL, NULL, opts, BDRV_O_RDWR, &err));
    check_error_has(&err, "Could not open backing file", "no-such-node",
                    NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_backing_absolute_name),
        T(test_backing_relative_name),
        T(test_backing_missing_file),
        T(test_backing_null_overrides_header),
        T(test_backing_no_backing_flag),
        T(test_backing_reference_overrides_header),
        T(test_backing_options_override_header),
        T(test_backing_bad_reference),
    };

    test_common_init(TEST_COMMON_STEP_CHECKS | TEST_COMMON_NO_BACKEND);
    assert_int_equal(test_common_tmp_dir_create("backing"), 0);
    int ret = test_common_run_group(tests, NULL, NULL);
    test_common_tmp_dir_remove();
    return ret;
}
