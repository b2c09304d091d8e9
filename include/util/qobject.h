/*
 * qobject.h: reference-counted, dynamically typed values (QEMU's QObject).
 *
 * Every concrete type (QNull, QNum, QString, QBool, QList, QDict) starts
 * with a QObjectBase_ named `base`; QOBJECT(x) converts a pointer to any of
 * them into a QObject *, qobject_to(Type, obj) converts back (NULL when obj
 * is NULL or of another type).
 *
 * Ownership: functions that "take" a QObject consume one reference (e.g.
 * qdict_put_obj, qlist_append_obj); getters return borrowed pointers.
 * Reference counts are atomic, so sharing a value between threads is safe
 * as long as nobody mutates it.
 */
#ifndef DRYDOCK_UTIL_QOBJECT_H
#define DRYDOCK_UTIL_QOBJECT_H

#include "util/osdep.h"

typedef enum QType {
    QTYPE_NONE,
    QTYPE_QNULL,
    QTYPE_QNUM,
    QTYPE_QSTRING,
    QTYPE_QDICT,
    QTYPE_QLIST,
    QTYPE_QBOOL,
    QTYPE__MAX,
} QType;

typedef struct QObjectBase_ {
    QType type;
    size_t refcnt;
} QObjectBase_;

typedef struct QObject {
    QObjectBase_ base;
} QObject;

typedef struct QNull {
    QObjectBase_ base;
} QNull;

typedef struct QNum QNum;
typedef struct QString QString;
typedef struct QBool QBool;
typedef struct QList QList;
typedef struct QDict QDict;

/* Used by qobject_to(): maps a type name to its QType */
#define QTYPE_CAST_TO_QNull   QTYPE_QNULL
#define QTYPE_CAST_TO_QNum    QTYPE_QNUM
#define QTYPE_CAST_TO_QString QTYPE_QSTRING
#define QTYPE_CAST_TO_QDict   QTYPE_QDICT
#define QTYPE_CAST_TO_QList   QTYPE_QLIST
#define QTYPE_CAST_TO_QBool   QTYPE_QBOOL

static inline const void *qobject_base_check_(const QObjectBase_ *base)
{
    return base;
}

/*
 * Any QObject subtype pointer (or NULL) to QObject *. The second branch is
 * never evaluated: it only makes the compiler check that x has a `base`
 * of type QObjectBase_ (and it avoids dereferencing a NULL x). Like
 * QEMU's, it drops a const qualifier.
 */
#define QOBJECT(x) \
    ((QObject *)(1 ? (void *)(x) : (void *)qobject_base_check_(&(x)->base)))

void *qobject_check_type(const QObject *obj, QType type);
#define qobject_to(type, obj) \
    ((type *)qobject_check_type((obj), QTYPE_CAST_TO_##type))

QObject *qobject_ref_impl(QObject *obj);
void qobject_unref_impl(QObject *obj);

/* Take a reference; returns obj with its own type. NULL is allowed. */
#define qobject_ref(obj) ((__typeof__(obj))qobject_ref_impl(QOBJECT(obj)))
/* Drop a reference, destroying the value with the last one; NULL is ok */
#define qobject_unref(obj) qobject_unref_impl(QOBJECT(obj))

static inline QType qobject_type(const QObject *obj)
{
    assert(obj && obj->base.type > QTYPE_NONE && obj->base.type < QTYPE__MAX);
    return obj->base.type;
}

/*
 * Deep equality. Numbers compare by value across representations
 * (int 1 == uint 1; a double equals an integer only if exactly equal);
 * NULL equals only NULL.
 */
bool qobject_is_equal(const QObject *x, const QObject *y);

/* The null singleton: returns a new reference to it */
QNull *qnull(void);

/* Human-readable name of a QType ("dict", "string", ...) */
const char *qtype_name(QType type);

#endif /* DRYDOCK_UTIL_QOBJECT_H */
