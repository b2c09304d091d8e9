/*
 * The driver contract's I/O half: the driver table (the test driver is
 * not in bdrv_init()'s), lengths set by open, the _part callbacks and the
 * core's splitting without sub-vectors, supported_read_flags, compressed
 * writes and the core's checks, the single co_flush callback, and blkdebug
 * events raised by the core.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "block/driver.h"
#include "block/test-driver.h"
#include "test-common.h"

/* What bdrv_init() alone registered, seen before the tests register more */
static bool init_knew_test;
static bool init_knew_raw;

static int contract_group_setup(void **state)
{
    bdrv_init();
    init_knew_test = bdrv_find_format("test") != NULL;
    init_knew_raw = bdrv_find_format("raw") != NULL;
    test_common_init(0);
    return 0;
}

static BlockBackend *open_test_blk_opts(QDict *opts)
{
    Error *err = NULL;
    BlockBackend *blk = test_common_blk_open("test", NULL, opts, BDRV_O_RDWR,
                                             &err);

    check_ok(blk != NULL, &err, "Opening a test node");
    return blk;
}

/* A "test" backend with "key", "value" option pairs (NULL-terminated) */
#define open_test_blk_with(...)                                                \
    open_test_blk_opts(test_common_opts_pairs(__VA_ARGS__))

static void test_bdrv_init_alone_does_not_register_test_driver(void **state)
{
    assert_false(init_knew_test);
    assert_true(init_knew_raw);
    /* The tests' own setup registers it */
    assert_non_null(bdrv_find_format("test"));
}

/* ---- lengths set at open ---- */

typedef struct FixedLenState {
    int unused;
} FixedLenState;

static int fixed_len_open(BlockDriverState *bs, QDict *options, int flags,
                          Error **errp)
{
    bs->total_sectors = 7;   /* 3584 bytes, and no getlength */
    return 0;
}

static int coroutine_fn fixed_len_preadv(BlockDriverState *bs, int64_t offset,
                                         int64_t bytes, QEMUIOVector *qiov,
                                         BdrvRequestFlags flags)
{
    qemu_iovec_memset(qiov, 0, 0xa5, bytes);
    return 0;
}

static BlockDriver fixed_len_drv = {
    .format_name = "fixed-len",
    .instance_size = sizeof(FixedLenState),
    .bdrv_open = fixed_len_open,
    .bdrv_co_preadv = fixed_len_preadv,
};

static void test_open_uses_total_sectors_set_by_open(void **state)
{
    Error *err = NULL;
    BlockDriverState *bs = bdrv_new_open_driver(&fixed_len_drv, NULL, 0,
                                                &err);

    check_ok(bs != NULL, &err, "Opening a driver without getlength");
    assert_int_equal(bdrv_getlength(bs), 7 * 512);
    assert_int_equal(bdrv_nb_sectors(bs), 7);
    bdrv_unref(bs);
}

/* ---- _part callbacks ---- */

typedef struct PartCall {
    BdrvChild *child;
    bool write;
    int64_t offset;
    int64_t bytes;
    QEMUIOVector *qiov;
    size_t qiov_offset;
    BdrvRequestFlags flags;
    int ret;
    bool done;
} PartCall;

static void coroutine_fn part_call_entry(void *opaque)
{
    PartCall *c = opaque;

    if (c->write) {
        c->ret = bdrv_co_pwritev_part(c->child, c->offset, c->bytes, c->qiov,
                                      c->qiov_offset, c->flags);
    } else {
        c->ret = bdrv_co_preadv_part(c->child, c->offset, c->bytes, c->qiov,
                                     c->qiov_offset, c->flags);
    }
    c->done = true;
}

static int run_part_call(PartCall *c)
{
    qemu_coroutine_enter(qemu_coroutine_create(part_call_entry, c));
    while (!c->done) {
        aio_poll(qemu_get_aio_context(), true);
    }
    return c->ret;
}

/* A request split at max-transfer reaches the driver as (same vector,
 * increasing qiov_offset): no sub-vector per piece */
