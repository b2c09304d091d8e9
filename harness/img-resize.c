/*
 * drydock-img resize: [+|-]SIZE, --shrink, --preallocation, -f, -q,
 * --image-opts, --object.  The size is taken off argv before getopt, so
 * "-- -1M" and a bare "-1M" both work as in qemu-img.
 */
#include "img-common.h"

#include "util/cutils.h"


static int img_resize_size(const char *arg, int *relative, int64_t *n)
{
    uint64_t v;
    Error *err = NULL;

    int ret;

    *relative = arg[0] == '+' ? 1 : arg[0] == '-' ? -1 : 0;
    ret = qemu_strtosz(arg + (*relative != 0), NULL, &v);
    if (ret == -ERANGE) {
        error_report("Value '%s' is out of range for parameter 'size'",
                     arg + (*relative != 0));
        return -EINVAL;
    }
    if (ret == 0 && v > INT64_MAX) {
        /* qemu-img sees it wrap to a negative size */
        error_report("New image size must be positive");
        return -EINVAL;
    }
    if (ret < 0) {
        error_setg(&err, "Parameter 'size' expects a non-negative number "
                   "below 2^64");
        error_append_hint(&err, "Optional suffix k, M, G, T, P or E means "
                          "kilo-, mega-, giga-, tera-, peta-\nand exabytes, "
                          "respectively.\n");
        error_report_err(err);
        return -EINVAL;
    }
    *n = v;
    return 0;
}

static int img_resize_do(BlockBackend *blk, int relative, int64_t n,
                         bool shrink, PreallocMode prealloc, bool quiet)
{
    int64_t current = blk_getlength(blk), total;
    Error *err = NULL;

    total = relative ? current + relative * n : n;
    if (total <= 0) {
        error_report("New image size must be positive");
        return 1;
    }
    if (total < current && !shrink) {
        error_report("Use the --shrink option to perform a shrink operation.");
        warn_report("Shrinking an image will delete all data beyond the "
                    "shrunken image's end. Before performing such an "
                    "operation, make sure there is no important data there.");
        return 1;
    }
    if (blk_truncate(blk, total, false, prealloc, 0, &err) < 0) {
        error_report_err(err);
        return 1;
    }
    if (!quiet) {
        printf("Image resized.\n");
    }
    return 0;
}

typedef struct ImgResizeArgs {
    ImgOpenArgs o;
    bool shrink;
    PreallocMode prealloc;
} ImgResizeArgs;

static int img_resize_opt(void *opaque, int c, const char *arg)
{
    static const char *const modes[] = { "off", "metadata", "falloc", "full" };
    ImgResizeArgs *a = opaque;

    switch (c) {
    case IMG_OPT_SHRINK:
        a->shrink = true;
        return 0;
    case IMG_OPT_PREALLOC:
        for (a->prealloc = 0; a->prealloc < PREALLOC_MODE__MAX; a->prealloc++) {
            if (!strcmp(arg, modes[a->prealloc])) {
                return 0;
            }
        }
        error_report("Invalid preallocation mode '%s'", arg);
        return -1;
    }
    return IMG_OPT_NOT_MINE;
}

int img_resize(int argc, char **argv)
{
    ImgResizeArgs a = { .prealloc = PREALLOC_MODE_OFF };
    const char *size;
    BlockBackend *blk;
    int64_t n;
    int relative, ret;

    if (argc < 3) {
        tool_usage_error("Not enough arguments");
        return 1;
    }
    /* The size is last and may be negative: keep it away from getopt */
    size = argv[--argc];
    if (img_getopt(argc, argv, ":f:hq", &a.o, img_resize_opt, &a) < 0) {
        return 1;
    }
    if (optind != argc - 1) {
        tool_usage_error("Expecting image file name and size");
        return 1;
    }
    if (!img_check_open_args(&a.o)) {
        return 1;
    }
    if (img_resize_size(size, &relative, &n) < 0) {
        return 1;
    }
    blk = img_open(&a.o, argv[optind], BDRV_O_RDWR | BDRV_O_RESIZE);
    if (!blk) {
        return 1;
    }
    ret = img_resize_do(blk, relative, n, a.shrink, a.prealloc, a.o.quiet);
    blk_unref(blk);
    return ret;
}
