/*
 * Shared by test-aio-context.c (REFERENCE.md behaviours 21-23) and
 * test-aio-context-attach.c (behaviours 24-25): the tests' IOThreads,
 * context assertions, the "ctx-probe" driver, the counting "device"
 * parents, backend and move helpers, parked reads, and the fixtures.
 *
 * Header-only: everything is static, so each test binary gets its own
 * copy and nothing leaks into the other unit tests (the Makefile links
 * every non-test .c file here into all of them).  Functions are inline so
 * that a file not using one of them does not warn.  Include it after
 * <cmocka.h>.
 */
#ifndef TESTS_UNIT_CTX_COMMON_H
#define TESTS_UNIT_CTX_COMMON_H

#include "util/iothread.h"
#include "util/sched.h"
#include "drain-common.h"

/* Bounded polling, so that a bug fails a test instead of hanging it */
#define CTX_POLL_LIMIT 1000

/* ---- IOThreads ---------------------------------------------------------- */

static IOThread *ctx_iothreads[2];

/*
 * Every test of a suite runs twice (ctx_run_group): with virtual IOThreads
 * (deterministic mode, the seeds the tests give) and with real ones
 * (pthreads, realtime mode), which the tsan build checks for races.
 */
static bool ctx_real_iothreads;

/* Deterministic mode with @seed (unless real), and IOThread @i's context */
static inline AioContext *ctx_iothread_new(int i, uint64_t seed)
{
    char id[16];

    if (i == 0 && seed && !ctx_real_iothreads) {
        sched_set_deterministic(seed);
    }
    snprintf(id, sizeof(id), "ctx-io%d", i);
    ctx_iothreads[i] = iothread_create(id, &error_abort);
    return iothread_get_aio_context(ctx_iothreads[i]);
}

static inline void ctx_iothreads_free(void)
{
    for (int i = 0; i < 2; i++) {
        iothread_destroy(ctx_iothreads[i]);
        ctx_iothreads[i] = NULL;
    }
    sched_set_realtime();
}

/* A readable name of @ctx for failure messages */
static inline const char *ctx_name(AioContext *ctx)
{
    if (ctx == qemu_get_aio_context()) {
        return "main";
    }
    for (int i = 0; i < 2; i++) {
        if (ctx_iothreads[i] &&
            ctx == iothread_get_aio_context(ctx_iothreads[i])) {
            return iothread_get_id(ctx_iothreads[i]);
        }
    }
    return ctx ? "(an unknown context)" : "(none)";
}

/* expect_ctxs(ctx, bs1, bs2, ...): every node is in @ctx */
static inline void expect_ctxs_at(const char *file, int line, AioContext *ctx,
                                  ...)
{
    BlockDriverState *bs;
    va_list ap;

    va_start(ap, ctx);
    while ((bs = va_arg(ap, BlockDriverState *))) {
        AioContext *is = bdrv_get_aio_context(bs);
        if (is != ctx) {
            expect_failed(file, line, "node '%s' is in context %s, expected "
                          "%s", bdrv_get_node_name(bs), ctx_name(is),
                          ctx_name(ctx));
        }
    }
    va_end(ap);
}
#define expect_ctxs(ctx, ...)                                                  \
    expect_ctxs_at(__FILE__, __LINE__, (ctx), __VA_ARGS__, NULL)
#define expect_ctx(bs, ctx) expect_ctxs((ctx), (bs))

static inline void expect_blk_ctx_at(BlockBackend *blk, AioContext *ctx,
                                     const char *file, int line)
{
    AioContext *is = blk_get_aio_context(blk);

    if (is != ctx) {
        expect_failed(file, line, "the BlockBackend over '%s' is in context "
                      "%s, expected %s",
                      blk_bs(blk) ? bdrv_get_node_name(blk_bs(blk)) : "-",
                      ctx_name(is), ctx_name(ctx));
    }
}
#define expect_blk_ctx(blk, ctx)                                               \
    expect_blk_ctx_at((blk), (ctx), __FILE__, __LINE__)

/* ---- the ctx-probe driver ----------------------------------------------- */

typedef struct ProbeState {
    int detaches;
    int attaches;
    int unpaired;             /* hooks out of detach-then-attach order */
    AioContext *detach_ctx;   /* bs->aio_context during the last detach */
    AioContext *attach_arg;   /* new_context of the last attach */
    AioContext *attach_ctx;   /* bs->aio_context during the last attach */
    unsigned detach_in_flight; /* requests in flight at the last detach */
    int detach_quiesce;       /* quiesce_counter at the last detach */
    bool parking;
    Coroutine *parked;
} ProbeState;

