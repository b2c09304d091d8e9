/*
 * The metadata overlap check before a data write finds refcount blocks and
 * active L2 tables through an index that allocations keep up to date: a
 * hostile L2 entry naming the cluster where the driver later puts a new L2
 * table or refcount block is caught (-EIO) once that table is there, not
 * written over it.  The index is built by an earlier in-place write, so
 * the later table reaches it by an update, not by a rebuild.
 * A partial write to a reused cluster still copies zeroes around it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "qcow2-common.h"
#include "test-common.h"

#define OFFSET_MASK 0x00fffffffffffe00ULL
#define COPIED (1ULL << 63)

/* The L2 table of guest cluster 0 (allocated by a first write) */
static uint64_t first_l2_table(const char *name)
{
    uint64_t l1 = qcow2_test_peek64(name, 40);

    return qcow2_test_peek64(name, l1) & OFFSET_MASK;
}

/*
 * Image @name with guest cluster 0 written, and guest cluster 1 mapped
 * (hostile) to host offset @target; opened, with an in-place write done
 */
static BlockBackend *open_with_trap(const char *name, int64_t cl,
                                    uint64_t target)
{
    g_autofree uint8_t *buf = g_malloc0(cl);
    BlockBackend *blk;

    blk = qcow2_test_open(name, BDRV_O_RDWR, &error_abort);
    memset(buf, 1, cl);
    assert_int_equal(blk_pwrite(blk, 0, cl, buf, 0), 0);
    blk_unref(blk);
    qcow2_test_poke64(name, first_l2_table(name) + 8, target | COPIED);
    blk = qcow2_test_open(name, BDRV_O_RDWR, &error_abort);
    assert_int_equal(blk_pwrite(blk, 0, cl, buf, 0), 0);
    return blk;
}

static void test_new_l2_table_is_protected(void **state)
{
    const int64_t cl = 65536;
    g_autofree uint8_t *buf = g_malloc0(cl);
    BlockBackend *blk;
    uint64_t next;

    qcow2_test_create("oi-l2", 1024 * MiB, NULL);
    /* The first free cluster after one written cluster: its end */
    blk = qcow2_test_open("oi-l2", BDRV_O_RDWR, &error_abort);
    assert_int_equal(blk_pwrite(blk, 0, cl, buf, 0), 0);
    blk_unref(blk);
    next = MAX(first_l2_table("oi-l2"),
               qcow2_test_peek64("oi-l2", first_l2_table("oi-l2")) &
               OFFSET_MASK) + cl;

    blk = open_with_trap("oi-l2", cl, next);
    /* Guest 512 MiB needs a second L2 table: it goes to @next */
    memset(buf, 2, cl);
    assert_int_equal(blk_pwrite(blk, 512 * MiB, cl, buf, 0), 0);
    assert_int_equal(blk_pwrite(blk, cl, cl, buf, 0), -EIO);
    /* The table was not written over: its mapping still reads back */
    blk_unref(blk);
    blk = qcow2_test_open("oi-l2", 0, &error_abort);
    memset(buf, 0, cl);
    assert_int_equal(blk_pread(blk, 512 * MiB, cl, buf, 0), 0);
    assert_int_equal(buf[0], 2);
    assert_int_equal(buf[cl - 1], 2);
    blk_unref(blk);
}

static void test_new_refcount_block_is_protected(void **state)
{
    const int64_t cl = 512;
    /* 16-bit refcounts: a refcount block covers 256 clusters, and the
     * second one goes to the first cluster it covers */
    const uint64_t refblock = 256 * cl;
    g_autofree uint8_t *buf = g_malloc0(300 * cl);
    BlockBackend *blk;

    qcow2_test_create("oi-rb", 4 * MiB, "cluster_size=512");
    blk = open_with_trap("oi-rb", cl, refblock);
    memset(buf, 3, 300 * cl);
    assert_int_equal(blk_pwrite(blk, 1 * MiB, 300 * cl, buf, 0), 0);
    assert_int_equal(blk_pwrite(blk, cl, cl, buf, 0), -EIO);
    blk_unref(blk);
    blk = qcow2_test_open("oi-rb", 0, &error_abort);
    memset(buf, 0, 300 * cl);
    assert_int_equal(blk_pread(blk, 1 * MiB, 300 * cl, buf, 0), 0);
    assert_int_equal(buf[0], 3);
    assert_int_equal(buf[300 * cl - 1], 3);
    blk_unref(blk);
}

/*
 * A partial write to a new cluster copies zeroes into the rest of it unless
 * the file never had that cluster since open: a freed cluster taken again
 * keeps its old bytes in the file, which must not show through
 */
static void test_reused_cluster_reads_zero_around_a_write(void **state)
{
    const int64_t cl = 65536;
    g_autofree uint8_t *buf = g_malloc(cl);
    BlockBackend *blk;
    QDict *opts = qdict_new();

    qcow2_test_create("oi-reuse", 64 * MiB, NULL);
    /* The file keeps the freed cluster's bytes (no discard passed down) */
    qdict_put_str(opts, "driver", "qcow2");
    qdict_put_str(opts, "pass-discard-request", "off");
    blk = blk_new_open("mem:oi-reuse", NULL, opts,
                       BDRV_O_RDWR | BDRV_O_UNMAP, &error_abort);
    memset(buf, 0xaa, cl);
    assert_int_equal(blk_pwrite(blk, 0, cl, buf, 0), 0);
    assert_int_equal(blk_pdiscard(blk, 0, cl), 0);
    /* The freed cluster is the first free one: this write takes it */
    memset(buf, 0x55, 4096);
    assert_int_equal(blk_pwrite(blk, 8 * cl + 4096, 4096, buf, 0), 0);
    assert_int_equal(blk_pread(blk, 8 * cl, cl, buf, 0), 0);
    for (int64_t i = 0; i < cl; i++) {
        assert_int_equal(buf[i], i >= 4096 && i < 8192 ? 0x55 : 0);
    }
    blk_unref(blk);
}

static int group_setup(void **state)
{
    test_common_init(TEST_COMMON_NO_BACKEND);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_new_l2_table_is_protected),
        T(test_new_refcount_block_is_protected),
        T(test_reused_cluster_reads_zero_around_a_write),
    };

    return test_common_run_group(tests, group_setup,
                                 test_common_group_teardown_mem);
}
