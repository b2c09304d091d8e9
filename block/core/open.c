/*
 * Opening nodes: bdrv_open and the child/backing/blockdev-ref variants.
 *
 * Options are flat QDicts ("file.filename", ...) and are consumed: each
 * layer takes its keys out, a child's "prefix." keys are extracted for it,
 * and whatever is left after the driver's open is an unknown option.
 * A format driver finds its already-opened storage node by reference: the
 * core opens (and, without a driver name, probes) the protocol node first
 * and leaves its node name in options["file"].
 */
#include "core.h"
#include "util/cutils.h"

/* The node a child is opened for (NULL for a user's open), and its role */
typedef struct OpenParent {
    BlockDriverState *bs;
    BdrvChildRole role;
} OpenParent;

static BlockDriverState *open_inherit(const char *filename,
                                      const char *reference, QDict *options,
                                      int flags, const OpenParent *parent,
                                      Error **errp);

/* Room for the option keys built from a child's name ("backing.driver") */
#define OPEN_KEY_BUF 64

/*
 * @a followed by @b, in @buf when it fits (child names are short), else in
 * *@heap for the caller to free (copied, not formatted: every open builds
 * a few)
 */
static const char *open_key(char buf[OPEN_KEY_BUF], char **heap,
                            const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    char *key = la + lb < OPEN_KEY_BUF ? buf : (*heap = g_malloc(la + lb + 1));

    memcpy(key, a, la);
    memcpy(key + la, b, lb + 1);
    return key;
}

static const BdrvChildClass open_probe_class = {
    .parent_is_bds = false,
};

static BlockDriver *open_probe(BlockDriverState *file_bs,
                               const char *filename, Error **errp)
{
    BdrvChild probe = {
        .bs = file_bs, .name = (char *)"probe", .klass = &open_probe_class,
        .perm = BLK_PERM_CONSISTENT_READ, .shared_perm = BLK_PERM_ALL,
    };
    /* Zeroes past the end of a short image: drivers always see it whole */
    uint8_t *buf = g_malloc0(BLOCK_PROBE_BUF_SIZE);
    int64_t len = bdrv_getlength(file_bs);
    BlockDriver *drv = NULL;
    int ret = 0;

    if (len < 0) {
        error_setg_errno(errp, -len, "Could not determine image size");
        goto out;
    }
    len = MIN(len, BLOCK_PROBE_BUF_SIZE);
    if (len > 0) {
        ret = bdrv_pread(&probe, 0, len, buf, 0);
    }
    if (ret < 0) {
        error_setg_errno(errp, -ret,
                         "Could not read image for determining its format");
        goto out;
    }
    drv = bdrv_probe_format(buf, BLOCK_PROBE_BUF_SIZE, filename);
    if (!drv) {
        error_setg(errp, "Could not determine image format: No compatible "
                   "driver found");
    }
out:
    g_free(buf);
    return drv;
}

static int open_driver(BlockDriverState *bs, BlockDriver *drv,
                       const char *node_name, QDict *options, int open_flags,
                       Error **errp)
{
    Error *local_err = NULL;
    int ret;

    ret = node_set_name(bs, node_name, errp);
    if (ret < 0) {
        return ret;
    }
    if ((open_flags & BDRV_O_COPY_ON_READ) && !(open_flags & BDRV_O_RDWR)) {
        error_setg(errp, "Can't use copy-on-read on read-only node '%s'",
                   bdrv_get_node_name(bs));
        return -EINVAL;
    }
    bs->drv = drv;
    bs->opaque = g_malloc0(drv->instance_size);
    bs->open_flags = open_flags;
    bs->read_only = !(open_flags & BDRV_O_RDWR);
    if (!bs->options) {
        bs->options = qdict_clone_shallow(options);
    }
    if (bs->quiesce_counter && drv->bdrv_drain_begin) {
        bs->drain_hook_called = true; /* created during a drain */
        drv->bdrv_drain_begin(bs);
    }
    ret = drv->bdrv_open ? drv->bdrv_open(bs, options, open_flags, &local_err)
                         : 0;
    if (ret < 0) {
        bs->open_failed = true;
        if (local_err) {
            error_propagate(errp, local_err);
        } else {
            error_setg_errno(errp, -ret, "Could not open '%s'", bs->filename);
        }
        return ret;
    }
    bdrv_refresh_limits(bs, NULL, &local_err);
    if (local_err) {
        error_propagate(errp, local_err);
        return -EINVAL;
    }
    /* A driver without getlength sets total_sectors in its open */
    ret = bdrv_refresh_total_sectors(bs, bs->total_sectors);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Could not refresh total sector count");
        return ret;
    }
    return 0;
}

