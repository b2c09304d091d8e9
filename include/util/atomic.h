/*
 * atomic.h: atomic operations with QEMU's names, on the C11 __atomic
 * builtins (understood by TSan).
 *
 * qatomic_read/qatomic_set are relaxed (no ordering, only no tearing);
 * the read-modify-write operations are sequentially consistent.
 * ptr must point at an integer or pointer object of at most 8 bytes.
 */
#ifndef DRYDOCK_UTIL_ATOMIC_H
#define DRYDOCK_UTIL_ATOMIC_H

#include <stdbool.h>

/* Compiler-only barrier */
#define barrier() __asm__ __volatile__("" ::: "memory")

#if defined(__SANITIZE_THREAD__) && !defined(__clang__)
/*
 * gcc refuses fences under -fsanitize=thread (TSan cannot model them);
 * a sequentially consistent RMW is at least as strong for the hardware.
 */
static int qatomic_fence_dummy_ __attribute__((unused));
#define QATOMIC_FENCE(order) \
    ((void)__atomic_fetch_add(&qatomic_fence_dummy_, 0, __ATOMIC_SEQ_CST))
#else
#define QATOMIC_FENCE(order) __atomic_thread_fence(order)
#endif

#define smp_mb()  QATOMIC_FENCE(__ATOMIC_SEQ_CST)
#define smp_rmb() QATOMIC_FENCE(__ATOMIC_ACQUIRE)
#define smp_wmb() QATOMIC_FENCE(__ATOMIC_RELEASE)
#define smp_mb_acquire() QATOMIC_FENCE(__ATOMIC_ACQUIRE)
#define smp_mb_release() QATOMIC_FENCE(__ATOMIC_RELEASE)

#define qatomic_read(ptr) __atomic_load_n((ptr), __ATOMIC_RELAXED)
#define qatomic_set(ptr, val) __atomic_store_n((ptr), (val), __ATOMIC_RELAXED)
#define qatomic_load_acquire(ptr) __atomic_load_n((ptr), __ATOMIC_ACQUIRE)
#define qatomic_store_release(ptr, val) \
    __atomic_store_n((ptr), (val), __ATOMIC_RELEASE)
#define qatomic_mb_read(ptr) __atomic_load_n((ptr), __ATOMIC_SEQ_CST)
#define qatomic_mb_set(ptr, val) \
    __atomic_store_n((ptr), (val), __ATOMIC_SEQ_CST)

/* Return the old value */
#define qatomic_fetch_inc(ptr) __atomic_fetch_add((ptr), 1, __ATOMIC_SEQ_CST)
#define qatomic_fetch_dec(ptr) __atomic_fetch_sub((ptr), 1, __ATOMIC_SEQ_CST)
#define qatomic_fetch_add(ptr, n) \
    __atomic_fetch_add((ptr), (n), __ATOMIC_SEQ_CST)
#define qatomic_fetch_sub(ptr, n) \
    __atomic_fetch_sub((ptr), (n), __ATOMIC_SEQ_CST)
#define qatomic_fetch_and(ptr, n) \
    __atomic_fetch_and((ptr), (n), __ATOMIC_SEQ_CST)
#define qatomic_fetch_or(ptr, n) __atomic_fetch_or((ptr), (n), __ATOMIC_SEQ_CST)

/* Return the new value */
#define qatomic_inc_fetch(ptr) __atomic_add_fetch((ptr), 1, __ATOMIC_SEQ_CST)
#define qatomic_dec_fetch(ptr) __atomic_sub_fetch((ptr), 1, __ATOMIC_SEQ_CST)
#define qatomic_add_fetch(ptr, n) \
    __atomic_add_fetch((ptr), (n), __ATOMIC_SEQ_CST)
#define qatomic_sub_fetch(ptr, n) \
    __atomic_sub_fetch((ptr), (n), __ATOMIC_SEQ_CST)

/* No result */
#define qatomic_inc(ptr) ((void)__atomic_fetch_add((ptr), 1, __ATOMIC_SEQ_CST))
#define qatomic_dec(ptr) ((void)__atomic_fetch_sub((ptr), 1, __ATOMIC_SEQ_CST))
#define qatomic_add(ptr, n) \
    ((void)__atomic_fetch_add((ptr), (n), __ATOMIC_SEQ_CST))
#define qatomic_sub(ptr, n) \
    ((void)__atomic_fetch_sub((ptr), (n), __ATOMIC_SEQ_CST))
#define qatomic_and(ptr, n) \
    ((void)__atomic_fetch_and((ptr), (n), __ATOMIC_SEQ_CST))
#define qatomic_or(ptr, n) \
    ((void)__atomic_fetch_or((ptr), (n), __ATOMIC_SEQ_CST))

/* Store new, return the previous value */
#define qatomic_xchg(ptr, new_val) \
    __atomic_exchange_n((ptr), (new_val), __ATOMIC_SEQ_CST)

/*
 * If *ptr == old, store new_val. Returns the value *ptr held before
 * (equal to old on success).
 */
#define qatomic_cmpxchg(ptr, old, new_val) __extension__({             \
        __typeof__(*(ptr)) qatomic_expected_ = (old);                   \
        (void)__atomic_compare_exchange_n((ptr), &qatomic_expected_,    \
                                          (new_val), false,             \
                                          __ATOMIC_SEQ_CST,             \
                                          __ATOMIC_SEQ_CST);            \
        qatomic_expected_;                                              \
    })

#endif /* DRYDOCK_UTIL_ATOMIC_H */
