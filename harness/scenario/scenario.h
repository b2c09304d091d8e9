/*
 * The scenario language: run a scenario file in-process (drydock run).
 * The language, its commands and exit codes: docs/scenarios.md.
 */
#ifndef HARNESS_SCENARIO_SCENARIO_H
#define HARNESS_SCENARIO_SCENARIO_H

#include "util/osdep.h"

/* Exit codes of a run (and of drydock run) */
enum {
    SCN_EXIT_OK = 0,
    SCN_EXIT_FAIL = 1,       /* a command failed, an expectation broke,
                                an invariant was violated */
    SCN_EXIT_USAGE = 2,      /* bad command line, or a syntax error */
    SCN_EXIT_NOTRUN = 77,    /* require-format: the test does not apply */
};

typedef struct ScnOptions {
    bool seeded;             /* run under the deterministic scheduler */
    uint64_t seed;
    bool no_check;           /* skip the invariant check after each step */
    /*
     * No host files (the image helpers' files and write -s sources are
     * mem images named by the path), no real sleeps, signals or abort;
     * the caller confines the block layer's own file access
     */
    bool sandboxed;
    /* "NAME=VALUE" strings, NULL-terminated: the only variables (NULL: the
       process environment) */
    const char *const *env;
} ScnOptions;

/*
 * Parse all of @file (syntax errors first: nothing runs then), then run
 * its steps; the block layer is initialised by the first run, and each
 * run closes every node it opened.  Returns an SCN_EXIT_* code.
 */
int scn_run_file(const char *file, const ScnOptions *opts);

/*
 * The same for a scenario held in memory (@len bytes of @text, named
 * @name in messages); may be called again once it returned (fuzz target)
 */
int scn_run_text(const char *name, const char *text, size_t len,
                 const ScnOptions *opts);

/* The command list (@cmd NULL) or one command's usage, on stdout */
void scn_print_help(const char *cmd);

#endif
