/*
 * Functions the core offers to other parts of the library (BlockBackend,
 * the harness) that are neither driver API nor QEMU's public GS/IO API.
 */
#ifndef BLOCK_BLOCK_INT_H
#define BLOCK_BLOCK_INT_H

#include "block/driver.h"

/* Attach @child_bs under a parent that is not a node (a BlockBackend, a job) */
BdrvChild *bdrv_root_attach_child(BlockDriverState *child_bs,
                                  const char *child_name,
                                  const BdrvChildClass *child_class,
                                  BdrvChildRole child_role, uint64_t perm,
                                  uint64_t shared_perm, void *opaque,
                                  Error **errp);
void bdrv_root_unref_child(BdrvChild *child);

/* Change what one edge holds and shares; refreshes the subtree, rolls back */
int bdrv_child_try_set_perm(BdrvChild *c, uint64_t perm, uint64_t shared,
                            Error **errp);
/* Recompute every edge below @bs from its parents' permissions */
int bdrv_refresh_perms(BlockDriverState *bs, Transaction *tran, Error **errp);

/* Length cache: the I/O path refreshes it after truncate and open */
int bdrv_refresh_total_sectors(BlockDriverState *bs, int64_t hint);

/* Call a child class callback for every parent edge of @bs */
void bdrv_parent_cb_resize(BlockDriverState *bs);

/* BlockBackends, for bdrv_first/bdrv_next and name checks */
BlockBackend *blk_all_next(BlockBackend *blk);
bool blk_name_taken(const char *name);
/* Does a BlockBackend use @bs as its root?  The first one that does */
bool bdrv_has_blk(BlockDriverState *bs);
BlockBackend *bdrv_first_blk(BlockDriverState *bs);

/* Node name rules shared by nodes and backends */
bool bdrv_id_wellformed(const char *id);

#endif
