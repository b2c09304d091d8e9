/*
 * What a block driver implements, and the node/edge structures it sees.
 *
 * A driver includes this header (and the runtime headers) and nothing from
 * block/core.  It defines one BlockDriver with designated initialisers and
 * is listed in block/drivers/registry.c.
 */
#ifndef BLOCK_DRIVER_H
#define BLOCK_DRIVER_H

#include "block/block-common.h"
#include "block/block-global-state.h"
#include "block/block-io.h"
#include "util/queue.h"

/* Creation option names shared by drivers (create_opts) */
#define BLOCK_OPT_SIZE "size"
#define BLOCK_OPT_PREALLOC "preallocation"
#define BLOCK_OPT_BACKING_FILE "backing_file"
#define BLOCK_OPT_BACKING_FMT "backing_fmt"
#define BLOCK_OPT_CLUSTER_SIZE "cluster_size"

/* Limits of a node, refreshed by the core after open and graph changes */
typedef struct BlockLimits {
    uint32_t request_alignment;    /* byte alignment of every request, >= 1 */
    int64_t max_pdiscard;          /* 0: no limit */
    uint32_t pdiscard_alignment;
    int64_t max_pwrite_zeroes;     /* 0: no limit */
    uint32_t pwrite_zeroes_alignment;
    uint32_t opt_transfer;
    uint32_t max_transfer;         /* 0: no limit */
    size_t min_mem_alignment;      /* buffer alignment the driver needs */
    size_t opt_mem_alignment;
    int max_iov;
} BlockLimits;

typedef enum {
    BDRV_TRACKED_READ,
    BDRV_TRACKED_WRITE,
    BDRV_TRACKED_DISCARD,
    BDRV_TRACKED_TRUNCATE,
} BdrvTrackedRequestType;

/* A request in flight on a node, for overlap serialisation */
typedef struct BdrvTrackedRequest {
    BlockDriverState *bs;
    int64_t offset;
    int64_t bytes;
    BdrvTrackedRequestType type;
    bool serialising;
    int64_t overlap_offset;  /* the range others must not overlap */
    int64_t overlap_bytes;
    QLIST_ENTRY(BdrvTrackedRequest) list;
    Coroutine *co;
    CoQueue wait_queue;      /* requests waiting for this one */
    struct BdrvTrackedRequest *waiting_for;
} BdrvTrackedRequest;

typedef struct BdrvOpBlocker {
    Error *reason;
    QLIST_ENTRY(BdrvOpBlocker) list;
} BdrvOpBlocker;

/* How the parent at the other end of an edge reacts to events on the child */
struct BdrvChildClass {
    /* The parent is a node: bdrv_replace_node() moves it, permissions recurse */
    bool parent_is_bds;
    /* The edge stays on its node when the node is replaced (e.g. job edges) */
    bool stay_at_node;

    /* The parent's device name ("" or NULL when it has none) */
    const char *(*get_name)(BdrvChild *child);
    /* A human-readable name of the parent, for error messages (caller frees) */
    char *(*get_parent_desc)(BdrvChild *child);
    /* The parent's context; edges of one component share one context */
    AioContext *(*get_parent_aio_context)(BdrvChild *child);

    /* The child is being drained: the parent must stop sending new requests */
    void (*drained_begin)(BdrvChild *child);
    void (*drained_end)(BdrvChild *child);
    /* Does the parent still have requests in flight towards the child? */
    bool (*drained_poll)(BdrvChild *child);

    /* The edge was attached to / is being detached from child->bs */
    void (*attach)(BdrvChild *child);
    void (*detach)(BdrvChild *child);

    /* The child's length changed */
    void (*resize)(BdrvChild *child);

    /*
     * Can the parent follow the child into @ctx?  Adds what it must undo on
     * abort to @tran.  NULL means the parent cannot move.
     */
    bool (*change_aio_ctx)(BdrvChild *child, AioContext *ctx,
                           GHashTable *visited, Transaction *tran,
                           Error **errp);

    /* The child is being activated / inactivated (bdrv_activate) */
    void (*activate)(BdrvChild *child, Error **errp);
    int (*inactivate)(BdrvChild *child);

