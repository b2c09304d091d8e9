/*
 * The scenario runner: read and check the whole file (syntax errors stop
 * it before anything runs), then run the steps one by one, each followed
 * by the graph invariant check, with expect-error's output capture.
 */
#include "scn.h"

#include "block/block-debug.h"
#include "block/test-driver.h"
#include "harness/io-cmds.h"
#include "harness/io-output.h"
#include "util/sched.h"

struct ScnRunner {
    const char *file;
    ScnStep *steps;
    int nsteps;
    bool check;
    char *expect;            /* expect-error's text for the next step */
};

/* Longest io request of a sandboxed run (the iotests' are at most 2 MiB) */
#define SCN_SANDBOX_IO_MAX (4 * MiB)

static bool scn_run_is_seeded;
static bool scn_run_is_sandboxed;

bool scn_seeded(void)
{
    return scn_run_is_seeded;
}

bool scn_sandboxed(void)
{
    return scn_run_is_sandboxed;
}

/*
 * io commands a sandboxed run refuses: real time, signals, abort, and a
 * blkdebug breakpoint (a drain waiting for the request it suspends aborts
 * as a deadlock, which the fuzz target would report as a crash)
 */
static bool scn_io_refused(const char *name)
{
    static const char *const refused[] = { "sleep", "sigraise", "abort",
                                            "break" };
    const IoCmd *cmd = io_cmd_find(name);

    for (size_t i = 0; scn_run_is_sandboxed && i < ARRAY_SIZE(refused); i++) {
        if (cmd == io_cmd_find(refused[i])) {
            return true;
        }
    }
    return false;
}

static int scn_syntax(const char *file, const ScnStep *st, int word,
                      const char *fmt, ...) G_GNUC_PRINTF(4, 5);

static int scn_syntax(const char *file, const ScnStep *st, int word,
                      const char *fmt, ...)
{
    va_list ap;

    fflush(stdout);
    fprintf(stderr, "%s:%d:%d: error: ", file, st->line, st->cols[word]);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return -1;
}

/* The io command of "io TARGET CMD ...": known, or a syntax error */
static int scn_check_io(const char *file, const ScnStep *st)
{
    const char *near;

    if (scn_io_refused(st->argv[2])) {
        return scn_syntax(file, st, 2, "io command '%s' is not available in "
                          "a sandboxed run", st->argv[2]);
    }
    if (io_cmd_find(st->argv[2])) {
        return 0;
    }
    near = scn_io_cmd_suggest(st->argv[2]);
    return scn_syntax(file, st, 2, "Unknown io command '%s'%s%s%s",
                      st->argv[2], near ? " (did you mean '" : "",
                      near ?: "", near ? "'?)" : "");
}

/* A step's command exists and gets a number of words it accepts */
static int scn_check_step(const char *file, const ScnStep *st)
{
    const ScnCmd *c = scn_cmd_find(st->argv[0]);
    int n = st->argc - 1;

    if (!c) {
        const char *near = scn_cmd_suggest(st->argv[0]);

        return scn_syntax(file, st, 0, "Unknown command '%s'%s%s%s",
                          st->argv[0], near ? " (did you mean '" : "",
                          near ?: "", near ? "'?)" : "");
    }
    if (n < c->argmin || (c->argmax >= 0 && n > c->argmax)) {
        return scn_syntax(file, st, n > 0 && n > c->argmax ?
                          c->argmax + 1 : 0,
                          "Wrong number of arguments for '%s' (usage: %s %s)",
                          c->name, c->name, c->args);
    }
    /* Parked requests under a drain: a deadlock abort, as for break */
    if (scn_run_is_sandboxed && !strcmp(c->name, "park")) {
        return scn_syntax(file, st, 0, "'park' is not available in a "
                          "sandboxed run");
    }
    if (!strcmp(c->name, "io")) {
        return scn_check_io(file, st);
    }
    if (!strcmp(c->name, "try")) {
        ScnStep inner = *st;

        inner.argc--;
        inner.argv++;
        inner.cols++;
        return scn_check_step(file, &inner);
    }
    return 0;
}

