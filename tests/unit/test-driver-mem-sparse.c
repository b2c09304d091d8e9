/*
 * The mem protocol backs an image's bytes only once they are written (up
 * to the highest byte written): unwritten ranges read as zeroes, zero
 * writes and discards there need no memory, a shrink forgets the bytes cut
 * off (its memory may be kept, zeroed when backed again), a buffer can be
 * set from a prefix or rewritten under an open node, and mem_image_get()
 * still returns every byte.  A 4 GiB image (the
 * limit) written at its start costs that start only.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "block/driver.h"
#include "block/mem.h"
#include "test-common.h"

#define open_mem(name, opts, flags, errp)                                      \
    test_common_blk_open("mem", (name), (opts), (flags), (errp))

static void test_huge_image_written_at_start(void **state)
{
    uint8_t in[512], out[512];
    int64_t end = (int64_t)MEM_IMAGE_MAX_SIZE;
    BlockBackend *blk;

    mem_image_set("huge", NULL, MEM_IMAGE_MAX_SIZE, &error_abort);
    blk = open_mem("huge", NULL, BDRV_O_RDWR, &error_abort);
    assert_int_equal(blk_getlength(blk), end);
    memset(in, 0xa5, sizeof(in));
    assert_int_equal(blk_pwrite(blk, 4096, sizeof(in), in, 0), 0);
    assert_int_equal(blk_pread(blk, 4096, sizeof(out), out, 0), 0);
    assert_memory_equal(in, out, sizeof(in));
    /* Zeroes and discards of what was never written need nothing */
    assert_int_equal(blk_pwrite_zeroes(blk, 0, 1 << 30, 0), 0);
    assert_int_equal(blk_pdiscard(blk, 1 << 30, 1 << 30), 0);
    assert_int_equal(blk_pread(blk, end - 512, sizeof(out), out, 0), 0);
    assert_true(buffer_is_zero(out, sizeof(out)));
    /* The zero write covered what was written */
    assert_int_equal(blk_pread(blk, 4096, sizeof(out), out, 0), 0);
    assert_true(buffer_is_zero(out, sizeof(out)));
    /* Writes past the end still fail */
    assert_true(blk_pwrite(blk, end - 256, sizeof(in), in, 0) < 0);
    blk_unref(blk);
    mem_image_delete("huge");
}

static void test_unwritten_bytes_read_zero(void **state)
{
    uint8_t in[1000], out[3000];
    const uint8_t *img;
    size_t len = 0;
    BlockBackend *blk;

    mem_image_set("sp", NULL, 64 * 1024, &error_abort);
    blk = open_mem("sp", NULL, BDRV_O_RDWR, &error_abort);
    memset(in, 0x3c, sizeof(in));
    /* Straddles what is backed and what is not */
    assert_int_equal(blk_pwrite(blk, 1000, sizeof(in), in, 0), 0);
    assert_int_equal(blk_pread(blk, 0, sizeof(out), out, 0), 0);
    assert_true(buffer_is_zero(out, 1000));
    assert_memory_equal(out + 1000, in, sizeof(in));
    assert_true(buffer_is_zero(out + 2000, 1000));
    /* The API view has every byte */
    img = mem_image_get("sp", &len);
    assert_int_equal(len, 64 * 1024);
    assert_memory_equal(img + 1000, in, sizeof(in));
    assert_true(buffer_is_zero(img + 2000, len - 2000));
    blk_unref(blk);
    mem_image_delete("sp");
}

