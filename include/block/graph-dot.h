/*
 * The block graph (bdrv_get_xdbg_block_graph) as Graphviz DOT, for the
 * tools (`dot -Tsvg`).  The layout:
 *
 *   digraph block_graph {
 *       n1 [label="blk0", shape=box3d];        a BlockBackend ("" unnamed)
 *       n2 [label="disk", shape=box];          a node
 *       n3 [label="job", shape=parallelogram]; a job
 *       n1 -> n2 [label="root\nrole: data, primary\nperm: read, write\n
 *                 shared: read, write-unchanged, resize"];
 *   }
 *
 * Permissions are named as QAPI names them, shortened: read
 * (consistent-read), write, write-unchanged, resize; "none" when empty.
 */
#ifndef BLOCK_GRAPH_DOT_H
#define BLOCK_GRAPH_DOT_H

#include "block/block-introspect.h"

/* g_free the result */
char *xdbg_graph_to_dot(const XDbgBlockGraph *graph);

#endif
