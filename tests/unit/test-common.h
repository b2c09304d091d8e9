/*
 * Helpers shared by the unit tests: checks that fail a test with a clear
 * message, soft expectations, node and backend setup, a temporary
 * directory, and the fixtures that check a test left nothing behind.
 *
 * The code is in test_common.c -- an underscore, not a hyphen: the Makefile
 * builds every test-<name>.c here as a test program of its own, and links
 * every other .c file here into all of them.  So its symbols carry the
 * test_common_ prefix; the short names are macros that exist only where
 * this header is included.  Include it after <cmocka.h>.
 */
#ifndef TESTS_UNIT_TEST_COMMON_H
#define TESTS_UNIT_TEST_COMMON_H

#include <stdbool.h>

#include "block/block-backend.h"
#include "block/block-debug.h"
#include "block/block-int.h"

/* ---- fixtures ------------------------------------------------------------
 *
 * test_common_teardown() always checks the graph, that the node and
 * BlockBackend counts are what test_common_setup() saw and that no soft
 * expectation failed without end_test(); a file picks the other checks it
 * wants.  It prints every
 * problem it finds, then fails the test once.  Every test of a suite run by
 * test_common_run_group() must go through both (T(fn), or a suite's own
 * fixtures that call them).
 */
enum {
    TEST_COMMON_STEP_CHECKS = 1 << 0,     /* check_ok() etc. check the graph */
    TEST_COMMON_NO_BACKEND = 1 << 1,      /* no BlockBackend is left */
    TEST_COMMON_SAME_BACKENDS = 1 << 2,   /* (always checked now) */
    TEST_COMMON_NO_MONITOR_OWNED = 1 << 3, /* no monitor-owned node is left */
    TEST_COMMON_NO_DRAIN_ALL = 1 << 4,    /* drain_all nesting back at 0 */
};

/* Nodes alive when the current test started (set by test_common_setup) */
extern int test_common_nodes_before;

/* bdrv_init(), and what test_common_teardown() checks (TEST_COMMON_*) */
void test_common_init(unsigned checks);
/* A group setup: test_common_init(0) */
int test_common_group_setup(void **state);
/* A group teardown: mem_image_delete_all() */
int test_common_group_teardown_mem(void **state);
int test_common_setup(void **state);
int test_common_teardown(void **state);
/*
 * test_common_teardown() in two halves, for a suite's own teardown that
 * must clean up whatever happens: the report runs every check, prints and
 * resets what it found and returns how many problems there were; then,
 * after the cleanup, test_common_teardown_fail() fails the test unless 0.
 */
int test_common_teardown_report(void);
void test_common_teardown_fail(int problems);
/*
 * With TEST_COMMON_STEP_CHECKS, a graph check after a single step.  The
 * first violation is remembered and reported by the teardown, once the
 * test has freed its nodes, so a failure leaves nothing for the next tests.
 */
void test_common_note_graph(const char *step);
/* cmocka's own filter from TEST_FILTER (test_common_run_group filters
 * by itself; kept for source compatibility) */
void test_common_apply_filter(void);
/*
 * Runs the tests whose name matches the glob TEST_FILTER (all without
 * it), like cmocka_run_group_tests().  The group fails too when a test ran
 * without test_common_setup()/test_common_teardown() (T(fn), or fixtures
 * that call them) or a soft expectation failed outside a test.
 */
int test_common_run_group_at(const char *name, const struct CMUnitTest *tests,
                             size_t n, CMFixtureFunction group_setup,
                             CMFixtureFunction group_teardown);

#define nodes_before test_common_nodes_before
#define note_graph(step) test_common_note_graph(step)
#define T(fn)                                                                  \
    cmocka_unit_test_setup_teardown(fn, test_common_setup,                     \
                                    test_common_teardown)