/* Read @f (named r->file) into steps; SCN_EXIT_OK or SCN_EXIT_USAGE */
static int scn_load(ScnRunner *r, FILE *f)
{
    char *buf = NULL;
    size_t cap = 0;
    ssize_t len;
    int line = 0, ret = SCN_EXIT_OK;

    while ((len = getline(&buf, &cap, f)) >= 0) {
        ScnStep st;

        line++;
        if (len > 0 && buf[len - 1] == '\n') {
            buf[--len] = '\0';
        }
        if ((size_t)len != strlen(buf)) {
            fprintf(stderr, "%s:%d:%zu: error: NUL byte in line\n", r->file,
                    line, strlen(buf) + 1);
            ret = SCN_EXIT_USAGE;
            continue;
        }
        if (scn_lex(r->file, line, buf, &st) < 0) {
            ret = SCN_EXIT_USAGE;
            continue;
        }
        if (st.argc == 0 || scn_check_step(r->file, &st) < 0) {
            ret = st.argc ? SCN_EXIT_USAGE : ret;
            scn_step_free(&st);
            continue;
        }
        r->steps = g_renew(ScnStep, r->steps, r->nsteps + 1);
        r->steps[r->nsteps++] = st;
    }
    free(buf);
    if (ret == SCN_EXIT_OK && r->nsteps &&
        !strcmp(r->steps[r->nsteps - 1].argv[0], "expect-error")) {
        scn_syntax(r->file, &r->steps[r->nsteps - 1], 0,
                   "expect-error must be followed by a command");
        ret = SCN_EXIT_USAGE;
    }
    return ret;
}

/* ---- output capture for expect-error ---- */

typedef struct ScnCapture {
    FILE *tmp;
    int saved_out, saved_err;
} ScnCapture;

static void scn_capture_begin(ScnCapture *cap)
{
    fflush(stdout);
    fflush(stderr);
    cap->tmp = tmpfile();
    cap->saved_out = dup(1);
    cap->saved_err = dup(2);
    if (!cap->tmp || cap->saved_out < 0 || cap->saved_err < 0) {
        fprintf(stderr, "drydock: Cannot capture output: %s\n",
                strerror(errno));
        exit(SCN_EXIT_FAIL);
    }
    dup2(fileno(cap->tmp), 1);
    dup2(fileno(cap->tmp), 2);
}

/* Restore stdout/stderr, print what was captured; g_free the result */
static char *scn_capture_end(ScnCapture *cap)
{
    long len;
    char *text;

    fflush(stdout);
    fflush(stderr);
    dup2(cap->saved_out, 1);
    dup2(cap->saved_err, 2);
    close(cap->saved_out);
    close(cap->saved_err);
    len = ftell(cap->tmp);
    text = g_malloc0(MAX(len, 0) + 1);
    rewind(cap->tmp);
    len = fread(text, 1, MAX(len, 0), cap->tmp);
    text[len] = '\0';
    fclose(cap->tmp);
    fwrite(text, 1, len, stdout);
    fflush(stdout);
    return text;
}

static void scn_fail(ScnRunner *r, const ScnStep *st, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);

