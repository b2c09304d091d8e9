/*
 * Helpers shared by the command-line tools (drydock-io, drydock-img).
 */
#ifndef HARNESS_TOOL_COMMON_H
#define HARNESS_TOOL_COMMON_H

#include "util/osdep.h"

#define TOOL_VERSION "0.1 (qemu 7.2 compatible)"

/* -i / aio=: "threads", "native" or "io_uring" into BDRV_O_* flags */
int tool_parse_aio(const char *mode, int *flags);

#endif
