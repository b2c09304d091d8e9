/*
 * Unit tests for the generic request path (block/core/io*.c, aiocb.c):
 * validation, alignment (read-modify-write), splitting, serialisation,
 * zero writes, discard, flush, truncate, lengths and AIOCBs.
 *
 * Two drivers are defined here to observe exactly what reaches a driver:
 * "rec", a memory protocol that records every call and has neither a
 * zero-write nor a block-status callback, and "recfilter", a filter
 * without any optional callback.  Block status has its own file
 * (test-io-status.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "block/test-driver.h"
#include "io-helpers.h"

/* ---- tests: validation ---- */

static void test_check_request(void **state)
{
    Error *err = NULL;

    assert_int_equal(bdrv_check_request(0, 0, &error_abort), 0);
    assert_int_equal(bdrv_check_request(BDRV_MAX_LENGTH - 512, 512,
                                        &error_abort), 0);

    assert_int_equal(bdrv_check_request(-1, 1, &err), -EIO);
    assert_non_null(strstr(error_get_pretty(err), "-1"));
    error_free_or_abort(&err);
    assert_int_equal(bdrv_check_request(0, -5, &err), -EIO);
    assert_non_null(strstr(error_get_pretty(err), "-5"));
    error_free_or_abort(&err);
    assert_int_equal(bdrv_check_request(0, BDRV_MAX_LENGTH + 1, &err), -EIO);
    error_free_or_abort(&err);
    assert_int_equal(bdrv_check_request(BDRV_MAX_LENGTH + 1, 0, &err), -EIO);
    error_free_or_abort(&err);
    assert_int_equal(bdrv_check_request(BDRV_MAX_LENGTH, 1, &err), -EIO);
    error_free_or_abort(&err);
    assert_int_equal(bdrv_check_request(INT64_MAX, INT64_MAX, NULL), -EIO);
}

static void test_rw_roundtrip(void **state)
{
    TestIo t = tio_open("driver=test,size=1M", BDRV_O_RDWR);
    uint8_t in[3000], out[3000];
    uint8_t *big = g_malloc(256 * 1024);
    QEMUIOVector qiov;

    memset(in, 0x5a, sizeof(in));
    /* QEMU >= 7.1 semantics: 0 on success, not a byte count */
    assert_int_equal(bdrv_pwrite(t.child, 1000, sizeof(in), in, 0), 0);
    assert_int_equal(bdrv_pread(t.child, 1000, sizeof(out), out, 0), 0);
    assert_memory_equal(in, out, sizeof(in));

    /* A vector of several elements, read back with another split */
    qemu_iovec_init(&qiov, 3);
    qemu_iovec_add(&qiov, in, 100);
    qemu_iovec_add(&qiov, in + 100, 900);
    qemu_iovec_add(&qiov, in + 1000, 2000);
    memset(in, 0x11, 1000);
    assert_int_equal(bdrv_pwritev(t.child, 500000, 3000, &qiov, 0), 0);
    assert_int_equal(bdrv_preadv(t.child, 500000, 3000, &qiov, 0), 0);
    assert_int_equal(bdrv_pread(t.child, 500000, 3000, out, 0), 0);
    assert_memory_equal(in, out, 3000);
    qemu_iovec_destroy(&qiov);

    /* Zero-length requests succeed without reaching the driver */
    test_driver_reset_counters(t.bs);
    assert_int_equal(bdrv_pread(t.child, 7, 0, out, 0), 0);
    assert_int_equal(bdrv_pwrite(t.child, 7, 0, out, 0), 0);
    assert_int_equal(test_driver_counters(t.bs)->reads, 0);
    assert_int_equal(test_driver_counters(t.bs)->writes, 0);

    memset(big, 0xc3, 256 * 1024);
    assert_int_equal(bdrv_pwrite(t.child, 0, 256 * 1024, big, 0), 0);
    memset(big, 0, 256 * 1024);
    assert_int_equal(bdrv_pread(t.child, 0, 256 * 1024, big, 0), 0);
    assert_true(big[0] == 0xc3 && big[256 * 1024 - 1] == 0xc3);
    g_free(big);
    tio_close(&t);
}

static void test_invalid_requests(void **state)
{
    TestIo t = tio_open("driver=test,size=1M", BDRV_O_RDWR);
    uint8_t buf[512];
    QEMUIOVector qiov;

    assert_int_equal(bdrv_pread(t.child, -1, 512, buf, 0), -EIO);
    assert_int_equal(bdrv_pwrite(t.child, -512, 512, buf, 0), -EIO);
    assert_int_equal(bdrv_pread(t.child, 0, -1, buf, 0), -EIO);
    assert_int_equal(bdrv_pread(t.child, BDRV_MAX_LENGTH, 512, buf, 0), -EIO);
    /* Data requests are limited to BDRV_REQUEST_MAX_BYTES */
    qemu_iovec_init_buf(&qiov, buf, sizeof(buf));
    assert_int_equal(bdrv_preadv(t.child, 0, BDRV_REQUEST_MAX_BYTES + 512,
                                 &qiov, 0), -EIO);
    /* The vector must hold the bytes asked for */
    assert_int_equal(bdrv_preadv(t.child, 0, 1024, &qiov, 0), -EIO);
    assert_int_equal(bdrv_pwritev(t.child, 0, 1024, &qiov, 0), -EIO);
    assert_int_equal(bdrv_pdiscard(t.child, -1, 512), -EIO);
    assert_int_equal(bdrv_pwrite_zeroes(t.child, -1, 512, 0), -EIO);
    /* Compression the driver cannot do is refused, not ignored */
    assert_int_equal(bdrv_pwrite(t.child, 0, 512, buf,
                                 BDRV_REQ_WRITE_COMPRESSED), -ENOTSUP);
    assert_int_equal(test_driver_counters(t.bs)->reads, 0);
    assert_int_equal(test_driver_counters(t.bs)->writes, 0);
    tio_close(&t);
}

