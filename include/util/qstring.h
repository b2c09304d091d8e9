/*
 * qstring.h: QString, a growable NUL-terminated string.
 */
#ifndef DRYDOCK_UTIL_QSTRING_H
#define DRYDOCK_UTIL_QSTRING_H

#include "util/qobject.h"

struct QString {
    QObjectBase_ base;
    char *string;
    size_t length;
    size_t capacity;
};

QString *qstring_new(void);
QString *qstring_from_str(const char *str);
/*
 * The string literal @lit (a string that lives as long as the program) as
 * a QString shared by every caller and never freed, with a new reference:
 * for constant values put in many dictionaries, whose strings are never
 * changed in place.  drydock's, not QEMU's.
 */
QString *qstring_from_literal(const char *lit);
/* The bytes str[start, end) */
QString *qstring_from_substr(const char *str, size_t start, size_t end);
/* Takes ownership of a g_malloc'ed string */
QString *qstring_from_gstring(char *str);
const char *qstring_get_str(const QString *qstring);
size_t qstring_get_length(const QString *qstring);
void qstring_append(QString *qstring, const char *str);
void qstring_append_len(QString *qstring, const char *str, size_t len);
void qstring_append_chr(QString *qstring, int c);
void qstring_append_int(QString *qstring, int64_t value);
void qstring_append_printf(QString *qstring, const char *fmt, ...)
    G_GNUC_PRINTF(2, 3);
/*
 * Drops one reference. If it was the last one, returns the string buffer
 * (caller g_frees it); otherwise returns a copy.
 */
char *qstring_free(QString *qstring, bool return_str);

bool qstring_is_equal(const QObject *x, const QObject *y);
void qstring_destroy_obj(QObject *obj);

#endif /* DRYDOCK_UTIL_QSTRING_H */
