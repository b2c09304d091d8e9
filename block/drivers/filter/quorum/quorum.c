/*
 * The "quorum" driver: N children holding the same data; reads vote,
 * writes go to every child (see quorum-io.c).  Children can be added and
 * removed at run time (bdrv_add_child / bdrv_del_child), never below the
 * vote threshold.
 *
 * Options (QAPI's BlockdevOptionsQuorum): children.N (references or
 * definitions), vote-threshold (required, 1..N), blkverify (exactly two
 * children and threshold 2: a mismatch is reported and fails the read),
 * rewrite-corrupted, read-pattern (quorum or fifo).
 */
#include "quorum-int.h"

#define QUORUM_OPT_VOTE_THRESHOLD "vote-threshold"
#define QUORUM_OPT_BLKVERIFY "blkverify"
#define QUORUM_OPT_REWRITE "rewrite-corrupted"
#define QUORUM_OPT_READ_PATTERN "read-pattern"

static QemuOptsList quorum_runtime_opts = {
    .name = "quorum",
    .desc = {
        { .name = QUORUM_OPT_VOTE_THRESHOLD, .type = QEMU_OPT_NUMBER,
          .help = "Votes a request needs to succeed" },
        { .name = QUORUM_OPT_BLKVERIFY, .type = QEMU_OPT_BOOL,
          .help = "Report mismatches of the two children" },
        { .name = QUORUM_OPT_REWRITE, .type = QEMU_OPT_BOOL,
          .help = "Rewrite children out-voted on read" },
        { .name = QUORUM_OPT_READ_PATTERN, .type = QEMU_OPT_STRING,
          .help = "quorum (vote) or fifo (first child that reads)" },
        { /* end of list */ }
    },
};

static const char *const quorum_strong_runtime_opts[] = {
    QUORUM_OPT_VOTE_THRESHOLD, QUORUM_OPT_BLKVERIFY, QUORUM_OPT_REWRITE,
    QUORUM_OPT_READ_PATTERN, NULL
};

static int quorum_read_options(BlockDriverState *bs, BDRVQuorumState *s,
                               QemuOpts *opts, Error **errp)
{
    const char *pattern = qemu_opt_get(opts, QUORUM_OPT_READ_PATTERN);
    uint64_t threshold = qemu_opt_get_number(opts, QUORUM_OPT_VOTE_THRESHOLD,
                                             0);

    if (!pattern || !strcmp(pattern, "quorum")) {
        s->read_pattern = QUORUM_READ_PATTERN_QUORUM;
    } else if (!strcmp(pattern, "fifo")) {
        s->read_pattern = QUORUM_READ_PATTERN_FIFO;
    } else {
        error_setg(errp, "Invalid read-pattern '%s' (quorum or fifo)",
                   pattern);
        return -EINVAL;
    }
    if (threshold < 1) {
        error_setg(errp, "Parameter 'vote-threshold' is missing or 0 (it "
                   "must be at least 1)");
        return -EINVAL;
    }
    if (threshold > (uint64_t)s->num_children) {
        error_setg(errp, "Vote threshold %" PRIu64 " exceeds the number of "
                   "children (%d)", threshold, s->num_children);
        return -EINVAL;
    }
    s->threshold = (int)threshold;
    s->is_blkverify = qemu_opt_get_bool(opts, QUORUM_OPT_BLKVERIFY, false);
    s->rewrite_corrupted = qemu_opt_get_bool(opts, QUORUM_OPT_REWRITE, false);
    if (s->is_blkverify && (s->num_children != 2 || s->threshold != 2)) {
        error_setg(errp, "blkverify=on needs exactly two children and "
                   "vote-threshold 2 (not %d and %d)", s->num_children,
                   s->threshold);
        return -EINVAL;
    }
    if (s->rewrite_corrupted && (s->is_blkverify ||
                                 s->read_pattern != QUORUM_READ_PATTERN_QUORUM)) {
        error_setg(errp, "rewrite-corrupted=on needs read-pattern=quorum and "
                   "blkverify=off");
        return -EINVAL;
    }
    if (s->rewrite_corrupted && bdrv_is_read_only(bs)) {
        error_setg(errp, "rewrite-corrupted=on needs a writable quorum node");
        return -EINVAL;
    }
    return 0;
}

static int quorum_open_children(BlockDriverState *bs, BDRVQuorumState *s,
                                QDict *options, Error **errp)
{
    int n = qdict_array_entries(options, "children.");

    if (n < 1) {
        error_setg(errp, "Number of provided children must be 1 or more "
                   "(children.0, children.1, ... without gaps)");
        return -EINVAL;
    }
    s->children = g_new0(BdrvChild *, n);
    for (int i = 0; i < n; i++) {
        g_autofree char *key = g_strdup_printf("children.%d", i);

        s->children[i] = bdrv_open_child(NULL, options, key, bs,
                                         &child_of_bds, BDRV_CHILD_DATA,
                                         false, errp);
        if (!s->children[i]) {
            return -EINVAL;
        }
        s->num_children++;
    }
    s->next_child_index = n;
    return 0;
}

