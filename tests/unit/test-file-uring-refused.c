/*
 * aio=io_uring when the kernel refuses a submission (file-uring.c): the
 * requests it did not take finish in the thread pool with their data, the
 * ones it took complete through the ring, and the thread's next request
 * gets a fresh ring (the refused one is closed: no fd leaks). An
 * interrupted submission is simply retried.
 *
 * The kernel's answers are simulated: this binary is linked with
 * -Wl,--wrap=io_uring_submit (Makefile), so the library's calls land in
 * __wrap_io_uring_submit below.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <liburing.h>

#include "block/file.h"
#include "test-common.h"

#define FILE_LEN (1024 * 1024)
#define NREQ 8

static char *path;

/* What the next submission does: take only this many entries (0: all),
 * then fail the following one with @fail_with (0: no failure) */
static unsigned take_only;
static int fail_with;
static int fail_times;

int __real_io_uring_submit(struct io_uring *ring);
int __wrap_io_uring_submit(struct io_uring *ring);

int __wrap_io_uring_submit(struct io_uring *ring)
{
    unsigned pending = ring->sq.sqe_tail - ring->sq.sqe_head;
    int ret;

    if (take_only && take_only < pending) {
        /* Hide the tail from liburing: the kernel sees only a prefix, and
         * the rest stays where only a later submission would publish it */
        unsigned hidden = pending - take_only;

        ring->sq.sqe_tail -= hidden;
        ret = __real_io_uring_submit(ring);
        ring->sq.sqe_tail += hidden;
        take_only = 0;
        return ret;
    }
    if (fail_times > 0) {
        fail_times--;
        return fail_with;
    }
    return __real_io_uring_submit(ring);
}

static int open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    int n = 0;

    assert_non_null(d);
    while (readdir(d)) {
        n++;
    }
    closedir(d);
    return n;
}

static BlockBackend *open_uring(void)
{
    QDict *opts = qdict_new();

    qdict_put_str(opts, "aio", "io_uring");
    return test_common_blk_open("file", path, opts, BDRV_O_RDWR,
                                &error_abort);
}

typedef struct Batch {
    int done, ret;
} Batch;

static void batch_cb(void *opaque, int ret)
{
    Batch *b = opaque;

    b->done++;
    if (ret < 0) {
        b->ret = ret;
    }
}

/* NREQ writes started in one iteration, then read back; how many went
 * through the ring (*@calls: the submissions they took) */
static uint64_t write_batch(BlockBackend *blk, uint8_t seed, uint64_t *calls)
{
    uint8_t bufs[NREQ][4096], r[4096];
    QEMUIOVector qiov[NREQ];
    FileNowaitStats st;
    Batch b = { 0 };

    file_nowait_get_stats(&st, true);
    *calls = file_uring_submit_calls();
    for (int i = 0; i < NREQ; i++) {
        memset(bufs[i], seed + i, sizeof(bufs[i]));
        qemu_iovec_init_buf(&qiov[i], bufs[i], sizeof(bufs[i]));
        blk_aio_pwritev(blk, i * 4096, &qiov[i], 0, batch_cb, &b);
    }
    for (int n = 0; b.done < NREQ && n < 10000; n++) {
        aio_poll(qemu_get_aio_context(), true);
    }
    assert_int_equal(b.done, NREQ);
    assert_int_equal(b.ret, 0);
    file_nowait_get_stats(&st, true);
    *calls = file_uring_submit_calls() - *calls;
    for (int i = 0; i < NREQ; i++) {
        assert_int_equal(blk_pread(blk, i * 4096, sizeof(r), r, 0), 0);
        assert_memory_equal(r, bufs[i], sizeof(r));
    }
    return st.uring;
}

/* The next batch after a refusal: a fresh ring takes all of it */
static void check_fresh_ring(BlockBackend *blk, int fds_before)
{
    uint64_t calls;

    assert_int_equal(write_batch(blk, 'A', &calls), NREQ);
    assert_int_equal(calls, 1);
    assert_int_equal(open_fds(), fds_before);
}

static void test_refused_batch_goes_to_pool(void **state)
{
    BlockBackend *blk = open_uring();
    int fds = open_fds();
    uint64_t calls;

    fail_with = -EAGAIN;
    fail_times = 1;
    assert_int_equal(write_batch(blk, 'a', &calls), 0);
    assert_int_equal(calls, 1);
    check_fresh_ring(blk, fds);
    blk_unref(blk);
}

/* The kernel takes three and then refuses: those three complete through
 * the ring (after the refusal), the other five in the pool */
static void test_partly_taken_batch(void **state)
{
    BlockBackend *blk = open_uring();
    int fds = open_fds();
    uint64_t calls;

    take_only = 3;
    fail_with = -EBUSY;
    fail_times = 1;
    assert_int_equal(write_batch(blk, 'a', &calls), 3);
    assert_int_equal(calls, 2);
    check_fresh_ring(blk, fds);
    blk_unref(blk);
}

static void test_interrupted_submission_retried(void **state)
{
    BlockBackend *blk = open_uring();
    uint64_t calls;

    fail_with = -EINTR;
    fail_times = 2;
    assert_int_equal(write_batch(blk, 'a', &calls), NREQ);
    assert_int_equal(calls, 3);
    blk_unref(blk);
}

/* A refused flush still flushes (in the pool) and is not an error; the
 * next one goes through a fresh ring */
static void test_refused_flush_goes_to_pool(void **state)
{
    BlockBackend *blk = open_uring();
    uint8_t buf[4096] = { 3 };
    FileNowaitStats st;

    assert_int_equal(blk_pwrite(blk, 0, sizeof(buf), buf, 0), 0);
    file_nowait_get_stats(&st, true);
    fail_with = -EAGAIN;
    fail_times = 1;
    assert_int_equal(blk_flush(blk), 0);
    file_nowait_get_stats(&st, true);
    assert_int_equal(st.uring, 0);
    assert_int_equal(blk_pwrite(blk, 0, sizeof(buf), buf, 0), 0);
    assert_int_equal(blk_flush(blk), 0);
    file_nowait_get_stats(&st, true);
    assert_int_equal(st.uring, 2);
    blk_unref(blk);
}

static int refused_setup(void **state)
{
    g_autofree uint8_t *buf = g_malloc0(FILE_LEN);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);

    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, buf, FILE_LEN, 0), FILE_LEN);
    close(fd);
    take_only = 0;
    fail_with = fail_times = 0;
    file_nowait_set_mode(FILE_NOWAIT_OFF);
    return test_common_setup(state);
}

static int refused_teardown(void **state)
{
    file_nowait_set_mode(FILE_NOWAIT_AUTO);
    return test_common_teardown(state);
}

static int group_setup(void **state)
{
    test_common_init(TEST_COMMON_NO_BACKEND);
    assert_int_equal(test_common_tmp_dir_create("file-uring-refused"), 0);
    path = tmp_path("image");
    return 0;
}

static int group_teardown(void **state)
{
    g_free(path);
    test_common_tmp_dir_remove();
    return 0;
}

#define TR(fn)                                                                 \
    cmocka_unit_test_setup_teardown(fn, refused_setup, refused_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        TR(test_refused_batch_goes_to_pool),
        TR(test_partly_taken_batch),
        TR(test_interrupted_submission_retried),
        TR(test_refused_flush_goes_to_pool),
    };

    return test_common_run_group(tests, group_setup, group_teardown);
}
