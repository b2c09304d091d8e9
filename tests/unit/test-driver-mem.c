/*
 * Unit tests of the mem protocol driver and its buffer API (block/mem.h).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "block/driver.h"
#include "block/mem.h"
#include "test-common.h"

/* A backend on mem image @name with @opts added (NULL: none) */
#define open_mem(name, opts, flags, errp)                                      \
    test_common_blk_open("mem", (name), (opts), (flags), (errp))

static void test_image_api(void **state)
{
    const uint8_t data[] = "hello, mem";
    const uint8_t *got;
    size_t len = 0;

    assert_int_equal(mem_image_set("api", data, sizeof(data), &error_abort),
                     0);
    got = mem_image_get("api", &len);
    assert_non_null(got);
    assert_int_equal(len, sizeof(data));
    assert_memory_equal(got, data, sizeof(data));
    /* A copy was taken */
    assert_ptr_not_equal(got, data);

    /* NULL data: zeroes */
    assert_int_equal(mem_image_set("api", NULL, 4096, &error_abort), 0);
    got = mem_image_get("api", &len);
    assert_int_equal(len, 4096);
    assert_true(buffer_is_zero(got, 4096));

    mem_image_delete("api");
    assert_null(mem_image_get("api", &len));
    /* Deleting what does not exist is harmless */
    mem_image_delete("api");
}

static void test_image_api_errors(void **state)
{
    Error *err = NULL;

    assert_int_equal(mem_image_set("", NULL, 10, &err), -EINVAL);
    check_error_has(&err, "name", NULL);

    assert_int_equal(mem_image_set(NULL, NULL, 10, &err), -EINVAL);
    error_free(err);
    err = NULL;

    /* A hostile size is refused before any allocation */
    assert_int_equal(mem_image_set("big", NULL, MEM_IMAGE_MAX_SIZE + 1, &err),
                     -EFBIG);
    check_error_has(&err, "4294967297", NULL);
    assert_null(mem_image_get("big", NULL));
}

static void test_delete_all(void **state)
{
    mem_image_set("a", NULL, 1, &error_abort);
    mem_image_set("b", NULL, 1, &error_abort);
    mem_image_delete_all();
    assert_null(mem_image_get("a", NULL));
    assert_null(mem_image_get("b", NULL));
}

static void test_read_write(void **state)
{
    uint8_t in[4096], out[4096];
    const uint8_t *img;
    BlockBackend *blk;

    mem_image_set("rw", NULL, MiB, &error_abort);
    blk = open_mem("rw", NULL, BDRV_O_RDWR, &error_abort);
    assert_int_equal(blk_getlength(blk), MiB);
    memset(in, 0x5a, sizeof(in));
    assert_int_equal(blk_pwrite(blk, 8192, sizeof(in), in, 0), 0);
    assert_int_equal(blk_pread(blk, 8192, sizeof(out), out, 0), 0);
    assert_memory_equal(in, out, sizeof(in));
    /* The buffer itself changed */
    img = mem_image_get("rw", NULL);
    assert_memory_equal(img + 8192, in, sizeof(in));
    assert_true(buffer_is_zero(img, 8192));
    blk_unref(blk);
    mem_image_delete("rw");
}

static void test_filename_syntax(void **state)
{
    BlockDriverState *bs;
    BlockBackend *blk;
    uint8_t c = 0;

    mem_image_set("syn", "x", 1, &error_abort);
    bs = bdrv_open("mem:syn", NULL, NULL, BDRV_O_PROTOCOL, &error_abort);
    assert_string_equal(bdrv_get_format_name(bs), "mem");
    assert_string_equal(bs->exact_filename, "mem:syn");
    bdrv_unref(bs);

    /* Probing puts raw on top */
    blk = blk_new_open("mem:syn", NULL, NULL, 0, &error_abort);
    assert_string_equal(bdrv_get_format_name(blk_bs(blk)), "raw");
    assert_int_equal(blk_pread(blk, 0, 1, &c, 0), 0);
    assert_int_equal(c, 'x');
    blk_unref(blk);
    mem_image_delete("syn");
}

