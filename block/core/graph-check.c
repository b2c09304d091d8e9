/*
 * The graph invariant checker (block-debug.h).  Unit tests, scenarios and
 * fuzz targets call it after every step; each violation names the nodes
 * and edge involved so that a failing seed is easy to read.
 */
#include "core.h"

typedef struct GraphCheck {
    Error **errp;
    int ret;
} GraphCheck;

static bool graph_check_fail(GraphCheck *gc, const char *fmt, ...)
    G_GNUC_PRINTF(2, 3);

static bool graph_check_fail(GraphCheck *gc, const char *fmt, ...)
{
    va_list ap;
    g_autofree char *msg = NULL;

    if (gc->ret == 0) {
        va_start(ap, fmt);
        msg = g_strdup_vprintf(fmt, ap);
        va_end(ap);
        error_setg(gc->errp, "Graph invariant violated: %s", msg);
        gc->ret = -EINVAL;
    }
    return false;
}

static bool graph_check_in_list(BdrvChild *needle, BlockDriverState *bs,
                                bool children)
{
    BdrvChild *c;

    if (children) {
        QLIST_FOREACH(c, &bs->children, next) {
            if (c == needle) {
                return true;
            }
        }
    } else {
        QLIST_FOREACH(c, &bs->parents, next_parent) {
            if (c == needle) {
                return true;
            }
        }
    }
    return false;
}

/* Edges: both lists agree, file/backing point at real children */
static bool graph_check_edges(GraphCheck *gc, BlockDriverState *bs)
{
    const char *name = bs->node_name;
    BdrvChild *c;

    QLIST_FOREACH(c, &bs->children, next) {
        if (!c->klass->parent_is_bds || c->opaque != bs || !c->bs) {
            return graph_check_fail(gc, "child '%s' of '%s' does not point "
                                    "back to its parent", c->name, name);
        }
        if (!graph_check_in_list(c, c->bs, false)) {
            return graph_check_fail(gc, "child '%s' of '%s' is missing from "
                                    "the parents of '%s'", c->name, name,
                                    c->bs->node_name);
        }
    }
    QLIST_FOREACH(c, &bs->parents, next_parent) {
        if (c->bs != bs) {
            return graph_check_fail(gc, "parent edge '%s' of '%s' points to "
                                    "another node", c->name, name);
        }
        if (c->klass->parent_is_bds &&
            !graph_check_in_list(c, c->opaque, true)) {
            return graph_check_fail(gc, "edge '%s' to '%s' is missing from "
                                    "its parent's children", c->name, name);
        }
    }
    if ((bs->file && !graph_check_in_list(bs->file, bs, true)) ||
        (bs->backing && !graph_check_in_list(bs->backing, bs, true))) {
        return graph_check_fail(gc, "file/backing of '%s' is not one of its "
                                "children", name);
    }
    return true;
}

/* bs->file and bs->backing are exactly the children their roles name */
static bool graph_check_file_backing(GraphCheck *gc, BlockDriverState *bs)
{
    BdrvChild *file, *backing;

    if (!bs->drv) {
        return true; /* closing: the edges are going away */
    }
    file = child_slot_holder(bs, &bs->file);
    backing = child_slot_holder(bs, &bs->backing);
    if (bs->file != file) {
        return graph_check_fail(gc, "node '%s' records '%s' as its file "
                                "child but the roles name '%s'", bs->node_name,
                                bs->file ? bs->file->name : "(none)",
                                file ? file->name : "(none)");
    }
    if (bs->backing != backing) {
        return graph_check_fail(gc, "node '%s' records '%s' as its backing "
                                "child but the roles name '%s'", bs->node_name,
                                bs->backing ? bs->backing->name : "(none)",
                                backing ? backing->name : "(none)");
    }
    return true;
}

static bool graph_check_limits(GraphCheck *gc, BlockDriverState *bs)
{
    Error *local_err = NULL;

    if (limits_check_node(bs, &local_err) < 0) {
        graph_check_fail(gc, "%s", error_get_pretty(local_err));
        error_free(local_err);
        return false;
    }
    return true;
}

static bool graph_check_refcnt(GraphCheck *gc, BlockDriverState *bs)
{
    int edges = 0;
    BdrvChild *c;

    QLIST_FOREACH(c, &bs->parents, next_parent) {
        edges++;
    }
    if (bs->refcnt < edges) {
        return graph_check_fail(gc, "node '%s' has %d parents but only %d "
                                "references", bs->node_name, edges,
                                bs->refcnt);
    }
    return true;
}

/* 0 unvisited, 1 on the current path, 2 done */
static bool graph_check_acyclic(GraphCheck *gc, BlockDriverState *bs,
                                PtrSet *on_path, PtrSet *done)
{
    BdrvChild *c;

    if (ptrset_contains(done, bs)) {
        return true;
    }
    if (!ptrset_add(on_path, bs)) {
        return graph_check_fail(gc, "cycle through node '%s'", bs->node_name);
    }
    QLIST_FOREACH(c, &bs->children, next) {
        if (!graph_check_acyclic(gc, c->bs, on_path, done)) {
            return false;
        }
    }
    ptrset_remove(on_path, bs);
    ptrset_add(done, bs);
    return true;
}

