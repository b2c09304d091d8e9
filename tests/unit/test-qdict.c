/*
 * Unit tests for the QObject family: QNum, QString, QBool, QNull, QList,
 * QDict and the dotted-key helpers (flatten, crumple, arrays).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "util/error.h"
#include "util/qdict.h"
#include "util/qjson.h"
#include "test-common.h"

/* Compact JSON of obj, for readable structural assertions */
static void assert_json(const QObject *obj, const char *expected)
{
    char *s = qobject_to_json_str(obj, false);

    assert_string_equal(s, expected);
    g_free(s);
}

static QDict *dict_from_json(const char *json)
{
    QDict *d = qdict_from_json(json, &error_abort);

    assert_non_null(d);
    return d;
}

static void test_qnum(void **state)
{
    QNum *i = qnum_from_int(-5), *u = qnum_from_uint(UINT64_MAX);
    QNum *big = qnum_from_uint(7), *d = qnum_from_double(0.1);
    int64_t iv;
    uint64_t uv;
    char *s;

    assert_true(qnum_get_try_int(i, &iv));
    assert_int_equal(iv, -5);
    assert_false(qnum_get_try_uint(i, &uv));
    assert_false(qnum_get_try_int(u, &iv));
    assert_true(qnum_get_try_uint(u, &uv));
    assert_true(uv == UINT64_MAX);
    /* A small uint is also a valid int */
    assert_int_equal(qnum_get_int(big), 7);
    assert_false(qnum_get_try_int(d, &iv));
    assert_true(qnum_get_double(i) == -5.0);
    assert_true(qnum_get_double(d) == 0.1);

    s = qnum_to_string(u);
    assert_string_equal(s, "18446744073709551615");
    g_free(s);
    /* Shortest round-trip form, not %.17g noise */
    s = qnum_to_string(d);
    assert_string_equal(s, "0.1");
    g_free(s);

    qobject_unref(i);
    qobject_unref(u);
    qobject_unref(big);
    qobject_unref(d);
}

static void test_qnum_equality(void **state)
{
    QNum *a = qnum_from_int(1), *b = qnum_from_uint(1);
    QNum *c = qnum_from_double(1.0), *e = qnum_from_double(1.5);
    QNum *max = qnum_from_int(INT64_MAX);
    QNum *two63 = qnum_from_double(9223372036854775808.0);
    QNum *umax = qnum_from_uint(UINT64_MAX), *neg = qnum_from_int(-1);

    assert_true(qobject_is_equal(QOBJECT(a), QOBJECT(b)));
    assert_true(qobject_is_equal(QOBJECT(a), QOBJECT(c)));
    assert_false(qobject_is_equal(QOBJECT(a), QOBJECT(e)));
    /* 2^63 as double rounds near INT64_MAX but is not equal to it */
    assert_false(qobject_is_equal(QOBJECT(max), QOBJECT(two63)));
    assert_false(qobject_is_equal(QOBJECT(umax), QOBJECT(neg)));

    qobject_unref(a);
    qobject_unref(b);
    qobject_unref(c);
    qobject_unref(e);
    qobject_unref(max);
    qobject_unref(two63);
    qobject_unref(umax);
    qobject_unref(neg);
}

static void test_qstring(void **state)
{
    QString *s = qstring_from_str("abc");
    QString *sub = qstring_from_substr("hello world", 6, 11);
    char *raw;

    qstring_append(s, "def");
    qstring_append_chr(s, '!');
    qstring_append_int(s, -42);
    qstring_append_printf(s, "<%s>", "x");
    for (int i = 0; i < 100; i++) {
        qstring_append(s, "0123456789");   /* forces several regrows */
    }
    assert_int_equal(qstring_get_length(s), 3 + 3 + 1 + 3 + 3 + 1000);
    assert_memory_equal(qstring_get_str(s), "abcdef!-42<x>0123", 17);
    assert_string_equal(qstring_get_str(sub), "world");

    /* Last reference: the buffer itself is handed over */
    raw = qstring_free(sub, true);
    assert_string_equal(raw, "world");
    g_free(raw);

    /* Shared: a copy comes back and the object stays alive */
    qobject_ref(s);
    raw = qstring_free(s, true);
    assert_string_equal(raw, qstring_get_str(s));
    g_free(raw);
    qobject_unref(s);
}

