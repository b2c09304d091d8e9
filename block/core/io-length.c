/*
 * Length and other per-node queries of the I/O API: the cached length
 * (bs->total_sectors), allocation, alignment and buffer helpers.
 *
 * Like QEMU, the length is cached in 512-byte sectors, so a node whose
 * driver reports 1000 bytes has a length of 1024: drivers serve the bytes
 * up to the next sector boundary (protocols read them as zeroes).
 */
#include "io-int.h"
#include "util/cutils.h"

int coroutine_fn io_length_refresh_total_sectors(BlockDriverState *bs,
                                             int64_t hint)
{
    const BlockDriver *drv = bs->drv;

    if (!drv) {
        return -ENOMEDIUM;
    }
    if (bdrv_is_sg(bs)) {
        return 0;   /* SCSI passthrough has no meaningful length */
    }
    if (drv->bdrv_co_getlength) {
        int64_t length = drv->bdrv_co_getlength(bs);

        if (length < 0) {
            return (int)length;
        }
        hint = DIV_ROUND_UP(length, (int64_t)BDRV_SECTOR_SIZE);
    }
    if (hint < 0) {
        return -EINVAL;
    }
    bs->total_sectors = hint;
    if (hint > BDRV_MAX_LENGTH / (int64_t)BDRV_SECTOR_SIZE) {
        return -EFBIG;
    }
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
    IO_CODE();
    if (!bs->drv) {
        return -ENOMEDIUM;
    }
    if (bs->drv->has_variable_length || bs->total_sectors < 0) {
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
    if (sectors < 0) {
        return sectors;
    }
    if (sectors > INT64_MAX / (int64_t)BDRV_SECTOR_SIZE) {
        return -EFBIG;
    }
    return sectors * (int64_t)BDRV_SECTOR_SIZE;
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
    if (!bs->drv) {
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
