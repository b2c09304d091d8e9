/*
 * Nodes: creation, names, references, deletion, the global node lists and
 * the getters every layer uses.
 */
#include "core.h"
#include "block/block-backend.h"

BdrvStatesList bdrv_all_states = QTAILQ_HEAD_INITIALIZER(bdrv_all_states);
BdrvStatesList bdrv_graph_states = QTAILQ_HEAD_INITIALIZER(bdrv_graph_states);
BdrvStatesList bdrv_monitor_states =
    QTAILQ_HEAD_INITIALIZER(bdrv_monitor_states);

static void node_delete(BlockDriverState *bs);

/* Generated names start with '#', which a user-given name cannot */
#define NODE_GENERATED_PREFIX "#block"

BlockDriverState *bdrv_new(void)
{
    /* The filename buffers are strings: clearing their first byte is enough */
    BlockDriverState *bs = g_malloc(sizeof(*bs));

    memset(bs, 0, offsetof(BlockDriverState, filename));
    bs->filename[0] = bs->exact_filename[0] = bs->backing_file[0] = '\0';

    GLOBAL_STATE_CODE();
    QLIST_INIT(&bs->children);
    QLIST_INIT(&bs->parents);
    QLIST_INIT(&bs->tracked_requests);
    for (int i = 0; i < BLOCK_OP_TYPE_MAX; i++) {
        QLIST_INIT(&bs->op_blockers[i]);
    }
    pthread_mutex_init(&bs->reqs_lock, NULL);
    bs->refcnt = 1;
    bs->total_sectors = -1;
    bs->bl.request_alignment = 1;
    bs->cur_shared = BLK_PERM_ALL;
    bs->aio_context = qemu_get_aio_context();
    QTAILQ_INSERT_TAIL(&bdrv_all_states, bs, bs_list);
    drain_new_node(bs);
    return bs;
}

