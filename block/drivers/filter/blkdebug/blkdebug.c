/*
 * The "blkdebug" filter: passes every request to its child ("image") and
 * fails the ones its rules select, follows a state machine driven by the
 * events formats raise (BLKDBG_EVENT), parks requests at breakpoints, and
 * imposes request limits (align, max-transfer, ...) so that tests can
 * exercise the core's splitting and padding.
 *
 * Options (QAPI's BlockdevOptionsBlkdebug): config (a rules file), image,
 * inject-error.N.{event,state,iotype,errno,sector,once,immediately},
 * set-state.N.{event,state,new_state}, align, max-transfer,
 * opt-write-zero, max-write-zero, opt-discard, max-discard,
 * take-child-perms.N and unshare-child-perms.N (permission names:
 * consistent-read, write, write-unchanged, resize).  Filename:
 * "blkdebug:CONFIG:IMAGE" (CONFIG may be empty).
 */
#include "blkdebug-int.h"
#include "util/cutils.h"

#define BLKDEBUG_PREFIX "blkdebug:"

static QemuOptsList blkdebug_runtime_opts = {
    .name = "blkdebug",
    .desc = {
        { .name = "config", .type = QEMU_OPT_STRING,
          .help = "Path to the configuration file" },
        { .name = "x-image", .type = QEMU_OPT_STRING,
          .help = "[internal use only] the image from the filename" },
        { .name = "align", .type = QEMU_OPT_SIZE,
          .help = "Required alignment in bytes" },
        { .name = "max-transfer", .type = QEMU_OPT_SIZE,
          .help = "Maximum transfer size in bytes" },
        { .name = "opt-write-zero", .type = QEMU_OPT_SIZE,
          .help = "Optimum write zero alignment in bytes" },
        { .name = "max-write-zero", .type = QEMU_OPT_SIZE,
          .help = "Maximum write zero size in bytes" },
        { .name = "opt-discard", .type = QEMU_OPT_SIZE,
          .help = "Optimum discard alignment in bytes" },
        { .name = "max-discard", .type = QEMU_OPT_SIZE,
          .help = "Maximum discard size in bytes" },
        { /* end of list */ }
    },
};

static const char *const blkdebug_strong_runtime_opts[] = {
    "config", "inject-error.", "set-state.", "align", "max-transfer",
    "opt-write-zero", "max-write-zero", "opt-discard", "max-discard", NULL
};

/* "blkdebug:CONFIG:IMAGE" into "config" and "x-image" */
static void blkdebug_parse_filename(const char *filename, QDict *options,
                                    Error **errp)
{
    const char *colon;

    if (!strstart(filename, BLKDEBUG_PREFIX, &filename)) {
        error_setg(errp, "File name '%s' must start with '" BLKDEBUG_PREFIX
                   "'", filename);
        return;
    }
    colon = strchr(filename, ':');
    if (!colon) {
        error_setg(errp, "blkdebug requires both a config file and an image "
                   "path in '%s'", filename);
        return;
    }
    if (colon != filename) {
        g_autofree char *config = g_strndup(filename, colon - filename);

        qdict_put_str(options, "config", config);
    }
    qdict_put_str(options, "x-image", colon + 1);
}

/* One limit: below INT_MAX and a multiple of @align (0: unset) */
static int blkdebug_check_limit(QemuOpts *opts, const char *name,
                                uint64_t align, uint64_t *value, Error **errp)
{
    *value = qemu_opt_get_size(opts, name, 0);
    if (*value && (*value >= INT_MAX || !QEMU_IS_ALIGNED(*value, align))) {
        error_setg(errp, "Cannot meet constraints with %s %" PRIu64
                   " (a multiple of %" PRIu64 " below 2 GiB)", name, *value,
                   align);
        return -EINVAL;
    }
    return 0;
}

