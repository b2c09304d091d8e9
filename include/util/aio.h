/*
 * aio.h: AioContext, drydock's event loop (QEMU's API).
 *
 * An AioContext dispatches bottom halves (BHs), fd handlers, timers,
 * scheduled coroutines and (in deterministic mode) thread-pool work.
 * There is the main context (qemu_get_aio_context()) and one per IOThread.
 * Only one thread may run aio_poll() on a context at a time (its "home"
 * thread); scheduling BHs, coroutines and timers is thread-safe and wakes a
 * blocking aio_poll() through an eventfd.
 *
 * Realtime mode (default): aio_poll() runs everything that is ready, in
 * order: BHs (in the order they were scheduled), scheduled coroutines, fd
 * handlers, expired timers. Work that becomes ready during a call runs in a
 * later call.
 *
 * Deterministic mode (sched.h): every aio_poll() call dispatches exactly
 * ONE ready event chosen by the scheduler's PRNG, so a seed defines an
 * interleaving. aio_poll() of the main context (and AIO_WAIT_WHILE) also
 * polls the contexts of virtual IOThreads. A blocking poll with nothing
 * ready advances the virtual clock to the earliest virtual timer; if
 * nothing at all can happen it returns false, and AIO_WAIT_WHILE then
 * aborts with a deadlock report instead of hanging.
 */
#ifndef DRYDOCK_UTIL_AIO_H
#define DRYDOCK_UTIL_AIO_H

#include "util/osdep.h"
#include "util/error.h"
#include "util/atomic.h"
#include "util/queue.h"
#include "util/qemu-timer.h"
#include "util/coroutine.h"

typedef struct AioContext AioContext;
typedef struct QEMUBH QEMUBH;
typedef struct Coroutine Coroutine;
typedef void QEMUBHFunc(void *opaque);
typedef void IOHandler(void *opaque);

/* A new standalone context (refcount 1); fails only if eventfd fails */
AioContext *aio_context_new(Error **errp);
void aio_context_ref(AioContext *ctx);
void aio_context_unref(AioContext *ctx);

/* The main context (created on first use if qemu_init_main_loop was not) */
AioContext *qemu_get_aio_context(void);
/*
 * The context whose work is running in this thread: the context of the
 * running coroutine, else of the event being dispatched, else the
 * IOThread's context in an IOThread, else the main context.
 */
AioContext *qemu_get_current_aio_context(void);
/* ctx == qemu_get_current_aio_context() */
bool in_aio_context_home_thread(AioContext *ctx);

/*
 * Compatibility no-ops: drydock, like current QEMU, has no per-context
 * lock; callers must respect the home-thread rule instead.
 */
void aio_context_acquire(AioContext *ctx);
void aio_context_release(AioContext *ctx);

/* ---- Bottom halves ---- */

/* A BH runs cb(opaque) once per qemu_bh_schedule(), from ctx's aio_poll */
QEMUBH *aio_bh_new(AioContext *ctx, QEMUBHFunc *cb, void *opaque);
/* name shows in debug output */
QEMUBH *aio_bh_new_full(AioContext *ctx, QEMUBHFunc *cb, void *opaque,
                        const char *name);
/* aio_bh_new in the main context */
QEMUBH *qemu_bh_new(QEMUBHFunc *cb, void *opaque);
/* Any thread. Scheduling an already-scheduled BH does nothing. */
void qemu_bh_schedule(QEMUBH *bh);
/* Unschedule; the BH can be scheduled again */
void qemu_bh_cancel(QEMUBH *bh);
/* Cancel and free (also safe from the BH's own callback); NULL is fine */
void qemu_bh_delete(QEMUBH *bh);
/* Run cb(opaque) once from ctx's loop, then free the BH. Any thread. */
void aio_bh_schedule_oneshot(AioContext *ctx, QEMUBHFunc *cb, void *opaque);
void aio_bh_schedule_oneshot_full(AioContext *ctx, QEMUBHFunc *cb,
                                  void *opaque, const char *name);

/* ---- fd handlers ---- */

/*
 * Call io_read when fd is readable (or hung up / in error) and io_write
 * when it is writable, from ctx's aio_poll. Replaces any handler already
 * set for fd; io_read == io_write == NULL removes it.
 * Deviation from QEMU: no is_external / io_poll / io_poll_ready arguments.
 */
void aio_set_fd_handler(AioContext *ctx, int fd, IOHandler *io_read,
                        IOHandler *io_write, void *opaque);

/* ---- Polling ---- */

/*
 * Dispatch ready work (see the top of this file). blocking: first wait
 * (poll(2)) for something to become ready. Returns whether any callback
 * ran. Must not be called from two threads at once on the same context.
 */
bool aio_poll(AioContext *ctx, bool blocking);
/* Wake a blocking aio_poll(ctx) (any thread) */
void aio_notify(AioContext *ctx);

/* ---- Coroutines ---- */

/* Enter co from ctx's loop later (any thread). co must not be running. */
void aio_co_schedule(AioContext *ctx, Coroutine *co);
/* Re-enter co in the context it last ran in (see aio_co_enter) */
void aio_co_wake(Coroutine *co);
/*
 * Enter co in ctx: directly if ctx is the current context and we are not
 * in a coroutine; queued until the current coroutine yields if we are in
 * a coroutine of ctx; otherwise scheduled with aio_co_schedule().
 */
void aio_co_enter(AioContext *ctx, Coroutine *co);

/*
 * Move the running coroutine to new_ctx: it continues there (in new_ctx's
 * home thread) when this returns. A no-op if already in new_ctx.
 */
void coroutine_fn aio_co_reschedule_self(AioContext *new_ctx);

/* ---- Waiting ---- */

/*
 * AIO_WAIT_WHILE(ctx, cond): poll until cond is false; evaluates to
 * whether it polled at all. cond must be free of side effects (read
 * counters with acquire ordering; never poll in it): work that re-arms
 * itself forever would otherwise keep the wait from ending. Call it from the main thread (outside
 * coroutines), or from ctx's own home thread. When ctx is an IOThread's
 * context the main context is polled while the IOThread makes progress;
 * code completing work in another thread must call aio_wait_kick().
 * In deterministic mode the whole world (main + virtual IOThreads) is
 * polled here, and a deadlock aborts with a report.
 */
#define AIO_WAIT_WHILE(ctx, cond) __extension__({                       \
        bool aio_wait_waited_ = false;                                  \
        AioContext *aio_wait_ctx_ = aio_wait_begin((ctx));              \
        while ((cond)) {                                                \
            aio_wait_poll(aio_wait_ctx_, __FILE__, __LINE__);           \
            aio_wait_waited_ = true;                                    \
        }                                                               \
        aio_wait_end();                                                 \
        aio_wait_waited_;                                               \
    })

#define AIO_WAIT_WHILE_UNLOCKED(ctx, cond) AIO_WAIT_WHILE(ctx, cond)

/* Wake the main loop if some AIO_WAIT_WHILE is waiting (any thread) */
void aio_wait_kick(void);

/* Implementation of AIO_WAIT_WHILE; returns the context to poll */
AioContext *aio_wait_begin(AioContext *ctx);
void aio_wait_poll(AioContext *ctx, const char *file, int line);
void aio_wait_end(void);

#endif /* DRYDOCK_UTIL_AIO_H */