    /* The backing file name recorded in the parent must change */
    int (*update_filename)(BdrvChild *child, BlockDriverState *new_base,
                           const char *filename, bool backing_mask_protocol,
                           Error **errp);
};

/* The class of edges whose parent is another node */
extern const BdrvChildClass child_of_bds;

struct BdrvChild {
    BlockDriverState *bs;       /* the child node */
    char *name;                 /* "file", "backing", "children.0", ... */
    const BdrvChildClass *klass;
    BdrvChildRole role;
    void *opaque;               /* the parent (a BlockDriverState for child_of_bds) */

    uint64_t perm;              /* permissions the parent holds on bs */
    uint64_t shared_perm;       /* permissions it allows other parents */

    bool frozen;                /* the edge must not be changed */
    bool quiesced_parent;       /* drained_begin was sent to the parent */

    QLIST_ENTRY(BdrvChild) next;        /* in the parent's children */
    QLIST_ENTRY(BdrvChild) next_parent; /* in bs->parents */
};

struct BlockDriverState {
    const BlockDriver *drv;     /* NULL once closed */
    void *opaque;               /* driver state, drv->instance_size bytes */
    int open_flags;
    bool read_only;
    bool force_share;           /* share all permissions (qemu-img -U) */
    bool implicit;              /* created by the core, not the user */
    bool probed;                /* the format was guessed */
    bool open_failed;           /* the driver's open failed: no close call */
    bool sg;

    AioContext *aio_context;
    int refcnt;

    char backing_format[16];
    char node_name[BLOCK_NODE_NAME_MAX];
    QDict *options;                /* every option the node was opened with */
    QDict *explicit_options;       /* those the user gave */
    QDict *full_open_options;

    BlockLimits bl;
    /*
     * Limits are refreshed with the graph once the end of the node's open
     * computed them (bl_valid); bl_children is what the children gave at
     * the last refresh, before the driver's bdrv_refresh_limits (the
     * invariant checker compares it with what they give now).
     */
    bool bl_valid;
    BlockLimits bl_children;
    unsigned supported_write_flags;  /* BDRV_REQ_FUA, ... passed to pwritev */
    unsigned supported_zero_flags;   /* for pwrite_zeroes */
    unsigned supported_truncate_flags;
    unsigned supported_read_flags;   /* BDRV_REQ_PREFETCH, ... passed to preadv */
    /* Compressed writes may span several clusters (the driver splits them) */
    bool compressed_multi_cluster;

    /* Set by bdrv_mark_corrupt(): fatal refuses writes (-EIO) */
    bool corrupt;
    bool corrupt_fatal_reported;    /* later fatal events are not printed */
    bool corrupt_nonfatal_reported; /* later non-fatal events are not printed */

    QLIST_HEAD(, BdrvChild) children;
    QLIST_HEAD(, BdrvChild) parents;
    BdrvChild *file;               /* the "file" child, when there is one */
    BdrvChild *backing;            /* the "backing" child, when there is one */
    BlockDriverState *inherits_from;

    QTAILQ_ENTRY(BlockDriverState) node_list;    /* named nodes */
    QTAILQ_ENTRY(BlockDriverState) bs_list;      /* all nodes */
    QTAILQ_ENTRY(BlockDriverState) monitor_list; /* owned by the monitor */

    QLIST_HEAD(, BdrvOpBlocker) op_blockers[BLOCK_OP_TYPE_MAX];

    /* I/O accounting (see block/core/io*.c) */
    unsigned int in_flight;        /* requests in flight, incl. internal ones */
    unsigned int serialising_in_flight;
    pthread_mutex_t reqs_lock;
    QLIST_HEAD(, BdrvTrackedRequest) tracked_requests;
    uint64_t write_gen;            /* bumped by writes, for flush skipping */
    uint64_t flushed_gen;
    bool active_flush_req;         /* a flush runs: the next ones queue */
    CoQueue flush_queue;           /* flushes waiting for it (zero: empty) */
    int64_t total_sectors;         /* cached length, -1 when unknown */

    /* Drain */
    int quiesce_counter;           /* how many drains cover this node */
    bool drain_hook_called;        /* drv->bdrv_drain_begin ran for this level */

    /* Permissions the driver has been told about (bdrv_set_perm) */
    uint64_t cur_perm;
    uint64_t cur_shared;

