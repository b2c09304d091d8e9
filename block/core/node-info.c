/*
 * What a node is: getters, the filter/COW chain helpers, op blockers and
 * the queries that ask the driver or fall through a filter.
 */
#include "core.h"

const char *bdrv_get_node_name(const BlockDriverState *bs)
{
    IO_CODE();
    return bs->node_name;
}

const char *bdrv_get_format_name(BlockDriverState *bs)
{
    IO_CODE();
    return bs->drv ? bs->drv->format_name : NULL;
}

/* The device name of the first parent that has one */
const char *bdrv_get_device_name(const BlockDriverState *bs)
{
    BdrvChild *c;

    IO_CODE();
    QLIST_FOREACH(c, &bs->parents, next_parent) {
        if (c->klass->get_name) {
            const char *name = c->klass->get_name(c);
            if (name && name[0]) {
                return name;
            }
        }
    }
    return "";
}

const char *bdrv_get_device_or_node_name(const BlockDriverState *bs)
{
    IO_CODE();
    return bdrv_get_device_name(bs)[0] ? bdrv_get_device_name(bs)
                                       : bs->node_name;
}

AioContext *bdrv_get_aio_context(BlockDriverState *bs)
{
    IO_CODE();
    return bs ? bs->aio_context : qemu_get_aio_context();
}

bool bdrv_is_read_only(BlockDriverState *bs)
{
    IO_CODE();
    return bs->read_only;
}

bool bdrv_is_writable(BlockDriverState *bs)
{
    IO_CODE();
    return !bs->read_only && !(bs->open_flags & BDRV_O_INACTIVE);
}

bool bdrv_is_sg(BlockDriverState *bs)
{
    IO_CODE();
    return bs->sg;
}

int bdrv_get_flags(BlockDriverState *bs)
{
    IO_CODE();
    return bs->open_flags;
}

BdrvChild *bdrv_cow_child(BlockDriverState *bs)
{
    IO_CODE();
    if (!bs || !bs->drv || bs->drv->is_filter) {
        return NULL;
    }
    return bs->backing && (bs->backing->role & BDRV_CHILD_COW) ? bs->backing
                                                                : NULL;
}

BdrvChild *bdrv_filter_child(BlockDriverState *bs)
{
    BdrvChild *c;

    IO_CODE();
    if (!bs || !bs->drv || !bs->drv->is_filter) {
        return NULL;
    }
    QLIST_FOREACH(c, &bs->children, next) {
        if (c->role & BDRV_CHILD_FILTERED) {
            return c;
        }
    }
    return NULL;
}

/*
 * A filter whose filtered child is gone (bdrv_drop_filter detaches it, the
 * node lives on while referenced): its driver has nothing to pass requests
 * to, so requests fail with no medium before they reach it
 */
bool node_info_filter_orphaned(BlockDriverState *bs)
{
    return bs->drv && bs->drv->is_filter && !bdrv_filter_child(bs);
}

BdrvChild *bdrv_filter_or_cow_child(BlockDriverState *bs)
{
    BdrvChild *c = bdrv_cow_child(bs);

    IO_CODE();
    return c ? c : bdrv_filter_child(bs);
}

BdrvChild *bdrv_primary_child(BlockDriverState *bs)
{
    BdrvChild *c;

    IO_CODE();
    QLIST_FOREACH(c, &bs->children, next) {
        if (c->role & BDRV_CHILD_PRIMARY) {
            return c;
        }
    }
    return NULL;
}

static BlockDriverState *node_info_child_bs(BdrvChild *c)
{
    return c ? c->bs : NULL;
}

BlockDriverState *bdrv_cow_bs(BlockDriverState *bs)
{
    return node_info_child_bs(bdrv_cow_child(bs));
}

BlockDriverState *bdrv_filter_bs(BlockDriverState *bs)
{
    return node_info_child_bs(bdrv_filter_child(bs));
}

BlockDriverState *bdrv_filter_or_cow_bs(BlockDriverState *bs)
{
    return node_info_child_bs(bdrv_filter_or_cow_child(bs));
}

BlockDriverState *bdrv_skip_filters(BlockDriverState *bs)
{
    IO_CODE();
    while (bs && bdrv_filter_bs(bs)) {
        bs = bdrv_filter_bs(bs);
    }
    return bs;
}

