/*
 * Unit tests for QemuOpts (block/util/qemu-option.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "util/error.h"
#include "util/qemu-option.h"
#include "util/qjson.h"
#include "test-common.h"

static QemuOptsList test_opts = {
    .name = "test",
    .implied_opt_name = "str",
    .desc = {
        { .name = "str", .type = QEMU_OPT_STRING, .help = "A string" },
        { .name = "flag", .type = QEMU_OPT_BOOL, .help = "A flag" },
        { .name = "num", .type = QEMU_OPT_NUMBER, .help = "A number" },
        { .name = "size", .type = QEMU_OPT_SIZE, .help = "A size" },
        { .name = "dflt", .type = QEMU_OPT_SIZE, .def_value_str = "64k" },
        { .name = "dbool", .type = QEMU_OPT_BOOL, .def_value_str = "on" },
        { NULL }
    },
};

static QemuOptsList extra_opts = {
    .name = "extra",
    .desc = {
        { .name = "num", .type = QEMU_OPT_NUMBER, .help = "Duplicate" },
        { .name = "extra", .type = QEMU_OPT_STRING },
        { NULL }
    },
};

/* Accepts any option name, as a string */
static QemuOptsList any_opts = {
    .name = "any",
    .merge_lists = true,
    .desc = { { NULL } },
};

static QemuOpts *new_opts(void)
{
    return qemu_opts_create(&test_opts, NULL, 0, &error_abort);
}

static void assert_err(Error **errp, const char *expected)
{
    assert_non_null(*errp);
    assert_string_equal(error_get_pretty(*errp), expected);
    error_free(*errp);
    *errp = NULL;
}

static void test_set_get(void **state)
{
    QemuOpts *opts = new_opts();

    assert_true(qemu_opt_set(opts, "str", "hello", &error_abort));
    assert_true(qemu_opt_set(opts, "flag", "on", &error_abort));
    assert_true(qemu_opt_set(opts, "num", "0x10", &error_abort));
    assert_true(qemu_opt_set(opts, "size", "1.5M", &error_abort));

    assert_string_equal(qemu_opt_get(opts, "str"), "hello");
    assert_true(qemu_opt_get_bool(opts, "flag", false));
    assert_int_equal(qemu_opt_get_number(opts, "num", 0), 16);
    assert_int_equal(qemu_opt_get_size(opts, "size", 0), 1572864);
    /* The string form is kept as given */
    assert_string_equal(qemu_opt_get(opts, "size"), "1.5M");
    assert_true(qemu_opt_find_set(opts, "str"));

    /* Setting again replaces */
    assert_true(qemu_opt_set(opts, "str", "again", &error_abort));
    assert_string_equal(qemu_opt_get(opts, "str"), "again");
    qemu_opts_del(opts);
}

static void test_bool_spellings(void **state)
{
    static const char *const yes[] = { "on", "yes", "true", "y" };
    static const char *const no[] = { "off", "no", "false", "n" };
    QemuOpts *opts = new_opts();

    for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
        assert_true(qemu_opt_set(opts, "flag", yes[i], &error_abort));
        assert_true(qemu_opt_get_bool(opts, "flag", false));
        assert_true(qemu_opt_set(opts, "flag", no[i], &error_abort));
        assert_false(qemu_opt_get_bool(opts, "flag", true));
    }
    qemu_opts_del(opts);
}

static void test_defaults(void **state)
{
    QemuOpts *opts = new_opts();

    /* Unset: the desc default, else the caller's default */
    assert_null(qemu_opt_get(opts, "str"));
    assert_string_equal(qemu_opt_get(opts, "dflt"), "64k");
    assert_int_equal(qemu_opt_get_size(opts, "dflt", 1), 65536);
    assert_int_equal(qemu_opt_get_size(opts, "size", 77), 77);
    assert_true(qemu_opt_get_bool(opts, "dbool", false));
    assert_false(qemu_opt_get_bool(opts, "flag", false));
    assert_int_equal(qemu_opt_get_number(opts, "num", 5), 5);
    assert_false(qemu_opt_find_set(opts, "dflt"));
    /* NULL opts are allowed for getters */
    assert_null(qemu_opt_get(NULL, "str"));
    assert_int_equal(qemu_opt_get_number(NULL, "num", 3), 3);
    qemu_opts_del(opts);
}

