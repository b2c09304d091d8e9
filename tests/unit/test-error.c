/*
 * Unit tests for Error and message reporting (block/util/error.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <sys/wait.h>

#include "util/error.h"
#include "test-common.h"

/* Report capture: everything error_report & co. print goes to a buffer */
static char *capture_buf;
static size_t capture_len;
static FILE *capture_file;

static void capture_start(void)
{
    capture_file = open_memstream(&capture_buf, &capture_len);
    assert_non_null(capture_file);
    error_set_report_stream(capture_file);
}

/* Returns the captured text (g_free it) and restores stderr */
static char *capture_end(void)
{
    error_set_report_stream(NULL);
    fclose(capture_file);
    capture_file = NULL;
    return capture_buf;
}

static int setup(void **state)
{
    error_set_progname("/usr/bin/drydock-test");
    return 0;
}

static void test_setg_basic(void **state)
{
    Error *err = NULL;

    error_setg(&err, "Bad value '%s' at %d", "x", 3);
    assert_non_null(err);
    assert_string_equal(error_get_pretty(err), "Bad value 'x' at 3");
    assert_null(error_get_hint(err));
    error_free(err);
}

static void test_setg_null_errp(void **state)
{
    /* Ignored errors must not allocate or crash */
    error_setg(NULL, "ignored %d", 1);
    error_setg_errno(NULL, EIO, "ignored");
    error_setg_file_open(NULL, ENOENT, "f");
}

static void test_setg_errno(void **state)
{
    Error *err = NULL;

    errno = 1234;
    error_setg_errno(&err, ENOENT, "Cannot read '%s'", "img");
    assert_string_equal(error_get_pretty(err),
                        "Cannot read 'img': No such file or directory");
    /* errno is preserved for the caller */
    assert_int_equal(errno, 1234);
    error_free(err);

    err = NULL;
    error_setg_errno(&err, -EACCES, "Open failed");
    assert_string_equal(error_get_pretty(err),
                        "Open failed: Permission denied");
    error_free(err);
}

/*
 * Messages of any length, around the size kept inside the Error (256
 * bytes), with an errno suffix, prepended to, copied and freed (LSan
 * checks the frees)
 */
static void test_message_lengths(void **state)
{
    static const int lens[] = { 0, 1, 254, 255, 256, 257, 1000, 5000 };
    char *text = g_malloc(5001), *want;
    Error *err, *copy;

    memset(text, 'm', 5000);
    for (size_t i = 0; i < ARRAY_SIZE(lens); i++) {
        text[lens[i]] = '\0';
        err = NULL;
        error_setg(&err, "%s", text);
        assert_string_equal(error_get_pretty(err), text);
        error_prepend(&err, "p%d: ", lens[i]);
        want = g_strdup_printf("p%d: %s", lens[i], text);
        assert_string_equal(error_get_pretty(err), want);
        copy = error_copy(err);
        error_free(err);
        assert_string_equal(error_get_pretty(copy), want);
        error_free(copy);
        g_free(want);

        err = NULL;
        error_setg_errno(&err, EIO, "%s", text);
        want = g_strdup_printf("%s: %s", text, strerror(EIO));
        assert_string_equal(error_get_pretty(err), want);
        error_free(err);
        g_free(want);
        text[lens[i]] = 'm';
    }
    g_free(text);
}

static void test_setg_file_open(void **state)
{
    Error *err = NULL;

    error_setg_file_open(&err, ENOENT, "/tmp/x.qcow2");
    assert_string_equal(error_get_pretty(err),
                        "Could not open '/tmp/x.qcow2': "
                        "No such file or directory");
    error_free(err);
}

static void test_propagate(void **state)
{
    Error *local = NULL, *dst = NULL;

    error_propagate(&dst, NULL);
    assert_null(dst);

    error_setg(&local, "first");
    error_propagate(&dst, local);
    assert_string_equal(error_get_pretty(dst), "first");

    /* A second error is dropped: the first one wins */
    local = NULL;
    error_setg(&local, "second");
    error_propagate(&dst, local);
    assert_string_equal(error_get_pretty(dst), "first");
    error_free(dst);

    /* Propagating into NULL frees (LeakSanitizer checks) */
    local = NULL;
    error_setg(&local, "dropped");
    error_propagate(NULL, local);
}

static void test_prepend_and_propagate_prepend(void **state)
{
    Error *err = NULL, *dst = NULL;

    error_prepend(&err, "no-op: ");        /* *errp NULL: nothing */
    error_prepend(NULL, "no-op: ");
    error_setg(&err, "inner");
    error_prepend(&err, "Layer %d: ", 2);
    error_prepend(&err, "Outer: ");
    assert_string_equal(error_get_pretty(err), "Outer: Layer 2: inner");

    error_propagate_prepend(&dst, err, "While opening '%s': ", "a");
    assert_string_equal(error_get_pretty(dst),
                        "While opening 'a': Outer: Layer 2: inner");
    error_free(dst);
}

static void test_hint(void **state)
{
    Error *err = NULL;
    char *out;

    error_append_hint(&err, "ignored when no error\n");
    assert_null(err);
    error_setg(&err, "Unsupported thing");
    error_append_hint(&err, "Try %s\n", "this");
    error_append_hint(&err, "Or that\n");
    assert_string_equal(error_get_hint(err), "Try this\nOr that\n");

    capture_start();
    error_report_err(err);
    out = capture_end();
    assert_string_equal(out, "drydock-test: Unsupported thing\n"
                             "Try this\nOr that\n");
    free(out);
}

