/*
 * drydock-img's shared pieces (see img-common.h).
 */
#include "img-common.h"

#include "util/cutils.h"
#include "util/keyval.h"

const struct option img_long_options[] = {
    { "help", no_argument, NULL, 'h' },
    { "format", required_argument, NULL, 'f' },
    { "output", required_argument, NULL, IMG_OPT_OUTPUT },
    { "force-share", no_argument, NULL, 'U' },
    { "shrink", no_argument, NULL, IMG_OPT_SHRINK },
    { "preallocation", required_argument, NULL, IMG_OPT_PREALLOC },
    { "backing-chain", no_argument, NULL, IMG_OPT_BACKING_CHAIN },
    { "image-opts", no_argument, NULL, IMG_OPT_IMAGE_OPTS },
    { "target-image-opts", no_argument, NULL, IMG_OPT_TARGET_IMAGE_OPTS },
    { "object", required_argument, NULL, IMG_OPT_OBJECT },
    { "start-offset", required_argument, NULL, IMG_OPT_START_OFFSET },
    { "max-length", required_argument, NULL, IMG_OPT_MAX_LENGTH },
    { "pattern", required_argument, NULL, IMG_OPT_PATTERN },
    { "flush-interval", required_argument, NULL, IMG_OPT_FLUSH_INTERVAL },
    { "no-drain", no_argument, NULL, IMG_OPT_NO_DRAIN },
    { "size", required_argument, NULL, IMG_OPT_SIZE },
    { "add", no_argument, NULL, IMG_OPT_ADD },
    { "remove", no_argument, NULL, IMG_OPT_REMOVE },
    { "clear", no_argument, NULL, IMG_OPT_CLEAR },
    { "enable", no_argument, NULL, IMG_OPT_ENABLE },
    { "disable", no_argument, NULL, IMG_OPT_DISABLE },
    { "merge", required_argument, NULL, IMG_OPT_MERGE },
    { "granularity", required_argument, NULL, IMG_OPT_GRANULARITY },
    { "force", no_argument, NULL, IMG_OPT_FORCE },
    { "salvage", no_argument, NULL, IMG_OPT_SALVAGE },
    { "target-is-zero", no_argument, NULL, IMG_OPT_TARGET_IS_ZERO },
    { "bitmaps", no_argument, NULL, IMG_OPT_BITMAPS },
    { "skip-broken-bitmaps", no_argument, NULL, IMG_OPT_SKIP_BROKEN },
    { NULL, 0, NULL, 0 },
};

int img_getopt_error(int c, char **argv)
{
    if (c == ':') {
        tool_usage_error("missing argument for option '%s'",
                         argv[optind - 1]);
    } else if (c == '?') {
        tool_usage_error("unrecognized option '%s'", argv[optind - 1]);
    } else if (c == 'h') {
        tool_usage_error("Subcommand help is '%s --help'",
                         error_get_progname());
    } else {
        /* a long option of another subcommand */
        tool_usage_error("unrecognized option '%s'", argv[optind - 1]);
    }
    return 1;
}

int img_common_opt(int c, const char *arg, ImgOpenArgs *o)
{
    switch (c) {
    case 'f':
        o->fmt = arg;
        return 1;
    case 'U':
        o->force_share = true;
        return 1;
    case 'q':
        o->quiet = true;
        return 1;
    case IMG_OPT_IMAGE_OPTS:
        o->image_opts = true;
        return 1;
    case IMG_OPT_OBJECT:
        return tool_object_add(arg) < 0 ? -1 : 1;
    }
    return 0;
}

bool img_check_open_args(const ImgOpenArgs *o)
{
    if (o->image_opts && o->fmt) {
        error_report("--image-opts and --format are mutually exclusive");
        return false;
    }
    return true;
}

