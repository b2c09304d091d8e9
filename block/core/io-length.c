/*
 * Length and other per-node queries of the I/O API: the cached length
 * (bs->total_sectors), allocation, alignment and buffer helpers.
 *
 * Like QEMU, the length is cached in 512-byte sectors, so a node whose
 * driver reports 1000 bytes has a length of 1024: drivers serve the bytes
 * up to the next sector boundary (protocols read them as zeroes).
 */
#include "core.h"
#include "io-int.h"

int coroutine_fn io_length_refresh_total_sectors(BlockDriverState *bs,
                                             int64_t hint)
{
    const BlockDriver *drv = bs->drv;

    if (!drv) {
        return -ENOMEDIUM;
    }
    if (bs->sg) {
        return 0;   /* SCSI passthrough has no meaningful length */
    }
    if (drv->bdrv_co_getlength) {
        int64_t length = drv->bdrv_co_getlength(bs);

        /*
         * An error, or more than the driver's half of the contract allows
         * (before rounding can overflow): one test on the common path
         */
        if ((uint64_t)length > (uint64_t)BDRV_MAX_LENGTH) {
            return length < 0 ? (int)length : -EFBIG;
        }
        /* In range: BDRV_MAX_LENGTH is a whole number of sectors */
        bs->total_sectors = DIV_ROUND_UP(length, (int64_t)BDRV_SECTOR_SIZE);
        return 0;
    }
    if (hint < 0) {
        return -EINVAL;
    }
    if (hint > BDRV_MAX_LENGTH / (int64_t)BDRV_SECTOR_SIZE) {
        return -EFBIG;
    }
    bs->total_sectors = hint;
    return 0;
}

typedef struct IoLengthRefresh {
    BlockDriverState *bs;
    int64_t hint;
} IoLengthRefresh;

static int64_t coroutine_fn io_length_refresh_fn(void *opaque)
{
    IoLengthRefresh *r = opaque;

    return io_length_refresh_total_sectors(r->bs, r->hint);
}

int bdrv_refresh_total_sectors(BlockDriverState *bs, int64_t hint)
{
    IoLengthRefresh r = { .bs = bs, .hint = hint };

    return (int)io_sync_run(bdrv_get_aio_context(bs), io_length_refresh_fn,
                            &r);
}

int64_t coroutine_fn bdrv_co_nb_sectors(BlockDriverState *bs)
{
    const BlockDriver *drv = bs->drv;

    IO_CODE();
    if (!drv) {
        return -ENOMEDIUM;
    }
    if (drv->has_variable_length || bs->total_sectors < 0) {
        int ret = io_length_refresh_total_sectors(bs, bs->total_sectors);

        if (ret < 0) {
            return ret;
        }
    }
    return bs->total_sectors;
}

int64_t coroutine_fn bdrv_co_getlength(BlockDriverState *bs)
{
    int64_t sectors;

    IO_CODE();
    sectors = bdrv_co_nb_sectors(bs);
    /* An error, or a length in bytes beyond int64_t: one test */
    if ((uint64_t)sectors > (uint64_t)(INT64_MAX / BDRV_SECTOR_SIZE)) {
        return sectors < 0 ? sectors : -EFBIG;
    }
    return sectors * (int64_t)BDRV_SECTOR_SIZE;
}

void io_length_child_changed(BdrvChild *child)
{
    BlockDriverState *parent;
    int64_t old;

    if (!child->klass->parent_is_bds || !child->bs) {
        return;
    }
    parent = child->opaque;
    /* A node being opened gets its length once its driver is ready */
    if (!parent->drv || parent->total_sectors < 0) {
        return;
    }
    old = parent->total_sectors;
    if (bdrv_refresh_total_sectors(parent, old) < 0) {
        parent->total_sectors = -1;     /* asked again, error reported then */
    }
    if (parent->total_sectors != old) {
        /* Filters above follow (child_of_bds), backends are told */
        bdrv_parent_cb_resize(parent);
    }
}

void bdrv_parent_cb_resize(BlockDriverState *bs)
{
    BdrvChild *c;

    IO_CODE();
    QLIST_FOREACH(c, &bs->parents, next_parent) {
        if (c->klass->resize) {
            c->klass->resize(c);
        }
    }
}

