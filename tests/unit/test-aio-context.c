/*
 * Unit tests of AioContext moves (block/core/aio-context.c, the edge
 * alignment of block/core/child.c and the BlockBackend root class):
 * REFERENCE.md behaviours 21-25.  Test names carry the behaviour ("bNN").
 *
 * Most tests run in deterministic mode, where IOThreads are virtual and
 * polled from the main thread; each test creates and destroys its own
 * IOThreads, since switching modes with live IOThreads is not supported.
 * Nodes are mostly "ctx-probe" nodes, a local driver that records every
 * call of its detach/attach hooks and can park reads; non-node parents
 * are BlockBackends or "devices" of a local BdrvChildClass that count how
 * often they were asked to move.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "util/iothread.h"
#include "util/sched.h"
#include "drain-common.h"

/* Bounded polling, so that a bug fails a test instead of hanging it */
#define CTX_POLL_LIMIT 1000

/* ---- IOThreads ---------------------------------------------------------- */

static IOThread *ctx_iothreads[2];

/* Deterministic mode with @seed, and IOThread @i's context */
static AioContext *ctx_iothread_new(int i, uint64_t seed)
{
    char id[16];

    if (i == 0 && seed) {
        sched_set_deterministic(seed);
    }
    snprintf(id, sizeof(id), "ctx-io%d", i);
    ctx_iothreads[i] = iothread_create(id, &error_abort);
    return iothread_get_aio_context(ctx_iothreads[i]);
}

static void ctx_iothreads_free(void)
{
    for (int i = 0; i < 2; i++) {
        iothread_destroy(ctx_iothreads[i]);
        ctx_iothreads[i] = NULL;
    }
    sched_set_realtime();
}

/* A readable name of @ctx for failure messages */
static const char *ctx_name(AioContext *ctx)
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
static void expect_ctxs_at(const char *file, int line, AioContext *ctx, ...)
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

