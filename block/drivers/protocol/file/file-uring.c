/*
 * O_DIRECT reads and writes of the "file" protocol through io_uring, with
 * the raw system calls (no liburing): the device works while the event
 * loop runs, and no worker thread has to wake up and sleep per request.
 *
 * One ring per thread, created on first use. While it has requests out,
 * its eventfd is a handler of the AioContext that submitted the first of
 * them; a request from another context meanwhile, or any failure to set
 * the ring up, goes to the thread pool instead (-ENOTSUP). The handler is
 * removed when the last request completes, so an idle ring leaves no fd
 * in any context. Requests are queued in the ring and submitted together
 * by a bottom half, one system call per event-loop iteration.
 *
 * By default only O_DIRECT reads come here; aio=io_uring sends every read,
 * write and flush (file-io.c).
 */
#include <linux/io_uring.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "file-int.h"
#include "block/file.h"

#define FILE_URING_ENTRIES 128

typedef struct FileUringReq {
    Coroutine *co;
    int res;
    bool done;
} FileUringReq;

typedef struct FileUring {
    int fd;                     /* the ring; -1: unusable in this thread */
    int efd;                    /* its completion eventfd */
    unsigned *sq_head, *sq_tail, *sq_mask, *sq_array;
    unsigned *cq_head, *cq_tail, *cq_mask;
    struct io_uring_sqe *sqes;
    struct io_uring_cqe *cqes;
    void *sq_map, *cq_map;
    size_t sq_map_len, cq_map_len, sqes_len;
    unsigned inflight;          /* queued or submitted, not completed */
    unsigned queued;            /* in the ring, not yet submitted */
    AioContext *ctx;            /* where the handler is, while inflight */
    bool bh_scheduled;          /* the submitting bottom half is due */
    bool tried;
    int setup_errno;
} FileUring;

static __thread FileUring file_uring_tls;
static bool file_uring_disabled;
static pthread_key_t file_uring_key;
static pthread_once_t file_uring_key_once = PTHREAD_ONCE_INIT;

static uint64_t file_uring_enters;