static void test_open_errors(void **state)
{
    BlockBackend *blk;
    BlockDriverState *bs;
    Error *err = NULL;
    QDict *opts;

    blk = open_mem("missing", NULL, 0, &err);
    assert_null(blk);
    check_error_has(&err, "'missing' does not exist", NULL);

    blk = open_mem(NULL, NULL, 0, &err);
    assert_null(blk);
    check_error_has(&err, "file name", NULL);

    bs = bdrv_open("mem:", NULL, NULL, BDRV_O_PROTOCOL, &err);
    assert_null(bs);
    check_error_has(&err, "name", NULL);

    mem_image_set("err", NULL, 4096, &error_abort);
    opts = qdict_new();
    qdict_put_str(opts, "bogus", "1");
    blk = open_mem("err", opts, 0, &err);
    assert_null(blk);
    check_error_has(&err, "doesn't support the option 'bogus'", NULL);

    opts = qdict_new();
    qdict_put_str(opts, "size", "12Q");
    blk = open_mem("err", opts, 0, &err);
    assert_null(blk);
    check_error_has(&err, "size", NULL);

    /* Size at open must agree with an existing buffer */
    opts = qdict_new();
    qdict_put_int(opts, "size", 8192);
    blk = open_mem("err", opts, 0, &err);
    assert_null(blk);
    check_error_has(&err, "has 4096 bytes, not the 8192", NULL);
    mem_image_delete("err");
}

static void test_size_at_open_creates(void **state)
{
    QDict *opts = qdict_new();
    BlockBackend *blk, *blk2;
    size_t len = 0;

    qdict_put_str(opts, "size", "64K");
    blk = open_mem("made", opts, BDRV_O_RDWR, &error_abort);
    assert_int_equal(blk_getlength(blk), 65536);
    assert_non_null(mem_image_get("made", &len));
    assert_int_equal(len, 65536);

    /* The same size again shares the buffer */
    opts = qdict_new();
    qdict_put_int(opts, "size", 65536);
    blk2 = open_mem("made", opts, 0, &error_abort);
    blk_unref(blk2);
    blk_unref(blk);
    mem_image_delete("made");
}

static void test_sharing(void **state)
{
    BlockBackend *a, *b;
    uint8_t buf[512];

    mem_image_set("shared", NULL, MiB, &error_abort);
    a = open_mem("shared", NULL, BDRV_O_RDWR, &error_abort);
    b = open_mem("shared", NULL, 0, &error_abort);
    memset(buf, 0xc3, sizeof(buf));
    assert_int_equal(blk_pwrite(a, 512, sizeof(buf), buf, 0), 0);
    memset(buf, 0, sizeof(buf));
    assert_int_equal(blk_pread(b, 512, sizeof(buf), buf, 0), 0);
    assert_int_equal(buf[0], 0xc3);
    assert_int_equal(buf[511], 0xc3);
    blk_unref(a);
    blk_unref(b);
    mem_image_delete("shared");
}

static void test_delete_while_open(void **state)
{
    BlockBackend *blk, *blk2;
    uint8_t buf[4] = { 0 };
    Error *err = NULL;

    mem_image_set("gone", "abcd", 4, &error_abort);
    blk = open_mem("gone", NULL, 0, &error_abort);
    mem_image_delete("gone");
    assert_null(mem_image_get("gone", NULL));
    /* The node keeps its buffer */
    assert_int_equal(blk_pread(blk, 0, 4, buf, 0), 0);
    assert_memory_equal(buf, "abcd", 4);
    /* ...but the name no longer opens */
    blk2 = open_mem("gone", NULL, 0, &err);
    assert_null(blk2);
    error_free(err);
    blk_unref(blk);
}

static void test_replace_while_open(void **state)
{
    BlockBackend *blk;
    uint8_t buf[4] = { 0 };

    mem_image_set("repl", "old!", 4, &error_abort);
    blk = open_mem("repl", NULL, 0, &error_abort);
    mem_image_set("repl", "new!", 4, &error_abort);
    assert_int_equal(blk_pread(blk, 0, 4, buf, 0), 0);
    assert_memory_equal(buf, "old!", 4);
    assert_memory_equal(mem_image_get("repl", NULL), "new!", 4);
    blk_unref(blk);
    mem_image_delete("repl");
}

static void test_odd_length_reads_zero_tail(void **state)
{
    uint8_t data[1000], buf[1024];
    BlockBackend *blk;

    memset(data, 0x77, sizeof(data));
    mem_image_set("odd", data, sizeof(data), &error_abort);
    blk = open_mem("odd", NULL, 0, &error_abort);
    /* The core rounds the length up to a sector */
    assert_int_equal(blk_getlength(blk), 1024);
    memset(buf, 0xff, sizeof(buf));
    assert_int_equal(blk_pread(blk, 0, sizeof(buf), buf, 0), 0);
    assert_memory_equal(buf, data, sizeof(data));
    assert_true(buffer_is_zero(buf + 1000, 24));
    blk_unref(blk);
    mem_image_delete("odd");
}

