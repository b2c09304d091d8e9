/*
 * What bdrv_named_nodes_list() and bdrv_get_xdbg_block_graph() return:
 * drydock's own minimal versions of QAPI's BlockDeviceInfo and
 * XDbgBlockGraph, with QAPI's field names.  An optional field is a NULL
 * pointer when absent (QAPI's has_* flags).  Each list type has a free
 * function that frees the whole structure.
 */
#ifndef BLOCK_BLOCK_INTROSPECT_H
#define BLOCK_BLOCK_INTROSPECT_H

#include <stdbool.h>
#include <stdint.h>

typedef enum BlockdevDetectZeroesOptions {
    BLOCKDEV_DETECT_ZEROES_OPTIONS_OFF,
    BLOCKDEV_DETECT_ZEROES_OPTIONS_ON,
    BLOCKDEV_DETECT_ZEROES_OPTIONS_UNMAP,
} BlockdevDetectZeroesOptions;

typedef struct BlockdevCacheInfo {
    bool writeback;
    bool direct;       /* BDRV_O_NOCACHE */
    bool no_flush;     /* BDRV_O_NO_FLUSH */
} BlockdevCacheInfo;

/* One image of a backing chain (qemu-img info's fields) */
typedef struct ImageInfo {
    char *filename;
    char *format;
    int64_t virtual_size;
    char *backing_filename;          /* as the image records it, or NULL */
    struct ImageInfo *backing_image; /* NULL when flat or at the base */
} ImageInfo;

typedef struct BlockDeviceInfo {
    char *file;                 /* the node's filename */
    char *node_name;
    bool ro;
    char *drv;                  /* format name */
    char *backing_file;         /* as the image records it, or NULL */
    int64_t backing_file_depth; /* backing images below, filters skipped */
    bool encrypted;
    BlockdevDetectZeroesOptions detect_zeroes;
    BlockdevCacheInfo *cache;
    ImageInfo *image;           /* the node (filters skipped) and, unless
                                   flat, its backing images */
} BlockDeviceInfo;

typedef struct BlockDeviceInfoList {
    struct BlockDeviceInfoList *next;
    BlockDeviceInfo *value;
} BlockDeviceInfoList;

typedef enum XDbgBlockGraphNodeType {
    X_DBG_BLOCK_GRAPH_NODE_TYPE_BLOCK_BACKEND,
    X_DBG_BLOCK_GRAPH_NODE_TYPE_BLOCK_JOB,
    X_DBG_BLOCK_GRAPH_NODE_TYPE_BLOCK_DRIVER,
    X_DBG_BLOCK_GRAPH_NODE_TYPE__MAX,
} XDbgBlockGraphNodeType;

/* "block-backend", "block-job", "block-driver" */
extern const char *const XDbgBlockGraphNodeType_str[];

typedef struct XDbgBlockGraphNode {
    uint64_t id;                /* 1, 2, ... in the order listed */
    XDbgBlockGraphNodeType type;
    char *name;                 /* backend name or node name ("" if none) */
} XDbgBlockGraphNode;

typedef struct XDbgBlockGraphNodeList {
    struct XDbgBlockGraphNodeList *next;
    XDbgBlockGraphNode *value;
} XDbgBlockGraphNodeList;

/*
 * An edge from a parent to a child.  QAPI lists permissions by name;
 * here perm and shared_perm are BLK_PERM_* masks, and role (a drydock
 * addition) the BdrvChildRole bits.
 */
typedef struct XDbgBlockGraphEdge {
    uint64_t parent;
    uint64_t child;
    char *name;
    uint64_t role;
    uint64_t perm;
    uint64_t shared_perm;
} XDbgBlockGraphEdge;

typedef struct XDbgBlockGraphEdgeList {
    struct XDbgBlockGraphEdgeList *next;
    XDbgBlockGraphEdge *value;
} XDbgBlockGraphEdgeList;

typedef struct XDbgBlockGraph {
    XDbgBlockGraphNodeList *nodes;
    XDbgBlockGraphEdgeList *edges;
} XDbgBlockGraph;

void qapi_free_ImageInfo(ImageInfo *info);
void qapi_free_BlockDeviceInfo(BlockDeviceInfo *info);
void qapi_free_BlockDeviceInfoList(BlockDeviceInfoList *list);
void qapi_free_XDbgBlockGraph(XDbgBlockGraph *graph);

#endif
