/*
 * drydock-img convert: one or more sources (concatenated) into a new or
 * existing (-n) target, with qemu-img's options: -f, -O, -o, -B/-F (a
 * backing file for the target), -c (compressed clusters, where the format
 * writes them), -S (the zero-detection unit; 0 writes everything), -p,
 * -m/-W (accepted: requests here are sequential), -t/-T, -n,
 * --target-image-opts, --image-opts, -U, --object.
 */
#include "img-common.h"

#include "util/cutils.h"

#define IMG_CONVERT_CHUNK (1 << 20)

typedef struct ImgConvertArgs {
    ImgOpenArgs src;
    const char *out_fmt, *out_cache, *backing, *backing_fmt;
    char *options;
    bool no_create, compress, progress, target_image_opts, target_is_zero;
    int64_t sparse;          /* bytes; 0: never skip zeroes */
} ImgConvertArgs;

static bool img_convert_cache_ok(const char *mode, const char *what)
{
    int flags = 0;
    bool wt;

    if (mode && bdrv_parse_cache_mode(mode, &flags, &wt) < 0) {
        error_report("Invalid %s option: %s", what, mode);
        return false;
    }
    return true;
}

/* The options convert has beyond the common ones; -1 after a message */
static int img_convert_opt(void *opaque, int c, const char *arg)
{
    ImgConvertArgs *a = opaque;
    int64_t v;
    int m;

    switch (c) {
    case 'O': a->out_fmt = arg; return 0;
    case 'o':
        return img_add_option_list(&a->options, arg) ? 0 : -1;
    case 'B': a->backing = arg; return 0;
    case 'F': a->backing_fmt = arg; return 0;
    case 'n': a->no_create = true; return 0;
    case 'c': a->compress = true; return 0;
    case 'p': a->progress = true; return 0;
    case 'W': return 0;
    case 't': a->out_cache = arg; return 0;
    case 'T': a->src.cache = arg; return 0;
    case IMG_OPT_TARGET_IMAGE_OPTS: a->target_image_opts = true; return 0;
    case IMG_OPT_TARGET_IS_ZERO: a->target_is_zero = true; return 0;
    case 'm':
        if (qemu_strtoi(arg, NULL, 0, &m) < 0 || m < 1 || m > 16) {
            error_report("Invalid number of coroutines. Allowed number of "
                         "coroutines is between 1 and 16");
            return -1;
        }
        return 0;
    case 'S':
        v = img_parse_size_arg(arg, "buffer size for sparse output");
        if (v < 0) {
            return -1;
        }
        if (v > INT_MAX || !QEMU_IS_ALIGNED(v, BDRV_SECTOR_SIZE)) {
            error_report("Invalid buffer size for sparse output specified. "
                         "Must be a multiple of 512 and at most %d", INT_MAX);
            return -1;
        }
        a->sparse = v;
        return 0;
    }
    return IMG_OPT_NOT_MINE;
}

static int img_convert_check_args(ImgConvertArgs *a, int nargs)
{
    /* a bad -t shows when the target opens (qemu-img creates it first) */
    if (!img_convert_cache_ok(a->src.cache, "source cache") ||
        !img_check_open_args(&a->src)) {
        return -1;
    }
    if (img_options_want_help(a->options)) {
        return 0;
    }
    if (nargs < 2) {
        error_report("Must specify image file name");
        return -1;
    }
    if (a->target_image_opts && !a->no_create) {
        error_report("--target-image-opts requires use of -n flag");
        return -1;
    }
    if (a->no_create && a->options) {
        error_report("-o has no effect when skipping image creation");
        return -1;
    }
    if (a->no_create && a->backing) {
        error_report("-B has no effect when skipping image creation");
        return -1;
    }
    if (a->target_is_zero && !a->no_create) {
        error_report("--target-is-zero requires use of -n flag");
        return -1;
    }
    return 0;
}

static int img_convert_parse(ImgConvertArgs *a, int argc, char **argv)
{
    if (img_getopt(argc, argv, ":hf:O:o:B:F:cpnm:WS:t:T:qU", &a->src,
                   img_convert_opt, a) < 0) {
        return -1;
    }
    return img_convert_check_args(a, argc - optind);
}

typedef struct ImgConvert {
    BlockBackend *dst;
    bool target_zeroed;
    int cluster;             /* compressed writes: the target's cluster */
    int64_t sparse;
    ImgProgress progress;
    int64_t done, total;
} ImgConvert;

/*
 * Write @n bytes of @buf at @offset: runs of zero -S units are skipped
 * (zeroed target) or written as zeroes; a compressed cluster is one unit
 */
static int img_convert_write(ImgConvert *cv, int64_t offset,
                             const uint8_t *buf, int64_t n, bool compress)
{
    bool detect = cv->sparse || compress;
    int64_t unit = compress || !cv->sparse ? n : cv->sparse, i, run;
    int ret = 0;

    for (i = 0; i < n && ret >= 0; i += run) {
        bool zero = detect && buffer_is_zero(buf + i, MIN(unit, n - i));

        run = MIN(unit, n - i);
        while (i + run < n) {
            int64_t next = MIN(unit, n - i - run);

            if (buffer_is_zero(buf + i + run, next) != zero) {
                break;
            }
            run += next;
        }
        if (zero) {
            ret = cv->target_zeroed ? 0
                : blk_pwrite_zeroes(cv->dst, offset + i, run, 0);
        } else {
            ret = blk_pwrite(cv->dst, offset + i, run, buf + i,
                             compress ? BDRV_REQ_WRITE_COMPRESSED : 0);
        }
    }
    return ret;
}