    /*
     * Last, as bdrv_new() zeroes only what comes before them (and their
     * first byte): 12 KiB per node that a new node never reads
     */
    char filename[PATH_MAX];
    char exact_filename[PATH_MAX];
    char backing_file[PATH_MAX];   /* as recorded in the image */
};

/* Pending state of a node while a reopen is prepared */
typedef struct BDRVReopenState {
    BlockDriverState *bs;
    int flags;
    bool read_only;
    QDict *options;
    QDict *explicit_options;
    void *opaque;
} BDRVReopenState;

struct BlockDriver {
    const char *format_name;
    int instance_size;

    bool is_filter;              /* passes I/O to one child unchanged */
    /*
     * A filter whose filtered child is its "backing" child (bs->backing),
     * like QEMU's mirror-top and commit-top; otherwise it is "file"
     * (bs->file).  bdrv_append() and bdrv_set_backing_hd() name it so.
     */
    bool filtered_child_is_backing;
    bool is_format;              /* an image format over a protocol node */
    bool supports_backing;
    bool bdrv_needs_filename;    /* protocol: "filename" is mandatory */
    bool has_variable_length;    /* length is re-read on every getlength */

    /* Protocol drivers: the prefix of "prefix:rest" filenames they serve */
    const char *protocol_name;

    /* Format probing: a score 0..100 for the first bytes of an image */
    int (*bdrv_probe)(const uint8_t *buf, int buf_size, const char *filename);
    /* Turn a filename into options ("filename", "size", ...) */
    void (*bdrv_parse_filename)(const char *filename, QDict *options,
                                Error **errp);

    /*
     * Open the node.  @options holds the node's flat options; the driver
     * removes (qdict_del) every key it consumed, and the core rejects what is
     * left as unknown options.
     */
    int (*bdrv_open)(BlockDriverState *bs, QDict *options, int flags,
                     Error **errp);
    void (*bdrv_close)(BlockDriverState *bs);

    int (*bdrv_reopen_prepare)(BDRVReopenState *state,
                               BlockReopenQueue *queue, Error **errp);
    void (*bdrv_reopen_commit)(BDRVReopenState *state);
    void (*bdrv_reopen_abort)(BDRVReopenState *state);

    /* Image creation (bdrv_create); @opts follows create_opts */
    int coroutine_fn (*bdrv_co_create_opts)(BlockDriver *drv,
                                            const char *filename,
                                            QemuOpts *opts, Error **errp);
    QemuOptsList *create_opts;

    /*
     * Create an image from blockdev-create style options (bdrv_create_qdict):
     * "driver", "file" (the node name of an opened protocol node), "size",
     * and the format's own keys.  The caller owns @options.
     */
    int coroutine_fn (*bdrv_co_create)(QDict *options, Error **errp);

