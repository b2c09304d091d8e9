/*
 * qcow2: the driver's internal state and the interfaces between its files.
 *
 *   qcow2.c          the BlockDriver, open/close, flush, info
 *   qcow2-options.c  runtime options: cache sizes, clean timer, discard
 *   qcow2-header.c   header and extension parsing, validation, updates
 *   qcow2-cache.c    the metadata cache (L2 tables, refcount blocks)
 *   qcow2-refcount.c refcounts and host cluster allocation
 *   qcow2-cluster.c  L1/L2 lookups, allocation of guest clusters
 *   qcow2-subcluster.c extended L2 entries: subcluster reads and writes
 *   qcow2-io.c       reads, writes, zero writes, discard, block status
 *   qcow2-inflight.c data I/O without the lock; busy clusters and waits
 *   qcow2-metaindex.c refcount blocks and L2 tables by offset (overlaps)
 *   qcow2-discard.c  freed clusters discarded in the file (pass-discard-*)
 *   qcow2-create.c   image creation
 *   qcow2-resize.c   growing with preallocation, shrinking
 *   qcow2-datafile.c the external data file
 *   qcow2-bitmaps.c  the persistent bitmaps directory (validated, kept)
 *   qcow2-compress.c compression, decompression, compressed allocation
 *   qcow2-snapshot.c the snapshot table (validated, listed, rewritten)
 *   qcow2-snapshot-ops.c  snapshot create, goto, delete, load_tmp, vmstate
 *   qcow2-snapshot-refs.c refcounts and COPIED flags of a whole L1 table
 *   qcow2-check.c    consistency check: counting references
 *   qcow2-repair.c   check -r leaks/all, refcount rebuild, dirty bit
 *   qcow2-info.c     format-specific information, measure
 *   qcow2-amend.c    amend (compat, refcount_bits, lazy refcounts, ...)
 *
 * Every field of the image is big-endian (util/bswap.h).  All metadata is
 * accessed with s->lock held; guest data I/O drops it (qcow2-inflight.c).
 */
#ifndef QCOW2_H
#define QCOW2_H

#include "block/driver.h"
#include "util/bswap.h"
#include "util/coroutine.h"
#include "util/qemu-timer.h"

#define QCOW2_MAGIC 0x514649fbU /* "QFI\xfb" */

/* Limits of the format as QEMU implements it (REFERENCE.md) */
#define QCOW2_MIN_CLUSTER_BITS 9
#define QCOW2_MAX_CLUSTER_BITS 21
#define QCOW2_MAX_L1_BYTES (32 * 1024 * 1024)
#define QCOW2_MAX_REFTABLE_BYTES (8 * 1024 * 1024)
#define QCOW2_MAX_REFCOUNT_ORDER 6
#define QCOW2_MAX_BACKING_NAME 1023
#define QCOW2_MAX_SNAPSHOTS 65536
#define QCOW2_MAX_BITMAPS 65535
#define QCOW2_MAX_BITMAP_DIR_BYTES (64 * 1024 * 1024)
/* Granularity of a persistent bitmap: 2^9 to 2^31 bytes (the spec) */
#define QCOW2_BITMAP_MIN_GRANULARITY_BITS 9
#define QCOW2_BITMAP_MAX_GRANULARITY_BITS 31
#define QCOW2_V2_HEADER_LEN 72
#define QCOW2_V3_MIN_HEADER_LEN 104

/* Header extension types */
#define QCOW2_EXT_END 0x00000000U
#define QCOW2_EXT_BACKING_FORMAT 0xe2792acaU
#define QCOW2_EXT_FEATURE_TABLE 0x6803f857U
#define QCOW2_EXT_BITMAPS 0x23852875U
#define QCOW2_EXT_CRYPTO 0x0537be77U
#define QCOW2_EXT_DATA_FILE 0x44415441U

/* Feature bits */
#define QCOW2_INCOMPAT_DIRTY (1ULL << 0)
#define QCOW2_INCOMPAT_CORRUPT (1ULL << 1)
#define QCOW2_INCOMPAT_DATA_FILE (1ULL << 2)
#define QCOW2_INCOMPAT_COMPRESSION (1ULL << 3)
#define QCOW2_INCOMPAT_EXTL2 (1ULL << 4)
#define QCOW2_COMPAT_LAZY_REFCOUNTS (1ULL << 0)
#define QCOW2_AUTOCLEAR_BITMAPS (1ULL << 0)
#define QCOW2_AUTOCLEAR_DATA_FILE_RAW (1ULL << 1)
/* What this driver implements */
#define QCOW2_INCOMPAT_SUPPORTED                                              \
    (QCOW2_INCOMPAT_DIRTY | QCOW2_INCOMPAT_CORRUPT |                          \
     QCOW2_INCOMPAT_COMPRESSION | QCOW2_INCOMPAT_DATA_FILE |                \
     QCOW2_INCOMPAT_EXTL2)