static void check_split_pieces(BlockDriverState *bs, bool write,
                               QEMUIOVector *qiov, size_t base,
                               int64_t offset, int pieces, int64_t piece)
{
    const TestDriverCounters *c = test_driver_counters(bs);

    assert_int_equal(c->nb_requests, pieces);
    for (int i = 0; i < pieces; i++) {
        assert_int_equal(c->requests[i].is_write, write);
        assert_ptr_equal(c->requests[i].qiov, qiov);
        assert_int_equal(c->requests[i].qiov_offset, base + i * piece);
        assert_int_equal(c->requests[i].offset, offset + i * piece);
        assert_int_equal(c->requests[i].bytes, piece);
    }
}

static void test_part_split_passes_caller_vector_and_offset(void **state)
{
    BlockBackend *blk = open_test_blk_with("max-transfer", "4096", NULL);
    BlockDriverState *bs = blk_bs(blk);
    g_autofree uint8_t *buf = g_malloc(100 + 3 * 4096);
    g_autofree uint8_t *out = g_malloc(3 * 4096);
    QEMUIOVector qiov;
    PartCall c = { .child = blk_root(blk), .write = true, .offset = 8192,
                   .bytes = 3 * 4096, .qiov = &qiov, .qiov_offset = 100 };

    for (size_t i = 0; i < 100 + 3 * 4096; i++) {
        buf[i] = (uint8_t)(i * 13);
    }
    qemu_iovec_init_buf(&qiov, buf, 100 + 3 * 4096);
    test_driver_reset_counters(bs);
    assert_int_equal(run_part_call(&c), 0);
    check_split_pieces(bs, true, &qiov, 100, 8192, 3, 4096);

    /* Reading back through the plain entry point sees the written bytes */
    assert_int_equal(blk_pread(blk, 8192, 3 * 4096, out, 0), 0);
    assert_memory_equal(out, buf + 100, 3 * 4096);

    memset(buf, 0, 100 + 3 * 4096);
    c = (PartCall) { .child = blk_root(blk), .offset = 8192,
                     .bytes = 3 * 4096, .qiov = &qiov, .qiov_offset = 100 };
    test_driver_reset_counters(bs);
    assert_int_equal(run_part_call(&c), 0);
    check_split_pieces(bs, false, &qiov, 100, 8192, 3, 4096);
    assert_memory_equal(buf + 100, out, 3 * 4096);
    blk_unref(blk);
}

/* The _part entry point refuses a range that does not fit the vector */
static void test_part_refuses_range_outside_vector(void **state)
{
    BlockBackend *blk = open_test_blk_with(NULL, NULL);
    uint8_t buf[512];
    QEMUIOVector qiov;
    PartCall c = { .child = blk_root(blk), .offset = 0, .bytes = 512,
                   .qiov = &qiov, .qiov_offset = 1 };

    qemu_iovec_init_buf(&qiov, buf, sizeof(buf));
    assert_int_equal(run_part_call(&c), -EIO);
    assert_int_equal(test_driver_counters(blk_bs(blk))->reads, 0);
    blk_unref(blk);
}

/* A driver with only the plain callback gets exactly its bytes */
static int plain_seen_niov;
static size_t plain_seen_size;

static int coroutine_fn plain_preadv(BlockDriverState *bs, int64_t offset,
                                     int64_t bytes, QEMUIOVector *qiov,
                                     BdrvRequestFlags flags)
{
    plain_seen_size = qiov->size;
    plain_seen_niov = qiov->niov;
    qemu_iovec_memset(qiov, 0, 0x5a, bytes);
    return 0;
}

static int64_t coroutine_fn plain_getlength(BlockDriverState *bs)
{
    return 1 << 20;
}

static BlockDriver plain_drv = {
    .format_name = "plain-preadv",
    .bdrv_co_preadv = plain_preadv,
    .bdrv_co_getlength = plain_getlength,
};

