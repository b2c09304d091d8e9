/*
 * drydock-img: qemu-img over drydock's block layer.  Subcommands so far:
 * create, convert, info, check, compare, map, resize, with qemu-img's options, output
 * and exit codes.  Shared option and size parsing is harness/tool-common.c,
 * output formats harness/io-output.c.
 */
#include <getopt.h>

#include "block/block-backend.h"
#include "block/driver.h"       /* BlockDriverState.filename, for map */
#include "block/test-driver.h"
#include "harness/tool-common.h"
#include "util/cutils.h"
#include "util/qjson.h"
#include "util/qstring.h"

typedef struct ImgCmd {
    const char *name;
    int (*func)(int argc, char **argv);
} ImgCmd;

/* getopt's '?' and ':' as qemu-img reports them; always 1 (the exit code) */
static int img_getopt_error(int c, char **argv)
{
    if (c == ':') {
        tool_usage_error("missing argument for option '%s'",
                         argv[optind - 1]);
    } else {
        tool_usage_error("unrecognized option '%s'", argv[optind - 1]);
    }
    return 1;
}

/* Open @filename (with @fmt unless NULL); NULL after qemu-img's message */
static BlockBackend *img_open(const char *filename, const char *fmt,
                              int flags, bool force_share)
{
    QDict *opts = NULL;
    Error *err = NULL;
    BlockBackend *blk;

    if (fmt || force_share) {
        opts = qdict_new();
        if (fmt) {
            qdict_put_str(opts, "driver", fmt);
        }
        if (force_share) {
            qdict_put_bool(opts, "force-share", true);
        }
    }
    blk = blk_new_open(filename, NULL, opts, flags, &err);
    if (!blk) {
        error_prepend(&err, "Could not open '%s': ", filename);
        error_report_err(err);
    }
    return blk;
}

/* Repeated -o options add up: "a=1" then "b=2" is "a=1,b=2" */
static void img_append_options(char **options, const char *arg)
{
    char *joined = *options ? g_strdup_printf("%s,%s", *options, arg)
                            : g_strdup(arg);

    g_free(*options);
    *options = joined;
}

enum {
    IMG_OPT_OUTPUT = 256,
    IMG_OPT_SHRINK,
    IMG_OPT_PREALLOC,
    IMG_OPT_BACKING_CHAIN,
};

static const struct option img_long_options[] = {
    { "help", no_argument, NULL, 'h' },
    { "format", required_argument, NULL, 'f' },
    { "output", required_argument, NULL, IMG_OPT_OUTPUT },
    { "force-share", no_argument, NULL, 'U' },
    { "shrink", no_argument, NULL, IMG_OPT_SHRINK },
    { "preallocation", required_argument, NULL, IMG_OPT_PREALLOC },
    { "backing-chain", no_argument, NULL, IMG_OPT_BACKING_CHAIN },
    { NULL, 0, NULL, 0 },
};

/* ---- create ---- */

static int img_create(int argc, char **argv)
{
    const char *fmt = "raw", *base = NULL, *base_fmt = NULL, *filename;
    g_autofree char *options = NULL;
    bool quiet = false;
    int64_t size = -1;
    Error *err = NULL;
    int c, flags = 0;

    while ((c = getopt_long(argc, argv, ":F:b:f:ho:qu", img_long_options,
                            NULL)) != -1) {
        switch (c) {
        case 'F':
            base_fmt = optarg;
            break;
        case 'b':
            base = optarg;
            break;
        case 'f':
            fmt = optarg;
            break;
        case 'o':
            img_append_options(&options, optarg);
            break;
        case 'q':
            quiet = true;
            break;
        case 'u':
            flags |= BDRV_O_NO_BACKING;
            break;
        default:
            return img_getopt_error(c, argv);
        }
    }
    if (optind >= argc) {
        tool_usage_error("Expecting image file name");
        return 1;
    }
    filename = argv[optind++];
    if (optind < argc) {
        size = tool_parse_img_size(argv[optind++]);
        if (size < 0) {
            return 1;
        }
    }
    if (optind != argc) {
        tool_usage_error("Unexpected argument: %s", argv[optind]);
        return 1;
    }
    bdrv_img_create(filename, fmt, base, base_fmt, options,
                    size < 0 ? (uint64_t)-1 : (uint64_t)size, flags, quiet,
                    &err);
    if (err) {
        error_prepend(&err, "%s: ", filename);
        error_report_err(err);
        return 1;
    }
    return 0;
}

