/*
 * Private to the quorum driver: its state and the I/O half's entry points.
 */
#ifndef QUORUM_INT_H
#define QUORUM_INT_H

#include "block/driver.h"

typedef enum QuorumReadPattern {
    QUORUM_READ_PATTERN_QUORUM,   /* read every child, vote on the data */
    QUORUM_READ_PATTERN_FIFO,     /* the first child that reads wins */
} QuorumReadPattern;

typedef struct BDRVQuorumState {
    BdrvChild **children;         /* in order; g_renew'd */
    int num_children;
    unsigned next_child_index;    /* the N of the next "children.N" */
    int threshold;                /* votes a read or write needs */
    bool is_blkverify;            /* two children that must agree */
    bool rewrite_corrupted;       /* out-voted children get the winner */
    QuorumReadPattern read_pattern;
} BDRVQuorumState;

/* quorum-io.c */
int coroutine_fn quorum_co_preadv_part(BlockDriverState *bs, int64_t offset,
                                       int64_t bytes, QEMUIOVector *qiov,
                                       size_t qiov_offset,
                                       BdrvRequestFlags flags);
int coroutine_fn quorum_co_pwritev_part(BlockDriverState *bs, int64_t offset,
                                        int64_t bytes, QEMUIOVector *qiov,
                                        size_t qiov_offset,
                                        BdrvRequestFlags flags);
int coroutine_fn quorum_co_pwrite_zeroes(BlockDriverState *bs,
                                         int64_t offset, int64_t bytes,
                                         BdrvRequestFlags flags);
int coroutine_fn quorum_co_flush(BlockDriverState *bs);
int64_t coroutine_fn quorum_co_getlength(BlockDriverState *bs);

#endif
