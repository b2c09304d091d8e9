/*
 * qcow2 snapshot tables from hostile images: every field of an entry
 * checked against REFERENCE.md's limits at open (count, table size, extra
 * data, L1 size and offset, disk size, overlaps with other metadata), and
 * snapshot L1/L2 tables that point to bad places refused at goto or
 * delete with -EIO and the image marked corrupt.  Clear errors, never a
 * crash, a hang or an unbounded allocation.
 *
 * The base image is drydock's 1 MiB image with 64 KiB clusters, its
 * first 128 KiB written, one snapshot "s" of it, then the first 64 KiB
 * written again (the active image has its own L2 table).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <fcntl.h>
#include <unistd.h>

#include "block/mem.h"
#include "util/bswap.h"
#include "qcow2-common.h"
#include "qcow2-snap-common.h"
#include "test-common.h"

#define IMG "snaphostile"
#define RW (BDRV_O_RDWR | BDRV_O_UNMAP)
#define HDR_NB_SNAPSHOTS 60
#define HDR_SNAPSHOTS_OFFSET 64

/* The base image; the offset of its snapshot table */
static uint64_t make_base(void)
{
    BlockBackend *blk;

    qcow2_test_create(IMG, MiB, NULL);
    blk = qsnap_open(IMG, RW);
    qsnap_write(blk, 0, 128 * KiB, 1);
    assert_int_equal(qsnap_create(blk, NULL, "s"), 0);
    qsnap_write(blk, 0, 64 * KiB, 1);
    blk_unref(blk);
    return qcow2_test_peek64(IMG, HDR_SNAPSHOTS_OFFSET);
}

static void expect_open_error(const char *needle)
{
    Error *err = NULL;
    BlockBackend *blk = qcow2_test_open(IMG, 0, &err);

    if (blk) {
        blk_unref(blk);
        fail_msg("open succeeded, expected an error with '%s'", needle);
    }
    assert_err_contains(err, needle);
    error_free(err);
}

/* The file ends at table + 512 (lengths are whole sectors) */
static void cut_after_table(uint64_t table)
{
    g_autofree uint8_t *cut = g_memdup2(mem_image_get(IMG, NULL),
                                        table + 512);

    mem_image_set(IMG, cut, table + 512, &error_abort);
}

static void test_entry_past_end_of_file(void **state)
{
    uint64_t table = make_base();

    /* Entry 0 takes 496 bytes: entry 1's fixed part crosses the end */
    qcow2_test_poke32(IMG, HDR_NB_SNAPSHOTS, 2);
    qcow2_test_poke(IMG, table + 14, "\x01\xaf", 2);    /* name: 431 */
    cut_after_table(table);
    expect_open_error("Snapshot table at 0x");
    expect_open_error("goes past the end of the file");
    /* Its variable part (extra data, id, name) */
    make_base();
    qcow2_test_poke(IMG, table + 12, "\x03\xe8", 2);    /* id: 1000 */
    cut_after_table(table);
    expect_open_error("goes past the end of the file");
}

/* 65536 entries are accepted (and no more can be added), 65537 are not */
static void test_snapshot_count_limit(void **state)
{
    enum { N = 65536 };
    g_autofree uint8_t *table = g_malloc0(N * 40);
    BlockBackend *blk;

    make_base();
    qcow2_test_poke(IMG, 2 * MiB, table, N * 40);
    qcow2_test_poke64(IMG, HDR_SNAPSHOTS_OFFSET, 2 * MiB);
    qcow2_test_poke32(IMG, HDR_NB_SNAPSHOTS, N);
    blk = qsnap_open(IMG, RW);
    assert_int_equal(qsnap_count(blk), N);
    assert_int_equal(qsnap_create(blk, NULL, "one too many"), -EFBIG);
    blk_unref(blk);
    qcow2_test_poke32(IMG, HDR_NB_SNAPSHOTS, N + 1);
    expect_open_error("Too many snapshots: 65537");
}

/* A table of more than 64 MiB (in a sparse file) is refused */
static void test_table_size_limit(void **state)
{
    g_autofree char *path = tmp_path("bigtable.qcow2");
    const uint64_t entry = ROUND_UP(40 + 2 * 65535, 8), start = 2 * MiB;
    const uint32_t n = 64 * MiB / entry + 2;
    uint8_t h[40] = { 0 };
    uint8_t hdr[12];
    Error *err = NULL;
    BlockBackend *blk;
    int fd;

    qcow2_test_create(path, MiB, NULL);
    fd = open(path, O_RDWR);
    assert_true(fd >= 0);
    stw_be_p(h + 12, 65535);
    stw_be_p(h + 14, 65535);
    for (uint32_t i = 0; i < n; i++) {
        assert_int_equal(pwrite(fd, h, sizeof(h), start + i * entry), 40);
    }
    assert_int_equal(ftruncate(fd, start + (n + 1) * entry), 0);
    stl_be_p(hdr, n);
    stq_be_p(hdr + 4, start);
    assert_int_equal(pwrite(fd, hdr, 12, HDR_NB_SNAPSHOTS), 12);
    close(fd);
    blk = qcow2_test_open(path, 0, &err);
    assert_null(blk);
    assert_err_contains(err, "Snapshot table too large (more than 67108864 "
                        "bytes)");
    error_free(err);
}

