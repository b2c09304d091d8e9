/*
 * Unit tests of the raw format driver, over mem (and null-co) nodes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "block/driver.h"
#include "block/mem.h"
#include "test-common.h"

/* A format that claims images starting with this magic */
#define FAKE_MAGIC "FAKEFMT!"

static int fake_probe(const uint8_t *buf, int buf_size, const char *filename)
{
    return buf_size >= 8 && !memcmp(buf, FAKE_MAGIC, 8) ? 100 : 0;
}

static BlockDriver bdrv_fake = {
    .format_name = "fakefmt",
    .bdrv_probe = fake_probe,
};

/* Raw over mem image @name, with extra raw options */
static BlockBackend *open_raw(const char *name, QDict *opts, int flags,
                              Error **errp)
{
    if (!opts) {
        opts = qdict_new();
    }
    qdict_put_str(opts, "driver", "raw");
    qdict_put_str(opts, "file.driver", "mem");
    qdict_put_str(opts, "file.filename", name);
    return blk_new_open(NULL, NULL, opts, flags, errp);
}

static BlockBackend *open_window(const char *name, const char *offset,
                                 const char *size, int flags, Error **errp)
{
    QDict *opts = qdict_new();

    if (offset) {
        qdict_put_str(opts, "offset", offset);
    }
    if (size) {
        qdict_put_str(opts, "size", size);
    }
    return open_raw(name, opts, flags, errp);
}

/* A mem image of @len bytes where byte i is i % 251 */
static void make_pattern_image(const char *name, size_t len)
{
    uint8_t *data = g_malloc(len);

    for (size_t i = 0; i < len; i++) {
        data[i] = i % 251;
    }
    mem_image_set(name, data, len, &error_abort);
    g_free(data);
}

static void test_passthrough(void **state)
{
    BlockBackend *blk;
    BlockDriverState *bs;
    uint8_t buf[4096];

    make_pattern_image("pass", 65536);
    blk = open_raw("pass", NULL, BDRV_O_RDWR, &error_abort);
    bs = blk_bs(blk);
    assert_string_equal(bdrv_get_format_name(bs), "raw");
    assert_string_equal(bdrv_get_format_name(bs->file->bs), "mem");
    assert_int_equal(blk_getlength(blk), 65536);
    /* Without offset/size raw acts as a filter over its file */
    assert_int_equal(bs->file->role,
                     BDRV_CHILD_FILTERED | BDRV_CHILD_PRIMARY);

    assert_int_equal(blk_pread(blk, 1000, 100, buf, 0), 0);
    assert_int_equal(buf[0], 1000 % 251);
    memset(buf, 0xaa, sizeof(buf));
    assert_int_equal(blk_pwrite(blk, 4096, sizeof(buf), buf, 0), 0);
    assert_memory_equal(mem_image_get("pass", NULL) + 4096, buf,
                        sizeof(buf));
    blk_unref(blk);
    mem_image_delete("pass");
}

static void test_offset_and_size(void **state)
{
    BlockBackend *blk;
    BlockDriverState *bs;
    uint8_t buf[512];
    const uint8_t *img;

    make_pattern_image("win", 65536);
    blk = open_window("win", "4096", "8192", BDRV_O_RDWR, &error_abort);
    bs = blk_bs(blk);
    assert_int_equal(blk_getlength(blk), 8192);
    assert_int_equal(bs->file->role, BDRV_CHILD_DATA | BDRV_CHILD_PRIMARY);

    assert_int_equal(blk_pread(blk, 0, sizeof(buf), buf, 0), 0);
    assert_int_equal(buf[0], 4096 % 251);
    assert_int_equal(blk_pread(blk, 8192 - 512, sizeof(buf), buf, 0), 0);
    assert_int_equal(buf[511], (4096 + 8191) % 251);

    memset(buf, 0xbb, sizeof(buf));
    assert_int_equal(blk_pwrite(blk, 512, sizeof(buf), buf, 0), 0);
    img = mem_image_get("win", NULL);
    assert_int_equal(img[4096 + 512], 0xbb);
    assert_int_equal(img[4096 + 1023], 0xbb);
    assert_int_equal(img[4096 + 1024], (4096 + 1024) % 251);

    assert_int_equal(blk_pwrite_zeroes(blk, 1024, 512, 0), 0);
    assert_true(buffer_is_zero(img + 4096 + 1024, 512));
    blk_unref(blk);
    mem_image_delete("win");
}

