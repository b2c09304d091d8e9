/*
 * coroutine.h: cooperative coroutines (QEMU's API), and the coroutine
 * locks CoMutex, CoQueue and CoRwlock.
 *
 * A coroutine runs on its own mmap'ed stack (COROUTINE_STACK_SIZE, with a
 * PROT_NONE guard page below it so that an overflow faults). Stack
 * switches are annotated for ASan and TSan. Finished coroutines are kept
 * in a bounded pool and reused.
 *
 * Each coroutine belongs to the AioContext it was last entered in
 * (qemu_coroutine_get_aio_context()); aio_co_wake() re-enters it there.
 * Coroutines may move between threads (e.g. entered from an IOThread);
 * the "current coroutine" is per thread.
 *
 * A waking coroutine never runs nested inside the coroutine that woke it:
 * aio_co_wake()/aio_co_enter() from inside a coroutine of the same
 * AioContext queue the target, and it is entered as soon as the current
 * coroutine yields or terminates (QEMU's behaviour).
 */
#ifndef DRYDOCK_UTIL_COROUTINE_H
#define DRYDOCK_UTIL_COROUTINE_H

#include <pthread.h>

#include "util/osdep.h"
#include "util/queue.h"
#include "util/qemu-timer.h"

/* Annotations, checked by review only (no static analyser yet) */
#define coroutine_fn        /* only callable from a coroutine */
#define coroutine_mixed_fn  /* callable from both; behaves accordingly */
#define no_coroutine_fn     /* must not be called from a coroutine */
#define co_wrapper          /* non-coroutine wrapper of a coroutine_fn */
#define co_wrapper_mixed    /* wrapper that calls directly in a coroutine */

/* Usable stack of every coroutine (plus one guard page) */
#define COROUTINE_STACK_SIZE (1024 * 1024)
/* Finished coroutines kept for reuse */
#define COROUTINE_POOL_MAX 64

typedef struct AioContext AioContext;
typedef struct Coroutine Coroutine;
typedef void coroutine_fn CoroutineEntry(void *opaque);

/* Never fails (aborts when out of memory) */
Coroutine *qemu_coroutine_create(CoroutineEntry *entry, void *opaque);

/*
 * Transfer control to co until it yields or terminates. co must not be
 * running or scheduled already (that aborts with a message). co becomes a
 * coroutine of the current AioContext.
 */
void qemu_coroutine_enter(Coroutine *co);
/* Same, with co attached to ctx (which must be the current context) */
void qemu_aio_coroutine_enter(AioContext *ctx, Coroutine *co);
/* Enter co only if it is not currently running (i.e. it has yielded) */
void qemu_coroutine_enter_if_inactive(Coroutine *co);

/* Return to whoever entered the current coroutine */
void coroutine_fn qemu_coroutine_yield(void);

/* The running coroutine; outside coroutines a per-thread placeholder */
Coroutine *qemu_coroutine_self(void);
bool qemu_in_coroutine(void);
/* True while co is running or has entered another coroutine */
bool qemu_coroutine_entered(Coroutine *co);
AioContext *qemu_coroutine_get_aio_context(Coroutine *co);

/*
 * Finished coroutines are pooled per thread: a coroutine that terminates
 * is reused by the next qemu_coroutine_create() of the thread it ran in.
 * Coroutines waiting in this thread's pool (for tests).
 */
unsigned qemu_coroutine_pool_size(void);
/* Free this thread's pooled coroutines and the shared overflow pool */
void qemu_coroutine_pool_drain(void);

/* ---- CoMutex: a FIFO, fair mutex for coroutines ---- */

typedef struct CoWaitRecord CoWaitRecord;

typedef struct CoMutex {
    int spin;                 /* protects the fields below */
    bool locked;
    Coroutine *holder;
    QTAILQ_HEAD(, CoWaitRecord) waiters;
} CoMutex;

/* A zero-filled CoMutex is a valid unlocked mutex too */
void qemu_co_mutex_init(CoMutex *mutex);
/* Waiters acquire the mutex in the order they called lock() */
void coroutine_fn qemu_co_mutex_lock(CoMutex *mutex);
/* Hands ownership directly to the first waiter, if any */
void coroutine_fn qemu_co_mutex_unlock(CoMutex *mutex);
/* Abort unless the current coroutine holds mutex */
void coroutine_fn qemu_co_mutex_assert_locked(CoMutex *mutex);

/* ---- CoQueue: coroutines waiting for a condition ---- */

/* A zero-filled CoQueue is a valid empty queue too */
typedef struct CoQueue {
    QTAILQ_HEAD(, Coroutine) entries;
} CoQueue;

void qemu_co_queue_init(CoQueue *queue);
/*
 * Wait until woken. If lock is not NULL it is released while waiting and
 * re-acquired before returning. Deviation from QEMU: lock is a CoMutex *,
 * not any lockable type.
 */
void coroutine_fn qemu_co_queue_wait(CoQueue *queue, CoMutex *lock);
/* Wake the first waiter; returns false if there was none */
bool qemu_co_queue_next(CoQueue *queue);
/* Wake every waiter */
void qemu_co_queue_restart_all(CoQueue *queue);
bool qemu_co_queue_empty(CoQueue *queue);
/*
 * Wake the first waiter from outside a coroutine. lock (may be NULL) is a
 * pthread mutex protecting queue; it is dropped while the waiter runs.
 * Deviation from QEMU: lock is a pthread_mutex_t *.
 */
bool qemu_co_enter_next(CoQueue *queue, pthread_mutex_t *lock);

/* ---- CoRwlock: readers/writer lock, writers are not starved ---- */

typedef struct CoRwlock {
    CoMutex mutex;
    CoQueue readers_queue;    /* readers waiting for writers to finish */
    CoQueue writers_queue;
    int readers;              /* active readers */
    int pending_writers;
    bool writer;              /* a writer holds the lock */
} CoRwlock;

void qemu_co_rwlock_init(CoRwlock *lock);
void coroutine_fn qemu_co_rwlock_rdlock(CoRwlock *lock);
void coroutine_fn qemu_co_rwlock_wrlock(CoRwlock *lock);
/* Turn a held read lock into the write lock (may wait) */
void coroutine_fn qemu_co_rwlock_upgrade(CoRwlock *lock);
/* Turn the held write lock into a read lock */
void coroutine_fn qemu_co_rwlock_downgrade(CoRwlock *lock);
void coroutine_fn qemu_co_rwlock_unlock(CoRwlock *lock);

/* ---- Sleeping ---- */

/*
 * Yield for ns nanoseconds of the given clock (a timer in the current
 * AioContext re-enters the coroutine). On QEMU_CLOCK_VIRTUAL in
 * deterministic mode this takes no real time.
 */
void coroutine_fn qemu_co_sleep_ns(QEMUClockType type, int64_t ns);

/*
 * Yield until the next time the current AioContext is polled (lets other
 * work run). drydock addition.
 */
void coroutine_fn qemu_co_yield_to_loop(void);

#endif /* DRYDOCK_UTIL_COROUTINE_H */
