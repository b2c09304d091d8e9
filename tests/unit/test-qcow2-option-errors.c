/*
 * qcow2 refuses what it cannot do, with QEMU's messages: creation
 * options out of range or in combinations QEMU refuses, amend options
 * that cannot apply to the image, measure options, cache options at open.
 * Each refusal leaves nothing behind (no image, or the image unchanged).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "block/driver.h"
#include "block/mem.h"
#include "qcow2-common.h"
#include "test-common.h"

#define IMG "opterr"

/* A name of @len 'b's, longer than a header can hold */
static char *long_name(size_t len)
{
    char *name = g_malloc(len + 1);

    memset(name, 'b', len);
    name[len] = 0;
    return name;
}

/* Creating mem:IMG with @options fails with a message containing @needle */
static void create_fails(const char *options, const char *needle)
{
    g_autofree char *o = g_strdup(options);
    Error *err = NULL;

    mem_image_delete(IMG);
    bdrv_img_create("mem:" IMG, "qcow2", NULL, NULL, o, MiB, 0, true, &err);
    if (!err) {
        fail_msg("creating with '%s' succeeded", options);
    }
    assert_err_contains(err, needle);
    error_free(err);
}

static void test_create_refuses_bad_values(void **state)
{
    g_autofree char *name = long_name(1100);
    g_autofree char *opt = NULL;

    create_fails("encryption=on", "Encrypted qcow2 images are not supported");
    create_fails("compat=2.0", "Invalid parameter '2.0'");
    create_fails("compression_type=lz4", "Invalid parameter 'lz4'");
    create_fails("cluster_size=1000", "Cluster size must be a power of two");
    create_fails("cluster_size=4M", "Cluster size must be a power of two");
    create_fails("refcount_bits=3", "Refcount width must be a power of two");
    create_fails("refcount_bits=128", "may not exceed 64 bits");
    create_fails("backing_fmt=raw", "Backing format cannot be used without");
    opt = g_strdup_printf("backing_file=%s", name);
    create_fails(opt, "Backing file name too long");
    g_free(opt);
    opt = g_strdup_printf("data_file=%s", name);
    create_fails(opt, "Data file name too long");
    create_fails("backing_file=mem:x,backing_fmt=averyveryverylongformat",
                 "Backing format name 'averyveryverylongformat' is too long");
    end_test();
}

static void test_create_refuses_combinations(void **state)
{
    create_fails("compat=0.10,extended_l2=on",
                 "Extended L2 entries are only supported with compatibility");
    create_fails("cluster_size=4096,extended_l2=on",
                 "cluster sizes of at least 16384 bytes");
    create_fails("compat=0.10,compression_type=zstd",
                 "Non-zlib compression type is only supported");
    create_fails("compat=0.10,refcount_bits=8",
                 "Different refcount widths than 16 bits require");
    create_fails("compat=v2,lazy_refcounts=on",
                 "Lazy refcounts only supported with compatibility");
    create_fails("backing_file=mem:b,data_file=mem:d,data_file_raw=on,"
                 "extended_l2=on",
                 "Backing file and data-file-raw cannot be used");
    end_test();
}

/* bdrv_amend_options on IMG with @options fails mentioning @needle */
static void amend_fails(const char *options, const char *needle)
{
    BlockDriver *drv = bdrv_find_format("qcow2");
    QemuOpts *opts = qemu_opts_create(drv->amend_opts, NULL, 0, &error_abort);
    Error *err = NULL;
    BlockBackend *blk = qcow2_test_open(IMG, BDRV_O_RDWR, &err);
    size_t len, len_after;
    const uint8_t *after;
    g_autofree uint8_t *before = NULL;

    check_ok(blk != NULL, &err, "open");
    after = mem_image_get(IMG, &len);
    before = g_memdup2(after, len);
    assert_true(qemu_opts_do_parse(opts, options, NULL, &error_abort));
    assert_true(bdrv_amend_options(blk_bs(blk), opts, NULL, NULL, false, &err) <
                0);
    assert_err_contains(err, needle);
    error_free(err);
    qemu_opts_del(opts);
    blk_unref(blk);
    /* Refused before anything was written */
    after = mem_image_get(IMG, &len_after);
    assert_int_equal(len_after, len);
    assert_memory_equal(after, before, len);
}

