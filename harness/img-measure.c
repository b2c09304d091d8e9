/*
 * drydock-img measure: the size a new image of -O FMT (with -o options)
 * needs, for --size N bytes or for an existing image's data, through the
 * core's bdrv_measure (the format's bdrv_measure callback).
 */
#include "img-common.h"

#include "util/qjson.h"

typedef struct ImgMeasureArgs {
    ImgOpenArgs o;
    const char *out_fmt;
    char *options;
    bool json;
    int64_t size;     /* -1: from the image */
} ImgMeasureArgs;

static int img_measure_opt(void *opaque, int c, const char *arg)
{
    ImgMeasureArgs *a = opaque;

    switch (c) {
    case 'O': a->out_fmt = arg; return 0;
    case 'o': return img_add_option_list(&a->options, arg) ? 0 : -1;
    case 'l': return 0;     /* a snapshot of the input: not supported */
    case IMG_OPT_OUTPUT:
        return tool_parse_output(arg, &a->json) ? 0 : -1;
    case IMG_OPT_SIZE:
        a->size = tool_parse_img_size(arg);
        return a->size < 0 ? -1 : 0;
    }
    return IMG_OPT_NOT_MINE;
}

static int img_measure_parse(ImgMeasureArgs *a, int argc, char **argv)
{
    if (img_getopt(argc, argv, ":hf:O:o:l:U", &a->o, img_measure_opt, a) < 0) {
        return -1;
    }
    if (img_options_want_help(a->options)) {
        return 0;
    }
    if (a->size >= 0 && optind < argc) {
        error_report("--size N cannot be used together with a filename.");
        return -1;
    }
    if (a->size < 0 && optind != argc - 1) {
        error_report("Either --size N or one filename must be specified.");
        return -1;
    }
    return img_check_open_args(&a->o) ? 0 : -1;
}

static void img_measure_print(const BlockMeasureInfo *info, bool json)
{
    if (json) {
        QDict *d = qdict_new();
        g_autofree char *s = NULL;

        qdict_put_int(d, "required", info->required);
        qdict_put_int(d, "fully-allocated", info->fully_allocated);
        if (info->has_bitmaps) {
            qdict_put_int(d, "bitmaps", (int64_t)info->bitmaps);
        }
        s = qobject_to_json_str(QOBJECT(d), true);
        printf("%s\n", s);
        qobject_unref(d);
        return;
    }
    printf("required size: %" PRIu64 "\n", (uint64_t)info->required);
    printf("fully allocated size: %" PRIu64 "\n",
           (uint64_t)info->fully_allocated);
    if (info->has_bitmaps) {
        printf("bitmaps size: %" PRIu64 "\n", info->bitmaps);
    }
}

/* The creation options of -O FMT (and the file protocol), -o applied */
static QemuOpts *img_measure_opts(const ImgMeasureArgs *a, BlockDriver *drv,
                                  QemuOptsList **list)
{
    BlockDriver *proto = bdrv_find_protocol("file", true, NULL);
    Error *err = NULL;
    QemuOpts *opts;

    *list = qemu_opts_append(NULL, drv->create_opts);
    if (proto && proto->create_opts) {
        *list = qemu_opts_append(*list, proto->create_opts);
    }
    opts = qemu_opts_create(*list, NULL, 0, &error_abort);
    if (a->options && !qemu_opts_do_parse(opts, a->options, NULL, &err)) {
        error_report_err(err);
        qemu_opts_del(opts);
        return NULL;
    }
    if (a->size >= 0) {
        qemu_opt_set_number(opts, BLOCK_OPT_SIZE, a->size, &error_abort);
    }
    return opts;
}

static int img_measure_run(const ImgMeasureArgs *a, const char *filename)
{
    BlockDriver *drv = bdrv_find_format(a->out_fmt);
    QemuOptsList *list = NULL;
    QemuOpts *opts = NULL;
    BlockBackend *blk = NULL;
    BlockMeasureInfo *info = NULL;
    Error *err = NULL;
    int ret = 1;

    if (!drv || !drv->create_opts) {
        error_report(drv ? "Format driver '%s' does not support image "
                     "creation" : "Unknown file format '%s'", a->out_fmt);
        return 1;
    }
    if (filename) {
        blk = img_open(&a->o, filename, 0);
        if (!blk) {
            return 1;
        }
    }
    opts = img_measure_opts(a, drv, &list);
    if (opts) {
        info = bdrv_measure(drv, opts, blk ? blk_bs(blk) : NULL, &err);
        if (!info) {
            error_report_err(err);
        } else {
            img_measure_print(info, a->json);
            qapi_free_BlockMeasureInfo(info);
            ret = 0;
        }
        qemu_opts_del(opts);
    }
    qemu_opts_free(list);
    blk_unref(blk);
    return ret;
}

int img_measure(int argc, char **argv)
{
    ImgMeasureArgs a = { .out_fmt = "raw", .size = -1 };
    int ret = 1;

    if (img_measure_parse(&a, argc, argv) < 0) {
        goto out;
    }
    if (img_options_want_help(a.options)) {
        ret = img_print_option_help(a.out_fmt, NULL, false);
        goto out;
    }
    ret = img_measure_run(&a, optind < argc ? argv[optind] : NULL);
out:
    g_free(a.options);
    return ret;
}
