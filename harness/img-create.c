/*
 * drydock-img create: qemu-img create's options, messages and exit codes.
 */
#include "img-common.h"

typedef struct ImgCreateArgs {
    const char *fmt, *base, *base_fmt, *filename;
    char *options;
    bool quiet;
    int flags;
    int64_t size;
} ImgCreateArgs;

static int img_create_parse(ImgCreateArgs *a, int argc, char **argv)
{
    int c;

    while ((c = getopt_long(argc, argv, ":F:b:f:ho:qu", img_long_options,
                            NULL)) != -1) {
        switch (c) {
        case 'F': a->base_fmt = optarg; break;
        case 'b': a->base = optarg; break;
        case 'f': a->fmt = optarg; break;
        case 'o':
            if (!img_add_option_list(&a->options, optarg)) {
                return -1;
            }
            break;
        case 'q': a->quiet = true; break;
        case 'u': a->flags |= BDRV_O_NO_BACKING; break;
        case IMG_OPT_OBJECT:
            if (tool_object_add(optarg) < 0) {
                return -1;
            }
            break;
        default:
            return -img_getopt_error(c, argv);
        }
    }
    if (img_options_want_help(a->options)) {
        /* with a file name, its protocol's options are listed too */
        a->filename = optind < argc ? argv[optind] : NULL;
        return 0;
    }
    if (optind >= argc) {
        tool_usage_error("Expecting image file name");
        return -1;
    }
    a->filename = argv[optind++];
    if (optind < argc) {
        a->size = tool_parse_img_size(argv[optind++]);
        if (a->size < 0) {
            return -1;
        }
    }
    if (optind != argc) {
        tool_usage_error("Unexpected argument: %s", argv[optind]);
        return -1;
    }
    return 0;
}

/*
 * Without -u the backing file must open (qemu-img checks even when the
 * size is given) and needs a format
 */
static int img_create_check_backing(const ImgCreateArgs *a)
{
    QDict *opts;
    Error *err = NULL;
    BlockBackend *blk;

    if (!a->base || (a->flags & BDRV_O_NO_BACKING) || !*a->base) {
        return 0;
    }
    if (strcmp(a->fmt, "raw") == 0) {
        return 0;       /* bdrv_img_create says raw has no backing file */
    }
    opts = qdict_new();
    if (a->base_fmt) {
        qdict_put_str(opts, "driver", a->base_fmt);
    }
    qdict_put_bool(opts, "force-share", true);
    blk = blk_new_open(a->base, NULL, opts, BDRV_O_NO_BACKING | BDRV_O_NO_IO,
                       &err);
    if (!blk) {
        error_report("%s: %s", a->filename, error_get_pretty(err));
        error_free(err);
        error_printf("Could not open backing image.\n");
        return -1;
    }
    if (!a->base_fmt) {
        /* qemu-img's hint has no newline */
        error_report("%s: Backing file specified without backing format",
                     a->filename);
        error_printf("Detected format of %s.",
                     bdrv_get_format_name(blk_bs(blk)));
    }
    blk_unref(blk);
    return a->base_fmt ? 0 : -1;
}

int img_create(int argc, char **argv)
{
    ImgCreateArgs a = { .fmt = "raw", .size = -1 };
    Error *err = NULL;
    int ret = 1;

    if (img_create_parse(&a, argc, argv) < 0) {
        goto out;
    }
    if (img_options_want_help(a.options)) {
        ret = img_print_option_help(a.fmt, a.filename, false);
        goto out;
    }
    if (img_check_create_options(a.fmt, a.filename, a.options,
                                 a.filename) < 0 ||
        img_create_check_backing(&a) < 0) {
        goto out;
    }
    bdrv_img_create(a.filename, a.fmt, a.base, a.base_fmt, a.options,
                    a.size < 0 ? (uint64_t)-1 : (uint64_t)a.size, a.flags,
                    a.quiet, &err);
    if (err) {
        error_prepend(&err, "%s: ", a.filename);
        error_report_err(err);
        goto out;
    }
    ret = 0;
out:
    g_free(a.options);
    return ret;
}
