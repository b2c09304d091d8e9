/*
 * bdrv_commit: the active layer's own data goes into its backing file,
 * then the active layer is emptied; each error it reports.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "block/driver.h"
#include "block/test-driver.h"
#include "test-common.h"

#define CM_SIZE (1024 * 1024)

/* A test-driver node without a file (its data in memory) */
static BlockDriverState *cm_open(const char *name, const char *size,
                                 const char *backing, int flags,
                                 const char *inject_write_errno)
{
    QDict *opts = qdict_new();

    qdict_put_str(opts, "driver", "test");
    qdict_put_str(opts, "node-name", name);
    qdict_put_str(opts, "size", size);
    if (backing) {
        qdict_put_str(opts, "backing", backing);
    }
    if (inject_write_errno) {
        qdict_put_str(opts, "inject-error.0.iotype", "write");
        qdict_put_str(opts, "inject-error.0.errno", inject_write_errno);
    }
    return open_ok(NULL, opts, flags);
}

/* A pattern of @len bytes written to @bs at @offset through a backend */
static void cm_write(BlockDriverState *bs, int64_t offset, int len, int v)
{
    BlockBackend *blk = test_common_new_blk(bs, BLK_PERM_ALL, BLK_PERM_ALL);
    g_autofree uint8_t *buf = g_malloc(len);

    memset(buf, v, len);
    expect_int(blk_pwrite(blk, offset, len, buf, 0), 0);
    blk_unref(blk);
}

/* Does @bs read @v over [@offset, @offset + @len)? */
static bool cm_reads(BlockDriverState *bs, int64_t offset, int len, int v)
{
    BlockBackend *blk = test_common_new_blk(bs, BLK_PERM_CONSISTENT_READ,
                                            BLK_PERM_ALL);
    g_autofree uint8_t *buf = g_malloc(len);
    bool ok = blk_pread(blk, offset, len, buf, 0) == 0;

    for (int i = 0; ok && i < len; i++) {
        ok = buf[i] == v;
    }
    blk_unref(blk);
    return ok;
}

static void test_commit_copies_overlay_into_backing_and_empties_it(
    void **state)
{
    BlockDriverState *base = cm_open("cm-base", "1M", NULL, BDRV_O_RDWR,
                                     NULL);
    BlockDriverState *top = cm_open("cm-top", "1M", "cm-base", BDRV_O_RDWR,
                                    NULL);
    int64_t pnum;

    bdrv_unref(base);
    /* The test driver allocates 64 KiB chunks: whole ones */
    cm_write(base, 0, 3 * 65536, 0x11);
    cm_write(top, 65536, 65536, 0x22);
    expect_int(bdrv_commit(top), 0);
    expect_true(cm_reads(base, 65536, 65536, 0x22));
    expect_true(cm_reads(base, 0, 65536, 0x11));
    expect_true(cm_reads(base, 2 * 65536, 65536, 0x11));
    expect_int(test_driver_counters(top)->make_empty, 1);
    expect_int(bdrv_is_allocated(top, 0, CM_SIZE, &pnum), 0);
    expect_int(pnum, CM_SIZE);
    expect_true(cm_reads(top, 65536, 65536, 0x22)); /* now from the base */
    expect_graph_ok();
    bdrv_unref(top);
    end_test();
}

static void test_commit_grows_shorter_backing_file(void **state)
{
    BlockDriverState *base = cm_open("cg-base", "64K", NULL, BDRV_O_RDWR,
                                     NULL);
    BlockDriverState *top = cm_open("cg-top", "1M", "cg-base", BDRV_O_RDWR,
                                    NULL);

    bdrv_unref(base);
    cm_write(top, 512 * 1024, 4096, 0x33);
    expect_int(bdrv_commit(top), 0);
    expect_int(bdrv_getlength(base), CM_SIZE);
    expect_true(cm_reads(base, 512 * 1024, 4096, 0x33));
    bdrv_unref(top);
    end_test();
}

static void test_commit_without_backing_is_not_supported(void **state)
{
    BlockDriverState *bs = cm_open("cn-top", "1M", NULL, BDRV_O_RDWR, NULL);

    expect_int(bdrv_commit(bs), -ENOTSUP);
    expect_int(test_driver_counters(bs)->make_empty, 0);
    bdrv_unref(bs);
    end_test();
}

static void test_commit_refused_by_op_blockers(void **state)
{
    BlockDriverState *base = cm_open("cb-base", "1M", NULL, BDRV_O_RDWR,
                                     NULL);
    BlockDriverState *top = cm_open("cb-top", "1M", "cb-base", BDRV_O_RDWR,
                                    NULL);
    Error *reason = NULL;

    bdrv_unref(base);
    error_setg(&reason, "A job uses it");
    cm_write(top, 0, 4096, 0x44);
    bdrv_op_block(top, BLOCK_OP_TYPE_COMMIT_SOURCE, reason);
    expect_int(bdrv_commit(top), -EBUSY);
    bdrv_op_unblock(top, BLOCK_OP_TYPE_COMMIT_SOURCE, reason);
    bdrv_op_block(base, BLOCK_OP_TYPE_COMMIT_TARGET, reason);
    expect_int(bdrv_commit(top), -EBUSY);
    bdrv_op_unblock(base, BLOCK_OP_TYPE_COMMIT_TARGET, reason);
    expect_true(cm_reads(base, 0, 4096, 0));
    expect_int(test_driver_counters(top)->make_empty, 0);
    expect_int(bdrv_commit(top), 0);
    error_free(reason);
    bdrv_unref(top);
    end_test();
}

