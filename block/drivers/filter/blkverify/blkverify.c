/*
 * The "blkverify" filter: every request goes to both children, "test"
 * (the image under test) and "raw" (a raw reference image of the same
 * guest data).  Reads are compared: a difference is reported with the
 * request and the first differing offset, and the read fails with -EIO.
 * Requests whose two results differ are reported and fail with -EIO too.
 * QEMU's blkverify aborts the process instead (docs/api-deviations.md).
 *
 * Options (QAPI's BlockdevOptionsBlkverify): test, raw (references or
 * definitions).  Filename: "blkverify:RAW:TEST".
 */
#include "block/driver.h"
#include "util/cutils.h"

#define BLKVERIFY_PREFIX "blkverify:"

typedef struct BDRVBlkverifyState {
    BdrvChild *test_file;   /* the image under test; bs->file is "raw" */
} BDRVBlkverifyState;

static QemuOptsList blkverify_runtime_opts = {
    .name = "blkverify",
    .desc = {
        { .name = "x-raw", .type = QEMU_OPT_STRING,
          .help = "[internal use only] the raw image from the filename" },
        { .name = "x-image", .type = QEMU_OPT_STRING,
          .help = "[internal use only] the test image from the filename" },
        { /* end of list */ }
    },
};

/* "blkverify:RAW:TEST" into "x-raw" and "x-image" */
static void blkverify_parse_filename(const char *filename, QDict *options,
                                     Error **errp)
{
    const char *colon;

    if (!strstart(filename, BLKVERIFY_PREFIX, &filename)) {
        error_setg(errp, "File name '%s' must start with '" BLKVERIFY_PREFIX
                   "'", filename);
        return;
    }
    colon = strchr(filename, ':');
    if (!colon || colon == filename) {
        error_setg(errp, "blkverify requires a raw image and a test image "
                   "path in '%s'", filename);
        return;
    }
    g_autofree char *raw = g_strndup(filename, colon - filename);

    qdict_put_str(options, "x-raw", raw);
    qdict_put_str(options, "x-image", colon + 1);
}

static int blkverify_open(BlockDriverState *bs, QDict *options, int flags,
                          Error **errp)
{
    BDRVBlkverifyState *s = bs->opaque;
    QemuOpts *opts = qemu_opts_create(&blkverify_runtime_opts, NULL, 0,
                                      &error_abort);
    int ret = -EINVAL;

    if (!qemu_opts_absorb_qdict(opts, options, errp)) {
        goto out;
    }
    if (!bdrv_open_child(qemu_opt_get(opts, "x-raw"), options, "raw", bs,
                         &child_of_bds,
                         BDRV_CHILD_FILTERED | BDRV_CHILD_PRIMARY, false,
                         errp)) {
        goto out;
    }
    s->test_file = bdrv_open_child(qemu_opt_get(opts, "x-image"), options,
                                   "test", bs, &child_of_bds, BDRV_CHILD_DATA,
                                   false, errp);
    if (s->test_file) {
        ret = 0;
    }
out:
    qemu_opts_del(opts);
    return ret;
}

static void blkverify_refresh_limits(BlockDriverState *bs, Error **errp)
{
    BDRVBlkverifyState *s = bs->opaque;

    bs->bl.request_alignment = MAX(bs->bl.request_alignment,
                                   s->test_file->bs->bl.request_alignment);
}

static int64_t coroutine_fn blkverify_co_getlength(BlockDriverState *bs)
{
    BDRVBlkverifyState *s = bs->opaque;

    return bdrv_co_getlength(s->test_file->bs);
}

/* Both children returned @test and @raw: -EIO (reported) unless equal */
static int blkverify_results(const char *op, int64_t offset, int64_t bytes,
                             int test, int raw)
{
    if (test != raw) {
        error_report("blkverify: %s offset=%" PRId64 " bytes=%" PRId64
                     " return value mismatch %d != %d", op, offset, bytes,
                     test, raw);
        return -EIO;
    }
    return test;
}