static void test_no_medium(void **state)
{
    BlockDriverState *bs = bdrv_new();
    BlockBackend *blk = blk_new_with_bs(bs, 0, BLK_PERM_ALL, &error_abort);
    BdrvChild *child = blk_root(blk);
    Error *err = NULL;
    uint8_t buf[512];
    int64_t pnum;

    assert_false(bdrv_is_inserted(bs));
    assert_int_equal(bdrv_pread(child, 0, 512, buf, 0), -ENOMEDIUM);
    assert_int_equal(bdrv_pwrite(child, 0, 512, buf, 0), -ENOMEDIUM);
    assert_int_equal(bdrv_pwrite_zeroes(child, 0, 512, 0), -ENOMEDIUM);
    assert_int_equal(bdrv_pdiscard(child, 0, 512), -ENOMEDIUM);
    assert_int_equal(bdrv_getlength(bs), -ENOMEDIUM);
    assert_int_equal(bdrv_nb_sectors(bs), -ENOMEDIUM);
    assert_int_equal(bdrv_get_allocated_file_size(bs), -ENOMEDIUM);
    assert_int_equal(bdrv_block_status(bs, 0, 512, &pnum, NULL, NULL),
                     -ENOMEDIUM);
    assert_int_equal(bdrv_truncate(child, 0, false, PREALLOC_MODE_OFF, 0,
                                   &err), -ENOMEDIUM);
    assert_string_equal(error_get_pretty(err), "No medium inserted");
    error_free(err);
    /* Nothing to flush is success */
    assert_int_equal(bdrv_flush(bs), 0);
    blk_unref(blk);
    bdrv_unref(bs);
}

static void test_read_only(void **state)
{
    TestIo t = tio_open("driver=test,size=1M", BDRV_O_UNMAP);
    Error *err = NULL;
    uint8_t buf[512] = { 0 };

    assert_true(bdrv_is_read_only(t.bs));
    assert_int_equal(bdrv_pwrite(t.child, 0, 512, buf, 0), -EPERM);
    assert_int_equal(bdrv_pwrite_zeroes(t.child, 0, 512, 0), -EPERM);
    assert_int_equal(bdrv_pdiscard(t.child, 0, 512), -EPERM);
    assert_int_equal(bdrv_truncate(t.child, 4096, false, PREALLOC_MODE_OFF, 0,
                                   &err), -EACCES);
    assert_string_equal(error_get_pretty(err), "Image is read-only");
    error_free(err);
    /* Reading is fine, and a flush of a read-only node does nothing */
    assert_int_equal(bdrv_pread(t.child, 0, 512, buf, 0), 0);
    assert_int_equal(bdrv_flush(t.bs), 0);
    assert_int_equal(test_driver_counters(t.bs)->writes, 0);
    tio_close(&t);
}

/* ---- tests: alignment ---- */

static void test_rmw_write(void **state)
{
    TestIo t;
    RecState *s;
    uint8_t pattern[3 * 4096], buf[3 * 4096];

    rec_config = (RecConfig){ .size = 64 * 1024, .align = 4096 };
    t = tio_open("driver=rec", BDRV_O_RDWR);
    s = t.bs->opaque;
    assert_int_equal(bdrv_get_request_alignment(t.bs), 4096);
    for (size_t i = 0; i < sizeof(pattern); i++) {
        pattern[i] = (uint8_t)(i * 7 + 1);
    }
    memcpy(s->data, pattern, sizeof(pattern));

    /* One byte in the middle of block 0 */
    assert_int_equal(bdrv_pwrite(t.child, 100, 1, "X", 0), 0);
    assert_int_equal(s->data[100], 'X');
    assert_memory_equal(s->data, pattern, 100);
    assert_memory_equal(s->data + 101, pattern + 101, sizeof(pattern) - 101);
    /* The driver saw one block read and one block write */
    assert_int_equal(s->ncalls, 2);
    assert_int_equal(s->calls[0].op, 'r');
    assert_int_equal(s->calls[1].op, 'w');
    assert_int_equal(s->calls[1].offset, 0);
    assert_int_equal(s->calls[1].bytes, 4096);

    /* Unaligned head and tail in different blocks, aligned middle */
    rec_reset(s);
    memset(buf, 'Y', sizeof(buf));
    assert_int_equal(bdrv_pwrite(t.child, 4000, 4096 + 200, buf, 0), 0);
    assert_int_equal(s->data[3999], pattern[3999]);
    assert_memory_equal(s->data + 4000, buf, 4296);
    assert_int_equal(s->data[8296], pattern[8296]);
    assert_memory_equal(s->data + 8296, pattern + 8296, 3 * 4096 - 8296);
    assert_int_equal(s->nreads, 2);          /* head and tail block */
    assert_int_equal(s->nwrites, 1);
    assert_int_equal(s->calls[s->ncalls - 1].offset, 0);
    assert_int_equal(s->calls[s->ncalls - 1].bytes, 3 * 4096);
    assert_false(s->misaligned);

    /* Unaligned reads: copy out exactly the requested bytes */
    memset(buf, 0, sizeof(buf));
    assert_int_equal(bdrv_pread(t.child, 4001, 10, buf + 1, 0), 0);
    assert_int_equal(buf[0], 0);
    assert_memory_equal(buf + 1, s->data + 4001, 10);
    assert_int_equal(buf[11], 0);
    assert_false(s->misaligned);
    tio_close(&t);
}

