/*
 * What opening and using a small qcow2 image costs (the fuzz targets open
 * thousands a second): the metadata caches hold memory only for the
 * tables they have loaded, and allocating clusters grows the image file
 * in proportion to the file, not in fixed 1 MiB steps.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#if defined(DRYDOCK_ASAN) || defined(DRYDOCK_TSAN)
/* The sanitizers' allocator interface (gcc ships no header for it) */
size_t __sanitizer_get_current_allocated_bytes(void);
#else
#include <malloc.h>
#endif

#include "block/block-io.h"
#include "block/mem.h"
#include "qcow2-common.h"
#include "test-common.h"

/* Bytes the process holds on the heap now */
static size_t heap_bytes(void)
{
#if defined(DRYDOCK_ASAN) || defined(DRYDOCK_TSAN)
    return __sanitizer_get_current_allocated_bytes();
#else
    struct mallinfo2 m = mallinfo2();

    return m.uordblks + m.hblkhd;
#endif
}

static BlockBackend *open_cost_open(const char *name, int flags)
{
    Error *err = NULL;
    BlockBackend *blk = qcow2_test_open(name, flags, &err);

    check_ok(blk != NULL, &err, "open qcow2");
    return blk;
}

/*
 * The default caches (1 MiB of L2 tables, 256 KiB of refcount blocks: 20
 * tables of 64 KiB) are not allocated by the open itself
 */
static void test_qcow2_open_allocates_no_cache_tables(void **state)
{
    BlockBackend *blk;
    size_t before, after;

    qcow2_test_create("oc", MiB, NULL);
    before = heap_bytes();
    blk = open_cost_open("oc", 0);
    after = heap_bytes();
    blk_unref(blk);
    if (after - before >= 256 * 1024) {
        fail_msg("the open holds %zu bytes of heap (expected < 256 KiB)",
                 after - before);
    }
}

/*
 * 512-byte clusters: the default caches have 2048 + 512 slots; the slot
 * array grows with the slots used, so the open holds little (it held
 * 110 KB when the array was allocated whole)
 */
static void test_qcow2_open_cost_does_not_grow_with_cache_slots(void **state)
{
    BlockBackend *blk;
    size_t before, after;

    qcow2_test_create("os5", MiB, "cluster_size=512");
    before = heap_bytes();
    blk = open_cost_open("os5", 0);
    after = heap_bytes();
    blk_unref(blk);
    if (after - before > 64 * 1024) {
        fail_msg("an open with 512-byte clusters holds %zu bytes (expected "
                 "< 64 KiB)", after - before);
    }
}

/* A read loads one L2 table: the cache grows by about one table */
static void test_qcow2_cache_grows_with_the_tables_it_loads(void **state)
{
    BlockBackend *blk;
    uint8_t buf[512];
    size_t before, after;

    qcow2_test_create("og", MiB, NULL);
    blk = open_cost_open("og", BDRV_O_RDWR);
    memset(buf, 7, sizeof(buf));
    assert_int_equal(blk_pwrite(blk, 0, sizeof(buf), buf, 0), 0);
    blk_unref(blk);
    blk = open_cost_open("og", 0);
    before = heap_bytes();
    assert_int_equal(blk_pread(blk, 0, sizeof(buf), buf, 0), 0);
    after = heap_bytes();
    assert_int_equal(buf[511], 7);
    blk_unref(blk);
    if (after - before < 64 * 1024 || after - before >= 3 * 64 * 1024) {
        fail_msg("a read of one cluster grew the heap by %zu bytes "
                 "(expected one or two 64 KiB tables)", after - before);
    }
}

/*
 * A new image with 512-byte clusters is a few KiB (qemu-img makes 2.5 KiB),
 * and one allocating write grows it by clusters, not to 1 MiB
 */
static void test_qcow2_small_image_grows_in_proportion(void **state)
{
    BlockBackend *blk;
    uint8_t buf[512];
    size_t before, after;

    qcow2_test_create("os", MiB, "cluster_size=512");
    assert_non_null(mem_image_get("os", &before));
    if (before > 64 * 1024) {
        fail_msg("a new 1 MiB image with 512-byte clusters takes %zu bytes",
                 before);
    }
    blk = open_cost_open("os", BDRV_O_RDWR);
    memset(buf, 9, sizeof(buf));
    assert_int_equal(blk_pwrite(blk, 4096, sizeof(buf), buf, 0), 0);
    blk_unref(blk);
    assert_non_null(mem_image_get("os", &after));
    if (after > before + before / 2 + 2048) {
        fail_msg("a one-cluster write grew the file from %zu to %zu bytes",
                 before, after);
    }
    blk = open_cost_open("os", 0);
    memset(buf, 0, sizeof(buf));
    assert_int_equal(blk_pread(blk, 4096, sizeof(buf), buf, 0), 0);
    assert_int_equal(buf[0], 9);
    blk_unref(blk);
}

