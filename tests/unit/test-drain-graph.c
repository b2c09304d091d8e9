/*
 * Unit tests of drains across graph changes and contexts: REFERENCE.md
 * behaviours 11 (bdrv_append on a drained base), 14 (replacing a child
 * mid-drain) and 8 (requests of a node in an IOThread that complete
 * through a bottom half in another context).  Test names carry the
 * behaviour ("bNN").
 *
 * Nodes are "test" driver nodes (drain hook and request counters) and two
 * local drivers: "undrain-io", a parent that reads from its child whenever
 * its drain ends (as a real format would resume its work), and
 * "bh-done", whose reads complete through a bottom half in another
 * context.  The behaviour 8 tests run with virtual IOThreads (deterministic
 * mode, several seeds) and with real ones (pthreads, checked by the tsan
 * build), each run creating and destroying its own.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "util/iothread.h"
#include "util/sched.h"
#include "drain-common.h"

static int64_t coroutine_fn local_co_getlength(BlockDriverState *bs)
{
    return 1024 * 1024;
}

static void expect_reads_at(BlockDriverState *bs, int n, const char *file,
                            int line)
{
    int reads = test_driver_counters(bs)->reads;

    if (reads != n) {
        expect_failed(file, line, "node '%s' got %d reads, expected %d",
                      bdrv_get_node_name(bs), reads, n);
    }
}
#define expect_reads(bs, n) expect_reads_at((bs), (n), __FILE__, __LINE__)

typedef struct ReadReq {
    uint8_t buf[512];
    QEMUIOVector qiov;
    AioResult r;
} ReadReq;

static void read_start(BlockBackend *blk, ReadReq *q)
{
    memset(q, 0, sizeof(*q));
    qemu_iovec_init_buf(&q->qiov, q->buf, sizeof(q->buf));
    if (!blk_aio_preadv(blk, 0, &q->qiov, 0, aio_done_cb, &q->r)) {
        fail_msg("blk_aio_preadv on '%s' returned NULL",
                 bdrv_get_node_name(blk_bs(blk)));
    }
}

/* A few main-loop iterations, for what should NOT happen meanwhile */
static void poll_some(void)
{
    for (int i = 0; i < 20; i++) {
        aio_poll(main_ctx(), false);
    }
}

/* ---- 11: bdrv_append on a drained base ---------------------------------- */

/* Checks shared by the append tests, made while the base is drained */
static void expect_appended_drained_at(BlockDriverState *overlay,
                                       BlockDriverState *base,
                                       BlockBackend *blk, const char *file,
                                       int line)
{
    if (blk_bs(blk) != overlay || !overlay->backing ||
        overlay->backing->bs != base) {
        expect_failed(file, line, "'%s' is not appended over '%s'",
                      bdrv_get_node_name(overlay), bdrv_get_node_name(base));
        return;
    }
    drain_common_expect_blk_quiesced_at(blk, true, file, line);
    if (!overlay->backing->quiesced_parent || overlay->quiesce_counter < 1) {
        expect_failed(file, line, "overlay '%s' is not drained by its "
                      "drained base (quiesce count %d)",
                      bdrv_get_node_name(overlay), overlay->quiesce_counter);
    }
    drain_common_expect_hooks_at(overlay, 1, 0, file, line);
    test_common_expect_graph_ok_at(file, line);
}
#define expect_appended_drained(overlay, base, blk)                            \
    expect_appended_drained_at((overlay), (base), (blk), __FILE__, __LINE__)

static void append_ok(BlockDriverState *overlay, BlockDriverState *base)
{
    Error *err = NULL;
    int ret = bdrv_append(overlay, base, &err);

    check_ok(ret == 0, &err, "bdrv_append");
}