static const char *const node_info_op_names[BLOCK_OP_TYPE_MAX] = {
    [BLOCK_OP_TYPE_BACKUP_SOURCE] = "backup-source",
    [BLOCK_OP_TYPE_BACKUP_TARGET] = "backup-target",
    [BLOCK_OP_TYPE_CHANGE] = "change",
    [BLOCK_OP_TYPE_COMMIT_SOURCE] = "commit-source",
    [BLOCK_OP_TYPE_COMMIT_TARGET] = "commit-target",
    [BLOCK_OP_TYPE_DRIVE_DEL] = "drive-del",
    [BLOCK_OP_TYPE_EJECT] = "eject",
    [BLOCK_OP_TYPE_EXTERNAL_SNAPSHOT] = "external-snapshot",
    [BLOCK_OP_TYPE_INTERNAL_SNAPSHOT] = "internal-snapshot",
    [BLOCK_OP_TYPE_INTERNAL_SNAPSHOT_DELETE] = "internal-snapshot-delete",
    [BLOCK_OP_TYPE_MIRROR_SOURCE] = "mirror-source",
    [BLOCK_OP_TYPE_MIRROR_TARGET] = "mirror-target",
    [BLOCK_OP_TYPE_RESIZE] = "resize",
    [BLOCK_OP_TYPE_STREAM] = "stream",
    [BLOCK_OP_TYPE_REPLACE] = "replace",
};

const char *BlockOpType_str(BlockOpType op)
{
    return op >= 0 && op < BLOCK_OP_TYPE_MAX ? node_info_op_names[op] : NULL;
}

bool bdrv_op_is_blocked(BlockDriverState *bs, BlockOpType op, Error **errp)
{
    BdrvOpBlocker *blocker;

    GLOBAL_STATE_CODE();
    assert((int)op >= 0 && op < BLOCK_OP_TYPE_MAX);
    if (QLIST_EMPTY(&bs->op_blockers[op])) {
        return false;
    }
    blocker = QLIST_FIRST(&bs->op_blockers[op]);
    error_setg(errp, "Node '%s' is busy: %s (operation '%s' is blocked)",
               bdrv_get_device_or_node_name(bs),
               error_get_pretty(blocker->reason), node_info_op_names[op]);
    return true;
}

void bdrv_op_block(BlockDriverState *bs, BlockOpType op, Error *reason)
{
    BdrvOpBlocker *blocker = g_new0(BdrvOpBlocker, 1);

    GLOBAL_STATE_CODE();
    assert((int)op >= 0 && op < BLOCK_OP_TYPE_MAX);
    blocker->reason = reason;
    QLIST_INSERT_HEAD(&bs->op_blockers[op], blocker, list);
}

void bdrv_op_unblock(BlockDriverState *bs, BlockOpType op, Error *reason)
{
    BdrvOpBlocker *blocker, *next;

    GLOBAL_STATE_CODE();
    assert((int)op >= 0 && op < BLOCK_OP_TYPE_MAX);
    QLIST_FOREACH_SAFE(blocker, &bs->op_blockers[op], list, next) {
        if (blocker->reason == reason) {
            QLIST_REMOVE(blocker, list);
            g_free(blocker);
        }
    }
}

void bdrv_op_block_all(BlockDriverState *bs, Error *reason)
{
    GLOBAL_STATE_CODE();
    for (int i = 0; i < BLOCK_OP_TYPE_MAX; i++) {
        bdrv_op_block(bs, i, reason);
    }
}

void bdrv_op_unblock_all(BlockDriverState *bs, Error *reason)
{
    GLOBAL_STATE_CODE();
    for (int i = 0; i < BLOCK_OP_TYPE_MAX; i++) {
        bdrv_op_unblock(bs, i, reason);
    }
}

bool bdrv_op_blocker_is_empty(BlockDriverState *bs)
{
    GLOBAL_STATE_CODE();
    for (int i = 0; i < BLOCK_OP_TYPE_MAX; i++) {
        if (!QLIST_EMPTY(&bs->op_blockers[i])) {
            return false;
        }
    }
    return true;
}

int bdrv_has_zero_init_1(BlockDriverState *bs)
{
    GLOBAL_STATE_CODE();
    return 1;
}

