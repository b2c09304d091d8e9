/*
 * snapshot=on (BDRV_O_SNAPSHOT): a temporary qcow2 overlay takes the
 * writes, the image stays unchanged and the overlay's file is gone.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "block/driver.h"
#include "test-common.h"

#define ST_SIZE (1024 * 1024)

static char *st_img;
static char *st_tmpdir;     /* $TMPDIR of the overlays */

/* raw over the image, with @snapshot_opt ("snapshot") when not NULL */
static BlockBackend *st_open(int flags, QObject *snapshot_opt, Error **errp)
{
    QDict *opts = qdict_new();

    qdict_put_str(opts, "driver", "raw");
    qdict_put_str(opts, "file.driver", "file");
    qdict_put_str(opts, "file.filename", st_img);
    if (snapshot_opt) {
        qdict_put_obj(opts, "snapshot", snapshot_opt);
    }
    return blk_new_open(NULL, NULL, opts, flags, errp);
}

static int st_io(BlockBackend *blk, bool write, int64_t offset, int v)
{
    uint8_t buf[4096];
    int ret;

    memset(buf, v, sizeof(buf));
    if (write) {
        return blk_pwrite(blk, offset, sizeof(buf), buf, 0);
    }
    ret = blk_pread(blk, offset, sizeof(buf), buf, 0);
    for (size_t i = 0; ret == 0 && i < sizeof(buf); i++) {
        ret = buf[i] == v ? 0 : -EILSEQ;
    }
    return ret;
}

/* Files in the overlays' directory */
static int st_tmp_files(void)
{
    DIR *d = opendir(st_tmpdir);
    struct dirent *e;
    int n = 0;

    assert_non_null(d);
    while ((e = readdir(d))) {
        n += e->d_name[0] != '.';
    }
    closedir(d);
    return n;
}

/* Opened with @snapshot_opt / @flags: writes land in the overlay only */
static void st_check_overlay(int flags, QObject *snapshot_opt)
{
    Error *err = NULL;
    BlockBackend *blk = st_open(flags, snapshot_opt, &err);
    BlockDriverState *bs, *base;

    check_ok(blk != NULL, &err, "snapshot=on");
    bs = blk_bs(blk);
    expect_true(!strcmp(bdrv_get_format_name(bs), "qcow2"));
    expect_true(bs->open_flags & BDRV_O_TEMPORARY);
    expect_false(bdrv_is_read_only(bs));
    base = bdrv_cow_bs(bs);
    expect_true(base && !strcmp(bdrv_get_format_name(base), "raw"));
    expect_true(base && bdrv_is_read_only(base));
    expect_int(bdrv_getlength(bs), ST_SIZE);
    /* The overlay's file is already unlinked */
    expect_int(st_tmp_files(), 0);
    expect_int(st_io(blk, false, 8192, 0x11), 0);
    expect_int(st_io(blk, true, 8192, 0x22), 0);
    expect_int(st_io(blk, false, 8192, 0x22), 0);
    expect_graph_ok();
    blk_unref(blk);
    expect_int(st_tmp_files(), 0);
    /* The image itself never saw the write */
    blk = st_open(BDRV_O_RDWR, NULL, &error_abort);
    expect_int(st_io(blk, false, 8192, 0x11), 0);
    blk_unref(blk);
}

static void test_snapshot_flag_writes_to_overlay_image_unchanged(void **s)
{
    st_check_overlay(BDRV_O_RDWR | BDRV_O_SNAPSHOT, NULL);
    end_test();
}

static void test_snapshot_option_true_writes_to_overlay(void **s)
{
    st_check_overlay(BDRV_O_RDWR, QOBJECT(qbool_from_bool(true)));
    st_check_overlay(BDRV_O_RDWR, QOBJECT(qstring_from_str("on")));
    end_test();
}

static void test_snapshot_option_false_opens_the_image(void **s)
{
    BlockBackend *blk = st_open(BDRV_O_RDWR,
                                QOBJECT(qbool_from_bool(false)),
                                &error_abort);

    expect_true(!strcmp(bdrv_get_format_name(blk_bs(blk)), "raw"));
    expect_true(bdrv_cow_bs(blk_bs(blk)) == NULL);
    blk_unref(blk);
    end_test();
}

static void test_snapshot_bad_option_value_is_named(void **s)
{
    Error *err = NULL;

    assert_null(st_open(BDRV_O_RDWR, QOBJECT(qstring_from_str("maybe")),
                        &err));
    check_error_has(&err, "snapshot", "maybe", NULL);
}

/* The overlay cannot be created: a clear error, nothing left open */
static void test_snapshot_without_temp_dir_fails_cleanly(void **s)
{
    g_autofree char *missing = tmp_path("no-such-dir");
    Error *err = NULL;

    assert_int_equal(setenv("TMPDIR", missing, 1), 0);
    assert_null(st_open(BDRV_O_RDWR | BDRV_O_SNAPSHOT, NULL, &err));
    assert_int_equal(setenv("TMPDIR", st_tmpdir, 1), 0);
    check_error_has(&err, "Could not get temporary filename", missing, NULL);
    /* The image is not held open: a writer gets it */
    {
        BlockBackend *blk = st_open(BDRV_O_RDWR, NULL, &error_abort);

        expect_int(st_io(blk, true, 0, 0x11), 0);
        blk_unref(blk);
    }
    end_test();
}

static int setup(void **state)
{
    BlockBackend *blk;

    test_common_init(0);
    assert_int_equal(test_common_tmp_dir_create("snapshot-temp"), 0);
    st_img = tmp_path("img.raw");
    st_tmpdir = tmp_path("overlays");
    assert_int_equal(mkdir(st_tmpdir, 0700), 0);
    assert_int_equal(setenv("TMPDIR", st_tmpdir, 1), 0);
    bdrv_img_create(st_img, "raw", NULL, NULL, NULL, ST_SIZE, 0, true,
                    &error_abort);
    blk = st_open(BDRV_O_RDWR, NULL, &error_abort);
    for (int64_t off = 0; off < ST_SIZE; off += 4096) {
        assert_int_equal(st_io(blk, true, off, 0x11), 0);
    }
    blk_unref(blk);
    return 0;
}

static int teardown(void **state)
{
    g_free(st_img);
    g_free(st_tmpdir);
    test_common_tmp_dir_remove();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_snapshot_flag_writes_to_overlay_image_unchanged),
        T(test_snapshot_option_true_writes_to_overlay),
        T(test_snapshot_option_false_opens_the_image),
        T(test_snapshot_bad_option_value_is_named),
        T(test_snapshot_without_temp_dir_fails_cleanly),
    };

    return test_common_run_group(tests, setup, teardown);
}
