/*
 * Types, flags and limits shared by every part of the block layer API.
 *
 * Values of the flags follow QEMU's so that numbers seen in QEMU traces and
 * documentation mean the same thing here.
 */
#ifndef BLOCK_BLOCK_COMMON_H
#define BLOCK_BLOCK_COMMON_H

#include "util/osdep.h"
#include "util/error.h"
#include "util/qdict.h"
#include "util/aio.h"
#include "util/coroutine.h"
#include "util/iov.h"
#include "util/qemu-option.h"
#include "util/transaction.h"

typedef struct BlockDriver BlockDriver;
typedef struct BlockDriverState BlockDriverState;
typedef struct BdrvChild BdrvChild;
typedef struct BdrvChildClass BdrvChildClass;
typedef struct BlockBackend BlockBackend;
typedef struct BlockReopenQueue BlockReopenQueue;
typedef struct BlockAIOCB BlockAIOCB;
typedef struct AIOCBInfo AIOCBInfo;
typedef void BlockCompletionFunc(void *opaque, int ret);

/* Open flags (bdrv_open, blk_new_open) */
#define BDRV_O_NO_SHARE     0x0001 /* never share permissions */
#define BDRV_O_RDWR         0x0002
#define BDRV_O_RESIZE       0x0004 /* request permission for resizing */
#define BDRV_O_SNAPSHOT     0x0008 /* open a temporary overlay, discard on close */
#define BDRV_O_TEMPORARY    0x0010 /* delete the file on close */
#define BDRV_O_NOCACHE      0x0020 /* O_DIRECT */
#define BDRV_O_NATIVE_AIO   0x0080
#define BDRV_O_NO_BACKING   0x0100 /* do not open the backing file */
#define BDRV_O_NO_FLUSH     0x0200
#define BDRV_O_COPY_ON_READ 0x0400
#define BDRV_O_INACTIVE     0x0800
#define BDRV_O_CHECK        0x1000
#define BDRV_O_ALLOW_RDWR   0x2000
#define BDRV_O_UNMAP        0x4000
#define BDRV_O_PROTOCOL     0x8000 /* open the protocol driver only, no probing */
#define BDRV_O_NO_IO        0x10000 /* metadata only: no guest I/O will be done */
#define BDRV_O_AUTO_RDONLY  0x20000 /* fall back to read-only when RDWR fails */
#define BDRV_O_IO_URING     0x40000

#define BDRV_O_CACHE_MASK   (BDRV_O_NOCACHE | BDRV_O_NO_FLUSH)

/* Request flags */
typedef enum {
    BDRV_REQ_COPY_ON_READ    = 0x1,
    BDRV_REQ_ZERO_WRITE      = 0x2,
    BDRV_REQ_MAY_UNMAP       = 0x4,
    BDRV_REQ_FUA             = 0x10,
    BDRV_REQ_WRITE_COMPRESSED = 0x20,
    BDRV_REQ_WRITE_UNCHANGED = 0x40,
    BDRV_REQ_SERIALISING     = 0x80,
    BDRV_REQ_NO_FALLBACK     = 0x100,
    BDRV_REQ_PREFETCH        = 0x200,
    BDRV_REQ_NO_WAIT         = 0x400,
    BDRV_REQ_REGISTERED_BUF  = 0x800,
    BDRV_REQ_MASK            = 0xfff,
} BdrvRequestFlags;

/* Permissions a parent holds on, or shares of, a child node */
enum {
    BLK_PERM_CONSISTENT_READ = 0x01,
    BLK_PERM_WRITE           = 0x02,
    BLK_PERM_WRITE_UNCHANGED = 0x04,
    BLK_PERM_RESIZE          = 0x08,
    BLK_PERM_ALL             = 0x0f,
    DEFAULT_PERM_PASSTHROUGH = BLK_PERM_CONSISTENT_READ | BLK_PERM_WRITE |
                               BLK_PERM_WRITE_UNCHANGED | BLK_PERM_RESIZE,
    DEFAULT_PERM_UNCHANGED   = BLK_PERM_ALL & ~DEFAULT_PERM_PASSTHROUGH,
};
#define BLK_PERM_COUNT 4