static void test_drain_b11_append_to_drained_base(void **state)
{
    BlockDriverState *base = open_test("b11-base");
    BlockDriverState *overlay = open_test("b11-overlay");
    BlockBackend *blk = new_blk(base);
    ReadReq q;

    bdrv_drained_begin(base);
    expect_quiesces(base, 1, overlay, 0);
    append_ok(overlay, base);
    expect_appended_drained(overlay, base, blk);
    expect_quiesces(base, 1, overlay, 1);
    expect_hooks(base, 1, 0);
    expect_int(base->in_flight, 0);
    expect_int(overlay->in_flight, 0);

    /* The backend's requests wait for the end of the drain */
    read_start(blk, &q);
    poll_some();
    expect_false(q.r.done);
    expect_reads(overlay, 0);
    expect_reads(base, 0);

    bdrv_drained_end(base);
    expect_all_undrained();
    expect_hooks_all(1, 1, base, overlay);
    expect_blk_quiesced(blk, false);
    poll_until(&q.r.done, "the read queued during the drain");
    expect_int(q.r.ret, 0);
    /* Unallocated in the overlay: read through to the base */
    expect_reads(overlay, 1);
    expect_reads(base, 1);

    blk_unref(blk);
    unref_nodes(overlay, base);
    end_test();
}

/* Two drains of the base: both nodes stay drained until the last end */
static void test_drain_b11_nested_drain_ends_together(void **state)
{
    BlockDriverState *base = open_test("b11n-base");
    BlockDriverState *overlay = open_test("b11n-overlay");
    BlockBackend *blk = new_blk(base);

    bdrv_drained_begin(base);
    bdrv_drained_begin(base);
    append_ok(overlay, base);
    expect_appended_drained(overlay, base, blk);
    expect_quiesces(base, 2, overlay, 1);

    bdrv_drained_end(base);
    expect_quiesces(base, 1, overlay, 1);
    expect_blk_quiesced(blk, true);
    expect_hooks_all(1, 0, base, overlay);
    bdrv_drained_end(base);
    expect_all_undrained();
    expect_hooks_all(1, 1, base, overlay);

    blk_unref(blk);
    unref_nodes(overlay, base);
    end_test();
}

/* The base is drained because its own child is: still drained together */
static void test_drain_b11_base_drained_by_its_child(void **state)
{
    BlockDriverState *base = open_test("b11c-base");
    BlockDriverState *leaf = open_test("b11c-leaf");
    BlockDriverState *overlay = open_test("b11c-overlay");
    BlockBackend *blk = new_blk(base);

    attach(base, leaf, "file");
    bdrv_drained_begin(leaf);
    expect_quiesces(leaf, 1, base, 1, overlay, 0);
    append_ok(overlay, base);
    expect_appended_drained(overlay, base, blk);
    expect_quiesces(leaf, 1, base, 1, overlay, 1);

    bdrv_drained_end(leaf);
    expect_all_undrained();
    expect_hooks_all(1, 1, leaf, base, overlay);
    expect_blk_quiesced(blk, false);

    blk_unref(blk);
    unref_nodes(overlay, base, leaf);
    end_test();
}

/* Under drain_all, with an overlay created before or during it */
static void b11_drain_all(bool create_during)
{
    BlockDriverState *base = open_test("b11a-base");
    BlockDriverState *overlay = NULL;
    BlockBackend *blk = new_blk(base);

    if (!create_during) {
        overlay = open_test("b11a-overlay");
    }
    bdrv_drain_all_begin();
    if (create_during) {
        overlay = open_test("b11a-overlay");
    }
    expect_quiesces(base, 1, overlay, 1);
    append_ok(overlay, base);
    expect_appended_drained(overlay, base, blk);
    /* drain_all's own count plus the drained backing child's */
    expect_quiesces(base, 1, overlay, 2);

    bdrv_drain_all_end();
    expect_all_undrained();
    expect_hooks_all(1, 1, base, overlay);
    expect_blk_quiesced(blk, false);

    blk_unref(blk);
    unref_nodes(overlay, base);
    end_test();
}

static void test_drain_b11_append_under_drain_all(void **state)
{
    b11_drain_all(false);
}

static void test_drain_b11_append_node_created_in_drain_all(void **state)
{
    b11_drain_all(true);
}

/* A filter appended over a drained node is drained through "file" */
static void test_drain_b11_append_filter(void **state)
{
    BlockDriverState *base = open_test("b11f-base");
    BlockDriverState *filter = test_common_open_local(
        &test_common_filter_drv, "b11f-filter", BDRV_O_RDWR);
    BlockBackend *blk = new_blk(base);

    bdrv_drained_begin(base);
    append_ok(filter, base);
    expect_true(blk_bs(blk) == filter);
    expect_true(filter->file && filter->file->bs == base);
    expect_quiesces(base, 1, filter, 1);
    expect_blk_quiesced(blk, true);
    expect_graph_ok();

    bdrv_drained_end(base);
    expect_all_undrained();
    expect_blk_quiesced(blk, false);

    blk_unref(blk);
    unref_nodes(filter, base);
    end_test();
}