/*
 * Autoclear bits kept when the image is opened read-write: the bitmaps
 * bit (the bitmaps are marked in use, see qcow2-bitmaps.c) when the
 * extension is there; unknown bits are cleared, as the spec requires.
 */
#define QCOW2_AUTOCLEAR_KNOWN                                                 \
    (QCOW2_AUTOCLEAR_BITMAPS | QCOW2_AUTOCLEAR_DATA_FILE_RAW)

/* Header field offsets */
#define QCOW2_HDR_BACKING_OFFSET 8
#define QCOW2_HDR_L1_SIZE 36
#define QCOW2_HDR_REFTABLE_OFFSET 48
#define QCOW2_HDR_INCOMPAT 72
#define QCOW2_HDR_AUTOCLEAR 88

/* Table entries */
#define QCOW2_OFLAG_COPIED (1ULL << 63)
#define QCOW2_OFLAG_COMPRESSED (1ULL << 62)
#define QCOW2_OFLAG_ZERO (1ULL << 0)
#define QCOW2_L1E_OFFSET_MASK 0x00fffffffffffe00ULL
#define QCOW2_L2E_OFFSET_MASK 0x00fffffffffffe00ULL
#define QCOW2_REFT_OFFSET_MASK 0xfffffffffffffe00ULL
#define QCOW2_L1E_RESERVED 0x7f000000000001ffULL
#define QCOW2_L2E_RESERVED 0x3f000000000001feULL

/* Extended L2 entries: 32 subclusters, allocation and zero bitmaps */
#define QCOW2_SUBCLUSTERS 32
#define QCOW2_BITMAP_ALL_ALLOC 0x00000000ffffffffULL
#define QCOW2_BITMAP_ALL_ZERO 0xffffffff00000000ULL

#define QCOW2_COMPRESSION_ZLIB 0
#define QCOW2_COMPRESSION_ZSTD 1

/* Default and smallest cache sizes, in bytes */
#define QCOW2_DEFAULT_L2_CACHE (1024 * 1024)
#define QCOW2_DEFAULT_REFCOUNT_CACHE (256 * 1024)
#define QCOW2_MIN_CACHE_TABLES 2
#define QCOW2_MAX_CACHE_TABLES 65536
/* The image file grows by at most this beyond what an allocation needs */
#define QCOW2_FILE_GROW_STEP (1024 * 1024)
#define QCOW2_FILE_GROW_STEP_MAX (64 * 1024 * 1024)

typedef struct Qcow2Cache Qcow2Cache;

/* What a guest cluster maps to (qcow2-cluster.c) */
typedef enum Qcow2ClusterType {
    QCOW2_CLUSTER_UNALLOCATED,
    QCOW2_CLUSTER_ZERO_PLAIN,  /* zero flag, no host cluster */
    QCOW2_CLUSTER_ZERO_ALLOC,  /* zero flag with a host cluster */
    QCOW2_CLUSTER_NORMAL,
    QCOW2_CLUSTER_COMPRESSED,
} Qcow2ClusterType;

/* Metadata kinds for overlap checks (bit masks) */
enum {
    QCOW2_OL_HEADER = 1 << 0,
    QCOW2_OL_ACTIVE_L1 = 1 << 1,
    QCOW2_OL_ACTIVE_L2 = 1 << 2,
    QCOW2_OL_REFTABLE = 1 << 3,
    QCOW2_OL_REFBLOCK = 1 << 4,
    QCOW2_OL_SNAPSHOT_TABLE = 1 << 5,
    QCOW2_OL_BITMAP_DIR = 1 << 6,
    QCOW2_OL_INACTIVE_L1 = 1 << 7,
    QCOW2_OL_ALL = (1 << 8) - 1,
};

/* An internal snapshot (qcow2-snapshot.c) */
/*
 * Why clusters are freed, which decides whether the image file is asked to
 * discard them when their refcount reaches 0 (the pass-discard-* options)
 */
typedef enum Qcow2DiscardType {
    QCOW2_DISCARD_NEVER,        /* e.g. rollbacks, repairs, replaced data */
    QCOW2_DISCARD_REQUEST,      /* guest discards and zero writes: qcow2-io.c
                                 * passes those itself */
    QCOW2_DISCARD_SNAPSHOT,     /* snapshot create, apply, delete */
    QCOW2_DISCARD_OTHER,        /* replaced L1/L2/refcount tables, shrink */
    QCOW2_DISCARD__MAX,
} Qcow2DiscardType;