static void test_plain_callback_gets_exact_vector(void **state)
{
    BlockDriverState *bs = test_common_open_local(&plain_drv, NULL, 0);
    BlockBackend *blk = test_common_new_blk(bs, BLK_PERM_CONSISTENT_READ,
                                            BLK_PERM_ALL);
    uint8_t buf[1000];
    QEMUIOVector qiov;
    PartCall c = { .child = blk_root(blk), .offset = 0, .bytes = 512,
                   .qiov = &qiov, .qiov_offset = 300 };

    memset(buf, 0, sizeof(buf));
    qemu_iovec_init_buf(&qiov, buf, sizeof(buf));
    assert_int_equal(run_part_call(&c), 0);
    assert_int_equal(plain_seen_size, 512);
    assert_int_equal(plain_seen_niov, 1);
    assert_int_equal(buf[299], 0);
    assert_int_equal(buf[300], 0x5a);
    assert_int_equal(buf[811], 0x5a);
    assert_int_equal(buf[812], 0);
    blk_unref(blk);
    bdrv_unref(bs);
}

/* ---- supported_read_flags ---- */

static void test_read_flags_reach_driver_only_when_supported(void **state)
{
    BlockBackend *blk = open_test_blk_with(NULL, NULL);
    BlockDriverState *bs = blk_bs(blk);
    uint8_t buf[512];
    const TestDriverCounters *c = test_driver_counters(bs);

    test_driver_reset_counters(bs);
    assert_int_equal(bdrv_pread(blk_root(blk), 0, 512, buf,
                                BDRV_REQ_REGISTERED_BUF), 0);
    assert_int_equal(c->nb_requests, 1);
    assert_int_equal(c->requests[0].flags, 0);

    bs->supported_read_flags = BDRV_REQ_REGISTERED_BUF;
    test_driver_reset_counters(bs);
    assert_int_equal(bdrv_pread(blk_root(blk), 0, 512, buf,
                                BDRV_REQ_REGISTERED_BUF), 0);
    assert_int_equal(c->requests[0].flags, BDRV_REQ_REGISTERED_BUF);
    blk_unref(blk);
}

/* ---- compressed writes ---- */

static int compressed_write(BlockBackend *blk, int64_t offset, int64_t bytes)
{
    g_autofree uint8_t *buf = g_malloc0(bytes);

    return bdrv_pwrite(blk_root(blk), offset, bytes, buf,
                       BDRV_REQ_WRITE_COMPRESSED);
}

static void test_compressed_write_needs_driver_support(void **state)
{
    BlockDriverState *bs = open_null("cnull");
    BlockBackend *blk = test_common_new_blk(bs, BLK_PERM_ALL, BLK_PERM_ALL);

    assert_false(bdrv_supports_compressed_writes(bs));
    assert_int_equal(compressed_write(blk, 0, 512), -ENOTSUP);
    blk_unref(blk);
    bdrv_unref(bs);

    /* A compressing driver reporting no cluster size cannot compress */
    blk = open_test_blk_with(NULL, NULL);
    assert_int_equal(compressed_write(blk, 0, 65536), -ENOTSUP);
    assert_int_equal(test_driver_counters(blk_bs(blk))->compressed_writes, 0);
    blk_unref(blk);
}

static void test_compressed_write_cluster_rules(void **state)
{
    /* 4 clusters of 64 KiB and a last partial one of 32 KiB */
    BlockBackend *blk = open_test_blk_with("cluster-size", "65536",
                                           "size", "294912", NULL);
    BlockDriverState *bs = blk_bs(blk);
    const TestDriverCounters *c = test_driver_counters(bs);

    assert_true(bdrv_supports_compressed_writes(bs));
    assert_int_equal(compressed_write(blk, 65536, 65536), 0);
    assert_int_equal(c->compressed_writes, 1);
    /* Unaligned start, partial cluster inside the image, two clusters */
    assert_int_equal(compressed_write(blk, 512, 65536), -EINVAL);
    assert_int_equal(compressed_write(blk, 0, 4096), -EINVAL);
    assert_int_equal(compressed_write(blk, 0, 131072), -EINVAL);
    assert_int_equal(c->compressed_writes, 1);
    /* The last, partial cluster of the image */
    assert_int_equal(compressed_write(blk, 262144, 32768), 0);
    assert_int_equal(c->compressed_writes, 2);
    /* A driver that splits them itself takes several clusters */
    bs->compressed_multi_cluster = true;
    assert_int_equal(compressed_write(blk, 0, 131072), 0);
    assert_int_equal(c->compressed_writes, 3);
    /* Data arrives as written, not zeroes from a fallback */
    assert_int_equal(c->writes, 3);
    blk_unref(blk);
}

