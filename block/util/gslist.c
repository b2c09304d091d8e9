/*
 * GSList and a pointer-set GHashTable: just enough for the QEMU signatures
 * that name them.  The set is open addressing on pointer values; the graph
 * code uses it for "visited" sets of a few hundred nodes at most.
 */
#include "util/osdep.h"
#include "util/gslist.h"

GSList *g_slist_prepend(GSList *list, void *data)
{
    GSList *l = g_new(GSList, 1);

    l->data = data;
    l->next = list;
    return l;
}

GSList *g_slist_append(GSList *list, void *data)
{
    GSList *l = g_new(GSList, 1);
    GSList *tail = list;

    l->data = data;
    l->next = NULL;
    if (!list) {
        return l;
    }
    while (tail->next) {
        tail = tail->next;
    }
    tail->next = l;
    return list;
}

GSList *g_slist_remove(GSList *list, const void *data)
{
    GSList **pp = &list;

    for (; *pp; pp = &(*pp)->next) {
        if ((*pp)->data == data) {
            GSList *dead = *pp;
            *pp = dead->next;
            g_free(dead);
            break;
        }
    }
    return list;
}

GSList *g_slist_find(GSList *list, const void *data)
{
    for (; list; list = list->next) {
        if (list->data == data) {
            return list;
        }
    }
    return NULL;
}

GSList *g_slist_reverse(GSList *list)
{
    GSList *prev = NULL;

    while (list) {
        GSList *next = list->next;
        list->next = prev;
        prev = list;
        list = next;
    }
    return prev;
}

size_t g_slist_length(GSList *list)
{
    size_t n = 0;

    for (; list; list = list->next) {
        n++;
    }
    return n;
}

void g_slist_free(GSList *list)
{
    while (list) {
        GSList *next = list->next;
        g_free(list);
        list = next;
    }
}

/* Slots hold keys; NULL is empty, GHASH_TOMBSTONE a removed key */
#define GHASH_TOMBSTONE ((void *)&g_hash_table_tombstone)
static const char g_hash_table_tombstone;

#define GHASH_INLINE_SLOTS 16

struct GHashTable {
    void **slots;
    size_t capacity; /* power of two */
    size_t used;     /* keys plus tombstones */
    size_t size;     /* keys */
    /* The first slots: the graph's walks make small sets, one allocation */
    void *inline_slots[GHASH_INLINE_SLOTS];
};

static size_t ghash_index(const GHashTable *set, const void *key)
{
    uint64_t h = (uintptr_t)key;

    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h & (set->capacity - 1);
}

GHashTable *g_hash_table_new(GHashFunc hash, GEqualFunc equal)
{
    GHashTable *set = g_new0(GHashTable, 1);

    assert(!hash && !equal); /* only direct pointer keys are supported */
    set->capacity = GHASH_INLINE_SLOTS;
    set->slots = set->inline_slots;
    return set;
}

static void **ghash_find(GHashTable *set, const void *key)
{
    size_t i = ghash_index(set, key);

    while (set->slots[i]) {
        if (set->slots[i] == key) {
            return &set->slots[i];
        }
        i = (i + 1) & (set->capacity - 1);
    }
    return NULL;
}

static void ghash_grow(GHashTable *set)
{
    void **old = set->slots;
    size_t old_cap = set->capacity;

    set->capacity *= 2;
    set->slots = g_new0(void *, set->capacity);
    set->used = set->size;
    for (size_t i = 0; i < old_cap; i++) {
        if (old[i] && old[i] != GHASH_TOMBSTONE) {
            size_t j = ghash_index(set, old[i]);
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

bool g_hash_table_add(GHashTable *set, void *key)
{
    size_t i;

    assert(key && key != GHASH_TOMBSTONE);
    if (ghash_find(set, key)) {
        return false;
    }
    if ((set->used + 1) * 2 > set->capacity) {
        ghash_grow(set);
    }
    i = ghash_index(set, key);
    while (set->slots[i] && set->slots[i] != GHASH_TOMBSTONE) {
        i = (i + 1) & (set->capacity - 1);
    }
    if (!set->slots[i]) {
        set->used++;
    }
    set->slots[i] = key;
    set->size++;
    return true;
}

bool g_hash_table_contains(GHashTable *set, const void *key)
{
    return key && ghash_find(set, key) != NULL;
}

bool g_hash_table_remove(GHashTable *set, const void *key)
{
    void **slot = key ? ghash_find(set, key) : NULL;

    if (!slot) {
        return false;
    }
    *slot = GHASH_TOMBSTONE;
    set->size--;
    return true;
}

size_t g_hash_table_size(GHashTable *set)
{
    return set->size;
}

void g_hash_table_destroy(GHashTable *set)
{
    if (set) {
        if (set->slots != set->inline_slots) {
            g_free(set->slots);
        }
        g_free(set);
    }
}
