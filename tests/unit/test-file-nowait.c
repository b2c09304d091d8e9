/*
 * The file driver's RWF_NOWAIT fast path (include/block/file.h): data is
 * right whichever way a request goes, what the kernel cannot do at once
 * falls back to the thread pool (injected with file_nowait_set_mode), and
 * neither O_DIRECT nor deterministic mode takes the fast path. O_DIRECT
 * reads go through io_uring, short ones finish in the pool.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <liburing.h>

#include "block/file.h"
#include "util/sched.h"
#include "test-common.h"

#define FILE_LEN (256 * 1024)

static char *path;

/* FILE_LEN bytes, byte i being (i * 7 + i / 4096) & 0xff; in the page cache */
static uint8_t pattern_at(int64_t i)
{
    return (uint8_t)((i * 7 + i / 4096) & 0xff);
}

static void make_pattern_file(void)
{
    g_autofree uint8_t *buf = g_malloc(FILE_LEN);
    int fd;

    for (int64_t i = 0; i < FILE_LEN; i++) {
        buf[i] = pattern_at(i);
    }
    fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, buf, FILE_LEN, 0), FILE_LEN);
    /* Read it back once: now it is certainly cached */
    assert_int_equal(pread(fd, buf, FILE_LEN, 0), FILE_LEN);
    close(fd);
}

static BlockBackend *open_blk(int flags)
{
    return test_common_blk_open("file", path, NULL, flags, &error_abort);
}

static void check_pattern(const uint8_t *buf, int64_t offset, int64_t len)
{
    for (int64_t i = 0; i < len; i++) {
        if (buf[i] != pattern_at(offset + i)) {
            fail_msg("byte %" PRId64 " is 0x%02x, expected 0x%02x",
                     offset + i, buf[i], pattern_at(offset + i));
        }
    }
}

/* Read [offset, offset + 3 * 4096 + 100) into a three-piece vector */
static void read_vectored(BlockBackend *blk, int64_t offset)
{
    g_autofree uint8_t *buf = g_malloc0(3 * 4096 + 100);
    QEMUIOVector qiov;

    qemu_iovec_init(&qiov, 3);
    qemu_iovec_add(&qiov, buf, 1000);
    qemu_iovec_add(&qiov, buf + 1000, 4096);
    qemu_iovec_add(&qiov, buf + 5096, 3 * 4096 + 100 - 5096);
    assert_int_equal(blk_preadv(blk, offset, qiov.size, &qiov, 0), 0);
    check_pattern(buf, offset, qiov.size);
    qemu_iovec_destroy(&qiov);
}

static FileNowaitStats stats_reset(void)
{
    FileNowaitStats st;

    file_nowait_get_stats(&st, true);
    return st;
}

static FileNowaitStats stats_now(void)
{
    FileNowaitStats st;

    file_nowait_get_stats(&st, false);
    return st;
}

/* A vectored read at @offset in @mode: the fast path's counters for it */
static FileNowaitStats read_in_mode(FileNowaitMode mode, int64_t offset)
{
    BlockBackend *blk = open_blk(0);
    FileNowaitStats st;

    file_nowait_set_mode(mode);
    stats_reset();
    read_vectored(blk, offset);
    st = stats_now();
    blk_unref(blk);
    return st;
}

static void test_nowait_cached_read_done_in_coroutine(void **state)
{
    FileNowaitStats st = read_in_mode(FILE_NOWAIT_AUTO, 4096 - 1000);

    assert_int_equal(st.fast, 1);
    assert_int_equal(st.fallback, 0);
}

static void test_nowait_eagain_falls_back_to_pool(void **state)
{
    FileNowaitStats st = read_in_mode(FILE_NOWAIT_EAGAIN, 12345);

    assert_int_equal(st.fast, 0);
    assert_int_equal(st.fallback, 1);
}

static void test_nowait_partial_transfer_continues_in_pool(void **state)
{
    BlockBackend *blk = open_blk(BDRV_O_RDWR);
    uint8_t out[3 * 4096 + 100], in[sizeof(out)];
    FileNowaitStats st;

    /* The first 512 bytes move in the coroutine, the rest in a worker */
    file_nowait_set_mode(FILE_NOWAIT_SHORT);
    stats_reset();
    read_vectored(blk, 512);
    for (size_t i = 0; i < sizeof(out); i++) {
        out[i] = (uint8_t)(0xa0 ^ i);
    }
    assert_int_equal(blk_pwrite(blk, 8192, sizeof(out), out, 0), 0);
    st = stats_now();
    assert_int_equal(st.fast, 0);
    assert_int_equal(st.fallback, 2);

    file_nowait_set_mode(FILE_NOWAIT_OFF);
    assert_int_equal(blk_pread(blk, 8192, sizeof(in), in, 0), 0);
    assert_memory_equal(in, out, sizeof(out));
    blk_unref(blk);
}

static void test_nowait_off_goes_to_pool_only(void **state)
{
    FileNowaitStats st = read_in_mode(FILE_NOWAIT_OFF, 0);

    assert_int_equal(st.fast + st.fallback, 0);
}

/* A write either works in the coroutine or falls back: data is right */
static void test_nowait_write_reads_back(void **state)
{
    BlockBackend *blk = open_blk(BDRV_O_RDWR);
    uint8_t out[4096], in[4096];
    FileNowaitStats st;
    int fd;

    memset(out, 0x5c, sizeof(out));
    stats_reset();
    assert_int_equal(blk_pwrite(blk, 4096, sizeof(out), out, 0), 0);
    st = stats_now();
    /* Tried once (ext4 refuses buffered NOWAIT writes: then a fallback) */
    assert_int_equal(st.fast + st.fallback, 1);
    fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(pread(fd, in, sizeof(in), 4096), sizeof(in));
    close(fd);
    assert_memory_equal(in, out, sizeof(in));
    blk_unref(blk);
}

