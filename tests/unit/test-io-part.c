/*
 * The built-in drivers take the _part I/O callbacks: a request the core
 * splits (max-transfer) or pads (request alignment) reaches raw, mem,
 * file and null-co as (whole vector, offset into it), and the core never
 * builds a sub-vector for them (bdrv_debug_io_slices() stays put).  The
 * data checks use scattered vectors of odd element sizes, so every split
 * lands inside an element at a non-zero offset of the vector.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "block/driver.h"
#include "block/mem.h"
#include "test-common.h"

#define IMG_SIZE (1024 * 1024)
#define RAW_OFFSET 65536        /* raw's offset= (as a string below) */
#define IO_BYTES 20480          /* five max-transfer pieces */

static char *img_path;

/* Element sizes of the scattered vectors; each list sums to IO_BYTES */
static const size_t write_layout[] = { 1000, 3000, 7001, 4999, 4480 };
static const size_t read_layout[] = { 511, 8193, 17, 6000, 5759 };

/* A vector of @n elements of @sizes, each in a buffer of its own */
static void io_part_qiov_new(QEMUIOVector *qiov, const size_t *sizes,
                             size_t n)
{
    qemu_iovec_init(qiov, n);
    for (size_t i = 0; i < n; i++) {
        qemu_iovec_add(qiov, g_malloc(sizes[i]), sizes[i]);
    }
}

static void io_part_qiov_free(QEMUIOVector *qiov)
{
    for (int i = 0; i < qiov->niov; i++) {
        g_free(qiov->iov[i].iov_base);
    }
    qemu_iovec_destroy(qiov);
}

/* Byte i of a pattern that repeats only every 253 bytes */
static uint8_t io_part_pattern(size_t i)
{
    return (uint8_t)(i * 7 % 253 + 1);
}

/*
 * raw (offset=RAW_OFFSET) over blkdebug (max-transfer 4096, alignment
 * @align) over a node of @image ("mem", "file", "null-co", or
 * "blkverify" or "quorum" (2 of 2) over the mem images "part" and
 * "part-raw")
 */
static BlockBackend *io_part_open(const char *image, const char *align)
{
    QDict *opts = qdict_new();

    qdict_put_str(opts, "driver", "raw");
    qdict_put_str(opts, "offset", "65536");
    qdict_put_str(opts, "file.driver", "blkdebug");
    qdict_put_str(opts, "file.max-transfer", "4096");
    qdict_put_str(opts, "file.align", align);
    qdict_put_str(opts, "file.image.driver", image);
    if (!strcmp(image, "mem")) {
        qdict_put_str(opts, "file.image.filename", "part");
    } else if (!strcmp(image, "file")) {
        qdict_put_str(opts, "file.image.filename", img_path);
    } else if (!strcmp(image, "blkverify")) {
        qdict_put_str(opts, "file.image.test.driver", "mem");
        qdict_put_str(opts, "file.image.test.filename", "part");
        qdict_put_str(opts, "file.image.raw.driver", "mem");
        qdict_put_str(opts, "file.image.raw.filename", "part-raw");
    } else if (!strcmp(image, "quorum")) {
        qdict_put_str(opts, "file.image.vote-threshold", "2");
        qdict_put_str(opts, "file.image.children.0.driver", "mem");
        qdict_put_str(opts, "file.image.children.0.filename", "part");
        qdict_put_str(opts, "file.image.children.1.driver", "mem");
        qdict_put_str(opts, "file.image.children.1.filename", "part-raw");
    } else {
        qdict_put_str(opts, "file.image.read-zeroes", "on");
    }
    return blk_new_open(NULL, NULL, opts, BDRV_O_RDWR, &error_abort);
}

/*
 * Writes IO_BYTES of the pattern at @offset of raw from a scattered
 * vector, reads them back through another layout and compares; null-co
 * reads zeroes instead.  No sub-vector may be built on the way.
 */