static void test_rmw_read_error(void **state)
{
    TestIo t;
    RecState *s;

    rec_config = (RecConfig){ .size = 64 * 1024, .align = 4096 };
    t = tio_open("driver=rec", BDRV_O_RDWR);
    s = t.bs->opaque;
    s->fail_reads = -EIO;
    /* A failing head read fails the write and writes nothing */
    assert_int_equal(bdrv_pwrite(t.child, 10, 10, "0123456789", 0), -EIO);
    assert_int_equal(s->nwrites, 0);
    assert_int_equal(s->data[10], 0);
    tio_close(&t);
}

static void test_read_past_eof(void **state)
{
    TestIo t;
    RecState *s;
    uint8_t buf[8192];

    rec_config = (RecConfig){ .size = 64 * 1024, .align = 512 };
    t = tio_open("driver=rec", BDRV_O_RDWR);
    s = t.bs->opaque;
    memset(s->data, 0xee, 64 * 1024);
    memset(buf, 0x77, sizeof(buf));
    /* Through the edge (not a backend): past EOF reads as zeroes */
    assert_int_equal(bdrv_pread(t.child, 64 * 1024 - 512, 8192, buf, 0), 0);
    assert_int_equal(buf[0], 0xee);
    assert_int_equal(buf[511], 0xee);
    assert_true(buffer_is_zero(buf + 512, 8192 - 512));
    /* The driver was never asked for bytes past its end */
    assert_int_equal(s->ncalls, 1);
    assert_int_equal(s->calls[0].bytes, 512);
    rec_reset(s);
    assert_int_equal(bdrv_pread(t.child, 1024 * 1024, 512, buf, 0), 0);
    assert_int_equal(s->ncalls, 0);
    tio_close(&t);
}

static void test_max_transfer_split(void **state)
{
    TestIo t;
    RecState *s;
    uint8_t *buf = g_malloc(20000);

    rec_config = (RecConfig){ .size = 64 * 1024, .align = 512,
                              .max_transfer = 4096 };
    t = tio_open("driver=rec", BDRV_O_RDWR);
    s = t.bs->opaque;
    for (int i = 0; i < 20000; i++) {
        buf[i] = (uint8_t)i;
    }
    assert_int_equal(bdrv_pwrite(t.child, 512, 20000, buf, 0), 0);
    assert_memory_equal(s->data + 512, buf, 20000);
    /* 20000 padded to 20480 at 512: five pieces of at most 4096 */
    assert_int_equal(s->nwrites, 5);
    for (int i = 0; i < s->ncalls; i++) {
        assert_true(s->calls[i].bytes <= 4096);
    }
    rec_reset(s);
    memset(buf, 0, 20000);
    assert_int_equal(bdrv_pread(t.child, 512, 20000, buf, 0), 0);
    assert_memory_equal(s->data + 512, buf, 20000);
    assert_int_equal(s->nreads, 5);
    g_free(buf);
    tio_close(&t);
}

/* FUA is passed down when supported, else emulated with a flush */
static void test_fua(void **state)
{
    TestIo t;
    RecState *s;

    rec_config = (RecConfig){ .size = 64 * 1024, .align = 1 };
    t = tio_open("driver=rec", BDRV_O_RDWR);
    s = t.bs->opaque;
    assert_int_equal(bdrv_pwrite(t.child, 0, 4, "abcd", BDRV_REQ_FUA), 0);
    assert_int_equal(s->calls[0].flags & BDRV_REQ_FUA, 0);
    assert_int_equal(s->nflush_disk, 1);
    tio_close(&t);

    rec_config = (RecConfig){ .size = 64 * 1024, .align = 1,
                              .write_flags = BDRV_REQ_FUA };
    t = tio_open("driver=rec", BDRV_O_RDWR);
    s = t.bs->opaque;
    assert_int_equal(bdrv_pwrite(t.child, 0, 4, "abcd", BDRV_REQ_FUA), 0);
    assert_int_equal(s->calls[0].flags & BDRV_REQ_FUA, BDRV_REQ_FUA);
    assert_int_equal(s->nflush_disk, 0);
    /* pwrite_sync always flushes */
    assert_int_equal(bdrv_pwrite_sync(t.child, 0, 4, "efgh", 0), 0);
    assert_int_equal(s->nflush_disk, 1);
    assert_memory_equal(s->data, "efgh", 4);
    tio_close(&t);
}

