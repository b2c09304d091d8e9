/*
 * The mem protocol keeps a buffer in fixed-size chunks backed on first
 * write: a write costs what it writes (never a copy of the bytes before
 * it), unbacked chunks read as zeroes, zero writes and discards over whole
 * chunks give their memory back, a shrink forgets what it cuts off, and
 * mem_image_get() still gives one contiguous view that later writes
 * through the driver update.
 *
 * This binary is linked with -Wl,--wrap for the g_try_* allocators
 * (Makefile): the wrappers below measure what the library asks for and
 * can make it fail, so that an allocation failure is seen to be an error.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "block/driver.h"
#include "block/mem.h"
#include "test-common.h"
#include "util/iothread.h"

#define open_mem(name, flags) \
    test_common_blk_open("mem", (name), NULL, (flags), &error_abort)

#define RW (BDRV_O_RDWR | BDRV_O_RESIZE | BDRV_O_UNMAP)

/* ---- allocation accounting ------------------------------------------- */

static bool alloc_tracking;
static size_t alloc_largest;    /* largest single request while tracking */
static size_t alloc_total;      /* sum of the requests while tracking */
static int alloc_count;
static bool alloc_fail;         /* every request fails while set */

void *__real_g_try_malloc(size_t size);
void *__real_g_try_malloc0(size_t size);
void *__real_g_try_realloc(void *ptr, size_t size);
void *__wrap_g_try_malloc(size_t size);
void *__wrap_g_try_malloc0(size_t size);
void *__wrap_g_try_realloc(void *ptr, size_t size);

/* Account for a request of @size; true if it must fail */
static bool alloc_note(size_t size)
{
    if (alloc_tracking) {
        alloc_largest = MAX(alloc_largest, size);
        alloc_total += size;
        alloc_count++;
    }
    return alloc_fail;
}

void *__wrap_g_try_malloc(size_t size)
{
    return alloc_note(size) ? NULL : __real_g_try_malloc(size);
}

void *__wrap_g_try_malloc0(size_t size)
{
    return alloc_note(size) ? NULL : __real_g_try_malloc0(size);
}

void *__wrap_g_try_realloc(void *ptr, size_t size)
{
    return alloc_note(size) ? NULL : __real_g_try_realloc(ptr, size);
}

static void track_allocations(void)
{
    alloc_tracking = true;
    alloc_largest = alloc_total = 0;
    alloc_count = 0;
}

static void stop_tracking(void)
{
    alloc_tracking = false;
}

/* ---- helpers ---------------------------------------------------------- */

static void fill_pattern(uint8_t *buf, size_t len, unsigned seed)
{
    for (size_t i = 0; i < len; i++) {
        buf[i] = (uint8_t)((i + seed) % 251 + 1);
    }
}

static void expect_read(BlockBackend *blk, int64_t offset, const uint8_t *want,
                        size_t len)
{
    g_autofree uint8_t *got = g_malloc(len);

    assert_int_equal(blk_pread(blk, offset, len, got, 0), 0);
    assert_memory_equal(got, want, len);
}

static void expect_zero(BlockBackend *blk, int64_t offset, size_t len)
{
    g_autofree uint8_t *got = g_malloc(len);

    memset(got, 0xff, len);
    assert_int_equal(blk_pread(blk, offset, len, got, 0), 0);
    assert_true(buffer_is_zero(got, len));
}

static void truncate_to(BlockBackend *blk, int64_t len)
{
    assert_int_equal(blk_truncate(blk, len, true, PREALLOC_MODE_OFF, 0,
                                  &error_abort), 0);
}

/* ---- tests ------------------------------------------------------------ */

/* A write far past anything backed allocates about what it writes */
static void test_write_far_past_backed_data(void **state)
{
    uint8_t in[700];
    BlockBackend *blk;
    int64_t at = (1LL << 30) - 4096 - 300;      /* straddles a 4 KiB border */

    fill_pattern(in, sizeof(in), 1);
    mem_image_set("far", in, sizeof(in), &error_abort);
    blk = open_mem("far", RW);
    truncate_to(blk, 1LL << 30);
    track_allocations();
    assert_int_equal(blk_pwrite(blk, at, sizeof(in), in, 0), 0);
    stop_tracking();
    assert_true(alloc_largest <= 256 * 1024);
    assert_true(alloc_total <= 512 * 1024);
    expect_read(blk, at, in, sizeof(in));
    expect_read(blk, 0, in, sizeof(in));
    expect_zero(blk, sizeof(in), 256 * 1024);
    expect_zero(blk, at - 70000, 70000);
    expect_zero(blk, at + sizeof(in), (1LL << 30) - at - sizeof(in));
    blk_unref(blk);
    mem_image_delete("far");
}

