/*
 * Image consistency checks (qemu-img check): bdrv_check over the driver's
 * bdrv_co_check, with the result zeroed before and sanity-checked after.
 */
#include "io-int.h"

int coroutine_fn bdrv_co_check(BlockDriverState *bs, BdrvCheckResult *res,
                               BdrvCheckMode fix)
{
    int ret;

    IO_CODE();
    memset(res, 0, sizeof(*res));
    if (!bs->drv) {
        return -ENOMEDIUM;
    }
    if (!bs->drv->bdrv_co_check) {
        return -ENOTSUP;
    }
    /* Repairs write to the image */
    if ((fix & (BDRV_FIX_LEAKS | BDRV_FIX_ERRORS)) && bdrv_is_read_only(bs)) {
        return -EACCES;
    }
    bdrv_inc_in_flight(bs);
    ret = bs->drv->bdrv_co_check(bs, res, fix);
    bdrv_dec_in_flight(bs);
    /* The driver's half: counts that a report can print */
    if (ret == 0 && (res->corruptions < 0 || res->leaks < 0 ||
                     res->check_errors < 0 || res->corruptions_fixed < 0 ||
                     res->leaks_fixed < 0 || res->image_end_offset < 0)) {
        ret = -EIO;
    }
    return ret;
}

typedef struct CheckCall {
    BlockDriverState *bs;
    BdrvCheckResult *res;
    BdrvCheckMode fix;
} CheckCall;

static int64_t coroutine_fn check_fn(void *opaque)
{
    CheckCall *c = opaque;

    return bdrv_co_check(c->bs, c->res, c->fix);
}

int bdrv_check(BlockDriverState *bs, BdrvCheckResult *res, BdrvCheckMode fix)
{
    CheckCall c = { .bs = bs, .res = res, .fix = fix };

    GLOBAL_STATE_CODE();
    return (int)io_sync_run(bdrv_get_aio_context(bs), check_fn, &c);
}
