/*
 * test-io-sweep.c: the I/O path over every combination of offset, length,
 * request alignment and max-transfer within a few blocks, against a shadow
 * copy of the bytes the image must hold.
 *
 * The device: a BlockBackend on "sweep-dev" (a driver of this file with
 * options align, max-transfer and zeroes) over a mem node, or on the test
 * driver (option align) over a mem node.  sweep-dev checks every request
 * the core sends it against its limits (aligned, at most max-transfer,
 * inside the image); the mem buffer is compared with the shadow after
 * every request, and every read is compared with the shadow, its buffer
 * guarded on both sides.
 *
 * For an alignment of at most 16 bytes every offset in the first and the
 * last four blocks is tried with every length up to three blocks and one
 * byte; for larger alignments the offsets and lengths are k blocks plus
 * 0, 1, half a block or a block minus 1.  After each write, a write of the
 * adjacent block and one overlapping it by one byte.  Geometry is sane:
 * the image length is a multiple of the alignment.
 *
 * Then two unaligned writes in flight at once (adjacent, overlapping by
 * one byte, same start, just before), their driver calls parked and
 * released in several orders: the image must hold one of the two
 * sequential results, never a lost read-modify-write update.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "block/driver.h"
#include "block/mem.h"
#include "block/test-driver.h"
#include "util/keyval.h"
#include "util/main-loop.h"
#include "test-common.h"

#define SWEEP_MEM "io-sweep"
#define SWEEP_GUARD 64
#define SWEEP_GUARD_BYTE 0xe7
#define SWEEP_EXHAUSTIVE_ALIGN 16

/* ---- sweep-dev: checks the core's half of the contract ---------------- */

typedef struct SweepDev {
    uint32_t align;
    uint32_t max_transfer;
    int violations;
    char first[256];
} SweepDev;

static QemuOptsList sweep_dev_opts = {
    .name = "sweep-dev",
    .desc = {
        { .name = "align", .type = QEMU_OPT_SIZE },
        { .name = "max-transfer", .type = QEMU_OPT_SIZE },
        { .name = "zeroes", .type = QEMU_OPT_BOOL },
        { /* end of list */ }
    },
};

static bool sweep_dev_zeroes;

static int sweep_dev_open(BlockDriverState *bs, QDict *options, int flags,
                          Error **errp)
{
    SweepDev *s = bs->opaque;
    QemuOpts *opts = qemu_opts_create(&sweep_dev_opts, NULL, 0, errp);

    if (!opts || !qemu_opts_absorb_qdict(opts, options, errp)) {
        qemu_opts_del(opts);
        return -EINVAL;
    }
    s->align = (uint32_t)qemu_opt_get_size(opts, "align", 1);
    s->max_transfer = (uint32_t)qemu_opt_get_size(opts, "max-transfer", 0);
    sweep_dev_zeroes = qemu_opt_get_bool(opts, "zeroes", false);
    qemu_opts_del(opts);
    if (!bdrv_open_child(NULL, options, "file", bs, &child_of_bds,
                         BDRV_CHILD_FILTERED | BDRV_CHILD_PRIMARY, false,
                         errp)) {
        return -EINVAL;
    }
    bs->supported_zero_flags = BDRV_REQ_MAY_UNMAP;
    return 0;
}

static void sweep_dev_refresh_limits(BlockDriverState *bs, Error **errp)
{
    SweepDev *s = bs->opaque;

    bs->bl.request_alignment = MAX(bs->bl.request_alignment, s->align);
    bs->bl.max_transfer = s->max_transfer;
    bs->bl.max_pwrite_zeroes = (int32_t)s->max_transfer;
}

