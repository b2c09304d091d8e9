/*
 * GSList and a pointer-set GHashTable: just enough for the QEMU signatures
 * that name them.  The set is a heap-allocated PtrSet (util/ptrset.h).
 */
#include "util/osdep.h"
#include "util/gslist.h"
#include "util/ptrset.h"

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

/* The set lives on the heap here: QEMU's signatures pass it around */
struct GHashTable {
    PtrSet set;
};

GHashTable *g_hash_table_new(GHashFunc hash, GEqualFunc equal)
{
    GHashTable *table = g_new(GHashTable, 1);

    assert(!hash && !equal); /* only direct pointer keys are supported */
    ptrset_init(&table->set);
    return table;
}

bool g_hash_table_add(GHashTable *table, void *key)
{
    return ptrset_add(&table->set, key);
}

bool g_hash_table_contains(GHashTable *table, const void *key)
{
    return ptrset_contains(&table->set, key);
}

bool g_hash_table_remove(GHashTable *table, const void *key)
{
    return ptrset_remove(&table->set, key);
}

size_t g_hash_table_size(GHashTable *table)
{
    return ptrset_size(&table->set);
}

void g_hash_table_destroy(GHashTable *table)
{
    if (table) {
        ptrset_destroy(&table->set);
        g_free(table);
    }
}
