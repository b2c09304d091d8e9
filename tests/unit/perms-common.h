/*
 * Shared by test-perms.c and test-perms-rollback.c: checks that fail the
 * test with a clear message, node and backend setup, a pass-through filter
 * driver local to the tests, and the per-test fixtures (graph checks after
 * single steps, no node or BlockBackend left behind).
 *
 * Everything is static (each test binary gets its own copy); include it
 * after <cmocka.h>.
 */
#ifndef TESTS_UNIT_PERMS_COMMON_H
#define TESTS_UNIT_PERMS_COMMON_H

#include "block/block-backend.h"
#include "block/block-debug.h"
#include "block/block-int.h"

#define PERM_RW (BLK_PERM_CONSISTENT_READ | BLK_PERM_WRITE)
#define SHARE_NO_WRITE (BLK_PERM_ALL & ~BLK_PERM_WRITE)

/* ---- helpers ------------------------------------------------------------ */

static int nodes_before;
static char step_violation[512];

static void note_graph(const char *step);

static void check_ok(bool ok, Error **errp, const char *what)
{
    if (!ok || *errp) {
        fail_msg("%s failed: %s", what,
                 *errp ? error_get_pretty(*errp) : "(no error set)");
    }
    note_graph(what);
}

static void check_error(Error **errp, const char *expected)
{
    if (!*errp) {
        fail_msg("Expected the error \"%s\", got none", expected);
    }
    if (strcmp(error_get_pretty(*errp), expected) != 0) {
        fail_msg("Expected the error \"%s\", got \"%s\"", expected,
                 error_get_pretty(*errp));
    }
    error_free(*errp);
    *errp = NULL;
    note_graph(expected);
}

/* The error must contain every string of the NULL-terminated list */
static void check_error_has(Error **errp, ...)
{
    const char *needle;
    va_list ap;

    if (!*errp) {
        fail_msg("Expected an error, got none");
    }
    va_start(ap, errp);
    while ((needle = va_arg(ap, const char *))) {
        if (!strstr(error_get_pretty(*errp), needle)) {
            fail_msg("The error \"%s\" does not mention \"%s\"",
                     error_get_pretty(*errp), needle);
        }
    }
    va_end(ap);
    note_graph(error_get_pretty(*errp));
    error_free(*errp);
    *errp = NULL;
}

static void check_perm(const char *what, uint64_t actual, uint64_t expected)
{
    if (actual != expected) {
        fail_msg("%s is 0x%" PRIx64 ", expected 0x%" PRIx64, what, actual,
                 expected);
    }
}

static BlockDriverState *open_node(const char *driver, const char *name,
                                   int flags)
{
    QDict *opts = qdict_new();
    Error *err = NULL;
    BlockDriverState *bs;

    qdict_put_str(opts, "driver", driver);
    qdict_put_str(opts, "node-name", name);
    bs = bdrv_open(NULL, NULL, opts, flags, &err);
    if (!bs) {
        fail_msg("Opening %s node '%s' failed: %s", driver, name,
                 err ? error_get_pretty(err) : "(no error set)");
    }
    return bs;
}

static BlockDriverState *open_null(const char *name)
{
    return open_node("null-co", name, BDRV_O_RDWR);
}

static BdrvChild *attach(BlockDriverState *parent, BlockDriverState *child,
                         const char *name, BdrvChildRole role)
{
    Error *err = NULL;
    BdrvChild *c = bdrv_attach_child(parent, child, name, &child_of_bds,
                                     role, &err);

    if (!c) {
        fail_msg("Attaching '%s' as '%s' child of '%s' failed: %s",
                 bdrv_get_node_name(child), name, bdrv_get_node_name(parent),
                 err ? error_get_pretty(err) : "(no error set)");
    }
    return c;
}

/* A backend on @bs; fails the test if the insertion is refused */
static BlockBackend *new_blk(BlockDriverState *bs, uint64_t perm,
                             uint64_t shared)
{
    BlockBackend *blk = blk_new(qemu_get_aio_context(), perm, shared);
    Error *err = NULL;

    check_ok(blk_insert_bs(blk, bs, &err) == 0, &err, "blk_insert_bs");
    return blk;
}

static int count_parents(BlockDriverState *bs)
{
    BdrvChild *c;
    int n = 0;

    QLIST_FOREACH(c, &bs->parents, next_parent) {
        n++;
    }
    return n;
}

static void check_refcnt(BlockDriverState *bs, int expected)
{
    if (bs->refcnt != expected) {
        fail_msg("Node '%s' has refcnt %d, expected %d",
                 bdrv_get_node_name(bs), bs->refcnt, expected);
    }
}

/* ---- local drivers' state, a pass-through filter ------------------------ */

typedef struct PermsNodeState {
    char selected[16]; /* switch: the child that gets the exclusive write */
} PermsNodeState;

static int64_t coroutine_fn perms_node_co_getlength(BlockDriverState *bs)
{
    BlockDriverState *child = bdrv_filter_bs(bs);

    return child ? bdrv_co_getlength(child) : 0;
}

static BlockDriver perms_filter_drv = {
    .format_name = "perms-filter",
    .instance_size = sizeof(PermsNodeState),
    .is_filter = true,
    .bdrv_co_getlength = perms_node_co_getlength,
    .bdrv_child_perm = bdrv_filter_default_perms,
};

static BlockDriverState *open_local(BlockDriver *drv, const char *name)
{
    Error *err = NULL;
    BlockDriverState *bs = bdrv_new_open_driver(drv, name, BDRV_O_RDWR,
                                                &err);

    check_ok(bs != NULL, &err, "Opening a local driver's node");
    return bs;
}

/* ---- per-test fixtures -------------------------------------------------- */

static int test_setup(void **state)
{
    step_violation[0] = 0;
    nodes_before = bdrv_debug_node_count();
    return 0;
}

/*
 * Graph checks after single steps.  The first violation is remembered and
 * reported by the teardown, once the test has freed its nodes, so that a
 * failure does not leave nodes behind for the following tests.
 */
static void note_graph(const char *step)
{
    Error *err = NULL;

    if (!step_violation[0] && bdrv_debug_check_graph(&err) < 0) {
        snprintf(step_violation, sizeof(step_violation), "after %s: %s",
                 step, error_get_pretty(err));
        error_free(err);
    }
}

static int test_teardown(void **state)
{
    Error *err = NULL;
    char msg[512];
    int nodes = bdrv_debug_node_count();

    if (step_violation[0]) {
        snprintf(msg, sizeof(msg), "%s", step_violation);
        step_violation[0] = 0;
        fail_msg("Graph check %s", msg);
    }
    if (bdrv_debug_check_graph(&err) < 0) {
        snprintf(msg, sizeof(msg), "%s", error_get_pretty(err));
        error_free(err);
        fail_msg("Graph check after the test: %s", msg);
    }
    if (nodes != nodes_before) {
        BlockDriverState *bs = NULL;
        while ((bs = bdrv_next_all_states(bs))) {
            print_message("left over: node '%s' refcnt %d\n",
                          bdrv_get_node_name(bs), bs->refcnt);
        }
        fail_msg("%d nodes alive after the test, %d before", nodes,
                 nodes_before);
    }
    if (blk_all_next(NULL)) {
        fail_msg("A BlockBackend is left after the test");
    }
    return 0;
}

#endif
