/*
 * Backing chains: queries (overlay, base, backing image by name, full
 * backing file names), frozen links, dropping intermediate nodes, and the
 * guard that keeps a chain opened from image headers finite (no loop, a
 * bounded depth).
 */
#include <limits.h>
#include <stdlib.h>

#include "core.h"
#include "util/cutils.h"

/* ---- queries ------------------------------------------------------------ */

/* The next non-filter node below @bs's COW child (QEMU's chain step) */
static BlockDriverState *backing_chain_next(BlockDriverState *bs)
{
    return bdrv_skip_filters(bdrv_cow_bs(bdrv_skip_filters(bs)));
}

char *bdrv_dirname(BlockDriverState *bs, Error **errp)
{
    BdrvChild *primary;

    GLOBAL_STATE_CODE();
    if (!bs->drv) {
        error_setg(errp, "Node '%s' is ejected", bdrv_get_node_name(bs));
        return NULL;
    }
    primary = bdrv_primary_child(bs);
    if (primary) {
        return bdrv_dirname(primary->bs, errp);
    }
    bdrv_refresh_filename(bs);
    if (bs->exact_filename[0]) {
        return path_combine(bs->exact_filename, "");
    }
    error_setg(errp, "Cannot generate a base directory for %s nodes",
               bs->drv->format_name);
    return NULL;
}

/* @name made absolute against @bs's directory (unchanged when absolute) */
static char *backing_chain_absolute(BlockDriverState *bs, const char *name,
                                    Error **errp)
{
    g_autofree char *dir = NULL;

    if (path_is_absolute(name) || driver_table_has_protocol_prefix(name)) {
        return g_strdup(name);
    }
    dir = bdrv_dirname(bs, errp);
    return dir ? g_strdup_printf("%s%s", dir, name) : NULL;
}

char *bdrv_get_full_backing_filename(BlockDriverState *bs, Error **errp)
{
    GLOBAL_STATE_CODE();
    if (!bs->backing_file[0]) {
        return NULL;
    }
    return backing_chain_absolute(bs, bs->backing_file, errp);
}

/* realpath() of an existing file, else the name itself */
static char *backing_chain_canonical(const char *name)
{
    char *real = realpath(name, NULL);
    char *ret;

    if (!real) {
        return g_strdup(name);
    }
    ret = g_strdup(real);
    free(real);
    return ret;
}

/* Does @wanted name the backing file that @overlay records, or @below? */
static bool backing_chain_names(BlockDriverState *overlay,
                                BlockDriverState *below, const char *wanted)
{
    g_autofree char *want = NULL, *recorded = NULL, *actual = NULL;
    g_autofree char *abs_want = NULL;

    if (!strcmp(wanted, overlay->backing_file)) {
        return true;
    }
    if (driver_table_has_protocol_prefix(wanted)) {
        bdrv_refresh_filename(below);
        return !strcmp(wanted, below->filename);
    }
    abs_want = backing_chain_absolute(overlay, wanted, NULL);
    if (!abs_want) {
        return false;
    }
    want = backing_chain_canonical(abs_want);
    if (overlay->backing_file[0]) {
        g_autofree char *full = bdrv_get_full_backing_filename(overlay, NULL);
        recorded = full ? backing_chain_canonical(full) : NULL;
        if (recorded && !strcmp(want, recorded)) {
            return true;
        }
    }
    bdrv_refresh_filename(below);
    actual = backing_chain_canonical(below->filename);
    return !strcmp(want, actual);
}

BlockDriverState *bdrv_find_backing_image(BlockDriverState *bs,
                                          const char *backing_file)
{
    BlockDriverState *curr, *below;
    int depth = 0;

    GLOBAL_STATE_CODE();
    if (!bs || !bs->drv || !backing_file) {
        return NULL;
    }
    for (curr = bs; curr && depth <= BDRV_BACKING_CHAIN_MAX_DEPTH;
         curr = below, depth++) {
        below = backing_chain_next(curr);
        if (!below) {
            return NULL;
        }
        if (backing_chain_names(bdrv_skip_filters(curr), below,
                                backing_file)) {
            return below;
        }
    }
    return NULL;
}

