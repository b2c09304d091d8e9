/*
 * aio.c: AioContext lifecycle, wakeups, the current context, coroutine
 * scheduling and AIO_WAIT_WHILE.
 */
#include "util/osdep.h"

#include <sched.h>
#include <sys/eventfd.h>

#include "util/main-loop.h"
#include "aio-internal.h"

/* Every live context, in creation order (the world's iteration order) */
static pthread_mutex_t aio_all_lock = PTHREAD_MUTEX_INITIALIZER;
static QTAILQ_HEAD(, AioContext) aio_all = QTAILQ_HEAD_INITIALIZER(aio_all);

/*
 * The context whose work this thread is dispatching, or the IOThread's
 * home context. Only touched through the functions below: coroutines may
 * migrate between threads, so a cached TLS address would be wrong.
 */
static __thread AioContext *aio_tls_ctx;

static int aio_wait_waiters;

__attribute__((noinline)) AioContext *aio_tls_swap_ctx(AioContext *ctx)
{
    AioContext *old = aio_tls_ctx;

    aio_tls_ctx = ctx;
    return old;
}

__attribute__((noinline)) static AioContext *aio_tls_get_ctx(void)
{
    return aio_tls_ctx;
}

void aio_tls_set_home(AioContext *ctx)
{
    aio_tls_swap_ctx(ctx);
}

AioContext *aio_context_new(Error **errp)
{
    AioContext *ctx;
    int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

    if (fd < 0) {
        error_setg_errno(errp, errno, "Could not create event notifier");
        return NULL;
    }
    ctx = g_new0(AioContext, 1);
    pthread_mutex_init(&ctx->lock, NULL);
    ctx->refcnt = 1;
    ctx->notify_fd = fd;
    QTAILQ_INIT(&ctx->bh_queue);
    QSIMPLEQ_INIT(&ctx->bh_slices);
    QTAILQ_INIT(&ctx->co_queue);
    QTAILQ_INIT(&ctx->work_queue);
    QLIST_INIT(&ctx->handlers);
    for (int i = 0; i < QEMU_CLOCK_MAX; i++) {
        QTAILQ_INIT(&ctx->timers[i]);
    }
    pthread_mutex_lock(&aio_all_lock);
    QTAILQ_INSERT_TAIL(&aio_all, ctx, all_link);
    pthread_mutex_unlock(&aio_all_lock);
    return ctx;
}

void aio_context_ref(AioContext *ctx)
{
    int old = qatomic_fetch_inc(&ctx->refcnt);

    assert(old > 0);
}

static void aio_context_free(AioContext *ctx)
{
    /* A notifier that queued work for the last owner is still writing */
    while (qatomic_load_acquire(&ctx->notify_active)) {
        sched_yield();
    }
    pthread_mutex_lock(&aio_all_lock);
    QTAILQ_REMOVE(&aio_all, ctx, all_link);
    pthread_mutex_unlock(&aio_all_lock);

    assert(ctx->poll_depth == 0);
    thread_pool_ctx_cleanup(ctx);
    aio_bh_ctx_cleanup(ctx);
    aio_fd_ctx_cleanup(ctx);
    qemu_timer_ctx_cleanup(ctx);
    /* Coroutines and work still queued are dropped (their owner leaks) */
    close(ctx->notify_fd);
    pthread_mutex_destroy(&ctx->lock);
    g_free(ctx);
}

void aio_context_unref(AioContext *ctx)
{
    int old = qatomic_fetch_dec(&ctx->refcnt);

    assert(old > 0);
    if (old == 1) {
        aio_context_free(ctx);
    }
}

void aio_context_acquire(AioContext *ctx)
{
}

void aio_context_release(AioContext *ctx)
{
}

void aio_context_set_world(AioContext *ctx, bool in_world)
{
    pthread_mutex_lock(&aio_all_lock);
    ctx->in_world = in_world;
    pthread_mutex_unlock(&aio_all_lock);
}

void aio_context_set_threaded(AioContext *ctx)
{
    ctx->has_thread = true;
}

