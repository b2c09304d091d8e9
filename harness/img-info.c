/*
 * drydock-img info: human and JSON output, format-specific information,
 * snapshots, --backing-chain, -U, --image-opts.  JSON keys come in the
 * order qemu-img 7.2 prints them, so outputs compare line by line.
 */
#include "img-common.h"

#include "util/cutils.h"
#include "util/qbool.h"
#include "util/qjson.h"
#include "util/qlist.h"
#include "util/qnum.h"
#include "util/qstring.h"

/* qemu-img's order of a few format-specific keys; the rest follow */
static const char *const img_info_specific_order[] = {
    "compat", "compression-type", "lazy-refcounts", "bitmaps",
    "refcount-bits", "data-file", "data-file-raw", "corrupt", "extended-l2",
    NULL,
};

static QDict *img_info_ordered(const QDict *data)
{
    QDict *out = qdict_new();
    const QDictEntry *e;

    for (int i = 0; img_info_specific_order[i]; i++) {
        QObject *v = qdict_get(data, img_info_specific_order[i]);

        if (v) {
            qdict_put_obj(out, img_info_specific_order[i], qobject_ref(v));
        }
    }
    for (e = qdict_first(data); e; e = qdict_next(data, e)) {
        if (!qdict_haskey(out, qdict_entry_key(e))) {
            qdict_put_obj(out, qdict_entry_key(e),
                          qobject_ref(qdict_entry_value(e)));
        }
    }
    return out;
}

static void img_info_human_value(QObject *v, int indent);

/* "key: value" lines, '-' in keys shown as ' ', nested values indented */
static void img_info_human_dict(const QDict *d, int indent)
{
    const QDictEntry *e;

    for (e = qdict_first(d); e; e = qdict_next(d, e)) {
        g_autofree char *key = g_strdup(qdict_entry_key(e));

        for (char *p = key; *p; p++) {
            *p = *p == '-' ? ' ' : *p;
        }
        printf("%*s%s:", indent, "", key);
        img_info_human_value(qdict_entry_value(e), indent + 4);
    }
}

static void img_info_human_value(QObject *v, int indent)
{
    const QListEntry *le;
    int i = 0;

    switch (qobject_type(v)) {
    case QTYPE_QDICT:
        printf("\n");
        img_info_human_dict(qobject_to(QDict, v), indent);
        break;
    case QTYPE_QLIST:
        printf("\n");
        QLIST_FOREACH_ENTRY(qobject_to(QList, v), le) {
            printf("%*s[%d]:", indent, "", i++);
            img_info_human_value(qlist_entry_obj(le), indent + 4);
        }
        break;
    case QTYPE_QSTRING:
        printf(" %s\n", qstring_get_str(qobject_to(QString, v)));
        break;
    case QTYPE_QBOOL:
        printf(" %s\n", qbool_get_bool(qobject_to(QBool, v)) ? "true"
                                                             : "false");
        break;
    case QTYPE_QNUM: {
        g_autofree char *n = qnum_to_string(qobject_to(QNum, v));

        printf(" %s\n", n);
        break;
    }
    default:
        printf(" null\n");
    }
}

/* What info shows of one node */
typedef struct ImgInfo {
    const char *filename;
    BlockDriverState *bs;
    int64_t size, allocated;
    BlockDriverInfo bdi;
    bool has_bdi;
    char *full_backing;       /* NULL: no backing file */
    QEMUSnapshotInfo *sn;
    int nb_sn;
    QDict *specific;          /* ordered data, NULL: none */
    const char *specific_type;
    ImageInfoSpecific *spec;
} ImgInfo;

static void img_info_collect(ImgInfo *ii, BlockDriverState *bs)
{
    Error *err = NULL;

    /* qemu-img names the node's file, whatever the command line said */
    *ii = (ImgInfo) { .filename = bs->filename, .bs = bs };
    ii->size = bdrv_getlength(bs);
    ii->allocated = bdrv_get_allocated_file_size(bs);
    ii->has_bdi = bdrv_get_info(bs, &ii->bdi) >= 0;
    if (bs->backing_file[0]) {
        ii->full_backing = bdrv_get_full_backing_filename(bs, &err);
        if (!ii->full_backing) {
            error_free(err);
            err = NULL;
            ii->full_backing = g_strdup(bs->backing_file);
        }
    }
    ii->nb_sn = bdrv_snapshot_list(bs, &ii->sn);
    if (ii->nb_sn < 0) {
        ii->nb_sn = 0;
        ii->sn = NULL;
    }
    ii->spec = bdrv_get_specific_info(bs, &err);
    error_free(err);
    if (ii->spec && ii->spec->data) {
        ii->specific = img_info_ordered(ii->spec->data);
        ii->specific_type = ii->spec->type;
    }
}

static void img_info_free(ImgInfo *ii)
{
    g_free(ii->full_backing);
    g_free(ii->sn);
    qobject_unref(ii->specific);
    if (ii->spec) {
        qapi_free_ImageInfoSpecific(ii->spec);
    }
}