/* Not split at max-transfer: the driver compresses the cluster whole */
static void test_compressed_write_not_split(void **state)
{
    BlockBackend *blk = open_test_blk_with("cluster-size", "65536",
                                           "max-transfer", "4096", NULL);
    const TestDriverCounters *c = test_driver_counters(blk_bs(blk));

    assert_int_equal(compressed_write(blk, 0, 65536), 0);
    assert_int_equal(c->compressed_writes, 1);
    assert_int_equal(c->nb_requests, 1);
    assert_int_equal(c->requests[0].bytes, 65536);
    assert_int_equal(c->requests[0].flags, BDRV_REQ_WRITE_COMPRESSED);
    blk_unref(blk);
}

/* ---- co_flush ---- */

static int co_flush_calls;
static int flush_to_disk_calls;

static int coroutine_fn one_flush_co_flush(BlockDriverState *bs)
{
    co_flush_calls++;
    return 0;
}

static int coroutine_fn one_flush_to_disk(BlockDriverState *bs)
{
    flush_to_disk_calls++;
    return 0;
}

static int coroutine_fn one_flush_pwritev(BlockDriverState *bs,
                                          int64_t offset, int64_t bytes,
                                          QEMUIOVector *qiov,
                                          BdrvRequestFlags flags)
{
    return 0;
}

static BlockDriver one_flush_drv = {
    .format_name = "one-flush",
    .bdrv_co_flush = one_flush_co_flush,
    .bdrv_co_flush_to_disk = one_flush_to_disk,
    .bdrv_co_pwritev = one_flush_pwritev,
    .bdrv_co_getlength = plain_getlength,
    .bdrv_child_perm = bdrv_default_perms,
};

static void test_co_flush_is_the_only_flush_called(void **state)
{
    BlockDriverState *bs = test_common_open_local(&one_flush_drv, NULL,
                                                  BDRV_O_RDWR);
    BlockDriverState *child = open_test("oneflush-child");
    BlockBackend *blk = test_common_new_blk(bs, BLK_PERM_ALL, BLK_PERM_ALL);
    uint8_t buf[512] = { 0 };

    test_common_attach(bs, child, "file",
                       BDRV_CHILD_IMAGE | BDRV_CHILD_PRIMARY);
    assert_int_equal(blk_pwrite(blk, 0, 512, buf, 0), 0);
    assert_int_equal(blk_flush(blk), 0);
    assert_int_equal(co_flush_calls, 1);
    assert_int_equal(flush_to_disk_calls, 0);
    /* The driver flushes its layers itself: the core left the child alone */
    assert_int_equal(test_driver_counters(child)->flushes, 0);
    assert_int_equal(test_driver_counters(child)->events[BLKDBG_FLUSH_TO_OS],
                     0);
    blk_unref(blk);
    bdrv_unref(bs);
}

/* ---- debug events ---- */

static void test_debug_event_names_are_qemus(void **state)
{
    static const char *const some[] = {
        "l1_update", "l2_load", "refblock_alloc", "cluster_alloc_space",
        "pwritev_rmw_after_tail", "flush_to_disk", "none",
    };

    assert_int_equal(BLKDBG__MAX, 48);
    for (int i = 0; i < BLKDBG__MAX; i++) {
        const char *name = BlkdebugEvent_str(i);

        assert_non_null(name);
        assert_int_equal(BlkdebugEvent_lookup(name), i);
    }
    for (size_t i = 0; i < ARRAY_SIZE(some); i++) {
        assert_int_not_equal(BlkdebugEvent_lookup(some[i]), -1);
    }
    assert_string_equal(BlkdebugEvent_str(BLKDBG_L1_UPDATE), "l1_update");
    assert_string_equal(BlkdebugEvent_str(BLKDBG_NONE), "none");
    assert_null(BlkdebugEvent_str(BLKDBG__MAX));
    assert_int_equal(BlkdebugEvent_lookup("no_such_event"), -1);
}

