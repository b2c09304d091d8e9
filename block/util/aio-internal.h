/*
 * aio-internal.h: AioContext internals shared by aio*.c, qemu-timer.c,
 * sched.c, main-loop.c, iothread.c and thread-pool.c. Not a public header.
 *
 * Locking: ctx->lock protects the BH, coroutine and work queues, the
 * handler list and the timer lists. Callbacks always run with it released.
 */
#ifndef DRYDOCK_BLOCK_UTIL_AIO_INTERNAL_H
#define DRYDOCK_BLOCK_UTIL_AIO_INTERNAL_H

#include <poll.h>
#include <pthread.h>

#include "util/aio.h"
#include "util/sched.h"
#include "coroutine-internal.h"

/* QEMUBH.flags */
enum {
    BH_PENDING = 1,     /* owned by the poller: in bh_queue or a snapshot */
    BH_SCHEDULED = 2,   /* the callback should run */
    BH_DELETED = 4,     /* free it instead of running it */
    BH_ONESHOT = 8,     /* free it after running it */
};

struct QEMUBH {
    AioContext *ctx;
    QEMUBHFunc *cb;
    void *opaque;
    const char *name;
    unsigned flags;                 /* under ctx->lock */
    QTAILQ_ENTRY(QEMUBH) link;
};

/*
 * The BHs one realtime aio_bh_poll() call took off bh_queue, on the
 * caller's stack and listed in the context, so that a poll nested in one
 * of them (a wait inside a BH) runs the rest too instead of hanging.
 */
typedef struct AioBhSlice {
    QTAILQ_HEAD(, QEMUBH) bhs;
    QSIMPLEQ_ENTRY(AioBhSlice) next;
} AioBhSlice;

typedef struct AioHandler {
    int fd;
    IOHandler *io_read;
    IOHandler *io_write;
    void *opaque;
    bool deleted;                   /* freed once nobody walks the list */
    QLIST_ENTRY(AioHandler) link;
} AioHandler;

/* A unit of deferred work run by the scheduler (deterministic thread pool) */
typedef struct AioWork AioWork;
struct AioWork {
    void (*run)(AioWork *work);
    QTAILQ_ENTRY(AioWork) link;
};

typedef struct ThreadPool ThreadPool;

struct AioContext {
    pthread_mutex_t lock;
    int refcnt;
    int notify_fd;                  /* eventfd */
    /*
     * aio_notify() sets notified; it writes notify_fd only while a poller
     * sleeps or is about to (notify_me > 0), once (notify_written) until
     * the poller accepts. Atomics, no lock.
     */
    bool notified;
    bool notify_written;
    int notify_me;
    int notify_active;              /* aio_notify_unlock() in progress */

    ThreadPool *thread_pool;        /* realtime pool, created on first use */

    QTAILQ_HEAD(, QEMUBH) bh_queue;
    QSIMPLEQ_HEAD(, AioBhSlice) bh_slices;  /* oldest first */
    QTAILQ_HEAD(, Coroutine) co_queue;
    QTAILQ_HEAD(, AioWork) work_queue;
    QLIST_HEAD(, AioHandler) handlers;
    int walking_handlers;
    bool handlers_deleted;
    QTAILQ_HEAD(, QEMUTimer) timers[QEMU_CLOCK_MAX];

    bool in_world;      /* main or virtual IOThread: polled by the world */
    bool has_thread;    /* served by a realtime IOThread */
    pthread_t poll_thread;
    int poll_depth;
    QTAILQ_ENTRY(AioContext) all_link;
};

static inline void aio_ctx_lock(AioContext *ctx)
{
    pthread_mutex_lock(&ctx->lock);
}

static inline void aio_ctx_unlock(AioContext *ctx)
{
    pthread_mutex_unlock(&ctx->lock);
}

/* One ready thing the poller may dispatch */
typedef enum AioEventKind {
    AIO_EV_BH,
    AIO_EV_CO,
    AIO_EV_FD,
    AIO_EV_TIMER,
    AIO_EV_WORK,
} AioEventKind;

typedef struct AioEvent {
    AioEventKind kind;
    short revents;                  /* AIO_EV_FD */
    AioContext *ctx;
    void *obj;                      /* QEMUBH, Coroutine, AioHandler, AioWork */
} AioEvent;

typedef struct AioEventVec {
    AioEvent *ev;
    size_t n, cap;
    AioEvent inline_ev[16];
} AioEventVec;

void aio_poll_ev_init(AioEventVec *v);
void aio_poll_ev_push(AioEventVec *v, AioEventKind kind, AioContext *ctx,
                        void *obj, short revents);
