/*
 * QObject to JSON text, in the layout QEMU's tools print: compact
 * `{"a": 1, "b": [2, 3]}` or pretty with 4-space indentation.
 */
#include <math.h>

#include "util/qjson.h"

#define QJSON_INDENT 4

static void qjson_format_value(QString *out, const QObject *obj, bool pretty,
                               int level);

static void qjson_newline(QString *out, bool pretty, int level)
{
    if (pretty) {
        qstring_append_printf(out, "\n%*s", level * QJSON_INDENT, "");
    }
}

/*
 * Decode one UTF-8 sequence at s; returns its length, or 0 if malformed
 * (the caller then emits U+FFFD for one byte).
 */
static size_t qjson_format_utf8(const unsigned char *s, uint32_t *cp)
{
    uint32_t v, min;
    size_t n;

    if ((s[0] & 0xe0) == 0xc0) {
        n = 2, v = s[0] & 0x1f, min = 0x80;
    } else if ((s[0] & 0xf0) == 0xe0) {
        n = 3, v = s[0] & 0x0f, min = 0x800;
    } else if ((s[0] & 0xf8) == 0xf0) {
        n = 4, v = s[0] & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    /* A NUL terminator fails the continuation test, so no overrun */
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80) {
            return 0;
        }
        v = (v << 6) | (s[i] & 0x3f);
    }
    if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) {
        return 0;
    }
    *cp = v;
    return n;
}

/* A quoted string; output is pure ASCII (QEMU escapes in upper-case hex) */
static void qjson_format_string(QString *out, const char *str)
{
    const unsigned char *s = (const unsigned char *)str;

    qstring_append_chr(out, '"');
    while (*s) {
        uint32_t cp;
        size_t n;

        switch (*s) {
        case '"':  qstring_append(out, "\\\""); break;
        case '\\': qstring_append(out, "\\\\"); break;
        case '\b': qstring_append(out, "\\b"); break;
        case '\f': qstring_append(out, "\\f"); break;
        case '\n': qstring_append(out, "\\n"); break;
        case '\r': qstring_append(out, "\\r"); break;
        case '\t': qstring_append(out, "\\t"); break;
        default:
            if (*s >= 0x20 && *s < 0x7f) {
                qstring_append_chr(out, *s);
                break;
            }
            if (*s < 0x80) {
                qstring_append_printf(out, "\\u%04X", *s);
                break;
            }
            n = qjson_format_utf8(s, &cp);
            if (!n) {
                qstring_append(out, "\\uFFFD");
                break;
            }
            if (cp >= 0x10000) {
                cp -= 0x10000;
                qstring_append_printf(out, "\\u%04X\\u%04X",
                                      0xd800 + (cp >> 10),
                                      0xdc00 + (cp & 0x3ff));
            } else {
                qstring_append_printf(out, "\\u%04X", cp);
            }
            s += n;
            continue;
        }
        s++;
    }
    qstring_append_chr(out, '"');
}

static void qjson_format_number(QString *out, const QNum *qn)
{
    char *s;

    /* JSON has no spelling for these; null is the least surprising */
    if (qn->kind == QNUM_DOUBLE && !isfinite(qn->u.dbl)) {
        qstring_append(out, "null");
        return;
    }
    s = qnum_to_string(qn);
    qstring_append(out, s);
    g_free(s);
}

static void qjson_format_dict(QString *out, const QDict *dict, bool pretty,
                              int level)
{
    const QDictEntry *e;

    qstring_append_chr(out, '{');
    for (e = qdict_first(dict); e; e = qdict_next(dict, e)) {
        if (e != qdict_first(dict)) {
            qstring_append_chr(out, ',');
            if (!pretty) {
                qstring_append_chr(out, ' ');
            }
        }
        qjson_newline(out, pretty, level + 1);
        qjson_format_string(out, qdict_entry_key(e));
        qstring_append(out, ": ");
        qjson_format_value(out, qdict_entry_value(e), pretty, level + 1);
    }
    qjson_newline(out, pretty, level);
    qstring_append_chr(out, '}');
}

static void qjson_format_list(QString *out, const QList *list, bool pretty,
                              int level)
{
    const QListEntry *e;

    qstring_append_chr(out, '[');
    QLIST_FOREACH_ENTRY(list, e) {
        if (e != qlist_first(list)) {
            qstring_append_chr(out, ',');
            if (!pretty) {
                qstring_append_chr(out, ' ');
            }
        }
        qjson_newline(out, pretty, level + 1);
        qjson_format_value(out, qlist_entry_obj(e), pretty, level + 1);
    }
    qjson_newline(out, pretty, level);
    qstring_append_chr(out, ']');
}

static void qjson_format_value(QString *out, const QObject *obj, bool pretty,
                               int level)
{
    switch (qobject_type(obj)) {
    case QTYPE_QNULL:
        qstring_append(out, "null");
        break;
    case QTYPE_QNUM:
        qjson_format_number(out, qobject_to(QNum, obj));
        break;
    case QTYPE_QSTRING:
        qjson_format_string(out, qstring_get_str(qobject_to(QString, obj)));
        break;
    case QTYPE_QDICT:
        qjson_format_dict(out, qobject_to(QDict, obj), pretty, level);
        break;
    case QTYPE_QLIST:
        qjson_format_list(out, qobject_to(QList, obj), pretty, level);
        break;
    case QTYPE_QBOOL:
        qstring_append(out, qbool_get_bool(qobject_to(QBool, obj))
                            ? "true" : "false");
        break;
    default:
        g_assert_not_reached();
    }
}

QString *qobject_to_json_pretty(const QObject *obj, bool pretty)
{
    QString *out = qstring_new();

    qjson_format_value(out, obj, pretty, 0);
    return out;
}

QString *qobject_to_json(const QObject *obj)
{
    return qobject_to_json_pretty(obj, false);
}

char *qobject_to_json_str(const QObject *obj, bool pretty)
{
    return qstring_free(qobject_to_json_pretty(obj, pretty), true);
}