typedef struct Qcow2Snapshot {
    uint64_t l1_offset;
    uint32_t l1_size;
    /*
     * The numbers of its QEMUSnapshotInfo, which is built when listed: a
     * table may hold 65536 entries, and the info's fixed-size id and name
     * would make each one 480 bytes
     */
    uint64_t vm_state_size;
    uint32_t date_sec;
    uint32_t date_nsec;
    uint64_t vm_clock_nsec;
    uint64_t icount;
    uint64_t disk_size;           /* guest disk size when it was taken */
    /* The whole id and name, in one allocation (qcow2_snapshot_set_names) */
    char *id;
    char *name;                   /* inside id's allocation */
    uint8_t *unknown_extra;       /* extra data past the known fields */
    uint32_t unknown_extra_size;
} Qcow2Snapshot;

typedef struct BDRVQcow2State {
    CoMutex lock;

    /* Header */
    int version;
    int cluster_bits;
    int64_t cluster_size;
    int64_t cluster_offset_mask;  /* compressed descriptors */
    int csize_shift;
    uint64_t csize_mask;
    int l2_bits;                  /* log2 of entries per L2 table */
    int64_t l2_size;              /* entries per L2 table */
    int l2_entry_words;           /* 64-bit words per entry: 1, 2 (ext) */
    bool extended_l2;
    int subcluster_bits;          /* extended L2 only */
    uint64_t disk_size;
    uint32_t header_length;
    uint64_t incompatible;
    uint64_t compatible;
    uint64_t autoclear;
    int refcount_order;
    int refcount_bits;
    uint64_t refcount_max;
    int64_t refblock_entries;     /* refcounts per refcount block */
    int refblock_bits;            /* log2 of refblock_entries */
    int compression_type;
    uint32_t nb_snapshots;
    uint64_t snapshots_offset;
    uint64_t snapshots_size;      /* bytes of the snapshot table */
    Qcow2Snapshot *snapshots;
    uint64_t backing_offset;      /* of the backing file name, 0: none */

    /* Feature name table (raw 48-byte entries), for error messages */
    uint8_t *feature_table;
    size_t feature_table_len;

    /* Persistent bitmaps extension (preserved, not interpreted) */
    bool has_bitmaps;
    uint32_t nb_bitmaps;
    uint64_t bitmap_dir_size;
    uint64_t bitmap_dir_offset;

    /* Active L1 table, in host byte order */
    uint64_t *l1_table;
    uint32_t l1_size;
    /* The table read at open, of l1_loaded_bytes (qcow2_table_new0) */
    uint64_t *l1_loaded;
    size_t l1_loaded_bytes;
    /*
     * Entries [l1_used, l1_size) are all 0 (a bound, maybe above the last
     * entry in use): the walks over the whole table stop there and never
     * touch the pages of a mostly empty table that is megabytes long
     */
    uint32_t l1_used;
    uint64_t l1_offset;

    /* Refcount table, in host byte order */
    uint64_t *reftable;
    uint64_t reftable_size;       /* entries */
    /* Entries [reftable_used, reftable_size) are all 0 (as l1_used) */
    uint64_t reftable_used;
    uint64_t reftable_offset;
    uint32_t reftable_clusters;

    Qcow2Cache *l2_cache;
    Qcow2Cache *refblock_cache;

    /* External data file (NULL: guest data in the image file) */
    BdrvChild *data_file;
    bool data_file_raw;
    char *data_file_name;         /* from the header extension */

    int64_t file_len;             /* length of the image file, cached */
    PreallocMode file_prealloc;   /* how the image file grows */
    bool grow_without_falloc;     /* the file refused a falloc growth */
    int64_t free_cluster_index;   /* where free-cluster searches start */
    int64_t free_byte_offset;     /* end of the last compressed data, 0 */

    /* Runtime options (qcow2-options.c) */
    QEMUTimer *clean_timer;
    unsigned clean_interval;      /* seconds, 0: never */
    bool discard_pass[QCOW2_DISCARD__MAX];  /* pass-discard-* by reason */
    bool discard_no_unref;        /* discarded clusters stay allocated */
    bool corrupt_marked;

    /* Guest data I/O runs without the lock (qcow2-inflight.c): the host
     * ranges it has out, and the guest clusters being allocated */
    struct Qcow2Inflight *inflight;
    CoQueue inflight_done;
    struct Qcow2Inflight *allocs;
    CoQueue alloc_done;

    /* The image file reads as zeroes from here: nothing written there
     * since it was opened (qcow2_file_written), and it was not that long */
    uint64_t fresh_from;

    /* Refcount blocks and active L2 tables by offset (NULL: to rebuild) */
    struct Qcow2MetaIndex *meta_index;

    /* Freed host ranges the file is to discard once the metadata that
     * dropped them is written (qcow2-discard.c) */
    struct Qcow2Discard *discards;
    int nb_discards;
    int discards_cap;
} BDRVQcow2State;

/* qcow2-header.c */
int qcow2_read_header(BlockDriverState *bs, BDRVQcow2State *s, Error **errp);
int coroutine_fn qcow2_write_header_field(BlockDriverState *bs,
                                          int64_t offset, const void *buf,
                                          int64_t bytes);