/* Roles of an edge; a child usually has several */
typedef enum BdrvChildRole {
    BDRV_CHILD_DATA     = 1 << 0, /* guest data */
    BDRV_CHILD_METADATA = 1 << 1, /* metadata of the parent's format */
    BDRV_CHILD_FILTERED = 1 << 2, /* the parent is a filter over this child */
    BDRV_CHILD_COW      = 1 << 3, /* backing file: read for unallocated areas */
    BDRV_CHILD_PRIMARY  = 1 << 4, /* the child the parent's filename comes from */
    BDRV_CHILD_IMAGE    = BDRV_CHILD_DATA | BDRV_CHILD_METADATA,
} BdrvChildRole;

/* bdrv_block_status() result bits */
#define BDRV_BLOCK_DATA         0x01
#define BDRV_BLOCK_ZERO         0x02
#define BDRV_BLOCK_OFFSET_VALID 0x04
#define BDRV_BLOCK_RAW          0x08
#define BDRV_BLOCK_ALLOCATED    0x10
#define BDRV_BLOCK_EOF          0x20
#define BDRV_BLOCK_RECURSE      0x40
#define BDRV_BLOCK_COMPRESSED   0x80

#define BDRV_SECTOR_BITS 9
#define BDRV_SECTOR_SIZE (1ULL << BDRV_SECTOR_BITS)

/* Largest single request, aligned down so that any alignment divides it */
#define BDRV_REQUEST_MAX_SECTORS \
    MIN_CONST(SIZE_MAX >> BDRV_SECTOR_BITS, INT_MAX >> BDRV_SECTOR_BITS)
#define BDRV_REQUEST_MAX_BYTES (BDRV_REQUEST_MAX_SECTORS << BDRV_SECTOR_BITS)
/* Largest image length: offsets and lengths must fit in int64_t with room */
#define BDRV_MAX_ALIGNMENT (1L << 30)
#define BDRV_MAX_LENGTH (QEMU_ALIGN_DOWN(INT64_MAX, BDRV_MAX_ALIGNMENT))

#ifndef MIN_CONST
#define MIN_CONST(a, b) ((a) < (b) ? (a) : (b))
#endif

#define BLOCK_NODE_NAME_MAX 32 /* including the NUL */

typedef enum PreallocMode {
    PREALLOC_MODE_OFF,
    PREALLOC_MODE_METADATA,
    PREALLOC_MODE_FALLOC,
    PREALLOC_MODE_FULL,
    PREALLOC_MODE__MAX,
} PreallocMode;

/* Operations that can be blocked on a node (bdrv_op_block) */
typedef enum BlockOpType {
    BLOCK_OP_TYPE_BACKUP_SOURCE,
    BLOCK_OP_TYPE_BACKUP_TARGET,
    BLOCK_OP_TYPE_CHANGE,
    BLOCK_OP_TYPE_COMMIT_SOURCE,
    BLOCK_OP_TYPE_COMMIT_TARGET,
    BLOCK_OP_TYPE_DRIVE_DEL,
    BLOCK_OP_TYPE_EJECT,
    BLOCK_OP_TYPE_EXTERNAL_SNAPSHOT,
    BLOCK_OP_TYPE_INTERNAL_SNAPSHOT,
    BLOCK_OP_TYPE_INTERNAL_SNAPSHOT_DELETE,
    BLOCK_OP_TYPE_MIRROR_SOURCE,
    BLOCK_OP_TYPE_MIRROR_TARGET,
    BLOCK_OP_TYPE_RESIZE,
    BLOCK_OP_TYPE_STREAM,
    BLOCK_OP_TYPE_REPLACE,
    BLOCK_OP_TYPE_MAX,
} BlockOpType;

typedef struct BlockSizes {
    uint32_t phys;
    uint32_t log;
} BlockSizes;

typedef struct HDGeometry {
    uint32_t heads;
    uint32_t sectors;
    uint32_t cylinders;
} HDGeometry;

typedef struct BlockDriverInfo {
    int cluster_size;        /* 0 when the format has no clusters */
    int64_t vm_state_offset;
    bool is_dirty;
} BlockDriverInfo;

/*
 * QAPI's BlockdevRef: either the node name of an existing node or a
 * definition (an options dict, flat "a.b" keys or nested).
 */
typedef struct BlockdevRef {
    QType type; /* QTYPE_QSTRING: reference; QTYPE_QDICT: definition */
    union {
        char *reference;
        QDict *definition;
    } u;
} BlockdevRef;

