/*
 * The file driver's aio=io_uring (include/block/file.h): reads, writes and
 * flushes go through the ring, cached or O_DIRECT; requests queued in one
 * event-loop iteration are submitted together; errors come back as the
 * kernel gave them; more requests than the ring holds overflow into the
 * thread pool; a short read continues in the pool; a node moved to an
 * IOThread uses that thread's ring; a kernel that refuses io_uring_setup
 * fails the open with a clear error, and aio=native is refused. When the
 * kernel refuses a submission, the requests it did not take finish in the
 * thread pool, the ones it took through the ring, and the thread's next
 * request gets a fresh ring (the refused one closed); an interrupted
 * submission is retried.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <liburing.h>
#include <signal.h>
#include <sys/resource.h>

#include "block/file.h"
#include "util/iothread.h"
#include "test-common.h"

#define FILE_LEN (1024 * 1024)

static char *path;

static BlockBackend *open_aio(const char *aio, int flags, Error **errp)
{
    QDict *opts = qdict_new();

    qdict_put_str(opts, "aio", aio);
    return test_common_blk_open("file", path, opts, flags, errp);
}

static FileNowaitStats stats_now(void)
{
    FileNowaitStats st;

    file_nowait_get_stats(&st, true);
    return st;
}

/* Write a pattern, flush, read it back: all three through the ring */
static void rw_flush_through_uring(BlockBackend *blk)
{
    g_autofree uint8_t *w = NULL, *r = NULL;
    FileNowaitStats st;

    assert_int_equal(posix_memalign((void **)&w, 4096, 65536), 0);
    assert_int_equal(posix_memalign((void **)&r, 4096, 65536), 0);
    for (int i = 0; i < 65536; i++) {
        w[i] = (uint8_t)(i * 13 + 1);
    }
    stats_now();
    assert_int_equal(blk_pwrite(blk, 8192, 65536, w, 0), 0);
    assert_int_equal(blk_flush(blk), 0);
    assert_int_equal(blk_pread(blk, 8192, 65536, r, 0), 0);
    st = stats_now();
    assert_memory_equal(w, r, 65536);
    assert_int_equal(st.uring, 3);
}

static void test_uring_cached_rw_flush(void **state)
{
    BlockBackend *blk = open_aio("io_uring", BDRV_O_RDWR, &error_abort);

    /* RWF_NOWAIT off: cached requests would not reach the ring */
    file_nowait_set_mode(FILE_NOWAIT_OFF);
    rw_flush_through_uring(blk);
    blk_unref(blk);
}

static void test_uring_direct_rw_flush(void **state)
{
    int fd = open(path, O_RDONLY | O_DIRECT);
    BlockBackend *blk;

    if (fd < 0) {
        skip();     /* e.g. tmpfs */
    }
    close(fd);
    blk = open_aio("io_uring", BDRV_O_RDWR | BDRV_O_NOCACHE, &error_abort);
    rw_flush_through_uring(blk);
    blk_unref(blk);
}

/* BDRV_O_IO_URING (qemu-io -i io_uring) makes io_uring the default aio;
 * an explicit aio option wins over it */
static void test_uring_flag_is_the_default_aio(void **state)
{
    BlockBackend *blk = test_common_blk_open("file", path, NULL,
                                             BDRV_O_RDWR | BDRV_O_IO_URING,
                                             &error_abort);
    uint8_t buf[4096] = { 1 };

    file_nowait_set_mode(FILE_NOWAIT_OFF);
    rw_flush_through_uring(blk);
    blk_unref(blk);
    blk = open_aio("threads", BDRV_O_RDWR | BDRV_O_IO_URING, &error_abort);
    stats_now();
    assert_int_equal(blk_pwrite(blk, 0, sizeof(buf), buf, 0), 0);
    assert_int_equal(stats_now().uring, 0);
    blk_unref(blk);
}

