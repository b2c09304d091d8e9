/*
 * The "null-co" and "null-aio" protocols: devices that store nothing.
 * Writes succeed and are dropped; reads leave the buffer alone unless
 * read-zeroes is set (QEMU's documented default is false: the point of the
 * driver is to measure the block layer without touching data).
 *
 * null-co completes every request inside the calling coroutine; null-aio
 * completes it from a bottom half in the node's AioContext, like a driver
 * whose I/O finishes asynchronously.  latency-ns delays each request on the
 * virtual clock (in deterministic mode the clock jumps: no real waiting).
 *
 * Options: size (default 1 GiB, at most BDRV_MAX_LENGTH), latency-ns
 * (default 0, at most NULL_MAX_LATENCY_NS), read-zeroes
 * (default false), filename (only "null-co://" / "null-aio://", ignored).
 */
#include "block/driver.h"
#include "util/cutils.h"

#define NULL_OPT_LATENCY "latency-ns"
#define NULL_OPT_ZEROES "read-zeroes"

#define NULL_DEFAULT_SIZE (1LL << 30)
/* Longest latency-ns: an hour per request, far from overflowing a deadline */
#define NULL_MAX_LATENCY_NS (3600LL * 1000 * 1000 * 1000)

typedef struct BDRVNullState {
    int64_t length;
    int64_t latency_ns;
    bool read_zeroes;
    bool default_size;
    bool aio;              /* null-aio: complete from a bottom half */
} BDRVNullState;

static QemuOptsList null_runtime_opts = {
    .name = "null",
    .desc = {
        {
            .name = "filename",
            .type = QEMU_OPT_STRING,
            .help = "Ignored: the filename only selects the driver",
        },
        {
            .name = BLOCK_OPT_SIZE,
            .type = QEMU_OPT_SIZE,
            .help = "Size of the null block device (default: 1 GiB)",
        },
        {
            .name = NULL_OPT_LATENCY,
            .type = QEMU_OPT_NUMBER,
            .help = "Nanoseconds of (virtual-clock) latency per request",
        },
        {
            .name = NULL_OPT_ZEROES,
            .type = QEMU_OPT_BOOL,
            .help = "Return zeroes when read (default: false)",
        },
        { /* end of list */ }
    },
};

static const char *const null_strong_runtime_opts[] = {
    BLOCK_OPT_SIZE,
    NULL_OPT_ZEROES,
    NULL
};

/* "null-co://" for null-co, "null-aio://" for null-aio */
static void null_parse_filename_for(const char *drv_name,
                                    const char *filename, Error **errp)
{
    const char *rest;

    if (!strstart(filename, drv_name, &rest) || strcmp(rest, "://") != 0) {
        error_setg(errp, "Invalid filename '%s': the %s driver only "
                   "accepts '%s://'", filename, drv_name, drv_name);
    }
}

static void null_co_parse_filename(const char *filename, QDict *options,
                                   Error **errp)
{
    null_parse_filename_for("null-co", filename, errp);
}

static void null_aio_parse_filename(const char *filename, QDict *options,
                                    Error **errp)
{
    null_parse_filename_for("null-aio", filename, errp);
}

/* Consume the options into @n (open and reopen) */
static int null_parse(BDRVNullState *n, QDict *options, Error **errp)
{
    QemuOpts *opts;
    uint64_t size, latency;
    int ret = -EINVAL;

    opts = qemu_opts_create(&null_runtime_opts, NULL, 0, &error_abort);
    if (!qemu_opts_absorb_qdict(opts, options, errp)) {
        goto out;
    }
    size = qemu_opt_get_size(opts, BLOCK_OPT_SIZE, NULL_DEFAULT_SIZE);
    if (size > (uint64_t)BDRV_MAX_LENGTH) {
        error_setg(errp, "Invalid size %" PRIu64 " for the %s driver "
                   "(the largest is %" PRId64 ")", size,
                   n->aio ? "null-aio" : "null-co", (int64_t)BDRV_MAX_LENGTH);
        goto out;
    }
    latency = qemu_opt_get_number(opts, NULL_OPT_LATENCY, 0);
    if (latency > (uint64_t)NULL_MAX_LATENCY_NS) {
        error_setg(errp, "Invalid latency-ns %" PRIu64 " (the largest is "
                   "%lld)", latency, NULL_MAX_LATENCY_NS);
        goto out;
    }
    n->length = size;
    n->default_size = !qemu_opt_find_set(opts, BLOCK_OPT_SIZE);
    n->latency_ns = latency;
    n->read_zeroes = qemu_opt_get_bool(opts, NULL_OPT_ZEROES, false);
    ret = 0;

out:
    qemu_opts_del(opts);
    return ret;
}

static int null_open(BlockDriverState *bs, QDict *options, Error **errp)
{
    int ret = null_parse(bs->opaque, options, errp);

    if (ret == 0) {
        bs->supported_write_flags = BDRV_REQ_FUA;
        bs->supported_zero_flags = BDRV_REQ_FUA | BDRV_REQ_MAY_UNMAP |
                                   BDRV_REQ_NO_FALLBACK;
    }
    return ret;
}

/* Reopen: size, latency-ns and read-zeroes may all change */
static int null_reopen_prepare(BDRVReopenState *state,
                               BlockReopenQueue *queue, Error **errp)
{
    BDRVNullState *n = g_new(BDRVNullState, 1);
    int ret;

    *n = *(BDRVNullState *)state->bs->opaque;
    ret = null_parse(n, state->options, errp);
    if (ret < 0) {
        g_free(n);
        return ret;
    }
    state->opaque = n;
    return 0;
}