static int blkdebug_read_limits(BlockDriverState *bs, BDRVBlkdebugState *s,
                                QemuOpts *opts, Error **errp)
{
    uint64_t align;

    s->align = qemu_opt_get_size(opts, "align", 0);
    if (s->align && (s->align >= INT_MAX || !is_power_of_2(s->align))) {
        error_setg(errp, "Cannot meet constraints with align %" PRIu64
                   " (a power of two below 2 GiB)", s->align);
        return -EINVAL;
    }
    align = MAX(s->align, (uint64_t)bs->file->bs->bl.request_alignment);
    if (blkdebug_check_limit(opts, "max-transfer", align, &s->max_transfer,
                             errp) < 0 ||
        blkdebug_check_limit(opts, "opt-write-zero", align,
                             &s->opt_write_zero, errp) < 0 ||
        blkdebug_check_limit(opts, "max-write-zero",
                             MAX(s->opt_write_zero, align),
                             &s->max_write_zero, errp) < 0 ||
        blkdebug_check_limit(opts, "opt-discard", align, &s->opt_discard,
                             errp) < 0 ||
        blkdebug_check_limit(opts, "max-discard",
                             MAX(s->opt_discard, align), &s->max_discard,
                             errp) < 0) {
        return -EINVAL;
    }
    return 0;
}

/* QAPI's BlockPermission names, in the order of the BLK_PERM_* bits */
static const char *const blkdebug_perm_names[] = {
    "consistent-read", "write", "write-unchanged", "resize",
};

/* The list "@name.0", "@name.1", ... of permission names into *@perms */
static int blkdebug_parse_perm_list(QDict *options, const char *name,
                                    uint64_t *perms, Error **errp)
{
    g_autofree char *prefix = g_strdup_printf("%s.", name);
    QDict *list = NULL;
    const QDictEntry *e;
    int ret = 0;

    *perms = 0;
    qdict_extract_subqdict(options, &list, prefix);
    for (int i = 0; ret == 0; i++) {
        char key[16];
        const char *value;
        size_t p;

        snprintf(key, sizeof(key), "%d", i);
        value = qdict_get_try_str(list, key);
        if (!value) {
            break;
        }
        for (p = 0; p < ARRAY_SIZE(blkdebug_perm_names); p++) {
            if (!strcmp(value, blkdebug_perm_names[p])) {
                break;
            }
        }
        if (p == ARRAY_SIZE(blkdebug_perm_names)) {
            error_setg(errp, "Parameter '%s%s' does not accept value '%s'",
                       prefix, key, value);
            ret = -EINVAL;
        } else {
            *perms |= 1ULL << p;
        }
        qdict_del(list, key);
    }
    e = qdict_first(list);
    if (ret == 0 && e) {
        error_setg(errp, "Invalid parameter '%s%s' (a list of permission "
                   "names is expected)", prefix, qdict_entry_key(e));
        ret = -EINVAL;
    }
    qobject_unref(list);
    return ret;
}

static void blkdebug_free_state(BDRVBlkdebugState *s)
{
    blkdebug_free_rules(s);
    g_free(s->config_file);
    s->config_file = NULL;
    pthread_mutex_destroy(&s->lock);
}

