/*
 * The seed API's AioContext functions (bdrv_try_set_aio_context and
 * friends, the GSList **ignore form, bdrv_co_lock): they share the
 * implementation of bdrv_try_change_aio_context, so these tests check the
 * seed's contract on top of it: ignore lists, checks that change nothing,
 * vetoes, and the parent's context of an edge.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "ctx-common.h"

/*   blk (opted in or not) -> top -> base */
static BlockBackend *seed_chain(BlockDriverState **top, BlockDriverState **base,
                                const char *prefix, bool allow)
{
    char name[32];

    snprintf(name, sizeof(name), "%s-top", prefix);
    *top = open_probe(name);
    snprintf(name, sizeof(name), "%s-base", prefix);
    *base = open_probe(name);
    test_common_attach_ref(*top, *base, "file");
    return new_blk_in(qemu_get_aio_context(), *top, allow);
}

static void seed_chain_free(BlockBackend *blk, BlockDriverState *top,
                            BlockDriverState *base)
{
    blk_unref(blk);
    unref_nodes(top, base);
    ctx_iothreads_free();
    end_test();
}

static void test_seed_try_set_aio_context_moves_component(void **state)
{
    AioContext *io = ctx_iothread_new(0, 11);
    AioContext *main_ctx = qemu_get_aio_context();
    BlockDriverState *top, *base;
    BlockBackend *blk = seed_chain(&top, &base, "st", true);
    Error *err = NULL;

    expect_int(bdrv_try_set_aio_context(base, io, &err), 0);
    check_ok(true, &err, "bdrv_try_set_aio_context");
    expect_ctxs(io, top, base);
    expect_blk_ctx(blk, io);
    expect_moves(1, main_ctx, io, top, base);
    expect_graph_ok();
    expect_int(bdrv_try_set_aio_context(top, main_ctx, &err), 0);
    check_ok(true, &err, "bdrv_try_set_aio_context back");
    expect_ctxs(main_ctx, top, base);
    seed_chain_free(blk, top, base);
}

static void test_seed_try_set_aio_context_vetoed_by_backend(void **state)
{
    AioContext *io = ctx_iothread_new(0, 12);
    AioContext *main_ctx = qemu_get_aio_context();
    BlockDriverState *top, *base;
    BlockBackend *blk = seed_chain(&top, &base, "sv", false);
    Error *err = NULL;

    expect_true(bdrv_try_set_aio_context(base, io, &err) < 0);
    expect_err(&err, "Cannot change iothread of active block backend");
    expect_ctxs(main_ctx, top, base);
    expect_blk_ctx(blk, main_ctx);
    expect_moves(0, NULL, NULL, top, base);
    expect_graph_ok();
    seed_chain_free(blk, top, base);
}

/* A device that cannot move is not asked when its edge is the ignored one */
static void test_seed_child_try_set_aio_context_skips_ignored_parent(
    void **state)
{
    AioContext *io = ctx_iothread_new(0, 13);
    AioContext *main_ctx = qemu_get_aio_context();
    BlockDriverState *bs = open_probe("sc-node");
    Device d = { .name = "sc-dev", .ctx = main_ctx };
    Error *err = NULL;

    dev_attach(&d, bs, &dev_class_fixed);
    expect_true(bdrv_try_set_aio_context(bs, io, &err) < 0);
    expect_err(&err, "Cannot change iothread of device 'sc-dev'");
    expect_ctx(bs, main_ctx);

    /* The ignored parent moves by itself, then moves its child */
    d.ctx = io;
    expect_int(bdrv_child_try_set_aio_context(bs, io, d.child, &err), 0);
    check_ok(true, &err, "bdrv_child_try_set_aio_context");
    expect_ctx(bs, io);
    expect_int(d.asked, 0);
    expect_graph_ok();
    d.ctx = main_ctx;
    expect_int(bdrv_child_try_set_aio_context(bs, main_ctx, d.child, &err), 0);
    dev_detach(&d);
    bdrv_unref(bs);
    ctx_iothreads_free();
    end_test();
}

/* A check changes nothing, and the ignore list grows by the edges crossed */
static void test_seed_can_set_aio_context_checks_without_moving(void **state)
{
    AioContext *io = ctx_iothread_new(0, 14);
    AioContext *main_ctx = qemu_get_aio_context();
    BlockDriverState *top, *base;
    BlockBackend *blk = seed_chain(&top, &base, "cs", true);
    BdrvChild *edge = QLIST_FIRST(&base->parents);
    GSList *ignore = NULL;
    Error *err = NULL;

    expect_true(bdrv_can_set_aio_context(top, io, &ignore, &err));
    check_ok(true, &err, "bdrv_can_set_aio_context");
    expect_ctxs(main_ctx, top, base);
    expect_blk_ctx(blk, main_ctx);
    expect_moves(0, NULL, NULL, top, base);
    expect_true(g_slist_find(ignore, edge) != NULL);
    g_slist_free(ignore);
    ignore = NULL;

    blk_set_allow_aio_context_change(blk, false);
    expect_false(bdrv_can_set_aio_context(base, io, &ignore, &err));
    expect_err(&err, "Cannot change iothread of active block backend");
    expect_ctxs(main_ctx, top, base);
    g_slist_free(ignore);
    expect_graph_ok();
    seed_chain_free(blk, top, base);
}

/*
 * blk (may move) -> top -> base <- blk2 (may not): from the edge top ->
 * base, the check reaches blk2, unless blk2's edge is in the ignore list;
 * an edge in the list is not looked at at all
 */
