/*
 * quorum's requests.  A read (read-pattern "quorum") reads every child,
 * groups the children that returned the same bytes, and returns the
 * largest group's data if it has at least vote-threshold members (else
 * -EIO); with rewrite-corrupted the children that returned other data are
 * rewritten with it.  read-pattern "fifo" returns the first child that
 * reads successfully.  Writes, zero writes and flushes go to every child
 * and succeed when at least vote-threshold children succeeded; otherwise
 * the most common error is returned.
 *
 * Children are accessed one after the other, in order.
 */
#include "quorum-int.h"

/* The error most children returned (the first of equal counts) */
static int quorum_vote_error(const int *rets, int n)
{
    int best = -EIO, best_count = 0;

    for (int i = 0; i < n; i++) {
        int count = 0;

        for (int j = 0; j < n && rets[i] < 0; j++) {
            count += rets[j] == rets[i];
        }
        if (count > best_count) {
            best = rets[i];
            best_count = count;
        }
    }
    return best;
}

/* 0 when at least threshold of @rets are successes, else an error */
static int quorum_result(BDRVQuorumState *s, const int *rets, int n)
{
    int success = 0;

    for (int i = 0; i < n; i++) {
        success += rets[i] == 0;
    }
    return success >= s->threshold ? 0 : quorum_vote_error(rets, n);
}

static int coroutine_fn quorum_co_read_fifo(BDRVQuorumState *s,
                                            int64_t offset, int64_t bytes,
                                            QEMUIOVector *qiov,
                                            size_t qiov_offset,
                                            BdrvRequestFlags flags)
{
    int ret = -EIO;

    for (int i = 0; i < s->num_children; i++) {
        ret = bdrv_co_preadv_part(s->children[i], offset, bytes, qiov,
                                  qiov_offset, flags);
        if (ret == 0) {
            break;
        }
    }
    return ret;
}

typedef struct QuorumRead {
    int n;
    int *rets;
    uint8_t **bufs;
    int *version;     /* the first child with the same data */
    int winner;
    int votes;
} QuorumRead;

/* Group the successful children by their data; pick the largest group */
static void quorum_vote(QuorumRead *r, int64_t bytes)
{
    g_autofree int *votes = g_new0(int, r->n);

    r->winner = -1;
    r->votes = 0;
    for (int i = 0; i < r->n; i++) {
        r->version[i] = -1;
        if (r->rets[i] < 0) {
            continue;
        }
        for (int j = 0; j < i && r->version[i] < 0; j++) {
            if (r->rets[j] == 0 && r->version[j] == j &&
                !memcmp(r->bufs[i], r->bufs[j], (size_t)bytes)) {
                r->version[i] = j;
            }
        }
        if (r->version[i] < 0) {
            r->version[i] = i;
        }
        if (++votes[r->version[i]] > r->votes) {
            r->votes = votes[r->version[i]];
            r->winner = r->version[i];
        }
    }
}

/* The first byte where two buffers differ */
static int64_t quorum_first_difference(const uint8_t *a, const uint8_t *b,
                                       int64_t bytes)
{
    int64_t i = 0;

    while (i < bytes && a[i] == b[i]) {
        i++;
    }
    return i;
}

/* Out-voted children: rewritten (rewrite-corrupted) or reported */
static void coroutine_fn quorum_fix_losers(BlockDriverState *bs,
                                           QuorumRead *r, int64_t offset,
                                           int64_t bytes)
{
    BDRVQuorumState *s = bs->opaque;

    for (int i = 0; i < r->n; i++) {
        int64_t at;

        if (r->rets[i] < 0 || r->version[i] == r->winner) {
            continue;
        }
        at = quorum_first_difference(r->bufs[i], r->bufs[r->winner], bytes);
        if (s->rewrite_corrupted) {
            bdrv_co_pwrite(s->children[i], offset, bytes, r->bufs[r->winner],
                           0);
        } else if (s->is_blkverify) {
            error_report("quorum: contents mismatch at offset %" PRId64
                         " between %s and %s", offset + at,
                         bdrv_get_node_name(s->children[r->winner]->bs),
                         bdrv_get_node_name(s->children[i]->bs));
        }
    }
}

