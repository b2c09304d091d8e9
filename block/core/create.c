/*
 * Image creation: bdrv_create (one driver), bdrv_create_file (the protocol
 * a filename names) and bdrv_img_create (qemu-img create's logic: format
 * plus protocol options, backing file, size, the "Formatting ..." line).
 */
#include "core.h"
#include "util/cutils.h"

typedef struct CreateCo {
    BlockDriver *drv;
    const char *filename;
    QemuOpts *opts;
    Error **errp;
    int ret;
    bool done;
} CreateCo;

int coroutine_fn bdrv_co_create(BlockDriver *drv, const char *filename,
                                QemuOpts *opts, Error **errp)
{
    if (!drv->bdrv_co_create_opts) {
        error_setg(errp, "Driver '%s' does not support image creation",
                   drv->format_name);
        return -ENOTSUP;
    }
    return drv->bdrv_co_create_opts(drv, filename, opts, errp);
}

static void coroutine_fn create_co_entry(void *opaque)
{
    CreateCo *cco = opaque;

    cco->ret = bdrv_co_create(cco->drv, cco->filename, cco->opts, cco->errp);
    cco->done = true;
    aio_wait_kick();
}

int bdrv_create(BlockDriver *drv, const char *filename, QemuOpts *opts,
                Error **errp)
{
    CreateCo cco = {
        .drv = drv, .filename = filename, .opts = opts, .errp = errp,
    };

    GLOBAL_STATE_CODE();
    if (qemu_in_coroutine()) {
        return bdrv_co_create(drv, filename, opts, errp);
    }
    qemu_coroutine_enter(qemu_coroutine_create(create_co_entry, &cco));
    AIO_WAIT_WHILE(qemu_get_aio_context(), !cco.done);
    return cco.ret;
}

/* The protocol only sees the options it knows (the format's are not its) */
static QemuOpts *create_protocol_opts(BlockDriver *drv, QemuOpts *opts)
{
    QemuOpts *popts = qemu_opts_create(drv->create_opts, NULL, 0,
                                       &error_abort);

    for (QemuOptDesc *d = drv->create_opts->desc; opts && d->name; d++) {
        if (qemu_opt_find_set(opts, d->name)) {
            qemu_opt_set(popts, d->name, qemu_opt_get(opts, d->name),
                         &error_abort);
        }
    }
    return popts;
}

int bdrv_create_file(const char *filename, QemuOpts *opts, Error **errp)
{
    BlockDriver *drv;
    QemuOpts *popts;
    int ret;

    GLOBAL_STATE_CODE();
    drv = bdrv_find_protocol(filename, true, errp);
    if (!drv) {
        return -ENOENT;
    }
    if (!drv->create_opts) {
        error_setg(errp, "Driver '%s' does not support image creation",
                   drv->format_name);
        return -ENOTSUP;
    }
    popts = create_protocol_opts(drv, opts);
    ret = bdrv_create(drv, filename, popts, errp);
    qemu_opts_del(popts);
    return ret;
}

/* bdrv_create runs the driver directly when already in a coroutine */
int coroutine_fn bdrv_co_create_file(const char *filename, QemuOpts *opts,
                                     Error **errp)
{
    return bdrv_create_file(filename, opts, errp);
}

/* "Formatting 'x', fmt=raw size=1048576", as qemu-img create prints it */
static void create_print_formatting(const char *filename, const char *fmt,
                                    QemuOpts *opts)
{
    g_autofree char *values = qemu_opts_print_str(opts, " ");

    printf("Formatting '%s', fmt=%s %s\n", filename, fmt, values);
    fflush(stdout);
}

