/*
 * drydock-img bitmap: qemu-img bitmap's options and checks.  drydock's
 * block layer has no dirty bitmap API yet, so once the image opened every
 * operation fails with a message that says so (exit 1); the options are
 * parsed and validated as qemu-img does, so scripts fail the same way.
 */
#include "img-common.h"

typedef struct ImgBitmapArgs {
    ImgOpenArgs o;
    const char *op, *merge_src, *src_file;
    int64_t granularity;
} ImgBitmapArgs;

static int img_bitmap_opt(void *opaque, int c, const char *arg)
{
    ImgBitmapArgs *a = opaque;
    static const char *const ops[] = {
        [IMG_OPT_ADD - IMG_OPT_ADD] = "add",
        [IMG_OPT_REMOVE - IMG_OPT_ADD] = "remove",
        [IMG_OPT_CLEAR - IMG_OPT_ADD] = "clear",
        [IMG_OPT_ENABLE - IMG_OPT_ADD] = "enable",
        [IMG_OPT_DISABLE - IMG_OPT_ADD] = "disable",
        [IMG_OPT_MERGE - IMG_OPT_ADD] = "merge",
    };

    switch (c) {
    case 'b': a->src_file = arg; return 0;
    case 'F': return 0;
    case 'g':
    case IMG_OPT_GRANULARITY:
        a->granularity = img_parse_size_arg(arg, "granularity");
        return a->granularity < 0 ? -1 : 0;
    case IMG_OPT_ADD: case IMG_OPT_REMOVE: case IMG_OPT_CLEAR:
    case IMG_OPT_ENABLE: case IMG_OPT_DISABLE: case IMG_OPT_MERGE:
        a->op = a->op ? a->op : ops[c - IMG_OPT_ADD];
        if (c == IMG_OPT_MERGE) {
            a->merge_src = arg;
        }
        return 0;
    }
    return IMG_OPT_NOT_MINE;
}

static int img_bitmap_parse(ImgBitmapArgs *a, int argc, char **argv)
{
    if (img_getopt(argc, argv, ":b:f:F:g:h", &a->o, img_bitmap_opt, a) < 0) {
        return -1;
    }
    if (!a->op) {
        error_report("Need at least one of --add, --remove, --clear, "
                     "--enable, --disable, or --merge");
        return -1;
    }
    if (a->granularity && strcmp(a->op, "add")) {
        error_report("granularity only supported with --add");
        return -1;
    }
    if (a->src_file && !a->merge_src) {
        error_report("-b requires --merge");
        return -1;
    }
    if (optind != argc - 2) {
        error_report("Expecting filename and bitmap name");
        return -1;
    }
    return img_check_open_args(&a->o) ? 0 : -1;
}

int img_bitmap(int argc, char **argv)
{
    ImgBitmapArgs a = { 0 };
    BlockBackend *blk;

    if (img_bitmap_parse(&a, argc, argv) < 0) {
        return 1;
    }
    blk = img_open(&a.o, argv[optind], BDRV_O_RDWR);
    if (!blk) {
        return 1;
    }
    error_report("Operation %s on bitmap %s failed: Persistent dirty bitmaps "
                 "are not supported by drydock's block layer yet (format "
                 "'%s')", a.op, argv[optind + 1],
                 bdrv_get_format_name(blk_bs(blk)));
    blk_unref(blk);
    return 1;
}