static void test_write_beyond_end_fails(void **state)
{
    uint8_t buf[1024] = { 1 };
    BlockBackend *blk;
    size_t len = 0;

    mem_image_set("end", NULL, 1000, &error_abort);
    /* Writing past the end needs the resize permission (core contract) */
    blk = open_mem("end", NULL, BDRV_O_RDWR | BDRV_O_RESIZE, &error_abort);
    blk_set_allow_write_beyond_eof(blk, true);
    /* Within the rounded length but past the buffer, and far past it */
    assert_int_equal(blk_pwrite(blk, 0, 1024, buf, 0), -EIO);
    assert_int_equal(blk_pwrite(blk, 4096, 512, buf, 0), -EIO);
    assert_int_equal(blk_pwrite_zeroes(blk, 4096, 512, 0), -EIO);
    mem_image_get("end", &len);
    assert_int_equal(len, 1000);
    /* Up to the end is fine */
    assert_int_equal(blk_pwrite(blk, 0, 1000, buf, 0), 0);
    blk_unref(blk);
    mem_image_delete("end");
}

static void test_discard_and_zeroes(void **state)
{
    uint8_t data[8192];
    const uint8_t *img;
    BlockBackend *blk;

    memset(data, 0xee, sizeof(data));
    mem_image_set("dz", data, sizeof(data), &error_abort);
    blk = open_mem("dz", NULL, BDRV_O_RDWR | BDRV_O_UNMAP, &error_abort);
    assert_int_equal(blk_pdiscard(blk, 0, 1024), 0);
    assert_int_equal(blk_pwrite_zeroes(blk, 4096, 1024, 0), 0);
    assert_int_equal(blk_pwrite_zeroes(blk, 6144, 512, BDRV_REQ_MAY_UNMAP),
                     0);
    img = mem_image_get("dz", NULL);
    assert_true(buffer_is_zero(img, 1024));
    assert_int_equal(img[1024], 0xee);
    assert_true(buffer_is_zero(img + 4096, 1024));
    assert_int_equal(img[5120], 0xee);
    assert_true(buffer_is_zero(img + 6144, 512));
    assert_int_equal(img[6656], 0xee);
    blk_unref(blk);
    mem_image_delete("dz");
}

static void test_truncate(void **state)
{
    BlockBackend *blk, *other;
    uint8_t data[4096], buf[4096];
    size_t len = 0;
    Error *err = NULL;

    memset(data, 0x11, sizeof(data));
    mem_image_set("tr", data, sizeof(data), &error_abort);
    blk = open_mem("tr", NULL, BDRV_O_RDWR | BDRV_O_RESIZE, &error_abort);
    other = open_mem("tr", NULL, 0, &error_abort);

    assert_int_equal(blk_truncate(blk, 16384, true, PREALLOC_MODE_OFF, 0,
                                  &error_abort), 0);
    mem_image_get("tr", &len);
    assert_int_equal(len, 16384);
    assert_int_equal(blk_getlength(blk), 16384);
    /* The other node follows: the length is not cached */
    assert_int_equal(blk_getlength(other), 16384);
    assert_int_equal(blk_pread(blk, 4096, sizeof(buf), buf, 0), 0);
    assert_true(buffer_is_zero(buf, sizeof(buf)));

    assert_int_equal(blk_truncate(blk, 2048, true, PREALLOC_MODE_FULL, 0,
                                  &error_abort), 0);
    mem_image_get("tr", &len);
    assert_int_equal(len, 2048);
    assert_int_equal(blk_pread(blk, 0, 2048, buf, 0), 0);
    assert_memory_equal(buf, data, 2048);

    assert_true(blk_truncate(blk, 4096, true, PREALLOC_MODE_METADATA, 0,
                             &err) < 0);
    check_error_has(&err, "metadata", NULL);

    assert_int_equal(blk_truncate(blk, MEM_IMAGE_MAX_SIZE + 512, true,
                                  PREALLOC_MODE_OFF, 0, &err), -EFBIG);
    check_error_has(&err, "'tr'", NULL);
    mem_image_get("tr", &len);
    assert_int_equal(len, 2048);

    blk_unref(other);
    blk_unref(blk);
    mem_image_delete("tr");
}

/*
 * Block status: unbacked bytes are a hole (ZERO), written chunks are data,
 * each extent as long as it lasts; allocation (no zero query) is all data
 */
/* Block status of [@off, +@bytes) is @kind (DATA or ZERO) for @want bytes */
static void expect_status(BlockDriverState *bs, int64_t off, int64_t bytes,
                          int kind, int64_t want)
{
    BlockDriverState *file = NULL;
    int64_t pnum = 0, map = -1;
    int ret = bdrv_block_status(bs, off, bytes, &pnum, &map, &file);

    assert_true(ret >= 0);
    assert_int_equal(ret & (BDRV_BLOCK_DATA | BDRV_BLOCK_ZERO), kind);
    assert_true(ret & BDRV_BLOCK_OFFSET_VALID);
    assert_int_equal(pnum, want);
    assert_int_equal(map, off);
    assert_ptr_equal(file, bs);
}