static void test_copy(void **state)
{
    Error *err = NULL, *copy;

    error_setg(&err, "original");
    error_append_hint(&err, "hint\n");
    copy = error_copy(err);
    error_free(err);
    assert_string_equal(error_get_pretty(copy), "original");
    assert_string_equal(error_get_hint(copy), "hint\n");
    error_free(copy);
}

static void test_free_or_abort(void **state)
{
    Error *err = NULL;

    error_setg(&err, "x");
    error_free_or_abort(&err);
    assert_null(err);
    error_free(NULL);
}

static void test_reports(void **state)
{
    char *out;

    capture_start();
    error_report("Failed: %d", 5);
    warn_report("careful %s", "now");
    info_report("fyi");
    error_printf("raw %d", 7);
    out = capture_end();
    assert_string_equal(out, "drydock-test: Failed: 5\n"
                             "drydock-test: warning: careful now\n"
                             "drydock-test: fyi\n"
                             "raw 7");
    free(out);
}

static void test_warn_report_err_and_error_warn(void **state)
{
    Error *err = NULL;
    char *out;

    capture_start();
    error_setg(&err, "w1");
    warn_report_err(err);
    /* &error_warn reports as a warning and carries on */
    error_setg(&error_warn, "w2 %d", 2);
    assert_null(error_warn);
    out = capture_end();
    assert_string_equal(out, "drydock-test: warning: w1\n"
                             "drydock-test: warning: w2 2\n");
    free(out);
}

static void test_report_once(void **state)
{
    char *out;

    capture_start();
    for (int i = 0; i < 3; i++) {
        error_report_once("once %d", i);
        warn_report_once("warn once %d", i);
    }
    out = capture_end();
    assert_string_equal(out, "drydock-test: once 0\n"
                             "drydock-test: warning: warn once 0\n");
    free(out);
}

static void test_no_progname(void **state)
{
    char *out;

    error_set_progname(NULL);
    assert_null(error_get_progname());
    capture_start();
    error_report("plain");
    out = capture_end();
    assert_string_equal(out, "plain\n");
    free(out);
    error_set_progname("drydock-test");
    assert_string_equal(error_get_progname(), "drydock-test");
}

/* Run fn in a child process; returns its wait status */
static int run_in_child(void (*fn)(void))
{
    pid_t pid;
    int status;

    fflush(NULL);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* Die of the signal, not through cmocka's handler */
        signal(SIGABRT, SIG_DFL);
        /* Silence the expected message */
        if (!freopen("/dev/null", "w", stderr)) {
            _exit(99);
        }
        fn();
        _exit(0);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return status;
}

static void child_error_fatal(void)
{
    error_setg(&error_fatal, "fatal %d", 1);
}

static void child_error_abort(void)
{
    error_setg(&error_abort, "abort");
}

static void child_propagate_abort(void)
{
    Error *err = NULL;

    error_setg(&err, "later abort");
    error_propagate(&error_abort, err);
}

static void child_set_twice(void)
{
    Error *err = NULL;

    error_setg(&err, "one");
    error_setg(&err, "two");
}

static void test_error_fatal_exits(void **state)
{
    int status = run_in_child(child_error_fatal);

    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 1);
}

static void test_error_abort_aborts(void **state)
{
    int status = run_in_child(child_error_abort);

    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGABRT);
    status = run_in_child(child_propagate_abort);
    assert_true(WIFSIGNALED(status));
}

static void test_set_twice_asserts(void **state)
{
    int status = run_in_child(child_set_twice);

    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGABRT);
}

/* ERRP_GUARD: *errp is usable even when the caller passed NULL */
static bool guarded(int fail, Error **errp)
{
    ERRP_GUARD();

    assert_non_null(errp);
    if (fail) {
        error_setg(errp, "Guarded failure %d", fail);
    }
    if (*errp) {
        error_append_hint(errp, "guard hint\n");
        return false;
    }
    return true;
}

static void child_guard_fatal(void)
{
    guarded(1, &error_fatal);
}

static void test_errp_guard(void **state)
{
    Error *err = NULL;
    int status;

    assert_true(guarded(0, NULL));
    assert_false(guarded(2, NULL));
    assert_true(guarded(0, &err));
    assert_null(err);
    assert_false(guarded(3, &err));
    assert_string_equal(error_get_pretty(err), "Guarded failure 3");
    assert_string_equal(error_get_hint(err), "guard hint\n");
    error_free(err);

    /* With &error_fatal the hint is added, then the process exits */
    status = run_in_child(child_guard_fatal);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_setg_basic),
        T(test_setg_null_errp),
        T(test_setg_errno),
        T(test_setg_file_open),
        T(test_message_lengths),
        T(test_propagate),
        T(test_prepend_and_propagate_prepend),
        T(test_hint),
        T(test_copy),
        T(test_free_or_abort),
        T(test_reports),
        T(test_warn_report_err_and_error_warn),
        T(test_report_once),
        T(test_no_progname),
        T(test_error_fatal_exits),
        T(test_error_abort_aborts),
        T(test_set_twice_asserts),
        T(test_errp_guard),
    };

    return test_common_run_group(tests, setup, NULL);
}