int coroutine_fn qcow2_update_incompatible(BlockDriverState *bs,
                                           uint64_t bits);
int qcow2_clear_autoclear(BlockDriverState *bs, Error **errp);
int qcow2_load_tables(BlockDriverState *bs, BDRVQcow2State *s, Error **errp);

/* qcow2.c */
/* Fatal corruption found at run time: marks the image, returns -EIO */
int coroutine_fn qcow2_signal_corruption(BlockDriverState *bs, int64_t offset,
                                         int64_t size, const char *fmt, ...)
    G_GNUC_PRINTF(4, 5);
/* 0, or the QCOW2_OL_* kind @offset..+@size overlaps (not in @ignore) */
int qcow2_check_overlap(BlockDriverState *bs, int ignore, int64_t offset,
                        int64_t size);
/* qcow2_check_overlap, and a corruption (-EIO) when it finds one */
int coroutine_fn qcow2_pre_write_check(BlockDriverState *bs, int ignore,
                                       int64_t offset, int64_t size);

/* qcow2-cache.c */
Qcow2Cache *qcow2_cache_create(BlockDriverState *bs, int tables,
                               int64_t table_size, int overlap_kind);
void qcow2_cache_destroy(Qcow2Cache *c);
/* A dependency: before c writes, @dep is flushed */
void qcow2_cache_set_dependency(Qcow2Cache *c, Qcow2Cache *dep);
int coroutine_fn qcow2_cache_get(BlockDriverState *bs, Qcow2Cache *c,
                                 uint64_t offset, void **table);
int coroutine_fn qcow2_cache_get_empty(BlockDriverState *bs, Qcow2Cache *c,
                                       uint64_t offset, void **table);
void qcow2_cache_put(Qcow2Cache *c, void **table);
void qcow2_cache_mark_dirty(Qcow2Cache *c, void *table);
int coroutine_fn qcow2_cache_flush(BlockDriverState *bs, Qcow2Cache *c);
/*
 * Call before changing the refcounts of cache @c: a decrement is written
 * only after the tables of cache @tables (that dropped the reference), an
 * increment before the tables that will use it.  0 or -errno (a failed
 * flush: the refcount must not change).
 */
int coroutine_fn qcow2_cache_before_decrement(BlockDriverState *bs,
                                              Qcow2Cache *c,
                                              Qcow2Cache *tables);
int coroutine_fn qcow2_cache_before_increment(BlockDriverState *bs,
                                              Qcow2Cache *c);
/* Forget the table at @offset (freed), without writing it */
void qcow2_cache_discard(Qcow2Cache *c, uint64_t offset);
/* Drop the clean tables nobody used since the last call */
void qcow2_cache_clean_unused(Qcow2Cache *c);
/* Is @offset one of the cached tables? */
bool qcow2_cache_contains(Qcow2Cache *c, uint64_t offset);

/* qcow2-refcount.c */
int coroutine_fn qcow2_get_refcount(BlockDriverState *bs, int64_t cluster,
                                    uint64_t *refcount);
/*
 * A walk over consecutive clusters' refcounts: the refcount block of the
 * last cluster stays held (from the cache) while the next ones fall in
 * it, so a walk gets each block once rather than once per cluster.
 * Released before anything that may change refcounts, and at the end.
 */
typedef struct Qcow2RefcountWalk {
    uint64_t offset;            /* of the block held, 0 if none */
    void *block;
} Qcow2RefcountWalk;
int coroutine_fn qcow2_walk_refcount(BlockDriverState *bs,
                                     Qcow2RefcountWalk *w, int64_t cluster,
                                     uint64_t *refcount);
void qcow2_walk_refcount_release(BDRVQcow2State *s, Qcow2RefcountWalk *w);
/* Clusters reaching refcount 0 are discarded in the file if @why passes */
int coroutine_fn qcow2_update_refcount(BlockDriverState *bs, int64_t offset,
                                       int64_t length, int64_t addend,
                                       Qcow2DiscardType why);
/* @n contiguous free clusters with refcount 1; their offset or -errno */
int64_t coroutine_fn qcow2_alloc_clusters(BlockDriverState *bs, int64_t n);
/* Make the image file at least @end bytes long (storage may not grow) */
int coroutine_fn qcow2_ensure_file_len(BlockDriverState *bs, int64_t end);
/*
 * Give back the room qcow2_ensure_file_len added past what is in use (the
 * file ends at the last cluster written or allocated, as QEMU's does); on
 * close and inactivation, never below the length the file had at open
 */
void qcow2_file_trim(BlockDriverState *bs);
/* Drop one reference of every cluster of [offset, offset + length) */
void coroutine_fn qcow2_free_clusters(BlockDriverState *bs, int64_t offset,
                                      int64_t length, Qcow2DiscardType why);
