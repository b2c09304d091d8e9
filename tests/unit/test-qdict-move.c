/*
 * QDict operations that every node open runs, done without copying:
 * qdict_move_entry (an entry changes dict, and key prefix, in place),
 * qdict_extract_subqdict and qdict_join built on it, qdict_flatten of a
 * dict that is already flat, and qdict_clone_shallow's single-allocation
 * copies (whose entries can still be deleted, moved and replaced).
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

static void assert_json(const QObject *obj, const char *expected)
{
    g_autofree char *s = qobject_to_json_str(obj, false);

    assert_string_equal(s, expected);
}

static const QDictEntry *entry_of(const QDict *d, const char *key)
{
    const QDictEntry *e;

    QDICT_FOREACH_ENTRY(d, e) {
        if (!strcmp(qdict_entry_key(e), key)) {
            return e;
        }
    }
    return NULL;
}

static void test_move_entry_strips_prefix(void **state)
{
    QDict *src = qdict_new(), *dst = qdict_new();
    const QDictEntry *e;
    QObject *v;

    qdict_put_str(src, "file.filename", "a");
    qdict_put_int(src, "size", 5);
    e = entry_of(src, "file.filename");
    v = qdict_entry_value(e);
    qdict_move_entry(src, e, dst, strlen("file."));
    /* The same entry and value, now in dst under the shorter key */
    assert_ptr_equal(qdict_first(dst), e);
    assert_ptr_equal(qdict_get(dst, "filename"), v);
    assert_null(qdict_get(src, "file.filename"));
    assert_int_equal(qdict_size(src), 1);
    assert_int_equal(qdict_size(dst), 1);
    qobject_unref(src);
    qobject_unref(dst);
}

static void test_move_entry_replaces_in_place(void **state)
{
    QDict *src = qdict_new(), *dst = qdict_new();

    qdict_put_str(dst, "a", "old");
    qdict_put_str(dst, "b", "keep");
    qdict_put_str(src, "x.a", "new");
    qdict_move_entry(src, qdict_first(src), dst, 2);
    assert_json(QOBJECT(dst), "{\"a\": \"new\", \"b\": \"keep\"}");
    assert_int_equal(qdict_size(src), 0);
    qobject_unref(src);
    qobject_unref(dst);
}

static void test_extract_moves_entries(void **state)
{
    QDict *opts = qdict_new(), *sub = NULL;
    const QDictEntry *e;

    qdict_put_str(opts, "driver", "qcow2");
    qdict_put_str(opts, "file.driver", "mem");
    qdict_put_str(opts, "file.filename", "img");
    qdict_put_str(opts, "filex", "not a child option");
    e = entry_of(opts, "file.filename");
    qdict_extract_subqdict(opts, &sub, "file.");
    assert_json(QOBJECT(sub), "{\"driver\": \"mem\", \"filename\": \"img\"}");
    assert_json(QOBJECT(opts),
                "{\"driver\": \"qcow2\", \"filex\": \"not a child option\"}");
    assert_ptr_equal(entry_of(sub, "filename"), e);
    qobject_unref(opts);
    qobject_unref(sub);
}

static void test_join_moves_entries(void **state)
{
    QDict *dst = qdict_new(), *src = qdict_new();
    const QDictEntry *e;

    qdict_put_str(dst, "a", "1");
    qdict_put_str(src, "a", "2");
    qdict_put_str(src, "b", "3");
    e = entry_of(src, "b");
    qdict_join(dst, src, false);
    assert_json(QOBJECT(dst), "{\"a\": \"1\", \"b\": \"3\"}");
    assert_json(QOBJECT(src), "{\"a\": \"2\"}");
    assert_ptr_equal(entry_of(dst, "b"), e);
    qdict_join(dst, src, true);
    assert_json(QOBJECT(dst), "{\"a\": \"2\", \"b\": \"3\"}");
    assert_int_equal(qdict_size(src), 0);
    qobject_unref(dst);
    qobject_unref(src);
}

static void test_flatten_flat_is_untouched(void **state)
{
    QDict *d = qdict_new();
    const QDictEntry *first;

    qdict_put_str(d, "file.driver", "mem");
    qdict_put(d, "empty", qdict_new());
    qdict_put_int(d, "n", 1);
    first = qdict_first(d);
    qdict_flatten(d);
    assert_ptr_equal(qdict_first(d), first);
    assert_json(QOBJECT(d), "{\"file.driver\": \"mem\", \"empty\": {}, "
                            "\"n\": 1}");
    qobject_unref(d);
}

static void test_flatten_nested_still_flattens(void **state)
{
    QDict *d = qdict_from_json("{\"a\": 1, \"file\": {\"driver\": \"mem\", "
                               "\"x\": [2, {\"y\": 3}]}}", &error_abort);

    qdict_flatten(d);
    assert_json(QOBJECT(d), "{\"a\": 1, \"file.driver\": \"mem\", "
                            "\"file.x.0\": 2, \"file.x.1.y\": 3}");
    qobject_unref(d);
}

static void test_clone_entries_deleted_moved_replaced(void **state)
{
    QDict *src = qdict_new(), *clone, *other = qdict_new();
    char key[16];

    for (int i = 0; i < 40; i++) { /* past the inline buckets: it grows */
        snprintf(key, sizeof(key), "k%d", i);
        qdict_put_int(src, key, i);
    }
    clone = qdict_clone_shallow(src);
    assert_true(qobject_is_equal(QOBJECT(src), QOBJECT(clone)));
    assert_ptr_equal(qdict_get(clone, "k7"), qdict_get(src, "k7"));
    qdict_del(clone, "k0");
    qdict_put_str(clone, "k1", "replaced");
    qdict_put_str(clone, "new", "heap entry");
    qdict_move_entry(clone, entry_of(clone, "k2"), other, 1);
    qdict_move_entry(clone, entry_of(clone, "new"), other, 0);
    qdict_extract_subqdict(clone, NULL, "k3");
    assert_int_equal(qdict_get_int(other, "2"), 2);
    assert_string_equal(qdict_get_str(other, "new"), "heap entry");
    assert_string_equal(qdict_get_str(clone, "k1"), "replaced");
    assert_null(qdict_get(clone, "k0"));
    assert_null(qdict_get(clone, "k30"));
    assert_int_equal(qdict_get_int(clone, "k29"), 29);
    assert_int_equal(qdict_size(clone), 40 - 1 - 1 - 11);
    assert_int_equal(qdict_size(src), 40);
    qobject_unref(other);
    qobject_unref(clone);
    qobject_unref(src);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_move_entry_strips_prefix),
        T(test_move_entry_replaces_in_place),
        T(test_extract_moves_entries),
        T(test_join_moves_entries),
        T(test_flatten_flat_is_untouched),
        T(test_flatten_nested_still_flattens),
        T(test_clone_entries_deleted_moved_replaced),
    };

    return test_common_run_group(tests, NULL, NULL);
}