/* Without aio=io_uring, cached writes and flushes never use the ring */
static void test_threads_does_not_use_uring(void **state)
{
    BlockBackend *blk = open_aio("threads", BDRV_O_RDWR, &error_abort);
    uint8_t buf[4096] = { 1 };

    file_nowait_set_mode(FILE_NOWAIT_OFF);
    stats_now();
    assert_int_equal(blk_pwrite(blk, 0, sizeof(buf), buf, 0), 0);
    assert_int_equal(blk_flush(blk), 0);
    assert_int_equal(stats_now().uring, 0);
    blk_unref(blk);
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

/* Eight requests started in one iteration: one io_uring_enter for all */
static void test_uring_batches_submissions(void **state)
{
    BlockBackend *blk = open_aio("io_uring", BDRV_O_RDWR, &error_abort);
    QEMUIOVector qiov[8];
    uint8_t bufs[8][4096];
    Batch b = { 0 };
    uint64_t calls;

    file_nowait_set_mode(FILE_NOWAIT_OFF);
    for (int i = 0; i < 8; i++) {
        memset(bufs[i], 'a' + i, sizeof(bufs[i]));
        qemu_iovec_init_buf(&qiov[i], bufs[i], sizeof(bufs[i]));
    }
    calls = file_uring_submit_calls();
    stats_now();
    for (int i = 0; i < 8; i++) {
        blk_aio_pwritev(blk, i * 4096, &qiov[i], 0, batch_cb, &b);
    }
    for (int n = 0; b.done < 8 && n < 10000; n++) {
        aio_poll(qemu_get_aio_context(), true);
    }
    assert_int_equal(b.done, 8);
    assert_int_equal(b.ret, 0);
    assert_int_equal(stats_now().uring, 8);
    assert_int_equal(file_uring_submit_calls() - calls, 1);
    for (int i = 0; i < 8; i++) {
        uint8_t r[4096];

        assert_int_equal(blk_pread(blk, i * 4096, sizeof(r), r, 0), 0);
        assert_memory_equal(r, bufs[i], sizeof(r));
    }
    blk_unref(blk);
}

/* Poll the main context until @b has @n completions (or give up) */
static void wait_batch(Batch *b, int n)
{
    for (int i = 0; b->done < n && i < 100000; i++) {
        aio_poll(qemu_get_aio_context(), true);
    }
    assert_int_equal(b->done, n);
}

/*
 * More requests at once than the ring has entries: the ring takes as many
 * as it holds, in one submission, and the rest run in the thread pool;
 * every one completes with its data, and the next request uses the ring.
 */
#define MANY 200
static void test_uring_more_requests_than_ring_entries(void **state)
{
    BlockBackend *blk = open_aio("io_uring", BDRV_O_RDWR, &error_abort);
    g_autofree uint8_t *bufs = g_malloc(MANY * 4096);
    g_autofree uint8_t *r = g_malloc(MANY * 4096);
    QEMUIOVector qiov[MANY];
    Batch b = { 0 };
    FileNowaitStats st;
    uint64_t calls;

    file_nowait_set_mode(FILE_NOWAIT_OFF);
    for (int i = 0; i < MANY; i++) {
        memset(bufs + i * 4096, i + 1, 4096);
        qemu_iovec_init_buf(&qiov[i], bufs + i * 4096, 4096);
    }
    calls = file_uring_submit_calls();
    stats_now();
    for (int i = 0; i < MANY; i++) {
        blk_aio_pwritev(blk, i * 4096, &qiov[i], 0, batch_cb, &b);
    }
    wait_batch(&b, MANY);
    st = stats_now();
    assert_int_equal(b.ret, 0);
    assert_int_equal(st.uring, 128);
    assert_int_equal(file_uring_submit_calls() - calls, 1);
    assert_int_equal(blk_pread(blk, 0, MANY * 4096, r, 0), 0);
    assert_memory_equal(r, bufs, MANY * 4096);
    assert_int_equal(stats_now().uring, 1);
    blk_unref(blk);
}

/*
 * The file shrank under the node: the ring reads up to the new end, the
 * pool continues from there and finds nothing, so the rest reads as zeroes.
 */
static void test_uring_short_read_continues_in_pool(void **state)
{
    BlockBackend *blk = open_aio("io_uring", BDRV_O_RDWR, &error_abort);
    g_autofree uint8_t *w = g_malloc(8192), *r = g_malloc(8192);
    int fd = open(path, O_RDWR);
    FileNowaitStats st;

    file_nowait_set_mode(FILE_NOWAIT_OFF);
    memset(w, 0x5a, 8192);
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, w, 8192, FILE_LEN - 8192), 8192);
    assert_int_equal(ftruncate(fd, FILE_LEN - 1000), 0);
    close(fd);
    stats_now();
    assert_int_equal(blk_pread(blk, FILE_LEN - 8192, 8192, r, 0), 0);
    st = stats_now();
    assert_int_equal(st.uring, 1);
    assert_memory_equal(r, w, 8192 - 1000);
    for (int i = 8192 - 1000; i < 8192; i++) {
        assert_int_equal(r[i], 0);
    }
    blk_unref(blk);
}

