/*
 * Shared by the image targets (qcow2, qcow2_ops, qcow2_chain, format): an
 * in-memory namespace of images and the parser tour every format gets.
 *
 * Namespace: every image is a buffer of the mem protocol.  Images are
 * opened without their backing file (BDRV_O_NO_BACKING); the name an image
 * records is then looked up among the mem buffers only and, when found,
 * opened with the format it records (a format driver, never a protocol or
 * filter) and attached with bdrv_set_backing_hd.  A recorded name is never
 * a host path, a protocol prefix or a json: filename here.
 */
#ifndef FUZZ_FUZZ_IMAGE_H
#define FUZZ_FUZZ_IMAGE_H

#include "block/block-backend.h"
#include "fuzz-common.h"

/* Backing files are followed this deep (a chain may name itself) */
#define FUZZ_IMAGE_MAX_DEPTH 3

/*
 * Put @data in buffer @name.  A qcow2 image is padded with zeroes to a
 * whole cluster and over the L1 and refcount tables its header names (up
 * to 4 MiB), so seeds can be cut after their last non-zero byte.
 */
void fuzz_image_set(const char *name, const uint8_t *data, size_t size);

/*
 * Open buffer @name with @format (NULL: probe) and @flags, then its
 * backing chain from the namespace (read-only, up to @depth images).
 * @extra: more options (taken), may be NULL.  NULL when the open fails.
 */
BlockBackend *fuzz_image_open(const char *name, const char *format, int flags,
                              int depth, QDict *extra);

/*
 * Attach @bs's recorded backing file (and its own, up to @depth images) if
 * the namespace has it and it is not @bs's own buffer @name (the core
 * refuses such loops too)
 */
void fuzz_image_attach_backing(BlockDriverState *bs, const char *name,
                               int depth);

/* Info, specific info, snapshot list, reads all over, block status/map */
void fuzz_image_tour(BlockBackend *blk);

/* bdrv_check with @fix; tolerates -ENOTSUP and errors */
void fuzz_image_check(BlockBackend *blk, BdrvCheckMode fix);

/*
 * Writes that allocate, copy on write (where a cluster is at most 64 KiB or
 * @input_size bytes), zero writes and a discard
 */
void fuzz_image_writes(BlockBackend *blk, size_t input_size);

/*
 * The parser target body for @format: one open, read-write unless
 * @read_only or the image refuses it; tour, check, repair when the check
 * finds something; if writable, writes and a check again; close.
 */
void fuzz_format_run(const char *format, const uint8_t *data, size_t size,
                     bool read_only);

#endif /* FUZZ_FUZZ_IMAGE_H */