/* Refblock getters for values of the entries */
uint64_t qcow2_refblock_get(BDRVQcow2State *s, const void *block,
                            int64_t index);
void qcow2_refblock_set(BDRVQcow2State *s, void *block, int64_t index,
                        uint64_t value);

/* qcow2-cluster.c */
Qcow2ClusterType qcow2_entry_type(BDRVQcow2State *s, uint64_t l2e);
/* Entries qcow2_next_nonzero_entry skips per test when they are all 0 */
#define QCOW2_ZERO_SCAN_CHUNK 256
/*
 * The first index in [from, end) of entries @words 64-bit words apart in
 * @table whose first word is not 0 (an unallocated entry without flags,
 * in either byte order); @end if there is none
 */
int64_t qcow2_next_nonzero_entry(const uint64_t *table, int64_t from,
                                 int64_t end, int words);
/* Bytes of a big table read at once (qcow2_read_table) */
#define QCOW2_TABLE_PIECE (64 * 1024)
/*
 * The table of @entries big-endian 64-bit entries at @offset of @file, in
 * host order into @table, which the caller has zeroed (g_try_malloc0).  A
 * table bigger than a piece is read piece by piece through a buffer, where
 * the file does not report a hole, and only its non-zero entries are
 * stored: the work and the memory touched follow the entries in use, not
 * the size a header declares.  Returns the
 * index after the last non-zero entry (0 if none), or -errno with @table
 * zeroed again.
 */
int64_t qcow2_read_table(BdrvChild *file, uint64_t offset, uint64_t entries,
                         uint64_t *table);
/* Tables of this size and more are mapped (qcow2_table_new0) */
#define QCOW2_TABLE_MAP_MIN (256 * 1024)
/*
 * A zeroed buffer of @bytes for a refcount table or the header cluster
 * (NULL if out of memory), freed with qcow2_table_free() given the same
 * size
 */
void *qcow2_table_new0(size_t bytes);
void qcow2_table_free(void *table, size_t bytes);
/*
 * Read [@offset, +@bytes) of @file into @buf, which is zeroed: what the
 * file reports as a hole is not read.  0 or -errno.
 */
int qcow2_pread_data(BdrvChild *file, int64_t offset, int64_t bytes,
                     uint8_t *buf);
/* Called with each non-zero entry of a walked table; < 0 stops the walk */
typedef int Qcow2TableEntryFn(void *opaque, uint64_t index, uint64_t entry);
/*
 * The non-zero entries, in host order, of the table of @entries big-endian
 * 64-bit entries at @offset of @file, passed to @fn one by one: the table
 * is read piece by piece, where the file does not report a hole, and never
 * held whole.  Returns the index after the last non-zero entry (0 if none),
 * or -errno (a read error, or @fn's).
 */
int64_t qcow2_walk_table(BdrvChild *file, uint64_t offset, uint64_t entries,
                         Qcow2TableEntryFn *fn, void *opaque);
/* Free an L1 table that was or is s->l1_table (the one read at open too) */
void qcow2_l1_table_free(BDRVQcow2State *s, uint64_t *table);
/* Set entry @index of the active L1 table (l1_used follows) */
void qcow2_l1_set(BDRVQcow2State *s, uint32_t index, uint64_t value);
/* Set entry @index of the refcount table (reftable_used follows) */
void qcow2_reftable_set(BDRVQcow2State *s, uint64_t index, uint64_t value);
/* The L2 entry of the guest cluster at @offset (0: unallocated) */
int coroutine_fn qcow2_get_l2_entry(BlockDriverState *bs, uint64_t offset,
                                    uint64_t *l2e);
/* With its subcluster bitmap (0 without extended L2 entries) */
int coroutine_fn qcow2_get_l2_entry_ext(BlockDriverState *bs,
                                        uint64_t offset, uint64_t *l2e,
                                        uint64_t *bitmap);
/*
 * The raw entries of @n guest clusters from @offset in one L2 table (@n no
 * more than reach its end), and the table's offset (0: none, all zero)
 */
int coroutine_fn qcow2_get_l2_entries(BlockDriverState *bs, uint64_t offset,
                                      int64_t n, uint64_t *l2es,
                                      uint64_t *l2_offset);
/* An entry of the L2 table at @l2_offset, checked: data must be aligned,
 * the subcluster @bitmap (0 without extended L2 entries) valid */
int coroutine_fn qcow2_validate_l2_entry(BlockDriverState *bs,
                                         uint64_t l2_offset, int64_t index,
                                         uint64_t l2e, uint64_t bitmap);
int coroutine_fn qcow2_prepare_l2(BlockDriverState *bs, uint64_t offset);
/* Replace the L2 entry of @offset, allocating/copying its L2 table */
int coroutine_fn qcow2_set_l2_entry(BlockDriverState *bs, uint64_t offset,
                                    uint64_t l2e);