static void test_qbool_qnull_types(void **state)
{
    QBool *t = qbool_from_bool(true);
    QNull *n1 = qnull(), *n2 = qnull();
    QObject *o = QOBJECT(t);

    assert_true(qbool_get_bool(t));
    assert_int_equal(qobject_type(o), QTYPE_QBOOL);
    assert_ptr_equal(qobject_to(QBool, o), t);
    assert_null(qobject_to(QDict, o));
    assert_null(qobject_to(QString, NULL));
    /* qnull() is a shared singleton */
    assert_ptr_equal(n1, n2);
    assert_true(qobject_is_equal(QOBJECT(n1), QOBJECT(n2)));
    assert_false(qobject_is_equal(QOBJECT(n1), o));
    assert_false(qobject_is_equal(NULL, o));
    assert_true(qobject_is_equal(NULL, NULL));
    assert_string_equal(qtype_name(QTYPE_QDICT), "dict");
    qobject_unref(n1);
    qobject_unref(n2);
    qobject_unref(t);
    qobject_unref((QObject *)NULL);
}

/*
 * A literal's QString is made once and shared: the same object for the
 * same literal, with its text, whatever the references dropped
 */
static void test_qstring_from_literal(void **state)
{
    static const char lit[] = "shared-literal";
    QString *a = qstring_from_literal(lit), *b = qstring_from_literal(lit);
    QString *other = qstring_from_literal("another-literal");
    QDict *d = qdict_new();

    assert_ptr_equal(a, b);
    assert_ptr_not_equal(a, other);
    assert_string_equal(qstring_get_str(a), lit);
    assert_string_equal(qstring_get_str(other), "another-literal");
    qdict_put(d, "k", qstring_from_literal(lit));
    qobject_unref(d);
    qobject_unref(a);
    qobject_unref(b);
    qobject_unref(other);
    a = qstring_from_literal(lit);
    assert_string_equal(qstring_get_str(a), lit);
    qobject_unref(a);
}

static void test_has_prefixed(void **state)
{
    QDict *d = qdict_new();

    assert_false(qdict_has_prefixed(d, "file."));
    qdict_put_str(d, "file", "node");
    qdict_put_str(d, "backing.driver", "raw");
    assert_false(qdict_has_prefixed(d, "file."));
    assert_true(qdict_has_prefixed(d, "file"));
    assert_true(qdict_has_prefixed(d, "backing."));
    assert_true(qdict_has_prefixed(d, ""));
    qobject_unref(d);
}

/*
 * The QBools are shared too, one per value; dropping every reference to
 * one (more than were taken) never frees it
 */
static void test_qbool_shared(void **state)
{
    QBool *t1 = qbool_from_bool(true), *t2 = qbool_from_bool(true);
    QBool *f = qbool_from_bool(false);
    QDict *d = qdict_new();

    assert_ptr_equal(t1, t2);
    assert_ptr_not_equal(t1, f);
    assert_false(qbool_get_bool(f));
    assert_true(qobject_is_equal(QOBJECT(t1), QOBJECT(t2)));
    assert_false(qobject_is_equal(QOBJECT(t1), QOBJECT(f)));
    qdict_put_bool(d, "a", true);
    qdict_put_bool(d, "b", false);
    assert_ptr_equal(qdict_get(d, "a"), QOBJECT(t1));
    qobject_unref(d);
    qobject_unref(t1);
    qobject_unref(t2);
    qobject_unref(f);
    for (int i = 0; i < 3; i++) {
        QBool *again = qbool_from_bool(true);

        assert_true(qbool_get_bool(again));
        qobject_unref(again);
    }
}

static void test_refcount(void **state)
{
    QDict *d = qdict_new();
    QString *s = qstring_from_str("shared");

    qdict_put(d, "a", qobject_ref(s));
    qdict_put(d, "b", qobject_ref(s));
    assert_int_equal(s->base.refcnt, 3);
    qobject_unref(d);
    assert_int_equal(s->base.refcnt, 1);
    assert_string_equal(qstring_get_str(s), "shared");
    qobject_unref(s);
}