/* A protocol node gets its "filename" option from the filename argument */
static int open_fill_protocol_filename(BlockDriver *drv, const char *filename,
                                       QDict *options, Error **errp)
{
    Error *local_err = NULL;

    if (filename) {
        const char *rest = filename;
        if (qdict_haskey(options, "filename")) {
            error_setg(errp, "Cannot specify both a filename ('%s') and the "
                       "'filename' option", filename);
            return -EINVAL;
        }
        if (drv->bdrv_parse_filename) {
            drv->bdrv_parse_filename(filename, options, &local_err);
            if (local_err) {
                error_propagate(errp, local_err);
                return -EINVAL;
            }
        } else {
            size_t len = drv->protocol_name ? strlen(drv->protocol_name) : 0;

            if (len && !strncmp(filename, drv->protocol_name, len) &&
                filename[len] == ':') {
                rest = filename + len + 1;
            }
            qdict_put_str(options, "filename", rest);
        }
    }
    if (drv->bdrv_needs_filename && !qdict_haskey(options, "filename")) {
        error_setg(errp, "The '%s' block driver requires a file name",
                   drv->format_name);
        return -EINVAL;
    }
    return 0;
}

/*
 * Open the node that a child option names: a reference, "key.*" options, or
 * the filename.  NULL without error when there is nothing and @allow_none.
 */
static BlockDriverState *open_child_bs(const char *filename, QDict *options,
                                       const char *bdref_key,
                                       const OpenParent *parent,
                                       bool allow_none, Error **errp)
{
    char prefix_buf[OPEN_KEY_BUF];
    g_autofree char *prefix_heap = NULL;
    const char *prefix = open_key(prefix_buf, &prefix_heap, bdref_key, ".");
    const char *reference = NULL;
    QDict *image_options = NULL;
    BlockDriverState *bs;
    QObject *ref_obj;

    /* Most children are a reference or a filename: no dictionary then */
    if (qdict_has_prefixed(options, prefix)) {
        qdict_extract_subqdict(options, &image_options, prefix);
    }
    ref_obj = qdict_get(options, bdref_key);
    if (ref_obj && qobject_type(ref_obj) != QTYPE_QSTRING &&
        qobject_type(ref_obj) != QTYPE_QNULL) {
        error_setg(errp, "Invalid reference type for '%s': expected a node "
                   "name", bdref_key);
        qobject_unref(image_options);
        return NULL;
    }
    /* Held past its deletion from the options, instead of a copy */
    qobject_ref(ref_obj);
    qdict_del(options, bdref_key);
    if (qobject_to(QString, ref_obj)) {
        reference = qstring_get_str(qobject_to(QString, ref_obj));
    }
    if (!filename && !reference &&
        (!image_options || !qdict_size(image_options))) {
        qobject_unref(image_options);
        qobject_unref(ref_obj);
        if (!allow_none) {
            error_setg(errp, "A block device must be specified for \"%s\"",
                       bdref_key);
        }
        return NULL;
    }
    bs = open_inherit(filename, reference, image_options, 0, parent, errp);
    if (bs && !reference) {
        /* Opened for this parent: a reopen of the parent reopens it too */
        bs->inherits_from = parent->bs;
    }
    qobject_unref(ref_obj);
    return bs;
}

static BlockDriverState *open_reference(const char *filename,
                                        const char *reference, QDict *options,
                                        Error **errp)
{
    BlockDriverState *bs;

    if (filename || (options && qdict_size(options))) {
        error_setg(errp, "Cannot reference an existing block device ('%s') "
                   "with additional options or a new filename", reference);
        return NULL;
    }
    bs = bdrv_lookup_bs(reference, reference, errp);
    if (bs) {
        bdrv_ref(bs);
    }
    return bs;
}

static void open_reject_leftovers(BlockDriverState *bs, QDict *options,
                                  Error **errp)
{
    const QDictEntry *e = qdict_first(options);

    if (!e) {
        return;
    }
    if (bs->drv->protocol_name) {
        error_setg(errp, "Block protocol '%s' doesn't support the option '%s'",
                   bs->drv->format_name, qdict_entry_key(e));
    } else {
        error_setg(errp, "Block format '%s' does not support the option '%s'",
                   bs->drv->format_name, qdict_entry_key(e));
    }
}

