/*
 * The scenario command table: lookup, suggestions for unknown names,
 * help, and the small helpers every command file uses.
 */
#include "scn.h"

#include "harness/io-cmds.h"
#include "util/keyval.h"
#include "util/qjson.h"

static const ScnCmd *const scn_tables[] = {
    scn_run_cmds, scn_io_cmds, scn_graph_cmds, scn_chain_cmds,
    scn_drain_cmds, scn_query_cmds, scn_image_cmds,
};

const ScnCmd *scn_cmd_find(const char *name)
{
    size_t t;
    const ScnCmd *c;

    for (t = 0; t < ARRAY_SIZE(scn_tables); t++) {
        for (c = scn_tables[t]; c->name; c++) {
            if (!strcmp(c->name, name)) {
                return c;
            }
        }
    }
    return NULL;
}

/* Keep the nearest of @cand to @name in *best (distance *dist) */
static void scn_table_nearer(const char *name, const char *cand,
                             const char **best, int *dist)
{
    int d = scn_edit_distance(name, cand);

    if (d < *dist) {
        *dist = d;
        *best = cand;
    }
}

/* Near enough to be a typo: a third of the word, at least 2 edits */
static const char *scn_table_near(const char *name, const char *best,
                                  int dist)
{
    int limit = MAX(2, (int)strlen(name) / 3);

    return dist <= limit ? best : NULL;
}

const char *scn_cmd_suggest(const char *name)
{
    const char *best = NULL;
    int dist = INT_MAX;
    size_t t;
    const ScnCmd *c;

    for (t = 0; t < ARRAY_SIZE(scn_tables); t++) {
        for (c = scn_tables[t]; c->name; c++) {
            scn_table_nearer(name, c->name, &best, &dist);
        }
    }
    return scn_table_near(name, best, dist);
}

const char *scn_io_cmd_suggest(const char *name)
{
    const char *best = NULL;
    int dist = INT_MAX, i;
    const IoCmd *c;

    for (i = 0; (c = io_cmd_nth(i)) != NULL; i++) {
        scn_table_nearer(name, c->name, &best, &dist);
    }
    return scn_table_near(name, best, dist);
}

void scn_print_help(const char *name)
{
    size_t t;
    const ScnCmd *c;

    if (name) {
        c = scn_cmd_find(name);
        if (!c) {
            const char *near = scn_cmd_suggest(name);

            printf("Unknown command '%s'%s%s%s\n", name,
                   near ? " (did you mean '" : "", near ?: "",
                   near ? "'?)" : "");
            return;
        }
        printf("%s %s\n    %s\n", c->name, c->args, c->help);
        return;
    }
    for (t = 0; t < ARRAY_SIZE(scn_tables); t++) {
        for (c = scn_tables[t]; c->name; c++) {
            printf("%-18s %s\n", c->name, c->help);
        }
    }
    printf("\nio commands (io TARGET CMD ...): drydock-io -c help\n");
}

void scn_error(const char *fmt, ...)
{
    va_list ap;

    printf("Error: ");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
}

int scn_report_err(Error *err)
{
    scn_error("%s", error_get_pretty(err));
    error_free(err);
    return SCN_CMD_FAIL;
}

BlockDriverState *scn_node(const char *name)
{
    BlockDriverState *bs = bdrv_find_node(name);

    if (!bs) {
        scn_error("Cannot find node '%s'", name);
    }
    return bs;
}

QDict *scn_parse_options(const char *arg)
{
    Error *err = NULL;
    QDict *opts;

    if (arg[0] == '{') {
        opts = qdict_from_json(arg, &err);
    } else {
        opts = qdict_from_dotted_str(arg, &err);
    }
    if (!opts) {
        scn_report_err(err);
    }
    return opts;
}
