/*
 * thread-pool.c: blocking functions off the event loop (see thread-pool.h).
 *
 * Realtime mode: each AioContext has its own pool (created on first use,
 * freed with the context). A request waits in the pool's queue until a
 * worker takes it; the worker pushes the finished request onto the pool's
 * lock-free completion list and schedules the pool's one bottom half only
 * when the list was empty, so a burst of completions costs one BH run (and
 * at most one wakeup). The BH delivers them in completion order.
 *
 * Workers are woken (or started) only when the queue outgrows what the
 * awake ones will take: for short functions a worker takes a few queued
 * requests in a row rather than a sleeping worker being woken for each.
 *
 * Deterministic mode: no threads. A request is an AioWork event of the
 * submitting context; when the scheduler picks it, func runs in the main
 * thread and its completion is a one-shot BH of its own (another event).
 */
#include "util/osdep.h"

#include <pthread.h>
#include <time.h>

#include "util/thread-pool.h"
#include "aio-internal.h"

/*
 * A function shorter than this (see ThreadPool.min_ns) is cheaper to leave queued
 * for an awake worker, up to THREAD_POOL_QUEUE_PER_WORKER each, than to
 * wake another worker for. Short functions are mostly page-cache work that
 * more threads would only contend on (one file's buffered writes take the
 * inode's lock): a few workers serve a deep queue with few wakeups. A
 * longer function (O_DIRECT, a flush) gets a worker of its own, so device
 * requests still overlap.
 */
#define THREAD_POOL_SHORT_NS 50000
/*
 * After a short function a worker waits this long for the next request
 * before it sleeps: at low depth the next request comes a few
 * microseconds after the completion, and catching it saves the futex
 * wake-up that is most of a request's cost (scripts/bench-io, 4 KiB
 * buffered writes at depth 1)
 */
#define THREAD_POOL_SPIN_NS 50000
#define THREAD_POOL_WINDOW 16
#define THREAD_POOL_QUEUE_PER_WORKER 16

typedef struct ThreadPoolReq ThreadPoolReq;
struct ThreadPoolReq {
    ThreadPoolFunc *func;
    void *arg;
    int ret;
    AioContext *ctx;                        /* where the completion runs */
    ThreadPoolCompletionFunc *cb;
    void *opaque;
    bool allocated;                         /* freed after cb */
    QSIMPLEQ_ENTRY(ThreadPoolReq) link;     /* the pool's queue */
    ThreadPoolReq *done_next;               /* the completion list */
    AioWork work;                           /* deterministic mode */
};

struct ThreadPool {
    AioContext *ctx;
    QEMUBH *completion_bh;
    ThreadPoolReq *done;                    /* LIFO, pushed by workers */

    pthread_mutex_t lock;
    pthread_cond_t cond;
    QSIMPLEQ_HEAD(, ThreadPoolReq) queue;   /* under lock */
    unsigned nr_queued;                     /* written under lock, atomically */
    pthread_t workers[THREAD_POOL_MAX_WORKERS];
    unsigned nr_workers;
    unsigned nr_sleeping;                   /* in (or woken from) cond_wait */
    /*
     * How long a request's function takes at the least: the shortest of
     * the last window of THREAD_POOL_WINDOW requests (contention and
     * preemption make some take longer, never all)
     */
    int64_t min_ns;
    int64_t window_min_ns;
    unsigned window_len;
    bool stopping;                          /* written under lock, atomically */
    QLIST_ENTRY(ThreadPool) all_link;

    uint64_t stat_bh_runs, stat_completions;    /* written by the BH */
};

/* Every pool, for thread_pool_shutdown() and thread_pool_nr_workers() */
static pthread_mutex_t thread_pool_all_lock = PTHREAD_MUTEX_INITIALIZER;
static QLIST_HEAD(, ThreadPool) thread_pool_all =
    QLIST_HEAD_INITIALIZER(thread_pool_all);
static bool thread_pool_atexit_done;

static void thread_pool_deliver(ThreadPoolReq *req)
{
    AioContext *ctx = req->ctx;

    if (req->allocated) {
        req->cb(req->opaque, req->ret);
        g_free(req);
    } else {
        /* On the stack of the coroutine cb wakes: gone once it returns */
        req->cb(req->opaque, req->ret);
    }
    aio_context_unref(ctx);
}

