/*
 * BDRV_BLOCK_RECURSE (block/core/io-status.c): a format that reports data
 * with RECURSE asks the core to look at where that data lives; when the
 * file there reads as zeroes (or ends before it), the answer gains
 * BDRV_BLOCK_ZERO.  Only when zeroes are wanted; RECURSE itself is never
 * part of an answer.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "block/driver.h"
#include "block/test-driver.h"
#include "test-common.h"

#define RC_SIZE (1 << 20)

/* Maps every byte to the same offset of its file, with RECURSE */
static int coroutine_fn recurse_block_status(BlockDriverState *bs,
                                             bool want_zero, int64_t offset,
                                             int64_t bytes, int64_t *pnum,
                                             int64_t *map,
                                             BlockDriverState **file)
{
    *pnum = bytes;
    *map = offset;
    *file = bs->file->bs;
    return BDRV_BLOCK_DATA | BDRV_BLOCK_OFFSET_VALID | BDRV_BLOCK_RECURSE;
}

static int64_t coroutine_fn recurse_getlength(BlockDriverState *bs)
{
    return RC_SIZE;
}

static BlockDriver recurse_drv = {
    .format_name = "recurse-fmt",
    .is_format = true,
    .bdrv_co_getlength = recurse_getlength,
    .bdrv_co_block_status = recurse_block_status,
    .bdrv_child_perm = bdrv_default_perms,
};

/* A recurse-fmt node over @file (which it takes) */
static BlockDriverState *open_over(BlockDriverState *file)
{
    BlockDriverState *bs = test_common_open_local(&recurse_drv, "rc-fmt",
                                                  BDRV_O_RDWR);

    test_common_attach(bs, file, "file",
                       BDRV_CHILD_DATA | BDRV_CHILD_METADATA |
                       BDRV_CHILD_PRIMARY);
    return bs;
}

static BlockDriverState *open_file(const char *driver, const char *size,
                                   const char *read_zeroes)
{
    QDict *opts = test_common_opts_pairs("driver", driver, "node-name",
                                         "rc-file", "size", size, NULL);

    if (read_zeroes) {
        qdict_put_str(opts, "read-zeroes", read_zeroes);
    }
    return open_ok(NULL, opts, BDRV_O_RDWR);
}

static int status(BlockDriverState *bs, int64_t offset, int64_t *pnum)
{
    return bdrv_block_status(bs, offset, 65536, pnum, NULL, NULL);
}

/* Where the file reads as zeroes, so does the data */
static void test_recurse_finds_zeroes_in_file(void **state)
{
    BlockDriverState *bs = open_over(open_file("null-co", "1M", "on"));
    int64_t pnum;
    int ret = status(bs, 0, &pnum);

    expect_int(pnum, 65536);
    expect_true(ret & BDRV_BLOCK_DATA);
    expect_true(ret & BDRV_BLOCK_ZERO);
    expect_false(ret & BDRV_BLOCK_RECURSE);
    /* Allocation queries want no zeroes: the answer stays plain data */
    expect_int(bdrv_is_allocated(bs, 0, 65536, &pnum), 1);
    bdrv_unref(bs);
    end_test();
}

/*
 * The answer at @offset of a recurse-fmt node over a null-co file of
 * @size (reading zeroes or not): always data, plain or zero
 */
static int null_file_answer(const char *size, const char *read_zeroes,
                            int64_t offset)
{
    BlockDriverState *bs = open_over(open_file("null-co", size, read_zeroes));
    int64_t pnum;
    int ret = status(bs, offset, &pnum);

    expect_int(pnum, 65536);
    expect_true(ret & BDRV_BLOCK_DATA);
    expect_false(ret & BDRV_BLOCK_RECURSE);
    bdrv_unref(bs);
    return ret;
}

static void test_recurse_keeps_data_or_finds_end(void **state)
{
    /* A file with data below keeps the answer as it was */
    expect_false(null_file_answer("1M", "off", 0) & BDRV_BLOCK_ZERO);
    /* Past the end of a shorter file there is nothing: zeroes */
    expect_true(null_file_answer("64K", "off", 65536) & BDRV_BLOCK_ZERO);
    end_test();
}

/* A file that cannot answer leaves the format's answer unchanged */
static void test_recurse_file_error_keeps_answer(void **state)
{
    BlockDriverState *file = open_file("test", "1M", NULL);
    BlockDriverState *bs = open_over(file);
    int64_t pnum;
    int ret;

    expect_int(test_driver_inject_error(file, TEST_IO_BLOCK_STATUS, 0, 0,
                                        EIO, false), 0);
    ret = status(bs, 0, &pnum);
    expect_true(ret >= 0);
    expect_true(ret & BDRV_BLOCK_DATA);
    expect_false(ret & (BDRV_BLOCK_ZERO | BDRV_BLOCK_RECURSE));
    expect_int(pnum, 65536);
    bdrv_unref(bs);
    end_test();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_recurse_finds_zeroes_in_file),
        T(test_recurse_keeps_data_or_finds_end),
        T(test_recurse_file_error_keeps_answer),
    };

    return test_common_run_group(tests, test_common_group_setup, NULL);
}