static void test_qlist(void **state)
{
    QList *l = qlist_new(), *copy;
    const QListEntry *e;
    QObject *o;
    int n = 0;

    assert_true(qlist_empty(l));
    assert_null(qlist_pop(l));
    assert_null(qlist_peek(l));
    qlist_append_int(l, 1);
    qlist_append_str(l, "two");
    qlist_append_bool(l, false);
    qlist_append_null(l);
    qlist_append(l, qlist_new());
    assert_int_equal(qlist_size(l), 5);
    QLIST_FOREACH_ENTRY(l, e) {
        n++;
        assert_non_null(qlist_entry_obj(e));
    }
    assert_int_equal(n, 5);
    assert_json(QOBJECT(l), "[1, \"two\", false, null, []]");

    copy = qlist_copy(l);
    assert_true(qobject_is_equal(QOBJECT(l), QOBJECT(copy)));
    o = qlist_pop(copy);
    assert_int_equal(qnum_get_int(qobject_to(QNum, o)), 1);
    qobject_unref(o);
    assert_false(qobject_is_equal(QOBJECT(l), QOBJECT(copy)));
    assert_int_equal(qlist_size(copy), 4);
    assert_string_equal(
        qstring_get_str(qobject_to(QString, qlist_peek(copy))), "two");
    qobject_unref(copy);
    qobject_unref(l);
}

static void test_qdict_basic(void **state)
{
    QDict *d = qdict_new();

    qdict_put_int(d, "int", -3);
    qdict_put_bool(d, "bool", true);
    qdict_put_str(d, "str", "value");
    qdict_put_null(d, "null");
    qdict_put(d, "dbl", qnum_from_double(2.5));
    qdict_put(d, "sub", qdict_new());
    qdict_put(d, "list", qlist_new());

    assert_int_equal(qdict_size(d), 7);
    assert_int_equal(qdict_get_int(d, "int"), -3);
    assert_true(qdict_get_bool(d, "bool"));
    assert_string_equal(qdict_get_str(d, "str"), "value");
    assert_true(qdict_get_double(d, "dbl") == 2.5);
    assert_true(qdict_get_double(d, "int") == -3.0);
    assert_non_null(qdict_get_qdict(d, "sub"));
    assert_non_null(qdict_get_qlist(d, "list"));
    assert_null(qdict_get_qdict(d, "list"));
    assert_null(qdict_get(d, "missing"));
    assert_true(qdict_haskey(d, "null"));
    assert_false(qdict_haskey(d, "nope"));

    /* _try_ getters fall back on absence and on type mismatch */
    assert_int_equal(qdict_get_try_int(d, "int", 9), -3);
    assert_int_equal(qdict_get_try_int(d, "str", 9), 9);
    assert_int_equal(qdict_get_try_int(d, "dbl", 9), 9);
    assert_int_equal(qdict_get_try_int(d, "missing", 9), 9);
    assert_true(qdict_get_try_bool(d, "bool", false));
    assert_true(qdict_get_try_bool(d, "str", true));
    assert_string_equal(qdict_get_try_str(d, "str"), "value");
    assert_null(qdict_get_try_str(d, "int"));

    qdict_del(d, "str");
    qdict_del(d, "str");        /* absent: no-op */
    assert_int_equal(qdict_size(d), 6);
    assert_null(qdict_get(d, "str"));
    qobject_unref(d);
}

static void test_qdict_replace_keeps_order(void **state)
{
    QDict *d = qdict_new();

    qdict_put_int(d, "z", 1);
    qdict_put_int(d, "a", 2);
    qdict_put_int(d, "m", 3);
    qdict_put_str(d, "a", "replaced");
    assert_int_equal(qdict_size(d), 3);
    assert_json(QOBJECT(d), "{\"z\": 1, \"a\": \"replaced\", \"m\": 3}");
    qdict_del(d, "z");
    qdict_put_int(d, "z", 4);
    assert_json(QOBJECT(d), "{\"a\": \"replaced\", \"m\": 3, \"z\": 4}");
    qobject_unref(d);
}

