/*
 * What a driver tells about an image: bdrv_get_info (cluster size, VM
 * state offset), format-specific information, and the size a new image
 * would need (measure).
 */
#include "io-int.h"

int coroutine_fn bdrv_co_get_info(BlockDriverState *bs, BlockDriverInfo *bdi)
{
    const BlockDriver *drv = bs->drv;
    int ret;

    IO_CODE();
    if (!drv) {
        return -ENOMEDIUM;
    }
    if (!drv->bdrv_co_get_info) {
        BlockDriverState *filtered = bdrv_filter_bs(bs);

        return filtered ? bdrv_co_get_info(filtered, bdi) : -ENOTSUP;
    }
    memset(bdi, 0, sizeof(*bdi));
    ret = drv->bdrv_co_get_info(bs, bdi);
    if (ret < 0) {
        return ret;
    }
    /* Callers divide by and align to it: reject nonsense from the driver */
    if (bdi->cluster_size < 0 || bdi->cluster_size > BDRV_MAX_ALIGNMENT) {
        return -EINVAL;
    }
    return 0;
}

typedef struct InfoGetInfo {
    BlockDriverState *bs;
    BlockDriverInfo *bdi;
} InfoGetInfo;

static int64_t coroutine_fn info_get_info_fn(void *opaque)
{
    InfoGetInfo *a = opaque;

    return bdrv_co_get_info(a->bs, a->bdi);
}

int bdrv_get_info(BlockDriverState *bs, BlockDriverInfo *bdi)
{
    InfoGetInfo a = { .bs = bs, .bdi = bdi };

    IO_CODE();
    return (int)io_sync_run(bdrv_get_aio_context(bs), info_get_info_fn, &a);
}

ImageInfoSpecific *bdrv_get_specific_info(BlockDriverState *bs, Error **errp)
{
    IO_CODE();
    if (!bs->drv || !bs->drv->bdrv_get_specific_info) {
        return NULL;
    }
    return bs->drv->bdrv_get_specific_info(bs, errp);
}

void qapi_free_ImageInfoSpecific(ImageInfoSpecific *info)
{
    if (info) {
        g_free(info->type);
        qobject_unref(info->data);
        g_free(info);
    }
}

BlockMeasureInfo *bdrv_measure(BlockDriver *drv, QemuOpts *opts,
                               BlockDriverState *in_bs, Error **errp)
{
    GLOBAL_STATE_CODE();
    if (!drv->bdrv_measure) {
        error_setg(errp, "Block driver '%s' does not support size measurement",
                   drv->format_name);
        return NULL;
    }
    return drv->bdrv_measure(opts, in_bs, errp);
}

void qapi_free_BlockMeasureInfo(BlockMeasureInfo *info)
{
    g_free(info);
}
