/*
 * qcow2 information: the "Format specific information" of qemu-img info
 * (QEMU's json names), and measure: the size a new image needs for a
 * given virtual size and options, or to hold an existing image's data.
 *
 * measure counts what a fully allocated image holds -- the header, every
 * L2 table, the L1 table, every data cluster -- and the refcount table and
 * blocks needed to count all of those and themselves (a fixed point: more
 * refcount blocks may need more table, which needs counting too).  The
 * required size keeps that metadata and only the data clusters in use.
 */
#include "qcow2.h"
#include "util/qlist.h"

#define QCOW2_INFO_DEFAULT_CLUSTER 65536

typedef void Qcow2BitmapFn(void *opaque, const uint8_t *entry,
                           const char *name);

/* Call @fn for each entry of the bitmap directory (validated at open) */
static void qcow2_info_each_bitmap(BlockDriverState *bs, Qcow2BitmapFn *fn,
                                   void *opaque)
{
    BDRVQcow2State *s = bs->opaque;
    g_autofree uint8_t *dir = NULL;
    uint64_t pos = 0;

    if (!s->has_bitmaps || !(s->autoclear & QCOW2_AUTOCLEAR_BITMAPS)) {
        return;
    }
    dir = g_try_malloc(s->bitmap_dir_size);
    if (!dir || bdrv_pread(bs->file, s->bitmap_dir_offset,
                           s->bitmap_dir_size, dir, 0) < 0) {
        return;
    }
    while (pos + 24 <= s->bitmap_dir_size) {
        const uint8_t *e = dir + pos;
        uint16_t name_len = lduw_be_p(e + 18);
        uint32_t extra = ldl_be_p(e + 20);
        g_autofree char *name = NULL;

        if (pos + 24 + extra + name_len > s->bitmap_dir_size) {
            break;
        }
        name = g_strndup((const char *)e + 24 + extra, name_len);
        fn(opaque, e, name);
        pos += ROUND_UP(24 + (uint64_t)extra + name_len, 8);
    }
}

/* One bitmap as qemu-img lists it: flags, name, granularity */
static void qcow2_info_list_bitmap(void *opaque, const uint8_t *e,
                                   const char *name)
{
    uint32_t flags = ldl_be_p(e + 12);
    QDict *b;
    QList *fl;

    /* The spec's granularity range; an entry outside it is not listed */
    if (e[17] < QCOW2_BITMAP_MIN_GRANULARITY_BITS ||
        e[17] > QCOW2_BITMAP_MAX_GRANULARITY_BITS) {
        return;
    }
    b = qdict_new();
    fl = qlist_new();

    if (flags & 1) {
        qlist_append_str(fl, "in-use");
    }
    if (flags & 2) {
        qlist_append_str(fl, "auto");
    }
    qdict_put(b, "flags", fl);
    qdict_put_str(b, "name", name);
    qdict_put_int(b, "granularity", 1LL << e[17]);
    qlist_append_obj(opaque, QOBJECT(b));
}

static QList *qcow2_info_bitmaps(BlockDriverState *bs)
{
    QList *list = qlist_new();

    qcow2_info_each_bitmap(bs, qcow2_info_list_bitmap, list);
    return list;
}

ImageInfoSpecific *qcow2_get_specific_info(BlockDriverState *bs,
                                           Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    ImageInfoSpecific *info = g_new0(ImageInfoSpecific, 1);
    QDict *d = qdict_new();

    info->type = g_strdup("qcow2");
    info->data = d;
    qdict_put(d, "compat", qstring_from_literal(s->version >= 3 ? "1.1"
                                                               : "0.10"));
    qdict_put(d, "compression-type",
              qstring_from_literal(s->compression_type ==
                                   QCOW2_COMPRESSION_ZSTD ? "zstd" : "zlib"));
    if (s->version < 3) {
        qdict_put_int(d, "refcount-bits", s->refcount_bits);
        return info;
    }
    qdict_put_bool(d, "lazy-refcounts",
                   !!(s->compatible & QCOW2_COMPAT_LAZY_REFCOUNTS));
    if (s->has_bitmaps && (s->autoclear & QCOW2_AUTOCLEAR_BITMAPS)) {
        qdict_put(d, "bitmaps", qcow2_info_bitmaps(bs));
    }
    qdict_put_int(d, "refcount-bits", s->refcount_bits);
    qdict_put_bool(d, "corrupt",
                   !!(s->incompatible & QCOW2_INCOMPAT_CORRUPT));
    qdict_put_bool(d, "extended-l2",
                   !!(s->incompatible & QCOW2_INCOMPAT_EXTL2));
    if (s->data_file_name) {
        qdict_put_str(d, "data-file", s->data_file_name);
    }
    if (s->incompatible & QCOW2_INCOMPAT_DATA_FILE) {
        qdict_put_bool(d, "data-file-raw",
                       !!(s->autoclear & QCOW2_AUTOCLEAR_DATA_FILE_RAW));
    }
    return info;
}

