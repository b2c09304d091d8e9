/*
 * qcow2 format-specific information (bdrv_get_specific_info) against
 * `qemu-img info --output=json`: the same fields with the same values
 * (compat, compression type, lazy refcounts, bitmaps, refcount bits,
 * corrupt, extended l2) for version 2 and 3 images, zstd, lazy refcounts,
 * narrow refcounts, persistent bitmaps and the corrupt bit.  (Images
 * with extended L2 entries are not opened by this tree yet.)
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "interop-common.h"
#include "qcow2-common.h"
#include "test-common.h"
#include "util/qjson.h"

/* qemu-img's "format-specific" "data" object for @path */
static QDict *qemu_specific(const char *path)
{
    g_autofree char *cmd = g_strdup_printf("qemu-img info -U --output=json "
                                           "%s", path);
    g_autofree char *json = g_malloc0(65536);
    FILE *p = popen(cmd, "r");
    size_t n;
    QObject *obj;
    QDict *data;

    assert_non_null(p);
    n = fread(json, 1, 65535, p);
    pclose(p);
    json[n] = 0;
    obj = qobject_from_json(json, &error_abort);
    data = qdict_get_qdict(qdict_get_qdict(qobject_to(QDict, obj),
                                           "format-specific"), "data");
    qobject_ref(data);
    qobject_unref(obj);
    return data;
}

/* Same keys, each with the same JSON value */
static void expect_same_info(const char *path)
{
    QDict *want = qemu_specific(path);
    Error *err = NULL;
    BlockBackend *blk = qcow2_test_open(path, 0, &err);
    ImageInfoSpecific *info;

    check_ok(blk != NULL, &err, "open");
    info = bdrv_get_specific_info(blk_bs(blk), &err);
    check_ok(info != NULL, &err, "specific info");
    assert_string_equal(info->type, "qcow2");
    assert_int_equal(qdict_size(info->data), qdict_size(want));
    for (const QDictEntry *e = qdict_first(want); e;
         e = qdict_next(want, e)) {
        QObject *mine = qdict_get(info->data, qdict_entry_key(e));
        g_autofree char *a = NULL;
        g_autofree char *b = qobject_to_json_str(qdict_entry_value(e), false);

        if (!mine) {
            fail_msg("%s: no '%s'", path, qdict_entry_key(e));
        }
        a = qobject_to_json_str(mine, false);
        if (strcmp(a, b)) {
            fail_msg("%s: %s is %s, qemu-img says %s", path,
                     qdict_entry_key(e), a, b);
        }
    }
    qapi_free_ImageInfoSpecific(info);
    blk_unref(blk);
    qobject_unref(want);
}

static void made_by_qemu(const char *name, const char *cmds)
{
    g_autofree char *path = tmp_path(name);

    assert_int_equal(qcow2_test_sh("qemu-img create -f qcow2 %s %s 1M %s",
                                   cmds, path, ""), 0);
    expect_same_info(path);
}

static void test_info_matches_qemu_img(void **state)
{
    made_by_qemu("v3.qcow2", "");
    made_by_qemu("v2.qcow2", "-o compat=0.10");
    made_by_qemu("zstd.qcow2", "-o compression_type=zstd");
    made_by_qemu("lazy.qcow2", "-o lazy_refcounts=on,refcount_bits=1");
    made_by_qemu("r64.qcow2", "-o refcount_bits=64,cluster_size=512");
}

static void test_info_bitmaps_listed(void **state)
{
    g_autofree char *path = tmp_path("bm.qcow2");

    assert_int_equal(qcow2_test_sh(
        "qemu-img create -f qcow2 %s 1M && qemu-img bitmap --add %s b0 && "
        "qemu-img bitmap --add -g 128k --disable %s second", path, path,
        path), 0);
    expect_same_info(path);
}

static void test_info_corrupt_bit(void **state)
{
    g_autofree char *path = tmp_path("corrupt.qcow2");

    assert_int_equal(qcow2_test_sh(
        "qemu-img create -f qcow2 %s 1M && printf '\\002' | dd of=%s bs=1 "
        "seek=79 conv=notrunc", path, path), 0);
    expect_same_info(path);
}

static int info_group_setup(void **state)
{
    return qcow2_test_interop_setup(state, "qcow2-info");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_info_matches_qemu_img),
        T(test_info_bitmaps_listed),
        T(test_info_corrupt_bit),
    };

    return test_common_run_group(tests, info_group_setup,
                                 qcow2_test_interop_teardown);
}
