/*
 * The sample read-only format of docs/writing-a-driver.md, compiled and
 * tested: what the guide shows is what works.  A "sample" image is a
 * bochs-like sparse format:
 *
 *   0    magic "SAMPLEIM"
 *   8    be32 version (1)
 *   12   be32 block_size (a power of two, 512 .. 1 MiB)
 *   16   be64 disk_size (bytes)
 *   512  catalog: one be32 per block, SAMPLE_UNALLOCATED or the index of
 *        the block in the data area, which follows the catalog (rounded up
 *        to 512 bytes)
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "block/driver.h"
#include "block/mem.h"
#include "util/bswap.h"
#include "util/cutils.h"
#include "test-common.h"

/* ---- the driver, as the guide shows it ---------------------------------- */

#define SAMPLE_MAGIC "SAMPLEIM"
#define SAMPLE_HEADER_SIZE 24
#define SAMPLE_CATALOG_OFFSET 512
#define SAMPLE_UNALLOCATED 0xffffffffu
#define SAMPLE_MAX_BLOCK_SIZE (1024 * 1024)
#define SAMPLE_MAX_ENTRIES (1024 * 1024)   /* a 4 MiB catalog */
#define SAMPLE_OPT_VERIFY "verify-catalog"

typedef struct BDRVSampleState {
    uint32_t block_size;
    uint32_t nb_entries;
    uint32_t *catalog;          /* host byte order */
    int64_t data_offset;
} BDRVSampleState;

static QemuOptsList sample_runtime_opts = {
    .name = "sample",
    .desc = {
        {
            .name = SAMPLE_OPT_VERIFY,
            .type = QEMU_OPT_BOOL,
            .help = "Check at open that every block lies inside the file",
        },
        { /* end of list */ }
    },
};

static int sample_probe(const uint8_t *buf, int buf_size,
                        const char *filename)
{
    if (buf_size >= SAMPLE_HEADER_SIZE &&
        !memcmp(buf, SAMPLE_MAGIC, strlen(SAMPLE_MAGIC)) &&
        ldl_be_p(buf + 8) == 1) {
        return 100;
    }
    return 0;
}

/* Every field against a named limit, with an error naming the value */
static int sample_read_header(BlockDriverState *bs, BDRVSampleState *s,
                              uint64_t *disk_size, Error **errp)
{
    uint8_t hdr[SAMPLE_HEADER_SIZE];
    int ret = bdrv_pread(bs->file, 0, sizeof(hdr), hdr, 0);
    uint32_t version;

    if (ret < 0) {
        error_setg_errno(errp, -ret, "Could not read the sample header");
        return ret;
    }
    version = ldl_be_p(hdr + 8);
    s->block_size = ldl_be_p(hdr + 12);
    *disk_size = ldq_be_p(hdr + 16);
    if (memcmp(hdr, SAMPLE_MAGIC, strlen(SAMPLE_MAGIC)) || version != 1) {
        error_setg(errp, "Image is not in sample format (version %" PRIu32
                   ")", version);
        return -EINVAL;
    }
    if (s->block_size < 512 || !is_power_of_2(s->block_size) ||
        s->block_size > SAMPLE_MAX_BLOCK_SIZE) {
        error_setg(errp, "Invalid block size %" PRIu32 ": expected a power "
                   "of two from 512 to %d", s->block_size,
                   SAMPLE_MAX_BLOCK_SIZE);
        return -EINVAL;
    }
    if (*disk_size == 0 ||
        DIV_ROUND_UP(*disk_size, s->block_size) > SAMPLE_MAX_ENTRIES) {
        error_setg(errp, "Invalid disk size %" PRIu64 ": at most %d blocks "
                   "of %" PRIu32 " bytes", *disk_size, SAMPLE_MAX_ENTRIES,
                   s->block_size);
        return -EINVAL;
    }
    s->nb_entries = DIV_ROUND_UP(*disk_size, s->block_size);
    return 0;
}

static int sample_read_catalog(BlockDriverState *bs, BDRVSampleState *s,
                               bool verify, Error **errp)
{
    size_t len = (size_t)s->nb_entries * 4;
    int64_t file_len = bdrv_getlength(bs->file->bs);
    g_autofree uint8_t *raw = g_try_malloc(len);
    int ret;

    if (!raw || file_len < 0) {
        error_setg(errp, "Could not read the catalog of %" PRIu32 " entries",
                   s->nb_entries);
        return raw ? (int)file_len : -ENOMEM;
    }
    ret = bdrv_pread(bs->file, SAMPLE_CATALOG_OFFSET, len, raw, 0);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Could not read the catalog");
        return ret;
    }
    s->catalog = g_new(uint32_t, s->nb_entries);
    s->data_offset = ROUND_UP(SAMPLE_CATALOG_OFFSET + len, 512);
    for (uint32_t i = 0; i < s->nb_entries; i++) {
        uint32_t e = ldl_be_p(raw + 4 * i);

        if (verify && e != SAMPLE_UNALLOCATED &&
            s->data_offset + ((int64_t)e + 1) * s->block_size > file_len) {
            error_setg(errp, "Catalog entry %" PRIu32 " points to block %"
                       PRIu32 ", past the end of the file", i, e);
            return -EINVAL;
        }
        s->catalog[i] = e;
    }
    return 0;
}

