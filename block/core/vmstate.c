/*
 * VM state stored in an image (savevm/loadvm): a byte area beside the
 * guest data, reached through the driver's load/save_vmstate callbacks.
 * A node without them passes the request to its primary child (a raw or
 * filter node over a qcow2 image).
 */
#include "io-int.h"

static int coroutine_fn vmstate_rw(BlockDriverState *bs, QEMUIOVector *qiov,
                                   int64_t pos, bool is_read)
{
    const BlockDriver *drv = bs->drv;
    BdrvChild *primary;
    int ret;

    if (!drv) {
        return -ENOMEDIUM;
    }
    ret = bdrv_check_request(pos, qiov->size, NULL);
    if (ret < 0) {
        return ret;
    }
    primary = bdrv_primary_child(bs);
    bdrv_inc_in_flight(bs);
    if (is_read && drv->bdrv_co_load_vmstate) {
        ret = drv->bdrv_co_load_vmstate(bs, qiov, pos);
    } else if (!is_read && drv->bdrv_co_save_vmstate) {
        ret = drv->bdrv_co_save_vmstate(bs, qiov, pos);
    } else if (primary) {
        ret = vmstate_rw(primary->bs, qiov, pos, is_read);
    } else {
        ret = -ENOTSUP;
    }
    bdrv_dec_in_flight(bs);
    return ret > 0 ? 0 : ret;
}

int coroutine_fn bdrv_co_readv_vmstate(BlockDriverState *bs,
                                       QEMUIOVector *qiov, int64_t pos)
{
    IO_CODE();
    return vmstate_rw(bs, qiov, pos, true);
}

int coroutine_fn bdrv_co_writev_vmstate(BlockDriverState *bs,
                                        QEMUIOVector *qiov, int64_t pos)
{
    IO_CODE();
    return vmstate_rw(bs, qiov, pos, false);
}

typedef struct VmstateCall {
    BlockDriverState *bs;
    QEMUIOVector *qiov;
    int64_t pos;
    bool is_read;
} VmstateCall;

static int64_t coroutine_fn vmstate_fn(void *opaque)
{
    VmstateCall *c = opaque;

    return vmstate_rw(c->bs, c->qiov, c->pos, c->is_read);
}

static int vmstate_sync(BlockDriverState *bs, uint8_t *buf, int64_t pos,
                        int size, bool is_read)
{
    QEMUIOVector qiov;
    VmstateCall c = { .bs = bs, .qiov = &qiov, .pos = pos,
                      .is_read = is_read };
    int ret;

    if (size < 0) {
        return -EINVAL;
    }
    qemu_iovec_init_buf(&qiov, buf, size);
    ret = (int)io_sync_run(bdrv_get_aio_context(bs), vmstate_fn, &c);
    return ret < 0 ? ret : size;
}

int bdrv_save_vmstate(BlockDriverState *bs, const uint8_t *buf, int64_t pos,
                      int size)
{
    IO_CODE();
    return vmstate_sync(bs, (uint8_t *)buf, pos, size, false);
}

int bdrv_load_vmstate(BlockDriverState *bs, uint8_t *buf, int64_t pos,
                      int size)
{
    IO_CODE();
    return vmstate_sync(bs, buf, pos, size, true);
}