static void test_shrink_then_grow_reads_zero(void **state)
{
    uint8_t data[8192], out[8192];
    BlockBackend *blk;

    memset(data, 0x77, sizeof(data));
    mem_image_set("sg", data, sizeof(data), &error_abort);
    blk = open_mem("sg", NULL, BDRV_O_RDWR | BDRV_O_RESIZE, &error_abort);
    assert_int_equal(blk_truncate(blk, 1024, true, PREALLOC_MODE_OFF, 0,
                                  &error_abort), 0);
    assert_int_equal(blk_truncate(blk, 1 << 30, true, PREALLOC_MODE_OFF, 0,
                                  &error_abort), 0);
    assert_int_equal(blk_pread(blk, 0, sizeof(out), out, 0), 0);
    assert_memory_equal(out, data, 1024);
    assert_true(buffer_is_zero(out + 1024, sizeof(out) - 1024));
    /* A write far into the grown part, then the bytes before it */
    assert_int_equal(blk_pwrite(blk, 20000, 512, data, 0), 0);
    assert_int_equal(blk_pread(blk, 8192, sizeof(out), out, 0), 0);
    assert_true(buffer_is_zero(out, sizeof(out)));
    assert_int_equal(blk_pread(blk, 20000, 512, out, 0), 0);
    assert_memory_equal(out, data, 512);
    /* The memory a shrink keeps held 0x77 there: zeroed when backed again */
    assert_int_equal(blk_pread(blk, 1024, sizeof(out) - 1024, out, 0), 0);
    assert_true(buffer_is_zero(out, sizeof(out) - 1024));
    blk_unref(blk);
    mem_image_delete("sg");
}

/* A buffer set from a short prefix: the rest reads as zeroes */
static void test_set_sparse_prefix(void **state)
{
    uint8_t data[100], out[4096];
    const uint8_t *img;
    BlockBackend *blk;
    size_t len = 0;

    memset(data, 0x5a, sizeof(data));
    mem_image_set_sparse("ss", data, sizeof(data), 1 << 20, &error_abort);
    blk = open_mem("ss", NULL, BDRV_O_RDWR, &error_abort);
    assert_int_equal(blk_getlength(blk), 1 << 20);
    assert_int_equal(blk_pread(blk, 0, sizeof(out), out, 0), 0);
    assert_memory_equal(out, data, sizeof(data));
    assert_true(buffer_is_zero(out + sizeof(data), sizeof(out) - sizeof(data)));
    assert_int_equal(blk_pwrite(blk, 50, 100, out + 200, 0), 0);
    blk_unref(blk);
    img = mem_image_get("ss", &len);
    assert_int_equal(len, 1 << 20);
    assert_memory_equal(img, data, 50);
    assert_true(buffer_is_zero(img + 50, len - 50));
    /* A prefix longer than the buffer is cut to it */
    mem_image_set_sparse("ss", data, sizeof(data), 10, &error_abort);
    assert_non_null(mem_image_get("ss", &len));
    assert_int_equal(len, 10);
    mem_image_delete("ss");
}

/*
 * A rewrite changes the bytes and length under a node already open on the
 * buffer (a replace leaves the node on the old bytes); an unknown name is
 * refused, and the buffer's memory is freed with its last user as before
 */
static void test_rewrite_in_place(void **state)
{
    uint8_t data[300], out[8192];
    BlockBackend *blk;
    Error *err = NULL;

    memset(data, 0x11, sizeof(data));
    mem_image_set("rw", data, sizeof(data), &error_abort);
    blk = open_mem("rw", NULL, BDRV_O_RDWR, &error_abort);
    assert_int_equal(blk_pwrite(blk, 0, 100, data, 0), 0);

    memset(data, 0x22, sizeof(data));
    assert_int_equal(mem_image_rewrite("rw", data, 200, 8192, &error_abort),
                     0);
    assert_int_equal(blk_getlength(blk), 8192);
    assert_int_equal(blk_pread(blk, 0, sizeof(out), out, 0), 0);
    assert_memory_equal(out, data, 200);
    assert_true(buffer_is_zero(out + 200, sizeof(out) - 200));

    /* Shorter again: the old tail is gone, not just hidden */
    assert_int_equal(mem_image_rewrite("rw", NULL, 0, 512, &error_abort), 0);
    assert_int_equal(blk_getlength(blk), 512);
    assert_true(blk_pread(blk, 512, 512, out, 0) < 0);
    assert_int_equal(mem_image_rewrite("rw", NULL, 0, 8192, &error_abort), 0);
    assert_int_equal(blk_pread(blk, 0, sizeof(out), out, 0), 0);
    assert_true(buffer_is_zero(out, sizeof(out)));

    /*
     * Memory is reused across rewrites: bigger than one flat allocation
     * (chunks), then smaller, then bigger again, each read back whole
     */
    {
        const size_t sizes[] = { 300 * 1024, 5000, 100, 200 * 1024, 9000 };
        g_autofree uint8_t *big = g_malloc(300 * 1024);
        g_autofree uint8_t *back = g_malloc(300 * 1024 + 8192);
        const uint8_t *img;
        size_t len;

        for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
            size_t want = ROUND_UP(sizes[i], 4096) + 4096;

            memset(big, 0x30 + (int)i, sizes[i]);
            big[sizes[i] / 2] = 0;
            assert_int_equal(mem_image_rewrite("rw", big, sizes[i], want,
                                               &error_abort), 0);
            assert_int_equal(blk_getlength(blk), want);
            assert_int_equal(blk_pread(blk, 0, want, back, 0), 0);
            assert_memory_equal(back, big, sizes[i]);
            assert_true(buffer_is_zero(back + sizes[i], want - sizes[i]));
            img = mem_image_get("rw", &len);
            assert_int_equal(len, want);
            assert_memory_equal(img, big, sizes[i]);
        }
    }

    /* A refused rewrite leaves the buffer as it was */
    assert_int_equal(mem_image_rewrite("no-such", data, 10, 10, &err),
                     -ENOENT);
    error_free_or_abort(&err);
    assert_true(mem_image_rewrite("rw", NULL, 0, MEM_IMAGE_MAX_SIZE + 1,
                                  &err) < 0);
    error_free_or_abort(&err);
    assert_int_equal(blk_getlength(blk), 16384);
    blk_unref(blk);
    mem_image_delete("rw");
}

