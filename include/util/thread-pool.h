/*
 * thread-pool.h: run blocking functions off the event loop.
 *
 * Realtime mode: each AioContext has its own pool of worker pthreads
 * (started lazily, at most THREAD_POOL_MAX_WORKERS; stopped when the
 * context is freed). A completion is delivered to the AioContext that
 * submitted the request, in its home thread, through the pool's one BH
 * that delivers every completion ready by then (batched), in the order
 * the workers finished them.
 * Deterministic mode: no threads. A request is queued in the submitting
 * context as an event; when the scheduler picks it, func runs in the main
 * thread and its completion is then scheduled as a BH. Completion order is
 * therefore a function of the seed.
 * While the pool's functions are short (page-cache work), a request may
 * wait behind up to 16 others for an awake worker rather than a sleeping
 * one being woken; so a function must never wait for another request of
 * the same pool.
 * Deviation from QEMU: no BlockAIOCB (no cancellation).
 */
#ifndef DRYDOCK_UTIL_THREAD_POOL_H
#define DRYDOCK_UTIL_THREAD_POOL_H

#include "util/osdep.h"
#include "util/coroutine.h"
#include "util/aio.h"

#define THREAD_POOL_MAX_WORKERS 64

typedef int ThreadPoolFunc(void *opaque);
typedef void ThreadPoolCompletionFunc(void *opaque, int ret);

/*
 * Run func(arg) in a worker; the calling coroutine yields and is woken in
 * its own AioContext. Returns func's return value.
 */
int coroutine_fn thread_pool_submit_co(ThreadPoolFunc *func, void *arg);

/*
 * Run func(arg) in a worker, then cb(opaque, ret) in the current
 * AioContext (from its loop, never before this function returns).
 */
void thread_pool_submit_aio_cb(ThreadPoolFunc *func, void *arg,
                               ThreadPoolCompletionFunc *cb, void *opaque);

/*
 * Stop and join the worker threads after the queued requests ran (their
 * completions still need the submitting contexts to be polled). The pool
 * restarts on the next submission. Also run at exit.
 */
void thread_pool_shutdown(void);

/* Worker threads currently alive, in all pools (for tests) */
unsigned thread_pool_nr_workers(void);
/* Worker threads of ctx's pool (for tests) */
unsigned thread_pool_ctx_nr_workers(AioContext *ctx);
/*
 * Runs of ctx's completion BH, and the completions they delivered, since
 * the pool was created (for tests; realtime mode only)
 */
void thread_pool_ctx_get_stats(AioContext *ctx, uint64_t *bh_runs,
                               uint64_t *completions);

/*
 * How long a worker waits for the next request after a short function
 * before it sleeps (ns; 0: never; negative: the default)
 */
void thread_pool_set_spin_ns(int64_t ns);
/* Sleeping workers signalled for a request, in all pools (for tests) */
uint64_t thread_pool_nr_signals(void);

#endif /* DRYDOCK_UTIL_THREAD_POOL_H */
