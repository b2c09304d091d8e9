/*
 * qcow2 amend (qemu-img amend): compat 1.1 <-> 0.10, refcount_bits,
 * lazy_refcounts, backing_file, backing_fmt, data_file, data_file_raw
 * (only off: it cannot be set on an existing image) and size.  Options only
 * creation can set (cluster_size, encryption, ...) are not in the amend
 * list, so the core refuses them.
 *
 * A version change or a new backing file rewrites the whole first
 * cluster in one write: the fixed header of the new version, the
 * extensions kept (the feature name table only in version 3), then the
 * backing file name; a new data file name replaces the extension that
 * names it, in its place (an empty name drops it, as qemu-img does; the
 * data file itself is not opened).  Going down to 0.10 first expands zero clusters,
 * which version 2 cannot express: a zero cluster with a host cluster gets
 * zeroes written to it, one without becomes unallocated (or, over a
 * backing file, a newly allocated cluster of zeroes).  A new refcount
 * width rebuilds the refcount structure (qcow2-repair.c) at that width.
 */
#include "qcow2-check.h"

#define QCOW2_AMEND_V3_HEADER 112

QemuOptsList qcow2_amend_opts = {
    .name = "qcow2-amend-opts",
    .desc = {
        { .name = "compat", .type = QEMU_OPT_STRING,
          .help = "Compatibility level (v2 [0.10] or v3 [1.1])" },
        { .name = BLOCK_OPT_BACKING_FILE, .type = QEMU_OPT_STRING,
          .help = "File name of a base image" },
        { .name = BLOCK_OPT_BACKING_FMT, .type = QEMU_OPT_STRING,
          .help = "Image format of the base image" },
        { .name = "data_file", .type = QEMU_OPT_STRING,
          .help = "File name of an external data file" },
        { .name = "data_file_raw", .type = QEMU_OPT_BOOL,
          .help = "The external data file must stay valid as a raw image" },
        { .name = "lazy_refcounts", .type = QEMU_OPT_BOOL,
          .help = "Postpone refcount updates" },
        { .name = "refcount_bits", .type = QEMU_OPT_NUMBER,
          .help = "Width of a reference count entry in bits" },
        { .name = BLOCK_OPT_SIZE, .type = QEMU_OPT_SIZE,
          .help = "Virtual disk size" },
        { /* end of list */ }
    },
};

typedef struct Qcow2Amend {
    int version;
    int order;
    bool lazy;
    const char *backing;     /* NULL: unchanged */
    const char *backing_fmt; /* NULL: unchanged */
    const char *data_file;   /* NULL: unchanged */
    bool data_file_raw;
    uint64_t size;           /* 0: unchanged */
    BlockDriverAmendStatusCB *cb;
    void *opaque;
} Qcow2Amend;

