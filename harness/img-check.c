/*
 * drydock-img check: human and JSON reports, -r leaks|all (then a second
 * check of the repaired image), qemu-img's exit codes: 0 clean, 1 the
 * check failed, 2 corruptions, 3 leaks only, 63 no check for the format.
 */
#include "img-common.h"

#include "util/qjson.h"

static void img_check_human(const BdrvCheckResult *r, bool repaired)
{
    if (repaired) {
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
    if (r->bfi.total_clusters && r->bfi.allocated_clusters) {
        printf("%" PRIu64 "/%" PRIu64 " = %0.2f%% allocated, %0.2f%% "
               "fragmented, %0.2f%% compressed clusters\n",
               r->bfi.allocated_clusters, r->bfi.total_clusters,
               r->bfi.allocated_clusters * 100.0 / r->bfi.total_clusters,
               r->bfi.fragmented_clusters * 100.0 /
               r->bfi.allocated_clusters,
               r->bfi.compressed_clusters * 100.0 /
               r->bfi.allocated_clusters);
    }
    if (r->image_end_offset > 0) {
        printf("Image end offset: %" PRId64 "\n", r->image_end_offset);
    }
}

/* QAPI's ImageCheck, keys in qemu-img's order */
static void img_check_json(const BdrvCheckResult *r, const char *filename,
                           const char *format)
{
    QDict *d = qdict_new();
    g_autofree char *s = NULL;
    bool bfi = r->bfi.total_clusters && r->bfi.allocated_clusters;

    if (r->image_end_offset > 0) {
        qdict_put_int(d, "image-end-offset", r->image_end_offset);
    }
    if (bfi) {
        qdict_put_int(d, "total-clusters", r->bfi.total_clusters);
    }
    qdict_put_int(d, "check-errors", r->check_errors);
    if (r->leaks) {
        qdict_put_int(d, "leaks", r->leaks);
    }
    if (r->corruptions) {
        qdict_put_int(d, "corruptions", r->corruptions);
    }
    if (r->leaks_fixed) {
        qdict_put_int(d, "leaks-fixed", r->leaks_fixed);
    }
    if (r->corruptions_fixed) {
        qdict_put_int(d, "corruptions-fixed", r->corruptions_fixed);
    }
    if (bfi) {
        qdict_put_int(d, "allocated-clusters", r->bfi.allocated_clusters);
    }
    if (bfi && r->bfi.fragmented_clusters) {
        qdict_put_int(d, "fragmented-clusters", r->bfi.fragmented_clusters);
    }
    if (bfi && r->bfi.compressed_clusters) {
        qdict_put_int(d, "compressed-clusters", r->bfi.compressed_clusters);
    }
    qdict_put_str(d, "filename", filename);
    qdict_put_str(d, "format", format);
    s = qobject_to_json_str(QOBJECT(d), true);
    printf("%s\n", s);
    qobject_unref(d);
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

typedef struct ImgCheckArgs {
    ImgOpenArgs o;
    BdrvCheckMode fix;
    bool json;
} ImgCheckArgs;

static int img_check_opt(void *opaque, int c, const char *arg)
{
    ImgCheckArgs *a = opaque;

    switch (c) {
    case 'r':
        return img_check_fix_mode(arg, &a->fix) < 0 ? -1 : 0;
    case 'T':
        a->o.cache = arg;
        return 0;
    case IMG_OPT_OUTPUT:
        return tool_parse_output(arg, &a->json) ? 0 : -1;
    }
    return IMG_OPT_NOT_MINE;
}

static int img_check_parse(ImgCheckArgs *a, int argc, char **argv)
{
    if (img_getopt(argc, argv, ":hf:r:T:qU", &a->o, img_check_opt, a) < 0) {
        return -1;
    }
    return img_one_image_args(argc, &a->o);
}

/* Check (and repair, then check again); the result to report */
static int img_check_run(BlockDriverState *bs, BdrvCheckMode fix,
                         BdrvCheckResult *res, bool *repaired)
{
    int ret = bdrv_check(bs, res, fix);

    *repaired = false;
    if (ret == 0 && fix && (res->leaks_fixed || res->corruptions_fixed)) {
        BdrvCheckResult again;
        int leaks_fixed = res->leaks_fixed;
        int corruptions_fixed = res->corruptions_fixed;

        ret = bdrv_check(bs, &again, 0);
        *res = again;
        res->leaks_fixed = leaks_fixed;
        res->corruptions_fixed = corruptions_fixed;
        *repaired = true;
    }
    return ret;
}

int img_check(int argc, char **argv)
{
    ImgCheckArgs a = { 0 };
    BdrvCheckResult res;
    BlockBackend *blk;
    bool repaired;
    int ret;

    if (img_check_parse(&a, argc, argv) < 0) {
        return 1;
    }
    blk = img_open(&a.o, argv[optind],
                   BDRV_O_CHECK | (a.fix ? BDRV_O_RDWR : 0));
    if (!blk) {
        return 1;
    }
    ret = img_check_run(blk_bs(blk), a.fix, &res, &repaired);
    if (ret == -ENOTSUP) {
        error_report("This image format does not support checks");
        ret = 63;
    } else if (ret < 0) {
        error_report("Check failed: %s", strerror(-ret));
        ret = 1;
    } else {
        if (a.json) {
            img_check_json(&res, argv[optind],
                           bdrv_get_format_name(blk_bs(blk)));
        } else if (!a.o.quiet) {
            img_check_human(&res, repaired);
        }
        ret = res.check_errors ? 1 : res.corruptions ? 2 : res.leaks ? 3 : 0;
    }
    blk_unref(blk);
    return ret;
}
