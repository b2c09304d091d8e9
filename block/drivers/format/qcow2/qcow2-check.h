/*
 * qcow2 check and repair: the state shared by qcow2-check.c (counting the
 * references the metadata makes), qcow2-repair.c (comparing them with the
 * refcounts, fixing, rebuilding the refcount structure) and qcow2-amend.c
 * (refcount_bits changes rebuild the structure at another width).
 */
#ifndef QCOW2_CHECK_H
#define QCOW2_CHECK_H

#include "qcow2.h"

typedef struct Qcow2Check {
    BlockDriverState *bs;
    BdrvCheckResult *res;
    BdrvCheckMode fix;
    bool quiet;          /* amend: no per-cluster messages */
    bool rebuild;        /* the refcount structure must be rebuilt */
    uint32_t *refs;      /* references found, per host cluster */
    int64_t nb_clusters; /* clusters of refs in use */
    int64_t alloc;       /* entries of refs allocated */
    int64_t file_len;
    uint64_t next_contig; /* fragmentation count of the active L1 */
    /*
     * Active L1 repairs are batched: entries l1_lo..l1_hi (inclusive, none
     * while l1_lo > l1_hi) changed in memory and are written by
     * qcow2_check_flush_l1.  One write per entry, each with its overlap
     * check over every L1 entry, was quadratic in the L1 size.
     */
    int64_t l1_lo, l1_hi;
    /*
     * An L2 table as read by the walks, allocated at the first table: one
     * per check, not one per L1 table walked (a table per snapshot) even
     * when the L1 table names no L2 table
     */
    uint64_t *l2_buf;
    /* A snapshot's L1 table, likewise one buffer for all of them */
    uint64_t *l1_buf;
    uint32_t l1_buf_entries;
} Qcow2Check;

/* A qemu-img style line on the report stream (unless quiet) */
void qcow2_check_msg(Qcow2Check *c, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
/* Size the reference array for the file as it is now; -errno */
int coroutine_fn qcow2_check_init(Qcow2Check *c);
void qcow2_check_free(Qcow2Check *c);
/* Count every reference of every structure (refs zeroed first) */
int coroutine_fn qcow2_check_calculate(Qcow2Check *c);
/* Repair active L1 entry @i to @e (in memory; on disk at the next flush) */
int coroutine_fn qcow2_check_write_l1(Qcow2Check *c, uint32_t i,
                                      uint64_t e);
/* Write the active L1 entries repaired since the last flush; -errno */
int coroutine_fn qcow2_check_flush_l1(Qcow2Check *c);
/* Make room in refs for cluster @cluster; -ENOMEM */
int qcow2_check_grow(Qcow2Check *c, int64_t cluster);

/* qcow2-repair.c: a new refcount table and blocks of @order from refs */
int coroutine_fn qcow2_repair_rebuild(Qcow2Check *c, int order);
/* Compare refs with the refcounts into @res, fixing what @fix allows */
int coroutine_fn qcow2_repair_compare(Qcow2Check *c, BdrvCheckResult *res,
                                      BdrvCheckMode fix, int64_t *highest);

#endif