static int qcow2_amend_parse(BlockDriverState *bs, QemuOpts *opts,
                             Qcow2Amend *a, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    const char *compat = qemu_opt_get(opts, "compat");
    uint64_t rb = qemu_opt_get_number(opts, "refcount_bits",
                                      s->refcount_bits);

    a->version = s->version;
    if (compat && (!strcmp(compat, "0.10") || !strcmp(compat, "v2"))) {
        a->version = 2;
    } else if (compat && (!strcmp(compat, "1.1") || !strcmp(compat, "v3"))) {
        a->version = 3;
    } else if (compat) {
        error_setg(errp, "Unknown compatibility level %s", compat);
        return -EINVAL;
    }
    a->data_file = qemu_opt_get(opts, "data_file");
    if (a->data_file && !(s->incompatible & QCOW2_INCOMPAT_DATA_FILE)) {
        error_setg(errp, "data-file can only be set for images that use an "
                   "external data file");
        return -EINVAL;
    }
    if (a->data_file && strlen(a->data_file) > QCOW2_MAX_BACKING_NAME) {
        error_setg(errp, "Data file name too long: %zu bytes (at most %d)",
                   strlen(a->data_file), QCOW2_MAX_BACKING_NAME);
        return -EINVAL;
    }
    /* Turned off, or left on: a data file written so far may not be raw */
    a->data_file_raw = qemu_opt_get_bool(opts, "data_file_raw",
                                         s->data_file_raw);
    if (a->data_file_raw && !s->data_file_raw) {
        error_setg(errp, "data-file-raw cannot be set on existing images");
        return -EINVAL;
    }
    if (rb < 1 || rb > 64 || (rb & (rb - 1))) {
        error_setg(errp, "Refcount width must be a power of two and may not "
                   "exceed 64 bits");
        return -EINVAL;
    }
    a->order = __builtin_ctzll(rb);
    if (a->version < 3 && rb != 16) {
        error_setg(errp, s->version >= 3 && compat && a->version == 2 ?
                   "compat=0.10 requires refcount_bits=16" :
                   "Refcount widths other than 16 bits require "
                   "compatibility level 1.1 or above (use compat=1.1 or "
                   "greater)");
        return -EINVAL;
    }
    /* Going down to 0.10 drops lazy refcounts unless they are asked for */
    a->lazy = qemu_opt_get_bool(opts, "lazy_refcounts",
                                a->version >= 3 &&
                                (s->compatible & QCOW2_COMPAT_LAZY_REFCOUNTS));
    if (a->lazy && a->version < 3) {
        error_setg(errp, "Lazy refcounts only supported with compatibility "
                   "level 1.1 and above (use compat=1.1 or greater)");
        return -EINVAL;
    }
    a->backing = qemu_opt_get(opts, BLOCK_OPT_BACKING_FILE);
    a->backing_fmt = qemu_opt_get(opts, BLOCK_OPT_BACKING_FMT);
    if (a->backing && strlen(a->backing) > QCOW2_MAX_BACKING_NAME) {
        error_setg(errp, "Backing file name too long: %zu bytes (at most %d)",
                   strlen(a->backing), QCOW2_MAX_BACKING_NAME);
        return -EINVAL;
    }
    if (a->backing_fmt && strlen(a->backing_fmt) >= 16) {
        error_setg(errp, "Backing format name '%s' is too long",
                   a->backing_fmt);
        return -EINVAL;
    }
    a->size = qemu_opt_get_size(opts, BLOCK_OPT_SIZE, 0);
    return 0;
}

/* Append extension @type with @len bytes at *pos; false if it won't fit */
static bool qcow2_amend_ext(uint8_t *buf, size_t cap, size_t *pos,
                            uint32_t type, const void *data, uint32_t len)
{
    if (*pos + 8 + ROUND_UP(len, 8) > cap) {
        return false;
    }
    stl_be_p(buf + *pos, type);
    stl_be_p(buf + *pos + 4, len);
    memcpy(buf + *pos + 8, data, len);
    memset(buf + *pos + 8 + len, 0, ROUND_UP(len, 8) - len);
    *pos += 8 + ROUND_UP(len, 8);
    return true;
}

/*
 * The extensions of @old (validated at open) that the new header keeps;
 * the data file's named @data_file instead when set (dropped when empty)
 */
static bool qcow2_amend_copy_exts(BDRVQcow2State *s, const uint8_t *old,
                                  uint8_t *buf, size_t *pos, int version,
                                  const char *data_file)
{
    uint64_t end = s->backing_offset ? s->backing_offset
                                     : (uint64_t)s->cluster_size;

    for (uint64_t off = s->header_length; off + 8 <= end;) {
        uint32_t type = ldl_be_p(old + off), len = ldl_be_p(old + off + 4);

        if (type == QCOW2_EXT_END || len > end - off - 8) {
            break;
        }
        if (type == QCOW2_EXT_DATA_FILE && data_file) {
            if (*data_file &&
                !qcow2_amend_ext(buf, s->cluster_size, pos, type, data_file,
                                 strlen(data_file))) {
                return false;
            }
        /* A version 3 header gets a fresh feature table when it is new */
        } else if (!(type == QCOW2_EXT_FEATURE_TABLE &&
              (version < 3 || s->version < 3)) &&
            type != QCOW2_EXT_BACKING_FORMAT &&
            !qcow2_amend_ext(buf, s->cluster_size, pos, type, old + off + 8,
                             len)) {
            return false;
        }
        off += 8 + ROUND_UP((uint64_t)len, 8);
    }
    return true;
}