static int quorum_open(BlockDriverState *bs, QDict *options, int flags,
                       Error **errp)
{
    BDRVQuorumState *s = bs->opaque;
    QemuOpts *opts = qemu_opts_create(&quorum_runtime_opts, NULL, 0,
                                      &error_abort);
    int ret = -EINVAL;

    if (qemu_opts_absorb_qdict(opts, options, errp)) {
        ret = quorum_open_children(bs, s, options, errp);
    }
    if (ret == 0) {
        ret = quorum_read_options(bs, s, opts, errp);
    }
    qemu_opts_del(opts);
    if (ret < 0) {
        /* The core detaches the children we attached */
        g_free(s->children);
        s->children = NULL;
    }
    return ret;
}

static void quorum_close(BlockDriverState *bs)
{
    BDRVQuorumState *s = bs->opaque;

    g_free(s->children);
    s->children = NULL;
}

/* The strictest alignment of the children (each child gets whole blocks) */
static void quorum_refresh_limits(BlockDriverState *bs, Error **errp)
{
    BDRVQuorumState *s = bs->opaque;

    for (int i = 0; i < s->num_children; i++) {
        bs->bl.request_alignment = MAX(bs->bl.request_alignment,
                                       s->children[i]->bs->bl.request_alignment);
    }
}

/* Default permissions by role; rewriting out-voted children writes them */
static void quorum_child_perm(BlockDriverState *bs, BdrvChild *c,
                              BdrvChildRole role,
                              BlockReopenQueue *reopen_queue,
                              uint64_t perm, uint64_t shared,
                              uint64_t *nperm, uint64_t *nshared)
{
    BDRVQuorumState *s = bs->opaque;

    bdrv_default_perms(bs, c, role, reopen_queue, perm, shared, nperm,
                       nshared);
    if (s->rewrite_corrupted && !bdrv_is_read_only(bs)) {
        *nperm |= BLK_PERM_WRITE;
        *nshared &= ~BLK_PERM_WRITE;
    }
}

static void quorum_add_child(BlockDriverState *bs, BlockDriverState *child_bs,
                             Error **errp)
{
    BDRVQuorumState *s = bs->opaque;
    g_autofree char *name = NULL;
    BdrvChild *child;

    if (s->is_blkverify) {
        error_setg(errp, "Cannot add a child to quorum node '%s' in "
                   "blkverify mode", bdrv_get_node_name(bs));
        return;
    }
    if (s->num_children >= INT_MAX / (int)sizeof(BdrvChild *) - 1 ||
        s->next_child_index == UINT_MAX) {
        error_setg(errp, "Too many children in quorum node '%s'",
                   bdrv_get_node_name(bs));
        return;
    }
    name = g_strdup_printf("children.%u", s->next_child_index);
    /* The edge takes this reference (and drops it on failure) */
    bdrv_ref(child_bs);
    child = bdrv_attach_child(bs, child_bs, name, &child_of_bds,
                              BDRV_CHILD_DATA, errp);
    if (!child) {
        return;
    }
    s->children = g_renew(BdrvChild *, s->children, s->num_children + 1);
    s->children[s->num_children++] = child;
    s->next_child_index++;
}

static void quorum_del_child(BlockDriverState *bs, BdrvChild *child,
                             Error **errp)
{
    BDRVQuorumState *s = bs->opaque;
    g_autofree char *last = NULL;
    int i;

    for (i = 0; i < s->num_children && s->children[i] != child; i++) {
        /* find it: the core checked that it is one of ours */
    }
    assert(i < s->num_children);
    if (s->num_children <= s->threshold) {
        error_setg(errp, "The number of children of quorum node '%s' cannot "
                   "be lower than the vote threshold %d",
                   bdrv_get_node_name(bs), s->threshold);
        return;
    }
    /* Removing the last one frees its index for the next child */
    last = g_strdup_printf("children.%u", s->next_child_index - 1);
    if (!strcmp(child->name, last)) {
        s->next_child_index--;
    }
    memmove(&s->children[i], &s->children[i + 1],
            (s->num_children - i - 1) * sizeof(BdrvChild *));
    s->num_children--;
    bdrv_unref_child(bs, child);
}

BlockDriver bdrv_quorum = {
    .format_name = "quorum",
    .instance_size = sizeof(BDRVQuorumState),

    .bdrv_open = quorum_open,
    .bdrv_close = quorum_close,
    .bdrv_child_perm = quorum_child_perm,
    .bdrv_refresh_limits = quorum_refresh_limits,
    .bdrv_co_getlength = quorum_co_getlength,

    .bdrv_co_preadv_part = quorum_co_preadv_part,
    .bdrv_co_pwritev_part = quorum_co_pwritev_part,
    .bdrv_co_pwrite_zeroes = quorum_co_pwrite_zeroes,
    .bdrv_co_flush = quorum_co_flush,

    .bdrv_add_child = quorum_add_child,
    .bdrv_del_child = quorum_del_child,

    .strong_runtime_opts = quorum_strong_runtime_opts,
};
