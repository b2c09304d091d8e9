/*
 * Block status: what a range of a node holds (data, zeroes, allocated in
 * this layer or not, where it lives), through filters and backing chains.
 *
 * Results follow QEMU's rules: the range is clamped at the node's end and
 * BDRV_BLOCK_EOF is set when the answer reaches it; a range starting at
 * or past the end answers BDRV_BLOCK_EOF with *pnum 0; a driver without a
 * block-status callback holds all of its data (DATA|ALLOCATED), and a
 * filter without one defers to its filtered child.
 */
#include "io-int.h"

/*
 * The most one driver query covers.  A driver may spend time per cluster
 * it is asked about (the test driver's store, a format walking its
 * tables), so a query over a huge node (1 PiB) is cut to this and the
 * caller gets a shorter *pnum, as for any other answer.
 */
#define IO_STATUS_MAX_QUERY ((int64_t)BDRV_REQUEST_MAX_BYTES)

/*
 * The driver's half of the contract: an error, or some progress that
 * covers @offset, a mapping inside the largest length, a node for RAW.
 */
static int io_status_check_answer(BlockDriverState *bs, int ret,
                                  int64_t offset, int64_t aligned_offset,
                                  int64_t pnum, int64_t map,
                                  BlockDriverState *file)
{
    BdrvChild *c;

    if (ret < 0) {
        return ret;
    }
    if (pnum <= offset - aligned_offset) {
        return -EIO;
    }
    if ((ret & BDRV_BLOCK_OFFSET_VALID) && (map < 0 || map > BDRV_MAX_LENGTH)) {
        return -EIO;
    }
    if (ret & BDRV_BLOCK_RAW) {
        /* The answer is a child's: it must be one, or we would loop */
        if (!(ret & BDRV_BLOCK_OFFSET_VALID) || !file) {
            return -EIO;
        }
        QLIST_FOREACH(c, &bs->children, next) {
            if (c->bs == file) {
                return ret;
            }
        }
        return -EIO;
    }
    return ret;
}

/* What a node answers for itself, without looking at any backing file */
static int coroutine_fn io_status_driver(BlockDriverState *bs, bool want_zero,
                                         int64_t offset, int64_t bytes,
                                         int64_t *pnum, int64_t *map,
                                         BlockDriverState **file)
{
    int64_t align = io_align(bs);
    int64_t aligned_offset = QEMU_ALIGN_DOWN(offset, align);
    int64_t aligned_bytes = ROUND_UP(offset + bytes, align) - aligned_offset;
    int ret;

    aligned_bytes = MIN(aligned_bytes,
                        QEMU_ALIGN_DOWN(IO_STATUS_MAX_QUERY, align));
    *map = 0;
    *file = NULL;
    if (bs->drv->bdrv_co_block_status) {
        *pnum = 0;
        ret = bs->drv->bdrv_co_block_status(bs, want_zero, aligned_offset,
                                            aligned_bytes, pnum, map, file);
    } else {
        /* A filter maps everything 1:1 onto its child */
        *file = bdrv_filter_bs(bs);
        *pnum = aligned_bytes;
        *map = aligned_offset;
        ret = BDRV_BLOCK_RAW | BDRV_BLOCK_OFFSET_VALID;
    }
    ret = io_status_check_answer(bs, ret, offset, aligned_offset, *pnum,
                                 *map, *file);
    if (ret < 0) {
        *pnum = 0;
        return ret;
    }
    *pnum -= offset - aligned_offset;
    *pnum = MIN(*pnum, bytes);
    if (ret & BDRV_BLOCK_OFFSET_VALID) {
        *map += offset - aligned_offset;
    }
    return ret;
}

/*
 * Ask the protocol layer whether data the format maps there reads as
 * zeroes (BDRV_BLOCK_RECURSE); extra information only, errors ignored.
 */
static int coroutine_fn io_status_recurse(BlockDriverState *file,
                                          int64_t map, int64_t *pnum,
                                          int ret);
static int coroutine_fn io_status_one(BlockDriverState *bs, bool want_zero,
                                      int64_t offset, int64_t bytes,
                                      int64_t *pnum, int64_t *map,
                                      BlockDriverState **file);