static void test_invalid_values(void **state)
{
    QemuOpts *opts = new_opts();
    Error *err = NULL;

    assert_false(qemu_opt_set(opts, "bogus", "1", &err));
    assert_err(&err, "Invalid parameter 'bogus'");
    assert_false(qemu_opt_set(opts, "flag", "maybe", &err));
    assert_err(&err, "Parameter 'flag' expects 'on' or 'off', got 'maybe'");
    assert_false(qemu_opt_set(opts, "num", "12abc", &err));
    assert_err(&err, "Parameter 'num' expects a non-negative number, got "
               "'12abc'");
    assert_false(qemu_opt_set(opts, "num", "-1", &err));
    assert_err(&err, "Value '-1' is out of range for parameter 'num'");
    assert_false(qemu_opt_set(opts, "num", "99999999999999999999", &err));
    assert_err(&err, "Value '99999999999999999999' is out of range for "
               "parameter 'num'");
    assert_false(qemu_opt_set(opts, "size", "1X", &err));
    assert_err(&err, "Parameter 'size' expects a size (a number with an "
               "optional suffix K, M, G, T, P or E), got '1X'");
    assert_false(qemu_opt_set(opts, "size", "16E", &err));
    assert_err(&err, "Value '16E' is out of range for parameter 'size'");
    /* A failed set leaves the option unset */
    assert_false(qemu_opt_find_set(opts, "num"));
    qemu_opts_del(opts);
}

static void test_set_number_bool(void **state)
{
    QemuOpts *opts = new_opts();
    Error *err = NULL;

    assert_true(qemu_opt_set_number(opts, "num", 42, &error_abort));
    assert_int_equal(qemu_opt_get_number(opts, "num", 0), 42);
    assert_string_equal(qemu_opt_get(opts, "num"), "42");
    assert_true(qemu_opt_set_bool(opts, "flag", true, &error_abort));
    assert_string_equal(qemu_opt_get(opts, "flag"), "on");
    assert_false(qemu_opt_set_number(opts, "nope", 1, &err));
    assert_err(&err, "Invalid parameter 'nope'");
    assert_false(qemu_opt_set_number(opts, "size", -5, &err));
    assert_non_null(err);
    error_free(err);
    qemu_opts_del(opts);
}

static void test_get_del(void **state)
{
    QemuOpts *opts = new_opts();
    char *s;

    qemu_opt_set(opts, "str", "x", &error_abort);
    qemu_opt_set(opts, "num", "9", &error_abort);
    qemu_opt_set(opts, "flag", "on", &error_abort);
    qemu_opt_set(opts, "size", "1k", &error_abort);

    s = qemu_opt_get_del(opts, "str");
    assert_string_equal(s, "x");
    g_free(s);
    assert_null(qemu_opt_get(opts, "str"));
    assert_null(qemu_opt_get_del(opts, "str"));
    s = qemu_opt_get_del(opts, "dflt");     /* default is copied */
    assert_string_equal(s, "64k");
    g_free(s);

    assert_int_equal(qemu_opt_get_number_del(opts, "num", 0), 9);
    assert_int_equal(qemu_opt_get_number_del(opts, "num", 1), 1);
    assert_true(qemu_opt_get_bool_del(opts, "flag", false));
    assert_false(qemu_opt_get_bool_del(opts, "flag", false));
    assert_int_equal(qemu_opt_get_size_del(opts, "size", 0), 1024);
    assert_int_equal(qemu_opt_get_size_del(opts, "size", 2), 2);

    assert_int_equal(qemu_opt_unset(opts, "size"), -ENOENT);
    qemu_opt_set(opts, "size", "1", &error_abort);
    assert_int_equal(qemu_opt_unset(opts, "size"), 0);
    qemu_opts_del(opts);
}

