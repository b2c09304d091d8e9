/*
 * The qcow2 format driver: open and close, metadata overlap checks and
 * corruption handling, flush, growing truncate, information.  See qcow2.h
 * for the other files and the QEMU qcow2 specification for the format.
 */
#include "qcow2.h"

static int qcow2_probe(const uint8_t *buf, int buf_size, const char *filename)
{
    if (buf_size >= 8 && ldl_be_p(buf) == QCOW2_MAGIC &&
        (ldl_be_p(buf + 4) == 2 || ldl_be_p(buf + 4) == 3)) {
        return 100;
    }
    return 0;
}

static const char *qcow2_overlap_name(int kind)
{
    switch (kind) {
    case QCOW2_OL_HEADER:
        return "qcow2_header";
    case QCOW2_OL_ACTIVE_L1:
        return "active L1 table";
    case QCOW2_OL_ACTIVE_L2:
        return "active L2 table";
    case QCOW2_OL_REFTABLE:
        return "refcount table";
    case QCOW2_OL_REFBLOCK:
        return "refcount block";
    case QCOW2_OL_SNAPSHOT_TABLE:
        return "snapshot table";
    case QCOW2_OL_INACTIVE_L1:
        return "inactive L1 table";
    default:
        return "bitmap directory";
    }
}

static bool qcow2_ranges_overlap(int64_t a, int64_t alen, uint64_t b,
                                 uint64_t blen)
{
    return blen && (uint64_t)a < b + blen && b < (uint64_t)(a + alen);
}

/* What the metadata index answers, the slow way (sanitizer builds compare) */
static int G_GNUC_UNUSED qcow2_check_overlap_walk(BDRVQcow2State *s,
                                                  int check, int64_t offset,
                                                  int64_t size)
{
    if ((check & QCOW2_OL_REFBLOCK) && s->reftable) {
        for (uint64_t i = 0; i < s->reftable_used; i++) {
            if (qcow2_ranges_overlap(offset, size, s->reftable[i],
                                     s->reftable[i] ? s->cluster_size : 0)) {
                return QCOW2_OL_REFBLOCK;
            }
        }
    }
    /* (past l1_used all is 0: closing an image under ASan checks it) */
    if ((check & QCOW2_OL_ACTIVE_L2) && s->l1_table) {
        for (uint32_t i = 0; i < s->l1_used; i++) {
            uint64_t l2 = s->l1_table[i] & QCOW2_L1E_OFFSET_MASK;

            if (qcow2_ranges_overlap(offset, size, l2,
                                     l2 ? s->cluster_size : 0)) {
                return QCOW2_OL_ACTIVE_L2;
            }
        }
    }
    return 0;
}

int qcow2_check_overlap(BlockDriverState *bs, int ignore, int64_t offset,
                        int64_t size)
{
    BDRVQcow2State *s = bs->opaque;
    int check = QCOW2_OL_ALL & ~ignore;
    int kind;

    if ((check & QCOW2_OL_HEADER) &&
        qcow2_ranges_overlap(offset, size, 0, s->cluster_size)) {
        return QCOW2_OL_HEADER;
    }
    if ((check & QCOW2_OL_ACTIVE_L1) &&
        qcow2_ranges_overlap(offset, size, s->l1_offset,
                             (uint64_t)s->l1_size * 8)) {
        return QCOW2_OL_ACTIVE_L1;
    }
    if ((check & QCOW2_OL_REFTABLE) &&
        qcow2_ranges_overlap(offset, size, s->reftable_offset,
                             (uint64_t)s->reftable_clusters *
                             s->cluster_size)) {
        return QCOW2_OL_REFTABLE;
    }
    kind = qcow2_snapshot_overlap(s, check, offset, size);
    if (kind) {
        return kind;
    }
    if ((check & QCOW2_OL_BITMAP_DIR) && s->has_bitmaps &&
        qcow2_ranges_overlap(offset, size, s->bitmap_dir_offset,
                             s->bitmap_dir_size)) {
        return QCOW2_OL_BITMAP_DIR;
    }
    kind = qcow2_meta_index_find(s, check, offset, size);
#ifdef DRYDOCK_ASAN
    /* Every test run under ASan checks the index against the tables */
    assert(kind == qcow2_check_overlap_walk(s, check, offset, size));
#endif
    return kind;
}

int coroutine_fn qcow2_pre_write_check(BlockDriverState *bs, int ignore,
                                       int64_t offset, int64_t size)
{
    int kind = qcow2_check_overlap(bs, ignore, offset, size);

    if (!kind) {
        return 0;
    }
    return qcow2_signal_corruption(bs, offset, size, "Preventing invalid "
                                   "write on metadata (overlaps with %s)",
                                   qcow2_overlap_name(kind));
}