/* A write past EOF through an edge holding RESIZE grows the node */
static void test_write_grows(void **state)
{
    TestIo t;
    RecState *s;
    ProbeParent probe = { 0 };
    BdrvChild *pc;

    rec_config = (RecConfig){ .size = 4096, .align = 1 };
    t = tio_open_perm("driver=rec", BDRV_O_RDWR,
                      BLK_PERM_WRITE | BLK_PERM_RESIZE);
    s = t.bs->opaque;
    pc = probe_attach(t.bs, &probe, 0);
    assert_int_equal(bdrv_getlength(t.bs), 4096);
    assert_int_equal(bdrv_pwrite(t.child, 8000, 4, "grow", 0), 0);
    assert_memory_equal(s->data + 8000, "grow", 4);
    assert_int_equal(bdrv_getlength(t.bs), 8192);
    assert_int_equal(probe.resizes, 1);
    bdrv_root_unref_child(pc);
    tio_close(&t);
}

/* ---- tests: zero writes ---- */

static void test_zeroes_driver(void **state)
{
    TestIo t = tio_open("driver=test,size=1M", BDRV_O_RDWR);
    uint8_t buf[8192];

    memset(buf, 0xab, sizeof(buf));
    assert_int_equal(bdrv_pwrite(t.child, 0, sizeof(buf), buf, 0), 0);
    test_driver_reset_counters(t.bs);
    assert_int_equal(bdrv_pwrite_zeroes(t.child, 100, 1000, 0), 0);
    /* The test driver zeroes by itself: one call, no data write */
    assert_int_equal(test_driver_counters(t.bs)->writes, 1);
    assert_int_equal(bdrv_pread(t.child, 0, sizeof(buf), buf, 0), 0);
    assert_int_equal(buf[99], 0xab);
    assert_true(buffer_is_zero(buf + 100, 1000));
    assert_int_equal(buf[1100], 0xab);
    tio_close(&t);
}

static void test_zeroes_fallback(void **state)
{
    TestIo t;
    RecState *s;
    int64_t len = 3 * 1024 * 1024 + 4096;

    rec_config = (RecConfig){ .size = 4 * 1024 * 1024, .align = 512 };
    t = tio_open("driver=rec", BDRV_O_RDWR);
    s = t.bs->opaque;
    memset(s->data, 0xff, rec_config.size);
    /* No driver callback: written as data, in bounded chunks */
    assert_int_equal(bdrv_pwrite_zeroes(t.child, 512, len, 0), 0);
    assert_int_equal(s->data[511], 0xff);
    assert_true(buffer_is_zero(s->data + 512, len));
    assert_int_equal(s->data[512 + len], 0xff);
    assert_int_equal(s->nwrites, 4);
    for (int i = 0; i < s->ncalls; i++) {
        assert_true(s->calls[i].bytes <= IO_TEST_ZERO_BOUNCE_MAX);
    }
    /* NO_FALLBACK refuses instead of writing data */
    rec_reset(s);
    assert_int_equal(bdrv_pwrite_zeroes(t.child, 0, 4096,
                                        BDRV_REQ_NO_FALLBACK), -ENOTSUP);
    assert_int_equal(s->ncalls, 0);
    tio_close(&t);
}

static void test_zeroes_unaligned(void **state)
{
    TestIo t;
    RecState *s;

    rec_config = (RecConfig){ .size = 64 * 1024, .align = 4096 };
    t = tio_open("driver=rec", BDRV_O_RDWR);
    s = t.bs->opaque;
    memset(s->data, 0x42, rec_config.size);
    assert_int_equal(bdrv_pwrite_zeroes(t.child, 1000, 10000, 0), 0);
    assert_int_equal(s->data[999], 0x42);
    assert_true(buffer_is_zero(s->data + 1000, 10000));
    assert_int_equal(s->data[11000], 0x42);
    assert_false(s->misaligned);
    /* Partial blocks cannot be zeroed without writing data */
    assert_int_equal(bdrv_pwrite_zeroes(t.child, 10, 10,
                                        BDRV_REQ_NO_FALLBACK), -ENOTSUP);
    /* Zero writes may exceed the data request limit */
    tio_close(&t);

    t = tio_open("driver=null-co,size=8G", BDRV_O_RDWR);
    assert_int_equal(bdrv_pwrite_zeroes(t.child, 0, 3LL << 30, 0), 0);
    tio_close(&t);
}

/* ---- tests: discard ---- */

static void test_discard(void **state)
{
    TestIo t;
    RecState *s;

    rec_config = (RecConfig){ .size = 64 * 1024, .align = 512 };
    t = tio_open("driver=rec", BDRV_O_RDWR);
    s = t.bs->opaque;
    /* Without BDRV_O_UNMAP discard is ignored */
    assert_int_equal(bdrv_pdiscard(t.child, 0, 4096), 0);
    assert_int_equal(s->ndiscards, 0);
    tio_close(&t);

    t = tio_open("driver=rec", BDRV_O_RDWR | BDRV_O_UNMAP);
    s = t.bs->opaque;
    assert_int_equal(bdrv_pdiscard(t.child, -1, 4096), -EIO);
    assert_int_equal(bdrv_pdiscard(t.child, 0, 0), 0);
    assert_int_equal(s->ndiscards, 0);
    /* Unaligned head and tail go down as fragments (QEMU's rule) */
    assert_int_equal(bdrv_pdiscard(t.child, 100, 2000), 0);
    assert_int_equal(s->ndiscards, 3);
    assert_int_equal(s->calls[0].offset, 100);
    assert_int_equal(s->calls[0].bytes, 412);
    assert_int_equal(s->calls[1].offset, 512);
    assert_int_equal(s->calls[1].bytes, 1536);
    assert_int_equal(s->calls[2].offset, 2048);
    assert_int_equal(s->calls[2].bytes, 52);
    s->fail_discard = -ENOTSUP;
    assert_int_equal(bdrv_pdiscard(t.child, 0, 4096), 0);
    s->fail_discard = -EIO;
    assert_int_equal(bdrv_pdiscard(t.child, 0, 4096), -EIO);
    tio_close(&t);

    /* A driver that cannot discard: success, nothing done */
    t = tio_open("driver=recfilter,file.driver=rec",
                 BDRV_O_RDWR | BDRV_O_UNMAP);
    assert_int_equal(bdrv_pdiscard(t.child, 0, 4096), 0);
    tio_close(&t);
}