static void test_l1_offset_invalid(void **state)
{
    uint64_t table = make_base();

    /* offset + size wraps around: must not pass for inside the file */
    qcow2_test_poke64(IMG, table, 0xffffffffffff0000ULL);
    qcow2_test_poke32(IMG, table + 8, 0x100000);
    expect_open_error("Snapshot 0: L1 table offset 0xffffffffffff0000 "
                      "invalid");
    qcow2_test_poke64(IMG, table, 0);
    qcow2_test_poke32(IMG, table + 8, 1);
    expect_open_error("Snapshot 0: L1 table offset 0 invalid");
    qcow2_test_poke64(IMG, table, 0x10000);
    expect_open_error("Snapshot 0: L1 table at 0x10000 overlaps other "
                      "metadata");
}

static void test_table_over_other_metadata(void **state)
{
    make_base();
    /* The refcount table read as a (valid) snapshot entry */
    qcow2_test_poke64(IMG, HDR_SNAPSHOTS_OFFSET, 0x10000);
    expect_open_error("Snapshot table at 0x10000 overlaps other metadata");
}

static void test_disk_size_too_large(void **state)
{
    uint64_t table = make_base();

    qcow2_test_poke64(IMG, table + 48, 1ULL << 62);
    expect_open_error("Snapshot 0: disk size 4611686018427387904 too large");
}

/* A snapshot L1 table larger than the active one is copied whole */
static void test_snapshot_l1_larger_than_active(void **state)
{
    uint64_t table = make_base();
    BlockBackend *blk;

    qcow2_test_poke32(IMG, table + 8, 1024);
    blk = qsnap_open(IMG, RW);
    qsnap_write(blk, 0, 64 * KiB, 2);
    assert_int_equal(qsnap_goto(blk, "s"), 0);
    assert_true(qsnap_reads(blk, 0, 128 * KiB, 1));
    assert_int_equal(blk_getlength(blk), MiB);
    blk_unref(blk);
    assert_int_equal(ldl_be_p(mem_image_get(IMG, NULL) + 36), 1024);
    qsnap_check_copied(IMG);
    blk = qsnap_open(IMG, 0);
    qsnap_check(blk, 0);
    blk_unref(blk);
}

/*
 * The snapshot's L1 entry 0 (or its L2 entry 1 when @in_l2) made
 * @l1e_or_l2e: goto and delete fail with -EIO, the image is marked
 * corrupt and still reads
 */
static void expect_goto_delete_corrupt(uint64_t l1e_or_l2e, bool in_l2)
{
    for (int op = 0; op < 2; op++) {
        uint64_t table = make_base(), l1, l2;
        BlockBackend *blk;
        Error *err = NULL;
        int ret;

        l1 = qcow2_test_peek64(IMG, table);
        l2 = qcow2_test_peek64(IMG, l1) & QSNAP_OFFSET_MASK;
        if (in_l2) {
            qcow2_test_poke64(IMG, l2 + 8, l1e_or_l2e);
        } else {
            qcow2_test_poke64(IMG, l1, l1e_or_l2e);
        }
        blk = qsnap_open(IMG, RW);
        ret = op ? bdrv_snapshot_delete(blk_bs(blk), NULL, "s", &err)
                 : bdrv_snapshot_goto(blk_bs(blk), "s", &err);
        assert_int_equal(ret, -EIO);
        error_free(err);
        blk_unref(blk);
        assert_true(qcow2_test_peek64(IMG, 72) & 2);   /* corrupt bit */
        blk = qsnap_open(IMG, 0);
        assert_true(qsnap_reads(blk, 0, 128 * KiB, 1));
        blk_unref(blk);
    }
}

static void test_bad_l2_offsets_in_snapshot(void **state)
{
    expect_goto_delete_corrupt(0x10000, false);      /* refcount table */
    expect_goto_delete_corrupt(0x40200, false);      /* unaligned */
    expect_goto_delete_corrupt(0x7000000000ULL, false);  /* past the end */
}

