/*
 * qcow2 never writes guest data over its own metadata: a hostile L2 entry
 * that points a data cluster at the refcount table, a refcount block, an
 * L2 table, the snapshot table or a snapshot's L1 table makes the write
 * fail with -EIO, names what it would have overwritten, marks the image
 * corrupt, and leaves that metadata as it was.
 *
 * Layout (1 MiB, 64 KiB clusters, first cluster written): header 0,
 * refcount table 0x10000, refcount block 0x20000, L1 0x30000, L2 0x40000.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "block/mem.h"
#include "qcow2-common.h"
#include "qcow2-snap-common.h"
#include "test-common.h"

#define IMG "overlap"
#define L1_OFF 0x30000
#define COPIED (1ULL << 63)

static void make_image(bool snapshot)
{
    Error *err = NULL;
    BlockBackend *blk;
    uint8_t buf[4096];

    qcow2_test_create(IMG, MiB, NULL);
    blk = qcow2_test_open(IMG, BDRV_O_RDWR, &err);
    check_ok(blk != NULL, &err, "open");
    memset(buf, 0x11, sizeof(buf));
    assert_int_equal(blk_pwrite(blk, 0, sizeof(buf), buf, 0), 0);
    if (snapshot) {
        assert_int_equal(qsnap_create(blk, NULL, "s"), 0);
    }
    blk_unref(blk);
}

/* The offset of the active L2 table of guest cluster 0 */
static uint64_t active_l2(void)
{
    return qcow2_test_peek64(IMG, L1_OFF) & QSNAP_OFFSET_MASK;
}

/*
 * Guest cluster 1 mapped (COPIED) onto @target: writing it fails with
 * -EIO, reports "@name", marks the image corrupt, leaves @target intact
 */
static void expect_write_refused(uint64_t target, const char *name)
{
    g_autofree char *report = NULL;
    g_autofree char *needle = g_strdup_printf("overlaps with %s", name);
    uint64_t before = qcow2_test_peek64(IMG, target);
    uint8_t buf[512];
    size_t report_len = 0;
    Error *err = NULL;
    BlockBackend *blk;
    FILE *f;

    /* The L1 entry COPIED too: the table is the image's own */
    qcow2_test_poke64(IMG, L1_OFF, active_l2() | COPIED);
    qcow2_test_poke64(IMG, active_l2() + 8, target | COPIED);
    blk = qcow2_test_open(IMG, BDRV_O_RDWR, &err);
    check_ok(blk != NULL, &err, "open");
    memset(buf, 0xee, sizeof(buf));
    f = open_memstream(&report, &report_len);
    error_set_report_stream(f);
    assert_int_equal(blk_pwrite(blk, 64 * KiB, sizeof(buf), buf, 0), -EIO);
    error_set_report_stream(NULL);
    fclose(f);
    blk_unref(blk);
    if (!strstr(report, needle)) {
        fail_msg("report '%s' lacks '%s'", report, needle);
    }
    assert_true(qcow2_test_peek64(IMG, 72) & 2); /* corrupt bit */
    assert_int_equal(qcow2_test_peek64(IMG, target), before);
}

static void test_write_over_refcount_table(void **state)
{
    make_image(false);
    expect_write_refused(qcow2_test_peek64(IMG, 48), "refcount table");
}

static void test_write_over_refcount_block(void **state)
{
    uint64_t reftable;

    make_image(false);
    reftable = qcow2_test_peek64(IMG, 48);
    expect_write_refused(qcow2_test_peek64(IMG, reftable), "refcount block");
}

static void test_write_over_l2_table(void **state)
{
    make_image(false);
    expect_write_refused(active_l2(), "active L2 table");
}

static void test_write_over_snapshot_table(void **state)
{
    make_image(true);
    expect_write_refused(qcow2_test_peek64(IMG, 64), "snapshot table");
}

static void test_write_over_snapshot_l1(void **state)
{
    uint64_t table;

    make_image(true);
    table = qcow2_test_peek64(IMG, 64);
    /* The first field of a snapshot table entry: its L1 table offset */
    expect_write_refused(qcow2_test_peek64(IMG, table), "inactive L1 table");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_write_over_refcount_table), T(test_write_over_refcount_block),
        T(test_write_over_l2_table),       T(test_write_over_snapshot_table),
        T(test_write_over_snapshot_l1),
    };

    return test_common_run_group(tests, test_common_group_setup,
                                 test_common_group_teardown_mem);
}