static int sample_open(BlockDriverState *bs, QDict *options, int flags,
                       Error **errp)
{
    BDRVSampleState *s = bs->opaque;
    QemuOpts *opts = qemu_opts_create(&sample_runtime_opts, NULL, 0,
                                      &error_abort);
    uint64_t disk_size;
    int ret = -EINVAL;

    /* Takes out of @options what the list describes; the rest stays */
    if (!qemu_opts_absorb_qdict(opts, options, errp)) {
        goto out;
    }
    /* A read-only format: -EACCES unless the user allowed read-only;
     * decided before attaching the file, which is then only read */
    ret = bdrv_apply_auto_read_only(bs, "The sample format is read-only",
                                    errp);
    if (ret < 0) {
        goto out;
    }
    ret = bdrv_open_file_child(NULL, options, "file", bs, errp);
    if (ret < 0) {
        goto out;
    }
    ret = sample_read_header(bs, s, &disk_size, errp);
    if (ret < 0) {
        goto out;
    }
    ret = sample_read_catalog(bs, s,
                              qemu_opt_get_bool(opts, SAMPLE_OPT_VERIFY,
                                                true), errp);
    if (ret < 0) {
        goto out;
    }
    /* No bdrv_co_getlength: the core keeps this (rounded up to sectors) */
    bs->total_sectors = DIV_ROUND_UP(disk_size, BDRV_SECTOR_SIZE);
out:
    qemu_opts_del(opts);
    if (ret < 0) {
        /* A failed open gets no close: free here what open allocated */
        g_free(s->catalog);
        s->catalog = NULL;
    }
    return ret;
}

static void sample_close(BlockDriverState *bs)
{
    BDRVSampleState *s = bs->opaque;

    g_free(s->catalog);
}

static void sample_refresh_limits(BlockDriverState *bs, Error **errp)
{
    bs->bl.request_alignment = BDRV_SECTOR_SIZE;
}

static int coroutine_fn sample_co_preadv_part(BlockDriverState *bs,
                                              int64_t offset, int64_t bytes,
                                              QEMUIOVector *qiov,
                                              size_t qiov_offset,
                                              BdrvRequestFlags flags)
{
    BDRVSampleState *s = bs->opaque;

    while (bytes > 0) {
        /* Below ROUND_UP(disk_size, 512), so inside the last block */
        uint32_t entry = s->catalog[offset / s->block_size];
        int64_t in_block = offset % s->block_size;
        int64_t n = MIN(bytes, s->block_size - in_block);
        int ret = 0;

        if (entry == SAMPLE_UNALLOCATED) {
            qemu_iovec_memset(qiov, qiov_offset, 0, n);
        } else {
            BLKDBG_CO_EVENT(bs->file, BLKDBG_READ_AIO);
            ret = bdrv_co_preadv_part(bs->file,
                                      s->data_offset +
                                          (int64_t)entry * s->block_size +
                                          in_block,
                                      n, qiov, qiov_offset, 0);
        }
        if (ret < 0) {
            return ret;
        }
        offset += n;
        bytes -= n;
        qiov_offset += n;
    }
    return 0;
}

/*
 * Blocks of one kind from @offset: allocated ones are DATA at a known
 * place in bs->file; holes are ZERO (no backing file to read instead).
 */
static int coroutine_fn sample_co_block_status(BlockDriverState *bs,
                                               bool want_zero, int64_t offset,
                                               int64_t bytes, int64_t *pnum,
                                               int64_t *map,
                                               BlockDriverState **file)
{
    BDRVSampleState *s = bs->opaque;
    uint32_t entry = s->catalog[offset / s->block_size];
    int64_t in_block = offset % s->block_size;

    *pnum = MIN(bytes, s->block_size - in_block);
    if (entry == SAMPLE_UNALLOCATED) {
        return BDRV_BLOCK_ZERO;
    }
    *map = s->data_offset + (int64_t)entry * s->block_size + in_block;
    *file = bs->file->bs;
    return BDRV_BLOCK_DATA | BDRV_BLOCK_OFFSET_VALID;
}

BlockDriver bdrv_sample = {
    .format_name = "sample",
    .instance_size = sizeof(BDRVSampleState),
    .is_format = true,
    .bdrv_probe = sample_probe,
    .bdrv_open = sample_open,
    .bdrv_close = sample_close,
    .bdrv_refresh_limits = sample_refresh_limits,
    .bdrv_co_preadv_part = sample_co_preadv_part,
    .bdrv_co_block_status = sample_co_block_status,
    .bdrv_child_perm = bdrv_default_perms,
};

/* ---- tests ------------------------------------------------------------- */

