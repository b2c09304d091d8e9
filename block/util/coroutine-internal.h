/*
 * coroutine-internal.h: the Coroutine structure, shared by the coroutine
 * backend, the coroutine locks and the AioContext code. Not a public
 * header.
 */
#ifndef DRYDOCK_BLOCK_UTIL_COROUTINE_INTERNAL_H
#define DRYDOCK_BLOCK_UTIL_COROUTINE_INTERNAL_H

#include <setjmp.h>

#include "util/coroutine.h"

typedef enum CoroutineAction {
    COROUTINE_YIELD = 1,
    COROUTINE_TERMINATE = 2,
    COROUTINE_ENTER = 3,
} CoroutineAction;

struct Coroutine {
    CoroutineEntry *entry;
    void *entry_arg;
    Coroutine *caller;          /* who entered us; NULL when not running */
    AioContext *ctx;            /* context it was last entered in */
    const char *scheduled;      /* set (to the scheduler's name) while queued
                                 * in a context by aio_co_schedule */
    unsigned locks_held;        /* CoMutexes held: must be 0 at exit */
    /*
     * True from the moment a thread starts switching into the coroutine
     * until a switch out of it (yield/terminate) has landed: a coroutine
     * that scheduled itself into another thread's context is still on
     * its stack for a moment after aio_co_schedule().
     */
    bool on_cpu;

    QTAILQ_ENTRY(Coroutine) co_queue_next;     /* in a CoQueue */
    QTAILQ_ENTRY(Coroutine) co_sched_next;     /* in a context's co_queue */
    QSIMPLEQ_ENTRY(Coroutine) co_wakeup_next;  /* in co_queue_wakeup */
    /* Coroutines to enter once this one yields or terminates */
    QSIMPLEQ_HEAD(, Coroutine) co_queue_wakeup;
    QSLIST_ENTRY(Coroutine) pool_next;

    /* Backend state */
    bool is_leader;             /* the per-thread non-coroutine context */
    sigjmp_buf env;
    void *map;                  /* mmap'ed region: guard page + stack */
    size_t map_size;
    void *stack;                /* usable stack (after the guard page) */
    size_t stack_size;
    const void *asan_bottom;    /* stack bounds as told to ASan */
    size_t asan_size;
    void *asan_fake_stack;      /* ASan fake stack while switched out */
    void *tsan_fiber;
};

/* Wait until co has completely switched out (see on_cpu) */
void coroutine_wait_switched_out(Coroutine *co);

#endif /* DRYDOCK_BLOCK_UTIL_COROUTINE_INTERNAL_H */
