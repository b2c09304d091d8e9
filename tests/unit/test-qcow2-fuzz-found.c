/*
 * qcow2 images the fuzz targets found crashing or hanging the driver (the
 * reproducers are in corpora/<target>/regressions/): each is handled as
 * hostile input, with an error or a correct result.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "block/mem.h"
#include "qcow2-common.h"
#include "test-common.h"

#define COPIED (1ULL << 63)

static BlockBackend *found_open(const char *name, int flags)
{
    Error *err = NULL;
    BlockBackend *blk = qcow2_test_open(name, flags, &err);

    check_ok(blk != NULL, &err, "open qcow2");
    return blk;
}

/* An L1 entry with the COPIED flag and no L2 table: a write makes a table */
static void test_found_l1_copied_without_table(void **state)
{
    uint8_t w[512], r[512];
    BlockBackend *blk;

    qcow2_test_create("f1", MiB, NULL);
    qcow2_test_poke64("f1", qcow2_test_peek64("f1", 40), COPIED);
    blk = found_open("f1", BDRV_O_RDWR);
    memset(w, 0x5a, sizeof(w));
    assert_int_equal(blk_pwrite(blk, 0, sizeof(w), w, 0), 0);
    assert_int_equal(blk_pread(blk, 0, sizeof(r), r, 0), 0);
    assert_memory_equal(w, r, sizeof(r));
    blk_unref(blk);
}

/* A bitmap directory 4 bytes longer than its one entry: a truncated entry */
static void test_found_bitmap_directory_tail_shorter_than_entry(void **state)
{
    const uint8_t end[8] = { 0 };
    Error *err = NULL;
    BlockBackend *blk;
    uint32_t hl;

    qcow2_test_create("f2", MiB, NULL);
    hl = qcow2_test_peek64("f2", 100) >> 32;
    /* The bitmaps extension: 1 bitmap, directory of 28 bytes at 0x50000 */
    qcow2_test_poke32("f2", hl, 0x23852875);
    qcow2_test_poke32("f2", hl + 4, 24);
    qcow2_test_poke32("f2", hl + 8, 1);
    qcow2_test_poke32("f2", hl + 12, 0);
    qcow2_test_poke64("f2", hl + 16, 28);
    qcow2_test_poke64("f2", hl + 24, 0x50000);
    qcow2_test_poke("f2", hl + 32, end, sizeof(end));
    qcow2_test_poke64("f2", 88, 1);
    /* One entry of 24 bytes (no name, no extra data), then 4 bytes */
    qcow2_test_poke64("f2", 0x50000, 0x60000);
    qcow2_test_poke32("f2", 0x50000 + 8, 1);
    qcow2_test_poke32("f2", 0x50000 + 16, 0x01100000);
    qcow2_test_poke64("f2", 0x50000 + 20, 0);
    qcow2_test_poke("f2", 0x60000 + 65535, end, 1);
    blk = qcow2_test_open("f2", 0, &err);
    if (blk) {
        blk_unref(blk);
        fail_msg("the open succeeded");
    }
    check_error_has(&err, "Bitmap directory entry 1 at 24 is truncated", NULL);
}

/* refcount_order 0xf8000004 is too large, not a negative shift */
static void test_found_refcount_order_high_bit(void **state)
{
    Error *err = NULL;
    BlockBackend *blk;

    qcow2_test_create("f3", MiB, NULL);
    qcow2_test_poke32("f3", 96, 0xf8000004);
    blk = qcow2_test_open("f3", 0, &err);
    if (blk) {
        blk_unref(blk);
        fail_msg("the open succeeded");
    }
    check_error_has(&err, "Reference count entry width too large",
                    "refcount_order 4160749572", NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_found_l1_copied_without_table),
        T(test_found_bitmap_directory_tail_shorter_than_entry),
        T(test_found_refcount_order_high_bit),
    };

    return test_common_run_group(tests, test_common_group_setup,
                                 test_common_group_teardown_mem);
}