int coroutine_fn qcow2_signal_corruption(BlockDriverState *bs, int64_t offset,
                                         int64_t size, const char *fmt, ...)
{
    BDRVQcow2State *s = bs->opaque;
    g_autofree char *msg = NULL;
    bool fatal = !bdrv_is_read_only(bs);
    va_list ap;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    if (fatal && !s->corrupt_marked && s->version >= 3) {
        uint8_t buf[8];

        /* Straight to the header: the overlap check is what failed */
        s->incompatible |= QCOW2_INCOMPAT_CORRUPT;
        stq_be_p(buf, s->incompatible);
        bdrv_co_pwrite_sync(bs->file, QCOW2_HDR_INCOMPAT, 8, buf, 0);
    }
    if (fatal) {
        s->corrupt_marked = true;
    }
    bdrv_mark_corrupt(bs, fatal, offset, size, "%s", msg);
    return -EIO;
}

static void qcow2_free_state(BDRVQcow2State *s)
{
#ifdef DRYDOCK_ASAN
    /* Every test run under ASan checks the bounds of the tables in use */
    assert(!s->l1_table ||
           (s->l1_used <= s->l1_size &&
            qcow2_next_nonzero_entry(s->l1_table, s->l1_used, s->l1_size,
                                     1) == s->l1_size));
    assert(!s->reftable ||
           (s->reftable_used <= s->reftable_size &&
            qcow2_next_nonzero_entry(s->reftable, s->reftable_used,
                                     s->reftable_size, 1) ==
            (int64_t)s->reftable_size));
#endif
    qcow2_options_stop_timer(s);
    qcow2_cache_destroy(s->l2_cache);
    qcow2_cache_destroy(s->refblock_cache);
    qcow2_l1_table_free(s, s->l1_table);
    qcow2_table_free(s->reftable, s->reftable_size * 8);
    qcow2_meta_index_drop(s);
    qcow2_discard_free(s);
    g_free(s->feature_table);
    qcow2_snapshots_free(s);
    qcow2_datafile_close(s);
    s->l2_cache = s->refblock_cache = NULL;
    s->l1_table = s->reftable = NULL;
    s->l1_used = 0;
    s->reftable_used = 0;
    s->feature_table = NULL;
}

static int qcow2_open(BlockDriverState *bs, QDict *options, int flags,
                      Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    int ret;

    qemu_co_mutex_init(&s->lock);
    qemu_co_queue_init(&s->inflight_done);
    qemu_co_queue_init(&s->alloc_done);
    ret = bdrv_open_file_child(NULL, options, "file", bs, errp);
    if (ret < 0) {
        goto out;
    }
    ret = qcow2_read_header(bs, s, errp);
    if (ret == 0) {
        ret = qcow2_datafile_open(bs, s, options, errp);
    }
    if (ret == 0) {
        ret = qcow2_load_tables(bs, s, errp);
    }
    if (ret == 0) {
        ret = qcow2_options_apply(bs, s, options, errp);
    }
    if (ret == 0) {
        ret = qcow2_read_snapshots(bs, s, errp);
    }
    if (ret == 0) {
        ret = qcow2_bitmaps_open(bs, s, flags & BDRV_O_RDWR, errp);
    }
    if (ret == 0 && (flags & BDRV_O_RDWR)) {
        ret = qcow2_clear_autoclear(bs, errp);
    }
    /* Lazy refcounts were in use and the image was not closed cleanly */
    if (ret == 0 && (flags & BDRV_O_RDWR) &&
        !(flags & (BDRV_O_CHECK | BDRV_O_INACTIVE)) &&
        (s->incompatible & QCOW2_INCOMPAT_DIRTY)) {
        qcow2_cache_set_dependency(s->l2_cache, NULL);
        ret = qcow2_repair_dirty(bs, errp);
    }
    if (ret < 0) {
        goto out;
    }
    bs->total_sectors = DIV_ROUND_UP(s->disk_size, BDRV_SECTOR_SIZE);
    bs->supported_zero_flags = BDRV_REQ_MAY_UNMAP;
    bs->compressed_multi_cluster = true;
out:
    if (ret < 0) {
        qcow2_free_state(s);
    }
    return ret;
}

static void qcow2_close(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;

    if (!bdrv_is_read_only(bs) && !(bs->open_flags & BDRV_O_INACTIVE) &&
        !s->corrupt_marked && !bs->corrupt) {
        qcow2_file_trim(bs);
        /* A clean close: the refcounts on disk are accurate again */
        if (s->incompatible & QCOW2_INCOMPAT_DIRTY) {
            qcow2_close_clean(bs);
        }
    }
    qcow2_free_state(s);
}

/* Another process may take the image over: leave it as a close would */
static int qcow2_inactivate(BlockDriverState *bs)
{
    qcow2_file_trim(bs);
    return qcow2_close_clean(bs);
}

