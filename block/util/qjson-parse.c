/*
 * JSON text to QObject: a recursive-descent parser for RFC 8259.
 *
 * Input is untrusted (json: filenames, fuzzers): every byte is checked,
 * nesting is bounded by JSON_MAX_DEPTH, and every failure becomes an
 * Error that names the position; nothing here asserts on input.
 */
#include "util/qjson.h"
#include "util/error.h"

typedef struct JSONParser {
    const char *s;
    size_t len;
    size_t pos;
    int depth;
    Error **errp;
    bool failed;        /* an error was reported (errp may be NULL) */
} JSONParser;

static QObject *qjson_parse_value(JSONParser *p);

/* Report an error at the current position; only the first one counts */
static void G_GNUC_PRINTF(2, 3) qjson_error(JSONParser *p, const char *fmt,
                                            ...)
{
    unsigned line = 1, col = 1;
    va_list ap;
    char *what;

    if (p->failed) {
        return;
    }
    p->failed = true;
    for (size_t i = 0; i < p->pos && i < p->len; i++) {
        if (p->s[i] == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
    }
    va_start(ap, fmt);
    what = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    error_setg(p->errp, "Invalid JSON at line %u, column %u (byte %zu): %s",
               line, col, p->pos, what);
    g_free(what);
}

static int qjson_peek(const JSONParser *p)
{
    return p->pos < p->len ? (unsigned char)p->s[p->pos] : -1;
}

static void qjson_skip_ws(JSONParser *p)
{
    while (p->pos < p->len) {
        char c = p->s[p->pos];

        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
            break;
        }
        p->pos++;
    }
}

/* Describe the byte at the current position for an error message */
static void qjson_unexpected(JSONParser *p, const char *expected)
{
    int c = qjson_peek(p);

    if (c < 0) {
        qjson_error(p, "unexpected end of input, expected %s", expected);
    } else if (c >= 0x20 && c < 0x7f) {
        qjson_error(p, "unexpected '%c', expected %s", c, expected);
    } else {
        qjson_error(p, "unexpected byte 0x%02x, expected %s", c, expected);
    }
}

static bool qjson_literal(JSONParser *p, const char *word)
{
    size_t n = strlen(word);

    if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n)) {
        qjson_unexpected(p, "a JSON value");
        return false;
    }
    p->pos += n;
    return true;
}