/* The pool's BH: every completion pushed so far, oldest first */
static void thread_pool_completion_bh(void *opaque)
{
    ThreadPool *pool = opaque;
    ThreadPoolReq *list = qatomic_xchg(&pool->done, NULL);
    ThreadPoolReq *fifo = NULL;
    unsigned n = 0;

    smp_mb_acquire();
    while (list) {
        ThreadPoolReq *next = list->done_next;

        list->done_next = fifo;
        fifo = list;
        list = next;
        n++;
    }
    qatomic_set(&pool->stat_bh_runs, pool->stat_bh_runs + 1);
    qatomic_set(&pool->stat_completions, pool->stat_completions + n);
    while (fifo) {
        ThreadPoolReq *next = fifo->done_next;

        thread_pool_deliver(fifo);
        fifo = next;
    }
    /* The callbacks may have ended what the main loop is waiting for */
    aio_wait_kick();
}

/* A worker finished req: queue it for the context's BH */
static void thread_pool_complete(ThreadPool *pool, ThreadPoolReq *req)
{
    ThreadPoolReq *old = qatomic_read(&pool->done);

    for (;;) {
        ThreadPoolReq *seen;

        req->done_next = old;
        seen = qatomic_cmpxchg(&pool->done, old, req);
        if (seen == old) {
            break;
        }
        old = seen;
    }
    if (!old) {
        /* The first since the BH last took the list: nobody scheduled it */
        qemu_bh_schedule(pool->completion_bh);
    }
}

static int64_t thread_pool_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void thread_pool_note_time_locked(ThreadPool *pool, int64_t took)
{
    if (pool->window_len == 0 || took < pool->window_min_ns) {
        pool->window_min_ns = took;
    }
    if (++pool->window_len == THREAD_POOL_WINDOW) {
        pool->min_ns = pool->window_min_ns;
        pool->window_len = 0;
    }
}

/* A spinning CPU's hint to its sibling hyperthread */
static inline void thread_pool_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ volatile("yield");
#endif
}

static int64_t thread_pool_spin_ns = THREAD_POOL_SPIN_NS;
static uint64_t thread_pool_signals;

void thread_pool_set_spin_ns(int64_t ns)
{
    qatomic_set(&thread_pool_spin_ns, ns < 0 ? THREAD_POOL_SPIN_NS : ns);
}

uint64_t thread_pool_nr_signals(void)
{
    return qatomic_read(&thread_pool_signals);
}

/*
 * Under pool->lock, with the queue empty after a short function: wait
 * up to thread_pool_spin_ns for a request without sleeping.  The worker
 * stays counted awake, so a submitter leaves its request to us.
 */
static void thread_pool_spin_locked(ThreadPool *pool)
{
    int64_t spin = qatomic_read(&thread_pool_spin_ns);
    int64_t until;

    if (!spin || pool->min_ns >= THREAD_POOL_SHORT_NS) {
        return;
    }
    until = thread_pool_now_ns() + spin;
    pthread_mutex_unlock(&pool->lock);
    while (!qatomic_read(&pool->nr_queued) && !qatomic_read(&pool->stopping) &&
           thread_pool_now_ns() < until) {
        thread_pool_cpu_relax();
    }
    pthread_mutex_lock(&pool->lock);
}

static void *thread_pool_worker(void *opaque)
{
    ThreadPool *pool = opaque;

    pthread_mutex_lock(&pool->lock);
    for (;;) {
        ThreadPoolReq *req;
        int64_t start, took;

        if (QSIMPLEQ_EMPTY(&pool->queue) && !pool->stopping) {
            thread_pool_spin_locked(pool);
        }
        while (QSIMPLEQ_EMPTY(&pool->queue) && !pool->stopping) {
            pool->nr_sleeping++;
            pthread_cond_wait(&pool->cond, &pool->lock);
            pool->nr_sleeping--;
        }
        req = QSIMPLEQ_FIRST(&pool->queue);
        if (!req) {
            break;      /* stopping, and nothing left to do */
        }
        QSIMPLEQ_REMOVE_HEAD(&pool->queue, link);
        qatomic_dec(&pool->nr_queued);
        pthread_mutex_unlock(&pool->lock);

        start = thread_pool_now_ns();
        req->ret = req->func(req->arg);
        took = thread_pool_now_ns() - start;
        thread_pool_complete(pool, req);

        pthread_mutex_lock(&pool->lock);
        thread_pool_note_time_locked(pool, took);
    }
    pthread_mutex_unlock(&pool->lock);
    return NULL;
}

