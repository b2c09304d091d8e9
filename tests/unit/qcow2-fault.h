/*
 * A fault filter for the qcow2 error-path tests (qcow2_fault.c): qcow2
 * opened over "qcow2-fault" over a mem image, where the Nth request that
 * reaches the image (read, write, zeroes, discard or truncate; flushes
 * are counted but succeed) fails with -EIO.  Sweeping N over every
 * request an operation makes reaches each of its error paths once.
 */
#ifndef TESTS_UNIT_QCOW2_FAULT_H
#define TESTS_UNIT_QCOW2_FAULT_H

#include <stdbool.h>
#include <stdint.h>

#include "block/block-backend.h"

#define QFAULT_IMG "qfault"

/* Register the filter driver (once per process; idempotent) */
void qfault_register(void);
/* Fail the @nth request from now on (1-based; 0: none), reset the count */
void qfault_arm(int nth);
/* Requests seen since the last qfault_arm() */
int qfault_requests(void);
/* Whether the armed request was reached (and failed) */
bool qfault_fired(void);

/* qcow2 (with options @opts, taken) over the filter over mem QFAULT_IMG */
BlockBackend *qfault_open_opts(QDict *opts, int flags, Error **errp);

/*
 * An operation swept over its requests: @setup makes mem image QFAULT_IMG
 * (and whatever it needs), @op runs on it opened over the filter with
 * BDRV_O_RDWR | BDRV_O_UNMAP | @open_flags.
 */
typedef struct QfaultCase {
    const char *name;
    void (*setup)(void);
    int (*op)(BlockBackend *blk);
    int open_flags;
    /* Leaves at most what repair fixes (COPIED flags behind refcounts) */
    bool repairable;
} QfaultCase;

/*
 * For each request N that opening, @c->op and closing make: fail N, and
 * check that the operation ends in 0 or -EIO (open: a clear error) and
 * that the image is left without corruption (leaks allowed; with
 * @repairable, none after check -r all) nor the corrupt bit.  Returns how many
 * requests were swept.
 */
int qfault_sweep(const QfaultCase *c);

#endif