/* ---- 14: replacing a child mid-drain ------------------------------------ */

typedef struct UndrainIoState {
    int begins;
    int ends;
    int reads_sent;       /* reads issued when a drain ended */
    int reads_to_drained; /* of them, sent to a child that was drained */
    int reads_done;
    int last_ret;
    char last_child[32];  /* the node the last read went to */
} UndrainIoState;

static void coroutine_fn undrain_io_read(void *opaque)
{
    BlockDriverState *bs = opaque;
    UndrainIoState *s = bs->opaque;
    BdrvChild *c = bs->file ? bs->file : bs->backing;
    uint8_t buf[512];
    QEMUIOVector qiov;

    if (c) {
        snprintf(s->last_child, sizeof(s->last_child), "%s",
                 bdrv_get_node_name(c->bs));
        s->reads_to_drained += c->bs->quiesce_counter > 0;
        qemu_iovec_init_buf(&qiov, buf, sizeof(buf));
        s->last_ret = bdrv_co_preadv(c, 0, sizeof(buf), &qiov, 0);
    }
    s->reads_done++;
    bdrv_dec_in_flight(bs);
}

static void undrain_io_drain_begin(BlockDriverState *bs)
{
    UndrainIoState *s = bs->opaque;

    s->begins++;
}

/* Undrained: resume work at once, with a read from its child */
static void undrain_io_drain_end(BlockDriverState *bs)
{
    UndrainIoState *s = bs->opaque;
    Coroutine *co = qemu_coroutine_create(undrain_io_read, bs);

    s->ends++;
    s->reads_sent++;
    bdrv_inc_in_flight(bs);
    aio_co_enter(bdrv_get_aio_context(bs), co);
}

static BlockDriver undrain_io_drv = {
    .format_name = "undrain-io",
    .instance_size = sizeof(UndrainIoState),
    .supports_backing = true,
    .bdrv_co_getlength = local_co_getlength,
    .bdrv_child_perm = bdrv_default_perms,
    .bdrv_drain_begin = undrain_io_drain_begin,
    .bdrv_drain_end = undrain_io_drain_end,
};

static UndrainIoState *undrain_io(BlockDriverState *bs)
{
    assert_ptr_equal(bs->drv, &undrain_io_drv);
    return bs->opaque;
}

static void expect_parent_at(BlockDriverState *p, int begins, int ends,
                             int quiesce, const char *file, int line)
{
    UndrainIoState *s = undrain_io(p);

    if (s->begins != begins || s->ends != ends ||
        p->quiesce_counter != quiesce) {
        expect_failed(file, line, "parent '%s': drain hooks begin=%d end=%d, "
                      "quiesce count %d; expected %d/%d, %d",
                      bdrv_get_node_name(p), s->begins, s->ends,
                      p->quiesce_counter, begins, ends, quiesce);
    }
    if (s->reads_to_drained) {
        expect_failed(file, line, "parent '%s' sent %d of its %d reads to a "
                      "drained child", bdrv_get_node_name(p),
                      s->reads_to_drained, s->reads_sent);
    }
}
#define expect_parent(p, b, e, q)                                              \
    expect_parent_at((p), (b), (e), (q), __FILE__, __LINE__)

enum { B14_CHILD_BS, B14_NODE };

static void b14_replace(BdrvChild *c, BlockDriverState *old_bs,
                        BlockDriverState *new_bs, int how)
{
    Error *err = NULL;
    int ret = how == B14_CHILD_BS ? bdrv_replace_child_bs(c, new_bs, &err)
                                  : bdrv_replace_node(old_bs, new_bs, &err);

    check_ok(ret == 0, &err, how == B14_CHILD_BS ? "bdrv_replace_child_bs"
                                                 : "bdrv_replace_node");
    expect_true(c->bs == new_bs);
}

static BlockDriverState *open_undrain_io(const char *name)
{
    return test_common_open_local(&undrain_io_drv, name, BDRV_O_RDWR);
}

/* @child becomes @p's "file", an image child: it needs CONSISTENT_READ */
static BdrvChild *attach_image(BlockDriverState *p, BlockDriverState *child)
{
    bdrv_ref(child);
    return test_common_attach(p, child, "file",
                              BDRV_CHILD_IMAGE | BDRV_CHILD_PRIMARY);
}