static const char *const qcow2_amend_features[] = {
    "\0\0dirty bit", "\0\1corrupt bit", "\0\2external data file",
    "\0\3compression type", "\0\4extended L2 entries", "\1\0lazy refcounts",
    "\2\0bitmaps", "\2\1raw external data",
};

/* The fixed part of the header of @version, from the current one */
static size_t qcow2_amend_fixed(BDRVQcow2State *s, const uint8_t *old,
                                uint8_t *buf, const Qcow2Amend *a)
{
    memcpy(buf, old, QCOW2_V2_HEADER_LEN);
    stl_be_p(buf + 4, a->version);
    if (a->version < 3) {
        return QCOW2_V2_HEADER_LEN;
    }
    stq_be_p(buf + 72, s->version >= 3 ? ldq_be_p(old + 72) : 0);
    stq_be_p(buf + 80, a->lazy ? QCOW2_COMPAT_LAZY_REFCOUNTS : 0);
    stq_be_p(buf + 88, s->version >= 3 ? ldq_be_p(old + 88) : 0);
    stl_be_p(buf + 96, s->refcount_order);
    stl_be_p(buf + 100, QCOW2_AMEND_V3_HEADER);
    buf[104] = s->compression_type;
    return QCOW2_AMEND_V3_HEADER;
}

/* Write a new first cluster: version, extensions, backing file name */
static int coroutine_fn qcow2_amend_rewrite_header(BlockDriverState *bs,
                                                   const Qcow2Amend *a,
                                                   Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    g_autofree uint8_t *old = g_malloc0(s->cluster_size);
    g_autofree uint8_t *buf = g_malloc0(s->cluster_size);
    const char *name = a->backing ? a->backing : bs->backing_file;
    const char *fmt = a->backing_fmt ? a->backing_fmt : bs->backing_format;
    uint8_t table[ARRAY_SIZE(qcow2_amend_features) * 48] = { 0 };
    size_t pos, nlen = strlen(name);
    int ret = bdrv_co_pread(bs->file, 0, MIN(s->file_len, s->cluster_size),
                            old, 0);

    if (ret < 0) {
        error_setg_errno(errp, -ret, "Could not read the qcow2 header");
        return ret;
    }
    pos = qcow2_amend_fixed(s, old, buf, a);
    if (fmt && *fmt && !qcow2_amend_ext(buf, s->cluster_size, &pos,
                                        QCOW2_EXT_BACKING_FORMAT, fmt,
                                        strlen(fmt))) {
        goto too_big;
    }
    /* (the backing format, if any, went first) */
    if (!qcow2_amend_copy_exts(s, old, buf, &pos, a->version,
                               a->data_file)) {
        goto too_big;
    }
    for (size_t i = 0; s->version < 3 && a->version >= 3 &&
         i < ARRAY_SIZE(qcow2_amend_features); i++) {
        memcpy(table + i * 48, qcow2_amend_features[i],
               2 + strlen(qcow2_amend_features[i] + 2));
    }
    if ((s->version < 3 && a->version >= 3 &&
         !qcow2_amend_ext(buf, s->cluster_size, &pos,
                          QCOW2_EXT_FEATURE_TABLE, table, sizeof(table))) ||
        pos + 8 + nlen > (size_t)s->cluster_size) {
        goto too_big;
    }
    pos += 8;                                  /* the end marker */
    stq_be_p(buf + 8, nlen ? pos : 0);
    stl_be_p(buf + 16, nlen);
    memcpy(buf + pos, name, nlen);
    ret = qcow2_write_header_field(bs, 0, buf, s->cluster_size);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Could not write the qcow2 header");
        return ret;
    }
    s->header_length = a->version >= 3 ? QCOW2_AMEND_V3_HEADER
                                       : QCOW2_V2_HEADER_LEN;
    s->backing_offset = nlen ? pos : 0;
    snprintf(bs->backing_file, sizeof(bs->backing_file), "%s", name);
    snprintf(bs->backing_format, sizeof(bs->backing_format), "%s",
             fmt ? fmt : "");
    if (a->data_file) {
        g_free(s->data_file_name);
        s->data_file_name = *a->data_file ? g_strdup(a->data_file) : NULL;
    }
    return 0;