/* Clusters of refcount table and blocks that count @clusters and selves */
int64_t qcow2_refcount_metadata_clusters(int64_t clusters,
                                         int64_t cluster_size, int order)
{
    int64_t per_block = cluster_size * 8 >> order;
    int64_t per_table = cluster_size / 8;
    int64_t blocks = 0, table = 0, prev;

    do {
        prev = blocks + table;
        blocks = DIV_ROUND_UP(clusters + blocks + table, per_block);
        table = DIV_ROUND_UP(blocks, per_table);
    } while (blocks + table != prev);
    return blocks + table;
}

/* Bytes of a fully allocated image of @size (cluster-aligned) */
static int64_t qcow2_info_full_size(uint64_t size, int64_t cs, int order,
                                    bool extl2)
{
    int64_t l2e_size = extl2 ? 16 : 8;
    uint64_t l2e = ROUND_UP(size / cs, cs / l2e_size);
    uint64_t l1e = ROUND_UP(l2e * l2e_size / cs, cs / 8);
    uint64_t meta = cs + l2e * l2e_size + l1e * 8;

    meta += qcow2_refcount_metadata_clusters((meta + size) / cs, cs, order) *
            cs;
    return meta + size;
}

/* Data clusters of @in_bs that a copy would allocate, in bytes */
static int64_t qcow2_info_in_use(BlockDriverState *in_bs, int64_t size,
                                 int64_t cs, Error **errp)
{
    int64_t required = 0, pnum;

    for (int64_t off = 0; off < size; off += pnum) {
        int ret = bdrv_block_status_above(in_bs, NULL, off, size - off,
                                          &pnum, NULL, NULL);

        if (ret < 0) {
            error_setg_errno(errp, -ret, "Unable to get block status");
            return ret;
        }
        if (ret & BDRV_BLOCK_ZERO) {
            continue;
        }
        if ((ret & (BDRV_BLOCK_DATA | BDRV_BLOCK_ALLOCATED)) ==
            (BDRV_BLOCK_DATA | BDRV_BLOCK_ALLOCATED)) {
            /* Up to the end of the cluster: the next step starts there */
            pnum = ROUND_UP(off + pnum, cs) - off;
            required += off % cs + pnum;
        }
    }
    return required;
}

typedef struct Qcow2BitmapSize {
    int64_t cluster_size;
    uint64_t disk_size;
    uint64_t bytes;       /* bitmap data and tables */
    uint64_t dir;         /* directory entries */
} Qcow2BitmapSize;

/* What a copy of one bitmap takes: all of its data, its table, its entry */
static void qcow2_info_size_bitmap(void *opaque, const uint8_t *e,
                                   const char *name)
{
    Qcow2BitmapSize *b = opaque;
    uint64_t bits = DIV_ROUND_UP(b->disk_size, 1ULL << MIN(e[17], 63));
    uint64_t clusters = DIV_ROUND_UP(DIV_ROUND_UP(bits, 8), b->cluster_size);

    b->bytes += clusters * b->cluster_size +
                ROUND_UP(clusters * 8, b->cluster_size);
    b->dir += ROUND_UP(24 + strlen(name), 8);
}

typedef struct Qcow2MeasureOpts {
    int64_t cluster_size;
    int order;
    bool extl2;
    bool v3;
    bool full;        /* preallocation=falloc or full */
    bool backing;
} Qcow2MeasureOpts;

