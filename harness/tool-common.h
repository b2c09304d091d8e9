/*
 * Helpers shared by the command-line tools (drydock-io, drydock-img).
 */
#ifndef HARNESS_TOOL_COMMON_H
#define HARNESS_TOOL_COMMON_H

#include "util/osdep.h"
#include "util/error.h"

#define TOOL_VERSION "0.1 (qemu 7.2 compatible)"

/* -i / aio=: "threads", "native" or "io_uring" into BDRV_O_* flags */
int tool_parse_aio(const char *mode, int *flags);

/* --output=human|json; false (and qemu-img's message) on anything else */
bool tool_parse_output(const char *arg, bool *json);

/*
 * An image size for create/resize: the value, or -1 after printing
 * qemu-img's message.
 */
int64_t tool_parse_img_size(const char *arg);

/* "<prog>: <msg>" and "Try '<prog> --help' ..." (qemu-img's usage error) */
void tool_usage_error(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

/*
 * --object TYPE,id=ID,...: a 'secret' (data= or file=, format=raw|base64)
 * is kept for the life of the process; other types are refused with a
 * message.  0, or -1 after the message.
 */
int tool_object_add(const char *arg);
/* The data of secret @id, or NULL */
const char *tool_secret_lookup(const char *id);

#endif
