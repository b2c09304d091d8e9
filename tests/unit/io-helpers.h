/*
 * Shared by test-io.c, test-io-status.c and test-block-backend.c: drivers
 * that record what reaches them, node/backend setup, and polling helpers;
 * AioResult and its completion callback aio_done_cb are in test-common.h.
 *
 * Everything is static (each test binary gets its own copy); unused
 * helpers are marked so that every includer compiles warning-free.
 */
#ifndef TESTS_UNIT_IO_HELPERS_H
#define TESTS_UNIT_IO_HELPERS_H

#include "block/block-int.h"
#include "block/block-backend.h"
#include "block/block-debug.h"
#include "util/keyval.h"
#include "util/main-loop.h"
#include "test-common.h"

#define IO_HELPERS_UNUSED __attribute__((unused))

/* The zero-write bounce limit of the core (IO_ZERO_BOUNCE_MAX) */
#define IO_TEST_ZERO_BOUNCE_MAX (1024 * 1024)

/* ---- "rec": a memory protocol that records every call ---- */

#define REC_MAX_CALLS 64

/* Settings for the next "rec" node opened */
typedef struct RecConfig {
    int64_t size;
    uint32_t align;          /* request_alignment (0: 1) */
    uint32_t max_transfer;
    unsigned write_flags;    /* supported_write_flags */
    size_t mem_align;
} RecConfig;

static RecConfig rec_config = { .size = 64 * 1024, .align = 1 };

typedef struct RecCall {
    char op;                 /* 'r', 'w', 'd' */
    int64_t offset;
    int64_t bytes;
    int flags;
} RecCall;

typedef struct RecState {
    uint8_t *data;
    int64_t data_len;        /* bytes allocated in data */
    int64_t size;            /* what getlength reports */
    uint32_t align;
    bool misaligned;         /* a request broke the alignment contract */
    int ncalls, nreads, nwrites, ndiscards, nflush_os, nflush_disk;
    int fail_reads, fail_discard, fail_flush, fail_truncate;
    RecCall calls[REC_MAX_CALLS];
} RecState;

static IO_HELPERS_UNUSED void rec_reset(RecState *s)
{
    s->ncalls = s->nreads = s->nwrites = s->ndiscards = 0;
    s->nflush_os = s->nflush_disk = 0;
    s->misaligned = false;
}

static void rec_record(BlockDriverState *bs, char op, int64_t offset,
                       int64_t bytes, int flags)
{
    RecState *s = bs->opaque;

    if (offset % s->align || bytes % s->align) {
        s->misaligned = true;
    }
    if (s->ncalls < REC_MAX_CALLS) {
        s->calls[s->ncalls++] = (RecCall){ op, offset, bytes, flags };
    }
}

static void rec_grow(RecState *s, int64_t len)
{
    if (len > s->data_len) {
        s->data = g_realloc(s->data, (size_t)len);
        memset(s->data + s->data_len, 0, (size_t)(len - s->data_len));
        s->data_len = len;
    }
}

static int rec_open(BlockDriverState *bs, QDict *options, int flags,
                    Error **errp)
{
    RecState *s = bs->opaque;

    s->size = rec_config.size;
    s->align = rec_config.align ? rec_config.align : 1;
    s->data = g_malloc0(1);
    s->data_len = 1;
    rec_grow(s, s->size);
    bs->supported_write_flags = rec_config.write_flags;
    return 0;
}

static void rec_close(BlockDriverState *bs)
{
    RecState *s = bs->opaque;

    g_free(s->data);
}

static void rec_refresh_limits(BlockDriverState *bs, Error **errp)
{
    RecState *s = bs->opaque;

    bs->bl.request_alignment = s->align;
    bs->bl.max_transfer = rec_config.max_transfer;
    if (rec_config.mem_align) {
        bs->bl.min_mem_alignment = rec_config.mem_align;
        bs->bl.opt_mem_alignment = rec_config.mem_align;
    }
}

static int coroutine_fn rec_co_preadv(BlockDriverState *bs, int64_t offset,
                                      int64_t bytes, QEMUIOVector *qiov,
                                      BdrvRequestFlags flags)
{
    RecState *s = bs->opaque;

    rec_record(bs, 'r', offset, bytes, flags);
    s->nreads++;
    if (s->fail_reads) {
        return s->fail_reads;
    }
    qemu_iovec_memset(qiov, 0, 0, (size_t)bytes);
    if (offset < s->data_len) {
        qemu_iovec_from_buf(qiov, 0, s->data + offset,
                            (size_t)MIN(bytes, s->data_len - offset));
    }
    return 0;
}

