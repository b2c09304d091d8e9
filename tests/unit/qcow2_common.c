/*
 * Helpers of the qcow2 driver tests (see qcow2-common.h).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sys/wait.h>

#include "block/mem.h"
#include "util/bswap.h"
#include "interop-common.h"
#include "qcow2-common.h"
#include "test-common.h"

void qcow2_test_create(const char *name, uint64_t size, const char *options)
{
    g_autofree char *path = strchr(name, '/') ? g_strdup(name)
                                              : g_strdup_printf("mem:%s", name);
    g_autofree char *o = g_strdup(options);
    Error *err = NULL;

    bdrv_img_create(path, "qcow2", NULL, NULL, o, size, 0, true, &err);
    check_ok(!err, &err, "qcow2 create");
}

BlockBackend *qcow2_test_open(const char *name, int flags, Error **errp)
{
    g_autofree char *path = strchr(name, '/') ? g_strdup(name)
                                              : g_strdup_printf("mem:%s", name);
    QDict *opts = qdict_new();

    qdict_put_str(opts, "driver", "qcow2");
    return blk_new_open(path, NULL, opts, flags, errp);
}

void qcow2_test_expect_open_error(const char *name, int flags,
                                  const char *needle)
{
    Error *err = NULL;
    BlockBackend *blk = qcow2_test_open(name, flags, &err);

    if (blk) {
        blk_unref(blk);
        fail_msg("open succeeded, expected an error with '%s'", needle);
    }
    assert_err_contains(err, needle);
    error_free(err);
}

void qcow2_test_poke(const char *name, size_t offset, const void *data,
                     size_t len)
{
    size_t img_len;
    const uint8_t *img = mem_image_get(name, &img_len);
    g_autofree uint8_t *copy = NULL;

    assert_non_null(img);
    copy = g_malloc0(MAX(img_len, offset + len));
    memcpy(copy, img, img_len);
    memcpy(copy + offset, data, len);
    mem_image_set(name, copy, MAX(img_len, offset + len), &error_abort);
}

void qcow2_test_poke32(const char *name, size_t offset, uint32_t value)
{
    uint8_t b[4];

    stl_be_p(b, value);
    qcow2_test_poke(name, offset, b, 4);
}

void qcow2_test_poke64(const char *name, size_t offset, uint64_t value)
{
    uint8_t b[8];

    stq_be_p(b, value);
    qcow2_test_poke(name, offset, b, 8);
}

uint64_t qcow2_test_peek64(const char *name, size_t offset)
{
    size_t img_len;
    const uint8_t *img = mem_image_get(name, &img_len);

    assert_non_null(img);
    assert_true(offset + 8 <= img_len);
    return ldq_be_p(img + offset);
}

void qcow2_test_pattern(uint8_t *buf, size_t len, int seed)
{
    for (size_t i = 0; i < len; i++) {
        buf[i] = (uint8_t)(i * 7 + seed * 13 + (i >> 9));
    }
}

void qcow2_test_save(const char *name, const char *path)
{
    size_t len;
    const uint8_t *img = mem_image_get(name, &len);
    FILE *f = fopen(path, "wb");

    assert_non_null(img);
    assert_non_null(f);
    assert_int_equal(fwrite(img, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

void qcow2_test_load(const char *path, const char *name)
{
    FILE *f = fopen(path, "rb");
    g_autofree uint8_t *data = NULL;
    long len;

    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    len = ftell(f);
    rewind(f);
    data = g_malloc(MAX(len, 1));
    assert_int_equal(fread(data, 1, len, f), len);
    fclose(f);
    mem_image_set(name, data, len, &error_abort);
}

int qcow2_test_sh(const char *fmt, ...)
{
    g_autofree char *cmd = NULL;
    va_list ap;

    va_start(ap, fmt);
    cmd = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    return interop_system(cmd);
}

int qcow2_test_check(const char *name, int flags, BdrvCheckMode fix,
                     BdrvCheckResult *res)
{
    Error *err = NULL;
    BlockBackend *blk = qcow2_test_open(name, flags | BDRV_O_CHECK, &err);
    int ret;

    check_ok(blk != NULL, &err, "open for check");
    ret = bdrv_check(blk_bs(blk), res, fix);
    blk_unref(blk);
    return ret;
}

int qcow2_test_interop_setup(void **state, const char *prefix)
{
    if (interop_require_reference_tools() < 0 ||
        test_common_tmp_dir_create(prefix) < 0) {
        return -1;
    }
    return test_common_group_setup(state);
}

int qcow2_test_interop_teardown(void **state)
{
    test_common_tmp_dir_remove();
    return test_common_group_teardown_mem(state);
}