/* Under pool->lock */
static void thread_pool_spawn_locked(ThreadPool *pool)
{
    int ret = pthread_create(&pool->workers[pool->nr_workers], NULL,
                             thread_pool_worker, pool);

    if (ret) {
        if (pool->nr_workers > 0) {
            return;     /* the existing workers will get to it */
        }
        fprintf(stderr, "thread pool: cannot start a worker: %s\n",
                strerror(ret));
        abort();
    }
    pool->nr_workers++;
}

static void thread_pool_stop(ThreadPool *pool);

static ThreadPool *thread_pool_new(AioContext *ctx)
{
    ThreadPool *pool = g_new0(ThreadPool, 1);

    pool->ctx = ctx;
    pool->completion_bh = aio_bh_new_full(ctx, thread_pool_completion_bh,
                                          pool, "thread-pool-completion");
    pthread_mutex_init(&pool->lock, NULL);
    pthread_cond_init(&pool->cond, NULL);
    QSIMPLEQ_INIT(&pool->queue);
    pthread_mutex_lock(&thread_pool_all_lock);
    QLIST_INSERT_HEAD(&thread_pool_all, pool, all_link);
    if (!thread_pool_atexit_done) {
        thread_pool_atexit_done = true;
        atexit(thread_pool_shutdown);
    }
    pthread_mutex_unlock(&thread_pool_all_lock);
    return pool;
}

static void thread_pool_free(ThreadPool *pool)
{
    pthread_mutex_lock(&thread_pool_all_lock);
    QLIST_REMOVE(pool, all_link);
    pthread_mutex_unlock(&thread_pool_all_lock);
    thread_pool_stop(pool);
    /* Every request holds a context reference: none is left */
    assert(!pool->done && QSIMPLEQ_EMPTY(&pool->queue));
    qemu_bh_delete(pool->completion_bh);
    pthread_cond_destroy(&pool->cond);
    pthread_mutex_destroy(&pool->lock);
    g_free(pool);
}

/* ctx's pool, created on first use */
static ThreadPool *thread_pool_get(AioContext *ctx)
{
    ThreadPool *pool = qatomic_load_acquire(&ctx->thread_pool);
    ThreadPool *seen;

    if (pool) {
        return pool;
    }
    pool = thread_pool_new(ctx);
    seen = qatomic_cmpxchg(&ctx->thread_pool, NULL, pool);
    if (seen) {
        thread_pool_free(pool);     /* another thread was first */
        pool = seen;
    }
    return pool;
}

/* Stop and join pool's workers (they run what is queued first) */
static void thread_pool_stop(ThreadPool *pool)
{
    unsigned n;

    pthread_mutex_lock(&pool->lock);
    qatomic_set(&pool->stopping, true);
    pthread_cond_broadcast(&pool->cond);
    n = pool->nr_workers;
    pthread_mutex_unlock(&pool->lock);

    /* Workers only exit, and nr_workers only grows, while we join */
    for (unsigned i = 0; i < n; i++) {
        pthread_join(pool->workers[i], NULL);
    }

    pthread_mutex_lock(&pool->lock);
    assert(pool->nr_workers == n);
    pool->nr_workers = 0;
    qatomic_set(&pool->stopping, false);
    pthread_mutex_unlock(&pool->lock);
}

void thread_pool_ctx_cleanup(AioContext *ctx)
{
    if (ctx->thread_pool) {
        thread_pool_free(ctx->thread_pool);
        ctx->thread_pool = NULL;
    }
}

static void thread_pool_det_completion_bh(void *opaque)
{
    thread_pool_deliver(opaque);
    aio_wait_kick();
}

static void thread_pool_work_run(AioWork *work)
{
    ThreadPoolReq *req = container_of(work, ThreadPoolReq, work);

    req->ret = req->func(req->arg);
    /* A separate event: the scheduler orders completions too */
    aio_bh_schedule_oneshot_full(req->ctx, thread_pool_det_completion_bh,
                                 req, "thread-pool-completion");
}

/*
 * Under pool->lock, a request just queued: must another worker start on
 * the queue? Waking a worker costs more than a short request: while the
 * functions are short, the awake workers take a few each.
 */