/* ---- info ---- */

static void img_info_human(BlockDriverState *bs, const char *filename,
                           int64_t size, int64_t allocated,
                           const BlockDriverInfo *bdi)
{
    g_autofree char *vsize = size_to_str(size);

    printf("image: %s\n", filename);
    printf("file format: %s\n", bdrv_get_format_name(bs));
    printf("virtual size: %s (%" PRId64 " bytes)\n", vsize, size);
    if (allocated >= 0) {
        g_autofree char *dsize = size_to_str(allocated);

        printf("disk size: %s\n", dsize);
    } else {
        printf("disk size: unavailable\n");
    }
    if (bdi && bdi->cluster_size) {
        printf("cluster_size: %d\n", bdi->cluster_size);
    }
}

static void img_info_json(BlockDriverState *bs, const char *filename,
                          int64_t size, int64_t allocated,
                          const BlockDriverInfo *bdi)
{
    QString *name = qstring_from_str(filename);
    g_autofree char *quoted = qobject_to_json_str(QOBJECT(name), false);

    printf("{\n    \"virtual-size\": %" PRId64 ",\n", size);
    printf("    \"filename\": %s,\n", quoted);
    if (bdi && bdi->cluster_size) {
        printf("    \"cluster-size\": %d,\n", bdi->cluster_size);
    }
    printf("    \"format\": \"%s\",\n", bdrv_get_format_name(bs));
    if (allocated >= 0) {
        printf("    \"actual-size\": %" PRId64 ",\n", allocated);
    }
    printf("    \"dirty-flag\": %s\n}\n",
           bdi && bdi->is_dirty ? "true" : "false");
    qobject_unref(name);
}

static int img_info(int argc, char **argv)
{
    const char *fmt = NULL, *filename;
    bool json = false, force_share = false;
    BlockDriverInfo bdi;
    BlockBackend *blk;
    BlockDriverState *bs;
    int64_t size;
    int c;

    while ((c = getopt_long(argc, argv, ":f:hU", img_long_options, NULL))
           != -1) {
        switch (c) {
        case 'f':
            fmt = optarg;
            break;
        case 'U':
            force_share = true;
            break;
        case IMG_OPT_OUTPUT:
            if (!tool_parse_output(optarg, &json)) {
                return 1;
            }
            break;
        case IMG_OPT_BACKING_CHAIN:
            break;
        default:
            return img_getopt_error(c, argv);
        }
    }
    if (optind != argc - 1) {
        tool_usage_error("Expecting one image file name");
        return 1;
    }
    filename = argv[optind];
    blk = img_open(filename, fmt, BDRV_O_NO_BACKING | BDRV_O_NO_IO,
                   force_share);
    if (!blk) {
        return 1;
    }
    bs = blk_bs(blk);
    size = bdrv_getlength(bs);
    if (bdrv_get_info(bs, &bdi) < 0) {
        memset(&bdi, 0, sizeof(bdi));
    }
    (json ? img_info_json : img_info_human)(bs, filename, size,
                                            bdrv_get_allocated_file_size(bs),
                                            &bdi);
    blk_unref(blk);
    return 0;
}

/* ---- check ---- */

static void img_check_report(const BdrvCheckResult *r)
{
    if (r->corruptions_fixed || r->leaks_fixed) {
        printf("The following inconsistencies were found and repaired:\n\n"
               "    %d leaked clusters\n    %d corruptions\n\n"
               "Double checking the fixed image now...\n",
               r->leaks_fixed, r->corruptions_fixed);
    }
    if (!(r->corruptions || r->leaks || r->check_errors)) {
        printf("No errors were found on the image.\n");
    }
    if (r->corruptions) {
        printf("\n%d errors were found on the image.\nData may be corrupted, "
               "or further writes to the image may corrupt it.\n",
               r->corruptions);
    }
    if (r->leaks) {
        printf("\n%d leaked clusters were found on the image.\nThis means "
               "waste of disk space, but no harm to data.\n", r->leaks);
    }
    if (r->check_errors) {
        printf("\n%d internal errors have occurred during the check.\n",
               r->check_errors);
    }
    if (r->image_end_offset > 0) {
        printf("Image end offset: %" PRId64 "\n", r->image_end_offset);
    }
}