/* Records (does not assert: this runs in a coroutine) a broken contract */
static void sweep_dev_check(BlockDriverState *bs, const char *op,
                            int64_t offset, int64_t bytes)
{
    SweepDev *s = bs->opaque;
    int64_t len = bdrv_co_getlength(bs->file->bs);
    const char *what = NULL;

    if (offset % s->align || bytes % s->align) {
        what = "unaligned";
    } else if (s->max_transfer && bytes > s->max_transfer) {
        what = "above max-transfer";
    } else if (bytes <= 0 || offset + bytes > len) {
        what = "empty or past the end";
    }
    if (what && !s->violations++) {
        snprintf(s->first, sizeof(s->first),
                 "%s of %" PRId64 " bytes at %" PRId64 " is %s (align %u, "
                 "max-transfer %u, length %" PRId64 ")", op, bytes, offset,
                 what, s->align, s->max_transfer, len);
    }
}

static int coroutine_fn sweep_dev_co_preadv(BlockDriverState *bs,
                                            int64_t offset, int64_t bytes,
                                            QEMUIOVector *qiov,
                                            BdrvRequestFlags flags)
{
    sweep_dev_check(bs, "read", offset, bytes);
    return bdrv_co_preadv(bs->file, offset, bytes, qiov, flags);
}

static int coroutine_fn sweep_dev_co_pwritev(BlockDriverState *bs,
                                             int64_t offset, int64_t bytes,
                                             QEMUIOVector *qiov,
                                             BdrvRequestFlags flags)
{
    sweep_dev_check(bs, "write", offset, bytes);
    return bdrv_co_pwritev(bs->file, offset, bytes, qiov, flags);
}

static int coroutine_fn sweep_dev_co_pwrite_zeroes(BlockDriverState *bs,
                                                   int64_t offset,
                                                   int64_t bytes,
                                                   BdrvRequestFlags flags)
{
    if (!sweep_dev_zeroes) {
        return -ENOTSUP;    /* the core falls back to explicit writes */
    }
    sweep_dev_check(bs, "zero write", offset, bytes);
    return bdrv_co_pwrite_zeroes(bs->file, offset, bytes, flags);
}

static int64_t coroutine_fn sweep_dev_co_getlength(BlockDriverState *bs)
{
    return bdrv_co_getlength(bs->file->bs);
}

static BlockDriver bdrv_sweep_dev = {
    .format_name = "sweep-dev",
    .instance_size = sizeof(SweepDev),
    .is_filter = true,
    .bdrv_open = sweep_dev_open,
    .bdrv_refresh_limits = sweep_dev_refresh_limits,
    .bdrv_co_preadv = sweep_dev_co_preadv,
    .bdrv_co_pwritev = sweep_dev_co_pwritev,
    .bdrv_co_pwrite_zeroes = sweep_dev_co_pwrite_zeroes,
    .bdrv_co_getlength = sweep_dev_co_getlength,
    .bdrv_child_perm = bdrv_filter_default_perms,
};

/* ---- the sweep ---------------------------------------------------------- */

typedef struct Sweep {
    BlockBackend *blk;
    BlockDriverState *dev;      /* the sweep-dev node, NULL for "test" */
    int64_t size;
    int64_t align;
    uint8_t *shadow;
    unsigned seq;               /* makes every write's bytes distinct */
    int ops;
    char where[160];            /* the configuration, for messages */
} Sweep;

static void sweep_open(Sweep *sw, const char *driver, int64_t align,
                       int64_t max_transfer, bool zeroes)
{
    g_autofree char *opts = NULL;
    Error *err = NULL;
    QDict *dict;

    sw->align = align;
    sw->size = MAX(512, 4 * align);
    sw->shadow = g_malloc0((size_t)sw->size);
    sw->seq = 0;
    assert_int_equal(mem_image_set(SWEEP_MEM, NULL, (size_t)sw->size,
                                   &error_abort), 0);
    if (!strcmp(driver, "test")) {
        opts = g_strdup_printf("driver=test,size=%" PRId64 ",align=%" PRId64
                               ",file.driver=mem,file.filename=" SWEEP_MEM,
                               sw->size, align);
    } else {
        opts = g_strdup_printf("driver=%s,align=%" PRId64 ",max-transfer=%"
                               PRId64 ",zeroes=%s,file.driver=mem,"
                               "file.filename=" SWEEP_MEM, driver, align,
                               max_transfer, zeroes ? "on" : "off");
    }
    snprintf(sw->where, sizeof(sw->where), "%s", opts);
    dict = qdict_from_dotted_str(opts, &error_abort);
    sw->blk = blk_new_open(NULL, NULL, dict, BDRV_O_RDWR, &err);
    check_ok(sw->blk != NULL, &err, sw->where);
    sw->dev = strcmp(driver, "test") ? blk_bs(sw->blk) : NULL;
}

