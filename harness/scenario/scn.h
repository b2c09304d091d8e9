/*
 * Internals of the scenario language (docs/scenarios.md): the lexer, the
 * command table and what the command files share.  The tool sees only
 * scenario.h.
 */
#ifndef HARNESS_SCENARIO_SCN_H
#define HARNESS_SCENARIO_SCN_H

#include "harness/scenario/scenario.h"
#include "block/block-global-state.h"
#include "block/block-backend.h"

/* One step: a non-empty line split into words, variables expanded */
typedef struct ScnStep {
    int line;
    int argc;
    char **argv;        /* argc words, NULL-terminated */
    int *cols;          /* 1-based column of each word */
    char *text;         /* the line as written (for messages) */
} ScnStep;

/*
 * Split @text (line @line of @file) into words: blanks separate words,
 * '#' at the start of a word comments out the rest, "..." (with \" \\ \$)
 * and '...' quote, $VAR ${VAR} ${VAR:-default} expand from the
 * environment outside '...', a word starting with '{' runs to its
 * matching '}' (JSON).  Returns 0 (argc 0 for a blank line), or -1 after
 * printing "FILE:LINE:COL: error: ..." on stderr.
 */
int scn_lex(const char *file, int line, const char *text, ScnStep *step);
void scn_step_free(ScnStep *step);

/* Variables from @vars ("NAME=VALUE", NULL-terminated) only; NULL: environ */
void scn_lex_set_env(const char *const *vars);

/* Edit distance (Levenshtein) between two words */
int scn_edit_distance(const char *a, const char *b);

/* Command return values (besides 0): see SCN_EXIT_* for the process */
enum {
    SCN_CMD_FAIL = -1,       /* failed, message printed */
    SCN_CMD_NOTRUN = -77,    /* require-* said the test does not apply */
};

typedef struct ScnRunner ScnRunner;
typedef int (*ScnFunc)(ScnRunner *r, int argc, char **argv);

typedef struct ScnCmd {
    const char *name;
    ScnFunc func;
    int argmin;              /* words after the name */
    int argmax;              /* -1: no maximum */
    const char *args;        /* usage text */
    const char *help;        /* one line */
} ScnCmd;

/* The tables of each command file, terminated by a NULL name */
extern const ScnCmd scn_graph_cmds[];
extern const ScnCmd scn_chain_cmds[];
extern const ScnCmd scn_drain_cmds[];
extern const ScnCmd scn_query_cmds[];
extern const ScnCmd scn_image_cmds[];
extern const ScnCmd scn_io_cmds[];
extern const ScnCmd scn_run_cmds[];

const ScnCmd *scn_cmd_find(const char *name);
/* The known name nearest to @name (commands, or io commands), or NULL */
const char *scn_cmd_suggest(const char *name);
const char *scn_io_cmd_suggest(const char *name);
void scn_cmd_help(const char *name);

/* ---- helpers for the commands ---- */

/* "Error: <msg>" on stdout (scenario errors are part of the output) */
void scn_error(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
/* Print @err as scn_error does, free it; returns SCN_CMD_FAIL */
int scn_report_err(Error *err);

/* The node named @name, or NULL after "Error: Cannot find node ..." */
BlockDriverState *scn_node(const char *name);
/* The AioContext of IOThread @id ("main": the main context), or NULL */
AioContext *scn_iothread_ctx(const char *id);

/*
 * Options of blockdev-add and friends: JSON when @arg starts with '{',
 * dotted key=value otherwise.  NULL after printing the error.
 */
QDict *scn_parse_options(const char *arg);

/* Whether the run is seeded (statistics, iothreads are virtual) */
bool scn_seeded(void);
/* Whether the run is sandboxed: no host files, no real sleeps or signals */
bool scn_sandboxed(void);

/*
 * The files of the image helpers (scn-files.c): host files, or mem images
 * named by the path when sandboxed.  Errors print "Error: ..." (write,
 * cat: SCN_CMD_FAIL) or return -errno (pread).
 */
int scn_file_write(const char *file, int64_t offset, const uint8_t *buf,
                   size_t len, bool trunc);
bool scn_file_exists(const char *file);
ssize_t scn_file_pread(const char *file, uint8_t *buf, size_t len,
                       int64_t offset);
int scn_file_cat(const char *file);

/* Undo what the commands left (drains, blockers, backends, IOThreads) */
void scn_drain_cleanup(void);
void scn_chain_cleanup(void);
void scn_iothread_cleanup(void);
void scn_io_cleanup(void);
/* Drop the temporary backends of io commands once nothing is in flight */
void scn_io_reap(void);
/* aio failures no wait reported yet */
uint64_t scn_io_unwaited_failures(void);

#endif
