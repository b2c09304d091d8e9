/*
 * Unit tests for the JSON parser and writer (qjson-parse.c, qjson-format.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "util/error.h"
#include "util/qjson.h"
#include "test-common.h"

static char *to_json(const QObject *obj)
{
    return qobject_to_json_str(obj, false);
}

/* Parse in, write compact, compare */
static void assert_roundtrip(const char *in, const char *expected)
{
    Error *err = NULL;
    QObject *obj = qobject_from_json(in, &err);
    char *out;

    if (!obj) {
        fail_msg("'%s' failed: %s", in, error_get_pretty(err));
    }
    out = to_json(obj);
    assert_string_equal(out, expected);
    g_free(out);
    qobject_unref(obj);
}

/* Parsing must fail with an Error whose message contains fragment */
static void assert_rejects_len(const char *in, size_t len,
                               const char *fragment)
{
    Error *err = NULL;
    QObject *obj = qobject_from_json_len(in, len, &err);

    if (obj) {
        char *s = to_json(obj);
        fail_msg("accepted invalid input, got %s", s);
    }
    assert_non_null(err);
    assert_true(strncmp(error_get_pretty(err), "Invalid JSON at line ",
                        21) == 0);
    if (fragment && !strstr(error_get_pretty(err), fragment)) {
        fail_msg("'%s' lacks '%s'", error_get_pretty(err), fragment);
    }
    error_free(err);
    /* errp NULL must also be safe */
    assert_null(qobject_from_json_len(in, len, NULL));
}

static void assert_rejects(const char *in, const char *fragment)
{
    assert_rejects_len(in, strlen(in), fragment);
}

static void test_scalars(void **state)
{
    assert_roundtrip("true", "true");
    assert_roundtrip(" false ", "false");
    assert_roundtrip("\tnull\r\n", "null");
    assert_roundtrip("\"str\"", "\"str\"");
    assert_roundtrip("0", "0");
    assert_roundtrip("-0", "0");
    assert_roundtrip("-12", "-12");
    assert_roundtrip("1.5", "1.5");
    assert_roundtrip("-2.5e3", "-2500");
    assert_roundtrip("1E-2", "0.01");
    assert_roundtrip("0.1", "0.1");
    assert_roundtrip("1e16", "10000000000000000");
    assert_roundtrip("1.5e20", "1.5e+20");
    assert_roundtrip("-1.25e-7", "-1.25e-07");
}

static void test_number_kinds(void **state)
{
    QNum *n;

    n = qobject_to(QNum, qobject_from_json("9223372036854775807", NULL));
    assert_int_equal(n->kind, QNUM_I64);
    assert_true(qnum_get_int(n) == INT64_MAX);
    qobject_unref(n);

    n = qobject_to(QNum, qobject_from_json("-9223372036854775808", NULL));
    assert_int_equal(n->kind, QNUM_I64);
    assert_true(qnum_get_int(n) == INT64_MIN);
    qobject_unref(n);

    /* Above INT64_MAX: uint64 */
    n = qobject_to(QNum, qobject_from_json("18446744073709551615", NULL));
    assert_int_equal(n->kind, QNUM_U64);
    assert_true(qnum_get_uint(n) == UINT64_MAX);
    qobject_unref(n);

    /* Beyond both: double */
    n = qobject_to(QNum, qobject_from_json("18446744073709551616", NULL));
    assert_int_equal(n->kind, QNUM_DOUBLE);
    assert_true(qnum_get_double(n) == 18446744073709551616.0);
    qobject_unref(n);
    n = qobject_to(QNum, qobject_from_json("-9223372036854775809", NULL));
    assert_int_equal(n->kind, QNUM_DOUBLE);
    qobject_unref(n);

    /* A fraction or exponent always makes a double */
    n = qobject_to(QNum, qobject_from_json("2.0", NULL));
    assert_int_equal(n->kind, QNUM_DOUBLE);
    qobject_unref(n);
    n = qobject_to(QNum, qobject_from_json("1e2", NULL));
    assert_int_equal(n->kind, QNUM_DOUBLE);
    assert_true(qnum_get_double(n) == 100.0);
    qobject_unref(n);
}

