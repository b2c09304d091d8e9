/*
 * thread-pool.c: blocking functions off the event loop (see thread-pool.h).
 */
#include "util/osdep.h"

#include <pthread.h>

#include "util/thread-pool.h"
#include "aio-internal.h"

typedef struct ThreadPoolReq {
    ThreadPoolFunc *func;
    void *arg;
    int ret;
    AioContext *ctx;                        /* where the completion runs */
    ThreadPoolCompletionFunc *cb;
    void *opaque;
    QSIMPLEQ_ENTRY(ThreadPoolReq) link;     /* realtime queue */
    AioWork work;                           /* deterministic mode */
} ThreadPoolReq;

static struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    QSIMPLEQ_HEAD(, ThreadPoolReq) queue;
    pthread_t workers[THREAD_POOL_MAX_WORKERS];
    unsigned nr_workers;
    unsigned nr_idle;
    bool stopping;
    bool atexit_done;
} thread_pool = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .cond = PTHREAD_COND_INITIALIZER,
    .queue = QSIMPLEQ_HEAD_INITIALIZER(thread_pool.queue),
};

static void thread_pool_completion_bh(void *opaque)
{
    ThreadPoolReq *req = opaque;
    AioContext *ctx = req->ctx;

    req->cb(req->opaque, req->ret);
    g_free(req);
    aio_context_unref(ctx);
    /* The callback may have ended what the main loop is waiting for */
    aio_wait_kick();
}

/* func has run: hand the result over to the submitting context */
static void thread_pool_complete(ThreadPoolReq *req)
{
    aio_bh_schedule_oneshot_full(req->ctx, thread_pool_completion_bh, req,
                                 "thread-pool-completion");
}

static void *thread_pool_worker(void *opaque)
{
    pthread_mutex_lock(&thread_pool.lock);
    for (;;) {
        ThreadPoolReq *req;

        while (QSIMPLEQ_EMPTY(&thread_pool.queue) && !thread_pool.stopping) {
            thread_pool.nr_idle++;
            pthread_cond_wait(&thread_pool.cond, &thread_pool.lock);
            thread_pool.nr_idle--;
        }
        req = QSIMPLEQ_FIRST(&thread_pool.queue);
        if (!req) {
            break;      /* stopping, and nothing left to do */
        }
        QSIMPLEQ_REMOVE_HEAD(&thread_pool.queue, link);
        pthread_mutex_unlock(&thread_pool.lock);

        req->ret = req->func(req->arg);
        thread_pool_complete(req);

        pthread_mutex_lock(&thread_pool.lock);
    }
    pthread_mutex_unlock(&thread_pool.lock);
    return NULL;
}

/* Under thread_pool.lock */
static void thread_pool_spawn_locked(void)
{
    int ret = pthread_create(&thread_pool.workers[thread_pool.nr_workers],
                             NULL, thread_pool_worker, NULL);

    if (ret) {
        if (thread_pool.nr_workers > 0) {
            return;     /* the existing workers will get to it */
        }
        fprintf(stderr, "thread pool: cannot start a worker: %s\n",
                strerror(ret));
        abort();
    }
    thread_pool.nr_workers++;
    if (!thread_pool.atexit_done) {
        thread_pool.atexit_done = true;
        atexit(thread_pool_shutdown);
    }
}

static void thread_pool_work_run(AioWork *work)
{
    ThreadPoolReq *req = container_of(work, ThreadPoolReq, work);

    req->ret = req->func(req->arg);
    thread_pool_complete(req);
}

void thread_pool_submit_aio_cb(ThreadPoolFunc *func, void *arg,
                               ThreadPoolCompletionFunc *cb, void *opaque)
{
    ThreadPoolReq *req = g_new0(ThreadPoolReq, 1);
    AioContext *ctx = qemu_get_current_aio_context();

    assert(func && cb);
    req->func = func;
    req->arg = arg;
    req->cb = cb;
    req->opaque = opaque;
    req->ctx = ctx;
    aio_context_ref(ctx);

    if (sched_is_deterministic() && !ctx->has_thread) {
        req->work.run = thread_pool_work_run;
        aio_work_queue(ctx, &req->work);
        return;
    }
    pthread_mutex_lock(&thread_pool.lock);
    QSIMPLEQ_INSERT_TAIL(&thread_pool.queue, req, link);
    if (thread_pool.nr_idle == 0 &&
        thread_pool.nr_workers < THREAD_POOL_MAX_WORKERS) {
        thread_pool_spawn_locked();
    } else {
        pthread_cond_signal(&thread_pool.cond);
    }
    pthread_mutex_unlock(&thread_pool.lock);
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

    assert(qemu_in_coroutine());
    thread_pool_submit_aio_cb(func, arg, thread_pool_co_cb, &data);
    qemu_coroutine_yield();
    assert(data.done);
    return data.ret;
}

void thread_pool_shutdown(void)
{
    unsigned n;

    pthread_mutex_lock(&thread_pool.lock);
    thread_pool.stopping = true;
    pthread_cond_broadcast(&thread_pool.cond);
    n = thread_pool.nr_workers;
    pthread_mutex_unlock(&thread_pool.lock);

    /* Workers only exit, and nr_workers only grows, while we join */
    for (unsigned i = 0; i < n; i++) {
        pthread_join(thread_pool.workers[i], NULL);
    }

    pthread_mutex_lock(&thread_pool.lock);
    assert(thread_pool.nr_workers == n);
    thread_pool.nr_workers = 0;
    thread_pool.stopping = false;
    pthread_mutex_unlock(&thread_pool.lock);
}

unsigned thread_pool_nr_workers(void)
{
    unsigned n;

    pthread_mutex_lock(&thread_pool.lock);
    n = thread_pool.nr_workers;
    pthread_mutex_unlock(&thread_pool.lock);
    return n;
}