static int blkdebug_open(BlockDriverState *bs, QDict *options, int flags,
                         Error **errp)
{
    BDRVBlkdebugState *s = bs->opaque;
    QemuOpts *opts = qemu_opts_create(&blkdebug_runtime_opts, NULL, 0,
                                      &error_abort);
    int ret = -EINVAL;

    pthread_mutex_init(&s->lock, NULL);
    QSIMPLEQ_INIT(&s->active_rules);
    s->state = 1;
    if (!qemu_opts_absorb_qdict(opts, options, errp)) {
        goto out;
    }
    s->config_file = g_strdup(qemu_opt_get(opts, "config"));
    ret = s->config_file ? blkdebug_read_config(s, s->config_file, errp) : 0;
    if (ret == 0) {
        ret = blkdebug_read_rule_options(s, options, errp);
    }
    if (ret == 0) {
        ret = blkdebug_parse_perm_list(options, "take-child-perms",
                                       &s->take_child_perms, errp);
    }
    if (ret == 0) {
        ret = blkdebug_parse_perm_list(options, "unshare-child-perms",
                                       &s->unshare_child_perms, errp);
    }
    if (ret < 0) {
        goto out;
    }
    if (!bdrv_open_child(qemu_opt_get(opts, "x-image"), options, "image", bs,
                         &child_of_bds,
                         BDRV_CHILD_FILTERED | BDRV_CHILD_PRIMARY, false,
                         errp)) {
        ret = -EINVAL;
        goto out;
    }
    bs->supported_write_flags = BDRV_REQ_WRITE_UNCHANGED |
        (BDRV_REQ_FUA & bs->file->bs->supported_write_flags);
    bs->supported_zero_flags = BDRV_REQ_WRITE_UNCHANGED |
        ((BDRV_REQ_FUA | BDRV_REQ_MAY_UNMAP | BDRV_REQ_NO_FALLBACK) &
         bs->file->bs->supported_zero_flags);
    ret = blkdebug_read_limits(bs, s, opts, errp);
    if (ret == 0) {
        blkdebug_fire_open_rules(bs);
    }
out:
    qemu_opts_del(opts);
    if (ret < 0) {
        blkdebug_free_state(s);
    }
    return ret;
}

static void blkdebug_close(BlockDriverState *bs)
{
    BDRVBlkdebugState *s = bs->opaque;

    /* The close drained the node: nothing can be parked any more */
    assert(QLIST_EMPTY(&s->suspended_reqs));
    blkdebug_free_state(s);
}

static void blkdebug_refresh_limits(BlockDriverState *bs, Error **errp)
{
    BDRVBlkdebugState *s = bs->opaque;

    if (s->align) {
        bs->bl.request_alignment = s->align;
    }
    if (s->max_transfer) {
        bs->bl.max_transfer = s->max_transfer;
    }
    if (s->opt_write_zero) {
        bs->bl.pwrite_zeroes_alignment = s->opt_write_zero;
    }
    if (s->max_write_zero) {
        bs->bl.max_pwrite_zeroes = s->max_write_zero;
    }
    if (s->opt_discard) {
        bs->bl.pdiscard_alignment = s->opt_discard;
    }
    if (s->max_discard) {
        bs->bl.max_pdiscard = s->max_discard;
    }
}

static int coroutine_fn blkdebug_co_preadv_part(BlockDriverState *bs,
                                                int64_t offset, int64_t bytes,
                                                QEMUIOVector *qiov,
                                                size_t qiov_offset,
                                                BdrvRequestFlags flags)
{
    int ret = blkdebug_rule_check(bs, offset, bytes, BLKDEBUG_IO_TYPE_READ);

    if (ret < 0) {
        return ret;
    }
    return bdrv_co_preadv_part(bs->file, offset, bytes, qiov, qiov_offset,
                               flags);
}

static int coroutine_fn blkdebug_co_pwritev_part(BlockDriverState *bs,
                                                 int64_t offset,
                                                 int64_t bytes,
                                                 QEMUIOVector *qiov,
                                                 size_t qiov_offset,
                                                 BdrvRequestFlags flags)
{
    int ret = blkdebug_rule_check(bs, offset, bytes, BLKDEBUG_IO_TYPE_WRITE);

    if (ret < 0) {
        return ret;
    }
    return bdrv_co_pwritev_part(bs->file, offset, bytes, qiov, qiov_offset,
                                flags);
}

static int coroutine_fn blkdebug_co_pwrite_zeroes(BlockDriverState *bs,
                                                  int64_t offset,
                                                  int64_t bytes,
                                                  BdrvRequestFlags flags)
{
    int ret = blkdebug_rule_check(bs, offset, bytes,
                                  BLKDEBUG_IO_TYPE_WRITE_ZEROES);

    if (ret < 0) {
        return ret;
    }
    return bdrv_co_pwrite_zeroes(bs->file, offset, bytes, flags);
}