/* Asynchronous request control block, for the callback-style API */
struct AIOCBInfo {
    void (*cancel_async)(BlockAIOCB *acb);
    /* Where the request completes (default: the context of acb->bs) */
    AioContext *(*get_aio_context)(BlockAIOCB *acb);
    size_t aiocb_size;
};

struct BlockAIOCB {
    const AIOCBInfo *aiocb_info;
    BlockDriverState *bs;
    BlockCompletionFunc *cb;
    void *opaque;
    int refcnt;
};

void *qemu_aio_get(const AIOCBInfo *aiocb_info, BlockDriverState *bs,
                   BlockCompletionFunc *cb, void *opaque);
void qemu_aio_unref(void *p);
void qemu_aio_ref(void *p);

/* Common getters, callable from any context */
const char *bdrv_get_node_name(const BlockDriverState *bs);
const char *bdrv_get_format_name(BlockDriverState *bs);
const char *bdrv_get_device_name(const BlockDriverState *bs);
const char *bdrv_get_device_or_node_name(const BlockDriverState *bs);
AioContext *bdrv_get_aio_context(BlockDriverState *bs);
bool bdrv_is_read_only(BlockDriverState *bs);
bool bdrv_is_writable(BlockDriverState *bs);
bool bdrv_is_sg(BlockDriverState *bs);
int bdrv_get_flags(BlockDriverState *bs);
int64_t bdrv_getlength(BlockDriverState *bs);
int64_t bdrv_nb_sectors(BlockDriverState *bs);
void bdrv_get_geometry(BlockDriverState *bs, uint64_t *nb_sectors_ptr);
int bdrv_get_info(BlockDriverState *bs, BlockDriverInfo *bdi);
BlockDriverState *bdrv_filter_or_cow_bs(BlockDriverState *bs);
BlockDriverState *bdrv_cow_bs(BlockDriverState *bs);
BlockDriverState *bdrv_filter_bs(BlockDriverState *bs);
BdrvChild *bdrv_primary_child(BlockDriverState *bs);
BdrvChild *bdrv_cow_child(BlockDriverState *bs);
BdrvChild *bdrv_filter_child(BlockDriverState *bs);
BdrvChild *bdrv_filter_or_cow_child(BlockDriverState *bs);
BlockDriverState *bdrv_skip_filters(BlockDriverState *bs);
int bdrv_check_request(int64_t offset, int64_t bytes, Error **errp);
int bdrv_parse_cache_mode(const char *mode, int *flags, bool *writethrough);
int bdrv_parse_discard_flags(const char *mode, int *flags);

/* ---- the driver contract's data types (see docs/writing-a-driver.md) ---- */

/* bdrv_check(): what to repair (bits) */
typedef enum {
    BDRV_FIX_LEAKS  = 1,
    BDRV_FIX_ERRORS = 2,
} BdrvCheckMode;

typedef struct BlockFragInfo {
    uint64_t allocated_clusters;
    uint64_t total_clusters;
    uint64_t fragmented_clusters;
    uint64_t compressed_clusters;
} BlockFragInfo;

/* What bdrv_check() found (and repaired); zeroed by the core before the call */
typedef struct BdrvCheckResult {
    int corruptions;          /* errors left in the image */
    int leaks;                /* leaked clusters left */
    int check_errors;         /* the check itself failed to read something */
    int corruptions_fixed;
    int leaks_fixed;
    int64_t image_end_offset; /* first byte after the image's data, 0: unknown */
    BlockFragInfo bfi;
} BdrvCheckResult;

/* An internal snapshot (bdrv_snapshot_*) */
typedef struct QEMUSnapshotInfo {
    char id_str[128];         /* unique, chosen by the driver when empty */
    char name[256];           /* user-given, may be empty */
    uint64_t vm_state_size;   /* bytes of VM state saved with it */
    uint32_t date_sec;        /* wall clock time of creation */
    uint32_t date_nsec;
    uint64_t vm_clock_nsec;   /* guest clock at creation */
    uint64_t icount;          /* instruction count, -1ULL: unknown */
} QEMUSnapshotInfo;

/* bdrv_measure(): the size of a new image with the given options */
typedef struct BlockMeasureInfo {
    int64_t required;         /* bytes needed for the data and metadata */
    int64_t fully_allocated;  /* bytes with every cluster allocated */
    bool has_bitmaps;
    uint64_t bitmaps;         /* bytes for persistent bitmaps */
} BlockMeasureInfo;

