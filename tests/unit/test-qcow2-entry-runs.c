/*
 * Runs of L2 entries told apart with fewer tests (qcow2_io_run_continues,
 * qcow2_next_nonzero_entry) end where an entry-by-entry walk ends them:
 * an extent stops at the first host cluster out of sequence, at the first
 * entry whose flags differ, at the first allocated entry after unallocated
 * ones wherever it sits in a table; a check still sees every non-zero
 * entry between zero ones.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "block/block-io.h"
#include "qcow2-common.h"
#include "test-common.h"

#define CL 512
#define L2E_COPIED (1ULL << 63)

/* 1 MiB, 512-byte clusters (64 entries per L2 table), guest clusters
 * [first, first + n) written in one request: contiguous on the host */
static void make_image(const char *name, int64_t first, int n)
{
    uint8_t buf[16 * CL];
    BlockBackend *blk;

    assert_true(n <= 16);
    qcow2_test_create(name, MiB, "cluster_size=512");
    blk = qcow2_test_open(name, BDRV_O_RDWR, &error_abort);
    qcow2_test_pattern(buf, sizeof(buf), 3);
    assert_int_equal(blk_pwrite(blk, first * CL, n * CL, buf, 0), 0);
    blk_unref(blk);
}

/* Where the entry of guest cluster @index (in the first L2 table) is */
static uint64_t l2e_at(const char *name, int index)
{
    uint64_t l1 = qcow2_test_peek64(name, 40);
    uint64_t l2 = qcow2_test_peek64(name, l1) & 0x00fffffffffffe00ULL;

    assert_true(l2 != 0);
    return l2 + index * 8ULL;
}

/* Block status from guest cluster @index: data or not, bytes, host */
static int64_t status_at(const char *name, int64_t index, bool *data,
                         int64_t *map)
{
    BlockBackend *blk = qcow2_test_open(name, 0, &error_abort);
    BlockDriverState *file;
    int64_t pnum;
    int ret = bdrv_block_status(blk_bs(blk), index * CL, MiB - index * CL,
                                &pnum, map, &file);

    assert_true(ret >= 0);
    *data = ret & BDRV_BLOCK_DATA;
    blk_unref(blk);
    return pnum;
}

static void test_extent_ends_at_host_cluster_out_of_sequence(void **state)
{
    uint64_t e0, e6;
    int64_t map;
    bool data;

    make_image("rs", 0, 10);
    e0 = qcow2_test_peek64("rs", l2e_at("rs", 0));
    for (int i = 1; i < 10; i++) {
        assert_int_equal(qcow2_test_peek64("rs", l2e_at("rs", i)),
                         e0 + i * CL);
    }
    assert_int_equal(status_at("rs", 0, &data, &map), 10 * CL);
    assert_true(data);
    /* Clusters 6 and 7 swapped: the run from 0 stops after 5 clusters */
    e6 = qcow2_test_peek64("rs", l2e_at("rs", 6));
    qcow2_test_poke64("rs", l2e_at("rs", 6), e6 + CL);
    qcow2_test_poke64("rs", l2e_at("rs", 7), e6);
    assert_int_equal(status_at("rs", 0, &data, &map), 6 * CL);
    assert_int_equal(map, (int64_t)(e0 & ~L2E_COPIED));
    assert_int_equal(status_at("rs", 6, &data, &map), CL);
    assert_int_equal(map, (int64_t)((e6 + CL) & ~L2E_COPIED));
}

static void test_extent_ends_where_flags_change(void **state)
{
    uint64_t e3;
    int64_t map;
    bool data;

    make_image("rf", 0, 8);
    /* Cluster 3 is the next host cluster but not COPIED */
    e3 = qcow2_test_peek64("rf", l2e_at("rf", 3));
    qcow2_test_poke64("rf", l2e_at("rf", 3), e3 & ~L2E_COPIED);
    assert_int_equal(status_at("rf", 0, &data, &map), 3 * CL);
    assert_int_equal(status_at("rf", 3, &data, &map), CL);
    assert_int_equal(status_at("rf", 4, &data, &map), 4 * CL);
}

static void test_unallocated_run_ends_at_any_position(void **state)
{
    int64_t map;
    bool data;

    /* Data at clusters 0 and 13 of the same table, nothing between */
    make_image("ru", 0, 1);
    {
        BlockBackend *blk = qcow2_test_open("ru", BDRV_O_RDWR, &error_abort);
        uint8_t buf[CL] = { 1 };

        assert_int_equal(blk_pwrite(blk, 13 * CL, CL, buf, 0), 0);
        blk_unref(blk);
    }
    for (int i = 1; i < 13; i++) {
        assert_int_equal(status_at("ru", i, &data, &map), (13 - i) * CL);
        assert_false(data);
    }
    assert_int_equal(status_at("ru", 13, &data, &map), CL);
    assert_true(data);
    /* Past it: the rest of the table, then tables never made */
    assert_int_equal(status_at("ru", 14, &data, &map), MiB - 14 * CL);
    assert_false(data);
}

/*
 * Entries with a reserved bit among zero ones: each last of a group of
 * eight scanned from the entry after the one before (cluster 0 holds
 * data), then a lone one and the last two of the table
 */
static void test_check_sees_entries_between_zero_ones(void **state)
{
    static const int where[] = { 8, 16, 24, 40, 45, 62, 63 };
    BdrvCheckResult res = { 0 };

    make_image("rc", 0, 1);
    for (size_t i = 0; i < ARRAY_SIZE(where); i++) {
        /* bit 1: reserved in a standard entry, no cluster named */
        qcow2_test_poke64("rc", l2e_at("rc", where[i]), 2);
    }
    assert_int_equal(qcow2_test_check("rc", 0, 0, &res), 0);
    assert_int_equal(res.corruptions, ARRAY_SIZE(where));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_extent_ends_at_host_cluster_out_of_sequence),
        T(test_extent_ends_where_flags_change),
        T(test_unallocated_run_ends_at_any_position),
        T(test_check_sees_entries_between_zero_ones),
    };

    return test_common_run_group(tests, test_common_group_setup,
                                 test_common_group_teardown_mem);
}