static void sweep_close(Sweep *sw)
{
    blk_unref(sw->blk);
    mem_image_delete(SWEEP_MEM);
    g_free(sw->shadow);
    sw->blk = NULL;
    sw->shadow = NULL;
}

/* After a request: the image is the shadow, the driver saw a clean run */
static bool sweep_verify(Sweep *sw, const char *op, int64_t offset,
                         int64_t bytes)
{
    size_t len;
    const uint8_t *img = mem_image_get(SWEEP_MEM, &len);
    SweepDev *s = sw->dev ? sw->dev->opaque : NULL;

    sw->ops++;
    if (s && s->violations) {
        EXPECT_FAIL("%s: after %s(%" PRId64 ", %" PRId64 "): %d requests "
                    "broke the driver's limits, first: %s", sw->where, op,
                    offset, bytes, s->violations, s->first);
        s->violations = 0;
        return false;
    }
    if (!img || len != (size_t)sw->size) {
        EXPECT_FAIL("%s: the image is gone or resized", sw->where);
        return false;
    }
    if (!memcmp(img, sw->shadow, len)) {
        return true;
    }
    for (size_t i = 0; i < len; i++) {
        if (img[i] != sw->shadow[i]) {
            EXPECT_FAIL("%s: after %s(%" PRId64 ", %" PRId64 "), byte %zu "
                        "is 0x%02x, expected 0x%02x", sw->where, op, offset,
                        bytes, i, img[i], sw->shadow[i]);
            return false;
        }
    }
    return true;
}

static bool sweep_write(Sweep *sw, int64_t offset, int64_t bytes)
{
    g_autofree uint8_t *buf = g_malloc((size_t)MAX(bytes, 1));
    int ret;

    sw->seq++;
    for (int64_t i = 0; i < bytes; i++) {
        buf[i] = (uint8_t)(sw->seq * 37 + i * 7 + 1);
    }
    ret = blk_pwrite(sw->blk, offset, bytes, buf, 0);
    if (ret < 0) {
        EXPECT_FAIL("%s: write(%" PRId64 ", %" PRId64 ") failed: %s",
                    sw->where, offset, bytes, strerror(-ret));
        return false;
    }
    memcpy(sw->shadow + offset, buf, (size_t)bytes);
    return sweep_verify(sw, "write", offset, bytes);
}

static bool sweep_zero(Sweep *sw, int64_t offset, int64_t bytes, int flags)
{
    int ret = blk_pwrite_zeroes(sw->blk, offset, bytes, flags);

    if (ret < 0) {
        EXPECT_FAIL("%s: zero write(%" PRId64 ", %" PRId64 ", 0x%x) failed: "
                    "%s", sw->where, offset, bytes, flags, strerror(-ret));
        return false;
    }
    memset(sw->shadow + offset, 0, (size_t)bytes);
    return sweep_verify(sw, "zero write", offset, bytes);
}

