/*
 * QNum: numbers as int64, uint64 or double.
 */
#include "util/qnum.h"

static QNum *qnum_alloc(QNumKind kind)
{
    QNum *qn = g_new0(QNum, 1);

    qn->base.type = QTYPE_QNUM;
    qn->base.refcnt = 1;
    qn->kind = kind;
    return qn;
}

QNum *qnum_from_int(int64_t value)
{
    QNum *qn = qnum_alloc(QNUM_I64);

    qn->u.i64 = value;
    return qn;
}

QNum *qnum_from_uint(uint64_t value)
{
    QNum *qn = qnum_alloc(QNUM_U64);

    qn->u.u64 = value;
    return qn;
}

QNum *qnum_from_double(double value)
{
    QNum *qn = qnum_alloc(QNUM_DOUBLE);

    qn->u.dbl = value;
    return qn;
}

bool qnum_get_try_int(const QNum *qn, int64_t *val)
{
    switch (qn->kind) {
    case QNUM_I64:
        *val = qn->u.i64;
        return true;
    case QNUM_U64:
        if (qn->u.u64 > INT64_MAX) {
            return false;
        }
        *val = qn->u.u64;
        return true;
    case QNUM_DOUBLE:
        return false;
    }
    g_assert_not_reached();
}

int64_t qnum_get_int(const QNum *qn)
{
    int64_t val;
    bool ok = qnum_get_try_int(qn, &val);

    assert(ok);
    return val;
}

bool qnum_get_try_uint(const QNum *qn, uint64_t *val)
{
    switch (qn->kind) {
    case QNUM_I64:
        if (qn->u.i64 < 0) {
            return false;
        }
        *val = qn->u.i64;
        return true;
    case QNUM_U64:
        *val = qn->u.u64;
        return true;
    case QNUM_DOUBLE:
        return false;
    }
    g_assert_not_reached();
}

uint64_t qnum_get_uint(const QNum *qn)
{
    uint64_t val;
    bool ok = qnum_get_try_uint(qn, &val);

    assert(ok);
    return val;
}

double qnum_get_double(const QNum *qn)
{
    switch (qn->kind) {
    case QNUM_I64:
        return qn->u.i64;
    case QNUM_U64:
        return qn->u.u64;
    case QNUM_DOUBLE:
        return qn->u.dbl;
    }
    g_assert_not_reached();
}

/*
 * The shortest "%.Ng" that reads back as the same double, so 0.1 prints
 * as "0.1" rather than "0.10000000000000001".
 */
static char *qnum_double_to_string(double d)
{
    char buf[64];

    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof(buf), "%.*g", prec, d);
        if (strtod(buf, NULL) == d) {
            break;
        }
    }
    /*
     * Short precision turns whole numbers like 2500 into "2.5e+03"; below
     * 1e17 %.17g prints those exactly and without exponent.
     */
    if (strchr(buf, 'e') && (d >= 1 || d <= -1) && d < 1e17 && d > -1e17) {
        snprintf(buf, sizeof(buf), "%.17g", d);
    }
    return g_strdup(buf);
}

char *qnum_to_string(const QNum *qn)
{
    switch (qn->kind) {
    case QNUM_I64:
        return g_strdup_printf("%" PRId64, qn->u.i64);
    case QNUM_U64:
        return g_strdup_printf("%" PRIu64, qn->u.u64);
    case QNUM_DOUBLE:
        return qnum_double_to_string(qn->u.dbl);
    }
    g_assert_not_reached();
}

bool qnum_is_equal(const QObject *x, const QObject *y)
{
    const QNum *a = qobject_to(QNum, x), *b = qobject_to(QNum, y);
    int64_t ia, ib;
    uint64_t ua, ub;

    if (a->kind == QNUM_DOUBLE || b->kind == QNUM_DOUBLE) {
        /*
         * A double equals an integer only if the integer converts to it
         * exactly and back (2^63 as a double must not equal INT64_MAX).
         */
        if (a->kind == QNUM_DOUBLE && b->kind == QNUM_DOUBLE) {
            return a->u.dbl == b->u.dbl;
        }
        if (a->kind != QNUM_DOUBLE) {
            const QNum *t = a;
            a = b;
            b = t;
        }
        /* now a is the double, b an integer */
        if (b->kind == QNUM_I64) {
            return a->u.dbl >= -9223372036854775808.0 &&
                   a->u.dbl < 9223372036854775808.0 &&
                   (int64_t)a->u.dbl == b->u.i64 &&
                   (double)(int64_t)a->u.dbl == a->u.dbl;
        }
        return a->u.dbl >= 0 && a->u.dbl < 18446744073709551616.0 &&
               (uint64_t)a->u.dbl == b->u.u64 &&
               (double)(uint64_t)a->u.dbl == a->u.dbl;
    }
    if (qnum_get_try_int(a, &ia) && qnum_get_try_int(b, &ib)) {
        return ia == ib;
    }
    if (qnum_get_try_uint(a, &ua) && qnum_get_try_uint(b, &ub)) {
        return ua == ub;
    }
    return false;
}

void qnum_destroy_obj(QObject *obj)
{
    g_free(qobject_to(QNum, obj));
}
