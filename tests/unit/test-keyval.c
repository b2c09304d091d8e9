/*
 * Unit tests for dotted key=value option strings (block/util/keyval.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "util/error.h"
#include "util/keyval.h"
#include "util/qjson.h"
#include "test-common.h"

static void assert_json(const QObject *obj, const char *expected)
{
    char *s = qobject_to_json_str(obj, false);

    assert_string_equal(s, expected);
    g_free(s);
}

static void assert_parses(const char *params, const char *implied,
                          const char *json)
{
    Error *err = NULL;
    QDict *d = keyval_parse(params, implied, NULL, &err);

    if (!d) {
        fail_msg("'%s' failed: %s", params, error_get_pretty(err));
    }
    assert_json(QOBJECT(d), json);
    qobject_unref(d);
}

/* Both parsers reject params with an Error containing fragment */
static void assert_rejects(const char *params, const char *fragment)
{
    Error *err = NULL;
    QDict *d = keyval_parse(params, NULL, NULL, &err);

    if (d) {
        char *s = qobject_to_json_str(QOBJECT(d), false);
        fail_msg("'%s' accepted as %s", params, s);
    }
    assert_non_null(err);
    if (!strstr(error_get_pretty(err), fragment)) {
        fail_msg("'%s': '%s' lacks '%s'", params, error_get_pretty(err),
                 fragment);
    }
    error_free(err);
    err = NULL;

    d = qdict_from_dotted_str(params, &err);
    assert_null(d);
    assert_non_null(err);
    if (!strstr(error_get_pretty(err), fragment)) {
        fail_msg("flat '%s': '%s' lacks '%s'", params,
                 error_get_pretty(err), fragment);
    }
    error_free(err);
}

static void test_simple(void **state)
{
    assert_parses("", NULL, "{}");
    assert_parses("a=1", NULL, "{\"a\": \"1\"}");
    assert_parses("a=1,b=two", NULL, "{\"a\": \"1\", \"b\": \"two\"}");
    assert_parses("a=", NULL, "{\"a\": \"\"}");
    assert_parses("a=x=y", NULL, "{\"a\": \"x=y\"}");
    assert_parses("node-name=n_1,A-b_c=v", NULL,
                  "{\"node-name\": \"n_1\", \"A-b_c\": \"v\"}");
    /* A trailing comma is tolerated, as in QEMU */
    assert_parses("a=1,", NULL, "{\"a\": \"1\"}");
}

static void test_nested(void **state)
{
    assert_parses("a.b=c,d=e", NULL, "{\"a\": {\"b\": \"c\"}, \"d\": \"e\"}");
    assert_parses("driver=qcow2,file.driver=file,file.filename=/x",
                  NULL, "{\"driver\": \"qcow2\", \"file\": {\"driver\": "
                  "\"file\", \"filename\": \"/x\"}}");
    assert_parses("a.b.c.d=1,a.b.e=2", NULL,
                  "{\"a\": {\"b\": {\"c\": {\"d\": \"1\"}, \"e\": \"2\"}}}");
}

static void test_escapes(void **state)
{
    assert_parses("a=x,,y", NULL, "{\"a\": \"x,y\"}");
    assert_parses("a=,,,b=2", NULL, "{\"a\": \",\", \"b\": \"2\"}");
    assert_parses("a=,,,,", NULL, "{\"a\": \",,\"}");
    assert_parses("file=a,,b,c=1", "file", "{\"file\": \"a,b\", \"c\": \"1\"}");
}

static void test_last_wins(void **state)
{
    assert_parses("a=1,b=2,a=3", NULL, "{\"a\": \"3\", \"b\": \"2\"}");
    assert_parses("x.y=1,x.y=2", NULL, "{\"x\": {\"y\": \"2\"}}");
}

