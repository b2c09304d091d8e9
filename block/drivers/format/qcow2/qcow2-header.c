/*
 * qcow2 header: parsing and validation of every field and extension
 * against the limits of qcow2.h, and the in-place updates of single
 * header fields (feature bits, table locations).  The header is never
 * rewritten as a whole, so extensions this driver does not know (and the
 * bitmaps extension) are preserved byte for byte.
 */
#include "qcow2.h"

/*
 * The first cluster, as read at open: a prefix of it, read further when
 * an extension or the backing file name lies past what was read (the
 * fixed header and its extensions rarely need more than the first read,
 * where the cluster may be 2 MiB)
 */
typedef struct Qcow2HeaderBuf {
    BdrvChild *file;
    uint8_t *buf;
    int64_t len;       /* bytes of the first cluster that exist */
    int64_t loaded;    /* bytes of them read into buf */
    size_t size;       /* bytes at buf (qcow2_table_new0), zeroes past
                          the end of the file */
    int64_t file_len;  /* length of the image file */
} Qcow2HeaderBuf;

/* The first read: the fixed header and the usual extensions */
#define QCOW2_HEADER_FIRST_READ 4096

/*
 * Read the first cluster up to @end (at most h->len) into h->buf; reads
 * grow geometrically, so that a walk over many extensions reads little
 */
static int qcow2_header_load(Qcow2HeaderBuf *h, int64_t end, Error **errp)
{
    int64_t want = MIN(MAX(end, h->loaded * 2), h->len);
    size_t size = MAX(want, QCOW2_V3_MIN_HEADER_LEN);
    int ret;

    /* (callers ask within the first cluster: h->len; past it, zeroes) */
    if (end <= h->loaded || want <= h->loaded) {
        return 0;
    }
    if (size > h->size) {
        uint8_t *buf = qcow2_table_new0(size);

        if (!buf) {
            error_setg(errp, "Could not allocate the header cluster");
            return -ENOMEM;
        }
        if (h->loaded) {
            memcpy(buf, h->buf, h->loaded);
        }
        qcow2_table_free(h->buf, h->size);
        h->buf = buf;
        h->size = size;
    }
    /* A cluster of up to 2 MiB, mostly zeroes: only its data is read */
    ret = want - h->loaded < QCOW2_TABLE_MAP_MIN
          ? bdrv_pread(h->file, h->loaded, want - h->loaded,
                       h->buf + h->loaded, 0)
          : qcow2_pread_data(h->file, h->loaded, want - h->loaded,
                             h->buf + h->loaded);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Could not read the qcow2 header");
        return ret;
    }
    h->loaded = want;
    return 0;
}

/* offset + count * entry_size must be aligned, not overflow, fit the file */
static int qcow2_header_check_table(BDRVQcow2State *s, int64_t file_len,
                                    uint64_t offset, uint64_t count,
                                    uint64_t entry_size, const char *what,
                                    Error **errp)
{
    if (offset & (s->cluster_size - 1)) {
        error_setg(errp, "%s offset %#" PRIx64 " is not aligned to the "
                   "cluster size %" PRId64, what, offset, s->cluster_size);
        return -EINVAL;
    }
    if (count > (uint64_t)INT64_MAX / entry_size ||
        offset > (uint64_t)INT64_MAX - count * entry_size) {
        error_setg(errp, "%s offset %#" PRIx64 " with %" PRIu64 " entries "
                   "overflows", what, offset, count);
        return -EINVAL;
    }
    if (count && offset + count * entry_size > (uint64_t)file_len) {
        error_setg(errp, "%s at %#" PRIx64 " (%" PRIu64 " bytes) lies beyond "
                   "the end of the file (%" PRId64 " bytes)", what, offset,
                   count * entry_size, file_len);
        return -EINVAL;
    }
    if (count && offset < (uint64_t)s->cluster_size) {
        error_setg(errp, "%s offset %#" PRIx64 " overlaps the header", what,
                   offset);
        return -EINVAL;
    }
    return 0;
}