static int img_check_fix_mode(const char *arg, BdrvCheckMode *fix)
{
    if (!strcmp(arg, "leaks")) {
        *fix = BDRV_FIX_LEAKS;
    } else if (!strcmp(arg, "all")) {
        *fix = BDRV_FIX_LEAKS | BDRV_FIX_ERRORS;
    } else {
        tool_usage_error("Unknown option value for -r "
                         "(expecting 'leaks' or 'all'): %s", arg);
        return -EINVAL;
    }
    return 0;
}

static int img_check(int argc, char **argv)
{
    const char *fmt = NULL;
    bool force_share = false, quiet = false;
    BdrvCheckMode fix = 0;
    BdrvCheckResult res;
    BlockBackend *blk;
    int c, ret, flags = BDRV_O_CHECK;

    while ((c = getopt_long(argc, argv, ":hf:r:qU", img_long_options, NULL))
           != -1) {
        switch (c) {
        case 'f':
            fmt = optarg;
            break;
        case 'r':
            if (img_check_fix_mode(optarg, &fix) < 0) {
                return 1;
            }
            flags |= BDRV_O_RDWR;
            break;
        case 'q':
            quiet = true;
            break;
        case 'U':
            force_share = true;
            break;
        default:
            return img_getopt_error(c, argv);
        }
    }
    if (optind != argc - 1) {
        tool_usage_error("Expecting one image file name");
        return 1;
    }
    blk = img_open(argv[optind], fmt, flags, force_share);
    if (!blk) {
        return 1;
    }
    ret = bdrv_check(blk_bs(blk), &res, fix);
    blk_unref(blk);
    if (ret == -ENOTSUP) {
        error_report("This image format does not support checks");
        return 63;
    }
    if (ret < 0) {
        error_report("Check failed: %s", strerror(-ret));
        return 1;
    }
    if (!quiet) {
        img_check_report(&res);
    }
    return res.check_errors ? 1 : res.corruptions ? 2 : res.leaks ? 3 : 0;
}

/* ---- compare ---- */

#define IMG_COMPARE_CHUNK (1 << 20)

/* Offset of the first 512-byte sector where a and b differ, or -1 */
static int64_t img_compare_sectors(const uint8_t *a, const uint8_t *b,
                                   int64_t len)
{
    int64_t i;

    for (i = 0; i < len; i += BDRV_SECTOR_SIZE) {
        int64_t n = MIN((int64_t)BDRV_SECTOR_SIZE, len - i);

        if (b ? memcmp(a + i, b + i, n) : !buffer_is_zero(a + i, n)) {
            return i;
        }
    }
    return -1;
}

/*
 * Compare [offset, end) of blk1 with blk2 (blk2 NULL: with zeroes);
 * 0 same, 1 differs (reported), 2 read error
 */
static int img_compare_range(BlockBackend *blk1, BlockBackend *blk2,
                             int64_t offset, int64_t end, bool quiet)
{
    uint8_t *a = g_malloc(IMG_COMPARE_CHUNK), *b = g_malloc(IMG_COMPARE_CHUNK);
    int ret = 0;

    while (offset < end && ret == 0) {
        int64_t n = MIN(IMG_COMPARE_CHUNK, end - offset), at;

        if (blk_pread(blk1, offset, n, a, 0) < 0 ||
            (blk2 && blk_pread(blk2, offset, n, b, 0) < 0)) {
            error_report("Error while reading offset %" PRId64 ": %s",
                         offset, "Input/output error");
            ret = 2;
            break;
        }
        at = img_compare_sectors(a, blk2 ? b : NULL, n);
        if (at >= 0) {
            if (!quiet) {
                printf("Content mismatch at offset %" PRId64 "!\n",
                       offset + at);
            }
            ret = 1;
        }
        offset += n;
    }
    g_free(a);
    g_free(b);
    return ret;
}