static void null_reopen_commit(BDRVReopenState *state)
{
    *(BDRVNullState *)state->bs->opaque = *(BDRVNullState *)state->opaque;
    g_free(state->opaque);
    state->opaque = NULL;
}

static void null_reopen_abort(BDRVReopenState *state)
{
    g_free(state->opaque);
    state->opaque = NULL;
}

static int null_co_open(BlockDriverState *bs, QDict *options, int flags,
                        Error **errp)
{
    return null_open(bs, options, errp);
}

static int null_aio_open(BlockDriverState *bs, QDict *options, int flags,
                         Error **errp)
{
    BDRVNullState *s = bs->opaque;

    s->aio = true;
    return null_open(bs, options, errp);
}

static void null_aio_complete_bh(void *opaque)
{
    aio_co_wake(opaque);
}

/* Every request ends here: wait out the latency, then complete */
static int coroutine_fn null_co_finish(BlockDriverState *bs)
{
    BDRVNullState *s = bs->opaque;

    if (s->latency_ns) {
        qemu_co_sleep_ns(QEMU_CLOCK_VIRTUAL, s->latency_ns);
    }
    if (s->aio) {
        /* Complete from the event loop, not from inside the caller */
        aio_bh_schedule_oneshot(bdrv_get_aio_context(bs),
                                null_aio_complete_bh, qemu_coroutine_self());
        qemu_coroutine_yield();
    }
    return 0;
}

static int coroutine_fn null_co_preadv_part(BlockDriverState *bs,
                                            int64_t offset, int64_t bytes,
                                            QEMUIOVector *qiov,
                                            size_t qiov_offset,
                                            BdrvRequestFlags flags)
{
    BDRVNullState *s = bs->opaque;

    if (s->read_zeroes) {
        qemu_iovec_memset(qiov, qiov_offset, 0, bytes);
    }
    return null_co_finish(bs);
}

static int coroutine_fn null_co_pwritev_part(BlockDriverState *bs,
                                             int64_t offset, int64_t bytes,
                                             QEMUIOVector *qiov,
                                             size_t qiov_offset,
                                             BdrvRequestFlags flags)
{
    return null_co_finish(bs);
}

static int coroutine_fn null_co_pwrite_zeroes(BlockDriverState *bs,
                                              int64_t offset, int64_t bytes,
                                              BdrvRequestFlags flags)
{
    return null_co_finish(bs);
}

static int coroutine_fn null_co_pdiscard(BlockDriverState *bs, int64_t offset,
                                         int64_t bytes)
{
    return null_co_finish(bs);
}

static int coroutine_fn null_co_flush(BlockDriverState *bs)
{
    return null_co_finish(bs);
}

static int64_t coroutine_fn null_co_getlength(BlockDriverState *bs)
{
    BDRVNullState *s = bs->opaque;

    return s->length;
}

static int64_t coroutine_fn null_co_get_allocated_file_size(
    BlockDriverState *bs)
{
    return 0;
}

/* Nothing is stored: reads return zeroes only with read-zeroes set */
static int coroutine_fn null_co_block_status(BlockDriverState *bs,
                                             bool want_zero, int64_t offset,
                                             int64_t bytes, int64_t *pnum,
                                             int64_t *map,
                                             BlockDriverState **file)
{
    BDRVNullState *s = bs->opaque;

    *pnum = bytes;
    *map = offset;
    *file = bs;
    return BDRV_BLOCK_OFFSET_VALID | (s->read_zeroes ? BDRV_BLOCK_ZERO : 0);
}

static int null_has_zero_init(BlockDriverState *bs)
{
    BDRVNullState *s = bs->opaque;

    return s->read_zeroes;
}

/* "null-co://" names the node only when no option changes what it is */
static void null_refresh_filename(BlockDriverState *bs)
{
    BDRVNullState *s = bs->opaque;

    if (s->default_size && !s->latency_ns) {
        snprintf(bs->exact_filename, sizeof(bs->exact_filename), "%s://",
                 s->aio ? "null-aio" : "null-co");
    }
}

#define NULL_DRIVER_COMMON                                              \
    .instance_size = sizeof(BDRVNullState),                             \
    .bdrv_refresh_filename = null_refresh_filename,                     \
    .bdrv_co_preadv_part = null_co_preadv_part,                         \
    .bdrv_co_pwritev_part = null_co_pwritev_part,                       \
    .bdrv_co_pwrite_zeroes = null_co_pwrite_zeroes,                     \
    .bdrv_co_pdiscard = null_co_pdiscard,                               \
    .bdrv_co_flush_to_disk = null_co_flush,                             \
    .bdrv_co_getlength = null_co_getlength,                             \
    .bdrv_co_get_allocated_file_size = null_co_get_allocated_file_size, \
    .bdrv_co_block_status = null_co_block_status,                       \
    .bdrv_has_zero_init = null_has_zero_init,                           \
    .strong_runtime_opts = null_strong_runtime_opts

BlockDriver bdrv_null_co = {
    .format_name = "null-co",
    .protocol_name = "null-co",
    .bdrv_parse_filename = null_co_parse_filename,
    .bdrv_open = null_co_open,
    .bdrv_reopen_prepare = null_reopen_prepare,
    .bdrv_reopen_commit = null_reopen_commit,
    .bdrv_reopen_abort = null_reopen_abort,
    NULL_DRIVER_COMMON,
};

BlockDriver bdrv_null_aio = {
    .format_name = "null-aio",
    .protocol_name = "null-aio",
    .bdrv_parse_filename = null_aio_parse_filename,
    .bdrv_open = null_aio_open,
    .bdrv_reopen_prepare = null_reopen_prepare,
    .bdrv_reopen_commit = null_reopen_commit,
    .bdrv_reopen_abort = null_reopen_abort,
    NULL_DRIVER_COMMON,
};
