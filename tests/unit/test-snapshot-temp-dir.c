/*
 * bdrv_set_temp_dir(): where snapshot=on's temporary overlay is created,
 * without $TMPDIR (a fuzz engine keeps $TMPDIR for its own files).  The
 * overlay node's filename is its file's name (unlinked by then).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "block/driver.h"
#include "test-common.h"

#define TD_SIZE (64 * 1024)

static char *td_img;
static char *td_env_dir;    /* $TMPDIR */
static char *td_set_dir;    /* the directory given to bdrv_set_temp_dir */
static char *td_missing;    /* a directory that does not exist */

/* raw over the image with snapshot=on; NULL and *errp on failure */
static BlockBackend *td_open_snapshot(Error **errp)
{
    QDict *opts = qdict_new();

    qdict_put_str(opts, "driver", "raw");
    qdict_put_str(opts, "file.driver", "file");
    qdict_put_str(opts, "file.filename", td_img);
    return blk_new_open(NULL, NULL, opts, BDRV_O_RDWR | BDRV_O_SNAPSHOT,
                        errp);
}

/* The overlay of a snapshot=on open was created in @dir */
static void td_expect_overlay_in(const char *dir)
{
    g_autofree char *prefix = g_strdup_printf("%s/vl.", dir);
    Error *err = NULL;
    BlockBackend *blk = td_open_snapshot(&err);

    check_ok(blk != NULL, &err, "snapshot=on");
    if (strncmp(blk_bs(blk)->filename, prefix, strlen(prefix))) {
        EXPECT_FAIL("overlay %s, wanted it in %s", blk_bs(blk)->filename,
                    dir);
    }
    blk_unref(blk);
}

/* A snapshot=on open fails, naming @dir as where the file was wanted */
static void td_expect_no_overlay_in(const char *dir)
{
    Error *err = NULL;

    assert_null(td_open_snapshot(&err));
    check_error_has(&err, "Could not get temporary filename", dir, NULL);
}

static void test_temp_dir_set_overlay_created_there(void **s)
{
    char buf[256];

    /* The library keeps its own copy of the name */
    snprintf(buf, sizeof(buf), "%s", td_set_dir);
    bdrv_set_temp_dir(buf);
    memset(buf, 'x', sizeof(buf) - 1);
    td_expect_overlay_in(td_set_dir);
    end_test();
}

static void test_temp_dir_set_ignores_tmpdir(void **s)
{
    /* $TMPDIR is missing, the directory set exists: the open works */
    assert_int_equal(setenv("TMPDIR", td_missing, 1), 0);
    bdrv_set_temp_dir(td_set_dir);
    td_expect_overlay_in(td_set_dir);
    /* The directory set is missing, $TMPDIR exists: the open fails */
    assert_int_equal(setenv("TMPDIR", td_env_dir, 1), 0);
    bdrv_set_temp_dir(td_missing);
    td_expect_no_overlay_in(td_missing);
    end_test();
}

static void test_temp_dir_unset_uses_tmpdir(void **s)
{
    bdrv_set_temp_dir(td_set_dir);
    bdrv_set_temp_dir(NULL);
    td_expect_overlay_in(td_env_dir);
    bdrv_set_temp_dir("");
    td_expect_overlay_in(td_env_dir);
    end_test();
}

static void test_temp_dir_unset_without_tmpdir_is_var_tmp(void **s)
{
    if (access("/var/tmp", W_OK) != 0) {
        skip();
    }
    assert_int_equal(unsetenv("TMPDIR"), 0);
    td_expect_overlay_in("/var/tmp");
    end_test();
}

static int td_setup(void **state)
{
    bdrv_set_temp_dir(NULL);
    assert_int_equal(setenv("TMPDIR", td_env_dir, 1), 0);
    return test_common_setup(state);
}

static int td_teardown(void **state)
{
    bdrv_set_temp_dir(NULL);
    assert_int_equal(setenv("TMPDIR", td_env_dir, 1), 0);
    return test_common_teardown(state);
}

static int setup(void **state)
{
    test_common_init(0);
    assert_int_equal(test_common_tmp_dir_create("snapshot-temp-dir"), 0);
    td_img = tmp_path("img.raw");
    td_env_dir = tmp_path("env");
    td_set_dir = tmp_path("set");
    td_missing = tmp_path("missing");
    assert_int_equal(mkdir(td_env_dir, 0700), 0);
    assert_int_equal(mkdir(td_set_dir, 0700), 0);
    bdrv_img_create(td_img, "raw", NULL, NULL, NULL, TD_SIZE, 0, true,
                    &error_abort);
    return 0;
}

static int teardown(void **state)
{
    g_free(td_img);
    g_free(td_env_dir);
    g_free(td_set_dir);
    g_free(td_missing);
    test_common_tmp_dir_remove();
    return 0;
}

#define TD(fn) cmocka_unit_test_setup_teardown(fn, td_setup, td_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        TD(test_temp_dir_set_overlay_created_there),
        TD(test_temp_dir_set_ignores_tmpdir),
        TD(test_temp_dir_unset_uses_tmpdir),
        TD(test_temp_dir_unset_without_tmpdir_is_var_tmp),
    };

    return test_common_run_group(tests, setup, teardown);
}