/* "Unsupported qcow2 feature(s): name, name, Unknown ...: mask" */
static void qcow2_header_report_features(BDRVQcow2State *s, uint64_t mask,
                                         Error **errp)
{
    char msg[64 * 50 + 64] = "";
    size_t len = 0;

    for (size_t i = 0; i + 48 <= s->feature_table_len && mask; i += 48) {
        const uint8_t *e = s->feature_table + i;

        if (e[0] == 0 && e[1] < 64 && (mask & (1ULL << e[1]))) {
            len += snprintf(msg + len, sizeof(msg) - len, "%s%.46s",
                            len ? ", " : "", (const char *)e + 2);
            mask &= ~(1ULL << e[1]);
        }
    }
    if (mask) {
        snprintf(msg + len, sizeof(msg) - len,
                 "%sUnknown incompatible feature: %" PRIx64, len ? ", " : "",
                 mask);
    }
    error_setg(errp, "Unsupported qcow2 feature(s): %s", msg);
}

static int qcow2_header_ext_bitmaps(BlockDriverState *bs, BDRVQcow2State *s,
                                    const uint8_t *d, uint32_t len,
                                    int64_t file_len, Error **errp)
{
    if (len != 24) {
        error_setg(errp, "Bitmaps extension length %u is not 24", len);
        return -EINVAL;
    }
    s->nb_bitmaps = ldl_be_p(d);
    s->bitmap_dir_size = ldq_be_p(d + 8);
    s->bitmap_dir_offset = ldq_be_p(d + 16);
    if (s->nb_bitmaps == 0 || s->nb_bitmaps > QCOW2_MAX_BITMAPS) {
        error_setg(errp, "Bitmaps extension: %u bitmaps (must be 1 to %u)",
                   s->nb_bitmaps, QCOW2_MAX_BITMAPS);
        return -EINVAL;
    }
    if (ldl_be_p(d + 4)) {
        error_setg(errp, "Bitmaps extension: reserved field is %#x, not 0",
                   ldl_be_p(d + 4));
        return -EINVAL;
    }
    if (s->bitmap_dir_size == 0 ||
        s->bitmap_dir_size > QCOW2_MAX_BITMAP_DIR_BYTES) {
        error_setg(errp, "Bitmaps extension: directory size %" PRIu64
                   " (must be 1 to %d)", s->bitmap_dir_size,
                   QCOW2_MAX_BITMAP_DIR_BYTES);
        return -EINVAL;
    }
    if (qcow2_header_check_table(s, file_len, s->bitmap_dir_offset,
                                 s->bitmap_dir_size, 1, "Bitmap directory",
                                 errp) < 0) {
        return -EINVAL;
    }
    s->has_bitmaps = true;
    return 0;
}

static int qcow2_header_ext_one(BlockDriverState *bs, BDRVQcow2State *s,
                                uint32_t type, const uint8_t *d, uint32_t len,
                                int64_t file_len, Error **errp)
{
    switch (type) {
    case QCOW2_EXT_BACKING_FORMAT:
        if (len >= sizeof(bs->backing_format)) {
            error_setg(errp, "Backing format name length %u too large "
                       "(at most %zu)", len, sizeof(bs->backing_format) - 1);
            return -EINVAL;
        }
        memcpy(bs->backing_format, d, len);
        bs->backing_format[len] = 0;
        return 0;
    case QCOW2_EXT_FEATURE_TABLE:
        s->feature_table = g_memdup2(d, len);
        s->feature_table_len = len;
        return 0;
    case QCOW2_EXT_BITMAPS:
        return qcow2_header_ext_bitmaps(bs, s, d, len, file_len, errp);
    case QCOW2_EXT_CRYPTO:
        error_setg(errp, "Encrypted qcow2 images are not supported "
                   "(full disk encryption header extension present)");
        return -ENOTSUP;
    case QCOW2_EXT_DATA_FILE:
        return qcow2_datafile_ext(s, d, len, errp);
    default:
        return 0;
    }
}

