/*
 * qemu-timer.c: clocks and per-AioContext timer lists.
 *
 * Each context keeps one list per clock, sorted by deadline (timers with
 * equal deadlines fire in the order they were armed).
 */
#include "util/osdep.h"

#include <time.h>

#include "util/main-loop.h"
#include "aio-internal.h"

int64_t get_clock(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * NANOSECONDS_PER_SECOND + ts.tv_nsec;
}

int64_t qemu_clock_get_ns(QEMUClockType type)
{
    switch (type) {
    case QEMU_CLOCK_VIRTUAL:
        return sched_is_deterministic() ? sched_clock_ns() : get_clock();
    case QEMU_CLOCK_REALTIME:
    case QEMU_CLOCK_HOST:
    default:
        return get_clock();
    }
}

int64_t qemu_clock_get_us(QEMUClockType type)
{
    return qemu_clock_get_ns(type) / SCALE_US;
}

int64_t qemu_clock_get_ms(QEMUClockType type)
{
    return qemu_clock_get_ns(type) / SCALE_MS;
}

void aio_timer_init(AioContext *ctx, QEMUTimer *ts, QEMUClockType type,
                    int scale, QEMUTimerCB *cb, void *opaque)
{
    assert(ctx && cb && scale > 0);
    assert(type >= 0 && type < QEMU_CLOCK_MAX);
    memset(ts, 0, sizeof(*ts));
    ts->ctx = ctx;
    ts->type = type;
    ts->scale = scale;
    ts->cb = cb;
    ts->opaque = opaque;
    ts->expire_ns = -1;
}

QEMUTimer *aio_timer_new(AioContext *ctx, QEMUClockType type, int scale,
                         QEMUTimerCB *cb, void *opaque)
{
    QEMUTimer *ts = g_new(QEMUTimer, 1);

    aio_timer_init(ctx, ts, type, scale, cb, opaque);
    return ts;
}

QEMUTimer *timer_new(QEMUClockType type, int scale, QEMUTimerCB *cb,
                     void *opaque)
{
    return aio_timer_new(qemu_get_aio_context(), type, scale, cb, opaque);
}

QEMUTimer *timer_new_ns(QEMUClockType type, QEMUTimerCB *cb, void *opaque)
{
    return timer_new(type, SCALE_NS, cb, opaque);
}

QEMUTimer *timer_new_us(QEMUClockType type, QEMUTimerCB *cb, void *opaque)
{
    return timer_new(type, SCALE_US, cb, opaque);
}

QEMUTimer *timer_new_ms(QEMUClockType type, QEMUTimerCB *cb, void *opaque)
{
    return timer_new(type, SCALE_MS, cb, opaque);
}

/* Under ctx->lock */
static void qemu_timer_unlink_locked(QEMUTimer *ts)
{
    if (ts->expire_ns >= 0) {
        QTAILQ_REMOVE(&ts->ctx->timers[ts->type], ts, link);
        ts->expire_ns = -1;
    }
}

/* Returns true if ts is now the first timer of its list */
static bool qemu_timer_insert_locked(QEMUTimer *ts, int64_t expire_ns)
{
    QEMUTimer *t;
    typeof(ts->ctx->timers[0]) *list = &ts->ctx->timers[ts->type];

    ts->expire_ns = MAX(expire_ns, 0);
    QTAILQ_FOREACH(t, list, link) {
        if (t->expire_ns > ts->expire_ns) {
            QTAILQ_INSERT_BEFORE(t, ts, link);
            return QTAILQ_FIRST(list) == ts;
        }
    }
    QTAILQ_INSERT_TAIL(list, ts, link);
    return QTAILQ_FIRST(list) == ts;
}

void timer_mod_ns(QEMUTimer *ts, int64_t expire_ns)
{
    AioContext *ctx = ts->ctx;
    bool first;

    aio_ctx_lock(ctx);
    qemu_timer_unlink_locked(ts);
    first = qemu_timer_insert_locked(ts, expire_ns);
    if (first) {
        aio_notify(ctx);    /* a blocking poll may need a shorter timeout */
    }
    aio_ctx_unlock(ctx);
}

/* expire_time * scale, saturating instead of overflowing */
static int64_t qemu_timer_scale(QEMUTimer *ts, int64_t expire_time)
{
    int64_t ns;

    if (expire_time < 0) {
        return 0;
    }
    if (__builtin_mul_overflow(expire_time, (int64_t)ts->scale, &ns)) {
        return INT64_MAX;
    }
    return ns;
}

void timer_mod(QEMUTimer *ts, int64_t expire_time)
{
    timer_mod_ns(ts, qemu_timer_scale(ts, expire_time));
}

void timer_mod_anticipate_ns(QEMUTimer *ts, int64_t expire_ns)
{
    AioContext *ctx = ts->ctx;
    bool first = false;

    aio_ctx_lock(ctx);
    if (ts->expire_ns < 0 || MAX(expire_ns, 0) < ts->expire_ns) {
        qemu_timer_unlink_locked(ts);
        first = qemu_timer_insert_locked(ts, expire_ns);
    }
    if (first) {
        aio_notify(ctx);
    }
    aio_ctx_unlock(ctx);
}

