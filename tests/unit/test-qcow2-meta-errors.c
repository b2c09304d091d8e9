/*
 * qcow2 metadata operations when the image file fails: as in
 * test-qcow2-io-errors, every request that opening, the operation and
 * closing make is failed in turn, and the operation must end in -EIO or
 * success with the image left without corruption (leaks allowed).
 * Operations: internal snapshots (create, apply, delete, VM state),
 * resizing (growing the L1 table, shrinking), amend (downgrade with zero
 * clusters, refcount width, lazy refcounts), repairing leaks.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "block/driver.h"
#include "block/mem.h"
#include "qcow2-common.h"
#include "qcow2-fault.h"
#include "qcow2-snap-common.h"
#include "test-common.h"

/* A plain open of QFAULT_IMG for a setup step */
static BlockBackend *setup_open(void)
{
    Error *err = NULL;
    BlockBackend *blk = qcow2_test_open(QFAULT_IMG, BDRV_O_RDWR, &err);

    check_ok(blk != NULL, &err, "open for the setup");
    return blk;
}

/* 256 KiB of data in 4 KiB clusters, a zero cluster, snapshot "a" */
static void setup_snapshot(void)
{
    BlockBackend *blk;

    qcow2_test_create(QFAULT_IMG, MiB, "cluster_size=4096");
    blk = setup_open();
    qsnap_write(blk, 0, 256 * KiB, 1);
    assert_int_equal(blk_pwrite_zeroes(blk, 300 * KiB, 4 * KiB, 0), 0);
    assert_int_equal(qsnap_create(blk, NULL, "a"), 0);
    qsnap_write(blk, 0, 8 * KiB, 2);
    blk_unref(blk);
}

static void setup_data(void)
{
    BlockBackend *blk;

    qcow2_test_create(QFAULT_IMG, MiB, "cluster_size=4096");
    blk = setup_open();
    qsnap_write(blk, 0, 64 * KiB, 3);
    qsnap_write(blk, 900 * KiB, 64 * KiB, 4);
    assert_int_equal(blk_pwrite_zeroes(blk, 512 * KiB, 8 * KiB, 0), 0);
    blk_unref(blk);
}

/* Data and a cluster at the end of the file that nothing references */
static void setup_leak(void)
{
    size_t len;
    uint64_t reftable, refblock;
    uint8_t cluster[4096] = {0};

    setup_data();
    mem_image_get(QFAULT_IMG, &len);
    len = ROUND_UP(len, 4096);
    qcow2_test_poke(QFAULT_IMG, len, cluster, sizeof(cluster));
    reftable = qcow2_test_peek64(QFAULT_IMG, 48);
    refblock = qcow2_test_peek64(QFAULT_IMG, reftable);
    qcow2_test_poke(QFAULT_IMG, refblock + len / 4096 * 2, "\0\1", 2);
}

static int op_snapshot_create(BlockBackend *blk)
{
    return qsnap_create(blk, NULL, "b");
}

static int op_snapshot_goto(BlockBackend *blk)
{
    return qsnap_goto(blk, "a");
}

static int op_snapshot_delete(BlockBackend *blk)
{
    Error *err = NULL;
    int ret = bdrv_snapshot_delete(blk_bs(blk), NULL, "a", &err);

    error_free(err);
    return ret;
}

static int op_vmstate(BlockBackend *blk)
{
    int ret = qsnap_vmstate(blk, true, 0, 12 * KiB, 5);

    if (ret >= 0) {
        ret = qsnap_vmstate(blk, false, 0, 12 * KiB, 5);
    }
    return ret < 0 ? ret : 0;
}

static int truncate_to(BlockBackend *blk, int64_t size)
{
    Error *err = NULL;
    int ret = blk_truncate(blk, size, false, PREALLOC_MODE_OFF, 0, &err);

    error_free(err);
    return ret;
}

/* 1 MiB to 8 MiB: the L1 table grows (512 entries per L2 of 4 KiB) */
static int op_grow(BlockBackend *blk)
{
    return truncate_to(blk, 8 * MiB);
}

static int op_shrink(BlockBackend *blk)
{
    return truncate_to(blk, 256 * KiB);
}

static int amend(BlockBackend *blk, const char *options)
{
    BlockDriver *drv = bdrv_find_format("qcow2");
    QemuOpts *opts = qemu_opts_create(drv->amend_opts, NULL, 0, &error_abort);
    Error *err = NULL;
    int ret;

    assert_true(qemu_opts_do_parse(opts, options, NULL, &error_abort));
    ret = bdrv_amend_options(blk_bs(blk), opts, NULL, NULL, false, &err);
    error_free(err);
    qemu_opts_del(opts);
    return ret;
}

static int op_downgrade(BlockBackend *blk)
{
    return amend(blk, "compat=0.10");
}

static int op_refcount_width(BlockBackend *blk)
{
    return amend(blk, "refcount_bits=64");
}

static int op_lazy_refcounts(BlockBackend *blk)
{
    return amend(blk, "lazy_refcounts=on") ?: amend(blk, "lazy_refcounts=off");
}

static int op_repair_leaks(BlockBackend *blk)
{
    BdrvCheckResult res = {0};
    int ret = bdrv_check(blk_bs(blk), &res, BDRV_FIX_LEAKS | BDRV_FIX_ERRORS);

    return ret < 0 ? ret : res.check_errors ? -EIO : 0;
}

#define SWEEP(fn, setup_fn, op_fn, flags)                                      \
    static void fn(void **state)                                               \
    {                                                                          \
        static const QfaultCase c = {#fn, setup_fn, op_fn, flags, false};      \
        assert_true(qfault_sweep(&c) > 1);                                     \
    }

SWEEP(test_fault_snapshot_create, setup_snapshot, op_snapshot_create, 0)
SWEEP(test_fault_snapshot_goto, setup_snapshot, op_snapshot_goto, 0)
/*
 * A failure while the refcounts of the deleted snapshot drop can leave
 * the COPIED flags of the active tables behind them (as QEMU does):
 * repair sets them
 */
static void test_fault_snapshot_delete(void **state)
{
    static const QfaultCase c = {"test_fault_snapshot_delete", setup_snapshot,
                                 op_snapshot_delete, 0, true};

    assert_true(qfault_sweep(&c) > 1);
}
SWEEP(test_fault_vmstate, setup_snapshot, op_vmstate, 0)
SWEEP(test_fault_grow, setup_data, op_grow, BDRV_O_RESIZE)
SWEEP(test_fault_shrink, setup_data, op_shrink, BDRV_O_RESIZE)
SWEEP(test_fault_downgrade, setup_data, op_downgrade, 0)
SWEEP(test_fault_refcount_width, setup_data, op_refcount_width, 0)
SWEEP(test_fault_lazy_refcounts, setup_data, op_lazy_refcounts, 0)
SWEEP(test_fault_repair_leaks, setup_leak, op_repair_leaks, BDRV_O_CHECK)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_fault_snapshot_create),
        T(test_fault_snapshot_goto),
        T(test_fault_snapshot_delete),
        T(test_fault_vmstate),
        T(test_fault_grow),
        T(test_fault_shrink),
        T(test_fault_downgrade),
        T(test_fault_refcount_width),
        T(test_fault_lazy_refcounts),
        T(test_fault_repair_leaks),
    };

    return test_common_run_group(tests, qsnap_group_setup,
                                 qsnap_group_teardown);
}
