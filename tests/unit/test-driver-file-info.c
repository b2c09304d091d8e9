/*
 * bdrv_get_info() on the file protocol: like QEMU's file driver it has
 * information to give (no clusters, no VM state), so qemu-io's "info" on
 * a raw image prints its cluster size line instead of failing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "block/block-backend.h"
#include "test-common.h"

static BlockBackend *open_image(const char *driver)
{
    g_autofree char *path = tmp_path("info.img");
    Error *err = NULL;
    BlockBackend *blk;

    bdrv_img_create(path, "raw", NULL, NULL, NULL, 1 << 20, 0, true, &err);
    check_ok(!err, &err, "create");
    blk = blk_new_open(path, NULL, test_common_opts_new(driver, NULL), 0,
                       &err);
    check_ok(blk != NULL, &err, "open");
    return blk;
}

static void check_info_has_no_clusters(const char *driver)
{
    BlockBackend *blk = open_image(driver);
    BlockDriverInfo bdi;

    memset(&bdi, 0xff, sizeof(bdi));
    assert_int_equal(bdrv_get_info(blk_bs(blk), &bdi), 0);
    assert_int_equal(bdi.cluster_size, 0);
    assert_int_equal(bdi.vm_state_offset, 0);
    assert_false(bdi.is_dirty);
    blk_unref(blk);
}

static void test_file_get_info_reports_no_clusters(void **state)
{
    check_info_has_no_clusters("file");
}

static void test_raw_over_file_get_info_reports_no_clusters(void **state)
{
    check_info_has_no_clusters("raw");
}

static int setup(void **state)
{
    test_common_init(TEST_COMMON_NO_BACKEND);
    assert_int_equal(test_common_tmp_dir_create("test-file-info"), 0);
    return 0;
}

static int teardown(void **state)
{
    test_common_tmp_dir_remove();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_file_get_info_reports_no_clusters),
        T(test_raw_over_file_get_info_reports_no_clusters),
    };

    return test_common_run_group(tests, setup, teardown);
}