static bool sweep_read(Sweep *sw, int64_t offset, int64_t bytes)
{
    size_t n = (size_t)bytes + 2 * SWEEP_GUARD;
    g_autofree uint8_t *buf = g_malloc(n);
    int ret;

    memset(buf, SWEEP_GUARD_BYTE, n);
    ret = blk_pread(sw->blk, offset, bytes, buf + SWEEP_GUARD, 0);
    if (ret < 0) {
        EXPECT_FAIL("%s: read(%" PRId64 ", %" PRId64 ") failed: %s",
                    sw->where, offset, bytes, strerror(-ret));
        return false;
    }
    if (buf[0] == SWEEP_GUARD_BYTE && buf[n - 1] == SWEEP_GUARD_BYTE &&
        !memcmp(buf + SWEEP_GUARD, sw->shadow + offset, (size_t)bytes) &&
        !memcmp(buf, buf + 1, SWEEP_GUARD - 1) &&
        !memcmp(buf + n - SWEEP_GUARD, buf + n - SWEEP_GUARD + 1,
                SWEEP_GUARD - 1)) {
        return sweep_verify(sw, "read", offset, bytes);
    }
    for (size_t i = 0; i < n; i++) {
        bool inside = i >= SWEEP_GUARD && i < SWEEP_GUARD + (size_t)bytes;
        uint8_t want = inside ? sw->shadow[offset + (int64_t)i - SWEEP_GUARD]
                              : SWEEP_GUARD_BYTE;

        if (buf[i] != want) {
            EXPECT_FAIL("%s: read(%" PRId64 ", %" PRId64 "): buffer byte "
                        "%zd is 0x%02x, expected 0x%02x", sw->where, offset,
                        bytes, (ssize_t)i - SWEEP_GUARD, buf[i], want);
            return false;
        }
    }
    return sweep_verify(sw, "read", offset, bytes);
}

/* Everything around one (offset, bytes): false at the first failure */
static bool sweep_range(Sweep *sw, int64_t offset, int64_t bytes)
{
    int64_t a = sw->align;
    int64_t next = MIN(a, sw->size - (offset + bytes));
    int zflags = (sw->seq & 1) ? BDRV_REQ_MAY_UNMAP : 0;

    if (!sweep_write(sw, offset, bytes) || !sweep_read(sw, offset, bytes)) {
        return false;
    }
    /* adjacent, then overlapping by one byte: the first write survives */
    if (next > 0 && (!sweep_write(sw, offset + bytes, next) ||
                     !sweep_read(sw, offset, bytes + next))) {
        return false;
    }
    if (bytes > 0 && next > 0 &&
        (!sweep_write(sw, offset + bytes - 1, next) ||
         !sweep_read(sw, MAX(offset - 1, 0), bytes + next))) {
        return false;
    }
    if (!sweep_zero(sw, offset, bytes, zflags)) {
        return false;
    }
    return sweep_read(sw, MAX(offset - 1, 0),
                      MIN(bytes + 2, sw->size - MAX(offset - 1, 0)));
}

/* k blocks plus 0, 1, half a block, a block minus 1 (for large blocks) */
static int sweep_classes(int64_t align, int64_t limit, int64_t *out)
{
    const int64_t deltas[] = { 0, 1, align / 2, align - 1 };
    int n = 0;

    for (int64_t k = 0; k <= 4; k++) {
        for (size_t d = 0; d < ARRAY_SIZE(deltas); d++) {
            int64_t v = k * align + deltas[d];

            if (v <= limit && (n == 0 || out[n - 1] != v)) {
                out[n++] = v;
            }
        }
    }
    return n;
}

static bool sweep_offset(Sweep *sw, int64_t offset)
{
    int64_t max_len = MIN(3 * sw->align + 1, sw->size - offset);
    int64_t lens[32];
    int n;

    if (sw->align <= SWEEP_EXHAUSTIVE_ALIGN) {
        for (int64_t len = 0; len <= max_len; len++) {
            if (!sweep_range(sw, offset, len)) {
                return false;
            }
        }
        return true;
    }
    n = sweep_classes(sw->align, max_len, lens);
    for (int i = 0; i < n; i++) {
        if (!sweep_range(sw, offset, lens[i])) {
            return false;
        }
    }
    return true;
}

