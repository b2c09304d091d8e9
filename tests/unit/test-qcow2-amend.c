/*
 * qcow2 amend (bdrv_amend_options) against the reference: every round
 * trip (compat 1.1 <-> 0.10 with zero clusters, refcount_bits, lazy
 * refcounts, backing file and format, size) leaves an image that
 * `qemu-img check` finds clean and `qemu-img compare` finds equal to the
 * original; what cannot be amended is refused with a clear message.
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

typedef struct Progress {
    int calls;
    int64_t last, total;
} Progress;

static void progress_cb(BlockDriverState *bs, int64_t offset, int64_t total,
                        void *opaque)
{
    Progress *p = opaque;

    assert_true(offset <= total);
    p->calls++;
    p->last = offset;
    p->total = total;
}

/* bdrv_amend_options on @path; 0 or -errno with *errp set */
static int amend(const char *path, const char *options, Progress *p,
                 Error **errp)
{
    BlockDriver *drv = bdrv_find_format("qcow2");
    QemuOpts *opts = qemu_opts_create(drv->amend_opts, NULL, 0,
                                      &error_abort);
    BlockBackend *blk;
    Error *err = NULL;
    int ret = -EINVAL;

    blk = qcow2_test_open(path, BDRV_O_RDWR, &err);
    check_ok(blk != NULL, &err, "open");
    if (qemu_opts_do_parse(opts, options, NULL, errp)) {
        ret = bdrv_amend_options(blk_bs(blk), opts, p ? progress_cb : NULL,
                                 p, false, errp);
    }
    qemu_opts_del(opts);
    blk_unref(blk);
    return ret;
}

static void amend_ok(const char *path, const char *options)
{
    Error *err = NULL;
    Progress p = { 0 };
    int ret = amend(path, options, &p, &err);

    check_ok(ret == 0, &err, options);
    assert_true(p.calls >= 2);
    assert_int_equal(p.last, p.total);
}

static void amend_fails(const char *path, const char *options,
                        const char *needle)
{
    Error *err = NULL;

    assert_true(amend(path, options, NULL, &err) < 0);
    assert_err_contains(err, needle);
    error_free(err);
}

/* qemu-img info of @path contains @needle */
static bool info_has(const char *path, const char *needle)
{
    return qcow2_test_sh("qemu-img info -U %s | grep -q '%s'", path,
                         needle) == 0;
}

/* Clean for qemu-img and for drydock, same guest data as @orig */
static void expect_same(const char *path, const char *orig)
{
    BdrvCheckResult res;

    assert_int_equal(qcow2_test_sh("qemu-img check %s", path), 0);
    assert_int_equal(qcow2_test_sh("qemu-img compare %s %s", orig, path),
                     0);
    assert_int_equal(qcow2_test_check(path, 0, 0, &res), 0);
    assert_int_equal(res.corruptions + res.leaks + res.check_errors, 0);
}

/* An image with data, a plain zero cluster and a preallocated one */
static void make_image(const char *path, const char *opts, const char *orig)
{
    assert_int_equal(qcow2_test_sh(
        "qemu-img create -f qcow2 -o %s %s 4M && "
        "qemu-io -c 'write -P 1 0 64k' -c 'write -z 64k 64k' "
        "-c 'write -P 2 128k 64k' -c 'write -z 128k 64k' "
        "-c 'write -P 3 1M 100k' %s && cp %s %s", opts, path, path, path,
        orig), 0);
}

static void test_amend_downgrade_expands_zero_clusters(void **state)
{
    g_autofree char *img = tmp_path("a.qcow2");
    g_autofree char *orig = tmp_path("a-orig.qcow2");

    make_image(img, "compat=1.1,lazy_refcounts=on", orig);
    amend_ok(img, "compat=0.10");
    expect_same(img, orig);
    assert_true(info_has(img, "compat: 0.10"));
    /* No zero flags are left: qemu-img map shows data where it was */
    assert_int_equal(qcow2_test_sh("qemu-img map --output=json %s | grep "
                                   "-q '\"start\": 131072.*\"data\": true'",
                                   img), 0);
    amend_ok(img, "compat=1.1");
    expect_same(img, orig);
    assert_true(info_has(img, "compat: 1.1"));
    assert_true(info_has(img, "lazy refcounts: false"));
}