/* cmocka_run_group_tests() honouring TEST_FILTER, checking the fixtures */
#define test_common_run_group(tests, setup, teardown)                          \
    test_common_run_group_at(#tests, (tests),                                  \
                             sizeof(tests) / sizeof((tests)[0]), (setup),      \
                             (teardown))

/* ---- hard checks: each fails the test with a message naming the values - */

/* Fails with the message of *errp (or of its absence) unless @ok */
void test_common_check_ok(bool ok, Error **errp, const char *what);
/* The error must be exactly @expected; frees it */
void test_common_check_error(Error **errp, const char *expected);
/* The error must contain every string of the NULL-terminated list; frees it */
void test_common_check_error_has(Error **errp, ...);
/* @err is set and contains @needle (the caller frees it) */
void test_common_assert_err_contains(Error *err, const char *needle);
void test_common_check_refcnt(BlockDriverState *bs, int expected);
int test_common_count_parents(BlockDriverState *bs);
int test_common_count_backends(void);

#define check_ok(ok, errp, what) test_common_check_ok((ok), (errp), (what))
#define check_error(errp, expected) test_common_check_error((errp), (expected))
#define check_error_has(...) test_common_check_error_has(__VA_ARGS__)
#define assert_err_contains(err, needle)                                       \
    test_common_assert_err_contains((err), (needle))
#define check_refcnt(bs, n) test_common_check_refcnt((bs), (n))
#define count_parents(bs) test_common_count_parents(bs)

/* ---- soft expectations ---------------------------------------------------
 *
 * A failed expectation is printed with its location and the test goes on
 * to its cleanup; it fails at end_test().  So one failure does not leave
 * nodes, drains or dangling callbacks behind for the next tests.  When a
 * test does not reach end_test() (it returned early, or a hard check
 * failed), test_common_teardown() fails it and resets the count: a failed
 * expectation always fails its own test and never the next one.
 */
void test_common_expect_failed(const char *file, int line, const char *fmt,
                               ...) G_GNUC_PRINTF(3, 4);
void test_common_end_test_at(const char *file, int line);
void test_common_expect_graph_ok_at(const char *file, int line);

