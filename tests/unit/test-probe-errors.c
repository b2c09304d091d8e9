/*
 * Format probing when the image cannot be read (block/core/open.c): the
 * open fails with the reason and leaves no node behind; an empty image is
 * probed without reading anything.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "block/driver.h"
#include "test-common.h"

static void test_probe_read_error_fails_open(void **state)
{
    QDict *opts = test_common_opts_pairs("file.driver", "test",
                                         "file.node-name", "pe-file",
                                         "file.size", "1M",
                                         "file.inject-error.0.iotype", "read",
                                         NULL);
    Error *err = NULL;
    BlockDriverState *bs = bdrv_open(NULL, NULL, opts, BDRV_O_RDWR, &err);

    expect_true(bs == NULL);
    check_error_has(&err, "Could not read image for determining its format",
                    "Input/output error", NULL);
    expect_true(bdrv_find_node("pe-file") == NULL);
    end_test();
}

/* Nothing to read: the probe sees only zeroes, and raw takes it */
static void test_probe_of_empty_image(void **state)
{
    QDict *opts = test_common_opts_pairs("file.driver", "test",
                                         "file.size", "0",
                                         "file.inject-error.0.iotype", "read",
                                         NULL);
    BlockDriverState *bs = open_ok(NULL, opts, BDRV_O_RDWR);

    expect_true(!strcmp(bdrv_get_format_name(bs), "raw"));
    expect_int(bdrv_getlength(bs), 0);
    bdrv_unref(bs);
    end_test();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_probe_read_error_fails_open),
        T(test_probe_of_empty_image),
    };

    return test_common_run_group(tests, test_common_group_setup, NULL);
}