/* Walk the extensions in [start, end) of the first cluster */
static int qcow2_header_read_exts(BlockDriverState *bs, BDRVQcow2State *s,
                                  Qcow2HeaderBuf *h, int64_t start,
                                  int64_t end, Error **errp)
{
    uint32_t seen[6] = { 0 };
    int nseen = 0;

    for (int64_t off = start; off + 8 <= end;) {
        uint32_t type, len;
        int ret = qcow2_header_load(h, off + 8, errp);

        if (ret < 0) {
            return ret;
        }
        type = ldl_be_p(h->buf + off);
        len = ldl_be_p(h->buf + off + 4);
        if (type == QCOW2_EXT_END) {
            return 0;
        }
        if (len > end - off - 8) {
            error_setg(errp, "Header extension %#x at %#" PRIx64 ": length %u "
                       "goes past the end of the header area (%#" PRIx64 ")",
                       type, off, len, end);
            return -EINVAL;
        }
        ret = qcow2_header_load(h, off + 8 + len, errp);
        if (ret < 0) {
            return ret;
        }
        for (int i = 0; i < nseen; i++) {
            if (seen[i] == type) {
                error_setg(errp, "Header extension %#x appears twice", type);
                return -EINVAL;
            }
        }
        if (nseen < (int)ARRAY_SIZE(seen) &&
            (type == QCOW2_EXT_BACKING_FORMAT ||
             type == QCOW2_EXT_FEATURE_TABLE || type == QCOW2_EXT_BITMAPS ||
             type == QCOW2_EXT_CRYPTO || type == QCOW2_EXT_DATA_FILE)) {
            seen[nseen++] = type;
        }
        ret = qcow2_header_ext_one(bs, s, type, h->buf + off + 8, len,
                                   h->file_len, errp);
        if (ret < 0) {
            return ret;
        }
        off += 8 + ROUND_UP((uint64_t)len, 8);
    }
    return 0;
}

static int qcow2_header_check_geometry(BDRVQcow2State *s, Qcow2HeaderBuf *h,
                                       Error **errp)
{
    const uint8_t *b = h->buf;

    s->cluster_bits = ldl_be_p(b + 20);
    if (s->cluster_bits < QCOW2_MIN_CLUSTER_BITS ||
        s->cluster_bits > QCOW2_MAX_CLUSTER_BITS) {
        error_setg(errp, "Unsupported cluster size: 2^%u (cluster_bits must "
                   "be %d to %d)", (unsigned)ldl_be_p(b + 20),
                   QCOW2_MIN_CLUSTER_BITS, QCOW2_MAX_CLUSTER_BITS);
        return -EINVAL;
    }
    s->cluster_size = 1LL << s->cluster_bits;
    s->l2_bits = s->cluster_bits - 3;
    s->l2_size = 1LL << s->l2_bits;
    s->l2_entry_words = 1;
    s->csize_shift = 62 - (s->cluster_bits - 8);
    s->csize_mask = (1ULL << (s->cluster_bits - 8)) - 1;
    s->cluster_offset_mask = (1LL << s->csize_shift) - 1;
    if (s->version == 2) {
        s->header_length = QCOW2_V2_HEADER_LEN;
        s->refcount_order = 4;
        return 0;
    }
    s->header_length = ldl_be_p(b + 100);
    if (s->header_length < QCOW2_V3_MIN_HEADER_LEN) {
        error_setg(errp, "qcow2 header too short: header_length %u (at least "
                   "%d)", s->header_length, QCOW2_V3_MIN_HEADER_LEN);
        return -EINVAL;
    }
    if (s->header_length > s->cluster_size) {
        error_setg(errp, "qcow2 header exceeds cluster size: header_length %u"
                   ", cluster size %" PRId64, s->header_length,
                   s->cluster_size);
        return -EINVAL;
    }
    if (s->header_length % 8) {
        error_setg(errp, "qcow2 header_length %u is not a multiple of 8",
                   s->header_length);
        return -EINVAL;
    }
    /* Unsigned: a value with the top bit set is too large, not negative */
    if ((uint32_t)ldl_be_p(b + 96) > QCOW2_MAX_REFCOUNT_ORDER) {
        error_setg(errp, "Reference count entry width too large; may not "
                   "exceed 64 bits (refcount_order %u)",
                   (unsigned)ldl_be_p(b + 96));
        return -EINVAL;
    }
    s->refcount_order = ldl_be_p(b + 96);
    return 0;
}

