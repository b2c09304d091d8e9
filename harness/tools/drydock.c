/*
 * drydock: runs scenario files (docs/scenarios.md).
 *
 *   drydock run [--seed N] [--explore K] [--no-check] FILE
 *   drydock help [COMMAND]
 *
 * --explore runs each seed in a forked child whose output is captured,
 * so that a sanitizer abort or a crash is one more failure to report
 * with the command line that replays it.
 */
#include <getopt.h>
#include <sys/wait.h>

#include "harness/scenario/scenario.h"
#include "util/cutils.h"
#include "util/error.h"

typedef struct DdArgs {
    ScnOptions opts;
    bool seed_given;
    uint64_t explore;
    const char *file;
    const char *prog;
} DdArgs;

static void dd_usage(FILE *f)
{
    fprintf(f,
"Usage: drydock run [--seed N] [--explore K] [--no-check] FILE\n"
"       drydock help [COMMAND]\n"
"\n"
"  run FILE        run the scenario FILE in-process\n"
"  --seed N        deterministic scheduler seeded with N (virtual IOThreads,\n"
"                  placeholder statistics lines): byte-identical output\n"
"  --explore K     run seeds N..N+K-1 (N: --seed, default 1), stop at the\n"
"                  first failure, sanitizer report, invariant violation or\n"
"                  output differing from the first seed's; print the seed\n"
"  --no-check      do not check the graph invariants after every step\n"
"  help [COMMAND]  the scenario commands\n"
"\n"
"Exit status: 0 passed, 1 a step failed, 2 usage or syntax error,\n"
"77 not run (require-format)\n");
}

static int dd_usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "drydock: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nTry 'drydock help' for more information.\n");
    return SCN_EXIT_USAGE;
}

static int dd_parse_u64(const char *arg, const char *what, uint64_t *out)
{
    if (qemu_strtou64(arg, NULL, 10, out) < 0) {
        fprintf(stderr, "drydock: Invalid %s '%s'\n", what, arg);
        return -1;
    }
    return 0;
}

enum { DD_OPT_SEED = 256, DD_OPT_EXPLORE, DD_OPT_NO_CHECK };

static int dd_parse_run(DdArgs *a, int argc, char **argv)
{
    static const struct option longopts[] = {
        { "seed", required_argument, NULL, DD_OPT_SEED },
        { "explore", required_argument, NULL, DD_OPT_EXPLORE },
        { "no-check", no_argument, NULL, DD_OPT_NO_CHECK },
        { NULL, 0, NULL, 0 },
    };
    int c;

    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
        switch (c) {
        case DD_OPT_SEED:
            if (dd_parse_u64(optarg, "seed", &a->opts.seed) < 0) {
                return SCN_EXIT_USAGE;
            }
            a->seed_given = a->opts.seeded = true;
            break;
        case DD_OPT_EXPLORE:
            if (dd_parse_u64(optarg, "seed count", &a->explore) < 0) {
                return SCN_EXIT_USAGE;
            }
            if (a->explore == 0 || a->explore > 1000000) {
                return dd_usage_error("--explore takes 1 to 1000000 seeds, "
                                      "not '%s'", optarg);
            }
            break;
        case DD_OPT_NO_CHECK:
            a->opts.no_check = true;
            break;
        default:
            return dd_usage_error("Unknown option '%s'", argv[optind - 1]);
        }
    }
    if (argc - optind != 1) {
        return dd_usage_error("%s", argc == optind ? "Expecting a scenario "
                              "file" : "Expecting one scenario file");
    }
    a->file = argv[optind];
    return 0;
}

/* ---- --explore ---- */

typedef struct DdResult {
    int status;              /* from waitpid */
    char *out;               /* stdout and stderr, merged */
} DdResult;

