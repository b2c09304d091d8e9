/*
 * Growing an overlay whose backing file is longer than the overlay was
 * (block/core/io-ops.c): the grown area must read as zeroes, not as the
 * backing file's data showing through, so the core asks the driver to
 * zero it (BDRV_REQ_ZERO_WRITE).  A driver that cannot is refused, as in
 * QEMU; with a shorter backing file nothing can show through and the
 * overlay simply grows.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "block/driver.h"
#include "test-common.h"

/* A backend on top (64 KiB, test driver) over base (@base_size) */
static BlockBackend *open_chain(const char *base_size)
{
    QDict *base_opts = test_common_opts_pairs("driver", "test", "node-name",
                                              "tb-base", "size", base_size,
                                              NULL);
    QDict *top_opts = test_common_opts_pairs("driver", "test", "node-name",
                                             "tb-top", "size", "64K",
                                             "backing", "tb-base", NULL);
    BlockDriverState *base = open_ok(NULL, base_opts, BDRV_O_RDWR);
    BlockDriverState *top = open_ok(NULL, top_opts, BDRV_O_RDWR);
    BlockBackend *blk = test_common_new_blk(top, BLK_PERM_ALL, BLK_PERM_ALL);

    bdrv_unref(base);
    bdrv_unref(top);
    return blk;
}

/* The test driver does not zero on truncate: the growth is refused */
static void test_grow_over_longer_backing_needs_zeroing(void **state)
{
    BlockBackend *blk = open_chain("1M");
    Error *err = NULL;

    expect_int(blk_truncate(blk, 128 * 1024, false, PREALLOC_MODE_OFF, 0,
                            &err), -ENOTSUP);
    check_error_has(&err, "'test'", "does not support the requested "
                    "truncate flags", NULL);
    expect_int(blk_getlength(blk), 64 * 1024);
    blk_unref(blk);
    end_test();
}

static void test_grow_over_shorter_backing(void **state)
{
    BlockBackend *blk = open_chain("64K");
    Error *err = NULL;

    check_ok(blk_truncate(blk, 128 * 1024, false, PREALLOC_MODE_OFF, 0,
                          &err) == 0, &err, "grow");
    expect_int(blk_getlength(blk), 128 * 1024);
    /* Shrinking shows nothing new either */
    check_ok(blk_truncate(blk, 32 * 1024, false, PREALLOC_MODE_OFF, 0,
                          &err) == 0, &err, "shrink");
    expect_int(blk_getlength(blk), 32 * 1024);
    blk_unref(blk);
    end_test();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_grow_over_longer_backing_needs_zeroing),
        T(test_grow_over_shorter_backing),
    };

    return test_common_run_group(tests, test_common_group_setup, NULL);
}
