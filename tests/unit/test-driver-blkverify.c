/*
 * Unit tests of the blkverify filter: reads compared against a raw
 * reference image, a mismatch reported with its offset and failed with
 * -EIO (QEMU aborts), writes reaching both images, differing results.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "block/driver.h"
#include "block/mem.h"
#include "block/test-driver.h"
#include "test-common.h"

#define VSIZE 65536

static void make_image(const char *name, uint8_t fill, int64_t bad_at)
{
    g_autofree uint8_t *buf = g_malloc(VSIZE);

    memset(buf, fill, VSIZE);
    if (bad_at >= 0) {
        buf[bad_at] ^= 0xff;
    }
    assert_int_equal(mem_image_set(name, buf, VSIZE, &error_abort), 0);
}

/* blkverify over mem images vraw and vtest (test: @test_driver) */
static BlockBackend *open_blkverify(const char *test_driver, Error **errp)
{
    QDict *opts = qdict_new();

    qdict_put_str(opts, "driver", "blkverify");
    qdict_put_str(opts, "raw.driver", "mem");
    qdict_put_str(opts, "raw.filename", "vraw");
    qdict_put_str(opts, "test.driver", test_driver);
    if (!strcmp(test_driver, "mem")) {
        qdict_put_str(opts, "test.filename", "vtest");
    } else {
        qdict_put_int(opts, "test.size", VSIZE);
        qdict_put_str(opts, "test.inject-error.0.iotype", "read");
    }
    return blk_new_open(NULL, NULL, opts, BDRV_O_RDWR, errp);
}

/* Run a read with the error reports captured; returns its result */
static int read_reporting(BlockBackend *blk, int64_t offset, int64_t bytes,
                          char *report, size_t size)
{
    uint8_t buf[VSIZE];
    FILE *f = tmpfile();
    size_t n;
    int ret;

    assert_non_null(f);
    error_set_report_stream(f);
    ret = blk_pread(blk, offset, bytes, buf, 0);
    error_set_report_stream(NULL);
    rewind(f);
    n = fread(report, 1, size - 1, f);
    report[n] = '\0';
    fclose(f);
    return ret;
}

static void test_blkverify_reads_matching_images(void **s)
{
    BlockBackend *blk;
    char report[512];

    make_image("vraw", 0x3c, -1);
    make_image("vtest", 0x3c, -1);
    blk = open_blkverify("mem", &error_abort);
    expect_int(blk_getlength(blk), VSIZE);
    expect_int(read_reporting(blk, 0, VSIZE, report, sizeof(report)), 0);
    expect_true(report[0] == '\0');
    blk_unref(blk);
    end_test();
}

static void test_blkverify_mismatch_reports_offset_and_fails(void **s)
{
    BlockBackend *blk;
    char report[512];

    make_image("vraw", 0x3c, -1);
    make_image("vtest", 0x3c, 5000);
    blk = open_blkverify("mem", &error_abort);
    expect_int(read_reporting(blk, 4096, 4096, report, sizeof(report)), -EIO);
    expect_true(strstr(report, "blkverify: read offset=4096 bytes=4096 "
                               "contents mismatch at offset 5000") != NULL);
    /* Elsewhere the images agree */
    expect_int(read_reporting(blk, 8192, 4096, report, sizeof(report)), 0);
    blk_unref(blk);
    end_test();
}

static void test_blkverify_writes_reach_both_images(void **s)
{
    BlockBackend *blk;
    uint8_t buf[512];
    size_t len;

    make_image("vraw", 0, -1);
    make_image("vtest", 0, -1);
    blk = open_blkverify("mem", &error_abort);
    memset(buf, 0xe7, sizeof(buf));
    expect_int(blk_pwrite(blk, 1024, sizeof(buf), buf, 0), 0);
    expect_int(mem_image_get("vraw", &len)[1024], 0xe7);
    expect_int(mem_image_get("vtest", &len)[1535], 0xe7);
    expect_int(blk_pread(blk, 1024, sizeof(buf), buf, 0), 0);
    expect_int(blk_flush(blk), 0);
    blk_unref(blk);
    end_test();
}

static void test_blkverify_differing_results_fail(void **s)
{
    BlockBackend *blk;
    char report[512];

    make_image("vraw", 0, -1);
    blk = open_blkverify("test", &error_abort);
    expect_int(read_reporting(blk, 0, 512, report, sizeof(report)), -EIO);
    expect_true(strstr(report, "blkverify: read offset=0 bytes=512 return "
                               "value mismatch -5 != 0") != NULL);
    blk_unref(blk);
    end_test();
}

static void test_blkverify_filename_names_raw_then_test(void **s)
{
    g_autofree char *raw = tmp_path("raw.img");
    g_autofree char *test = tmp_path("test.img");
    g_autofree char *filename = g_strdup_printf("blkverify:%s:%s", raw, test);
    QDict *opts = qdict_new();
    BlockBackend *blk;
    Error *err = NULL;
    uint8_t buf[512];

    bdrv_img_create(raw, "raw", NULL, NULL, NULL, VSIZE, 0, true,
                    &error_abort);
    bdrv_img_create(test, "raw", NULL, NULL, NULL, VSIZE, 0, true,
                    &error_abort);
    qdict_put_str(opts, "driver", "raw");
    blk = blk_new_open(filename, NULL, opts, BDRV_O_RDWR, &error_abort);
    memset(buf, 1, sizeof(buf));
    expect_int(blk_pwrite(blk, 0, sizeof(buf), buf, 0), 0);
    expect_int(blk_pread(blk, 0, sizeof(buf), buf, 0), 0);
    blk_unref(blk);

    opts = qdict_new();
    qdict_put_str(opts, "driver", "blkverify");
    assert_null(blk_new_open("blkverify:only-one", NULL, opts, BDRV_O_RDWR,
                             &err));
    check_error_has(&err, "blkverify requires a raw image and a test image "
                    "path in 'only-one'", NULL);
    end_test();
}

static int setup(void **state)
{
    test_common_init(0);
    assert_int_equal(test_common_tmp_dir_create("blkverify"), 0);
    return 0;
}

static int teardown(void **state)
{
    test_common_tmp_dir_remove();
    return test_common_group_teardown_mem(state);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_blkverify_reads_matching_images),
        T(test_blkverify_mismatch_reports_offset_and_fails),
        T(test_blkverify_writes_reach_both_images),
        T(test_blkverify_differing_results_fail),
        T(test_blkverify_filename_names_raw_then_test),
    };

    return test_common_run_group(tests, setup, teardown);
}