static void expect_blk_ctx_at(BlockBackend *blk, AioContext *ctx,
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

static void probe_detach(BlockDriverState *bs)
{
    ProbeState *s = bs->opaque;

    s->unpaired += s->detaches != s->attaches;
    s->detaches++;
    s->detach_ctx = bs->aio_context;
    s->detach_in_flight = qatomic_read(&bs->in_flight);
    s->detach_quiesce = bs->quiesce_counter;
}

static void probe_attach(BlockDriverState *bs, AioContext *new_context)
{
    ProbeState *s = bs->opaque;

    s->attaches++;
    s->unpaired += s->attaches != s->detaches;
    s->attach_arg = new_context;
    s->attach_ctx = bs->aio_context;
}

static int64_t coroutine_fn probe_co_getlength(BlockDriverState *bs)
{
    return 1024 * 1024;
}

static int coroutine_fn probe_co_preadv(BlockDriverState *bs, int64_t offset,
                                        int64_t bytes, QEMUIOVector *qiov,
                                        BdrvRequestFlags flags)
{
    ProbeState *s = bs->opaque;

    if (s->parking) {
        s->parked = qemu_coroutine_self();
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

static BlockDriverState *open_probe(const char *name)
{
    return test_common_open_local(&probe_drv, name, BDRV_O_RDWR);
}

static ProbeState *probe(BlockDriverState *bs)
{
    assert_ptr_equal(bs->drv, &probe_drv);
    return bs->opaque;
}

/*
 * expect_moves(n, from, to, bs1, bs2, ...): each node's hooks ran n times,
 * in pairs, the last pair moving it from @from into @to
 */
static void expect_moves_at(const char *file, int line, int n,
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

static char *dev_get_parent_desc(BdrvChild *c)
{
    return g_strdup_printf("device '%s'", ((Device *)c->opaque)->name);
}

static AioContext *dev_get_parent_aio_context(BdrvChild *c)
{
    return ((Device *)c->opaque)->ctx;
}

typedef struct DeviceMove {
    Device *d;
    AioContext *ctx;
} DeviceMove;

static void dev_move_commit(void *opaque)
{
    DeviceMove *m = opaque;

    m->d->ctx = m->ctx;
    m->d->committed++;
}

static const TransactionActionDrv dev_move_drv = {
    .commit = dev_move_commit,
    .clean = g_free,
};

static bool dev_change_aio_ctx(BdrvChild *c, AioContext *ctx,
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
static void dev_attach(Device *d, BlockDriverState *bs,
                       const BdrvChildClass *klass)
{
    Error *err = NULL;

    bdrv_ref(bs);
    d->child = bdrv_root_attach_child(bs, "dev", klass, BDRV_CHILD_DATA, 0,
                                      BLK_PERM_ALL, d, &err);
    check_ok(d->child != NULL, &err, "Attaching a device");
}

static void dev_detach(Device *d)
{
    bdrv_root_unref_child(d->child);
    d->child = NULL;
}

/* ---- backends and moves ------------------------------------------------- */

/* A reading backend in @ctx on @bs; may follow a move if @allow */
static BlockBackend *new_blk_in(AioContext *ctx, BlockDriverState *bs,
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
static void expect_err_at(Error **errp, const char *needle, const char *file,
                          int line)
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
static void move_at(BlockDriverState *bs, AioContext *ctx, const char *needle,
                    const char *file, int line)
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

/* ---- 21: a move takes every connected node along ------------------------ */

/*
 *   blk -> top -> mid -> base        lone (not connected)
 *                 ^
 *          side --+-> leaf
 */
static void b21_parents_and_children(uint64_t seed)
{
    AioContext *io = ctx_iothread_new(0, seed);
    AioContext *main_ctx = qemu_get_aio_context();
    BlockDriverState *top = open_probe("b21-top");
    BlockDriverState *mid = open_probe("b21-mid");
    BlockDriverState *base = open_probe("b21-base");
    BlockDriverState *side = open_probe("b21-side");
    BlockDriverState *leaf = open_probe("b21-leaf");
    BlockDriverState *lone = open_probe("b21-lone");
    BlockBackend *blk = new_blk_in(main_ctx, top, true);
    uint8_t buf[512];

    test_common_attach_ref(top, mid, "file");
    test_common_attach_ref(mid, base, "file");
    test_common_attach_ref(side, mid, "file");
    test_common_attach_ref(side, leaf, "leaf");

    /* Into the context it is in already: nothing to do */
    move_ok(mid, main_ctx);
    expect_moves(0, NULL, NULL, top, mid, base, side, leaf);

    /* From the middle: up to top and the backend, down, and sideways */
    move_ok(mid, io);
    expect_ctxs(io, top, mid, base, side, leaf);
    expect_ctx(lone, main_ctx);
    expect_blk_ctx(blk, io);
    expect_moves(1, main_ctx, io, top, mid, base, side, leaf);
    expect_moves(0, NULL, NULL, lone);
    expect_all_undrained();
    /* The moved graph still works from its new context */
    expect_int(blk_pread(blk, 0, sizeof(buf), buf, 0), 0);

    /* From a leaf of the other parent: back along every edge */
    move_ok(leaf, main_ctx);
    expect_ctxs(main_ctx, top, mid, base, side, leaf, lone);
    expect_blk_ctx(blk, main_ctx);
    expect_moves(2, io, main_ctx, top, mid, base, side, leaf);
    expect_moves(0, NULL, NULL, lone);
    move_ok(top, main_ctx);
    expect_moves(2, io, main_ctx, top);

    blk_unref(blk);
    unref_nodes(top, side, mid, base, leaf, lone);
    ctx_iothreads_free();
    end_test();
}

static void test_ctx_b21_moves_parents_and_children(void **state)
{
    for (uint64_t seed = 1; seed <= 3; seed++) {
        b21_parents_and_children(seed);
    }
}

/* The same with a real IOThread (a pthread polling its context) */
static void test_ctx_b21_moves_parents_and_children_realtime(void **state)
{
    b21_parents_and_children(0);
}

/* Releases the read parked on a probe node, in the node's context */
static void release_parked_cb(void *opaque)
{
    BlockDriverState *bs = opaque;
    ProbeState *s = bs->opaque;
    Coroutine *co = s->parked;

    s->parking = false;
    if (co) {
        s->parked = NULL;
        aio_co_schedule(bdrv_get_aio_context(bs), co);
    }
}

/*
 * A read through @blk parked in its probe node, released by a timer on
 * the virtual clock @delay_ns from now.  The clock only moves when nothing
 * else can run, so the read completes only when someone waits for it.
 */
typedef struct ParkedRead {
    uint8_t buf[512];
    QEMUIOVector qiov;
    AioResult r;
    QEMUTimer *timer;
} ParkedRead;

static void parked_read_start(ParkedRead *pr, BlockBackend *blk,
                              int64_t delay_ns)
{
    BlockDriverState *bs = blk_bs(blk);
    ProbeState *s = probe(bs);

    memset(pr, 0, sizeof(*pr));
    qemu_iovec_init_buf(&pr->qiov, pr->buf, sizeof(pr->buf));
    s->parking = true;
    blk_aio_preadv(blk, 0, &pr->qiov, 0, aio_done_cb, &pr->r);
    for (int i = 0; i < CTX_POLL_LIMIT && !s->parked; i++) {
        aio_poll(qemu_get_aio_context(), false);
    }
    if (!s->parked) {
        fail_msg("The read never reached '%s'", bdrv_get_node_name(bs));
    }
    pr->timer = timer_new_ns(QEMU_CLOCK_VIRTUAL, release_parked_cb, bs);
    timer_mod_ns(pr->timer, qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL) + delay_ns);
}

/* Whatever happened, let the read finish before the cleanup */
static void parked_read_finish(ParkedRead *pr)
{
    for (int i = 0; i < CTX_POLL_LIMIT && !pr->r.done; i++) {
        aio_poll(qemu_get_aio_context(), true);
    }
    expect_true(pr->r.done && pr->r.ret == 0);
    timer_free(pr->timer);
}

/* The node was drained, with no request in flight, when it was detached */
static void expect_drained_at_detach_at(BlockDriverState *bs,
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

/*
 * A node must be drained while it changes context: no request of any
 * moved node may be in flight at its detach hook.  top's read is released
 * after 1 ms, base's after 2 ms.  The read on "base" comes from a backend
 * of its own, so draining the node the move starts from ("top") does not
 * wait for it: only a drain of base does.
 */
static void test_ctx_b21_moved_nodes_are_drained(void **state)
{
    AioContext *io = ctx_iothread_new(0, 212);
    AioContext *main_ctx = qemu_get_aio_context();
    BlockDriverState *top = open_probe("b21d-top");
    BlockDriverState *base = open_probe("b21d-base");
    BlockBackend *blk_top = new_blk_in(main_ctx, top, true);
    BlockBackend *blk_base = new_blk_in(main_ctx, base, true);
    ParkedRead r_top, r_base;

    test_common_attach_ref(top, base, "file");
    parked_read_start(&r_top, blk_top, 1000000);
    parked_read_start(&r_base, blk_base, 2000000);

    move_ok(top, io);
    expect_ctxs(io, top, base);
    expect_moves(1, main_ctx, io, top, base);
    expect_true(r_top.r.done);
    expect_true(r_base.r.done);
    expect_drained_at_detach(top);
    expect_drained_at_detach(base);

    parked_read_finish(&r_top);
    parked_read_finish(&r_base);
    move_ok(top, main_ctx);
    blk_unref(blk_top);
    blk_unref(blk_base);
    unref_nodes(top, base);
    ctx_iothreads_free();
    end_test();
}

/* ---- 22: a diamond is visited once, the move terminates ----------------- */

/*
 *        top          blk on top, device "d" on base
 *       /   \
 *      a     b
 *       \   /
 *        base
 */
static void test_ctx_b22_diamond_visited_once(void **state)
{
    AioContext *io = ctx_iothread_new(0, 22);
    AioContext *main_ctx = qemu_get_aio_context();
    BlockDriverState *top = open_probe("b22-top");
    BlockDriverState *a = open_probe("b22-a");
    BlockDriverState *b = open_probe("b22-b");
    BlockDriverState *base = open_probe("b22-base");
    BlockBackend *blk = new_blk_in(main_ctx, top, true);
    Device d = { .name = "b22-dev", .ctx = main_ctx, .allow = true };

    test_common_attach_ref(top, a, "file");
    bdrv_ref(b);
    test_common_attach(top, b, "b", BDRV_CHILD_DATA);
    test_common_attach_ref(a, base, "file");
    test_common_attach_ref(b, base, "file");
    dev_attach(&d, base, &dev_class);

    move_ok(top, io);
    expect_ctxs(io, top, a, b, base);
    expect_blk_ctx(blk, io);
    expect_moves(1, main_ctx, io, top, a, b, base);
    expect_int(d.asked, 1);
    expect_int(d.committed, 1);
    expect_true(d.ctx == io);

    /* And from the bottom, where the two paths meet */
    move_ok(base, main_ctx);
    expect_ctxs(main_ctx, top, a, b, base);
    expect_blk_ctx(blk, main_ctx);
    expect_moves(2, io, main_ctx, top, a, b, base);
    expect_int(d.asked, 2);
    expect_int(d.committed, 2);

    dev_detach(&d);
    blk_unref(blk);
    unref_nodes(top, a, b, base);
    ctx_iothreads_free();
    end_test();
}

/* Three layers of three nodes, every node a child of all three above it */
static void test_ctx_b22_lattice_each_node_once(void **state)
{
    AioContext *io = ctx_iothread_new(0, 221);
    AioContext *main_ctx = qemu_get_aio_context();
    BlockDriverState *n[3][3];
    char name[32];

    for (int l = 0; l < 3; l++) {
        for (int i = 0; i < 3; i++) {
            snprintf(name, sizeof(name), "b22l-%d-%d", l, i);
            n[l][i] = open_probe(name);
        }
    }
    for (int l = 1; l < 3; l++) {
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 3; j++) {
                snprintf(name, sizeof(name), "c%d", j);
                bdrv_ref(n[l - 1][j]);
                test_common_attach(n[l][i], n[l - 1][j], name,
                                   BDRV_CHILD_DATA);
            }
        }
    }
    move_ok(n[1][1], io);
    move_ok(n[0][2], main_ctx);
    for (int l = 0; l < 3; l++) {
        for (int i = 0; i < 3; i++) {
            expect_ctx(n[l][i], main_ctx);
            expect_moves(2, io, main_ctx, n[l][i]);
        }
    }
    for (int l = 2; l >= 0; l--) {
        unref_nodes(n[l][0], n[l][1], n[l][2]);
    }
    ctx_iothreads_free();
    end_test();
}

/* ---- 23: a parent that cannot move vetoes, and nothing changes ---------- */

/*
 *   blk_top (opted in) -> top -> base <- blk_base (did not opt in)
 *   device "d" (may move) on top
 */
static void test_ctx_b23_backend_vetoes_move(void **state)
{
    AioContext *io = ctx_iothread_new(0, 23);
    AioContext *main_ctx = qemu_get_aio_context();
    BlockDriverState *top = open_probe("b23-top");
    BlockDriverState *base = open_probe("b23-base");
    BlockBackend *blk_top = new_blk_in(main_ctx, top, true);
    BlockBackend *blk_base = new_blk_in(main_ctx, base, false);
    Device d = { .name = "b23-dev", .ctx = main_ctx, .allow = true };
    Error *err = NULL;

    test_common_attach_ref(top, base, "file");
    dev_attach(&d, top, &dev_class);

    move_refused(top, io, "Cannot change iothread of active block backend");
    /* The refusal names the backend when it has a name */
    check_ok(monitor_add_blk(blk_base, "b23-drive", &err), &err,
             "monitor_add_blk");
    move_refused(base, io,
                 "Cannot change iothread of active block backend 'b23-drive'");
    expect_ctxs(main_ctx, top, base);
    expect_blk_ctx(blk_top, main_ctx);
    expect_blk_ctx(blk_base, main_ctx);
    expect_moves(0, NULL, NULL, top, base);
    expect_int(d.committed, 0);
    expect_true(d.ctx == main_ctx);
    expect_all_undrained();

    /* Once the backend opts in, the same move goes through */
    blk_set_allow_aio_context_change(blk_base, true);
    move_ok(top, io);
    expect_ctxs(io, top, base);
    expect_blk_ctx(blk_top, io);
    expect_blk_ctx(blk_base, io);
    expect_true(d.ctx == io);
    expect_moves(1, main_ctx, io, top, base);
    move_ok(base, main_ctx);

    dev_detach(&d);
    blk_unref(blk_top);
    blk_unref(blk_base);
    unref_nodes(top, base);
    ctx_iothreads_free();
    end_test();
}

/*
 * The veto comes last, after a long walk: n0 - n1 - n2 - n3 with an
 * agreeing device on n0 and, on n3, a device that has no way to move.
 */
static void test_ctx_b23_late_veto_undoes_everything(void **state)
{
    AioContext *io = ctx_iothread_new(0, 232);
    AioContext *main_ctx = qemu_get_aio_context();
    BlockDriverState *n[4];
    Device yes = { .name = "b23-yes", .ctx = main_ctx, .allow = true };
    Device no = { .name = "b23-no", .ctx = main_ctx };
    char name[16];

    for (int i = 0; i < 4; i++) {
        snprintf(name, sizeof(name), "b23l-n%d", i);
        n[i] = open_probe(name);
        if (i) {
            test_common_attach_ref(n[i - 1], n[i], "file");
        }
    }
    dev_attach(&yes, n[0], &dev_class);
    dev_attach(&no, n[3], &dev_class_fixed);

    move_refused(n[0], io, "Cannot change iothread of device 'b23-no' "
                 "(uses node 'b23l-n3' as 'dev' child)");
    move_refused(n[3], io, "device 'b23-no'");
    for (int i = 0; i < 4; i++) {
        expect_ctx(n[i], main_ctx);
        expect_moves(0, NULL, NULL, n[i]);
    }
    expect_true(yes.ctx == main_ctx);
    expect_int(yes.committed, 0);
    expect_all_undrained();

    /* A device that refuses through its callback: the same */
    dev_detach(&no);
    no.allow = false;
    dev_attach(&no, n[3], &dev_class);
    move_refused(n[1], io, "Device 'b23-no' cannot leave context main");
    expect_int(no.asked, 1);
    expect_int(yes.committed, 0);
    expect_true(yes.ctx == main_ctx);
    for (int i = 0; i < 4; i++) {
        expect_ctx(n[i], main_ctx);
        expect_moves(0, NULL, NULL, n[i]);
    }

    dev_detach(&yes);
    dev_detach(&no);
    unref_nodes(n[0], n[1], n[2], n[3]);
    ctx_iothreads_free();
    end_test();
}

/*
 * A backend moving itself needs no opt-in of its own, but is still vetoed
 * by other backends, both ways
 */
static void test_ctx_b23_blk_set_aio_context_vetoed(void **state)
{
    AioContext *io = ctx_iothread_new(0, 233);
    AioContext *main_ctx = qemu_get_aio_context();
    BlockDriverState *top = open_probe("b23s-top");
    BlockDriverState *base = open_probe("b23s-base");
    BlockBackend *blk_top = new_blk_in(main_ctx, top, false);
    BlockBackend *blk_base = new_blk_in(main_ctx, base, false);
    BlockBackend *blk_io;
    Error *err = NULL;

    test_common_attach_ref(top, base, "file");
    expect_true(blk_set_aio_context(blk_top, io, &err) < 0);
    expect_err(&err, "Cannot change iothread");
    expect_ctxs(main_ctx, top, base);
    expect_blk_ctx(blk_top, main_ctx);
    expect_blk_ctx(blk_base, main_ctx);
    expect_moves(0, NULL, NULL, top, base);
    expect_graph_ok();

    blk_set_allow_aio_context_change(blk_base, true);
    expect_int(blk_set_aio_context(blk_top, io, &err), 0);
    check_ok(true, &err, "blk_set_aio_context once the other opted in");
    expect_blk_ctx(blk_top, io);
    expect_blk_ctx(blk_base, io);
    expect_ctxs(io, top, base);
    expect_graph_ok();

    /* Vetoed on the way back out of the IOThread: everything stays there */
    blk_io = new_blk_in(io, base, false);
    expect_true(blk_set_aio_context(blk_top, main_ctx, &err) < 0);
    expect_err(&err, "Cannot change iothread of active block backend");
    expect_ctxs(io, top, base);
    expect_blk_ctx(blk_top, io);
    expect_blk_ctx(blk_io, io);
    expect_moves(1, main_ctx, io, top, base);
    blk_unref(blk_io);
    expect_int(blk_set_aio_context(blk_top, main_ctx, &err), 0);
    check_ok(true, &err, "blk_set_aio_context back");

    blk_unref(blk_top);
    blk_unref(blk_base);
    unref_nodes(top, base);
    ctx_iothreads_free();
    end_test();
}

/* ---- 24: a backend's context on insert, the main context on removal ----- */

static void b24_insert_and_remove(uint64_t seed)
{
    AioContext *io = ctx_iothread_new(0, seed);
    AioContext *main_ctx = qemu_get_aio_context();
    BlockDriverState *top = open_probe("b24-top");
    BlockDriverState *base = open_probe("b24-base");
    BlockBackend *blk = blk_new(io, BLK_PERM_CONSISTENT_READ, BLK_PERM_ALL);
    Error *err = NULL;
    uint8_t buf[512];

    test_common_attach_ref(top, base, "file");
    expect_int(blk_insert_bs(blk, top, &err), 0);
    check_ok(true, &err, "blk_insert_bs into a backend in the IOThread");
    expect_ctxs(io, top, base);
    expect_blk_ctx(blk, io);
    expect_moves(1, main_ctx, io, top, base);
    expect_graph_ok();
    expect_int(blk_pread(blk, 0, sizeof(buf), buf, 0), 0);

    blk_remove_bs(blk);
    expect_ctxs(main_ctx, top, base);
    expect_moves(2, io, main_ctx, top, base);
    expect_graph_ok();

    /* Again, and this time the backend goes away with the node in it */
    expect_int(blk_insert_bs(blk, top, &err), 0);
    check_ok(true, &err, "blk_insert_bs again");
    expect_ctxs(io, top, base);
    blk_unref(blk);
    expect_ctxs(main_ctx, top, base);
    expect_moves(4, io, main_ctx, top, base);
    expect_graph_ok();

    unref_nodes(top, base);
    ctx_iothreads_free();
    end_test();
}

static void test_ctx_b24_insert_and_remove(void **state)
{
    for (uint64_t seed = 1; seed <= 3; seed++) {
        b24_insert_and_remove(seed);
    }
}

static void test_ctx_b24_insert_and_remove_realtime(void **state)
{
    b24_insert_and_remove(0);
}

/*
 * The move an insertion makes must drain too: "node" has a read in flight
 * from its first backend (released by a virtual-clock timer, so only a
 * drain that waits lets it finish) when a backend in the IOThread takes it.
 */
static void test_ctx_b24_insert_drains_moved_node(void **state)
{
    AioContext *io = ctx_iothread_new(0, 244);
    AioContext *main_ctx = qemu_get_aio_context();
    BlockDriverState *bs = open_probe("b24i-node");
    BlockBackend *first = new_blk_in(main_ctx, bs, true);
    BlockBackend *blk = blk_new(io, BLK_PERM_CONSISTENT_READ, BLK_PERM_ALL);
    Error *err = NULL;
    ParkedRead pr;

    parked_read_start(&pr, first, 1000000);
    expect_int(blk_insert_bs(blk, bs, &err), 0);
    check_ok(true, &err, "blk_insert_bs of a node with a read in flight");
    expect_ctx(bs, io);
    expect_blk_ctx(first, io);
    expect_moves(1, main_ctx, io, bs);
    expect_true(pr.r.done);
    expect_drained_at_detach(bs);

    parked_read_finish(&pr);
    blk_unref(blk);
    blk_unref(first);
    bdrv_unref(bs);
    ctx_iothreads_free();
    end_test();
}

/*
 * The node goes back only when its last parent goes: not while another
 * backend in the IOThread still holds it; a child detached from its last
 * (node) parent goes back too.
 */
static void test_ctx_b24_returns_with_last_parent(void **state)
{
    AioContext *io = ctx_iothread_new(0, 241);
    AioContext *main_ctx = qemu_get_aio_context();
    BlockDriverState *bs = open_probe("b24o-node");
    BlockDriverState *base = open_probe("b24o-base");
    BlockBackend *blk1 = new_blk_in(io, bs, false);
    BlockBackend *blk2 = new_blk_in(io, bs, false);
    BdrvChild *c = test_common_attach_ref(bs, base, "file");

    expect_ctxs(io, bs, base);
    blk_remove_bs(blk1);
    expect_ctxs(io, bs, base);
    expect_moves(1, main_ctx, io, bs, base);
    expect_graph_ok();

    bdrv_unref_child(bs, c);
    expect_ctx(base, main_ctx);
    expect_ctx(bs, io);
    expect_moves(2, io, main_ctx, base);
    expect_graph_ok();

    blk_remove_bs(blk2);
    expect_ctx(bs, main_ctx);
    expect_moves(2, io, main_ctx, bs);
    expect_graph_ok();

    blk_unref(blk1);
    blk_unref(blk2);
    unref_nodes(bs, base);
    ctx_iothreads_free();
    end_test();
}

/*
 * The node cannot follow the new backend (its other backend did not opt
 * in), and the new backend cannot follow the node: the insertion fails
 * and leaves everything as it was.  A backend that opted in follows.
 */
static void test_ctx_b24_insert_refused_changes_nothing(void **state)
{
    AioContext *io = ctx_iothread_new(0, 243);
    AioContext *main_ctx = qemu_get_aio_context();
    BlockDriverState *bs = open_probe("b24r-node");
    BlockBackend *old = new_blk_in(main_ctx, bs, false);
    BlockBackend *blk = blk_new(io, BLK_PERM_CONSISTENT_READ, BLK_PERM_ALL);
    Error *err = NULL;

    expect_true(blk_insert_bs(blk, bs, &err) < 0);
    expect_err(&err, "Cannot change iothread");
    expect_true(blk_bs(blk) == NULL);
    expect_int(count_parents(bs), 1);
    expect_int(bs->refcnt, 2);
    expect_ctx(bs, main_ctx);
    expect_blk_ctx(blk, io);
    expect_moves(0, NULL, NULL, bs);
    expect_graph_ok();

    blk_set_allow_aio_context_change(blk, true);
    expect_int(blk_insert_bs(blk, bs, &err), 0);
    check_ok(true, &err, "blk_insert_bs of a backend that opted in");
    expect_ctx(bs, main_ctx);
    expect_blk_ctx(blk, main_ctx);
    expect_moves(0, NULL, NULL, bs);
    expect_graph_ok();

    blk_unref(blk);
    blk_unref(old);
    bdrv_unref(bs);
    ctx_iothreads_free();
    end_test();
}

/* ---- 25: a node opened on a node in an IOThread joins that IOThread ---- */

/* Opens @driver with option @key naming @child; must succeed */
static BlockDriverState *open_over(const char *driver, const char *name,
                                   const char *key, const char *child)
{
    QDict *opts = opts_new(driver, name);

    qdict_put_str(opts, key, child);
    return open_ok(NULL, opts, BDRV_O_RDWR);
}

static void test_ctx_b25_open_on_iothread_node(void **state)
{
    AioContext *io = ctx_iothread_new(0, 25);
    BlockDriverState *base = open_probe("b25-base");
    BlockBackend *blk = new_blk_in(io, base, false);
    static const struct {
        const char *driver, *key;
    } cases[] = {
        { "test", "file" }, { "test", "backing" }, { "raw", "file" },
    };

    expect_moves(1, qemu_get_aio_context(), io, base);
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        char name[32];
        BlockDriverState *top;

        snprintf(name, sizeof(name), "b25-%s-%s", cases[i].driver,
                 cases[i].key);
        top = open_over(cases[i].driver, name, cases[i].key, "b25-base");
        expect_ctx(top, io);
        expect_ctx(base, io);
        expect_blk_ctx(blk, io);
        /* The new node moved, not the one below it */
        expect_moves(1, qemu_get_aio_context(), io, base);
        expect_graph_ok();
        bdrv_unref(top);
        expect_ctx(base, io);
    }

    blk_unref(blk);
    bdrv_unref(base);
    ctx_iothreads_free();
    end_test();
}

/* bdrv_append of a new overlay: it joins the IOThread, the backend stays */
static void test_ctx_b25_append_over_iothread_node(void **state)
{
    AioContext *io = ctx_iothread_new(0, 252);
    BlockDriverState *base = open_probe("b25a-base");
    BlockDriverState *overlay = open_node("test", "b25a-overlay", BDRV_O_RDWR);
    BlockBackend *blk = new_blk_in(io, base, false);
    Error *err = NULL;

    check_ok(bdrv_append(overlay, base, &err) == 0, &err, "bdrv_append");
    expect_true(blk_bs(blk) == overlay);
    expect_ctxs(io, overlay, base);
    expect_blk_ctx(blk, io);
    expect_moves(1, qemu_get_aio_context(), io, base);
    expect_graph_ok();

    blk_unref(blk);
    unref_nodes(overlay, base);
    ctx_iothreads_free();
    end_test();
}

/* On two nodes held in two different IOThreads: refused, nothing leaks */
static void test_ctx_b25_open_over_two_iothreads_fails(void **state)
{
    AioContext *io0 = ctx_iothread_new(0, 251);
    AioContext *io1 = ctx_iothread_new(1, 0);
    BlockDriverState *a = open_probe("b25x-a");
    BlockDriverState *b = open_probe("b25x-b");
    BlockBackend *blk_a = new_blk_in(io0, a, false);
    BlockBackend *blk_b = new_blk_in(io1, b, false);
    QDict *opts = opts_new("test", "b25x-top");
    Error *err = NULL;
    int nodes = bdrv_debug_node_count();
    BlockDriverState *top;

    qdict_put_str(opts, "file", "b25x-a");
    qdict_put_str(opts, "backing", "b25x-b");
    top = bdrv_open(NULL, NULL, opts, BDRV_O_RDWR, &err);
    expect_true(top == NULL);
    expect_err(&err, "Cannot change iothread");
    expect_int(bdrv_debug_node_count(), nodes);
    expect_ctx(a, io0);
    expect_ctx(b, io1);
    expect_int(count_parents(a), 1);
    expect_int(count_parents(b), 1);
    expect_moves(1, qemu_get_aio_context(), io0, a);
    expect_moves(1, qemu_get_aio_context(), io1, b);
    expect_graph_ok();

    if (top) {
        bdrv_unref(top);
    }
    blk_unref(blk_a);
    blk_unref(blk_b);
    unref_nodes(a, b);
    ctx_iothreads_free();
    end_test();
}

/* ---- fixtures ----------------------------------------------------------- */

static int group_setup(void **state)
{
    test_common_init(TEST_COMMON_STEP_CHECKS | TEST_COMMON_NO_BACKEND |
                     TEST_COMMON_NO_DRAIN_ALL);
    return 0;
}

/* A test that failed early may have left its IOThreads and the mode on */
static int ctx_teardown(void **state)
{
    if (ctx_iothreads[0] || ctx_iothreads[1] || sched_is_deterministic()) {
        ctx_iothreads_free();
    }
    return test_common_teardown(state);
}

#define TC(fn)                                                                 \
    cmocka_unit_test_setup_teardown(fn, test_common_setup, ctx_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        TC(test_ctx_b21_moves_parents_and_children),
        TC(test_ctx_b21_moves_parents_and_children_realtime),
        TC(test_ctx_b21_moved_nodes_are_drained),
        TC(test_ctx_b22_diamond_visited_once),
        TC(test_ctx_b22_lattice_each_node_once),
        TC(test_ctx_b23_backend_vetoes_move),
        TC(test_ctx_b23_late_veto_undoes_everything),
        TC(test_ctx_b23_blk_set_aio_context_vetoed),
        TC(test_ctx_b24_insert_and_remove),
        TC(test_ctx_b24_insert_and_remove_realtime),
        TC(test_ctx_b24_insert_drains_moved_node),
        TC(test_ctx_b24_returns_with_last_parent),
        TC(test_ctx_b24_insert_refused_changes_nothing),
        TC(test_ctx_b25_open_on_iothread_node),
        TC(test_ctx_b25_append_over_iothread_node),
        TC(test_ctx_b25_open_over_two_iothreads_fails),
    };

    return test_common_run_group(tests, group_setup, NULL);
}