static int qcow2_header_check_features(BlockDriverState *bs,
                                       BDRVQcow2State *s, Qcow2HeaderBuf *h,
                                       int flags, Error **errp)
{
    uint64_t unsupported;

    if (s->version == 2) {
        return 0;
    }
    s->incompatible = ldq_be_p(h->buf + 72);
    s->compatible = ldq_be_p(h->buf + 80);
    s->autoclear = ldq_be_p(h->buf + 88);
    unsupported = s->incompatible & ~QCOW2_INCOMPAT_SUPPORTED;
    if (unsupported) {
        qcow2_header_report_features(s, unsupported, errp);
        return -ENOTSUP;
    }
    /* qemu-img check -r opens a corrupt image read-write to repair it */
    if ((s->incompatible & QCOW2_INCOMPAT_CORRUPT) && (flags & BDRV_O_RDWR) &&
        !(flags & BDRV_O_CHECK)) {
        error_setg(errp, "qcow2: Image is corrupt; cannot be opened "
                   "read/write");
        return -EACCES;
    }
    if (s->incompatible & QCOW2_INCOMPAT_EXTL2) {
        if (s->cluster_bits < 14) {
            error_setg(errp, "Extended L2 entries are only supported with "
                       "cluster sizes of at least 16384 bytes (cluster_bits "
                       "%d)", s->cluster_bits);
            return -EINVAL;
        }
        /* 128-bit entries: half as many per table */
        s->extended_l2 = true;
        s->l2_entry_words = 2;
        s->l2_bits = s->cluster_bits - 4;
        s->l2_size = 1LL << s->l2_bits;
        s->subcluster_bits = s->cluster_bits - 5;
    }
    s->compression_type = s->header_length > 104 ? h->buf[104] : 0;
    if (!!(s->incompatible & QCOW2_INCOMPAT_COMPRESSION) !=
        (s->compression_type != 0)) {
        error_setg(errp, "Invalid compression type %d for the compression "
                   "type feature bit %s", s->compression_type,
                   (s->incompatible & QCOW2_INCOMPAT_COMPRESSION) ? "set" :
                   "clear");
        return -EINVAL;
    }
    if (s->compression_type > QCOW2_COMPRESSION_ZSTD) {
        error_setg(errp, "Unknown compression type %d", s->compression_type);
        return -ENOTSUP;
    }
    return 0;
}

/* Backing file name: at most 1023 bytes, inside the first cluster */
static int qcow2_header_backing(BlockDriverState *bs, BDRVQcow2State *s,
                                Qcow2HeaderBuf *h, Error **errp)
{
    uint64_t off = ldq_be_p(h->buf + 8);
    uint32_t len = ldl_be_p(h->buf + 16);
    int ret;

    s->backing_offset = off;
    if (!off) {
        return 0;
    }
    if (len > QCOW2_MAX_BACKING_NAME) {
        error_setg(errp, "Backing file name too long: %u bytes (at most %d)",
                   len, QCOW2_MAX_BACKING_NAME);
        return -EINVAL;
    }
    if (off < s->header_length || off > (uint64_t)s->cluster_size ||
        off + len > (uint64_t)h->len) {
        error_setg(errp, "Backing file name at %#" PRIx64 " (%u bytes) lies "
                   "outside the first cluster", off, len);
        return -EINVAL;
    }
    ret = qcow2_header_load(h, off + len, errp);
    if (ret < 0) {
        return ret;
    }
    memcpy(bs->backing_file, h->buf + off, len);
    bs->backing_file[len] = 0;
    return 0;
}

