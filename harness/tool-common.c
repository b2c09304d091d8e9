/*
 * Helpers shared by the command-line tools.
 */
#include "tool-common.h"

#include "block/block-common.h"

int tool_parse_aio(const char *mode, int *flags)
{
    if (!strcmp(mode, "native")) {
        *flags |= BDRV_O_NATIVE_AIO;
    } else if (!strcmp(mode, "io_uring")) {
        *flags |= BDRV_O_IO_URING;
    } else if (!strcmp(mode, "threads")) {
        *flags &= ~(BDRV_O_NATIVE_AIO | BDRV_O_IO_URING);
    } else {
        return -EINVAL;
    }
    return 0;
}
