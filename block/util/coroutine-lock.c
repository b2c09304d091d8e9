/*
 * coroutine-lock.c: CoMutex, CoQueue, CoRwlock and coroutine sleeps.
 *
 * Waiters are woken with aio_co_wake(), so a waiter always resumes in its
 * own AioContext, and a waiter in the waker's context runs only once the
 * waker yields.
 */
#include "util/osdep.h"

#include <sched.h>

#include "util/aio.h"
#include "coroutine-internal.h"

/* A waiter on a CoMutex (lives on the waiting coroutine's stack) */
struct CoWaitRecord {
    Coroutine *co;
    QTAILQ_ENTRY(CoWaitRecord) link;
};

/* The spin lock only covers a few list operations; never held across yield */
static void coroutine_lock_spin_acquire(int *spin)
{
    unsigned tries = 0;

    while (__atomic_exchange_n(spin, 1, __ATOMIC_ACQUIRE)) {
        while (__atomic_load_n(spin, __ATOMIC_RELAXED)) {
            if (++tries % 64 == 0) {
                sched_yield();
            }
        }
    }
}

static void coroutine_lock_spin_release(int *spin)
{
    __atomic_store_n(spin, 0, __ATOMIC_RELEASE);
}

void qemu_co_mutex_init(CoMutex *mutex)
{
    memset(mutex, 0, sizeof(*mutex));
    QTAILQ_INIT(&mutex->waiters);
}

void coroutine_fn qemu_co_mutex_lock(CoMutex *mutex)
{
    Coroutine *self = qemu_coroutine_self();
    CoWaitRecord w = { .co = self };

    coroutine_lock_spin_acquire(&mutex->spin);
    if (!mutex->locked) {
        mutex->locked = true;
        mutex->holder = self;
        coroutine_lock_spin_release(&mutex->spin);
        self->locks_held++;
        return;
    }
    if (mutex->holder == self) {
        fprintf(stderr, "qemu_co_mutex_lock: recursive locking by the "
                "holder\n");
        abort();
    }
    QTAILQ_INSERT_TAIL(&mutex->waiters, &w, link);
    coroutine_lock_spin_release(&mutex->spin);

    /* unlock() hands the mutex over to us before waking us */
    qemu_coroutine_yield();
    assert(qatomic_read(&mutex->holder) == self);
    self->locks_held++;
}

void coroutine_fn qemu_co_mutex_unlock(CoMutex *mutex)
{
    Coroutine *self = qemu_coroutine_self();
    CoWaitRecord *w;
    Coroutine *next = NULL;

    coroutine_lock_spin_acquire(&mutex->spin);
    if (!mutex->locked || mutex->holder != self) {
        fprintf(stderr, "qemu_co_mutex_unlock: the mutex is not held by "
                "this coroutine\n");
        abort();
    }
    w = QTAILQ_FIRST(&mutex->waiters);
    if (w) {
        QTAILQ_REMOVE(&mutex->waiters, w, link);
        next = w->co;           /* w dies once next runs */
        qatomic_set(&mutex->holder, next);
    } else {
        mutex->locked = false;
        qatomic_set(&mutex->holder, NULL);
    }
    coroutine_lock_spin_release(&mutex->spin);
    assert(self->locks_held > 0);
    self->locks_held--;
    if (next) {
        aio_co_wake(next);
    }
}

void coroutine_fn qemu_co_mutex_assert_locked(CoMutex *mutex)
{
    assert(mutex->locked &&
           qatomic_read(&mutex->holder) == qemu_coroutine_self());
}

/* ---- CoQueue ---- */

void qemu_co_queue_init(CoQueue *queue)
{
    QTAILQ_INIT(&queue->entries);
}

void coroutine_fn qemu_co_queue_wait(CoQueue *queue, CoMutex *lock)
{
    Coroutine *self = qemu_coroutine_self();

    assert(qemu_in_coroutine());
    QTAILQ_INSERT_TAIL(&queue->entries, self, co_queue_next);
    if (lock) {
        qemu_co_mutex_unlock(lock);
    }
    qemu_coroutine_yield();
    /* Whoever woke us took us off the queue */
    assert(!QTAILQ_IN_USE(self, co_queue_next));
    if (lock) {
        qemu_co_mutex_lock(lock);
    }
}

static Coroutine *coroutine_lock_queue_pop(CoQueue *queue)
{
    Coroutine *next = QTAILQ_FIRST(&queue->entries);

    if (next) {
        QTAILQ_REMOVE(&queue->entries, next, co_queue_next);
    }
    return next;
}

bool qemu_co_queue_next(CoQueue *queue)
{
    Coroutine *next = coroutine_lock_queue_pop(queue);

    if (!next) {
        return false;
    }
    aio_co_wake(next);
    return true;
}

