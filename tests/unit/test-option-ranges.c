/*
 * Numeric options and file types that used to abort, overflow or block:
 * every numeric option of the drivers and of image creation has a named
 * limit and a clear Error naming the value, and the file driver refuses
 * what is neither a regular file nor a block device without blocking.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sys/stat.h>

#include "block/mem.h"
#include "test-common.h"

static int ranges_group_setup(void **state)
{
    test_common_init(0);
    assert_int_equal(test_common_tmp_dir_create("test-ranges"), 0);
    return 0;
}

static int ranges_group_teardown(void **state)
{
    test_common_tmp_dir_remove();
    mem_image_delete_all();
    return 0;
}

/* bdrv_open of @driver with options "key=value" pairs; NULL-terminated */
static BlockDriverState *open_with(const char *driver, int flags,
                                   Error **errp, ...)
{
    QDict *opts = qdict_new();
    const char *key;
    va_list ap;

    qdict_put_str(opts, "driver", driver);
    va_start(ap, errp);
    while ((key = va_arg(ap, const char *))) {
        qdict_put_str(opts, key, va_arg(ap, const char *));
    }
    va_end(ap);
    return bdrv_open(NULL, NULL, opts, flags, errp);
}

/* ---- the file driver and what is not a disk ---- */

/* open(O_RDONLY) of a FIFO without a writer blocked forever (QEMU too) */
static void test_file_fifo_refused_without_blocking(void **state)
{
    g_autofree char *path = tmp_path("fifo");
    g_autofree char *msg = NULL;
    Error *err = NULL;
    BlockDriverState *bs;

    assert_int_equal(mkfifo(path, 0600), 0);
    msg = g_strdup_printf("'%s' is not a regular file or block device",
                          path);
    bs = open_with("file", 0, &err, "filename", path, NULL);
    assert_null(bs);
    check_error_has(&err, msg, NULL);
    /* Read-write too (that open does not block, the check is the same) */
    bs = open_with("file", BDRV_O_RDWR, &err, "filename", path, NULL);
    assert_null(bs);
    check_error_has(&err, msg, NULL);
    unlink(path);
}

static void test_file_char_device_and_directory_refused(void **state)
{
    Error *err = NULL;

    assert_null(open_with("file", 0, &err, "filename", "/dev/null", NULL));
    check_error_has(&err, "'/dev/null' is not a regular file or block "
                    "device", NULL);
    assert_null(open_with("file", 0, &err, "filename",
                          test_common_tmp_dir(), NULL));
    check_error_has(&err, "is not a regular file or block device", NULL);
}

/* A regular file still opens, and its descriptor blocks as before */
static void test_file_regular_file_still_opens(void **state)
{
    g_autofree char *path = tmp_path("regular");
    uint8_t buf[512] = { 0 };
    BlockBackend *blk;
    Error *err = NULL;
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    assert_int_equal(fwrite(buf, 1, sizeof(buf), f), sizeof(buf));
    fclose(f);
    blk = test_common_blk_open("file", path, NULL, BDRV_O_RDWR, &err);
    check_ok(blk != NULL, &err, "opening a regular file");
    assert_int_equal(blk_pwrite(blk, 0, sizeof(buf), buf, 0), 0);
    assert_int_equal(blk_pread(blk, 0, sizeof(buf), buf, 0), 0);
    blk_unref(blk);
    unlink(path);
}

/* ---- null-co / null-aio ---- */

/* latency-ns near INT64_MAX overflowed the timer deadline on first I/O */
static void test_null_latency_above_limit_refused(void **state)
{
    static const char *const drivers[] = { "null-co", "null-aio" };

    for (size_t i = 0; i < ARRAY_SIZE(drivers); i++) {
        Error *err = NULL;
        BlockDriverState *bs;

        bs = open_with(drivers[i], BDRV_O_RDWR, &err, "latency-ns",
                       "9223372036854775000", NULL);
        if (bs) {
            BlockBackend *blk = blk_new_with_bs(bs, BLK_PERM_CONSISTENT_READ,
                                                BLK_PERM_ALL, &error_abort);
            uint8_t buf[512];

            EXPECT_FAIL("%s accepted latency-ns near INT64_MAX", drivers[i]);
            /* The deadline overflows here (UBSan aborts) */
            blk_pread(blk, 0, sizeof(buf), buf, 0);
            blk_unref(blk);
            bdrv_unref(bs);
            continue;
        }
        check_error_has(&err, "latency-ns", "9223372036854775000", NULL);
    }
    end_test();
}