static int qjson_hexval(int c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* Four hex digits at p->pos (after "\u"); -1 after reporting an error */
static long qjson_hex4(JSONParser *p)
{
    long v = 0;

    for (int i = 0; i < 4; i++) {
        int d = qjson_hexval(qjson_peek(p));

        if (d < 0) {
            qjson_unexpected(p, "a hex digit in \\u escape");
            return -1;
        }
        v = v * 16 + d;
        p->pos++;
    }
    return v;
}

static void qjson_append_utf8(QString *str, uint32_t cp)
{
    char buf[4];
    size_t n;

    if (cp < 0x80) {
        buf[0] = cp;
        n = 1;
    } else if (cp < 0x800) {
        buf[0] = 0xc0 | (cp >> 6);
        buf[1] = 0x80 | (cp & 0x3f);
        n = 2;
    } else if (cp < 0x10000) {
        buf[0] = 0xe0 | (cp >> 12);
        buf[1] = 0x80 | ((cp >> 6) & 0x3f);
        buf[2] = 0x80 | (cp & 0x3f);
        n = 3;
    } else {
        buf[0] = 0xf0 | (cp >> 18);
        buf[1] = 0x80 | ((cp >> 12) & 0x3f);
        buf[2] = 0x80 | ((cp >> 6) & 0x3f);
        buf[3] = 0x80 | (cp & 0x3f);
        n = 4;
    }
    qstring_append_len(str, buf, n);
}

/* \uXXXX (p->pos just after the 'u'), with surrogate pairs */
static bool qjson_parse_uescape(JSONParser *p, QString *str)
{
    size_t start = p->pos - 2;
    long hi = qjson_hex4(p), lo;

    if (hi < 0) {
        return false;
    }
    if (hi >= 0xdc00 && hi <= 0xdfff) {
        p->pos = start;
        qjson_error(p, "lone low surrogate \\u%04lX", hi);
        return false;
    }
    if (hi >= 0xd800 && hi <= 0xdbff) {
        if (p->len - p->pos < 2 || p->s[p->pos] != '\\' ||
            p->s[p->pos + 1] != 'u') {
            p->pos = start;
            qjson_error(p, "high surrogate \\u%04lX not followed by a low "
                        "surrogate", hi);
            return false;
        }
        p->pos += 2;
        lo = qjson_hex4(p);
        if (lo < 0) {
            return false;
        }
        if (lo < 0xdc00 || lo > 0xdfff) {
            p->pos = start;
            qjson_error(p, "high surrogate \\u%04lX followed by \\u%04lX "
                        "instead of a low surrogate", hi, lo);
            return false;
        }
        qjson_append_utf8(str, 0x10000 + ((hi - 0xd800) << 10) +
                          (lo - 0xdc00));
        return true;
    }
    if (hi == 0) {
        p->pos = start;
        qjson_error(p, "\\u0000 is not supported in strings");
        return false;
    }
    qjson_append_utf8(str, hi);
    return true;
}

static bool qjson_parse_escape(JSONParser *p, QString *str)
{
    /* QEMU also accepts \' (for its single-quoted strings) */
    static const char simple[] = "\"\"''\\\\//b\bf\fn\nr\rt\t";
    int c;

    p->pos++;   /* the backslash */
    c = qjson_peek(p);
    if (c == 'u') {
        p->pos++;
        return qjson_parse_uescape(p, str);
    }
    for (size_t i = 0; c > 0 && i + 1 < sizeof(simple); i += 2) {
        if (simple[i] == c) {
            qstring_append_chr(str, simple[i + 1]);
            p->pos++;
            return true;
        }
    }
    qjson_unexpected(p, "a valid escape character after '\\'");
    return false;
}

/*
 * Length of the well-formed UTF-8 sequence at s (at most avail bytes),
 * or 0 if it is malformed (overlong, surrogate, above U+10FFFF, cut).
 */
static size_t qjson_utf8_len(const unsigned char *s, size_t avail)
{
    uint32_t cp, min;
    size_t n;

    if (s[0] < 0x80) {
        return 1;
    } else if ((s[0] & 0xe0) == 0xc0) {
        n = 2, cp = s[0] & 0x1f, min = 0x80;
    } else if ((s[0] & 0xf0) == 0xe0) {
        n = 3, cp = s[0] & 0x0f, min = 0x800;
    } else if ((s[0] & 0xf8) == 0xf0) {
        n = 4, cp = s[0] & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (avail < n) {
        return 0;
    }
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80) {
            return 0;
        }
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
        return 0;
    }
    return n;
}

/*
 * A string starting at its opening quote: '"', or '\'' as QEMU allows;
 * NULL after an error
 */
static QString *qjson_parse_string(JSONParser *p)
{
    QString *str = qstring_new();
    char quote = p->s[p->pos++];
    for (;;) {
        int c = qjson_peek(p);
        size_t start = p->pos, n;

        if (c < 0) {
            qjson_error(p, "unterminated string");
            goto fail;
        }
        if (c == quote) {
            p->pos++;
            return str;
        }
        if (c == '\\') {
            if (!qjson_parse_escape(p, str)) {
                goto fail;
            }
            continue;
        }
        if (c < 0x20) {
            qjson_error(p, "control character 0x%02x in string", c);
            goto fail;
        }
        /* Copy a run of plain bytes, validating UTF-8 as we go */
        while (p->pos < p->len) {
            const unsigned char *u = (const unsigned char *)p->s + p->pos;

            if (*u == quote || *u == '\\' || *u < 0x20) {
                break;
            }
            n = qjson_utf8_len(u, p->len - p->pos);
            if (!n) {
                qjson_error(p, "invalid UTF-8 byte 0x%02x in string", *u);
                goto fail;
            }
            p->pos += n;
        }
        qstring_append_len(str, p->s + start, p->pos - start);
    }
fail:
    qobject_unref(str);
    return NULL;
}

