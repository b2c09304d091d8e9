/*
 * Unit tests of AioContext moves (block/core/aio-context.c, the edge
 * alignment of block/core/child.c and the BlockBackend root class):
 * REFERENCE.md behaviours 21-23.  Test names carry the behaviour ("bNN");
 * behaviours 24-25 are in test-aio-context-attach.c.
 *
 * Every test runs twice (ctx_run_group): in deterministic mode, where
 * IOThreads are virtual and polled from the main thread, and with real
 * IOThreads (pthreads), which the tsan build checks; each test creates and
 * destroys its own IOThreads, since switching modes with live IOThreads is
 * not supported.
 * Nodes are mostly "ctx-probe" nodes, a local driver (ctx-common.h) that
 * records every call of its detach/attach hooks and can park reads;
 * non-node parents are BlockBackends or "devices" of a local
 * BdrvChildClass that count how often they were asked to move.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "ctx-common.h"

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
    expect_true(parked_read_done(&r_top));
    expect_true(parked_read_done(&r_base));
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        TC(test_ctx_b21_moves_parents_and_children),
        TC(test_ctx_b21_moved_nodes_are_drained),
        TC(test_ctx_b22_diamond_visited_once),
        TC(test_ctx_b22_lattice_each_node_once),
        TC(test_ctx_b23_backend_vetoes_move),
        TC(test_ctx_b23_late_veto_undoes_everything),
        TC(test_ctx_b23_blk_set_aio_context_vetoed),
    };

    return ctx_run_group(tests);
}