/* Reads, writes and flushes mixed in one iteration: all through the ring,
 * woken by the ring's fd while the loop sleeps in aio_poll */
static void test_uring_mixed_batch_completes(void **state)
{
    BlockBackend *blk = open_aio("io_uring", BDRV_O_RDWR, &error_abort);
    uint8_t w[4][4096], r[4][4096];
    QEMUIOVector wq[4], rq[4];
    Batch b = { 0 };

    file_nowait_set_mode(FILE_NOWAIT_OFF);
    for (int i = 0; i < 4; i++) {
        memset(w[i], 0x30 + i, sizeof(w[i]));
        assert_int_equal(blk_pwrite(blk, 65536 + i * 4096, 4096, w[i], 0), 0);
        memset(w[i], 0x40 + i, sizeof(w[i]));
        qemu_iovec_init_buf(&wq[i], w[i], sizeof(w[i]));
        qemu_iovec_init_buf(&rq[i], r[i], sizeof(r[i]));
    }
    stats_now();
    for (int i = 0; i < 4; i++) {
        blk_aio_pwritev(blk, i * 4096, &wq[i], 0, batch_cb, &b);
        blk_aio_preadv(blk, 65536 + i * 4096, &rq[i], 0, batch_cb, &b);
    }
    blk_aio_flush(blk, batch_cb, &b);
    wait_batch(&b, 9);
    assert_int_equal(b.ret, 0);
    assert_int_equal(stats_now().uring, 9);
    for (int i = 0; i < 4; i++) {
        memset(w[i], 0x30 + i, sizeof(w[i]));
        assert_memory_equal(r[i], w[i], sizeof(r[i]));
    }
    blk_unref(blk);
}

/* At RLIMIT_FSIZE the kernel fails the write with EFBIG: so does the node */
static void test_uring_write_error(void **state)
{
    BlockBackend *blk = open_aio("io_uring", BDRV_O_RDWR, &error_abort);
    struct rlimit old, lim;
    uint8_t buf[4096] = { 7 };
    int ret;

    file_nowait_set_mode(FILE_NOWAIT_OFF);
    signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim = (struct rlimit){ .rlim_cur = FILE_LEN / 2,
                           .rlim_max = old.rlim_max };
    stats_now();
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    ret = blk_pwrite(blk, FILE_LEN / 2, sizeof(buf), buf, 0);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    assert_int_equal(ret, -EFBIG);
    assert_int_equal(stats_now().uring, 1);
    blk_unref(blk);
}