/* A read-only backing file is reopened read-write for the commit only */
static void test_commit_reopens_read_only_backing_read_write(void **state)
{
    BlockDriverState *base = cm_open("cr-base", "1M", NULL, 0, NULL);
    BlockDriverState *top = cm_open("cr-top", "1M", "cr-base", BDRV_O_RDWR,
                                    NULL);

    bdrv_unref(base);
    cm_write(top, 0, 65536, 0x55);
    expect_true(bdrv_is_read_only(base));
    expect_int(bdrv_commit(top), 0);
    expect_true(cm_reads(base, 0, 65536, 0x55));
    expect_int(test_driver_counters(top)->make_empty, 1);
    /* Read-only again, and the reopens went both ways */
    expect_true(bdrv_is_read_only(base));
    expect_false(base->open_flags & BDRV_O_RDWR);
    expect_int(test_driver_counters(base)->reopen_commit, 2);
    expect_graph_ok();
    bdrv_unref(top);
    end_test();
}

/*
 * The read-write reopen of the backing file fails (a parent of its file
 * shares no write): the commit fails with -EACCES, nothing is written and
 * every node stays as it was.
 */
static void test_commit_fails_cleanly_when_backing_reopen_fails(void **state)
{
    BlockDriverState *file = cm_open("cf-file", "1M", NULL, BDRV_O_RDWR,
                                     NULL);
    BlockDriverState *base, *top;
    BlockBackend *reader;
    QDict *opts = qdict_new();

    qdict_put_str(opts, "driver", "test");
    qdict_put_str(opts, "node-name", "cf-base");
    qdict_put_str(opts, "size", "1M");
    qdict_put_str(opts, "file", "cf-file");
    base = open_ok(NULL, opts, 0);
    top = cm_open("cf-top", "1M", "cf-base", BDRV_O_RDWR, NULL);
    bdrv_unref(base);
    bdrv_unref(file);
    cm_write(top, 0, 65536, 0x5a);
    reader = test_common_new_blk(file, BLK_PERM_CONSISTENT_READ,
                                 BLK_PERM_CONSISTENT_READ);
    expect_int(bdrv_commit(top), -EACCES);
    expect_true(bdrv_is_read_only(base));
    expect_false(base->file->perm & BLK_PERM_WRITE);
    expect_int(test_driver_counters(base)->reopen_commit, 0);
    expect_int(test_driver_counters(base)->writes, 0);
    expect_int(test_driver_counters(top)->make_empty, 0);
    expect_true(cm_reads(top, 0, 65536, 0x5a));
    expect_graph_ok();
    blk_unref(reader);
    /* Without the reader, the same commit goes through */
    expect_int(bdrv_commit(top), 0);
    expect_true(cm_reads(base, 0, 65536, 0x5a));
    expect_true(bdrv_is_read_only(base));
    bdrv_unref(top);
    end_test();
}

/* Someone reading the backing file shares no write: nothing is written */
static void test_commit_fails_on_permission_conflict(void **state)
{
    BlockDriverState *base = cm_open("cp-base", "1M", NULL, BDRV_O_RDWR,
                                     NULL);
    BlockDriverState *top = cm_open("cp-top", "1M", "cp-base", BDRV_O_RDWR,
                                    NULL);
    BlockBackend *reader;

    bdrv_unref(base);
    cm_write(top, 0, 4096, 0x66);
    reader = test_common_new_blk(base, BLK_PERM_CONSISTENT_READ,
                                 BLK_PERM_CONSISTENT_READ);
    expect_int(bdrv_commit(top), -EPERM);
    blk_unref(reader);
    expect_true(cm_reads(base, 0, 4096, 0));
    expect_true(cm_reads(top, 0, 4096, 0x66));
    expect_int(test_driver_counters(top)->make_empty, 0);
    expect_graph_ok();
    bdrv_unref(top);
    end_test();
}

/* A write error on the backing file is returned; the overlay keeps its data */
static void test_commit_returns_write_error_and_keeps_overlay(void **state)
{
    BlockDriverState *base = cm_open("ce-base", "1M", NULL, BDRV_O_RDWR,
                                     "28");
    BlockDriverState *top = cm_open("ce-top", "1M", "ce-base", BDRV_O_RDWR,
                                    NULL);

    bdrv_unref(base);
    cm_write(top, 0, 4096, 0x77);
    expect_int(bdrv_commit(top), -ENOSPC);
    expect_int(test_driver_counters(top)->make_empty, 0);
    expect_true(cm_reads(top, 0, 4096, 0x77));
    bdrv_unref(top);
    end_test();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_commit_copies_overlay_into_backing_and_empties_it),
        T(test_commit_grows_shorter_backing_file),
        T(test_commit_without_backing_is_not_supported),
        T(test_commit_refused_by_op_blockers),
        T(test_commit_reopens_read_only_backing_read_write),
        T(test_commit_fails_cleanly_when_backing_reopen_fails),
        T(test_commit_fails_on_permission_conflict),
        T(test_commit_returns_write_error_and_keeps_overlay),
    };

    return test_common_run_group(tests, test_common_group_setup, NULL);
}