void aio_poll_ev_destroy(AioEventVec *v);

/* pollfd set over one or more contexts */
#define AIO_POLLFDS_INLINE 8
typedef struct AioPollFds {
    struct pollfd *pfd;
    AioHandler **node;              /* NULL for a context's notifier */
    AioContext **ctx;
    size_t n, cap;
    /* Most polls watch a few fds: no allocation for those */
    struct pollfd inline_pfd[AIO_POLLFDS_INLINE];
    AioHandler *inline_node[AIO_POLLFDS_INLINE];
    AioContext *inline_ctx[AIO_POLLFDS_INLINE];
} AioPollFds;

/* aio.c */
AioContext *aio_tls_swap_ctx(AioContext *ctx);
void aio_tls_set_home(AioContext *ctx);
void aio_context_set_world(AioContext *ctx, bool in_world);
void aio_context_set_threaded(AioContext *ctx);
/*
 * References to the world's contexts, main first, in @buf when they fit
 * (aio_poll runs this at every call: no allocation then); release them
 * with aio_world_put
 */
#define AIO_WORLD_INLINE 8
size_t aio_world_get(AioContext ***set, AioContext **buf, size_t buf_len);
void aio_world_put(AioContext **set, size_t n, AioContext **buf);
/* Queued BH, coroutine or work, or an expired timer */
bool aio_has_pending(AioContext *ctx);
void aio_work_queue(AioContext *ctx, AioWork *work);
void aio_co_run_scheduled(AioContext *ctx, Coroutine *co);
/*
 * Under ctx->lock, work just queued: release the lock, then notify. ctx
 * is not freed until that notification is done, even if the work runs
 * and drops the last reference meanwhile.
 */
void aio_notify_unlock(AioContext *ctx);
/* Drains the notifier and clears ctx->notified */
void aio_notify_accept(AioContext *ctx, bool readable);
/*
 * A poller is about to sleep on ctx's notifier (aio_notify must write it
 * from now on): false if a notification came since the last accept, and
 * the poller must not sleep. Always pair with aio_notify_sleep_end().
 */
bool aio_notify_sleep_begin(AioContext *ctx);
void aio_notify_sleep_end(AioContext *ctx);

/* aio-bh.c */
bool aio_bh_poll(AioContext *ctx);
void aio_bh_collect(AioContext *ctx, AioEventVec *v);
bool aio_bh_dispatch(AioContext *ctx, QEMUBH *bh);
void aio_bh_ctx_cleanup(AioContext *ctx);

/* aio-fd.c */
void aio_fd_walk_begin(AioContext *ctx);
void aio_fd_walk_end(AioContext *ctx);
void aio_fd_add_pollfds(AioContext *ctx, AioPollFds *fds);
bool aio_fd_has_handlers(AioContext *ctx);
bool aio_fd_dispatch(AioHandler *node, short revents);
void aio_fd_ctx_cleanup(AioContext *ctx);
void aio_fd_pollfds_init(AioPollFds *fds);
void aio_fd_pollfds_add(AioPollFds *fds, int fd, short events, AioContext *ctx,
                     AioHandler *node);
/* ppoll with timeout_ns (-1: forever), then accept notifier wakeups */
void aio_fd_pollfds_wait(AioPollFds *fds, int64_t timeout_ns);
void aio_fd_pollfds_destroy(AioPollFds *fds);

/* qemu-timer.c */
/* ns until the earliest deadline (0 if expired, -1 if none) */
int64_t qemu_timer_deadline_ns(AioContext *ctx, bool include_virtual);
/* Absolute earliest QEMU_CLOCK_VIRTUAL deadline, -1 if none */
int64_t qemu_timer_virtual_deadline(AioContext *ctx);
bool qemu_timer_any_expired(AioContext *ctx);
/* Run expired timers (just_one: only the first); true if any ran */
bool qemu_timer_run_expired(AioContext *ctx, bool just_one);
void qemu_timer_ctx_cleanup(AioContext *ctx);

/* thread-pool.c */
/* Stop ctx's pool's workers and free it (context teardown) */
void thread_pool_ctx_cleanup(AioContext *ctx);

/* sched.c */
void sched_clock_jump_to(int64_t ns);
/*
 * Whether the last deterministic aio_poll() of this thread found the world
 * idle and jumped the virtual clock to the next timer (its progress, if
 * any, was a timer's)
 */
bool aio_poll_det_last_jumped(void);
void sched_count_event(void);

#endif /* DRYDOCK_BLOCK_UTIL_AIO_INTERNAL_H */