static int qcow2_info_measure_opts(QemuOpts *opts, Qcow2MeasureOpts *m,
                                   Error **errp)
{
    uint64_t cs = qemu_opt_get_size(opts, BLOCK_OPT_CLUSTER_SIZE,
                                    QCOW2_INFO_DEFAULT_CLUSTER);
    uint64_t rb = qemu_opt_get_number(opts, "refcount_bits", 16);
    const char *compat = qemu_opt_get(opts, "compat");
    const char *prealloc = qemu_opt_get(opts, BLOCK_OPT_PREALLOC);

    if (cs < 512 || cs > (1 << QCOW2_MAX_CLUSTER_BITS) || (cs & (cs - 1))) {
        error_setg(errp, "Cluster size must be a power of two between 512 "
                   "and 2048k");
        return -EINVAL;
    }
    if (rb < 1 || rb > 64 || (rb & (rb - 1))) {
        error_setg(errp, "Refcount width must be a power of two and may not "
                   "exceed 64 bits");
        return -EINVAL;
    }
    m->cluster_size = cs;
    m->order = __builtin_ctzll(rb);
    m->extl2 = qemu_opt_get_bool(opts, "extended_l2", false);
    m->v3 = !compat || !strcmp(compat, "1.1") || !strcmp(compat, "v3");
    m->backing = qemu_opt_get(opts, BLOCK_OPT_BACKING_FILE) != NULL;
    if (m->extl2 && cs < 16384) {
        error_setg(errp, "Extended L2 entries are only supported with "
                   "cluster sizes of at least 16384 bytes");
        return -EINVAL;
    }
    if (prealloc && strcmp(prealloc, "off") && strcmp(prealloc, "metadata")
        && strcmp(prealloc, "falloc") && strcmp(prealloc, "full")) {
        error_setg(errp, "Invalid parameter '%s'", prealloc);
        return -EINVAL;
    }
    m->full = prealloc && (!strcmp(prealloc, "falloc") ||
                           !strcmp(prealloc, "full"));
    return 0;
}

BlockMeasureInfo *qcow2_measure(QemuOpts *opts, BlockDriverState *in_bs,
                                Error **errp)
{
    Qcow2MeasureOpts m;
    BlockMeasureInfo *info;
    uint64_t size;
    int64_t required = 0;

    if (qcow2_info_measure_opts(opts, &m, errp) < 0) {
        return NULL;
    }
    if (in_bs) {
        int64_t len = bdrv_getlength(in_bs);

        if (len < 0) {
            error_setg_errno(errp, -len, "Unable to get image virtual_size");
            return NULL;
        }
        size = ROUND_UP((uint64_t)len, m.cluster_size);
        /* With a backing file nothing is known to be shared: all of it */
        required = m.backing || m.full ? (int64_t)size
                 : qcow2_info_in_use(in_bs, len, m.cluster_size, errp);
        if (required < 0) {
            return NULL;
        }
    } else {
        size = ROUND_UP(qemu_opt_get_size(opts, BLOCK_OPT_SIZE, 0),
                        (uint64_t)m.cluster_size);
        required = m.full ? (int64_t)size : 0;
    }
    /* The L1 table must fit its limit (qemu-img's message) */
    if (size > (uint64_t)BDRV_MAX_LENGTH ||
        DIV_ROUND_UP(size / m.cluster_size, m.cluster_size /
                     (m.extl2 ? 16 : 8)) * 8 > QCOW2_MAX_L1_BYTES) {
        error_setg(errp, "The image size is too large (try using a larger "
                   "cluster size)");
        return NULL;
    }
    info = g_new0(BlockMeasureInfo, 1);
    info->fully_allocated = qcow2_info_full_size(size, m.cluster_size,
                                                 m.order, m.extl2);
    info->required = info->fully_allocated - size + required;
    /* Only qcow2 sources carry bitmaps convert --bitmaps could copy */
    info->has_bitmaps = m.v3 && in_bs && in_bs->drv &&
                        !strcmp(in_bs->drv->format_name, "qcow2");
    if (info->has_bitmaps) {
        Qcow2BitmapSize b = { .cluster_size = m.cluster_size,
                              .disk_size = bdrv_getlength(in_bs) };

        qcow2_info_each_bitmap(in_bs, qcow2_info_size_bitmap, &b);
        info->bitmaps = b.bytes + ROUND_UP(b.dir, m.cluster_size);
    }
    return info;
}