static int img_compare(int argc, char **argv)
{
    const char *fmt1 = NULL, *fmt2 = NULL;
    bool quiet = false, force_share = false;
    BlockBackend *blk1, *blk2 = NULL;
    int64_t len1, len2;
    int c, ret = 2;

    while ((c = getopt_long(argc, argv, ":hf:F:T:pqsU", img_long_options,
                            NULL)) != -1) {
        switch (c) {
        case 'f':
            fmt1 = optarg;
            break;
        case 'F':
            fmt2 = optarg;
            break;
        case 'T':
        case 'p':
            break;
        case 'q':
            quiet = true;
            break;
        case 's':
            error_report("Strict mode (-s) is not supported by drydock-img "
                         "yet");
            return 2;
        case 'U':
            force_share = true;
            break;
        default:
            return img_getopt_error(c, argv);
        }
    }
    if (optind != argc - 2) {
        tool_usage_error("Expecting two image file names");
        return 1;
    }
    blk1 = img_open(argv[optind], fmt1, 0, force_share);
    if (blk1) {
        blk2 = img_open(argv[optind + 1], fmt2, 0, force_share);
    }
    if (!blk1 || !blk2) {
        goto out;
    }
    len1 = blk_getlength(blk1);
    len2 = blk_getlength(blk2);
    ret = img_compare_range(blk1, blk2, 0, MIN(len1, len2), quiet);
    if (ret == 0 && len1 != len2) {
        if (!quiet) {
            printf("Warning: Image size mismatch!\n");
        }
        ret = len1 > len2
            ? img_compare_range(blk1, NULL, len2, len1, quiet)
            : img_compare_range(blk2, NULL, len1, len2, quiet);
    }
    if (ret == 0 && !quiet) {
        printf("Images are identical.\n");
    }
out:
    blk_unref(blk2);
    blk_unref(blk1);
    return ret;
}

/* ---- convert ---- */

#define IMG_CONVERT_CHUNK (1 << 20)

/* Copy all of @src to @dst at @dst_offset; zeroes only where needed */
static int img_convert_copy(BlockBackend *src, BlockBackend *dst,
                            int64_t dst_offset, bool target_zeroed)
{
    int64_t len = blk_getlength(src), offset;
    uint8_t *buf = g_malloc(IMG_CONVERT_CHUNK);
    int ret = 0;

    for (offset = 0; offset < len && ret >= 0; offset += IMG_CONVERT_CHUNK) {
        int64_t n = MIN(IMG_CONVERT_CHUNK, len - offset);

        ret = blk_pread(src, offset, n, buf, 0);
        if (ret < 0) {
            error_report("error while reading at byte %" PRId64 ": %s",
                         offset, strerror(-ret));
            break;
        }
        if (buffer_is_zero(buf, n)) {
            ret = target_zeroed ? 0 : blk_pwrite_zeroes(dst, dst_offset +
                                                        offset, n, 0);
        } else {
            ret = blk_pwrite(dst, dst_offset + offset, n, buf, 0);
        }
        if (ret < 0) {
            error_report("error while writing at byte %" PRId64 ": %s",
                         dst_offset + offset, strerror(-ret));
        }
    }
    g_free(buf);
    return ret < 0 ? 1 : 0;
}

typedef struct ImgConvertArgs {
    const char *fmt, *out_fmt;
    char *options;
    bool no_create, force_share;
} ImgConvertArgs;

static int img_convert_parse(ImgConvertArgs *a, int argc, char **argv)
{
    int c;

    while ((c = getopt_long(argc, argv, ":hf:O:o:qnUcpS:mWB:",
                            img_long_options, NULL)) != -1) {
        switch (c) {
        case 'f':
            a->fmt = optarg;
            break;
        case 'O':
            a->out_fmt = optarg;
            break;
        case 'o':
            img_append_options(&a->options, optarg);
            break;
        case 'q':
            break;
        case 'n':
            a->no_create = true;
            break;
        case 'U':
            a->force_share = true;
            break;
        case 'c':
        case 'p':
        case 'S':
        case 'm':
        case 'W':
        case 'B':
            error_report("Option -%c of convert is not supported by "
                         "drydock-img yet", c);
            return -ENOTSUP;
        default:
            img_getopt_error(c, argv);
            return -EINVAL;
        }
    }
    if (argc - optind < 2) {
        error_report("Must specify image file name");
        return -EINVAL;
    }
    return 0;
}

/* Create (unless -n) and open the target of @size bytes */
static BlockBackend *img_convert_target(const ImgConvertArgs *a,
                                        const char *out, int64_t size)
{
    Error *err = NULL;

    if (!bdrv_find_format(a->out_fmt)) {
        error_report("Unknown file format '%s'", a->out_fmt);
        return NULL;
    }
    if (!a->no_create) {
        bdrv_img_create(out, a->out_fmt, NULL, NULL, a->options, size, 0,
                        true, &err);
        if (err) {
            error_prepend(&err, "%s: error while converting %s: ", out,
                          a->out_fmt);
            error_report_err(err);
            return NULL;
        }
    }
    return img_open(out, a->out_fmt, BDRV_O_RDWR, false);
}

