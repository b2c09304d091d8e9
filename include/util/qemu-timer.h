/*
 * qemu-timer.h: clocks and AioContext timers (QEMU's API).
 *
 * Clocks:
 *   QEMU_CLOCK_REALTIME  monotonic time (CLOCK_MONOTONIC)
 *   QEMU_CLOCK_HOST      the same source as REALTIME in drydock
 *   QEMU_CLOCK_VIRTUAL   follows REALTIME by default; in deterministic mode
 *                        (sched.h) it starts at 0 and only moves when the
 *                        scheduler advances it: a blocking aio_poll() with
 *                        nothing else to do jumps it to the earliest virtual
 *                        deadline instead of sleeping.
 *
 * A timer belongs to one AioContext and its callback runs from that
 * context's aio_poll(). timer_mod/timer_del may be called from any thread.
 */
#ifndef DRYDOCK_UTIL_QEMU_TIMER_H
#define DRYDOCK_UTIL_QEMU_TIMER_H

#include "util/osdep.h"
#include "util/queue.h"

#define SCALE_MS 1000000
#define SCALE_US 1000
#define SCALE_NS 1

#define NANOSECONDS_PER_SECOND 1000000000LL

typedef enum QEMUClockType {
    QEMU_CLOCK_REALTIME = 0,
    QEMU_CLOCK_VIRTUAL = 1,
    QEMU_CLOCK_HOST = 2,
    QEMU_CLOCK_MAX
} QEMUClockType;

typedef struct AioContext AioContext;
typedef void QEMUTimerCB(void *opaque);

/* Public so that timers can be embedded (aio_timer_init); fields private */
typedef struct QEMUTimer {
    AioContext *ctx;
    QEMUClockType type;
    int scale;
    QEMUTimerCB *cb;
    void *opaque;
    int64_t expire_ns;              /* -1 when not pending */
    QTAILQ_ENTRY(QEMUTimer) link;   /* in ctx's list for this clock */
} QEMUTimer;

int64_t qemu_clock_get_ns(QEMUClockType type);
int64_t qemu_clock_get_us(QEMUClockType type);
int64_t qemu_clock_get_ms(QEMUClockType type);
/* Current real (monotonic) time, whatever the mode */
int64_t get_clock(void);

/*
 * scale converts the unit of timer_mod() to ns (SCALE_NS/US/MS). The
 * callback runs in ctx. Free with timer_free().
 */
QEMUTimer *aio_timer_new(AioContext *ctx, QEMUClockType type, int scale,
                         QEMUTimerCB *cb, void *opaque);
/* Initialise caller-provided storage; undo with timer_deinit() */
void aio_timer_init(AioContext *ctx, QEMUTimer *ts, QEMUClockType type,
                    int scale, QEMUTimerCB *cb, void *opaque);

/* Timers in the main AioContext */
QEMUTimer *timer_new(QEMUClockType type, int scale, QEMUTimerCB *cb,
                     void *opaque);
QEMUTimer *timer_new_ns(QEMUClockType type, QEMUTimerCB *cb, void *opaque);
QEMUTimer *timer_new_us(QEMUClockType type, QEMUTimerCB *cb, void *opaque);
QEMUTimer *timer_new_ms(QEMUClockType type, QEMUTimerCB *cb, void *opaque);

/* Arm (or re-arm) to fire at expire_time, in the timer's scale units */
void timer_mod(QEMUTimer *ts, int64_t expire_time);
void timer_mod_ns(QEMUTimer *ts, int64_t expire_ns);
/* Re-arm only if that makes the timer fire earlier (or it is not armed) */
void timer_mod_anticipate(QEMUTimer *ts, int64_t expire_time);
void timer_mod_anticipate_ns(QEMUTimer *ts, int64_t expire_ns);
/* Disarm; a no-op when not pending */
void timer_del(QEMUTimer *ts);
/* Disarm a timer set up by aio_timer_init */
void timer_deinit(QEMUTimer *ts);
/* Disarm and free; NULL is fine */
void timer_free(QEMUTimer *ts);
bool timer_pending(QEMUTimer *ts);
/* Pending and due at current_time (in the timer's scale units) */
bool timer_expired(QEMUTimer *ts, int64_t current_time);
/* Deadline in ns, -1 when not pending */
int64_t timer_expire_time_ns(QEMUTimer *ts);

#endif /* DRYDOCK_UTIL_QEMU_TIMER_H */
