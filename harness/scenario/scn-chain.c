/*
 * Backing chains and op blockers: set-backing, freeze/unfreeze,
 * op-block/op-unblock/op-check.
 */
#include "scn.h"

/* set-backing NODE BACKING|none */
static int scn_set_backing_f(ScnRunner *r, int argc, char **argv)
{
    BlockDriverState *bs = scn_node(argv[1]);
    BlockDriverState *backing = NULL;
    Error *err = NULL;

    if (!bs || (strcmp(argv[2], "none") && !(backing = scn_node(argv[2])))) {
        return SCN_CMD_FAIL;
    }
    return bdrv_set_backing_hd(bs, backing, &err) < 0 ?
           scn_report_err(err) : 0;
}

/* NODE [BASE]: the chain from NODE down to BASE (or to its end) */
static bool scn_chain_args(int argc, char **argv, BlockDriverState **top,
                           BlockDriverState **base)
{
    *top = scn_node(argv[1]);
    *base = NULL;
    return *top && (argc < 3 || (*base = scn_node(argv[2])));
}

static int scn_freeze_f(ScnRunner *r, int argc, char **argv)
{
    BlockDriverState *top, *base;
    Error *err = NULL;

    if (!scn_chain_args(argc, argv, &top, &base)) {
        return SCN_CMD_FAIL;
    }
    return bdrv_freeze_backing_chain(top, base, &err) < 0 ?
           scn_report_err(err) : 0;
}

static int scn_unfreeze_f(ScnRunner *r, int argc, char **argv)
{
    BlockDriverState *top, *base;

    if (!scn_chain_args(argc, argv, &top, &base)) {
        return SCN_CMD_FAIL;
    }
    if (!bdrv_is_backing_chain_frozen(top, base, NULL)) {
        scn_error("The chain below '%s' is not frozen", argv[1]);
        return SCN_CMD_FAIL;
    }
    bdrv_unfreeze_backing_chain(top, base);
    return 0;
}

/* ---- op blockers ---- */

#define SCN_OP_ALL BLOCK_OP_TYPE_MAX

/* An op name, "all" (SCN_OP_ALL), or -1 after the error */
static int scn_op_parse(const char *name)
{
    int i;

    for (i = 0; i < BLOCK_OP_TYPE_MAX; i++) {
        if (!strcmp(name, BlockOpType_str(i))) {
            return i;
        }
    }
    if (!strcmp(name, "all")) {
        return SCN_OP_ALL;
    }
    scn_error("Unknown operation '%s' (commit-source, resize, ..., all)",
              name);
    return -1;
}

/* A blocker the scenario set: unblocking needs the same reason */
typedef struct ScnBlocker {
    BlockDriverState *bs;    /* referenced while blocked */
    int op;
    Error *reason;
} ScnBlocker;

static GSList *scn_blockers;

static void scn_blocker_drop(ScnBlocker *b)
{
    if (b->op == SCN_OP_ALL) {
        bdrv_op_unblock_all(b->bs, b->reason);
    } else {
        bdrv_op_unblock(b->bs, b->op, b->reason);
    }
    scn_blockers = g_slist_remove(scn_blockers, b);
    bdrv_unref(b->bs);
    error_free(b->reason);
    g_free(b);
}

/* op-block NODE OP [REASON...] */
static int scn_op_block_f(ScnRunner *r, int argc, char **argv)
{
    BlockDriverState *bs = scn_node(argv[1]);
    ScnBlocker *b;
    int op = bs ? scn_op_parse(argv[2]) : -1;
    g_autofree char *why = NULL;
    int i;

    if (op < 0) {
        return SCN_CMD_FAIL;
    }
    why = g_strdup(argc > 3 ? argv[3] : "blocked by the scenario");
    for (i = 4; i < argc; i++) {
        char *w = g_strdup_printf("%s %s", why, argv[i]);

        g_free(why);
        why = w;
    }
    b = g_new0(ScnBlocker, 1);
    b->bs = bs;
    b->op = op;
    error_setg(&b->reason, "%s", why);
    bdrv_ref(bs);
    if (op == SCN_OP_ALL) {
        bdrv_op_block_all(bs, b->reason);
    } else {
        bdrv_op_block(bs, op, b->reason);
    }
    scn_blockers = g_slist_prepend(scn_blockers, b);
    return 0;
}

/* op-unblock NODE OP: remove the blockers the scenario set for OP */
static int scn_op_unblock_f(ScnRunner *r, int argc, char **argv)
{
    BlockDriverState *bs = scn_node(argv[1]);
    int op = bs ? scn_op_parse(argv[2]) : -1;
    GSList *l, *next;
    bool found = false;

    if (op < 0) {
        return SCN_CMD_FAIL;
    }
    for (l = scn_blockers; l; l = next) {
        ScnBlocker *b = l->data;

        next = l->next;
        if (b->bs == bs && b->op == op) {
            scn_blocker_drop(b);
            found = true;
        }
    }
    if (!found) {
        scn_error("No blocker of '%s' on node '%s' to remove", argv[2],
                  argv[1]);
        return SCN_CMD_FAIL;
    }
    return 0;
}

/* op-check NODE OP: print whether OP is blocked, and why */
static int scn_op_check_f(ScnRunner *r, int argc, char **argv)
{
    BlockDriverState *bs = scn_node(argv[1]);
    int op = bs ? scn_op_parse(argv[2]) : -1;
    Error *err = NULL;

    if (op < 0 || op == SCN_OP_ALL) {
        if (op == SCN_OP_ALL) {
            scn_error("op-check needs one operation, not 'all'");
        }
        return SCN_CMD_FAIL;
    }
    if (bdrv_op_is_blocked(bs, op, &err)) {
        printf("%s: %s blocked: %s\n", argv[1], argv[2],
               error_get_pretty(err));
        error_free(err);
    } else {
        printf("%s: %s not blocked\n", argv[1], argv[2]);
    }
    return 0;
}

void scn_chain_cleanup(void)
{
    while (scn_blockers) {
        scn_blocker_drop(scn_blockers->data);
    }
}

const ScnCmd scn_chain_cmds[] = {
    { "set-backing", scn_set_backing_f, 2, 2, "NODE BACKING|none",
      "attach BACKING as NODE's backing child, or detach it" },
    { "freeze", scn_freeze_f, 1, 2, "NODE [BASE]",
      "freeze the backing links from NODE down to BASE" },
    { "unfreeze", scn_unfreeze_f, 1, 2, "NODE [BASE]",
      "unfreeze what freeze froze" },
    { "op-block", scn_op_block_f, 2, -1, "NODE OP|all [REASON...]",
      "block an operation on NODE (commit-source, resize, ...)" },
    { "op-unblock", scn_op_unblock_f, 2, 2, "NODE OP|all",
      "remove the scenario's blockers of OP on NODE" },
    { "op-check", scn_op_check_f, 2, 2, "NODE OP",
      "print whether OP is blocked on NODE" },
    { NULL },
};
