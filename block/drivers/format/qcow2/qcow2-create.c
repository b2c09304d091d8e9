/*
 * qcow2 image creation (qemu-img create -f qcow2).  The options are listed
 * in the order qemu-img prints them on its "Formatting ..." line.
 *
 * The new file gets a header cluster (header, backing format and feature
 * name table extensions, backing file name), a refcount table and one
 * refcount block; then the image is opened and grown to its size, which
 * allocates the L1 table through the ordinary allocator.
 */
#include "qcow2.h"

#define QCOW2_OPT_COMPAT "compat"
#define QCOW2_OPT_LAZY_REFCOUNTS "lazy_refcounts"
#define QCOW2_OPT_REFCOUNT_BITS "refcount_bits"
#define QCOW2_OPT_EXTL2 "extended_l2"
#define QCOW2_OPT_COMPRESSION "compression_type"
#define QCOW2_OPT_DATA_FILE "data_file"
#define QCOW2_OPT_DATA_FILE_RAW "data_file_raw"
#define QCOW2_OPT_ENCRYPTION "encryption"
#define QCOW2_DEFAULT_CLUSTER_SIZE 65536

QemuOptsList qcow2_create_opts = {
    .name = "qcow2-create-opts",
    .desc = {
        { .name = QCOW2_OPT_ENCRYPTION, .type = QEMU_OPT_BOOL,
          .help = "Encrypt the image (not supported)" },
        { .name = BLOCK_OPT_CLUSTER_SIZE, .type = QEMU_OPT_SIZE,
          .help = "qcow2 cluster size", .def_value_str = "65536" },
        { .name = QCOW2_OPT_EXTL2, .type = QEMU_OPT_BOOL,
          .help = "Extended L2 tables", .def_value_str = "off" },
        { .name = BLOCK_OPT_PREALLOC, .type = QEMU_OPT_STRING,
          .help = "Preallocation mode (allowed values: off, metadata, "
                  "falloc, full)" },
        { .name = QCOW2_OPT_COMPRESSION, .type = QEMU_OPT_STRING,
          .help = "Compression method used for image cluster compression",
          .def_value_str = "zlib" },
        { .name = BLOCK_OPT_SIZE, .type = QEMU_OPT_SIZE,
          .help = "Virtual disk size" },
        { .name = QCOW2_OPT_COMPAT, .type = QEMU_OPT_STRING,
          .help = "Compatibility level (v2 [0.10] or v3 [1.1])" },
        { .name = BLOCK_OPT_BACKING_FILE, .type = QEMU_OPT_STRING,
          .help = "File name of a base image" },
        { .name = BLOCK_OPT_BACKING_FMT, .type = QEMU_OPT_STRING,
          .help = "Image format of the base image" },
        { .name = QCOW2_OPT_DATA_FILE, .type = QEMU_OPT_STRING,
          .help = "File name of an external data file" },
        { .name = QCOW2_OPT_DATA_FILE_RAW, .type = QEMU_OPT_BOOL,
          .help = "The external data file must stay valid as a raw image" },
        { .name = QCOW2_OPT_LAZY_REFCOUNTS, .type = QEMU_OPT_BOOL,
          .help = "Postpone refcount updates", .def_value_str = "off" },
        { .name = QCOW2_OPT_REFCOUNT_BITS, .type = QEMU_OPT_NUMBER,
          .help = "Width of a reference count entry in bits",
          .def_value_str = "16" },
        { /* end of list */ }
    },
};

typedef struct Qcow2CreateParams {
    uint64_t size;
    int version;
    int cluster_bits;
    int refcount_order;
    bool lazy_refcounts;
    int compression_type;
    const char *backing_file;
    const char *backing_fmt;
    bool extended_l2;
    PreallocMode prealloc;
    const char *data_file;
    bool data_file_raw;
} Qcow2CreateParams;

static int qcow2_create_refuse(Qcow2CreateParams *p, QemuOpts *opts,
                               Error **errp)
{
    static const char *const modes[] = { "off", "metadata", "falloc",
                                         "full" };
    const char *prealloc = qemu_opt_get(opts, BLOCK_OPT_PREALLOC);

    if (qemu_opt_get_bool(opts, QCOW2_OPT_ENCRYPTION, false)) {
        error_setg(errp, "Encrypted qcow2 images are not supported");
        return -ENOTSUP;
    }
    p->prealloc = PREALLOC_MODE_OFF;
    for (int i = 0; prealloc && i < (int)ARRAY_SIZE(modes); i++) {
        if (!strcmp(prealloc, modes[i])) {
            p->prealloc = i;
            prealloc = NULL;
        }
    }
    if (prealloc) {
        error_setg(errp, "Parameter 'preallocation' does not accept value "
                   "'%s'", prealloc);
        return -EINVAL;
    }
    p->extended_l2 = qemu_opt_get_bool(opts, QCOW2_OPT_EXTL2, false);
    p->data_file = qemu_opt_get(opts, QCOW2_OPT_DATA_FILE);
    p->data_file_raw = qemu_opt_get_bool(opts, QCOW2_OPT_DATA_FILE_RAW,
                                         false);
    if (p->data_file_raw && !p->data_file) {
        error_setg(errp, "data-file-raw requires data-file");
        return -EINVAL;
    }
    /* A raw data file maps every cluster, as QEMU makes it */
    if (p->data_file_raw && p->prealloc == PREALLOC_MODE_OFF) {
        p->prealloc = PREALLOC_MODE_METADATA;
    }
    return 0;
}