static void test_debug_event_reaches_driver_of_node(void **state)
{
    BlockDriverState *bs = open_test("dbg-node");
    BlockDriverState *null_bs = open_null("dbg-null");
    const TestDriverCounters *c = test_driver_counters(bs);

    bdrv_debug_event(bs, BLKDBG_L2_LOAD);
    bdrv_debug_event(bs, BLKDBG_L2_LOAD);
    bdrv_debug_event(bs, BLKDBG_REFBLOCK_ALLOC);
    assert_int_equal(c->events[BLKDBG_L2_LOAD], 2);
    assert_int_equal(c->events[BLKDBG_REFBLOCK_ALLOC], 1);
    /* A driver without the callback ignores events */
    bdrv_debug_event(null_bs, BLKDBG_L2_LOAD);
    bdrv_debug_event(NULL, BLKDBG_L2_LOAD);
    unref_nodes(bs, null_bs);
}

static void test_debug_events_of_core_write_path(void **state)
{
    BlockBackend *blk = open_test_blk_with("align", "4096", NULL);
    BlockDriverState *bs = blk_bs(blk);
    const TestDriverCounters *c = test_driver_counters(bs);
    uint8_t buf[4096] = { 0 };

    assert_int_equal(blk_pwrite(blk, 0, 4096, buf, 0), 0);
    assert_int_equal(c->events[BLKDBG_PWRITEV], 1);
    assert_int_equal(c->events[BLKDBG_PWRITEV_DONE], 1);
    assert_int_equal(c->events[BLKDBG_PWRITEV_RMW_HEAD], 0);
    /* Unaligned at both ends: head and tail read-modify-write */
    assert_int_equal(blk_pwrite(blk, 100, 5000, buf, 0), 0);
    assert_int_equal(c->events[BLKDBG_PWRITEV_RMW_HEAD], 1);
    assert_int_equal(c->events[BLKDBG_PWRITEV_RMW_AFTER_HEAD], 1);
    assert_int_equal(c->events[BLKDBG_PWRITEV_RMW_TAIL], 1);
    assert_int_equal(c->events[BLKDBG_PWRITEV_RMW_AFTER_TAIL], 1);
    assert_int_equal(c->events[BLKDBG_PWRITEV], 2);
    assert_int_equal(blk_pwrite_zeroes(blk, 0, 4096, 0), 0);
    assert_int_equal(c->events[BLKDBG_PWRITEV_ZERO], 1);
    assert_int_equal(c->events[BLKDBG_PWRITEV_DONE], 3);
    blk_unref(blk);
}

/* Flush events go to the node's primary child, as a format raises them */
static void test_debug_events_of_flush_on_primary_child(void **state)
{
    BlockDriverState *child = open_test("flush-child");
    QDict *opts = qdict_new();
    BlockBackend *blk;
    uint8_t buf[512] = { 0 };

    qdict_put_str(opts, "file", "flush-child");
    blk = open_test_blk_opts(opts);
    bdrv_unref(child);   /* the edge holds it */
    assert_int_equal(blk_pwrite(blk, 0, 512, buf, 0), 0);
    assert_int_equal(blk_flush(blk), 0);
    assert_int_equal(test_driver_counters(child)->events[BLKDBG_FLUSH_TO_OS],
                     1);
    assert_int_equal(
        test_driver_counters(child)->events[BLKDBG_FLUSH_TO_DISK], 1);
    blk_unref(blk);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_bdrv_init_alone_does_not_register_test_driver),
        T(test_open_uses_total_sectors_set_by_open),
        T(test_part_split_passes_caller_vector_and_offset),
        T(test_part_refuses_range_outside_vector),
        T(test_plain_callback_gets_exact_vector),
        T(test_read_flags_reach_driver_only_when_supported),
        T(test_compressed_write_needs_driver_support),
        T(test_compressed_write_cluster_rules),
        T(test_compressed_write_not_split),
        T(test_co_flush_is_the_only_flush_called),
        T(test_debug_event_names_are_qemus),
        T(test_debug_event_reaches_driver_of_node),
        T(test_debug_events_of_core_write_path),
        T(test_debug_events_of_flush_on_primary_child),
    };

    return test_common_run_group(tests, contract_group_setup, NULL);
}
