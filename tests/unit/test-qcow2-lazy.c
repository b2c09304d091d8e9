/*
 * qcow2 lazy refcounts: with lazy_refcounts=on the dirty bit is set
 * before the first refcount change and cleared on a clean close; L2
 * tables may then reach the disk before the refcounts they rely on.  A
 * crash (the image copied while still open) leaves refcounts that are
 * too low; opening it read-write repairs them, opening it read-only still
 * works.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "block/mem.h"
#include "interop-common.h"
#include "qcow2-common.h"
#include "test-common.h"

#define IMG "lazy"
#define CRASH "lazy-crash"
#define DIRTY 1ULL

static BlockBackend *open_rw(const char *name)
{
    Error *err = NULL;
    BlockBackend *blk = qcow2_test_open(name, BDRV_O_RDWR, &err);

    check_ok(blk != NULL, &err, "open");
    return blk;
}

static void write_clusters(BlockBackend *blk, int n)
{
    g_autofree uint8_t *buf = g_malloc(64 * KiB);

    for (int i = 0; i < n; i++) {
        qcow2_test_pattern(buf, 64 * KiB, i);
        assert_int_equal(blk_pwrite(blk, (int64_t)i * 128 * KiB, 64 * KiB,
                                    buf, 0), 0);
    }
}

/* The image as a crash would leave it: its bytes while still open */
static void crash_copy(void)
{
    size_t len;
    const uint8_t *img = mem_image_get(IMG, &len);

    mem_image_set(CRASH, img, len, &error_abort);
}

static void test_lazy_dirty_bit_set_on_write_cleared_on_close(void **state)
{
    BlockBackend *blk;

    qcow2_test_create(IMG, 4 * MiB, "lazy_refcounts=on");
    blk = open_rw(IMG);
    assert_int_equal(qcow2_test_peek64(IMG, 72), 0);
    write_clusters(blk, 1);
    assert_int_equal(qcow2_test_peek64(IMG, 72) & DIRTY, DIRTY);
    blk_unref(blk);
    assert_int_equal(qcow2_test_peek64(IMG, 72) & DIRTY, 0);
}

static void test_lazy_off_never_sets_dirty_bit(void **state)
{
    BlockBackend *blk;

    qcow2_test_create(IMG, 4 * MiB, NULL);
    blk = open_rw(IMG);
    write_clusters(blk, 3);
    assert_int_equal(qcow2_test_peek64(IMG, 72) & DIRTY, 0);
    crash_copy();
    blk_unref(blk);
    {
        BdrvCheckResult res;

        /* Accurate refcounts: a crash leaves at most leaks */
        assert_int_equal(qcow2_test_check(CRASH, 0, 0, &res), 0);
        assert_int_equal(res.corruptions, 0);
    }
}

static void test_lazy_crash_repaired_on_read_write_open(void **state)
{
    g_autofree char *path = tmp_path("lazy-crash.qcow2");
    BdrvCheckResult res;
    BlockBackend *blk;
    Error *err = NULL;

    qcow2_test_create(IMG, 4 * MiB, "lazy_refcounts=on");
    blk = open_rw(IMG);
    write_clusters(blk, 3);
    crash_copy();
    blk_unref(blk);

    /* The crash left the dirty bit and refcounts that are too low */
    assert_int_equal(qcow2_test_peek64(CRASH, 72) & DIRTY, DIRTY);
    assert_int_equal(qcow2_test_check(CRASH, 0, 0, &res), 0);
    assert_true(res.corruptions > 0);

    /* Read-only opens work and change nothing */
    blk = qcow2_test_open(CRASH, 0, &err);
    check_ok(blk != NULL, &err, "read-only open");
    blk_unref(blk);
    assert_int_equal(qcow2_test_peek64(CRASH, 72) & DIRTY, DIRTY);

    /* A read-write open repairs */
    blk = open_rw(CRASH);
    assert_int_equal(qcow2_test_peek64(CRASH, 72) & DIRTY, 0);
    blk_unref(blk);
    assert_int_equal(qcow2_test_check(CRASH, 0, 0, &res), 0);
    assert_int_equal(res.corruptions + res.leaks, 0);
    qcow2_test_save(CRASH, path);
    assert_int_equal(qcow2_test_sh("qemu-img check -f qcow2 %s", path), 0);
}

/* A check with -r on a dirty image clears the bit (qemu-img does) */
static void test_lazy_check_repair_clears_dirty_bit(void **state)
{
    BdrvCheckResult res;
    BlockBackend *blk;

    qcow2_test_create(IMG, 4 * MiB, "lazy_refcounts=on");
    blk = open_rw(IMG);
    write_clusters(blk, 2);
    crash_copy();
    blk_unref(blk);
    assert_int_equal(qcow2_test_check(CRASH, BDRV_O_RDWR, BDRV_FIX_LEAKS |
                                      BDRV_FIX_ERRORS, &res), 0);
    assert_true(res.corruptions_fixed > 0);
    assert_int_equal(qcow2_test_peek64(CRASH, 72) & DIRTY, 0);
}

/* Handing the image over (inactivate) leaves it clean, as a close does */
static void test_lazy_inactivate_clears_dirty_bit(void **state)
{
    BlockBackend *blk;
    BdrvCheckResult res;

    qcow2_test_create(IMG, 4 * MiB, "lazy_refcounts=on");
    blk = open_rw(IMG);
    write_clusters(blk, 3);
    assert_int_equal(qcow2_test_peek64(IMG, 72) & DIRTY, DIRTY);
    assert_int_equal(bdrv_inactivate_all(), 0);
    assert_int_equal(qcow2_test_peek64(IMG, 72) & DIRTY, 0);
    crash_copy();
    blk_unref(blk);
    assert_int_equal(qcow2_test_check(CRASH, 0, 0, &res), 0);
    assert_int_equal(res.corruptions + res.leaks, 0);
}

/* An image qemu-io left dirty (killed while writing) is repaired too */
static void test_lazy_qemu_made_dirty_image(void **state)
{
    g_autofree char *path = tmp_path("lazy-qemu.qcow2");
    BdrvCheckResult res;
    BlockBackend *blk;

    assert_int_equal(qcow2_test_sh("qemu-img create -f qcow2 -o "
                                   "lazy_refcounts=on %s 4M", path), 0);
    /* The shell reports the SIGKILL as 128 + 9 */
    assert_int_equal(qcow2_test_sh("qemu-io -c 'write -P 7 0 192k' "
                                   "-c 'sigraise 9' %s", path), 137);
    qcow2_test_load(path, CRASH);
    assert_int_equal(qcow2_test_peek64(CRASH, 72) & DIRTY, DIRTY);
    blk = open_rw(CRASH);
    blk_unref(blk);
    assert_int_equal(qcow2_test_peek64(CRASH, 72) & DIRTY, 0);
    assert_int_equal(qcow2_test_check(CRASH, 0, 0, &res), 0);
    assert_int_equal(res.corruptions + res.leaks, 0);
}

static int lazy_group_setup(void **state)
{
    return qcow2_test_interop_setup(state, "qcow2-lazy");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_lazy_dirty_bit_set_on_write_cleared_on_close),
        T(test_lazy_off_never_sets_dirty_bit),
        T(test_lazy_crash_repaired_on_read_write_open),
        T(test_lazy_check_repair_clears_dirty_bit),
        T(test_lazy_inactivate_clears_dirty_bit),
        T(test_lazy_qemu_made_dirty_image),
    };

    return test_common_run_group(tests, lazy_group_setup,
                                 qcow2_test_interop_teardown);
}
