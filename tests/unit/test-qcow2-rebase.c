/*
 * qcow2's change_backing_file (qemu-img rebase -u, and the header update
 * of a safe rebase): the new name and format are in the header, the rest
 * of the header (extensions, features) is kept, and qemu-img reads it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "interop-common.h"
#include "qcow2-common.h"
#include "test-common.h"

static char *top_path(void)
{
    return tmp_path("top.qcow2");
}

/* The value of qemu-img info's line starting with @key, or "" */
static char *qemu_info_line(const char *path, const char *key)
{
    g_autofree char *cmd = g_strdup_printf("qemu-img info -U %s", path);
    char line[4096];
    FILE *p = popen(cmd, "r");
    char *found = g_strdup("");

    assert_non_null(p);
    while (fgets(line, sizeof(line), p)) {
        if (!strncmp(line, key, strlen(key))) {
            g_free(found);
            line[strcspn(line, "\n")] = 0;
            found = g_strdup(line + strlen(key));
        }
    }
    pclose(p);
    return found;
}

static void make_top(const char *options)
{
    g_autofree char *top = top_path();
    g_autofree char *base = tmp_path("base.raw");
    g_autofree char *o = g_strdup_printf("backing_file=%s,backing_fmt=raw%s%s",
                                         base, options ? "," : "",
                                         options ? options : "");

    assert_int_equal(qcow2_test_sh("qemu-img create -q -f raw %s 1M", base),
                     0);
    qcow2_test_create(top, MiB, o);
}

static void change_backing(const char *file, const char *fmt)
{
    g_autofree char *top = top_path();
    Error *err = NULL;
    QDict *opts = qdict_new();
    BlockBackend *blk;

    /* (the backing file is not opened: rebase -u) */
    qdict_put_str(opts, "driver", "qcow2");
    blk = blk_new_open(top, NULL, opts, BDRV_O_RDWR | BDRV_O_NO_BACKING,
                       &err);
    check_ok(blk != NULL, &err, "open");
    assert_int_equal(bdrv_change_backing_file(blk_bs(blk), file, fmt, false),
                     0);
    blk_unref(blk);
}

static void test_rebase_unsafe_names_new_backing_file(void **state)
{
    g_autofree char *top = top_path();
    g_autofree char *info = NULL, *fmt = NULL;
    g_autofree char *other = tmp_path("other.img");

    make_top("lazy_refcounts=on");
    assert_int_equal(qcow2_test_sh("qemu-img create -q -f qcow2 %s 1M", other),
                     0);
    change_backing("other.img", "qcow2");
    info = qemu_info_line(top, "backing file: ");
    fmt = qemu_info_line(top, "backing file format: ");
    /* qemu-img adds "(actual path: DIR/other.img)" */
    assert_int_equal(strncmp(info, "other.img (", 11), 0);
    assert_string_equal(fmt, "qcow2");
    /* The other header fields survive: lazy refcounts still on */
    g_free(info);
    info = qemu_info_line(top, "    lazy refcounts: ");
    assert_string_equal(info, "true");
    assert_int_equal(qcow2_test_sh("qemu-img check -q %s", top), 0);
}

static void test_rebase_unsafe_removes_backing_file(void **state)
{
    g_autofree char *top = top_path();
    g_autofree char *info = NULL;

    make_top(NULL);
    change_backing(NULL, NULL);
    info = qemu_info_line(top, "backing file: ");
    assert_string_equal(info, "");
    assert_int_equal(qcow2_test_sh("qemu-img check -q %s", top), 0);
}

static void test_rebase_name_too_long_refused(void **state)
{
    g_autofree char *top = top_path();
    g_autofree char *name = g_malloc(1100);
    Error *err = NULL;
    QDict *opts = qdict_new();
    BlockBackend *blk;

    make_top(NULL);
    memset(name, 'a', 1099);
    name[1099] = 0;
    qdict_put_str(opts, "driver", "qcow2");
    blk = blk_new_open(top, NULL, opts, BDRV_O_RDWR | BDRV_O_NO_BACKING,
                       &err);
    check_ok(blk != NULL, &err, "open");
    assert_true(bdrv_change_backing_file(blk_bs(blk), name, "raw", false) <
                0);
    blk_unref(blk);
    /* The header still names the old backing file */
    assert_int_equal(qcow2_test_sh("qemu-img check -q %s", top), 0);
}

static int rebase_setup(void **state)
{
    return qcow2_test_interop_setup(state, "qcow2-rebase");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_rebase_unsafe_names_new_backing_file),
        T(test_rebase_unsafe_removes_backing_file),
        T(test_rebase_name_too_long_refused),
    };

    return test_common_run_group(tests, rebase_setup,
                                 qcow2_test_interop_teardown);
}
