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

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_qcow2_open_allocates_no_cache_tables),
        T(test_qcow2_cache_grows_with_the_tables_it_loads),
        T(test_qcow2_small_image_grows_in_proportion),
        T(test_qcow2_growth_keeps_every_cluster),
    };

    return test_common_run_group(tests, test_common_group_setup,
                                 test_common_group_teardown_mem);
}
