/*
 * qnum.h: QNum, a number stored as int64, uint64 or double.
 *
 * The representation is chosen by the constructor (and by the JSON parser:
 * integer literals become int64 when they fit, else uint64, else double).
 * Getters convert where this is exact.
 */
#ifndef DRYDOCK_UTIL_QNUM_H
#define DRYDOCK_UTIL_QNUM_H

#include "util/qobject.h"

typedef enum QNumKind {
    QNUM_I64,
    QNUM_U64,
    QNUM_DOUBLE,
} QNumKind;

struct QNum {
    QObjectBase_ base;
    QNumKind kind;
    union {
        int64_t i64;
        uint64_t u64;
        double dbl;
    } u;
};

QNum *qnum_from_int(int64_t value);
QNum *qnum_from_uint(uint64_t value);
QNum *qnum_from_double(double value);

/* true and *val set if qn holds an integer representable as int64 */
bool qnum_get_try_int(const QNum *qn, int64_t *val);
/* Asserts that the value is representable */
int64_t qnum_get_int(const QNum *qn);
bool qnum_get_try_uint(const QNum *qn, uint64_t *val);
uint64_t qnum_get_uint(const QNum *qn);
/* Any kind converts to double (possibly losing precision) */
double qnum_get_double(const QNum *qn);

/* Decimal text (shortest round-tripping form for doubles); g_free it */
char *qnum_to_string(const QNum *qn);

bool qnum_is_equal(const QObject *x, const QObject *y);
void qnum_destroy_obj(QObject *obj);

#endif /* DRYDOCK_UTIL_QNUM_H */
