/*
 * Reopen: change the options of open nodes (read-only, cache.*, driver
 * options a driver accepts, the "file" and "backing" children by node
 * name) as one transaction.  Every queued node is prepared (its new flags
 * applied tentatively, so the permission refresh sees them), then the
 * permissions of all of them are refreshed at once (file locks included),
 * then every node commits, or every node is restored exactly.
 */
#include "core.h"
#include "util/cutils.h"
#include "util/qjson.h"

typedef struct ReopenEntry {
    BDRVReopenState state;
    bool force_share;
    QDict *new_options;    /* what bs->options becomes on commit */
    QTAILQ_ENTRY(ReopenEntry) entry;
} ReopenEntry;

struct BlockReopenQueue {
    QTAILQ_HEAD(, ReopenEntry) head;
};

/* The parent a child is queued for, with the parent's new flags */
typedef struct ReopenParent {
    BlockDriverState *bs;
    BdrvChildRole role;
    int flags;
    bool force_share;
} ReopenParent;

static ReopenEntry *reopen_find(BlockReopenQueue *q, BlockDriverState *bs)
{
    ReopenEntry *e;

    QTAILQ_FOREACH(e, &q->head, entry) {
        if (e->state.bs == bs) {
            return e;
        }
    }
    return NULL;
}

/* Options of @dst not set yet are taken from @src (a clone is joined) */
static void reopen_join_defaults(QDict *dst, QDict *src)
{
    QDict *clone;

    if (!src) {
        return;
    }
    clone = qdict_clone_shallow(src);
    qdict_join(dst, clone, false);
    qobject_unref(clone);
}

static BlockReopenQueue *reopen_queue_add(BlockReopenQueue *q,
                                          BlockDriverState *bs,
                                          QDict *options,
                                          const ReopenParent *parent,
                                          bool keep_old);

/* Queue the children of @bs that inherit from it, with their options */
static void reopen_queue_children(BlockReopenQueue *q, ReopenEntry *e,
                                  QDict *options, bool keep_old)
{
    BlockDriverState *bs = e->state.bs;
    BdrvChild *c;

    QLIST_FOREACH(c, &bs->children, next) {
        ReopenParent parent = { bs, c->role, e->state.flags, e->force_share };
        g_autofree char *prefix = g_strdup_printf("%s.", c->name);
        QDict *child_opts = NULL;
        bool child_keep = keep_old;

        if (c->bs->inherits_from != bs) {
            continue;
        }
        if (qdict_haskey(options, c->name)) {
            /* Replaced (or dropped) by this reopen: not reopened with it */
            const char *ref = qdict_get_try_str(options, c->name);
            if (!ref || strcmp(ref, bdrv_get_node_name(c->bs))) {
                continue;
            }
            child_keep = true;
        }
        qdict_extract_subqdict(options, &child_opts, prefix);
        reopen_queue_add(q, c->bs, child_opts, &parent, child_keep);
    }
}

static BlockReopenQueue *reopen_queue_add(BlockReopenQueue *q,
                                          BlockDriverState *bs,
                                          QDict *options,
                                          const ReopenParent *parent,
                                          bool keep_old)
{
    ReopenEntry *e;
    QDict *parse;
    int flags;

    if (!q) {
        q = g_new0(BlockReopenQueue, 1);
        QTAILQ_INIT(&q->head);
    }
    options = options ?: qdict_new();
    qdict_flatten(options);
    e = reopen_find(q, bs);
    if (e) {
        /* Queued again: the new options win over the earlier ones */
        qdict_join(options, e->state.explicit_options, false);
        qobject_unref(e->state.explicit_options);
        qobject_unref(e->state.options);
    } else {
        e = g_new0(ReopenEntry, 1);
        bdrv_ref(bs);
        e->state.bs = bs;
        QTAILQ_INSERT_TAIL(&q->head, e, entry);
    }
    if (keep_old) {
        reopen_join_defaults(options, bs->explicit_options);
    }
    e->state.explicit_options = qdict_clone_shallow(options);
    if (parent) {
        flags = open_inherit_flags(parent->flags, parent->force_share,
                                   !parent->bs->drv ||
                                       parent->bs->drv->is_format,
                                   parent->role, options);
    } else {
        /* A generic option not given goes back to its default (QEMU's:
         * read-write, cached, flushing) */
        flags = (bs->open_flags & ~(BDRV_O_NOCACHE | BDRV_O_NO_FLUSH |
                                    BDRV_O_AUTO_RDONLY)) | BDRV_O_RDWR;
        if (keep_old) {
            flags = bs->open_flags;
        }
    }
    if (keep_old) {
        reopen_join_defaults(options, bs->options);
    }
    /* Errors are reported by the prepare; here only the flags matter */
    parse = qdict_clone_shallow(options);
    e->force_share = false;
    if (open_generic_options_parse(parse, &flags, &e->force_share, NULL) < 0) {
        e->force_share = bs->force_share;
    }
    qobject_unref(parse);
    e->state.flags = flags;
    e->state.read_only = !(flags & BDRV_O_RDWR);
    e->state.options = options;
    reopen_queue_children(q, e, options, keep_old);
    return q;
}