int bdrv_has_zero_init(BlockDriverState *bs)
{
    BlockDriverState *filtered;

    GLOBAL_STATE_CODE();
    if (!bs->drv) {
        return 0;
    }
    /* An overlay reads through to its backing file: not zero */
    if (bdrv_cow_child(bs)) {
        return 0;
    }
    if (bs->drv->bdrv_has_zero_init) {
        return bs->drv->bdrv_has_zero_init(bs);
    }
    filtered = bdrv_filter_bs(bs);
    return filtered ? bdrv_has_zero_init(filtered) : 0;
}

int bdrv_probe_blocksizes(BlockDriverState *bs, BlockSizes *bsz)
{
    BlockDriverState *filtered;

    GLOBAL_STATE_CODE();
    if (bs->drv && bs->drv->bdrv_probe_blocksizes) {
        return bs->drv->bdrv_probe_blocksizes(bs, bsz);
    }
    filtered = bdrv_filter_bs(bs);
    return filtered ? bdrv_probe_blocksizes(filtered, bsz) : -ENOTSUP;
}

int bdrv_probe_geometry(BlockDriverState *bs, HDGeometry *geo)
{
    BlockDriverState *filtered;

    GLOBAL_STATE_CODE();
    if (bs->drv && bs->drv->bdrv_probe_geometry) {
        return bs->drv->bdrv_probe_geometry(bs, geo);
    }
    filtered = bdrv_filter_bs(bs);
    return filtered ? bdrv_probe_geometry(filtered, geo) : -ENOTSUP;
}

/* Undo the registrations of the children before @stop */
static void node_info_unregister_children(BlockDriverState *bs,
                                          BdrvChild *stop, void *host,
                                          size_t size)
{
    BdrvChild *c;

    QLIST_FOREACH(c, &bs->children, next) {
        if (c == stop) {
            break;
        }
        bdrv_unregister_buf(c->bs, host, size);
    }
}

bool bdrv_register_buf(BlockDriverState *bs, void *host, size_t size,
                       Error **errp)
{
    BdrvChild *c;

    GLOBAL_STATE_CODE();
    if (bs->drv && bs->drv->bdrv_register_buf &&
        !bs->drv->bdrv_register_buf(bs, host, size, errp)) {
        return false;
    }
    QLIST_FOREACH(c, &bs->children, next) {
        if (!bdrv_register_buf(c->bs, host, size, errp)) {
            node_info_unregister_children(bs, c, host, size);
            if (bs->drv && bs->drv->bdrv_unregister_buf) {
                bs->drv->bdrv_unregister_buf(bs, host, size);
            }
            return false;
        }
    }
    return true;
}

void bdrv_unregister_buf(BlockDriverState *bs, void *host, size_t size)
{
    GLOBAL_STATE_CODE();
    if (bs->drv && bs->drv->bdrv_unregister_buf) {
        bs->drv->bdrv_unregister_buf(bs, host, size);
    }
    node_info_unregister_children(bs, NULL, host, size);
}

void bdrv_cancel_in_flight(BlockDriverState *bs)
{
    GLOBAL_STATE_CODE();
    if (bs && bs->drv && bs->drv->bdrv_cancel_in_flight) {
        bs->drv->bdrv_cancel_in_flight(bs);
    }
}

int bdrv_parse_cache_mode(const char *mode, int *flags, bool *writethrough)
{
    *flags &= ~BDRV_O_CACHE_MASK;
    if (!strcmp(mode, "off") || !strcmp(mode, "none")) {
        *writethrough = false;
        *flags |= BDRV_O_NOCACHE;
    } else if (!strcmp(mode, "directsync")) {
        *writethrough = true;
        *flags |= BDRV_O_NOCACHE;
    } else if (!strcmp(mode, "writeback")) {
        *writethrough = false;
    } else if (!strcmp(mode, "unsafe")) {
        *writethrough = false;
        *flags |= BDRV_O_NO_FLUSH;
    } else if (!strcmp(mode, "writethrough")) {
        *writethrough = true;
    } else {
        return -1;
    }
    return 0;
}

int bdrv_parse_discard_flags(const char *mode, int *flags)
{
    *flags &= ~BDRV_O_UNMAP;
    if (!strcmp(mode, "off") || !strcmp(mode, "ignore")) {
        return 0;
    }
    if (!strcmp(mode, "on") || !strcmp(mode, "unmap")) {
        *flags |= BDRV_O_UNMAP;
        return 0;
    }
    return -1;
}
