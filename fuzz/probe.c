/*
 * Fuzz target "probe": the input is an image held by the mem protocol
 * ("mem:probe"; never a host path).  It is probed (bdrv_probe_format and an
 * open without a driver, which must agree), then opened read-only with
 * every format driver in turn; each open node gets the same short tour:
 * length, reads at the start, across the middle at odd offsets, across the
 * end and far past it, block status over the disk, bdrv_get_info.  The
 * graph is checked after each open and close, and the node count must be
 * back where it was.
 *
 * This is also the generic format target: a new format driver registered
 * in block/drivers/registry.c is opened here without any change.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "block/block-backend.h"
#include "block/block-global-state.h"
#include "block/block-debug.h"
#include "block/block-io.h"
#include "block/mem.h"
#include "util/qdict.h"
#include "fuzz-common.h"

#define PROBE_MAX_INPUT (1024 * 1024)
#define PROBE_MAX_FORMATS 32
#define PROBE_NAME "probe"
#define PROBE_BUF (64 * 1024)

static const char *probe_formats[PROBE_MAX_FORMATS];
static int probe_nb_formats;
static uint8_t probe_buf[PROBE_BUF];

static void probe_collect(void *opaque, const char *name)
{
    BlockDriver *drv = bdrv_find_format(name);

    /* Formats only: protocols would open something other than the input */
    if (drv && !drv->protocol_name && probe_nb_formats < PROBE_MAX_FORMATS) {
        probe_formats[probe_nb_formats++] = name;
    }
}

static void probe_tour(BlockBackend *blk)
{
    BlockDriverState *bs = blk_bs(blk);
    int64_t len = blk_getlength(blk), pnum, off = 0;
    BlockDriverInfo bdi;
    const int64_t reads[][2] = {
        { 0, 4096 }, { len / 2 - 1, 513 }, { len / 3 + 7, PROBE_BUF },
        { len - 100, 200 }, { len - 1, 1 }, { (int64_t)1 << 40, 512 },
    };

    for (size_t i = 0; i < ARRAY_SIZE(reads); i++) {
        if (reads[i][0] >= 0) {
            blk_pread(blk, reads[i][0], reads[i][1], probe_buf, 0);
        }
    }
    for (int i = 0; i < 16 && len > 0 && off < len; i++) {
        if (bdrv_block_status(bs, off, len - off, &pnum, NULL, NULL) < 0 ||
            pnum <= 0) {
            break;
        }
        off += pnum;
    }
    bdrv_get_info(bs, &bdi);
}

/* @format NULL: probe, and @probed is what bdrv_probe_format chose */
static void probe_open(const char *format, const BlockDriver *probed)
{
    int nodes = bdrv_debug_node_count();
    QDict *opts = qdict_new();
    BlockBackend *blk;

    if (format) {
        qdict_put_str(opts, "driver", format);
        qdict_put_str(opts, "file.driver", "mem");
        qdict_put_str(opts, "file.filename", PROBE_NAME);
        blk = blk_new_open(NULL, NULL, opts, 0, NULL);
    } else {
        qobject_unref(opts);
        blk = blk_new_open("mem:" PROBE_NAME, NULL, NULL, 0, NULL);
    }
    fuzz_check_graph(format ? format : "a probed open");
    if (blk && !format && probed && blk_bs(blk)->drv != probed) {
        fuzz_die("probe: bdrv_probe_format chose '%s', the open '%s'",
                 probed->format_name, blk_bs(blk)->drv->format_name);
    }
    if (blk) {
        probe_tour(blk);
        blk_unref(blk);
    }
    fuzz_check_graph("closing");
    fuzz_check_nodes(nodes, "probe");
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_init();
    if (!probe_nb_formats) {
        bdrv_iterate_format(probe_collect, NULL, false);
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t head[BLOCK_PROBE_BUF_SIZE] = { 0 };
    const BlockDriver *probed;

    LLVMFuzzerInitialize(NULL, NULL);
    size = MIN(size, (size_t)PROBE_MAX_INPUT);
    if (size) {
        memcpy(head, data, MIN(size, sizeof(head)));
    }
    probed = bdrv_probe_format(head, sizeof(head), "mem:" PROBE_NAME);
    mem_image_set(PROBE_NAME, size ? data : NULL, size, &error_abort);
    probe_open(NULL, probed);
    for (int i = 0; i < probe_nb_formats; i++) {
        probe_open(probe_formats[i], NULL);
    }
    mem_image_delete(PROBE_NAME);
    return 0;
}
