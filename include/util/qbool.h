/*
 * qbool.h: QBool, a boolean value.
 */
#ifndef DRYDOCK_UTIL_QBOOL_H
#define DRYDOCK_UTIL_QBOOL_H

#include "util/qobject.h"

struct QBool {
    QObjectBase_ base;
    bool value;
};

/* One of two shared QBools (they never change), with a new reference */
QBool *qbool_from_bool(bool value);
bool qbool_get_bool(const QBool *qb);

bool qbool_is_equal(const QObject *x, const QObject *y);

#endif /* DRYDOCK_UTIL_QBOOL_H */