static void test_lists(void **state)
{
    assert_parses("l.0=a,l.1=b", NULL, "{\"l\": [\"a\", \"b\"]}");
    /* Order of appearance does not matter, indices do */
    assert_parses("l.1=b,l.0=a", NULL, "{\"l\": [\"a\", \"b\"]}");
    assert_parses("c.0.driver=file,c.0.filename=x,c.1.driver=null", NULL,
                  "{\"c\": [{\"driver\": \"file\", \"filename\": \"x\"}, "
                  "{\"driver\": \"null\"}]}");
    assert_parses("m.0.0=a,m.0.1=b,m.1.0=c", NULL,
                  "{\"m\": [[\"a\", \"b\"], [\"c\"]]}");
}

static void test_list_errors(void **state)
{
    Error *err = NULL;

    assert_null(keyval_parse("l.0=a,l.2=c", NULL, NULL, &err));
    assert_string_equal(error_get_pretty(err), "Parameter 'l.1' missing");
    error_free(err);
    err = NULL;
    assert_null(keyval_parse("l.0=a,l.x=c", NULL, NULL, &err));
    assert_non_null(strstr(error_get_pretty(err), "mix list indices"));
    error_free(err);
    err = NULL;
    assert_null(keyval_parse("a.l.1=a", NULL, NULL, &err));
    assert_string_equal(error_get_pretty(err), "Parameter 'a.l.0' missing");
    error_free(err);

    /* The flat parser does not build lists, so gaps are fine there */
    {
        QDict *flat = qdict_from_dotted_str("l.0=a,l.2=c", &error_abort);
        assert_json(QOBJECT(flat), "{\"l.0\": \"a\", \"l.2\": \"c\"}");
        qobject_unref(flat);
    }
}

static void test_implied_key(void **state)
{
    assert_parses("img.qcow2", "file", "{\"file\": \"img.qcow2\"}");
    assert_parses("img.qcow2,ro=on", "file",
                  "{\"file\": \"img.qcow2\", \"ro\": \"on\"}");
    assert_parses("file=x", "file", "{\"file\": \"x\"}");
    /* Only the first parameter may omit the key */
    {
        Error *err = NULL;
        assert_null(keyval_parse("a=1,bare", "file", NULL, &err));
        assert_string_equal(error_get_pretty(err),
                            "Expected '=' after parameter 'bare'");
        error_free(err);
    }
    /* Dotted implied keys nest */
    assert_parses("x", "file.filename",
                  "{\"file\": {\"filename\": \"x\"}}");
}

static void test_help(void **state)
{
    bool help = true;
    QDict *d;
    Error *err = NULL;

    d = keyval_parse("a=1", NULL, &help, &error_abort);
    assert_false(help);
    qobject_unref(d);
    d = keyval_parse("help", NULL, &help, &error_abort);
    assert_true(help);
    assert_int_equal(qdict_size(d), 0);
    qobject_unref(d);
    d = keyval_parse("a=1,?", NULL, &help, &error_abort);
    assert_true(help);
    assert_json(QOBJECT(d), "{\"a\": \"1\"}");
    qobject_unref(d);
    /* Without p_help, "help" is just a key missing its value */
    assert_null(keyval_parse("help", NULL, NULL, &err));
    assert_string_equal(error_get_pretty(err),
                        "Expected '=' after parameter 'help'");
    error_free(err);
}

static void test_malformed(void **state)
{
    assert_rejects(",", "Empty parameter at offset 0 in ','");
    assert_rejects(",a=1", "Empty parameter");
    assert_rejects(",,a=1", "Empty parameter");
    assert_rejects("a=1,,b=2,c", "Expected '=' after parameter 'c'");
    assert_rejects("=x", "Invalid parameter name ''");
    assert_rejects("a..b=1", "Invalid parameter name 'a..b': empty");
    assert_rejects(".a=1", "Invalid parameter name '.a'");
    assert_rejects("a.=1", "Invalid parameter name 'a.'");
    assert_rejects("a b=1", "Invalid parameter name 'a b'");
    assert_rejects("1a=1", "must start with a letter");
    assert_rejects("a.01=1", "leading zero");
    assert_rejects("noequals", "Expected '=' after parameter 'noequals'");
    assert_rejects("a=1,b", "Expected '=' after parameter 'b'");
}