/* Copy all of @src to the target at @dst_offset */
static int img_convert_copy(ImgConvert *cv, BlockBackend *src,
                            int64_t dst_offset)
{
    int64_t len = blk_getlength(src), offset;
    int64_t chunk = cv->cluster ? cv->cluster : IMG_CONVERT_CHUNK;
    uint8_t *buf = g_malloc(chunk);
    int ret = 0;

    for (offset = 0; offset < len && ret >= 0; offset += chunk) {
        int64_t n = MIN(chunk, len - offset);

        ret = blk_pread(src, offset, n, buf, 0);
        if (ret < 0) {
            error_report("error while reading at byte %" PRId64 ": %s",
                         offset, strerror(-ret));
            break;
        }
        /* a partial last cluster is written uncompressed */
        ret = img_convert_write(cv, dst_offset + offset, buf, n,
                                cv->cluster && n == cv->cluster);
        if (ret < 0) {
            error_report("error while writing at byte %" PRId64 ": %s",
                         dst_offset + offset, strerror(-ret));
        }
        cv->done += n;
        img_progress_print(&cv->progress, cv->done, cv->total);
    }
    g_free(buf);
    return ret < 0 ? 1 : 0;
}

/* Create (unless -n) and open the target of @size bytes */
static BlockBackend *img_convert_target(const ImgConvertArgs *a,
                                        const char *out, int64_t size)
{
    ImgOpenArgs o = { .fmt = a->target_image_opts ? NULL : a->out_fmt,
                      .cache = a->out_cache ?: "unsafe",
                      .image_opts = a->target_image_opts };
    Error *err = NULL;

    BlockDriver *drv = a->target_image_opts ? NULL
                                            : bdrv_find_format(a->out_fmt);

    if (!a->target_image_opts && !drv) {
        error_report("Unknown file format '%s'", a->out_fmt);
        return NULL;
    }
    /* qemu-img refuses before it creates anything */
    if (drv && a->compress && !drv->bdrv_co_pwritev_compressed_part) {
        error_report("Compression not supported for this file format");
        return NULL;
    }
    /* qemu-img checks -o before it creates anything */
    if (!a->no_create &&
        img_check_create_options(a->out_fmt, out, a->options, NULL) < 0) {
        return NULL;
    }
    if (!a->no_create) {
        bdrv_img_create(out, a->out_fmt, a->backing, a->backing_fmt,
                        a->options, size, BDRV_O_NO_BACKING, true, &err);
        if (err) {
            if (!a->backing || !strstr(error_get_pretty(err), "Backing")) {
                error_prepend(&err, "%s: error while converting %s: ", out,
                              a->out_fmt);
            }
            error_report_err(err);
            return NULL;
        }
    }
    return img_open(&o, out, BDRV_O_RDWR | BDRV_O_NO_BACKING);
}

/* The target's zero-init and cluster size decide how zeroes and -c go */
static int img_convert_setup(ImgConvert *cv, const ImgConvertArgs *a)
{
    BlockDriverState *bs = blk_bs(cv->dst);
    BlockDriverInfo bdi;

    cv->sparse = a->sparse;
    cv->target_zeroed = a->target_is_zero ||
        (!a->no_create && !a->backing && bdrv_has_zero_init(bs));
    if (!a->compress) {
        return 0;
    }
    if (!bdrv_supports_compressed_writes(bs)) {
        error_report("Compression not supported for this file format");
        return -1;
    }
    if (bdrv_get_info(bs, &bdi) < 0 || bdi.cluster_size <= 0) {
        error_report("could not get block driver info");
        return -1;
    }
    cv->cluster = bdi.cluster_size;
    return 0;
}

static int img_convert_run(ImgConvertArgs *a, BlockBackend **srcs, int n,
                           const char *out)
{
    ImgConvert cv = { 0 };
    int64_t offset = 0;
    int ret = 1;

    for (int i = 0; i < n; i++) {
        cv.total += blk_getlength(srcs[i]);
    }
    cv.dst = img_convert_target(a, out, cv.total);
    if (!cv.dst || img_convert_setup(&cv, a) < 0) {
        goto out;
    }
    img_progress_init(&cv.progress, a->progress && !a->src.quiet);
    ret = 0;
    for (int i = 0; i < n && ret == 0; i++) {
        ret = img_convert_copy(&cv, srcs[i], offset);
        offset += blk_getlength(srcs[i]);
    }
    img_progress_end(&cv.progress);
out:
    blk_unref(cv.dst);
    return ret;
}

int img_convert(int argc, char **argv)
{
    ImgConvertArgs a = { .out_fmt = "raw", .sparse = 4096 };
    BlockBackend **srcs = NULL;
    int i, n = 0, ret = 1;

    if (img_convert_parse(&a, argc, argv) < 0) {
        goto out;
    }
    if (img_options_want_help(a.options)) {
        ret = img_print_option_help(a.out_fmt, NULL, false);
        goto out;
    }
    n = argc - optind - 1;
    srcs = g_new0(BlockBackend *, n);
    for (i = 0; i < n; i++) {
        srcs[i] = img_open(&a.src, argv[optind + i], 0);
        if (!srcs[i]) {
            goto out;
        }
    }
    ret = img_convert_run(&a, srcs, n, argv[argc - 1]);
out:
    for (i = 0; i < n; i++) {
        blk_unref(srcs[i]);
    }
    g_free(srcs);
    g_free(a.options);
    return ret;
}
