/*
 * Minimal stand-ins for the two GLib containers that QEMU's block API
 * names in its signatures (GSList, GHashTable used as a pointer set).
 * Our own implementation; drydock does not use GLib.
 */
#ifndef UTIL_GSLIST_H
#define UTIL_GSLIST_H

#include <stdbool.h>
#include <stddef.h>

typedef struct GSList {
    void *data;
    struct GSList *next;
} GSList;

GSList *g_slist_prepend(GSList *list, void *data);
GSList *g_slist_append(GSList *list, void *data);
GSList *g_slist_remove(GSList *list, const void *data);
GSList *g_slist_find(GSList *list, const void *data);
GSList *g_slist_reverse(GSList *list);
size_t g_slist_length(GSList *list);
void g_slist_free(GSList *list);

/* A set of pointers (keys only): g_hash_table_new(NULL, NULL) semantics */
typedef struct GHashTable GHashTable;
typedef unsigned (*GHashFunc)(const void *key);
typedef bool (*GEqualFunc)(const void *a, const void *b);

GHashTable *g_hash_table_new(GHashFunc hash, GEqualFunc equal);
bool g_hash_table_add(GHashTable *set, void *key);     /* true if new */
bool g_hash_table_contains(GHashTable *set, const void *key);
bool g_hash_table_remove(GHashTable *set, const void *key);
size_t g_hash_table_size(GHashTable *set);
void g_hash_table_destroy(GHashTable *set);

#endif
