/*
 * Reads, writes and flushes of the "file" protocol through io_uring, on
 * liburing: the device works while the event loop runs, and no worker
 * thread has to wake up and sleep per request.
 *
 * One ring per thread, created on first use. While it has requests out,
 * the ring's fd (readable while completions wait) is a handler of the
 * AioContext that submitted the first of them; a request from another
 * context meanwhile, one past the ring's size, or any failure to set the
 * ring up, goes to the thread pool instead (-ENOTSUP). The handler is
 * removed when the last request completes, so an idle ring leaves no fd in
 * any context. Requests are queued in the ring and submitted together by
 * a bottom half, one system call per event-loop iteration.
 *
 * If the kernel refuses a submission, the requests it did not take go to
 * the pool and the ring is retired: their entries stay unconsumed in it
 * (nothing submits from it again, so the kernel never reads them), and it
 * is torn down once its last request completes; the thread's next request
 * sets up a fresh one.
 *
 * By default only O_DIRECT reads come here; aio=io_uring sends every read,
 * write and flush (file-io.c).
 *
 * Built with DRYDOCK_NO_LIBURING (scripts/oss-fuzz-build, on a builder
 * image without liburing), every request uses the pool and aio=io_uring
 * fails the open saying so: never silently another mode.
 */
#include "file-int.h"
#include "block/file.h"

#ifndef DRYDOCK_NO_LIBURING
#include <liburing.h>
#include <pthread.h>

#define FILE_URING_ENTRIES 128

typedef struct FileUringReq {
    Coroutine *co;
    int res;
    bool done;
} FileUringReq;

typedef struct FileUring {
    struct io_uring ring;
    bool ready;                 /* the ring is set up */
    bool tried;                 /* set-up attempted (failed: !ready) */
    bool retired;               /* a submission was refused: no new ones */
    int setup_errno;
    unsigned inflight;          /* queued or submitted, not completed */
    unsigned queued;            /* in the ring, not yet submitted */
    /* the queued requests, in ring order (the kernel takes a prefix) */
    FileUringReq *queue[FILE_URING_ENTRIES];
    AioContext *ctx;            /* where the handler is, while inflight */
    bool bh_scheduled;          /* the submitting bottom half is due */
} FileUring;

static __thread FileUring file_uring_tls;
static bool file_uring_disabled;
static pthread_key_t file_uring_key;
static pthread_once_t file_uring_key_once = PTHREAD_ONCE_INIT;

static uint64_t file_uring_enters;

void file_uring_set_enabled(bool enabled)
{
    qatomic_set(&file_uring_disabled, !enabled);
    if (enabled && file_uring_tls.tried && !file_uring_tls.ready) {
        file_uring_tls.tried = false;
    }
}

uint64_t file_uring_submit_calls(void)
{
    return qatomic_read(&file_uring_enters);
}

/* This thread's ring (TLS through a call: coroutines move between threads) */
__attribute__((noinline)) static FileUring *file_uring_get(void)
{
    return &file_uring_tls;
}

/* Thread exit: the ring goes (it has nothing in flight: nobody waits) */
static void file_uring_thread_exit(void *opaque)
{
    FileUring *u = opaque;

    if (u->ready) {
        io_uring_queue_exit(&u->ring);
        u->ready = false;
    }
}

static void file_uring_key_init(void)
{
    pthread_key_create(&file_uring_key, file_uring_thread_exit);
}

/* Set the thread's ring up once; false if io_uring is unusable here */
static bool file_uring_setup(FileUring *u)
{
    int ret;

    if (u->tried) {
        return u->ready;
    }
    u->tried = true;
    ret = io_uring_queue_init(FILE_URING_ENTRIES, &u->ring, 0);
    if (ret < 0) {
        u->setup_errno = -ret;
        return false;
    }
    u->ready = true;
    pthread_once(&file_uring_key_once, file_uring_key_init);
    pthread_setspecific(file_uring_key, u);
    return true;
}

/* One request is over: the handler goes with the last one, and a retired
 * ring with it */
static void file_uring_complete_one(FileUring *u, FileUringReq *req)
{
    if (--u->inflight == 0) {
        aio_set_fd_handler(u->ctx, u->ring.ring_fd, NULL, NULL, NULL);
        u->ctx = NULL;
        if (u->retired) {
            io_uring_queue_exit(&u->ring);
            u->ready = u->tried = u->retired = false;
        }
    }
    aio_co_wake(req->co);
}

/* The ring fd's handler: wake the coroutine of every completion */
static void file_uring_completions(void *opaque)
{
    FileUring *u = opaque;
    struct io_uring_cqe *cqe;

    /* A wake may retire the ring's last request: it is gone then */
    while (u->ready && io_uring_peek_cqe(&u->ring, &cqe) == 0) {
        FileUringReq *req = io_uring_cqe_get_data(cqe);

        req->res = cqe->res;
        req->done = true;
        io_uring_cqe_seen(&u->ring, cqe);
        file_uring_complete_one(u, req);
    }
}