static void img_info_human(const ImgInfo *ii)
{
    g_autofree char *vsize = size_to_str(ii->size);

    printf("image: %s\n", ii->filename);
    printf("file format: %s\n", bdrv_get_format_name(ii->bs));
    printf("virtual size: %s (%" PRId64 " bytes)\n", vsize, ii->size);
    if (ii->allocated >= 0) {
        g_autofree char *dsize = size_to_str(ii->allocated);

        printf("disk size: %s\n", dsize);
    } else {
        printf("disk size: unavailable\n");
    }
    if (ii->has_bdi && ii->bdi.cluster_size) {
        printf("cluster_size: %d\n", ii->bdi.cluster_size);
    }
    if (ii->has_bdi && ii->bdi.is_dirty) {
        printf("cleanly shut down: no\n");
    }
    if (ii->full_backing) {
        printf("backing file: %s", ii->bs->backing_file);
        if (strcmp(ii->full_backing, ii->bs->backing_file)) {
            printf(" (actual path: %s)", ii->full_backing);
        }
        printf("\n");
        if (ii->bs->backing_format[0]) {
            printf("backing file format: %s\n", ii->bs->backing_format);
        }
    }
    if (ii->nb_sn > 0) {
        img_snapshot_print_list(ii->sn, ii->nb_sn);
    }
    if (ii->specific) {
        printf("Format specific information:\n");
        img_info_human_dict(ii->specific, 4);
    }
}

/* ImageInfo as a QDict, keys in qemu-img's order */
static QDict *img_info_qdict(const ImgInfo *ii)
{
    QDict *d = qdict_new();

    if (ii->nb_sn > 0) {
        qdict_put(d, "snapshots", img_snapshot_list_json(ii->sn, ii->nb_sn));
    }
    if (ii->full_backing && ii->bs->backing_format[0]) {
        qdict_put_str(d, "backing-filename-format", ii->bs->backing_format);
    }
    qdict_put_int(d, "virtual-size", ii->size);
    qdict_put_str(d, "filename", ii->filename);
    if (ii->has_bdi && ii->bdi.cluster_size) {
        qdict_put_int(d, "cluster-size", ii->bdi.cluster_size);
    }
    qdict_put_str(d, "format", bdrv_get_format_name(ii->bs));
    if (ii->allocated >= 0) {
        qdict_put_int(d, "actual-size", ii->allocated);
    }
    if (ii->specific) {
        QDict *fs = qdict_new();

        qdict_put_str(fs, "type", ii->specific_type);
        qdict_put(fs, "data", qobject_ref(ii->specific));
        qdict_put(d, "format-specific", fs);
    }
    if (ii->full_backing) {
        qdict_put_str(d, "full-backing-filename", ii->full_backing);
        qdict_put_str(d, "backing-filename", ii->bs->backing_file);
    }
    qdict_put_bool(d, "dirty-flag", ii->has_bdi && ii->bdi.is_dirty);
    return d;
}

static void img_info_print_json(QObject *obj)
{
    g_autofree char *s = qobject_to_json_str(obj, true);

    printf("%s\n", s);
}

typedef struct ImgInfoArgs {
    ImgOpenArgs o;
    bool json, chain;
} ImgInfoArgs;

static int img_info_opt(void *opaque, int c, const char *arg)
{
    ImgInfoArgs *a = opaque;

    switch (c) {
    case IMG_OPT_OUTPUT:
        return tool_parse_output(arg, &a->json) ? 0 : -1;
    case IMG_OPT_BACKING_CHAIN:
        a->chain = true;
        return 0;
    }
    return IMG_OPT_NOT_MINE;
}

static int img_info_parse(ImgInfoArgs *a, int argc, char **argv)
{
    if (img_getopt(argc, argv, ":f:hU", &a->o, img_info_opt, a) < 0) {
        return -1;
    }
    return img_one_image_args(argc, &a->o);
}

/* Each image of the chain (just the top without --backing-chain) */
static void img_info_print_all(const ImgInfoArgs *a, BlockDriverState *top)
{
    QList *list = a->chain && a->json ? qlist_new() : NULL;
    BlockDriverState *bs = top;
    bool first = true;

    while (bs) {
        ImgInfo ii;

        img_info_collect(&ii, bs);
        if (a->json && list) {
            qlist_append(list, img_info_qdict(&ii));
        } else if (a->json) {
            QDict *d = img_info_qdict(&ii);

            img_info_print_json(QOBJECT(d));
            qobject_unref(d);
        } else {
            printf("%s", first ? "" : "\n");
            img_info_human(&ii);
        }
        img_info_free(&ii);
        first = false;
        bs = a->chain ? bdrv_cow_bs(bdrv_skip_filters(bs)) : NULL;
    }
    if (list) {
        img_info_print_json(QOBJECT(list));
        qobject_unref(list);
    }
}

int img_info(int argc, char **argv)
{
    ImgInfoArgs a = { 0 };
    BlockBackend *blk;

    if (img_info_parse(&a, argc, argv) < 0) {
        return 1;
    }
    blk = img_open(&a.o, argv[optind],
                   (a.chain ? 0 : BDRV_O_NO_BACKING) | BDRV_O_NO_IO);
    if (!blk) {
        return 1;
    }
    img_info_print_all(&a, blk_bs(blk));
    blk_unref(blk);
    return 0;
}