static void scn_fail(ScnRunner *r, const ScnStep *st, const char *fmt, ...)
{
    va_list ap;

    fflush(stdout);
    fprintf(stderr, "%s:%d: ", r->file, st->line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

/* Run one step; an SCN_EXIT_* code */
static int scn_run_step(ScnRunner *r, const ScnStep *st)
{
    const ScnCmd *c = scn_cmd_find(st->argv[0]);
    g_autofree char *expect = g_steal_pointer(&r->expect);
    g_autofree char *out = NULL;
    Error *err = NULL;
    ScnCapture cap;
    int ret;

    if (expect) {
        scn_capture_begin(&cap);
    }
    scn_io_reap();
    ret = c->func(r, st->argc, st->argv);
    fflush(stdout);
    fflush(stderr);
    if (expect) {
        out = scn_capture_end(&cap);
    }
    if (ret == SCN_CMD_NOTRUN) {
        return SCN_EXIT_NOTRUN;
    }
    if (expect && ret == 0) {
        scn_fail(r, st, "'%s' succeeded, expected the error \"%s\"",
                 st->argv[0], expect);
        return SCN_EXIT_FAIL;
    }
    if (expect && !strstr(out, expect)) {
        scn_fail(r, st, "'%s' failed without the expected error \"%s\"",
                 st->argv[0], expect);
        return SCN_EXIT_FAIL;
    }
    if (!expect && ret < 0) {
        scn_fail(r, st, "'%s' failed", st->argv[0]);
        return SCN_EXIT_FAIL;
    }
    if (r->check && bdrv_debug_check_graph(&err) < 0) {
        scn_fail(r, st, "invariant violated after '%s': %s", st->argv[0],
                 error_get_pretty(err));
        error_free(err);
        return SCN_EXIT_FAIL;
    }
    return SCN_EXIT_OK;
}

/* After the last step: complete what is in flight, undo what is left */
static int scn_finish(ScnRunner *r, int ret)
{
    scn_io_cleanup();
    if (ret == SCN_EXIT_OK && scn_io_unwaited_failures()) {
        fprintf(stderr, "%s: an asynchronous request failed after the last "
                "'wait'\n", r->file);
        ret = SCN_EXIT_FAIL;
    }
    scn_drain_cleanup();
    scn_chain_cleanup();
    bdrv_close_all();
    scn_iothread_cleanup();
    return ret;
}

/* Run the scenario read from @f, named @file in messages */
static int scn_run_stream(const char *file, FILE *f, const ScnOptions *opts)
{
    ScnRunner r = { .file = file, .check = !opts->no_check };
    int i, ret;

    scn_run_is_seeded = opts->seeded;
    scn_run_is_sandboxed = opts->sandboxed;
    io_set_source_in_mem(opts->sandboxed);
    io_set_max_length(opts->sandboxed ? SCN_SANDBOX_IO_MAX : 0);
    scn_lex_set_env(opts->env);
    if (opts->seeded) {
        sched_set_deterministic(opts->seed);
        io_set_fixed_stats(true);
    }
    bdrv_init();
    test_driver_register();
    ret = scn_load(&r, f);
    for (i = 0; ret == SCN_EXIT_OK && i < r.nsteps; i++) {
        ret = scn_run_step(&r, &r.steps[i]);
    }
    if (ret != SCN_EXIT_USAGE) {
        ret = scn_finish(&r, ret);
    }
    for (i = 0; i < r.nsteps; i++) {
        scn_step_free(&r.steps[i]);
    }
    g_free(r.steps);
    g_free(r.expect);
    fflush(stdout);
    return ret;
}

/* Run the scenario of stream @f (NULL: it could not be opened), close it */
static int scn_run_opened(const char *name, FILE *f, const ScnOptions *opts)
{
    int ret;

    if (!f) {
        fprintf(stderr, "drydock: Cannot open scenario '%s': %s\n", name,
                strerror(errno));
        return SCN_EXIT_USAGE;
    }
    ret = scn_run_stream(name, f, opts);
    fclose(f);
    return ret;
}

int scn_run_file(const char *file, const ScnOptions *opts)
{
    return scn_run_opened(file, fopen(file, "r"), opts);
}

int scn_run_text(const char *name, const char *text, size_t len,
                 const ScnOptions *opts)
{
    /* fmemopen() of 0 bytes fails: an empty scenario is one empty line */
    return scn_run_opened(name, len ? fmemopen((void *)text, len, "r")
                                    : fmemopen("\n", 1, "r"), opts);
}

/* ---- the runner's own commands ---- */

static int scn_expect_error_f(ScnRunner *r, int argc, char **argv)
{
    g_free(r->expect);
    r->expect = g_strdup(argv[1]);
    return 0;
}

static int scn_require_format_f(ScnRunner *r, int argc, char **argv)
{
    const char *fmt = getenv("IMGFMT");
    int i;

    for (i = 1; fmt && i < argc; i++) {
        if (!strcmp(argv[i], fmt)) {
            return 0;
        }
    }
    printf("not run: format %s is not one of the test's formats\n",
           fmt ?: "(IMGFMT unset)");
    return SCN_CMD_NOTRUN;
}

/* try CMD ...: run CMD, whether it fails or not */
static int scn_try_f(ScnRunner *r, int argc, char **argv)
{
    const ScnCmd *c = scn_cmd_find(argv[1]);
    int ret = c->func(r, argc - 1, argv + 1);

    return ret == SCN_CMD_NOTRUN ? ret : 0;
}

static int scn_echo_f(ScnRunner *r, int argc, char **argv)
{
    int i;

    for (i = 1; i < argc; i++) {
        printf("%s%s", i > 1 ? " " : "", argv[i]);
    }
    printf("\n");
    return 0;
}

const ScnCmd scn_run_cmds[] = {
    { "expect-error", scn_expect_error_f, 1, 1, "\"MESSAGE\"",
      "the next command must fail, its output containing MESSAGE" },
    { "require-format", scn_require_format_f, 1, -1, "FMT...",
      "not run (exit 77) unless $IMGFMT is one of FMT" },
    { "try", scn_try_f, 1, -1, "CMD [ARG...]",
      "run CMD; go on whether it fails or not" },
    { "echo", scn_echo_f, 0, -1, "[WORD...]", "print the words" },
    { NULL },
};
