/*
 * lockable.h: one interface over CoMutex and pthread_mutex_t, and scoped
 * lock guards (QEMU's QemuLockable names).
 *
 *   QEMU_LOCK_GUARD(&s->lock);             held until the end of the scope
 *   WITH_QEMU_LOCK_GUARD(&s->lock) { ... } held for the block (break ok)
 *
 * Deviation from QEMU: only CoMutex and pthread_mutex_t (no QemuMutex,
 * QemuSpin or QemuRecMutex in drydock).
 */
#ifndef DRYDOCK_UTIL_LOCKABLE_H
#define DRYDOCK_UTIL_LOCKABLE_H

#include <pthread.h>

#include "util/coroutine.h"

typedef void QemuLockUnlockFunc(void *object);

typedef struct QemuLockable {
    void *object;
    QemuLockUnlockFunc *lock;
    QemuLockUnlockFunc *unlock;
} QemuLockable;

static inline void qemu_lockable_co_lock(void *m)
{
    qemu_co_mutex_lock(m);
}

static inline void qemu_lockable_co_unlock(void *m)
{
    qemu_co_mutex_unlock(m);
}

static inline void qemu_lockable_pthread_lock(void *m)
{
    pthread_mutex_lock(m);
}

static inline void qemu_lockable_pthread_unlock(void *m)
{
    pthread_mutex_unlock(m);
}

static inline QemuLockable qemu_lockable_from_co(CoMutex *m)
{
    return (QemuLockable) { m, qemu_lockable_co_lock,
                            qemu_lockable_co_unlock };
}

static inline QemuLockable qemu_lockable_from_pthread(pthread_mutex_t *m)
{
    return (QemuLockable) { m, qemu_lockable_pthread_lock,
                            qemu_lockable_pthread_unlock };
}

static inline QemuLockable qemu_lockable_from_lockable(QemuLockable *l)
{
    return *l;
}

#define QEMU_MAKE_LOCKABLE(x)                                           \
    _Generic((x),                                                       \
             CoMutex *: qemu_lockable_from_co,                          \
             pthread_mutex_t *: qemu_lockable_from_pthread,             \
             QemuLockable *: qemu_lockable_from_lockable)(x)

static inline void qemu_lockable_lock(QemuLockable *l)
{
    l->lock(l->object);
}

static inline void qemu_lockable_unlock(QemuLockable *l)
{
    l->unlock(l->object);
}

/* For the guards: lock now, unlock when the variable goes out of scope */
static inline QemuLockable qemu_lockable_guard_take(QemuLockable l)
{
    qemu_lockable_lock(&l);
    return l;
}

static inline void qemu_lockable_guard_drop(QemuLockable *l)
{
    qemu_lockable_unlock(l);
}

#define QEMU_LOCKABLE_GLUE_(a, b) a##b
#define QEMU_LOCKABLE_GLUE(a, b) QEMU_LOCKABLE_GLUE_(a, b)

#define QEMU_LOCK_GUARD_IMPL(var, x)                                    \
    QemuLockable var                                                    \
        __attribute__((cleanup(qemu_lockable_guard_drop), unused))      \
        = qemu_lockable_guard_take(QEMU_MAKE_LOCKABLE(x))
#define QEMU_LOCK_GUARD(x)                                              \
    QEMU_LOCK_GUARD_IMPL(QEMU_LOCKABLE_GLUE(qemu_lock_guard_, __COUNTER__), x)

#define WITH_QEMU_LOCK_GUARD_IMPL(var, once, x)                         \
    for (QemuLockable var                                               \
             __attribute__((cleanup(qemu_lockable_guard_drop)))         \
             = qemu_lockable_guard_take(QEMU_MAKE_LOCKABLE(x)),         \
             *once = &var;                                              \
         once; once = NULL)
#define WITH_QEMU_LOCK_GUARD(x)                                         \
    WITH_QEMU_LOCK_GUARD_IMPL(                                          \
        QEMU_LOCKABLE_GLUE(qemu_lock_guard_, __COUNTER__),              \
        QEMU_LOCKABLE_GLUE(qemu_lock_guard_once_, __COUNTER__), x)

#endif /* DRYDOCK_UTIL_LOCKABLE_H */