int coroutine_fn qcow2_set_l2_entry_ext(BlockDriverState *bs,
                                        uint64_t offset, uint64_t l2e,
                                        uint64_t bitmap);
/* The host bytes an L2 entry holds (their length, 0: none) */
uint64_t qcow2_entry_host_range(BDRVQcow2State *s, uint64_t l2e,
                                uint64_t *offset);
/* Drop the references an L2 entry held */
void coroutine_fn qcow2_free_entry(BlockDriverState *bs, uint64_t l2e,
                                   Qcow2DiscardType why);
int coroutine_fn qcow2_grow_l1(BlockDriverState *bs, uint64_t min_size);
int coroutine_fn qcow2_shrink_l1(BlockDriverState *bs, uint64_t keep);
/* qcow2.c: grow the guest disk to @size (takes the lock) */
int coroutine_fn qcow2_grow(BlockDriverState *bs, uint64_t size);
uint64_t qcow2_l1_entries_for(BDRVQcow2State *s, uint64_t disk_size);
int coroutine_fn qcow2_validate_l2_offset(BlockDriverState *bs,
                                          uint64_t l1e, uint32_t l1_index);

/* The image file is (or will be) written up to @end: not fresh below it */
static inline void qcow2_file_written(BDRVQcow2State *s, uint64_t end)
{
    s->fresh_from = MAX(s->fresh_from, end);
}

/* qcow2-metaindex.c */
typedef struct Qcow2MetaIndex Qcow2MetaIndex;
/* QCOW2_OL_REFBLOCK or QCOW2_OL_ACTIVE_L2 (in @check) @offset..+@size
 * overlaps, or 0 */
int qcow2_meta_index_find(BDRVQcow2State *s, int check, int64_t offset,
                          int64_t size);
/* A table of @kind moved from @old to @new (0: none) */
void qcow2_meta_index_replace(BDRVQcow2State *s, int kind, uint64_t old,
                              uint64_t new);
/* The tables changed otherwise: rebuilt on next use */
void qcow2_meta_index_drop(BDRVQcow2State *s);

/* qcow2-discard.c */
/* Clusters [@cluster, +1) reached refcount 0 for reason @why */
void qcow2_discard_queue(BDRVQcow2State *s, int64_t cluster,
                         Qcow2DiscardType why);
/* What is queued now, to undo later queueing with qcow2_discard_rollback */
typedef struct Qcow2DiscardMark {
    int nb;
    uint64_t last_bytes;
} Qcow2DiscardMark;
Qcow2DiscardMark qcow2_discard_mark(BDRVQcow2State *s);
void qcow2_discard_rollback(BDRVQcow2State *s, Qcow2DiscardMark mark);
/*
 * Discard in the file what is queued and still free; with s->lock held,
 * once the metadata that freed it is written (the caches flushed)
 */
void coroutine_fn qcow2_discard_process(BlockDriverState *bs);
void qcow2_discard_free(BDRVQcow2State *s);

/* qcow2-inflight.c */
/* A range out without the lock: host bytes of @child, or a guest cluster */
typedef struct Qcow2Inflight {
    BdrvChild *child;
    uint64_t host;
    uint64_t bytes;
    struct Qcow2Inflight *next;
} Qcow2Inflight;
/* Data I/O on @child with the lock (held on entry and return) dropped */
int coroutine_fn qcow2_io_unlocked(BlockDriverState *bs, BdrvChild *child,
                                   bool write, int64_t host, int64_t bytes,
                                   QEMUIOVector *qiov, size_t qiov_offset);
/* Wait until no data I/O without the lock touches @host..+@bytes */
void coroutine_fn qcow2_io_wait_host(BlockDriverState *bs, BdrvChild *child,
                                     uint64_t host, uint64_t bytes);
/* Wait until no guest cluster of @offset..+@bytes is being allocated */
void coroutine_fn qcow2_io_wait_alloc(BlockDriverState *bs, uint64_t offset,
                                      uint64_t bytes);
/* The guest cluster of @offset is being allocated (not already) */
void qcow2_io_alloc_begin(BlockDriverState *bs, Qcow2Inflight *alloc,
                          uint64_t offset);
void qcow2_io_alloc_end(BlockDriverState *bs, Qcow2Inflight *alloc);

/* qcow2-io.c */
/* A guest read, with the lock held; @unlock: data I/O drops it */
int coroutine_fn qcow2_io_read_locked(BlockDriverState *bs, int64_t offset,
                                      int64_t bytes, QEMUIOVector *qiov,
                                      size_t qiov_offset, bool unlock);
int coroutine_fn qcow2_co_preadv_part(BlockDriverState *bs, int64_t offset,
                                      int64_t bytes, QEMUIOVector *qiov,
                                      size_t qiov_offset,
                                      BdrvRequestFlags flags);