static int coroutine_fn quorum_co_read_vote(BlockDriverState *bs,
                                            int64_t offset, int64_t bytes,
                                            QEMUIOVector *qiov,
                                            size_t qiov_offset,
                                            BdrvRequestFlags flags)
{
    BDRVQuorumState *s = bs->opaque;
    int n = s->num_children;
    g_autofree int *rets = g_new0(int, n);
    g_autofree int *version = g_new0(int, n);
    g_autofree uint8_t **bufs = g_new0(uint8_t *, n);
    QuorumRead r = { .n = n, .rets = rets, .bufs = bufs, .version = version };
    int ret = 0;

    for (int i = 0; i < n; i++) {
        bufs[i] = qemu_try_blockalign(s->children[i]->bs, (size_t)bytes);
        rets[i] = bufs[i] ? bdrv_co_pread(s->children[i], offset, bytes,
                                          bufs[i], flags)
                          : -ENOMEM;
    }
    ret = quorum_result(s, rets, n);
    if (ret == 0) {
        quorum_vote(&r, bytes);
        ret = r.votes >= s->threshold ? 0 : -EIO;
        if (r.votes < s->threshold && s->is_blkverify) {
            quorum_fix_losers(bs, &r, offset, bytes);
        }
    }
    if (ret == 0) {
        qemu_iovec_from_buf(qiov, qiov_offset, bufs[r.winner],
                            (size_t)bytes);
        quorum_fix_losers(bs, &r, offset, bytes);
    }
    for (int i = 0; i < n; i++) {
        qemu_vfree(bufs[i]);
    }
    return ret;
}

int coroutine_fn quorum_co_preadv_part(BlockDriverState *bs, int64_t offset,
                                       int64_t bytes, QEMUIOVector *qiov,
                                       size_t qiov_offset,
                                       BdrvRequestFlags flags)
{
    BDRVQuorumState *s = bs->opaque;

    if (s->read_pattern == QUORUM_READ_PATTERN_FIFO) {
        return quorum_co_read_fifo(s, offset, bytes, qiov, qiov_offset,
                                   flags);
    }
    return quorum_co_read_vote(bs, offset, bytes, qiov, qiov_offset, flags);
}

int coroutine_fn quorum_co_pwritev_part(BlockDriverState *bs, int64_t offset,
                                        int64_t bytes, QEMUIOVector *qiov,
                                        size_t qiov_offset,
                                        BdrvRequestFlags flags)
{
    BDRVQuorumState *s = bs->opaque;
    g_autofree int *rets = g_new0(int, s->num_children);

    for (int i = 0; i < s->num_children; i++) {
        rets[i] = bdrv_co_pwritev_part(s->children[i], offset, bytes, qiov,
                                       qiov_offset, flags);
    }
    return quorum_result(s, rets, s->num_children);
}

int coroutine_fn quorum_co_pwrite_zeroes(BlockDriverState *bs,
                                         int64_t offset, int64_t bytes,
                                         BdrvRequestFlags flags)
{
    BDRVQuorumState *s = bs->opaque;
    g_autofree int *rets = g_new0(int, s->num_children);

    for (int i = 0; i < s->num_children; i++) {
        rets[i] = bdrv_co_pwrite_zeroes(s->children[i], offset, bytes, flags);
    }
    return quorum_result(s, rets, s->num_children);
}

int coroutine_fn quorum_co_flush(BlockDriverState *bs)
{
    BDRVQuorumState *s = bs->opaque;
    g_autofree int *rets = g_new0(int, s->num_children);

    for (int i = 0; i < s->num_children; i++) {
        rets[i] = bdrv_co_flush(s->children[i]->bs);
    }
    return quorum_result(s, rets, s->num_children);
}

/* Every child must have the same length */
int64_t coroutine_fn quorum_co_getlength(BlockDriverState *bs)
{
    BDRVQuorumState *s = bs->opaque;
    int64_t len = bdrv_co_getlength(s->children[0]->bs);

    for (int i = 1; i < s->num_children && len >= 0; i++) {
        int64_t other = bdrv_co_getlength(s->children[i]->bs);

        if (other < 0) {
            return other;
        }
        if (other != len) {
            return -EIO;
        }
    }
    return len;
}