static size_t qjson_skip_digits(JSONParser *p)
{
    size_t n = 0;

    while (qjson_peek(p) >= '0' && qjson_peek(p) <= '9') {
        p->pos++;
        n++;
    }
    return n;
}

/* Convert a syntactically valid number token to a QNum */
static QObject *qjson_number_value(JSONParser *p, const char *tok,
                                   bool integral, size_t start)
{
    double d;

    errno = 0;
    if (integral && tok[0] == '-') {
        long long v = strtoll(tok, NULL, 10);

        if (errno == 0) {
            return QOBJECT(qnum_from_int(v));
        }
    } else if (integral) {
        unsigned long long v = strtoull(tok, NULL, 10);

        if (errno == 0) {
            return v <= INT64_MAX ? QOBJECT(qnum_from_int(v))
                                  : QOBJECT(qnum_from_uint(v));
        }
    }
    errno = 0;
    d = strtod(tok, NULL);
    if (errno == ERANGE && (d > 1 || d < -1)) {
        p->pos = start;
        qjson_error(p, "number '%.32s' is out of range", tok);
        return NULL;
    }
    return QOBJECT(qnum_from_double(d));
}

static QObject *qjson_parse_number(JSONParser *p)
{
    size_t start = p->pos;
    bool integral = true;
    QObject *value;
    char *tok;

    if (qjson_peek(p) == '-') {
        p->pos++;
    }
    if (qjson_peek(p) == '0') {
        p->pos++;
    } else if (!qjson_skip_digits(p)) {
        qjson_unexpected(p, "a digit");
        return NULL;
    }
    if (qjson_peek(p) == '.') {
        integral = false;
        p->pos++;
        if (!qjson_skip_digits(p)) {
            qjson_unexpected(p, "a digit after '.'");
            return NULL;
        }
    }
    if (qjson_peek(p) == 'e' || qjson_peek(p) == 'E') {
        integral = false;
        p->pos++;
        if (qjson_peek(p) == '+' || qjson_peek(p) == '-') {
            p->pos++;
        }
        if (!qjson_skip_digits(p)) {
            qjson_unexpected(p, "a digit in the exponent");
            return NULL;
        }
    }
    /* The input need not be NUL-terminated: convert a private copy */
    tok = g_strndup(p->s + start, p->pos - start);
    value = qjson_number_value(p, tok, integral, start);
    g_free(tok);
    return value;
}

static bool qjson_enter(JSONParser *p)
{
    if (p->depth >= JSON_MAX_DEPTH) {
        qjson_error(p, "nesting deeper than %d levels", JSON_MAX_DEPTH);
        return false;
    }
    p->depth++;
    p->pos++;   /* '{' or '[' */
    qjson_skip_ws(p);
    return true;
}

/* One "key": value member into dict */
static bool qjson_parse_member(JSONParser *p, QDict *dict)
{
    size_t key_pos = p->pos;
    QString *key;
    QObject *value;

    if (qjson_peek(p) != '"' && qjson_peek(p) != '\'') {
        qjson_unexpected(p, "a string as object key");
        return false;
    }
    key = qjson_parse_string(p);
    if (!key) {
        return false;
    }
    if (qdict_haskey(dict, qstring_get_str(key))) {
        p->pos = key_pos;
        qjson_error(p, "duplicate key '%.64s'", qstring_get_str(key));
        qobject_unref(key);
        return false;
    }
    qjson_skip_ws(p);
    if (qjson_peek(p) != ':') {
        qjson_unexpected(p, "':' after object key");
        qobject_unref(key);
        return false;
    }
    p->pos++;
    value = qjson_parse_value(p);
    if (value) {
        qdict_put_obj(dict, qstring_get_str(key), value);
    }
    qobject_unref(key);
    return value != NULL;
}

