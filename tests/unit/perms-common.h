/*
 * Shared by test-perms.c and test-perms-rollback.c: the permission check,
 * the short names the tests use for the shared helpers of test-common.h,
 * the state of the tests' local drivers, and the fixtures (graph checks
 * after single steps, no node or BlockBackend left behind).
 *
 * Include it after <cmocka.h>.
 */
#ifndef TESTS_UNIT_PERMS_COMMON_H
#define TESTS_UNIT_PERMS_COMMON_H

#include "test-common.h"

#define PERM_RW (BLK_PERM_CONSISTENT_READ | BLK_PERM_WRITE)
#define SHARE_NO_WRITE (BLK_PERM_ALL & ~BLK_PERM_WRITE)

/* ---- helpers ------------------------------------------------------------ */

static inline void check_perm(const char *what, uint64_t actual,
                              uint64_t expected)
{
    if (actual != expected) {
        fail_msg("%s is 0x%" PRIx64 ", expected 0x%" PRIx64, what, actual,
                 expected);
    }
}

/* The edge takes the caller's reference */
#define attach(parent, child, name, role)                                      \
    test_common_attach((parent), (child), (name), (role))
/* A backend on @bs; fails the test if the insertion is refused */
#define new_blk(bs, perm, shared) test_common_new_blk((bs), (perm), (shared))
#define open_local(drv, name) test_common_open_local((drv), (name), BDRV_O_RDWR)

/* ---- local drivers' state, a pass-through filter ------------------------ */

typedef struct PermsNodeState {
    char selected[16]; /* switch: the child that gets the exclusive write */
} PermsNodeState;

#define perms_node_co_getlength test_common_filter_co_getlength
#define perms_filter_drv test_common_filter_drv

/* ---- fixtures ----------------------------------------------------------- */

#define PERMS_CHECKS (TEST_COMMON_STEP_CHECKS | TEST_COMMON_NO_BACKEND)

#endif