static void io_part_roundtrip(const char *image, const char *align,
                              int64_t offset)
{
    bool zeroes = !strcmp(image, "null-co");
    BlockBackend *blk = io_part_open(image, align);
    uint64_t slices = bdrv_debug_io_slices();
    QEMUIOVector wq, rq;
    uint8_t *got = g_malloc(IO_BYTES);

    io_part_qiov_new(&wq, write_layout, ARRAY_SIZE(write_layout));
    io_part_qiov_new(&rq, read_layout, ARRAY_SIZE(read_layout));
    for (size_t i = 0; i < IO_BYTES; i++) {
        uint8_t b = io_part_pattern(i);

        qemu_iovec_from_buf(&wq, i, &b, 1);
    }
    qemu_iovec_memset(&rq, 0, 0xaa, IO_BYTES);

    expect_int(blk_pwritev(blk, offset, IO_BYTES, &wq, 0), 0);
    expect_int(blk_preadv(blk, offset, IO_BYTES, &rq, 0), 0);
    qemu_iovec_to_buf(&rq, 0, got, IO_BYTES);
    for (size_t i = 0; i < IO_BYTES; i++) {
        uint8_t want = zeroes ? 0 : io_part_pattern(i);

        if (got[i] != want) {
            EXPECT_FAIL("%s: byte %zu of the read is 0x%02x, expected 0x%02x",
                        image, i, got[i], want);
            break;
        }
    }
    expect_int(bdrv_debug_io_slices() - slices, 0);

    io_part_qiov_free(&wq);
    io_part_qiov_free(&rq);
    g_free(got);
    blk_unref(blk);
}

/* raw's window over mem: the bytes land at RAW_OFFSET + offset */
static void io_part_check_mem_image(int64_t offset)
{
    size_t len;
    const uint8_t *data = mem_image_get("part", &len);

    assert_non_null(data);
    assert_true(len == IMG_SIZE);
    for (size_t i = 0; i < IO_BYTES; i++) {
        if (data[RAW_OFFSET + offset + i] != io_part_pattern(i)) {
            EXPECT_FAIL("Image byte %lld is 0x%02x, expected 0x%02x",
                        (long long)(RAW_OFFSET + offset + i),
                        data[RAW_OFFSET + offset + i], io_part_pattern(i));
            break;
        }
    }
}

static void test_split_request_over_mem_is_never_sliced(void **state)
{
    io_part_roundtrip("mem", "512", 4096 + 512);
    io_part_check_mem_image(4096 + 512);
    end_test();
}

static void test_padded_split_request_over_mem_is_never_sliced(void **state)
{
    /* Unaligned for the 4096 alignment: padded head and tail, then split */
    io_part_roundtrip("mem", "4096", 12345);
    io_part_check_mem_image(12345);
    end_test();
}

static void test_split_request_over_file_is_never_sliced(void **state)
{
    io_part_roundtrip("file", "512", 8192 + 1536);
    end_test();
}

static void test_padded_split_request_over_file_is_never_sliced(void **state)
{
    io_part_roundtrip("file", "4096", 777);
    end_test();
}

/* A filter of two mem children gets the vector and offset for both */
static void io_part_two_children(const char *filter)
{
    /* Both children start equal, or a padded write's read mismatches */
    mem_image_set("part", NULL, IMG_SIZE, &error_abort);
    mem_image_set("part-raw", NULL, IMG_SIZE, &error_abort);
    io_part_roundtrip(filter, "512", 2048);
    io_part_check_mem_image(2048);
    io_part_roundtrip(filter, "4096", 5555);
    io_part_check_mem_image(5555);
    mem_image_delete("part-raw");
}

static void test_split_request_over_blkverify_is_never_sliced(void **state)
{
    io_part_two_children("blkverify");
    end_test();
}

static void test_split_request_over_quorum_is_never_sliced(void **state)
{
    io_part_two_children("quorum");
    end_test();
}

static void test_split_request_over_null_reads_zeroes_unsliced(void **state)
{
    io_part_roundtrip("null-co", "512", 1024);
    io_part_roundtrip("null-co", "4096", 3333);
    end_test();
}

/* ---- setup -------------------------------------------------------------- */

static int setup(void **state)
{
    test_common_init(0);
    assert_int_equal(test_common_tmp_dir_create("io-part"), 0);
    img_path = tmp_path("img.raw");
    bdrv_img_create(img_path, "raw", NULL, NULL, NULL, IMG_SIZE, 0, true,
                    &error_abort);
    mem_image_set("part", NULL, IMG_SIZE, &error_abort);
    return 0;
}

static int teardown(void **state)
{
    g_free(img_path);
    test_common_tmp_dir_remove();
    mem_image_delete_all();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_split_request_over_mem_is_never_sliced),
        T(test_padded_split_request_over_mem_is_never_sliced),
        T(test_split_request_over_file_is_never_sliced),
        T(test_padded_split_request_over_file_is_never_sliced),
        T(test_split_request_over_null_reads_zeroes_unsliced),
        T(test_split_request_over_blkverify_is_never_sliced),
        T(test_split_request_over_quorum_is_never_sliced),
    };

    return test_common_run_group(tests, setup, teardown);
}