/* The combinations QEMU refuses, with its messages */
static int qcow2_create_combinations(const Qcow2CreateParams *p,
                                     Error **errp)
{
    if (p->version < 3 && p->data_file) {
        error_setg(errp, "External data files are only supported with "
                   "compatibility level 1.1 and above (use version=v3 or "
                   "greater)");
        return -EINVAL;
    }
    if (p->version < 3 && p->extended_l2) {
        error_setg(errp, "Extended L2 entries are only supported with "
                   "compatibility level 1.1 and above (use version=v3 or "
                   "greater)");
        return -EINVAL;
    }
    if (p->extended_l2 && p->cluster_bits < 14) {
        error_setg(errp, "Extended L2 entries are only supported with "
                   "cluster sizes of at least 16384 bytes");
        return -EINVAL;
    }
    if (p->backing_file && p->prealloc != PREALLOC_MODE_OFF &&
        !p->extended_l2) {
        error_setg(errp, "Backing file and preallocation can only be used "
                   "at the same time if extended_l2 is on");
        return -EINVAL;
    }
    if (p->backing_file && p->data_file_raw) {
        error_setg(errp, "Backing file and data-file-raw cannot be used at "
                   "the same time");
        return -EINVAL;
    }
    return 0;
}

static int qcow2_create_version(Qcow2CreateParams *p, QemuOpts *opts,
                                Error **errp)
{
    const char *compat = qemu_opt_get(opts, QCOW2_OPT_COMPAT);
    const char *comp = qemu_opt_get(opts, QCOW2_OPT_COMPRESSION);

    p->version = 3;
    if (compat && (!strcmp(compat, "0.10") || !strcmp(compat, "v2"))) {
        p->version = 2;
    } else if (compat && strcmp(compat, "1.1") && strcmp(compat, "v3")) {
        error_setg(errp, "Invalid parameter '%s'", compat);
        return -EINVAL;
    }
    p->compression_type = QCOW2_COMPRESSION_ZLIB;
    if (comp && !strcmp(comp, "zstd")) {
        p->compression_type = QCOW2_COMPRESSION_ZSTD;
    } else if (comp && strcmp(comp, "zlib")) {
        error_setg(errp, "Invalid parameter '%s'", comp);
        return -EINVAL;
    }
    if (p->version < 3 && p->compression_type != QCOW2_COMPRESSION_ZLIB) {
        error_setg(errp, "Non-zlib compression type is only supported with "
                   "compatibility level 1.1 and above (use version=v3 or "
                   "greater)");
        return -EINVAL;
    }
    return 0;
}

