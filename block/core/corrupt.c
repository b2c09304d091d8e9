/*
 * Corruption found at run time (bdrv_mark_corrupt) and the auto-read-only
 * fallback of open (bdrv_apply_auto_read_only): two things a format driver
 * decides and the core enforces.
 */
#include "core.h"

void bdrv_mark_corrupt(BlockDriverState *bs, bool fatal, int64_t offset,
                       int64_t size, const char *fmt, ...)
{
    const char *format = bs->drv ? bs->drv->format_name : "block";
    bool *reported = fatal ? &bs->corrupt_fatal_reported
                           : &bs->corrupt_nonfatal_reported;
    g_autofree char *message = NULL;
    va_list ap;

    va_start(ap, fmt);
    message = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    if (!*reported) {
        *reported = true;
        if (fatal) {
            error_report("%s: Marking image as corrupt: %s; further "
                         "corruption events will be suppressed", format,
                         message);
        } else {
            error_report("%s: Image is corrupt: %s; further non-fatal "
                         "corruption events will be suppressed", format,
                         message);
        }
    }
    if (fatal) {
        bs->corrupt = true;
    }
}

int bdrv_can_set_read_only(BlockDriverState *bs, bool read_only,
                           bool ignore_allow_rdw, Error **errp)
{
    GLOBAL_STATE_CODE();
    if (bs->read_only == read_only) {
        return 0;
    }
    /* Copy-on-read writes what it reads into the node */
    if (read_only && (bs->open_flags & BDRV_O_COPY_ON_READ)) {
        error_setg(errp, "Can't set node '%s' to r/o with copy-on-read "
                   "enabled", bdrv_get_device_or_node_name(bs));
        return -EINVAL;
    }
    if (!read_only && !ignore_allow_rdw &&
        !(bs->open_flags & BDRV_O_ALLOW_RDWR)) {
        error_setg(errp, "Node '%s' is read only",
                   bdrv_get_device_or_node_name(bs));
        return -EPERM;
    }
    return 0;
}

int bdrv_apply_auto_read_only(BlockDriverState *bs, const char *errmsg,
                              Error **errp)
{
    GLOBAL_STATE_CODE();
    if (!(bs->open_flags & BDRV_O_RDWR)) {
        return 0;
    }
    if (!(bs->open_flags & BDRV_O_AUTO_RDONLY) ||
        bdrv_can_set_read_only(bs, true, false, NULL) < 0) {
        error_setg(errp, "%s", errmsg ?: "Image is read-only");
        return -EACCES;
    }
    bs->read_only = true;
    bs->open_flags &= ~BDRV_O_RDWR;
    return 0;
}
