/*
 * bdrv_open_backing_file called directly (drivers and the core call it
 * after a driver's open): a reference in the parent's options becomes the
 * backing child; a driver without backing files refuses one.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "block/driver.h"
#include "block/test-driver.h"
#include "test-common.h"

static void test_open_backing_file_attaches_reference(void **state)
{
    BlockDriverState *base = open_test("obf-base");
    BlockDriverState *top = open_test("obf-top");
    QDict *opts = qdict_new();
    Error *err = NULL;

    qdict_put_str(opts, "backing", "obf-base");
    expect_int(bdrv_open_backing_file(top, opts, "backing", &err), 0);
    check_ok(true, &err, "bdrv_open_backing_file");
    expect_true(top->backing && top->backing->bs == base);
    expect_int(top->backing->role, BDRV_CHILD_COW);
    expect_graph_ok();
    /* With a backing child already there, nothing more happens */
    expect_int(bdrv_open_backing_file(top, opts, "backing", &err), 0);
    expect_int(count_parents(base), 1);
    qobject_unref(opts);
    unref_nodes(top, base);
    end_test();
}

static void test_open_backing_file_refused_without_driver_support(void **state)
{
    BlockDriverState *base = open_test("obn-base");
    BlockDriverState *bs = open_null("obn-null");
    QDict *opts = qdict_new();
    Error *err = NULL;

    qdict_put_str(opts, "backing", "obn-base");
    expect_int(bdrv_open_backing_file(bs, opts, "backing", &err), -EINVAL);
    check_error(&err, "Driver doesn't support backing files");
    expect_true(bs->backing == NULL);
    qobject_unref(opts);
    unref_nodes(bs, base);
    end_test();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_open_backing_file_attaches_reference),
        T(test_open_backing_file_refused_without_driver_support),
    };

    return test_common_run_group(tests, test_common_group_setup, NULL);
}