/* Moved to an IOThread and back: requests use the ring of each thread */
static void test_uring_moves_between_contexts(void **state)
{
    BlockBackend *blk = open_aio("io_uring", BDRV_O_RDWR, &error_abort);
    IOThread *io = iothread_create("uring-io", &error_abort);

    file_nowait_set_mode(FILE_NOWAIT_OFF);
    rw_flush_through_uring(blk);
    assert_int_equal(blk_set_aio_context(blk, iothread_get_aio_context(io),
                                         &error_abort), 0);
    rw_flush_through_uring(blk);
    assert_int_equal(blk_set_aio_context(blk, qemu_get_aio_context(),
                                         &error_abort), 0);
    rw_flush_through_uring(blk);
    blk_unref(blk);
    iothread_destroy(io);
}

/*
 * With no file descriptor left, io_uring_setup fails (EMFILE): the open
 * fails naming io_uring and the kernel's reason, before any fd is taken.
 * It runs first in its thread (main), whose ring is not set up yet.
 */
static void test_uring_setup_refused(void **state)
{
    struct rlimit old, lim;
    Error *err = NULL;
    BlockBackend *blk;
    int lowest = dup(0);

    assert_true(lowest >= 0);
    close(lowest);
    file_uring_set_enabled(true);
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
    lim = (struct rlimit){ .rlim_cur = lowest, .rlim_max = old.rlim_max };
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &lim), 0);
    blk = open_aio("io_uring", BDRV_O_RDWR, &err);
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
    assert_null(blk);
    test_common_check_error_has(&err, "Unable to use io_uring",
                                "Too many open files", NULL);
    /* Re-enabling retries: the same open now works */
    file_uring_set_enabled(true);
    blk = open_aio("io_uring", BDRV_O_RDWR, &error_abort);
    blk_unref(blk);
}

static void test_uring_disabled_refused(void **state)
{
    Error *err = NULL;

    file_uring_set_enabled(false);
    assert_null(open_aio("io_uring", BDRV_O_RDWR, &err));
    test_common_check_error_has(&err, "Unable to use io_uring", NULL);
}

static void test_aio_native_refused(void **state)
{
    Error *err = NULL;

    assert_null(open_aio("native", BDRV_O_RDWR | BDRV_O_NOCACHE, &err));
    test_common_check_error_has(&err, "'native'", "'io_uring'", NULL);
    assert_null(open_aio("bogus", BDRV_O_RDWR, &err));
    test_common_check_error_has(&err, "Invalid value 'bogus'", NULL);
}

/* ---- refused submissions ---------------------------------------------------
 *
 * The kernel's answers are simulated: this binary is linked with
 * -Wl,--wrap=io_uring_submit (Makefile), so the library's calls land in
 * __wrap_io_uring_submit, which passes them on unless told otherwise.
 */

/* What the next submission does: take only this many entries (0: all);
 * then @fail_times calls fail with @fail_with */
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

#define NREQ 8

/* NREQ writes started in one iteration, then read back; how many went
 * through the ring (*@calls: the submissions they took) */
static uint64_t write_batch(BlockBackend *blk, uint8_t seed, uint64_t *calls)
{
    uint8_t bufs[NREQ][4096], r[4096];
    QEMUIOVector qiov[NREQ];
    FileNowaitStats st;
    Batch b = { 0 };

    stats_now();
    *calls = file_uring_submit_calls();
    for (int i = 0; i < NREQ; i++) {
        memset(bufs[i], seed + i, sizeof(bufs[i]));
        qemu_iovec_init_buf(&qiov[i], bufs[i], sizeof(bufs[i]));
        blk_aio_pwritev(blk, i * 4096, &qiov[i], 0, batch_cb, &b);
    }
    wait_batch(&b, NREQ);
    assert_int_equal(b.ret, 0);
    st = stats_now();
    *calls = file_uring_submit_calls() - *calls;
    for (int i = 0; i < NREQ; i++) {
        assert_int_equal(blk_pread(blk, i * 4096, sizeof(r), r, 0), 0);
        assert_memory_equal(r, bufs[i], sizeof(r));
    }
    return st.uring;
}

/* After a refusal the next batch gets a fresh ring, which takes all of it;
 * the refused ring is closed */