static inline void probe_detach(BlockDriverState *bs)
{
    ProbeState *s = bs->opaque;

    s->unpaired += s->detaches != s->attaches;
    s->detaches++;
    s->detach_ctx = bs->aio_context;
    s->detach_in_flight = qatomic_read(&bs->in_flight);
    s->detach_quiesce = bs->quiesce_counter;
}

static inline void probe_attach(BlockDriverState *bs, AioContext *new_context)
{
    ProbeState *s = bs->opaque;

    s->attaches++;
    s->unpaired += s->attaches != s->detaches;
    s->attach_arg = new_context;
    s->attach_ctx = bs->aio_context;
}

static inline int64_t coroutine_fn probe_co_getlength(BlockDriverState *bs)
{
    return 1024 * 1024;
}

/* parking and parked are shared with the main thread: atomics */
static inline int coroutine_fn probe_co_preadv(BlockDriverState *bs,
                                               int64_t offset, int64_t bytes,
                                               QEMUIOVector *qiov,
                                               BdrvRequestFlags flags)
{
    ProbeState *s = bs->opaque;

    if (qatomic_load_acquire(&s->parking)) {
        qatomic_store_release(&s->parked, qemu_coroutine_self());
        aio_wait_kick();
        qemu_coroutine_yield();
    }
    qemu_iovec_memset(qiov, 0, 0, bytes);
    return 0;
}

static BlockDriver probe_drv = {
    .format_name = "ctx-probe",
    .instance_size = sizeof(ProbeState),
    .bdrv_co_getlength = probe_co_getlength,
    .bdrv_co_preadv = probe_co_preadv,
    .bdrv_child_perm = bdrv_default_perms,
    .bdrv_detach_aio_context = probe_detach,
    .bdrv_attach_aio_context = probe_attach,
};

static inline BlockDriverState *open_probe(const char *name)
{
    return test_common_open_local(&probe_drv, name, BDRV_O_RDWR);
}

static inline ProbeState *probe(BlockDriverState *bs)
{
    assert_ptr_equal(bs->drv, &probe_drv);
    return bs->opaque;
}

/*
 * expect_moves(n, from, to, bs1, bs2, ...): each node's hooks ran n times,
 * in pairs, the last pair moving it from @from into @to
 */
static inline void expect_moves_at(const char *file, int line, int n,
                                   AioContext *from, AioContext *to, ...)
{
    BlockDriverState *bs;
    va_list ap;

    va_start(ap, to);
    while ((bs = va_arg(ap, BlockDriverState *))) {
        ProbeState *s = probe(bs);
        const char *name = bdrv_get_node_name(bs);

        if (s->detaches != n || s->attaches != n || s->unpaired) {
            expect_failed(file, line, "node '%s': %d detach and %d attach "
                          "hook calls (%d out of order), expected %d of each",
                          name, s->detaches, s->attaches, s->unpaired, n);
        } else if (n && (s->detach_ctx != from || s->attach_arg != to ||
                         s->attach_ctx != to)) {
            expect_failed(file, line, "node '%s': the last detach saw %s, "
                          "the attach got %s and saw %s; expected %s -> %s",
                          name, ctx_name(s->detach_ctx),
                          ctx_name(s->attach_arg), ctx_name(s->attach_ctx),
                          ctx_name(from), ctx_name(to));
        }
    }
    va_end(ap);
}
#define expect_moves(n, from, to, ...)                                         \
    expect_moves_at(__FILE__, __LINE__, (n), (from), (to), __VA_ARGS__, NULL)

/* ---- "devices": non-node parents that count the questions they get ---- */

typedef struct Device {
    const char *name;
    AioContext *ctx;
    bool allow;          /* may follow its node into another context */
    int asked;           /* change_aio_ctx calls */
    int committed;
    BdrvChild *child;
} Device;

static inline char *dev_get_parent_desc(BdrvChild *c)
{
    return g_strdup_printf("device '%s'", ((Device *)c->opaque)->name);
}

static inline AioContext *dev_get_parent_aio_context(BdrvChild *c)
{
    return ((Device *)c->opaque)->ctx;
}

typedef struct DeviceMove {
    Device *d;
    AioContext *ctx;
} DeviceMove;

static inline void dev_move_commit(void *opaque)
{
    DeviceMove *m = opaque;

    m->d->ctx = m->ctx;
    m->d->committed++;
}