static bool thread_pool_needs_worker_locked(ThreadPool *pool)
{
    unsigned awake = pool->nr_workers - pool->nr_sleeping;

    if (pool->min_ns < THREAD_POOL_SHORT_NS) {
        return pool->nr_queued > awake * THREAD_POOL_QUEUE_PER_WORKER;
    }
    return pool->nr_queued > awake;
}

/* Queue req (filled in by the caller) in the current context */
static void thread_pool_submit(ThreadPoolReq *req)
{
    AioContext *ctx = qemu_get_current_aio_context();
    ThreadPool *pool;
    bool signal = false;

    req->ctx = ctx;
    aio_context_ref(ctx);
    if (sched_is_deterministic() && !ctx->has_thread) {
        req->work.run = thread_pool_work_run;
        aio_work_queue(ctx, &req->work);
        return;
    }
    pool = thread_pool_get(ctx);
    pthread_mutex_lock(&pool->lock);
    QSIMPLEQ_INSERT_TAIL(&pool->queue, req, link);
    qatomic_inc(&pool->nr_queued);
    if (thread_pool_needs_worker_locked(pool)) {
        if (pool->nr_sleeping) {
            signal = true;
        } else if (pool->nr_workers < THREAD_POOL_MAX_WORKERS) {
            thread_pool_spawn_locked(pool);
        }
    }
    pthread_mutex_unlock(&pool->lock);
    /* Not under the lock, which the woken worker would block on at once */
    if (signal) {
        qatomic_inc(&thread_pool_signals);
        pthread_cond_signal(&pool->cond);
    }
}

void thread_pool_submit_aio_cb(ThreadPoolFunc *func, void *arg,
                               ThreadPoolCompletionFunc *cb, void *opaque)
{
    ThreadPoolReq *req = g_new0(ThreadPoolReq, 1);

    assert(func && cb);
    req->func = func;
    req->arg = arg;
    req->cb = cb;
    req->opaque = opaque;
    req->allocated = true;
    thread_pool_submit(req);
}

typedef struct ThreadPoolCoData {
    Coroutine *co;
    int ret;
    bool done;
} ThreadPoolCoData;

static void thread_pool_co_cb(void *opaque, int ret)
{
    ThreadPoolCoData *data = opaque;

    data->ret = ret;
    data->done = true;
    aio_co_wake(data->co);
}

int coroutine_fn thread_pool_submit_co(ThreadPoolFunc *func, void *arg)
{
    ThreadPoolCoData data = { .co = qemu_coroutine_self() };
    /* Lives on our stack: we sleep until it has been delivered */
    ThreadPoolReq req = {
        .func = func, .arg = arg, .cb = thread_pool_co_cb, .opaque = &data,
    };

    assert(qemu_in_coroutine());
    assert(func);
    thread_pool_submit(&req);
    qemu_coroutine_yield();
    assert(data.done);
    return data.ret;
}

void thread_pool_shutdown(void)
{
    ThreadPool *pool;

    pthread_mutex_lock(&thread_pool_all_lock);
    QLIST_FOREACH(pool, &thread_pool_all, all_link) {
        thread_pool_stop(pool);
    }
    pthread_mutex_unlock(&thread_pool_all_lock);
}

unsigned thread_pool_nr_workers(void)
{
    ThreadPool *pool;
    unsigned n = 0;

    pthread_mutex_lock(&thread_pool_all_lock);
    QLIST_FOREACH(pool, &thread_pool_all, all_link) {
        pthread_mutex_lock(&pool->lock);
        n += pool->nr_workers;
        pthread_mutex_unlock(&pool->lock);
    }
    pthread_mutex_unlock(&thread_pool_all_lock);
    return n;
}

unsigned thread_pool_ctx_nr_workers(AioContext *ctx)
{
    ThreadPool *pool = qatomic_load_acquire(&ctx->thread_pool);
    unsigned n = 0;

    if (pool) {
        pthread_mutex_lock(&pool->lock);
        n = pool->nr_workers;
        pthread_mutex_unlock(&pool->lock);
    }
    return n;
}

void thread_pool_ctx_get_stats(AioContext *ctx, uint64_t *bh_runs,
                               uint64_t *completions)
{
    ThreadPool *pool = qatomic_load_acquire(&ctx->thread_pool);

    *bh_runs = pool ? qatomic_read(&pool->stat_bh_runs) : 0;
    *completions = pool ? qatomic_read(&pool->stat_completions) : 0;
}