/* The first four and the last four blocks of the image */
static void sweep_config(const char *driver, int64_t align,
                         int64_t max_transfer, bool zeroes)
{
    int64_t offs[32];
    Sweep sw = { 0 };
    int n;

    sweep_open(&sw, driver, align, max_transfer, zeroes);
    if (align <= SWEEP_EXHAUSTIVE_ALIGN) {
        for (int64_t o = 0; o <= 4 * align; o++) {
            if (!sweep_offset(&sw, o) ||
                !sweep_offset(&sw, sw.size - o)) {
                break;
            }
        }
    } else {
        n = sweep_classes(align, sw.size, offs);
        for (int i = 0; i < n; i++) {
            if (!sweep_offset(&sw, offs[i]) ||
                !sweep_offset(&sw, sw.size - offs[i])) {
                break;
            }
        }
    }
    assert_true(sw.ops > 0);
    sweep_close(&sw);
}

static const int64_t sweep_aligns[] = { 1, 2, 8, 512, 4096 };

/* max-transfer 0 (none), 1, 2, 3 blocks; @nb_max of them */
static void sweep_dev_all(bool zeroes, size_t nb_max)
{
    for (size_t i = 0; i < ARRAY_SIZE(sweep_aligns); i++) {
        int64_t a = sweep_aligns[i];
        const int64_t maxes[] = { 0, a, 2 * a, 3 * a };

        for (size_t m = 0; m < MIN(nb_max, ARRAY_SIZE(maxes)); m++) {
            sweep_config("sweep-dev", a, maxes[m], zeroes);
        }
    }
}

static void test_io_sweep_sweep_dev_zero_fallback(void **state)
{
    sweep_dev_all(false, 4);
    end_test();
}

static void test_io_sweep_sweep_dev_driver_zeroes(void **state)
{
    /* the driver's zeroing: its limit is max-transfer too */
    sweep_dev_all(true, 2);
    end_test();
}

static void test_io_sweep_test_driver_over_mem(void **state)
{
    for (size_t i = 0; i < ARRAY_SIZE(sweep_aligns); i++) {
        sweep_config("test", sweep_aligns[i], 0, false);
    }
    end_test();
}

/* ---- two unaligned writes in flight at once ---------------------------- */

#define PAIR_ALIGN 512
#define PAIR_SIZE (4 * PAIR_ALIGN)   /* "size=2048" below */

typedef struct PairWrite {
    int64_t offset, bytes;
    uint8_t fill;
    uint8_t buf[PAIR_SIZE];
    QEMUIOVector qiov;
    AioResult r;
} PairWrite;

static void pair_submit(BlockBackend *blk, PairWrite *w)
{
    memset(w->buf, w->fill, sizeof(w->buf));
    qemu_iovec_init_buf(&w->qiov, w->buf, (size_t)w->bytes);
    w->r = (AioResult){ 0 };
    blk_aio_pwritev(blk, w->offset, &w->qiov, 0, aio_done_cb, &w->r);
}

/* The image equals @base with @first then @second applied */
static bool pair_image_is(const uint8_t *img, const uint8_t *base,
                          const PairWrite *first, const PairWrite *second)
{
    uint8_t want[PAIR_SIZE];

    memcpy(want, base, PAIR_SIZE);
    memset(want + first->offset, first->fill, (size_t)first->bytes);
    memset(want + second->offset, second->fill, (size_t)second->bytes);
    return !memcmp(img, want, PAIR_SIZE);
}

/* Polls the main context until nothing is left to run */
static void pair_poll_idle(void)
{
    for (int i = 0; i < 1000 && aio_poll(qemu_get_aio_context(), false);
         i++) {
        continue;
    }
}

/*
 * A and B in flight together; every driver call parks, and each step
 * releases the oldest 1 or 2 parked calls (the seed picks; seed 0: always
 * one, which runs A's and B's read-modify-write reads before either
 * write).  The result must be A then B, or B then A.
 */