void bdrv_get_geometry(BlockDriverState *bs, uint64_t *nb_sectors_ptr)
{
    int64_t sectors = bdrv_nb_sectors(bs);

    IO_CODE();
    *nb_sectors_ptr = sectors < 0 ? 0 : (uint64_t)sectors;
}

/* Protocols own their storage; other nodes sum what their children use */
int64_t coroutine_fn bdrv_co_get_allocated_file_size(BlockDriverState *bs)
{
    const BlockDriver *drv = bs->drv;
    BdrvChild *child;
    int64_t sum = 0;

    IO_CODE();
    if (!drv) {
        return -ENOMEDIUM;
    }
    if (drv->bdrv_co_get_allocated_file_size) {
        return drv->bdrv_co_get_allocated_file_size(bs);
    }
    if (drv->protocol_name) {
        return -ENOTSUP;
    }
    if (drv->is_filter) {
        BlockDriverState *filtered = bdrv_filter_bs(bs);

        return filtered ? bdrv_co_get_allocated_file_size(filtered) : -ENOTSUP;
    }
    QLIST_FOREACH(child, &bs->children, next) {
        int64_t size;

        /* A backing file is an image of its own, not part of this one */
        if (!(child->role & (BDRV_CHILD_DATA | BDRV_CHILD_METADATA |
                             BDRV_CHILD_FILTERED))) {
            continue;
        }
        size = bdrv_co_get_allocated_file_size(child->bs);
        if (size < 0) {
            return size;
        }
        sum += size;
    }
    return sum;
}

bool bdrv_is_inserted(BlockDriverState *bs)
{
    BdrvChild *child;

    IO_CODE();
    if (!bs->drv || (bs->drv->is_filter && node_info_filter_orphaned(bs))) {
        return false;
    }
    QLIST_FOREACH(child, &bs->children, next) {
        if (!bdrv_is_inserted(child->bs)) {
            return false;
        }
    }
    return true;
}

void bdrv_get_backing_filename(BlockDriverState *bs, char *filename,
                               int filename_size)
{
    IO_CODE();
    pstrcpy(filename, filename_size, bs->backing_file);
}

/* ---- alignment and buffers ---- */

uint32_t bdrv_get_request_alignment(BlockDriverState *bs)
{
    IO_CODE();
    return bs->bl.request_alignment;
}

/* ---- the driver's limits ---- */

/* @value (0: no limit) must be a multiple of @align and not negative */
static bool io_limits_multiple(int64_t value, int64_t align)
{
    return value >= 0 && value % align == 0;
}

static int io_limits_refuse(BlockDriverState *bs, const char *what,
                            int64_t value, const char *expected,
                            int64_t bound, Error **errp)
{
    error_setg(errp, "Driver '%s' of node '%s' reports %s %" PRId64
               " (expected %s %" PRId64 ")", bs->drv->format_name,
               bdrv_get_node_name(bs), what, value, expected, bound);
    return -EINVAL;
}

/* The alignments and maxima a request is split by, against each other */
static int io_limits_check_io(BlockDriverState *bs, const BlockLimits *bl,
                              Error **errp)
{
    int64_t align = bl->request_alignment;
    int64_t discard_align = MAX((int64_t)bl->pdiscard_alignment, align);
    int64_t zero_align = MAX((int64_t)bl->pwrite_zeroes_alignment, align);

    if (!io_limits_multiple(bl->max_transfer, align)) {
        return io_limits_refuse(bs, "max transfer", bl->max_transfer,
                                "a multiple of the request alignment", align,
                                errp);
    }
    if (!io_limits_multiple(bl->opt_transfer, align)) {
        return io_limits_refuse(bs, "optimal transfer", bl->opt_transfer,
                                "a multiple of the request alignment", align,
                                errp);
    }
    if (!io_limits_multiple(bl->pdiscard_alignment, align)) {
        return io_limits_refuse(bs, "discard alignment",
                                bl->pdiscard_alignment,
                                "a multiple of the request alignment", align,
                                errp);
    }
    if (!io_limits_multiple(bl->pwrite_zeroes_alignment, align)) {
        return io_limits_refuse(bs, "write-zeroes alignment",
                                bl->pwrite_zeroes_alignment,
                                "a multiple of the request alignment", align,
                                errp);
    }
    if (!io_limits_multiple(bl->max_pdiscard, discard_align)) {
        return io_limits_refuse(bs, "max discard", bl->max_pdiscard,
                                "a multiple of the discard alignment",
                                discard_align, errp);
    }
    if (!io_limits_multiple(bl->max_pwrite_zeroes, zero_align)) {
        return io_limits_refuse(bs, "max write-zeroes", bl->max_pwrite_zeroes,
                                "a multiple of the write-zeroes alignment",
                                zero_align, errp);
    }
    return 0;
}

