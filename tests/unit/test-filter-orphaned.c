/*
 * A filter node that bdrv_drop_filter left without its filtered child
 * stays alive while someone holds it.  It has no medium: bdrv_is_inserted
 * is false so requests fail with -ENOMEDIUM in the core, and the length
 * queries of the blkdebug and copy-on-read drivers fail the same way
 * instead of following the missing child.  Found by the graph fuzz target
 * (a BlockBackend attached to a dropped blkdebug node, then a write).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "test-common.h"
#include "block/block-backend.h"
#include "block/block-int.h"
#include "block/mem.h"

/* @driver over a mem image, the child named @child; then dropped */
static BlockDriverState *dropped_filter(const char *driver, const char *child)
{
    QDict *opts = qdict_new();
    g_autofree char *key_drv = g_strdup_printf("%s.driver", child);
    g_autofree char *key_name = g_strdup_printf("%s.filename", child);
    BlockDriverState *f;
    Error *err = NULL;

    mem_image_set("orphan", NULL, 64 * 1024, &error_abort);
    qdict_put_str(opts, "driver", driver);
    qdict_put_str(opts, key_drv, "mem");
    qdict_put_str(opts, key_name, "orphan");
    f = bdrv_open(NULL, NULL, opts, BDRV_O_RDWR, &err);
    check_ok(f != NULL, &err, "open the filter");
    expect_true(bdrv_is_inserted(f));
    check_ok(bdrv_drop_filter(f, &err) == 0, &err, "drop the filter");
    expect_true(QLIST_EMPTY(&f->children));
    return f;
}

static void check_no_medium(BlockDriverState *f)
{
    BlockBackend *blk;
    uint8_t buf[512] = { 0 };
    Error *err = NULL;

    expect_true(!bdrv_is_inserted(f));
    expect_int(bdrv_refresh_total_sectors(f, 0), -ENOMEDIUM);
    bdrv_refresh_limits(f, NULL, &err);
    check_ok(err == NULL, &err, "refresh the limits");
    blk = blk_new_with_bs(f, BLK_PERM_CONSISTENT_READ | BLK_PERM_WRITE,
                          BLK_PERM_ALL, &err);
    check_ok(blk != NULL, &err, "attach a BlockBackend");
    expect_int(blk_pwrite(blk, 0, sizeof(buf), buf, 0), -ENOMEDIUM);
    expect_int(blk_pread(blk, 0, sizeof(buf), buf, 0), -ENOMEDIUM);
    expect_graph_ok();
    blk_unref(blk);
    bdrv_unref(f);
    mem_image_delete_all();
}

/*
 * The filter's own link to its child is frozen (a chain frozen from the
 * filter down): dropping it would detach that link, so it is refused.
 * Found by the graph fuzz target (the model saw a frozen link vanish).
 */
static void test_drop_filter_refused_when_its_link_is_frozen(void **state)
{
    QDict *opts = qdict_new();
    BlockDriverState *f, *child;
    Error *err = NULL;

    mem_image_set("frozen", NULL, 64 * 1024, &error_abort);
    qdict_put_str(opts, "driver", "copy-on-read");
    qdict_put_str(opts, "node-name", "cor");
    qdict_put_str(opts, "file.driver", "mem");
    qdict_put_str(opts, "file.filename", "frozen");
    qdict_put_str(opts, "file.node-name", "img");
    f = bdrv_open(NULL, NULL, opts, BDRV_O_RDWR, &err);
    check_ok(f != NULL, &err, "open the filter");
    child = f->file->bs;
    check_ok(bdrv_freeze_backing_chain(f, NULL, &err) == 0, &err, "freeze");
    expect_int(bdrv_drop_filter(f, &err), -EPERM);
    check_error(&err, "Cannot change frozen 'file' link from 'cor' to 'img'");
    expect_true(f->file && f->file->bs == child && f->file->frozen);
    expect_graph_ok();
    bdrv_unfreeze_backing_chain(f, NULL);
    check_ok(bdrv_drop_filter(f, &err) == 0, &err, "drop, unfrozen");
    expect_true(QLIST_EMPTY(&f->children));
    bdrv_unref(f);
    mem_image_delete_all();
    end_test();
}

static void test_dropped_blkdebug_has_no_medium(void **state)
{
    check_no_medium(dropped_filter("blkdebug", "image"));
    end_test();
}

static void test_dropped_copy_on_read_has_no_medium(void **state)
{
    check_no_medium(dropped_filter("copy-on-read", "file"));
    end_test();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_dropped_blkdebug_has_no_medium),
        T(test_dropped_copy_on_read_has_no_medium),
        T(test_drop_filter_refused_when_its_link_is_frozen),
    };

    test_common_init(TEST_COMMON_STEP_CHECKS | TEST_COMMON_NO_BACKEND);
    return test_common_run_group(tests, NULL, NULL);
}
