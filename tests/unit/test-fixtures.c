/*
 * test-fixtures.c: the fixtures of test-common.h cannot lose a failure.
 *
 * The suite runs itself again (/proc/self/exe) with FIXTURES_INNER=1: that
 * inner run is a group of tests built to fail in the ways a fixture must
 * catch (a soft expectation without end_test(), a node or a backend left
 * behind, a test without the fixtures).  The outer tests read its cmocka
 * output and check that exactly the faulty tests failed, with the
 * fixture's message, and that the test after each of them passed: nothing
 * leaked into it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test-common.h"

#define INNER_ENV "FIXTURES_INNER"

/* ---- the inner group: each "bad" test must fail, each "clean" pass ---- */

static BlockDriverState *inner_leftover;

static void inner_soft_failure_without_end_test(void **state)
{
    expect_int(1 + 1, 3);   /* fails, and the test returns without end_test */
}

static void inner_clean_after_soft_failure(void **state)
{
    end_test();             /* would fail if the count leaked into this test */
}

static void inner_soft_then_hard_failure(void **state)
{
    expect_true(state == NULL && state != NULL);
    fail_msg("A hard failure after a soft one");
}

static void inner_clean_after_hard_failure(void **state)
{
    end_test();
}

static void inner_node_left_over(void **state)
{
    inner_leftover = open_null("fixtures-leftover");
}

static void inner_clean_after_node_left_over(void **state)
{
    BlockDriverState *bs = open_null("fixtures-clean");

    bdrv_unref(bs);
}

static BlockBackend *inner_leftover_blk;

static void inner_backend_left_over(void **state)
{
    inner_leftover_blk = blk_new(qemu_get_aio_context(), 0, BLK_PERM_ALL);
}

static void inner_clean_after_backend_left_over(void **state)
{
    blk_unref(blk_new(qemu_get_aio_context(), 0, BLK_PERM_ALL));
}

static void inner_without_fixtures(void **state)
{
}

static int inner_group_teardown(void **state)
{
    if (inner_leftover) {
        bdrv_unref(inner_leftover);
        inner_leftover = NULL;
    }
    if (inner_leftover_blk) {
        blk_unref(inner_leftover_blk);
        inner_leftover_blk = NULL;
    }
    return 0;
}

static int inner_main(void)
{
    const struct CMUnitTest tests[] = {
        T(inner_soft_failure_without_end_test),
        T(inner_clean_after_soft_failure),
        T(inner_soft_then_hard_failure),
        T(inner_clean_after_hard_failure),
        T(inner_node_left_over),
        T(inner_clean_after_node_left_over),
        T(inner_backend_left_over),
        T(inner_clean_after_backend_left_over),
        cmocka_unit_test(inner_without_fixtures),
    };

    return test_common_run_group(tests, test_common_group_setup,
                                 inner_group_teardown);
}

/* ---- the outer tests ---- */

typedef struct InnerRun {
    char out[16384];
    int status;     /* exit status, -1 if it did not exit */
} InnerRun;