/* The largest buffer, written at its very end only */
static void test_write_at_end_of_largest_buffer(void **state)
{
    uint8_t in[512];
    int64_t end = (int64_t)MEM_IMAGE_MAX_SIZE;
    BlockBackend *blk;

    fill_pattern(in, sizeof(in), 2);
    mem_image_set("max", NULL, MEM_IMAGE_MAX_SIZE, &error_abort);
    blk = open_mem("max", RW);
    track_allocations();
    assert_int_equal(blk_pwrite(blk, end - 512, 512, in, 0), 0);
    assert_int_equal(blk_pwrite(blk, end / 2 + 1, 512, in, 0), 0);
    stop_tracking();
    assert_true(alloc_total <= 512 * 1024);
    expect_read(blk, end - 512, in, 512);
    expect_read(blk, end / 2 + 1, in, 512);
    expect_zero(blk, end - 512 - 65536, 65536);
    blk_unref(blk);
    mem_image_delete("max");
}

/*
 * Random unaligned writes, zero writes, discards and reads over a few
 * hundred KiB checked against a plain copy: every chunk border and every
 * mix of backed and unbacked chunks is crossed
 */
static void test_unaligned_io_matches_a_model(void **state)
{
    enum { LEN = 600 * 1024 + 333 };
    g_autofree uint8_t *model = g_malloc0(LEN);
    g_autofree uint8_t *data = g_malloc(LEN);
    uint32_t rnd = 12345;
    BlockBackend *blk;

    mem_image_set_sparse("model", NULL, 0, LEN, &error_abort);
    blk = open_mem("model", RW);
    for (int i = 0; i < 400; i++) {
        uint64_t off, len;

        rnd = rnd * 1103515245 + 12345;
        off = (rnd >> 8) % LEN;
        rnd = rnd * 1103515245 + 12345;
        len = MIN((uint64_t)(rnd >> 8) % (150 * 1024) + 1, LEN - off);
        switch (i % 5) {
        case 0:
        case 1:
            fill_pattern(data, len, i);
            assert_int_equal(blk_pwrite(blk, off, len, data, 0), 0);
            memcpy(model + off, data, len);
            break;
        case 2:
            assert_int_equal(blk_pwrite_zeroes(blk, off, len,
                                               i & 8 ? BDRV_REQ_MAY_UNMAP : 0),
                             0);
            memset(model + off, 0, len);
            break;
        case 3:
            if (off % 512 == 0 && len % 512 == 0) {
                assert_int_equal(blk_pdiscard(blk, off, len), 0);
                memset(model + off, 0, len);
            }
            break;
        default:
            expect_read(blk, off, model + off, len);
        }
    }
    expect_read(blk, 0, model, LEN);
    blk_unref(blk);
    mem_image_delete("model");
}

/* A shrink to the middle of a chunk, then a growth: zeroes past the cut */
static void test_truncate_shrink_grow_reads_zero(void **state)
{
    enum { LEN = 300 * 1024 };
    g_autofree uint8_t *data = g_malloc(LEN);
    BlockBackend *blk;

    fill_pattern(data, LEN, 3);
    for (int flat = 0; flat < 2; flat++) {
        mem_image_set("tsg", data, LEN, &error_abort);
        blk = open_mem("tsg", RW);
        if (flat) {
            assert_non_null(mem_image_get("tsg", NULL));
        }
        truncate_to(blk, 70001);
        truncate_to(blk, 4 * 1024 * 1024);
        expect_read(blk, 0, data, 70001);
        expect_zero(blk, 70001, 4 * 1024 * 1024 - 70001);
        /* Written again past the cut: only what is written comes back */
        assert_int_equal(blk_pwrite(blk, 200000, 10, data, 0), 0);
        expect_zero(blk, 70001, 200000 - 70001);
        expect_read(blk, 200000, data, 10);
        expect_zero(blk, 200010, 100000);
        truncate_to(blk, 0);
        truncate_to(blk, 8192);
        expect_zero(blk, 0, 8192);
        blk_unref(blk);
        mem_image_delete("tsg");
    }
}

/*
 * The contiguous view has every byte of a sparse buffer, and the same
 * pointer shows what is written, zeroed and discarded through the driver
 * afterwards, until the buffer's length changes
 */
