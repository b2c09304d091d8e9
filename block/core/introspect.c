/*
 * Introspection: the named nodes with their backing images
 * (bdrv_named_nodes_list, QMP's query-named-block-nodes) and the whole
 * graph with its permissions (bdrv_get_xdbg_block_graph, QMP's
 * x-debug-query-block-graph).
 */
#include "core.h"
#include "block/block-backend.h"

const char *const XDbgBlockGraphNodeType_str[] = {
    [X_DBG_BLOCK_GRAPH_NODE_TYPE_BLOCK_BACKEND] = "block-backend",
    [X_DBG_BLOCK_GRAPH_NODE_TYPE_BLOCK_JOB] = "block-job",
    [X_DBG_BLOCK_GRAPH_NODE_TYPE_BLOCK_DRIVER] = "block-driver",
};

/* ---- named nodes -------------------------------------------------------- */

static ImageInfo *introspect_image(BlockDriverState *bs, Error **errp)
{
    int64_t size = bdrv_getlength(bs);
    ImageInfo *info;

    if (size < 0) {
        error_setg_errno(errp, -size, "Can't get image size '%s'",
                         bs->exact_filename);
        return NULL;
    }
    info = g_new0(ImageInfo, 1);
    info->filename = g_strdup(bs->filename);
    info->format = g_strdup(bs->drv->format_name);
    info->virtual_size = size;
    if (bs->backing_file[0]) {
        info->backing_filename = g_strdup(bs->backing_file);
    }
    return info;
}

/* @bs's image and, unless @flat, its backing images; filters skipped */
static ImageInfo *introspect_chain(BlockDriverState *bs, bool flat,
                                   int64_t *depth, Error **errp)
{
    ImageInfo *head = NULL, **tail = &head;
    GHashTable *seen = g_hash_table_new(NULL, NULL);

    *depth = 0;
    for (bs = bdrv_skip_filters(bs); bs && bs->drv;
         bs = bdrv_skip_filters(bdrv_cow_bs(bs))) {
        if (!g_hash_table_add(seen, bs)) {
            break; /* a loop: reported by the graph checker, not here */
        }
        if (head) {
            (*depth)++;
        }
        if (!flat || !head) {
            *tail = introspect_image(bs, errp);
            if (!*tail) {
                qapi_free_ImageInfo(head);
                head = NULL;
                break;
            }
            tail = &(*tail)->backing_image;
        }
    }
    g_hash_table_destroy(seen);
    return head;
}

static BlockDeviceInfo *introspect_node(BlockDriverState *bs, bool flat,
                                        Error **errp)
{
    BlockDeviceInfo *info = g_new0(BlockDeviceInfo, 1);

    info->file = g_strdup(bs->filename);
    info->node_name = g_strdup(bs->node_name);
    info->ro = bdrv_is_read_only(bs);
    info->drv = g_strdup(bs->drv->format_name);
    if (bs->backing_file[0]) {
        info->backing_file = g_strdup(bs->backing_file);
    }
    /* drydock has no encryption and no detect-zeroes option (yet) */
    info->encrypted = false;
    info->detect_zeroes = BLOCKDEV_DETECT_ZEROES_OPTIONS_OFF;
    info->cache = g_new0(BlockdevCacheInfo, 1);
    info->cache->writeback = true; /* no device: QEMU reports true */
    info->cache->direct = bs->open_flags & BDRV_O_NOCACHE;
    info->cache->no_flush = bs->open_flags & BDRV_O_NO_FLUSH;
    info->image = introspect_chain(bs, flat, &info->backing_file_depth, errp);
    if (!info->image) {
        qapi_free_BlockDeviceInfo(info);
        return NULL;
    }
    return info;
}

BlockDeviceInfoList *bdrv_named_nodes_list(bool flat, Error **errp)
{
    BlockDeviceInfoList *list = NULL, **tail = &list;
    BlockDriverState *bs = NULL;

    GLOBAL_STATE_CODE();
    while ((bs = bdrv_next_node(bs))) {
        BlockDeviceInfo *info;

        if (!bs->drv) {
            continue; /* ejected: nothing to describe */
        }
        info = introspect_node(bs, flat, errp);
        if (!info) {
            qapi_free_BlockDeviceInfoList(list);
            return NULL;
        }
        *tail = g_new0(BlockDeviceInfoList, 1);
        (*tail)->value = info;
        tail = &(*tail)->next;
    }
    return list;
}

void qapi_free_ImageInfo(ImageInfo *info)
{
    while (info) {
        ImageInfo *next = info->backing_image;

        g_free(info->filename);
        g_free(info->format);
        g_free(info->backing_filename);
        g_free(info);
        info = next;
    }
}

