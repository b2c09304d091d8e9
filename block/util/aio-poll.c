/*
 * aio-poll.c: aio_poll(), in its realtime and deterministic forms.
 */
#include "util/osdep.h"

#include "aio-internal.h"

void aio_poll_ev_init(AioEventVec *v)
{
    v->ev = v->inline_ev;
    v->n = 0;
    v->cap = ARRAY_SIZE(v->inline_ev);
}

void aio_poll_ev_push(AioEventVec *v, AioEventKind kind, AioContext *ctx,
                        void *obj, short revents)
{
    if (v->n == v->cap) {
        v->cap *= 2;
        if (v->ev == v->inline_ev) {
            v->ev = g_new(AioEvent, v->cap);
            memcpy(v->ev, v->inline_ev, sizeof(v->inline_ev));
        } else {
            v->ev = g_renew(AioEvent, v->ev, v->cap);
        }
    }
    v->ev[v->n++] = (AioEvent) {
        .kind = kind, .ctx = ctx, .obj = obj, .revents = revents,
    };
}

void aio_poll_ev_destroy(AioEventVec *v)
{
    if (v->ev != v->inline_ev) {
        g_free(v->ev);
    }
}

/* Catch two threads polling one context at once (a caller bug) */
static void aio_poll_enter(AioContext *ctx)
{
    pthread_t self = pthread_self();

    aio_ctx_lock(ctx);
    if (ctx->poll_depth && !pthread_equal(ctx->poll_thread, self)) {
        fprintf(stderr, "aio_poll: context %p polled by two threads at "
                "once\n", (void *)ctx);
        abort();
    }
    ctx->poll_thread = self;
    ctx->poll_depth++;
    ctx->walking_handlers++;
    aio_ctx_unlock(ctx);
}

static void aio_poll_leave(AioContext *ctx)
{
    aio_ctx_lock(ctx);
    ctx->poll_depth--;
    aio_ctx_unlock(ctx);
    aio_fd_walk_end(ctx);
}

/*
 * Nothing pending, no fd handler (the notifier aside): a poll that does
 * not block would run nothing.  Asked with two locks, where a poll takes
 * the lock a dozen times and walks the fds: the drained sections of every
 * open and close poll once or twice, mostly for nothing (aio_poll was 8%
 * of the graph fuzz target's time).  A notification not consumed here is
 * by the next poll that finds work or blocks.
 */
static bool aio_poll_nothing_ready(AioContext *ctx)
{
    return !aio_fd_has_handlers(ctx) && !aio_has_pending(ctx);
}

static bool aio_poll_has_immediate(AioContext *ctx)
{
    bool busy;

    aio_ctx_lock(ctx);
    busy = !QTAILQ_EMPTY(&ctx->bh_queue) || !QTAILQ_EMPTY(&ctx->co_queue) ||
           !QTAILQ_EMPTY(&ctx->work_queue);
    aio_ctx_unlock(ctx);
    return busy;
}

/* Take the first coroutine or work item off ctx's queues */
static Coroutine *aio_poll_pop_co(AioContext *ctx)
{
    Coroutine *co;

    aio_ctx_lock(ctx);
    co = QTAILQ_FIRST(&ctx->co_queue);
    if (co) {
        QTAILQ_REMOVE(&ctx->co_queue, co, co_sched_next);
    }
    aio_ctx_unlock(ctx);
    return co;
}

static AioWork *aio_poll_pop_work(AioContext *ctx)
{
    AioWork *work;

    aio_ctx_lock(ctx);
    work = QTAILQ_FIRST(&ctx->work_queue);
    if (work) {
        QTAILQ_REMOVE(&ctx->work_queue, work, link);
    }
    aio_ctx_unlock(ctx);
    return work;
}

