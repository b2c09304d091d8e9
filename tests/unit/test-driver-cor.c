/*
 * Unit tests of copy-on-read: the "copy-on-read" filter and the core's
 * path behind it and behind BDRV_O_COPY_ON_READ (block/core/io-cor.c).
 * The overlay is a test-driver node (sparse, reads holes from its
 * backing child), the backing file a mem image.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "block/driver.h"
#include "block/mem.h"
#include "block/test-driver.h"
#include "test-common.h"

#define CSIZE (1024 * 1024)

static void make_base(uint8_t fill)
{
    g_autofree uint8_t *buf = g_malloc(CSIZE);

    memset(buf, fill, CSIZE);
    assert_int_equal(mem_image_set("cbase", buf, CSIZE, &error_abort), 0);
}

/* Overlay options under @prefix ("" or "file."), then key/value pairs */
static QDict *cor_opts(const char *top_driver, const char *prefix, ...)
{
    QDict *opts = qdict_new();
    const char *key;
    va_list ap;

#define PUT(k, v)                                                              \
    do {                                                                       \
        g_autofree char *full = g_strdup_printf("%s%s", prefix, (k));          \
        qdict_put_str(opts, full, (v));                                        \
    } while (0)
    if (top_driver) {
        qdict_put_str(opts, "driver", top_driver);
    }
    PUT("driver", "test");
    PUT("size", "1M");
    /* Its allocation unit: copy-on-read copies whole clusters */
    PUT("cluster-size", "64k");
    PUT("backing.driver", "mem");
    PUT("backing.filename", "cbase");
    va_start(ap, prefix);
    while ((key = va_arg(ap, const char *))) {
        PUT(key, va_arg(ap, const char *));
    }
    va_end(ap);
#undef PUT
    return opts;
}

static bool all_bytes(const uint8_t *buf, size_t len, uint8_t value)
{
    for (size_t i = 0; i < len; i++) {
        if (buf[i] != value) {
            return false;
        }
    }
    return true;
}

static void test_cor_filter_copies_backing_data_into_overlay(void **s)
{
    BlockBackend *blk;
    BlockDriverState *overlay;
    const TestDriverCounters *c;
    uint8_t buf[8192];
    int64_t pnum;

    make_base(0xab);
    blk = blk_new_open(NULL, NULL, cor_opts("copy-on-read", "file.", NULL),
                       BDRV_O_RDWR, &error_abort);
    overlay = blk_bs(blk)->file->bs;
    c = test_driver_counters(overlay);
    expect_int(bdrv_is_allocated(overlay, 0, 4096, &pnum), 0);

    test_driver_reset_counters(overlay);
    expect_int(blk_pread(blk, 0, 4096, buf, 0), 0);
    expect_true(all_bytes(buf, 4096, 0xab));
    /* The whole cluster is copied, in one write */
    expect_int(c->writes, 1);
    expect_int(c->events[BLKDBG_COR_WRITE], 1);
    expect_true(c->requests[1].is_write);
    expect_int(c->requests[1].offset, 0);
    expect_int(c->requests[1].bytes, 65536);
    expect_int(bdrv_is_allocated(overlay, 0, 65536, &pnum), 1);
    expect_int(pnum, 65536);
    /* Only the clusters that were read are copied */
    expect_int(bdrv_is_allocated(overlay, 65536, 4096, &pnum), 0);

    /* A second read finds the data in the overlay: only the new cluster */
    test_driver_reset_counters(overlay);
    expect_int(blk_pread(blk, 61440, 8192, buf, 0), 0);
    expect_true(all_bytes(buf, 8192, 0xab));
    expect_int(c->writes, 1);
    expect_int(c->requests[0].offset, 61440);
    expect_false(c->requests[0].is_write);
    expect_true(c->requests[2].is_write);
    expect_int(c->requests[2].offset, 65536);
    expect_graph_ok();
    blk_unref(blk);
    end_test();
}

/*
 * Two copy-on-read filters under a user holding no permission (reading
 * needs none): the lower filter is asked to copy by the upper one, so it
 * holds the write permission on its child whatever its users hold (found
 * by the graph fuzz target: the copy's write failed an assertion)
 */
