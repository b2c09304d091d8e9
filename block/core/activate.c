/*
 * Activation (migration hand-over): an inactive node (BDRV_O_INACTIVE)
 * has written everything back and must not be written, so that another
 * process may take the image over; activating it re-reads what the other
 * process may have changed.
 *
 * Inactivation goes from the roots down: a node becomes inactive only
 * once every node parent is, and only if no active parent holds a write
 * permission on it.  Activation goes children first, so that a driver
 * re-reading its metadata reads from active children.
 */
#include "io-int.h"

/*
 * The parents of @bs take back what they let go of (a BlockBackend its
 * permissions); if one cannot, those before it let go again
 */
static int activate_parents(BlockDriverState *bs, Error **errp)
{
    BdrvChild *child, *done;

    QLIST_FOREACH(child, &bs->parents, next_parent) {
        Error *local_err = NULL;

        if (!child->klass->activate) {
            continue;
        }
        child->klass->activate(child, &local_err);
        if (!local_err) {
            continue;
        }
        QLIST_FOREACH(done, &bs->parents, next_parent) {
            if (done == child) {
                break;
            }
            if (done->klass->inactivate) {
                done->klass->inactivate(done);
            }
        }
        error_propagate_prepend(errp, local_err, "Could not activate node "
                                "'%s': ", bdrv_get_node_name(bs));
        return -EPERM;
    }
    return 0;
}

/* Activate @bs after its children; parents' activate callbacks last */
static int activate_recurse(BlockDriverState *bs, Error **errp)
{
    BdrvChild *child;
    int ret;

    if (!bs->drv) {
        return -ENOMEDIUM;
    }
    QLIST_FOREACH(child, &bs->children, next) {
        ret = activate_recurse(child->bs, errp);
        if (ret < 0) {
            return ret;
        }
    }
    if (!(bs->open_flags & BDRV_O_INACTIVE)) {
        return 0;
    }
    bs->open_flags &= ~BDRV_O_INACTIVE;
    ret = bdrv_refresh_perms(bs, NULL, errp);
    if (ret < 0) {
        bs->open_flags |= BDRV_O_INACTIVE;
        return ret;
    }
    if (bs->drv->bdrv_co_invalidate_cache) {
        Error *local_err = NULL;

        bs->drv->bdrv_co_invalidate_cache(bs, &local_err);
        if (local_err) {
            bs->open_flags |= BDRV_O_INACTIVE;
            error_propagate_prepend(errp, local_err, "Could not reopen "
                                    "node '%s': ", bdrv_get_node_name(bs));
            return -EINVAL;
        }
    }
    /* Another process may have resized the image */
    ret = bdrv_refresh_total_sectors(bs, bs->total_sectors);
    if (ret < 0) {
        bs->open_flags |= BDRV_O_INACTIVE;
        error_setg_errno(errp, -ret, "Could not refresh total sector count");
        return ret;
    }
    ret = activate_parents(bs, errp);
    if (ret < 0) {
        /* Back to inactive: nobody writes what a parent could not take */
        bs->open_flags |= BDRV_O_INACTIVE;
        bdrv_refresh_perms(bs, NULL, NULL);
    }
    return ret;
}

int bdrv_activate(BlockDriverState *bs, Error **errp)
{
    GLOBAL_STATE_CODE();
    return activate_recurse(bs, errp);
}

int coroutine_fn bdrv_co_activate(BlockDriverState *bs, Error **errp)
{
    return activate_recurse(bs, errp);
}

void bdrv_activate_all(Error **errp)
{
    BlockDriverState *bs = NULL;

    GLOBAL_STATE_CODE();
    while ((bs = bdrv_next_all_states(bs))) {
        if (activate_recurse(bs, errp) < 0) {
            return;
        }
    }
}

/* Is a parent of @bs a node that is still active? */
static bool activate_has_active_node_parent(BlockDriverState *bs)
{
    BdrvChild *parent;

    QLIST_FOREACH(parent, &bs->parents, next_parent) {
        if (parent->klass->parent_is_bds &&
            !(((BlockDriverState *)parent->opaque)->open_flags &
              BDRV_O_INACTIVE)) {
            return true;
        }
    }
    return false;
}

static int inactivate_recurse(BlockDriverState *bs)
{
    BdrvChild *child;
    uint64_t perm, shared;
    int ret;

    if (!bs->drv || (bs->open_flags & BDRV_O_INACTIVE) ||
        activate_has_active_node_parent(bs)) {
        return 0;   /* done already, or when its last parent is */
    }
    QLIST_FOREACH(child, &bs->parents, next_parent) {
        if (child->klass->inactivate) {
            ret = child->klass->inactivate(child);
            if (ret < 0) {
                return ret;
            }
        }
    }
    /* Someone still writing would write behind the other process's back */
    bdrv_get_cumulative_perm(bs, &perm, &shared);
    if (perm & (BLK_PERM_WRITE | BLK_PERM_WRITE_UNCHANGED)) {
        return -EPERM;
    }
    if (bs->drv->bdrv_inactivate) {
        ret = bs->drv->bdrv_inactivate(bs);
        if (ret < 0) {
            return ret;
        }
    }
    bs->open_flags |= BDRV_O_INACTIVE;
    /* Inactive nodes may need less; a failure to loosen is harmless */
    bdrv_refresh_perms(bs, NULL, NULL);
    QLIST_FOREACH(child, &bs->children, next) {
        ret = inactivate_recurse(child->bs);
        if (ret < 0) {
            return ret;
        }
    }
    return 0;
}

int bdrv_inactivate_all(void)
{
    BlockDriverState *bs = NULL;
    int ret;

    GLOBAL_STATE_CODE();
    while ((bs = bdrv_next_all_states(bs))) {
        ret = bdrv_flush(bs);
        if (ret == 0) {
            ret = inactivate_recurse(bs);
        }
        if (ret < 0) {
            return ret;
        }
    }
    return 0;
}
