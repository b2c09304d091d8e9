/*
 * PtrSet: a set of pointers (open addressing on the pointer values) whose
 * first slots live in the set itself.  The graph walks (invariant check,
 * limits and permission refreshes, child cycle checks) make one per call
 * on the stack and most visit a handful of nodes: no allocation then.
 * A PtrSet must not be copied or moved once initialised.  GHashTable (the
 * heap-allocated set of QEMU's signatures, util/gslist.h) is one of these.
 */
#ifndef UTIL_PTRSET_H
#define UTIL_PTRSET_H

#include <stdbool.h>
#include <stddef.h>

#define PTRSET_INLINE_SLOTS 32   /* power of two; half of them usable */

typedef struct PtrSet {
    void **slots;       /* inline_slots until the set outgrows them */
    size_t capacity;    /* power of two */
    size_t used;        /* keys plus tombstones */
    size_t size;        /* keys */
    void *inline_slots[PTRSET_INLINE_SLOTS];
} PtrSet;

void ptrset_init(PtrSet *set);
void ptrset_destroy(PtrSet *set);
bool ptrset_add(PtrSet *set, void *key);        /* true if new; key != NULL */
bool ptrset_contains(const PtrSet *set, const void *key);
bool ptrset_remove(PtrSet *set, const void *key); /* true if it was there */
size_t ptrset_size(const PtrSet *set);

#endif
