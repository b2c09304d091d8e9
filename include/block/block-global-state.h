/*
 * The global-state (GS) block API: graph construction and change, open,
 * create, drain, iteration.  Every function here runs in the main thread
 * (GLOBAL_STATE_CODE()).  Names and signatures are QEMU's; see
 * docs/api-deviations.md for where drydock differs.
 */
#ifndef BLOCK_BLOCK_GLOBAL_STATE_H
#define BLOCK_BLOCK_GLOBAL_STATE_H

#include "block/block-common.h"
#include "util/gslist.h"
#include "block/block-introspect.h"

/* Set up the main AioContext and the driver table; call once, first */
void bdrv_init(void);

BlockDriver *bdrv_find_protocol(const char *filename,
                                bool allow_protocol_prefix, Error **errp);
BlockDriver *bdrv_find_format(const char *format_name);
void bdrv_register(BlockDriver *bdrv);
void bdrv_iterate_format(void (*it)(void *opaque, const char *name),
                         void *opaque, bool read_only);

/* Creation */
int coroutine_fn bdrv_co_create(BlockDriver *drv, const char *filename,
                                QemuOpts *opts, Error **errp);
int bdrv_create(BlockDriver *drv, const char *filename, QemuOpts *opts,
                Error **errp);
int coroutine_fn bdrv_co_create_file(const char *filename, QemuOpts *opts,
                                     Error **errp);
int bdrv_create_file(const char *filename, QemuOpts *opts, Error **errp);
void bdrv_img_create(const char *filename, const char *fmt,
                     const char *base_filename, const char *base_fmt,
                     char *options, uint64_t img_size, int flags, bool quiet,
                     Error **errp);

/* Nodes and references */
BlockDriverState *bdrv_new(void);
void bdrv_ref(BlockDriverState *bs);
void bdrv_unref(BlockDriverState *bs);
void coroutine_fn bdrv_co_unref(BlockDriverState *bs);

/*
 * drydock addition: the directory of snapshot=on's temporary overlay
 * files (BDRV_O_SNAPSHOT; block/core/snapshot-temp.c).  NULL or "" (the
 * default) is $TMPDIR, or /var/tmp without it.  The name is copied.  For
 * a process whose $TMPDIR is not the library's to change, e.g. a fuzz
 * target (libFuzzer keeps its own files there).
 */
void bdrv_set_temp_dir(const char *dir);

/* Open */
BlockDriverState *bdrv_open(const char *filename, const char *reference,
                            QDict *options, int flags, Error **errp);
BlockDriverState *coroutine_fn bdrv_co_open(const char *filename,
                                            const char *reference,
                                            QDict *options, int flags,
                                            Error **errp);
BlockDriverState *bdrv_new_open_driver_opts(BlockDriver *drv,
                                            const char *node_name,
                                            QDict *options, int flags,
                                            Error **errp);
BlockDriverState *bdrv_new_open_driver(BlockDriver *drv, const char *node_name,
                                       int flags, Error **errp);
BdrvChild *bdrv_open_child(const char *filename, QDict *options,
                           const char *bdref_key, BlockDriverState *parent,
                           const BdrvChildClass *child_class,
                           BdrvChildRole child_role, bool allow_none,
                           Error **errp);
BlockDriverState *bdrv_open_blockdev_ref(BlockdevRef *ref, Error **errp);

/* Edges */
BdrvChild *bdrv_attach_child(BlockDriverState *parent_bs,
                             BlockDriverState *child_bs,
                             const char *child_name,
                             const BdrvChildClass *child_class,
                             BdrvChildRole child_role, Error **errp);
void bdrv_unref_child(BlockDriverState *parent, BdrvChild *child);
int bdrv_set_backing_hd(BlockDriverState *bs, BlockDriverState *backing_hd,
                        Error **errp);

/* Graph changes, each one transaction with one permission refresh */
int bdrv_append(BlockDriverState *bs_new, BlockDriverState *bs_top,
                Error **errp);
int bdrv_replace_node(BlockDriverState *from, BlockDriverState *to,
                      Error **errp);
int bdrv_replace_child_bs(BdrvChild *child, BlockDriverState *new_bs,
                          Error **errp);
int bdrv_drop_filter(BlockDriverState *bs, Error **errp);
/*
 * Open a node from @node_options (consumed; "driver" required, the new
 * node usually refers to @bs as its child) and let it take @bs's place
 * under every parent of @bs, in one transaction.  The caller owns the
 * returned node's reference.
 */
BlockDriverState *bdrv_insert_node(BlockDriverState *bs, QDict *node_options,
                                   int flags, Error **errp);