int io_limits_check(BlockDriverState *bs, const BlockLimits *bl,
                    Error **errp)
{
    uint64_t perm, shared;
    int ret;

    if (!is_power_of_2(bl->request_alignment) ||
        bl->request_alignment > BDRV_MAX_ALIGNMENT) {
        return io_limits_refuse(bs, "request alignment", bl->request_alignment,
                                "a power of two up to", BDRV_MAX_ALIGNMENT,
                                errp);
    }
    ret = io_limits_check_io(bs, bl, errp);
    if (ret < 0) {
        return ret;
    }
    if ((bl->min_mem_alignment && !is_power_of_2(bl->min_mem_alignment)) ||
        (bl->opt_mem_alignment && !is_power_of_2(bl->opt_mem_alignment))) {
        return io_limits_refuse(bs, "memory alignment",
                                is_power_of_2(bl->min_mem_alignment) ?
                                (int64_t)bl->opt_mem_alignment :
                                (int64_t)bl->min_mem_alignment,
                                "a power of two up to", BDRV_MAX_ALIGNMENT,
                                errp);
    }
    if (bl->max_iov < 0) {
        return io_limits_refuse(bs, "max iov", bl->max_iov, "at least", 0,
                                errp);
    }
    /* New limits may break what parents were granted (write alignment) */
    bdrv_get_cumulative_perm(bs, &perm, &shared);
    return perms_check_write_alignment(bs, perm, bl->request_alignment, errp);
}

/* Buffer alignments must be powers of two that posix_memalign accepts */
static size_t io_length_mem_align(size_t align)
{
    size_t min = sizeof(void *);

    if (align < min) {
        return min;
    }
    assert(is_power_of_2(align));
    return align;
}

size_t bdrv_min_mem_align(BlockDriverState *bs)
{
    IO_CODE();
    if (!bs || !bs->drv) {
        /* The strictest alignment any host storage asks for */
        return (size_t)MAX(4096, getpagesize());
    }
    return io_length_mem_align(bs->bl.min_mem_alignment);
}

size_t bdrv_opt_mem_align(BlockDriverState *bs)
{
    IO_CODE();
    if (!bs || !bs->drv) {
        return (size_t)MAX(4096, getpagesize());
    }
    return io_length_mem_align(bs->bl.opt_mem_alignment);
}

void *qemu_try_blockalign(BlockDriverState *bs, size_t size)
{
    size_t align = bdrv_opt_mem_align(bs);
    void *ptr;

    IO_CODE();
    /* A zero-sized request still returns a freeable, distinct pointer */
    if (size == 0) {
        size = align;
    }
    if (posix_memalign(&ptr, align, size) != 0) {
        return NULL;
    }
    return ptr;
}

void *qemu_blockalign(BlockDriverState *bs, size_t size)
{
    void *ptr = qemu_try_blockalign(bs, size);

    IO_CODE();
    if (!ptr) {
        fprintf(stderr, "Failed to allocate %zu bytes of aligned memory\n",
                size);
        abort();
    }
    return ptr;
}

void *qemu_blockalign0(BlockDriverState *bs, size_t size)
{
    IO_CODE();
    return memset(qemu_blockalign(bs, size), 0, size);
}

void *qemu_try_blockalign0(BlockDriverState *bs, size_t size)
{
    void *ptr = qemu_try_blockalign(bs, size);

    IO_CODE();
    return ptr ? memset(ptr, 0, size) : NULL;
}

void qemu_vfree(void *ptr)
{
    free(ptr);
}