static void test_do_parse(void **state)
{
    QemuOpts *opts = new_opts();
    Error *err = NULL;

    assert_true(qemu_opts_do_parse(opts, "img,,name.qcow2,num=3,flag,"
                                   "size=2G", "str", &error_abort));
    assert_string_equal(qemu_opt_get(opts, "str"), "img,name.qcow2");
    assert_int_equal(qemu_opt_get_number(opts, "num", 0), 3);
    /* A bare name is "on" */
    assert_true(qemu_opt_get_bool(opts, "flag", false));
    assert_int_equal(qemu_opt_get_size(opts, "size", 0), 2ull << 30);

    assert_false(qemu_opts_do_parse(opts, "num=1,what=2", NULL, &err));
    assert_err(&err, "Invalid parameter 'what'");
    /* Without firstname a leading bare word is a flag name */
    assert_false(qemu_opts_do_parse(opts, "img", NULL, &err));
    assert_err(&err, "Invalid parameter 'img'");
    assert_false(qemu_opts_do_parse(opts, ",num=1", NULL, &err));
    assert_err(&err, "Empty parameter name at offset 0 in ',num=1'");
    assert_false(qemu_opts_do_parse(opts, "num=x", NULL, &err));
    assert_non_null(err);
    error_free(err);
    qemu_opts_del(opts);
}

static void test_opts_parse_ids(void **state)
{
    Error *err = NULL;
    QemuOpts *a, *b;

    a = qemu_opts_parse(&test_opts, "file.img,id=disk0,num=1", true,
                        &error_abort);
    assert_string_equal(qemu_opts_id(a), "disk0");
    assert_string_equal(qemu_opt_get(a, "str"), "file.img");
    assert_ptr_equal(qemu_opts_find(&test_opts, "disk0"), a);
    assert_ptr_equal(qemu_opts_list(a), &test_opts);

    /* Duplicate ids fail when the list does not merge */
    assert_null(qemu_opts_parse(&test_opts, "id=disk0", false, &err));
    assert_err(&err, "Duplicate ID 'disk0' for test");
    /* fail_if_exists=0 returns the existing set */
    assert_ptr_equal(qemu_opts_create(&test_opts, "disk0", 0, &error_abort),
                     a);
    assert_null(qemu_opts_create(&test_opts, "9bad", 0, &err));
    assert_non_null(strstr(error_get_pretty(err), "'9bad'"));
    error_free(err);
    err = NULL;

    /* A failed parse creates nothing */
    assert_null(qemu_opts_parse(&test_opts, "id=tmp,num=zz", false, &err));
    assert_non_null(err);
    error_free(err);
    assert_null(qemu_opts_find(&test_opts, "tmp"));

    b = qemu_opts_parse(&test_opts, "id=disk1", false, &error_abort);
    qemu_opts_del(a);
    assert_null(qemu_opts_find(&test_opts, "disk0"));
    assert_ptr_equal(qemu_opts_find(&test_opts, "disk1"), b);
    qemu_opts_del(b);
    qemu_opts_del(NULL);
}

static void test_any_list_and_merge(void **state)
{
    QemuOpts *a = qemu_opts_create(&any_opts, NULL, 0, &error_abort);
    QemuOpts *b = qemu_opts_create(&any_opts, NULL, 0, &error_abort);

    /* merge_lists: one anonymous set */
    assert_ptr_equal(a, b);
    assert_true(qemu_opt_set(a, "anything", "goes", &error_abort));
    assert_true(qemu_opt_set(a, "n", "12", &error_abort));
    assert_true(qemu_opt_set(a, "help", "on", &error_abort));
    assert_string_equal(qemu_opt_get(a, "anything"), "goes");
    /* Typed getters parse on demand, falling back on garbage */
    assert_int_equal(qemu_opt_get_number(a, "n", 0), 12);
    assert_int_equal(qemu_opt_get_number(a, "anything", 7), 7);
    assert_true(qemu_opt_has_help_opt(a));
    qemu_opts_del(a);
}