static int qcow2_header_check_tables(BDRVQcow2State *s, Qcow2HeaderBuf *h,
                                     Error **errp)
{
    const uint8_t *b = h->buf;
    uint32_t crypt = ldl_be_p(b + 32);

    if (crypt) {
        error_setg(errp, "Encrypted qcow2 images are not supported (crypt "
                   "method %u)", crypt);
        return -ENOTSUP;
    }
    s->disk_size = ldq_be_p(b + 24);
    s->l1_size = ldl_be_p(b + 36);
    s->l1_offset = ldq_be_p(b + 40);
    s->reftable_offset = ldq_be_p(b + 48);
    s->reftable_clusters = ldl_be_p(b + 56);
    s->nb_snapshots = ldl_be_p(b + 60);
    s->snapshots_offset = ldq_be_p(b + 64);
    if (s->disk_size > (uint64_t)BDRV_MAX_LENGTH) {
        error_setg(errp, "Image size %" PRIu64 " too large", s->disk_size);
        return -EFBIG;
    }
    if ((uint64_t)s->l1_size * 8 > QCOW2_MAX_L1_BYTES) {
        error_setg(errp, "Active L1 table too large: %u entries (at most %d)",
                   s->l1_size, QCOW2_MAX_L1_BYTES / 8);
        return -EFBIG;
    }
    if (s->l1_size < qcow2_l1_entries_for(s, s->disk_size)) {
        error_setg(errp, "L1 table is too small: %u entries for a disk of %"
                   PRIu64 " bytes", s->l1_size, s->disk_size);
        return -EINVAL;
    }
    if (qcow2_header_check_table(s, h->file_len, s->l1_offset, s->l1_size, 8,
                                 "Active L1 table", errp) < 0) {
        return -EINVAL;
    }
    if (s->reftable_clusters == 0 ||
        (uint64_t)s->reftable_clusters * s->cluster_size >
        QCOW2_MAX_REFTABLE_BYTES) {
        error_setg(errp, "Reference count table too large or empty: %u "
                   "clusters (at most %d bytes)", s->reftable_clusters,
                   QCOW2_MAX_REFTABLE_BYTES);
        return -EINVAL;
    }
    s->reftable_size = (uint64_t)s->reftable_clusters * s->cluster_size / 8;
    if (qcow2_header_check_table(s, h->file_len, s->reftable_offset,
                                 s->reftable_size, 8, "Reference count table",
                                 errp) < 0) {
        return -EINVAL;
    }
    if (s->nb_snapshots > QCOW2_MAX_SNAPSHOTS) {
        error_setg(errp, "Too many snapshots: %u (at most %d)",
                   s->nb_snapshots, QCOW2_MAX_SNAPSHOTS);
        return -EINVAL;
    }
    if (s->nb_snapshots &&
        qcow2_header_check_table(s, h->file_len, s->snapshots_offset, 1, 1,
                                 "Snapshot table", errp) < 0) {
        return -EINVAL;
    }
    return 0;
}

/* The image length, the first read of the first cluster, the magic */
static int qcow2_header_read_buf(BlockDriverState *bs, Qcow2HeaderBuf *h,
                                 Error **errp)
{
    int64_t cluster_size;
    int ret;

    h->file = bs->file;
    h->file_len = bdrv_getlength(bs->file->bs);
    if (h->file_len < 0) {
        error_setg_errno(errp, -h->file_len, "Could not get the image length");
        return h->file_len;
    }
    /* (past a cluster of 512 bytes: never looked at) */
    h->len = MIN(h->file_len, QCOW2_HEADER_FIRST_READ);
    ret = qcow2_header_load(h, h->len, errp);
    if (ret < 0) {
        return ret;
    }
    if (h->file_len < QCOW2_V2_HEADER_LEN || ldl_be_p(h->buf) != QCOW2_MAGIC) {
        error_setg(errp, "Image is not in qcow2 format");
        return -EINVAL;
    }
    /* (an invalid cluster size is reported with the geometry) */
    cluster_size = (uint32_t)ldl_be_p(h->buf + 20);
    cluster_size = 1LL << MIN(MAX(cluster_size, QCOW2_MIN_CLUSTER_BITS),
                              QCOW2_MAX_CLUSTER_BITS);
    h->len = MIN(h->file_len, cluster_size);
    return 0;
}

int qcow2_read_header(BlockDriverState *bs, BDRVQcow2State *s, Error **errp)
{
    Qcow2HeaderBuf h = { 0 };
    int64_t ext_end;
    int ret = qcow2_header_read_buf(bs, &h, errp);

    if (ret < 0) {
        goto out;
    }
    s->file_len = h.file_len;
    s->fresh_from = h.file_len;
    s->version = ldl_be_p(h.buf + 4);
    if (s->version != 2 && s->version != 3) {
        error_setg(errp, "Unsupported qcow2 version %d", s->version);
        ret = -ENOTSUP;
        goto out;
    }
    ret = qcow2_header_check_geometry(s, &h, errp);
    if (ret < 0) {
        goto out;
    }
    /*
     * (no check that the header fits the file: the geometry puts the
     * refcount table past the first cluster, inside the file)
     */
    s->refcount_bits = 1 << s->refcount_order;
    s->refcount_max = s->refcount_bits == 64 ? UINT64_MAX :
                      (1ULL << s->refcount_bits) - 1;
    s->refblock_bits = s->cluster_bits + 3 - s->refcount_order;
    s->refblock_entries = 1LL << s->refblock_bits;
    ret = qcow2_header_backing(bs, s, &h, errp);
    if (ret < 0) {
        goto out;
    }
    /* Extensions are read first: the feature table names unknown bits */
    ext_end = s->backing_offset ? (int64_t)s->backing_offset : h.len;
    ret = qcow2_header_read_exts(bs, s, &h, s->header_length, ext_end, errp);
    if (ret < 0) {
        goto out;
    }
    ret = qcow2_header_check_features(bs, s, &h, bs->open_flags, errp);
    if (ret < 0) {
        goto out;
    }
    ret = qcow2_header_check_tables(s, &h, errp);
out:
    qcow2_table_free(h.buf, h.size);
    return ret;
}

