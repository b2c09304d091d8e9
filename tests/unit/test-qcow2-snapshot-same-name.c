/*
 * Two snapshots may share a name (qemu-img keeps both); applying the name
 * goes to the first of them, as qemu-img snapshot -a does.  The qcow2_ops
 * fuzz target's model assumed the second
 * (corpora/qcow2_ops/regressions/snapshot-name-created-twice).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include "block/mem.h"
#include "qcow2-common.h"
#include "test-common.h"

static void test_snapshot_apply_finds_first_of_a_name(void **state)
{
    QEMUSnapshotInfo sn, *list = NULL;
    uint8_t w[4096], r[4096];
    Error *err = NULL;
    BlockBackend *blk;

    qcow2_test_create("sn", MiB, NULL);
    blk = qcow2_test_open("sn", BDRV_O_RDWR, &err);
    check_ok(blk != NULL, &err, "open qcow2");
    memset(&sn, 0, sizeof(sn));
    strcpy(sn.name, "s1");
    assert_int_equal(bdrv_snapshot_create(blk_bs(blk), &sn), 0);
    memset(w, 0x55, sizeof(w));
    assert_int_equal(blk_pwrite(blk, 0, sizeof(w), w, 0), 0);
    memset(&sn, 0, sizeof(sn));
    strcpy(sn.name, "s1");
    assert_int_equal(bdrv_snapshot_create(blk_bs(blk), &sn), 0);
    assert_int_equal(bdrv_snapshot_list(blk_bs(blk), &list), 2);
    assert_string_equal(list[0].name, "s1");
    assert_string_equal(list[1].name, "s1");
    g_free(list);
    assert_int_equal(bdrv_snapshot_goto(blk_bs(blk), "s1", &err), 0);
    assert_int_equal(blk_pread(blk, 0, sizeof(r), r, 0), 0);
    assert_true(buffer_is_zero(r, sizeof(r)));
    blk_unref(blk);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_snapshot_apply_finds_first_of_a_name),
    };

    return test_common_run_group(tests, test_common_group_setup,
                                 test_common_group_teardown_mem);
}
