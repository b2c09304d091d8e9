/*
 * Fuzz target "qcow2_chain": a top image and its backing image from one
 * input.  Input: a flags byte, the top image's length (u16, little
 * endian), the top image, then the backing image.  The top is opened
 * without its backing file; the backing bytes are put in the namespace
 * under the name the top records (or "base" if it records none the mem
 * protocol accepts) and attached with the format it records (fuzz-image.h;
 * never a host path).  Then: reads, block status and allocation above
 * the chain, info and check of both; with flag bit 0 the top is
 * read-write: writes that copy on write from the backing file, check
 * again; with bit 1 also a commit into the backing file (a read-only
 * backing file is reopened read-write for it, or the commit fails).
 */
#include <string.h>

#include "block/block-global-state.h"
#include "block/block-debug.h"
#include "block/block-io.h"
#include "block/mem.h"
#include "util/cutils.h"
#include "fuzz-image.h"

#define CHAIN_TOP "fz-top"

static void chain_run(BlockBackend *blk, uint8_t flags, size_t size)
{
    BlockDriverState *bs = blk_bs(blk);
    BdrvCheckResult res;

    fuzz_image_tour(blk);
    if (bs->backing) {
        memset(&res, 0, sizeof(res));
        bdrv_check(bs->backing->bs, &res, 0);
    }
    fuzz_image_check(blk, 0);
    if (flags & 1) {
        fuzz_image_writes(blk, size);
        fuzz_image_check(blk, 0);
        if ((flags & 2) && bs->backing) {
            bdrv_commit(bs);
            fuzz_check_graph("a commit");
            fuzz_image_tour(blk);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int nodes = bdrv_debug_node_count();
    FuzzInput in;
    uint8_t flags;
    size_t top_len;
    static char base_name[sizeof(((BlockDriverState *)0)->backing_file)];
    BlockBackend *blk;

    fuzz_init();
    fuzz_input_init(&in, data, size);
    flags = fuzz_u8(&in);
    top_len = fuzz_u16(&in);
    top_len = MIN(top_len, in.len - MIN(in.pos, in.len));
    data += in.pos;
    size -= MIN(in.pos, size);
    fuzz_image_set(CHAIN_TOP, data, top_len);
    blk = fuzz_image_open(CHAIN_TOP, "qcow2", (flags & 1) ? BDRV_O_RDWR : 0,
                          0, NULL);
    if (blk) {
        pstrcpy(base_name, sizeof(base_name), blk_bs(blk)->backing_file);
        if (!base_name[0] || !strcmp(base_name, CHAIN_TOP) ||
            mem_image_set(base_name, NULL, 0, NULL) < 0) {
            pstrcpy(base_name, sizeof(base_name), "base");
        }
        fuzz_image_set(base_name, data + top_len, size - top_len);
        fuzz_image_attach_backing(blk_bs(blk), CHAIN_TOP,
                                  FUZZ_IMAGE_MAX_DEPTH);
        fuzz_check_graph("attaching the backing file");
        chain_run(blk, flags, size);
        blk_unref(blk);
        mem_image_delete(base_name);
    }
    fuzz_check_graph("closing");
    fuzz_check_nodes(nodes, "qcow2_chain");
    mem_image_delete(CHAIN_TOP);
    return 0;
}