/*
 * The node named @node_name, if a mirror of @parent_bs may replace it: not
 * blocked for BLOCK_OP_TYPE_REPLACE, and @parent_bs itself or below it
 * through filters only
 */
BlockDriverState *check_to_replace_node(BlockDriverState *parent_bs,
                                        const char *node_name, Error **errp);

/* Lookup and iteration */
BlockDriverState *bdrv_find_node(const char *node_name);
BlockDriverState *bdrv_lookup_bs(const char *device, const char *node_name,
                                 Error **errp);
bool bdrv_chain_contains(BlockDriverState *top, BlockDriverState *base);
BlockDriverState *bdrv_next_node(BlockDriverState *bs);
BlockDriverState *bdrv_next_all_states(BlockDriverState *bs);

typedef struct BdrvNextIterator {
    enum {
        BDRV_NEXT_BACKEND_ROOTS,
        BDRV_NEXT_MONITOR_OWNED,
    } phase;
    BlockBackend *blk;
    BlockDriverState *bs;
} BdrvNextIterator;

BlockDriverState *bdrv_first(BdrvNextIterator *it);
BlockDriverState *bdrv_next(BdrvNextIterator *it);
void bdrv_next_cleanup(BdrvNextIterator *it);
BlockDriverState *bdrv_next_monitor_owned(BlockDriverState *bs);
/* Hand a node to the "monitor" (a user-created top node, like blockdev-add) */
void bdrv_monitor_add(BlockDriverState *bs);
void bdrv_monitor_remove(BlockDriverState *bs);

/*
 * Every named node (all nodes have names), with (unless @flat) the
 * backing images of each; free with qapi_free_BlockDeviceInfoList
 */
BlockDeviceInfoList *bdrv_named_nodes_list(bool flat, Error **errp);
/*
 * The whole graph: BlockBackends and nodes, and every edge with its name,
 * role and permissions; free with qapi_free_XDbgBlockGraph
 */
XDbgBlockGraph *bdrv_get_xdbg_block_graph(Error **errp);

/* Whole-graph operations */
int bdrv_flush_all(void);
void bdrv_close_all(void);
void bdrv_drain_all_begin(void);
void bdrv_drain_all_begin_nopoll(void);
void bdrv_drain_all_end(void);
void bdrv_drain_all(void);
/*
 * Run fn(opaque) once no drain is beginning.  Called from a drained_begin
 * callback or drain hook (where the graph must not change), it is queued;
 * the outermost bdrv_drained_begin / bdrv_drain_all_begin runs the queue,
 * in order, after its poll and before it returns (then waits again for
 * what the changes started).  A begin that does not poll (a quiesce by a
 * graph change, bdrv_drain_all_begin_nopoll) leaves the queue to a bottom
 * half of the main context.  Outside a begin, fn runs at once.
 */
void bdrv_drain_defer(void (*fn)(void *opaque), void *opaque);

void bdrv_aio_cancel(BlockAIOCB *acb);
void bdrv_aio_cancel_async(BlockAIOCB *acb);

int bdrv_has_zero_init_1(BlockDriverState *bs);
int bdrv_has_zero_init(BlockDriverState *bs);

/* Op blockers */
bool bdrv_op_is_blocked(BlockDriverState *bs, BlockOpType op, Error **errp);
void bdrv_op_block(BlockDriverState *bs, BlockOpType op, Error *reason);
void bdrv_op_unblock(BlockDriverState *bs, BlockOpType op, Error *reason);
void bdrv_op_block_all(BlockDriverState *bs, Error *reason);
void bdrv_op_unblock_all(BlockDriverState *bs, Error *reason);
bool bdrv_op_blocker_is_empty(BlockDriverState *bs);

/*
 * blkdebug breakpoints, on the first node at or below @bs (down primary
 * children) whose driver supports them: -ENOTSUP when there is none,
 * -ENOENT for an unknown event or tag.  A request reaching @event is
 * suspended until bdrv_debug_resume(tag); a breakpoint fires once.
 */
int bdrv_debug_breakpoint(BlockDriverState *bs, const char *event,
                          const char *tag);
int bdrv_debug_remove_breakpoint(BlockDriverState *bs, const char *tag);
int bdrv_debug_resume(BlockDriverState *bs, const char *tag);
bool bdrv_debug_is_suspended(BlockDriverState *bs, const char *tag);

/*
 * Children at run time (quorum): @child must have no parent; the parent's
 * driver takes its own reference.  Errors name the nodes.
 */