static int qcow2_create_params(Qcow2CreateParams *p, QemuOpts *opts,
                               Error **errp)
{
    uint64_t cs = qemu_opt_get_size(opts, BLOCK_OPT_CLUSTER_SIZE,
                                    QCOW2_DEFAULT_CLUSTER_SIZE);
    uint64_t rb = qemu_opt_get_number(opts, QCOW2_OPT_REFCOUNT_BITS, 16);
    int ret = qcow2_create_refuse(p, opts, errp);

    if (ret == 0) {
        ret = qcow2_create_version(p, opts, errp);
    }
    if (ret < 0) {
        return ret;
    }
    p->size = qemu_opt_get_size(opts, BLOCK_OPT_SIZE, 0);
    p->backing_file = qemu_opt_get(opts, BLOCK_OPT_BACKING_FILE);
    p->backing_fmt = qemu_opt_get(opts, BLOCK_OPT_BACKING_FMT);
    p->lazy_refcounts = qemu_opt_get_bool(opts, QCOW2_OPT_LAZY_REFCOUNTS,
                                          false);
    if (cs < 512 || cs > (1 << QCOW2_MAX_CLUSTER_BITS) || (cs & (cs - 1))) {
        error_setg(errp, "Cluster size must be a power of two between 512 "
                   "and 2048k (not %" PRIu64 ")", cs);
        return -EINVAL;
    }
    p->cluster_bits = __builtin_ctzll(cs);
    if (rb < 1 || rb > 64 || (rb & (rb - 1))) {
        error_setg(errp, "Refcount width must be a power of two and may not "
                   "exceed 64 bits (not %" PRIu64 ")", rb);
        return -EINVAL;
    }
    p->refcount_order = __builtin_ctzll(rb);
    if (p->version < 3 && rb != 16) {
        error_setg(errp, "Different refcount widths than 16 bits require "
                   "compatibility level 1.1 or above (use compat=1.1 or "
                   "greater)");
        return -EINVAL;
    }
    if (p->version < 3 && p->lazy_refcounts) {
        error_setg(errp, "Lazy refcounts only supported with compatibility "
                   "level 1.1 and above (use version=v3 or greater)");
        return -EINVAL;
    }
    if (p->backing_fmt && !p->backing_file) {
        error_setg(errp, "Backing format cannot be used without backing file");
        return -EINVAL;
    }
    if (p->backing_file && strlen(p->backing_file) > QCOW2_MAX_BACKING_NAME) {
        error_setg(errp, "Backing file name too long: %zu bytes (at most %d)",
                   strlen(p->backing_file), QCOW2_MAX_BACKING_NAME);
        return -EINVAL;
    }
    if (p->backing_fmt && strlen(p->backing_fmt) >= 16) {
        error_setg(errp, "Backing format name '%s' is too long",
                   p->backing_fmt);
        return -EINVAL;
    }
    if (p->data_file && strlen(p->data_file) > QCOW2_MAX_BACKING_NAME) {
        error_setg(errp, "Data file name too long: %zu bytes (at most %d)",
                   strlen(p->data_file), QCOW2_MAX_BACKING_NAME);
        return -EINVAL;
    }
    return qcow2_create_combinations(p, errp);
}

static const struct {
    uint8_t type, bit;
    const char *name;
} qcow2_feature_names[] = {
    { 0, 0, "dirty bit" },
    { 0, 1, "corrupt bit" },
    { 0, 2, "external data file" },
    { 0, 3, "compression type" },
    { 0, 4, "extended L2 entries" },
    { 1, 0, "lazy refcounts" },
    { 2, 0, "bitmaps" },
    { 2, 1, "raw external data" },
};

/* Append extension @type with @len bytes of @data at *pos */
static void qcow2_create_ext(uint8_t *buf, size_t *pos, uint32_t type,
                             const void *data, uint32_t len)
{
    stl_be_p(buf + *pos, type);
    stl_be_p(buf + *pos + 4, len);
    if (len) {
        memcpy(buf + *pos + 8, data, len);
    }
    *pos += 8 + ROUND_UP(len, 8);
}

/* The header cluster; the refcount table and block follow it */
static void qcow2_create_header(const Qcow2CreateParams *p, uint8_t *buf,
                                int64_t cs)
{
    uint8_t table[ARRAY_SIZE(qcow2_feature_names) * 48] = { 0 };
    size_t pos = p->version >= 3 ? 112 : QCOW2_V2_HEADER_LEN;

    stl_be_p(buf, QCOW2_MAGIC);
    stl_be_p(buf + 4, p->version);
    stl_be_p(buf + 20, p->cluster_bits);
    stq_be_p(buf + 48, cs);                 /* refcount table */
    stl_be_p(buf + 56, 1);
    if (p->version >= 3) {
        stq_be_p(buf + 72,
                 (p->compression_type ? QCOW2_INCOMPAT_COMPRESSION : 0) |
                 (p->extended_l2 ? QCOW2_INCOMPAT_EXTL2 : 0) |
                 (p->data_file ? QCOW2_INCOMPAT_DATA_FILE : 0));
        stq_be_p(buf + 88, p->data_file_raw ? QCOW2_AUTOCLEAR_DATA_FILE_RAW
                                            : 0);
        stq_be_p(buf + 80, p->lazy_refcounts ? QCOW2_COMPAT_LAZY_REFCOUNTS
                                             : 0);
        stl_be_p(buf + 96, p->refcount_order);
        stl_be_p(buf + 100, 112);
        buf[104] = p->compression_type;
    }
    if (p->data_file) {
        qcow2_create_ext(buf, &pos, QCOW2_EXT_DATA_FILE, p->data_file,
                         strlen(p->data_file));
    }
    if (p->backing_fmt) {
        qcow2_create_ext(buf, &pos, QCOW2_EXT_BACKING_FORMAT, p->backing_fmt,
                         strlen(p->backing_fmt));
    }
    for (size_t i = 0; i < ARRAY_SIZE(qcow2_feature_names); i++) {
        table[i * 48] = qcow2_feature_names[i].type;
        table[i * 48 + 1] = qcow2_feature_names[i].bit;
        strncpy((char *)table + i * 48 + 2, qcow2_feature_names[i].name, 46);
    }
    if (p->version >= 3) {
        qcow2_create_ext(buf, &pos, QCOW2_EXT_FEATURE_TABLE, table,
                         sizeof(table));
    }
    qcow2_create_ext(buf, &pos, QCOW2_EXT_END, NULL, 0);
    if (p->backing_file) {
        stq_be_p(buf + 8, pos);
        stl_be_p(buf + 16, strlen(p->backing_file));
        memcpy(buf + pos, p->backing_file, strlen(p->backing_file));
    }
}

