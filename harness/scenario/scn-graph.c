/*
 * Graph commands: blockdev-add/del/reopen, append, insert, replace,
 * drop-filter, commit, amend, activate/inactivate.  Each is one call of
 * the global-state API; its Error is the command's message.
 */
#include "scn.h"

#include "block/driver.h"       /* refcnt: is a node in use */
#include "util/coroutine.h"
#include "util/qstring.h"

/* blockdev-add OPTIONS: a monitor-owned node, as QMP's blockdev-add */
static int scn_blockdev_add_f(ScnRunner *r, int argc, char **argv)
{
    QDict *opts = scn_parse_options(argv[1]);
    BlockDriverState *bs;
    Error *err = NULL;

    if (!opts) {
        return SCN_CMD_FAIL;
    }
    if (!qdict_haskey(opts, "node-name")) {
        qobject_unref(opts);
        scn_error("'node-name' must be specified for the root node");
        return SCN_CMD_FAIL;
    }
    bs = bdrv_open(NULL, NULL, opts, BDRV_O_RDWR, &err);
    if (!bs) {
        return scn_report_err(err);
    }
    bdrv_monitor_add(bs);
    bdrv_unref(bs);
    return 0;
}

static bool scn_graph_monitor_owned(BlockDriverState *bs)
{
    BlockDriverState *m;

    for (m = bdrv_next_monitor_owned(NULL); m; m = bdrv_next_monitor_owned(m)) {
        if (m == bs) {
            return true;
        }
    }
    return false;
}

static int scn_blockdev_del_f(ScnRunner *r, int argc, char **argv)
{
    BlockDriverState *bs = scn_node(argv[1]);
    Error *err = NULL;

    if (!bs) {
        return SCN_CMD_FAIL;
    }
    if (!scn_graph_monitor_owned(bs)) {
        scn_error("Node %s is not owned by the monitor", argv[1]);
        return SCN_CMD_FAIL;
    }
    if (bdrv_op_is_blocked(bs, BLOCK_OP_TYPE_DRIVE_DEL, &err)) {
        return scn_report_err(err);
    }
    if (bs->refcnt > 1) {
        scn_error("Node %s is in use", argv[1]);
        return SCN_CMD_FAIL;
    }
    bdrv_monitor_remove(bs);
    return 0;
}

/* blockdev-reopen OPTIONS: the node named in OPTIONS, options not given
 * back to their defaults (as QMP's blockdev-reopen) */
static int scn_blockdev_reopen_f(ScnRunner *r, int argc, char **argv)
{
    QDict *opts = scn_parse_options(argv[1]);
    const char *name = opts ? qdict_get_try_str(opts, "node-name") : NULL;
    BlockDriverState *bs;
    Error *err = NULL;

    if (!opts) {
        return SCN_CMD_FAIL;
    }
    if (!name) {
        qobject_unref(opts);
        scn_error("node-name not specified");
        return SCN_CMD_FAIL;
    }
    bs = scn_node(name);
    if (!bs) {
        qobject_unref(opts);
        return SCN_CMD_FAIL;
    }
    return bdrv_reopen(bs, opts, false, &err) < 0 ? scn_report_err(err) : 0;
}

/* append NEW TOP, replace FROM TO: two nodes, one graph change */
static int scn_graph_pair_f(ScnRunner *r, int argc, char **argv)
{
    BlockDriverState *a = scn_node(argv[1]);
    BlockDriverState *b = a ? scn_node(argv[2]) : NULL;
    Error *err = NULL;
    int ret;

    if (!b) {
        return SCN_CMD_FAIL;
    }
    if (!strcmp(argv[0], "append")) {
        ret = bdrv_append(a, b, &err);
    } else {
        ret = bdrv_replace_node(a, b, &err);
    }
    return ret < 0 ? scn_report_err(err) : 0;
}

/* insert NODE OPTIONS: a new node (monitor-owned) takes NODE's place */
static int scn_insert_f(ScnRunner *r, int argc, char **argv)
{
    BlockDriverState *bs = scn_node(argv[1]);
    QDict *opts = bs ? scn_parse_options(argv[2]) : NULL;
    BlockDriverState *new_bs;
    Error *err = NULL;

    if (!opts) {
        return SCN_CMD_FAIL;
    }
    new_bs = bdrv_insert_node(bs, opts, BDRV_O_RDWR, &err);
    if (!new_bs) {
        return scn_report_err(err);
    }
    bdrv_monitor_add(new_bs);
    bdrv_unref(new_bs);
    return 0;
}

