/*
 * What a scenario can look at: query-nodes, graph (text or Graphviz),
 * check-invariants.  The output names nodes, never pointers, so that it
 * is the same run after run.
 */
#include "scn.h"

#include "block/block-debug.h"
#include "block/graph-dot.h"

static int scn_query_nodes_f(ScnRunner *r, int argc, char **argv)
{
    Error *err = NULL;
    BlockDeviceInfoList *list = bdrv_named_nodes_list(true, &err), *l;

    if (err) {
        return scn_report_err(err);
    }
    for (l = list; l; l = l->next) {
        BlockDeviceInfo *i = l->value;

        printf("%s: drv=%s file=%s ro=%s", i->node_name, i->drv, i->file,
               i->ro ? "on" : "off");
        if (i->backing_file) {
            printf(" backing=%s depth=%" PRId64, i->backing_file,
                   i->backing_file_depth);
        }
        printf("\n");
    }
    qapi_free_BlockDeviceInfoList(list);
    return 0;
}

/* "read,write" for a BLK_PERM_* mask, "none" when empty */
static void scn_query_perms(uint64_t perm)
{
    static const char *const names[] = {
        "read", "write", "write-unchanged", "resize",
    };
    bool any = false;
    size_t i;

    for (i = 0; i < ARRAY_SIZE(names); i++) {
        if (perm & (1ULL << i)) {
            printf("%s%s", any ? "," : "", names[i]);
            any = true;
        }
    }
    printf("%s", any ? "" : "none");
}

static const char *scn_query_name(const XDbgBlockGraph *g, uint64_t id)
{
    XDbgBlockGraphNodeList *n;

    for (n = g->nodes; n; n = n->next) {
        if (n->value->id == id) {
            return n->value->name[0] ? n->value->name : "(anonymous)";
        }
    }
    return "?";
}

static void scn_query_graph_text(const XDbgBlockGraph *g)
{
    XDbgBlockGraphNodeList *n;
    XDbgBlockGraphEdgeList *e;

    for (n = g->nodes; n; n = n->next) {
        XDbgBlockGraphNode *v = n->value;
        BlockDriverState *bs;

        printf("%s %s", XDbgBlockGraphNodeType_str[v->type],
               v->name[0] ? v->name : "(anonymous)");
        if (v->type == X_DBG_BLOCK_GRAPH_NODE_TYPE_BLOCK_DRIVER &&
            (bs = bdrv_find_node(v->name)) != NULL) {
            printf(" (%s)", bdrv_get_format_name(bs) ?: "none");
        }
        printf("\n");
    }
    for (e = g->edges; e; e = e->next) {
        XDbgBlockGraphEdge *v = e->value;

        printf("  %s -> %s [%s] perm=", scn_query_name(g, v->parent),
               scn_query_name(g, v->child), v->name);
        scn_query_perms(v->perm);
        printf(" shared=");
        scn_query_perms(v->shared_perm);
        printf("\n");
    }
}

/* graph, or graph --dot FILE */
static int scn_graph_f(ScnRunner *r, int argc, char **argv)
{
    Error *err = NULL;
    XDbgBlockGraph *g;
    char *dot;
    int ret;

    if (argc == 2 || (argc == 3 && strcmp(argv[1], "--dot"))) {
        scn_error("Usage: graph [--dot FILE]");
        return SCN_CMD_FAIL;
    }
    g = bdrv_get_xdbg_block_graph(&err);
    if (!g) {
        return scn_report_err(err);
    }
    if (argc == 1) {
        scn_query_graph_text(g);
        qapi_free_XDbgBlockGraph(g);
        return 0;
    }
    dot = xdbg_graph_to_dot(g);
    qapi_free_XDbgBlockGraph(g);
    ret = scn_file_write(argv[2], 0, (const uint8_t *)dot, strlen(dot), true);
    g_free(dot);
    return ret;
}

static int scn_check_invariants_f(ScnRunner *r, int argc, char **argv)
{
    Error *err = NULL;

    if (bdrv_debug_check_graph(&err) < 0) {
        return scn_report_err(err);
    }
    printf("Graph invariants hold (%d nodes)\n", bdrv_debug_node_count());
    return 0;
}

const ScnCmd scn_query_cmds[] = {
    { "query-nodes", scn_query_nodes_f, 0, 0, "",
      "print every node: driver, file, read-only, backing file" },
    { "graph", scn_graph_f, 0, 2, "[--dot FILE]",
      "print the graph as text, or write it as Graphviz DOT to FILE" },
    { "check-invariants", scn_check_invariants_f, 0, 0, "",
      "check the graph invariants now (also after every step)" },
    { NULL },
};