/* The limit itself is fine */
static void test_null_latency_at_limit_accepted(void **state)
{
    g_autofree char *max = g_strdup_printf("%" PRId64,
                                           (int64_t)3600 * 1000000000);
    BlockDriverState *bs = open_with("null-co", BDRV_O_RDWR, &error_abort,
                                     "latency-ns", max, NULL);
    Error *err = NULL;
    g_autofree char *over = g_strdup_printf("%" PRId64,
                                            (int64_t)3600 * 1000000000 + 1);

    bdrv_unref(bs);
    assert_null(open_with("null-co", BDRV_O_RDWR, &err, "latency-ns", over,
                          NULL));
    check_error_has(&err, over, NULL);
}

/* ---- image creation ---- */

/* A size above INT64_MAX aborted in qemu_opt_set_number() */
static void test_img_create_size_above_int64_max_refused(void **state)
{
    g_autofree char *path = tmp_path("huge.raw");
    Error *err = NULL;

    bdrv_img_create(path, "raw", NULL, NULL, NULL, (uint64_t)INT64_MAX + 1,
                    0, true, &err);
    check_error_has(&err, "9223372036854775808", NULL);
    bdrv_img_create(path, "raw", NULL, NULL, NULL, UINT64_MAX - 1, 0, true,
                    &err);
    check_error_has(&err, "18446744073709551614", NULL);
    /* (uint64_t)-1 means "no size given" */
    bdrv_img_create(path, "raw", NULL, NULL, NULL, UINT64_MAX, 0, true,
                    &err);
    check_error_has(&err, "needs a size", NULL);
}

/* A protocol that creates anything: what size reaches a driver */
static uint64_t sizerec_created;
static int sizerec_calls;

static QemuOptsList sizerec_create_opts = {
    .name = "sizerec-create-opts",
    .desc = {
        { .name = BLOCK_OPT_SIZE, .type = QEMU_OPT_SIZE },
        { /* end of list */ }
    },
};

static int coroutine_fn sizerec_co_create_opts(BlockDriver *drv,
                                               const char *filename,
                                               QemuOpts *opts, Error **errp)
{
    sizerec_calls++;
    sizerec_created = qemu_opt_get_size(opts, BLOCK_OPT_SIZE, 0);
    return 0;
}

static BlockDriver bdrv_sizerec = {
    .format_name = "sizerec",
    .protocol_name = "sizerec",
    .bdrv_co_create_opts = sizerec_co_create_opts,
    .create_opts = &sizerec_create_opts,
};

/* Past BDRV_MAX_LENGTH (argument or "size" option): no driver sees it */
static void test_img_create_size_above_max_length_refused(void **state)
{
    g_autofree char *msg = g_strdup_printf("%" PRIu64,
                                           (uint64_t)BDRV_MAX_LENGTH + 1);
    char opts[] = "size=8E";
    Error *err = NULL;

    bdrv_register(&bdrv_sizerec);
    sizerec_calls = 0;
    bdrv_img_create("sizerec:a", "sizerec", NULL, NULL, NULL,
                    (uint64_t)BDRV_MAX_LENGTH + 1, 0, true, &err);
    expect_true(err != NULL);
    if (err) {
        check_error_has(&err, msg, NULL);
    }
    bdrv_img_create("sizerec:a", "sizerec", NULL, NULL, opts, (uint64_t)-1,
                    0, true, &err);
    expect_true(err != NULL);
    if (err) {
        check_error_has(&err, "9223372036854775808", NULL);
    }
    expect_int(sizerec_calls, 0);
    /* The largest length is fine */
    bdrv_img_create("sizerec:a", "sizerec", NULL, NULL, NULL,
                    BDRV_MAX_LENGTH, 0, true, &error_abort);
    expect_int(sizerec_created, BDRV_MAX_LENGTH);
    end_test();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_file_fifo_refused_without_blocking),
        T(test_file_char_device_and_directory_refused),
        T(test_file_regular_file_still_opens),
        T(test_null_latency_above_limit_refused),
        T(test_null_latency_at_limit_accepted),
        T(test_img_create_size_above_int64_max_refused),
        T(test_img_create_size_above_max_length_refused),
    };

    return test_common_run_group(tests, ranges_group_setup,
                                 ranges_group_teardown);
}