static int img_convert(int argc, char **argv)
{
    ImgConvertArgs a = { .out_fmt = "raw" };
    BlockBackend **srcs, *dst = NULL;
    int64_t size = 0, offset = 0;
    int i, n, ret = 1;

    if (img_convert_parse(&a, argc, argv) < 0) {
        g_free(a.options);
        return 1;
    }
    n = argc - optind - 1;
    srcs = g_new0(BlockBackend *, n);
    for (i = 0; i < n; i++) {
        srcs[i] = img_open(argv[optind + i], a.fmt, 0, a.force_share);
        if (!srcs[i]) {
            goto out;
        }
        size += blk_getlength(srcs[i]);
    }
    dst = img_convert_target(&a, argv[argc - 1], size);
    if (!dst) {
        goto out;
    }
    for (i = 0, ret = 0; i < n && ret == 0; i++) {
        ret = img_convert_copy(srcs[i], dst, offset, !a.no_create &&
                               bdrv_has_zero_init(blk_bs(dst)));
        offset += blk_getlength(srcs[i]);
    }
out:
    blk_unref(dst);
    for (i = 0; i < n; i++) {
        blk_unref(srcs[i]);
    }
    g_free(srcs);
    g_free(a.options);
    return ret;
}

/* ---- map ---- */

typedef struct ImgMapEntry {
    int64_t start, length, offset;
    bool present, zero, data, has_offset;
} ImgMapEntry;

static void img_map_print(const ImgMapEntry *e, bool json, bool first,
                          BlockDriverState *file)
{
    if (json) {
        printf("%s{ \"start\": %" PRId64 ", \"length\": %" PRId64 ", "
               "\"depth\": 0, \"present\": %s, \"zero\": %s, "
               "\"data\": %s", first ? "[" : ",\n", e->start, e->length,
               e->present ? "true" : "false", e->zero ? "true" : "false",
               e->data ? "true" : "false");
        if (e->has_offset) {
            printf(", \"offset\": %" PRId64, e->offset);
        }
        printf("}");
    } else if (e->data && e->has_offset) {
        printf("%#-16" PRIx64 "%#-16" PRIx64 "%#-16" PRIx64 "%s\n",
               (uint64_t)e->start, (uint64_t)e->length,
               (uint64_t)e->offset, file ? file->filename : "");
    }
}

/* Does @next continue @cur (same status, contiguous in the file)? */
static bool img_map_mergeable(const ImgMapEntry *cur, const ImgMapEntry *next)
{
    return cur->present == next->present && cur->zero == next->zero &&
           cur->data == next->data && cur->has_offset == next->has_offset &&
           (!cur->has_offset || cur->offset + cur->length == next->offset);
}

/* The allocation map of @bs (no backing chains yet: depth 0) */
static int img_map_print_all(BlockDriverState *bs, bool json)
{
    int64_t len = bdrv_getlength(bs), offset = 0;
    ImgMapEntry cur = { 0 };
    BlockDriverState *cur_file = NULL;
    bool have = false, first = true;

    if (!json) {
        printf("%-16s%-16s%-16s%s\n", "Offset", "Length", "Mapped to",
               "File");
    }
    while (offset < len) {
        int64_t pnum, map;
        BlockDriverState *file;
        int ret = bdrv_block_status_above(bs, NULL, offset, len - offset,
                                          &pnum, &map, &file);
        ImgMapEntry next = {
            .start = offset, .length = pnum, .offset = map,
            .present = ret & BDRV_BLOCK_ALLOCATED,
            .zero = ret & BDRV_BLOCK_ZERO, .data = ret & BDRV_BLOCK_DATA,
            .has_offset = ret & BDRV_BLOCK_OFFSET_VALID,
        };

        if (ret < 0 || pnum == 0) {
            error_report("Could not read file metadata: %s",
                         strerror(ret < 0 ? -ret : EIO));
            return 1;
        }
        if (have && img_map_mergeable(&cur, &next) && file == cur_file) {
            cur.length += pnum;
        } else {
            if (have) {
                img_map_print(&cur, json, first, cur_file);
                first = false;
            }
            cur = next;
            cur_file = file;
            have = true;
        }
        offset += pnum;
    }
    if (have) {
        img_map_print(&cur, json, first, cur_file);
    }
    if (json) {
        printf(have ? "]\n" : "[]\n");
    }
    return 0;
}