static QObject *qjson_parse_object(JSONParser *p)
{
    QDict *dict;

    if (!qjson_enter(p)) {
        return NULL;
    }
    dict = qdict_new();
    if (qjson_peek(p) != '}') {
        for (;;) {
            if (!qjson_parse_member(p, dict)) {
                goto fail;
            }
            qjson_skip_ws(p);
            if (qjson_peek(p) == '}') {
                break;
            }
            if (qjson_peek(p) != ',') {
                qjson_unexpected(p, "',' or '}' in object");
                goto fail;
            }
            p->pos++;
            qjson_skip_ws(p);
        }
    }
    p->pos++;
    p->depth--;
    return QOBJECT(dict);
fail:
    qobject_unref(dict);
    return NULL;
}

static QObject *qjson_parse_array(JSONParser *p)
{
    QList *list;

    if (!qjson_enter(p)) {
        return NULL;
    }
    list = qlist_new();
    if (qjson_peek(p) != ']') {
        for (;;) {
            QObject *value = qjson_parse_value(p);

            if (!value) {
                goto fail;
            }
            qlist_append_obj(list, value);
            qjson_skip_ws(p);
            if (qjson_peek(p) == ']') {
                break;
            }
            if (qjson_peek(p) != ',') {
                qjson_unexpected(p, "',' or ']' in array");
                goto fail;
            }
            p->pos++;
        }
    }
    p->pos++;
    p->depth--;
    return QOBJECT(list);
fail:
    qobject_unref(list);
    return NULL;
}

/* Any value, after optional whitespace; NULL after an error */
static QObject *qjson_parse_value(JSONParser *p)
{
    int c;

    qjson_skip_ws(p);
    c = qjson_peek(p);
    switch (c) {
    case '{':
        return qjson_parse_object(p);
    case '[':
        return qjson_parse_array(p);
    case '"':
    case '\'':
        return QOBJECT(qjson_parse_string(p));
    case 't':
        return qjson_literal(p, "true") ? QOBJECT(qbool_from_bool(true))
                                        : NULL;
    case 'f':
        return qjson_literal(p, "false") ? QOBJECT(qbool_from_bool(false))
                                         : NULL;
    case 'n':
        return qjson_literal(p, "null") ? QOBJECT(qnull()) : NULL;
    default:
        if (c == '-' || (c >= '0' && c <= '9')) {
            return qjson_parse_number(p);
        }
        qjson_unexpected(p, "a JSON value");
        return NULL;
    }
}

QObject *qobject_from_json_len(const char *string, size_t len, Error **errp)
{
    JSONParser p = { .s = string, .len = len, .errp = errp };
    QObject *obj = qjson_parse_value(&p);

    if (!obj) {
        /* Every NULL return path reported an error */
        assert(p.failed);
        return NULL;
    }
    qjson_skip_ws(&p);
    if (p.pos < p.len) {
        qjson_unexpected(&p, "end of input after the JSON value");
        qobject_unref(obj);
        return NULL;
    }
    return obj;
}

QObject *qobject_from_json(const char *string, Error **errp)
{
    return qobject_from_json_len(string, strlen(string), errp);
}

QDict *qdict_from_json(const char *string, Error **errp)
{
    QObject *obj = qobject_from_json(string, errp);
    QDict *dict = qobject_to(QDict, obj);

    if (obj && !dict) {
        error_setg(errp, "Expected a JSON object, got a %s",
                   qtype_name(qobject_type(obj)));
        qobject_unref(obj);
    }
    return dict;
}
