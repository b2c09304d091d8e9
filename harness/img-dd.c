/*
 * drydock-img dd: copy bs-sized blocks of if= (after skip= blocks, at
 * most count= blocks) into a new of= image of -O FMT.  Operands are
 * dd's; their messages and exit codes are qemu-img's.
 */
#include "img-common.h"

typedef struct ImgDdArgs {
    ImgOpenArgs o;
    const char *out_fmt, *in, *out;
    int64_t bs, count, skip;     /* count -1: all */
} ImgDdArgs;

/* One operand KEY=VALUE; -1 after the message */
static int img_dd_operand(ImgDdArgs *a, const char *arg)
{
    const char *eq = strchr(arg, '=');
    const char *v = eq ? eq + 1 : "";
    size_t klen = eq ? (size_t)(eq - arg) : strlen(arg);

    if (klen == 2 && !strncmp(arg, "if", 2) && eq) {
        a->in = v;
    } else if (klen == 2 && !strncmp(arg, "of", 2) && eq) {
        a->out = v;
    } else if (klen == 2 && !strncmp(arg, "bs", 2) && eq) {
        a->bs = img_parse_size_range(v, "bs", 1, INT_MAX);
        if (a->bs < 0) {
            return -1;
        }
    } else if (klen == 5 && !strncmp(arg, "count", 5) && eq) {
        a->count = img_parse_size_arg(v, "count");
        return a->count < 0 ? -1 : 0;
    } else if (klen == 4 && !strncmp(arg, "skip", 4) && eq) {
        a->skip = img_parse_size_arg(v, "skip");
        return a->skip < 0 ? -1 : 0;
    } else {
        error_report("unrecognized operand %.*s", (int)klen, arg);
        return -1;
    }
    return 0;
}

static int img_dd_opt(void *opaque, int c, const char *arg)
{
    ImgDdArgs *a = opaque;

    if (c != 'O') {
        return IMG_OPT_NOT_MINE;
    }
    a->out_fmt = arg;
    return 0;
}

static int img_dd_parse(ImgDdArgs *a, int argc, char **argv)
{
    if (img_getopt(argc, argv, ":hf:O:U", &a->o, img_dd_opt, a) < 0) {
        return -1;
    }
    for (; optind < argc; optind++) {
        if (img_dd_operand(a, argv[optind]) < 0) {
            return -1;
        }
    }
    if (!a->in || !a->out) {
        error_report("Must specify both input and output files");
        return -1;
    }
    return img_check_open_args(&a->o) ? 0 : -1;
}

/* Create of= with @size bytes and open it */
static BlockBackend *img_dd_target(const ImgDdArgs *a, int64_t size)
{
    ImgOpenArgs o = { .fmt = a->out_fmt };
    Error *err = NULL;

    if (!bdrv_find_format(a->out_fmt)) {
        error_report("Unknown file format");
        return NULL;
    }
    bdrv_img_create(a->out, a->out_fmt, NULL, NULL, NULL, size,
                    BDRV_O_NO_BACKING, true, &err);
    if (err) {
        error_prepend(&err, "%s: error while creating output image: ",
                      a->out);
        error_report_err(err);
        return NULL;
    }
    return img_open(&o, a->out, BDRV_O_RDWR);
}

static int img_dd_copy(BlockBackend *in, BlockBackend *out, int64_t from,
                       int64_t size, int64_t bs)
{
    uint8_t *buf = g_malloc(bs);
    int64_t done;
    int ret = 0;

    for (done = 0; done < size && ret >= 0; done += bs) {
        int64_t n = MIN(bs, size - done);

        ret = blk_pread(in, from + done, n, buf, 0);
        if (ret < 0) {
            error_report("error while reading from input image file: %s",
                         strerror(-ret));
        } else if ((ret = blk_pwrite(out, done, n, buf, 0)) < 0) {
            error_report("error while writing to output image file: %s",
                         strerror(-ret));
        }
    }
    g_free(buf);
    return ret < 0 ? 1 : 0;
}

int img_dd(int argc, char **argv)
{
    ImgDdArgs a = { .out_fmt = "raw", .bs = 512, .count = -1 };
    BlockBackend *in, *out;
    int64_t in_size, from, size;
    int ret = 1;

    if (img_dd_parse(&a, argc, argv) < 0) {
        return 1;
    }
    in = img_open(&a.o, a.in, 0);
    if (!in) {
        return 1;
    }
    in_size = blk_getlength(in);
    from = a.skip > in_size / a.bs ? in_size : a.skip * a.bs;
    if (a.skip && from >= in_size) {
        error_report("%s: cannot skip to specified offset", a.in);
        goto out;
    }
    size = in_size - from;
    if (a.count >= 0 && a.count <= size / a.bs) {
        size = a.count * a.bs;
    }
    out = img_dd_target(&a, size);
    if (out) {
        ret = img_dd_copy(in, out, from, size, a.bs);
        blk_unref(out);
    }
out:
    blk_unref(in);
    return ret;
}