/* Many keys: exercises bucket growth, lookup and deletion while iterating */
static void test_qdict_many(void **state)
{
    QDict *d = qdict_new();
    const QDictEntry *e, *next;
    char key[32];
    int i = 0;

    for (i = 0; i < 5000; i++) {
        snprintf(key, sizeof(key), "key%d", i);
        qdict_put_int(d, key, i);
    }
    assert_int_equal(qdict_size(d), 5000);
    i = 0;
    for (e = qdict_first(d); e; e = qdict_next(d, e), i++) {
        snprintf(key, sizeof(key), "key%d", i);
        assert_string_equal(qdict_entry_key(e), key);
        assert_int_equal(qnum_get_int(qobject_to(QNum, qdict_entry_value(e))),
                         i);
    }
    /* Delete every odd entry during iteration */
    for (e = qdict_first(d); e; e = next) {
        next = qdict_next(d, e);
        if (qnum_get_int(qobject_to(QNum, qdict_entry_value(e))) % 2) {
            qdict_del(d, qdict_entry_key(e));
        }
    }
    assert_int_equal(qdict_size(d), 2500);
    assert_true(qdict_haskey(d, "key4998"));
    assert_false(qdict_haskey(d, "key4999"));
    assert_int_equal(qdict_get_int(d, "key1000"), 1000);
    qobject_unref(d);
}

static void test_qdict_clone_copy_join(void **state)
{
    QDict *a = dict_from_json("{\"x\": 1, \"y\": {\"z\": 2}}");
    QDict *clone = qdict_clone_shallow(a);
    QDict *dst = dict_from_json("{\"y\": 5}");
    QDict *src;

    assert_true(qobject_is_equal(QOBJECT(a), QOBJECT(clone)));
    /* Shallow: the nested dict is shared */
    assert_ptr_equal(qdict_get(a, "y"), qdict_get(clone, "y"));

    qdict_copy_default(dst, a, "x");
    qdict_copy_default(dst, a, "y");        /* already set: kept */
    qdict_copy_default(dst, a, "missing");
    qdict_set_default_str(dst, "s", "v");
    qdict_set_default_str(dst, "s", "ignored");
    assert_json(QOBJECT(dst), "{\"y\": 5, \"x\": 1, \"s\": \"v\"}");
    qobject_unref(dst);

    /* join without overwrite leaves conflicting keys in src */
    dst = dict_from_json("{\"a\": 1, \"b\": 2}");
    src = dict_from_json("{\"b\": 20, \"c\": 30}");
    qdict_join(dst, src, false);
    assert_json(QOBJECT(dst), "{\"a\": 1, \"b\": 2, \"c\": 30}");
    assert_json(QOBJECT(src), "{\"b\": 20}");
    qdict_join(dst, src, true);
    assert_json(QOBJECT(dst), "{\"a\": 1, \"b\": 20, \"c\": 30}");
    assert_int_equal(qdict_size(src), 0);

    qobject_unref(src);
    qobject_unref(dst);
    qobject_unref(clone);
    qobject_unref(a);
}

static void test_qdict_equality(void **state)
{
    QDict *a = dict_from_json("{\"a\": [1, {\"b\": null}], \"c\": \"s\"}");
    QDict *b = dict_from_json("{\"c\": \"s\", \"a\": [1, {\"b\": null}]}");
    QDict *c = dict_from_json("{\"c\": \"s\", \"a\": [1, {\"b\": 0}]}");
    QDict *d = dict_from_json("{\"c\": \"s\"}");

    /* Order does not matter for equality */
    assert_true(qobject_is_equal(QOBJECT(a), QOBJECT(b)));
    assert_false(qobject_is_equal(QOBJECT(a), QOBJECT(c)));
    assert_false(qobject_is_equal(QOBJECT(a), QOBJECT(d)));
    assert_false(qobject_is_equal(QOBJECT(d), QOBJECT(a)));
    qobject_unref(a);
    qobject_unref(b);
    qobject_unref(c);
    qobject_unref(d);
}

static void test_stringify(void **state)
{
    QDict *d = dict_from_json("{\"n\": 512, \"b\": true, \"f\": false, "
                              "\"s\": \"x\", \"sub\": {\"u\": "
                              "18446744073709551615, \"l\": [1, 0.5]}}");

    qdict_stringify_entries(d);
    assert_json(QOBJECT(d), "{\"n\": \"512\", \"b\": \"on\", \"f\": \"off\", "
                "\"s\": \"x\", \"sub\": {\"u\": \"18446744073709551615\", "
                "\"l\": [\"1\", \"0.5\"]}}");
    qobject_unref(d);
}

