/*
 * AioContext moves as steps of a transaction (block/core/aio-context.c):
 * the moved nodes are drained when the step is prepared, switch contexts
 * (together with their backends) only when the transaction commits, and
 * are undrained when it ends; an abort leaves every node and backend where
 * it was without any switch.  Graph changes that join components in
 * different contexts (bdrv_replace_node, bdrv_replace_child_bs) move the
 * new node's component within their own transaction, or fail with nothing
 * changed.
 *
 * The helpers (IOThreads, "ctx-probe" nodes, devices) are in ctx-common.h.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "block/test-driver.h"
#include "ctx-common.h"

/* ---- a move prepared in a caller's transaction --------------------------- */

typedef struct MoveFixture {
    AioContext *io;
    AioContext *main_ctx;
    BlockDriverState *n0, *n1;
    BlockBackend *blk;
    Device d;
} MoveFixture;

/* dev -> n0 -> n1, and a backend on n0 that may follow */
static void move_fixture_init(MoveFixture *f, uint64_t seed)
{
    f->io = ctx_iothread_new(0, seed);
    f->main_ctx = qemu_get_aio_context();
    f->n0 = open_probe("mv-n0");
    f->n1 = open_probe("mv-n1");
    test_common_attach_ref(f->n0, f->n1, "file");
    f->blk = new_blk_in(f->main_ctx, f->n0, true);
    f->d = (Device){ .name = "mv-dev", .ctx = f->main_ctx, .allow = true };
    dev_attach(&f->d, f->n0, &dev_class);
}

static void move_fixture_free(MoveFixture *f)
{
    dev_detach(&f->d);
    blk_unref(f->blk);
    unref_nodes(f->n0, f->n1);
    ctx_iothreads_free();
}

/* The device's edge asks its node's component to follow it into @io */
static Transaction *move_fixture_prepare(MoveFixture *f)
{
    GHashTable *visited = g_hash_table_new(NULL, NULL);
    Transaction *tran = tran_new();
    Error *err = NULL;

    check_ok(bdrv_child_change_aio_context(f->d.child, f->io, visited, tran,
                                           &err),
             &err, "bdrv_child_change_aio_context");
    g_hash_table_destroy(visited);

    /* Prepared: drained, but nothing has switched yet */
    expect_ctxs(f->main_ctx, f->n0, f->n1);
    expect_blk_ctx(f->blk, f->main_ctx);
    expect_moves(0, NULL, NULL, f->n0, f->n1);
    expect_true(f->n0->quiesce_counter > 0);
    expect_true(f->n1->quiesce_counter > 0);
    return tran;
}

static void test_move_switches_at_commit_and_undrains(void **state)
{
    MoveFixture f;
    Transaction *tran;

    move_fixture_init(&f, 51);
    tran = move_fixture_prepare(&f);
    tran_commit(tran);

    expect_ctxs(f.io, f.n0, f.n1);
    expect_blk_ctx(f.blk, f.io);
    expect_moves(1, f.main_ctx, f.io, f.n0, f.n1);
    expect_drained_at_detach(f.n0);
    expect_drained_at_detach(f.n1);
    expect_quiesces(f.n0, 0, f.n1, 0);
    expect_blk_quiesced(f.blk, false);
    /* The device asked for the move: it switches itself */
    f.d.ctx = f.io;
    expect_all_undrained();
    expect_graph_ok();

    move_ok(f.n0, f.main_ctx);
    move_fixture_free(&f);
    end_test();
}

/* A later step of the same transaction fails: no switch at all */
static void test_move_vetoed_by_later_step_changes_nothing(void **state)
{
    MoveFixture f;
    Transaction *tran;

    move_fixture_init(&f, 52);
    tran = move_fixture_prepare(&f);
    tran_abort(tran);

    expect_ctxs(f.main_ctx, f.n0, f.n1);
    expect_blk_ctx(f.blk, f.main_ctx);
    expect_moves(0, NULL, NULL, f.n0, f.n1);
    expect_quiesces(f.n0, 0, f.n1, 0);
    expect_blk_quiesced(f.blk, false);
    expect_int(f.d.committed, 0);
    expect_all_undrained();
    expect_graph_ok();

    move_fixture_free(&f);
    end_test();
}

/*
 * An attach aligns the contexts first and then fails its permission
 * refresh: the component that was to follow its new parent stays, never
 * switched, undrained.
 */
