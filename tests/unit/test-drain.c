/*
 * Unit tests of drain (block/core/drain.c): quiesce counters, driver hooks,
 * waiting for requests in flight, nesting, drains from coroutines, nodes
 * created or deleted under drain_all, and BlockBackend drains.  Test names
 * carry the number of the REFERENCE.md behaviour ("bNN") they cover.
 *
 * Nodes are "test" driver nodes (drain hook counters, request parking) and
 * edges are made with bdrv_attach_child.  Graph changes made from drain
 * callbacks and hooks (behaviours 9, 10 and 12) are in test-drain-cb.c;
 * the helpers both share are in drain-common.h.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "drain-common.h"

/* ---- requests in flight ------------------------------------------------- */

typedef struct TestReq {
    uint8_t buf[512];
    QEMUIOVector qiov;
    bool done;
    int ret;
} TestReq;

static void test_req_cb(void *opaque, int ret)
{
    TestReq *r = opaque;

    r->ret = ret;
    r->done = true;
}

static void test_req_start(BlockBackend *blk, TestReq *r)
{
    memset(r, 0, sizeof(*r));
    r->ret = -EINPROGRESS;
    qemu_iovec_init_buf(&r->qiov, r->buf, sizeof(r->buf));
    if (!blk_aio_preadv(blk, 0, &r->qiov, 0, test_req_cb, r)) {
        fail_msg("blk_aio_preadv on '%s' returned NULL",
                 bdrv_get_node_name(blk_bs(blk)));
    }
}

static void wait_parked_at(BlockDriverState *bs, int n, const char *file,
                           int line)
{
    for (int i = 0; i < POLL_LIMIT && test_driver_parked_count(bs) < n; i++) {
        aio_poll(main_ctx(), false);
    }
    if (test_driver_parked_count(bs) != n) {
        print_error("node '%s' has %d parked requests, expected %d\n",
                    bdrv_get_node_name(bs), test_driver_parked_count(bs), n);
        _fail(file, line);
    }
}
#define wait_parked(bs, n) wait_parked_at((bs), (n), __FILE__, __LINE__)

/* Parks what reaches @parked and sends one read through @blk to wait there */
static void start_parked_req_at(BlockDriverState *parked, BlockBackend *blk,
                                TestReq *r, const char *file, int line)
{
    test_driver_set_parking(parked, true);
    test_req_start(blk, r);
    wait_parked_at(parked, 1, file, line);
}
#define start_parked_req(parked, blk, r)                                       \
    start_parked_req_at((parked), (blk), (r), __FILE__, __LINE__)

/* Releases one parked request after @hops further BH round trips */
typedef struct Release {
    BlockDriverState *bs;
    int hops;
    int released;
    bool ran;
} Release;

static void release_bh(void *opaque)
{
    Release *r = opaque;

    if (r->hops > 0) {
        r->hops--;
        aio_bh_schedule_oneshot(main_ctx(), release_bh, r);
        return;
    }
    r->released = test_driver_release(r->bs, 1);
    r->ran = true;
}

static void release_timer_cb(void *opaque)
{
    release_bh(opaque);
}

static void expect_req_done_at(TestReq *r, const char *what, const char *file,
                               int line)
{
    if (!r->done || r->ret != 0) {
        expect_failed(file, line, "%s: request %s (ret %d)", what,
                      r->done ? "failed" : "still in flight", r->ret);
    }
}
#define expect_req_done(r, what)                                               \
    expect_req_done_at((r), (what), __FILE__, __LINE__)

/* ---- 1: the hook runs once, end returns every counter to 0 ------------ */

static void test_drain_b01_hook_called_once(void **state)
{
    BlockDriverState *bs = open_test("b01-node");

    expect_hooks(bs, 0, 0);
    bdrv_drained_begin(bs);
    expect_quiesce(bs, 1);
    expect_hooks(bs, 1, 0);
    bdrv_drained_end(bs);
    expect_quiesce(bs, 0);
    expect_hooks(bs, 1, 1);

    /* A second outermost section runs the hooks again, once each */
    bdrv_drained_begin(bs);
    expect_hooks(bs, 2, 1);
    bdrv_drained_end(bs);
    expect_hooks(bs, 2, 2);
    expect_all_undrained();
    bdrv_unref(bs);
    end_test();
}

