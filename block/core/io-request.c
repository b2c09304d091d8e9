/*
 * Request tracking and serialisation.
 *
 * Every request in flight on a node is on bs->tracked_requests, newest
 * first.  A request only ever waits for OLDER requests (those after it in
 * the list), so waits cannot form a cycle.  Which pairs conflict:
 *   - anything overlapping a serialising request (either side);
 *   - two write-type requests (write, discard, truncate) that overlap.
 * Reads never wait for plain writes: the guest gets whichever data the
 * device happens to return, as with real disks.
 *
 * All requests on a node run in the node's AioContext (its home thread),
 * so the window between dropping reqs_lock and queueing on the CoQueue
 * cannot be raced by the end of the awaited request; the lock protects the
 * list against readers from other threads (the invariant checker).
 */
#include "io-int.h"

static bool io_request_is_write(const BdrvTrackedRequest *req)
{
    return req->type != BDRV_TRACKED_READ;
}

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
    qemu_co_queue_init(&req->wait_queue);

    pthread_mutex_lock(&bs->reqs_lock);
    QLIST_INSERT_HEAD(&bs->tracked_requests, req, list);
    if (serialising) {
        bs->serialising_in_flight++;
    }
    pthread_mutex_unlock(&bs->reqs_lock);
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
    /* Waiters re-scan the list; none of them touches req again */
    qemu_co_queue_restart_all(&req->wait_queue);
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
    if (!io_request_overlaps(self, older)) {
        return false;
    }
    if (self->serialising || older->serialising) {
        return true;
    }
    return io_request_is_write(self) && io_request_is_write(older);
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
