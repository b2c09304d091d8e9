/*
 * QObject base: reference counting, type checks, equality, plus the two
 * trivial types QNull and QBool.
 */
#include "util/qobject.h"
#include "util/qbool.h"
#include "util/qdict.h"
#include "util/qlist.h"
#include "util/qnum.h"
#include "util/qstring.h"

/* Starts with one reference that is never dropped: never destroyed */
static QNull qobject_qnull = { .base = { .type = QTYPE_QNULL, .refcnt = 1 } };

QNull *qnull(void)
{
    return qobject_ref(&qobject_qnull);
}

void *qobject_check_type(const QObject *obj, QType type)
{
    if (!obj || qobject_type(obj) != type) {
        return NULL;
    }
    return (void *)obj;
}

QObject *qobject_ref_impl(QObject *obj)
{
    if (obj) {
        size_t old = __atomic_fetch_add(&obj->base.refcnt, 1,
                                        __ATOMIC_RELAXED);
        assert(old > 0);
    }
    return obj;
}

static void qobject_destroy(QObject *obj)
{
    switch (qobject_type(obj)) {
    case QTYPE_QNUM:
        qnum_destroy_obj(obj);
        break;
    case QTYPE_QSTRING:
        qstring_destroy_obj(obj);
        break;
    case QTYPE_QDICT:
        qdict_destroy_obj(obj);
        break;
    case QTYPE_QLIST:
        qlist_destroy_obj(obj);
        break;
    default:
        /* The null and the two QBools keep their first reference forever */
        g_assert_not_reached();
    }
}

void qobject_unref_impl(QObject *obj)
{
    size_t old;

    if (!obj) {
        return;
    }
    old = __atomic_fetch_sub(&obj->base.refcnt, 1, __ATOMIC_ACQ_REL);
    assert(old > 0);
    if (old == 1) {
        qobject_destroy(obj);
    }
}

bool qobject_is_equal(const QObject *x, const QObject *y)
{
    if (x == y) {
        return true;
    }
    if (!x || !y || qobject_type(x) != qobject_type(y)) {
        return false;
    }
    switch (qobject_type(x)) {
    case QTYPE_QNULL:
        return true;
    case QTYPE_QNUM:
        return qnum_is_equal(x, y);
    case QTYPE_QSTRING:
        return qstring_is_equal(x, y);
    case QTYPE_QDICT:
        return qdict_is_equal(x, y);
    case QTYPE_QLIST:
        return qlist_is_equal(x, y);
    case QTYPE_QBOOL:
        return qbool_is_equal(x, y);
    default:
        g_assert_not_reached();
    }
}

const char *qtype_name(QType type)
{
    static const char *const names[QTYPE__MAX] = {
        [QTYPE_NONE] = "none",
        [QTYPE_QNULL] = "null",
        [QTYPE_QNUM] = "number",
        [QTYPE_QSTRING] = "string",
        [QTYPE_QDICT] = "dict",
        [QTYPE_QLIST] = "list",
        [QTYPE_QBOOL] = "bool",
    };

    assert(type >= 0 && type < QTYPE__MAX);
    return names[type];
}

/* QBool */

/*
 * A QBool never changes after it is made, so there are only two, shared
 * like the null (atomic reference counts): option dictionaries and image
 * information put many, each an allocation before
 */
static QBool qobject_qbool[2] = {
    { .base = { .type = QTYPE_QBOOL, .refcnt = 1 }, .value = false },
    { .base = { .type = QTYPE_QBOOL, .refcnt = 1 }, .value = true },
};

QBool *qbool_from_bool(bool value)
{
    return qobject_ref(&qobject_qbool[value]);
}

bool qbool_get_bool(const QBool *qb)
{
    return qb->value;
}

bool qbool_is_equal(const QObject *x, const QObject *y)
{
    return qobject_to(QBool, x)->value == qobject_to(QBool, y)->value;
}

