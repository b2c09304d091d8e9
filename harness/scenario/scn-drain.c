/*
 * Drained sections and AioContexts: drain-begin/drain-end/drain,
 * drain-all(-begin/-end), iothread-add, set-aio-context.  The scenario
 * keeps count of what it began so that an unbalanced end is an error
 * instead of a core assertion, and ends what is left at the end.
 */
#include "scn.h"

#include "block/block-io.h"
#include "util/iothread.h"
#include "util/main-loop.h"

static GSList *scn_drained;       /* nodes (referenced) in drain-begin */
static int scn_drain_all_depth;
static GSList *scn_iothreads;

static int scn_drain_begin_f(ScnRunner *r, int argc, char **argv)
{
    BlockDriverState *bs = scn_node(argv[1]);

    if (!bs) {
        return SCN_CMD_FAIL;
    }
    bdrv_ref(bs);
    bdrv_drained_begin(bs);
    scn_drained = g_slist_prepend(scn_drained, bs);
    return 0;
}

static int scn_drain_end_f(ScnRunner *r, int argc, char **argv)
{
    BlockDriverState *bs = scn_node(argv[1]);

    if (!bs) {
        return SCN_CMD_FAIL;
    }
    if (!g_slist_find(scn_drained, bs)) {
        scn_error("Node '%s' is not in a drained section", argv[1]);
        return SCN_CMD_FAIL;
    }
    scn_drained = g_slist_remove(scn_drained, bs);
    bdrv_drained_end(bs);
    bdrv_unref(bs);
    return 0;
}

static int scn_drain_f(ScnRunner *r, int argc, char **argv)
{
    BlockDriverState *bs = scn_node(argv[1]);

    if (!bs) {
        return SCN_CMD_FAIL;
    }
    bdrv_drain(bs);
    return 0;
}

static int scn_drain_all_f(ScnRunner *r, int argc, char **argv)
{
    if (!strcmp(argv[0], "drain-all")) {
        bdrv_drain_all();
    } else if (!strcmp(argv[0], "drain-all-begin")) {
        bdrv_drain_all_begin();
        scn_drain_all_depth++;
    } else if (scn_drain_all_depth == 0) {
        scn_error("drain-all-end without drain-all-begin");
        return SCN_CMD_FAIL;
    } else {
        scn_drain_all_depth--;
        bdrv_drain_all_end();
    }
    return 0;
}

static int scn_iothread_add_f(ScnRunner *r, int argc, char **argv)
{
    Error *err = NULL;
    IOThread *t;

    if (!strcmp(argv[1], "main")) {
        scn_error("'main' names the main context, not an IOThread");
        return SCN_CMD_FAIL;
    }
    t = iothread_create(argv[1], &err);
    if (!t) {
        return scn_report_err(err);
    }
    scn_iothreads = g_slist_append(scn_iothreads, t);
    return 0;
}

AioContext *scn_iothread_ctx(const char *id)
{
    GSList *l;

    if (!strcmp(id, "main")) {
        return qemu_get_aio_context();
    }
    for (l = scn_iothreads; l; l = l->next) {
        if (!strcmp(iothread_get_id(l->data), id)) {
            return iothread_get_aio_context(l->data);
        }
    }
    scn_error("Cannot find IOThread '%s'", id);
    return NULL;
}

/* set-aio-context TARGET IOTHREAD|main (a backend, else a node) */
static int scn_set_aio_context_f(ScnRunner *r, int argc, char **argv)
{
    BlockBackend *blk = blk_by_name(argv[1]);
    BlockDriverState *bs = NULL;
    AioContext *ctx;
    Error *err = NULL;

    if (!blk && !(bs = scn_node(argv[1]))) {
        return SCN_CMD_FAIL;
    }
    ctx = scn_iothread_ctx(argv[2]);
    if (!ctx) {
        return SCN_CMD_FAIL;
    }
    if (blk) {
        return blk_set_aio_context(blk, ctx, &err) < 0 ?
               scn_report_err(err) : 0;
    }
    return bdrv_try_change_aio_context(bs, ctx, NULL, &err) < 0 ?
           scn_report_err(err) : 0;
}

/* In which context a node or backend is: "main" or the IOThread's id */
static int scn_aio_context_f(ScnRunner *r, int argc, char **argv)
{
    BlockBackend *blk = blk_by_name(argv[1]);
    BlockDriverState *bs = NULL;
    AioContext *ctx;
    GSList *l;

    if (!blk && !(bs = scn_node(argv[1]))) {
        return SCN_CMD_FAIL;
    }
    ctx = blk ? blk_get_aio_context(blk) : bdrv_get_aio_context(bs);
    for (l = scn_iothreads; l; l = l->next) {
        if (iothread_get_aio_context(l->data) == ctx) {
            printf("%s: %s\n", argv[1], iothread_get_id(l->data));
            return 0;
        }
    }
    printf("%s: %s\n", argv[1],
           ctx == qemu_get_aio_context() ? "main" : "(unknown context)");
    return 0;
}

void scn_drain_cleanup(void)
{
    while (scn_drained) {
        BlockDriverState *bs = scn_drained->data;

        scn_drained = g_slist_remove(scn_drained, bs);
        bdrv_drained_end(bs);
        bdrv_unref(bs);
    }
    for (; scn_drain_all_depth > 0; scn_drain_all_depth--) {
        bdrv_drain_all_end();
    }
}

void scn_iothread_cleanup(void)
{
    while (scn_iothreads) {
        IOThread *t = scn_iothreads->data;

        scn_iothreads = g_slist_remove(scn_iothreads, t);
        iothread_destroy(t);
    }
}

const ScnCmd scn_drain_cmds[] = {
    { "drain-begin", scn_drain_begin_f, 1, 1, "NODE",
      "begin a drained section on NODE (bdrv_drained_begin)" },
    { "drain-end", scn_drain_end_f, 1, 1, "NODE",
      "end a drained section drain-begin began" },
    { "drain", scn_drain_f, 1, 1, "NODE", "drain NODE (begin and end)" },
    { "drain-all", scn_drain_all_f, 0, 0, "", "drain every node" },
    { "drain-all-begin", scn_drain_all_f, 0, 0, "",
      "begin a drained section on every node" },
    { "drain-all-end", scn_drain_all_f, 0, 0, "",
      "end a drained section drain-all-begin began" },
    { "iothread-add", scn_iothread_add_f, 1, 1, "ID",
      "create IOThread ID (virtual under --seed)" },
    { "set-aio-context", scn_set_aio_context_f, 2, 2, "TARGET IOTHREAD|main",
      "move a backend or node (and what hangs off it) to a context" },
    { "aio-context", scn_aio_context_f, 1, 1, "TARGET",
      "print the context of a backend or node" },
    { NULL },
};
