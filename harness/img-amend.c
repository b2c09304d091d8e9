/*
 * drydock-img amend: change an image's options in place through the
 * core's bdrv_amend_options, which a format supports by declaring
 * amend_opts (-o help lists them).  -f, -t, -p, -q, --force,
 * --image-opts, --object.
 */
#include "img-common.h"

typedef struct ImgAmendArgs {
    ImgOpenArgs o;
    char *options;
    bool force, progress;
} ImgAmendArgs;

static int img_amend_opt(void *opaque, int c, const char *arg)
{
    ImgAmendArgs *a = opaque;

    switch (c) {
    case 'o': return img_add_option_list(&a->options, arg) ? 0 : -1;
    case 't': a->o.cache = arg; return 0;
    case 'p': a->progress = true; return 0;
    case IMG_OPT_FORCE: a->force = true; return 0;
    }
    return IMG_OPT_NOT_MINE;
}

static int img_amend_parse(ImgAmendArgs *a, int argc, char **argv)
{
    if (img_getopt(argc, argv, ":ho:f:t:pq", &a->o, img_amend_opt, a) < 0) {
        return -1;
    }
    if (!a->options) {
        tool_usage_error("Must specify options (-o)");
        return -1;
    }
    if (img_options_want_help(a->options) && a->o.fmt) {
        return 0;
    }
    return img_one_image_args(argc, &a->o);
}

static void img_amend_status(BlockDriverState *bs, int64_t offset,
                             int64_t total, void *opaque)
{
    img_progress_print(opaque, offset, total);
}

static int img_amend_run(ImgAmendArgs *a, BlockDriverState *bs)
{
    const BlockDriver *drv = bs->drv;
    Error *err = NULL;
    QemuOpts *opts;
    ImgProgress p;
    int ret;

    if (!drv || !drv->amend_opts) {
        error_report("Format driver '%s' does not support option amendment",
                     bdrv_get_format_name(bs));
        return 1;
    }
    if (img_options_want_help(a->options)) {
        return img_print_option_help(drv->format_name, NULL, true);
    }
    opts = qemu_opts_create(drv->amend_opts, NULL, 0, &error_abort);
    if (!qemu_opts_do_parse(opts, a->options, NULL, &err)) {
        error_report_err(err);
        qemu_opts_del(opts);
        return 1;
    }
    img_progress_init(&p, a->progress && !a->o.quiet);
    ret = bdrv_amend_options(bs, opts, img_amend_status, &p, a->force, &err);
    img_progress_end(&p);
    qemu_opts_del(opts);
    if (ret < 0) {
        error_report_err(err);
        return 1;
    }
    return 0;
}

int img_amend(int argc, char **argv)
{
    ImgAmendArgs a = { .o.cache = "writeback" };
    BlockBackend *blk;
    int ret = 1;

    if (img_amend_parse(&a, argc, argv) < 0) {
        goto out;
    }
    if (optind == argc && a.o.fmt) {    /* -o help -f FMT */
        ret = img_print_option_help(a.o.fmt, NULL, true);
        goto out;
    }
    blk = img_open(&a.o, argv[optind], BDRV_O_RDWR);
    if (blk) {
        ret = img_amend_run(&a, blk_bs(blk));
        blk_unref(blk);
    }
out:
    g_free(a.options);
    return ret;
}
