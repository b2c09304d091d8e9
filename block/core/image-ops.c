/*
 * Whole-image operations of a format: emptying an image (commit's last
 * step) and recording a new backing file name in its header (rebase).
 */
#include "io-int.h"
#include "util/atomic.h"
#include "util/cutils.h"

int bdrv_make_empty(BdrvChild *c, Error **errp)
{
    BlockDriverState *bs = c->bs;
    int ret;

    GLOBAL_STATE_CODE();
    if (!bs->drv) {
        error_setg(errp, "Node '%s' is ejected", bdrv_get_node_name(bs));
        return -ENOMEDIUM;
    }
    if (!bs->drv->bdrv_make_empty) {
        error_setg(errp, "%s does not support emptying nodes",
                   bs->drv->format_name);
        return -ENOTSUP;
    }
    if (bs->open_flags & BDRV_O_INACTIVE) {
        error_setg(errp, "Node '%s' is inactive", bdrv_get_node_name(bs));
        return -EPERM;
    }
    /* QEMU asserts it; a missing permission is the caller's error here */
    if (!(c->perm & BLK_PERM_WRITE)) {
        error_setg(errp, "Cannot empty node '%s': the write permission is "
                   "not held", bdrv_get_node_name(bs));
        return -EPERM;
    }
    bdrv_drained_begin(bs);
    ret = bs->drv->bdrv_make_empty(bs);
    bdrv_drained_end(bs);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Failed to empty %s", bs->filename);
        return ret;
    }
    qatomic_inc(&bs->write_gen);
    return 0;
}

int coroutine_fn bdrv_co_change_backing_file(BlockDriverState *bs,
                                             const char *backing_file,
                                             const char *backing_fmt,
                                             bool require)
{
    const BlockDriver *drv = bs->drv;
    int ret;

    if (!drv) {
        return -ENOMEDIUM;
    }
    if (bs->open_flags & BDRV_O_INACTIVE) {
        return -EPERM;  /* another process may own the metadata */
    }
    /* A filter records no backing file of its own */
    if (drv->is_filter) {
        return -ENOTSUP;
    }
    /* A format without a file means nothing; and @require asks for one */
    if ((backing_fmt && !backing_file) ||
        (require && backing_file && !backing_fmt)) {
        return -EINVAL;
    }
    if (!drv->bdrv_co_change_backing_file) {
        return -ENOTSUP;
    }
    ret = drv->bdrv_co_change_backing_file(bs, backing_file, backing_fmt);
    if (ret < 0) {
        return ret;
    }
    pstrcpy(bs->backing_file, sizeof(bs->backing_file), backing_file ?: "");
    pstrcpy(bs->backing_format, sizeof(bs->backing_format),
            backing_fmt ?: "");
    return 0;
}

typedef struct ImageOpsBacking {
    BlockDriverState *bs;
    const char *file;
    const char *fmt;
    bool require;
} ImageOpsBacking;

static int64_t coroutine_fn image_ops_backing_fn(void *opaque)
{
    ImageOpsBacking *a = opaque;

    return bdrv_co_change_backing_file(a->bs, a->file, a->fmt, a->require);
}

int bdrv_change_backing_file(BlockDriverState *bs, const char *backing_file,
                             const char *backing_fmt, bool require)
{
    ImageOpsBacking a = { .bs = bs, .file = backing_file,
                          .fmt = backing_fmt, .require = require };

    GLOBAL_STATE_CODE();
    return (int)io_sync_run(bdrv_get_aio_context(bs), image_ops_backing_fn,
                            &a);
}
