/*
 * QList: a singly linked list with a tail pointer (append is O(1)).
 */
#include "util/qlist.h"

QList *qlist_new(void)
{
    QList *ql = g_new0(QList, 1);

    ql->base.type = QTYPE_QLIST;
    ql->base.refcnt = 1;
    return ql;
}

void qlist_append_obj(QList *qlist, QObject *value)
{
    QListEntry *e = g_new0(QListEntry, 1);

    assert(value);
    e->value = value;
    if (qlist->tail) {
        qlist->tail->next = e;
    } else {
        qlist->head = e;
    }
    qlist->tail = e;
    qlist->size++;
}

void qlist_append_int(QList *qlist, int64_t value)
{
    qlist_append(qlist, qnum_from_int(value));
}

void qlist_append_bool(QList *qlist, bool value)
{
    qlist_append(qlist, qbool_from_bool(value));
}

void qlist_append_str(QList *qlist, const char *value)
{
    qlist_append(qlist, qstring_from_str(value));
}

void qlist_append_null(QList *qlist)
{
    qlist_append(qlist, qnull());
}

QObject *qlist_pop(QList *qlist)
{
    QListEntry *e;
    QObject *value;

    if (!qlist || !qlist->head) {
        return NULL;
    }
    e = qlist->head;
    qlist->head = e->next;
    if (!qlist->head) {
        qlist->tail = NULL;
    }
    qlist->size--;
    value = e->value;
    g_free(e);
    return value;
}

QObject *qlist_peek(QList *qlist)
{
    return qlist && qlist->head ? qlist->head->value : NULL;
}

bool qlist_empty(const QList *qlist)
{
    return qlist->head == NULL;
}

size_t qlist_size(const QList *qlist)
{
    return qlist->size;
}

QList *qlist_copy(const QList *src)
{
    QList *dst = qlist_new();

    for (const QListEntry *e = src->head; e; e = e->next) {
        qlist_append_obj(dst, qobject_ref(e->value));
    }
    return dst;
}

bool qlist_is_equal(const QObject *x, const QObject *y)
{
    const QListEntry *a = qobject_to(QList, x)->head;
    const QListEntry *b = qobject_to(QList, y)->head;

    for (; a && b; a = a->next, b = b->next) {
        if (!qobject_is_equal(a->value, b->value)) {
            return false;
        }
    }
    return !a && !b;
}

void qlist_destroy_obj(QObject *obj)
{
    QList *ql = qobject_to(QList, obj);
    QListEntry *e, *next;

    for (e = ql->head; e; e = next) {
        next = e->next;
        qobject_unref(e->value);
        g_free(e);
    }
    g_free(ql);
}
