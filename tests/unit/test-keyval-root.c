/*
 * Unit tests for the root of a keyval string (block/util/keyval.c): the
 * root is a dict, so a list index as the first key fragment ("1=a") is
 * refused by keyval_parse and qdict_from_dotted_str alike, as QEMU's
 * keyval_parse refuses it ("Invalid parameter '1'").
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

/* Both parsers refuse @params with exactly @msg */
static void assert_both_refuse(const char *params, const char *msg)
{
    Error *err = NULL;

    assert_null(keyval_parse(params, NULL, NULL, &err));
    assert_non_null(err);
    assert_string_equal(error_get_pretty(err), msg);
    error_free(err);
    err = NULL;
    assert_null(qdict_from_dotted_str(params, &err));
    assert_non_null(err);
    assert_string_equal(error_get_pretty(err), msg);
    error_free(err);
}

static void test_top_level_index_refused(void **state)
{
    assert_both_refuse("1=a", "Invalid parameter name '1': a list index "
                       "cannot be a top-level parameter");
    assert_both_refuse("0=a", "Invalid parameter name '0': a list index "
                       "cannot be a top-level parameter");
    assert_both_refuse("x=1,0.y=a", "Invalid parameter name '0.y': a list "
                       "index cannot be a top-level parameter");
}

/* Indices below the root stay lists; a gap there is still refused */
static void test_nested_index_kept(void **state)
{
    Error *err = NULL;
    QDict *d = keyval_parse("a.0=x,a.1=y", NULL, NULL, &error_abort);
    char *json = qobject_to_json_str(QOBJECT(d), false);

    assert_string_equal(json, "{\"a\": [\"x\", \"y\"]}");
    g_free(json);
    qobject_unref(d);
    assert_null(keyval_parse("a.1=b", NULL, NULL, &err));
    assert_string_equal(error_get_pretty(err), "Parameter 'a.0' missing");
    error_free(err);
}

/* An implied key's value may be all digits: it is a value, not a key */
static void test_implied_value_digits(void **state)
{
    QDict *d = keyval_parse("1", "size", NULL, &error_abort);

    assert_string_equal(qdict_get_str(d, "size"), "1");
    qobject_unref(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_top_level_index_refused),
        T(test_nested_index_kept),
        T(test_implied_value_digits),
    };

    return test_common_run_group(tests, NULL, NULL);
}
