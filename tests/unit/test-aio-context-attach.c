/*
 * Unit tests of the AioContext a node gets from what attaches to it
 * (block/core/aio-context.c, block/core/child.c and the BlockBackend root
 * class): REFERENCE.md behaviours 24-25, a backend's context on insertion
 * and the main context on removal, and a node opened over a node in an
 * IOThread.  Test names carry the behaviour ("bNN"); behaviours 21-23 are
 * in test-aio-context.c, the shared helpers in ctx-common.h.
 *
 * As there, every test runs with virtual and with real IOThreads and
 * creates and destroys its own; nodes are mostly "ctx-probe" nodes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "ctx-common.h"

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
    expect_true(parked_read_done(&pr));
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        TC(test_ctx_b24_insert_and_remove),
        TC(test_ctx_b24_insert_drains_moved_node),
        TC(test_ctx_b24_returns_with_last_parent),
        TC(test_ctx_b24_insert_refused_changes_nothing),
        TC(test_ctx_b25_open_on_iothread_node),
        TC(test_ctx_b25_append_over_iothread_node),
        TC(test_ctx_b25_open_over_two_iothreads_fails),
    };

    return ctx_run_group(tests);
}