BlockDriverState *bdrv_find_overlay(BlockDriverState *active,
                                    BlockDriverState *bs)
{
    GLOBAL_STATE_CODE();
    bs = bdrv_skip_filters(bs);
    active = bdrv_skip_filters(active);
    while (active) {
        BlockDriverState *next = backing_chain_next(active);
        if (next == bs) {
            return active;
        }
        active = next;
    }
    return NULL;
}

BlockDriverState *bdrv_find_base(BlockDriverState *bs)
{
    GLOBAL_STATE_CODE();
    return bdrv_find_overlay(bs, NULL);
}

/* ---- frozen links ------------------------------------------------------- */

/* @base is @bs or below it along filtered/COW children (NULL: the end) */
static int backing_chain_check_base(BlockDriverState *bs,
                                    BlockDriverState *base, Error **errp)
{
    if (base && !bdrv_chain_contains(bs, base)) {
        error_setg(errp, "Node '%s' is not in the backing chain of '%s'",
                   bdrv_get_node_name(base), bdrv_get_node_name(bs));
        return -EINVAL;
    }
    return 0;
}

bool bdrv_is_backing_chain_frozen(BlockDriverState *bs, BlockDriverState *base,
                                  Error **errp)
{
    BlockDriverState *i;
    BdrvChild *c;

    GLOBAL_STATE_CODE();
    for (i = bs; i && i != base; i = c ? c->bs : NULL) {
        c = bdrv_filter_or_cow_child(i);
        if (c && c->frozen) {
            error_setg(errp, "Cannot change '%s' link from '%s' to '%s'",
                       c->name, bdrv_get_node_name(i),
                       bdrv_get_node_name(c->bs));
            return true;
        }
    }
    return false;
}

int bdrv_freeze_backing_chain(BlockDriverState *bs, BlockDriverState *base,
                              Error **errp)
{
    BlockDriverState *i;
    BdrvChild *c;
    int ret;

    GLOBAL_STATE_CODE();
    ret = backing_chain_check_base(bs, base, errp);
    if (ret < 0) {
        return ret;
    }
    if (bdrv_is_backing_chain_frozen(bs, base, errp)) {
        return -EPERM;
    }
    for (i = bs; i && i != base; i = c ? c->bs : NULL) {
        c = bdrv_filter_or_cow_child(i);
        if (c) {
            c->frozen = true;
        }
    }
    return 0;
}

void bdrv_unfreeze_backing_chain(BlockDriverState *bs, BlockDriverState *base)
{
    BlockDriverState *i;
    BdrvChild *c;

    GLOBAL_STATE_CODE();
    for (i = bs; i && i != base; i = c ? c->bs : NULL) {
        c = bdrv_filter_or_cow_child(i);
        if (c) {
            assert(c->frozen);
            c->frozen = false;
        }
    }
}

/* ---- dropping intermediate nodes ---------------------------------------- */

/*
 * child_of_bds's update_filename: a COW parent records the new backing
 * file name (made writable for the change if it is read-only).
 */
int backing_chain_update_filename(BdrvChild *c, BlockDriverState *base,
                                  const char *filename,
                                  bool backing_mask_protocol, Error **errp)
{
    BlockDriverState *parent = c->opaque;
    bool read_only = bdrv_is_read_only(parent);
    const char *fmt = base->drv ? base->drv->format_name : "";
    int ret;

    if (!(c->role & BDRV_CHILD_COW)) {
        return 0; /* a filter records no backing file */
    }
    if (backing_mask_protocol && base->drv && base->drv->protocol_name) {
        fmt = "raw";
    }
    if (read_only) {
        ret = bdrv_reopen_set_read_only(parent, false, errp);
        if (ret < 0) {
            return ret;
        }
    }
    ret = bdrv_change_backing_file(parent, filename, fmt, false);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Could not update backing file link of "
                         "'%s'", bdrv_get_node_name(parent));
    }
    if (read_only) {
        bdrv_reopen_set_read_only(parent, true, NULL);
    }
    return ret;
}

static bool backing_chain_is_parent_edge(BlockDriverState *bs, BdrvChild *c)
{
    BdrvChild *p;

    QLIST_FOREACH(p, &bs->parents, next_parent) {
        if (p == c) {
            return true;
        }
    }
    return false;
}

/*
 * Tell the parents that moved to @base (a snapshot list of edges) their
 * new backing file name.  A callback may change the graph: an edge that
 * is no longer a parent of @base is skipped, never dereferenced.
 */
