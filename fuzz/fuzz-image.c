/*
 * The in-memory image namespace and the parser tour (see fuzz-image.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "block/block-global-state.h"
#include "block/block-debug.h"
#include "block/block-io.h"
#include "block/mem.h"
#include "util/bswap.h"
#include "util/qdict.h"
#include "fuzz-image.h"

#define IMAGE_BUF (64 * 1024)
#define IMAGE_QCOW2_MAGIC 0x514649fbU
#define IMAGE_MAX_PAD (4 * 1024 * 1024)
/*
 * Work per input is bounded (docs/fuzzing.md): block status steps, reads
 * one cluster apart, the bytes of the long read, writes that copy a cluster
 * on write only where the cluster is at most 16 KiB or a quarter of the
 * input (a 64 KiB cluster runs the same code as a 4 KiB one, at 16 times
 * the memory: the file grows by megabytes), and a write across the middle
 * of the disk that allocates three clusters at most
 */
#define IMAGE_STATUS_STEPS 16
#define IMAGE_CLUSTER_READS 4
#define IMAGE_LONG_READ (16 * 1024)
#define IMAGE_COW_MAX (16 * 1024)
#define IMAGE_MID_WRITE 3000

/* The input's buffer, and the node open on it (image_rw_set) */
#define IMAGE_RW "fz-rw"
#define IMAGE_RW_NODE "fz-rw-file"

static uint8_t image_buf[IMAGE_BUF];

/* The end of a table at @offset of @bytes, if it lies below the pad limit */
static size_t image_table_end(uint64_t offset, uint64_t bytes)
{
    return offset < IMAGE_MAX_PAD && bytes <= IMAGE_MAX_PAD - offset
           ? offset + bytes : 0;
}

/*
 * The length of the buffer for an input of @size: whole clusters, and
 * the L1 and refcount tables the header names, when they lie below the pad
 * limit (the padding reads as zeroes without being copied or allocated)
 */
static size_t image_padded_len(const uint8_t *data, size_t size)
{
    size_t want = size;

    if (size >= 72 && ldl_be_p(data) == IMAGE_QCOW2_MAGIC) {
        uint32_t bits = ldl_be_p(data + 20);

        if (bits >= 9 && bits <= 21) {
            size_t cluster = (size_t)1 << bits;

            want = MAX(want, image_table_end(ldq_be_p(data + 40),
                                             (uint64_t)ldl_be_p(data + 36) * 8));
            want = MAX(want, image_table_end(ldq_be_p(data + 48),
                                             (uint64_t)ldl_be_p(data + 56) *
                                             cluster));
            want = ROUND_UP(want, cluster);
        }
    }
    return want;
}

void fuzz_image_set(const char *name, const uint8_t *data, size_t size)
{
    mem_image_set_sparse(name, size ? data : NULL, size,
                         image_padded_len(data, size), &error_abort);
}

static QDict *image_options(const char *name, const char *format)
{
    QDict *opts = qdict_new();

    if (format) {
        qdict_put_str(opts, "driver", format);
    }
    qdict_put_str(opts, "file.driver", "mem");
    qdict_put_str(opts, "file.filename", name);
    return opts;
}

/* The recorded backing format if it names a format driver, else probe */
static const char *image_backing_format(BlockDriverState *bs)
{
    BlockDriver *drv;

    if (!bs->backing_format[0]) {
        return NULL;
    }
    drv = bdrv_find_format(bs->backing_format);
    return drv && drv->is_format && !drv->protocol_name ? bs->backing_format
                                                        : "";
}

void fuzz_image_attach_backing(BlockDriverState *bs, const char *name,
                               int depth)
{
    const char *format;
    BlockDriverState *base;

    if (depth <= 0 || !bs->backing_file[0] ||
        !strcmp(bs->backing_file, name) ||
        !mem_image_exists(bs->backing_file)) {
        return;
    }
    format = image_backing_format(bs);
    if (format && !format[0]) {
        return;
    }
    base = bdrv_open(NULL, NULL, image_options(bs->backing_file, format),
                     BDRV_O_NO_BACKING, NULL);
    if (!base) {
        return;
    }
    fuzz_image_attach_backing(base, bs->backing_file, depth - 1);
    bdrv_set_backing_hd(bs, base, NULL);
    bdrv_unref(base);
}

/* Open @opts as the image in buffer @name, its backing chain attached */
static BlockBackend *image_open_opts(QDict *opts, const char *name, int flags,
                                     int depth)
{
    BlockBackend *blk;

    blk = blk_new_open(NULL, NULL, opts, flags | BDRV_O_NO_BACKING, NULL);
    if (blk) {
        fuzz_image_attach_backing(blk_bs(blk), name, depth);
    }
    fuzz_check_graph("an image open");
    return blk;
}

BlockBackend *fuzz_image_open(const char *name, const char *format, int flags,
                              int depth, QDict *extra)
{
    QDict *opts = image_options(name, format);

    if (extra) {
        qdict_join(opts, extra, true);
        qobject_unref(extra);
    }
    return image_open_opts(opts, name, flags, depth);
}

