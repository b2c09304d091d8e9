/*
 * Debug API: the graph invariant checker and introspection used by the
 * harness, the unit tests and the fuzz targets.  Not for drivers.
 */
#ifndef BLOCK_BLOCK_DEBUG_H
#define BLOCK_BLOCK_DEBUG_H

#include "block/block-common.h"

/*
 * Check every invariant of the whole graph: parent/child lists symmetric,
 * bs->file / bs->backing the children their roles name, reference counts
 * cover the edges, no cycles, permissions granted to each edge are held by
 * the child node and compatible with what its sibling edges share, quiesce
 * counters consistent with the drains in progress, every node of a
 * connected component in one AioContext, limits in range and computed
 * from what the children give now.
 * Returns 0, or -EINVAL with the first violation described in @errp.
 */
int bdrv_debug_check_graph(Error **errp);

/* The same, aborting with the message: for use after every test step */
void bdrv_debug_assert_graph(void);

/* Nesting depth of bdrv_drain_all_begin() */
int bdrv_debug_drain_all_count(void);

/*
 * How many drained sections cover @bs (its own, its children's, drain_all):
 * while it is above 0, requests of the parents above @bs wait
 */
int bdrv_debug_quiesce_count(BlockDriverState *bs);

/* Number of nodes alive (all states, named or not) */
int bdrv_debug_node_count(void);

/*
 * Nodes visited so far by the graph's subtree searches (the cycle checks
 * of graph changes), since the program started: a test compares two
 * readings to prove a search visits each node at most once.
 */
uint64_t bdrv_debug_subtree_visits(void);

/*
 * Sub-vectors the core built so far for drivers with only the plain
 * bdrv_co_preadv/pwritev callback (a request on part of a vector): a test
 * compares two readings to prove a path never slices.
 */
uint64_t bdrv_debug_io_slices(void);

#endif