void file_uring_set_enabled(bool enabled)
{
    qatomic_set(&file_uring_disabled, !enabled);
    if (enabled && file_uring_tls.tried && file_uring_tls.fd < 0) {
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

static void *file_uring_map(int fd, size_t len, off_t where)
{
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_POPULATE, fd, where);

    return p == MAP_FAILED ? NULL : p;
}

/* Map the rings of u->fd as @p describes; false on failure */
static bool file_uring_map_rings(FileUring *u, struct io_uring_params *p)
{
    char *sq, *cq;

    u->sq_map_len = p->sq_off.array + p->sq_entries * sizeof(unsigned);
    u->cq_map_len = p->cq_off.cqes +
                    p->cq_entries * sizeof(struct io_uring_cqe);
    if (p->features & IORING_FEAT_SINGLE_MMAP) {
        u->sq_map_len = u->cq_map_len = MAX(u->sq_map_len, u->cq_map_len);
    }
    u->sq_map = file_uring_map(u->fd, u->sq_map_len, IORING_OFF_SQ_RING);
    if (!u->sq_map) {
        return false;
    }
    u->cq_map = (p->features & IORING_FEAT_SINGLE_MMAP) ? u->sq_map :
                file_uring_map(u->fd, u->cq_map_len, IORING_OFF_CQ_RING);
    u->sqes_len = p->sq_entries * sizeof(struct io_uring_sqe);
    u->sqes = file_uring_map(u->fd, u->sqes_len, IORING_OFF_SQES);
    if (!u->cq_map || !u->sqes) {
        return false;
    }
    sq = u->sq_map;
    cq = u->cq_map;
    u->sq_head = (unsigned *)(sq + p->sq_off.head);
    u->sq_tail = (unsigned *)(sq + p->sq_off.tail);
    u->sq_mask = (unsigned *)(sq + p->sq_off.ring_mask);
    u->sq_array = (unsigned *)(sq + p->sq_off.array);
    u->cq_head = (unsigned *)(cq + p->cq_off.head);
    u->cq_tail = (unsigned *)(cq + p->cq_off.tail);
    u->cq_mask = (unsigned *)(cq + p->cq_off.ring_mask);
    u->cqes = (struct io_uring_cqe *)(cq + p->cq_off.cqes);
    return true;
}

/* Thread exit: the ring goes (it has nothing in flight: nobody waits) */
static void file_uring_thread_exit(void *opaque)
{
    FileUring *u = opaque;

    munmap(u->sqes, u->sqes_len);
    if (u->cq_map != u->sq_map) {
        munmap(u->cq_map, u->cq_map_len);
    }
    munmap(u->sq_map, u->sq_map_len);
    close(u->efd);
    close(u->fd);
}

static void file_uring_key_init(void)
{
    pthread_key_create(&file_uring_key, file_uring_thread_exit);
}

/* Set the thread's ring up once; false if io_uring is unusable here */
static bool file_uring_setup(FileUring *u)
{
    struct io_uring_params p = { 0 };

    if (u->tried) {
        return u->fd >= 0;
    }
    u->tried = true;
    u->fd = syscall(__NR_io_uring_setup, FILE_URING_ENTRIES, &p);
    if (u->fd < 0) {
        u->setup_errno = errno;
        return false;
    }
    u->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (u->efd >= 0 && file_uring_map_rings(u, &p) &&
        syscall(__NR_io_uring_register, u->fd, IORING_REGISTER_EVENTFD,
                &u->efd, 1) == 0) {
        pthread_once(&file_uring_key_once, file_uring_key_init);
        pthread_setspecific(file_uring_key, u);
        return true;
    }
    /* Unusable: leave it for the pool (the mappings go with the fd) */
    u->setup_errno = errno;
    if (u->efd >= 0) {
        close(u->efd);
    }
    close(u->fd);
    u->fd = -1;
    return false;
}

/* One request is over: the handler goes with the last one */
static void file_uring_complete_one(FileUring *u, FileUringReq *req)
{
    if (--u->inflight == 0) {
        aio_set_fd_handler(u->ctx, u->efd, NULL, NULL, NULL);
        u->ctx = NULL;
    }
    aio_co_wake(req->co);
}

/* The eventfd handler: wake the coroutine of every completion */
static void file_uring_completions(void *opaque)
{
    FileUring *u = opaque;
    uint64_t val;
    unsigned head;

    while (read(u->efd, &val, sizeof(val)) == sizeof(val)) {
        /* drain */
    }
    head = *u->cq_head;
    while (head != __atomic_load_n(u->cq_tail, __ATOMIC_ACQUIRE)) {
        struct io_uring_cqe *cqe = &u->cqes[head & *u->cq_mask];
        FileUringReq *req = (FileUringReq *)(uintptr_t)cqe->user_data;

        req->res = cqe->res;
        req->done = true;
        head++;
        __atomic_store_n(u->cq_head, head, __ATOMIC_RELEASE);
        file_uring_complete_one(u, req);
    }
}

/*
 * Submit every queued entry (a bottom half: once per event-loop iteration
 * however many requests were queued in it). What the kernel does not take
 * is taken back out of the ring and its coroutines woken with -ENOTSUP:
 * they go to the thread pool.
 */
static void file_uring_flush_queue(void *opaque)
{
    FileUring *u = opaque;
    FileUringReq *refused[FILE_URING_ENTRIES];
    unsigned head, n, tail = *u->sq_tail;
    int ret;

    u->bh_scheduled = false;
    while (u->queued) {
        ret = syscall(__NR_io_uring_enter, u->fd, u->queued, 0, 0, NULL, 0);
        qatomic_inc(&file_uring_enters);
        if (ret > 0) {
            u->queued -= ret;
        } else if (ret == 0 || errno != EINTR) {
            break;
        }
    }
    /* Refused ones, from the kernel's head up to our tail: out of the
     * ring before any wakes (a woken coroutine may queue again) */
    head = __atomic_load_n(u->sq_head, __ATOMIC_ACQUIRE);
    n = tail - head;
    for (unsigned i = 0; i < n; i++) {
        unsigned idx = u->sq_array[(head + i) & *u->sq_mask];

        refused[i] = (FileUringReq *)(uintptr_t)u->sqes[idx].user_data;
    }
    __atomic_store_n(u->sq_tail, head, __ATOMIC_RELEASE);
    u->queued = 0;
    for (unsigned i = 0; i < n; i++) {
        refused[i]->res = -ENOTSUP;
        refused[i]->done = true;
        file_uring_complete_one(u, refused[i]);
    }
}

/* Queue one operation; the bottom half submits the iteration's batch */
static void file_uring_queue(FileUring *u, AioContext *ctx, int op, int fd,
                             const struct iovec *iov, int niov,
                             int64_t offset, FileUringReq *req)
{
    unsigned tail = *u->sq_tail;
    unsigned idx = tail & *u->sq_mask;
    struct io_uring_sqe *sqe = &u->sqes[idx];

    memset(sqe, 0, sizeof(*sqe));
    sqe->opcode = op;
    sqe->fd = fd;
    sqe->addr = (uintptr_t)iov;
    sqe->len = niov;
    sqe->off = offset;
    if (op == IORING_OP_FSYNC) {
        sqe->fsync_flags = IORING_FSYNC_DATASYNC;
    }
    sqe->user_data = (uintptr_t)req;
    u->sq_array[idx] = idx;
    __atomic_store_n(u->sq_tail, tail + 1, __ATOMIC_RELEASE);
    u->queued++;
    if (u->inflight++ == 0) {
        u->ctx = ctx;
        aio_set_fd_handler(ctx, u->efd, file_uring_completions, NULL, u);
    }
    if (!u->bh_scheduled) {
        u->bh_scheduled = true;
        aio_bh_schedule_oneshot(ctx, file_uring_flush_queue, u);
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

    if (qatomic_read(&file_uring_disabled) || niov > IOV_MAX ||
        !file_uring_setup(u) || (u->inflight && u->ctx != ctx) ||
        u->inflight >= FILE_URING_ENTRIES) {
        return -ENOTSUP;
    }
    file_uring_queue(u, ctx, op, fd, iov, niov, offset, &req);
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
