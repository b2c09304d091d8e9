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
/* The buffer's current bytes and length; NULL if there is no such buffer */
const uint8_t *mem_image_get(const char *name, size_t *len);
/* Forget a buffer (nodes still open on it keep their reference) */
void mem_image_delete(const char *name);
/* Forget all buffers */
void mem_image_delete_all(void);

/* Largest buffer the driver will hold (a named limit against hostile sizes) */
#define MEM_IMAGE_MAX_SIZE (1ULL << 32)

#endif
