/*
 * Fuzz target "format": the generic parser target.  The first input byte
 * picks a format from the list below (byte modulo the number of formats)
 * and whether the image is opened read-only (the next bit); the rest is
 * the image, which gets the qcow2 target's tour (fuzz-image.h: one open,
 * info, reads, block status, check, repair if needed; when writable,
 * writes and check again).
 *
 * A new format driver gets its parser fuzzed by one FUZZ_FORMAT(name) line
 * here (and, for its own seeds, a line in scripts/fuzz-seeds).
 */
#include "fuzz-image.h"

#define FUZZ_FORMATS(FUZZ_FORMAT)                                              \
    FUZZ_FORMAT(qcow2)                                                         \
    FUZZ_FORMAT(raw)

#define FORMAT_NAME(name) #name,

static const char *const format_names[] = {
    FUZZ_FORMATS(FORMAT_NAME)
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *format;
    bool read_only;

    fuzz_init();
    if (!size) {
        return 0;
    }
    format = format_names[data[0] % ARRAY_SIZE(format_names)];
    read_only = (data[0] / ARRAY_SIZE(format_names)) & 1;
    fuzz_format_run(format, data + 1, size - 1, read_only);
    return 0;
}
