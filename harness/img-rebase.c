/*
 * drydock-img rebase: a new backing file for an image.  Safe mode copies
 * into the image every 512-byte sector whose content through the old
 * chain differs from the new backing file's (so the guest sees the same
 * data), then records the new name; -u only records it.  -b '' removes
 * the backing file (safe mode: the image then holds all its data).
 */
#include "img-common.h"

#define IMG_REBASE_CHUNK (1 << 20)

typedef struct ImgRebaseArgs {
    ImgOpenArgs o;
    const char *backing, *backing_fmt, *src_cache;
    bool unsafe, progress;
} ImgRebaseArgs;

static int img_rebase_opt(void *opaque, int c, const char *arg)
{
    ImgRebaseArgs *a = opaque;

    switch (c) {
    case 'b': a->backing = arg; return 0;
    case 'F': a->backing_fmt = arg; return 0;
    case 'u': a->unsafe = true; return 0;
    case 'p': a->progress = true; return 0;
    case 't': a->o.cache = arg; return 0;
    case 'T': a->src_cache = arg; return 0;
    case 'c': return 0;     /* compressed copies: written plainly here */
    }
    return IMG_OPT_NOT_MINE;
}

static int img_rebase_parse(ImgRebaseArgs *a, int argc, char **argv)
{
    if (img_getopt(argc, argv, ":hf:F:b:upt:T:qUc", &a->o, img_rebase_opt,
                   a) < 0) {
        return -1;
    }
    if (optind != argc - 1) {
        tool_usage_error("Expecting one image file name");
        return -1;
    }
    if (!a->unsafe && !a->backing) {
        tool_usage_error("Must specify backing file (-b) or use unsafe "
                         "mode (-u)");
        return -1;
    }
    return img_check_open_args(&a->o) ? 0 : -1;
}

/* A relative backing name is relative to the image's directory */
static char *img_rebase_path(const char *image, const char *backing)
{
    const char *slash = strrchr(image, '/');

    if (backing[0] == '/' || !slash || strchr(backing, ':')) {
        return g_strdup(backing);
    }
    return g_strdup_printf("%.*s%s", (int)(slash - image + 1), image,
                           backing);
}

/* Write into @top each run of sectors where @old and @new differ */
static int img_rebase_write_diff(BlockBackend *top, int64_t offset,
                                 const uint8_t *old, const uint8_t *new,
                                 int64_t n)
{
    int64_t i = 0, run;

    while (i < n) {
        if (!memcmp(old + i, new + i, MIN((int64_t)BDRV_SECTOR_SIZE, n - i))) {
            i += BDRV_SECTOR_SIZE;
            continue;
        }
        for (run = i; run < n && memcmp(old + run, new + run,
                                        MIN((int64_t)BDRV_SECTOR_SIZE, n - run));
             run += BDRV_SECTOR_SIZE) {
        }
        run = MIN(run, n);
        if (blk_pwrite(top, offset + i, run - i, old + i, 0) < 0) {
            return -EIO;
        }
        i = run;
    }
    return 0;
}

/* Safe mode: keep what the guest sees when the backing file changes */
static int img_rebase_copy(BlockBackend *top, BlockBackend *new_blk,
                           ImgProgress *p)
{
    int64_t len = blk_getlength(top), new_len = 0, offset, n;
    uint8_t *old = g_malloc(IMG_REBASE_CHUNK);
    uint8_t *new = g_malloc(IMG_REBASE_CHUNK);
    int ret = 0;

    if (new_blk) {
        new_len = blk_getlength(new_blk);
    }
    for (offset = 0; offset < len && ret >= 0; offset += n) {
        ret = bdrv_is_allocated(blk_bs(top), offset,
                                MIN(IMG_REBASE_CHUNK, len - offset), &n);
        if (ret == 0) {
            int64_t in_new = MAX(0, MIN(n, new_len - offset));

            memset(new, 0, n);
            ret = blk_pread(top, offset, n, old, 0);
            if (ret >= 0 && in_new) {
                ret = blk_pread(new_blk, offset, in_new, new, 0);
            }
            if (ret >= 0) {
                ret = img_rebase_write_diff(top, offset, old, new, n);
            }
        }
        img_progress_print(p, offset + n, len);
    }
    g_free(old);
    g_free(new);
    return ret < 0 ? ret : 0;
}

/* The new backing file, read-only beside the image (safe mode) */
static BlockBackend *img_rebase_open_new(const ImgRebaseArgs *a,
                                         const char *image)
{
    ImgOpenArgs o = { .fmt = a->backing_fmt, .cache = a->src_cache,
                      .force_share = a->o.force_share };
    g_autofree char *path = img_rebase_path(image, a->backing);
    QDict *opts = qdict_new();
    Error *err = NULL;
    BlockBackend *blk;

    if (o.fmt) {
        qdict_put_str(opts, "driver", o.fmt);
    }
    blk = blk_new_open(path, NULL, opts, 0, &err);
    if (!blk) {
        error_report("Could not open new backing file '%s': %s", a->backing,
                     error_get_pretty(err));
        error_free(err);
    }
    return blk;
}

static int img_rebase_run(const ImgRebaseArgs *a, BlockBackend *top,
                          const char *image)
{
    const char *name = a->backing && *a->backing ? a->backing : NULL;
    BlockBackend *new_blk = NULL;
    ImgProgress p;
    int ret = 0;

    if (name && !a->backing_fmt) {
        /* qemu-img refuses before copying anything */
        error_report("Could not change the backing file to '%s': backing "
                     "format must be specified", name);
        return 1;
    }
    if (!a->unsafe) {
        if (name) {
            new_blk = img_rebase_open_new(a, image);
            if (!new_blk) {
                return 1;
            }
        }
        img_progress_init(&p, a->progress && !a->o.quiet);
        ret = img_rebase_copy(top, new_blk, &p);
        img_progress_end(&p);
        blk_unref(new_blk);
        if (ret < 0) {
            error_report("Error while rebasing: %s", strerror(-ret));
            return 1;
        }
    }
    ret = bdrv_change_backing_file(blk_bs(top), name,
                                   name ? a->backing_fmt : NULL, true);
    if (ret < 0) {
        error_report("Could not change the backing file to '%s': %s",
                     name ? name : "", strerror(-ret));
        return 1;
    }
    return 0;
}

int img_rebase(int argc, char **argv)
{
    ImgRebaseArgs a = { .o.cache = "writeback" };
    BlockBackend *top;
    int ret;

    if (img_rebase_parse(&a, argc, argv) < 0) {
        return 1;
    }
    top = img_open(&a.o, argv[optind],
                   BDRV_O_RDWR | (a.unsafe ? BDRV_O_NO_BACKING : 0));
    if (!top) {
        return 1;
    }
    ret = img_rebase_run(&a, top, argv[optind]);
    blk_unref(top);
    return ret;
}
