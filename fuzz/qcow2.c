/*
 * Fuzz target "qcow2": the input is a qcow2 image on the mem protocol
 * (backing files resolve only among the mem buffers, fuzz-image.h), opened
 * once, read-write (read-only when the image refuses writing, e.g. marked
 * corrupt): info, specific info, snapshot list, reads across the disk at
 * unaligned and out-of-range offsets, block status and map, check, check
 * with repair when the check finds something; then writes that allocate
 * and copy on write, zero writes, a discard, a flush, check again; close.
 * The read-only open of an intact image is the format target's (a bit of
 * its first byte) and qcow2_chain's.  The graph is checked after the open
 * and the close, and no node may be left.
 */
#include "fuzz-image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_init();
    fuzz_format_run("qcow2", data, size, false);
    return 0;
}