static void test_amend_refuses(void **state)
{
    g_autofree char *name = long_name(1100);
    g_autofree char *opt = g_strdup_printf("backing_file=%s", name);

    qcow2_test_create(IMG, MiB, NULL);
    amend_fails("compat=0.9", "Unknown compatibility level 0.9");
    amend_fails("data_file=x", "data-file can only be set for images");
    amend_fails("data_file_raw=on", "data-file-raw cannot be set");
    amend_fails("refcount_bits=5", "Refcount width must be a power of two");
    amend_fails("compat=0.10,refcount_bits=8",
                "compat=0.10 requires refcount_bits=16");
    amend_fails("compat=0.10,lazy_refcounts=on",
                "Lazy refcounts only supported with compatibility");
    amend_fails(opt, "Backing file name too long");
    amend_fails("backing_file=mem:x,backing_fmt=averyveryverylongformat",
                "is too long");
    /* An image of 8-bit refcounts cannot go down to 0.10 */
    qcow2_test_create(IMG, MiB, "refcount_bits=8");
    amend_fails("compat=0.10", "compat=0.10 requires refcount_bits=16");
    end_test();
}

/* A v2 image refuses other refcount widths with the general message */
static void test_amend_v2_refcount_width(void **state)
{
    qcow2_test_create(IMG, MiB, "compat=0.10");
    amend_fails("refcount_bits=8", "Refcount widths other than 16 bits "
                                   "require compatibility level 1.1");
    end_test();
}

static void measure_fails(const char *options, const char *needle)
{
    BlockDriver *drv = bdrv_find_format("qcow2");
    QemuOpts *opts = qemu_opts_create(drv->create_opts, NULL, 0, &error_abort);
    Error *err = NULL;

    assert_true(qemu_opts_do_parse(opts, options, NULL, &error_abort));
    assert_null(bdrv_measure(drv, opts, NULL, &err));
    assert_err_contains(err, needle);
    error_free(err);
    qemu_opts_del(opts);
}

static void test_measure_refuses(void **state)
{
    measure_fails("size=1M,cluster_size=3000", "Cluster size must be");
    measure_fails("size=1M,refcount_bits=7", "Refcount width must be");
    measure_fails("size=1M,cluster_size=4096,extended_l2=on",
                  "cluster sizes of at least 16384 bytes");
    measure_fails("size=1M,preallocation=sparse", "Invalid parameter 'sparse'");
    end_test();
}

/* Opening IMG with the option pairs given fails mentioning @needle */
static void open_fails(const char *needle, const char *key, ...)
{
    QDict *opts = qdict_new();
    Error *err = NULL;
    BlockBackend *blk;
    va_list ap;

    qdict_put_str(opts, "driver", "qcow2");
    va_start(ap, key);
    for (; key; key = va_arg(ap, const char *)) {
        qdict_put_str(opts, key, va_arg(ap, const char *));
    }
    va_end(ap);
    blk = blk_new_open("mem:" IMG, NULL, opts, 0, &err);
    assert_null(blk);
    assert_err_contains(err, needle);
    error_free(err);
}

static void test_cache_options_refused(void **state)
{
    qcow2_test_create(IMG, MiB, NULL);
    open_fails("refcount-cache-size may not exceed cache-size", "cache-size",
               "256k", "refcount-cache-size", "1M", NULL);
    end_test();
}

/* cache-size with one of the two: the other gets the rest */
static void test_cache_size_split(void **state)
{
    static const char *const which[] = {"l2-cache-size", "refcount-cache-size"};
    uint8_t buf[512];

    qcow2_test_create(IMG, MiB, NULL);
    for (int i = 0; i < 2; i++) {
        QDict *opts = qdict_new();
        Error *err = NULL;
        BlockBackend *blk;

        qdict_put_str(opts, "driver", "qcow2");
        qdict_put_str(opts, "cache-size", "2M");
        qdict_put_str(opts, which[i], "1M");
        blk = blk_new_open("mem:" IMG, NULL, opts, BDRV_O_RDWR, &err);
        check_ok(blk != NULL, &err, which[i]);
        memset(buf, i + 1, sizeof(buf));
        assert_int_equal(blk_pwrite(blk, 0, sizeof(buf), buf, 0), 0);
        blk_unref(blk);
    }
    end_test();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_create_refuses_bad_values),
        T(test_create_refuses_combinations),
        T(test_amend_refuses),
        T(test_amend_v2_refcount_width),
        T(test_measure_refuses),
        T(test_cache_options_refused),
        T(test_cache_size_split),
    };

    return test_common_run_group(tests, test_common_group_setup,
                                 test_common_group_teardown_mem);
}
