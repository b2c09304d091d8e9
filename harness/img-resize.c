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

int img_resize(int argc, char **argv)
{
    static const char *const modes[] = { "off", "metadata", "falloc", "full" };
    ImgOpenArgs o = { 0 };
    const char *size;
    bool shrink = false;
    PreallocMode prealloc = PREALLOC_MODE_OFF;
    BlockBackend *blk;
    int64_t n;
    int c, r, relative, ret;

    if (argc < 3) {
        tool_usage_error("Not enough arguments");
        return 1;
    }
    /* The size is last and may be negative: keep it away from getopt */
    size = argv[--argc];
    while ((c = getopt_long(argc, argv, ":f:hq", img_long_options, NULL))
           != -1) {
        r = img_common_opt(c, optarg, &o);
        if (r < 0) {
            return 1;
        } else if (r) {
            continue;
        }
        switch (c) {
        case IMG_OPT_SHRINK:
            shrink = true;
            break;
        case IMG_OPT_PREALLOC:
            for (prealloc = 0; prealloc < PREALLOC_MODE__MAX; prealloc++) {
                if (!strcmp(optarg, modes[prealloc])) {
                    break;
                }
            }
            if (prealloc == PREALLOC_MODE__MAX) {
                error_report("Invalid preallocation mode '%s'", optarg);
                return 1;
            }
            break;
        default:
            return img_getopt_error(c, argv);
        }
    }
    if (optind != argc - 1) {
        tool_usage_error("Expecting image file name and size");
        return 1;
    }
    if (!img_check_open_args(&o)) {
        return 1;
    }
    if (img_resize_size(size, &relative, &n) < 0) {
        return 1;
    }
    blk = img_open(&o, argv[optind], BDRV_O_RDWR | BDRV_O_RESIZE);
    if (!blk) {
        return 1;
    }
    ret = img_resize_do(blk, relative, n, shrink, prealloc, o.quiet);
    blk_unref(blk);
    return ret;
}