/*
 * Block status: unbacked bytes are a hole (ZERO), written chunks are data,
 * each extent as long as it lasts; allocation (no zero query) is all data
 */
static void test_block_status(void **state)
{
    BlockBackend *blk;
    int64_t pnum = 0;
    uint8_t data[100];

    memset(data, 0x5a, sizeof(data));
    mem_image_set("bst", NULL, MiB, &error_abort);
    blk = open_mem("bst", NULL, BDRV_O_RDWR, &error_abort);
    expect_status(blk_bs(blk), 4096, 8192, BDRV_BLOCK_ZERO, 8192);

    /* A write backs its 4 KiB chunk: data there, a hole on either side */
    assert_int_equal(blk_pwrite(blk, 8192 + 10, sizeof(data), data, 0), 0);
    expect_status(blk_bs(blk), 4096, MiB - 4096, BDRV_BLOCK_ZERO, 4096);
    expect_status(blk_bs(blk), 8192 + 512, MiB - 8192 - 512,
                  BDRV_BLOCK_DATA, 4096 - 512);
    expect_status(blk_bs(blk), 3 * 4096, MiB - 3 * 4096, BDRV_BLOCK_ZERO,
                  MiB - 3 * 4096);

    /* Allocation does not ask for zeroes: all of it is allocated */
    assert_int_equal(bdrv_is_allocated(blk_bs(blk), 0, MiB, &pnum), 1);
    assert_int_equal(pnum, MiB);
    assert_int_equal(bdrv_has_zero_init(blk_bs(blk)), 1);
    assert_int_equal(bdrv_get_allocated_file_size(blk_bs(blk)), MiB);
    blk_unref(blk);

    /* Data set at creation is data, whether flat or in chunks */
    mem_image_set_sparse("bst", data, sizeof(data), MiB, &error_abort);
    blk = open_mem("bst", NULL, 0, &error_abort);
    expect_status(blk_bs(blk), 0, MiB, BDRV_BLOCK_DATA, 4096);
    expect_status(blk_bs(blk), 4096, MiB - 4096, BDRV_BLOCK_ZERO, MiB - 4096);
    blk_unref(blk);
    mem_image_delete("bst");
}

static void test_create(void **state)
{
    BlockDriver *drv = bdrv_find_protocol("mem:c", true, &error_abort);
    QemuOpts *opts;
    size_t len = 0;
    const uint8_t *img;

    assert_string_equal(drv->format_name, "mem");
    mem_image_set("c", "junk", 4, &error_abort);
    opts = qemu_opts_create(drv->create_opts, NULL, 0, &error_abort);
    qemu_opt_set(opts, "size", "128K", &error_abort);
    assert_int_equal(bdrv_create_file("mem:c", opts, &error_abort), 0);
    qemu_opts_del(opts);
    img = mem_image_get("c", &len);
    assert_int_equal(len, 128 * 1024);
    assert_true(buffer_is_zero(img, len));
    mem_image_delete("c");
}

static void test_create_errors(void **state)
{
    BlockDriver *drv = bdrv_find_format("mem");
    QemuOpts *opts = qemu_opts_create(drv->create_opts, NULL, 0,
                                      &error_abort);
    Error *err = NULL;

    qemu_opt_set(opts, "size", "8G", &error_abort);
    assert_int_equal(bdrv_create_file("mem:huge", opts, &err), -EFBIG);
    check_error_has(&err, "'huge'", NULL);
    assert_null(mem_image_get("huge", NULL));
    qemu_opts_del(opts);

    opts = qemu_opts_create(drv->create_opts, NULL, 0, &error_abort);
    assert_true(bdrv_create_file("mem:", opts, &err) < 0);
    check_error_has(&err, "name", NULL);
    qemu_opts_del(opts);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_image_api),
        T(test_image_api_errors),
        T(test_delete_all),
        T(test_read_write),
        T(test_filename_syntax),
        T(test_open_errors),
        T(test_size_at_open_creates),
        T(test_sharing),
        T(test_delete_while_open),
        T(test_replace_while_open),
        T(test_odd_length_reads_zero_tail),
        T(test_write_beyond_end_fails),
        T(test_discard_and_zeroes),
        T(test_truncate),
        T(test_block_status),
        T(test_create),
        T(test_create_errors),
    };

    return test_common_run_group(tests, test_common_group_setup,
                                 test_common_group_teardown_mem);
}
