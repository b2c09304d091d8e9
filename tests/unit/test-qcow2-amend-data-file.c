/*
 * qcow2 amend of the external data file options, against qemu-img amend:
 * data_file renames the data file of an image that has one (the header
 * extension rewritten in place, the others kept: the header is the one
 * qemu-img writes, byte for byte; an empty name drops the extension),
 * data_file_raw can be turned off but not on; the open image names the
 * new file at once, and qemu-img info and qemu-io use it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>
#include <unistd.h>

#include "block/driver.h"
#include "util/qdict.h"
#include "interop-common.h"
#include "qcow2-common.h"
#include "test-common.h"

/* bdrv_amend_options of @options on open @blk; 0 or -errno with *errp */
static int amend_blk(BlockBackend *blk, const char *options, Error **errp)
{
    BlockDriver *drv = bdrv_find_format("qcow2");
    QemuOpts *opts = qemu_opts_create(drv->amend_opts, NULL, 0,
                                      &error_abort);
    int ret = -EINVAL;

    if (qemu_opts_do_parse(opts, options, NULL, errp)) {
        ret = bdrv_amend_options(blk_bs(blk), opts, NULL, NULL, false, errp);
    }
    qemu_opts_del(opts);
    return ret;
}

static int amend(const char *path, const char *options, Error **errp)
{
    Error *err = NULL;
    BlockBackend *blk = qcow2_test_open(path, BDRV_O_RDWR, &err);
    int ret;

    check_ok(blk != NULL, &err, "open");
    ret = amend_blk(blk, options, errp);
    blk_unref(blk);
    return ret;
}

static void amend_ok(const char *path, const char *options)
{
    Error *err = NULL;

    check_ok(amend(path, options, &err) == 0, &err, options);
}

static void amend_fails(const char *path, const char *options,
                        const char *needle)
{
    Error *err = NULL;

    assert_true(amend(path, options, &err) < 0);
    assert_err_contains(err, needle);
    error_free(err);
}

/*
 * Image @name (with data file @name.raw and creation @opts) made by
 * qemu-img twice, in the test directory: one amended by qemu-img with
 * @amend_opts, the other returned for the test to amend here
 */
static char *make_pair(const char *name, const char *opts,
                       const char *amend_opts, char **ref)
{
    g_autofree char *path = tmp_path(name);

    *ref = g_strdup_printf("%s-ref", path);
    assert_int_equal(qcow2_test_sh("qemu-img create -q "
                                   "-f qcow2 -o data_file=%s.raw%s%s %s 1M "
                                   "&& qemu-io -c 'write -P 0x5a 0 64k' %s "
                                   ">/dev/null && cp %s %s && qemu-img amend "
                                   "-o %s %s", name, *opts ? "," : "",
                                   opts, path, path, path, *ref, amend_opts,
                                   *ref), 0);
    return g_steal_pointer(&path);
}

/* The two first clusters (header and extensions) are the same */
static void expect_same_header(const char *path, const char *ref)
{
    assert_int_equal(qcow2_test_sh("cmp -n 65536 %s %s", path, ref), 0);
}

/* qemu-img info of @path has @line */
static bool info_has(const char *path, const char *line)
{
    return qcow2_test_sh("qemu-img info %s | grep -qF '%s'", path, line) == 0;
}

static void test_amend_renames_the_data_file(void **state)
{
    g_autofree char *ref = NULL;
    g_autofree char *path = make_pair("ren", "", "data_file=ren-b.raw",
                                      &ref);

    amend_ok(path, "data_file=ren-b.raw");
    expect_same_header(path, ref);
    assert_int_equal(qcow2_test_sh("mv ren.raw ren-b.raw"), 0);
    assert_true(info_has(path, "    data file: ren-b.raw"));
    assert_int_equal(qcow2_test_sh("qemu-img check -q %s && qemu-io -c "
                                   "'read -P 0x5a 0 64k' %s >/dev/null",
                                   path, path), 0);
    /* And on, to an absolute name */
    {
        g_autofree char *abs = tmp_path("ren-c.raw");
        g_autofree char *o = g_strdup_printf("data_file=%s", abs);
        g_autofree char *line = g_strdup_printf("    data file: %s", abs);

        amend_ok(path, o);
        assert_int_equal(qcow2_test_sh("mv ren-b.raw %s", abs), 0);
        assert_true(info_has(path, line));
    }
    assert_int_equal(qcow2_test_sh("qemu-io -c 'read -P 0x5a 0 64k' %s "
                                   ">/dev/null", path), 0);
}