void timer_mod_anticipate(QEMUTimer *ts, int64_t expire_time)
{
    timer_mod_anticipate_ns(ts, qemu_timer_scale(ts, expire_time));
}

void timer_del(QEMUTimer *ts)
{
    aio_ctx_lock(ts->ctx);
    qemu_timer_unlink_locked(ts);
    aio_ctx_unlock(ts->ctx);
}

void timer_deinit(QEMUTimer *ts)
{
    timer_del(ts);
    ts->ctx = NULL;
}

void timer_free(QEMUTimer *ts)
{
    if (ts) {
        timer_del(ts);
        g_free(ts);
    }
}

int64_t timer_expire_time_ns(QEMUTimer *ts)
{
    int64_t ns;

    aio_ctx_lock(ts->ctx);
    ns = ts->expire_ns;
    aio_ctx_unlock(ts->ctx);
    return ns;
}

bool timer_pending(QEMUTimer *ts)
{
    return timer_expire_time_ns(ts) >= 0;
}

bool timer_expired(QEMUTimer *ts, int64_t current_time)
{
    int64_t ns = timer_expire_time_ns(ts);

    return ns >= 0 && ns <= qemu_timer_scale(ts, current_time);
}

/* ---- used by the poller ---- */

int64_t qemu_timer_deadline_ns(AioContext *ctx, bool include_virtual)
{
    int64_t deadline = -1;

    for (int type = 0; type < QEMU_CLOCK_MAX; type++) {
        QEMUTimer *first;
        int64_t expire, delta;

        if (type == QEMU_CLOCK_VIRTUAL && !include_virtual) {
            continue;
        }
        aio_ctx_lock(ctx);
        first = QTAILQ_FIRST(&ctx->timers[type]);
        expire = first ? first->expire_ns : -1;
        aio_ctx_unlock(ctx);
        if (expire < 0) {
            continue;
        }
        delta = MAX(expire - qemu_clock_get_ns(type), 0);
        if (deadline < 0 || delta < deadline) {
            deadline = delta;
        }
    }
    return deadline;
}

int64_t qemu_timer_virtual_deadline(AioContext *ctx)
{
    QEMUTimer *first;
    int64_t expire;

    aio_ctx_lock(ctx);
    first = QTAILQ_FIRST(&ctx->timers[QEMU_CLOCK_VIRTUAL]);
    expire = first ? first->expire_ns : -1;
    aio_ctx_unlock(ctx);
    return expire;
}

bool qemu_timer_any_expired(AioContext *ctx)
{
    int64_t expire_ns[QEMU_CLOCK_MAX];
    bool armed[QEMU_CLOCK_MAX];

    /* One lock for all the lists: every poll asks this of each context */
    aio_ctx_lock(ctx);
    for (int type = 0; type < QEMU_CLOCK_MAX; type++) {
        QEMUTimer *first = QTAILQ_FIRST(&ctx->timers[type]);

        armed[type] = first;
        expire_ns[type] = first ? first->expire_ns : 0;
    }
    aio_ctx_unlock(ctx);
    /* The clock is read only for an armed timer (most contexts have none) */
    for (int type = 0; type < QEMU_CLOCK_MAX; type++) {
        if (armed[type] && expire_ns[type] <= qemu_clock_get_ns(type)) {
            return true;
        }
    }
    return false;
}

bool qemu_timer_run_expired(AioContext *ctx, bool just_one)
{
    bool progress = false;

    /*
     * Every poll asks; most contexts have no timer: no clock is read and
     * the lock is taken once (a poll of an idle context cost three clock
     * reads and three locks)
     */
    if (!qemu_timer_any_expired(ctx)) {
        return false;
    }
    for (int type = 0; type < QEMU_CLOCK_MAX; type++) {
        /* Read once: a callback re-arming at "now" runs next time */
        int64_t now = qemu_clock_get_ns(type);
        QEMUTimer *ts;

        for (;;) {
            QEMUTimerCB *cb;
            void *opaque;

            aio_ctx_lock(ctx);
            ts = QTAILQ_FIRST(&ctx->timers[type]);
            if (!ts || ts->expire_ns > now) {
                aio_ctx_unlock(ctx);
                break;
            }
            qemu_timer_unlink_locked(ts);
            cb = ts->cb;
            opaque = ts->opaque;
            aio_ctx_unlock(ctx);
            /* ts may be freed or re-armed by its callback */
            cb(opaque);
            progress = true;
            if (just_one) {
                return true;
            }
        }
    }
    return progress;
}

void qemu_timer_ctx_cleanup(AioContext *ctx)
{
    for (int type = 0; type < QEMU_CLOCK_MAX; type++) {
        QEMUTimer *ts;

        while ((ts = QTAILQ_FIRST(&ctx->timers[type]))) {
            qemu_timer_unlink_locked(ts);
        }
    }
}
