/*
 * Hostile arguments on the I/O path: a write permission the padded write
 * path could not honour, block-status queries with bad ranges or over huge
 * nodes, and a filter whose child is replaced by a shorter node.  Each of
 * these used to abort, hang or answer success.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "io-helpers.h"


static const char *const unaligned_write_msg =
    "Cannot get 'write' permission without 'resize': Image size is not a "
    "multiple of request alignment";

static int validate_group_setup(void **state)
{
    return tio_group_setup(state);
}

static void validate_reset_rec(void)
{
    rec_config = (RecConfig){ .size = 64 * 1024, .align = 1 };
}

/* ---- item: write permission on a length that is not aligned ---- */

/* size 5120 with align 4096: a write in the last block would be padded
 * past the end, which needs RESIZE */
static void test_write_perm_refused_when_length_unaligned(void **state)
{
    BlockDriverState *bs = tio_open_node("driver=test,size=5120,align=4096",
                                         BDRV_O_RDWR);
    Error *err = NULL;
    BlockBackend *blk;

    blk = blk_new_with_bs(bs, BLK_PERM_CONSISTENT_READ | BLK_PERM_WRITE,
                          BLK_PERM_ALL, &err);
    if (blk) {
        /* Then blk_pwrite(blk, 4096, 100) aborts in the padded path */
        EXPECT_FAIL("the write permission was granted");
        blk_unref(blk);
    } else {
        check_error(&err, unaligned_write_msg);
    }
    /* WRITE_UNCHANGED writes too */
    blk = blk_new_with_bs(bs, BLK_PERM_WRITE_UNCHANGED, BLK_PERM_ALL, &err);
    expect_true(blk == NULL);
    if (blk) {
        blk_unref(blk);
    } else {
        check_error(&err, unaligned_write_msg);
    }
    bdrv_unref(bs);
    end_test();
}

/* With RESIZE the padded write may extend the node: granted */
static void test_write_perm_granted_with_resize_or_aligned_length(void **state)
{
    BlockDriverState *bs = tio_open_node("driver=test,size=5120,align=4096",
                                         BDRV_O_RDWR);
    BlockBackend *blk;

    blk = blk_new_with_bs(bs, BLK_PERM_CONSISTENT_READ | BLK_PERM_WRITE |
                          BLK_PERM_RESIZE, BLK_PERM_ALL, &error_abort);
    blk_unref(blk);
    bdrv_unref(bs);

    bs = tio_open_node("driver=test,size=8192,align=4096", BDRV_O_RDWR);
    blk = blk_new_with_bs(bs, BLK_PERM_CONSISTENT_READ | BLK_PERM_WRITE,
                          BLK_PERM_ALL, &error_abort);
    assert_int_equal(blk_pwrite(blk, 4096, 100, (uint8_t[100]){ 1 }, 0), 0);
    blk_unref(blk);
    bdrv_unref(bs);
}

/* Granting RESIZE later and dropping it again re-runs the check */
static void test_write_perm_rechecked_when_resize_dropped(void **state)
{
    BlockDriverState *bs = tio_open_node("driver=test,size=5120,align=4096",
                                         BDRV_O_RDWR);
    Error *err = NULL;
    BlockBackend *blk;

    blk = blk_new_with_bs(bs, BLK_PERM_CONSISTENT_READ | BLK_PERM_WRITE |
                          BLK_PERM_RESIZE, BLK_PERM_ALL, &error_abort);
    expect_int(blk_set_perm(blk, BLK_PERM_CONSISTENT_READ | BLK_PERM_WRITE,
                            BLK_PERM_ALL, &err), -EPERM);
    if (err) {
        check_error(&err, unaligned_write_msg);
    }
    blk_unref(blk);
    bdrv_unref(bs);
    end_test();
}

/*
 * A node whose length changes behind the core's back (variable length):
 * the permission was right when granted, the padded write must still
 * fail cleanly instead of reaching the core's EOF assertion.
 */
