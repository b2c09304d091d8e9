/*
 * The mem protocol keeps spare capacity when a buffer grows (a format
 * driver grows its file a cluster at a time) and after a small shrink:
 * bytes that come back into the buffer read as zeroes, bytes kept are
 * kept.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "block/driver.h"
#include "block/mem.h"
#include "test-common.h"

#define open_mem(name, flags) \
    test_common_blk_open("mem", (name), NULL, (flags), &error_abort)

static void truncate_to(BlockBackend *blk, int64_t len)
{
    assert_int_equal(blk_truncate(blk, len, true, PREALLOC_MODE_OFF, 0,
                                  &error_abort), 0);
}

/* A shrink then a growth: the bytes cut off do not come back */
static void test_regrown_bytes_read_zero(void **state)
{
    uint8_t data[8192], buf[4096];
    BlockBackend *blk;

    memset(data, 0x77, sizeof(data));
    mem_image_set("gz", data, sizeof(data), &error_abort);
    blk = open_mem("gz", BDRV_O_RDWR | BDRV_O_RESIZE);
    truncate_to(blk, 6000);
    truncate_to(blk, 8192);
    assert_int_equal(blk_pread(blk, 4096, sizeof(buf), buf, 0), 0);
    assert_memory_equal(buf, data, 6000 - 4096);
    assert_true(buffer_is_zero(buf + 6000 - 4096, 8192 - 6000));
    blk_unref(blk);
    mem_image_delete("gz");
}

/* Many small growths, each written: every byte written is still there */
static void test_growth_in_steps_keeps_data(void **state)
{
    uint8_t step[512], buf[512];
    const uint8_t *img;
    size_t len = 0;
    BlockBackend *blk;

    mem_image_set("gs", NULL, 0, &error_abort);
    blk = open_mem("gs", BDRV_O_RDWR | BDRV_O_RESIZE);
    for (int i = 0; i < 300; i++) {
        memset(step, i, sizeof(step));
        truncate_to(blk, (i + 1) * 512LL);
        assert_int_equal(blk_pwrite(blk, i * 512LL, 512, step, 0), 0);
    }
    for (int i = 0; i < 300; i += 37) {
        memset(step, i, sizeof(step));
        assert_int_equal(blk_pread(blk, i * 512LL, 512, buf, 0), 0);
        assert_memory_equal(buf, step, 512);
    }
    img = mem_image_get("gs", &len);
    assert_int_equal(len, 300 * 512);
    assert_int_equal(img[299 * 512], 299 & 0xff);
    /* A large shrink, then growth again: zeroes */
    truncate_to(blk, 512);
    truncate_to(blk, 4096);
    assert_int_equal(blk_pread(blk, 512, 512, buf, 0), 0);
    assert_true(buffer_is_zero(buf, 512));
    blk_unref(blk);
    mem_image_delete("gs");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_regrown_bytes_read_zero),
        T(test_growth_in_steps_keeps_data),
    };

    return test_common_run_group(tests, test_common_group_setup,
                                 test_common_group_teardown_mem);
}