/* Runs the inner group with TEST_FILTER=@filter (NULL: unset) */
static void inner_run(InnerRun *r, const char *filter)
{
    g_autofree char *cmd = NULL;
    char self[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);
    size_t n = 0, got;
    FILE *p;
    int status;

    assert_true(len > 0);
    self[len] = '\0';
    cmd = g_strdup_printf("%s%s%s " INNER_ENV "=1 '%s' 2>&1",
                          filter ? "env TEST_FILTER='" : "env -u TEST_FILTER",
                          filter ? filter : "", filter ? "'" : "", self);
    fflush(NULL);
    p = popen(cmd, "r");
    assert_non_null(p);
    while ((got = fread(r->out + n, 1, sizeof(r->out) - 1 - n, p)) > 0) {
        n += got;
    }
    r->out[n] = '\0';
    status = pclose(p);
    r->status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static bool has_line(const InnerRun *r, const char *prefix, const char *name)
{
    g_autofree char *line = g_strdup_printf("%s %s\n", prefix, name);

    return strstr(r->out, line) != NULL;
}

/* @name ran and failed (cmocka says FAILED, or ERROR for a fixture) */
static void check_failed(const InnerRun *r, const char *name)
{
    if (!has_line(r, "[  FAILED  ]", name) &&
        !has_line(r, "[  ERROR   ]", name)) {
        fail_msg("%s did not fail; the inner run said:\n%s", name, r->out);
    }
}

static void check_passed(const InnerRun *r, const char *name)
{
    if (!has_line(r, "[       OK ]", name) ||
        has_line(r, "[  ERROR   ]", name)) {
        fail_msg("%s did not pass; the inner run said:\n%s", name, r->out);
    }
}

static void check_says(const InnerRun *r, const char *text)
{
    if (!strstr(r->out, text)) {
        fail_msg("The inner run does not say \"%s\":\n%s", text, r->out);
    }
}

static void test_fixtures_soft_failure_fails_its_own_test(void **state)
{
    InnerRun r;

    inner_run(&r, "inner_*soft_failure*");
    check_failed(&r, "inner_soft_failure_without_end_test");
    check_says(&r, "1 soft expectation(s) failed and end_test() was not "
                   "reached");
    check_passed(&r, "inner_clean_after_soft_failure");
    assert_int_equal(r.status, 1);
}

static void test_fixtures_hard_failure_resets_soft_expectations(void **state)
{
    InnerRun r;

    inner_run(&r, "inner_*hard_failure*");
    check_failed(&r, "inner_soft_then_hard_failure");
    check_passed(&r, "inner_clean_after_hard_failure");
    assert_int_equal(r.status, 1);
}

static void test_fixtures_node_left_over_fails_its_own_test(void **state)
{
    InnerRun r;

    inner_run(&r, "inner_*node_left_over");
    check_failed(&r, "inner_node_left_over");
    check_says(&r, "left over: node 'fixtures-leftover'");
    check_passed(&r, "inner_clean_after_node_left_over");
    assert_int_equal(r.status, 1);
}

static void test_fixtures_backend_left_over_fails_its_own_test(void **state)
{
    InnerRun r;

    inner_run(&r, "inner_*backend_left_over");
    check_failed(&r, "inner_backend_left_over");
    check_says(&r, "1 BlockBackends after the test, 0 before");
    check_passed(&r, "inner_clean_after_backend_left_over");
    assert_int_equal(r.status, 1);
}

static void test_fixtures_test_without_fixtures_fails_group(void **state)
{
    InnerRun r;

    inner_run(&r, "inner_without_fixtures");
    check_says(&r, "every test needs T(fn)");
    assert_int_not_equal(r.status, 0);
}

static void test_fixtures_whole_inner_group_fails_each_bad_test(void **state)
{
    InnerRun r;

    inner_run(&r, NULL);
    check_says(&r, "Running 9 test(s)");
    check_failed(&r, "inner_soft_failure_without_end_test");
    check_failed(&r, "inner_soft_then_hard_failure");
    check_failed(&r, "inner_node_left_over");
    check_failed(&r, "inner_backend_left_over");
    check_passed(&r, "inner_clean_after_soft_failure");
    check_passed(&r, "inner_clean_after_hard_failure");
    check_passed(&r, "inner_clean_after_node_left_over");
    check_passed(&r, "inner_clean_after_backend_left_over");
    /* four failed tests and the group's fixture check */
    assert_int_equal(r.status, 5);
}

static void test_fixtures_filter_selects_by_glob(void **state)
{
    InnerRun r;

    inner_run(&r, "*clean_after_soft*");
    check_says(&r, "Running 1 test(s)");
    check_passed(&r, "inner_clean_after_soft_failure");
    assert_int_equal(r.status, 0);
}

static void test_fixtures_filter_matching_nothing_runs_nothing(void **state)
{
    InnerRun r;

    inner_run(&r, "no-test-is-called-this");
    check_says(&r, "Running 0 test(s)");
    assert_int_equal(r.status, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_fixtures_soft_failure_fails_its_own_test),
        T(test_fixtures_hard_failure_resets_soft_expectations),
        T(test_fixtures_node_left_over_fails_its_own_test),
        T(test_fixtures_backend_left_over_fails_its_own_test),
        T(test_fixtures_test_without_fixtures_fails_group),
        T(test_fixtures_whole_inner_group_fails_each_bad_test),
        T(test_fixtures_filter_selects_by_glob),
        T(test_fixtures_filter_matching_nothing_runs_nothing),
    };

    if (getenv(INNER_ENV)) {
        return inner_main();
    }
    return test_common_run_group(tests, test_common_group_setup, NULL);
}
