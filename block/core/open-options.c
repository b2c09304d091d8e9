/*
 * Options every node understands, whatever its driver: node-name,
 * read-only, auto-read-only, force-share, cache.*, discard; json: filenames;
 * the flags a child inherits from its parent; limits and filenames.
 */
#include "core.h"
#include "util/cutils.h"
#include "util/qjson.h"

/* A boolean option given as a JSON bool or as a string ("on", "off", ...) */
static int open_opt_bool(QDict *options, const char *key, bool *value,
                         Error **errp)
{
    QObject *obj = qdict_get(options, key);
    QBool *qb;
    QString *qs;

    if (!obj) {
        return 0;
    }
    if ((qb = qobject_to(QBool, obj))) {
        *value = qbool_get_bool(qb);
    } else if ((qs = qobject_to(QString, obj))) {
        if (!qapi_bool_parse(key, qstring_get_str(qs), value, errp)) {
            return -EINVAL;
        }
    } else {
        error_setg(errp, "Invalid parameter type for '%s', expected: boolean",
                   key);
        return -EINVAL;
    }
    qdict_del(options, key);
    return 1;
}

int open_opt_flag(QDict *options, const char *key, int flag,
                         int *flags, Error **errp)
{
    bool value = false;
    int ret = open_opt_bool(options, key, &value, errp);

    if (ret > 0) {
        *flags = value ? (*flags | flag) : (*flags & ~flag);
    }
    return ret < 0 ? ret : 0;
}

/*
 * Consume the generic options and turn them into open flags and node
 * fields.  "read-only" and "cache.*" become BDRV_O_* flags.
 */
int open_generic_options(BlockDriverState *bs, QDict *options, int *flags,
                         Error **errp)
{
    bool force_share = false;
    int ret = open_generic_options_parse(options, flags, &force_share, errp);

    if (ret == 0) {
        bs->force_share = force_share;
    }
    return ret;
}

int open_generic_options_parse(QDict *options, int *flags, bool *force_share,
                               Error **errp)
{
    bool read_only = !(*flags & BDRV_O_RDWR);
    const char *discard;

    if (open_opt_bool(options, "read-only", &read_only, errp) < 0 ||
        open_opt_flag(options, "auto-read-only", BDRV_O_AUTO_RDONLY, flags,
                      errp) < 0 ||
        open_opt_flag(options, "cache.direct", BDRV_O_NOCACHE, flags,
                      errp) < 0 ||
        open_opt_flag(options, "cache.no-flush", BDRV_O_NO_FLUSH, flags,
                      errp) < 0 ||
        open_opt_bool(options, "force-share", force_share, errp) < 0) {
        return -EINVAL;
    }
    *flags = read_only ? (*flags & ~BDRV_O_RDWR) : (*flags | BDRV_O_RDWR);
    if (*force_share && !read_only) {
        error_setg(errp, "force-share=on can only be used with read-only "
                   "images");
        return -EINVAL;
    }
    discard = qdict_get_try_str(options, "discard");
    if (discard) {
        if (bdrv_parse_discard_flags(discard, flags) < 0) {
            error_setg(errp, "Invalid discard option '%s'", discard);
            return -EINVAL;
        }
        qdict_del(options, "discard");
    }
    return 0;
}

/*
 * "json:{...}" filenames carry options; they join @options (explicit
 * options win) and the filename itself is dropped.
 */
int open_parse_json_filename(const char **filename, QDict *options,
                             Error **errp)
{
    const char *json;
    Error *local_err = NULL;
    QObject *obj;
    QDict *dict;

    if (!*filename || !strstart(*filename, "json:", &json)) {
        return 0;
    }
    obj = qobject_from_json(json, &local_err);
    if (!obj) {
        error_propagate_prepend(errp, local_err,
                                "Could not parse the JSON options: ");
        return -EINVAL;
    }
    dict = qobject_to(QDict, obj);
    if (!dict) {
        qobject_unref(obj);
        error_setg(errp, "Invalid JSON object given: expected an object in "
                   "'%s'", *filename);
        return -EINVAL;
    }
    qdict_flatten(dict);
    qdict_join(options, dict, false);
    qobject_unref(dict);
    *filename = NULL;
    return 0;
}

/*
 * The values a child inherits are shared literals rather than strings made
 * per open (six per child)
 */
static void open_default_str(QDict *options, const char *key,
                             const char *value)
{
    if (!qdict_haskey(options, key)) {
        qdict_put(options, key, qstring_from_literal(value));
    }
}

static void open_default_bool(QDict *options, const char *key, bool value)
{
    open_default_str(options, key, value ? "on" : "off");
}

/*
 * What a child inherits from @parent (QEMU's rules): the returned open
 * flags, and in @child_options defaults for the generic options the child
 * does not set itself (so its own win).  @parent may have no driver yet:
 * it is then a node whose storage is opened to probe its format.
 */
int open_inherit_options(BlockDriverState *parent, BdrvChildRole role,
                         QDict *child_options)
{
    return open_inherit_flags(parent->open_flags, parent->force_share,
                              !parent->drv || parent->drv->is_format, role,
                              child_options);
}

int open_inherit_flags(int flags, bool parent_force_share,
                       bool parent_is_format, BdrvChildRole role,
                       QDict *child_options)
{

    /* Data children of a non-format (quorum-like) are probed... */
    if (!parent_is_format && (role & BDRV_CHILD_DATA) &&
        !(role & (BDRV_CHILD_METADATA | BDRV_CHILD_FILTERED))) {
        flags &= ~BDRV_O_PROTOCOL;
    }
    /* ... a format's own storage and any metadata never are */
    if ((parent_is_format && !(role & BDRV_CHILD_COW)) ||
        (role & BDRV_CHILD_METADATA)) {
        flags |= BDRV_O_PROTOCOL;
    }
    open_default_bool(child_options, "cache.direct",
                      flags & BDRV_O_NOCACHE);
    open_default_bool(child_options, "cache.no-flush",
                      flags & BDRV_O_NO_FLUSH);
    if (parent_force_share) {
        open_default_str(child_options, "force-share", "on");
    }
    if (role & BDRV_CHILD_COW) {
        open_default_str(child_options, "read-only", "on");
        open_default_str(child_options, "auto-read-only", "off");
    } else {
        open_default_bool(child_options, "read-only", !(flags & BDRV_O_RDWR));
        open_default_bool(child_options, "auto-read-only",
                          flags & BDRV_O_AUTO_RDONLY);
    }
    /* The parent's discard policy is applied where its requests start */
    open_default_str(child_options, "discard", "unmap");

    flags &= ~(BDRV_O_SNAPSHOT | BDRV_O_NO_BACKING | BDRV_O_COPY_ON_READ);
    if (role & BDRV_CHILD_METADATA) {
        flags &= ~BDRV_O_NO_IO;
    }
    if (role & BDRV_CHILD_COW) {
        flags &= ~BDRV_O_TEMPORARY;
    }
    return flags;
}