/* Over a backing file a zero cluster must hide it: zeroes allocated */
static void test_amend_downgrade_over_backing_file(void **state)
{
    g_autofree char *base = tmp_path("base.qcow2");
    g_autofree char *img = tmp_path("ov.qcow2");
    g_autofree char *orig = tmp_path("ov-orig.qcow2");

    assert_int_equal(qcow2_test_sh(
        "qemu-img create -f qcow2 %s 1M && qemu-io -c 'write -P 9 0 1M' %s "
        "&& qemu-img create -f qcow2 -b %s -F qcow2 %s && "
        "qemu-io -c 'write -z 0 64k' -c 'write -P 4 64k 4k' %s && "
        "cp %s %s", base, base, base, img, img, img, orig), 0);
    amend_ok(img, "compat=0.10");
    expect_same(img, orig);
    assert_int_equal(qcow2_test_sh("qemu-io -r -c 'read -P 0 0 64k' %s",
                                   img), 0);
}

static void test_amend_upgrade_and_lazy_refcounts(void **state)
{
    g_autofree char *img = tmp_path("u.qcow2");
    g_autofree char *orig = tmp_path("u-orig.qcow2");

    assert_int_equal(qcow2_test_sh(
        "qemu-img create -f qcow2 -o compat=0.10 %s 2M && "
        "qemu-io -c 'write -P 5 0 300k' %s && cp %s %s", img, img, img,
        orig), 0);
    amend_ok(img, "compat=1.1,lazy_refcounts=on");
    expect_same(img, orig);
    assert_true(info_has(img, "lazy refcounts: true"));
    amend_ok(img, "lazy_refcounts=off");
    expect_same(img, orig);
    assert_true(info_has(img, "lazy refcounts: false"));
    /* The feature name table came with version 3 */
    assert_int_equal(qcow2_test_sh("qemu-img info --output=json %s | grep -q "
                                   "'\"compat\": \"1.1\"'", img), 0);
}

static void test_amend_refcount_bits_round_trip(void **state)
{
    static const char *const widths[] = { "1", "64", "8", "2", "32", "16" };
    g_autofree char *img = tmp_path("r.qcow2");
    g_autofree char *orig = tmp_path("r-orig.qcow2");

    make_image(img, "cluster_size=4096", orig);
    for (size_t i = 0; i < ARRAY_SIZE(widths); i++) {
        g_autofree char *o = g_strdup_printf("refcount_bits=%s", widths[i]);
        g_autofree char *want = g_strdup_printf("refcount bits: %s",
                                                widths[i]);

        amend_ok(img, o);
        expect_same(img, orig);
        assert_true(info_has(img, want));
    }
}

/* A cluster shared with a snapshot needs 2: 1 bit cannot count it */
static void test_amend_refcount_bits_too_narrow(void **state)
{
    g_autofree char *img = tmp_path("s.qcow2");
    g_autofree char *orig = tmp_path("s-orig.qcow2");

    make_image(img, "compat=1.1", orig);
    assert_int_equal(qcow2_test_sh("qemu-img snapshot -c s1 %s", img), 0);
    amend_fails(img, "refcount_bits=1", "Cannot decrease refcount entry "
                "width to 1 bits");
    assert_int_equal(qcow2_test_sh("qemu-img check %s", img), 0);
    amend_ok(img, "refcount_bits=2");
    assert_int_equal(qcow2_test_sh("qemu-img check %s", img), 0);
    assert_int_equal(qcow2_test_sh("qemu-img compare %s %s", orig, img), 0);
}