static void test_get_after_sparse_writes(void **state)
{
    enum { LEN = 4 * 1024 * 1024 };
    uint8_t in[5000];
    const uint8_t *img, *again;
    BlockBackend *blk;
    size_t len = 0;

    fill_pattern(in, sizeof(in), 4);
    mem_image_set_sparse("view", in, 100, LEN, &error_abort);
    blk = open_mem("view", RW);
    assert_int_equal(blk_pwrite(blk, 3 * 1024 * 1024 - 7, sizeof(in), in, 0),
                     0);
    assert_int_equal(blk_pwrite(blk, 65536 - 100, sizeof(in), in, 0), 0);

    img = mem_image_get("view", &len);
    assert_non_null(img);
    assert_int_equal(len, LEN);
    assert_memory_equal(img, in, 100);
    assert_true(buffer_is_zero(img + 100, 65536 - 200));
    assert_memory_equal(img + 65536 - 100, in, sizeof(in));
    assert_memory_equal(img + 3 * 1024 * 1024 - 7, in, sizeof(in));
    assert_true(buffer_is_zero(img + 3 * 1024 * 1024 - 7 + sizeof(in),
                               LEN - 3 * 1024 * 1024 + 7 - sizeof(in)));

    /* Later writes land in the same bytes */
    assert_int_equal(blk_pwrite(blk, 2 * 1024 * 1024 + 1, sizeof(in), in, 0),
                     0);
    assert_memory_equal(img + 2 * 1024 * 1024 + 1, in, sizeof(in));
    assert_int_equal(blk_pwrite_zeroes(blk, 65536, 4096, BDRV_REQ_MAY_UNMAP),
                     0);
    assert_true(buffer_is_zero(img + 65536, 4096));
    assert_int_equal(img[65536 + 4096], in[4196]);
    assert_int_equal(blk_pdiscard(blk, 0, 65536), 0);
    assert_true(buffer_is_zero(img, 65536));
    assert_int_equal(blk_pwrite(blk, 5, 3, in, 0), 0);
    assert_memory_equal(img + 5, in, 3);
    again = mem_image_get("view", NULL);
    assert_ptr_equal(again, img);
    expect_read(blk, 2 * 1024 * 1024 + 1, in, sizeof(in));

    /* After a growth and a write past the old end, a new view has it all */
    truncate_to(blk, LEN + 100000);
    assert_int_equal(blk_pwrite(blk, LEN + 1000, sizeof(in), in, 0), 0);
    img = mem_image_get("view", &len);
    assert_int_equal(len, LEN + 100000);
    assert_memory_equal(img + 5, in, 3);
    assert_memory_equal(img + 2 * 1024 * 1024 + 1, in, sizeof(in));
    assert_true(buffer_is_zero(img + LEN, 1000));
    assert_memory_equal(img + LEN + 1000, in, sizeof(in));
    assert_true(buffer_is_zero(img + LEN + 1000 + sizeof(in),
                               100000 - 1000 - sizeof(in)));
    blk_unref(blk);
    mem_image_delete("view");
}

/* Zero writes and discards over whole chunks free them; partial ones zero */
static void test_zero_whole_and_partial_chunks(void **state)
{
    enum { LEN = 1024 * 1024 };
    g_autofree uint8_t *data = g_malloc(LEN);
    BlockBackend *blk;

    fill_pattern(data, LEN, 5);
    mem_image_set("zc", data, LEN, &error_abort);
    blk = open_mem("zc", RW);
    assert_int_equal(blk_pwrite_zeroes(blk, 100, 300 * 1024,
                                       BDRV_REQ_MAY_UNMAP), 0);
    assert_int_equal(blk_pdiscard(blk, 512 * 1024 - 512, 200 * 1024 + 1024),
                     0);
    assert_int_equal(blk_pwrite_zeroes(blk, LEN - 1000, 999, 0), 0);
    expect_read(blk, 0, data, 100);
    expect_zero(blk, 100, 300 * 1024);
    expect_read(blk, 100 + 300 * 1024, data + 100 + 300 * 1024,
                512 * 1024 - 512 - 100 - 300 * 1024);
    expect_zero(blk, 512 * 1024 - 512, 200 * 1024 + 1024);
    expect_read(blk, 712 * 1024 + 512, data + 712 * 1024 + 512,
                LEN - 1000 - 712 * 1024 - 512);
    expect_zero(blk, LEN - 1000, 999);
    expect_read(blk, LEN - 1, data + LEN - 1, 1);

    /* The memory of the whole chunks went: writing there allocates again */
    track_allocations();
    assert_int_equal(blk_pwrite(blk, 128 * 1024, 512, data, 0), 0);
    stop_tracking();
    assert_true(alloc_count > 0);
    expect_read(blk, 128 * 1024, data, 512);
    expect_zero(blk, 128 * 1024 + 512, 64 * 1024);
    blk_unref(blk);
    mem_image_delete("zc");
}