/* ---- tests: flush ---- */

static void test_flush(void **state)
{
    TestIo t;
    RecState *s;

    rec_config = (RecConfig){ .size = 64 * 1024, .align = 1 };
    t = tio_open("driver=recfilter,file.driver=rec", BDRV_O_RDWR);
    s = bdrv_filter_bs(t.bs)->opaque;

    /* Clean: the OS is still asked, the disk is not */
    assert_int_equal(bdrv_flush(t.bs), 0);
    assert_int_equal(s->nflush_os, 1);
    assert_int_equal(s->nflush_disk, 0);
    /* The child of a filter is flushed through it */
    assert_int_equal(bdrv_pwrite(t.child, 0, 3, "abc", 0), 0);
    assert_int_equal(bdrv_flush(t.bs), 0);
    assert_int_equal(s->nflush_os, 2);
    assert_int_equal(s->nflush_disk, 1);
    assert_int_equal(bdrv_flush(t.bs), 0);
    assert_int_equal(s->nflush_disk, 1);
    /* Errors are returned */
    assert_int_equal(bdrv_pwrite(t.child, 0, 3, "abc", 0), 0);
    s->fail_flush = -EIO;
    assert_int_equal(bdrv_flush(t.bs), -EIO);
    s->fail_flush = 0;
    /* A failed flush leaves the node dirty */
    assert_int_equal(bdrv_flush(t.bs), 0);
    assert_int_equal(s->nflush_disk, 3);
    tio_close(&t);

    /* cache=unsafe: never to disk */
    t = tio_open("driver=rec", BDRV_O_RDWR | BDRV_O_NO_FLUSH);
    s = t.bs->opaque;
    assert_int_equal(bdrv_pwrite(t.child, 0, 3, "abc", 0), 0);
    assert_int_equal(bdrv_flush(t.bs), 0);
    assert_int_equal(s->nflush_os, 1);
    assert_int_equal(s->nflush_disk, 0);
    tio_close(&t);
}

/* ---- tests: truncate and length ---- */

static void test_truncate(void **state)
{
    TestIo t;
    Error *err = NULL;
    ProbeParent probe = { 0 };
    BdrvChild *pc;

    rec_config = (RecConfig){ .size = 64 * 1024, .align = 1 };
    t = tio_open_perm("driver=rec", BDRV_O_RDWR,
                      BLK_PERM_WRITE | BLK_PERM_RESIZE);
    pc = probe_attach(t.bs, &probe, 0);

    assert_int_equal(bdrv_truncate(t.child, -1, false, PREALLOC_MODE_OFF, 0,
                                   &err), -EINVAL);
    assert_non_null(strstr(error_get_pretty(err), "-1"));
    assert_non_null(strstr(error_get_pretty(err), "negative"));
    error_free_or_abort(&err);
    assert_int_equal(bdrv_truncate(t.child, BDRV_MAX_LENGTH + 1, false,
                                   PREALLOC_MODE_OFF, 0, &err), -EIO);
    error_free_or_abort(&err);
    assert_int_equal(probe.resizes, 0);

    assert_int_equal(bdrv_truncate(t.child, 1024 * 1024, false,
                                   PREALLOC_MODE_OFF, 0, &error_abort), 0);
    assert_int_equal(bdrv_getlength(t.bs), 1024 * 1024);
    assert_int_equal(bdrv_nb_sectors(t.bs), 2048);
    assert_int_equal(probe.resizes, 1);
    assert_int_equal(bdrv_truncate(t.child, 1000, false, PREALLOC_MODE_OFF,
                                   0, &error_abort), 0);
    /* Lengths are whole sectors, like QEMU's */
    assert_int_equal(bdrv_getlength(t.bs), 1024);
    assert_int_equal(probe.resizes, 2);

    /* Driver errors always come with a message */
    ((RecState *)t.bs->opaque)->fail_truncate = -ENOSPC;
    assert_int_equal(bdrv_truncate(t.child, 4096, false, PREALLOC_MODE_OFF,
                                   0, &err), -ENOSPC);
    assert_non_null(err);
    error_free(err);
    err = NULL;
    bdrv_root_unref_child(pc);
    tio_close(&t);

    /* An edge without the resize permission: an error, not an abort */
    t = tio_open("driver=test,size=1M", BDRV_O_RDWR);
    assert_int_equal(bdrv_truncate(t.child, 4096, false, PREALLOC_MODE_OFF,
                                   0, &err), -EPERM);
    assert_non_null(strstr(error_get_pretty(err), "resize permission"));
    error_free_or_abort(&err);
    assert_int_equal(bdrv_getlength(t.bs), 1024 * 1024);
    tio_close(&t);

    /* Flags the driver does not support are refused */
    t = tio_open_perm("driver=test,size=1M", BDRV_O_RDWR,
                      BLK_PERM_WRITE | BLK_PERM_RESIZE);
    assert_int_equal(bdrv_truncate(t.child, 4096, false, PREALLOC_MODE_OFF,
                                   BDRV_REQ_ZERO_WRITE, &err), -ENOTSUP);
    assert_non_null(strstr(error_get_pretty(err), "test"));
    error_free_or_abort(&err);
    tio_close(&t);

    /* A driver without truncate and no filtered child cannot resize */
    t = tio_open_perm("driver=recnotrunc", BDRV_O_RDWR,
                      BLK_PERM_WRITE | BLK_PERM_RESIZE);
    assert_int_equal(bdrv_truncate(t.child, 4096, false, PREALLOC_MODE_OFF,
                                   0, &err), -ENOTSUP);
    assert_non_null(strstr(error_get_pretty(err),
                           "does not support resize"));
    error_free_or_abort(&err);
    tio_close(&t);

    /* A filter without truncate passes it to its child */
    rec_config = (RecConfig){ .size = 64 * 1024, .align = 1 };
    t = tio_open_perm("driver=recfilter,file.driver=rec", BDRV_O_RDWR,
                      BLK_PERM_WRITE | BLK_PERM_RESIZE);
    assert_int_equal(bdrv_truncate(t.child, 128 * 1024, false,
                                   PREALLOC_MODE_OFF, 0, &error_abort), 0);
    assert_int_equal(bdrv_getlength(bdrv_filter_bs(t.bs)), 128 * 1024);
    assert_int_equal(bdrv_getlength(t.bs), 128 * 1024);
    tio_close(&t);
}

