/*
 * A sparse shadow of a disk's guest-visible bytes for the fuzz targets:
 * each byte is known (its expected value) or unknown (after an advisory
 * discard or a failed request).  Bytes never touched are known and hold
 * the base content (zeroes, or a backing file's pattern below base_len).
 * Pages are 4 KiB, kept in a hash table and recycled across inputs.
 */
#ifndef FUZZ_FUZZ_SHADOW_H
#define FUZZ_FUZZ_SHADOW_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#define FUZZ_SHADOW_SLOTS 4096

typedef struct FuzzShadowPage FuzzShadowPage;

typedef struct FuzzShadow {
    uint8_t (*base)(int64_t off);   /* NULL: zeroes */
    int64_t base_len;
    bool all_unknown;               /* untouched bytes are unknown too */
    int nb_pages;
    FuzzShadowPage *slots[FUZZ_SHADOW_SLOTS];
} FuzzShadow;

void fuzz_shadow_reset(FuzzShadow *sh, uint8_t (*base)(int64_t off),
                       int64_t base_len);
/* [off, off + len) now holds @data (NULL: zeroes) */
void fuzz_shadow_set(FuzzShadow *sh, int64_t off, int64_t len,
                     const uint8_t *data);
void fuzz_shadow_forget(FuzzShadow *sh, int64_t off, int64_t len);
void fuzz_shadow_forget_all(FuzzShadow *sh);
/* The disk went from @old_size to @size bytes */
void fuzz_shadow_truncate(FuzzShadow *sh, int64_t size, int64_t old_size);
void fuzz_shadow_copy(FuzzShadow *dst, const FuzzShadow *src);
/* abort() at a known byte @buf does not match; learn the unknown ones */
void fuzz_shadow_check(FuzzShadow *sh, int64_t off, int64_t len,
                       const uint8_t *buf, const char *what);

#endif /* FUZZ_FUZZ_SHADOW_H */