static void test_flatten(void **state)
{
    QDict *d = dict_from_json(
        "{\"driver\": \"qcow2\", \"file\": {\"driver\": \"file\", "
        "\"filename\": \"x\", \"opts\": {\"a\": 1}}, "
        "\"list\": [10, {\"k\": \"v\"}, [true]], "
        "\"empty\": {}, \"none\": [], \"last\": null}");

    qdict_flatten(d);
    assert_json(QOBJECT(d),
                "{\"driver\": \"qcow2\", \"file.driver\": \"file\", "
                "\"file.filename\": \"x\", \"file.opts.a\": 1, "
                "\"list.0\": 10, \"list.1.k\": \"v\", \"list.2.0\": true, "
                "\"empty\": {}, \"none\": [], \"last\": null}");
    qobject_unref(d);
}

static void test_crumple(void **state)
{
    QDict *flat = dict_from_json(
        "{\"driver\": \"qcow2\", \"file.driver\": \"file\", "
        "\"file.filename\": \"x\", \"children.1.a\": 2, "
        "\"children.0.a\": 1, \"l.0\": \"p\", \"l.1\": \"q\", "
        "\"dot..key\": 3, \"e\": {}}");
    QObject *res = qdict_crumple(flat, &error_abort);

    assert_json(res, "{\"driver\": \"qcow2\", \"file\": {\"driver\": "
                "\"file\", \"filename\": \"x\"}, \"children\": "
                "[{\"a\": 1}, {\"a\": 2}], \"l\": [\"p\", \"q\"], "
                "\"dot.key\": 3, \"e\": {}}");
    qobject_unref(res);
    qobject_unref(flat);
}

static void test_crumple_flatten_roundtrip(void **state)
{
    const char *json = "{\"a\": {\"b\": [1, {\"c\": \"d\"}], \"e\": 2}, "
                       "\"f\": [[3], 4]}";
    QDict *orig = dict_from_json(json);
    QDict *flat = qdict_clone_shallow(orig);
    QObject *back;

    qdict_flatten(flat);
    back = qdict_crumple(flat, &error_abort);
    assert_true(qobject_is_equal(QOBJECT(orig), back));
    qobject_unref(back);
    qobject_unref(flat);
    qobject_unref(orig);
}

/* Each case must fail with an Error containing the given fragment */
static void assert_crumple_fails(const char *json, const char *fragment)
{
    QDict *flat = dict_from_json(json);
    Error *err = NULL;
    QObject *res = qdict_crumple(flat, &err);

    assert_null(res);
    assert_non_null(err);
    if (!strstr(error_get_pretty(err), fragment)) {
        fail_msg("'%s' lacks '%s'", error_get_pretty(err), fragment);
    }
    error_free(err);
    qobject_unref(flat);
}

static void test_crumple_errors(void **state)
{
    assert_crumple_fails("{\"a\": 1, \"a.b\": 2}", "'a'");
    assert_crumple_fails("{\"a.b\": 2, \"a\": 1}", "'a'");
    assert_crumple_fails("{\"x.a.b\": 2, \"x.a\": 1}", "'a'");
    assert_crumple_fails("{\"l.0\": 1, \"l.x\": 2}", "mix");
    assert_crumple_fails("{\"l.0\": 1, \"l.2\": 2}", "Missing list index 1");
    assert_crumple_fails("{\"l.01\": 1}", "'01'");
}

static void test_crumple_deep(void **state)
{
    QDict *flat = qdict_new();
    QString *key = qstring_new();
    Error *err = NULL;
    QObject *res;

    /* 2000 levels of "a.a.a...": rejected, not a stack overflow */
    qstring_append(key, "a");
    for (int i = 0; i < 2000; i++) {
        qstring_append(key, ".a");
    }
    qdict_put_int(flat, qstring_get_str(key), 1);
    res = qdict_crumple(flat, &err);
    assert_null(res);
    assert_non_null(err);
    error_free(err);
    qobject_unref(key);
    qobject_unref(flat);
}