static void test_drain_b01_end_resets_every_counter(void **state)
{
    BlockDriverState *top = open_test("b01-top");
    BlockDriverState *leaf = open_test("b01-leaf");
    BlockBackend *blk = new_blk(top);

    attach(top, leaf, "file");
    bdrv_drained_begin(leaf);
    expect_quiesces(leaf, 1, top, 1);
    expect_blk_quiesced(blk, true);
    expect_graph_ok();
    bdrv_drained_end(leaf);
    expect_all_undrained();
    expect_blk_quiesced(blk, false);
    expect_hooks_all(1, 1, leaf, top);

    blk_unref(blk);
    unref_nodes(top, leaf);
    end_test();
}

/* ---- 2: parents are quiesced, children are not; drain_all: every node - */

static void test_drain_b02_parents_not_children(void **state)
{
    BlockDriverState *top = open_test("b02-top");
    BlockDriverState *side = open_test("b02-side");
    BlockDriverState *mid = open_test("b02-mid");
    BlockDriverState *leaf = open_test("b02-leaf");
    BlockBackend *blk = new_blk(top);
    BdrvChild *mid_leaf;

    attach(top, mid, "file");
    attach(side, mid, "file");
    mid_leaf = attach(mid, leaf, "file");

    bdrv_drained_begin(mid);
    expect_quiesces(mid, 1, top, 1, side, 1, leaf, 0);
    /* (what the harness reads to refuse a request that would wait) */
    expect_int(bdrv_debug_quiesce_count(top), 1);
    expect_int(bdrv_debug_quiesce_count(leaf), 0);
    expect_blk_quiesced(blk, true);
    expect_false(mid_leaf->quiesced_parent);
    expect_hooks_all(1, 0, mid, top, side);
    expect_hooks(leaf, 0, 0);
    expect_graph_ok();

    bdrv_drained_end(mid);
    expect_all_undrained();
    expect_int(bdrv_debug_quiesce_count(top), 0);
    expect_hooks_all(1, 1, mid, top, side);
    expect_hooks(leaf, 0, 0);

    blk_unref(blk);
    unref_nodes(top, side, mid, leaf);
    end_test();
}

static void test_drain_b02_drain_all_quiesces_every_node(void **state)
{
    BlockDriverState *top = open_test("b02a-top");
    BlockDriverState *leaf = open_test("b02a-leaf");
    BlockDriverState *lone = open_test("b02a-lone");
    BlockDriverState *null =
        open_node_flags("null-co", "b02a-null", BDRV_O_RDWR);
    BlockDriverState *unnamed = bdrv_new(); /* no driver, no name */
    BlockBackend *blk = new_blk(top);
    BlockDriverState *bs = NULL;

    attach(top, leaf, "file");
    bdrv_drain_all_begin();
    expect_int(bdrv_debug_drain_all_count(), 1);
    while ((bs = bdrv_next_all_states(bs))) {
        if (bs->quiesce_counter < 1) {
            EXPECT_FAIL("node '%s' is not quiesced under drain_all",
                        bdrv_get_node_name(bs));
        }
    }
    expect_quiesces(leaf, 1, lone, 1, null, 1, unnamed, 1);
    expect_blk_quiesced(blk, true);
    expect_hooks_all(1, 0, top, leaf, lone);
    expect_graph_ok();

    bdrv_drain_all_end();
    expect_all_undrained();
    expect_blk_quiesced(blk, false);
    expect_hooks_all(1, 1, top, leaf, lone);

    blk_unref(blk);
    unref_nodes(top, leaf, lone, null, unnamed);
    end_test();
}

/* ---- 3: under drain_all a parent of a drained child counts 2 ---------- */

