/*
 * Fuzz target "qcow2": the input is a qcow2 image on the mem protocol
 * (backing files resolve only among the mem buffers, fuzz-image.h).  Opened
 * read-only: info, specific info, snapshot list, reads across the disk at
 * unaligned and out-of-range offsets, block status and map, check; then a
 * copy opened read-write: check with repair, writes that allocate and copy
 * on write, zero writes, a discard, a flush, check again; close.  The graph
 * is checked after each open and close, and no node may be left.
 */
#include "fuzz-image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_init();
    fuzz_format_run("qcow2", data, size);
    return 0;
}