/* The driver's answer, completed: RAW followed, ALLOCATED and ZERO added */
static int coroutine_fn io_status_ask(BlockDriverState *bs, bool want_zero,
                                      int64_t offset, int64_t bytes,
                                      int64_t *pnum, int64_t *map,
                                      BlockDriverState **file)
{
    int ret = io_status_driver(bs, want_zero, offset, bytes, pnum, map, file);

    if (ret < 0) {
        return ret;
    }
    if (ret & BDRV_BLOCK_RAW) {
        /* The answer is the child's, at the mapped offset */
        return io_status_one(*file, want_zero, *map, *pnum, pnum, map, file);
    }
    if (ret & (BDRV_BLOCK_DATA | BDRV_BLOCK_ZERO)) {
        ret |= BDRV_BLOCK_ALLOCATED;
    } else if (bs->drv->supports_backing) {
        BlockDriverState *cow = bdrv_cow_bs(bs);

        /* Unallocated without a backing file (or past its end) */
        if (!cow) {
            ret |= BDRV_BLOCK_ZERO;
        } else if (want_zero) {
            int64_t cow_len = bdrv_co_getlength(cow);
            if (cow_len >= 0 && offset >= cow_len) {
                ret |= BDRV_BLOCK_ZERO;
            }
        }
    }
    if (want_zero && (ret & BDRV_BLOCK_RECURSE) && *file && *file != bs &&
        (ret & BDRV_BLOCK_DATA) && !(ret & BDRV_BLOCK_ZERO) &&
        (ret & BDRV_BLOCK_OFFSET_VALID)) {
        ret = io_status_recurse(*file, *map, pnum, ret);
    }
    return ret & ~BDRV_BLOCK_RECURSE;
}

static int coroutine_fn io_status_one(BlockDriverState *bs, bool want_zero,
                                      int64_t offset, int64_t bytes,
                                      int64_t *pnum, int64_t *map,
                                      BlockDriverState **file)
{
    int64_t total, local_map = 0;
    BlockDriverState *local_file = NULL;
    int ret;

    *pnum = 0;
    total = bdrv_co_getlength(bs);
    if (total < 0) {
        ret = (int)total;
        goto out;
    }
    if (offset >= total) {
        ret = BDRV_BLOCK_EOF;
        goto out;
    }
    if (bytes == 0) {
        ret = 0;
        goto out;
    }
    bytes = MIN(bytes, total - offset);

    if (!bs->drv->bdrv_co_block_status && !bdrv_filter_child(bs)) {
        *pnum = bytes;
        ret = BDRV_BLOCK_DATA | BDRV_BLOCK_ALLOCATED;
        if (bs->drv->protocol_name) {
            /* A protocol's data lives in itself, at the same offset */
            ret |= BDRV_BLOCK_OFFSET_VALID;
            local_map = offset;
            local_file = bs;
        }
    } else {
        bdrv_inc_in_flight(bs);
        ret = io_status_ask(bs, want_zero, offset, bytes, pnum, &local_map,
                            &local_file);
        bdrv_dec_in_flight(bs);
    }
    if (ret >= 0 && offset + *pnum == total) {
        ret |= BDRV_BLOCK_EOF;
    }
out:
    if (file) {
        *file = local_file;
    }
    if (map) {
        *map = local_map;
    }
    return ret;
}

static int coroutine_fn io_status_recurse(BlockDriverState *file,
                                          int64_t map, int64_t *pnum,
                                          int ret)
{
    int64_t file_pnum;
    int ret2 = io_status_one(file, true, map, *pnum, &file_pnum, NULL, NULL);

    if (ret2 < 0) {
        return ret;
    }
    if ((ret2 & BDRV_BLOCK_EOF) &&
        (!file_pnum || (ret2 & BDRV_BLOCK_ZERO))) {
        /* Past the end of the file everything reads as zeroes */
        return ret | BDRV_BLOCK_ZERO;
    }
    *pnum = file_pnum;
    return ret | (ret2 & BDRV_BLOCK_ZERO);
}

/*
 * Status of bs over the chain down to base (base itself only with
 * include_base): the first layer that allocates the start of the range
 * answers.  *depth counts the layers looked at (1 = bs).
 */
static int coroutine_fn io_status_above(BlockDriverState *bs,
                                        BlockDriverState *base,
                                        bool include_base, bool want_zero,
                                        int64_t offset, int64_t bytes,
                                        int64_t *pnum, int64_t *map,
                                        BlockDriverState **file, int *depth)
{
    BlockDriverState *p;
    int64_t eof = 0;
    int dummy;
    int ret;

    assert(!include_base || base);
    depth = depth ? depth : &dummy;
    *depth = 0;
    if (!include_base && bs == base) {
        *pnum = bytes;
        return 0;
    }

    ret = io_status_one(bs, want_zero, offset, bytes, pnum, map, file);
    ++*depth;
    if (ret < 0 || *pnum == 0 || (ret & BDRV_BLOCK_ALLOCATED) || bs == base) {
        return ret;
    }
    if (ret & BDRV_BLOCK_EOF) {
        eof = offset + *pnum;
    }
    bytes = *pnum;

    for (p = bdrv_filter_or_cow_bs(bs); p && (include_base || p != base);
         p = bdrv_filter_or_cow_bs(p)) {
        ret = io_status_one(p, want_zero, offset, bytes, pnum, map, file);
        ++*depth;
        if (ret < 0) {
            return ret;
        }
        if (*pnum == 0) {
            /*
             * This layer ends before the range: the zeroes it reads as
             * count as allocated here (the layers above are longer).
             */
            *pnum = bytes;
            if (file) {
                *file = p;
            }
            ret = BDRV_BLOCK_ZERO | BDRV_BLOCK_ALLOCATED;
            break;
        }
        if (ret & BDRV_BLOCK_ALLOCATED) {
            /* This layer's EOF is not the top's */
            ret &= ~BDRV_BLOCK_EOF;
            break;
        }
        if (p == base) {
            break;
        }
        bytes = *pnum;
    }
    if (offset + *pnum == eof) {
        ret |= BDRV_BLOCK_EOF;
    }
    return ret;
}