/* Which driver: "driver", else the protocol of the filename, else probe */
static BlockDriver *open_pick_driver(QDict *options, const char *filename,
                                     int flags, Error **errp)
{
    const char *drvname = qdict_get_try_str(options, "driver");
    BlockDriver *drv = NULL;

    if (drvname) {
        drv = bdrv_find_format(drvname);
        if (!drv) {
            error_setg(errp, "Unknown driver '%s'", drvname);
        }
        qdict_del(options, "driver");
        return drv;
    }
    if (qdict_haskey(options, "driver")) {
        error_setg(errp, "Invalid parameter type for 'driver', expected: "
                   "string");
        return NULL;
    }
    if (flags & BDRV_O_PROTOCOL) {
        /* A "filename" option names a file: no protocol prefix there */
        if (!filename && qdict_get_try_str(options, "filename")) {
            return bdrv_find_protocol(qdict_get_try_str(options, "filename"),
                                      false, errp);
        }
        if (!filename) {
            error_setg(errp, "Must specify either driver or file");
            return NULL;
        }
        return bdrv_find_protocol(filename, true, errp);
    }
    return NULL; /* a format to probe */
}

static bool open_is_protocol(BlockDriver *drv)
{
    return drv && drv->protocol_name;
}

/*
 * The storage node of a format (or of a node to probe): opened here so the
 * format can be probed from it; the driver then finds it by reference.
 */
static int open_format_storage(BlockDriverState *bs, BlockDriver **drv,
                               BlockDriverState **storage,
                               const char *filename, QDict *options,
                               Error **errp)
{
    /* Before its driver is known, a node with storage is a format */
    const OpenParent parent = { bs, BDRV_CHILD_IMAGE };
    BlockDriverState *file_bs = NULL;
    Error *local_err = NULL;
    /* A reference given is put back as it was (no new string) */
    QString *ref = qobject_to(QString, qdict_get(options, "file"));
    int ret = 0;

    qobject_ref(ref);
    if (filename || qdict_haskey(options, "file") ||
        qdict_get_try_str(options, "file.driver") ||
        qdict_get_try_str(options, "file.filename")) {
        file_bs = open_child_bs(filename, options, "file", &parent, true,
                                &local_err);
        if (local_err) {
            error_propagate(errp, local_err);
            ret = -EINVAL;
            goto out;
        }
    }
    if (!*drv) {
        if (!file_bs) {
            error_setg(errp, "Must specify either driver or file");
            ret = -EINVAL;
            goto out;
        }
        /* Probed with the node's filename, which raw's guard uses too */
        if (!bs->filename[0]) {
            pstrcpy(bs->filename, sizeof(bs->filename), file_bs->filename);
        }
        *drv = open_probe(file_bs, bs->filename, errp);
        bs->probed = true;
        if (!*drv) {
            bdrv_unref(file_bs);
            ret = -EINVAL;
            goto out;
        }
    }
    if (file_bs) {
        /* The caller drops our reference once the format has its edge */
        if (ref && !strcmp(qstring_get_str(ref),
                           bdrv_get_node_name(file_bs))) {
            qdict_put(options, "file", qobject_ref(ref));
        } else {
            qdict_put_str(options, "file", bdrv_get_node_name(file_bs));
        }
        *storage = file_bs;
    }
out:
    qobject_unref(ref);
    return ret;
}

static int open_node(BlockDriverState *bs, const char *filename,
                     QDict *options, int flags, const OpenParent *parent,
                     Error **errp)
{
    g_autofree char *node_name = g_strdup(qdict_get_try_str(options,
                                                            "node-name"));
    BlockDriverState *storage = NULL;
    BlockDriver *drv;
    int ret;

    if (!node_name && qdict_haskey(options, "node-name")) {
        error_setg(errp, "Invalid parameter type for 'node-name', expected: "
                   "string");
        return -EINVAL;
    }
    qdict_del(options, "node-name");
    bs->explicit_options = qdict_clone_shallow(options);
    if (parent) {
        flags = open_inherit_options(parent->bs, parent->role, options);
    }
    ret = open_generic_options(bs, options, &flags, errp);
    if (ret < 0) {
        return ret;
    }
    drv = open_pick_driver(options, filename, flags, errp);
    if (drv) {
        /* A named driver decides whether the node is a protocol node */
        flags = drv->protocol_name ? flags | BDRV_O_PROTOCOL
                                   : flags & ~BDRV_O_PROTOCOL;
    }
    /* What the storage inherits */
    bs->open_flags = flags;
    if (!drv && qdict_haskey(bs->explicit_options, "driver")) {
        return -EINVAL;
    }
    if (!drv && (flags & BDRV_O_PROTOCOL)) {
        return -EINVAL;
    }
    if (filename) {
        pstrcpy(bs->filename, sizeof(bs->filename), filename);
    }
    if (open_is_protocol(drv)) {
        ret = open_fill_protocol_filename(drv, filename, options, errp);
        if (ret == 0 && !filename && qdict_get_try_str(options, "filename")) {
            pstrcpy(bs->filename, sizeof(bs->filename),
                    qdict_get_try_str(options, "filename"));
        }
    } else {
        ret = open_format_storage(bs, &drv, &storage, filename, options,
                                  errp);
    }
    if (ret == 0) {
        ret = open_driver(bs, drv, node_name, options, flags, errp);
    }
    if (storage) {
        bdrv_unref(storage);
    }
    if (ret == 0) {
        /* After the driver's open, which recorded the name in the image */
        ret = bdrv_open_backing_file(bs, options, "backing", errp);
    }
    if (ret == 0 && qdict_size(options)) {
        open_reject_leftovers(bs, options, errp);
        ret = -EINVAL;
    }
    return ret;
}