static void pair_round(BlockBackend *blk, BlockDriverState *bs,
                       PairWrite *a, PairWrite *b, uint64_t seed)
{
    uint64_t rnd = seed * 0x9e3779b97f4a7c15ULL;
    uint8_t base[PAIR_SIZE];
    const uint8_t *img;
    size_t len;

    for (int i = 0; i < PAIR_SIZE; i++) {
        base[i] = (uint8_t)(i * 13 + 5);
    }
    assert_int_equal(blk_pwrite(blk, 0, PAIR_SIZE, base, 0), 0);
    test_driver_set_parking(bs, true);
    pair_submit(blk, a);
    pair_submit(blk, b);
    pair_poll_idle();
    for (int i = 0; i < 1000 && !(a->r.done && b->r.done); i++) {
        rnd = rnd * 6364136223846793005ULL + 1442695040888963407ULL;
        test_driver_release(bs, seed ? 1 + (int)((rnd >> 33) & 1) : 1);
        pair_poll_idle();
    }
    test_driver_set_parking(bs, false);
    img = mem_image_get(SWEEP_MEM, &len);
    if (!a->r.done || !b->r.done || a->r.ret || b->r.ret) {
        EXPECT_FAIL("seed %" PRIu64 ": writes (%" PRId64 ", %" PRId64 ") and "
                    "(%" PRId64 ", %" PRId64 ") did not both succeed", seed,
                    a->offset, a->bytes, b->offset, b->bytes);
    } else if (!pair_image_is(img, base, a, b) &&
               !pair_image_is(img, base, b, a)) {
        EXPECT_FAIL("seed %" PRIu64 ": concurrent writes (%" PRId64 ", %"
                    PRId64 ") and (%" PRId64 ", %" PRId64 ") left neither "
                    "sequential result", seed, a->offset, a->bytes,
                    b->offset, b->bytes);
    }
}

static void test_io_sweep_concurrent_unaligned_writes(void **state)
{
    static const int64_t starts[] = { 512, 700, 1023 };
    static const int64_t lens[] = { 1, 100, 511, 512, 513 };
    QDict *opts = qdict_from_dotted_str(
        "driver=test,size=2048,align=512,file.driver=mem,"
        "file.filename=" SWEEP_MEM,
        &error_abort);
    PairWrite *a = g_new0(PairWrite, 1), *b = g_new0(PairWrite, 1);
    BlockBackend *blk;

    assert_int_equal(mem_image_set(SWEEP_MEM, NULL, PAIR_SIZE,
                                   &error_abort), 0);
    blk = blk_new_open(NULL, NULL, opts, BDRV_O_RDWR, &error_abort);
    a->fill = 0xaa;
    b->fill = 0xbb;
    for (size_t s = 0; s < ARRAY_SIZE(starts); s++) {
        for (size_t i = 0; i < ARRAY_SIZE(lens); i++) {
            for (size_t j = 0; j < ARRAY_SIZE(lens); j++) {
                /* B: adjacent after, one byte over, same start, before */
                int64_t bstarts[] = {
                    starts[s] + lens[i], starts[s] + lens[i] - 1, starts[s],
                    starts[s] - lens[j], starts[s] - lens[j] + 1,
                };

                for (size_t k = 0; k < ARRAY_SIZE(bstarts); k++) {
                    if (bstarts[k] < 0 ||
                        bstarts[k] + lens[j] > PAIR_SIZE) {
                        continue;
                    }
                    a->offset = starts[s];
                    a->bytes = lens[i];
                    b->offset = bstarts[k];
                    b->bytes = lens[j];
                    for (uint64_t seed = 0; seed <= 4; seed++) {
                        pair_round(blk, blk_bs(blk), a, b, seed);
                    }
                }
            }
        }
    }
    blk_unref(blk);
    mem_image_delete(SWEEP_MEM);
    g_free(a);
    g_free(b);
    end_test();
}

static int sweep_group_setup(void **state)
{
    test_common_init(TEST_COMMON_NO_BACKEND);
    bdrv_register(&bdrv_sweep_dev);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_io_sweep_sweep_dev_zero_fallback),
        T(test_io_sweep_sweep_dev_driver_zeroes),
        T(test_io_sweep_test_driver_over_mem),
        T(test_io_sweep_concurrent_unaligned_writes),
    };

    return test_common_run_group(tests, sweep_group_setup,
                                 test_common_group_teardown_mem);
}