bool bdrv_id_wellformed(const char *id)
{
    if (!id || !((id[0] >= 'a' && id[0] <= 'z') ||
                 (id[0] >= 'A' && id[0] <= 'Z'))) {
        return false;
    }
    for (const char *p = id; *p; p++) {
        bool ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                  (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' ||
                  *p == '_';
        if (!ok) {
            return false;
        }
    }
    return true;
}

/* "#block" and @id in decimal, three digits at least (not formatted) */
static void node_format_generated(char name[BLOCK_NODE_NAME_MAX], unsigned id)
{
    char digits[16];
    size_t n = 0, len = sizeof(NODE_GENERATED_PREFIX) - 1;

    do {
        digits[n++] = '0' + id % 10;
        id /= 10;
    } while (id || n < 3);
    memcpy(name, NODE_GENERATED_PREFIX, len);
    while (n) {
        name[len++] = digits[--n];
    }
    name[len] = 0;
}

static void node_generate_name(BlockDriverState *bs)
{
    static unsigned next_id;

    do {
        node_format_generated(bs->node_name, next_id++);
    } while (bdrv_find_node(bs->node_name));
}

int node_set_name(BlockDriverState *bs, const char *node_name, Error **errp)
{
    if (!node_name) {
        node_generate_name(bs);
    } else if (!bdrv_id_wellformed(node_name)) {
        error_setg(errp, "Invalid node-name: '%s'", node_name);
        return -EINVAL;
    } else if (strlen(node_name) >= BLOCK_NODE_NAME_MAX) {
        error_setg(errp, "Node name too long: '%s' (at most %d characters)",
                   node_name, BLOCK_NODE_NAME_MAX - 1);
        return -EINVAL;
    } else if (blk_name_taken(node_name)) {
        error_setg(errp, "node-name=%s is conflicting with a device id",
                   node_name);
        return -EINVAL;
    } else if (bdrv_find_node(node_name)) {
        error_setg(errp, "Duplicate nodes with node-name='%s'", node_name);
        return -EINVAL;
    } else {
        pstrcpy(bs->node_name, sizeof(bs->node_name), node_name);
    }
    QTAILQ_INSERT_TAIL(&bdrv_graph_states, bs, node_list);
    return 0;
}

void bdrv_ref(BlockDriverState *bs)
{
    GLOBAL_STATE_CODE();
    assert(bs->refcnt > 0);
    bs->refcnt++;
}

void bdrv_unref(BlockDriverState *bs)
{
    GLOBAL_STATE_CODE();
    if (!bs) {
        return;
    }
    assert(bs->refcnt > 0);
    if (--bs->refcnt == 0) {
        node_delete(bs);
    }
}

void coroutine_fn bdrv_co_unref(BlockDriverState *bs)
{
    /* Deleting a node polls: leave the coroutine's context first */
    bdrv_unref(bs);
}

/* Detach and drop every child, the driver state and the options */
static void node_close(BlockDriverState *bs)
{
    BdrvChild *child, *next;

    if (bs->drv) {
        bdrv_drained_begin(bs);
        if (!bs->open_failed && !bdrv_is_read_only(bs)) {
            bdrv_flush(bs);
        }
        if (bs->drv->bdrv_close && !bs->open_failed) {
            bs->drv->bdrv_close(bs);
        }
        bs->drv = NULL;
        bdrv_drained_end(bs);
    }
    QLIST_FOREACH_SAFE(child, &bs->children, next, next) {
        if (child->bs->inherits_from == bs) {
            child->bs->inherits_from = NULL; /* never left dangling */
        }
        bdrv_unref_child(bs, child);
    }
    assert(!bs->file && !bs->backing);
    g_free(bs->opaque);
    bs->opaque = NULL;
    qobject_unref(bs->options);
    qobject_unref(bs->explicit_options);
    qobject_unref(bs->full_open_options);
    bs->options = bs->explicit_options = bs->full_open_options = NULL;
}

static void node_delete(BlockDriverState *bs)
{
    assert(QLIST_EMPTY(&bs->parents));
    assert(bdrv_op_blocker_is_empty(bs));
    /* Keep the node alive while closing: drain polls and may run callbacks */
    bs->refcnt = 1;
    node_close(bs);
    assert(bs->refcnt == 1);
    if (bs->node_name[0]) {
        QTAILQ_REMOVE(&bdrv_graph_states, bs, node_list);
    }
    QTAILQ_REMOVE(&bdrv_all_states, bs, bs_list);
    pthread_mutex_destroy(&bs->reqs_lock);
    g_free(bs);
}

BlockDriverState *bdrv_find_node(const char *node_name)
{
    BlockDriverState *bs;

    GLOBAL_STATE_CODE();
    QTAILQ_FOREACH(bs, &bdrv_graph_states, node_list) {
        if (!strcmp(node_name, bs->node_name)) {
            return bs;
        }
    }
    return NULL;
}

BlockDriverState *bdrv_lookup_bs(const char *device, const char *node_name,
                                 Error **errp)
{
    GLOBAL_STATE_CODE();
    if (device) {
        BlockBackend *blk = blk_by_name(device);
        if (blk) {
            BlockDriverState *bs = blk_bs(blk);
            if (!bs) {
                error_setg(errp, "Device '%s' has no medium", device);
            }
            return bs;
        }
    }
    if (node_name) {
        BlockDriverState *bs = bdrv_find_node(node_name);
        if (bs) {
            return bs;
        }
    }
    error_setg(errp, "Cannot find device=\'%s\' nor node-name=\'%s\'",
               device ? device : "", node_name ? node_name : "");
    return NULL;
}

bool bdrv_chain_contains(BlockDriverState *top, BlockDriverState *base)
{
    GLOBAL_STATE_CODE();
    while (top && top != base) {
        top = bdrv_filter_or_cow_bs(top);
    }
    return top != NULL;
}

BlockDriverState *bdrv_next_node(BlockDriverState *bs)
{
    GLOBAL_STATE_CODE();
    return bs ? QTAILQ_NEXT(bs, node_list) : QTAILQ_FIRST(&bdrv_graph_states);
}

BlockDriverState *bdrv_next_all_states(BlockDriverState *bs)
{
    GLOBAL_STATE_CODE();
    return bs ? QTAILQ_NEXT(bs, bs_list) : QTAILQ_FIRST(&bdrv_all_states);
}

void bdrv_monitor_add(BlockDriverState *bs)
{
    GLOBAL_STATE_CODE();
    bdrv_ref(bs);
    QTAILQ_INSERT_TAIL(&bdrv_monitor_states, bs, monitor_list);
}

void bdrv_monitor_remove(BlockDriverState *bs)
{
    GLOBAL_STATE_CODE();
    QTAILQ_REMOVE(&bdrv_monitor_states, bs, monitor_list);
    bdrv_unref(bs);
}

BlockDriverState *bdrv_next_monitor_owned(BlockDriverState *bs)
{
    GLOBAL_STATE_CODE();
    return bs ? QTAILQ_NEXT(bs, monitor_list)
              : QTAILQ_FIRST(&bdrv_monitor_states);
}

/* The iterator holds a reference to what it last returned */
static BlockDriverState *node_next_root(BdrvNextIterator *it)
{
    BlockDriverState *old_bs = it->bs;
    BlockDriverState *bs = NULL;

    if (it->phase == BDRV_NEXT_BACKEND_ROOTS) {
        BlockBackend *old_blk = it->blk;
        do {
            it->blk = blk_all_next(it->blk);
            bs = it->blk ? blk_bs(it->blk) : NULL;
        } while (it->blk && !bs);
        if (it->blk) {
            blk_ref(it->blk);
        }
        if (old_blk) {
            blk_unref(old_blk);
        }
        if (bs) {
            bdrv_ref(bs);
            bdrv_unref(old_bs);
            it->bs = bs;
            return bs;
        }
        it->phase = BDRV_NEXT_MONITOR_OWNED;
        bdrv_unref(old_bs);
        old_bs = NULL;
    }
    /* Then the monitor-owned nodes that are not the root of a backend */
    bs = old_bs;
    do {
        bs = bdrv_next_monitor_owned(bs);
    } while (bs && bdrv_has_blk(bs));
    if (bs) {
        bdrv_ref(bs);
    }
    bdrv_unref(old_bs);
    it->bs = bs;
    return bs;
}

BlockDriverState *bdrv_first(BdrvNextIterator *it)
{
    GLOBAL_STATE_CODE();
    *it = (BdrvNextIterator){ .phase = BDRV_NEXT_BACKEND_ROOTS };
    return node_next_root(it);
}

BlockDriverState *bdrv_next(BdrvNextIterator *it)
{
    GLOBAL_STATE_CODE();
    return node_next_root(it);
}

void bdrv_next_cleanup(BdrvNextIterator *it)
{
    GLOBAL_STATE_CODE();
    if (it->phase == BDRV_NEXT_BACKEND_ROOTS && it->blk) {
        blk_unref(it->blk);
    }
    bdrv_unref(it->bs);
    *it = (BdrvNextIterator){ .phase = BDRV_NEXT_MONITOR_OWNED };
}

int bdrv_flush_all(void)
{
    BlockDriverState *bs;
    int result = 0;

    GLOBAL_STATE_CODE();
    QTAILQ_FOREACH(bs, &bdrv_all_states, bs_list) {
        int ret = bs->drv && !bdrv_is_read_only(bs) ? bdrv_flush(bs) : 0;
        if (ret < 0 && !result) {
            result = ret;
        }
    }
    return result;
}

void bdrv_close_all(void)
{
    BlockBackend *blk = NULL;

    GLOBAL_STATE_CODE();
    bdrv_drain_all();
    bdrv_flush_all();
    while ((blk = blk_all_next(blk))) {
        if (blk_bs(blk)) {
            blk_remove_bs(blk);
        }
    }
    while (!QTAILQ_EMPTY(&bdrv_monitor_states)) {
        bdrv_monitor_remove(QTAILQ_FIRST(&bdrv_monitor_states));
    }
}