static void test_drain_b03_drain_all_parent_counts_two(void **state)
{
    BlockDriverState *top = open_test("b03-top");
    BlockDriverState *mid = open_test("b03-mid");
    BlockDriverState *base = open_test("b03-base");
    BlockDriverState *fork = open_test("b03-fork");
    BlockDriverState *x = open_test("b03-x");
    BlockDriverState *y = open_test("b03-y");

    attach(top, mid, "file");
    attach(mid, base, "file");
    attach(fork, x, "file");
    attach(fork, y, "y");

    bdrv_drain_all_begin();
    expect_quiesces(base, 1, mid, 2, top, 2, x, 1, y, 1);
    /* One count per drained child edge, on top of its own */
    expect_quiesce(fork, 3);
    expect_hooks_all(1, 0, top, mid, fork);
    expect_graph_ok();
    bdrv_drain_all_end();
    expect_all_undrained();
    expect_hooks_all(1, 1, top, fork);

    unref_nodes(top, mid, base, fork, x, y);
    end_test();
}

/* ---- 4: drained_begin returns after the requests in flight completed -- */

static void test_drain_b04_waits_for_request_bh(void **state)
{
    BlockDriverState *bs = open_test("b04-node");
    BlockBackend *blk = new_blk(bs);
    Release rel = {.bs = bs, .hops = 2};
    TestReq req;

    start_parked_req(bs, blk, &req);
    expect_false(req.done);

    /* Released only by the drain's own polling */
    aio_bh_schedule_oneshot(main_ctx(), release_bh, &rel);
    bdrv_drained_begin(bs);
    expect_true(rel.ran);
    expect_int(rel.released, 1);
    expect_req_done(&req, "after bdrv_drained_begin of 'b04-node'");
    expect_int(bs->in_flight, 0);
    expect_int(test_driver_parked_count(bs), 0);
    expect_int(test_driver_counters(bs)->reads, 1);
    bdrv_drained_end(bs);

    test_driver_set_parking(bs, false);
    blk_unref(blk);
    bdrv_unref(bs);
    end_test();
}

/* bdrv_drain_all (begin and end at once) waits for requests in flight */
static void test_drain_all_waits_for_request_bh(void **state)
{
    BlockDriverState *bs = open_test("da-node");
    BlockBackend *blk = new_blk(bs);
    Release rel = {.bs = bs, .hops = 2};
    TestReq req;

    start_parked_req(bs, blk, &req);
    aio_bh_schedule_oneshot(main_ctx(), release_bh, &rel);
    bdrv_drain_all();
    expect_int(rel.released, 1);
    expect_req_done(&req, "after bdrv_drain_all");
    expect_int(bs->in_flight, 0);
    expect_int(bs->quiesce_counter, 0);
    expect_int(test_driver_counters(bs)->drain_begin, 1);
    expect_int(test_driver_counters(bs)->drain_end, 1);

    test_driver_set_parking(bs, false);
    blk_unref(blk);
    bdrv_unref(bs);
    end_test();
}

/* The request passes through the drained node to a parked child */
static void test_drain_b04_waits_for_child_request_timer(void **state)
{
    BlockDriverState *top = open_test("b04t-top");
    BlockDriverState *file = open_test("b04t-file");
    BlockBackend *blk = new_blk(top);
    Release rel = {.bs = file};
    QEMUTimer *timer =
        timer_new_ns(QEMU_CLOCK_REALTIME, release_timer_cb, &rel);
    TestReq req;

    attach(top, file, "file");
    start_parked_req(file, blk, &req);

    timer_mod_ns(timer, qemu_clock_get_ns(QEMU_CLOCK_REALTIME));
    bdrv_drained_begin(top);
    expect_true(rel.ran);
    expect_req_done(&req, "after bdrv_drained_begin of 'b04t-top'");
    expect_int(top->in_flight, 0);
    expect_int(file->in_flight, 0);
    bdrv_drained_end(top);

    timer_free(timer);
    test_driver_set_parking(file, false);
    blk_unref(blk);
    unref_nodes(top, file);
    end_test();
}

