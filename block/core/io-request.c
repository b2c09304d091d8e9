/*
 * Request tracking and serialisation.
 *
 * Every request in flight on a node is on bs->tracked_requests, newest
 * first.  A request only ever waits for OLDER requests (those after it in
 * the list), so waits cannot form a cycle.  As in QEMU, only serialising
 * requests order anything: a pair conflicts when the two overlap and at
 * least one of them serialises.  Plain overlapping requests (two writes
 * included) run concurrently, as on real disks; with no serialising
 * request in flight the list is not even scanned.
 *
 * A request serialises because it is padded (read-modify-write: widened
 * to the request alignment) or because its caller asked for it
 * (BDRV_REQ_SERIALISING, copy-on-read, ...: widened to the cluster size).
 *
 * All requests on a node run in the node's AioContext (its home thread),
 * so the window between dropping reqs_lock and queueing on the CoQueue
 * cannot be raced by the end of the awaited request; the lock protects the
 * list against readers from other threads (the invariant checker).
 */
#include "io-int.h"
#include "util/atomic.h"

void io_request_begin(BdrvTrackedRequest *req, BlockDriverState *bs,
                      int64_t offset, int64_t bytes,
                      BdrvTrackedRequestType type, bool serialising)
{
    assert(bytes >= 0 && offset >= 0);
    *req = (BdrvTrackedRequest){
        .bs = bs,
        .offset = offset,
        .bytes = bytes,
        .type = type,
        .serialising = serialising,
        .overlap_offset = offset,
        .overlap_bytes = bytes,
        .co = qemu_coroutine_self(),
    };
    if (serialising) {
        /* Whole alignment blocks, so that RMW of a shared block serialises */
        uint32_t align = io_align(bs);
        int64_t end = QEMU_ALIGN_UP(offset + bytes, (int64_t)align);

        req->overlap_offset = QEMU_ALIGN_DOWN(offset, (int64_t)align);
        req->overlap_bytes = end - req->overlap_offset;
    }
    /* wait_queue: zero-filled above, a valid empty queue */

    pthread_mutex_lock(&bs->reqs_lock);
    QLIST_INSERT_HEAD(&bs->tracked_requests, req, list);
    if (serialising) {
        bs->serialising_in_flight++;
    }
    pthread_mutex_unlock(&bs->reqs_lock);
}

void io_request_serialise(BdrvTrackedRequest *req, uint64_t align)
{
    BlockDriverState *bs = req->bs;
    int64_t start = QEMU_ALIGN_DOWN(req->offset, (int64_t)align);
    int64_t end = QEMU_ALIGN_UP(req->offset + req->bytes, (int64_t)align);

    pthread_mutex_lock(&bs->reqs_lock);
    if (!req->serialising) {
        req->serialising = true;
        bs->serialising_in_flight++;
    }
    /* Only ever widen: the padding may already cover more */
    end = MAX(end, req->overlap_offset + req->overlap_bytes);
    req->overlap_offset = MIN(start, req->overlap_offset);
    req->overlap_bytes = end - req->overlap_offset;
    pthread_mutex_unlock(&bs->reqs_lock);
}

uint64_t coroutine_fn io_request_cluster_size(BlockDriverState *bs)
{
    BlockDriverInfo bdi;

    if (bdrv_co_get_info(bs, &bdi) < 0 || bdi.cluster_size <= 0) {
        return io_align(bs);
    }
    return (uint64_t)bdi.cluster_size;
}

void io_request_end(BdrvTrackedRequest *req)
{
    BlockDriverState *bs = req->bs;

    pthread_mutex_lock(&bs->reqs_lock);
    QLIST_REMOVE(req, list);
    if (req->serialising) {
        assert(bs->serialising_in_flight > 0);
        bs->serialising_in_flight--;
    }
    pthread_mutex_unlock(&bs->reqs_lock);
    /*
     * Waiters re-scan the list; none of them touches req again.  Only the
     * home thread queues on req, so an empty queue stays empty here.
     */
    if (!QTAILQ_EMPTY(&req->wait_queue.entries)) {
        qemu_co_queue_restart_all(&req->wait_queue);
    }
}

static bool io_request_overlaps(const BdrvTrackedRequest *a,
                                const BdrvTrackedRequest *b)
{
    if (a->overlap_bytes == 0 || b->overlap_bytes == 0) {
        return false;
    }
    return a->overlap_offset < b->overlap_offset + b->overlap_bytes &&
           b->overlap_offset < a->overlap_offset + a->overlap_bytes;
}

static bool io_request_conflicts(const BdrvTrackedRequest *self,
                                 const BdrvTrackedRequest *older)
{
    if (!self->serialising && !older->serialising) {
        return false;
    }
    return io_request_overlaps(self, older);
}

/* The oldest conflicting request that started before self; lock held */
static BdrvTrackedRequest *io_request_find_conflict(BdrvTrackedRequest *self)
{
    BdrvTrackedRequest *other;
    BdrvTrackedRequest *found = NULL;

    for (other = QLIST_NEXT(self, list); other;
         other = QLIST_NEXT(other, list)) {
        if (io_request_conflicts(self, other)) {
            found = other;
        }
    }
    return found;
}

int coroutine_fn io_request_wait(BdrvTrackedRequest *req, bool nowait)
{
    BlockDriverState *bs = req->bs;

    for (;;) {
        BdrvTrackedRequest *other;

        /* The fast path: nothing serialises, nothing waits */
        if (!qatomic_read(&bs->serialising_in_flight)) {
            req->waiting_for = NULL;
            return 0;
        }
        pthread_mutex_lock(&bs->reqs_lock);
        other = io_request_find_conflict(req);
        req->waiting_for = other;
        pthread_mutex_unlock(&bs->reqs_lock);
        if (!other) {
            return 0;
        }
        if (nowait) {
            req->waiting_for = NULL;
            return -EBUSY;
        }
        qemu_co_queue_wait(&other->wait_queue, NULL);
    }
}
