/*
 * "chainfmt" (chain_format.h): header = magic "CHAINFMT", the backing
 * file name at byte 16 (NUL-terminated), its format at byte 400; the data
 * follow the header.
 */
#include <stdio.h>

#include "chain_format.h"
#include "util/cutils.h"

#define CHAIN_MAGIC "CHAINFMT"
#define CHAIN_NAME_OFF 16
#define CHAIN_FMT_OFF 400

static void chain_format_header(uint8_t *hdr, const char *backing,
                                const char *fmt)
{
    memset(hdr, 0, CHAIN_HDR);
    memcpy(hdr, CHAIN_MAGIC, 8);
    if (backing) {
        pstrcpy((char *)hdr + CHAIN_NAME_OFF, CHAIN_FMT_OFF - CHAIN_NAME_OFF,
                backing);
    }
    if (fmt) {
        pstrcpy((char *)hdr + CHAIN_FMT_OFF, 16, fmt);
    }
}

static int chain_format_open_cb(BlockDriverState *bs, QDict *options,
                                int flags, Error **errp)
{
    uint8_t hdr[CHAIN_HDR];
    int ret;

    ret = bdrv_open_file_child(NULL, options, "file", bs, errp);
    if (ret < 0) {
        return ret;
    }
    ret = bdrv_pread(bs->file, 0, CHAIN_HDR, hdr, 0);
    if (ret < 0 || memcmp(hdr, CHAIN_MAGIC, 8)) {
        error_setg(errp, "Not a chainfmt image");
        return -EINVAL;
    }
    hdr[CHAIN_FMT_OFF - 1] = 0;
    hdr[CHAIN_HDR - 1] = 0;
    pstrcpy(bs->backing_file, sizeof(bs->backing_file),
            (char *)hdr + CHAIN_NAME_OFF);
    pstrcpy(bs->backing_format, sizeof(bs->backing_format),
            (char *)hdr + CHAIN_FMT_OFF);
    return 0;
}

static int64_t coroutine_fn chain_format_getlength(BlockDriverState *bs)
{
    int64_t len = bdrv_co_getlength(bs->file->bs);

    return len < 0 ? len : MAX(len - CHAIN_HDR, 0);
}

static int coroutine_fn chain_format_preadv(BlockDriverState *bs,
                                            int64_t offset, int64_t bytes,
                                            QEMUIOVector *qiov,
                                            BdrvRequestFlags flags)
{
    return bdrv_co_preadv(bs->file, offset + CHAIN_HDR, bytes, qiov, 0);
}

static int coroutine_fn chain_format_change_backing(BlockDriverState *bs,
                                                    const char *backing_file,
                                                    const char *backing_fmt)
{
    uint8_t hdr[CHAIN_HDR];

    chain_format_header(hdr, backing_file, backing_fmt);
    return bdrv_co_pwrite(bs->file, 0, CHAIN_HDR, hdr, 0);
}

BlockDriver chain_format_drv = {
    .format_name = "chainfmt",
    .is_format = true,
    .supports_backing = true,
    .bdrv_open = chain_format_open_cb,
    .bdrv_co_getlength = chain_format_getlength,
    .bdrv_co_preadv = chain_format_preadv,
    .bdrv_co_change_backing_file = chain_format_change_backing,
    .bdrv_child_perm = bdrv_default_perms,
};

void chain_format_register(void)
{
    if (!bdrv_find_format("chainfmt")) {
        bdrv_register(&chain_format_drv);
    }
}

void chain_format_create(const char *path, const char *backing, int64_t size)
{
    uint8_t hdr[CHAIN_HDR];
    FILE *f = fopen(path, "w");

    assert(f);
    chain_format_header(hdr, backing, backing ? "chainfmt" : NULL);
    assert(fwrite(hdr, 1, CHAIN_HDR, f) == CHAIN_HDR);
    assert(ftruncate(fileno(f), CHAIN_HDR + size) == 0);
    fclose(f);
}

char *chain_format_read_backing(const char *path)
{
    uint8_t hdr[CHAIN_HDR];
    FILE *f = fopen(path, "r");

    assert(f);
    assert(fread(hdr, 1, CHAIN_HDR, f) == CHAIN_HDR);
    fclose(f);
    hdr[CHAIN_FMT_OFF - 1] = 0;
    return g_strdup((char *)hdr + CHAIN_NAME_OFF);
}

BlockDriverState *chain_format_open(const char *path, const char *name,
                                    int flags, Error **errp)
{
    QDict *opts = qdict_new();

    qdict_put_str(opts, "driver", "chainfmt");
    if (name) {
        qdict_put_str(opts, "node-name", name);
    }
    return bdrv_open(path, NULL, opts, flags, errp);
}