/* Draining the child waits for what its parents sent it */
static void test_drain_b04_child_drain_waits_for_parent_request(void **state)
{
    BlockDriverState *top = open_test("b04c-top");
    BlockDriverState *file = open_test("b04c-file");
    BlockBackend *blk = new_blk(top);
    Release rel = {.bs = file, .hops = 1};
    TestReq req;

    attach(top, file, "file");
    start_parked_req(file, blk, &req);

    aio_bh_schedule_oneshot(main_ctx(), release_bh, &rel);
    bdrv_drained_begin(file);
    expect_req_done(&req, "after bdrv_drained_begin of 'b04c-file'");
    expect_int(top->in_flight, 0);
    expect_int(file->in_flight, 0);
    bdrv_drained_end(file);

    test_driver_set_parking(file, false);
    blk_unref(blk);
    unref_nodes(top, file);
    end_test();
}

/* ---- 5: nested drains stack, the hooks fire once ----------------------- */

/* Chain p -> c; single drains drain c.  p counts one per drain_all level
 * plus one for its drained child edge. */
static void check_nested(bool outer_all, bool inner_all)
{
    BlockDriverState *p = open_test("b05-parent");
    BlockDriverState *c = open_test("b05-child");
    int alls = outer_all + inner_all;

    attach(p, c, "file");
    drain_begin_kind(outer_all, c);
    expect_quiesce(c, 1);
    expect_quiesce(p, outer_all + 1);
    drain_begin_kind(inner_all, c);
    expect_quiesce(c, 2);
    expect_quiesce(p, alls + 1);
    expect_int(bdrv_debug_drain_all_count(), alls);
    expect_hooks_all(1, 0, c, p);
    expect_graph_ok();

    drain_end_kind(inner_all, c);
    expect_quiesce(c, 1);
    expect_quiesce(p, outer_all + 1);
    expect_hooks_all(1, 0, c, p);
    expect_graph_ok();
    drain_end_kind(outer_all, c);
    expect_all_undrained();
    expect_hooks_all(1, 1, c, p);

    unref_nodes(p, c);
    end_test();
}

static void test_drain_b05_single_in_single(void **state)
{
    check_nested(false, false);
}

static void test_drain_b05_single_in_all(void **state)
{
    check_nested(true, false);
}

static void test_drain_b05_all_in_single(void **state)
{
    check_nested(false, true);
}

static void test_drain_b05_all_in_all(void **state)
{
    check_nested(true, true);
}

/* ---- 6: a coroutine sees the same counts ------------------------------ */

#define SCRIPT_STEPS 4

typedef struct DrainSnap {
    int qp, qc;
    int hp_begin, hp_end, hc_begin, hc_end;
    bool blk_quiesced;
} DrainSnap;

typedef struct DrainScript {
    BlockBackend *blk;
    BlockDriverState *p, *c;
    DrainSnap snap[SCRIPT_STEPS];
    bool in_coroutine;
    bool done;
} DrainScript;

static void script_snap(DrainScript *s, int i)
{
    const TestDriverCounters *pc = test_driver_counters(s->p);
    const TestDriverCounters *cc = test_driver_counters(s->c);

    s->snap[i] = (DrainSnap){
        .qp = s->p->quiesce_counter,
        .qc = s->c->quiesce_counter,
        .hp_begin = pc->drain_begin,
        .hp_end = pc->drain_end,
        .hc_begin = cc->drain_begin,
        .hc_end = cc->drain_end,
        .blk_quiesced = blk_root(s->blk)->quiesced_parent,
    };
}

static void script_run(DrainScript *s)
{
    s->in_coroutine = qemu_in_coroutine();
    bdrv_drained_begin(s->c);
    script_snap(s, 0);
    bdrv_drain_all_begin();
    script_snap(s, 1);
    bdrv_drain_all_end();
    script_snap(s, 2);
    bdrv_drained_end(s->c);
    script_snap(s, 3);
}

static void coroutine_fn script_co(void *opaque)
{
    DrainScript *s = opaque;

    script_run(s);
    s->done = true;
}