too_big:
    error_setg(errp, "The header extensions and backing file name do not "
               "fit in the first cluster (%" PRId64 " bytes)",
               s->cluster_size);
    return -ENOSPC;
}

/* One guest cluster of a zero entry, as version 2 can express it */
static int coroutine_fn qcow2_amend_expand_one(BlockDriverState *bs,
                                               uint64_t offset, uint64_t e)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t host = e & QCOW2_L2E_OFFSET_MASK;
    g_autofree void *zero = NULL;
    int ret;

    if (qcow2_entry_type(s, e) == QCOW2_CLUSTER_ZERO_PLAIN) {
        if (!bs->backing) {
            return qcow2_set_l2_entry(bs, offset, 0);
        }
        /* Over a backing file the zeroes need a cluster of their own */
        host = qcow2_alloc_clusters(bs, 1);
        if ((int64_t)host < 0) {
            return host;
        }
        e = host | QCOW2_OFLAG_COPIED;
    }
    zero = g_malloc0(s->cluster_size);
    ret = qcow2_pre_write_check(bs, 0, host, s->cluster_size);
    if (ret == 0) {
        ret = bdrv_co_pwrite(bs->file, host, s->cluster_size, zero, 0);
    }
    return ret ? ret : qcow2_set_l2_entry(bs, offset, e & ~QCOW2_OFLAG_ZERO);
}

/* Zero clusters of the active L1 table become data or unallocated */
static int coroutine_fn qcow2_amend_expand_zeroes(BlockDriverState *bs,
                                                  Qcow2Amend *a)
{
    BDRVQcow2State *s = bs->opaque;
    int64_t total = DIV_ROUND_UP(s->disk_size, s->cluster_size);

    for (int64_t i = 0; i < total; i++) {
        uint64_t off = i << s->cluster_bits, e;
        int ret = qcow2_get_l2_entry(bs, off, &e);
        Qcow2ClusterType t = qcow2_entry_type(s, e);

        if (ret == 0 && (t == QCOW2_CLUSTER_ZERO_PLAIN ||
                         t == QCOW2_CLUSTER_ZERO_ALLOC)) {
            ret = qcow2_amend_expand_one(bs, off, e);
        }
        if (ret < 0) {
            return ret;
        }
        if (a->cb && (i % 1024 == 0 || i == total - 1)) {
            a->cb(bs, i + 1, total * 2, a->opaque);
        }
    }
    return qcow2_cache_flush(bs, s->l2_cache) ?:
           qcow2_cache_flush(bs, s->refblock_cache);
}

static int coroutine_fn qcow2_amend_downgrade(BlockDriverState *bs,
                                              Qcow2Amend *a, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t bad = s->incompatible & ~(QCOW2_INCOMPAT_DIRTY |
                                       QCOW2_INCOMPAT_CORRUPT);
    int ret;

    if (bad) {
        error_setg(errp, "Cannot downgrade an image with incompatible "
                   "features %#" PRIx64 " set", bad);
        return -ENOTSUP;
    }
    if (s->nb_snapshots) {
        error_setg(errp, "Cannot downgrade an image with internal snapshots "
                   "(%u); their zero clusters cannot be expanded",
                   s->nb_snapshots);
        return -ENOTSUP;
    }
    if (s->refcount_order != 4) {
        error_setg(errp, "compat=0.10 requires refcount_bits=16");
        return -ENOTSUP;
    }
    ret = qcow2_mark_clean(bs, QCOW2_INCOMPAT_DIRTY);
    if (ret == 0) {
        ret = qcow2_amend_expand_zeroes(bs, a);
    }
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Failed to expand the zero clusters");
        return ret;
    }
    ret = qcow2_amend_rewrite_header(bs, a, errp);
    if (ret == 0) {
        s->version = 2;
        s->incompatible = s->compatible = s->autoclear = 0;
        s->compression_type = QCOW2_COMPRESSION_ZLIB;
    }
    return ret;
}

static int coroutine_fn qcow2_amend_upgrade(BlockDriverState *bs,
                                            Qcow2Amend *a, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    int ret = qcow2_amend_rewrite_header(bs, a, errp);

    if (ret == 0) {
        s->version = 3;
        s->incompatible = s->autoclear = 0;
        s->compatible = a->lazy ? QCOW2_COMPAT_LAZY_REFCOUNTS : 0;
    }
    return ret;
}

