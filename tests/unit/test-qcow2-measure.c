/*
 * qcow2 measure (bdrv_measure) against `qemu-img measure`: the required
 * and fully allocated sizes of a new image over a matrix of sizes,
 * cluster sizes, refcount widths, extended L2 and preallocation, and of
 * converting existing images (allocated data only).  Bad options give
 * clear errors.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "block/driver.h"
#include "interop-common.h"
#include "qcow2-common.h"
#include "test-common.h"

static int64_t qemu_bitmaps;

/* qemu-img measure's numbers for @args (-1: it failed) */
static void qemu_measure(const char *args, int64_t *required, int64_t *full)
{
    g_autofree char *cmd = g_strdup_printf("qemu-img measure -O qcow2 %s "
                                           "2>/dev/null", args);
    char line[256];
    FILE *p = popen(cmd, "r");

    *required = *full = qemu_bitmaps = -1;
    assert_non_null(p);
    while (fgets(line, sizeof(line), p)) {
        sscanf(line, "required size: %" SCNd64, required);
        sscanf(line, "fully allocated size: %" SCNd64, full);
        sscanf(line, "bitmaps size: %" SCNd64, &qemu_bitmaps);
    }
    pclose(p);
}

/* bdrv_measure with creation options @options (may be "") */
static BlockMeasureInfo *measure(const char *options, BlockDriverState *in,
                                 Error **errp)
{
    BlockDriver *drv = bdrv_find_format("qcow2");
    QemuOpts *opts = qemu_opts_create(drv->create_opts, NULL, 0,
                                      &error_abort);
    BlockMeasureInfo *info = NULL;

    if (qemu_opts_do_parse(opts, options, NULL, errp)) {
        info = bdrv_measure(drv, opts, in, errp);
    }
    qemu_opts_del(opts);
    return info;
}

static void expect_same(const char *options, const char *size)
{
    g_autofree char *args = g_strdup_printf("%s%s --size %s",
                                            *options ? "-o " : "", options,
                                            size);
    g_autofree char *o = g_strdup_printf("%s%ssize=%s", options,
                                         *options ? "," : "", size);
    int64_t required, full;
    Error *err = NULL;
    BlockMeasureInfo *info = measure(o, NULL, &err);

    qemu_measure(args, &required, &full);
    if (required < 0) {
        /* qemu-img refuses it (an L1 table too large): so does drydock */
        assert_null(info);
        assert_err_contains(err, "The image size is too large");
        error_free(err);
        return;
    }
    check_ok(info != NULL, &err, "measure");
    if (info->required != required || info->fully_allocated != full) {
        print_message("%s: drydock %" PRId64 "/%" PRId64 ", qemu-img %"
                      PRId64 "/%" PRId64 "\n", args, info->required,
                      info->fully_allocated, required, full);
    }
    assert_int_equal(info->required, required);
    assert_int_equal(info->fully_allocated, full);
    qapi_free_BlockMeasureInfo(info);
}

static void test_measure_new_image_matrix(void **state)
{
    static const char *const sizes[] = { "0", "1000000", "1G", "100G",
                                         "7T" };
    static const char *const opts[] = {
        "", "cluster_size=512", "cluster_size=4096,refcount_bits=1",
        "cluster_size=2M,refcount_bits=64", "refcount_bits=8",
        "cluster_size=16384,refcount_bits=32", "extended_l2=on",
        "extended_l2=on,cluster_size=2M", "preallocation=full",
        "preallocation=falloc,cluster_size=4096", "preallocation=metadata",
        "compat=0.10",
    };

    for (size_t i = 0; i < ARRAY_SIZE(opts); i++) {
        for (size_t j = 0; j < ARRAY_SIZE(sizes); j++) {
            expect_same(opts[i], sizes[j]);
        }
    }
}

/* Measuring a conversion of @path with each of @opts: as qemu-img */
static void expect_same_conversion(const char *path,
                                   const char *const *opts, size_t n)
{
    Error *err = NULL;
    BlockBackend *blk = qcow2_test_open(path, 0, &err);

    check_ok(blk != NULL, &err, "open");
    for (size_t i = 0; i < n; i++) {
        g_autofree char *args = g_strdup_printf("%s%s -f qcow2 %s",
                                                *opts[i] ? "-o " : "",
                                                opts[i], path);
        BlockMeasureInfo *info = measure(opts[i], blk_bs(blk), &err);
        int64_t required, full;

        check_ok(info != NULL, &err, "measure");
        qemu_measure(args, &required, &full);
        assert_int_equal(info->required, required);
        assert_int_equal(info->fully_allocated, full);
        assert_true(info->has_bitmaps);
        assert_int_equal(info->bitmaps, qemu_bitmaps);
        qapi_free_BlockMeasureInfo(info);
    }
    blk_unref(blk);
}

/* Converting an image: only its allocated clusters count as data */
static void test_measure_existing_image(void **state)
{
    g_autofree char *path = tmp_path("measure-src.qcow2");
    static const char *const opts[] = { "", "cluster_size=4096",
                                        "preallocation=full",
                                        "cluster_size=2M,refcount_bits=1" };

    assert_int_equal(qcow2_test_sh("qemu-img create -f qcow2 %s 5M && "
                                   "qemu-io -c 'write 0 100k' "
                                   "-c 'write -z 1M 1M' -c 'write 3M 7k' %s",
                                   path, path), 0);
    expect_same_conversion(path, opts, ARRAY_SIZE(opts));
}

/* Persistent bitmaps of a qcow2 source: their size for the new image */
static void test_measure_bitmaps(void **state)
{
    g_autofree char *path = tmp_path("measure-bm.qcow2");
    static const char *const opts[] = { "", "cluster_size=512",
                                        "cluster_size=4096" };

    assert_int_equal(qcow2_test_sh(
        "qemu-img create -f qcow2 %s 10G && qemu-img bitmap --add -g 512 %s "
        "a_rather_long_bitmap_name_of_many_characters && "
        "qemu-img bitmap --add %s b && "
        "qemu-img bitmap --add -g 2M --disable %s c", path, path, path, path),
        0);
    expect_same_conversion(path, opts, ARRAY_SIZE(opts));
}

static void test_measure_bad_options(void **state)
{
    Error *err = NULL;

    assert_null(measure("size=1M,cluster_size=3000", NULL, &err));
    assert_err_contains(err, "Cluster size must be a power of two");
    error_free(err);
    err = NULL;
    assert_null(measure("size=1M,refcount_bits=3", NULL, &err));
    assert_err_contains(err, "Refcount width must be a power of two");
    error_free(err);
    err = NULL;
    assert_null(measure("size=1M,extended_l2=on,cluster_size=4096", NULL,
                        &err));
    assert_err_contains(err, "16384");
    error_free(err);
}

static int measure_group_setup(void **state)
{
    return qcow2_test_interop_setup(state, "qcow2-measure");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_measure_new_image_matrix),
        T(test_measure_existing_image),
        T(test_measure_bitmaps),
        T(test_measure_bad_options),
    };

    return test_common_run_group(tests, measure_group_setup,
                                 qcow2_test_interop_teardown);
}