/*
 * parent ("undrain-io") --file--> old, replaced by new, with each of old
 * and new drained or not around the replacement.
 */
static void b14_case(bool old_drained, bool new_drained, int how)
{
    BlockDriverState *p = open_undrain_io("b14-p");
    BlockDriverState *old_bs = open_test("b14-old");
    BlockDriverState *new_bs = open_test("b14-new");
    BdrvChild *c = attach_image(p, old_bs);
    UndrainIoState *s = undrain_io(p);

    if (old_drained) {
        bdrv_drained_begin(old_bs);
    }
    if (new_drained) {
        bdrv_drained_begin(new_bs);
    }
    expect_parent(p, old_drained, 0, old_drained);

    b14_replace(c, old_bs, new_bs, how);
    expect_graph_ok();
    if (old_drained && new_drained) {
        /* Drained all along: the parent never saw its drain end */
        expect_parent(p, 1, 0, 1);
        expect_true(c->quiesced_parent);
    } else if (new_drained) {
        expect_parent(p, s->ends + 1, s->ends, 1);
    } else {
        expect_parent(p, s->begins, s->begins, 0);
    }
    expect_reads(old_bs, 0);

    if (old_drained) {
        bdrv_drained_end(old_bs);
        /* No longer its child: the parent's drain is new's business */
        expect_int(p->quiesce_counter, new_drained);
    }
    if (new_drained) {
        bdrv_drained_end(new_bs);
    }
    expect_all_undrained();
    expect_parent(p, s->begins, s->begins, 0);
    expect_int(s->reads_done, s->reads_sent);
    expect_int(s->last_ret, 0);
    if (s->reads_sent) {
        expect_true(!strcmp(s->last_child, "b14-new"));
    }
    expect_reads(old_bs, 0);
    expect_reads(new_bs, s->reads_sent);

    unref_nodes(p, old_bs, new_bs);
    end_test();
}

static void test_drain_b14_replace_child_both_drained(void **state)
{
    b14_case(true, true, B14_CHILD_BS);
}

static void test_drain_b14_replace_node_both_drained(void **state)
{
    b14_case(true, true, B14_NODE);
}

static void test_drain_b14_replace_child_old_drained(void **state)
{
    b14_case(true, false, B14_CHILD_BS);
}

static void test_drain_b14_replace_child_new_drained(void **state)
{
    b14_case(false, true, B14_CHILD_BS);
}

static void test_drain_b14_replace_node_old_drained(void **state)
{
    b14_case(true, false, B14_NODE);
}

static void test_drain_b14_replace_node_new_drained(void **state)
{
    b14_case(false, true, B14_NODE);
}

static void test_drain_b14_replace_neither_drained(void **state)
{
    b14_case(false, false, B14_CHILD_BS);
}

/* The same through bdrv_set_backing_hd: old and new backing both drained */
static void test_drain_b14_set_backing_hd_both_drained(void **state)
{
    BlockDriverState *p = open_undrain_io("b14s-p");
    BlockDriverState *old_bs = open_test("b14s-old");
    BlockDriverState *new_bs = open_test("b14s-new");
    UndrainIoState *s = undrain_io(p);
    Error *err = NULL;

    check_ok(bdrv_set_backing_hd(p, old_bs, &err) == 0, &err,
             "bdrv_set_backing_hd(old)");
    /* That drained the parent for a moment: count from here */
    expect_int(s->reads_done, s->reads_sent);
    memset(s, 0, sizeof(*s));
    test_driver_reset_counters(old_bs);
    bdrv_drained_begin(old_bs);
    bdrv_drained_begin(new_bs);
    expect_parent(p, 1, 0, 1);
    check_ok(bdrv_set_backing_hd(p, new_bs, &err) == 0, &err,
             "bdrv_set_backing_hd(new)");
    expect_true(p->backing && p->backing->bs == new_bs);
    expect_parent(p, 1, 0, 1);
    expect_reads(old_bs, 0);

    bdrv_drained_end(old_bs);
    expect_parent(p, 1, 0, 1);
    bdrv_drained_end(new_bs);
    expect_all_undrained();
    expect_parent(p, 1, 1, 0);
    expect_int(s->reads_done, 1);
    expect_true(!strcmp(s->last_child, "b14s-new"));
    expect_reads(old_bs, 0);
    expect_reads(new_bs, 1);

    unref_nodes(p, old_bs, new_bs);
    end_test();
}