static void test_length(void **state)
{
    TestIo t;
    RecState *s;
    uint64_t sectors = 99;
    uint8_t buf[1024];

    rec_config = (RecConfig){ .size = 1000, .align = 1 };
    t = tio_open("driver=rec", BDRV_O_RDWR);
    s = t.bs->opaque;
    assert_int_equal(bdrv_getlength(t.bs), 1024);
    assert_int_equal(bdrv_nb_sectors(t.bs), 2);
    bdrv_get_geometry(t.bs, &sectors);
    assert_int_equal(sectors, 2);
    /* The cache is used: the driver's length changes are not seen... */
    s->size = 5000;
    assert_int_equal(bdrv_getlength(t.bs), 1024);
    /* ...until it is refreshed (the driver's answer beats the hint) */
    assert_int_equal(bdrv_refresh_total_sectors(t.bs, 1), 0);
    assert_int_equal(bdrv_getlength(t.bs), 5120);
    /* Reads up to the rounded length are served */
    assert_int_equal(bdrv_pread(t.child, 0, 1024, buf, 0), 0);
    tio_close(&t);

    /* Unknown length: fetched on demand */
    rec_config = (RecConfig){ .size = 4096, .align = 1 };
    t = tio_open("driver=rec", BDRV_O_RDWR);
    t.bs->total_sectors = -1;
    assert_int_equal(bdrv_getlength(t.bs), 4096);
    assert_int_equal(t.bs->total_sectors, 8);
    tio_close(&t);

    bdrv_get_geometry(t.bs = bdrv_new(), &sectors);
    assert_int_equal(sectors, 0);
    bdrv_unref(t.bs);
}

static void test_info_and_sizes(void **state)
{
    TestIo t;
    BlockDriverInfo bdi;
    char name[8];

    rec_config = (RecConfig){ .size = 64 * 1024, .align = 1 };
    t = tio_open("driver=recfilter,file.driver=rec", BDRV_O_RDWR);
    /* Neither has get_info: the filter asks its child, which cannot */
    assert_int_equal(bdrv_get_info(t.bs, &bdi), -ENOTSUP);
    /* A protocol without a size callback: unknown; filters follow */
    assert_int_equal(bdrv_get_allocated_file_size(t.bs), -ENOTSUP);
    tio_close(&t);

    t = tio_open("driver=test,size=1M,file.driver=null-co,file.size=1M",
                 BDRV_O_RDWR);
    /* A format sums its children (null-co reports 0) */
    assert_int_equal(bdrv_get_allocated_file_size(t.bs), 0);
    assert_true(bdrv_is_inserted(t.bs));
    strcpy(t.bs->backing_file, "base.img");
    bdrv_get_backing_filename(t.bs, name, sizeof(name));
    assert_string_equal(name, "base.im");  /* truncated to the buffer */
    tio_close(&t);
}

static void test_blockalign(void **state)
{
    TestIo t;
    uint8_t *p;

    rec_config = (RecConfig){ .size = 64 * 1024, .align = 512,
                              .mem_align = 4096 };
    t = tio_open("driver=rec", BDRV_O_RDWR);
    assert_int_equal(bdrv_opt_mem_align(t.bs), 4096);
    assert_int_equal(bdrv_min_mem_align(t.bs), 4096);
    p = qemu_blockalign(t.bs, 100);
    assert_int_equal((uintptr_t)p % 4096, 0);
    qemu_vfree(p);
    p = qemu_blockalign0(t.bs, 8192);
    assert_true(buffer_is_zero(p, 8192));
    qemu_vfree(p);
    p = qemu_try_blockalign(t.bs, 0);
    assert_non_null(p);
    qemu_vfree(p);
    qemu_vfree(NULL);
    tio_close(&t);
    /* Without a node: page alignment */
    assert_true(bdrv_opt_mem_align(NULL) >= 4096);
}