static void test_drain_b06_coroutine_same_counts(void **state)
{
    BlockDriverState *p = open_test("b06-parent");
    BlockDriverState *c = open_test("b06-child");
    BlockBackend *blk = new_blk(p);
    DrainScript outside = {.blk = blk, .p = p, .c = c};
    DrainScript inside = {.blk = blk, .p = p, .c = c};

    attach(p, c, "file");
    script_run(&outside);
    expect_false(outside.in_coroutine);
    expect_all_undrained();

    test_driver_reset_counters(p);
    test_driver_reset_counters(c);
    qemu_coroutine_enter(qemu_coroutine_create(script_co, &inside));
    poll_until(&inside.done, "the drain coroutine's end");
    expect_true(inside.in_coroutine);
    expect_all_undrained();

    for (int i = 0; i < SCRIPT_STEPS; i++) {
        DrainSnap *o = &outside.snap[i], *n = &inside.snap[i];
        if (o->qp != n->qp || o->qc != n->qc || o->hp_begin != n->hp_begin ||
            o->hp_end != n->hp_end || o->hc_begin != n->hc_begin ||
            o->hc_end != n->hc_end || o->blk_quiesced != n->blk_quiesced) {
            EXPECT_FAIL("step %d: outside a coroutine parent q=%d child q=%d "
                        "hooks parent %d/%d child %d/%d blk %d; inside q=%d "
                        "q=%d hooks %d/%d %d/%d blk %d",
                        i, o->qp, o->qc, o->hp_begin, o->hp_end, o->hc_begin,
                        o->hc_end, o->blk_quiesced, n->qp, n->qc, n->hp_begin,
                        n->hp_end, n->hc_begin, n->hc_end, n->blk_quiesced);
        }
    }
    /* And the expected values, so that both being wrong the same way fails */
    expect_int(outside.snap[0].qc, 1);
    expect_int(outside.snap[0].qp, 1);
    expect_int(outside.snap[1].qc, 2);
    expect_int(outside.snap[1].qp, 2);
    expect_int(outside.snap[2].qc, 1);
    expect_int(outside.snap[3].qp, 0);
    expect_int(outside.snap[3].hc_end, 1);
    expect_true(outside.snap[1].blk_quiesced);
    expect_false(outside.snap[3].blk_quiesced);

    blk_unref(blk);
    unref_nodes(p, c);
    end_test();
}

typedef struct CoDrain {
    BlockDriverState *bs;
    TestReq *req;
    bool req_done_after_drain;
    bool done;
} CoDrain;

static void coroutine_fn co_drain_entry(void *opaque)
{
    CoDrain *d = opaque;

    bdrv_co_drain(d->bs);
    d->req_done_after_drain = d->req->done;
    d->done = true;
}

static void test_drain_b06_coroutine_waits_for_request(void **state)
{
    BlockDriverState *bs = open_test("b06w-node");
    BlockBackend *blk = new_blk(bs);
    Release rel = {.bs = bs, .hops = 3};
    TestReq req;
    CoDrain d = {.bs = bs, .req = &req};

    start_parked_req(bs, blk, &req);
    aio_bh_schedule_oneshot(main_ctx(), release_bh, &rel);
    qemu_coroutine_enter(qemu_coroutine_create(co_drain_entry, &d));
    poll_until(&d.done, "bdrv_co_drain's return");
    expect_true(d.req_done_after_drain);
    expect_req_done(&req, "after bdrv_co_drain of 'b06w-node'");
    expect_quiesce(bs, 0);
    expect_hooks(bs, 1, 1);

    test_driver_set_parking(bs, false);
    blk_unref(blk);
    bdrv_unref(bs);
    end_test();
}

/* ---- 7: nodes created or deleted during drain_all ---------------------- */

static void test_drain_b07_node_created_during_drain_all(void **state)
{
    BlockDriverState *p, *c;

    bdrv_drain_all_begin();
    p = open_test("b07-new-parent");
    c = open_test("b07-new-child");
    expect_quiesces(p, 1, c, 1);
    expect_hooks_all(1, 0, p, c);
    attach(p, c, "file");
    expect_quiesce(p, 2);
    expect_hooks(p, 1, 0);
    expect_graph_ok();
    bdrv_drain_all_end();
    expect_all_undrained();
    expect_hooks_all(1, 1, p, c);

    unref_nodes(p, c);
    end_test();
}