/* lazy_refcounts on or off (version 3) */
static int coroutine_fn qcow2_amend_lazy(BlockDriverState *bs, bool lazy,
                                         Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t bits = lazy ? s->compatible | QCOW2_COMPAT_LAZY_REFCOUNTS
                         : s->compatible & ~QCOW2_COMPAT_LAZY_REFCOUNTS;
    uint8_t buf[8];
    int ret = 0;

    if (bits == s->compatible) {
        return 0;
    }
    /* Refcounts must be right on disk before they stop being lazy */
    if (!lazy) {
        ret = qcow2_mark_clean(bs, QCOW2_INCOMPAT_DIRTY);
    }
    stq_be_p(buf, bits);
    if (ret == 0) {
        ret = qcow2_write_header_field(bs, 80, buf, 8);
    }
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Failed to update the lazy refcounts "
                         "bit");
        return ret;
    }
    s->compatible = bits;
    return 0;
}

/* data_file_raw off: from now on the data file need not be a raw image */
static int coroutine_fn qcow2_amend_raw_off(BlockDriverState *bs,
                                            Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t bits = s->autoclear & ~QCOW2_AUTOCLEAR_DATA_FILE_RAW;
    uint8_t buf[8];
    int ret;

    stq_be_p(buf, bits);
    ret = qcow2_write_header_field(bs, QCOW2_HDR_AUTOCLEAR, buf, 8);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Failed to clear the raw external data "
                         "bit");
        return ret;
    }
    s->autoclear = bits;
    s->data_file_raw = false;
    return 0;
}

/* A new refcount width: the structure rebuilt from counted references */
static int coroutine_fn qcow2_amend_refcount_bits(BlockDriverState *bs,
                                                  Qcow2Amend *a,
                                                  Error **errp)
{
    BdrvCheckResult res = { 0 }, fresh = { 0 };
    Qcow2Check c = { .bs = bs, .res = &res, .quiet = true, .l1_lo = 1 };
    int64_t highest = 0;
    int ret = qcow2_mark_clean(bs, QCOW2_INCOMPAT_DIRTY);

    if (ret == 0) {
        ret = qcow2_check_init(&c);
    }
    if (ret == 0) {
        ret = qcow2_check_calculate(&c);
    }
    if (ret == 0 && (res.corruptions || res.check_errors || c.rebuild)) {
        error_setg(errp, "The image has errors; repair it (check -r all) "
                   "before changing refcount_bits");
        ret = -EINVAL;
    } else if (ret == 0) {
        ret = qcow2_repair_rebuild(&c, a->order);
        if (ret == -ERANGE) {
            error_setg(errp, "Cannot decrease refcount entry width to %d "
                       "bits: a cluster has more references than that can "
                       "count", 1 << a->order);
        }
    }
    /* The old table and blocks are leaks now: free them */
    if (ret == 0) {
        ret = qcow2_check_init(&c);
    }
    if (ret == 0) {
        ret = qcow2_check_calculate(&c);
    }
    if (ret == 0) {
        c.res = &fresh;
        ret = qcow2_repair_compare(&c, &fresh, BDRV_FIX_LEAKS, &highest);
    }
    if (ret < 0 && errp && !*errp) {
        error_setg_errno(errp, -ret, "Failed to change the refcount width");
    }
    qcow2_check_free(&c);
    return ret;
}

typedef struct Qcow2AmendCall {
    Qcow2Amend a;
    Error **errp;
} Qcow2AmendCall;

static bool qcow2_amend_backing_changes(BlockDriverState *bs,
                                        const Qcow2Amend *a)
{
    return (a->backing && strcmp(a->backing, bs->backing_file)) ||
           (a->backing_fmt && strcmp(a->backing_fmt, bs->backing_format));
}

/* Version, refcount width, lazy refcounts, backing file, data file, in
 * that order */
