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

static int open_opt_flag(QDict *options, const char *key, int flag,
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
    bool read_only = !(*flags & BDRV_O_RDWR);
    bool force_share = false;
    const char *discard;

    if (open_opt_bool(options, "read-only", &read_only, errp) < 0 ||
        open_opt_flag(options, "auto-read-only", BDRV_O_AUTO_RDONLY, flags,
                      errp) < 0 ||
        open_opt_flag(options, "cache.direct", BDRV_O_NOCACHE, flags,
                      errp) < 0 ||
        open_opt_flag(options, "cache.no-flush", BDRV_O_NO_FLUSH, flags,
                      errp) < 0 ||
        open_opt_bool(options, "force-share", &force_share, errp) < 0) {
        return -EINVAL;
    }
    *flags = read_only ? (*flags & ~BDRV_O_RDWR) : (*flags | BDRV_O_RDWR);
    if (force_share && !read_only) {
        error_setg(errp, "force-share=on can only be used with read-only "
                   "images");
        return -EINVAL;
    }
    bs->force_share = force_share;
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

/* Flags a child node is opened with, from its parent's */
int open_child_flags(BlockDriverState *parent, BdrvChildRole role)
{
    int flags = parent ? parent->open_flags : BDRV_O_RDWR;

    flags &= ~(BDRV_O_SNAPSHOT | BDRV_O_TEMPORARY | BDRV_O_PROTOCOL |
               BDRV_O_NO_BACKING);
    if (role & BDRV_CHILD_COW) {
        /* Backing files are opened read-only and probed */
        return flags & ~BDRV_O_RDWR;
    }
    if (parent && parent->drv && parent->drv->is_format &&
        (role & (BDRV_CHILD_DATA | BDRV_CHILD_METADATA))) {
        /* A format's own storage is never probed as another format */
        flags |= BDRV_O_PROTOCOL;
    }
    return flags;
}

void bdrv_refresh_filename(BlockDriverState *bs)
{
    BdrvChild *primary;

    GLOBAL_STATE_CODE();
    if (!bs->drv) {
        return;
    }
    if (bs->drv->bdrv_refresh_filename) {
        bs->drv->bdrv_refresh_filename(bs);
    }
    primary = bdrv_primary_child(bs);
    if (!bs->filename[0] && primary) {
        bdrv_refresh_filename(primary->bs);
        pstrcpy(bs->filename, sizeof(bs->filename), primary->bs->filename);
    }
    if (!bs->exact_filename[0]) {
        pstrcpy(bs->exact_filename, sizeof(bs->exact_filename),
                bs->filename);
    }
}