/*
 * A replacement refused by the new child's driver rolls back mid-drain:
 * the parent stays drained by the old child, whether or not the new one
 * was drained, and resumes on the old child.
 */
static void b14_refused(bool new_drained)
{
    BlockDriverState *p = open_undrain_io("b14r-p");
    BlockDriverState *old_bs = open_test("b14r-old");
    BlockDriverState *new_bs = open_test("b14r-new");
    BdrvChild *c = attach_image(p, old_bs);
    UndrainIoState *s = undrain_io(p);
    Error *err = NULL;

    test_driver_fail_perm(new_bs, BLK_PERM_CONSISTENT_READ);
    bdrv_drained_begin(old_bs);
    if (new_drained) {
        bdrv_drained_begin(new_bs);
    }
    expect_true(bdrv_replace_child_bs(c, new_bs, &err) < 0);
    check_error_has(&err, "Test driver refuses permission", "b14r-new",
                    NULL);
    expect_true(c->bs == old_bs);
    expect_parent(p, 1, 0, 1);
    expect_reads(new_bs, 0);

    if (new_drained) {
        bdrv_drained_end(new_bs);
        expect_parent(p, 1, 0, 1);
    }
    bdrv_drained_end(old_bs);
    expect_all_undrained();
    expect_parent(p, 1, 1, 0);
    expect_true(!strcmp(s->last_child, "b14r-old"));
    expect_reads(old_bs, 1);
    expect_reads(new_bs, 0);

    test_driver_fail_perm(new_bs, 0);
    unref_nodes(p, old_bs, new_bs);
    end_test();
}

static void test_drain_b14_refused_replace_both_drained(void **state)
{
    b14_refused(true);
}

static void test_drain_b14_refused_replace_old_drained(void **state)
{
    b14_refused(false);
}

/* A parent that is not a node: counts its drained_begin/_end calls */
typedef struct Watcher {
    int begins;
    int ends;
} Watcher;

static void watcher_drained_begin(BdrvChild *c)
{
    ((Watcher *)c->opaque)->begins++;
}

static void watcher_drained_end(BdrvChild *c)
{
    ((Watcher *)c->opaque)->ends++;
}

static const BdrvChildClass watcher_class = {
    .drained_begin = watcher_drained_begin,
    .drained_end = watcher_drained_end,
};

/*
 * A backend's request queued while both children are drained stays queued
 * across bdrv_replace_node, and reaches only the new child, once undrained.
 */
static void test_drain_b14_backend_request_waits(void **state)
{
    BlockDriverState *old_bs = open_test("b14b-old");
    BlockDriverState *new_bs = open_test("b14b-new");
    BlockBackend *blk = new_blk(old_bs);
    Watcher w = { 0 };
    BdrvChild *wc;
    Error *err = NULL;
    ReadReq q;

    bdrv_ref(old_bs);
    wc = bdrv_root_attach_child(old_bs, "watch", &watcher_class,
                                BDRV_CHILD_DATA, 0, BLK_PERM_ALL, &w, &err);
    check_ok(wc != NULL, &err, "attaching the watcher");
    bdrv_drained_begin(old_bs);
    bdrv_drained_begin(new_bs);
    read_start(blk, &q);
    poll_some();
    expect_false(q.r.done);

    b14_replace(blk_root(blk), old_bs, new_bs, B14_NODE);
    expect_graph_ok();
    expect_true(wc->bs == new_bs);
    /* Neither parent saw its drain end */
    expect_int(w.begins, 1);
    expect_int(w.ends, 0);
    expect_blk_quiesced(blk, true);
    poll_some();
    expect_false(q.r.done);
    expect_reads(old_bs, 0);
    expect_reads(new_bs, 0);

    bdrv_drained_end(old_bs);
    expect_blk_quiesced(blk, true);
    poll_some();
    expect_false(q.r.done);
    expect_reads(new_bs, 0);

    bdrv_drained_end(new_bs);
    expect_all_undrained();
    poll_until(&q.r.done, "the read queued across the replacement");
    expect_int(q.r.ret, 0);
    expect_reads(old_bs, 0);
    expect_reads(new_bs, 1);
    expect_int(w.begins, 1);
    expect_int(w.ends, 1);

    bdrv_root_unref_child(wc);
    blk_unref(blk);
    unref_nodes(old_bs, new_bs);
    end_test();
}

