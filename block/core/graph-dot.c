/*
 * Graphviz DOT rendering of the block graph (see include/block/graph-dot.h).
 */
#include "core.h"
#include "block/graph-dot.h"
#include "util/qstring.h"

static const char *const graph_dot_shape[] = {
    [X_DBG_BLOCK_GRAPH_NODE_TYPE_BLOCK_BACKEND] = "box3d",
    [X_DBG_BLOCK_GRAPH_NODE_TYPE_BLOCK_JOB] = "parallelogram",
    [X_DBG_BLOCK_GRAPH_NODE_TYPE_BLOCK_DRIVER] = "box",
};

/* @s inside a DOT string: quotes and backslashes escaped */
static void graph_dot_escaped(QString *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') {
            qstring_append_chr(out, '\\');
        }
        qstring_append_chr(out, *s);
    }
}

/* "name, name" of the bits of @mask set; "none" when none is */
static void graph_dot_bits(QString *out, uint64_t mask,
                           const char *const *names, int n)
{
    bool first = true;

    for (int i = 0; i < n; i++) {
        if (mask & (1ull << i)) {
            qstring_append_printf(out, "%s%s", first ? "" : ", ", names[i]);
            first = false;
        }
    }
    if (first) {
        qstring_append(out, "none");
    }
}

static const char *const graph_dot_perms[] = {
    "read", "write", "write-unchanged", "resize",
};

static const char *const graph_dot_roles[] = {
    "data", "metadata", "filtered", "cow", "primary",
};

static void graph_dot_edge(QString *out, const XDbgBlockGraphEdge *e)
{
    qstring_append_printf(out, "    n%" PRIu64 " -> n%" PRIu64 " [label=\"",
                          e->parent, e->child);
    graph_dot_escaped(out, e->name);
    qstring_append(out, "\\nrole: ");
    graph_dot_bits(out, e->role, graph_dot_roles, ARRAY_SIZE(graph_dot_roles));
    qstring_append(out, "\\nperm: ");
    graph_dot_bits(out, e->perm, graph_dot_perms, ARRAY_SIZE(graph_dot_perms));
    qstring_append(out, "\\nshared: ");
    graph_dot_bits(out, e->shared_perm, graph_dot_perms,
                   ARRAY_SIZE(graph_dot_perms));
    qstring_append(out, "\"];\n");
}

char *xdbg_graph_to_dot(const XDbgBlockGraph *graph)
{
    QString *out = qstring_new();
    char *s;

    qstring_append(out, "digraph block_graph {\n");
    for (XDbgBlockGraphNodeList *l = graph->nodes; l; l = l->next) {
        const XDbgBlockGraphNode *n = l->value;

        qstring_append_printf(out, "    n%" PRIu64 " [label=\"", n->id);
        graph_dot_escaped(out, n->name);
        qstring_append_printf(out, "\", shape=%s];\n",
                              graph_dot_shape[n->type]);
    }
    for (XDbgBlockGraphEdgeList *l = graph->edges; l; l = l->next) {
        graph_dot_edge(out, l->value);
    }
    qstring_append(out, "}\n");
    s = g_strdup(qstring_get_str(out));
    qobject_unref(out);
    return s;
}