BlockReopenQueue *bdrv_reopen_queue(BlockReopenQueue *bs_queue,
                                    BlockDriverState *bs, QDict *options,
                                    bool keep_old_opts)
{
    GLOBAL_STATE_CODE();
    return reopen_queue_add(bs_queue, bs, options, NULL, keep_old_opts);
}

void bdrv_reopen_queue_free(BlockReopenQueue *bs_queue)
{
    ReopenEntry *e, *next;

    GLOBAL_STATE_CODE();
    if (!bs_queue) {
        return;
    }
    QTAILQ_FOREACH_SAFE(e, &bs_queue->head, entry, next) {
        QTAILQ_REMOVE(&bs_queue->head, e, entry);
        qobject_unref(e->state.options);
        qobject_unref(e->state.explicit_options);
        qobject_unref(e->new_options);
        bdrv_unref(e->state.bs);
        g_free(e);
    }
    g_free(bs_queue);
}

/* ---- transaction steps ------------------------------------------------ */

/* The node's flags and options, applied in prepare, restored on abort */
typedef struct ReopenNodeState {
    ReopenEntry *e;
    int old_flags;
    bool old_read_only;
    bool old_force_share;
} ReopenNodeState;

static void reopen_node_abort(void *opaque)
{
    ReopenNodeState *s = opaque;
    BlockDriverState *bs = s->e->state.bs;

    bs->open_flags = s->old_flags;
    bs->read_only = s->old_read_only;
    bs->force_share = s->old_force_share;
}

static void reopen_node_commit(void *opaque)
{
    ReopenNodeState *s = opaque;
    BlockDriverState *bs = s->e->state.bs;

    qobject_unref(bs->options);
    bs->options = s->e->new_options;
    s->e->new_options = NULL;
    qobject_unref(bs->explicit_options);
    bs->explicit_options = qdict_clone_shallow(s->e->state.explicit_options);
    bdrv_refresh_filename(bs);
}

static const TransactionActionDrv reopen_node_drv = {
    .abort = reopen_node_abort,
    .commit = reopen_node_commit,
    .clean = g_free,
};

static void reopen_driver_abort(void *opaque)
{
    BDRVReopenState *state = opaque;

    if (state->bs->drv->bdrv_reopen_abort) {
        state->bs->drv->bdrv_reopen_abort(state);
    }
}

static void reopen_driver_commit(void *opaque)
{
    BDRVReopenState *state = opaque;

    if (state->bs->drv->bdrv_reopen_commit) {
        state->bs->drv->bdrv_reopen_commit(state);
    }
}

/* After the driver's commit (added before it): the length may change */
static void reopen_length_commit(void *opaque)
{
    BlockDriverState *bs = opaque;
    int64_t old = bs->total_sectors;

    if (bdrv_refresh_total_sectors(bs, old) == 0 && bs->total_sectors != old) {
        bdrv_parent_cb_resize(bs);
    }
}

static const TransactionActionDrv reopen_length_drv = {
    .commit = reopen_length_commit,
};

static const TransactionActionDrv reopen_driver_drv = {
    .abort = reopen_driver_abort,
    .commit = reopen_driver_commit,
};

/* ---- prepare ------------------------------------------------------------ */

static int reopen_cannot_change(const char *key, Error **errp)
{
    error_setg(errp, "Cannot change the option '%s'", key);
    return -EINVAL;
}

/* Are the old and new values of an option the same (as strings)? */
static bool reopen_same_value(QObject *a, QObject *b)
{
    g_autofree char *sa = NULL, *sb = NULL;

    if (!a || !b) {
        return false;
    }
    if (qobject_type(a) == QTYPE_QSTRING && qobject_type(b) == QTYPE_QSTRING) {
        return !strcmp(qstring_get_str(qobject_to(QString, a)),
                       qstring_get_str(qobject_to(QString, b)));
    }
    sa = qobject_to_json_str(a, false);
    sb = qobject_to_json_str(b, false);
    return !strcmp(sa, sb);
}