/* ---- 8: IOThread requests completing through another context's BH ------ */

/*
 * "bh-done": a read yields until a bottom half in another context wakes
 * it.  That BH keeps re-scheduling itself until the node's drain began, so
 * every drain below really has a request in flight to wait for.  With real
 * IOThreads the state is shared between threads: atomics, and a kick for
 * the main thread's waits.
 */
typedef struct BhDoneState {
    AioContext *bh_ctx;  /* where completions are bounced */
    bool gate_open;      /* the node's drain began */
    int started;
    int completed;
    AioContext *woken_from; /* where the waking BH ran */
    Coroutine *co;
} BhDoneState;

static void bh_done_wake(void *opaque)
{
    BhDoneState *s = opaque;

    if (!qatomic_load_acquire(&s->gate_open)) {
        aio_bh_schedule_oneshot(s->bh_ctx, bh_done_wake, s);
        return;
    }
    qatomic_store_release(&s->woken_from, qemu_get_current_aio_context());
    aio_co_wake(s->co);
}

static int coroutine_fn bh_done_co_preadv(BlockDriverState *bs,
                                          int64_t offset, int64_t bytes,
                                          QEMUIOVector *qiov,
                                          BdrvRequestFlags flags)
{
    BhDoneState *s = bs->opaque;

    s->co = qemu_coroutine_self();
    qatomic_inc(&s->started);
    aio_wait_kick();
    aio_bh_schedule_oneshot(s->bh_ctx, bh_done_wake, s);
    qemu_coroutine_yield();
    s->co = NULL;
    qatomic_inc(&s->completed);
    qemu_iovec_memset(qiov, 0, 0, bytes);
    return 0;
}

static void bh_done_drain_begin(BlockDriverState *bs)
{
    BhDoneState *s = bs->opaque;

    qatomic_store_release(&s->gate_open, true);
}

static BlockDriver bh_done_drv = {
    .format_name = "bh-done",
    .instance_size = sizeof(BhDoneState),
    .bdrv_co_getlength = local_co_getlength,
    .bdrv_co_preadv = bh_done_co_preadv,
    .bdrv_drain_begin = bh_done_drain_begin,
};

enum {
    B08_MAIN, B08_MAIN_ALL, B08_MAIN_BLK,
    B08_IOTHREAD, B08_IOTHREAD_CO, B08_IOTHREAD_ALL,
};

/* A read whose callback may run in an IOThread */
typedef struct B08Read {
    uint8_t buf[512];
    QEMUIOVector qiov;
    int ret;
    bool done;
} B08Read;

static void b08_read_cb(void *opaque, int ret)
{
    B08Read *r = opaque;

    r->ret = ret;
    qatomic_store_release(&r->done, true);
}

typedef struct DrainJob {
    int who;
    BlockDriverState *bs;
    BlockBackend *blk;
    B08Read *q;
    bool done;
    AioContext *ran_in;   /* the context the drain was called from */
    /* What the drainer saw when its drained_begin returned */
    int completed;
    unsigned in_flight;
    bool req_done;
} DrainJob;

static void drain_job_begin(DrainJob *j)
{
    BhDoneState *s = j->bs->opaque;

    j->ran_in = qemu_get_current_aio_context();
    switch (j->who) {
    case B08_MAIN_ALL:
    case B08_IOTHREAD_ALL:
        bdrv_drain_all_begin();
        break;
    case B08_MAIN_BLK:
        blk_drain(j->blk);  /* a whole section: look afterwards */
        break;
    default:
        bdrv_drained_begin(j->bs);
    }
    j->completed = qatomic_read(&s->completed);
    j->in_flight = qatomic_read(&j->bs->in_flight);
    j->req_done = qatomic_load_acquire(&j->q->done);
    if (j->who == B08_MAIN_ALL || j->who == B08_IOTHREAD_ALL) {
        bdrv_drain_all_end();
    } else if (j->who != B08_MAIN_BLK) {
        bdrv_drained_end(j->bs);
    }
    qatomic_store_release(&j->done, true);
    aio_wait_kick();
}

static void drain_job_bh(void *opaque)
{
    drain_job_begin(opaque);
}