static void test_containers(void **state)
{
    assert_roundtrip("{}", "{}");
    assert_roundtrip("[]", "[]");
    assert_roundtrip(" { \"a\" : [ 1 , 2 , { } ] , \"b\":{\"c\":null} } ",
                     "{\"a\": [1, 2, {}], \"b\": {\"c\": null}}");
    /* Insertion order is kept */
    assert_roundtrip("{\"z\": 1, \"a\": 2, \"m\": 3}",
                     "{\"z\": 1, \"a\": 2, \"m\": 3}");
    assert_roundtrip("[[[[]]]]", "[[[[]]]]");
}

static void test_string_escapes(void **state)
{
    QString *s;

    s = qobject_to(QString, qobject_from_json(
        "\"q\\\" b\\\\ s\\/ \\b\\f\\n\\r\\t\"", &error_abort));
    assert_string_equal(qstring_get_str(s), "q\" b\\ s/ \b\f\n\r\t");
    qobject_unref(s);

    /* \u escapes: 1, 2, 3 and 4 UTF-8 bytes (the last via a pair) */
    s = qobject_to(QString, qobject_from_json(
        "\"\\u0041\\u00e9\\u20AC\\ud83d\\ude00\"", &error_abort));
    assert_string_equal(qstring_get_str(s),
                        "A\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
    qobject_unref(s);

    /* Raw UTF-8 is accepted as-is */
    s = qobject_to(QString, qobject_from_json("\"caf\xc3\xa9\"",
                                              &error_abort));
    assert_string_equal(qstring_get_str(s), "caf\xc3\xa9");
    qobject_unref(s);
}

/* QEMU's extension: single-quoted strings */
static void test_single_quotes(void **state)
{
    assert_roundtrip("{'driver': 'raw', 'file': {'filename': 'a\"b'}}",
                     "{\"driver\": \"raw\", \"file\": {\"filename\": "
                     "\"a\\\"b\"}}");
    assert_roundtrip("'it\\'s'", "\"it's\"");
    assert_roundtrip("\"it\\'s\"", "\"it's\"");
    assert_roundtrip("['\\u00e9']", "[\"\\u00E9\"]");
}

static void test_writer_escapes(void **state)
{
    /* Non-ASCII becomes upper-case \u escapes, as QEMU writes them */
    assert_roundtrip("\"\\u00e9\\u007f\\t\\\"\\\\x/\"",
                     "\"\\u00E9\\u007F\\t\\\"\\\\x/\"");
    assert_roundtrip("\"\\ud83d\\ude00\"", "\"\\uD83D\\uDE00\"");
    assert_roundtrip("\"\\u0001\\u001f\"", "\"\\u0001\\u001F\"");
}

static void test_writer_invalid_utf8(void **state)
{
    /* Strings built in C may hold invalid UTF-8: written as U+FFFD */
    QString *s = qstring_from_str("a\xff" "b\xc3");
    char *out = to_json(QOBJECT(s));

    assert_string_equal(out, "\"a\\uFFFDb\\uFFFD\"");
    g_free(out);
    qobject_unref(s);
}

static void test_writer_doubles(void **state)
{
    QList *l = qlist_new();
    char *out;

    qlist_append(l, qnum_from_double(1.0 / 0.0));
    qlist_append(l, qnum_from_double(0.0 / 0.0));
    qlist_append(l, qnum_from_double(1e300));
    out = to_json(QOBJECT(l));
    /* JSON cannot spell infinities or NaN: null, never "inf" */
    assert_string_equal(out, "[null, null, 1e+300]");
    g_free(out);
    qobject_unref(l);
}

static void test_pretty(void **state)
{
    QObject *obj = qobject_from_json(
        "{\"a\": 1, \"b\": [true, {\"c\": \"d\"}], \"e\": {}, \"f\": []}",
        &error_abort);
    char *out = qobject_to_json_str(obj, true);

    assert_string_equal(out,
                        "{\n"
                        "    \"a\": 1,\n"
                        "    \"b\": [\n"
                        "        true,\n"
                        "        {\n"
                        "            \"c\": \"d\"\n"
                        "        }\n"
                        "    ],\n"
                        "    \"e\": {\n"
                        "    },\n"
                        "    \"f\": [\n"
                        "    ]\n"
                        "}");
    g_free(out);
    qobject_unref(obj);
}

static void test_qstring_variants(void **state)
{
    QObject *obj = qobject_from_json("[1, \"x\"]", &error_abort);
    QString *a = qobject_to_json(obj), *b = qobject_to_json_pretty(obj, true);

    assert_string_equal(qstring_get_str(a), "[1, \"x\"]");
    assert_string_equal(qstring_get_str(b), "[\n    1,\n    \"x\"\n]");
    qobject_unref(a);
    qobject_unref(b);
    qobject_unref(obj);
}

static void test_qdict_from_json(void **state)
{
    Error *err = NULL;
    QDict *d = qdict_from_json("{\"k\": \"v\"}", &error_abort);

    assert_string_equal(qdict_get_str(d, "k"), "v");
    qobject_unref(d);
    assert_null(qdict_from_json("[1]", &err));
    assert_string_equal(error_get_pretty(err),
                        "Expected a JSON object, got a list");
    error_free(err);
}

static void test_malformed(void **state)
{
    assert_rejects("", "end of input");
    assert_rejects("   ", "end of input");
    assert_rejects("{", "end of input");
    assert_rejects("{\"a\"", "':'");
    assert_rejects("{\"a\":", "end of input");
    assert_rejects("{\"a\":1", "',' or '}'");
    assert_rejects("{\"a\":1,}", "string as object key");
    assert_rejects("{a:1}", "string as object key");
    assert_rejects("[1,]", "JSON value");
    assert_rejects("[1 2]", "',' or ']'");
    assert_rejects("[", "end of input");
    assert_rejects("\"abc", "unterminated string");
    assert_rejects("tru", "JSON value");
    assert_rejects("nul", "JSON value");
    assert_rejects("truex", "end of input after");
    assert_rejects("1 2", "end of input after");
    assert_rejects("{} {}", "end of input after");
    assert_rejects("'unterminated", "unterminated string");
    assert_rejects("{'a': 1, \"a\": 2}", "duplicate key 'a'");
    assert_rejects("+1", "unexpected '+'");
    assert_rejects("01", "end of input after");
    assert_rejects("1.", "digit after '.'");
    assert_rejects(".5", "unexpected '.'");
    assert_rejects("1e", "exponent");
    assert_rejects("1e+", "exponent");
    assert_rejects("-", "digit");
    assert_rejects("1e999", "out of range");
    assert_rejects("-1e999", "out of range");
    assert_rejects("NaN", "unexpected 'N'");
    assert_rejects("{\"a\": 1, \"a\": 2}", "duplicate key 'a'");
}

static void test_bad_strings(void **state)
{
    assert_rejects("\"\\x\"", "escape");
    assert_rejects("\"\\", "end of input");
    assert_rejects("\"\\u12\"", "hex digit");
    assert_rejects("\"\\u12G4\"", "hex digit");
    assert_rejects("\"\\u0000\"", "\\u0000");
    assert_rejects("\"\\udc00\"", "lone low surrogate");
    assert_rejects("\"\\ud800\"", "not followed by a low surrogate");
    assert_rejects("\"\\ud800x\"", "not followed by a low surrogate");
    assert_rejects("\"\\ud800\\u0041\"", "instead of a low surrogate");
    assert_rejects("\"\\ud800\\u", "hex digit");
    assert_rejects("\"a\tb\"", "control character 0x09");
    assert_rejects("\"a\nb\"", "control character");
    /* Invalid UTF-8: stray continuation, overlong, surrogate, truncated */
    assert_rejects("\"\x80\"", "invalid UTF-8");
    assert_rejects("\"\xc0\xaf\"", "invalid UTF-8");
    assert_rejects("\"\xed\xa0\x80\"", "invalid UTF-8");
    assert_rejects("\"\xf4\x90\x80\x80\"", "invalid UTF-8");
    assert_rejects("\"\xe2\x82\"", "invalid UTF-8");
    assert_rejects("\"\xe2\x82", "invalid UTF-8");
    assert_rejects("\xff", "byte 0xff");
}

static void test_error_position(void **state)
{
    Error *err = NULL;

    assert_null(qobject_from_json("{\n  \"a\": 1,\n  \"b\" 2\n}", &err));
    assert_string_equal(error_get_pretty(err),
                        "Invalid JSON at line 3, column 7 (byte 18): "
                        "unexpected '2', expected ':' after object key");
    error_free(err);
}

static void test_embedded_nul(void **state)
{
    /* The _len variant sees bytes past a NUL: it must reject them */
    static const char in[] = "[1, \"a\0b\"]";
    static const char trailing[] = "1\0 2";

    assert_rejects_len(in, sizeof(in) - 1, "control character 0x00");
    assert_rejects_len(trailing, sizeof(trailing) - 1, "byte 0x00");
}

/* A string of n '[' (or '{"a":') followed by the matching closers */
static char *nested(int n, bool objects)
{
    QString *s = qstring_new();

    for (int i = 0; i < n; i++) {
        qstring_append(s, objects ? "{\"a\":" : "[");
    }
    qstring_append(s, "1");
    for (int i = 0; i < n; i++) {
        qstring_append_chr(s, objects ? '}' : ']');
    }
    return qstring_free(s, true);
}

static void test_depth_limit(void **state)
{
    char *ok = nested(JSON_MAX_DEPTH, false);
    char *too_deep = nested(JSON_MAX_DEPTH + 1, false);
    char *objs = nested(JSON_MAX_DEPTH + 1, true);
    QObject *obj;
    char *huge;

    obj = qobject_from_json(ok, &error_abort);
    assert_non_null(obj);
    qobject_unref(obj);
    assert_rejects(too_deep, "nesting deeper than 1024");
    assert_rejects(objs, "nesting deeper than 1024");

    /* Hostile: a megabyte of '[' fails fast and without stack overflow */
    huge = g_malloc(1 << 20);
    memset(huge, '[', (1 << 20) - 1);
    huge[(1 << 20) - 1] = '\0';
    assert_rejects(huge, "nesting deeper");
    g_free(huge);
    g_free(ok);
    g_free(too_deep);
    g_free(objs);
}

/*
 * Every prefix of a valid document is either rejected cleanly or (for
 * a few prefixes such as "1") valid; none may crash or leak.
 */
static void test_all_truncations(void **state)
{
    const char *doc = "{\"a\": [1, -2.5e3, true, false, null, "
                      "\"s\\u00e9\\ud83d\\ude00\\n\"], \"b\": {\"c\": {}}}";
    size_t len = strlen(doc);

    for (size_t i = 0; i < len; i++) {
        Error *err = NULL;
        QObject *obj = qobject_from_json_len(doc, i, &err);

        assert_null(obj);
        assert_non_null(err);
        error_free(err);
    }
    assert_roundtrip(doc, "{\"a\": [1, -2500, true, false, null, "
                     "\"s\\u00E9\\uD83D\\uDE00\\n\"], \"b\": {\"c\": {}}}");
}

/* Cheap deterministic byte mutations of a seed document */
static void test_mutations(void **state)
{
    const char *seed = "{\"driver\": \"qcow2\", \"file\": {\"driver\": "
                       "\"file\", \"filename\": \"/tmp/x\"}, \"n\": [1, 2.5, "
                       "-3e2, true, null, \"\\u00e9\"]}";
    static const char bytes[] = "{}[]\":,\\u0e-+.tfn \x80\xff\x00";
    size_t len = strlen(seed);
    uint64_t rng = 0x9e3779b97f4a7c15ull;
    char *buf = g_malloc(len);

    for (int iter = 0; iter < 20000; iter++) {
        QObject *obj;

        memcpy(buf, seed, len);
        for (int k = 0; k < 1 + iter % 4; k++) {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            buf[rng % len] = bytes[(rng >> 32) % (sizeof(bytes) - 1)];
        }
        obj = qobject_from_json_len(buf, len, NULL);
        if (obj) {
            /* Whatever parsed must write and re-parse to an equal value */
            char *out = to_json(obj);
            QObject *again = qobject_from_json(out, &error_abort);

            assert_true(qobject_is_equal(obj, again));
            qobject_unref(again);
            g_free(out);
            qobject_unref(obj);
        }
    }
    g_free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_scalars),
        T(test_number_kinds),
        T(test_containers),
        T(test_string_escapes),
        T(test_single_quotes),
        T(test_writer_escapes),
        T(test_writer_invalid_utf8),
        T(test_writer_doubles),
        T(test_pretty),
        T(test_qstring_variants),
        T(test_qdict_from_json),
        T(test_malformed),
        T(test_bad_strings),
        T(test_error_position),
        T(test_embedded_nul),
        T(test_depth_limit),
        T(test_all_truncations),
        T(test_mutations),
    };

    return test_common_run_group(tests, NULL, NULL);
}