/*
 * The node on the input's buffer (IMAGE_RW) stays open from one input to
 * the next, and each input is opened over it by its node name: that open
 * and close are the same whatever the input, and they were a third of the
 * cost of an input whose header the format refuses.  Each input rewrites
 * the buffer in place (mem_image_rewrite), so no byte of the previous one
 * is left, and the node has no state of its own beyond the buffer.
 */
static BlockDriverState *image_rw_file;

static void image_rw_set(const uint8_t *data, size_t size)
{
    BlockDriverState *file = image_rw_file;

    if (!file) {
        QDict *opts = qdict_new();

        mem_image_set(IMAGE_RW, NULL, 0, &error_abort);
        qdict_put_str(opts, "driver", "mem");
        qdict_put_str(opts, "filename", IMAGE_RW);
        qdict_put_str(opts, "node-name", IMAGE_RW_NODE);
        file = image_rw_file = bdrv_open(NULL, NULL, opts, BDRV_O_RDWR,
                                         &error_abort);
    }
    mem_image_rewrite(IMAGE_RW, size ? data : NULL, size,
                      image_padded_len(data, size), &error_abort);
}

/*
 * The options are a shallow clone of ones made once per format: one
 * allocation per open, where building them made five
 */
static BlockBackend *image_rw_open(const char *format, int flags)
{
    static QDict *made[8];
    size_t i;

    for (i = 0; made[i] && strcmp(qdict_get_str(made[i], "driver"), format);
         i++) {
        assert(i + 1 < ARRAY_SIZE(made));
    }
    if (!made[i]) {
        made[i] = qdict_new();
        qdict_put_str(made[i], "driver", format);
        qdict_put_str(made[i], "file", IMAGE_RW_NODE);
    }
    return image_open_opts(qdict_clone_shallow(made[i]), IMAGE_RW, flags,
                           FUZZ_IMAGE_MAX_DEPTH);
}

static void image_block_status(BlockDriverState *bs, int64_t len)
{
    int64_t off = 0, pnum, map;
    BlockDriverState *file;

    for (int i = 0; i < IMAGE_STATUS_STEPS && off < len; i++) {
        if (bdrv_block_status(bs, off, len - off, &pnum, &map, &file) < 0 ||
            pnum <= 0) {
            break;
        }
        off += pnum;
    }
    off = 0;
    for (int i = 0; i < IMAGE_STATUS_STEPS && off < len; i++) {
        if (bdrv_is_allocated_above(bs, NULL, false, off, len - off,
                                    &pnum) < 0 || pnum <= 0) {
            break;
        }
        off += pnum;
    }
}

void fuzz_image_tour(BlockBackend *blk)
{
    BlockDriverState *bs = blk_bs(blk);
    int64_t len = blk_getlength(blk);
    QEMUSnapshotInfo *sn = NULL;
    BlockDriverInfo bdi;
    int64_t cl;
    const int64_t reads[][2] = {
        { 0, 4096 }, { 511, 1 }, { len / 2 - 1, 513 },
        { len / 3 + 7, IMAGE_LONG_READ },
        { len - 100, 200 }, { len - 1, 1 }, { len, 512 },
        { (int64_t)1 << 40, 512 }, { INT64_MAX - 512, 512 },
    };

    memset(&bdi, 0, sizeof(bdi));
    bdrv_get_info(bs, &bdi);
    qapi_free_ImageInfoSpecific(bdrv_get_specific_info(bs, NULL));
    bdrv_snapshot_list(bs, &sn);
    g_free(sn);
    for (size_t i = 0; i < ARRAY_SIZE(reads); i++) {
        if (reads[i][0] >= 0) {
            blk_pread(blk, reads[i][0], reads[i][1], image_buf, 0);
        }
    }
    /* One read per cluster-sized step across a few clusters */
    cl = bdi.cluster_size > 0 ? bdi.cluster_size : 65536;
    for (int64_t off = cl - 3; off < len && off < IMAGE_CLUSTER_READS * cl;
         off += cl) {
        blk_pread(blk, off, MIN(cl, 4096) + 6, image_buf, 0);
    }
    if (len > 0) {
        image_block_status(bs, len);
    }
}

void fuzz_image_check(BlockBackend *blk, BdrvCheckMode fix)
{
    BdrvCheckResult res;

    memset(&res, 0, sizeof(res));
    bdrv_check(blk_bs(blk), &res, fix);
}

/* Check; when it finds something and the image is writable, repair */
static void image_check_repair(BlockBackend *blk)
{
    BdrvCheckResult res;

    memset(&res, 0, sizeof(res));
    if (bdrv_check(blk_bs(blk), &res, 0) == -ENOTSUP ||
        bdrv_is_read_only(blk_bs(blk))) {
        return;
    }
    if (res.corruptions || res.leaks || res.check_errors ||
        res.corruptions_fixed || res.leaks_fixed) {
        fuzz_image_check(blk, BDRV_FIX_LEAKS | BDRV_FIX_ERRORS);
    }
}