static void test_extract_subqdict(void **state)
{
    QDict *src = dict_from_json("{\"file.driver\": \"file\", \"x\": 1, "
                                "\"file.filename\": \"f\", \"filex\": 2}");
    QDict *sub;

    qdict_extract_subqdict(src, &sub, "file.");
    assert_json(QOBJECT(sub), "{\"driver\": \"file\", \"filename\": \"f\"}");
    assert_json(QOBJECT(src), "{\"x\": 1, \"filex\": 2}");
    qobject_unref(sub);

    /* dst NULL: just delete */
    qdict_extract_subqdict(src, NULL, "file");
    assert_json(QOBJECT(src), "{\"x\": 1}");
    qobject_unref(src);
}

static void test_array_split(void **state)
{
    QDict *src = dict_from_json("{\"0.driver\": \"a\", \"0.x\": 1, "
                                "\"1\": \"scalar\", \"2.y\": 3, "
                                "\"4\": \"after gap\", \"other\": 0}");
    QList *list;

    qdict_array_split(src, &list);
    assert_json(QOBJECT(list), "[{\"driver\": \"a\", \"x\": 1}, \"scalar\", "
                "{\"y\": 3}]");
    assert_json(QOBJECT(src), "{\"4\": \"after gap\", \"other\": 0}");
    qobject_unref(list);
    qobject_unref(src);

    /* An index that is both a value and a dict stops the split */
    src = dict_from_json("{\"0\": 1, \"0.a\": 2}");
    qdict_array_split(src, &list);
    assert_true(qlist_empty(list));
    assert_int_equal(qdict_size(src), 2);
    qobject_unref(list);
    qobject_unref(src);
}

static void test_array_entries(void **state)
{
    QDict *d = dict_from_json("{\"c.0.driver\": \"a\", \"c.0.f\": \"x\", "
                              "\"c.1\": \"ref\", \"other\": 1}");

    assert_int_equal(qdict_array_entries(d, "c."), 2);
    assert_int_equal(qdict_array_entries(d, "none."), 0);
    qdict_put_int(d, "c.3", 1);         /* a gap */
    assert_int_equal(qdict_array_entries(d, "c."), -EINVAL);
    qdict_del(d, "c.3");
    qdict_put_int(d, "c.x", 1);         /* not an index */
    assert_int_equal(qdict_array_entries(d, "c."), -EINVAL);
    qdict_del(d, "c.x");
    qdict_put_int(d, "c.1.a", 1);       /* both value and dict */
    assert_int_equal(qdict_array_entries(d, "c."), -EINVAL);
    qobject_unref(d);
}

static void test_rename_keys(void **state)
{
    static const QDictRenames renames[] = {
        { "old", "new" }, { "absent", "whatever" }, { NULL, NULL },
    };
    static const QDictRenames clash[] = {
        { "a", "b" }, { NULL, NULL },
    };
    QDict *d = dict_from_json("{\"old\": 1, \"a\": 2, \"b\": 3}");
    Error *err = NULL;

    assert_true(qdict_rename_keys(d, renames, &error_abort));
    assert_json(QOBJECT(d), "{\"a\": 2, \"b\": 3, \"new\": 1}");
    assert_false(qdict_rename_keys(d, clash, &err));
    assert_non_null(strstr(error_get_pretty(err), "'b'"));
    error_free(err);
    qobject_unref(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_qnum),
        T(test_qnum_equality),
        T(test_qstring),
        T(test_qbool_qnull_types),
        T(test_qbool_shared),
        T(test_has_prefixed),
        T(test_qstring_from_literal),
        T(test_refcount),
        T(test_qlist),
        T(test_qdict_basic),
        T(test_qdict_replace_keeps_order),
        T(test_qdict_many),
        T(test_qdict_clone_copy_join),
        T(test_qdict_equality),
        T(test_stringify),
        T(test_flatten),
        T(test_crumple),
        T(test_crumple_flatten_roundtrip),
        T(test_crumple_errors),
        T(test_crumple_deep),
        T(test_extract_subqdict),
        T(test_array_split),
        T(test_array_entries),
        T(test_rename_keys),
    };

    return test_common_run_group(tests, NULL, NULL);
}