static void test_append(void **state)
{
    QemuOptsList *merged = qemu_opts_append(NULL, &test_opts);
    size_t n = 0;

    merged = qemu_opts_append(merged, &extra_opts);
    merged = qemu_opts_append(merged, NULL);
    for (const QemuOptDesc *d = merged->desc; d->name; d++) {
        n++;
    }
    /* 6 + 2, minus the duplicate "num" (the first one wins) */
    assert_int_equal(n, 7);
    assert_string_equal(merged->desc[6].name, "extra");
    assert_string_equal(merged->desc[2].help, "A number");
    assert_string_equal(merged->name, "test");
    {
        QemuOpts *opts = qemu_opts_create(merged, NULL, 0, &error_abort);
        assert_true(qemu_opt_set(opts, "extra", "x", &error_abort));
        assert_true(qemu_opt_set(opts, "size", "1", &error_abort));
        qemu_opts_del(opts);
    }
    qemu_opts_free(merged);
}

static void test_to_qdict(void **state)
{
    QemuOpts *opts = qemu_opts_create(&test_opts, "myid", 1, &error_abort);
    QDict *d;
    char *json;

    qemu_opt_set(opts, "str", "s", &error_abort);
    qemu_opt_set(opts, "num", "5", &error_abort);
    d = qemu_opts_to_qdict(opts, NULL);
    json = qobject_to_json_str(QOBJECT(d), false);
    assert_string_equal(json, "{\"id\": \"myid\", \"str\": \"s\", "
                        "\"num\": \"5\"}");
    g_free(json);
    qobject_unref(d);
    qemu_opts_del(opts);
}

static void test_absorb_qdict(void **state)
{
    QemuOpts *opts = new_opts();
    QDict *d = qdict_from_json("{\"num\": 12, \"flag\": true, \"size\": "
                               "\"4k\", \"unknown\": 1, \"str\": \"s\"}",
                               &error_abort);
    Error *err = NULL;
    char *json;

    assert_true(qemu_opts_absorb_qdict(opts, d, &error_abort));
    /* Known keys moved, others left for the caller */
    json = qobject_to_json_str(QOBJECT(d), false);
    assert_string_equal(json, "{\"unknown\": 1}");
    g_free(json);
    assert_int_equal(qemu_opt_get_number(opts, "num", 0), 12);
    assert_true(qemu_opt_get_bool(opts, "flag", false));
    assert_int_equal(qemu_opt_get_size(opts, "size", 0), 4096);
    qobject_unref(d);

    /* A bad value fails; the bad key stays in the dict */
    d = qdict_from_json("{\"num\": -3, \"str\": [1]}", &error_abort);
    assert_false(qemu_opts_absorb_qdict(opts, d, &err));
    assert_err(&err, "Value '-3' is out of range for parameter 'num'");
    assert_true(qdict_haskey(d, "num"));
    qdict_del(d, "num");
    assert_false(qemu_opts_absorb_qdict(opts, d, &err));
    assert_err(&err, "Parameter 'str' expects a string, number or bool, got "
               "a list");
    qobject_unref(d);
    qemu_opts_del(opts);
}

static void test_from_qdict(void **state)
{
    QDict *d = qdict_from_json("{\"id\": \"x1\", \"num\": 3, \"flag\": "
                               "false}", &error_abort);
    Error *err = NULL;
    QemuOpts *opts = qemu_opts_from_qdict(&test_opts, d, &error_abort);

    assert_string_equal(qemu_opts_id(opts), "x1");
    assert_int_equal(qemu_opt_get_number(opts, "num", 0), 3);
    assert_false(qemu_opt_get_bool(opts, "flag", true));
    qemu_opts_del(opts);
    qdict_put_int(d, "bad", 1);
    assert_null(qemu_opts_from_qdict(&test_opts, d, &err));
    assert_err(&err, "Invalid parameter 'bad'");
    /* The failed set was removed again */
    assert_null(qemu_opts_find(&test_opts, "x1"));
    qobject_unref(d);
}

static void test_print_help(void **state)
{
    char buf[256];
    size_t n;
    int saved = dup(STDOUT_FILENO);
    FILE *tmp = tmpfile();

    /* Capture stdout in a temporary file */
    assert_non_null(tmp);
    fflush(stdout);
    dup2(fileno(tmp), STDOUT_FILENO);
    qemu_opts_print_help(&extra_opts, true);
    fflush(stdout);
    dup2(saved, STDOUT_FILENO);
    close(saved);
    rewind(tmp);
    n = fread(buf, 1, sizeof(buf) - 1, tmp);
    buf[n] = '\0';
    fclose(tmp);
    /* Sorted, help aligned as qemu-img prints it */
    assert_string_equal(buf, "extra options:\n"
                             "  extra=<str>\n"
                             "  num=<num>              - Duplicate\n");
}

