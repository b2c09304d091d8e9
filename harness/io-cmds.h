/*
 * The qemu-io command set over a BlockBackend: read, write, aio_*, map,
 * alloc, discard, ... with qemu-io's syntax, output and return values.
 * drydock-io runs them on the image it opened; the scenario language runs
 * the same commands on a named backend.
 *
 * A command returns 0 or a negative errno; failures print their message
 * (stdout or stderr, as qemu-io does) before returning.
 */
#ifndef HARNESS_IO_CMDS_H
#define HARNESS_IO_CMDS_H

#include "block/block-backend.h"

typedef int (*IoCmdFunc)(BlockBackend *blk, int argc, char **argv);

enum {
    IO_CMD_NOFILE_OK = 1 << 0,   /* runs without an open image */
    /*
     * Waits for requests of its own or in flight: on a drained backend
     * (requests queued until the drain ends) it would wait forever
     */
    IO_CMD_WAITS = 1 << 1,
};

typedef struct IoCmd {
    const char *name;
    const char *altname;         /* one-letter alias, or NULL */
    IoCmdFunc func;
    int argmin;
    int argmax;                  /* -1: no maximum */
    int flags;                   /* IO_CMD_* */
    uint64_t perm;               /* BLK_PERM_* the command needs */
    const char *args;
    const char *oneline;
    void (*help)(void);          /* extended help, or NULL */
} IoCmd;

/* Add a command (the tools add open, close and quit); @cmd must live on */
void io_cmd_add(const IoCmd *cmd);

/*
 * Run one command line on @blk (NULL: no image open).  Words are split at
 * spaces; the first word names the command or its alias.
 */
int io_command(BlockBackend *blk, const char *line);
int io_command_argv(BlockBackend *blk, int argc, char **argv);

/* "name args -- oneline" on stdout, after a usage error */
void io_command_usage(const IoCmd *cmd);

/* Misaligned buffers (qemu-io -m): every I/O buffer starts 16 bytes off */
void io_set_misalign(bool misalign);

/*
 * write -s FILE names a mem image (block/mem.h) instead of a host file:
 * for sandboxed callers (the scenario fuzz target) that must not read
 * host files
 */
void io_set_source_in_mem(bool in_mem);

/*
 * Longest request (and so I/O buffer) the commands accept; 0: qemu-io's
 * BDRV_REQUEST_MAX_BYTES.  A sandboxed caller lowers it: a fuzz input's
 * "write 0 1536M" allocated that much twice over (the buffer, the image)
 */
void io_set_max_length(int64_t max);

/* The command named @name (or its alias), or NULL */
const IoCmd *io_cmd_find(const char *name);
/* The @i-th command in name order, NULL past the last (for suggestions) */
const IoCmd *io_cmd_nth(int i);

/* aio_read/aio_write completions that failed or mismatched -P, so far */
uint64_t io_aio_failures(void);
/* aio_read/aio_write requests issued and not completed */
unsigned io_aio_pending(void);

/* Wait until every aio_read/aio_write issued by the commands completed */
void io_drain_aio(void);

#endif