/* A sparse set copies its prefix, and all-zero chunks of it not at all */
static void test_set_sparse_allocates_the_data_only(void **state)
{
    enum { SIZE = 1024 * 1024, LEN = 64 * 1024 * 1024 };
    g_autofree uint8_t *data = g_malloc0(SIZE);
    BlockBackend *blk;

    fill_pattern(data, 100, 6);
    fill_pattern(data + SIZE - 10, 10, 7);
    track_allocations();
    mem_image_set_sparse("pre", data, SIZE, LEN, &error_abort);
    stop_tracking();
    assert_true(alloc_total <= 256 * 1024);
    blk = open_mem("pre", RW);
    expect_read(blk, 0, data, SIZE);
    expect_zero(blk, SIZE, LEN - SIZE);
    blk_unref(blk);
    mem_image_delete("pre");
}

/*
 * Small data is set in one allocation, not one per chunk; zero writes,
 * writes past it, a shrink and a regrowth then behave as on chunks
 */
static void test_small_set_is_one_allocation(void **state)
{
    enum { SIZE = 64 * 1024 + 100, LEN = 1024 * 1024 };
    g_autofree uint8_t *data = g_malloc(SIZE);
    BlockBackend *blk;

    fill_pattern(data, SIZE, 11);
    memset(data + 8192, 0, 4096);
    track_allocations();
    mem_image_set_sparse("small", data, SIZE, LEN, &error_abort);
    stop_tracking();
    /* The leaf table and the data (in chunks: those, a leaf, 16 chunks) */
    assert_true(alloc_count <= 2);
    blk = open_mem("small", RW);
    expect_read(blk, 0, data, SIZE);
    expect_zero(blk, SIZE, LEN - SIZE);
    assert_int_equal(blk_pwrite_zeroes(blk, 4096, 8192, BDRV_REQ_MAY_UNMAP),
                     0);
    assert_int_equal(blk_pwrite(blk, SIZE - 50, 5000, data, 0), 0);
    expect_read(blk, 0, data, 4096);
    expect_zero(blk, 4096, 8192);
    expect_read(blk, 12288, data + 12288, SIZE - 50 - 12288);
    expect_read(blk, SIZE - 50, data, 5000);
    expect_zero(blk, SIZE + 4950, LEN - SIZE - 4950);
    truncate_to(blk, 1000);
    truncate_to(blk, LEN);
    expect_read(blk, 0, data, 1000);
    expect_zero(blk, 1000, LEN - 1000);
    blk_unref(blk);
    mem_image_delete("small");
}

/* Asking whether a buffer exists copies nothing, however large it is */
static void test_exists_copies_nothing(void **state)
{
    uint8_t in[512];

    fill_pattern(in, sizeof(in), 9);
    mem_image_set_sparse("big", in, sizeof(in), 1024 * 1024 * 1024,
                         &error_abort);
    track_allocations();
    assert_true(mem_image_exists("big"));
    assert_false(mem_image_exists("small"));
    assert_false(mem_image_exists(NULL));
    stop_tracking();
    assert_int_equal(alloc_total, 0);
    mem_image_delete("big");
    assert_false(mem_image_exists("big"));
}

/* No memory: the request fails with -ENOMEM and nothing else changes */
static void test_allocation_failure_is_an_error(void **state)
{
    uint8_t in[512];
    BlockBackend *blk;
    Error *err = NULL;
    int64_t len;

    fill_pattern(in, sizeof(in), 8);
    mem_image_set_sparse("oom", in, sizeof(in), 8 * 1024 * 1024,
                         &error_abort);
    blk = open_mem("oom", RW);

    alloc_fail = true;
    assert_int_equal(blk_pwrite(blk, 5 * 1024 * 1024, sizeof(in), in, 0),
                     -ENOMEM);
    assert_null(mem_image_get("oom", NULL));
    len = blk_truncate(blk, 3LL << 30, true, PREALLOC_MODE_OFF, 0, &err);
    assert_int_equal(len, -ENOMEM);
    error_free(err);
    err = NULL;
    assert_int_equal(mem_image_set("oom2", in, sizeof(in), &err), -ENOMEM);
    assert_non_null(err);
    error_free(err);
    alloc_fail = false;

    assert_int_equal(blk_getlength(blk), 8 * 1024 * 1024);
    expect_read(blk, 0, in, sizeof(in));
    expect_zero(blk, sizeof(in), 8 * 1024 * 1024 - sizeof(in));
    assert_null(mem_image_get("oom2", NULL));
    assert_int_equal(blk_pwrite(blk, 5 * 1024 * 1024, sizeof(in), in, 0), 0);
    expect_read(blk, 5 * 1024 * 1024, in, sizeof(in));
    assert_non_null(mem_image_get("oom", NULL));
    blk_unref(blk);
    mem_image_delete("oom");
}