static BlockDriver bdrv_varlen = {
    .format_name = "varlen",
    .protocol_name = "varlen",
    .has_variable_length = true,
    REC_DRIVER_COMMON,
};

static void test_padded_write_past_shrunk_eof_fails(void **state)
{
    TestIo t;
    RecState *s;
    uint8_t buf[100] = { 0 };

    bdrv_register(&bdrv_varlen);
    rec_config = (RecConfig){ .size = 8192, .align = 4096 };
    t = tio_open("driver=varlen", BDRV_O_RDWR);
    s = t.bs->opaque;
    s->size = 5120;     /* someone else shrank it */
    assert_int_equal(blk_pwrite(t.blk, 4096, sizeof(buf), buf, 0), -EIO);
    tio_close(&t);
    validate_reset_rec();
}

/* ---- item: block status validates its arguments ---- */

typedef struct StatusCall {
    BlockDriverState *bs;
    int64_t offset, bytes;
    int64_t *pnum;
    int ret;
    bool done;
} StatusCall;

static void coroutine_fn status_co_entry(void *opaque)
{
    StatusCall *c = opaque;

    c->ret = bdrv_co_block_status(c->bs, c->offset, c->bytes, c->pnum, NULL,
                                  NULL);
    c->done = true;
}

static int co_block_status(BlockDriverState *bs, int64_t offset,
                           int64_t bytes, int64_t *pnum)
{
    StatusCall c = { bs, offset, bytes, pnum };

    qemu_coroutine_enter(qemu_coroutine_create(status_co_entry, &c));
    TIO_POLL_UNTIL(c.done);
    return c.ret;
}

/* Every entry point, synchronous and coroutine, refuses the range */
static void expect_status_refused(BlockDriverState *bs, int64_t offset,
                                  int64_t bytes)
{
    int64_t pnum = 77;

    expect_int(bdrv_block_status(bs, offset, bytes, &pnum, NULL, NULL), -EIO);
    expect_int(pnum, 0);
    pnum = 77;
    expect_int(bdrv_block_status_above(bs, NULL, offset, bytes, &pnum, NULL,
                                       NULL), -EIO);
    expect_int(pnum, 0);
    expect_int(bdrv_is_allocated(bs, offset, bytes, &pnum), -EIO);
    expect_int(bdrv_is_allocated_above(bs, NULL, false, offset, bytes, &pnum),
               -EIO);
    expect_int(bdrv_is_allocated(bs, offset, bytes, NULL), -EIO);
    pnum = 77;
    expect_int(co_block_status(bs, offset, bytes, &pnum), -EIO);
    expect_int(pnum, 0);
}

static void test_block_status_negative_offset_refused(void **state)
{
    BlockDriverState *bs = open_node("test", NULL, BDRV_O_RDWR);

    expect_status_refused(bs, -512, 512);
    expect_status_refused(bs, INT64_MIN, 512);
    bdrv_unref(bs);
    end_test();
}

static void test_block_status_negative_length_refused(void **state)
{
    BlockDriverState *bs = open_node("test", NULL, BDRV_O_RDWR);

    expect_status_refused(bs, 0, -1);
    expect_status_refused(bs, 4096, INT64_MIN);
    bdrv_unref(bs);
    end_test();
}

/* Past the largest length there is nothing to ask about */
static void test_block_status_offset_past_max_length_refused(void **state)
{
    BlockDriverState *bs = open_node("test", NULL, BDRV_O_RDWR);

    expect_status_refused(bs, BDRV_MAX_LENGTH + 1, 512);
    expect_status_refused(bs, INT64_MAX, 1);
    bdrv_unref(bs);
    end_test();
}

