/*
 * qcow2 data I/O without the driver's lock, and the waits that keep it
 * safe.  Guest data I/O drops the lock while it is out; two lists say
 * what is out:
 *  - host ranges with data I/O in flight: clusters are freed (and may be
 *    reused as metadata or other data) only when none of it is out;
 *  - guest clusters being allocated by a write whose data is out: other
 *    requests that change the mapping of one of them wait (the writer
 *    sets the mapping when its data is in).
 * Both lists hold about one entry per request in flight: short.
 */
#include "qcow2.h"

static bool qcow2_inflight_overlaps(BDRVQcow2State *s, BdrvChild *child,
                                    uint64_t host, uint64_t bytes)
{
    for (Qcow2Inflight *i = s->inflight; i; i = i->next) {
        if (i->child == child && host < i->host + i->bytes &&
            i->host < host + bytes) {
            return true;
        }
    }
    return false;
}

static void qcow2_inflight_remove(Qcow2Inflight **list, Qcow2Inflight *done)
{
    for (Qcow2Inflight **p = list; *p; p = &(*p)->next) {
        if (*p == done) {
            *p = done->next;
            return;
        }
    }
}

int coroutine_fn qcow2_io_unlocked(BlockDriverState *bs, BdrvChild *child,
                                   bool write, int64_t host, int64_t bytes,
                                   QEMUIOVector *qiov, size_t qiov_offset)
{
    BDRVQcow2State *s = bs->opaque;
    Qcow2Inflight me = {
        .child = child, .host = host, .bytes = bytes, .next = s->inflight,
    };
    int ret;

    s->inflight = &me;
    qemu_co_mutex_unlock(&s->lock);
    /* After the unlock: a blkdebug breakpoint on it holds this request only */
    if (write) {
        BLKDBG_CO_EVENT(bs->file, BLKDBG_WRITE_AIO);
        ret = bdrv_co_pwritev_part(child, host, bytes, qiov, qiov_offset, 0);
    } else {
        BLKDBG_CO_EVENT(bs->file, child == bs->backing ?
                        BLKDBG_READ_BACKING_AIO : BLKDBG_READ_AIO);
        ret = bdrv_co_preadv_part(child, host, bytes, qiov, qiov_offset, 0);
    }
    qemu_co_mutex_lock(&s->lock);
    qcow2_inflight_remove(&s->inflight, &me);
    if (!qemu_co_queue_empty(&s->inflight_done)) {
        qemu_co_queue_restart_all(&s->inflight_done);
    }
    return ret;
}

void coroutine_fn qcow2_io_wait_host(BlockDriverState *bs, BdrvChild *child,
                                     uint64_t host, uint64_t bytes)
{
    BDRVQcow2State *s = bs->opaque;

    while (qcow2_inflight_overlaps(s, child, host, bytes)) {
        qemu_co_queue_wait(&s->inflight_done, &s->lock);
    }
}

/* Is a guest cluster of [offset, offset + bytes) being allocated? */
static bool qcow2_io_alloc_busy(BDRVQcow2State *s, uint64_t offset,
                                uint64_t bytes)
{
    for (Qcow2Inflight *a = s->allocs; a; a = a->next) {
        if (offset < a->host + a->bytes && a->host < offset + bytes) {
            return true;
        }
    }
    return false;
}

void coroutine_fn qcow2_io_wait_alloc(BlockDriverState *bs, uint64_t offset,
                                      uint64_t bytes)
{
    BDRVQcow2State *s = bs->opaque;

    while (qcow2_io_alloc_busy(s, offset, bytes)) {
        qemu_co_queue_wait(&s->alloc_done, &s->lock);
    }
}

void qcow2_io_alloc_begin(BlockDriverState *bs, Qcow2Inflight *alloc,
                          uint64_t offset)
{
    BDRVQcow2State *s = bs->opaque;

    assert(!qcow2_io_alloc_busy(s, offset, 1));
    *alloc = (Qcow2Inflight) {
        .host = offset & ~(uint64_t)(s->cluster_size - 1),
        .bytes = s->cluster_size,
        .next = s->allocs,
    };
    s->allocs = alloc;
}

void qcow2_io_alloc_end(BlockDriverState *bs, Qcow2Inflight *alloc)
{
    BDRVQcow2State *s = bs->opaque;

    qcow2_inflight_remove(&s->allocs, alloc);
    if (!qemu_co_queue_empty(&s->alloc_done)) {
        qemu_co_queue_restart_all(&s->alloc_done);
    }
}