/* Realtime: everything ready now, in a fixed order */
static bool aio_poll_realtime(AioContext *ctx, bool blocking)
{
    AioPollFds fds;
    AioContext *old_ctx;
    Coroutine *co;
    AioWork *work;
    int64_t timeout = 0;
    size_t nr_co, nr_work;
    bool progress = false;

    aio_poll_enter(ctx);
    if (blocking && !aio_poll_has_immediate(ctx)) {
        timeout = qemu_timer_deadline_ns(ctx, true);
    }
    aio_fd_pollfds_init(&fds);
    aio_fd_add_pollfds(ctx, &fds);
    aio_fd_pollfds_wait(&fds, timeout);

    old_ctx = aio_tls_swap_ctx(ctx);
    progress |= aio_bh_poll(ctx);

    /* Only what is queued now: coroutines may re-schedule themselves */
    aio_ctx_lock(ctx);
    nr_co = 0;
    QTAILQ_FOREACH(co, &ctx->co_queue, co_sched_next) {
        nr_co++;
    }
    nr_work = 0;
    QTAILQ_FOREACH(work, &ctx->work_queue, link) {
        nr_work++;
    }
    aio_ctx_unlock(ctx);
    for (; nr_co && (co = aio_poll_pop_co(ctx)); nr_co--) {
        aio_co_run_scheduled(ctx, co);
        progress = true;
    }
    for (; nr_work && (work = aio_poll_pop_work(ctx)); nr_work--) {
        work->run(work);
        progress = true;
    }

    for (size_t i = 0; i < fds.n; i++) {
        if (fds.node[i] && fds.pfd[i].revents) {
            progress |= aio_fd_dispatch(fds.node[i], fds.pfd[i].revents);
        }
    }
    progress |= qemu_timer_run_expired(ctx, false);
    aio_tls_swap_ctx(old_ctx);

    aio_fd_pollfds_destroy(&fds);
    aio_poll_leave(ctx);
    return progress;
}

/* Deterministic: list every ready event of the contexts in set */
static void aio_poll_collect(AioContext **set, size_t nset, AioPollFds *fds,
                             AioEventVec *v)
{
    for (size_t i = 0; i < nset; i++) {
        AioContext *ctx = set[i];
        Coroutine *co;
        AioWork *work;

        aio_bh_collect(ctx, v);
        aio_ctx_lock(ctx);
        QTAILQ_FOREACH(co, &ctx->co_queue, co_sched_next) {
            aio_poll_ev_push(v, AIO_EV_CO, ctx, co, 0);
        }
        QTAILQ_FOREACH(work, &ctx->work_queue, link) {
            aio_poll_ev_push(v, AIO_EV_WORK, ctx, work, 0);
        }
        aio_ctx_unlock(ctx);
        if (qemu_timer_any_expired(ctx)) {
            aio_poll_ev_push(v, AIO_EV_TIMER, ctx, NULL, 0);
        }
    }
    for (size_t i = 0; i < fds->n; i++) {
        AioHandler *node = fds->node[i];
        short rev = fds->pfd[i].revents;

        if (node && !node->deleted &&
            ((node->io_read && (rev & (POLLIN | POLLHUP | POLLERR))) ||
             (node->io_write && (rev & (POLLOUT | POLLERR))))) {
            aio_poll_ev_push(v, AIO_EV_FD, fds->ctx[i], node, rev);
        }
    }
}

static bool aio_poll_run_event(AioEvent *ev)
{
    AioContext *old_ctx = aio_tls_swap_ctx(ev->ctx);
    bool progress = true;

    switch (ev->kind) {
    case AIO_EV_BH:
        progress = aio_bh_dispatch(ev->ctx, ev->obj);
        break;
    case AIO_EV_CO: {
        Coroutine *co = ev->obj;

        aio_ctx_lock(ev->ctx);
        QTAILQ_REMOVE(&ev->ctx->co_queue, co, co_sched_next);
        aio_ctx_unlock(ev->ctx);
        aio_co_run_scheduled(ev->ctx, co);
        break;
    }
    case AIO_EV_WORK: {
        AioWork *work = ev->obj;

        aio_ctx_lock(ev->ctx);
        QTAILQ_REMOVE(&ev->ctx->work_queue, work, link);
        aio_ctx_unlock(ev->ctx);
        work->run(work);
        break;
    }
    case AIO_EV_FD:
        progress = aio_fd_dispatch(ev->obj, ev->revents);
        break;
    case AIO_EV_TIMER:
        progress = qemu_timer_run_expired(ev->ctx, true);
        break;
    }
    aio_tls_swap_ctx(old_ctx);
    return progress;
}