static BlockDriverState *open_inherit(const char *filename,
                                      const char *reference, QDict *options,
                                      int flags, const OpenParent *parent,
                                      Error **errp)
{
    BlockDriverState *bs = NULL;
    int snapshot_flags;

    if (reference) {
        bs = open_reference(filename, reference, options, errp);
        qobject_unref(options);
        return bs;
    }
    if (!options) {
        options = qdict_new();
    }
    if (open_parse_json_filename(&filename, options, errp) < 0) {
        qobject_unref(options);
        return NULL;
    }
    qdict_flatten(options);
    if (snapshot_temp_option(options, &flags, errp) < 0) {
        qobject_unref(options);
        return NULL;
    }
    snapshot_flags = flags;
    if (flags & BDRV_O_SNAPSHOT) {
        snapshot_temp_base_options(options, &flags);
    }
    bs = bdrv_new();
    if (open_node(bs, filename, options, flags, parent, errp) < 0) {
        bdrv_unref(bs);
        bs = NULL;
    } else {
        bdrv_refresh_filename(bs);
        if (snapshot_flags & BDRV_O_SNAPSHOT) {
            bs = snapshot_temp_append(bs, snapshot_flags, errp);
        }
    }
    qobject_unref(options);
    return bs;
}

BlockDriverState *bdrv_open(const char *filename, const char *reference,
                            QDict *options, int flags, Error **errp)
{
    GLOBAL_STATE_CODE();
    return open_inherit(filename, reference, options, flags, NULL, errp);
}

BlockDriverState *coroutine_fn bdrv_co_open(const char *filename,
                                            const char *reference,
                                            QDict *options, int flags,
                                            Error **errp)
{
    return bdrv_open(filename, reference, options, flags, errp);
}

BlockDriverState *bdrv_new_open_driver_opts(BlockDriver *drv,
                                            const char *node_name,
                                            QDict *options, int flags,
                                            Error **errp)
{
    BlockDriverState *bs = bdrv_new();
    int ret;

    GLOBAL_STATE_CODE();
    if (!options) {
        options = qdict_new();
    }
    ret = open_driver(bs, drv, node_name, options, flags, errp);
    if (ret == 0 && qdict_size(options)) {
        open_reject_leftovers(bs, options, errp);
        ret = -EINVAL;
    }
    qobject_unref(options);
    if (ret < 0) {
        bdrv_unref(bs);
        return NULL;
    }
    bdrv_refresh_filename(bs);
    return bs;
}

BlockDriverState *bdrv_new_open_driver(BlockDriver *drv, const char *node_name,
                                       int flags, Error **errp)
{
    GLOBAL_STATE_CODE();
    return bdrv_new_open_driver_opts(drv, node_name, NULL, flags, errp);
}

BdrvChild *bdrv_open_child(const char *filename, QDict *options,
                           const char *bdref_key, BlockDriverState *parent,
                           const BdrvChildClass *child_class,
                           BdrvChildRole child_role, bool allow_none,
                           Error **errp)
{
    const OpenParent op = { parent, child_role };
    BlockDriverState *bs;

    GLOBAL_STATE_CODE();
    bs = open_child_bs(filename, options, bdref_key, &op, allow_none, errp);
    if (!bs) {
        return NULL;
    }
    return bdrv_attach_child(parent, bs, bdref_key, child_class, child_role,
                             errp);
}

int bdrv_open_file_child(const char *filename, QDict *options,
                         const char *bdref_key, BlockDriverState *parent,
                         Error **errp)
{
    BdrvChildRole role = parent->drv->is_filter
                             ? BDRV_CHILD_FILTERED | BDRV_CHILD_PRIMARY
                             : BDRV_CHILD_IMAGE | BDRV_CHILD_PRIMARY;

    GLOBAL_STATE_CODE();
    return bdrv_open_child(filename, options, bdref_key, parent,
                           &child_of_bds, role, false, errp) ? 0 : -EINVAL;
}