static int scn_drop_filter_f(ScnRunner *r, int argc, char **argv)
{
    BlockDriverState *bs = scn_node(argv[1]);
    Error *err = NULL;

    if (!bs) {
        return SCN_CMD_FAIL;
    }
    return bdrv_drop_filter(bs, &err) < 0 ? scn_report_err(err) : 0;
}

static int scn_commit_f(ScnRunner *r, int argc, char **argv)
{
    BlockDriverState *bs = scn_node(argv[1]);
    int ret;

    if (!bs) {
        return SCN_CMD_FAIL;
    }
    ret = bdrv_commit(bs);
    if (ret < 0) {
        scn_error("Commit of '%s' failed: %s", argv[1], strerror(-ret));
        return SCN_CMD_FAIL;
    }
    printf("Image committed.\n");
    return 0;
}

typedef struct ScnAmend {
    BlockDriverState *bs;
    QDict *opts;
    bool force;
    Error *err;
    int ret;
    bool done;
} ScnAmend;

static void coroutine_fn scn_amend_co(void *opaque)
{
    ScnAmend *a = opaque;

    a->ret = bdrv_co_amend(a->bs, a->opts, a->force, &a->err);
    a->done = true;
    aio_wait_kick();
}

/* amend NODE OPTIONS [force] */
static int scn_amend_f(ScnRunner *r, int argc, char **argv)
{
    ScnAmend a = { .bs = scn_node(argv[1]) };
    Coroutine *co;

    if (!a.bs) {
        return SCN_CMD_FAIL;
    }
    if (argc > 3 && strcmp(argv[3], "force")) {
        scn_error("Expected 'force', not '%s'", argv[3]);
        return SCN_CMD_FAIL;
    }
    a.force = argc > 3;
    a.opts = scn_parse_options(argv[2]);
    if (!a.opts) {
        return SCN_CMD_FAIL;
    }
    co = qemu_coroutine_create(scn_amend_co, &a);
    qemu_coroutine_enter(co);
    AIO_WAIT_WHILE(NULL, !qatomic_load_acquire(&a.done));
    qobject_unref(a.opts);
    return a.ret < 0 ? scn_report_err(a.err) : 0;
}

static int scn_activate_f(ScnRunner *r, int argc, char **argv)
{
    BlockDriverState *bs = NULL;
    Error *err = NULL;

    if (argc > 1 && !(bs = scn_node(argv[1]))) {
        return SCN_CMD_FAIL;
    }
    if (bs) {
        return bdrv_activate(bs, &err) < 0 ? scn_report_err(err) : 0;
    }
    bdrv_activate_all(&err);
    return err ? scn_report_err(err) : 0;
}

static int scn_inactivate_f(ScnRunner *r, int argc, char **argv)
{
    int ret = bdrv_inactivate_all();

    if (ret < 0) {
        scn_error("Cannot inactivate the nodes: %s", strerror(-ret));
        return SCN_CMD_FAIL;
    }
    return 0;
}

const ScnCmd scn_graph_cmds[] = {
    { "blockdev-add", scn_blockdev_add_f, 1, 1, "OPTIONS",
      "open a node (dotted key=value or JSON options, node-name required)" },
    { "blockdev-del", scn_blockdev_del_f, 1, 1, "NODE",
      "delete a node blockdev-add created (when unused)" },
    { "blockdev-reopen", scn_blockdev_reopen_f, 1, 1, "OPTIONS",
      "reopen the node named in OPTIONS with exactly those options" },
    { "append", scn_graph_pair_f, 2, 2, "NEW TOP",
      "put NEW on top of TOP (bdrv_append)" },
    { "insert", scn_insert_f, 2, 2, "NODE OPTIONS",
      "open a node from OPTIONS in NODE's place (bdrv_insert_node)" },
    { "replace", scn_graph_pair_f, 2, 2, "FROM TO",
      "the parents of FROM point at TO (bdrv_replace_node)" },
    { "drop-filter", scn_drop_filter_f, 1, 1, "NODE",
      "remove the filter NODE from the graph" },
    { "commit", scn_commit_f, 1, 1, "NODE",
      "copy NODE's data into its backing file (bdrv_commit)" },
    { "amend", scn_amend_f, 2, 3, "NODE OPTIONS [force]",
      "change format options of NODE (bdrv_co_amend)" },
    { "activate", scn_activate_f, 0, 1, "[NODE]",
      "activate NODE (or every node)" },
    { "inactivate", scn_inactivate_f, 0, 0, "",
      "inactivate every node (bdrv_inactivate_all)" },
    { NULL },
};