/* Nothing can happen in set: may the virtual clock move? */
static bool aio_poll_world_idle(void)
{
    AioContext *buf[AIO_WORLD_INLINE], **world;
    size_t n = aio_world_get(&world, buf, ARRAY_SIZE(buf));
    bool idle = true;

    for (size_t i = 0; i < n; i++) {
        idle = idle && !aio_has_pending(world[i]);
    }
    aio_world_put(world, n, buf);
    return idle;
}

/* The last deterministic aio_poll() of this thread jumped the clock */
static __thread bool aio_poll_det_jumped;

bool aio_poll_det_last_jumped(void)
{
    return aio_poll_det_jumped;
}

/*
 * Nothing is ready in set: advance the virtual clock or wait for real
 * events. Returns false if nothing can ever become ready.
 */
static bool aio_poll_det_idle(AioContext **set, size_t nset)
{
    int64_t vdl = -1, rdl = -1;
    bool fds = false;
    AioPollFds pfds;

    for (size_t i = 0; i < nset; i++) {
        int64_t d = qemu_timer_virtual_deadline(set[i]);
        int64_t r = qemu_timer_deadline_ns(set[i], false);

        if (d >= 0 && (vdl < 0 || d < vdl)) {
            vdl = d;
        }
        if (r >= 0 && (rdl < 0 || r < rdl)) {
            rdl = r;
        }
        fds |= aio_fd_has_handlers(set[i]);
    }
    if (vdl >= 0 && aio_poll_world_idle()) {
        sched_clock_jump_to(vdl);
        aio_poll_det_jumped = true;
        return true;
    }
    if (rdl < 0 && !fds) {
        return false;
    }
    /* Real time or external fds: really wait */
    aio_fd_pollfds_init(&pfds);
    for (size_t i = 0; i < nset; i++) {
        aio_fd_add_pollfds(set[i], &pfds);
    }
    aio_fd_pollfds_wait(&pfds, rdl);
    aio_fd_pollfds_destroy(&pfds);
    return true;
}

/* Deterministic: dispatch one event picked by the PRNG */
static bool aio_poll_det(AioContext *ctx, bool blocking)
{
    AioContext *buf[AIO_WORLD_INLINE], **set;
    size_t nset;
    bool progress = false;

    aio_poll_det_jumped = false;
    if (ctx->in_world) {
        nset = aio_world_get(&set, buf, ARRAY_SIZE(buf));
    } else {
        set = buf;
        aio_context_ref(ctx);
        set[0] = ctx;
        nset = 1;
    }
    if (!blocking) {
        bool idle = true;

        for (size_t i = 0; i < nset && idle; i++) {
            idle = aio_poll_nothing_ready(set[i]);
        }
        if (idle) {
            aio_world_put(set, nset, buf);
            return false;
        }
    }
    for (size_t i = 0; i < nset; i++) {
        aio_poll_enter(set[i]);
    }
    for (;;) {
        AioPollFds fds;
        AioEventVec v;
        size_t nr_events;

        aio_fd_pollfds_init(&fds);
        for (size_t i = 0; i < nset; i++) {
            aio_fd_add_pollfds(set[i], &fds);
        }
        aio_fd_pollfds_wait(&fds, 0);
        aio_poll_ev_init(&v);
        aio_poll_collect(set, nset, &fds, &v);
        nr_events = v.n;
        if (nr_events) {
            AioEvent ev = v.ev[sched_rand_below(v.n)];

            sched_count_event();
            progress = aio_poll_run_event(&ev);
        }
        aio_poll_ev_destroy(&v);
        aio_fd_pollfds_destroy(&fds);
        if (progress || !blocking) {
            break;
        }
        if (!nr_events && !aio_poll_det_idle(set, nset)) {
            break;
        }
    }
    for (size_t i = 0; i < nset; i++) {
        aio_poll_leave(set[i]);
    }
    aio_world_put(set, nset, buf);
    return progress;
}

bool aio_poll(AioContext *ctx, bool blocking)
{
    if (sched_is_deterministic() && !ctx->has_thread) {
        return aio_poll_det(ctx, blocking);
    }
    if (!blocking && aio_poll_nothing_ready(ctx)) {
        return false;
    }
    return aio_poll_realtime(ctx, blocking);
}