/* Growth stays amortised: a 2 MiB file after many writes, data intact */
static void test_qcow2_growth_keeps_every_cluster(void **state)
{
    g_autofree uint8_t *w = g_malloc(64 * 1024);
    g_autofree uint8_t *r = g_malloc(64 * 1024);
    BlockBackend *blk;
    size_t len;

    qcow2_test_create("oa", 4 * MiB, "cluster_size=512");
    blk = open_cost_open("oa", BDRV_O_RDWR);
    for (int i = 0; i < 32; i++) {
        qcow2_test_pattern(w, 64 * 1024, i);
        assert_int_equal(blk_pwrite(blk, (int64_t)i * 64 * 1024 + 512 * i,
                                    64 * 1024, w, 0), 0);
    }
    blk_unref(blk);
    assert_non_null(mem_image_get("oa", &len));
    assert_true(len >= 2 * MiB && len < 4 * MiB);
    blk = open_cost_open("oa", 0);
    for (int i = 0; i < 32; i++) {
        qcow2_test_pattern(w, 64 * 1024, i);
        assert_int_equal(blk_pread(blk, (int64_t)i * 64 * 1024 + 512 * i,
                                   64 * 1024, r, 0), 0);
        assert_memory_equal(w, r, 64 * 1024);
    }
    blk_unref(blk);
}

static BlockBackend *extent_image(const char *name)
{
    uint8_t buf[512];
    BlockBackend *blk;

    /* 512-byte clusters: one L2 table maps 64 of them (32 KiB) */
    qcow2_test_create(name, MiB, "cluster_size=512");
    blk = open_cost_open(name, BDRV_O_RDWR);
    for (int i = 0; i < 4; i++) {
        memset(buf, 0x10 + i, sizeof(buf));
        assert_int_equal(blk_pwrite(blk, (int64_t)i * 2 * 512, 512, buf, 0),
                         0);
    }
    /* And one cluster in the tenth L2 table, past tables never allocated */
    assert_int_equal(blk_pwrite(blk, 10 * 32768 + 512, 512, buf, 0), 0);
    blk_unref(blk);
    return open_cost_open(name, BDRV_O_RDWR);
}

/* Block status runs across L2 tables, present or not, in one extent */
static void test_qcow2_extents_cross_l2_tables(void **state)
{
    BlockBackend *blk = extent_image("ox");
    int64_t pnum, map;
    BlockDriverState *file;
    int ret;

    /* Clusters 0, 2, 4, 6 hold data, 1, 3, 5 and 7.. are unallocated */
    for (int i = 0; i < 7; i++) {
        ret = bdrv_block_status(blk_bs(blk), i * 512, MiB - i * 512, &pnum,
                                &map, &file);
        assert_true(ret >= 0);
        assert_int_equal(!!(ret & BDRV_BLOCK_DATA), i % 2 == 0);
        assert_int_equal(pnum, 512);
    }
    /* From cluster 7 to the one in table 10: tables 1..9 were never made */
    ret = bdrv_block_status(blk_bs(blk), 7 * 512, MiB - 7 * 512, &pnum, &map,
                            &file);
    assert_false(ret & BDRV_BLOCK_DATA);
    assert_int_equal(pnum, 10 * 32768 + 512 - 7 * 512);
    ret = bdrv_block_status(blk_bs(blk), 10 * 32768 + 1024,
                            MiB - 10 * 32768 - 1024, &pnum, &map, &file);
    assert_false(ret & BDRV_BLOCK_DATA);
    assert_int_equal(pnum, MiB - 10 * 32768 - 1024);
    blk_unref(blk);
}

/*
 * Entries are looked up in batches, but only those a request reaches are
 * checked: a bad entry further in the table does not mark the image
 */
static void test_qcow2_bad_entry_past_the_request_is_not_reached(void **state)
{
    uint8_t buf[8192];
    BlockBackend *blk;
    uint64_t l1, l2;

    /* 4 KiB clusters (512-byte ones cannot be unaligned): data in 0 and 4 */
    qcow2_test_create("ob", MiB, "cluster_size=4096");
    blk = open_cost_open("ob", BDRV_O_RDWR);
    memset(buf, 0x10, sizeof(buf));
    assert_int_equal(blk_pwrite(blk, 0, 4096, buf, 0), 0);
    assert_int_equal(blk_pwrite(blk, 4 * 4096, 4096, buf, 0), 0);
    blk_unref(blk);
    l1 = qcow2_test_peek64("ob", 40);
    l2 = qcow2_test_peek64("ob", l1) & 0x00fffffffffffe00ULL;
    /* Cluster 5: allocated at an unaligned offset */
    qcow2_test_poke64("ob", l2 + 5 * 8, (1ULL << 63) | 0x10200);
    blk = open_cost_open("ob", BDRV_O_RDWR);
    assert_int_equal(blk_pread(blk, 0, sizeof(buf), buf, 0), 0);
    assert_int_equal(buf[0], 0x10);
    assert_int_equal(buf[4096], 0);
    assert_false(blk_bs(blk)->corrupt);
    assert_int_equal(blk_pread(blk, 4 * 4096, sizeof(buf), buf, 0), -EIO);
    assert_true(blk_bs(blk)->corrupt);
    blk_unref(blk);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_qcow2_open_allocates_no_cache_tables),
        T(test_qcow2_open_cost_does_not_grow_with_cache_slots),
        T(test_qcow2_cache_grows_with_the_tables_it_loads),
        T(test_qcow2_small_image_grows_in_proportion),
        T(test_qcow2_growth_keeps_every_cluster),
        T(test_qcow2_extents_cross_l2_tables),
        T(test_qcow2_bad_entry_past_the_request_is_not_reached),
    };

    return test_common_run_group(tests, test_common_group_setup,
                                 test_common_group_teardown_mem);
}