static void test_print_str(void **state)
{
    QemuOpts *opts = new_opts();
    QemuOpts *any = qemu_opts_create(&any_opts, NULL, 0, &error_abort);
    char *s;

    qemu_opt_set(opts, "size", "1.5M", &error_abort);
    qemu_opt_set(opts, "str", "a,b", &error_abort);
    qemu_opt_set(opts, "num", "0x10", &error_abort);
    /* desc order; defaults included; sizes/numbers as parsed values */
    s = qemu_opts_print_str(opts, " ");
    assert_string_equal(s, "str=a,,b num=16 size=1572864 dflt=64k "
                        "dbool=on");
    g_free(s);
    qemu_opts_del(opts);

    opts = qemu_opts_create(&test_opts, "n1", 1, &error_abort);
    s = qemu_opts_print_str(opts, ",");
    assert_string_equal(s, "id=n1,dflt=64k,dbool=on");
    g_free(s);
    qemu_opts_del(opts);

    qemu_opt_set(any, "z", "1", &error_abort);
    qemu_opt_set(any, "a", "x,y", &error_abort);
    s = qemu_opts_print_str(any, " ");
    assert_string_equal(s, "z=1 a=x,,y");
    g_free(s);
    qemu_opts_del(any);
}

static void test_to_qdict_filtered(void **state)
{
    QemuOptsList *list = qemu_opts_append(NULL, &test_opts);
    QemuOpts *opts;
    QDict *d;
    char *json;

    list = qemu_opts_append(list, &extra_opts);
    opts = qemu_opts_create(list, NULL, 0, &error_abort);
    assert_ptr_equal(qemu_opts_list(opts), list);
    qemu_opt_set(opts, "str", "s", &error_abort);
    qemu_opt_set(opts, "extra", "e", &error_abort);
    qemu_opt_set(opts, "num", "1", &error_abort);

    d = qemu_opts_to_qdict_filtered(opts, NULL, &extra_opts, true);
    json = qobject_to_json_str(QOBJECT(d), false);
    assert_string_equal(json, "{\"extra\": \"e\", \"num\": \"1\"}");
    g_free(json);
    qobject_unref(d);
    /* Moved options are gone, the others stay */
    assert_null(qemu_opt_get(opts, "extra"));
    assert_string_equal(qemu_opt_get(opts, "str"), "s");
    d = qemu_opts_to_qdict_filtered(opts, NULL, NULL, false);
    assert_int_equal(qdict_size(d), 1);
    qobject_unref(d);
    assert_string_equal(qemu_opt_get(opts, "str"), "s");
    qemu_opts_del(opts);
    qemu_opts_free(list);
}

static int count_opt(void *opaque, const char *name, const char *value,
                     Error **errp)
{
    int *n = opaque;

    (*n)++;
    return strcmp(name, "num") == 0 ? 7 : 0;
}

static void test_opt_foreach(void **state)
{
    QemuOpts *opts = new_opts();
    int n = 0;

    qemu_opt_set(opts, "str", "s", &error_abort);
    qemu_opt_set(opts, "num", "1", &error_abort);
    qemu_opt_set(opts, "flag", "on", &error_abort);
    /* Stops at the first non-zero return */
    assert_int_equal(qemu_opt_foreach(opts, count_opt, &n, NULL), 7);
    assert_int_equal(n, 2);
    qemu_opts_del(opts);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_set_get),
        T(test_bool_spellings),
        T(test_defaults),
        T(test_invalid_values),
        T(test_set_number_bool),
        T(test_get_del),
        T(test_do_parse),
        T(test_opts_parse_ids),
        T(test_any_list_and_merge),
        T(test_append),
        T(test_to_qdict),
        T(test_absorb_qdict),
        T(test_from_qdict),
        T(test_print_help),
        T(test_print_str),
        T(test_to_qdict_filtered),
        T(test_opt_foreach),
    };

    return test_common_run_group(tests, NULL, NULL);
}