static int coroutine_fn qcow2_amend_locked(BlockDriverState *bs,
                                           Qcow2Amend *a, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    bool width = a->order != s->refcount_order;
    int ret = 0;

    if (qcow2_amend_backing_changes(bs, a)) {
        warn_report("Deprecated use of amend to alter the backing file; use "
                    "qemu-img rebase instead");
    }
    if (a->version < s->version) {
        ret = width ? qcow2_amend_refcount_bits(bs, a, errp) : 0;
        return ret ? ret : qcow2_amend_downgrade(bs, a, errp);
    }
    if (a->version > s->version) {
        ret = qcow2_amend_upgrade(bs, a, errp);
    } else if (qcow2_amend_backing_changes(bs, a) || a->data_file) {
        ret = qcow2_amend_rewrite_header(bs, a, errp);
    }
    if (ret == 0 && width) {
        ret = qcow2_amend_refcount_bits(bs, a, errp);
    }
    if (ret == 0 && s->version >= 3) {
        ret = qcow2_amend_lazy(bs, a->lazy, errp);
    }
    if (ret == 0 && s->data_file_raw && !a->data_file_raw) {
        ret = qcow2_amend_raw_off(bs, errp);
    }
    return ret;
}

static int coroutine_fn qcow2_amend_co(BlockDriverState *bs, void *opaque)
{
    Qcow2AmendCall *c = opaque;
    BDRVQcow2State *s = bs->opaque;
    int ret;

    if (c->a.size && c->a.size < s->disk_size) {
        error_setg(c->errp, "qcow2 doesn't support shrinking images yet");
        return -ENOTSUP;
    }
    if (c->a.cb) {
        c->a.cb(bs, 0, 1, c->a.opaque);
    }
    qemu_co_mutex_lock(&s->lock);
    ret = qcow2_cache_flush(bs, s->l2_cache);
    if (ret == 0) {
        ret = qcow2_amend_locked(bs, &c->a, c->errp);
    } else {
        error_setg_errno(c->errp, -ret, "Failed to flush the caches");
    }
    qemu_co_mutex_unlock(&s->lock);
    if (ret == 0 && c->a.size > s->disk_size) {
        ret = qcow2_grow(bs, c->a.size);
        if (ret < 0) {
            error_setg_errno(c->errp, -ret, "Failed to resize the image");
        }
    }
    if (ret == 0 && c->a.cb) {
        c->a.cb(bs, 1, 1, c->a.opaque);
    }
    return ret;
}

int qcow2_amend_options(BlockDriverState *bs, QemuOpts *opts,
                        BlockDriverAmendStatusCB *status_cb, void *cb_opaque,
                        bool force, Error **errp)
{
    Qcow2AmendCall c = { .a = { .cb = status_cb, .opaque = cb_opaque },
                         .errp = errp };
    int ret = qcow2_amend_parse(bs, opts, &c.a, errp);

    if (ret == 0) {
        ret = qcow2_co_run(bs, qcow2_amend_co, &c);
    }
    if (ret == 0) {
        bs->total_sectors = DIV_ROUND_UP(((BDRVQcow2State *)bs->opaque)->
                                         disk_size, BDRV_SECTOR_SIZE);
    }
    return ret;
}

/* qemu-img rebase: a new backing file name and format in the header */
int coroutine_fn qcow2_co_change_backing_file(BlockDriverState *bs,
                                              const char *backing_file,
                                              const char *backing_fmt)
{
    BDRVQcow2State *s = bs->opaque;
    Qcow2Amend a = {
        .version = s->version,
        .order = s->refcount_order,
        .lazy = s->version >= 3 &&
                (s->compatible & QCOW2_COMPAT_LAZY_REFCOUNTS),
        .backing = backing_file ? backing_file : "",
        .backing_fmt = backing_fmt ? backing_fmt : "",
    };
    Error *err = NULL;
    int ret;

    if (backing_file && strlen(backing_file) > QCOW2_MAX_BACKING_NAME) {
        return -EINVAL;
    }
    if (backing_fmt && strlen(backing_fmt) >= 16) {
        return -EINVAL;
    }
    qemu_co_mutex_lock(&s->lock);
    ret = qcow2_amend_rewrite_header(bs, &a, &err);
    qemu_co_mutex_unlock(&s->lock);
    /* (the caller names the file and the errno, as qemu-img does) */
    error_free(err);
    return ret;
}