static void test_drain_b07_node_created_during_nested_drain_all(void **state)
{
    BlockDriverState *bs;

    bdrv_drain_all_begin();
    bdrv_drain_all_begin();
    bs = open_test("b07n-new");
    expect_quiesce(bs, 2);
    expect_hooks(bs, 1, 0);
    bdrv_drain_all_end();
    expect_quiesce(bs, 1);
    expect_hooks(bs, 1, 0);
    bdrv_drain_all_end();
    expect_all_undrained();
    expect_hooks(bs, 1, 1);
    bdrv_unref(bs);
    end_test();
}

static void test_drain_b07_node_deleted_during_drain_all(void **state)
{
    BlockDriverState *gone = open_test("b07d-gone");
    BlockDriverState *p = open_test("b07d-parent");
    BlockDriverState *c = open_test("b07d-child");
    BdrvChild *edge;

    edge = attach(p, c, "file");
    bdrv_drain_all_begin();
    expect_quiesce(p, 2);
    bdrv_unref(gone);
    expect_node_count(2);
    bdrv_unref_child(p, edge); /* c survives: the test holds a reference */
    expect_quiesces(p, 1, c, 1);
    expect_int(parent_count(c), 0);
    expect_graph_ok();
    bdrv_drain_all_end();
    expect_all_undrained();
    expect_hooks_all(1, 1, p, c);

    unref_nodes(p, c);
    end_test();
}

/* ---- bdrv_drain, BlockBackend drains and queued requests --------------- */

static void test_drain_bdrv_drain_waits_and_ends(void **state)
{
    BlockDriverState *bs = open_test("drain-node");
    BlockBackend *blk = new_blk(bs);
    Release rel = {.bs = bs, .hops = 1};
    TestReq req;

    start_parked_req(bs, blk, &req);
    aio_bh_schedule_oneshot(main_ctx(), release_bh, &rel);
    bdrv_drain(bs);
    expect_req_done(&req, "after bdrv_drain of 'drain-node'");
    expect_hooks(bs, 1, 1);
    expect_all_undrained();
    expect_blk_quiesced(blk, false);

    test_driver_set_parking(bs, false);
    blk_unref(blk);
    bdrv_unref(bs);
    end_test();
}

static void test_drain_blk_drain_waits_for_requests(void **state)
{
    BlockDriverState *bs = open_test("blk-drain-node");
    BlockBackend *blk = new_blk(bs);
    Release rel1 = {.bs = bs, .hops = 1};
    Release rel2 = {.bs = bs, .hops = 4};
    TestReq req1, req2;

    test_driver_set_parking(bs, true);
    test_req_start(blk, &req1);
    test_req_start(blk, &req2);
    wait_parked(bs, 2);
    aio_bh_schedule_oneshot(main_ctx(), release_bh, &rel1);
    aio_bh_schedule_oneshot(main_ctx(), release_bh, &rel2);
    blk_drain(blk);
    expect_req_done(&req1, "first request after blk_drain");
    expect_req_done(&req2, "second request after blk_drain");
    expect_hooks(bs, 1, 1);
    expect_all_undrained();

    test_driver_set_parking(bs, false);
    blk_unref(blk);
    bdrv_unref(bs);
    end_test();
}