static void coroutine_fn drain_job_co(void *opaque)
{
    drain_job_begin(opaque);
}

/*
 * One run: node (and backend) in io0, completions bounced to @bh_ctx.
 * Seed 0: real IOThreads (realtime mode); else virtual ones, seeded.
 */
static void b08_run(uint64_t seed, int who, bool two_iothreads)
{
    IOThread *iot0, *iot1 = NULL;
    AioContext *io0, *bh_ctx;
    BlockDriverState *bs;
    BlockBackend *blk;
    BhDoneState *s;
    B08Read q = { 0 };
    DrainJob j = { .who = who, .q = &q };
    Error *err = NULL;

    if (seed) {
        sched_set_deterministic(seed);
    }
    iot0 = iothread_create("b08-io0", &error_abort);
    io0 = iothread_get_aio_context(iot0);
    bh_ctx = main_ctx();
    if (two_iothreads) {
        iot1 = iothread_create("b08-io1", &error_abort);
        bh_ctx = iothread_get_aio_context(iot1);
    }
    bs = test_common_open_local(&bh_done_drv, "b08-node", BDRV_O_RDWR);
    s = bs->opaque;
    s->bh_ctx = bh_ctx;
    blk = blk_new(io0, BLK_PERM_CONSISTENT_READ, BLK_PERM_ALL);
    check_ok(blk_insert_bs(blk, bs, &err) == 0, &err, "blk_insert_bs");
    expect_true(bdrv_get_aio_context(bs) == io0);
    j.bs = bs;
    j.blk = blk;
    /* The move into io0 drained the node: only the drain below counts */
    qatomic_store_release(&s->gate_open, false);

    qemu_iovec_init_buf(&q.qiov, q.buf, sizeof(q.buf));
    blk_aio_preadv(blk, 0, &q.qiov, 0, b08_read_cb, &q);
    /* Deterministic mode aborts with the seed instead of hanging */
    AIO_WAIT_WHILE(main_ctx(), !qatomic_read(&s->started));
    expect_int(qatomic_read(&s->started), 1);
    expect_int(qatomic_read(&s->completed), 0);

    if (who == B08_IOTHREAD || who == B08_IOTHREAD_ALL) {
        aio_bh_schedule_oneshot(io0, drain_job_bh, &j);
    } else if (who == B08_IOTHREAD_CO) {
        aio_co_schedule(io0, qemu_coroutine_create(drain_job_co, &j));
    } else {
        drain_job_begin(&j);
    }
    AIO_WAIT_WHILE(main_ctx(), !qatomic_load_acquire(&j.done));
    if (j.completed != 1 || j.in_flight || !j.req_done) {
        EXPECT_FAIL("seed %" PRIu64 " (0: real IOThreads), drain by %d%s: "
                    "when the drain began %d reads had completed, %u "
                    "requests were in flight and the backend's request was "
                    "%s", seed, who,
                    two_iothreads ? " (BH in a second IOThread)" : "",
                    j.completed, j.in_flight,
                    j.req_done ? "done" : "not done");
    }
    expect_true(j.ran_in == (who >= B08_IOTHREAD ? io0 : main_ctx()));
    expect_true(qatomic_load_acquire(&s->woken_from) == bh_ctx);
    AIO_WAIT_WHILE(main_ctx(), !qatomic_load_acquire(&q.done));
    expect_int(q.ret, 0);

    blk_unref(blk);
    bdrv_unref(bs);
    iothread_destroy(iot1);
    iothread_destroy(iot0);
    sched_set_realtime();
}

/* Virtual IOThreads with four seeds, then real ones */
static void b08_seeds(int who, bool two_iothreads)
{
    for (uint64_t seed = 1; seed <= 4; seed++) {
        b08_run(seed, who, two_iothreads);
    }
    b08_run(0, who, two_iothreads);
    end_test();
}

static void test_drain_b08_drained_begin_from_main(void **state)
{
    b08_seeds(B08_MAIN, false);
}

static void test_drain_b08_drain_all_from_main(void **state)
{
    b08_seeds(B08_MAIN_ALL, false);
}

static void test_drain_b08_blk_drain_from_main(void **state)
{
    b08_seeds(B08_MAIN_BLK, false);
}