size_t aio_world_get(AioContext ***set, AioContext **buf, size_t buf_len)
{
    AioContext *main_ctx = qemu_get_aio_context();
    AioContext *ctx;
    size_t n = 0, cap = buf_len;
    AioContext **v = buf;

    assert(buf_len > 0);
    aio_context_ref(main_ctx);
    v[n++] = main_ctx;
    pthread_mutex_lock(&aio_all_lock);
    QTAILQ_FOREACH(ctx, &aio_all, all_link) {
        if (ctx == main_ctx || !ctx->in_world) {
            continue;
        }
        if (n == cap) {
            cap *= 2;
            if (v == buf) {
                v = g_memdup2(buf, n * sizeof(*v));
            }
            v = g_renew(AioContext *, v, cap);
        }
        aio_context_ref(ctx);
        v[n++] = ctx;
    }
    pthread_mutex_unlock(&aio_all_lock);
    *set = v;
    return n;
}

void aio_world_put(AioContext **set, size_t n, AioContext **buf)
{
    for (size_t i = 0; i < n; i++) {
        aio_context_unref(set[i]);
    }
    if (set != buf) {
        g_free(set);
    }
}

/* (BHs an outer poll took off the queue, its slice, are still pending) */
bool aio_has_pending(AioContext *ctx)
{
    bool pending;

    aio_ctx_lock(ctx);
    pending = !QTAILQ_EMPTY(&ctx->bh_queue) ||
              !QSIMPLEQ_EMPTY(&ctx->bh_slices) ||
              !QTAILQ_EMPTY(&ctx->co_queue) || !QTAILQ_EMPTY(&ctx->work_queue);
    aio_ctx_unlock(ctx);
    return pending || qemu_timer_any_expired(ctx);
}

void aio_notify(AioContext *ctx)
{
    uint64_t one = 1;

    /* A poller that has not gone to sleep yet sees this and does not */
    qatomic_set(&ctx->notified, true);
    smp_mb();
    /* Only a sleeping poller needs the system call, and only once */
    if (qatomic_read(&ctx->notify_me) &&
        !qatomic_xchg(&ctx->notify_written, true)) {
        ssize_t r = write(ctx->notify_fd, &one, sizeof(one));

        /* EAGAIN means the counter is already non-zero: still woken */
        assert(r == sizeof(one) || errno == EAGAIN);
    }
}

void aio_notify_unlock(AioContext *ctx)
{
    qatomic_inc(&ctx->notify_active);
    aio_ctx_unlock(ctx);
    aio_notify(ctx);
    qatomic_dec(&ctx->notify_active);     /* the last touch of ctx */
}

bool aio_notify_sleep_begin(AioContext *ctx)
{
    qatomic_inc(&ctx->notify_me);
    /* Pairs with aio_notify(): it sees notify_me, or we see notified */
    smp_mb();
    return !qatomic_read(&ctx->notified);
}

void aio_notify_sleep_end(AioContext *ctx)
{
    qatomic_dec(&ctx->notify_me);
}

void aio_notify_accept(AioContext *ctx, bool readable)
{
    if (readable) {
        uint64_t val;

        while (read(ctx->notify_fd, &val, sizeof(val)) == sizeof(val)) {
            /* drain */
        }
    }
    /*
     * Clear before the caller looks at the queues: work queued after this
     * point notifies again, work queued before is seen.
     */
    if (readable) {
        qatomic_set(&ctx->notify_written, false);
    }
    qatomic_mb_set(&ctx->notified, false);
}

void aio_work_queue(AioContext *ctx, AioWork *work)
{
    aio_ctx_lock(ctx);
    QTAILQ_INSERT_TAIL(&ctx->work_queue, work, link);
    aio_notify(ctx);
    aio_ctx_unlock(ctx);
}

AioContext *qemu_get_current_aio_context(void)
{
    AioContext *ctx;

    if (qemu_in_coroutine()) {
        ctx = qemu_coroutine_self()->ctx;
        if (ctx) {
            return ctx;
        }
    }
    ctx = aio_tls_get_ctx();
    return ctx ? ctx : qemu_get_aio_context();
}

bool in_aio_context_home_thread(AioContext *ctx)
{
    return ctx == qemu_get_current_aio_context();
}

/* ---- Coroutines ---- */