/* 3 blocks of 4 KiB, 10000 bytes; block 1 is a hole, 0 and 2 swapped */
static void sample_make_image(const char *name, uint32_t block_size,
                              uint32_t version, uint32_t entry2)
{
    uint8_t img[512 + 512 + 2 * 4096] = { 0 };

    memcpy(img, SAMPLE_MAGIC, 8);
    stl_be_p(img + 8, version);
    stl_be_p(img + 12, block_size);
    stq_be_p(img + 16, 10000);
    stl_be_p(img + 512, 1);
    stl_be_p(img + 516, SAMPLE_UNALLOCATED);
    stl_be_p(img + 520, entry2);
    memset(img + 1024, 0x22, 4096);    /* data block 0: disk block 2 */
    memset(img + 1024 + 4096, 0x11, 4096);
    mem_image_set(name, img, sizeof(img), &error_abort);
}

static int sample_group_setup(void **state)
{
    test_common_init(0);
    bdrv_register(&bdrv_sample);
    return 0;
}

static void test_sample_reads_probed_image(void **state)
{
    BlockBackend *blk;
    uint8_t buf[10240];
    int64_t pnum, map;
    BlockDriverState *file;

    sample_make_image("sample-ok", 4096, 1, 0);
    blk = blk_new_open("mem:sample-ok", NULL, NULL, 0, &error_abort);
    assert_string_equal(bdrv_get_format_name(blk_bs(blk)), "sample");
    /* 10000 bytes, reported rounded up to whole sectors */
    assert_int_equal(blk_getlength(blk), 10240);
    assert_int_equal(blk_pread(blk, 0, sizeof(buf), buf, 0), 0);
    assert_int_equal(buf[0], 0x11);
    assert_int_equal(buf[4095], 0x11);
    assert_true(buffer_is_zero(buf + 4096, 4096));
    assert_int_equal(buf[8192], 0x22);
    assert_int_equal(bdrv_block_status(blk_bs(blk), 4096, 8192, &pnum, &map,
                                       &file), BDRV_BLOCK_ZERO |
                                                   BDRV_BLOCK_ALLOCATED);
    assert_int_equal(pnum, 4096);
    assert_int_equal(bdrv_block_status(blk_bs(blk), 8192, 2048, &pnum, &map,
                                       &file),
                     BDRV_BLOCK_DATA | BDRV_BLOCK_OFFSET_VALID |
                         BDRV_BLOCK_ALLOCATED | BDRV_BLOCK_EOF);
    assert_int_equal(map, 1024);
    blk_unref(blk);
}

static void test_sample_read_only_unless_auto_read_only(void **state)
{
    BlockDriverState *bs;
    BlockBackend *blk;
    uint8_t buf[512];
    Error *err = NULL;

    sample_make_image("sample-ro", 4096, 1, 0);
    assert_null(blk_new_open("mem:sample-ro", NULL, NULL, BDRV_O_RDWR,
                             &err));
    check_error_has(&err, "The sample format is read-only", NULL);
    /* The node becomes read-only; a backend then asks only to read */
    bs = bdrv_open("mem:sample-ro", NULL, NULL,
                   BDRV_O_RDWR | BDRV_O_AUTO_RDONLY, &error_abort);
    assert_true(bdrv_is_read_only(bs));
    assert_false(bs->file->perm & BLK_PERM_WRITE);
    blk = test_common_new_blk(bs, BLK_PERM_CONSISTENT_READ, BLK_PERM_ALL);
    assert_int_equal(blk_pread(blk, 0, 512, buf, 0), 0);
    assert_int_equal(buf[0], 0x11);
    blk_unref(blk);
    bdrv_unref(bs);
}

static void test_sample_bad_headers_name_the_value(void **state)
{
    QDict *opts;
    Error *err = NULL;

    sample_make_image("sample-bs", 1000, 1, 0);
    opts = qdict_new();
    qdict_put_str(opts, "driver", "sample");
    assert_null(blk_new_open("mem:sample-bs", NULL, opts, 0, &err));
    check_error_has(&err, "Invalid block size 1000", NULL);

    sample_make_image("sample-cat", 4096, 1, 7);
    assert_null(blk_new_open("mem:sample-cat", NULL, NULL, 0, &err));
    check_error_has(&err, "Catalog entry 2 points to block 7", NULL);
    /* The runtime option, absorbed through QemuOpts, turns the check off */
    opts = qdict_new();
    qdict_put_str(opts, SAMPLE_OPT_VERIFY, "off");
    qdict_put_str(opts, "driver", "sample");
    BlockBackend *blk = blk_new_open("mem:sample-cat", NULL, opts, 0,
                                     &error_abort);
    blk_unref(blk);
    /* Unknown options are still refused */
    opts = qdict_new();
    qdict_put_str(opts, "driver", "sample");
    qdict_put_str(opts, "colour", "red");
    assert_null(blk_new_open("mem:sample-ok2", NULL, opts, 0, &err));
    error_free(err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_sample_reads_probed_image),
        T(test_sample_read_only_unless_auto_read_only),
        T(test_sample_bad_headers_name_the_value),
    };

    return test_common_run_group(tests, sample_group_setup,
                                 test_common_group_teardown_mem);
}