static void test_seed_child_can_set_aio_context_honours_ignore(void **state)
{
    AioContext *io = ctx_iothread_new(0, 15);
    BlockDriverState *top, *base;
    BlockBackend *blk = seed_chain(&top, &base, "cc", true);
    BdrvChild *edge = QLIST_FIRST(&base->parents);
    BlockBackend *blk2 = new_blk_in(qemu_get_aio_context(), base, false);
    BdrvChild *root2 = QLIST_FIRST(&base->parents);
    GSList *ignore = NULL;
    Error *err = NULL;

    expect_true(root2 != edge);
    expect_false(bdrv_child_can_set_aio_context(edge, io, &ignore, &err));
    expect_err(&err, "Cannot change iothread of active block backend");
    expect_true(g_slist_find(ignore, edge) != NULL);
    g_slist_free(ignore);

    ignore = g_slist_prepend(NULL, root2);
    expect_true(bdrv_child_can_set_aio_context(edge, io, &ignore, &err));
    check_ok(true, &err, "bdrv_child_can_set_aio_context, blk2 ignored");
    expect_int(g_slist_length(ignore), 2);
    expect_true(bdrv_child_can_set_aio_context(edge, io, &ignore, &err));
    expect_int(g_slist_length(ignore), 2);
    g_slist_free(ignore);
    expect_moves(0, NULL, NULL, top, base);
    blk_unref(blk2);
    seed_chain_free(blk, top, base);
}

static void test_seed_set_aio_context_ignore_moves_and_fills_list(
    void **state)
{
    AioContext *io = ctx_iothread_new(0, 16);
    AioContext *main_ctx = qemu_get_aio_context();
    BlockDriverState *top, *base;
    BlockBackend *blk = seed_chain(&top, &base, "si", true);
    GSList *ignore = NULL;

    bdrv_set_aio_context_ignore(top, io, &ignore);
    expect_ctxs(io, top, base);
    expect_blk_ctx(blk, io);
    expect_int(g_slist_length(ignore), 2); /* the root edge and top -> base */
    g_slist_free(ignore);
    ignore = NULL;
    expect_graph_ok();
    bdrv_set_aio_context_ignore(base, main_ctx, &ignore);
    g_slist_free(ignore);
    expect_ctxs(main_ctx, top, base);
    seed_chain_free(blk, top, base);
}

typedef struct SeedVeto {
    BlockDriverState *bs;
    AioContext *ctx;
} SeedVeto;

static void seed_set_vetoed(void *opaque)
{
    SeedVeto *v = opaque;
    GSList *ignore = NULL;

    bdrv_set_aio_context_ignore(v->bs, v->ctx, &ignore);
}

/* A move bdrv_can_set_aio_context() would refuse is a misuse: it aborts */
static void test_seed_set_aio_context_ignore_aborts_on_veto(void **state)
{
    AioContext *io = ctx_iothread_new(0, 17);
    BlockDriverState *top, *base;
    BlockBackend *blk = seed_chain(&top, &base, "sa", false);
    SeedVeto v = { .bs = base, .ctx = io };

    if (!ctx_real_iothreads) { /* fork only where no other thread runs */
        expect_abort(seed_set_vetoed, &v,
                     "Cannot change iothread of active block backend");
    }
    expect_ctxs(qemu_get_aio_context(), top, base);
    seed_chain_free(blk, top, base);
}

static void test_seed_child_get_parent_aio_context(void **state)
{
    AioContext *io = ctx_iothread_new(0, 18);
    AioContext *main_ctx = qemu_get_aio_context();
    BlockDriverState *top, *base;
    BlockBackend *blk = seed_chain(&top, &base, "gp", true);
    BdrvChild *edge = QLIST_FIRST(&base->parents);
    BdrvChild *root = QLIST_FIRST(&top->parents);

    expect_true(bdrv_child_get_parent_aio_context(edge) == main_ctx);
    expect_true(bdrv_child_get_parent_aio_context(root) == main_ctx);
    move_ok(top, io);
    expect_true(bdrv_child_get_parent_aio_context(edge) == io);
    expect_true(bdrv_child_get_parent_aio_context(root) == io);
    move_ok(top, main_ctx);
    seed_chain_free(blk, top, base);
}

typedef struct SeedLock {
    BlockDriverState *bs;
    int steps;
} SeedLock;

static void coroutine_fn seed_lock_co(void *opaque)
{
    SeedLock *l = opaque;

    bdrv_co_lock(l->bs);
    l->steps++;
    bdrv_co_unlock(l->bs);
    l->steps++;
}

static void seed_lock_outside(void *opaque)
{
    bdrv_co_lock(opaque);
}

static void test_seed_co_lock_from_main_thread_coroutine(void **state)
{
    AioContext *io = ctx_iothread_new(0, 19);
    BlockDriverState *bs = open_probe("cl-node");
    SeedLock l = { .bs = bs };

    move_ok(bs, io);
    qemu_coroutine_enter(qemu_coroutine_create(seed_lock_co, &l));
    expect_int(l.steps, 2);
    if (!ctx_real_iothreads) {
        expect_abort(seed_lock_outside, bs, "qemu_in_coroutine");
    }
    move_ok(bs, qemu_get_aio_context());
    bdrv_unref(bs);
    ctx_iothreads_free();
    end_test();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TC(test_seed_try_set_aio_context_moves_component),
        TC(test_seed_try_set_aio_context_vetoed_by_backend),
        TC(test_seed_child_try_set_aio_context_skips_ignored_parent),
        TC(test_seed_can_set_aio_context_checks_without_moving),
        TC(test_seed_child_can_set_aio_context_honours_ignore),
        TC(test_seed_set_aio_context_ignore_moves_and_fills_list),
        TC(test_seed_set_aio_context_ignore_aborts_on_veto),
        TC(test_seed_child_get_parent_aio_context),
        TC(test_seed_co_lock_from_main_thread_coroutine),
    };

    return ctx_run_group(tests);
}