void bdrv_add_child(BlockDriverState *parent, BlockDriverState *child,
                    Error **errp);
void bdrv_del_child(BlockDriverState *parent, BdrvChild *child, Error **errp);

int bdrv_probe_blocksizes(BlockDriverState *bs, BlockSizes *bsz);
int bdrv_probe_geometry(BlockDriverState *bs, HDGeometry *geo);

bool bdrv_register_buf(BlockDriverState *bs, void *host, size_t size,
                       Error **errp);
void bdrv_unregister_buf(BlockDriverState *bs, void *host, size_t size);
void bdrv_cancel_in_flight(BlockDriverState *bs);

/* Contexts */
int bdrv_try_change_aio_context(BlockDriverState *bs, AioContext *ctx,
                                BdrvChild *ignore_child, Error **errp);
bool bdrv_child_change_aio_context(BdrvChild *c, AioContext *ctx,
                                   GHashTable *visited, Transaction *tran,
                                   Error **errp);

/*
 * The seed API's names for the moves above (one implementation).  The
 * GSList **ignore lists are edges not to cross; the functions add every
 * edge they cross.  bdrv_set_aio_context_ignore() expects a move that
 * bdrv_can_set_aio_context() accepted (it aborts on a veto).
 */
int bdrv_try_set_aio_context(BlockDriverState *bs, AioContext *ctx,
                             Error **errp);
int bdrv_child_try_set_aio_context(BlockDriverState *bs, AioContext *ctx,
                                   BdrvChild *ignore_child, Error **errp);
bool bdrv_child_can_set_aio_context(BdrvChild *c, AioContext *ctx,
                                    GSList **ignore, Error **errp);
bool bdrv_can_set_aio_context(BlockDriverState *bs, AioContext *ctx,
                              GSList **ignore, Error **errp);
void bdrv_set_aio_context_ignore(BlockDriverState *bs,
                                 AioContext *new_context, GSList **ignore);
AioContext *bdrv_child_get_parent_aio_context(BdrvChild *c);
/* From a coroutine of the main thread: lock @bs's context if not current */
void coroutine_fn bdrv_co_lock(BlockDriverState *bs);
void coroutine_fn bdrv_co_unlock(BlockDriverState *bs);

void bdrv_refresh_limits(BlockDriverState *bs, Transaction *tran,
                         Error **errp);
void bdrv_refresh_filename(BlockDriverState *bs);

/* ---- the driver contract's global-state entry points ---- */

/* Create an image from blockdev-create style options; @options stays yours */
int coroutine_fn bdrv_co_create_qdict(QDict *options, Error **errp);
int bdrv_create_qdict(QDict *options, Error **errp);

/* Consistency check (qemu-img check); @res is zeroed first */
int coroutine_fn bdrv_co_check(BlockDriverState *bs, BdrvCheckResult *res,
                               BdrvCheckMode fix);
int bdrv_check(BlockDriverState *bs, BdrvCheckResult *res, BdrvCheckMode fix);

/* qemu-img amend; every option set in @opts must be in drv->amend_opts */
int bdrv_amend_options(BlockDriverState *bs, QemuOpts *opts,
                       BlockDriverAmendStatusCB *status_cb, void *cb_opaque,
                       bool force, Error **errp);
int coroutine_fn bdrv_co_amend(BlockDriverState *bs, QDict *options,
                               bool force, Error **errp);

/* Internal snapshots (block/core/snapshot.c) */
bool bdrv_can_snapshot(BlockDriverState *bs);
int bdrv_snapshot_create(BlockDriverState *bs, QEMUSnapshotInfo *sn_info);
int bdrv_snapshot_goto(BlockDriverState *bs, const char *snapshot_id,
                       Error **errp);
int bdrv_snapshot_delete(BlockDriverState *bs, const char *snapshot_id,
                         const char *name, Error **errp);
int bdrv_snapshot_list(BlockDriverState *bs, QEMUSnapshotInfo **psn_info);
int bdrv_snapshot_load_tmp(BlockDriverState *bs, const char *snapshot_id,
                           const char *name, Error **errp);
int bdrv_snapshot_load_tmp_by_id_or_name(BlockDriverState *bs,
                                         const char *id_or_name,
                                         Error **errp);
/* Find by id or name: 0 and *sn_info filled, or -ENOENT */
int bdrv_snapshot_find(BlockDriverState *bs, QEMUSnapshotInfo *sn_info,
                       const char *name);
bool bdrv_snapshot_find_by_id_and_name(BlockDriverState *bs, const char *id,
                                       const char *name,
                                       QEMUSnapshotInfo *sn_info,
                                       Error **errp);