/* A huge length is only "to the end": clamped, no overflow */
static void test_block_status_huge_length_clamped(void **state)
{
    BlockDriverState *bs = tio_open_node("driver=test,size=1M", BDRV_O_RDWR);
    int64_t pnum = 0;
    int ret;

    ret = bdrv_block_status(bs, 4096, INT64_MAX, &pnum, NULL, NULL);
    assert_true(ret >= 0);
    assert_true(ret & BDRV_BLOCK_EOF);
    assert_int_equal(pnum, 1024 * 1024 - 4096);
    assert_int_equal(bdrv_is_allocated_above(bs, NULL, false, 0, INT64_MAX,
                                             &pnum), 0);
    assert_int_equal(pnum, 1024 * 1024);
    bdrv_unref(bs);
}

/* A missing pnum, or include_base without a base, is an error */
static void test_block_status_null_pnum_or_missing_base_refused(void **state)
{
    BlockDriverState *bs = open_node("test", NULL, BDRV_O_RDWR);

    expect_int(co_block_status(bs, 0, 512, NULL), -EINVAL);
    expect_int(bdrv_is_allocated_above(bs, NULL, true, 0, 512, NULL),
               -EINVAL);
    bdrv_unref(bs);
    end_test();
}

/* ---- item: block status over a huge node is bounded ---- */

/*
 * A driver whose answer costs one step per 64 KiB it is asked about (as
 * the test driver's store, or a format walking its tables): what the core
 * asks for decides how long a query takes.
 */
static int64_t chunky_steps;
static int64_t chunky_max_query;

static int coroutine_fn chunky_co_block_status(BlockDriverState *bs,
                                               bool want_zero, int64_t offset,
                                               int64_t bytes, int64_t *pnum,
                                               int64_t *map,
                                               BlockDriverState **file)
{
    chunky_steps += DIV_ROUND_UP(bytes, 64 * 1024);
    chunky_max_query = MAX(chunky_max_query, bytes);
    *pnum = bytes;
    return 0;   /* unallocated */
}

static int64_t coroutine_fn chunky_co_getlength(BlockDriverState *bs)
{
    return PiB;
}

static BlockDriver bdrv_chunky = {
    .format_name = "chunky",
    .bdrv_co_getlength = chunky_co_getlength,
    .bdrv_co_block_status = chunky_co_block_status,
};

static void test_block_status_query_capped_on_huge_node(void **state)
{
    BlockDriverState *bs = test_common_open_local(&bdrv_chunky, NULL, 0);
    int64_t pnum = 0;
    int ret;

    chunky_steps = chunky_max_query = 0;
    assert_int_equal(bdrv_getlength(bs), PiB);
    ret = bdrv_block_status(bs, 0, PiB, &pnum, NULL, NULL);
    assert_true(ret >= 0);
    assert_true(pnum > 0 && pnum <= PiB);
    ret = bdrv_is_allocated_above(bs, NULL, false, 0, PiB, &pnum);
    assert_int_equal(ret, 0);
    assert_true(pnum > 0);
    /* Two queries of at most a request's worth each */
    assert_true(chunky_max_query <= (int64_t)BDRV_REQUEST_MAX_BYTES);
    assert_true(chunky_steps <=
                2 * DIV_ROUND_UP((int64_t)BDRV_REQUEST_MAX_BYTES, 64 * 1024));
    bdrv_unref(bs);
}

/* The reported case: the test driver over 1 PiB (its store is per chunk) */
static void test_block_status_on_1pib_test_node_finishes(void **state)
{
    BlockDriverState *bs = tio_open_node("driver=test,size=1P", BDRV_O_RDWR);
    int64_t pnum = 0;
    int ret;

    ret = bdrv_is_allocated_above(bs, NULL, false, 0, PiB, &pnum);
    assert_int_equal(ret, 0);
    assert_true(pnum > 0 && pnum <= PiB);
    ret = bdrv_block_status(bs, PiB - 4096, 4096, &pnum, NULL, NULL);
    assert_true(ret >= 0 && (ret & BDRV_BLOCK_EOF));
    assert_int_equal(pnum, 4096);
    bdrv_unref(bs);
}