static void test_stacked_cor_filters_without_read_permission(void **s)
{
    QDict *opts = cor_opts("copy-on-read", "file.file.", NULL);
    BlockDriverState *overlay;
    BlockBackend *blk;
    uint8_t buf[4096];
    int64_t pnum;

    make_base(0x5c);
    qdict_put_str(opts, "file.driver", "copy-on-read");
    blk = blk_new_open(NULL, NULL, opts, BDRV_O_RDWR, &error_abort);
    expect_int(blk_set_perm(blk, 0, BLK_PERM_ALL, &error_abort), 0);
    expect_int(blk_pread(blk, 0, sizeof(buf), buf, 0), 0);
    expect_true(all_bytes(buf, sizeof(buf), 0x5c));
    overlay = blk_bs(blk)->file->bs->file->bs;
    expect_int(bdrv_is_allocated(overlay, 0, 4096, &pnum), 1);
    expect_graph_ok();
    blk_unref(blk);
    end_test();
}

/* A read through @blk returns the base's @fill and writes nothing in @overlay */
static void expect_read_copies_nothing(BlockBackend *blk,
                                       BlockDriverState *overlay,
                                       uint8_t fill)
{
    const TestDriverCounters *c = test_driver_counters(overlay);
    uint8_t buf[4096];
    int64_t pnum;

    test_driver_reset_counters(overlay);
    expect_int(blk_pread(blk, 0, sizeof(buf), buf, 0), 0);
    expect_true(all_bytes(buf, sizeof(buf), fill));
    expect_int(c->writes, 0);
    expect_int(bdrv_is_allocated(overlay, 0, 4096, &pnum), 0);
}

/*
 * A filter reopened read-only holds no write permission on its child, so
 * it copies nothing: its reads are plain reads (found by the graph fuzz
 * target: the copy's write failed an assertion)
 */
static void test_cor_filter_reopened_read_only_copies_nothing(void **s)
{
    BlockDriverState *filter, *overlay;
    BlockBackend *blk;
    uint8_t buf[4096];

    make_base(0x3e);
    blk = blk_new_open(NULL, NULL, cor_opts("copy-on-read", "file.", NULL),
                       BDRV_O_RDWR, &error_abort);
    filter = blk_bs(blk);
    overlay = filter->file->bs;
    expect_int(blk_set_perm(blk, BLK_PERM_CONSISTENT_READ, BLK_PERM_ALL,
                            &error_abort), 0);
    expect_int(bdrv_reopen_set_read_only(filter, true, &error_abort), 0);
    expect_false(filter->file->perm & (BLK_PERM_WRITE |
                                       BLK_PERM_WRITE_UNCHANGED));
    expect_read_copies_nothing(blk, overlay, 0x3e);

    /* Writable again: reads copy again */
    expect_int(bdrv_reopen_set_read_only(filter, false, &error_abort), 0);
    expect_int(blk_pread(blk, 0, sizeof(buf), buf, 0), 0);
    expect_int(test_driver_counters(overlay)->writes, 1);
    expect_graph_ok();
    blk_unref(blk);
    end_test();
}

/*
 * A read-only filter over a node another user keeps writable: its edge
 * holds no write permission, so its reads copy nothing into that node
 * (the graph fuzz target put such a filter over its own filter driver,
 * whose forwarded copy then failed the write-permission assertion)
 */
static void test_read_only_cor_filter_over_writable_node(void **s)
{
    BlockBackend *owner, *blk;
    BlockDriverState *overlay;
    QDict *opts = qdict_new();

    make_base(0x71);
    owner = blk_new_open(NULL, NULL,
                         cor_opts(NULL, "", "node-name", "cor-overlay", NULL),
                         BDRV_O_RDWR, &error_abort);
    overlay = blk_bs(owner);
    qdict_put_str(opts, "driver", "copy-on-read");
    qdict_put_str(opts, "file", "cor-overlay");
    blk = blk_new_open(NULL, NULL, opts, 0, &error_abort);
    expect_false(blk_bs(blk)->file->perm & (BLK_PERM_WRITE |
                                             BLK_PERM_WRITE_UNCHANGED));
    expect_read_copies_nothing(blk, overlay, 0x71);
    expect_graph_ok();
    blk_unref(blk);
    blk_unref(owner);
    end_test();
}