/* Size from the backing file when the caller gave none ((uint64_t)-1) */
static int create_size_from_backing(const char *base_filename,
                                    const char *base_fmt, uint64_t *size,
                                    Error **errp)
{
    QDict *options = qdict_new();
    BlockDriverState *bs;
    int64_t len;

    if (base_fmt) {
        qdict_put_str(options, "driver", base_fmt);
    }
    /* The backing image may be in use: read nothing, lock nothing out */
    qdict_put_str(options, "force-share", "on");
    bs = bdrv_open(base_filename, NULL, options,
                   BDRV_O_NO_BACKING | BDRV_O_NO_IO, errp);
    if (!bs) {
        error_prepend(errp, "Could not open backing image: ");
        return -EINVAL;
    }
    len = bdrv_getlength(bs);
    bdrv_unref(bs);
    if (len < 0) {
        error_setg_errno(errp, -len, "Could not get size of '%s'",
                         base_filename);
        return len;
    }
    *size = len;
    return 0;
}

/* The largest image a driver is asked to create: BDRV_MAX_LENGTH */
static int create_check_size(uint64_t size, Error **errp)
{
    if (size > (uint64_t)BDRV_MAX_LENGTH) {
        error_setg(errp, "Invalid image size %" PRIu64 ": must be between 0 "
                   "and %" PRId64, size, (int64_t)BDRV_MAX_LENGTH);
        return -EFBIG;
    }
    return 0;
}

static int create_apply_options(QemuOpts *opts, const char *fmt,
                                const char *base_filename,
                                const char *base_fmt, char *options,
                                Error **errp)
{
    if (options && !qemu_opts_do_parse(opts, options, NULL, errp)) {
        error_prepend(errp, "Invalid options for file format '%s': ", fmt);
        return -EINVAL;
    }
    if (base_filename && !qemu_opt_set(opts, "backing_file", base_filename,
                                       NULL)) {
        error_setg(errp, "Backing file not supported for file format '%s'",
                   fmt);
        return -EINVAL;
    }
    if (base_fmt && !qemu_opt_set(opts, "backing_fmt", base_fmt, NULL)) {
        error_setg(errp, "Backing file format not supported for file "
                   "format '%s'", fmt);
        return -EINVAL;
    }
    return 0;
}

void bdrv_img_create(const char *filename, const char *fmt,
                     const char *base_filename, const char *base_fmt,
                     char *options, uint64_t img_size, int flags, bool quiet,
                     Error **errp)
{
    BlockDriver *drv, *proto_drv;
    QemuOptsList *create_opts = NULL;
    QemuOpts *opts = NULL;

    GLOBAL_STATE_CODE();
    drv = bdrv_find_format(fmt);
    if (!drv) {
        error_setg(errp, "Unknown file format '%s'", fmt);
        return;
    }
    proto_drv = bdrv_find_protocol(filename, true, errp);
    if (!proto_drv) {
        return;
    }
    if (!drv->create_opts || !proto_drv->create_opts) {
        error_setg(errp, "%s driver '%s' does not support image creation",
                   drv->create_opts ? "Protocol" : "Format",
                   drv->create_opts ? proto_drv->format_name : fmt);
        return;
    }
    create_opts = qemu_opts_append(create_opts, drv->create_opts);
    create_opts = qemu_opts_append(create_opts, proto_drv->create_opts);
    opts = qemu_opts_create(create_opts, NULL, 0, &error_abort);
    if (create_apply_options(opts, fmt, base_filename, base_fmt, options,
                             errp) < 0) {
        goto out;
    }
    if (!qemu_opt_find_set(opts, "size")) {
        if (img_size == (uint64_t)-1 && base_filename) {
            if (create_size_from_backing(base_filename, base_fmt, &img_size,
                                         errp) < 0) {
                goto out;
            }
        } else if (img_size == (uint64_t)-1) {
            error_setg(errp, "Image creation needs a size parameter");
            goto out;
        }
        if (create_check_size(img_size, errp) < 0) {
            goto out;
        }
        qemu_opt_set_number(opts, "size", (int64_t)img_size, &error_abort);
    } else if (img_size != (uint64_t)-1) {
        error_setg(errp, "The image size must be specified only once");
        goto out;
    } else if (create_check_size(qemu_opt_get_size(opts, "size", 0),
                                 errp) < 0) {
        goto out;
    }
    if (!quiet) {
        create_print_formatting(filename, fmt, opts);
    }
    bdrv_create(drv, filename, opts, errp);
out:
    qemu_opts_del(opts);
    qemu_opts_free(create_opts);
}