/* The other extensions stay, in their places: a backing file and format */
static void test_amend_keeps_the_other_extensions(void **state)
{
    g_autofree char *base = tmp_path("keep-base.qcow2");
    g_autofree char *ref = NULL;
    g_autofree char *path = NULL;

    assert_int_equal(qcow2_test_sh("qemu-img create -q -f qcow2 %s 1M", base),
                     0);
    path = make_pair("keep", "backing_file=keep-base.qcow2,backing_fmt=qcow2,"
                     "lazy_refcounts=on", "data_file=keep-2.raw", &ref);
    amend_ok(path, "data_file=keep-2.raw");
    expect_same_header(path, ref);
    assert_true(info_has(path, "backing file: keep-base.qcow2"));
    assert_true(info_has(path, "backing file format: qcow2"));
    assert_true(info_has(path, "    lazy refcounts: true"));
    assert_true(info_has(path, "    data file: keep-2.raw"));
}

/* The open image names the new file at once (format-specific info) */
static void test_amend_updates_the_open_image(void **state)
{
    g_autofree char *ref = NULL;
    g_autofree char *path = make_pair("open", "", "data_file=open-2.raw",
                                      &ref);
    Error *err = NULL;
    BlockBackend *blk = qcow2_test_open(path, BDRV_O_RDWR, &err);
    ImageInfoSpecific *info;

    check_ok(blk != NULL, &err, "open");
    info = bdrv_get_specific_info(blk_bs(blk), &error_abort);
    assert_string_equal(qdict_get_str(info->data, "data-file"), "open.raw");
    qapi_free_ImageInfoSpecific(info);
    check_ok(amend_blk(blk, "data_file=open-2.raw", &err) == 0, &err,
             "amend");
    info = bdrv_get_specific_info(blk_bs(blk), &error_abort);
    assert_string_equal(qdict_get_str(info->data, "data-file"), "open-2.raw");
    qapi_free_ImageInfoSpecific(info);
    blk_unref(blk);
    expect_same_header(path, ref);
}

/* An empty name drops the extension, as qemu-img does (the image then
 * needs the data-file option to open) */
static void test_amend_empty_name_drops_the_extension(void **state)
{
    g_autofree char *ref = NULL;
    g_autofree char *path = make_pair("empty", "", "data_file=", &ref);

    amend_ok(path, "data_file=");
    expect_same_header(path, ref);
    assert_false(info_has(path, "    data file: empty.raw"));
}

/* data_file_raw: off clears the bit, on stays on, off to on is refused */
static void test_amend_data_file_raw(void **state)
{
    g_autofree char *ref = NULL;
    g_autofree char *path = make_pair("raw", "data_file_raw=on",
                                      "data_file_raw=off", &ref);

    amend_ok(path, "data_file_raw=on");
    assert_true(info_has(path, "    data file raw: true"));
    amend_ok(path, "data_file_raw=off");
    expect_same_header(path, ref);
    assert_true(info_has(path, "    data file raw: false"));
    amend_fails(path, "data_file_raw=on", "data-file-raw cannot be set on "
                "existing images");
    amend_ok(path, "data_file=raw-2.raw,data_file_raw=off");
    assert_true(info_has(path, "    data file: raw-2.raw"));
}

/* No data file: neither option; a name too long for the header */
static void test_amend_refusals(void **state)
{
    g_autofree char *plain = tmp_path("plain.qcow2");
    g_autofree char *ref = NULL;
    g_autofree char *path = make_pair("long", "", "lazy_refcounts=off", &ref);
    g_autofree char *o = g_malloc(1200);

    memcpy(o, "data_file=", 10);
    memset(o + 10, 'n', 1100);
    o[1110] = 0;
    assert_int_equal(qcow2_test_sh("qemu-img create -q -f qcow2 %s 1M",
                                   plain), 0);
    amend_fails(plain, "data_file=x.raw", "data-file can only be set for "
                "images that use an external data file");
    amend_fails(plain, "data_file_raw=on", "data-file-raw cannot be set on "
                "existing images");
    amend_ok(plain, "data_file_raw=off");
    amend_fails(path, o, "Data file name too long");
    expect_same_header(path, ref);
}

/*
 * Run in the test directory: qemu-img 7.2 looks for a relative data file
 * name in the current directory (drydock, next to the image)
 */
static int amend_df_group_setup(void **state)
{
    g_autofree char *dir = NULL;
    int ret = qcow2_test_interop_setup(state, "qcow2-amend-data-file");

    if (ret == 0) {
        dir = tmp_path(".");
        ret = chdir(dir);
    }
    return ret;
}

static int amend_df_group_teardown(void **state)
{
    if (chdir("/") < 0) {
        return -1;
    }
    return qcow2_test_interop_teardown(state);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_amend_renames_the_data_file),
        T(test_amend_keeps_the_other_extensions),
        T(test_amend_updates_the_open_image),
        T(test_amend_empty_name_drops_the_extension),
        T(test_amend_data_file_raw),
        T(test_amend_refusals),
    };

    return test_common_run_group(tests, amend_df_group_setup,
                                 amend_df_group_teardown);
}