static void test_cor_filter_leaves_data_written_through_it(void **s)
{
    BlockBackend *blk;
    BlockDriverState *overlay;
    uint8_t buf[4096];

    make_base(0x11);
    blk = blk_new_open(NULL, NULL, cor_opts("copy-on-read", "file.", NULL),
                       BDRV_O_RDWR, &error_abort);
    overlay = blk_bs(blk)->file->bs;
    memset(buf, 0x22, sizeof(buf));
    expect_int(blk_pwrite(blk, 8192, sizeof(buf), buf, 0), 0);
    test_driver_reset_counters(overlay);
    expect_int(blk_pread(blk, 8192, sizeof(buf), buf, 0), 0);
    expect_true(all_bytes(buf, sizeof(buf), 0x22));
    expect_int(test_driver_counters(overlay)->writes, 0);
    blk_unref(blk);
    end_test();
}

static void test_cor_failed_copy_fails_the_read(void **s)
{
    BlockBackend *blk;
    uint8_t buf[4096];

    make_base(0x33);
    blk = blk_new_open(NULL, NULL,
                       cor_opts("copy-on-read", "file.",
                                "inject-error.0.iotype", "write", NULL),
                       BDRV_O_RDWR, &error_abort);
    expect_int(blk_pread(blk, 0, sizeof(buf), buf, 0), -EIO);
    blk_unref(blk);
    end_test();
}

static void test_copy_on_read_open_flag_copies_plain_reads(void **s)
{
    BlockBackend *blk;
    BlockDriverState *overlay;
    uint8_t buf[4096];
    int64_t pnum;

    make_base(0x44);
    blk = blk_new_open(NULL, NULL, cor_opts(NULL, "", NULL),
                       BDRV_O_RDWR | BDRV_O_COPY_ON_READ, &error_abort);
    overlay = blk_bs(blk);
    /* An unaligned read: the padded block is copied whole */
    expect_int(blk_pread(blk, 100, 200, buf, 0), 0);
    expect_true(all_bytes(buf, 200, 0x44));
    expect_int(bdrv_is_allocated(overlay, 0, 4096, &pnum), 1);
    expect_int(test_driver_counters(overlay)->events[BLKDBG_COR_WRITE], 1);
    blk_unref(blk);

    /* Without the flag nothing is copied */
    blk = blk_new_open(NULL, NULL, cor_opts(NULL, "", NULL), BDRV_O_RDWR,
                       &error_abort);
    expect_int(blk_pread(blk, 0, sizeof(buf), buf, 0), 0);
    expect_int(bdrv_is_allocated(blk_bs(blk), 0, 4096, &pnum), 0);
    blk_unref(blk);
    end_test();
}

static void test_copy_on_read_open_flag_refused_read_only(void **s)
{
    Error *err = NULL;

    make_base(0);
    assert_null(blk_new_open(NULL, NULL, cor_opts(NULL, "", "node-name",
                                                  "ro-cor", NULL),
                             BDRV_O_COPY_ON_READ, &err));
    check_error_has(&err, "Can't use copy-on-read on read-only node 'ro-cor'",
                    NULL);
}

static int setup(void **state)
{
    test_common_init(0);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_cor_filter_copies_backing_data_into_overlay),
        T(test_stacked_cor_filters_without_read_permission),
        T(test_cor_filter_reopened_read_only_copies_nothing),
        T(test_read_only_cor_filter_over_writable_node),
        T(test_cor_filter_leaves_data_written_through_it),
        T(test_cor_failed_copy_fails_the_read),
        T(test_copy_on_read_open_flag_copies_plain_reads),
        T(test_copy_on_read_open_flag_refused_read_only),
    };

    return test_common_run_group(tests, setup,
                                 test_common_group_teardown_mem);
}