static int coroutine_fn rec_co_pwritev(BlockDriverState *bs, int64_t offset,
                                       int64_t bytes, QEMUIOVector *qiov,
                                       BdrvRequestFlags flags)
{
    RecState *s = bs->opaque;

    rec_record(bs, 'w', offset, bytes, flags);
    s->nwrites++;
    rec_grow(s, offset + bytes);
    s->size = MAX(s->size, offset + bytes);
    qemu_iovec_to_buf(qiov, 0, s->data + offset, (size_t)bytes);
    return 0;
}

static int coroutine_fn rec_co_pdiscard(BlockDriverState *bs, int64_t offset,
                                        int64_t bytes)
{
    RecState *s = bs->opaque;

    rec_record(bs, 'd', offset, bytes, 0);
    s->ndiscards++;
    return s->fail_discard;
}

static int coroutine_fn rec_co_flush_to_os(BlockDriverState *bs)
{
    ((RecState *)bs->opaque)->nflush_os++;
    return 0;
}

static int coroutine_fn rec_co_flush_to_disk(BlockDriverState *bs)
{
    RecState *s = bs->opaque;

    s->nflush_disk++;
    return s->fail_flush;
}

static int coroutine_fn rec_co_truncate(BlockDriverState *bs, int64_t offset,
                                        bool exact, PreallocMode prealloc,
                                        BdrvRequestFlags flags, Error **errp)
{
    RecState *s = bs->opaque;

    if (s->fail_truncate) {
        return s->fail_truncate;    /* deliberately without a message */
    }
    rec_grow(s, offset);
    if (offset < s->data_len) {
        memset(s->data + offset, 0, (size_t)(s->data_len - offset));
    }
    s->size = offset;
    return 0;
}

static int64_t coroutine_fn rec_co_getlength(BlockDriverState *bs)
{
    return ((RecState *)bs->opaque)->size;
}

#define REC_DRIVER_COMMON                                   \
    .instance_size = sizeof(RecState),                      \
    .bdrv_open = rec_open,                                  \
    .bdrv_close = rec_close,                                \
    .bdrv_refresh_limits = rec_refresh_limits,              \
    .bdrv_co_preadv = rec_co_preadv,                        \
    .bdrv_co_pwritev = rec_co_pwritev,                      \
    .bdrv_co_pdiscard = rec_co_pdiscard,                    \
    .bdrv_co_flush_to_os = rec_co_flush_to_os,              \
    .bdrv_co_flush_to_disk = rec_co_flush_to_disk,          \
    .bdrv_co_getlength = rec_co_getlength

static BlockDriver bdrv_rec = {
    .format_name = "rec",
    .protocol_name = "rec",
    .bdrv_co_truncate = rec_co_truncate,
    REC_DRIVER_COMMON,
};

/* The same without truncate, and not a protocol */
static BlockDriver bdrv_recnotrunc = {
    .format_name = "recnotrunc",
    REC_DRIVER_COMMON,
};

/* ---- "recfilter": a filter with no optional callback at all ---- */

static int recfilter_open(BlockDriverState *bs, QDict *options, int flags,
                          Error **errp)
{
    return bdrv_open_file_child(NULL, options, "file", bs, errp);
}

static int coroutine_fn recfilter_co_preadv(BlockDriverState *bs,
                                            int64_t offset, int64_t bytes,
                                            QEMUIOVector *qiov,
                                            BdrvRequestFlags flags)
{
    return bdrv_co_preadv(bs->file, offset, bytes, qiov, flags);
}

static int coroutine_fn recfilter_co_pwritev(BlockDriverState *bs,
                                             int64_t offset, int64_t bytes,
                                             QEMUIOVector *qiov,
                                             BdrvRequestFlags flags)
{
    return bdrv_co_pwritev(bs->file, offset, bytes, qiov, flags);
}

static int64_t coroutine_fn recfilter_co_getlength(BlockDriverState *bs)
{
    return bdrv_co_getlength(bs->file->bs);
}

static BlockDriver bdrv_recfilter = {
    .format_name = "recfilter",
    .is_filter = true,
    .bdrv_open = recfilter_open,
    .bdrv_co_preadv = recfilter_co_preadv,
    .bdrv_co_pwritev = recfilter_co_pwritev,
    .bdrv_co_getlength = recfilter_co_getlength,
    .bdrv_child_perm = bdrv_filter_default_perms,
};