static const TransactionActionDrv dev_move_drv = {
    .commit = dev_move_commit,
    .clean = g_free,
};

static inline bool dev_change_aio_ctx(BdrvChild *c, AioContext *ctx,
                                      GHashTable *visited, Transaction *tran,
                                      Error **errp)
{
    Device *d = c->opaque;
    DeviceMove *m;

    d->asked++;
    if (!d->allow) {
        error_setg(errp, "Device '%s' cannot leave context %s", d->name,
                   ctx_name(d->ctx));
        return false;
    }
    m = g_new(DeviceMove, 1);
    *m = (DeviceMove){ .d = d, .ctx = ctx };
    tran_add(tran, &dev_move_drv, m);
    return true;
}

static const BdrvChildClass dev_class = {
    .get_parent_desc = dev_get_parent_desc,
    .get_parent_aio_context = dev_get_parent_aio_context,
    .change_aio_ctx = dev_change_aio_ctx,
};

/* A device that has no way to move at all (no change_aio_ctx) */
static const BdrvChildClass dev_class_fixed = {
    .get_parent_desc = dev_get_parent_desc,
    .get_parent_aio_context = dev_get_parent_aio_context,
};

/* @d becomes a parent of @bs (with a reference of its own); must succeed */
static inline void dev_attach(Device *d, BlockDriverState *bs,
                              const BdrvChildClass *klass)
{
    Error *err = NULL;

    bdrv_ref(bs);
    d->child = bdrv_root_attach_child(bs, "dev", klass, BDRV_CHILD_DATA, 0,
                                      BLK_PERM_ALL, d, &err);
    check_ok(d->child != NULL, &err, "Attaching a device");
}

static inline void dev_detach(Device *d)
{
    bdrv_root_unref_child(d->child);
    d->child = NULL;
}

/* ---- backends and moves ------------------------------------------------- */

/* A reading backend in @ctx on @bs; may follow a move if @allow */
static inline BlockBackend *new_blk_in(AioContext *ctx, BlockDriverState *bs,
                                       bool allow)
{
    BlockBackend *blk = blk_new(ctx, BLK_PERM_CONSISTENT_READ, BLK_PERM_ALL);
    Error *err = NULL;
    int ret = blk_insert_bs(blk, bs, &err);

    check_ok(ret == 0, &err, "blk_insert_bs");
    blk_set_allow_aio_context_change(blk, allow);
    return blk;
}

/* *errp must be set and mention @needle; frees it */
static inline void expect_err_at(Error **errp, const char *needle,
                                 const char *file, int line)
{
    if (!*errp || !strstr(error_get_pretty(*errp), needle)) {
        expect_failed(file, line, "expected an error mentioning \"%s\", got "
                      "\"%s\"", needle,
                      *errp ? error_get_pretty(*errp) : "(none)");
    }
    error_free(*errp);
    *errp = NULL;
}
#define expect_err(errp, needle)                                               \
    expect_err_at((errp), (needle), __FILE__, __LINE__)

/*
 * bdrv_try_change_aio_context(), then a graph check.  @needle NULL: it
 * must succeed; else it must be refused with an error containing @needle.
 */
static inline void move_at(BlockDriverState *bs, AioContext *ctx,
                           const char *needle, const char *file, int line)
{
    Error *err = NULL;
    int ret = bdrv_try_change_aio_context(bs, ctx, NULL, &err);
    const char *msg = err ? error_get_pretty(err) : "(no error set)";

    if (!needle && (ret < 0 || err)) {
        expect_failed(file, line, "moving '%s' into %s failed (%d): %s",
                      bdrv_get_node_name(bs), ctx_name(ctx), ret, msg);
    } else if (needle && (ret >= 0 || !err || !strstr(msg, needle))) {
        expect_failed(file, line, "moving '%s' into %s returned %d with "
                      "\"%s\", expected a refusal mentioning \"%s\"",
                      bdrv_get_node_name(bs), ctx_name(ctx), ret, msg, needle);
    }
    error_free(err);
    test_common_expect_graph_ok_at(file, line);
}
#define move_ok(bs, ctx) move_at((bs), (ctx), NULL, __FILE__, __LINE__)
#define move_refused(bs, ctx, needle)                                          \
    move_at((bs), (ctx), (needle), __FILE__, __LINE__)

/* ---- parked reads ------------------------------------------------------- */

