/*
 * What a child node inherits from its parent at open (QEMU's rules):
 * read-only and auto-read-only (a backing child is read-only and not
 * auto-read-only by default), cache.direct and cache.no-flush, force-share,
 * and discard=unmap as the default of every child; an option the child
 * sets itself wins.  Flags: a metadata child does no "no I/O" open.
 *
 * The "test" format plays the parent: its storage comes from "file.*"
 * options (opened by the core before the format) and its backing child
 * from "backing.*" options.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "test-common.h"

/* A "test" node named "top" over a null-co "file", plus @extra options */
static BlockDriverState *open_top(int flags, const char *const *extra)
{
    QDict *opts = opts_new("test", "top");

    qdict_put_str(opts, "file.driver", "null-co");
    qdict_put_str(opts, "size", "1M");
    for (int i = 0; extra && extra[i]; i += 2) {
        qdict_put_str(opts, extra[i], extra[i + 1]);
    }
    return open_ok(NULL, opts, flags);
}

static BlockDriverState *file_of(BlockDriverState *top)
{
    assert_non_null(top->file);
    return top->file->bs;
}

static void test_inherit_cache_and_read_only_to_file(void **state)
{
    const char *const extra[] = {
        "read-only", "on", "cache.direct", "on", "cache.no-flush", "on",
        NULL,
    };
    BlockDriverState *top = open_top(BDRV_O_RDWR, extra);
    BlockDriverState *file = file_of(top);

    expect_true(bdrv_is_read_only(file));
    expect_true(file->open_flags & BDRV_O_NOCACHE);
    expect_true(file->open_flags & BDRV_O_NO_FLUSH);
    bdrv_unref(top);
    end_test();
}

/* The child's own options win over what it would inherit */
static void test_inherit_explicit_child_options_win(void **state)
{
    const char *const extra[] = {
        "read-only", "on", "cache.direct", "on",
        "file.read-only", "off", "file.cache.direct", "off",
        "file.discard", "ignore", NULL,
    };
    BlockDriverState *top = open_top(BDRV_O_RDWR, extra);
    BlockDriverState *file = file_of(top);

    expect_true(bdrv_is_read_only(top));
    expect_false(bdrv_is_read_only(file));
    expect_false(file->open_flags & BDRV_O_NOCACHE);
    expect_false(file->open_flags & BDRV_O_UNMAP);
    bdrv_unref(top);
    end_test();
}

/* A format's own discards reach its file: children default to unmap */
static void test_inherit_discard_unmap_default_for_children(void **state)
{
    BlockDriverState *top = open_top(BDRV_O_RDWR, NULL);

    expect_false(top->open_flags & BDRV_O_UNMAP);
    expect_true(file_of(top)->open_flags & BDRV_O_UNMAP);
    bdrv_unref(top);
    end_test();
}

static void test_inherit_force_share_to_file(void **state)
{
    const char *const extra[] = { "read-only", "on", "force-share", "on",
                                  NULL };
    BlockDriverState *top = open_top(0, extra);

    expect_true(file_of(top)->force_share);
    expect_int(top->file->shared_perm, BLK_PERM_ALL);
    bdrv_unref(top);
    end_test();
}

static void test_inherit_force_share_explicit_off_wins(void **state)
{
    const char *const extra[] = { "read-only", "on", "force-share", "on",
                                  "file.force-share", "off", NULL };
    BlockDriverState *top = open_top(0, extra);

    expect_false(file_of(top)->force_share);
    expect_int(top->file->shared_perm,
               BLK_PERM_CONSISTENT_READ | BLK_PERM_WRITE_UNCHANGED);
    bdrv_unref(top);
    end_test();
}

static void test_inherit_auto_read_only_to_file(void **state)
{
    const char *const extra[] = { "auto-read-only", "on", NULL };
    BlockDriverState *top = open_top(BDRV_O_RDWR, extra);

    expect_true(file_of(top)->open_flags & BDRV_O_AUTO_RDONLY);
    bdrv_unref(top);
    end_test();
}

/* A backing child: read-only and not auto-read-only unless it says so */
static void test_inherit_backing_read_only_by_default(void **state)
{
    const char *const extra[] = {
        "auto-read-only", "on", "cache.direct", "on",
        "backing.driver", "null-co", NULL,
    };
    BlockDriverState *top = open_top(BDRV_O_RDWR, extra);
    BlockDriverState *backing;

    assert_non_null(top->backing);
    backing = top->backing->bs;
    expect_false(bdrv_is_read_only(top));
    expect_true(bdrv_is_read_only(backing));
    expect_false(backing->open_flags & BDRV_O_AUTO_RDONLY);
    expect_true(backing->open_flags & BDRV_O_NOCACHE);
    expect_true(backing->open_flags & BDRV_O_UNMAP);
    bdrv_unref(top);
    end_test();
}

static void test_inherit_backing_explicit_read_write(void **state)
{
    const char *const extra[] = { "backing.driver", "null-co",
                                  "backing.read-only", "off", NULL };
    BlockDriverState *top = open_top(BDRV_O_RDWR, extra);

    assert_non_null(top->backing);
    expect_false(bdrv_is_read_only(top->backing->bs));
    bdrv_unref(top);
    end_test();
}

/* "No I/O" concerns the guest data: a format still reads its metadata */
static void test_inherit_no_io_not_passed_to_metadata_child(void **state)
{
    BlockDriverState *top = open_top(BDRV_O_NO_IO, NULL);

    expect_true(top->open_flags & BDRV_O_NO_IO);
    expect_false(file_of(top)->open_flags & BDRV_O_NO_IO);
    /* ... and takes no consistent read on it */
    expect_int(top->file->perm, 0);
    bdrv_unref(top);
    end_test();
}

/* A node given by reference inherits nothing */
static void test_inherit_nothing_by_reference(void **state)
{
    BlockDriverState *base = open_node("null-co", "base", BDRV_O_RDWR);
    QDict *opts = opts_new("test", "top");
    BlockDriverState *top;

    qdict_put_str(opts, "file", "base");
    qdict_put_str(opts, "cache.direct", "on");
    top = open_ok(NULL, opts, BDRV_O_RDWR);
    expect_false(base->open_flags & BDRV_O_NOCACHE);
    expect_false(base->open_flags & BDRV_O_UNMAP);
    unref_nodes(top, base);
    end_test();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_inherit_cache_and_read_only_to_file),
        T(test_inherit_explicit_child_options_win),
        T(test_inherit_discard_unmap_default_for_children),
        T(test_inherit_force_share_to_file),
        T(test_inherit_force_share_explicit_off_wins),
        T(test_inherit_auto_read_only_to_file),
        T(test_inherit_backing_read_only_by_default),
        T(test_inherit_backing_explicit_read_write),
        T(test_inherit_no_io_not_passed_to_metadata_child),
        T(test_inherit_nothing_by_reference),
    };

    test_common_init(TEST_COMMON_STEP_CHECKS | TEST_COMMON_NO_BACKEND);
    return test_common_run_group(tests, NULL, NULL);
}