static void test_drain_blk_drain_all_waits_for_requests(void **state)
{
    BlockDriverState *bs1 = open_test("blk-all-1");
    BlockDriverState *bs2 = open_test("blk-all-2");
    BlockBackend *blk1 = new_blk(bs1);
    BlockBackend *blk2 = new_blk(bs2);
    Release rel1 = {.bs = bs1, .hops = 2};
    Release rel2 = {.bs = bs2, .hops = 1};
    TestReq req1, req2;

    test_driver_set_parking(bs1, true);
    test_driver_set_parking(bs2, true);
    test_req_start(blk1, &req1);
    test_req_start(blk2, &req2);
    wait_parked(bs1, 1);
    wait_parked(bs2, 1);
    aio_bh_schedule_oneshot(main_ctx(), release_bh, &rel1);
    aio_bh_schedule_oneshot(main_ctx(), release_bh, &rel2);
    blk_drain_all();
    expect_req_done(&req1, "request on 'blk-all-1' after blk_drain_all");
    expect_req_done(&req2, "request on 'blk-all-2' after blk_drain_all");
    expect_all_undrained();

    test_driver_set_parking(bs1, false);
    test_driver_set_parking(bs2, false);
    blk_unref(blk1);
    blk_unref(blk2);
    unref_nodes(bs1, bs2);
    end_test();
}

/* A request sent to a quiesced BlockBackend waits, then completes */
static void test_drain_blk_request_queued_while_drained(void **state)
{
    BlockDriverState *bs = open_test("blk-queue-node");
    BlockBackend *blk = new_blk(bs);
    TestReq req;

    bdrv_drained_begin(bs);
    expect_blk_quiesced(blk, true);
    test_req_start(blk, &req);
    for (int i = 0; i < 20; i++) {
        aio_poll(main_ctx(), false);
    }
    if (req.done || test_driver_counters(bs)->reads) {
        EXPECT_FAIL("a request on the quiesced backend of 'blk-queue-node' "
                    "%s while the drain was in effect (driver saw %d reads)",
                    req.done ? "completed" : "reached the driver",
                    test_driver_counters(bs)->reads);
    }
    bdrv_drained_end(bs);
    poll_until(&req.done, "the queued request's completion");
    expect_req_done(&req, "queued request after the drain");
    expect_int(test_driver_counters(bs)->reads, 1);
    expect_all_undrained();

    blk_unref(blk);
    bdrv_unref(bs);
    end_test();
}

/* With queuing disabled (as block jobs do) the request goes through */
static void test_drain_blk_queuing_disabled(void **state)
{
    BlockDriverState *bs = open_test("blk-noqueue-node");
    BlockBackend *blk = new_blk(bs);
    TestReq req;

    blk_set_disable_request_queuing(blk, true);
    bdrv_drained_begin(bs);
    test_req_start(blk, &req);
    poll_until(&req.done, "a request with queuing disabled");
    expect_req_done(&req, "request with queuing disabled, during a drain");
    expect_int(test_driver_counters(bs)->reads, 1);
    bdrv_drained_end(bs);
    expect_all_undrained();

    blk_unref(blk);
    bdrv_unref(bs);
    end_test();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_drain_b01_hook_called_once),
        T(test_drain_b01_end_resets_every_counter),
        T(test_drain_b02_parents_not_children),
        T(test_drain_b02_drain_all_quiesces_every_node),
        T(test_drain_b03_drain_all_parent_counts_two),
        T(test_drain_b04_waits_for_request_bh),
        T(test_drain_all_waits_for_request_bh),
        T(test_drain_b04_waits_for_child_request_timer),
        T(test_drain_b04_child_drain_waits_for_parent_request),
        T(test_drain_b05_single_in_single),
        T(test_drain_b05_single_in_all),
        T(test_drain_b05_all_in_single),
        T(test_drain_b05_all_in_all),
        T(test_drain_b06_coroutine_same_counts),
        T(test_drain_b06_coroutine_waits_for_request),
        T(test_drain_b07_node_created_during_drain_all),
        T(test_drain_b07_node_created_during_nested_drain_all),
        T(test_drain_b07_node_deleted_during_drain_all),
        T(test_drain_bdrv_drain_waits_and_ends),
        T(test_drain_blk_drain_waits_for_requests),
        T(test_drain_blk_drain_all_waits_for_requests),
        T(test_drain_blk_request_queued_while_drained),
        T(test_drain_blk_queuing_disabled),
    };

    return test_common_run_group(tests, drain_common_group_setup, NULL);
}