#define expect_failed(...) test_common_expect_failed(__VA_ARGS__)
#define EXPECT_FAIL(...) expect_failed(__FILE__, __LINE__, __VA_ARGS__)
#define expect_int(a, b)                                                       \
    do {                                                                       \
        long long ei_a = (a), ei_b = (b);                                      \
        if (ei_a != ei_b) {                                                    \
            EXPECT_FAIL("%s is %lld, expected %lld", #a, ei_a, ei_b);          \
        }                                                                      \
    } while (0)
#define expect_true(c)                                                         \
    do {                                                                       \
        if (!(c)) {                                                            \
            EXPECT_FAIL("expected %s", #c);                                    \
        }                                                                      \
    } while (0)
#define expect_false(c) expect_true(!(c))
#define expect_graph_ok() test_common_expect_graph_ok_at(__FILE__, __LINE__)
#define end_test() test_common_end_test_at(__FILE__, __LINE__)

/* ---- nodes, edges, backends ---------------------------------------------- */

/* A QDict of string options from "key", "value" pairs; NULL ends the list */
QDict *test_common_opts_pairs(const char *key, ...)
    __attribute__((sentinel));
/* Options with "driver" and "node-name" (each only when not NULL) */
QDict *test_common_opts_new(const char *driver, const char *node_name);
/* A node of @driver named @name (NULL: a generated name); must succeed */
BlockDriverState *test_common_open_node(const char *driver, const char *name,
                                        int flags);
/* bdrv_open() that must succeed */
BlockDriverState *test_common_open_ok(const char *filename, QDict *opts,
                                      int flags);
/* A node of a driver that is not registered; must succeed */
BlockDriverState *test_common_open_local(BlockDriver *drv, const char *name,
                                         int flags);
/* @child becomes @parent's child @name; the edge takes the caller's ref */
BdrvChild *test_common_attach(BlockDriverState *parent,
                              BlockDriverState *child, const char *name,
                              BdrvChildRole role);
/* The same with a new reference of its own, as a primary data child */
BdrvChild *test_common_attach_ref(BlockDriverState *parent,
                                  BlockDriverState *child, const char *name);
/* A backend in the main context on @bs; the insertion must succeed */
BlockBackend *test_common_new_blk(BlockDriverState *bs, uint64_t perm,
                                  uint64_t shared);
void test_common_unref_nodes_list(BlockDriverState *bs, ...);
/* A backend of @driver with option "filename" (when not NULL) added to
 * @opts (NULL: none); returns what blk_new_open() returns */
BlockBackend *test_common_blk_open(const char *driver, const char *filename,
                                   QDict *opts, int flags, Error **errp);

/* A pass-through filter without any optional callback: queries and
 * permissions fall through it */
extern BlockDriver test_common_filter_drv;
/* The length of @bs's filtered child, 0 without one */
int64_t coroutine_fn test_common_filter_co_getlength(BlockDriverState *bs);

#define opts_new(driver, name) test_common_opts_new((driver), (name))
#define open_node(driver, name, flags)                                         \
    test_common_open_node((driver), (name), (flags))
#define open_ok(filename, opts, flags)                                         \
    test_common_open_ok((filename), (opts), (flags))
#define open_null(name) test_common_open_node("null-co", (name), BDRV_O_RDWR)
#define open_test(name) test_common_open_node("test", (name), BDRV_O_RDWR)
#define unref_nodes(...) test_common_unref_nodes_list(__VA_ARGS__, NULL)

/* ---- AIO completions ----------------------------------------------------- */

typedef struct TestCommonAioResult {
    int ret;
    bool done;      /* the callback ran */
    int calls;      /* how many times it ran */
} TestCommonAioResult;

/* A BlockCompletionFunc for a TestCommonAioResult */
void test_common_aio_cb(void *opaque, int ret);

typedef TestCommonAioResult AioResult;
#define aio_done_cb test_common_aio_cb

/* ---- a temporary directory ----------------------------------------------- */

/* Creates $TMPDIR/drydock-@prefix-XXXXXX ($TMPDIR: /tmp when unset);
 * 0 or -errno */
int test_common_tmp_dir_create(const char *prefix);
const char *test_common_tmp_dir(void);
/* A path in the directory (caller frees) */
char *test_common_tmp_path(const char *name);
/* Removes the directory and everything in it; rmdir()'s result */
int test_common_tmp_dir_remove(void);

#define tmp_path(name) test_common_tmp_path(name)

/* ---- capabilities of the file system of the temporary files ---------------
 *
 * Probed at run time in the temporary directory (or $TMPDIR): NULL when
 * the file system has the capability (or the probe failed for another
 * reason, which the test itself will then report), else why not.  A test that needs one
 * is skipped with that reason printed where it is missing:
 *     TEST_COMMON_NEEDS(test_discard_punches_hole, punch_hole)
 * next to main(), and T_NEEDS(test_discard_punches_hole, punch_hole) in
 * the group instead of T(...).
 */
/* fallocate(PUNCH_HOLE) works and SEEK_HOLE reports the hole */
const char *test_common_no_punch_hole(void);
/* F_OFD_SETLK works and another open file description sees the lock */
const char *test_common_no_ofd_locks(void);
/* skip() the current test, printing @why_not, unless it is NULL */
void test_common_skip_unless(const char *why_not);

#define TEST_COMMON_NEEDS(fn, cap)                                             \
    static void fn##_needs_##cap(void **state)                                 \
    {                                                                          \
        test_common_skip_unless(test_common_no_##cap());                       \
        fn(state);                                                             \
    }
#define T_NEEDS(fn, cap)                                                       \
    {                                                                          \
        .name = #fn, .test_func = fn##_needs_##cap,                            \
        .setup_func = test_common_setup, .teardown_func = test_common_teardown \
    }

#endif
