/*
 * Freed clusters discarded in the image file (pass-discard-snapshot,
 * pass-discard-other): a cluster whose refcount reaches 0 for a reason the
 * options pass is queued, and discarded only once the caches are flushed.
 * Discarding at once could punch a hole the on-disk L2 table or snapshot
 * still points at, if the process stopped before those were written.
 *
 * A queued cluster may be allocated again before the queue is processed;
 * processing therefore discards only the clusters still at refcount 0, with
 * s->lock held so no allocation runs in between.  Guest discards and zero
 * writes (pass-discard-request) are passed by qcow2-io.c itself.
 */
#include "qcow2.h"

/* Memory bound of the queue: beyond it a freed cluster stays in the file
 * (free, and reused by the next allocation) until a check -r leaks */
#define QCOW2_MAX_QUEUED_DISCARDS 65536

typedef struct Qcow2Discard {
    uint64_t offset;
    uint64_t bytes;
} Qcow2Discard;

void qcow2_discard_queue(BDRVQcow2State *s, int64_t cluster,
                         Qcow2DiscardType why)
{
    uint64_t offset = (uint64_t)cluster << s->cluster_bits;
    Qcow2Discard *last = s->nb_discards ? &s->discards[s->nb_discards - 1]
                                        : NULL;

    if (!s->discard_pass[why]) {
        return;
    }
    /* Frees of a range come in ascending order: extend the last one */
    if (last && last->offset + last->bytes == offset) {
        last->bytes += s->cluster_size;
        return;
    }
    if (s->nb_discards == QCOW2_MAX_QUEUED_DISCARDS) {
        return;
    }
    if (s->nb_discards == s->discards_cap) {
        s->discards_cap = MAX(16, s->discards_cap * 2);
        s->discards = g_renew(Qcow2Discard, s->discards, s->discards_cap);
    }
    s->discards[s->nb_discards++] = (Qcow2Discard){ offset, s->cluster_size };
}

Qcow2DiscardMark qcow2_discard_mark(BDRVQcow2State *s)
{
    return (Qcow2DiscardMark){
        .nb = s->nb_discards,
        .last_bytes = s->nb_discards ? s->discards[s->nb_discards - 1].bytes
                                     : 0,
    };
}

void qcow2_discard_rollback(BDRVQcow2State *s, Qcow2DiscardMark mark)
{
    s->nb_discards = mark.nb;
    if (mark.nb) {
        s->discards[mark.nb - 1].bytes = mark.last_bytes;
    }
}

/* Discard the clusters of @d that are still free, run by run */
static void coroutine_fn qcow2_discard_range(BlockDriverState *bs,
                                             const Qcow2Discard *d)
{
    BDRVQcow2State *s = bs->opaque;
    int64_t first = d->offset >> s->cluster_bits;
    int64_t end = first + (int64_t)(d->bytes >> s->cluster_bits);
    int64_t run = -1;

    for (int64_t c = first; c <= end; c++) {
        uint64_t rc = 1;

        if (c < end && qcow2_get_refcount(bs, c, &rc) < 0) {
            rc = 1;         /* unknown: keep it */
        }
        if (rc == 0 && run < 0) {
            run = c;
        } else if (rc != 0 && run >= 0) {
            /* Best effort: a file that cannot discard keeps the bytes */
            bdrv_co_pdiscard(bs->file, run << s->cluster_bits,
                             (c - run) << s->cluster_bits);
            run = -1;
        }
    }
}

void coroutine_fn qcow2_discard_process(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;

    for (int i = 0; i < s->nb_discards; i++) {
        qcow2_discard_range(bs, &s->discards[i]);
    }
    qcow2_discard_free(s);
}

void qcow2_discard_free(BDRVQcow2State *s)
{
    g_free(s->discards);
    s->discards = NULL;
    s->nb_discards = s->discards_cap = 0;
}