int coroutine_fn qcow2_co_pwritev_part(BlockDriverState *bs, int64_t offset,
                                       int64_t bytes, QEMUIOVector *qiov,
                                       size_t qiov_offset,
                                       BdrvRequestFlags flags);
int coroutine_fn qcow2_co_pwritev_compressed_part(BlockDriverState *bs,
                                                  int64_t offset,
                                                  int64_t bytes,
                                                  QEMUIOVector *qiov,
                                                  size_t qiov_offset);
int coroutine_fn qcow2_co_pwrite_zeroes(BlockDriverState *bs, int64_t offset,
                                        int64_t bytes, BdrvRequestFlags flags);
int coroutine_fn qcow2_co_pdiscard(BlockDriverState *bs, int64_t offset,
                                   int64_t bytes);
int coroutine_fn qcow2_co_block_status(BlockDriverState *bs, bool want_zero,
                                       int64_t offset, int64_t bytes,
                                       int64_t *pnum, int64_t *map,
                                       BlockDriverState **file);

/* qcow2-options.c: parse @options, create the caches and the timer */
int qcow2_options_apply(BlockDriverState *bs, BDRVQcow2State *s,
                        QDict *options, Error **errp);
void qcow2_options_stop_timer(BDRVQcow2State *s);

/* qcow2-datafile.c */
int qcow2_datafile_ext(BDRVQcow2State *s, const uint8_t *d, uint32_t len,
                       Error **errp);
int qcow2_datafile_open(BlockDriverState *bs, BDRVQcow2State *s,
                        QDict *options, Error **errp);
void qcow2_datafile_close(BDRVQcow2State *s);
void qcow2_datafile_child_perm(BlockDriverState *bs, BdrvChild *c,
                               BdrvChildRole role,
                               BlockReopenQueue *reopen_queue, uint64_t perm,
                               uint64_t shared, uint64_t *nperm,
                               uint64_t *nshared);
/* Where guest data goes: the data file, or the image file */
static inline BdrvChild *qcow2_data_child(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;

    return s->data_file ? s->data_file : bs->file;
}

/* qcow2-resize.c */
/* Allocate the unallocated clusters of [start, end) (takes the lock) */
int coroutine_fn qcow2_preallocate(BlockDriverState *bs, uint64_t start,
                                   uint64_t end, PreallocMode mode);
int coroutine_fn qcow2_co_truncate(BlockDriverState *bs, int64_t offset,
                                   bool exact, PreallocMode prealloc,
                                   BdrvRequestFlags flags, Error **errp);

/* A run of guest bytes with the same kind of mapping (qcow2-io.c) */
typedef struct Qcow2Extent {
    Qcow2ClusterType type;
    uint64_t l2e;       /* entry of the first cluster */
    uint64_t host;      /* host offset of @offset (NORMAL, ZERO_ALLOC) */
    int64_t bytes;      /* from @offset */
} Qcow2Extent;

/* qcow2-subcluster.c: extended L2 entries */
/* The run of subclusters at @offset, inside its cluster */
int coroutine_fn qcow2_sc_extent(BlockDriverState *bs, int64_t offset,
                                 int64_t bytes, Qcow2Extent *x);
/* Write [offset, offset + bytes) (one cluster) to unallocated subclusters */
int coroutine_fn qcow2_sc_write(BlockDriverState *bs, int64_t offset,
                                int64_t bytes, QEMUIOVector *qiov,
                                size_t qiov_offset);
/* Subclusters [offset, offset + bytes) of one cluster read as zeroes */
int coroutine_fn qcow2_sc_zero_range(BlockDriverState *bs, int64_t offset,
                                     int64_t bytes);
/* The new entry and bitmap of a cluster made to read as zeroes */
int coroutine_fn qcow2_sc_zero_cluster(BlockDriverState *bs, int64_t offset,
                                       bool unmap);
/* A bitmap the spec forbids for @l2e: corruption (-EIO), else 0 */
int coroutine_fn qcow2_sc_check_bitmap(BlockDriverState *bs, uint64_t l2e,
                                       uint64_t bitmap, uint64_t l2_offset,
                                       int64_t index);

/* qcow2-bitmaps.c: validate the directory; @rw: mark every bitmap in use */
int qcow2_bitmaps_open(BlockDriverState *bs, BDRVQcow2State *s, bool rw,
                       Error **errp);

/* qcow2-snapshot.c */
int qcow2_read_snapshots(BlockDriverState *bs, BDRVQcow2State *s,
                         Error **errp);
int qcow2_snapshot_list(BlockDriverState *bs, QEMUSnapshotInfo **psn_info);
int qcow2_snapshot_overlap(BDRVQcow2State *s, int check, int64_t offset,
                           int64_t size);
void qcow2_snapshots_free(BDRVQcow2State *s);
/* Set @sn's id and name (copies, NUL-terminated); free what @sn holds */
void qcow2_snapshot_set_names(Qcow2Snapshot *sn, const char *id,
                              size_t id_len, const char *name,
                              size_t name_len);
