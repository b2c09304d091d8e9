/*
 * qcow2 work that follows the table entries in use, not the sizes a header
 * declares (the fuzz targets open images whose L1 table is megabytes of
 * zeroes): check walks the active L1 table in place instead of copying
 * it, and the open, the metadata index and check skip runs of zero
 * entries -- still reaching every entry after such a run.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
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
/* qcow2_read_table's piece (QCOW2_TABLE_PIECE) */
#define QCOW2_TEST_TABLE_PIECE (64 * KiB)

#if defined(DRYDOCK_ASAN) || defined(DRYDOCK_TSAN)
#define HAVE_MALLOC_HOOKS 1
/* The sanitizers' allocator interface (gcc ships no header for it) */
int __sanitizer_install_malloc_and_free_hooks(
    void (*malloc_hook)(const volatile void *, size_t),
    void (*free_hook)(const volatile void *));

static bool watching;
static size_t largest;
static uint64_t total;      /* bytes allocated while watching */
static uint64_t count;      /* allocations while watching */
static size_t big_at;       /* allocations of this size or more ... */
static uint64_t big;        /* ... while watching */

static void note_malloc(const volatile void *p, size_t size)
{
    if (watching && size > largest) {
        largest = size;
    }
    if (watching) {
        total += size;
        count++;
        big += big_at && size >= big_at;
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

#ifdef HAVE_MALLOC_HOOKS
/* Minor page faults of the process so far */
static long minor_faults(void)
{
    struct rusage ru;

    assert_int_equal(getrusage(RUSAGE_SELF, &ru), 0);
    return ru.ru_minflt;
}
#endif

/*
 * 256 TiB: a 4 MiB L1 table (1024 pages) with only its first entry in use.
 * Check's walks stop after the last entry in use: the table's pages are
 * not faulted in (the sanitizers' allocators map so big a block fresh, so
 * its untouched pages cost nothing until read).
 */
static void test_check_stops_after_last_l1_entry(void **state)
{
#ifdef HAVE_MALLOC_HOOKS
    const uint64_t disk = 256ULL * 1024 * 1024 * MiB;
    BdrvCheckResult res = { 0 };
    BlockBackend *blk;
    long faults;

    qcow2_test_create("sf", disk, NULL);
    assert_int_equal(qcow2_test_peek64("sf", 32) & 0xffffffff,
                     4 * MiB / 8);
    blk = qsnap_open("sf", BDRV_O_RDWR);
    qsnap_write(blk, 0, CLUSTER, 1);
    faults = minor_faults();
    assert_int_equal(bdrv_check(blk_bs(blk), &res, 0), 0);
    faults = minor_faults() - faults;
    assert_int_equal(res.corruptions + res.leaks + res.check_errors, 0);
    assert_int_equal(res.bfi.allocated_clusters, 1);
    assert_true(faults < 512);
    /* An entry set past the old bound is walked too */
    qsnap_write(blk, disk - CLUSTER, CLUSTER, 2);
    memset(&res, 0, sizeof(res));
    assert_int_equal(bdrv_check(blk_bs(blk), &res, 0), 0);
    assert_int_equal(res.corruptions + res.leaks + res.check_errors, 0);
    assert_int_equal(res.bfi.allocated_clusters, 2);
    blk_unref(blk);
#else
    skip();
#endif
}

#ifdef HAVE_MALLOC_HOOKS
/*
 * Page faults of an open and a check of @name with its refcount table
 * moved past the file's end and declared @bytes long (the first entry
 * kept, the rest 0)
 */
static long reftable_walk_faults(const char *name, uint64_t bytes,
                                 BdrvCheckResult *res)
{
    BlockBackend *blk;
    uint64_t table;
    long faults;
    size_t len;

    qcow2_test_create(name, 64 * MiB, NULL);
    assert_non_null(mem_image_get(name, &len));
    table = (len + CLUSTER - 1) / CLUSTER * CLUSTER;
    qcow2_test_poke64(name, table,
                      qcow2_test_peek64(name, qcow2_test_peek64(name, 48)));
    qcow2_test_poke64(name, table + bytes - 8, 0);
    qcow2_test_poke64(name, 48, table);
    qcow2_test_poke32(name, 56, bytes / CLUSTER);
    faults = minor_faults();
    blk = qsnap_open(name, 0);
    error_set_reports_discarded(true);
    assert_int_equal(bdrv_check(blk_bs(blk), res, 0), 0);
    error_set_reports_discarded(false);
    faults = minor_faults() - faults;
    blk_unref(blk);
    return faults;
}
#endif

/*
 * A refcount table declared 2 MiB long (512 pages) with only its first
 * entry in use: the open, the metadata index and check stop after that
 * entry (reftable_used), so the table's pages are not faulted in.  (A
 * read-only open: the table's clusters have no refcount, a write would
 * allocate over them.)
 */
static void test_reftable_walks_stop_after_last_entry(void **state)
{
#ifdef HAVE_MALLOC_HOOKS
    BdrvCheckResult small = { 0 }, big = { 0 };
    long base = reftable_walk_faults("sw1", CLUSTER, &small);
    long faults = reftable_walk_faults("sw2", 2 * MiB, &big);

    /* The new table's clusters have no refcount; the old one leaks */
    assert_int_equal(small.corruptions, 1);
    assert_int_equal(big.corruptions, 32);
    assert_int_equal(big.leaks, 1);
    assert_int_equal(big.check_errors, 0);
    /*
     * Each walk to the declared end faulted in the table's 512 pages and
     * their shadow (more than the small table's: ASan 1,275, TSan 5,375);
     * what is left is the shadow of the two 2 MiB tables, open's and
     * check's (ASan 189, TSan 1,281: its shadow is four times as big)
     */
#ifdef DRYDOCK_TSAN
    assert_true(faults - base < 2560);
#else
    assert_true(faults - base < 512);
#endif
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

/* Check @name (opened for a check): does its report contain @needle? */
static bool check_reports(const char *name, BdrvCheckResult *res,
                          const char *needle)
{
    FILE *f = tmpfile();
    char text[8192] = "";
    size_t n;

    assert_non_null(f);
    error_set_report_stream(f);
    qcow2_test_check(name, 0, 0, res);
    error_set_report_stream(NULL);
    rewind(f);
    n = fread(text, 1, sizeof(text) - 1, f);
    text[n] = '\0';
    fclose(f);
    return strstr(text, needle) != NULL;
}

/*
 * A bad refcount table entry @index of @name after thousands of zero
 * ones: the open refuses it, check (which opens anyway) reports it from
 * the file
 */
static void expect_bad_reftable_entry(const char *name, uint64_t index)
{
    BdrvCheckResult res = { 0 };
    g_autofree char *open_err = g_strdup_printf("Refcount table entry %"
                                                PRIu64, index);
    g_autofree char *check_err = g_strdup_printf("ERROR refcount block %"
                                                 PRIu64 " is not cluster "
                                                 "aligned", index);

    qcow2_test_poke64(name, qcow2_test_peek64(name, 48) + index * 8,
                      0x10200);
    qcow2_test_expect_open_error(name, 0, open_err);
    assert_true(check_reports(name, &res, check_err));
    assert_true(res.corruptions > 0);
}

/* In a table read at once (one cluster of 64 KiB) */
static void test_reftable_entry_after_zero_run_is_seen(void **state)
{
    qcow2_test_create("sr", 64 * MiB, NULL);
    expect_bad_reftable_entry("sr", 5000);
}

/* In the second piece of a table read piece by piece (two clusters) */
static void test_reftable_entry_in_second_piece_is_seen(void **state)
{
    uint64_t first, table;
    size_t len;

    qcow2_test_create("sp2", 64 * MiB, NULL);
    first = qcow2_test_peek64("sp2", qcow2_test_peek64("sp2", 48));
    assert_non_null(mem_image_get("sp2", &len));
    /* A copy of the table after the file's end, two clusters long */
    table = (len + CLUSTER - 1) / CLUSTER * CLUSTER;
    qcow2_test_poke64("sp2", table, first);
    qcow2_test_poke64("sp2", table + 2 * CLUSTER - 8, 0);
    qcow2_test_poke64("sp2", 48, table);
    qcow2_test_poke32("sp2", 56, 2);
    assert_true(2 * CLUSTER / 8 > QCOW2_TEST_TABLE_PIECE / 8 + 800);
    expect_bad_reftable_entry("sp2", QCOW2_TEST_TABLE_PIECE / 8 + 800);
}

/*
 * A reference to a cluster far past the refcount blocks of a padded file
 * (thousands of clusters without a block in between) is still compared
 */
static void test_reference_past_refcount_blocks_is_seen(void **state)
{
    const uint64_t far = 1500 * 512;
    BdrvCheckResult res = { 0 };
    BlockBackend *blk;
    uint64_t l2;

    qcow2_test_create("sc", MiB, "cluster_size=512");
    blk = qsnap_open("sc", BDRV_O_RDWR);
    qsnap_write(blk, 0, 512, 1);
    blk_unref(blk);
    /* 1 MiB of zeroes after the metadata: 2048 clusters, one block */
    qcow2_test_poke64("sc", MiB - 8, 0);
    l2 = qcow2_test_peek64("sc", qcow2_test_peek64("sc", 40)) &
         0x00fffffffffffe00ULL;
    qcow2_test_poke64("sc", l2, far);
    assert_true(check_reports("sc", &res, "ERROR cluster 1500 refcount=0 "
                                          "reference=1"));
    assert_int_equal(res.corruptions, 1);
    /* (the cluster the entry named before) */
    assert_int_equal(res.leaks, 1);
}

/*
 * A header that claims 65536 snapshots over a table of one entry: the
 * open fails where the entries run out, and what it allocated follows
 * the entries it read, not the count (65536 entries are ~30 MiB)
 */
static void test_snapshot_count_over_short_table(void **state)
{
#ifdef HAVE_MALLOC_HOOKS
    Error *err = NULL;
    BlockBackend *blk;

    qcow2_test_create("sn", 64 * MiB, "cluster_size=4096");
    blk = qsnap_open("sn", BDRV_O_RDWR);
    assert_int_equal(qsnap_create(blk, NULL, "only"), 0);
    blk_unref(blk);
    qcow2_test_poke32("sn", 60, 65536);
    largest = 0;
    watching = true;
    blk = qcow2_test_open("sn", 0, &err);
    watching = false;
    assert_null(blk);
    assert_non_null(err);
    error_free(err);
    assert_true(largest < 256 * KiB);
#else
    skip();
#endif
}

/*
 * 65536 snapshots, all but the first empty (40 zero bytes each, which is
 * valid): the open reads them through a window, not into a buffer of the
 * table's 2.5 MiB, and keeps ~100 bytes per entry, not the ~480 of a
 * QEMUSnapshotInfo (30 MiB for the table, twice that while it grew), in
 * one allocation for its id and name, not one for each.  The array is
 * allocated about once (it doubled: its copies added up to twice its size).
 */
static void test_many_empty_snapshots_cost_little(void **state)
{
#ifdef HAVE_MALLOC_HOOKS
    QEMUSnapshotInfo *list = NULL;
    const uint8_t *img;
    g_autofree uint8_t *copy = NULL;
    BlockBackend *blk;
    size_t len;

    qcow2_test_create("sn", 64 * MiB, "cluster_size=4096");
    blk = qsnap_open("sn", BDRV_O_RDWR);
    assert_int_equal(qsnap_create(blk, NULL, "first"), 0);
    blk_unref(blk);
    img = mem_image_get("sn", &len);
    copy = g_memdup2(img, len);
    /* The table is the last thing written: zeroes follow it */
    mem_image_set_sparse("sn", copy, len, len + 4 * MiB, &error_abort);
    qcow2_test_poke32("sn", 60, 65536);
    largest = total = count = 0;
    watching = true;
    blk = qcow2_test_open("sn", 0, &error_abort);
    watching = false;
    assert_true(count < 65536 + 1000);
    assert_true(largest <= 65536 * 128);
    assert_true(total < largest + largest / 2);
    assert_true(total <= 2 * 65536 * 128 + 4 * MiB);
    assert_int_equal(bdrv_snapshot_list(blk_bs(blk), &list), 65536);
    assert_string_equal(list[0].name, "first");
    assert_string_equal(list[65535].name, "");
    g_free(list);
    blk_unref(blk);
#else
    skip();
#endif
}

enum { MOVED_TABLE = 2 * MiB };

/*
 * Image @name with data in its first cluster and its refcount table moved
 * to the end of the file, declared MOVED_TABLE long: past its first
 * cluster the table lies in a hole of the file, but for one cluster of
 * garbage entries at @garbage (0: none).  Returns the table's offset.
 */
static uint64_t make_moved_reftable(const char *name, uint64_t garbage)
{
    const uint8_t *img;
    g_autofree uint8_t *copy = NULL;
    uint64_t reft, end, size;
    BlockBackend *blk;
    size_t len;

    qcow2_test_create(name, 64 * MiB, "cluster_size=4096");
    blk = qsnap_open(name, BDRV_O_RDWR);
    qsnap_write(blk, 0, 4096, 3);
    blk_unref(blk);
    img = mem_image_get(name, &len);
    reft = qcow2_test_peek64(name, 48);
    end = ROUND_UP(len, 4096);
    size = end + (garbage ? garbage + 4096 : 4096);
    copy = g_malloc0(size);
    memcpy(copy, img, len);
    memcpy(copy + end, img + reft, 4096);
    if (garbage) {
        memset(copy + end + garbage, 0x11, 4096);
    }
    mem_image_set_sparse(name, copy, size, end + MOVED_TABLE, &error_abort);
    qcow2_test_poke64(name, 48, end);
    qcow2_test_poke32(name, 56, MOVED_TABLE / 4096);
    return end;
}

/* Options opening qcow2 image @name through blkdebug, failing every read
 * of the 512 bytes at @fail */
static QDict *open_failing_at(const char *name, uint64_t fail)
{
    QDict *opts = qdict_new();

    qdict_put_str(opts, "driver", "qcow2");
    qdict_put_str(opts, "file.driver", "blkdebug");
    qdict_put_str(opts, "file.image.driver", "mem");
    qdict_put_str(opts, "file.image.filename", name);
    qdict_put_str(opts, "file.inject-error.0.event", "none");
    qdict_put_int(opts, "file.inject-error.0.sector", fail / 512);
    return opts;
}

/*
 * The refcount table's hole is not read: the open reads the entries in
 * use and skips what the file reports as zeroes (reading there fails).
 * The table in memory is mapped, not allocated: untouched, its pages cost
 * nothing, with ASan too.
 */
static void test_reftable_hole_is_not_read(void **state)
{
    uint64_t table = make_moved_reftable("hole", 0);
    BlockBackend *blk;

#ifdef HAVE_MALLOC_HOOKS
    largest = 0;
    watching = true;
#endif
    blk = blk_new_open(NULL, NULL,
                       open_failing_at("hole", table + MOVED_TABLE / 2), 0,
                       &error_abort);
#ifdef HAVE_MALLOC_HOOKS
    watching = false;
    assert_true(largest < 256 * KiB);
#endif
    assert_true(qsnap_reads(blk, 0, 4096, 3));
    blk_unref(blk);
    mem_image_delete("hole");
}

/*
 * A read error in the refcount table after entries were stored fails the
 * open, and the table is freed without a stored entry past the ones
 * counted (the closing assertion of the ASan build checks it)
 */
static void test_reftable_read_error_after_entries(void **state)
{
    uint64_t table = make_moved_reftable("rerr", 256 * KiB);
    Error *err = NULL;
    BlockBackend *blk;

    blk = blk_new_open(NULL, NULL,
                       open_failing_at("rerr", table + 256 * KiB), 0, &err);
    assert_null(blk);
    assert_err_contains(err, "refcount table");
    error_free(err);
    mem_image_delete("rerr");
}

/*
 * The header cluster of a 2 MiB-cluster image is read as far as its
 * extensions and backing file name go, and there only where it holds
 * data: with the backing file name at 1.5 MiB, the hole at 1 MiB is not
 * read (reading there fails) and the buffer is mapped, not allocated
 */
static void test_header_cluster_hole_is_not_read(void **state)
{
    g_autofree uint8_t *copy = NULL;
    const uint8_t *img;
    BlockBackend *blk;
    size_t len;

    qcow2_test_create("hdr", 64 * MiB, "cluster_size=2M");
    qcow2_test_poke64("hdr", 8, 3 * MiB / 2);
    qcow2_test_poke32("hdr", 16, 4);
    qcow2_test_poke("hdr", 3 * MiB / 2, "base", 4);
    /* Set again from its bytes: its all-zero chunks become a hole */
    img = mem_image_get("hdr", &len);
    assert_true(len > 2 * MiB);
    copy = g_memdup2(img, len);
    assert_true(buffer_is_zero(copy + MiB, 4096));
    mem_image_set("hdr", copy, len, &error_abort);
#ifdef HAVE_MALLOC_HOOKS
    largest = 0;
    watching = true;
#endif
    blk = blk_new_open(NULL, NULL, open_failing_at("hdr", MiB),
                       BDRV_O_NO_BACKING, &error_abort);
#ifdef HAVE_MALLOC_HOOKS
    watching = false;
    assert_true(largest < 256 * KiB);
#endif
    assert_string_equal(blk_bs(blk)->backing_file, "base");
    assert_int_equal(blk_getlength(blk), 64 * MiB);
    blk_unref(blk);
    mem_image_delete("hdr");
}

/*
 * A header refused for its version costs no cluster-sized buffer: the
 * fixed header is validated from the first read of 4 KiB (the fuzz
 * targets open many such images a second)
 */
static void test_refused_header_reads_no_cluster(void **state)
{
#ifdef HAVE_MALLOC_HOOKS
    qcow2_test_create("ver", MiB, NULL);
    qcow2_test_poke32("ver", 4, 4);
    largest = 0;
    watching = true;
    qcow2_test_expect_open_error("ver", 0, "Unsupported qcow2 version 4");
    watching = false;
    assert_true(largest < CLUSTER);
    mem_image_delete("ver");
#else
    skip();
#endif
}

/*
 * The active L1 table read at open is mapped, not allocated, when big; a
 * snapshot apply replaces it (the mapped one is unmapped) and one more
 * restores the data
 */
static void test_big_l1_is_mapped_and_replaced(void **state)
{
    BlockBackend *blk;

    make_big_image("l1m");
#ifdef HAVE_MALLOC_HOOKS
    largest = 0;
    watching = true;
#endif
    blk = qsnap_open("l1m", BDRV_O_RDWR);
#ifdef HAVE_MALLOC_HOOKS
    watching = false;
    assert_true(largest < BIG_L1_BYTES);
#endif
    assert_int_equal(qsnap_create(blk, NULL, "two"), 0);
    qsnap_write(blk, BIG_DISK - CLUSTER, CLUSTER, 5);
    assert_int_equal(qsnap_goto(blk, "two"), 0);
    assert_true(qsnap_reads(blk, 0, CLUSTER, 1));
    assert_true(qsnap_reads(blk, BIG_DISK - CLUSTER, CLUSTER, 2));
    qsnap_check(blk, 0);
    blk_unref(blk);
    mem_image_delete("l1m");
}

#ifdef HAVE_MALLOC_HOOKS
/* Allocations of a cluster (4 KiB) or more made by a check of @blk */
static uint64_t check_big_allocations(BlockBackend *blk)
{
    BdrvCheckResult res = { 0 };

    big_at = 4096;
    big = 0;
    watching = true;
    assert_int_equal(bdrv_check(blk_bs(blk), &res, 0), 0);
    watching = false;
    big_at = 0;
    assert_int_equal(res.corruptions + res.leaks + res.check_errors, 0);
    return big;
}
#endif

/*
 * A check walks the L1 table of each snapshot: the L2 table buffer is
 * allocated once per check, and only when some L1 entry names a table,
 * and the snapshots' L1 tables are read into one buffer too.  A check
 * allocated an L2 buffer and an L1 copy per snapshot (34 allocations of
 * a cluster or more with 16 snapshots, 3 without), then the L1 copies
 * alone (18 with 16 snapshots, 2 without; fuzzed images have thousands).
 */
static void test_check_l2_buffer_once(void **state)
{
#ifdef HAVE_MALLOC_HOOKS
    BlockBackend *blk;
    uint64_t none, snaps;

    qcow2_test_create("cl2", 64 * MiB, "cluster_size=4096");
    blk = qsnap_open("cl2", BDRV_O_RDWR);
    none = check_big_allocations(blk);
    for (int i = 0; i < 16; i++) {
        g_autofree char *name = g_strdup_printf("s%d", i);

        assert_int_equal(qsnap_create(blk, NULL, name), 0);
    }
    snaps = check_big_allocations(blk);
    assert_true(snaps <= none + 1);
    /* With data: the 18 walks share one buffer (one more L1 copy) */
    qsnap_write(blk, 0, 4096, 7);
    assert_int_equal(qsnap_create(blk, NULL, "data"), 0);
    assert_true(check_big_allocations(blk) <= snaps + 2);
    blk_unref(blk);
    mem_image_delete("cl2");
#else
    skip();
#endif
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
        T(test_check_stops_after_last_l1_entry),
        T(test_reftable_walks_stop_after_last_entry),
        T(test_entry_after_zero_run_is_loaded),
        T(test_snapshot_l1_entry_after_zero_run_counts),
        T(test_reftable_entry_after_zero_run_is_seen),
        T(test_reftable_entry_in_second_piece_is_seen),
        T(test_reference_past_refcount_blocks_is_seen),
        T(test_snapshot_count_over_short_table),
        T(test_many_empty_snapshots_cost_little),
        T(test_reftable_hole_is_not_read),
        T(test_reftable_read_error_after_entries),
        T(test_header_cluster_hole_is_not_read),
        T(test_refused_header_reads_no_cluster),
        T(test_check_l2_buffer_once),
        T(test_big_l1_is_mapped_and_replaced),
    };

    return test_common_run_group(tests, sparse_group_setup,
                                 test_common_group_teardown_mem);
}
