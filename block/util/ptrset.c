/*
 * PtrSet (util/ptrset.h): open addressing with linear probing on pointer
 * values, grown at half full, tombstones for removed keys.
 */
#include "util/osdep.h"
#include "util/ptrset.h"

/* Slots hold keys; NULL is empty, PTRSET_TOMBSTONE a removed key */
static const char ptrset_tombstone;
#define PTRSET_TOMBSTONE ((void *)&ptrset_tombstone)

static size_t ptrset_index(const PtrSet *set, const void *key)
{
    uint64_t h = (uintptr_t)key;

    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h & (set->capacity - 1);
}

void ptrset_init(PtrSet *set)
{
    memset(set->inline_slots, 0, sizeof(set->inline_slots));
    set->slots = set->inline_slots;
    set->capacity = PTRSET_INLINE_SLOTS;
    set->used = 0;
    set->size = 0;
}

void ptrset_destroy(PtrSet *set)
{
    if (set->slots != set->inline_slots) {
        g_free(set->slots);
    }
    set->slots = NULL;
}

static void **ptrset_find(const PtrSet *set, const void *key)
{
    size_t i = ptrset_index(set, key);

    while (set->slots[i]) {
        if (set->slots[i] == key) {
            return &set->slots[i];
        }
        i = (i + 1) & (set->capacity - 1);
    }
    return NULL;
}

static void ptrset_grow(PtrSet *set)
{
    void **old = set->slots;
    size_t old_cap = set->capacity;

    set->capacity *= 2;
    set->slots = g_new0(void *, set->capacity);
    set->used = set->size;
    for (size_t i = 0; i < old_cap; i++) {
        if (old[i] && old[i] != PTRSET_TOMBSTONE) {
            size_t j = ptrset_index(set, old[i]);
            while (set->slots[j]) {
                j = (j + 1) & (set->capacity - 1);
            }
            set->slots[j] = old[i];
        }
    }
    if (old != set->inline_slots) {
        g_free(old);
    }
}

bool ptrset_add(PtrSet *set, void *key)
{
    size_t i;

    assert(key && key != PTRSET_TOMBSTONE);
    if (ptrset_find(set, key)) {
        return false;
    }
    if ((set->used + 1) * 2 > set->capacity) {
        ptrset_grow(set);
    }
    i = ptrset_index(set, key);
    while (set->slots[i] && set->slots[i] != PTRSET_TOMBSTONE) {
        i = (i + 1) & (set->capacity - 1);
    }
    if (!set->slots[i]) {
        set->used++;
    }
    set->slots[i] = key;
    set->size++;
    return true;
}

bool ptrset_contains(const PtrSet *set, const void *key)
{
    return key && ptrset_find(set, key) != NULL;
}

bool ptrset_remove(PtrSet *set, const void *key)
{
    void **slot = key ? ptrset_find(set, key) : NULL;

    if (!slot) {
        return false;
    }
    *slot = PTRSET_TOMBSTONE;
    set->size--;
    return true;
}

size_t ptrset_size(const PtrSet *set)
{
    return set->size;
}