/*
 * Submit every queued entry (a bottom half: once per event-loop iteration
 * however many requests were queued in it). If the kernel refuses, the
 * requests it did not take are woken with -ENOTSUP (they go to the thread
 * pool) and the ring is retired.
 */
static void file_uring_submit_queue(void *opaque)
{
    FileUring *u = opaque;
    FileUringReq *refused[FILE_URING_ENTRIES];
    unsigned taken = 0, n;
    int ret;

    u->bh_scheduled = false;
    while (taken < u->queued) {
        ret = io_uring_submit(&u->ring);
        qatomic_inc(&file_uring_enters);
        if (ret > 0) {
            taken += ret;
        } else if (ret != -EINTR) {
            break;
        }
    }
    n = u->queued - MIN(taken, u->queued);
    memcpy(refused, &u->queue[u->queued - n], n * sizeof(refused[0]));
    u->queued = 0;
    if (n) {
        u->retired = true;
    }
    /* Every refused one out of the queue before any wakes (a woken
     * coroutine may come back) */
    for (unsigned i = 0; i < n; i++) {
        refused[i]->res = -ENOTSUP;
        refused[i]->done = true;
        file_uring_complete_one(u, refused[i]);
    }
}

/* Queue one prepared entry; the bottom half submits the iteration's batch */
static void file_uring_queue(FileUring *u, AioContext *ctx,
                             struct io_uring_sqe *sqe, FileUringReq *req)
{
    io_uring_sqe_set_data(sqe, req);
    u->queue[u->queued++] = req;
    if (u->inflight++ == 0) {
        u->ctx = ctx;
        aio_set_fd_handler(ctx, u->ring.ring_fd, file_uring_completions,
                           NULL, u);
    }
    if (!u->bh_scheduled) {
        u->bh_scheduled = true;
        aio_bh_schedule_oneshot(ctx, file_uring_submit_queue, u);
    }
}

/* Run one operation through this thread's ring; -ENOTSUP: use the pool */
static ssize_t coroutine_fn file_uring_op(int op, int fd,
                                          const struct iovec *iov, int niov,
                                          int64_t offset)
{
    FileUring *u = file_uring_get();
    AioContext *ctx = qemu_get_current_aio_context();
    FileUringReq req = { .co = qemu_coroutine_self() };
    struct io_uring_sqe *sqe;

    if (qatomic_read(&file_uring_disabled) || niov > IOV_MAX ||
        !file_uring_setup(u) || u->retired ||
        (u->inflight && u->ctx != ctx) ||
        u->inflight >= FILE_URING_ENTRIES) {
        return -ENOTSUP;
    }
    sqe = io_uring_get_sqe(&u->ring);
    if (!sqe) {
        return -ENOTSUP;
    }
    if (op == IORING_OP_FSYNC) {
        io_uring_prep_fsync(sqe, fd, IORING_FSYNC_DATASYNC);
    } else if (op == IORING_OP_WRITEV) {
        io_uring_prep_writev(sqe, fd, iov, niov, offset);
    } else {
        io_uring_prep_readv(sqe, fd, iov, niov, offset);
    }
    file_uring_queue(u, ctx, sqe, &req);
    /* Woken in this thread: the handler and the bottom half are in ctx */
    qemu_coroutine_yield();
    assert(req.done);
    return req.res;
}

ssize_t coroutine_fn file_uring_rw(int fd, bool is_write,
                                   const struct iovec *iov, int niov,
                                   int64_t offset)
{
    return file_uring_op(is_write ? IORING_OP_WRITEV : IORING_OP_READV,
                         fd, iov, niov, offset);
}

int coroutine_fn file_uring_fdatasync(int fd)
{
    return file_uring_op(IORING_OP_FSYNC, fd, NULL, 0, 0);
}

bool file_uring_usable(Error **errp)
{
    FileUring *u = file_uring_get();

    if (qatomic_read(&file_uring_disabled)) {
        error_setg(errp, "Unable to use io_uring: it is disabled");
        return false;
    }
    if (!file_uring_setup(u)) {
        error_setg(errp, "Unable to use io_uring: the kernel refused to set "
                   "up a ring (%s)", strerror(u->setup_errno));
        return false;
    }
    return true;
}

#else /* DRYDOCK_NO_LIBURING */

void file_uring_set_enabled(bool enabled)
{
}

uint64_t file_uring_submit_calls(void)
{
    return 0;
}

ssize_t coroutine_fn file_uring_rw(int fd, bool is_write,
                                   const struct iovec *iov, int niov,
                                   int64_t offset)
{
    return -ENOTSUP;
}

int coroutine_fn file_uring_fdatasync(int fd)
{
    return -ENOTSUP;
}

bool file_uring_usable(Error **errp)
{
    error_setg(errp, "Unable to use io_uring: this build of drydock has no "
               "liburing");
    return false;
}

#endif