/* Past the end of the file: zeroes, in the fast path too */
static void test_nowait_read_past_eof_is_zeroes(void **state)
{
    BlockBackend *blk;
    uint8_t buf[1024];
    int fd = open(path, O_RDWR);

    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, FILE_LEN - 100), 0);
    close(fd);
    blk = open_blk(0);
    memset(buf, 0xff, sizeof(buf));
    stats_reset();
    /* The node is rounded up to whole sectors: the last 100 bytes read 0 */
    assert_int_equal(blk_pread(blk, FILE_LEN - 1024, 1024, buf, 0), 0);
    check_pattern(buf, FILE_LEN - 1024, 924);
    assert_true(buffer_is_zero(buf + 924, 100));
    assert_int_equal(stats_now().fast, 1);
    blk_unref(blk);
}

static void test_nowait_never_in_deterministic_mode(void **state)
{
    FileNowaitStats st;

    sched_set_deterministic(5);
    st = read_in_mode(FILE_NOWAIT_AUTO, 100);
    sched_set_realtime();
    assert_int_equal(st.fast + st.fallback, 0);
}

/* Does this system let a process set up an io_uring? */
static bool uring_usable(void)
{
    struct io_uring ring;

    if (io_uring_queue_init(4, &ring, 0) < 0) {
        return false;
    }
    io_uring_queue_exit(&ring);
    return true;
}

/*
 * An O_DIRECT read of [offset, offset + len) through a backend, the file
 * ending at @end: the fast path's counters
 */
static FileNowaitStats direct_read(int64_t offset, int64_t len, int64_t end)
{
    int64_t data = MIN(len, end - offset);
    BlockBackend *blk;
    g_autofree uint8_t *buf = NULL;
    FileNowaitStats st;
    int fd = open(path, O_RDONLY | O_DIRECT);

    if (fd < 0) {
        skip();     /* e.g. tmpfs */
    }
    close(fd);
    blk = open_blk(BDRV_O_NOCACHE);
    assert_int_equal(posix_memalign((void **)&buf, 4096, len), 0);
    stats_reset();
    assert_int_equal(blk_pread(blk, offset, len, buf, 0), 0);
    st = stats_now();
    check_pattern(buf, offset, data);
    assert_true(buffer_is_zero(buf + data, len - data));
    blk_unref(blk);
    return st;
}

static void test_direct_read_goes_through_uring(void **state)
{
    FileNowaitStats st = direct_read(4096, 8192, FILE_LEN);

    /* No RWF_NOWAIT attempt: it would wait for the device */
    assert_int_equal(st.fast + st.fallback, 0);
    assert_int_equal(st.uring, uring_usable() ? 1 : 0);
}

static void test_direct_read_uring_off_uses_pool(void **state)
{
    FileNowaitStats st;

    file_uring_set_enabled(false);
    st = direct_read(8192, 4096, FILE_LEN);
    assert_int_equal(st.fast + st.fallback + st.uring, 0);
}

/* Past the end of the file io_uring stops short; the pool zero-fills */
static void test_direct_read_short_at_eof_continues_in_pool(void **state)
{
    FileNowaitStats st;
    int fd = open(path, O_RDWR);

    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, FILE_LEN - 1000), 0);
    close(fd);
    /* The node ends at the next 512 bytes: FILE_LEN - 512 */
    st = direct_read(FILE_LEN - 8192, 8192 - 512, FILE_LEN - 1000);
    assert_int_equal(st.uring, uring_usable() ? 1 : 0);
}

static void test_direct_read_no_uring_in_deterministic_mode(void **state)
{
    FileNowaitStats st;

    sched_set_deterministic(6);
    st = direct_read(0, 4096, FILE_LEN);
    sched_set_realtime();
    assert_int_equal(st.uring, 0);
}

static int nowait_setup(void **state)
{
    make_pattern_file();
    file_nowait_set_mode(FILE_NOWAIT_AUTO);
    return test_common_setup(state);
}

static int nowait_teardown(void **state)
{
    file_nowait_set_mode(FILE_NOWAIT_AUTO);
    file_uring_set_enabled(true);
    sched_set_realtime();
    return test_common_teardown(state);
}

static int group_setup(void **state)
{
    test_common_init(TEST_COMMON_NO_BACKEND);
    assert_int_equal(test_common_tmp_dir_create("file-nowait"), 0);
    path = tmp_path("image");
    return 0;
}

static int group_teardown(void **state)
{
    g_free(path);
    test_common_tmp_dir_remove();
    return 0;
}

#define TN(fn) cmocka_unit_test_setup_teardown(fn, nowait_setup, nowait_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        TN(test_nowait_cached_read_done_in_coroutine),
        TN(test_nowait_eagain_falls_back_to_pool),
        TN(test_nowait_partial_transfer_continues_in_pool),
        TN(test_nowait_off_goes_to_pool_only),
        TN(test_nowait_write_reads_back),
        TN(test_nowait_read_past_eof_is_zeroes),
        TN(test_nowait_never_in_deterministic_mode),
        TN(test_direct_read_goes_through_uring),
        TN(test_direct_read_uring_off_uses_pool),
        TN(test_direct_read_short_at_eof_continues_in_pool),
        TN(test_direct_read_no_uring_in_deterministic_mode),
    };

    return test_common_run_group(tests, group_setup, group_teardown);
}