/* ---- tests: serialisation (test driver parking) ---- */

static void test_serialise_overlapping_writes(void **state)
{
    TestIo t = tio_open("driver=test,size=1M", BDRV_O_RDWR);
    const TestDriverCounters *c = test_driver_counters(t.bs);
    uint8_t a[4096], b[4096], far[512] = { 0 }, out[6144];
    QEMUIOVector qa, qb, qfar;
    AioResult ra = { 0 }, rb = { 0 }, rfar = { 0 };

    memset(a, 'a', sizeof(a));
    memset(b, 'b', sizeof(b));
    qemu_iovec_init_buf(&qa, a, sizeof(a));
    qemu_iovec_init_buf(&qb, b, sizeof(b));
    qemu_iovec_init_buf(&qfar, far, sizeof(far));
    test_driver_set_parking(t.bs, true);

    blk_aio_pwritev(t.blk, 0, &qa, 0, aio_done_cb, &ra);
    TIO_POLL_UNTIL(test_driver_parked_count(t.bs) == 1);
    /* Overlaps the parked write: plain writes do not serialise (QEMU) */
    blk_aio_pwritev(t.blk, 2048, &qb, 0, aio_done_cb, &rb);
    /* Does not overlap: goes straight through */
    blk_aio_pwritev(t.blk, 65536, &qfar, 0, aio_done_cb, &rfar);
    TIO_POLL_UNTIL(test_driver_parked_count(t.bs) == 3);
    tio_poll_some();
    assert_int_equal(c->writes, 3);
    assert_true(t.bs->in_flight >= 3);

    /* The first write completes first: the second one lands on top */
    test_driver_release(t.bs, 1);
    TIO_POLL_UNTIL(ra.done);
    assert_int_equal(ra.ret, 0);
    assert_false(rb.done);
    test_driver_set_parking(t.bs, false);
    test_driver_release(t.bs, 2);
    TIO_POLL_UNTIL(rb.done && rfar.done);
    assert_int_equal(rb.ret, 0);
    assert_int_equal(rfar.ret, 0);

    /* The later write wins where they overlap */
    assert_int_equal(bdrv_pread(t.child, 0, sizeof(out), out, 0), 0);
    assert_memory_equal(out, a, 2048);
    assert_memory_equal(out + 2048, b, 4096);
    tio_close(&t);
}

static void test_reads_pass_writes(void **state)
{
    TestIo t = tio_open("driver=test,size=1M", BDRV_O_RDWR);
    const TestDriverCounters *c = test_driver_counters(t.bs);
    uint8_t a[4096] = { 0 }, out[4096];
    QEMUIOVector qa, qout;
    AioResult ra = { 0 }, rr = { 0 };

    qemu_iovec_init_buf(&qa, a, sizeof(a));
    qemu_iovec_init_buf(&qout, out, sizeof(out));
    test_driver_set_parking(t.bs, true);
    blk_aio_pwritev(t.blk, 0, &qa, 0, aio_done_cb, &ra);
    TIO_POLL_UNTIL(test_driver_parked_count(t.bs) == 1);
    /* A plain write does not hold back reads */
    blk_aio_preadv(t.blk, 0, &qout, 0, aio_done_cb, &rr);
    TIO_POLL_UNTIL(c->reads == 1);
    test_driver_set_parking(t.bs, false);
    test_driver_release(t.bs, 2);
    TIO_POLL_UNTIL(ra.done && rr.done);
    tio_close(&t);
}

static void test_rmw_serialises(void **state)
{
    TestIo t = tio_open("driver=test,size=1M,align=4096", BDRV_O_RDWR);
    const TestDriverCounters *c = test_driver_counters(t.bs);
    uint8_t out[4096], far[4096], w[4096];
    QEMUIOVector qs, qout, qfar, qw;
    AioResult rs = { 0 }, rr = { 0 }, rfar = { 0 }, rw = { 0 };

    memset(w, 'w', sizeof(w));
    qemu_iovec_init_buf(&qs, (void *)"0123456789", 10);
    qemu_iovec_init_buf(&qout, out, sizeof(out));
    qemu_iovec_init_buf(&qfar, far, sizeof(far));
    qemu_iovec_init_buf(&qw, w, sizeof(w));
    test_driver_set_parking(t.bs, true);

    /* Unaligned: parks in the read of its read-modify-write */
    blk_aio_pwritev(t.blk, 100, &qs, 0, aio_done_cb, &rs);
    TIO_POLL_UNTIL(test_driver_parked_count(t.bs) == 1);
    assert_int_equal(c->reads, 1);
    assert_int_equal(c->writes, 0);
    /* A read and a write of the same block wait for it */
    blk_aio_preadv(t.blk, 0, &qout, 0, aio_done_cb, &rr);
    blk_aio_pwritev(t.blk, 0, &qw, 0, aio_done_cb, &rw);
    /* Another block is not affected */
    blk_aio_preadv(t.blk, 8192, &qfar, 0, aio_done_cb, &rfar);
    TIO_POLL_UNTIL(test_driver_parked_count(t.bs) == 2);
    tio_poll_some();
    assert_int_equal(c->reads, 2);
    assert_int_equal(c->writes, 0);

    test_driver_set_parking(t.bs, false);
    test_driver_release(t.bs, 2);
    TIO_POLL_UNTIL(rs.done && rr.done && rw.done && rfar.done);
    assert_int_equal(rs.ret, 0);
    assert_int_equal(rr.ret, 0);
    /*
     * The read ran after the small write completed (it may or may not
     * see the big write, which does not wait for reads): never the data
     * from before the read-modify-write.
     */
    assert_true(!memcmp(out + 100, "0123456789", 10) ||
                !memcmp(out + 100, w, 10));
    assert_int_equal(bdrv_pread(t.child, 0, 4096, out, 0), 0);
    assert_memory_equal(out, w, 4096);
    tio_close(&t);
}