int img_getopt(int argc, char **argv, const char *shortopts, ImgOpenArgs *o,
               ImgOptFn *fn, void *opaque)
{
    int c, r;

    while ((c = getopt_long(argc, argv, shortopts, img_long_options,
                            NULL)) != -1) {
        r = img_common_opt(c, optarg, o);
        if (r) {
            r = r < 0 ? -1 : 0;
        } else {
            r = fn(opaque, c, optarg);
        }
        if (r == IMG_OPT_NOT_MINE) {
            img_getopt_error(c, argv);
            return -1;
        } else if (r < 0) {
            return -1;
        }
    }
    return 0;
}

int img_one_image_args(int argc, const ImgOpenArgs *o)
{
    if (optind != argc - 1) {
        tool_usage_error("Expecting one image file name");
        return -1;
    }
    return img_check_open_args(o) ? 0 : -1;
}

/* The open options for @o on top of @opts (NULL: a new dict) */
static QDict *img_open_options(const ImgOpenArgs *o, QDict *opts)
{
    if (!opts && (o->fmt || o->force_share)) {
        opts = qdict_new();
    }
    if (o->fmt) {
        qdict_put_str(opts, "driver", o->fmt);
    }
    if (o->force_share) {
        qdict_put_bool(opts, "force-share", true);
    }
    return opts;
}

BlockBackend *img_open(const ImgOpenArgs *o, const char *filename, int flags)
{
    QDict *opts = NULL;
    Error *err = NULL;
    BlockBackend *blk;
    bool writethrough;

    if (o->cache) {
        flags &= ~BDRV_O_CACHE_MASK;
        if (bdrv_parse_cache_mode(o->cache, &flags, &writethrough) < 0) {
            error_report("Invalid cache option: %s", o->cache);
            return NULL;
        }
    }
    if (o->image_opts) {
        opts = qdict_from_dotted_str(filename, &err);
        if (!opts) {
            error_prepend(&err, "Could not open '%s': ", filename);
            error_report_err(err);
            return NULL;
        }
    }
    opts = img_open_options(o, opts);
    blk = blk_new_open(o->image_opts ? NULL : filename, NULL, opts, flags,
                       &err);
    if (!blk) {
        error_prepend(&err, "Could not open '%s': ", filename);
        error_report_err(err);
    }
    return blk;
}

static bool img_valid_option_list(const char *arg)
{
    size_t len = strlen(arg), commas = 0;

    /* ",," escapes a comma: a lone one at either end is a syntax error */
    while (commas < len && arg[len - 1 - commas] == ',') {
        commas++;
    }
    if (!len || arg[0] == ',' || commas % 2) {
        error_report("Invalid option list: %s", arg);
        return false;
    }
    return true;
}

bool img_add_option_list(char **options, const char *arg)
{
    char *joined;

    if (!img_valid_option_list(arg)) {
        return false;
    }
    joined = *options ? g_strdup_printf("%s,%s", *options, arg)
                      : g_strdup(arg);
    g_free(*options);
    *options = joined;
    return true;
}

bool img_options_want_help(const char *options)
{
    char **parts;
    bool help = false;

    if (!options) {
        return false;
    }
    parts = g_strsplit(options, ",", -1);
    for (int i = 0; parts[i]; i++) {
        help |= !strcmp(parts[i], "help") || !strcmp(parts[i], "?");
    }
    g_strfreev(parts);
    return help;
}

/* With a target name: the format's and its protocol's options together */
static int img_print_create_help_for(BlockDriver *drv, const char *filename)
{
    Error *err = NULL;
    BlockDriver *proto = bdrv_find_protocol(filename, true, &err);
    QemuOptsList *all = NULL;

    if (!proto) {
        error_report_err(err);
        return 1;
    }
    all = qemu_opts_append(all, drv->create_opts);
    if (proto->create_opts) {
        all = qemu_opts_append(all, proto->create_opts);
    }
    printf("Supported options:\n");
    qemu_opts_print_help(all, false);
    qemu_opts_free(all);
    return 0;
}

