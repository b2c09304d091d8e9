/*
 * bdrv_find_backing_image past the file-name cases of test-backing-chain.c:
 * no node, no name or no driver find nothing; a protocol name is compared
 * with the node's own file name; a relative name cannot be resolved
 * against an overlay without a directory.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "block/driver.h"
#include "test-common.h"

/* top (test, in memory) -> base (test over null-co) */
static BlockDriverState *open_chain(void)
{
    QDict *base_opts = test_common_opts_pairs("driver", "test", "node-name",
                                              "fe-base", "file.driver",
                                              "null-co", NULL);
    QDict *top_opts = test_common_opts_pairs("driver", "test", "node-name",
                                             "fe-top", "backing", "fe-base",
                                             NULL);
    BlockDriverState *base = open_ok(NULL, base_opts, BDRV_O_RDWR);
    BlockDriverState *top = open_ok(NULL, top_opts, BDRV_O_RDWR);

    bdrv_unref(base);
    return top;
}

static void test_nothing_to_search(void **state)
{
    BlockDriverState *top = open_chain();
    BlockDriverState *ejected = bdrv_new();

    expect_true(bdrv_find_backing_image(NULL, "null-co://") == NULL);
    expect_true(bdrv_find_backing_image(top, NULL) == NULL);
    expect_true(bdrv_find_backing_image(ejected, "null-co://") == NULL);
    unref_nodes(ejected, top);
    end_test();
}

/* "null-co://" is the base's file name: the base is found by it */
static void test_protocol_name_matches_file_name(void **state)
{
    BlockDriverState *top = open_chain();
    BlockDriverState *base = top->backing->bs;

    bdrv_refresh_filename(base);
    expect_true(!strcmp(base->filename, "null-co://"));
    expect_true(bdrv_find_backing_image(top, "null-co://") == base);
    expect_true(bdrv_find_backing_image(top, "null-aio://") == NULL);
    bdrv_unref(top);
    end_test();
}

/* An overlay in memory has no directory to resolve a relative name in */
static void test_relative_name_without_directory(void **state)
{
    BlockDriverState *top = open_chain();

    expect_true(bdrv_find_backing_image(top, "base.img") == NULL);
    bdrv_unref(top);
    end_test();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_nothing_to_search),
        T(test_protocol_name_matches_file_name),
        T(test_relative_name_without_directory),
    };

    return test_common_run_group(tests, test_common_group_setup, NULL);
}