static int backing_chain_update_parents(GSList *edges, BlockDriverState *base,
                                        const char *filename, Error **errp)
{
    for (GSList *l = edges; l; l = l->next) {
        BdrvChild *c = l->data;
        int ret;

        if (!backing_chain_is_parent_edge(base, c) ||
            !c->klass->update_filename) {
            continue;
        }
        ret = c->klass->update_filename(c, base, filename, false, errp);
        if (ret < 0) {
            return ret;
        }
    }
    return 0;
}

static int backing_chain_drop(BlockDriverState *top, BlockDriverState *base,
                              const char *backing_file_str, Error **errp)
{
    g_autofree char *base_name = NULL;
    GSList *edges = NULL;
    BdrvChild *c;
    int ret;

    if (!top->drv || !base->drv) {
        error_setg(errp, "Node '%s' is ejected",
                   bdrv_get_node_name(top->drv ? base : top));
        return -EINVAL;
    }
    if (top == base || !bdrv_chain_contains(top, base)) {
        error_setg(errp, "Node '%s' is not below '%s' in its backing chain",
                   bdrv_get_node_name(base), bdrv_get_node_name(top));
        return -EINVAL;
    }
    if (bdrv_is_backing_chain_frozen(top, base, errp)) {
        return -EPERM;
    }
    if (!backing_file_str) {
        bdrv_refresh_filename(base);
        base_name = g_strdup(base->filename);
        backing_file_str = base_name;
    }
    QLIST_FOREACH(c, &top->parents, next_parent) {
        edges = g_slist_prepend(edges, c);
    }
    edges = g_slist_reverse(edges);
    ret = bdrv_replace_node(top, base, errp);
    if (ret == 0) {
        ret = backing_chain_update_parents(edges, base, backing_file_str,
                                           errp);
    }
    g_slist_free(edges);
    return ret;
}

int bdrv_drop_intermediate(BlockDriverState *top, BlockDriverState *base,
                           const char *backing_file_str)
{
    Error *local_err = NULL;
    int ret;

    GLOBAL_STATE_CODE();
    bdrv_ref(top);
    bdrv_ref(base);
    /* Quiesces base and everything above it: the whole chain from top */
    bdrv_drained_begin(base);
    ret = backing_chain_drop(top, base, backing_file_str, &local_err);
    bdrv_drained_end(base);
    bdrv_unref(base);
    bdrv_unref(top);
    if (ret < 0) {
        error_report_err(local_err);
    }
    return ret;
}

/* ---- the guard of chains opened from image headers ---------------------- */

/* The images whose backing files are being opened, outermost first */
static char *backing_chain_opening[BDRV_BACKING_CHAIN_MAX_DEPTH + 1];
static int backing_chain_opening_depth;

int backing_chain_open_enter(BlockDriverState *bs, const char *backing,
                             Error **errp)
{
    g_autofree char *want = backing ? backing_chain_canonical(backing) : NULL;
    int depth = backing_chain_opening_depth;

    if (depth >= BDRV_BACKING_CHAIN_MAX_DEPTH) {
        error_setg(errp, "Backing chain of '%s' is too deep (more than %d "
                   "images)", bs->filename, BDRV_BACKING_CHAIN_MAX_DEPTH);
        return -EINVAL;
    }
    backing_chain_opening[depth] = bs->filename[0]
                                       ? backing_chain_canonical(bs->filename)
                                       : g_strdup("");
    for (int i = 0; want && i <= depth; i++) {
        if (backing_chain_opening[i][0] &&
            !strcmp(backing_chain_opening[i], want)) {
            error_setg(errp, "Backing file '%s' of '%s' loops: it is already "
                       "part of the chain",
                       bs->backing_file[0] ? bs->backing_file : backing,
                       bs->filename);
            g_free(backing_chain_opening[depth]);
            backing_chain_opening[depth] = NULL;
            return -ELOOP;
        }
    }
    backing_chain_opening_depth++;
    return 0;
}

void backing_chain_open_leave(void)
{
    int depth = --backing_chain_opening_depth;

    assert(depth >= 0);
    g_free(backing_chain_opening[depth]);
    backing_chain_opening[depth] = NULL;
}

bool backing_chain_open_nested(void)
{
    return backing_chain_opening_depth > 0;
}