    /*
     * I/O: offset and bytes are aligned to bl.request_alignment.  A driver
     * implements either the _part form (the data is [qiov_offset,
     * qiov_offset + bytes) of @qiov) or the plain one (@qiov holds exactly
     * @bytes); the core prefers _part and never builds a sub-vector for it.
     */
    int coroutine_fn (*bdrv_co_preadv_part)(BlockDriverState *bs,
                                            int64_t offset, int64_t bytes,
                                            QEMUIOVector *qiov,
                                            size_t qiov_offset,
                                            BdrvRequestFlags flags);
    int coroutine_fn (*bdrv_co_pwritev_part)(BlockDriverState *bs,
                                             int64_t offset, int64_t bytes,
                                             QEMUIOVector *qiov,
                                             size_t qiov_offset,
                                             BdrvRequestFlags flags);
    /*
     * BDRV_REQ_WRITE_COMPRESSED writes, checked by the core: offset aligned
     * to the cluster size bdrv_co_get_info reports (none: -ENOTSUP), at
     * most one cluster (unless bs->compressed_multi_cluster), whole
     * clusters except at EOF; never split.
     */
    int coroutine_fn (*bdrv_co_pwritev_compressed_part)(BlockDriverState *bs,
                                                        int64_t offset,
                                                        int64_t bytes,
                                                        QEMUIOVector *qiov,
                                                        size_t qiov_offset);
    int coroutine_fn (*bdrv_co_preadv)(BlockDriverState *bs, int64_t offset,
                                       int64_t bytes, QEMUIOVector *qiov,
                                       BdrvRequestFlags flags);
    int coroutine_fn (*bdrv_co_pwritev)(BlockDriverState *bs, int64_t offset,
                                        int64_t bytes, QEMUIOVector *qiov,
                                        BdrvRequestFlags flags);
    int coroutine_fn (*bdrv_co_pwrite_zeroes)(BlockDriverState *bs,
                                              int64_t offset, int64_t bytes,
                                              BdrvRequestFlags flags);
    int coroutine_fn (*bdrv_co_pdiscard)(BlockDriverState *bs, int64_t offset,
                                         int64_t bytes);
    /*
     * Flush every layer at once; when set, the core calls only this (not
     * flush_to_os/flush_to_disk, and it does not flush the children).
     */
    int coroutine_fn (*bdrv_co_flush)(BlockDriverState *bs);
    /* Flush: the driver's own caches to the OS, then the OS to disk */
    int coroutine_fn (*bdrv_co_flush_to_os)(BlockDriverState *bs);
    int coroutine_fn (*bdrv_co_flush_to_disk)(BlockDriverState *bs);
    int coroutine_fn (*bdrv_co_truncate)(BlockDriverState *bs, int64_t offset,
                                         bool exact, PreallocMode prealloc,
                                         BdrvRequestFlags flags, Error **errp);
    int64_t coroutine_fn (*bdrv_co_getlength)(BlockDriverState *bs);
    int64_t coroutine_fn (*bdrv_co_get_allocated_file_size)(
        BlockDriverState *bs);
    /*
     * Status of [offset, offset + bytes): BDRV_BLOCK_* bits, *pnum the
     * length with that status (> 0), *map and *file where the data lives.
     */
    int coroutine_fn (*bdrv_co_block_status)(BlockDriverState *bs,
                                             bool want_zero, int64_t offset,
                                             int64_t bytes, int64_t *pnum,
                                             int64_t *map,
                                             BlockDriverState **file);

    void (*bdrv_refresh_limits)(BlockDriverState *bs, Error **errp);
    void (*bdrv_refresh_filename)(BlockDriverState *bs);
    /* @bdi is zeroed by the core; fill what applies */
    int coroutine_fn (*bdrv_co_get_info)(BlockDriverState *bs,
                                         BlockDriverInfo *bdi);
    /* Format-specific information; the caller frees the result */
    ImageInfoSpecific *(*bdrv_get_specific_info)(BlockDriverState *bs,
                                                 Error **errp);
    /* Size of a new image of @opts (create_opts), holding @in_bs's data */
    BlockMeasureInfo *(*bdrv_measure)(QemuOpts *opts, BlockDriverState *in_bs,
                                      Error **errp);

    /* Consistency check; @result is zeroed by the core */
    int coroutine_fn (*bdrv_co_check)(BlockDriverState *bs,
                                      BdrvCheckResult *result,
                                      BdrvCheckMode fix);
    /* Change creation options of an existing image (qemu-img amend) */
    int (*bdrv_amend_options)(BlockDriverState *bs, QemuOpts *opts,
                              BlockDriverAmendStatusCB *status_cb,
                              void *cb_opaque, bool force, Error **errp);
    QemuOptsList *amend_opts;
    /* The same from a QDict of amend options (blockdev-amend style) */
    int coroutine_fn (*bdrv_co_amend)(BlockDriverState *bs, QDict *options,
                                      bool force, Error **errp);

    /* Internal snapshots (block/core/snapshot.c documents each) */
    int (*bdrv_snapshot_create)(BlockDriverState *bs,
                                QEMUSnapshotInfo *sn_info);
    int (*bdrv_snapshot_goto)(BlockDriverState *bs, const char *snapshot_id,
                              Error **errp);
    int (*bdrv_snapshot_delete)(BlockDriverState *bs, const char *snapshot_id,
                                const char *name, Error **errp);
    /* The number of snapshots; *psn_info a g_new array the caller frees */
    int (*bdrv_snapshot_list)(BlockDriverState *bs,
                              QEMUSnapshotInfo **psn_info);
    int (*bdrv_snapshot_load_tmp)(BlockDriverState *bs,
                                  const char *snapshot_id, const char *name,
                                  Error **errp);
    /* Read the node's point-in-time snapshot (a fleecing source) */
    int coroutine_fn (*bdrv_co_preadv_snapshot)(BlockDriverState *bs,
                                                int64_t offset, int64_t bytes,
                                                QEMUIOVector *qiov,
                                                size_t qiov_offset);

