/*
 * Format probing: one routine (bdrv_probe_format) with one buffer size
 * (BLOCK_PROBE_BUF_SIZE, 512 bytes, zero-padded past the end of a short
 * image) and the image's filename, used both by open and by the raw
 * driver's guard of a probed image's first sector.  So a guest write the
 * guard lets through can never make the next open pick another format.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "test-common.h"
#include "block/driver.h"
#include "block/mem.h"

#define LATE_MAGIC "LATEMAGC"
#define LATE_OFFSET 1024
#define NAMED_MAGIC "NAMEDFMT"
#define NAMED_SUFFIX ".named"

/* Claims images with a magic past the first sector, if it sees it */
static int late_probe(const uint8_t *buf, int buf_size, const char *filename)
{
    return buf_size >= LATE_OFFSET + 8 &&
           !memcmp(buf + LATE_OFFSET, LATE_MAGIC, 8) ? 100 : 0;
}

/* Claims images with a magic, but only under its own file extension */
static int named_probe(const uint8_t *buf, int buf_size, const char *filename)
{
    return filename && g_str_has_suffix(filename, NAMED_SUFFIX) &&
           buf_size >= 8 && !memcmp(buf, NAMED_MAGIC, 8) ? 100 : 0;
}

/* Claims nothing; remembers what it was shown */
static int seen_buf_size = -1;
static char seen_filename[64];

static int spy_probe(const uint8_t *buf, int buf_size, const char *filename)
{
    seen_buf_size = buf_size;
    snprintf(seen_filename, sizeof(seen_filename), "%s",
             filename ? filename : "(null)");
    return 0;
}

static BlockDriver bdrv_late = { .format_name = "probe-late",
                                 .bdrv_probe = late_probe };
static BlockDriver bdrv_named = { .format_name = "probe-named",
                                  .bdrv_probe = named_probe };
static BlockDriver bdrv_spy = { .format_name = "probe-spy",
                                .bdrv_probe = spy_probe };

static void test_probe_buffer_is_512_bytes_for_any_image(void **state)
{
    BlockDriverState *bs;

    assert_int_equal(mem_image_set("short", "abc", 3, NULL), 0);
    bs = open_ok("mem:short", NULL, 0);
    expect_int(seen_buf_size, BLOCK_PROBE_BUF_SIZE);
    expect_int(strcmp(seen_filename, "mem:short"), 0);
    bdrv_unref(bs);

    assert_int_equal(mem_image_set("long", NULL, 65536, NULL), 0);
    bs = open_ok("mem:long", NULL, 0);
    expect_int(seen_buf_size, BLOCK_PROBE_BUF_SIZE);
    bdrv_unref(bs);
    mem_image_delete("short");
    mem_image_delete("long");
    end_test();
}

/* Bytes past the first 512 play no part in the choice of format */
static void test_probe_reads_only_the_first_512_bytes(void **state)
{
    uint8_t data[4096] = { 0 };
    BlockDriverState *bs;
    Error *err = NULL;

    memcpy(data + LATE_OFFSET, LATE_MAGIC, 8);
    assert_int_equal(mem_image_set("late", data, sizeof(data), NULL), 0);
    bs = bdrv_open("mem:late", NULL, NULL, 0, &err);
    check_ok(bs != NULL, &err, "open mem:late");
    assert_string_equal(bdrv_get_format_name(bs), "raw");
    bdrv_unref(bs);
    mem_image_delete("late");
}

/* The raw guard asks with the image's filename, as open did */
static void test_raw_guard_probes_with_the_image_filename(void **state)
{
    uint8_t sector[BLOCK_PROBE_BUF_SIZE] = { 0 };
    BlockBackend *blk;
    Error *err = NULL;

    assert_int_equal(mem_image_set("img" NAMED_SUFFIX, NULL, 65536, NULL), 0);
    blk = blk_new_open("mem:img" NAMED_SUFFIX, NULL, NULL, BDRV_O_RDWR, &err);
    check_ok(blk != NULL, &err, "open the image");
    assert_true(blk_bs(blk)->probed);
    assert_string_equal(bdrv_get_format_name(blk_bs(blk)), "raw");
    memcpy(sector, NAMED_MAGIC, 8);
    expect_int(blk_pwrite(blk, 0, sizeof(sector), sector, 0), -EPERM);
    blk_unref(blk);
    expect_true(buffer_is_zero(mem_image_get("img" NAMED_SUFFIX, NULL), 8));

    /* Had the write gone through, the next open would not find raw */
    blk = blk_new_open("mem:img" NAMED_SUFFIX, NULL, NULL, BDRV_O_RDWR, &err);
    check_ok(blk != NULL, &err, "reopen the image");
    expect_int(strcmp(bdrv_get_format_name(blk_bs(blk)), "raw"), 0);
    blk_unref(blk);
    mem_image_delete("img" NAMED_SUFFIX);
    end_test();
}

/* The one routine: same answers as open for the same bytes and name */
static void test_probe_format_is_what_open_uses(void **state)
{
    uint8_t buf[BLOCK_PROBE_BUF_SIZE] = { 0 };

    assert_ptr_equal(bdrv_probe_format(buf, sizeof(buf), "x"),
                     bdrv_find_format("raw"));
    memcpy(buf, NAMED_MAGIC, 8);
    assert_ptr_equal(bdrv_probe_format(buf, sizeof(buf), "x" NAMED_SUFFIX),
                     &bdrv_named);
    assert_ptr_equal(bdrv_probe_format(buf, sizeof(buf), NULL),
                     bdrv_find_format("raw"));
}

static int group_setup(void **state)
{
    test_common_init(TEST_COMMON_STEP_CHECKS | TEST_COMMON_NO_BACKEND);
    bdrv_register(&bdrv_late);
    bdrv_register(&bdrv_named);
    bdrv_register(&bdrv_spy);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_probe_buffer_is_512_bytes_for_any_image),
        T(test_probe_reads_only_the_first_512_bytes),
        T(test_raw_guard_probes_with_the_image_filename),
        T(test_probe_format_is_what_open_uses),
    };

    return test_common_run_group(tests, group_setup,
                                 test_common_group_teardown_mem);
}