/* A node that only holds the new file as its child, to write to it */
static int qcow2_create_writer_open(BlockDriverState *bs, QDict *options,
                                    int flags, Error **errp)
{
    const char *name = qdict_get_try_str(options, "x-filename");
    g_autofree char *filename = g_strdup(name ? name : "");

    qdict_del(options, "x-filename");
    return bdrv_open_file_child(filename, options, "file", bs, errp);
}

static int64_t coroutine_fn qcow2_create_writer_getlength(BlockDriverState *bs)
{
    return bdrv_co_getlength(bs->file->bs);
}

static BlockDriver qcow2_create_writer = {
    .format_name = "qcow2-create-writer",
    .bdrv_open = qcow2_create_writer_open,
    .bdrv_co_getlength = qcow2_create_writer_getlength,
    .bdrv_child_perm = bdrv_default_perms,
};

static int coroutine_fn qcow2_create_write_initial(const char *filename,
                                                   const Qcow2CreateParams *p,
                                                   Error **errp)
{
    int64_t cs = 1LL << p->cluster_bits;
    QDict *options = qdict_new();
    g_autofree uint8_t *buf = g_malloc0(3 * cs);
    BlockDriverState *w;
    int ret;

    qdict_put_str(options, "x-filename", filename);
    w = bdrv_new_open_driver_opts(&qcow2_create_writer, NULL, options,
                                  BDRV_O_RDWR, errp);
    if (!w) {
        return -EIO;
    }
    qcow2_create_header(p, buf, cs);
    stq_be_p(buf + cs, 2 * cs);             /* refcount block */
    for (int i = 0; i < 3; i++) {
        BDRVQcow2State s = { .refcount_order = p->refcount_order,
                             .refcount_max = p->refcount_order == 6 ?
                                 UINT64_MAX :
                                 (1ULL << (1 << p->refcount_order)) - 1 };

        qcow2_refblock_set(&s, buf + 2 * cs, i, 1);
    }
    ret = bdrv_co_truncate(w->file, 3 * cs, false, PREALLOC_MODE_OFF, 0,
                           NULL);
    if (ret == 0) {
        ret = bdrv_co_pwrite(w->file, 0, 3 * cs, buf, 0);
    }
    if (ret == 0) {
        ret = bdrv_co_flush(w);
    }
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Could not write the qcow2 header");
    }
    bdrv_co_unref(w);
    return ret;
}

/* The protocol creates an empty file: its size option is the guest's */
static int coroutine_fn qcow2_create_file(const char *filename, QemuOpts *opts,
                                          Error **errp)
{
    QemuOpts *popts = qemu_opts_create(qemu_opts_list(opts), NULL, 0,
                                       &error_abort);
    int ret;

    qemu_opt_set_number(popts, BLOCK_OPT_SIZE, 0, &error_abort);
    ret = bdrv_co_create_file(filename, popts, errp);
    qemu_opts_del(popts);
    return ret;
}

int coroutine_fn qcow2_co_create_opts(BlockDriver *drv, const char *filename,
                                      QemuOpts *opts, Error **errp)
{
    Qcow2CreateParams p = { 0 };
    QDict *options;
    BlockDriverState *bs;
    int ret = qcow2_create_params(&p, opts, errp);

    if (ret == 0) {
        ret = qcow2_create_file(filename, opts, errp);
    }
    if (ret == 0 && p.data_file) {
        ret = qcow2_create_file(p.data_file, opts, errp);
    }
    if (ret == 0) {
        ret = qcow2_create_write_initial(filename, &p, errp);
    }
    if (ret < 0) {
        return ret;
    }
    options = qdict_new();
    qdict_put_str(options, "driver", "qcow2");
    bs = bdrv_co_open(filename, NULL, options,
                      BDRV_O_RDWR | BDRV_O_NO_BACKING | BDRV_O_NO_FLUSH,
                      errp);
    if (!bs) {
        return -EIO;
    }
    /* The disk is a whole number of sectors, as qemu-img makes it */
    ret = qcow2_co_truncate(bs, ROUND_UP(p.size, BDRV_SECTOR_SIZE), false,
                            p.prealloc, 0, NULL);
    if (ret == 0) {
        ret = bdrv_co_flush(bs);
    }
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Could not resize the new image to %"
                         PRIu64 " bytes", p.size);
    }
    bdrv_co_unref(bs);
    return ret;
}