static int coroutine_fn blkdebug_co_pdiscard(BlockDriverState *bs,
                                             int64_t offset, int64_t bytes)
{
    int ret = blkdebug_rule_check(bs, offset, bytes,
                                  BLKDEBUG_IO_TYPE_DISCARD);

    if (ret < 0) {
        return ret;
    }
    return bdrv_co_pdiscard(bs->file, offset, bytes);
}

/* The core flushes the child after this */
static int coroutine_fn blkdebug_co_flush_to_disk(BlockDriverState *bs)
{
    return blkdebug_rule_check(bs, 0, 0, BLKDEBUG_IO_TYPE_FLUSH);
}

static int coroutine_fn blkdebug_co_block_status(BlockDriverState *bs,
                                                 bool want_zero,
                                                 int64_t offset,
                                                 int64_t bytes, int64_t *pnum,
                                                 int64_t *map,
                                                 BlockDriverState **file)
{
    int ret = blkdebug_rule_check(bs, offset, bytes,
                                  BLKDEBUG_IO_TYPE_BLOCK_STATUS);

    if (ret < 0) {
        return ret;
    }
    if (!bs->file) {
        return -ENOMEDIUM;
    }
    *pnum = bytes;
    *map = offset;
    *file = bs->file->bs;
    return BDRV_BLOCK_RAW | BDRV_BLOCK_OFFSET_VALID;
}

static void blkdebug_child_perm(BlockDriverState *bs, BdrvChild *c,
                                BdrvChildRole role,
                                BlockReopenQueue *reopen_queue,
                                uint64_t perm, uint64_t shared,
                                uint64_t *nperm, uint64_t *nshared)
{
    BDRVBlkdebugState *s = bs->opaque;

    bdrv_filter_default_perms(bs, c, role, reopen_queue, perm, shared,
                              nperm, nshared);
    *nperm |= s->take_child_perms;
    *nshared &= ~s->unshare_child_perms;
}

static int64_t coroutine_fn blkdebug_co_getlength(BlockDriverState *bs)
{
    /* bdrv_drop_filter detaches the child of a node that lives on */
    if (!bs->file) {
        return -ENOMEDIUM;
    }
    return bdrv_co_getlength(bs->file->bs);
}

BlockDriver bdrv_blkdebug = {
    .format_name = "blkdebug",
    .protocol_name = "blkdebug",
    .instance_size = sizeof(BDRVBlkdebugState),
    .is_filter = true,

    .bdrv_parse_filename = blkdebug_parse_filename,
    .bdrv_open = blkdebug_open,
    .bdrv_close = blkdebug_close,
    .bdrv_child_perm = blkdebug_child_perm,
    .bdrv_refresh_limits = blkdebug_refresh_limits,
    .bdrv_co_getlength = blkdebug_co_getlength,

    .bdrv_co_preadv_part = blkdebug_co_preadv_part,
    .bdrv_co_pwritev_part = blkdebug_co_pwritev_part,
    .bdrv_co_pwrite_zeroes = blkdebug_co_pwrite_zeroes,
    .bdrv_co_pdiscard = blkdebug_co_pdiscard,
    .bdrv_co_flush_to_disk = blkdebug_co_flush_to_disk,
    .bdrv_co_block_status = blkdebug_co_block_status,

    .bdrv_co_debug_event = blkdebug_co_debug_event,
    .bdrv_debug_breakpoint = blkdebug_debug_breakpoint,
    .bdrv_debug_remove_breakpoint = blkdebug_debug_remove_breakpoint,
    .bdrv_debug_resume = blkdebug_debug_resume,
    .bdrv_debug_is_suspended = blkdebug_debug_is_suspended,

    .strong_runtime_opts = blkdebug_strong_runtime_opts,
};