static void check_fresh_ring(BlockBackend *blk, int fds_before)
{
    uint64_t calls;

    assert_int_equal(write_batch(blk, 'A', &calls), NREQ);
    assert_int_equal(calls, 1);
    assert_int_equal(open_fds(), fds_before);
}

static void test_refused_batch_goes_to_pool(void **state)
{
    BlockBackend *blk = open_aio("io_uring", BDRV_O_RDWR, &error_abort);
    int fds = open_fds();
    uint64_t calls;

    file_nowait_set_mode(FILE_NOWAIT_OFF);
    fail_with = -EAGAIN;
    fail_times = 1;
    assert_int_equal(write_batch(blk, 'a', &calls), 0);
    assert_int_equal(calls, 1);
    check_fresh_ring(blk, fds);
    blk_unref(blk);
}

/* The kernel takes three and then refuses: those three complete through
 * the ring (after the refusal), the other five in the pool */
static void test_refused_after_part_of_batch(void **state)
{
    BlockBackend *blk = open_aio("io_uring", BDRV_O_RDWR, &error_abort);
    int fds = open_fds();
    uint64_t calls;

    file_nowait_set_mode(FILE_NOWAIT_OFF);
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
    BlockBackend *blk = open_aio("io_uring", BDRV_O_RDWR, &error_abort);
    uint64_t calls;

    file_nowait_set_mode(FILE_NOWAIT_OFF);
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
    BlockBackend *blk = open_aio("io_uring", BDRV_O_RDWR, &error_abort);
    uint8_t buf[4096] = { 3 };

    file_nowait_set_mode(FILE_NOWAIT_OFF);
    assert_int_equal(blk_pwrite(blk, 0, sizeof(buf), buf, 0), 0);
    stats_now();
    fail_with = -EAGAIN;
    fail_times = 1;
    assert_int_equal(blk_flush(blk), 0);
    assert_int_equal(stats_now().uring, 0);
    assert_int_equal(blk_pwrite(blk, 0, sizeof(buf), buf, 0), 0);
    assert_int_equal(blk_flush(blk), 0);
    assert_int_equal(stats_now().uring, 2);
    blk_unref(blk);
}

static int uring_setup(void **state)
{
    g_autofree uint8_t *buf = g_malloc0(FILE_LEN);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);

    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, buf, FILE_LEN, 0), FILE_LEN);
    close(fd);
    take_only = 0;
    fail_with = fail_times = 0;
    return test_common_setup(state);
}

static int uring_teardown(void **state)
{
    file_nowait_set_mode(FILE_NOWAIT_AUTO);
    file_uring_set_enabled(true);
    return test_common_teardown(state);
}

static int group_setup(void **state)
{
    test_common_init(TEST_COMMON_NO_BACKEND);
    assert_int_equal(test_common_tmp_dir_create("file-uring"), 0);
    path = tmp_path("image");
    return 0;
}

static int group_teardown(void **state)
{
    g_free(path);
    test_common_tmp_dir_remove();
    return 0;
}

#define TU(fn) cmocka_unit_test_setup_teardown(fn, uring_setup, uring_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        TU(test_uring_setup_refused),
        TU(test_uring_cached_rw_flush),
        TU(test_uring_direct_rw_flush),
        TU(test_threads_does_not_use_uring),
        TU(test_uring_flag_is_the_default_aio),
        TU(test_uring_batches_submissions),
        TU(test_uring_more_requests_than_ring_entries),
        TU(test_uring_short_read_continues_in_pool),
        TU(test_uring_mixed_batch_completes),
        TU(test_uring_write_error),
        TU(test_uring_moves_between_contexts),
        TU(test_uring_disabled_refused),
        TU(test_aio_native_refused),
        TU(test_refused_batch_goes_to_pool),
        TU(test_refused_after_part_of_batch),
        TU(test_interrupted_submission_retried),
        TU(test_refused_flush_goes_to_pool),
    };

    return test_common_run_group(tests, group_setup, group_teardown);
}