static void qcow2_refresh_limits(BlockDriverState *bs, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;

    /* Extended L2 entries zero whole subclusters */
    bs->bl.pwrite_zeroes_alignment = s->extended_l2 ?
                                     1u << s->subcluster_bits :
                                     s->cluster_size;
    bs->bl.pdiscard_alignment = s->cluster_size;
}

static int coroutine_fn qcow2_co_flush_to_os(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    int ret;

    qemu_co_mutex_lock(&s->lock);
    ret = qcow2_cache_flush(bs, s->l2_cache);
    if (ret == 0) {
        ret = qcow2_cache_flush(bs, s->refblock_cache);
    }
    /* What freed the queued clusters is in the file now */
    if (ret == 0) {
        qcow2_discard_process(bs);
    }
    qemu_co_mutex_unlock(&s->lock);
    return ret;
}

static int64_t coroutine_fn qcow2_co_getlength(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;

    return s->disk_size;
}

/* Grow the guest disk to @size: a bigger L1 table, then the header */
int coroutine_fn qcow2_grow(BlockDriverState *bs, uint64_t size)
{
    BDRVQcow2State *s = bs->opaque;
    uint8_t buf[8];
    int ret;

    qemu_co_mutex_lock(&s->lock);
    ret = qcow2_grow_l1(bs, qcow2_l1_entries_for(s, size));
    if (ret == 0) {
        stq_be_p(buf, size);
        ret = qcow2_write_header_field(bs, 24, buf, 8);
    }
    if (ret == 0) {
        s->disk_size = size;
    }
    qemu_co_mutex_unlock(&s->lock);
    return ret;
}

static int coroutine_fn qcow2_co_get_info(BlockDriverState *bs,
                                          BlockDriverInfo *bdi)
{
    BDRVQcow2State *s = bs->opaque;

    bdi->cluster_size = s->cluster_size;
    bdi->is_dirty = !!(s->incompatible & QCOW2_INCOMPAT_DIRTY);
    bdi->vm_state_offset = qcow2_vm_state_offset(s);
    return 0;
}

static int qcow2_has_zero_init(BlockDriverState *bs)
{
    /* Unallocated clusters read as zeroes (or as the backing file) */
    return 1;
}

static const char *const qcow2_strong_runtime_opts[] = {
    NULL
};

BlockDriver bdrv_qcow2 = {
    .format_name = "qcow2",
    .instance_size = sizeof(BDRVQcow2State),
    .is_format = true,
    .supports_backing = true,

    .bdrv_probe = qcow2_probe,
    .bdrv_open = qcow2_open,
    .bdrv_close = qcow2_close,
    .bdrv_co_create_opts = qcow2_co_create_opts,
    .create_opts = &qcow2_create_opts,

    .bdrv_co_preadv_part = qcow2_co_preadv_part,
    .bdrv_co_pwritev_part = qcow2_co_pwritev_part,
    .bdrv_co_pwritev_compressed_part = qcow2_co_pwritev_compressed_part,
    .bdrv_co_pwrite_zeroes = qcow2_co_pwrite_zeroes,
    .bdrv_co_pdiscard = qcow2_co_pdiscard,
    .bdrv_co_flush_to_os = qcow2_co_flush_to_os,
    .bdrv_co_truncate = qcow2_co_truncate,
    .bdrv_co_getlength = qcow2_co_getlength,
    .bdrv_co_block_status = qcow2_co_block_status,
    .bdrv_refresh_limits = qcow2_refresh_limits,
    .bdrv_co_get_info = qcow2_co_get_info,
    .bdrv_has_zero_init = qcow2_has_zero_init,
    .bdrv_snapshot_create = qcow2_snapshot_create,
    .bdrv_snapshot_goto = qcow2_snapshot_goto,
    .bdrv_snapshot_delete = qcow2_snapshot_delete,
    .bdrv_snapshot_list = qcow2_snapshot_list,
    .bdrv_snapshot_load_tmp = qcow2_snapshot_load_tmp,
    .bdrv_co_load_vmstate = qcow2_co_load_vmstate,
    .bdrv_co_save_vmstate = qcow2_co_save_vmstate,
    .bdrv_co_check = qcow2_co_check,
    .bdrv_get_specific_info = qcow2_get_specific_info,
    .bdrv_measure = qcow2_measure,
    .bdrv_amend_options = qcow2_amend_options,
    .bdrv_co_change_backing_file = qcow2_co_change_backing_file,
    /* Another process takes over: refcounts accurate, dirty bit clear */
    .bdrv_inactivate = qcow2_inactivate,
    .amend_opts = &qcow2_amend_opts,
    .bdrv_child_perm = qcow2_datafile_child_perm,
    .strong_runtime_opts = qcow2_strong_runtime_opts,
};
