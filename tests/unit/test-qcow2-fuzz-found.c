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

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_found_l1_copied_without_table),
    };

    return test_common_run_group(tests, test_common_group_setup,
                                 test_common_group_teardown_mem);
}
