/*
 * drydock-img commit: what the top image (and the images down to -b
 * BASE) hold is copied into BASE (default: the backing file), BASE grows
 * to the top's size, and the top is emptied unless -d.  Built from public
 * calls (reopen, block status, BlockBackends) so -b and -d work as in
 * qemu-img; a format that cannot empty itself keeps its copies.
 */
#include "img-common.h"

#define IMG_COMMIT_CHUNK (2 * 1024 * 1024)

typedef struct ImgCommit {
    BlockBackend *top, *base;
    BlockDriverState *top_bs, *base_bs;
    ImgProgress progress;
} ImgCommit;

static int img_commit_copy(ImgCommit *c, int64_t len)
{
    uint8_t *buf = g_malloc(IMG_COMMIT_CHUNK);
    int64_t offset, n;
    int ret = 0;

    for (offset = 0; offset < len && ret >= 0; offset += n) {
        ret = bdrv_is_allocated_above(c->top_bs, c->base_bs, false, offset,
                                      MIN(IMG_COMMIT_CHUNK, len - offset),
                                      &n);
        if (ret > 0) {
            ret = blk_pread(c->top, offset, n, buf, 0);
            if (ret >= 0) {
                ret = blk_pwrite(c->base, offset, n, buf, 0);
            }
        }
        img_progress_print(&c->progress, offset + n, len);
    }
    g_free(buf);
    return ret < 0 ? ret : 0;
}

/* The BASE BlockBackend (writable, resizable), grown to @len */
static int img_commit_open_base(ImgCommit *c, int64_t len)
{
    Error *err = NULL;
    int64_t base_len;

    c->base = blk_new(bdrv_get_aio_context(c->base_bs),
                      BLK_PERM_CONSISTENT_READ | BLK_PERM_WRITE |
                      BLK_PERM_RESIZE, BLK_PERM_ALL);
    if (blk_insert_bs(c->base, c->base_bs, &err) < 0) {
        error_report_err(err);
        return -EPERM;
    }
    base_len = blk_getlength(c->base);
    if (base_len >= 0 && base_len < len &&
        blk_truncate(c->base, len, false, PREALLOC_MODE_OFF, 0, &err) < 0) {
        error_report_err(err);
        return -EIO;
    }
    return base_len < 0 ? (int)base_len : 0;
}

static int img_commit_run(ImgCommit *c, bool drop)
{
    int64_t len = blk_getlength(c->top);
    Error *err = NULL;
    bool ro = bdrv_is_read_only(c->base_bs);
    int ret;

    if (ro && bdrv_reopen_set_read_only(c->base_bs, false, &err) < 0) {
        error_report_err(err);
        return -EACCES;
    }
    ret = len < 0 ? (int)len : img_commit_open_base(c, len);
    if (ret == 0) {
        ret = img_commit_copy(c, len);
    }
    if (ret == 0) {
        ret = blk_flush(c->base);
    }
    if (ret == 0 && drop) {
        ret = bdrv_make_empty(blk_root(c->top), &err);
        if (ret == -ENOTSUP) {
            error_free(err);
            err = NULL;
            ret = 0;
        } else if (ret < 0) {
            error_report_err(err);
            err = NULL;
        }
    }
    blk_unref(c->base);
    c->base = NULL;
    if (ro && bdrv_reopen_set_read_only(c->base_bs, true, &err) < 0) {
        error_report_err(err);
    }
    return ret;
}

/* -b BASE: a node of the chain below the top, by the name it records */
static BlockDriverState *img_commit_base(BlockDriverState *top,
                                         const char *name, const char *file)
{
    BlockDriverState *base;

    if (!name) {
        return bdrv_cow_bs(bdrv_skip_filters(top));
    }
    base = bdrv_find_backing_image(top, name);
    if (!base) {
        error_report("Did not find '%s' in the backing chain of '%s'", name,
                     file);
    }
    return base;
}

typedef struct ImgCommitArgs {
    ImgOpenArgs o;
    const char *base;
    bool drop, progress;
} ImgCommitArgs;

static int img_commit_opt(void *opaque, int c, const char *arg)
{
    ImgCommitArgs *a = opaque;

    switch (c) {
    case 't': a->o.cache = arg; return 0;
    case 'b': a->base = arg; a->drop = false; return 0;
    case 'd': a->drop = false; return 0;
    case 'p': a->progress = true; return 0;
    case 'r': return 0;     /* a rate limit: nothing runs beside us */
    }
    return IMG_OPT_NOT_MINE;
}

int img_commit(int argc, char **argv)
{
    ImgCommitArgs a = { .o.cache = "unsafe", .drop = true };
    ImgCommit c = { 0 };
    int r, ret;

    if (img_getopt(argc, argv, ":f:ht:b:dpqr:", &a.o, img_commit_opt, &a) < 0 ||
        img_one_image_args(argc, &a.o) < 0) {
        return 1;
    }
    c.top = img_open(&a.o, argv[optind], BDRV_O_RDWR | BDRV_O_UNMAP);
    if (!c.top) {
        return 1;
    }
    c.top_bs = blk_bs(c.top);
    if (!bdrv_cow_bs(bdrv_skip_filters(c.top_bs))) {
        error_report("Image does not have a backing file");
        blk_unref(c.top);
        return 1;
    }
    c.base_bs = img_commit_base(c.top_bs, a.base, argv[optind]);
    ret = 1;
    if (c.base_bs) {
        img_progress_init(&c.progress, a.progress && !a.o.quiet);
        r = img_commit_run(&c, a.drop);
        img_progress_end(&c.progress);
        if (r < 0) {
            error_report("Commit failed: %s", strerror(-r));
        } else {
            ret = 0;
            if (!a.o.quiet) {
                printf("Image committed.\n");
            }
        }
    }
    blk_unref(c.top);
    return ret;
}
