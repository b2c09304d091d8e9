/*
 * qcow2's cache-clean-interval: metadata tables left unused for a whole
 * interval are dropped from the caches (so they are read again when next
 * needed), tables used in the interval stay.  Under the deterministic
 * scheduler the virtual clock moves only when the test steps it; the
 * qcow2-fault filter (never armed here) counts the reads of the image.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "util/sched.h"
#include "qcow2-common.h"
#include "qcow2-fault.h"
#include "test-common.h"

#define SECOND 1000000000LL

static BlockBackend *open_with_interval(const char *seconds)
{
    QDict *opts = qdict_new();
    Error *err = NULL;
    BlockBackend *blk;

    qdict_put_str(opts, "cache-clean-interval", seconds);
    blk = qfault_open_opts(opts, BDRV_O_RDWR, &err);
    check_ok(blk != NULL, &err, "open");
    return blk;
}

/* Let the clock run @ns and the timers that came due fire */
static void run_clock(int64_t ns)
{
    sched_clock_step(ns);
    while (aio_poll(qemu_get_aio_context(), false)) {
    }
}

/* The image reads a read of guest offset @offset needs */
static int reads_for(BlockBackend *blk, int64_t offset)
{
    uint8_t buf[512];
    int before = qfault_requests();

    assert_int_equal(blk_pread(blk, offset, sizeof(buf), buf, 0), 0);
    return qfault_requests() - before;
}

static void make_image(void)
{
    Error *err = NULL;
    BlockBackend *blk;
    uint8_t buf[512] = {1};

    qcow2_test_create(QFAULT_IMG, MiB, "cluster_size=4096");
    blk = qcow2_test_open(QFAULT_IMG, BDRV_O_RDWR, &err);
    check_ok(blk != NULL, &err, "open");
    assert_int_equal(blk_pwrite(blk, 0, sizeof(buf), buf, 0), 0);
    blk_unref(blk);
}

static void test_idle_tables_dropped(void **state)
{
    BlockBackend *blk;

    sched_set_deterministic(1);
    make_image();
    qfault_arm(0);
    blk = open_with_interval("1");
    /* The L2 table and the data, then the data only */
    assert_int_equal(reads_for(blk, 0), 2);
    assert_int_equal(reads_for(blk, 0), 1);
    /* Used before the first tick: kept then, dropped at the second */
    run_clock(SECOND);
    assert_int_equal(reads_for(blk, 0), 1);
    run_clock(SECOND);
    run_clock(SECOND);
    assert_int_equal(reads_for(blk, 0), 2);
    blk_unref(blk);
    sched_set_realtime();
}

static void test_tables_in_use_kept(void **state)
{
    BlockBackend *blk;

    sched_set_deterministic(2);
    make_image();
    qfault_arm(0);
    blk = open_with_interval("1");
    assert_int_equal(reads_for(blk, 0), 2);
    for (int i = 0; i < 4; i++) {
        run_clock(SECOND);
        assert_int_equal(reads_for(blk, 0), 1);
    }
    blk_unref(blk);
    sched_set_realtime();
}

/* 0 turns cleaning off: tables stay whatever the clock does */
static void test_interval_zero_never_cleans(void **state)
{
    BlockBackend *blk;

    sched_set_deterministic(3);
    make_image();
    qfault_arm(0);
    blk = open_with_interval("0");
    assert_int_equal(reads_for(blk, 0), 2);
    run_clock(3600 * SECOND);
    assert_int_equal(reads_for(blk, 0), 1);
    blk_unref(blk);
    sched_set_realtime();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_idle_tables_dropped),
        T(test_tables_in_use_kept),
        T(test_interval_zero_never_cleans),
    };

    return test_common_run_group(tests, test_common_group_setup,
                                 test_common_group_teardown_mem);
}
