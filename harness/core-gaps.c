/*
 * The core functions behind core-gaps.h: each wrapper now calls the core
 * function it stood for (bdrv_reopen and the blkdebug breakpoint API).
 */
#include "core-gaps.h"

#include "block/driver.h"       /* BdrvChild.bs, to walk down */

int gap_bdrv_reopen(BlockDriverState *bs, QDict *opts, bool keep_old_opts,
                    Error **errp)
{
    return bdrv_reopen(bs, opts, keep_old_opts, errp);
}

int gap_bdrv_debug_breakpoint(BlockDriverState *bs, const char *event,
                              const char *tag)
{
    return bdrv_debug_breakpoint(bs, event, tag);
}

int gap_bdrv_debug_remove_breakpoint(BlockDriverState *bs, const char *tag)
{
    return bdrv_debug_remove_breakpoint(bs, tag);
}

int gap_bdrv_debug_resume(BlockDriverState *bs, const char *tag)
{
    return bdrv_debug_resume(bs, tag);
}

/* Whether a node at or below @bs (primary children) can suspend requests */
static bool core_gaps_can_suspend(BlockDriverState *bs)
{
    BdrvChild *c;

    for (; bs; bs = c ? c->bs : NULL) {
        if (!strcmp(bdrv_get_format_name(bs) ?: "", "blkdebug")) {
            return true;
        }
        c = bdrv_primary_child(bs);
    }
    return false;
}

int gap_bdrv_debug_is_suspended(BlockDriverState *bs, const char *tag)
{
    if (!core_gaps_can_suspend(bs)) {
        return -ENOTSUP;
    }
    return bdrv_debug_is_suspended(bs, tag);
}