static void test_bad_data_offsets_in_snapshot(void **state)
{
    expect_goto_delete_corrupt(0x7000000000ULL, true);   /* past the end */
    expect_goto_delete_corrupt(0x50200, true);           /* unaligned */
}

/* Ids and names longer than the list shows stay whole in the table */
static void test_long_names_kept(void **state)
{
    char name[1001];
    uint64_t table = make_base(), entry_len = ROUND_UP(40 + 24 + 300 + 1000,
                                                       8);
    g_autofree uint8_t *entry = g_malloc0(entry_len);
    QEMUSnapshotInfo *sn = NULL;
    BlockBackend *blk;

    memset(name, 'n', 1000);
    name[1000] = 0;
    memcpy(entry, mem_image_get(IMG, NULL) + table, 64);
    stw_be_p(entry + 12, 300);
    stw_be_p(entry + 14, 1000);
    memset(entry + 64, 'i', 300);
    memcpy(entry + 364, name, 1000);
    qcow2_test_poke(IMG, table, entry, entry_len);
    blk = qsnap_open(IMG, RW);
    assert_int_equal(bdrv_snapshot_list(blk_bs(blk), &sn), 1);
    assert_int_equal(strlen(sn[0].id_str), 127);
    assert_int_equal(strlen(sn[0].name), 255);
    g_free(sn);
    assert_int_equal(qsnap_create(blk, NULL, "t"), 0);
    blk_unref(blk);
    table = qcow2_test_peek64(IMG, HDR_SNAPSHOTS_OFFSET);
    assert_int_equal(lduw_be_p(mem_image_get(IMG, NULL) + table + 14), 1000);
    blk = qsnap_open(IMG, RW);
    assert_int_equal(bdrv_snapshot_delete(blk_bs(blk), NULL, name, NULL), 0);
    assert_int_equal(qsnap_count(blk), 1);
    blk_unref(blk);
}

/* Every operation on @IMG, whatever it holds: errors, never a crash */
static void try_everything(void)
{
    Error *err = NULL;
    BlockBackend *blk = qcow2_test_open(IMG, RW, &err);
    QEMUSnapshotInfo *list = NULL;
    BdrvCheckResult res;
    int n;

    if (!blk) {
        assert_non_null(err);
        error_free(err);
        return;
    }
    n = bdrv_snapshot_list(blk_bs(blk), &list);
    g_free(list);
    if (bdrv_snapshot_goto(blk_bs(blk), n > 0 ? "s" : "1", &err) == 0) {
        assert_true(blk_pread(blk, 0, 4096, (uint8_t[4096]){ 0 }, 0) == 0 ||
                    blk_bs(blk)->corrupt);
    }
    error_free(err);
    err = NULL;
    qsnap_create(blk, NULL, "new");
    bdrv_snapshot_delete(blk_bs(blk), "1", NULL, &err);
    error_free(err);
    bdrv_check(blk_bs(blk), &res, 0);
    blk_unref(blk);
}

#ifndef QSNAP_MUTATIONS
#define QSNAP_MUTATIONS 60
#endif
#ifndef QSNAP_SEED
#define QSNAP_SEED 0x5eed
#endif

/* Random bytes in the snapshot table and the snapshot's L1 and L2 tables */
static void test_mutated_tables_never_crash(void **state)
{
    uint64_t table = make_base(), seed = QSNAP_SEED;
    uint64_t l1 = qcow2_test_peek64(IMG, table);
    uint64_t where[3] = { table, l1,
                          qcow2_test_peek64(IMG, l1) & QSNAP_OFFSET_MASK };
    size_t len = 0;
    const uint8_t *pristine = mem_image_get(IMG, &len);
    g_autofree uint8_t *base = g_memdup2(pristine, len);
    g_autofree uint8_t *img = g_malloc(len);

    for (int i = 0; i < QSNAP_MUTATIONS; i++) {
        memcpy(img, base, len);
        for (int k = 0; k < 1 + i % 3; k++) {
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            img[where[(seed >> 8) % 3] + (seed >> 16) % 80] = seed >> 56;
        }
        mem_image_set(IMG, img, len, &error_abort);
        try_everything();
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_entry_past_end_of_file),
        T(test_snapshot_count_limit),
        T(test_table_size_limit),
        T(test_l1_offset_invalid),
        T(test_table_over_other_metadata),
        T(test_disk_size_too_large),
        T(test_snapshot_l1_larger_than_active),
        T(test_bad_l2_offsets_in_snapshot),
        T(test_bad_data_offsets_in_snapshot),
        T(test_long_names_kept),
        T(test_mutated_tables_never_crash),
    };

    return test_common_run_group(tests, qsnap_group_setup,
                                 qsnap_group_teardown);
}