void qemu_co_queue_restart_all(CoQueue *queue)
{
    while (qemu_co_queue_next(queue)) {
        /* wake them all */
    }
}

bool qemu_co_queue_empty(CoQueue *queue)
{
    return QTAILQ_EMPTY(&queue->entries);
}

bool qemu_co_enter_next(CoQueue *queue, pthread_mutex_t *lock)
{
    Coroutine *next = coroutine_lock_queue_pop(queue);

    if (!next) {
        return false;
    }
    if (lock) {
        pthread_mutex_unlock(lock);
    }
    aio_co_wake(next);
    if (lock) {
        pthread_mutex_lock(lock);
    }
    return true;
}

/* ---- CoRwlock ---- */

void qemu_co_rwlock_init(CoRwlock *lock)
{
    memset(lock, 0, sizeof(*lock));
    qemu_co_mutex_init(&lock->mutex);
    qemu_co_queue_init(&lock->readers_queue);
    qemu_co_queue_init(&lock->writers_queue);
}

void coroutine_fn qemu_co_rwlock_rdlock(CoRwlock *lock)
{
    qemu_co_mutex_lock(&lock->mutex);
    /* Queued writers go first, so a stream of readers cannot starve them */
    while (lock->writer || lock->pending_writers) {
        qemu_co_queue_wait(&lock->readers_queue, &lock->mutex);
    }
    lock->readers++;
    qemu_co_mutex_unlock(&lock->mutex);
    qemu_coroutine_self()->locks_held++;
}

/* Under lock->mutex: take the write lock, waiting as needed */
static void coroutine_fn coroutine_lock_rwlock_take_write(CoRwlock *lock)
{
    lock->pending_writers++;
    while (lock->writer || lock->readers) {
        qemu_co_queue_wait(&lock->writers_queue, &lock->mutex);
    }
    lock->pending_writers--;
    lock->writer = true;
}

void coroutine_fn qemu_co_rwlock_wrlock(CoRwlock *lock)
{
    qemu_co_mutex_lock(&lock->mutex);
    coroutine_lock_rwlock_take_write(lock);
    qemu_co_mutex_unlock(&lock->mutex);
    qemu_coroutine_self()->locks_held++;
}

void coroutine_fn qemu_co_rwlock_upgrade(CoRwlock *lock)
{
    qemu_co_mutex_lock(&lock->mutex);
    assert(lock->readers > 0 && !lock->writer);
    lock->readers--;
    coroutine_lock_rwlock_take_write(lock);
    qemu_co_mutex_unlock(&lock->mutex);
}

void coroutine_fn qemu_co_rwlock_downgrade(CoRwlock *lock)
{
    qemu_co_mutex_lock(&lock->mutex);
    assert(lock->writer);
    lock->writer = false;
    lock->readers++;
    if (!lock->pending_writers) {
        qemu_co_queue_restart_all(&lock->readers_queue);
    }
    qemu_co_mutex_unlock(&lock->mutex);
}

void coroutine_fn qemu_co_rwlock_unlock(CoRwlock *lock)
{
    qemu_co_mutex_lock(&lock->mutex);
    if (lock->writer) {
        lock->writer = false;
    } else {
        assert(lock->readers > 0);
        lock->readers--;
    }
    if (!lock->writer && !lock->readers &&
        !qemu_co_queue_empty(&lock->writers_queue)) {
        qemu_co_queue_next(&lock->writers_queue);
    } else if (!lock->pending_writers) {
        qemu_co_queue_restart_all(&lock->readers_queue);
    }
    qemu_co_mutex_unlock(&lock->mutex);
    assert(qemu_coroutine_self()->locks_held > 0);
    qemu_coroutine_self()->locks_held--;
}

/* ---- sleeping ---- */

static void coroutine_lock_sleep_cb(void *opaque)
{
    aio_co_wake(opaque);
}

void coroutine_fn qemu_co_sleep_ns(QEMUClockType type, int64_t ns)
{
    QEMUTimer timer;

    assert(qemu_in_coroutine());
    aio_timer_init(qemu_get_current_aio_context(), &timer, type, SCALE_NS,
                   coroutine_lock_sleep_cb, qemu_coroutine_self());
    timer_mod_ns(&timer, qemu_clock_get_ns(type) + MAX(ns, 0));
    qemu_coroutine_yield();
    timer_deinit(&timer);
}

void coroutine_fn qemu_co_yield_to_loop(void)
{
    assert(qemu_in_coroutine());
    aio_co_schedule(qemu_get_current_aio_context(), qemu_coroutine_self());
    qemu_coroutine_yield();
}