static void test_offset_only(void **state)
{
    BlockBackend *blk;
    uint8_t c;

    make_pattern_image("off", 10240);
    blk = open_window("off", "1024", NULL, 0, &error_abort);
    /* The rest of the file after the offset */
    assert_int_equal(blk_getlength(blk), 9216);
    assert_int_equal(blk_bs(blk)->file->role,
                     BDRV_CHILD_DATA | BDRV_CHILD_PRIMARY);
    assert_int_equal(blk_pread(blk, 0, 1, &c, 0), 0);
    assert_int_equal(c, 1024 % 251);
    blk_unref(blk);
    mem_image_delete("off");
}

static void test_window_requests_stay_inside(void **state)
{
    BlockBackend *blk;
    uint8_t buf[1024] = { 0 };

    make_pattern_image("inside", 65536);
    blk = open_window("inside", "4096", "4096",
                      BDRV_O_RDWR | BDRV_O_RESIZE, &error_abort);
    blk_set_allow_write_beyond_eof(blk, true);
    /* Past the window: refused before touching the file */
    assert_int_equal(blk_pwrite(blk, 4096, 512, buf, 0), -ENOSPC);
    assert_int_equal(blk_pwrite(blk, 3584, 1024, buf, 0), -ENOSPC);
    assert_int_equal(blk_pwrite_zeroes(blk, 4096, 512, 0), -ENOSPC);
    assert_int_equal(mem_image_get("inside", NULL)[8192], 8192 % 251);
    assert_int_equal(mem_image_get("inside", NULL)[8191], 8191 % 251);
    blk_unref(blk);
    mem_image_delete("inside");
}

static void test_window_errors(void **state)
{
    static const struct {
        const char *offset, *size, *needle;
    } cases[] = {
        { "4096", "65536",
          "The sum of offset (4096) and size (65536) has to be smaller or "
          "equal to the actual size of the containing file (65536)" },
        { "0", "65537", "and size (65537)" },
        { "65537", NULL, "Offset (65537) cannot be greater than the size of "
          "the containing file (65536)" },
        { "0", "1000", "Size 1000 is not a multiple of 512" },
        { "abc", NULL, "offset" },
        { NULL, "-1", "size" },
    };

    make_pattern_image("bad", 65536);
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        Error *err = NULL;
        assert_null(open_window("bad", cases[i].offset, cases[i].size, 0,
                                &err));
        check_error_has(&err, cases[i].needle, NULL);
    }
    mem_image_delete("bad");
}

static void test_unknown_option(void **state)
{
    QDict *opts = qdict_new();
    Error *err = NULL;

    mem_image_set("unk", NULL, 4096, &error_abort);
    qdict_put_str(opts, "bogus", "1");
    assert_null(open_raw("unk", opts, 0, &err));
    check_error_has(&err, "Block format 'raw' does not support the "
                    "option 'bogus'", NULL);
    mem_image_delete("unk");
}

static void test_missing_file(void **state)
{
    QDict *opts = qdict_new();
    Error *err = NULL;

    qdict_put_str(opts, "driver", "raw");
    assert_null(blk_new_open(NULL, NULL, opts, 0, &err));
    assert_non_null(err);
    error_free(err);
}

static void test_block_status_maps_to_file(void **state)
{
    BlockBackend *blk;
    BlockDriverState *bs, *file = NULL;
    int64_t pnum = 0, map = -1;
    int ret;

    make_pattern_image("map", 65536);
    blk = open_window("map", "8192", "16384", 0, &error_abort);
    bs = blk_bs(blk);
    ret = bdrv_block_status(bs, 1024, 4096, &pnum, &map, &file);
    assert_true(ret >= 0);
    assert_true(ret & BDRV_BLOCK_OFFSET_VALID);
    assert_true(ret & BDRV_BLOCK_DATA);
    assert_int_equal(pnum, 4096);
    assert_int_equal(map, 8192 + 1024);
    assert_ptr_equal(file, bs->file->bs);
    blk_unref(blk);
    mem_image_delete("map");
}

