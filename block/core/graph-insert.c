/*
 * Graph changes the block jobs use: inserting a new node (a filter, from
 * its options) above an existing one, and choosing the node a mirror job
 * may replace when it completes.
 */
#include "core.h"

BlockDriverState *bdrv_insert_node(BlockDriverState *bs, QDict *node_options,
                                   int flags, Error **errp)
{
    g_autofree char *node_name = NULL;
    const char *drvname;
    BlockDriverState *new_bs;
    BlockDriver *drv;
    int ret;

    GLOBAL_STATE_CODE();
    drvname = qdict_get_try_str(node_options, "driver");
    if (!drvname) {
        error_setg(errp, "driver is not specified");
        qobject_unref(node_options);
        return NULL;
    }
    drv = bdrv_find_format(drvname);
    if (!drv) {
        error_setg(errp, "Unknown driver: '%s'", drvname);
        qobject_unref(node_options);
        return NULL;
    }
    /* The other options go to the new node's driver */
    node_name = g_strdup(qdict_get_try_str(node_options, "node-name"));
    qdict_del(node_options, "node-name");
    qdict_del(node_options, "driver");
    new_bs = bdrv_new_open_driver_opts(drv, node_name, node_options, flags,
                                       errp);
    if (!new_bs) {
        error_prepend(errp, "Could not create node: ");
        return NULL;
    }
    /* One transaction: every parent of @bs moves, or none */
    bdrv_drained_begin(bs);
    ret = bdrv_replace_node(bs, new_bs, errp);
    bdrv_drained_end(bs);
    if (ret < 0) {
        error_prepend(errp, "Could not replace node: ");
        bdrv_unref(new_bs);
        return NULL;
    }
    return new_bs;
}

/*
 * Replacing @to_replace instead of @bs shows the same data only when
 * @to_replace is @bs or reached from it through filters
 */
static bool graph_insert_can_replace(BlockDriverState *bs,
                                     BlockDriverState *to_replace)
{
    int depth = 0;

    while (bs && depth++ < 4096) {
        if (bs == to_replace) {
            return true;
        }
        bs = bdrv_filter_bs(bs);
    }
    return false;
}

BlockDriverState *check_to_replace_node(BlockDriverState *parent_bs,
                                        const char *node_name, Error **errp)
{
    BlockDriverState *to_replace_bs;

    GLOBAL_STATE_CODE();
    to_replace_bs = bdrv_find_node(node_name);
    if (!to_replace_bs) {
        error_setg(errp, "Failed to find node with node-name='%s'",
                   node_name);
        return NULL;
    }
    if (bdrv_op_is_blocked(to_replace_bs, BLOCK_OP_TYPE_REPLACE, errp)) {
        return NULL;
    }
    if (!graph_insert_can_replace(parent_bs, to_replace_bs)) {
        error_setg(errp, "Cannot replace '%s' by a node mirrored from '%s', "
                   "because it cannot be guaranteed that doing so would not "
                   "lead to an abrupt change of visible data",
                   node_name, bdrv_get_node_name(parent_bs));
        return NULL;
    }
    return to_replace_bs;
}