/*
 * Outside a coroutine only the main thread may drain: an IOThread's event
 * loop would poll for work that needs the main thread.  The global-state
 * assertion refuses it (a virtual IOThread runs in the main OS thread but
 * not in the main context, so it is caught there too).  The child process
 * starts its own IOThreads: a real one only where a forked child may start
 * threads (not under TSan).
 */
typedef struct B08Refused {
    uint64_t seed;
    int who;
    bool two_iothreads;
} B08Refused;

static void b08_refused_child(void *opaque)
{
    B08Refused *r = opaque;

    b08_run(r->seed, r->who, r->two_iothreads);
}

static void b08_expect_refused(int who, bool two_iothreads)
{
    B08Refused r = { .seed = 1, .who = who, .two_iothreads = two_iothreads };

    expect_abort(b08_refused_child, &r, "qemu_in_main_thread");
#ifndef DRYDOCK_TSAN
    r.seed = 0;
    expect_abort(b08_refused_child, &r, "qemu_in_main_thread");
#endif
    end_test();
}

static void test_drain_b08_drained_begin_from_iothread_refused(void **state)
{
    b08_expect_refused(B08_IOTHREAD, false);
}

static void test_drain_b08_drain_all_from_iothread_refused(void **state)
{
    b08_expect_refused(B08_IOTHREAD_ALL, false);
}

/*
 * A coroutine in an IOThread cannot take a node reference (global state):
 * the drain keeps the node alive with an in-flight hold instead.
 */
static void test_drain_b08_drained_begin_from_iothread_coroutine(void **state)
{
    b08_seeds(B08_IOTHREAD_CO, false);
}

/* Completions bounced to a second IOThread instead of the main context */
static void test_drain_b08_bh_in_other_iothread_from_main(void **state)
{
    b08_seeds(B08_MAIN, true);
}

static void test_drain_b08_bh_in_other_iothread_from_iothread_refused(
    void **state)
{
    b08_expect_refused(B08_IOTHREAD, true);
}

/* A coroutine of the IOThread may drain: it bounces to the main thread */
static void test_drain_b08_bh_in_other_iothread_from_iothread_co(void **state)
{
    b08_seeds(B08_IOTHREAD_CO, true);
}

/* ---- fixtures ----------------------------------------------------------- */

static int group_setup(void **state)
{
    test_common_init(TEST_COMMON_STEP_CHECKS | TEST_COMMON_NO_BACKEND |
                     TEST_COMMON_NO_DRAIN_ALL);
    return 0;
}

/* A test that failed half-way must not leave deterministic mode on */
static int graph_teardown(void **state)
{
    if (sched_is_deterministic()) {
        sched_set_realtime();
    }
    return test_common_teardown(state);
}

#define TG(fn)                                                                 \
    cmocka_unit_test_setup_teardown(fn, test_common_setup, graph_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        TG(test_drain_b11_append_to_drained_base),
        TG(test_drain_b11_nested_drain_ends_together),
        TG(test_drain_b11_base_drained_by_its_child),
        TG(test_drain_b11_append_under_drain_all),
        TG(test_drain_b11_append_node_created_in_drain_all),
        TG(test_drain_b11_append_filter),
        TG(test_drain_b14_replace_child_both_drained),
        TG(test_drain_b14_replace_node_both_drained),
        TG(test_drain_b14_replace_child_old_drained),
        TG(test_drain_b14_replace_child_new_drained),
        TG(test_drain_b14_replace_node_old_drained),
        TG(test_drain_b14_replace_node_new_drained),
        TG(test_drain_b14_replace_neither_drained),
        TG(test_drain_b14_set_backing_hd_both_drained),
        TG(test_drain_b14_refused_replace_both_drained),
        TG(test_drain_b14_refused_replace_old_drained),
        TG(test_drain_b14_backend_request_waits),
        TG(test_drain_b08_drained_begin_from_main),
        TG(test_drain_b08_drain_all_from_main),
        TG(test_drain_b08_blk_drain_from_main),
        TG(test_drain_b08_drained_begin_from_iothread_refused),
        TG(test_drain_b08_drain_all_from_iothread_refused),
        TG(test_drain_b08_bh_in_other_iothread_from_main),
        TG(test_drain_b08_bh_in_other_iothread_from_iothread_refused),
        TG(test_drain_b08_bh_in_other_iothread_from_iothread_co),
        TG(test_drain_b08_drained_begin_from_iothread_coroutine),
    };

    return test_common_run_group(tests, group_setup, NULL);
}