    /* VM state saved in the image, at byte @pos of the VM state area */
    int coroutine_fn (*bdrv_co_load_vmstate)(BlockDriverState *bs,
                                             QEMUIOVector *qiov, int64_t pos);
    int coroutine_fn (*bdrv_co_save_vmstate)(BlockDriverState *bs,
                                             QEMUIOVector *qiov, int64_t pos);

    /* Re-read metadata after another process wrote the image (activate) */
    void coroutine_fn (*bdrv_co_invalidate_cache)(BlockDriverState *bs,
                                                  Error **errp);
    /* Write back everything before another process takes over the image */
    int (*bdrv_inactivate)(BlockDriverState *bs);

    /* Drop every allocation: the image reads as its backing file again */
    int coroutine_fn (*bdrv_make_empty)(BlockDriverState *bs);
    /* Record a new backing file name and format in the image header */
    int coroutine_fn (*bdrv_co_change_backing_file)(BlockDriverState *bs,
                                                    const char *backing_file,
                                                    const char *backing_fmt);

    /* A BLKDBG_EVENT point was reached on this node (blkdebug) */
    void coroutine_fn (*bdrv_co_debug_event)(BlockDriverState *bs,
                                             BlkdebugEvent event);
    int (*bdrv_has_zero_init)(BlockDriverState *bs);
    int (*bdrv_probe_blocksizes)(BlockDriverState *bs, BlockSizes *bsz);
    int (*bdrv_probe_geometry)(BlockDriverState *bs, HDGeometry *geo);

    /* Permissions: what the node needs from child @c given its parents' */
    void (*bdrv_child_perm)(BlockDriverState *bs, BdrvChild *c,
                            BdrvChildRole role, BlockReopenQueue *reopen_queue,
                            uint64_t parent_perm, uint64_t parent_shared,
                            uint64_t *nperm, uint64_t *nshared);
    /* Prepare (may fail), then exactly one of set or abort */
    int (*bdrv_check_perm)(BlockDriverState *bs, uint64_t perm,
                           uint64_t shared, Error **errp);
    void (*bdrv_set_perm)(BlockDriverState *bs, uint64_t perm,
                          uint64_t shared);
    void (*bdrv_abort_perm_update)(BlockDriverState *bs);

    /* Called once when the node's outermost drain begins / ends */
    void (*bdrv_drain_begin)(BlockDriverState *bs);
    void (*bdrv_drain_end)(BlockDriverState *bs);

    void (*bdrv_detach_aio_context)(BlockDriverState *bs);
    void (*bdrv_attach_aio_context)(BlockDriverState *bs,
                                    AioContext *new_context);

    bool (*bdrv_register_buf)(BlockDriverState *bs, void *host, size_t size,
                              Error **errp);
    void (*bdrv_unregister_buf)(BlockDriverState *bs, void *host, size_t size);
    void (*bdrv_cancel_in_flight)(BlockDriverState *bs);

    /* Options that define the node's identity (for filenames) */
    const char *const *strong_runtime_opts;

    /*
     * blkdebug breakpoints (bdrv_debug_breakpoint and friends find the
     * first node down the primary children whose driver has them): 0 or
     * -errno (-ENOENT: unknown event or tag)
     */
    int (*bdrv_debug_breakpoint)(BlockDriverState *bs, const char *event,
                                 const char *tag);
    int (*bdrv_debug_remove_breakpoint)(BlockDriverState *bs,
                                        const char *tag);
    int (*bdrv_debug_resume)(BlockDriverState *bs, const char *tag);
    bool (*bdrv_debug_is_suspended)(BlockDriverState *bs, const char *tag);