/* Migration hand-over: (in)activate nodes (BDRV_O_INACTIVE) */
int bdrv_activate(BlockDriverState *bs, Error **errp);
int coroutine_fn bdrv_co_activate(BlockDriverState *bs, Error **errp);
void bdrv_activate_all(Error **errp);
int bdrv_inactivate_all(void);

/*
 * Copy what @bs itself holds into its backing file (grown to @bs's length
 * if shorter), then empty @bs where its driver can.  -ENOTSUP without a
 * backing file, -EBUSY when an op blocker (commit-source on @bs,
 * commit-target on the backing file) refuses, -EACCES when a node is
 * inactive or a read-only backing file cannot be reopened read-write (it
 * is for the commit, and back to read-only afterwards), or the I/O error.
 */
int bdrv_commit(BlockDriverState *bs);
/* Drop every allocation of @c's node (the edge must hold WRITE) */
int bdrv_make_empty(BdrvChild *c, Error **errp);
/* Record a new backing file name/format in the image (not the graph) */
int coroutine_fn bdrv_co_change_backing_file(BlockDriverState *bs,
                                             const char *backing_file,
                                             const char *backing_fmt,
                                             bool require);
int bdrv_change_backing_file(BlockDriverState *bs, const char *backing_file,
                             const char *backing_fmt, bool require);

/* Size of a new image of @drv with @opts (holding @in_bs's data, if any) */
BlockMeasureInfo *bdrv_measure(BlockDriver *drv, QemuOpts *opts,
                               BlockDriverState *in_bs, Error **errp);

/* ---- backing chains (block/core/backing-chain.c) ---- */

/*
 * The node below @bs (following filters and COW children) whose image is
 * @backing_file as written in its overlay (relative names are resolved
 * against that overlay's directory); NULL when none is.
 */
BlockDriverState *bdrv_find_backing_image(BlockDriverState *bs,
                                          const char *backing_file);
/* The backing file name @bs records, made absolute against its directory */
char *bdrv_get_full_backing_filename(BlockDriverState *bs, Error **errp);
/* The directory (with a trailing '/') of @bs's image; caller frees */
char *bdrv_dirname(BlockDriverState *bs, Error **errp);
/* The node of @active's chain whose backing (or filtered) child is @bs */
BlockDriverState *bdrv_find_overlay(BlockDriverState *active,
                                    BlockDriverState *bs);
/* The bottom of @bs's backing chain */
BlockDriverState *bdrv_find_base(BlockDriverState *bs);
/*
 * Freeze the links from @bs down to @base (exclusive): a frozen link
 * refuses every change (set_backing_hd, replace_node, drop_filter, reopen
 * of backing=, drop_intermediate) until it is unfrozen.
 */
int bdrv_freeze_backing_chain(BlockDriverState *bs, BlockDriverState *base,
                              Error **errp);
void bdrv_unfreeze_backing_chain(BlockDriverState *bs, BlockDriverState *base);
bool bdrv_is_backing_chain_frozen(BlockDriverState *bs, BlockDriverState *base,
                                  Error **errp);
/*
 * Remove the nodes between @top and @base: the parents of @top's backing
 * node point at @base, and the overlays record @backing_file_str (NULL:
 * @base's filename) as their backing file name.
 */
int bdrv_drop_intermediate(BlockDriverState *top, BlockDriverState *base,
                           const char *backing_file_str);
/* Backing chains opened from image headers are at most this deep */
#define BDRV_BACKING_CHAIN_MAX_DEPTH 1000

/* ---- reopen (block/core/reopen.c) ---- */

/*
 * Queue @bs (and, recursively, the children that inherit from it) to be
 * reopened with @options (taken over; NULL: none).  With @keep_old_opts,
 * options not given keep their old values; otherwise they go back to
 * their defaults.  Returns the queue (a new one when @bs_queue is NULL).
 */
BlockReopenQueue *bdrv_reopen_queue(BlockReopenQueue *bs_queue,
                                    BlockDriverState *bs, QDict *options,
                                    bool keep_old_opts);
void bdrv_reopen_queue_free(BlockReopenQueue *bs_queue);
/* Prepare every queued node, then commit all or abort all; frees the queue */
int bdrv_reopen_multiple(BlockReopenQueue *bs_queue, Error **errp);
int bdrv_reopen(BlockDriverState *bs, QDict *opts, bool keep_old_opts,
                Error **errp);
int bdrv_reopen_set_read_only(BlockDriverState *bs, bool read_only,
                              Error **errp);

#endif