/*
 * The checks of every public entry point: a node with a medium, a range
 * that starts inside the largest length (-EIO, as for requests); a length
 * past the largest one only means "to the end" and is clamped.
 */
static int io_status_check_request(BlockDriverState *bs, int64_t offset,
                                   int64_t *bytes)
{
    if (!bs || !bs->drv) {
        return -ENOMEDIUM;
    }
    if (offset < 0 || *bytes < 0 || offset > BDRV_MAX_LENGTH) {
        return -EIO;
    }
    *bytes = MIN(*bytes, BDRV_MAX_LENGTH - offset);
    return 0;
}

int coroutine_fn bdrv_co_block_status(BlockDriverState *bs, int64_t offset,
                                      int64_t bytes, int64_t *pnum,
                                      int64_t *map, BlockDriverState **file)
{
    int ret;

    IO_CODE();
    if (!pnum) {
        return -EINVAL;
    }
    ret = io_status_check_request(bs, offset, &bytes);
    if (ret < 0) {
        *pnum = 0;
        return ret;
    }
    return io_status_above(bs, bdrv_filter_or_cow_bs(bs), false, true,
                           offset, bytes, pnum, map, file, NULL);
}

/* ---- synchronous versions ---- */

typedef struct IoStatusArgs {
    BlockDriverState *bs;
    BlockDriverState *base;
    bool include_base;
    bool want_zero;
    int64_t offset;
    int64_t bytes;
    int64_t *pnum;
    int64_t *map;
    BlockDriverState **file;
    int depth;
    int64_t pnum_buf;        /* where *pnum goes when the caller gave NULL */
} IoStatusArgs;

static int64_t coroutine_fn io_status_sync_fn(void *opaque)
{
    IoStatusArgs *a = opaque;

    return io_status_above(a->bs, a->base, a->include_base, a->want_zero,
                           a->offset, a->bytes, a->pnum, a->map, a->file,
                           &a->depth);
}

static int io_status_sync(IoStatusArgs *a)
{
    int ret;

    if (!a->pnum) {
        a->pnum = &a->pnum_buf;
    }
    *a->pnum = 0;
    ret = io_status_check_request(a->bs, a->offset, &a->bytes);
    if (ret < 0) {
        return ret;
    }
    if (a->include_base && !a->base) {
        return -EINVAL;
    }
    return (int)io_sync_run(bdrv_get_aio_context(a->bs), io_status_sync_fn,
                            a);
}

int bdrv_block_status(BlockDriverState *bs, int64_t offset, int64_t bytes,
                      int64_t *pnum, int64_t *map, BlockDriverState **file)
{
    IO_CODE();
    return bdrv_block_status_above(bs, bdrv_filter_or_cow_bs(bs), offset,
                                   bytes, pnum, map, file);
}

int bdrv_block_status_above(BlockDriverState *bs, BlockDriverState *base,
                            int64_t offset, int64_t bytes, int64_t *pnum,
                            int64_t *map, BlockDriverState **file)
{
    IoStatusArgs a = { .bs = bs, .base = base, .want_zero = true,
                       .offset = offset, .bytes = bytes, .pnum = pnum,
                       .map = map, .file = file };
    IO_CODE();
    return io_status_sync(&a);
}

int bdrv_is_allocated(BlockDriverState *bs, int64_t offset, int64_t bytes,
                      int64_t *pnum)
{
    IoStatusArgs a = { .bs = bs, .base = bs, .include_base = true,
                       .offset = offset, .bytes = bytes, .pnum = pnum };
    int ret;

    IO_CODE();
    ret = io_status_sync(&a);
    if (ret < 0) {
        return ret;
    }
    return !!(ret & BDRV_BLOCK_ALLOCATED);
}

int bdrv_is_allocated_above(BlockDriverState *top, BlockDriverState *base,
                            bool include_base, int64_t offset, int64_t bytes,
                            int64_t *pnum)
{
    IoStatusArgs a = { .bs = top, .base = base, .include_base = include_base,
                       .offset = offset, .bytes = bytes, .pnum = pnum };
    int ret;

    IO_CODE();
    ret = io_status_sync(&a);
    if (ret < 0) {
        return ret;
    }
    /* The depth of the layer that allocates it: 1 is top */
    return (ret & BDRV_BLOCK_ALLOCATED) ? a.depth : 0;
}