/*
 * The backing file named in the image: relative to the image's directory
 * unless absolute or prefixed by a protocol ("nbd:...", but not "./a:b")
 */
static char *open_backing_filename(BlockDriverState *bs)
{
    if (path_is_absolute(bs->backing_file) ||
        driver_table_has_protocol_prefix(bs->backing_file)) {
        return g_strdup(bs->backing_file);
    }
    return path_combine(bs->filename, bs->backing_file);
}

/* "backing": null (or the deprecated "") says there is no backing file */
static bool open_is_null_reference(QObject *ref)
{
    QString *qs = qobject_to(QString, ref);

    return (ref && qobject_type(ref) == QTYPE_QNULL) ||
           (qs && !qstring_get_str(qs)[0]);
}

static bool open_has_prefixed_option(QDict *options, const char *prefix)
{
    const QDictEntry *e;

    QDICT_FOREACH_ENTRY(options, e) {
        if (strstart(qdict_entry_key(e), prefix, NULL)) {
            return true;
        }
    }
    return false;
}

/*
 * The core calls this after the driver's open.  A reference or "backing.*"
 * options say which node; without a reference or "backing.file.filename",
 * the name the image records is opened (its recorded format unless
 * "backing.driver" says otherwise).
 */
int bdrv_open_backing_file(BlockDriverState *bs, QDict *parent_options,
                           const char *bdref_key, Error **errp)
{
    char prefix_buf[OPEN_KEY_BUF], file_buf[OPEN_KEY_BUF];
    char driver_buf[OPEN_KEY_BUF];
    g_autofree char *prefix_heap = NULL, *file_heap = NULL;
    g_autofree char *driver_heap = NULL;
    const char *prefix = open_key(prefix_buf, &prefix_heap, bdref_key, ".");
    const char *file_key = open_key(file_buf, &file_heap, prefix,
                                    "file.filename");
    const char *driver_key = open_key(driver_buf, &driver_heap, prefix,
                                      "driver");
    g_autofree char *filename = NULL;
    QObject *ref = qdict_get(parent_options, bdref_key);
    Error *local_err = NULL;

    GLOBAL_STATE_CODE();
    if (bs->backing || (bs->open_flags & BDRV_O_NO_BACKING) ||
        open_is_null_reference(ref)) {
        qdict_del(parent_options, bdref_key);
        return 0;
    }
    if (!ref && !bs->backing_file[0] &&
        !open_has_prefixed_option(parent_options, prefix)) {
        return 0;
    }
    if (!bs->drv || !bs->drv->supports_backing) {
        error_setg(errp, "Driver doesn't support backing files");
        return -EINVAL;
    }
    if (!ref && !qdict_haskey(parent_options, file_key) &&
        bs->backing_file[0]) {
        /* A relative name is relative to the image: know where that is */
        bdrv_refresh_filename(bs);
        filename = open_backing_filename(bs);
    }
    if (!ref && bs->backing_format[0] &&
        !qdict_haskey(parent_options, driver_key)) {
        qdict_put_str(parent_options, driver_key, bs->backing_format);
    }
    if (!ref && backing_chain_open_enter(bs, filename, errp) < 0) {
        return -EINVAL;
    }
    bdrv_open_child(filename, parent_options, bdref_key, bs, &child_of_bds,
                    BDRV_CHILD_COW, true, &local_err);
    if (!ref) {
        backing_chain_open_leave();
    }
    if (local_err && backing_chain_open_nested()) {
        /* The outermost backing file open says it once */
        error_propagate(errp, local_err);
        return -EINVAL;
    }
    if (local_err) {
        error_propagate_prepend(errp, local_err,
                                "Could not open backing file: ");
        return -EINVAL;
    }
    return 0;
}

BlockDriverState *bdrv_open_blockdev_ref(BlockdevRef *ref, Error **errp)
{
    QDict *options;

    GLOBAL_STATE_CODE();
    if (ref->type == QTYPE_QSTRING) {
        return bdrv_open(NULL, ref->u.reference, NULL, 0, errp);
    }
    assert(ref->type == QTYPE_QDICT);
    options = qdict_clone_shallow(ref->u.definition);
    qdict_flatten(options);
    /* blockdev-add semantics: read-write unless said otherwise */
    qdict_set_default_str(options, "read-only", "off");
    return bdrv_open(NULL, NULL, options, 0, errp);
}
