/*
 * The bytes of one mem buffer (private to the mem protocol driver).
 *
 * A store of @len bytes is cut into MEM_CHUNK_SIZE chunks, each backed by
 * its own allocation on first write and listed in a two-level table whose
 * leaves are allocated on first use, so that a write costs what it writes
 * whatever its offset.  Unbacked chunks read as zeroes.  A contiguous view
 * (mem_store_flatten) moves chunks [0, flat_len) into one allocation that
 * the store then uses in place of the table for them; small initial data
 * starts out as such a view.
 *
 * Invariant: every backed byte at or past @len is zero, so that a growth
 * needs no zeroing.  Callers serialize all calls on one store.
 */
#ifndef MEM_STORE_H
#define MEM_STORE_H

#include "block/driver.h"

#define MEM_CHUNK_SHIFT 12
#define MEM_CHUNK_SIZE (1ULL << MEM_CHUNK_SHIFT)

typedef struct MemStore {
    uint64_t len;
    uint8_t ***leaves;          /* leaves[i][j]: chunk i * leaf size + j */
    size_t nleaves;             /* entries in leaves, enough for len */
    uint8_t *flat;              /* bytes [0, flat_len), or NULL */
    uint64_t flat_len;          /* a multiple of MEM_CHUNK_SIZE */
    uint64_t flat_cap;          /* flat's allocated size, >= flat_len */
} MemStore;

/* @len bytes, the first @size (<= @len) from @data; -ENOMEM */
int mem_store_init(MemStore *s, const void *data, uint64_t size,
                   uint64_t len);
void mem_store_destroy(MemStore *s);
/*
 * Make an initialised store hold what mem_store_init() would, reusing its
 * memory where it can; -ENOMEM leaves it empty (len 0)
 */
int mem_store_reset(MemStore *s, const void *data, uint64_t size,
                    uint64_t len);

/* Copy [@offset, +@bytes) into @qiov at @qiov_offset; past len: zeroes */
void mem_store_read(MemStore *s, uint64_t offset, uint64_t bytes,
                    QEMUIOVector *qiov, size_t qiov_offset);
/*
 * Whether [@offset, +*@pnum) is backed (true) or reads as zeroes without
 * memory (false), *@pnum (> 0) as long as that holds up to @bytes (> 0)
 */
bool mem_store_status(MemStore *s, uint64_t offset, uint64_t bytes,
                      uint64_t *pnum);
/* Copy @qiov into [@offset, +@bytes), inside len; -ENOMEM */
int mem_store_write(MemStore *s, uint64_t offset, uint64_t bytes,
                    QEMUIOVector *qiov, size_t qiov_offset);
/* Make [@offset, +@bytes) read as zeroes, freeing the chunks it covers */
void mem_store_zero(MemStore *s, uint64_t offset, uint64_t bytes);
/* Change the length; bytes past a shrink are forgotten; -ENOMEM */
int mem_store_truncate(MemStore *s, uint64_t len);
/*
 * All len bytes in one allocation (NULL if out of memory), which the
 * store keeps using: valid and updated by the calls above until the next
 * mem_store_truncate() that changes len, or mem_store_destroy()
 */
const uint8_t *mem_store_flatten(MemStore *s);

#endif
