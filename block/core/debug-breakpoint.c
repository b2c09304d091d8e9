/*
 * blkdebug breakpoints and run-time children: the core's entry points
 * find the node whose driver implements them and check what the driver
 * must not have to check itself.
 */
#include "core.h"

/*
 * The node that takes breakpoints: @bs or the first node below it, down
 * the primary (else the filtered) children; NULL when none does.
 */
static BlockDriverState *debug_breakpoint_node(BlockDriverState *bs)
{
    while (bs && bs->drv && !bs->drv->bdrv_debug_breakpoint) {
        BdrvChild *c = bdrv_primary_child(bs);

        if (!c) {
            c = bdrv_filter_child(bs);
        }
        bs = c ? c->bs : NULL;
    }
    return bs && bs->drv ? bs : NULL;
}

int bdrv_debug_breakpoint(BlockDriverState *bs, const char *event,
                          const char *tag)
{
    GLOBAL_STATE_CODE();
    bs = debug_breakpoint_node(bs);
    if (!bs || !event || !tag) {
        return bs ? -EINVAL : -ENOTSUP;
    }
    return bs->drv->bdrv_debug_breakpoint(bs, event, tag);
}

int bdrv_debug_remove_breakpoint(BlockDriverState *bs, const char *tag)
{
    GLOBAL_STATE_CODE();
    bs = debug_breakpoint_node(bs);
    if (!bs || !bs->drv->bdrv_debug_remove_breakpoint) {
        return -ENOTSUP;
    }
    return tag ? bs->drv->bdrv_debug_remove_breakpoint(bs, tag) : -EINVAL;
}

int bdrv_debug_resume(BlockDriverState *bs, const char *tag)
{
    GLOBAL_STATE_CODE();
    bs = debug_breakpoint_node(bs);
    if (!bs || !bs->drv->bdrv_debug_resume) {
        return -ENOTSUP;
    }
    return tag ? bs->drv->bdrv_debug_resume(bs, tag) : -EINVAL;
}

bool bdrv_debug_is_suspended(BlockDriverState *bs, const char *tag)
{
    GLOBAL_STATE_CODE();
    bs = debug_breakpoint_node(bs);
    if (!bs || !bs->drv->bdrv_debug_is_suspended || !tag) {
        return false;
    }
    return bs->drv->bdrv_debug_is_suspended(bs, tag);
}

void bdrv_add_child(BlockDriverState *parent, BlockDriverState *child,
                    Error **errp)
{
    GLOBAL_STATE_CODE();
    if (!parent->drv || !parent->drv->bdrv_add_child) {
        error_setg(errp, "The node %s does not support adding a child",
                   bdrv_get_device_or_node_name(parent));
        return;
    }
    if (!QLIST_EMPTY(&child->parents)) {
        error_setg(errp, "The node %s already has a parent",
                   bdrv_get_device_or_node_name(child));
        return;
    }
    parent->drv->bdrv_add_child(parent, child, errp);
}

void bdrv_del_child(BlockDriverState *parent, BdrvChild *child, Error **errp)
{
    BdrvChild *c;

    GLOBAL_STATE_CODE();
    if (!parent->drv || !parent->drv->bdrv_del_child) {
        error_setg(errp, "The node %s does not support removing a child",
                   bdrv_get_device_or_node_name(parent));
        return;
    }
    QLIST_FOREACH(c, &parent->children, next) {
        if (c == child) {
            break;
        }
    }
    if (!c) {
        error_setg(errp, "The node %s does not have a child named %s",
                   bdrv_get_device_or_node_name(parent),
                   child && child->bs ? bdrv_get_device_or_node_name(child->bs)
                                      : "(none)");
        return;
    }
    parent->drv->bdrv_del_child(parent, child, errp);
}