/*
 * A rewrite reuses the memory of the biggest one before it, and none of
 * the earlier inputs' bytes past the new one show through, not even once
 * the image grows over where they were
 */
static void test_rewrite_keeps_memory(void **state)
{
    const size_t big_len = 200 * 1024, mid_len = 100 * 1024;
    const size_t small_len = 5000, grown = 300 * 1024;
    g_autofree uint8_t *big = g_malloc(big_len);
    g_autofree uint8_t *back = g_malloc(grown);
    const uint8_t *first, *img;
    BlockBackend *blk;
    size_t len;

    mem_image_set("keep", NULL, 0, &error_abort);
    blk = open_mem("keep", NULL, BDRV_O_RDWR | BDRV_O_RESIZE, &error_abort);
    memset(big, 0x41, big_len);
    assert_int_equal(mem_image_rewrite("keep", big, big_len, big_len,
                                       &error_abort), 0);
    first = mem_image_get("keep", &len);
    assert_int_equal(len, big_len);

    memset(big, 0x52, small_len);
    assert_int_equal(mem_image_rewrite("keep", big, small_len, 8192,
                                       &error_abort), 0);
    img = mem_image_get("keep", &len);
    assert_ptr_equal(img, first);
    assert_int_equal(len, 8192);
    assert_memory_equal(img, big, small_len);
    assert_true(buffer_is_zero(img + small_len, 8192 - small_len));

    /* Bigger than the last, still no bigger than the first */
    memset(big, 0x63, mid_len);
    assert_int_equal(mem_image_rewrite("keep", big, mid_len, mid_len,
                                       &error_abort), 0);
    assert_ptr_equal(mem_image_get("keep", &len), first);
    assert_int_equal(blk_pread(blk, 0, mid_len, back, 0), 0);
    assert_memory_equal(back, big, mid_len);

    memset(big, 0x52, small_len);
    assert_int_equal(mem_image_rewrite("keep", big, small_len, small_len,
                                       &error_abort), 0);
    assert_int_equal(blk_truncate(blk, grown, true, PREALLOC_MODE_OFF, 0,
                                  &error_abort), 0);
    assert_int_equal(blk_pread(blk, 0, grown, back, 0), 0);
    assert_memory_equal(back, big, small_len);
    assert_true(buffer_is_zero(back + small_len, grown - small_len));
    blk_unref(blk);
    mem_image_delete("keep");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_huge_image_written_at_start),
        T(test_unwritten_bytes_read_zero),
        T(test_shrink_then_grow_reads_zero),
        T(test_set_sparse_prefix),
        T(test_rewrite_in_place),
        T(test_rewrite_keeps_memory),
    };

    return test_common_run_group(tests, test_common_group_setup,
                                 test_common_group_teardown_mem);
}
