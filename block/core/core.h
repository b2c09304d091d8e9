/*
 * Private to block/core: the node lists, and the steps that graph changes
 * are built from.  Nothing outside block/core includes this.
 */
#ifndef BLOCK_CORE_CORE_H
#define BLOCK_CORE_CORE_H

#include "block/block-int.h"
#include "block/block-debug.h"
#include "util/main-loop.h"
#include "util/cutils.h"
#include "util/ptrset.h"
#include "util/ptrvec.h"

typedef QTAILQ_HEAD(BdrvStatesList, BlockDriverState) BdrvStatesList;

/* node.c */
extern BdrvStatesList bdrv_all_states;     /* every node */
extern BdrvStatesList bdrv_graph_states;   /* every named node (all of them) */
extern BdrvStatesList bdrv_monitor_states; /* owned by the monitor */
int node_set_name(BlockDriverState *bs, const char *node_name, Error **errp);

/* child.c: steps of a graph change, each undone by @tran's abort */
BdrvChild *child_attach_noperm(BlockDriverState *parent_bs,
                               BlockDriverState *child_bs,
                               const char *child_name,
                               const BdrvChildClass *child_class,
                               BdrvChildRole child_role, Transaction *tran,
                               Error **errp);
void child_replace_bs_tran(BdrvChild *child, BlockDriverState *new_bs,
                           Transaction *tran);
void child_remove_tran(BdrvChild *child, Transaction *tran);
/* Is @needle @bs or below it?  Visits each node once */
bool child_subtree_contains(BlockDriverState *bs, BlockDriverState *needle);
/* node-info.c: a filter node without its filtered child */
bool node_info_filter_orphaned(BlockDriverState *bs);
/* &parent->file, &parent->backing or NULL: where an edge of @role goes */
BdrvChild **child_role_slot(BlockDriverState *parent, BdrvChildRole role);
/* The child @slot (&parent->file or &parent->backing) should hold */
BdrvChild *child_slot_holder(BlockDriverState *parent, BdrvChild **slot);

/* perms.c */
/* Refresh the subtrees of every node in @list (a GSList of nodes) */
int perms_refresh_list(GSList *list, Transaction *tran, Error **errp);
/*
 * The same for a reopen: drivers' bdrv_child_perm get @queue (the queued
 * nodes' new flags are already applied, tentatively, to the nodes)
 */
int perms_refresh_list_reopen(GSList *list, BlockReopenQueue *queue,
                              Transaction *tran, Error **errp);
bool perms_is_writable_node(BlockDriverState *bs);
char *perms_child_user_desc(BdrvChild *c);
/* Writes without RESIZE need a length aligned to request_alignment */
int perms_check_write_alignment(BlockDriverState *bs, uint64_t perm,
                                uint32_t align, Error **errp);

/* io-length.c: an edge was attached or moved: its parent's cached length
 * (and so its parents') follows the new child */
void io_length_child_changed(BdrvChild *child);

/* io-length.c: the limits a driver set are sane and consistent */
int io_limits_check(BlockDriverState *bs, const BlockLimits *bl,
                    Error **errp);
/* What @bs needs from its child @c: the driver's answer, then force-share */
void perms_child_perm(BlockDriverState *bs, BdrvChild *c, uint64_t perm,
                      uint64_t shared, uint64_t *nperm, uint64_t *nshared);

/*
 * limits.c: recompute the limits of every node in @list (a GSList of
 * nodes) and of all their ancestors, children before parents; abort
 * restores the old limits.  Nodes whose open has not computed limits yet
 * are left alone.
 */
int limits_refresh_list(GSList *list, Transaction *tran, Error **errp);
int limits_refresh_one(BlockDriverState *bs, Transaction *tran, Error **errp);
/* For the checker: @bs's limits are valid and not stale */
int limits_check_node(BlockDriverState *bs, Error **errp);

/* drain.c */
extern int bdrv_drain_all_count;
void drain_new_node(BlockDriverState *bs);

void bdrv_drained_end_no_poll(BlockDriverState *bs, BdrvChild *parent);

/* aio-context.c: keep every component in one context across attach/detach */
int aio_ctx_align_edge(BdrvChild *c, Transaction *tran, Error **errp);
void aio_ctx_after_detach(BlockDriverState *bs);

/* open-options.c */
int open_generic_options(BlockDriverState *bs, QDict *options, int *flags,
                         Error **errp);
int open_parse_json_filename(const char **filename, QDict *options,
                             Error **errp);
int open_inherit_options(BlockDriverState *parent, BdrvChildRole role,
                         QDict *child_options);
/* The generic options without touching a node (@force_share: force-share) */
int open_generic_options_parse(QDict *options, int *flags, bool *force_share,
                               Error **errp);
/* A boolean option @key (removed) sets or clears @flag of *@flags */
int open_opt_flag(QDict *options, const char *key, int flag, int *flags,
                  Error **errp);
/* open_inherit_options() from a parent's (new) flags rather than a node */
int open_inherit_flags(int parent_flags, bool parent_force_share,
                       bool parent_is_format, BdrvChildRole role,
                       QDict *child_options);

/*
 * backing-chain.c: around the open of a backing file named in an image
 * (@backing, NULL when only options say what to open): refuses a name
 * already being opened further up (a loop) and chains deeper than
 * BDRV_BACKING_CHAIN_MAX_DEPTH; leave() after the open, whatever happened.
 */
int backing_chain_open_enter(BlockDriverState *bs, const char *backing,
                             Error **errp);
void backing_chain_open_leave(void);
/* Is a backing file of an outer image being opened right now? */
bool backing_chain_open_nested(void);
/* child_of_bds's update_filename (bdrv_drop_intermediate) */
int backing_chain_update_filename(BdrvChild *c, BlockDriverState *base,
                                  const char *filename,
                                  bool backing_mask_protocol, Error **errp);

/* snapshot-temp.c: snapshot=on, a temporary qcow2 overlay */
int snapshot_temp_option(QDict *options, int *flags, Error **errp);
void snapshot_temp_base_options(QDict *options, int *flags);
BlockDriverState *snapshot_temp_append(BlockDriverState *bs, int flags,
                                       Error **errp);

/* registry (driver-table.c) */
/* "prefix:rest" with the ':' before any '/' ("./a:b" has none) */
bool driver_table_has_protocol_prefix(const char *filename);

#endif
