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
    int refcnt;                 /* the API's references (main thread) */
    /*
     * What keeps the memory alive: one hold while refcnt > 0, and one per
     * request from its submission until it has completed (callback run,
     * in-flight count dropped, waiters woken).  blk_unref tears the
     * backend down at refcnt 0; whoever drops the last hold frees it, in
     * whatever thread, after every other holder's last access.
     */
    unsigned int holds;
    BdrvChild *root;
    AioContext *ctx;

    uint64_t perm;
    uint64_t shared_perm;
    /* Inactivated (migration): perm is what activation takes back */
    bool disable_perm;

    bool allow_write_beyond_eof;
    bool allow_aio_context_change;
    bool disable_request_queuing;

    /*
     * Requests in flight through this backend, as drains see them: not
     * while parked; a parked request counts again from the moment it is
     * woken.  Decremented with release, read with acquire by the waits.
     */
    unsigned int in_flight;
    /* Quiesced by drains of the root, blk_drain and context moves */
    int quiesce_counter;
    /*
     * Requests waiting for the quiescing to end.  A plain list under a
     * mutex rather than a CoQueue: the waiter queues itself from the
     * backend's context while the end may run in the main thread.  The
     * counter changes under the same lock, so no wake-up is lost.
     */
    pthread_mutex_t queued_lock;
    BlockBackendWaiters queued;

    QTAILQ_ENTRY(BlockBackend) link;         /* all backends */
    QTAILQ_ENTRY(BlockBackend) monitor_link; /* named backends */
};

/*
 * A request's life on the backend: begin takes a hold and counts it in
 * flight; end drops the in-flight count (waking waiters), then the hold
 * (which may free the backend: do not touch blk after it).
 */
void block_backend_req_begin(BlockBackend *blk);
void block_backend_req_end(BlockBackend *blk);

/* Park the calling request while the backend is quiesced (in flight held) */
void coroutine_fn block_backend_wait_while_drained(BlockBackend *blk);

#endif