/* ---- setup ---- */

static IO_HELPERS_UNUSED int tio_group_setup(void **state)
{
    test_common_init(0);
    bdrv_register(&bdrv_rec);
    bdrv_register(&bdrv_recnotrunc);
    bdrv_register(&bdrv_recfilter);
    return 0;
}

/* Teardown: nothing leaked, the graph is consistent */
static IO_HELPERS_UNUSED int tio_check_clean(void **state)
{
    bdrv_debug_assert_graph();
    assert_int_equal(bdrv_debug_node_count(), 0);
    assert_null(blk_all_next(NULL));
    rec_config = (RecConfig){ .size = 64 * 1024, .align = 1 };
    return 0;
}

/* The shared fixtures' checks, then tio_check_clean() */
static IO_HELPERS_UNUSED int tio_teardown(void **state)
{
    int problems = test_common_teardown_report();

    rec_config = (RecConfig){ .size = 64 * 1024, .align = 1 };
    test_common_teardown_fail(problems);
    return tio_check_clean(state);
}

/* A test of the I/O suites, with test_common_setup() and tio_teardown() */
#define TIO(fn)                                                                \
    cmocka_unit_test_setup_teardown(fn, test_common_setup, tio_teardown)

/* A node and a backend on it; child is the backend's edge */
typedef struct TestIo {
    BlockDriverState *bs;
    BlockBackend *blk;
    BdrvChild *child;
} TestIo;

static BlockDriverState *tio_open_node(const char *opts, int flags)
{
    QDict *options = qdict_from_dotted_str(opts, &error_abort);
    BlockDriverState *bs = bdrv_open(NULL, NULL, options, flags,
                                     &error_abort);

    assert_non_null(bs);
    return bs;
}

/* perm: what the backend holds besides CONSISTENT_READ */
static IO_HELPERS_UNUSED TestIo tio_open_perm(const char *opts, int flags,
                                              uint64_t perm)
{
    TestIo t;

    t.bs = tio_open_node(opts, flags);
    t.blk = blk_new_with_bs(t.bs, BLK_PERM_CONSISTENT_READ | perm,
                            BLK_PERM_ALL, &error_abort);
    t.child = blk_root(t.blk);
    bdrv_unref(t.bs);   /* the backend owns the node now */
    return t;
}

static IO_HELPERS_UNUSED TestIo tio_open(const char *opts, int flags)
{
    return tio_open_perm(opts, flags,
                         (flags & BDRV_O_RDWR) ? BLK_PERM_WRITE : 0);
}

static IO_HELPERS_UNUSED void tio_close(TestIo *t)
{
    blk_unref(t->blk);
    *t = (TestIo){ 0 };
}

/* ---- a parent that counts resize notifications ---- */

typedef struct ProbeParent {
    int resizes;
} ProbeParent;

static void probe_resize(BdrvChild *c)
{
    ((ProbeParent *)c->opaque)->resizes++;
}

static char *probe_get_parent_desc(BdrvChild *c)
{
    return g_strdup("the probe");
}

static AioContext *probe_get_parent_aio_context(BdrvChild *c)
{
    return bdrv_get_aio_context(c->bs);
}

static const BdrvChildClass probe_class = {
    .get_parent_desc = probe_get_parent_desc,
    .get_parent_aio_context = probe_get_parent_aio_context,
    .resize = probe_resize,
};

static IO_HELPERS_UNUSED BdrvChild *probe_attach(BlockDriverState *bs,
                                                 ProbeParent *probe,
                                                 uint64_t perm)
{
    bdrv_ref(bs);   /* the edge takes a reference */
    return bdrv_root_attach_child(bs, "probe", &probe_class, BDRV_CHILD_DATA,
                                  perm, BLK_PERM_ALL, probe, &error_abort);
}

/* ---- polling ---- */

/* Poll the main context without blocking until cond holds (bounded) */
#define TIO_POLL_UNTIL(cond) do {                                   \
        for (int tio_i_ = 0; tio_i_ < 1000 && !(cond); tio_i_++) {  \
            aio_poll(qemu_get_aio_context(), false);                \
        }                                                           \
        assert_true(cond);                                          \
    } while (0)

/* Poll a fixed number of times: nothing that should wait may progress */
static IO_HELPERS_UNUSED void tio_poll_some(void)
{
    for (int i = 0; i < 50; i++) {
        aio_poll(qemu_get_aio_context(), false);
    }
}

#endif
