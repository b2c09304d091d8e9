/*
 * qjson.h: JSON (RFC 8259) to QObject and back.
 *
 * The parser accepts one JSON value (any type) surrounded by optional
 * whitespace. Objects become QDicts (duplicate keys are rejected),
 * arrays QLists, strings QStrings (\uXXXX escapes including surrogate
 * pairs are decoded to UTF-8; raw bytes must be valid UTF-8; \u0000 is
 * rejected because QStrings are NUL-terminated), integer literals QNums
 * holding int64 when they fit, else uint64, else double; literals with a
 * fraction or exponent are doubles. Nesting deeper than JSON_MAX_DEPTH is
 * rejected. Errors name the byte offset and line:column. As an extension
 * (QEMU's), strings may also be single-quoted ('it\'s', with \' escape
 * and a literal '"'), so command lines like json:{'driver': 'raw'} work.
 *
 * The writer produces QEMU's layout: compact `{"a": 1, "b": [1, 2]}`, or
 * pretty with 4-space indentation. Non-ASCII characters are written as
 * \uXXXX escapes, so output is always ASCII.
 */
#ifndef DRYDOCK_UTIL_QJSON_H
#define DRYDOCK_UTIL_QJSON_H

#include "util/qobject.h"
#include "util/qdict.h"

typedef struct Error Error;

/* Maximum nesting of arrays and objects accepted by the parser */
#define JSON_MAX_DEPTH 1024

QObject *qobject_from_json(const char *string, Error **errp);
/* As above, for input that need not be NUL-terminated */
QObject *qobject_from_json_len(const char *string, size_t len, Error **errp);
/* Parse, requiring a JSON object */
QDict *qdict_from_json(const char *string, Error **errp);

QString *qobject_to_json(const QObject *obj);
QString *qobject_to_json_pretty(const QObject *obj, bool pretty);
/* g_free the result */
char *qobject_to_json_str(const QObject *obj, bool pretty);

#endif /* DRYDOCK_UTIL_QJSON_H */