void qcow2_snapshot_clear(Qcow2Snapshot *sn);
/* Index of the snapshot with @id and/or @name (NULL: any), or -1 */
int qcow2_snapshot_find(BDRVQcow2State *s, const char *id, const char *name);
/* Write s->snapshots as a new table and switch the header to it */
int coroutine_fn qcow2_snapshot_write_table(BlockDriverState *bs);
/* A v2 image with snapshots cannot change its size (their sizes are lost) */
int qcow2_snapshot_check_resize(BlockDriverState *bs, Error **errp);

/* qcow2-snapshot-refs.c: add @addend (-1, 0, 1) to every refcount @l1
 * reaches and rebuild its COPIED flags; *@l1_changed if @l1's were */
int coroutine_fn qcow2_snapshot_update_refs(BlockDriverState *bs,
                                            uint64_t *l1, uint32_t l1_size,
                                            int addend, bool *l1_changed);
/* Write the active L1 table as it is in memory */
int coroutine_fn qcow2_snapshot_write_active_l1(BlockDriverState *bs);

/* qcow2-snapshot-ops.c */
int qcow2_snapshot_create(BlockDriverState *bs, QEMUSnapshotInfo *sn_info);
int qcow2_snapshot_goto(BlockDriverState *bs, const char *snapshot_id,
                        Error **errp);
int qcow2_snapshot_delete(BlockDriverState *bs, const char *snapshot_id,
                          const char *name, Error **errp);
int qcow2_snapshot_load_tmp(BlockDriverState *bs, const char *snapshot_id,
                            const char *name, Error **errp);
/* Guest offset where the VM state starts (past the disk's L1 entries) */
int64_t qcow2_vm_state_offset(BDRVQcow2State *s);
int coroutine_fn qcow2_co_load_vmstate(BlockDriverState *bs,
                                       QEMUIOVector *qiov, int64_t pos);
int coroutine_fn qcow2_co_save_vmstate(BlockDriverState *bs,
                                       QEMUIOVector *qiov, int64_t pos);

/* qcow2-repair.c: check and repair (qemu-img check [-r leaks|all]) */
int coroutine_fn qcow2_co_check(BlockDriverState *bs, BdrvCheckResult *res,
                                BdrvCheckMode fix);
/* Lazy refcounts: set the dirty bit before a refcount changes */
int coroutine_fn qcow2_mark_dirty(BlockDriverState *bs);
/* Flush the caches, then clear incompatible @bits */
int coroutine_fn qcow2_mark_clean(BlockDriverState *bs, uint64_t bits);
/* Open of a dirty image read-write: repair its refcounts */
int qcow2_repair_dirty(BlockDriverState *bs, Error **errp);
/* Clean close: clear the dirty bit (outside coroutines) */
int qcow2_close_clean(BlockDriverState *bs);
/* Run @fn in a coroutine (directly when already in one); its result */
int qcow2_co_run(BlockDriverState *bs,
                 int coroutine_fn (*fn)(BlockDriverState *bs, void *opaque),
                 void *opaque);

/* qcow2-amend.c */
extern QemuOptsList qcow2_amend_opts;
int coroutine_fn qcow2_co_change_backing_file(BlockDriverState *bs,
                                              const char *backing_file,
                                              const char *backing_fmt);
int qcow2_amend_options(BlockDriverState *bs, QemuOpts *opts,
                        BlockDriverAmendStatusCB *status_cb, void *cb_opaque,
                        bool force, Error **errp);

/* qcow2-info.c */
ImageInfoSpecific *qcow2_get_specific_info(BlockDriverState *bs,
                                           Error **errp);
BlockMeasureInfo *qcow2_measure(QemuOpts *opts, BlockDriverState *in_bs,
                                Error **errp);
/* Clusters of refcount table and blocks counting @clusters and selves */
int64_t qcow2_refcount_metadata_clusters(int64_t clusters,
                                         int64_t cluster_size, int order);

/* qcow2-compress.c */
int qcow2_decompress(int type, uint8_t *dest, size_t dest_size,
                     const uint8_t *src, size_t src_size);
/* The compressed length (at most @dest_size), -ENOSPC: it does not fit */
ssize_t qcow2_compress(int type, uint8_t *dest, size_t dest_size,
                       const uint8_t *src, size_t src_size);
/* Host bytes for compressed data (refcounts taken); offset or -errno */
int64_t coroutine_fn qcow2_alloc_bytes(BlockDriverState *bs, int64_t len);

/* qcow2-create.c */
extern QemuOptsList qcow2_create_opts;
int coroutine_fn qcow2_co_create_opts(BlockDriver *drv, const char *filename,
                                      QemuOpts *opts, Error **errp);

#endif