static bool graph_check_perms(GraphCheck *gc, BlockDriverState *bs)
{
    uint64_t perm, shared;
    BdrvChild *a, *b;

    QLIST_FOREACH(a, &bs->parents, next_parent) {
        QLIST_FOREACH(b, &bs->parents, next_parent) {
            if (a != b && (a->perm & ~b->shared_perm)) {
                return graph_check_fail(gc, "edges '%s' and '%s' to '%s' "
                                        "hold unshared permissions 0x%" PRIx64,
                                        a->name, b->name, bs->node_name,
                                        a->perm & ~b->shared_perm);
            }
        }
    }
    bdrv_get_cumulative_perm(bs, &perm, &shared);
    if ((perm & BLK_PERM_WRITE) && !perms_is_writable_node(bs)) {
        return graph_check_fail(gc, "read-only node '%s' granted write",
                                bs->node_name);
    }
    if (!bs->drv) {
        return true;
    }
    if (bs->cur_perm != perm || bs->cur_shared != shared) {
        return graph_check_fail(gc, "node '%s' holds permissions 0x%" PRIx64
                                "/0x%" PRIx64 " but its parents need 0x%"
                                PRIx64 "/0x%" PRIx64, bs->node_name,
                                bs->cur_perm, bs->cur_shared, perm, shared);
    }
    QLIST_FOREACH(a, &bs->children, next) {
        uint64_t np, ns;
        perms_child_perm(bs, a, perm, shared, &np, &ns);
        if (a->perm != np || a->shared_perm != ns) {
            return graph_check_fail(gc, "edge '%s' of '%s' holds 0x%" PRIx64
                                    "/0x%" PRIx64 " instead of 0x%" PRIx64
                                    "/0x%" PRIx64, a->name, bs->node_name,
                                    a->perm, a->shared_perm, np, ns);
        }
    }
    return true;
}

static bool graph_check_quiesce(GraphCheck *gc, BlockDriverState *bs)
{
    int quiesced_children = 0;
    BdrvChild *c;

    QLIST_FOREACH(c, &bs->parents, next_parent) {
        if (c->quiesced_parent != (bs->quiesce_counter > 0)) {
            return graph_check_fail(gc, "edge '%s' to '%s' %s its parent "
                                    "but the node's quiesce count is %d",
                                    c->name, bs->node_name,
                                    c->quiesced_parent ? "quiesces"
                                                       : "does not quiesce",
                                    bs->quiesce_counter);
        }
    }
    QLIST_FOREACH(c, &bs->children, next) {
        quiesced_children += c->quiesced_parent;
    }
    if (bs->quiesce_counter < bdrv_drain_all_count + quiesced_children) {
        return graph_check_fail(gc, "node '%s' has quiesce count %d, below "
                                "drain_all (%d) plus drained children (%d)",
                                bs->node_name, bs->quiesce_counter,
                                bdrv_drain_all_count, quiesced_children);
    }
    return true;
}

static bool graph_check_context(GraphCheck *gc, BlockDriverState *bs)
{
    BdrvChild *c;

    QLIST_FOREACH(c, &bs->parents, next_parent) {
        AioContext *pctx = c->klass->get_parent_aio_context
                               ? c->klass->get_parent_aio_context(c)
                               : bs->aio_context;
        if (pctx != bs->aio_context) {
            return graph_check_fail(gc, "node '%s' and the parent of its edge "
                                    "'%s' are in different AioContexts",
                                    bs->node_name, c->name);
        }
    }
    return true;
}

int bdrv_debug_check_graph(Error **errp)
{
    GraphCheck gc = { .errp = errp };
    PtrSet on_path, done;
    BlockDriverState *bs;

    GLOBAL_STATE_CODE();
    ptrset_init(&on_path);
    ptrset_init(&done);
    QTAILQ_FOREACH(bs, &bdrv_all_states, bs_list) {
        if (!graph_check_edges(&gc, bs) || !graph_check_refcnt(&gc, bs) ||
            !graph_check_file_backing(&gc, bs)) {
            break;
        }
    }
    QTAILQ_FOREACH(bs, &bdrv_all_states, bs_list) {
        if (gc.ret || !graph_check_acyclic(&gc, bs, &on_path, &done)) {
            break;
        }
    }
    QTAILQ_FOREACH(bs, &bdrv_all_states, bs_list) {
        if (gc.ret || !graph_check_perms(&gc, bs) ||
            !graph_check_quiesce(&gc, bs) || !graph_check_context(&gc, bs) ||
            !graph_check_limits(&gc, bs)) {
            break;
        }
    }
    ptrset_destroy(&on_path);
    ptrset_destroy(&done);
    return gc.ret;
}

void bdrv_debug_assert_graph(void)
{
    Error *err = NULL;

    if (bdrv_debug_check_graph(&err) < 0) {
        fprintf(stderr, "%s\n", error_get_pretty(err));
        error_free(err);
        abort();
    }
}

int bdrv_debug_node_count(void)
{
    BlockDriverState *bs;
    int n = 0;

    QTAILQ_FOREACH(bs, &bdrv_all_states, bs_list) {
        n++;
    }
    return n;
}
