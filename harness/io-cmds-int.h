/*
 * Shared between the files of the qemu-io command set (not for users of
 * io-cmds.h).
 */
#ifndef HARNESS_IO_CMDS_INT_H
#define HARNESS_IO_CMDS_INT_H

#include "io-cmds.h"
#include "io-output.h"

void io_rw_cmds_register(void);
void io_aio_cmds_register(void);
void io_misc_cmds_register(void);
void io_debug_cmds_register(void);

/* A buffer for @len bytes filled with @pattern (honours -m); io_free it */
void *io_alloc(BlockBackend *blk, size_t len, int pattern);
void io_free(void *p);

/* -P's argument: 0..255, or prints why not and returns -EINVAL */
int io_parse_pattern(const char *arg);

/* A byte count argument: its value or prints the parse error (< 0) */
int64_t io_parse_num(const char *arg);

/* A request length: also at most BDRV_REQUEST_MAX_BYTES */
int64_t io_parse_len(const char *arg);

/* The lengths @argv[0..nr-1] as one vector of pattern-filled buffers */
int io_create_iovec(BlockBackend *blk, QEMUIOVector *qiov, char **argv,
                    int nr, int pattern);
void io_destroy_iovec(QEMUIOVector *qiov);

/* "Pattern verification failed ..." unless qiov is all @pattern */
int io_verify_qiov(QEMUIOVector *qiov, int64_t offset, int pattern);

#endif
