/*
 * Helpers of the qcow2 snapshot tests (qcow2_snap_common.c): patterned
 * I/O, snapshot calls through the bdrv_snapshot_* API, check and the
 * COPIED flags of the active tables of a mem image.
 */
#ifndef TESTS_UNIT_QCOW2_SNAP_COMMON_H
#define TESTS_UNIT_QCOW2_SNAP_COMMON_H

#include <stdbool.h>
#include <stdint.h>

#include "block/block-backend.h"

#define QSNAP_COPIED (1ULL << 63)
#define QSNAP_OFFSET_MASK 0x00fffffffffffe00ULL

/* Open qcow2 image @name (mem, or a path), which must succeed */
BlockBackend *qsnap_open(const char *name, int flags);
/* A pattern of byte @b everywhere (what qemu-io -P writes) */
#define QSNAP_BYTE(b) (0x100 | (b))

/* The bytes [offset, offset + len) of pattern @seed (seed < 0: zeroes) */
void qsnap_fill(uint8_t *buf, int64_t offset, int64_t len, int seed);
/* Write / compare pattern @seed at @offset */
void qsnap_write(BlockBackend *blk, int64_t offset, int64_t len, int seed);
bool qsnap_reads(BlockBackend *blk, int64_t offset, int64_t len, int seed);
/* A snapshot @name (id @id, or chosen by the driver when NULL) */
int qsnap_create(BlockBackend *blk, const char *id, const char *name);
int qsnap_goto(BlockBackend *blk, const char *id_or_name);
/* Save pattern @seed as VM state, or load and compare it: len or -errno
 * (-EILSEQ: other data) */
int qsnap_vmstate(BlockBackend *blk, bool save, int64_t pos, int len,
                  int seed);
int qsnap_count(BlockBackend *blk);
/* drydock's check: no corruption, @leaks leaks */
void qsnap_check(BlockBackend *blk, int leaks);
/* Every COPIED flag of the active tables of mem image @name matches the
 * refcount (closed or flushed image) */
void qsnap_check_copied(const char *name);

/*
 * Failures half-way: mem image @name gets pattern 1 over 256 KiB,
 * snapshot "a", pattern 2 over 8 KiB; then @op runs over blkdebug with
 * the first write after @event failing, or every write after it when
 * @crash.  The result of @op.
 */
enum { QSNAP_OP_CREATE, QSNAP_OP_GOTO, QSNAP_OP_DELETE, QSNAP_OPS };
#define QSNAP_FAIL_EVENTS 5
extern const char *const qsnap_fail_events[QSNAP_FAIL_EVENTS];
int qsnap_failing_op(const char *name, const char *event, int op,
                     bool crash);

/* Group fixtures: a temporary directory for tmp_path(), mem images */
int qsnap_group_setup(void **state);
int qsnap_group_teardown(void **state);

#endif