static int coroutine_fn blkverify_co_preadv_part(BlockDriverState *bs,
                                                 int64_t offset,
                                                 int64_t bytes,
                                                 QEMUIOVector *qiov,
                                                 size_t qiov_offset,
                                                 BdrvRequestFlags flags)
{
    BDRVBlkverifyState *s = bs->opaque;
    uint8_t *raw_buf = qemu_try_blockalign(bs->file->bs, (size_t)bytes);
    g_autofree uint8_t *test_buf = NULL;
    int ret, raw_ret;

    if (!raw_buf) {
        return -ENOMEM;
    }
    ret = bdrv_co_preadv_part(s->test_file, offset, bytes, qiov, qiov_offset,
                              flags);
    raw_ret = bdrv_co_pread(bs->file, offset, bytes, raw_buf, flags);
    ret = blkverify_results("read", offset, bytes, ret, raw_ret);
    if (ret == 0) {
        int64_t at = 0;

        test_buf = g_malloc((size_t)bytes);
        qemu_iovec_to_buf(qiov, qiov_offset, test_buf, (size_t)bytes);
        while (at < bytes && test_buf[at] == raw_buf[at]) {
            at++;
        }
        if (at < bytes) {
            error_report("blkverify: read offset=%" PRId64 " bytes=%" PRId64
                         " contents mismatch at offset %" PRId64, offset,
                         bytes, offset + at);
            ret = -EIO;
        }
    }
    qemu_vfree(raw_buf);
    return ret;
}

static int coroutine_fn blkverify_co_pwritev_part(BlockDriverState *bs,
                                                  int64_t offset,
                                                  int64_t bytes,
                                                  QEMUIOVector *qiov,
                                                  size_t qiov_offset,
                                                  BdrvRequestFlags flags)
{
    BDRVBlkverifyState *s = bs->opaque;
    int ret = bdrv_co_pwritev_part(s->test_file, offset, bytes, qiov,
                                   qiov_offset, flags);
    int raw_ret = bdrv_co_pwritev_part(bs->file, offset, bytes, qiov,
                                       qiov_offset, flags);

    return blkverify_results("write", offset, bytes, ret, raw_ret);
}

static int coroutine_fn blkverify_co_pwrite_zeroes(BlockDriverState *bs,
                                                   int64_t offset,
                                                   int64_t bytes,
                                                   BdrvRequestFlags flags)
{
    BDRVBlkverifyState *s = bs->opaque;
    int ret = bdrv_co_pwrite_zeroes(s->test_file, offset, bytes, flags);
    int raw_ret = bdrv_co_pwrite_zeroes(bs->file, offset, bytes, flags);

    return blkverify_results("write-zeroes", offset, bytes, ret, raw_ret);
}

static int coroutine_fn blkverify_co_flush(BlockDriverState *bs)
{
    BDRVBlkverifyState *s = bs->opaque;
    int ret = bdrv_co_flush(s->test_file->bs);
    int raw_ret = bdrv_co_flush(bs->file->bs);

    return ret < 0 ? ret : raw_ret;
}

BlockDriver bdrv_blkverify = {
    .format_name = "blkverify",
    .protocol_name = "blkverify",
    .instance_size = sizeof(BDRVBlkverifyState),
    .is_filter = true,

    .bdrv_parse_filename = blkverify_parse_filename,
    .bdrv_open = blkverify_open,
    .bdrv_child_perm = bdrv_filter_default_perms,
    .bdrv_refresh_limits = blkverify_refresh_limits,
    .bdrv_co_getlength = blkverify_co_getlength,

    .bdrv_co_preadv_part = blkverify_co_preadv_part,
    .bdrv_co_pwritev_part = blkverify_co_pwritev_part,
    .bdrv_co_pwrite_zeroes = blkverify_co_pwrite_zeroes,
    .bdrv_co_flush = blkverify_co_flush,
};
