/*
 * Stand-ins for core functions that do not exist yet (see core-gaps.h).
 */
#include "core-gaps.h"

int gap_bdrv_reopen(BlockDriverState *bs, QDict *opts, bool keep_old_opts,
                    Error **errp)
{
    error_setg(errp, "Cannot reopen node '%s': bdrv_reopen is not "
               "implemented yet", bdrv_get_node_name(bs));
    return -ENOTSUP;
}

int gap_bdrv_debug_breakpoint(BlockDriverState *bs, const char *event,
                              const char *tag)
{
    return -ENOTSUP;
}

int gap_bdrv_debug_remove_breakpoint(BlockDriverState *bs, const char *tag)
{
    return -ENOTSUP;
}

int gap_bdrv_debug_resume(BlockDriverState *bs, const char *tag)
{
    return -ENOTSUP;
}

int gap_bdrv_debug_is_suspended(BlockDriverState *bs, const char *tag)
{
    return -ENOTSUP;
}