/* Releases the read parked on a probe node, in the node's context */
static inline void release_parked_cb(void *opaque)
{
    BlockDriverState *bs = opaque;
    ProbeState *s = bs->opaque;
    Coroutine *co;

    qatomic_store_release(&s->parking, false);
    co = qatomic_xchg(&s->parked, NULL);
    if (co) {
        aio_co_schedule(bdrv_get_aio_context(bs), co);
    }
}

/*
 * A read through @blk parked in its probe node, released by a timer on
 * the virtual clock @delay_ns from now.  The clock only moves when nothing
 * else can run, so the read completes only when someone waits for it.
 * With real IOThreads the clock is real time: still only a wait lets the
 * main thread run the timer.
 */
typedef struct ParkedRead {
    uint8_t buf[512];
    QEMUIOVector qiov;
    int ret;
    bool done;                  /* atomic: completes in the blk's context */
    QEMUTimer *timer;
} ParkedRead;

static inline void parked_read_cb(void *opaque, int ret)
{
    ParkedRead *pr = opaque;

    pr->ret = ret;
    qatomic_store_release(&pr->done, true);
}

static inline bool parked_read_done(ParkedRead *pr)
{
    return qatomic_load_acquire(&pr->done);
}

static inline void parked_read_start(ParkedRead *pr, BlockBackend *blk,
                                     int64_t delay_ns)
{
    BlockDriverState *bs = blk_bs(blk);
    ProbeState *s = probe(bs);

    memset(pr, 0, sizeof(*pr));
    qemu_iovec_init_buf(&pr->qiov, pr->buf, sizeof(pr->buf));
    qatomic_store_release(&s->parking, true);
    blk_aio_preadv(blk, 0, &pr->qiov, 0, parked_read_cb, pr);
    /* Deterministic mode aborts with a report instead of hanging */
    AIO_WAIT_WHILE(qemu_get_aio_context(), !qatomic_load_acquire(&s->parked));
    pr->timer = timer_new_ns(QEMU_CLOCK_VIRTUAL, release_parked_cb, bs);
    timer_mod_ns(pr->timer, qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL) + delay_ns);
}

/* Whatever happened, let the read finish before the cleanup */
static inline void parked_read_finish(ParkedRead *pr)
{
    AIO_WAIT_WHILE(qemu_get_aio_context(), !parked_read_done(pr));
    expect_int(pr->ret, 0);
    timer_free(pr->timer);
}

/* The node was drained, with no request in flight, when it was detached */
static inline void expect_drained_at_detach_at(BlockDriverState *bs,
                                               const char *file, int line)
{
    ProbeState *s = probe(bs);

    if (s->detach_in_flight || s->detach_quiesce < 1) {
        expect_failed(file, line, "node '%s' changed context with %u "
                      "requests in flight and quiesce count %d, expected 0 "
                      "requests and drained", bdrv_get_node_name(bs),
                      s->detach_in_flight, s->detach_quiesce);
    }
}
#define expect_drained_at_detach(bs)                                           \
    expect_drained_at_detach_at((bs), __FILE__, __LINE__)

/* ---- fixtures ----------------------------------------------------------- */

static inline int group_setup(void **state)
{
    test_common_init(TEST_COMMON_STEP_CHECKS | TEST_COMMON_NO_BACKEND |
                     TEST_COMMON_NO_DRAIN_ALL);
    return 0;
}

/* A test that failed early may have left its IOThreads and the mode on */
static inline int ctx_teardown(void **state)
{
    if (ctx_iothreads[0] || ctx_iothreads[1] || sched_is_deterministic()) {
        ctx_iothreads_free();
    }
    return test_common_teardown(state);
}

#define TC(fn)                                                                 \
    cmocka_unit_test_setup_teardown(fn, test_common_setup, ctx_teardown)

/*
 * The suite's tests with virtual IOThreads, then with real ones (both
 * honour TEST_FILTER); CTX_IOTHREADS=virtual or real runs only one
 */
#define ctx_run_group(tests) ctx_run_group_n((tests), ARRAY_SIZE(tests))
static inline int ctx_run_group_n(const struct CMUnitTest *tests, size_t n)
{
    const char *only = getenv("CTX_IOTHREADS");
    int failed = 0;

    test_common_apply_filter();
    if (!only || strcmp(only, "real")) {
        ctx_real_iothreads = false;
        failed += _cmocka_run_group_tests("virtual IOThreads", tests, n,
                                          group_setup, NULL);
    }
    if (!only || strcmp(only, "virtual")) {
        ctx_real_iothreads = true;
        failed += _cmocka_run_group_tests("real IOThreads", tests, n,
                                          group_setup, NULL);
    }
    return failed;
}

#endif