/* Run @a->file with @seed in a child; its exit status and output */
static void dd_run_child(const DdArgs *a, uint64_t seed, DdResult *res)
{
    FILE *tmp = tmpfile();
    long len;
    pid_t pid;

    fflush(stdout);
    fflush(stderr);
    if (!tmp || (pid = fork()) < 0) {
        fprintf(stderr, "drydock: Cannot run a seed: %s\n", strerror(errno));
        exit(SCN_EXIT_FAIL);
    }
    if (pid == 0) {
        ScnOptions o = a->opts;

        dup2(fileno(tmp), 1);
        dup2(fileno(tmp), 2);
        o.seeded = true;
        o.seed = seed;
        exit(scn_run_file(a->file, &o));
    }
    while (waitpid(pid, &res->status, 0) < 0 && errno == EINTR) {
    }
    len = ftell(tmp);
    len = MAX(len, 0);
    res->out = g_malloc0(len + 1);
    rewind(tmp);
    len = fread(res->out, 1, len, tmp);
    res->out[len] = '\0';
    fclose(tmp);
}

/* Why the run failed, or NULL */
static const char *dd_failure(const DdResult *res, const DdResult *first)
{
    static char why[64];

    if (strstr(res->out, "Sanitizer") || strstr(res->out, "runtime error:")) {
        return "sanitizer report";
    }
    if (WIFSIGNALED(res->status)) {
        snprintf(why, sizeof(why), "killed by signal %d",
                 WTERMSIG(res->status));
        return why;
    }
    if (WEXITSTATUS(res->status) != 0) {
        snprintf(why, sizeof(why), "exit status %d", WEXITSTATUS(res->status));
        return why;
    }
    if (first && strcmp(res->out, first->out)) {
        return first == res ? NULL : "output differs from the first seed's";
    }
    return NULL;
}

static int dd_report(const DdArgs *a, uint64_t seed, const DdResult *res,
                     const char *why)
{
    printf("%s", res->out);
    printf("drydock: seed %" PRIu64 " fails: %s\n", seed, why);
    printf("replay: %s run --seed %" PRIu64 "%s %s\n", a->prog, seed,
           a->opts.no_check ? " --no-check" : "", a->file);
    return SCN_EXIT_FAIL;
}

static int dd_explore(const DdArgs *a)
{
    uint64_t first_seed = a->seed_given ? a->opts.seed : 1, i;
    DdResult first = { 0 }, again = { 0 };
    int ret = SCN_EXIT_OK;
    const char *why;

    /* The first seed twice: a seed must give the same output every run */
    dd_run_child(a, first_seed, &first);
    if (WIFEXITED(first.status) &&
        WEXITSTATUS(first.status) == SCN_EXIT_NOTRUN) {
        printf("%s", first.out);
        g_free(first.out);
        return SCN_EXIT_NOTRUN;
    }
    why = dd_failure(&first, NULL);
    if (!why) {
        dd_run_child(a, first_seed, &again);
        why = dd_failure(&again, NULL) ?:
              (strcmp(again.out, first.out) ?
               "output differs between two runs of the seed" : NULL);
    }
    if (why) {
        ret = dd_report(a, first_seed, again.out ? &again : &first, why);
    }
    for (i = 1; ret == SCN_EXIT_OK && i < a->explore; i++) {
        DdResult res = { 0 };

        dd_run_child(a, first_seed + i, &res);
        why = dd_failure(&res, &first);
        if (why) {
            ret = dd_report(a, first_seed + i, &res, why);
        }
        g_free(res.out);
    }
    if (ret == SCN_EXIT_OK) {
        printf("drydock: %" PRIu64 " seeds (%" PRIu64 "..%" PRIu64 ") passed "
               "with identical output\n", a->explore, first_seed,
               first_seed + a->explore - 1);
    }
    g_free(first.out);
    g_free(again.out);
    return ret;
}

int main(int argc, char **argv)
{
    DdArgs a = { .prog = argv[0] };
    int ret;

    error_set_progname(argv[0]);
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        dd_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? SCN_EXIT_USAGE : 0;
    }
    if (!strcmp(argv[1], "help")) {
        if (argc > 3) {
            return dd_usage_error("%s", "help takes at most one command");
        }
        if (argc == 2) {
            dd_usage(stdout);
            printf("\nScenario commands:\n");
        }
        scn_print_help(argc == 3 ? argv[2] : NULL);
        return 0;
    }
    if (strcmp(argv[1], "run")) {
        return dd_usage_error("Unknown subcommand '%s'", argv[1]);
    }
    ret = dd_parse_run(&a, argc - 1, argv + 1);
    if (ret) {
        return ret;
    }
    if (a.explore) {
        return dd_explore(&a);
    }
    return scn_run_file(a.file, &a.opts);
}