static void test_truncate(void **state)
{
    BlockBackend *blk;
    size_t len = 0;
    Error *err = NULL;

    /* Without options: resizes the file */
    mem_image_set("tr", NULL, 4096, &error_abort);
    blk = open_raw("tr", NULL, BDRV_O_RDWR | BDRV_O_RESIZE, &error_abort);
    assert_int_equal(blk_truncate(blk, 16384, true, PREALLOC_MODE_OFF, 0,
                                  &error_abort), 0);
    mem_image_get("tr", &len);
    assert_int_equal(len, 16384);
    assert_int_equal(blk_getlength(blk), 16384);
    blk_unref(blk);

    /* With an offset: the file becomes offset + new size */
    blk = open_window("tr", "1024", NULL, BDRV_O_RDWR | BDRV_O_RESIZE,
                      &error_abort);
    assert_int_equal(blk_truncate(blk, 8192, true, PREALLOC_MODE_OFF, 0,
                                  &error_abort), 0);
    mem_image_get("tr", &len);
    assert_int_equal(len, 8192 + 1024);
    assert_int_equal(blk_getlength(blk), 8192);
    blk_unref(blk);

    /* With a size: fixed */
    blk = open_window("tr", NULL, "4096", BDRV_O_RDWR | BDRV_O_RESIZE,
                      &error_abort);
    assert_int_equal(blk_truncate(blk, 8192, true, PREALLOC_MODE_OFF, 0,
                                  &err), -ENOTSUP);
    check_error_has(&err, "fixed size", NULL);
    mem_image_get("tr", &len);
    assert_int_equal(len, 8192 + 1024);
    blk_unref(blk);
    mem_image_delete("tr");
}

static void test_length_follows_file(void **state)
{
    BlockBackend *blk, *proto;
    QDict *opts = qdict_new();

    mem_image_set("follow", NULL, 4096, &error_abort);
    blk = open_raw("follow", NULL, 0, &error_abort);
    qdict_put_str(opts, "driver", "mem");
    qdict_put_str(opts, "filename", "follow");
    proto = blk_new_open(NULL, NULL, opts, BDRV_O_RDWR | BDRV_O_RESIZE,
                         &error_abort);
    assert_int_equal(blk_truncate(proto, 8192, true, PREALLOC_MODE_OFF, 0,
                                  &error_abort), 0);
    assert_int_equal(blk_getlength(blk), 8192);
    blk_unref(proto);
    blk_unref(blk);
    mem_image_delete("follow");
}

static void test_child_permissions(void **state)
{
    BlockBackend *blk;
    BdrvChild *file;

    mem_image_set("perm", NULL, 4096, &error_abort);
    blk = open_raw("perm", NULL, 0, &error_abort);
    file = blk_bs(blk)->file;
    /* A reader does not make raw take write or resize on its file */
    assert_true(file->perm & BLK_PERM_CONSISTENT_READ);
    assert_false(file->perm & (BLK_PERM_WRITE | BLK_PERM_RESIZE));
    blk_unref(blk);

    blk = open_window("perm", "512", NULL, BDRV_O_RDWR, &error_abort);
    file = blk_bs(blk)->file;
    assert_true(file->perm & BLK_PERM_WRITE);
    assert_false(file->perm & BLK_PERM_RESIZE);
    blk_unref(blk);
    mem_image_delete("perm");
}

