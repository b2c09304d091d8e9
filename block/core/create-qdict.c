/*
 * Image creation from blockdev-create style options: a QDict with
 * "driver" and the format's keys, handed to the driver's bdrv_co_create.
 * (bdrv_create in create.c takes QemuOpts and a filename instead.)
 */
#include "io-int.h"

int coroutine_fn bdrv_co_create_qdict(QDict *options, Error **errp)
{
    const char *fmt = qdict_get_try_str(options, "driver");
    BlockDriver *drv;

    if (!fmt) {
        error_setg(errp, "Parameter 'driver' is missing");
        return -EINVAL;
    }
    drv = bdrv_find_format(fmt);
    if (!drv) {
        error_setg(errp, "Unknown driver '%s'", fmt);
        return -ENOENT;
    }
    if (!drv->bdrv_co_create) {
        error_setg(errp, "Driver '%s' does not support blockdev-create", fmt);
        return -ENOTSUP;
    }
    return drv->bdrv_co_create(options, errp);
}

typedef struct CreateQdictCall {
    QDict *options;
    Error **errp;
} CreateQdictCall;

static int64_t coroutine_fn create_qdict_fn(void *opaque)
{
    CreateQdictCall *c = opaque;

    return bdrv_co_create_qdict(c->options, c->errp);
}

int bdrv_create_qdict(QDict *options, Error **errp)
{
    CreateQdictCall c = { .options = options, .errp = errp };

    GLOBAL_STATE_CODE();
    return (int)io_sync_run(qemu_get_aio_context(), create_qdict_fn, &c);
}