static void test_attach_refused_after_move_leaves_contexts(void **state)
{
    AioContext *io = ctx_iothread_new(0, 53);
    AioContext *main_ctx = qemu_get_aio_context();
    BlockDriverState *p = open_probe("at-p");
    BlockDriverState *c = open_probe("at-c");
    BlockDriverState *t = open_test("at-t");
    BlockBackend *blk;
    Error *err = NULL;

    bdrv_ref(t);
    test_common_attach(c, t, "file", BDRV_CHILD_IMAGE | BDRV_CHILD_PRIMARY);
    blk = new_blk_in(main_ctx, c, true);
    move_ok(p, io);
    test_driver_fail_perm(t, BLK_PERM_WRITE);

    bdrv_ref(c);
    expect_true(bdrv_attach_child(p, c, "file", &child_of_bds,
                                  BDRV_CHILD_IMAGE | BDRV_CHILD_PRIMARY,
                                  &err) == NULL);
    expect_err(&err, "Test driver refuses permission 'write'");
    expect_ctxs(main_ctx, c, t);
    expect_ctx(p, io);
    expect_blk_ctx(blk, main_ctx);
    expect_moves(0, NULL, NULL, c);
    expect_quiesces(c, 0, t, 0, p, 0);
    expect_all_undrained();
    expect_graph_ok();

    /* Accepted, the same attach moves c and t into p's context */
    test_driver_fail_perm(t, 0);
    test_common_attach(p, c, "file", BDRV_CHILD_IMAGE | BDRV_CHILD_PRIMARY);
    expect_ctxs(io, p, c, t);
    expect_blk_ctx(blk, io);
    expect_moves(1, main_ctx, io, c);
    expect_all_undrained();
    expect_graph_ok();

    blk_unref(blk);
    move_ok(p, main_ctx);
    unref_nodes(p, t);
    ctx_iothreads_free();
    end_test();
}

/* ---- replacing across contexts ------------------------------------------- */

/*
 * a lives in the IOThread under a backend (which may not move) and a node
 * parent q; b and its child leaf live in the main context.  Replacing a by
 * b moves b's component into the IOThread, once, in the same transaction.
 */
static void test_replace_node_moves_new_node_into_context(void **state)
{
    AioContext *io = ctx_iothread_new(0, 54);
    AioContext *main_ctx = qemu_get_aio_context();
    BlockDriverState *a = open_probe("rn-a");
    BlockDriverState *q = open_probe("rn-q");
    BlockDriverState *b = open_probe("rn-b");
    BlockDriverState *leaf = open_probe("rn-leaf");
    BlockBackend *blk = new_blk_in(io, a, false);
    Error *err = NULL;

    test_common_attach_ref(q, a, "file");
    test_common_attach_ref(b, leaf, "file");
    expect_ctxs(io, a, q);

    expect_int(bdrv_replace_node(a, b, &err), 0);
    check_ok(true, &err, "bdrv_replace_node");
    expect_true(blk_bs(blk) == b);
    expect_true(q->file && q->file->bs == b);
    expect_ctxs(io, b, leaf, q);
    expect_blk_ctx(blk, io);
    expect_moves(1, main_ctx, io, b, leaf);
    expect_all_undrained();
    expect_graph_ok();

    blk_unref(blk);
    unref_nodes(q);
    move_ok(b, main_ctx);
    unref_nodes(a, b, leaf);
    ctx_iothreads_free();
    end_test();
}

/* Neither side may move: refused with an Error, nothing changes */
static void test_replace_node_vetoed_move_changes_nothing(void **state)
{
    AioContext *io = ctx_iothread_new(0, 55);
    AioContext *main_ctx = qemu_get_aio_context();
    BlockDriverState *a = open_probe("rv-a");
    BlockDriverState *b = open_probe("rv-b");
    BlockBackend *blk_a = new_blk_in(io, a, false);
    BlockBackend *blk_b = new_blk_in(main_ctx, b, false);
    Error *err = NULL;

    expect_true(bdrv_replace_node(a, b, &err) < 0);
    expect_err(&err, "Cannot change iothread of active block backend");
    expect_true(blk_bs(blk_a) == a);
    expect_true(blk_bs(blk_b) == b);
    expect_ctx(a, io);
    expect_ctx(b, main_ctx);
    expect_blk_ctx(blk_a, io);
    expect_blk_ctx(blk_b, main_ctx);
    expect_moves(0, NULL, NULL, b);
    expect_all_undrained();
    expect_graph_ok();

    blk_unref(blk_a);
    blk_unref(blk_b);
    unref_nodes(a, b);
    ctx_iothreads_free();
    end_test();
}

static void test_replace_child_bs_moves_new_node_into_context(void **state)
{
    AioContext *io = ctx_iothread_new(0, 56);
    AioContext *main_ctx = qemu_get_aio_context();
    BlockDriverState *p = open_probe("rc-p");
    BlockDriverState *a = open_probe("rc-a");
    BlockDriverState *b = open_probe("rc-b");
    BlockBackend *blk = new_blk_in(io, p, false);
    Error *err = NULL;

    test_common_attach_ref(p, a, "file");
    move_ok(p, io);
    expect_ctxs(io, p, a);

    expect_int(bdrv_replace_child_bs(p->file, b, &err), 0);
    check_ok(true, &err, "bdrv_replace_child_bs");
    expect_true(p->file->bs == b);
    expect_ctxs(io, p, b);
    expect_moves(1, main_ctx, io, b);
    expect_all_undrained();
    expect_graph_ok();

    blk_unref(blk);
    move_ok(p, main_ctx);
    move_ok(a, main_ctx);
    unref_nodes(p, a, b);
    ctx_iothreads_free();
    end_test();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TC(test_move_switches_at_commit_and_undrains),
        TC(test_move_vetoed_by_later_step_changes_nothing),
        TC(test_attach_refused_after_move_leaves_contexts),
        TC(test_replace_node_moves_new_node_into_context),
        TC(test_replace_node_vetoed_move_changes_nothing),
        TC(test_replace_child_bs_moves_new_node_into_context),
    };

    return test_common_run_group(tests, group_setup, NULL);
}
