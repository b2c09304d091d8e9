/*
 * Private to block-backend.c and block-backend-io.c: the BlockBackend
 * structure and the request-queueing helpers they share.
 */
#ifndef BLOCK_CORE_BLOCK_BACKEND_INT_H
#define BLOCK_CORE_BLOCK_BACKEND_INT_H

#include "io-int.h"
#include "block/block-backend.h"

/* A request parked while the backend is quiesced */
typedef struct BlockBackendWaiter {
    Coroutine *co;
    QSIMPLEQ_ENTRY(BlockBackendWaiter) next;
} BlockBackendWaiter;

typedef QSIMPLEQ_HEAD(BlockBackendWaiters, BlockBackendWaiter)
    BlockBackendWaiters;

struct BlockBackend {
    char *name;                 /* monitor name, NULL when not added */
    int refcnt;
    BdrvChild *root;
    AioContext *ctx;

    uint64_t perm;
    uint64_t shared_perm;

    bool allow_write_beyond_eof;
    bool allow_aio_context_change;
    bool disable_request_queuing;

    /* Requests in flight through this backend (also while queued) */
    unsigned int in_flight;
    /* Drains of the root node in progress */
    int quiesce_counter;
    /* Parked requests woken by the drain's end that have not resumed yet */
    unsigned int waking;
    /*
     * Requests waiting for the drain to end.  A plain list under a mutex
     * rather than a CoQueue: the waiter queues itself from the backend's
     * context while drained_end may run in the main thread.
     */
    pthread_mutex_t queued_lock;
    BlockBackendWaiters queued;

    QTAILQ_ENTRY(BlockBackend) link;         /* all backends */
    QTAILQ_ENTRY(BlockBackend) monitor_link; /* named backends */
};

/* Park the calling request while the backend is quiesced (in flight held) */
void coroutine_fn block_backend_wait_while_drained(BlockBackend *blk);

#endif