void fuzz_image_writes(BlockBackend *blk, size_t input_size)
{
    BlockDriverInfo bdi;
    int64_t len = blk_getlength(blk), cl;

    memset(&bdi, 0, sizeof(bdi));
    bdrv_get_info(blk_bs(blk), &bdi);
    cl = bdi.cluster_size > 0 ? bdi.cluster_size : 4096;
    if (len <= 0) {
        return;
    }
    memset(image_buf, 0xa5, sizeof(image_buf));
    /*
     * A whole cluster, a partial one (copy on write), one unaligned at both
     * ends over a whole cluster, one across the end
     */
    if ((uint64_t)cl <= MAX(IMAGE_COW_MAX, input_size / 4)) {
        blk_pwrite(blk, 0, MIN(cl, IMAGE_BUF), image_buf, 0);
        blk_pwrite(blk, MIN(cl + 512, len - 1), 1024, image_buf, 0);
        blk_pwrite(blk, len / 2 + 3, MIN(IMAGE_MID_WRITE, 2 * cl + 6),
                   image_buf, 0);
        blk_pwrite(blk, len - 700, 700, image_buf, 0);
    }
    blk_pwrite_zeroes(blk, 0, MIN(2 * cl, len), BDRV_REQ_MAY_UNMAP);
    blk_pwrite_zeroes(blk, len / 4, 4096, 0);
    blk_pdiscard(blk, len / 2, MIN(cl * 2, len / 2));
    blk_pread(blk, 0, MIN(len, IMAGE_LONG_READ), image_buf, 0);
    blk_flush(blk);
}

/*
 * An image recording "fz-img" gets the input as its backing file, from a
 * second buffer (the first one is written): a chain over its own bytes
 */
static void image_attach_input(BlockBackend *blk, const uint8_t *data,
                               size_t size)
{
    BlockDriverState *bs = blk_bs(blk);

    if (bs->backing || strcmp(bs->backing_file, "fz-img")) {
        return;
    }
    fuzz_image_set("fz-img", data, size);
    fuzz_image_attach_backing(bs, IMAGE_RW, FUZZ_IMAGE_MAX_DEPTH);
    fuzz_check_graph("attaching the input as backing file");
}

/*
 * Could a read-only open succeed where the read-write one failed?  For a
 * qcow2 header only when it is v3 and marked corrupt or dirty (QEMU's and
 * drydock's reasons to refuse or repair before writing); for bytes that
 * are no qcow2 header, only when another driver than qcow2 reads them.
 * Otherwise the failure was the image's, and a second open would fail the
 * same way at the cost of a whole open and close (a quarter of a run).
 */
static bool image_may_open_read_only(const char *format, const uint8_t *data,
                                     size_t size)
{
    const uint64_t dirty_or_corrupt = 3;

    if (size < 4 || ldl_be_p(data) != IMAGE_QCOW2_MAGIC) {
        return !format || strcmp(format, "qcow2");
    }
    return size >= 80 && ldl_be_p(data + 4) >= 3 &&
           (ldq_be_p(data + 72) & dirty_or_corrupt);
}

/*
 * One open per input, read-write unless @read_only or the image refuses it
 * (corrupt, read-only features): the tour, a check, a repair when the check
 * found something, then writes and a check again.  The buffer is already
 * this input's own copy, so it is written in place.
 */
void fuzz_format_run(const char *format, const uint8_t *data, size_t size,
                     bool read_only)
{
    BlockBackend *blk = NULL;
    int nodes;

    image_rw_set(data, size);
    nodes = bdrv_debug_node_count();
    if (!read_only) {
        blk = image_rw_open(format, BDRV_O_RDWR);
    }
    if (!blk && (read_only || image_may_open_read_only(format, data, size))) {
        blk = image_rw_open(format, 0);
    }
    if (blk) {
        image_attach_input(blk, data, size);
        fuzz_image_tour(blk);
        image_check_repair(blk);
        if (!bdrv_is_read_only(blk_bs(blk))) {
            fuzz_image_writes(blk, size);
            fuzz_image_check(blk, 0);
        }
        blk_unref(blk);
    }
    fuzz_check_graph("closing");
    fuzz_check_nodes(nodes, format);
    /* Nothing may stay attached to the node the next input opens over */
    if (!QLIST_EMPTY(&image_rw_file->parents)) {
        fuzz_die("%s: the input's mem node still has a parent", format);
    }
    mem_image_delete("fz-img");
    /*
     * What the writes backed goes now, not at the next input's rewrite:
     * libFuzzer runs an input that ends with more allocations than frees
     * a second time, to look for a leak (one qcow2 input in eight was)
     */
    mem_image_rewrite(IMAGE_RW, NULL, 0, 0, &error_abort);
}
