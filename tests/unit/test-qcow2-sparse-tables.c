/*
 * qcow2 work that follows the table entries in use, not the sizes a header
 * declares (the fuzz targets open images whose L1 table is megabytes of
 * zeroes): check walks the active L1 table in place instead of copying
 * it, and the open, the metadata index and check skip runs of zero
 * entries -- still reaching every entry after such a run.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include "block/block-io.h"
#include "block/mem.h"
#include "util/error.h"
#include "qcow2-common.h"
#include "qcow2-snap-common.h"
#include "test-common.h"

/* 16 TiB of 64 KiB clusters: an L1 table of 32768 entries (256 KiB) */
#define BIG_DISK (16ULL * 1024 * 1024 * MiB)
#define BIG_L1_BYTES (256 * KiB)
#define CLUSTER (64 * KiB)

#if defined(DRYDOCK_ASAN) || defined(DRYDOCK_TSAN)
#define HAVE_MALLOC_HOOKS 1
/* The sanitizers' allocator interface (gcc ships no header for it) */
int __sanitizer_install_malloc_and_free_hooks(
    void (*malloc_hook)(const volatile void *, size_t),
    void (*free_hook)(const volatile void *));

static bool watching;
static size_t largest;

static void note_malloc(const volatile void *p, size_t size)
{
    if (watching && size > largest) {
        largest = size;
    }
}

static void note_free(const volatile void *p)
{
}
#endif

/* A big image with data in its first and its last cluster */
static void make_big_image(const char *name)
{
    BlockBackend *blk;

    qcow2_test_create(name, BIG_DISK, NULL);
    assert_int_equal(qcow2_test_peek64(name, 32) >> 32, 0);
    assert_int_equal(qcow2_test_peek64(name, 32) & 0xffffffff,
                     BIG_L1_BYTES / 8);
    blk = qsnap_open(name, BDRV_O_RDWR);
    qsnap_write(blk, 0, CLUSTER, 1);
    qsnap_write(blk, BIG_DISK - CLUSTER, CLUSTER, 2);
    blk_unref(blk);
}

/* Check allocates nothing the size of the active L1 table */
static void test_check_walks_active_l1_in_place(void **state)
{
#ifdef HAVE_MALLOC_HOOKS
    BdrvCheckResult res = { 0 };
    BlockBackend *blk;

    make_big_image("sp");
    blk = qsnap_open("sp", BDRV_O_RDWR);
    largest = 0;
    watching = true;
    assert_int_equal(bdrv_check(blk_bs(blk), &res, 0), 0);
    watching = false;
    assert_int_equal(res.corruptions, 0);
    assert_int_equal(res.leaks, 0);
    assert_int_equal(res.check_errors, 0);
    assert_int_equal(res.bfi.allocated_clusters, 2);
    assert_true(largest < BIG_L1_BYTES);
    /* A repair reads the entries from the same table it rewrites */
    memset(&res, 0, sizeof(res));
    assert_int_equal(bdrv_check(blk_bs(blk), &res, BDRV_FIX_ERRORS |
                                                   BDRV_FIX_LEAKS), 0);
    assert_int_equal(res.corruptions_fixed, 0);
    assert_true(qsnap_reads(blk, BIG_DISK - CLUSTER, CLUSTER, 2));
    blk_unref(blk);
#else
    skip();
#endif
}

/* The last L1 entry, after 32767 zero ones, survives open and reopen */
static void test_entry_after_zero_run_is_loaded(void **state)
{
    BlockBackend *blk;

    make_big_image("sz");
    blk = qsnap_open("sz", 0);
    assert_true(qsnap_reads(blk, 0, CLUSTER, 1));
    assert_true(qsnap_reads(blk, BIG_DISK - CLUSTER, CLUSTER, 2));
    assert_true(qsnap_reads(blk, BIG_DISK / 2, CLUSTER, -1));
    blk_unref(blk);
}

/* A snapshot's L1 table read from the file: its far entry is counted */
static void test_snapshot_l1_entry_after_zero_run_counts(void **state)
{
    BlockBackend *blk;

    make_big_image("ss");
    blk = qsnap_open("ss", BDRV_O_RDWR);
    assert_int_equal(qsnap_create(blk, NULL, "s1"), 0);
    /* Copy on write of the far cluster: the snapshot keeps the old one */
    qsnap_write(blk, BIG_DISK - CLUSTER, CLUSTER, 3);
    qsnap_check(blk, 0);
    blk_unref(blk);
    qsnap_check_copied("ss");
}

/*
 * A bad refcount table entry after thousands of zero ones: the open
 * refuses it, check (which opens anyway) reports it from the file
 */
static void test_reftable_entry_after_zero_run_is_seen(void **state)
{
    BdrvCheckResult res = { 0 };
    FILE *f = tmpfile();
    char text[4096] = "";
    uint64_t reftable;
    size_t n;

    assert_non_null(f);
    qcow2_test_create("sr", 64 * MiB, NULL);
    reftable = qcow2_test_peek64("sr", 48);
    qcow2_test_poke64("sr", reftable + 5000 * 8, 0x10200);
    qcow2_test_expect_open_error("sr", 0, "Refcount table entry 5000");
    error_set_report_stream(f);
    qcow2_test_check("sr", 0, 0, &res);
    error_set_report_stream(NULL);
    rewind(f);
    n = fread(text, 1, sizeof(text) - 1, f);
    text[n] = '\0';
    fclose(f);
    assert_true(res.corruptions > 0);
    assert_non_null(strstr(text, "ERROR refcount block 5000 is not cluster "
                                 "aligned"));
}

static int sparse_group_setup(void **state)
{
#ifdef HAVE_MALLOC_HOOKS
    __sanitizer_install_malloc_and_free_hooks(note_malloc, note_free);
#endif
    return test_common_group_setup(state);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_check_walks_active_l1_in_place),
        T(test_entry_after_zero_run_is_loaded),
        T(test_snapshot_l1_entry_after_zero_run_counts),
        T(test_reftable_entry_after_zero_run_is_seen),
    };

    return test_common_run_group(tests, sparse_group_setup,
                                 test_common_group_teardown_mem);
}
