/*
 * qlist.h: QList, an ordered list of QObjects.
 */
#ifndef DRYDOCK_UTIL_QLIST_H
#define DRYDOCK_UTIL_QLIST_H

#include "util/qobject.h"
#include "util/qnum.h"
#include "util/qstring.h"
#include "util/qbool.h"

typedef struct QListEntry {
    QObject *value;
    struct QListEntry *next;
} QListEntry;

struct QList {
    QObjectBase_ base;
    QListEntry *head;
    QListEntry *tail;
    size_t size;
};

QList *qlist_new(void);
/* Takes ownership of value */
void qlist_append_obj(QList *qlist, QObject *value);
/* Takes ownership of obj, which may be any QObject subtype pointer */
#define qlist_append(qlist, obj) qlist_append_obj((qlist), QOBJECT(obj))
void qlist_append_int(QList *qlist, int64_t value);
void qlist_append_bool(QList *qlist, bool value);
void qlist_append_str(QList *qlist, const char *value);
void qlist_append_null(QList *qlist);
/* Removes and returns the first element (caller owns it); NULL if empty */
QObject *qlist_pop(QList *qlist);
/* The first element, borrowed; NULL if empty */
QObject *qlist_peek(QList *qlist);
bool qlist_empty(const QList *qlist);
size_t qlist_size(const QList *qlist);
/* A new list holding new references to the same elements */
QList *qlist_copy(const QList *src);

static inline const QListEntry *qlist_first(const QList *qlist)
{
    return qlist->head;
}

static inline const QListEntry *qlist_next(const QListEntry *entry)
{
    return entry->next;
}

static inline QObject *qlist_entry_obj(const QListEntry *entry)
{
    return entry->value;
}

/* `const QListEntry *e; QLIST_FOREACH_ENTRY(list, e) { ... }` */
#define QLIST_FOREACH_ENTRY(qlist, var) \
    for ((var) = qlist_first(qlist); (var); (var) = qlist_next(var))

bool qlist_is_equal(const QObject *x, const QObject *y);
void qlist_destroy_obj(QObject *obj);

#endif /* DRYDOCK_UTIL_QLIST_H */