static void test_zero_init_from_file(void **state)
{
    QDict *opts = qdict_new();
    BlockBackend *blk;

    mem_image_set("zi", NULL, 4096, &error_abort);
    blk = open_raw("zi", NULL, 0, &error_abort);
    assert_int_equal(bdrv_has_zero_init(blk_bs(blk)), 1);
    blk_unref(blk);
    mem_image_delete("zi");

    qdict_put_str(opts, "driver", "raw");
    qdict_put_str(opts, "file.driver", "null-co");
    blk = blk_new_open(NULL, NULL, opts, 0, &error_abort);
    assert_int_equal(bdrv_has_zero_init(blk_bs(blk)), 0);
    blk_unref(blk);
}

static void test_create(void **state)
{
    BlockDriver *drv = bdrv_find_format("raw");
    QemuOpts *opts = qemu_opts_create(drv->create_opts, NULL, 0,
                                      &error_abort);
    size_t len = 0;

    qemu_opt_set(opts, "size", "64K", &error_abort);
    assert_int_equal(bdrv_create(drv, "mem:created", opts, &error_abort), 0);
    qemu_opts_del(opts);
    assert_non_null(mem_image_get("created", &len));
    assert_int_equal(len, 65536);
    mem_image_delete("created");
}

static void test_probe_score(void **state)
{
    BlockDriver *drv = bdrv_find_format("raw");
    uint8_t buf[512] = { 0 };

    assert_int_equal(drv->bdrv_probe(buf, sizeof(buf), NULL), 1);
    assert_int_equal(drv->bdrv_probe(buf, 0, "x.img"), 1);
}

/* A probed raw image may not be turned into another format by a write */
static void test_probed_first_sector_protected(void **state)
{
    BlockBackend *blk;
    uint8_t sector[512];

    mem_image_set("probed", NULL, 65536, &error_abort);
    blk = blk_new_open("mem:probed", NULL, NULL, BDRV_O_RDWR, &error_abort);
    assert_string_equal(bdrv_get_format_name(blk_bs(blk)), "raw");
    assert_true(blk_bs(blk)->probed);
    /* Whole sectors only, so the first one is always seen whole */
    assert_int_equal(bdrv_get_request_alignment(blk_bs(blk)), 512);

    memset(sector, 0, sizeof(sector));
    memcpy(sector, FAKE_MAGIC, 8);
    assert_int_equal(blk_pwrite(blk, 0, sizeof(sector), sector, 0), -EPERM);
    /* Unaligned: read-modify-write of the first sector, refused too */
    assert_int_equal(blk_pwrite(blk, 0, 8, FAKE_MAGIC, 0), -EPERM);
    assert_true(buffer_is_zero(mem_image_get("probed", NULL), 512));

    /* Harmless data and later sectors are fine */
    memset(sector, 0x42, sizeof(sector));
    assert_int_equal(blk_pwrite(blk, 0, sizeof(sector), sector, 0), 0);
    memcpy(sector, FAKE_MAGIC, 8);
    assert_int_equal(blk_pwrite(blk, 512, sizeof(sector), sector, 0), 0);
    assert_int_equal(mem_image_get("probed", NULL)[0], 0x42);
    blk_unref(blk);

    /* Naming the format lifts the restriction */
    blk = open_raw("probed", NULL, BDRV_O_RDWR, &error_abort);
    assert_false(blk_bs(blk)->probed);
    assert_int_equal(blk_pwrite(blk, 0, sizeof(sector), sector, 0), 0);
    assert_memory_equal(mem_image_get("probed", NULL), FAKE_MAGIC, 8);
    blk_unref(blk);
    mem_image_delete("probed");
}

static int setup(void **state)
{
    test_common_init(0);
    bdrv_register(&bdrv_fake);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_passthrough),
        T(test_offset_and_size),
        T(test_offset_only),
        T(test_window_requests_stay_inside),
        T(test_window_errors),
        T(test_unknown_option),
        T(test_missing_file),
        T(test_block_status_maps_to_file),
        T(test_truncate),
        T(test_length_follows_file),
        T(test_child_permissions),
        T(test_zero_init_from_file),
        T(test_create),
        T(test_probe_score),
        T(test_probed_first_sector_protected),
    };

    return test_common_run_group(tests, setup,
                                 test_common_group_teardown_mem);
}