static int img_map(int argc, char **argv)
{
    const char *fmt = NULL;
    bool json = false, force_share = false;
    BlockBackend *blk;
    int c, ret;

    while ((c = getopt_long(argc, argv, ":f:hU", img_long_options, NULL))
           != -1) {
        switch (c) {
        case 'f':
            fmt = optarg;
            break;
        case 'U':
            force_share = true;
            break;
        case IMG_OPT_OUTPUT:
            if (!tool_parse_output(optarg, &json)) {
                return 1;
            }
            break;
        default:
            return img_getopt_error(c, argv);
        }
    }
    if (optind != argc - 1) {
        tool_usage_error("Expecting one image file name");
        return 1;
    }
    blk = img_open(argv[optind], fmt, 0, force_share);
    if (!blk) {
        return 1;
    }
    ret = img_map_print_all(blk_bs(blk), json);
    blk_unref(blk);
    return ret;
}

/* ---- resize ---- */

static int img_resize_size(const char *arg, int *relative, int64_t *n)
{
    uint64_t v;
    Error *err = NULL;

    *relative = arg[0] == '+' ? 1 : arg[0] == '-' ? -1 : 0;
    if (qemu_strtosz(arg + (*relative != 0), NULL, &v) < 0 || v > INT64_MAX) {
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

static int img_resize(int argc, char **argv)
{
    static const char *const modes[] = { "off", "metadata", "falloc", "full" };
    const char *fmt = NULL, *size;
    bool quiet = false, shrink = false;
    PreallocMode prealloc = PREALLOC_MODE_OFF;
    BlockBackend *blk;
    int64_t n;
    int c, relative, ret;

    if (argc < 3) {
        tool_usage_error("Not enough arguments");
        return 1;
    }
    /* The size is last and may be negative: keep it away from getopt */
    size = argv[--argc];
    while ((c = getopt_long(argc, argv, ":f:hq", img_long_options, NULL))
           != -1) {
        switch (c) {
        case 'f':
            fmt = optarg;
            break;
        case 'q':
            quiet = true;
            break;
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
    if (img_resize_size(size, &relative, &n) < 0) {
        return 1;
    }
    blk = img_open(argv[optind], fmt, BDRV_O_RDWR | BDRV_O_RESIZE, false);
    if (!blk) {
        return 1;
    }
    ret = img_resize_do(blk, relative, n, shrink, prealloc, quiet);
    blk_unref(blk);
    return ret;
}

static const ImgCmd img_cmds[] = {
    { "check", img_check },
    { "compare", img_compare },
    { "convert", img_convert },
    { "create", img_create },
    { "info", img_info },
    { "map", img_map },
    { "resize", img_resize },
    { NULL, NULL },
};

static void img_help(void)
{
    const ImgCmd *cmd;

    printf("%s version %s\n"
           "usage: %s [standard options] command [command options]\n"
           "drydock disk image utility (qemu-img compatible)\n\n"
           "Command syntax: as qemu-img's. Commands:\n",
           error_get_progname(), TOOL_VERSION, error_get_progname());
    for (cmd = img_cmds; cmd->name; cmd++) {
        printf("  %s\n", cmd->name);
    }
}

int main(int argc, char **argv)
{
    const ImgCmd *cmd;
    int ret;

    error_set_progname(argv[0]);
    if (argc < 2) {
        tool_usage_error("Not enough arguments");
        return 1;
    }
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        img_help();
        return 0;
    }
    if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version")) {
        printf("%s version %s\n", error_get_progname(), TOOL_VERSION);
        return 0;
    }
    for (cmd = img_cmds; cmd->name && strcmp(cmd->name, argv[1]); cmd++) {
    }
    if (!cmd->name) {
        tool_usage_error("Command not found: %s", argv[1]);
        return 1;
    }
    bdrv_init();
    test_driver_register();
    /* The subcommand parses its own options, its name as argv[0] */
    ret = cmd->func(argc - 1, argv + 1);
    bdrv_close_all();
    return ret;
}
