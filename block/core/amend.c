/*
 * Changing the creation options of an existing image (qemu-img amend):
 * bdrv_amend_options with QemuOpts of the driver's amend_opts, and
 * bdrv_co_amend with a QDict (blockdev-amend style).
 */
#include "io-int.h"

static int amend_check_driver(BlockDriverState *bs, bool has_callback,
                              Error **errp)
{
    if (!bs->drv) {
        error_setg(errp, "Node '%s' is ejected", bdrv_get_node_name(bs));
        return -ENOMEDIUM;
    }
    if (!has_callback) {
        error_setg(errp, "Block driver '%s' does not support option "
                   "amendment", bs->drv->format_name);
        return -ENOTSUP;
    }
    if (bdrv_is_read_only(bs)) {
        error_setg(errp, "Node '%s' is read-only", bdrv_get_node_name(bs));
        return -EACCES;
    }
    /* Another process may own the image's metadata (migration) */
    if (bs->open_flags & BDRV_O_INACTIVE) {
        error_setg(errp, "Node '%s' is inactive", bdrv_get_node_name(bs));
        return -EPERM;
    }
    return 0;
}

/* qemu_opt_foreach callback: is @name one of the QemuOptsList @opaque? */
static int amend_check_one(void *opaque, const char *name, const char *value,
                           Error **errp)
{
    QemuOptsList *allowed = opaque;

    for (QemuOptDesc *d = allowed->desc; d->name; d++) {
        if (!strcmp(d->name, name)) {
            return 0;
        }
    }
    error_setg(errp, "Invalid parameter '%s'", name);
    return -EINVAL;
}

int bdrv_amend_options(BlockDriverState *bs, QemuOpts *opts,
                       BlockDriverAmendStatusCB *status_cb, void *cb_opaque,
                       bool force, Error **errp)
{
    QemuOptsList *allowed;
    int ret;

    GLOBAL_STATE_CODE();
    ret = amend_check_driver(bs, bs->drv && bs->drv->bdrv_amend_options,
                             errp);
    if (ret < 0) {
        return ret;
    }
    allowed = bs->drv->amend_opts;
    if (!allowed) {
        error_setg(errp, "Format driver '%s' does not support any options "
                   "to amend", bs->drv->format_name);
        return -ENOTSUP;
    }
    /* Options the format cannot change must not be silently ignored */
    if (qemu_opts_list(opts) != allowed &&
        qemu_opt_foreach(opts, amend_check_one, allowed, errp)) {
        return -EINVAL;
    }
    return bs->drv->bdrv_amend_options(bs, opts, status_cb, cb_opaque, force,
                                       errp);
}

int coroutine_fn bdrv_co_amend(BlockDriverState *bs, QDict *options,
                               bool force, Error **errp)
{
    const char *driver = qdict_get_try_str(options, "driver");
    int ret;

    ret = amend_check_driver(bs, bs->drv && bs->drv->bdrv_co_amend, errp);
    if (ret < 0) {
        return ret;
    }
    if (driver && strcmp(driver, bs->drv->format_name)) {
        error_setg(errp, "Cannot amend node '%s' of format '%s' with options "
                   "of '%s'", bdrv_get_node_name(bs), bs->drv->format_name,
                   driver);
        return -EINVAL;
    }
    bdrv_inc_in_flight(bs);
    ret = bs->drv->bdrv_co_amend(bs, options, force, errp);
    bdrv_dec_in_flight(bs);
    return ret;
}