static void test_conflicts(void **state)
{
    Error *err = NULL;

    assert_rejects("a=1,a.b=2", "Parameter 'a' is used both as a value");
    assert_rejects("a.b=2,a=1", "Parameter 'a' is used both as a value");
    assert_rejects("x.a=1,x.a.b.c=2", "Parameter 'x.a' is used both");
    assert_null(keyval_parse("a=1,a.b=2", NULL, NULL, &err));
    assert_string_equal(error_get_pretty(err),
                        "Parameter 'a' is used both as a value and as a "
                        "prefix of 'a.b'");
    error_free(err);
}

static void test_too_deep(void **state)
{
    QString *s = qstring_new();

    qstring_append(s, "a");
    for (int i = 0; i < 1100; i++) {
        qstring_append(s, ".a");
    }
    qstring_append(s, "=1");
    assert_rejects(qstring_get_str(s), "too many");
    qobject_unref(s);
}

static void test_dotted_flat(void **state)
{
    QDict *d = qdict_from_dotted_str(
        "driver=raw,file.driver=file,file.filename=x,,y,file.aio=threads",
        &error_abort);

    assert_json(QOBJECT(d), "{\"driver\": \"raw\", \"file.driver\": "
                "\"file\", \"file.filename\": \"x,y\", \"file.aio\": "
                "\"threads\"}");
    qobject_unref(d);

    d = qdict_from_dotted_str("a=1,a=2", &error_abort);
    assert_json(QOBJECT(d), "{\"a\": \"2\"}");
    qobject_unref(d);

    d = qdict_from_dotted_str("", &error_abort);
    assert_int_equal(qdict_size(d), 0);
    qobject_unref(d);
}

/* Every short combination of interesting bytes: no crash, no leak */
static void test_exhaustive_short(void **state)
{
    static const char alphabet[] = "a1.=,?";
    const size_t n = sizeof(alphabet) - 1;
    char buf[8];

    for (size_t len = 0; len <= 6; len++) {
        size_t total = 1;

        for (size_t i = 0; i < len; i++) {
            total *= n;
        }
        for (size_t code = 0; code < total; code++) {
            size_t c = code;
            bool help;
            Error *err = NULL;
            QDict *d;

            for (size_t i = 0; i < len; i++) {
                buf[i] = alphabet[c % n];
                c /= n;
            }
            buf[len] = '\0';
            d = keyval_parse(buf, (code & 1) ? "imp" : NULL,
                             (code & 2) ? &help : NULL, &err);
            /* Exactly one of result and error */
            assert_true(!d != !err);
            qobject_unref(d);
            error_free(err);
            err = NULL;
            d = qdict_from_dotted_str(buf, &err);
            assert_true(!d != !err);
            qobject_unref(d);
            error_free(err);
        }
    }
}

static void test_parse_into(void **state)
{
    QDict *d = qdict_new();

    qdict_put_str(d, "pre", "existing");
    assert_ptr_equal(keyval_parse_into(d, "a=1", NULL, NULL, &error_abort),
                     d);
    assert_json(QOBJECT(d), "{\"pre\": \"existing\", \"a\": \"1\"}");
    qobject_unref(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_simple),
        T(test_nested),
        T(test_escapes),
        T(test_last_wins),
        T(test_lists),
        T(test_list_errors),
        T(test_implied_key),
        T(test_help),
        T(test_malformed),
        T(test_conflicts),
        T(test_too_deep),
        T(test_dotted_flat),
        T(test_exhaustive_short),
        T(test_parse_into),
    };

    return test_common_run_group(tests, NULL, NULL);
}