void qapi_free_BlockMeasureInfo(BlockMeasureInfo *info);

/*
 * Format-specific information (qemu-img info's "Format specific
 * information"): the format's name and its fields in a QDict.
 */
typedef struct ImageInfoSpecific {
    char *type;               /* the format name, e.g. "qcow2" */
    QDict *data;              /* field name -> value */
} ImageInfoSpecific;

void qapi_free_ImageInfoSpecific(ImageInfoSpecific *info);

/* bdrv_amend_options() progress: @offset of @total_work_size done */
typedef void BlockDriverAmendStatusCB(BlockDriverState *bs, int64_t offset,
                                      int64_t total_work_size, void *opaque);

/*
 * Named points of a format's I/O path where blkdebug can inject errors or
 * set breakpoints (BLKDBG_EVENT); the names are QEMU's, in QEMU's order.
 */
typedef enum BlkdebugEvent {
    BLKDBG_L1_UPDATE,
    BLKDBG_L1_GROW_ALLOC_TABLE,
    BLKDBG_L1_GROW_WRITE_TABLE,
    BLKDBG_L1_GROW_ACTIVATE_TABLE,
    BLKDBG_L2_LOAD,
    BLKDBG_L2_UPDATE,
    BLKDBG_L2_UPDATE_COMPRESSED,
    BLKDBG_L2_ALLOC_COW_READ,
    BLKDBG_L2_ALLOC_WRITE,
    BLKDBG_READ_AIO,
    BLKDBG_READ_BACKING_AIO,
    BLKDBG_READ_COMPRESSED,
    BLKDBG_WRITE_AIO,
    BLKDBG_WRITE_COMPRESSED,
    BLKDBG_VMSTATE_LOAD,
    BLKDBG_VMSTATE_SAVE,
    BLKDBG_COW_READ,
    BLKDBG_COW_WRITE,
    BLKDBG_REFTABLE_LOAD,
    BLKDBG_REFTABLE_GROW,
    BLKDBG_REFTABLE_UPDATE,
    BLKDBG_REFBLOCK_LOAD,
    BLKDBG_REFBLOCK_UPDATE,
    BLKDBG_REFBLOCK_UPDATE_PART,
    BLKDBG_REFBLOCK_ALLOC,
    BLKDBG_REFBLOCK_ALLOC_HOOKUP,
    BLKDBG_REFBLOCK_ALLOC_WRITE,
    BLKDBG_REFBLOCK_ALLOC_WRITE_BLOCKS,
    BLKDBG_REFBLOCK_ALLOC_WRITE_TABLE,
    BLKDBG_REFBLOCK_ALLOC_SWITCH_TABLE,
    BLKDBG_CLUSTER_ALLOC,
    BLKDBG_CLUSTER_ALLOC_BYTES,
    BLKDBG_CLUSTER_FREE,
    BLKDBG_FLUSH_TO_OS,
    BLKDBG_FLUSH_TO_DISK,
    BLKDBG_PWRITEV_RMW_HEAD,
    BLKDBG_PWRITEV_RMW_AFTER_HEAD,
    BLKDBG_PWRITEV_RMW_TAIL,
    BLKDBG_PWRITEV_RMW_AFTER_TAIL,
    BLKDBG_PWRITEV,
    BLKDBG_PWRITEV_ZERO,
    BLKDBG_PWRITEV_DONE,
    BLKDBG_EMPTY_IMAGE_PREPARE,
    BLKDBG_L1_SHRINK_WRITE_TABLE,
    BLKDBG_L1_SHRINK_FREE_L2_CLUSTERS,
    BLKDBG_COR_WRITE,
    BLKDBG_CLUSTER_ALLOC_SPACE,
    BLKDBG_NONE,
    BLKDBG__MAX,
} BlkdebugEvent;

/* "l1_update", ... (blkdebug's config names); NULL when out of range */
const char *BlkdebugEvent_str(BlkdebugEvent event);
/* QAPI's name of an operation ("commit-source", ...), NULL out of range */
const char *BlockOpType_str(BlockOpType op);
/* The event named @name, or -1 */
int BlkdebugEvent_lookup(const char *name);

#endif