void qapi_free_BlockDeviceInfo(BlockDeviceInfo *info)
{
    if (!info) {
        return;
    }
    g_free(info->file);
    g_free(info->node_name);
    g_free(info->drv);
    g_free(info->backing_file);
    g_free(info->cache);
    qapi_free_ImageInfo(info->image);
    g_free(info);
}

void qapi_free_BlockDeviceInfoList(BlockDeviceInfoList *list)
{
    while (list) {
        BlockDeviceInfoList *next = list->next;

        qapi_free_BlockDeviceInfo(list->value);
        g_free(list);
        list = next;
    }
}

/* ---- the whole graph ---------------------------------------------------- */

typedef struct IntrospectGraph {
    XDbgBlockGraph *graph;
    XDbgBlockGraphNodeList **nodes_tail;
    XDbgBlockGraphEdgeList **edges_tail;
    GSList *ids;          /* the parents and nodes listed, newest first */
    uint64_t count;
} IntrospectGraph;

/* The id of @key (a BlockBackend or a node), 0 if not listed */
static uint64_t introspect_id(IntrospectGraph *g, const void *key)
{
    uint64_t id = g->count;

    for (GSList *l = g->ids; l; l = l->next, id--) {
        if (l->data == key) {
            return id;
        }
    }
    return 0;
}

static void introspect_add_node(IntrospectGraph *g, const void *key,
                                XDbgBlockGraphNodeType type, const char *name)
{
    XDbgBlockGraphNode *n = g_new0(XDbgBlockGraphNode, 1);

    g->ids = g_slist_prepend(g->ids, (void *)key);
    n->id = ++g->count;
    n->type = type;
    n->name = g_strdup(name);
    *g->nodes_tail = g_new0(XDbgBlockGraphNodeList, 1);
    (*g->nodes_tail)->value = n;
    g->nodes_tail = &(*g->nodes_tail)->next;
}

static void introspect_add_edge(IntrospectGraph *g, const void *parent,
                                BdrvChild *c)
{
    XDbgBlockGraphEdge *e = g_new0(XDbgBlockGraphEdge, 1);

    e->parent = introspect_id(g, parent);
    e->child = introspect_id(g, c->bs);
    e->name = g_strdup(c->name);
    e->role = c->role;
    e->perm = c->perm;
    e->shared_perm = c->shared_perm;
    *g->edges_tail = g_new0(XDbgBlockGraphEdgeList, 1);
    (*g->edges_tail)->value = e;
    g->edges_tail = &(*g->edges_tail)->next;
}

XDbgBlockGraph *bdrv_get_xdbg_block_graph(Error **errp)
{
    IntrospectGraph g = { .graph = g_new0(XDbgBlockGraph, 1) };
    BlockDriverState *bs = NULL;
    BlockBackend *blk = NULL;
    BdrvChild *c;

    GLOBAL_STATE_CODE();
    g.nodes_tail = &g.graph->nodes;
    g.edges_tail = &g.graph->edges;
    while ((blk = blk_all_next(blk))) {
        introspect_add_node(&g, blk, X_DBG_BLOCK_GRAPH_NODE_TYPE_BLOCK_BACKEND,
                            blk_name(blk));
    }
    while ((bs = bdrv_next_all_states(bs))) {
        introspect_add_node(&g, bs, X_DBG_BLOCK_GRAPH_NODE_TYPE_BLOCK_DRIVER,
                            bs->node_name);
    }
    while ((blk = blk_all_next(blk))) {
        if (blk_root(blk)) {
            introspect_add_edge(&g, blk, blk_root(blk));
        }
    }
    while ((bs = bdrv_next_all_states(bs))) {
        QLIST_FOREACH(c, &bs->children, next) {
            introspect_add_edge(&g, bs, c);
        }
    }
    g_slist_free(g.ids);
    return g.graph;
}

void qapi_free_XDbgBlockGraph(XDbgBlockGraph *graph)
{
    if (!graph) {
        return;
    }
    while (graph->nodes) {
        XDbgBlockGraphNodeList *next = graph->nodes->next;

        g_free(graph->nodes->value->name);
        g_free(graph->nodes->value);
        g_free(graph->nodes);
        graph->nodes = next;
    }
    while (graph->edges) {
        XDbgBlockGraphEdgeList *next = graph->edges->next;

        g_free(graph->edges->value->name);
        g_free(graph->edges->value);
        g_free(graph->edges);
        graph->edges = next;
    }
    g_free(graph);
}
