/*
 * qcow2 with an external data file (both images in mem:): what the data
 * file changes for resizing, zero writes, subcluster writes, internal
 * snapshots, the "data-file" option and format-specific information.
 * Both images are temporary files (a data file is named by path).
 * Guest clusters live at their guest offset in the data file; with
 * data_file_raw the data file reads as the disk does.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sys/stat.h>
#include <unistd.h>

#include "block/mem.h"
#include "util/bswap.h"
#include "qcow2-common.h"
#include "qcow2-snap-common.h"
#include "test-common.h"

static char img[PATH_MAX], data[PATH_MAX];

static void make(const char *extra)
{
    g_autofree char *i = tmp_path("dfops.qcow2");
    g_autofree char *d = tmp_path("dfops.raw");
    g_autofree char *opts = g_strdup_printf("data_file=%s%s", d, extra);

    snprintf(img, sizeof(img), "%s", i);
    snprintf(data, sizeof(data), "%s", d);
    unlink(img);
    unlink(data);
    qcow2_test_create(img, MiB, opts);
}

static BlockBackend *open_rw(void)
{
    Error *err = NULL;
    BlockBackend *blk = qcow2_test_open(img, BDRV_O_RDWR | BDRV_O_RESIZE, &err);

    check_ok(blk != NULL, &err, "open");
    return blk;
}

static size_t data_len(void)
{
    struct stat st;

    assert_int_equal(stat(data, &st), 0);
    return st.st_size;
}

static uint8_t data_byte(size_t offset)
{
    FILE *f = fopen(data, "rb");
    int c;

    assert_non_null(f);
    assert_int_equal(fseek(f, offset, SEEK_SET), 0);
    c = fgetc(f);
    fclose(f);
    assert_true(c >= 0);
    return c;
}

static void expect_clean(void)
{
    BdrvCheckResult res = {0};

    assert_int_equal(qcow2_test_check(img, 0, 0, &res), 0);
    assert_int_equal(res.corruptions + res.leaks + res.check_errors, 0);
}

/* Growing grows the data file; shrinking a raw one cuts it */
static void test_resize_resizes_data_file(void **state)
{
    BlockBackend *blk;
    Error *err = NULL;

    make(",data_file_raw=on");
    blk = open_rw();
    assert_int_equal(
        blk_truncate(blk, 4 * MiB, false, PREALLOC_MODE_OFF, 0, &err), 0);
    assert_true(data_len() >= 4 * MiB);
    qsnap_write(blk, 3 * MiB, 64 * KiB, 1);
    assert_int_equal(
        blk_truncate(blk, 512 * KiB, false, PREALLOC_MODE_OFF, 0, &err), 0);
    assert_int_equal(data_len(), 512 * KiB);
    assert_int_equal(blk_getlength(blk), 512 * KiB);
    blk_unref(blk);
    expect_clean();
}

/* Zero writes zero the raw data file too, and the cluster stays mapped */
static void test_zero_write_reaches_raw_data_file(void **state)
{
    BlockBackend *blk;

    make(",data_file_raw=on");
    blk = open_rw();
    qsnap_write(blk, 0, 128 * KiB, QSNAP_BYTE(0x77));
    assert_int_equal(data_byte(70 * KiB), 0x77);
    assert_int_equal(
        blk_pwrite_zeroes(blk, 64 * KiB, 64 * KiB, BDRV_REQ_MAY_UNMAP), 0);
    assert_true(qsnap_reads(blk, 64 * KiB, 64 * KiB, -1));
    assert_true(qsnap_reads(blk, 0, 64 * KiB, QSNAP_BYTE(0x77)));
    blk_unref(blk);
    assert_int_equal(data_byte(70 * KiB), 0);
    assert_int_equal(data_byte(10 * KiB), 0x77);
    expect_clean();
}

/* Extended L2 over a data file: subclusters land at their guest offset */
static void test_subclusters_in_data_file(void **state)
{
    BlockBackend *blk;

    make(",extended_l2=on,cluster_size=65536");
    blk = open_rw();
    qsnap_write(blk, 2048 + 64 * KiB, 2048, QSNAP_BYTE(0x31));
    qsnap_write(blk, 8 * KiB + 64 * KiB, 4096, QSNAP_BYTE(0x32));
    assert_int_equal(blk_pwrite_zeroes(blk, 8 * KiB + 64 * KiB, 2048, 0), 0);
    assert_true(qsnap_reads(blk, 64 * KiB, 2048, -1));
    assert_true(qsnap_reads(blk, 64 * KiB + 2048, 2048, QSNAP_BYTE(0x31)));
    assert_true(qsnap_reads(blk, 64 * KiB + 8 * KiB, 2048, -1));
    assert_true(qsnap_reads(blk, 64 * KiB + 10 * KiB, 2048, QSNAP_BYTE(0x32)));
    blk_unref(blk);
    assert_int_equal(data_byte(64 * KiB + 2048), 0x31);
    assert_int_equal(data_byte(64 * KiB + 10 * KiB), 0x32);
    expect_clean();
}

static void test_internal_snapshots_refused(void **state)
{
    BlockBackend *blk;

    make("");
    blk = open_rw();
    assert_int_equal(qsnap_create(blk, NULL, "s"), -ENOTSUP);
    assert_int_equal(qsnap_count(blk), 0);
    blk_unref(blk);
}

/* "data-file" names the child only of images that have one */
static void test_data_file_option_needs_the_feature(void **state)
{
    QDict *opts = qdict_new();
    Error *err = NULL;

    qcow2_test_create("dfops-plain", MiB, NULL);
    qdict_put_str(opts, "driver", "qcow2");
    qdict_put_str(opts, "data-file", "mem:dfops-plain");
    assert_null(blk_new_open("mem:dfops-plain", NULL, opts, 0, &err));
    assert_err_contains(err, "'data-file' can only be set for images with "
                             "an external data file");
    error_free(err);
}

/* A header naming both a backing file and a raw data file is refused */
static void test_raw_data_file_with_backing_refused(void **state)
{
    Error *err = NULL;

    make(",data_file_raw=on");
    qcow2_test_load(img, "dfops-hdr");
    qcow2_test_poke("dfops-hdr", 0x800, "mem:base", 8);
    qcow2_test_poke64("dfops-hdr", 8, 0x800);
    qcow2_test_poke32("dfops-hdr", 16, 8);
    qcow2_test_save("dfops-hdr", img);
    assert_null(qcow2_test_open(img, 0, &err));
    assert_err_contains(err, "Backing file and data-file-raw cannot be used "
                             "at the same time");
    error_free(err);
}

static void test_info_reports_data_file_raw(void **state)
{
    for (int raw = 0; raw < 2; raw++) {
        BlockBackend *blk;
        ImageInfoSpecific *info;
        Error *err = NULL;

        make(raw ? ",data_file_raw=on" : "");
        blk = open_rw();
        info = bdrv_get_specific_info(blk_bs(blk), &err);
        check_ok(info != NULL, &err, "specific info");
        assert_true(qdict_haskey(info->data, "data-file-raw"));
        assert_int_equal(qdict_get_bool(info->data, "data-file-raw"), raw);
        qapi_free_ImageInfoSpecific(info);
        blk_unref(blk);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_resize_resizes_data_file),
        T(test_zero_write_reaches_raw_data_file),
        T(test_subclusters_in_data_file),
        T(test_internal_snapshots_refused),
        T(test_data_file_option_needs_the_feature),
        T(test_raw_data_file_with_backing_refused),
        T(test_info_reports_data_file_raw),
    };

    return test_common_run_group(tests, qsnap_group_setup,
                                 qsnap_group_teardown);
}