/* "node-name" and "driver" may be repeated, never changed */
static int reopen_check_identity(BlockDriverState *bs, QDict *opts,
                                 Error **errp)
{
    const char *name = qdict_get_try_str(opts, "node-name");
    const char *drv = qdict_get_try_str(opts, "driver");

    if (qdict_haskey(opts, "node-name") &&
        (!name || strcmp(name, bdrv_get_node_name(bs)))) {
        return reopen_cannot_change("node-name", errp);
    }
    if (qdict_haskey(opts, "driver") &&
        (!drv || strcmp(drv, bs->drv->format_name))) {
        return reopen_cannot_change("driver", errp);
    }
    qdict_del(opts, "node-name");
    qdict_del(opts, "driver");
    return 0;
}

static void reopen_unref_abort(void *opaque)
{
    bdrv_unref(opaque);
}

static const TransactionActionDrv reopen_unref_on_abort_drv = {
    .abort = reopen_unref_abort,
};

/* backing=NODE on a node without one: a new COW edge */
static int reopen_add_backing(BlockDriverState *bs, BlockDriverState *new_bs,
                              Transaction *tran, Error **errp)
{
    if (!bs->drv->supports_backing) {
        error_setg(errp, "Driver '%s' of node '%s' does not support backing "
                   "files", bs->drv->format_name, bdrv_get_node_name(bs));
        return -EINVAL;
    }
    bdrv_ref(new_bs); /* the edge's on commit, dropped again on abort */
    tran_add(tran, &reopen_unref_on_abort_drv, new_bs);
    if (!child_attach_noperm(bs, new_bs, "backing", &child_of_bds,
                             BDRV_CHILD_COW, tran, errp)) {
        return -EINVAL;
    }
    return 0;
}

/*
 * "file" or "backing" given by node name (or backing null): the edge is
 * moved (or removed) as a step of @tran.  Frozen links and loops refuse.
 */
static int reopen_child_option(BlockDriverState *bs, QDict *opts,
                               const char *key, GSList **old_nodes,
                               Transaction *tran, Error **errp)
{
    BdrvChild *c = strcmp(key, "file") ? bs->backing : bs->file;
    QObject *val = qdict_get(opts, key);
    BlockDriverState *new_bs = NULL;
    const char *name;

    if (!val) {
        return 0;
    }
    name = qdict_get_try_str(opts, key);
    if (!name && qobject_type(val) != QTYPE_QNULL) {
        return reopen_cannot_change(key, errp);
    }
    if (name) {
        new_bs = bdrv_lookup_bs(NULL, name, errp);
        if (!new_bs) {
            return -EINVAL;
        }
    }
    qdict_del(opts, key);
    if ((c ? c->bs : NULL) == new_bs) {
        return 0;
    }
    if (!c && new_bs && !strcmp(key, "backing")) {
        return reopen_add_backing(bs, new_bs, tran, errp);
    }
    if (!c || (!new_bs && !strcmp(key, "file"))) {
        /* Adding storage, or dropping it: not by a reopen */
        return reopen_cannot_change(key, errp);
    }
    if (c->frozen) {
        error_setg(errp, "Cannot change frozen '%s' link from '%s' to '%s'",
                   c->name, bdrv_get_node_name(bs),
                   bdrv_get_node_name(c->bs));
        return -EPERM;
    }
    if (new_bs && child_subtree_contains(new_bs, bs)) {
        error_setg(errp, "Making '%s' a %s child of '%s' would create a cycle",
                   bdrv_get_node_name(new_bs), key, bdrv_get_node_name(bs));
        return -EINVAL;
    }
    /* The old child's permissions shrink: refresh it with the rest */
    *old_nodes = g_slist_append(*old_nodes, c->bs);
    if (new_bs) {
        child_replace_bs_tran(c, new_bs, tran);
        return aio_ctx_align_edge(c, tran, errp);
    }
    child_remove_tran(c, tran);
    return 0;
}

/* Options left after the driver's prepare must keep their old values */
static int reopen_check_leftovers(BlockDriverState *bs, QDict *opts,
                                  Error **errp)
{
    const QDictEntry *e;

    QDICT_FOREACH_ENTRY(opts, e) {
        const char *key = qdict_entry_key(e);
        QObject *old = bs->options ? qdict_get(bs->options, key) : NULL;

        if (!reopen_same_value(old, qdict_entry_value(e))) {
            return reopen_cannot_change(key, errp);
        }
    }
    return 0;
}

