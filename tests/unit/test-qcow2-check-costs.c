/*
 * The qcow2 paths made cheaper for the fuzz targets keep their results:
 * check lines go to the report stream (which a caller may redirect), a
 * repair of many active L1 entries writes them all, and the decompression
 * state kept between clusters starts afresh after a cluster that failed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include "block/mem.h"
#include "util/error.h"
#include "qcow2-common.h"
#include "test-common.h"

/* A check's lines reach the report stream, not stderr directly */
static void test_check_lines_go_to_report_stream(void **state)
{
    BdrvCheckResult res = { 0 };
    char text[4096] = "";
    FILE *f = tmpfile();
    size_t n;

    assert_non_null(f);
    qcow2_test_create("cs", MiB, NULL);
    /* An L1 entry that is not cluster aligned: an ERROR line */
    qcow2_test_poke64("cs", qcow2_test_peek64("cs", 40), 0x10200);
    error_set_report_stream(f);
    qcow2_test_check("cs", 0, 0, &res);
    error_set_report_stream(NULL);
    rewind(f);
    n = fread(text, 1, sizeof(text) - 1, f);
    text[n] = '\0';
    fclose(f);
    assert_true(res.corruptions > 0);
    assert_non_null(strstr(text, "ERROR l2_offset=10200"));
}

/* Every L1 entry with reserved bits is repaired on disk, in one pass */
static void test_repair_of_many_l1_entries_reaches_disk(void **state)
{
    BdrvCheckResult res = { 0 };
    FILE *quiet = tmpfile();
    uint64_t l1;
    uint32_t l1_size;

    /* 1 GiB of 64 KiB clusters: 2 L1 entries; 64 GiB: 128 */
    qcow2_test_create("cb", 64ULL * 1024 * MiB, NULL);
    l1 = qcow2_test_peek64("cb", 40);
    l1_size = qcow2_test_peek64("cb", 32) & 0xffffffff;
    assert_true(l1_size >= 100);
    for (uint32_t i = 0; i < l1_size; i += 3) {
        qcow2_test_poke64("cb", l1 + i * 8ULL, 1ULL << 56);
    }
    /* (one "Repairing" line per entry: not for the test log) */
    error_set_report_stream(quiet);
    qcow2_test_check("cb", BDRV_O_RDWR, BDRV_FIX_ERRORS | BDRV_FIX_LEAKS,
                     &res);
    error_set_report_stream(NULL);
    fclose(quiet);
    assert_true(res.corruptions_fixed >= (int)(l1_size + 2) / 3);
    for (uint32_t i = 0; i < l1_size; i++) {
        assert_int_equal(qcow2_test_peek64("cb", l1 + i * 8ULL), 0);
    }
    memset(&res, 0, sizeof(res));
    assert_int_equal(qcow2_test_check("cb", 0, 0, &res), 0);
    assert_int_equal(res.corruptions, 0);
    assert_int_equal(res.leaks, 0);
}

/* Corrupt the compressed data of the first cluster of @name */
static void break_first_compressed_cluster(const char *name)
{
    static const uint8_t junk[16] = {
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    };
    uint64_t l1 = qcow2_test_peek64(name, 40);
    uint64_t l2 = qcow2_test_peek64(name, l1) & 0x00fffffffffffe00ULL;
    /* 64 KiB clusters: the host offset is the low 54 bits */
    uint64_t data = qcow2_test_peek64(name, l2) & ((1ULL << 54) - 1);

    qcow2_test_poke(name, data, junk, sizeof(junk));
}

/* A cluster that fails to decompress does not spoil the next one */
static void test_decompress_after_a_failure(void **state)
{
    static const char *const types[] = { "compression_type=zlib",
                                         "compression_type=zstd" };
    g_autofree uint8_t *w = g_malloc(128 * KiB);
    g_autofree uint8_t *r = g_malloc(64 * KiB);

    for (int i = 0; i < 2; i++) {
        Error *err = NULL;
        BlockBackend *blk;

        qcow2_test_create("cd", 4 * MiB, types[i]);
        blk = qcow2_test_open("cd", BDRV_O_RDWR, &err);
        check_ok(blk != NULL, &err, "open qcow2");
        qcow2_test_pattern(w, 128 * KiB, i + 1);
        assert_int_equal(blk_pwrite(blk, 0, 128 * KiB, w,
                                    BDRV_REQ_WRITE_COMPRESSED), 0);
        blk_unref(blk);
        break_first_compressed_cluster("cd");
        blk = qcow2_test_open("cd", 0, &err);
        check_ok(blk != NULL, &err, "open qcow2");
        for (int round = 0; round < 2; round++) {
            assert_int_equal(blk_pread(blk, 0, 64 * KiB, r, 0), -EIO);
            assert_int_equal(blk_pread(blk, 64 * KiB, 64 * KiB, r, 0), 0);
            assert_memory_equal(w + 64 * KiB, r, 64 * KiB);
        }
        blk_unref(blk);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_check_lines_go_to_report_stream),
        T(test_repair_of_many_l1_entries_reaches_disk),
        T(test_decompress_after_a_failure),
    };

    return test_common_run_group(tests, test_common_group_setup,
                                 test_common_group_teardown_mem);
}