/* Read the L1 table and the refcount table */
int qcow2_load_tables(BlockDriverState *bs, BDRVQcow2State *s, Error **errp)
{
    int64_t ret;

    qcow2_meta_index_drop(s);

    /* (mapped when big: a header may declare 32 MiB and use 8 bytes) */
    s->l1_loaded_bytes = MAX(s->l1_size, 1) * sizeof(uint64_t);
    s->l1_table = s->l1_loaded = qcow2_table_new0(s->l1_loaded_bytes);
    s->reftable = qcow2_table_new0(s->reftable_size * sizeof(uint64_t));
    if (!s->l1_table || !s->reftable) {
        error_setg(errp, "Could not allocate the L1 and refcount tables");
        return -ENOMEM;
    }
    ret = qcow2_read_table(bs->file, s->l1_offset, s->l1_size, s->l1_table);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Could not read the L1 table");
        return ret;
    }
    s->l1_used = ret;
    ret = qcow2_read_table(bs->file, s->reftable_offset, s->reftable_size,
                           s->reftable);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Could not read the refcount table");
        return ret;
    }
    s->reftable_used = ret;
    /* (a 0 entry is valid) */
    for (int64_t i = qcow2_next_nonzero_entry(s->reftable, 0, ret, 1);
         i < ret; i = qcow2_next_nonzero_entry(s->reftable, i + 1, ret, 1)) {
        uint64_t e = s->reftable[i];
        bool bad = (e & ~QCOW2_REFT_OFFSET_MASK) ||
                   (e & (s->cluster_size - 1)) ||
                   (e && e < (uint64_t)s->cluster_size);

        /* check reports them from the table on disk and rebuilds */
        if ((bad || e >= (uint64_t)s->file_len) &&
            (bs->open_flags & BDRV_O_CHECK)) {
            s->reftable[i] = 0;
        } else if (bad) {
            error_setg(errp, "Refcount table entry %" PRId64 " is invalid: "
                       "%#" PRIx64, i, e);
            return -EINVAL;
        }
    }
    return 0;
}

/* Write header bytes [offset, offset + bytes) (metadata overlap-checked) */
int coroutine_fn qcow2_write_header_field(BlockDriverState *bs,
                                          int64_t offset, const void *buf,
                                          int64_t bytes)
{
    int ret = qcow2_pre_write_check(bs, QCOW2_OL_HEADER, offset, bytes);

    if (ret < 0) {
        return ret;
    }
    return bdrv_co_pwrite_sync(bs->file, offset, bytes, buf, 0);
}

/* Set the incompatible feature bits to @bits (v3 only) */
int coroutine_fn qcow2_update_incompatible(BlockDriverState *bs, uint64_t bits)
{
    BDRVQcow2State *s = bs->opaque;
    uint8_t buf[8];

    if (s->version < 3) {
        return 0;
    }
    stq_be_p(buf, bits);
    s->incompatible = bits;
    return qcow2_write_header_field(bs, QCOW2_HDR_INCOMPAT, buf, 8);
}

/* Before writing: drop the autoclear bits we do not maintain */
int qcow2_clear_autoclear(BlockDriverState *bs, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t keep = s->autoclear & QCOW2_AUTOCLEAR_KNOWN;
    uint8_t buf[8];
    int ret;

    if (!s->has_bitmaps) {
        keep &= ~QCOW2_AUTOCLEAR_BITMAPS;
    }
    if (!(s->incompatible & QCOW2_INCOMPAT_DATA_FILE)) {
        keep &= ~QCOW2_AUTOCLEAR_DATA_FILE_RAW;
    }
    if (s->version < 3 || keep == s->autoclear) {
        return 0;
    }
    stq_be_p(buf, keep);
    ret = bdrv_pwrite_sync(bs->file, QCOW2_HDR_AUTOCLEAR, 8, buf, 0);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Could not update the autoclear bits");
        return ret;
    }
    s->autoclear = keep;
    return 0;
}