static void test_amend_backing_file_and_format(void **state)
{
    g_autofree char *base = tmp_path("b1.qcow2");
    g_autofree char *base2 = tmp_path("b2.qcow2");
    g_autofree char *img = tmp_path("bo.qcow2");
    g_autofree char *o = NULL;

    assert_int_equal(qcow2_test_sh(
        "qemu-img create -f qcow2 %s 1M && qemu-io -c 'write -P 6 0 1M' %s &&"
        " cp %s %s && qemu-img create -f qcow2 -b %s -F qcow2 %s && "
        "qemu-io -c 'write -P 7 0 4k' %s", base, base, base, base2, base,
        img, img), 0);
    o = g_strdup_printf("backing_file=%s,backing_fmt=qcow2", base2);
    amend_ok(img, o);
    assert_true(info_has(img, "b2.qcow2"));
    assert_true(info_has(img, "backing file format: qcow2"));
    assert_int_equal(qcow2_test_sh("qemu-img check %s", img), 0);
    assert_int_equal(qcow2_test_sh("qemu-io -r -c 'read -P 7 0 4k' "
                                   "-c 'read -P 6 4k 1020k' %s", img), 0);
    /* The same on a version 2 image */
    amend_ok(img, "compat=0.10");
    amend_ok(img, "backing_fmt=raw");
    assert_true(info_has(img, "backing file format: raw"));
    assert_true(info_has(img, "b2.qcow2"));
    assert_int_equal(qcow2_test_sh("qemu-img check %s", img), 0);
}

static void test_amend_size_grows(void **state)
{
    g_autofree char *img = tmp_path("g.qcow2");
    g_autofree char *orig = tmp_path("g-orig.qcow2");

    make_image(img, "compat=1.1", orig);
    amend_ok(img, "size=64M");
    assert_true(info_has(img, "virtual size: 64 MiB"));
    assert_int_equal(qcow2_test_sh("qemu-img check %s", img), 0);
    amend_fails(img, "size=1M", "shrinking");
}

static void test_amend_refusals(void **state)
{
    g_autofree char *img = tmp_path("x.qcow2");
    g_autofree char *orig = tmp_path("x-orig.qcow2");
    g_autofree char *zstd = tmp_path("z.qcow2");
    g_autofree char *r8 = tmp_path("r8.qcow2");

    make_image(img, "compat=1.1", orig);
    amend_fails(img, "compat=0.9", "Unknown compatibility level 0.9");
    amend_fails(img, "cluster_size=4096", "Invalid parameter 'cluster_size'");
    amend_fails(img, "encryption=on", "Invalid parameter 'encryption'");
    amend_fails(img, "extended_l2=on", "Invalid parameter 'extended_l2'");
    amend_fails(img, "refcount_bits=3", "Refcount width must be a power of "
                "two");
    amend_fails(img, "compat=0.10,lazy_refcounts=on", "Lazy refcounts only "
                "supported with compatibility level 1.1");
    amend_fails(img, "compat=0.10,refcount_bits=8",
                "compat=0.10 requires refcount_bits=16");
    amend_fails(img, "data_file=x.raw", "data-file can only be set for "
                "images that use an external data file");
    amend_fails(img, "data_file_raw=on", "data-file-raw cannot be set on "
                "existing images");
    expect_same(img, orig);
    assert_int_equal(qcow2_test_sh("qemu-img create -f qcow2 -o "
                                   "compression_type=zstd %s 1M", zstd), 0);
    amend_fails(zstd, "compat=0.10", "Cannot downgrade an image with "
                "incompatible features 0x8 set");
    assert_int_equal(qcow2_test_sh("qemu-img create -f qcow2 -o "
                                   "refcount_bits=8 %s 1M", r8), 0);
    amend_fails(r8, "compat=0.10", "compat=0.10 requires refcount_bits=16");
    amend_ok(r8, "compat=0.10,refcount_bits=16");
    assert_int_equal(qcow2_test_sh("qemu-img check %s", r8), 0);
}

static int amend_group_setup(void **state)
{
    return qcow2_test_interop_setup(state, "qcow2-amend");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_amend_downgrade_expands_zero_clusters),
        T(test_amend_downgrade_over_backing_file),
        T(test_amend_upgrade_and_lazy_refcounts),
        T(test_amend_refcount_bits_round_trip),
        T(test_amend_refcount_bits_too_narrow),
        T(test_amend_backing_file_and_format),
        T(test_amend_size_grows),
        T(test_amend_refusals),
    };

    return test_common_run_group(tests, amend_group_setup,
                                 qcow2_test_interop_teardown);
}