static void test_serialising_no_wait(void **state)
{
    TestIo t = tio_open("driver=test,size=1M", BDRV_O_RDWR);
    uint8_t a[512] = { 0 };
    QEMUIOVector qa;
    AioResult r1 = { 0 }, r2 = { 0 };

    qemu_iovec_init_buf(&qa, a, sizeof(a));
    test_driver_set_parking(t.bs, true);
    blk_aio_pwritev(t.blk, 0, &qa, 0, aio_done_cb, &r1);
    TIO_POLL_UNTIL(test_driver_parked_count(t.bs) == 1);
    /* A serialising request that may not wait fails instead */
    blk_aio_pwritev(t.blk, 0, &qa, BDRV_REQ_SERIALISING | BDRV_REQ_NO_WAIT,
                    aio_done_cb, &r2);
    TIO_POLL_UNTIL(r2.done);
    assert_int_equal(r2.ret, -EBUSY);
    test_driver_set_parking(t.bs, false);
    test_driver_release(t.bs, 1);
    TIO_POLL_UNTIL(r1.done);
    assert_int_equal(r1.ret, 0);
    tio_close(&t);
}

/* ---- tests: AIOCBs ---- */

typedef struct TestAcb {
    BlockAIOCB common;
    int state;
} TestAcb;

static void test_acb_cancel_async(BlockAIOCB *acb)
{
    (*(int *)acb->opaque)++;
    /* Complete from a later poll, dropping the request's reference */
    aio_bh_schedule_oneshot(qemu_get_aio_context(), qemu_aio_unref, acb);
}

static const AIOCBInfo test_acb_info = {
    .cancel_async = test_acb_cancel_async,
    .aiocb_size = sizeof(TestAcb),
};

static const AIOCBInfo test_acb_info_nocancel = {
    .aiocb_size = sizeof(TestAcb),
};

static void test_aiocb(void **state)
{
    int cancelled = 0;
    TestAcb *acb = qemu_aio_get(&test_acb_info, NULL, NULL, &cancelled);

    assert_int_equal(acb->common.refcnt, 1);
    assert_ptr_equal(acb->common.opaque, &cancelled);
    assert_ptr_equal(acb->common.aiocb_info, &test_acb_info);
    assert_int_equal(acb->state, 0);   /* zero-initialised */
    qemu_aio_ref(acb);
    assert_int_equal(acb->common.refcnt, 2);
    qemu_aio_unref(acb);

    /* Cancel asks, then waits until the request dropped its reference */
    bdrv_aio_cancel(&acb->common);
    assert_int_equal(cancelled, 1);
    /* (acb is freed now: LeakSanitizer checks that it was) */

    /* Without a cancel hook, cancel_async does nothing */
    acb = qemu_aio_get(&test_acb_info_nocancel, NULL, NULL, NULL);
    bdrv_aio_cancel_async(&acb->common);
    assert_int_equal(acb->common.refcnt, 1);
    qemu_aio_unref(acb);
}

static void test_in_flight(void **state)
{
    TestIo t = tio_open("driver=test,size=1M", BDRV_O_RDWR);

    assert_int_equal(t.bs->in_flight, 0);
    bdrv_inc_in_flight(t.bs);
    bdrv_inc_in_flight(t.bs);
    assert_int_equal(t.bs->in_flight, 2);
    bdrv_dec_in_flight(t.bs);
    bdrv_dec_in_flight(t.bs);
    assert_int_equal(t.bs->in_flight, 0);
    tio_close(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TIO(test_check_request),
        TIO(test_rw_roundtrip),
        TIO(test_invalid_requests),
        TIO(test_no_medium),
        TIO(test_read_only),
        TIO(test_rmw_write),
        TIO(test_rmw_read_error),
        TIO(test_read_past_eof),
        TIO(test_max_transfer_split),
        TIO(test_fua),
        TIO(test_write_grows),
        TIO(test_zeroes_driver),
        TIO(test_zeroes_fallback),
        TIO(test_zeroes_unaligned),
        TIO(test_discard),
        TIO(test_flush),
        TIO(test_truncate),
        TIO(test_length),
        TIO(test_info_and_sizes),
        TIO(test_blockalign),
        TIO(test_serialise_overlapping_writes),
        TIO(test_reads_pass_writes),
        TIO(test_rmw_serialises),
        TIO(test_serialising_no_wait),
        TIO(test_aiocb),
        TIO(test_in_flight),
    };

    return test_common_run_group(tests, tio_group_setup, NULL);
}
