/*
 * The "mem" protocol: images held in memory buffers, addressed by name.
 * Filenames "mem:NAME" (or options driver=mem,filename=NAME) open the
 * buffer called NAME; creating "mem:NAME" makes an empty one.  Fuzz targets
 * put their input in a buffer and open it with no disk I/O.
 */
#ifndef BLOCK_MEM_H
#define BLOCK_MEM_H

#include "block/block-common.h"

/* Create or replace buffer @name with a copy of @data (may be NULL: zeroes) */
int mem_image_set(const char *name, const void *data, size_t len,
                  Error **errp);
/*
 * The same for a buffer of @len bytes whose first @size come from @data
 * and the rest read as zeroes (not allocated until written)
 */
int mem_image_set_sparse(const char *name, const void *data, size_t size,
                         size_t len, Error **errp);
/*
 * Give the existing buffer @name new bytes in place, as
 * mem_image_set_sparse() would: nodes open on it read the new bytes and
 * length from their next request on, as a file rewritten under an open
 * descriptor (a fuzz target keeps one node open on its input's buffer).
 * -ENOENT if there is no such buffer; -ENOMEM leaves it empty.  The
 * buffer's memory is reused where it can be.
 */
int mem_image_rewrite(const char *name, const void *data, size_t size,
                      size_t len, Error **errp);
/*
 * The buffer's current bytes and length; NULL if there is no such buffer
 * or no memory for it.  The driver keeps a buffer in chunks backed on
 * first write; the first call (and the first after a growth) copies them
 * into one allocation of all len bytes, O(len), which the buffer then
 * uses itself: the pointer stays valid and shows every later write, zero
 * write and discard through the driver until the buffer's length changes
 * (a truncate) or the buffer is freed (deleted or replaced, and its last
 * node closed).  Later calls return the same pointer in O(1).
 */
const uint8_t *mem_image_get(const char *name, size_t *len);
/* Whether buffer @name exists: O(1), nothing is copied (unlike mem_image_get) */
bool mem_image_exists(const char *name);
/* Forget a buffer (nodes still open on it keep their reference) */
void mem_image_delete(const char *name);
/* Forget all buffers */
void mem_image_delete_all(void);

/* Largest buffer the driver will hold (a named limit against hostile sizes) */
#define MEM_IMAGE_MAX_SIZE (1ULL << 32)

#endif