void aio_co_schedule(AioContext *ctx, Coroutine *co)
{
    const char *old = qatomic_cmpxchg(&co->scheduled, NULL, __func__);

    if (old) {
        fprintf(stderr, "%s: Co-routine was already scheduled in '%s'\n",
                __func__, old);
        abort();
    }
    /* Keep ctx alive until the coroutine ran */
    aio_context_ref(ctx);
    aio_ctx_lock(ctx);
    QTAILQ_INSERT_TAIL(&ctx->co_queue, co, co_sched_next);
    /* ctx stays alive: the coroutine may run and drop the ref at once */
    aio_notify_unlock(ctx);
}

/* Called by the poller after taking co off ctx->co_queue */
void aio_co_run_scheduled(AioContext *ctx, Coroutine *co)
{
    /* It may still be on its way out of a yield in another thread */
    coroutine_wait_switched_out(co);
    qatomic_set(&co->scheduled, NULL);
    qemu_aio_coroutine_enter(ctx, co);
    aio_context_unref(ctx);
}

void aio_co_enter(AioContext *ctx, Coroutine *co)
{
    if (ctx != qemu_get_current_aio_context()) {
        aio_co_schedule(ctx, co);
        return;
    }
    if (qemu_in_coroutine()) {
        Coroutine *self = qemu_coroutine_self();

        assert(self != co);
        QSIMPLEQ_INSERT_TAIL(&self->co_queue_wakeup, co, co_wakeup_next);
        return;
    }
    qemu_aio_coroutine_enter(ctx, co);
}

void aio_co_wake(Coroutine *co)
{
    AioContext *ctx = qatomic_read(&co->ctx);

    assert(ctx);
    aio_co_enter(ctx, co);
}

void coroutine_fn aio_co_reschedule_self(AioContext *new_ctx)
{
    assert(qemu_in_coroutine());
    if (qemu_get_current_aio_context() != new_ctx) {
        aio_co_schedule(new_ctx, qemu_coroutine_self());
        qemu_coroutine_yield();
    }
}

/* ---- AIO_WAIT_WHILE ---- */

AioContext *aio_wait_begin(AioContext *ctx)
{
    AioContext *main_ctx = qemu_get_aio_context();

    assert(!qemu_in_coroutine());
    qatomic_inc(&aio_wait_waiters);
    if (!ctx) {
        ctx = main_ctx;
    }
    if (sched_is_deterministic() && !ctx->has_thread) {
        /* The world is polled from the main context */
        return ctx->in_world ? main_ctx : ctx;
    }
    if (ctx->has_thread && !in_aio_context_home_thread(ctx)) {
        /* Its IOThread makes progress; we wait in the main loop */
        assert(qemu_get_current_aio_context() == main_ctx);
        return main_ctx;
    }
    return ctx;
}

/*
 * Polls in a row, all waits of this thread together, that did nothing but
 * jump the virtual clock to a timer: past this many the condition is held
 * by nothing a timer can change (a periodic timer, e.g. qcow2's cache
 * cleaner, would otherwise keep a deadlocked wait spinning forever)
 */
#define AIO_WAIT_MAX_TIMER_ONLY_POLLS 100000
static __thread unsigned aio_wait_timer_only_polls;

void aio_wait_poll(AioContext *ctx, const char *file, int line)
{
    bool progress = aio_poll(ctx, true);

    if (!sched_is_deterministic() || ctx->has_thread) {
        return;
    }
    if (!progress) {
        fprintf(stderr, "AIO_WAIT_WHILE at %s:%d: deadlock: the condition "
                "still holds and nothing is left to run (deterministic "
                "mode, seed %" PRIu64 ")\n", file, line, sched_seed());
        abort();
    }
    aio_wait_timer_only_polls = aio_poll_det_last_jumped() ?
                                aio_wait_timer_only_polls + 1 : 0;
    if (aio_wait_timer_only_polls > AIO_WAIT_MAX_TIMER_ONLY_POLLS) {
        fprintf(stderr, "AIO_WAIT_WHILE at %s:%d: livelock: the condition "
                "still holds after %d polls that only ran timers (virtual "
                "clock at %" PRId64 " ns; deterministic mode, seed %" PRIu64
                ")\n", file, line, AIO_WAIT_MAX_TIMER_ONLY_POLLS,
                sched_clock_ns(), sched_seed());
        abort();
    }
}

void aio_wait_end(void)
{
    qatomic_dec(&aio_wait_waiters);
}

void aio_wait_kick(void)
{
    if (qatomic_mb_read(&aio_wait_waiters) > 0) {
        aio_notify(qemu_get_aio_context());
    }
}