/* ---- requests from IOThreads ------------------------------------------ */

enum { MT_REQS = 64, MT_LEN = 6000 };

typedef struct MtReq {
    uint8_t buf[MT_LEN];
    QEMUIOVector qiov;
    int ret;
    bool done;          /* atomic: set in an IOThread */
} MtReq;

static void mt_req_cb(void *opaque, int ret)
{
    MtReq *r = opaque;

    r->ret = ret;
    qatomic_store_release(&r->done, true);
}

static bool mt_all_done(MtReq *reqs, int n)
{
    for (int i = 0; i < n; i++) {
        if (!qatomic_load_acquire(&reqs[i].done)) {
            return false;
        }
    }
    return true;
}

typedef struct MtSubmit {
    BlockBackend *blk;
    MtReq *reqs;
    int first;          /* this thread's requests: first, first + 2, ... */
} MtSubmit;

/* In an IOThread: submit its writes there, so that both threads run them */
static void mt_submit_bh(void *opaque)
{
    MtSubmit *sub = opaque;

    for (int i = sub->first; i < 2 * MT_REQS; i += 2) {
        MtReq *r = &sub->reqs[i];

        blk_aio_pwritev(sub->blk, (int64_t)i * MT_LEN, &r->qiov, 0,
                        mt_req_cb, r);
    }
}

/*
 * Two nodes on one buffer, each in its own IOThread, write interleaved
 * ranges that share chunks and leaves at the same time: the buffer's
 * mutex orders the backing of chunks (TSan checks it in the tsan build)
 */
static void test_writes_from_two_iothreads(void **state)
{
    g_autofree MtReq *reqs = g_new0(MtReq, 2 * MT_REQS);
    IOThread *iot[2];
    BlockBackend *blk[2];
    MtSubmit sub[2];

    mem_image_set_sparse("mt", NULL, 0, 8 * 1024 * 1024, &error_abort);
    for (int t = 0; t < 2; t++) {
        iot[t] = iothread_create(NULL, &error_abort);
        blk[t] = open_mem("mt", RW);
        assert_int_equal(blk_set_aio_context(blk[t],
                                             iothread_get_aio_context(iot[t]),
                                             &error_abort), 0);
    }
    for (int i = 0; i < 2 * MT_REQS; i++) {
        fill_pattern(reqs[i].buf, MT_LEN, i);
        qemu_iovec_init_buf(&reqs[i].qiov, reqs[i].buf, MT_LEN);
    }
    for (int t = 0; t < 2; t++) {
        sub[t] = (MtSubmit){ .blk = blk[t], .reqs = reqs, .first = t };
        aio_bh_schedule_oneshot(iothread_get_aio_context(iot[t]),
                                mt_submit_bh, &sub[t]);
    }
    AIO_WAIT_WHILE(qemu_get_aio_context(), !mt_all_done(reqs, 2 * MT_REQS));
    for (int i = 0; i < 2 * MT_REQS; i++) {
        assert_int_equal(reqs[i].ret, 0);
        expect_read(blk[(i + 1) % 2], (int64_t)i * MT_LEN, reqs[i].buf,
                    MT_LEN);
    }
    for (int t = 0; t < 2; t++) {
        assert_int_equal(blk_set_aio_context(blk[t], qemu_get_aio_context(),
                                             &error_abort), 0);
        blk_unref(blk[t]);
        iothread_destroy(iot[t]);
    }
    mem_image_delete("mt");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_write_far_past_backed_data),
        T(test_write_at_end_of_largest_buffer),
        T(test_unaligned_io_matches_a_model),
        T(test_truncate_shrink_grow_reads_zero),
        T(test_get_after_sparse_writes),
        T(test_zero_whole_and_partial_chunks),
        T(test_set_sparse_allocates_the_data_only),
        T(test_small_set_is_one_allocation),
        T(test_exists_copies_nothing),
        T(test_allocation_failure_is_an_error),
        T(test_writes_from_two_iothreads),
    };

    return test_common_run_group(tests, test_common_group_setup,
                                 test_common_group_teardown_mem);
}