int img_print_option_help(const char *fmt, const char *filename, bool amend)
{
    BlockDriver *drv = bdrv_find_format(fmt);

    if (!drv) {
        error_report("Unknown file format '%s'", fmt);
        return 1;
    }
    if (amend) {
        if (!drv->amend_opts) {
            error_report("Format driver '%s' does not support option "
                         "amendment", fmt);
            return 1;
        }
        printf("Amend options for '%s':\n", fmt);
        qemu_opts_print_help(drv->amend_opts, false);
        return 0;
    }
    if (!drv->create_opts) {
        error_report("Format driver '%s' does not support image creation",
                     fmt);
        return 1;
    }
    if (filename) {
        return img_print_create_help_for(drv, filename);
    }
    printf("Supported %s options:\n", fmt);
    qemu_opts_print_help(drv->create_opts, false);
    printf("\nThe protocol level may support further options.\n"
           "Specify the target filename to include those options.\n");
    return 0;
}

int64_t img_parse_size_range(const char *arg, const char *what,
                             int64_t min, int64_t max)
{
    uint64_t v;
    int ret = qemu_strtosz(arg, NULL, &v);

    if (ret == -ERANGE || (ret == 0 && (v > (uint64_t)max ||
                                        v < (uint64_t)min))) {
        error_report("Invalid %s specified. Must be between %" PRId64
                     " and %" PRId64 ".", what, min, max);
        return -1;
    }
    if (ret < 0) {
        error_report("Invalid %s specified. You may use k, M, G, T, P or E "
                     "suffixes for", what);
        error_report("kilobytes, megabytes, gigabytes, terabytes, petabytes "
                     "and exabytes.");
        return -1;
    }
    return (int64_t)v;
}

int64_t img_parse_size_arg(const char *arg, const char *what)
{
    return img_parse_size_range(arg, what, 0, INT64_MAX);
}

void img_progress_init(ImgProgress *p, bool wanted)
{
    /* a progress bar is for a person: not into files or pipes */
    p->on = wanted && isatty(STDOUT_FILENO);
    p->last = -1;
    img_progress_print(p, 0, 1);
}

void img_progress_print(ImgProgress *p, int64_t done, int64_t total)
{
    float pct = total > 0 ? 100.0f * done / total : 100.0f;

    if (!p->on || (pct - p->last < 1.0f && pct < 100.0f) || pct == p->last) {
        return;
    }
    p->last = pct;
    printf("    (%3.2f/100%%)\r", pct);
    fflush(stdout);
}

void img_progress_end(ImgProgress *p)
{
    if (p->on) {
        img_progress_print(p, 1, 1);
        printf("\n");
    }
}

/*
 * -o checked against the format's and protocol's options before anything
 * is created, so a bad name reads as in qemu-img: "[PREFIX: ]Invalid
 * parameter 'x'"
 */
int img_check_create_options(const char *fmt, const char *filename,
                             const char *options, const char *prefix)
{
    BlockDriver *drv = bdrv_find_format(fmt);
    BlockDriver *proto = bdrv_find_protocol(filename, true, NULL);
    QemuOptsList *list = NULL;
    QemuOpts *opts;
    Error *err = NULL;
    int ret = 0;

    if (!options || !drv || !drv->create_opts || !proto ||
        !proto->create_opts) {
        return 0;       /* bdrv_img_create says what is wrong */
    }
    list = qemu_opts_append(list, drv->create_opts);
    list = qemu_opts_append(list, proto->create_opts);
    opts = qemu_opts_create(list, NULL, 0, &error_abort);
    if (!qemu_opts_do_parse(opts, options, NULL, &err)) {
        if (prefix) {
            error_report("%s: %s", prefix, error_get_pretty(err));
        } else {
            error_report("%s", error_get_pretty(err));
        }
        error_free(err);
        ret = -1;
    }
    qemu_opts_del(opts);
    qemu_opts_free(list);
    return ret;
}