    /*
     * Children added and removed at run time (quorum).  The core checks
     * that @child has no parent yet (add) and that @child is one of
     * @parent's children (del); the driver takes its own reference.
     */
    void (*bdrv_add_child)(BlockDriverState *parent, BlockDriverState *child,
                           Error **errp);
    void (*bdrv_del_child)(BlockDriverState *parent, BdrvChild *child,
                           Error **errp);
};

/*
 * Format probing: every registered driver's bdrv_probe scores the first
 * BLOCK_PROBE_BUF_SIZE bytes of an image (zero-padded past its end) and its
 * filename; the highest score wins (the first of equal ones), NULL when
 * none scores above 0.  Open (with the node's filename) and raw's guard of
 * a probed image's first sector (with the same filename) both use this, so
 * they cannot disagree.  Any thread, once the drivers are registered.
 */
#define BLOCK_PROBE_BUF_SIZE 512
BlockDriver *bdrv_probe_format(const uint8_t *buf, int buf_size,
                               const char *filename);

/* The registry (block/drivers/registry.c): registers every built-in driver */
void bdrv_register_builtin_drivers(void);

/*
 * Report corrupt metadata found at run time.  Prints, once per kind,
 * "<format>: Marking image as corrupt: <message>; further corruption events
 * will be suppressed" (fatal) or "<format>: Image is corrupt: <message>;
 * further non-fatal corruption events will be suppressed".  Fatal: the node
 * refuses every further write-type request with -EIO; setting the format's
 * own "corrupt" header bit is the driver's job.  @offset/@size locate the
 * bad metadata (-1 when unknown).
 */
void bdrv_mark_corrupt(BlockDriverState *bs, bool fatal, int64_t offset,
                       int64_t size, const char *fmt, ...)
    G_GNUC_PRINTF(5, 6);

/*
 * For a driver's open that finds its image cannot be written: with
 * BDRV_O_AUTO_RDONLY the node silently becomes read-only (0); without it
 * (or when the node cannot be read-only) -EACCES with @errmsg (NULL:
 * "Image is read-only").  A node opened read-only is left alone (0).
 */
int bdrv_apply_auto_read_only(BlockDriverState *bs, const char *errmsg,
                              Error **errp);
/* Could @bs become read-only (or writable)?  0, or -errno with an Error */
int bdrv_can_set_read_only(BlockDriverState *bs, bool read_only,
                           bool ignore_allow_rdw, Error **errp);

/* Raise a blkdebug event on the node at the other end of @child */
#define BLKDBG_EVENT(child, evt)                                                   do {                                                                               if (child) {                                                                       bdrv_debug_event((child)->bs, (evt));                                      }                                                                          } while (0)
#define BLKDBG_CO_EVENT(child, evt)                                                do {                                                                               if (child) {                                                                       bdrv_co_debug_event((child)->bs, (evt));                                   }                                                                          } while (0)

/* Default child permissions by role; drivers use it as bdrv_child_perm */
void bdrv_default_perms(BlockDriverState *bs, BdrvChild *c, BdrvChildRole role,
                        BlockReopenQueue *reopen_queue, uint64_t perm,
                        uint64_t shared, uint64_t *nperm, uint64_t *nshared);
/* Filters: pass the parents' permissions through unchanged */
void bdrv_filter_default_perms(BlockDriverState *bs, BdrvChild *c,
                               BdrvChildRole role,
                               BlockReopenQueue *reopen_queue, uint64_t perm,
                               uint64_t shared, uint64_t *nperm,
                               uint64_t *nshared);

/* Helpers for drivers' open */
int bdrv_open_file_child(const char *filename, QDict *options,
                         const char *bdref_key, BlockDriverState *parent,
                         Error **errp);
int bdrv_open_backing_file(BlockDriverState *bs, QDict *parent_options,
                           const char *bdref_key, Error **errp);

/* Requests a driver makes towards its children, and in-flight accounting */
void bdrv_inc_in_flight(BlockDriverState *bs);
void bdrv_dec_in_flight(BlockDriverState *bs);
void bdrv_wakeup(BlockDriverState *bs);

/* Permissions in words ("write, resize"); caller frees */
char *bdrv_perm_names(uint64_t perm);

/* The parents' cumulative permissions on @bs */
void bdrv_get_cumulative_perm(BlockDriverState *bs, uint64_t *perm,
                              uint64_t *shared_perm);

#endif