static int reopen_apply_flags(ReopenEntry *e, Transaction *tran,
                              Error **errp)
{
    BlockDriverState *bs = e->state.bs;
    ReopenNodeState *s;
    int ret;

    ret = bdrv_can_set_read_only(bs, e->state.read_only, true, errp);
    if (ret < 0) {
        return ret;
    }
    s = g_new0(ReopenNodeState, 1);
    *s = (ReopenNodeState){ e, bs->open_flags, bs->read_only,
                            bs->force_share };
    bs->open_flags = e->state.flags;
    bs->read_only = e->state.read_only;
    bs->force_share = e->force_share;
    tran_add(tran, &reopen_node_drv, s);
    return 0;
}

static int reopen_prepare(ReopenEntry *e, BlockReopenQueue *q,
                          GSList **old_nodes, Transaction *tran, Error **errp)
{
    BlockDriverState *bs = e->state.bs;
    QDict *opts = qdict_clone_shallow(e->state.options);
    int flags = e->state.flags;
    bool force_share = false;
    int ret;

    if (!bs->drv) {
        error_setg(errp, "Node '%s' is ejected", bdrv_get_node_name(bs));
        ret = -ENOMEDIUM;
        goto out;
    }
    ret = reopen_check_identity(bs, opts, errp);
    if (ret == 0) {
        ret = open_generic_options_parse(opts, &flags, &force_share, errp);
    }
    if (ret == 0) {
        ret = reopen_child_option(bs, opts, "file", old_nodes, tran, errp);
    }
    if (ret == 0) {
        ret = reopen_child_option(bs, opts, "backing", old_nodes, tran,
                                  errp);
    }
    if (ret < 0) {
        goto out;
    }
    e->new_options = qdict_clone_shallow(opts);
    qobject_unref(e->state.options);
    e->state.options = opts;
    opts = NULL;
    if (bs->drv->bdrv_reopen_prepare) {
        tran_add(tran, &reopen_length_drv, bs);
        ret = bs->drv->bdrv_reopen_prepare(&e->state, q, errp);
        if (ret < 0) {
            goto out;
        }
        tran_add(tran, &reopen_driver_drv, &e->state);
    }
    ret = reopen_check_leftovers(bs, e->state.options, errp);
    if (ret == 0) {
        ret = reopen_apply_flags(e, tran, errp);
    }
out:
    qobject_unref(opts);
    /* (no prefix naming the node: qemu's messages are the driver's own) */
    return ret;
}

/* ---- the whole reopen --------------------------------------------------- */

static int reopen_run(BlockReopenQueue *q, Transaction *tran, Error **errp)
{
    GSList *nodes = NULL, *old_nodes = NULL;
    ReopenEntry *e;
    int ret = 0;

    QTAILQ_FOREACH(e, &q->head, entry) {
        ret = reopen_prepare(e, q, &old_nodes, tran, errp);
        if (ret < 0) {
            break;
        }
        nodes = g_slist_append(nodes, e->state.bs);
    }
    for (GSList *l = old_nodes; l; l = l->next) {
        nodes = g_slist_append(nodes, l->data);
    }
    g_slist_free(old_nodes);
    if (ret == 0) {
        ret = limits_refresh_list(nodes, tran, errp);
    }
    if (ret == 0) {
        /* One refresh of every subtree: the new flags and the moved edges */
        ret = perms_refresh_list_reopen(nodes, q, tran, errp);
    }
    g_slist_free(nodes);
    return ret;
}

int bdrv_reopen_multiple(BlockReopenQueue *bs_queue, Error **errp)
{
    Transaction *tran;
    ReopenEntry *e;
    int ret;

    GLOBAL_STATE_CODE();
    if (!bs_queue) {
        return 0;
    }
    QTAILQ_FOREACH(e, &bs_queue->head, entry) {
        bdrv_drained_begin(e->state.bs);
    }
    tran = tran_new();
    ret = reopen_run(bs_queue, tran, errp);
    tran_finalize(tran, ret);
    QTAILQ_FOREACH(e, &bs_queue->head, entry) {
        bdrv_drained_end(e->state.bs);
    }
    bdrv_reopen_queue_free(bs_queue);
    return ret;
}

int bdrv_reopen(BlockDriverState *bs, QDict *opts, bool keep_old_opts,
                Error **errp)
{
    GLOBAL_STATE_CODE();
    return bdrv_reopen_multiple(bdrv_reopen_queue(NULL, bs, opts,
                                                  keep_old_opts),
                                errp);
}

int bdrv_reopen_set_read_only(BlockDriverState *bs, bool read_only,
                              Error **errp)
{
    QDict *opts = qdict_new();

    GLOBAL_STATE_CODE();
    qdict_put_bool(opts, "read-only", read_only);
    return bdrv_reopen(bs, opts, true, errp);
}