/* ---- item: a filter's length follows a change of its child ---- */

static void test_filter_length_follows_replaced_child(void **state)
{
    TestIo t = tio_open("driver=recfilter,file.driver=null-co,"
                        "file.size=1M,file.node-name=long0", BDRV_O_RDWR);
    BlockDriverState *shorter = tio_open_node("driver=null-co,size=64K,"
                                              "node-name=short0",
                                              BDRV_O_RDWR);
    uint8_t buf[512] = { 0 };

    assert_int_equal(blk_getlength(t.blk), 1024 * 1024);
    assert_int_equal(bdrv_replace_child_bs(t.bs->file, shorter,
                                           &error_abort), 0);
    bdrv_unref(shorter);    /* the edge holds it now */
    bdrv_debug_assert_graph();
    assert_int_equal(bdrv_getlength(t.bs), 64 * 1024);
    assert_int_equal(blk_getlength(t.blk), 64 * 1024);
    /* Past the new end: refused by the EOF check, no abort below */
    assert_int_equal(blk_pwrite(t.blk, 512 * 1024, sizeof(buf), buf, 0),
                     -EIO);
    assert_int_equal(blk_pwrite(t.blk, 0, sizeof(buf), buf, 0), 0);
    tio_close(&t);
}

/* bdrv_replace_node (everything above the old child moves) too */
static void test_filter_length_follows_replace_node(void **state)
{
    TestIo t = tio_open("driver=recfilter,file.driver=null-co,"
                        "file.size=1M,file.node-name=long1", BDRV_O_RDWR);
    BlockDriverState *old = bdrv_find_node("long1");
    BlockDriverState *shorter = tio_open_node("driver=null-co,size=64K,"
                                              "node-name=short1",
                                              BDRV_O_RDWR);

    assert_int_equal(bdrv_replace_node(old, shorter, &error_abort), 0);
    bdrv_unref(shorter);
    assert_int_equal(blk_getlength(t.blk), 64 * 1024);
    assert_int_equal(blk_pwrite(t.blk, 128 * 1024, 512, (uint8_t[512]){ 0 },
                                0), -EIO);
    tio_close(&t);
}

/* A filter over a filter: the length change goes all the way up */
static void test_filter_chain_length_follows_replaced_child(void **state)
{
    TestIo t = tio_open("driver=recfilter,file.driver=recfilter,"
                        "file.file.driver=null-co,file.file.size=1M",
                        BDRV_O_RDWR);
    BlockDriverState *lower = t.bs->file->bs;
    BlockDriverState *shorter = tio_open_node("driver=null-co,size=64K",
                                              BDRV_O_RDWR);

    assert_int_equal(blk_getlength(t.blk), 1024 * 1024);
    assert_int_equal(bdrv_replace_child_bs(lower->file, shorter,
                                           &error_abort), 0);
    bdrv_unref(shorter);
    assert_int_equal(bdrv_getlength(lower), 64 * 1024);
    assert_int_equal(blk_getlength(t.blk), 64 * 1024);
    tio_close(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_write_perm_refused_when_length_unaligned),
        T(test_write_perm_granted_with_resize_or_aligned_length),
        T(test_write_perm_rechecked_when_resize_dropped),
        T(test_padded_write_past_shrunk_eof_fails),
        T(test_block_status_negative_offset_refused),
        T(test_block_status_negative_length_refused),
        T(test_block_status_offset_past_max_length_refused),
        T(test_block_status_huge_length_clamped),
        T(test_block_status_null_pnum_or_missing_base_refused),
        T(test_block_status_query_capped_on_huge_node),
        T(test_block_status_on_1pib_test_node_finishes),
        T(test_filter_length_follows_replaced_child),
        T(test_filter_length_follows_replace_node),
        T(test_filter_chain_length_follows_replaced_child),
    };

    return test_common_run_group(tests, validate_group_setup, NULL);
}
