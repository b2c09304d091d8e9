/*
 * Fuzz target "graph": bytes decoded into a program of graph operations
 * under the deterministic scheduler seeded from the input: add and delete
 * nodes of each kind (test, null-co, raw over mem, mem, a filter), append,
 * replace, drop-filter, set-backing, nested drained sections, drain_all,
 * AioContext moves between two virtual IOThreads, BlockBackends with
 * requests parked in flight and released, and op blockers.
 *
 * After every step: the invariant checker (bdrv_debug_check_graph), then a
 * shadow model the target keeps itself: each node's expected quiesce
 * count (its drained sections + drain_all depth + one per child edge whose
 * child is quiesced, REFERENCE.md drain 2-5) and reference count (held by
 * the program + one per parent edge + one per drained section the program
 * holds it for), and op blockers it set.  Any mismatch aborts.
 *
 * Input: 2 seed bytes, then operations of one opcode byte and arguments
 * (docs/fuzzing.md); a slot argument naming an empty slot makes a no-op.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "block/block-backend.h"
#include "block/block-global-state.h"
#include "block/block-debug.h"
#include "block/block-io.h"
#include "block/mem.h"
#include "block/test-driver.h"
#include "util/iothread.h"
#include "util/qdict.h"
#include "util/sched.h"
#include "fuzz-common.h"

#define G_NODES 6
#define G_BLKS 3
#define G_DRAINS 8
#define G_DRAIN_ALL_MAX 3
#define G_REQS 16
#define G_MAX_OPS 200
#define G_POLL_LIMIT 100000
#define G_REQ_LEN 4096

typedef struct GReq {
    uint8_t buf[G_REQ_LEN];
    QEMUIOVector qiov;
    bool busy;
} GReq;

typedef struct GraphState {
    BlockDriverState *node[G_NODES];
    Error *blocker[G_NODES];          /* op blockers the program set */
    BlockBackend *blk[G_BLKS];
    BlockDriverState *drained[G_DRAINS];
    int nb_drained;
    int drain_all;
    GReq req[G_REQS];
    int in_flight;
    unsigned serial;                  /* for node and buffer names */
} GraphState;

static GraphState g;
static IOThread *g_iothread[2];

static const char *const g_op_names[] = {
    "add", "delete", "append", "replace", "drop-filter", "set-backing",
    "drained-begin", "drained-end", "drain-all-begin", "drain-all-end",
    "move", "blk-attach", "blk-detach", "submit", "park", "block", "poll",
    "add-filter-over",
};
#define G_NB_OPS 18

/* ---- a filter driver (the library has none built in yet) --------------- */

static int64_t coroutine_fn g_filter_getlength(BlockDriverState *bs)
{
    BlockDriverState *child = bdrv_filter_bs(bs);

    return child ? bdrv_co_getlength(child) : 0;
}

static int coroutine_fn g_filter_preadv(BlockDriverState *bs, int64_t offset,
                                        int64_t bytes, QEMUIOVector *qiov,
                                        size_t qiov_offset,
                                        BdrvRequestFlags flags)
{
    return bs->file ? bdrv_co_preadv_part(bs->file, offset, bytes, qiov,
                                          qiov_offset, flags)
                    : -ENOMEDIUM;
}

static int coroutine_fn g_filter_pwritev(BlockDriverState *bs, int64_t offset,
                                         int64_t bytes, QEMUIOVector *qiov,
                                         size_t qiov_offset,
                                         BdrvRequestFlags flags)
{
    return bs->file ? bdrv_co_pwritev_part(bs->file, offset, bytes, qiov,
                                           qiov_offset, flags)
                    : -ENOMEDIUM;
}

static BlockDriver g_filter_drv = {
    .format_name = "fuzz-filter",
    .is_filter = true,
    .bdrv_co_getlength = g_filter_getlength,
    .bdrv_co_preadv_part = g_filter_preadv,
    .bdrv_co_pwritev_part = g_filter_pwritev,
    .bdrv_child_perm = bdrv_filter_default_perms,
};

/* ---- parking ------------------------------------------------------------ */

/*
 * Release every parked request of every test node and stop parking: drains
 * wait for requests in flight, and a request woken from a backend's queue
 * may still reach its node after this, so it must not park again (the
 * "park" operation turns parking back on)
 */
static void g_release_all(void)
{
    for (BlockDriverState *bs = bdrv_next_all_states(NULL); bs;
         bs = bdrv_next_all_states(bs)) {
        if (bs->drv == &bdrv_test) {
            test_driver_set_parking(bs, false);
            test_driver_release(bs, INT32_MAX);
        }
    }
}

static void g_drain_hook(BlockDriverState *bs, void *opaque)
{
    g_release_all();
}

static void g_req_cb(void *opaque, int ret)
{
    GReq *r = opaque;

    if (!r->busy) {
        fuzz_die("graph: a request completed twice");
    }
    r->busy = false;
    g.in_flight--;
}

/* ---- the shadow model --------------------------------------------------- */

static int g_explicit_drains(BlockDriverState *bs)
{
    int n = 0;

    for (int i = 0; i < g.nb_drained; i++) {
        n += g.drained[i] == bs;
    }
    return n;
}

/* Quiesce count the model expects (the graph is acyclic: checked before) */
static int g_expected_quiesce(BlockDriverState *bs)
{
    int q = g_explicit_drains(bs) + g.drain_all;
    BdrvChild *c;

    QLIST_FOREACH(c, &bs->children, next) {
        q += g_expected_quiesce(c->bs) > 0;
    }
    return q;
}

static int g_expected_refcnt(BlockDriverState *bs)
{
    int refs = g_explicit_drains(bs);
    BdrvChild *c;

    for (int i = 0; i < G_NODES; i++) {
        refs += g.node[i] == bs;
    }
    QLIST_FOREACH(c, &bs->parents, next_parent) {
        refs++;
    }
    return refs;
}

static void g_check_model(const char *op)
{
    for (BlockDriverState *bs = bdrv_next_all_states(NULL); bs;
         bs = bdrv_next_all_states(bs)) {
        int q = g_expected_quiesce(bs), refs = g_expected_refcnt(bs);

        if (bs->quiesce_counter != q) {
            fuzz_die("graph: after %s node '%s' has quiesce count %d, the "
                     "model expects %d", op, bdrv_get_node_name(bs),
                     bs->quiesce_counter, q);
        }
        if (bs->refcnt != refs) {
            fuzz_die("graph: after %s node '%s' has %d references, the "
                     "model expects %d", op, bdrv_get_node_name(bs),
                     bs->refcnt, refs);
        }
    }
    for (int i = 0; i < G_NODES; i++) {
        if (g.blocker[i] &&
            !bdrv_op_is_blocked(g.node[i], BLOCK_OP_TYPE_CHANGE, NULL)) {
            fuzz_die("graph: after %s node '%s' lost its op blocker", op,
                     bdrv_get_node_name(g.node[i]));
        }
    }
}

/* ---- operations --------------------------------------------------------- */

static BlockDriverState *g_slot(FuzzInput *in, int *idx)
{
    int i = (int)fuzz_below(in, G_NODES);

    if (idx) {
        *idx = i;
    }
    return g.node[i];
}

static void g_unblock(int i)
{
    if (g.blocker[i]) {
        bdrv_op_unblock_all(g.node[i], g.blocker[i]);
        error_free(g.blocker[i]);
        g.blocker[i] = NULL;
    }
}

static void g_delete(int i)
{
    if (g.node[i]) {
        g_unblock(i);
        g_release_all();
        bdrv_unref(g.node[i]);
        g.node[i] = NULL;
    }
}

static QDict *g_node_opts(int kind, const char *name, unsigned serial)
{
    QDict *opts = qdict_new();
    char buf[32];

    qdict_put_str(opts, "node-name", name);
    snprintf(buf, sizeof(buf), "g%u", serial);
    switch (kind) {
    case 0:
        qdict_put_str(opts, "driver", "test");
        qdict_put_int(opts, "size", 1 << 20);
        break;
    case 1:
        qdict_put_str(opts, "driver", "null-co");
        break;
    case 2:
        mem_image_set(buf, NULL, 64 * 1024, &error_abort);
        qdict_put_str(opts, "driver", "raw");
        qdict_put_str(opts, "file.driver", "mem");
        qdict_put_str(opts, "file.filename", buf);
        break;
    default:
        mem_image_set(buf, NULL, 64 * 1024, &error_abort);
        qdict_put_str(opts, "driver", "mem");
        qdict_put_str(opts, "filename", buf);
        break;
    }
    return opts;
}

static void g_add(FuzzInput *in)
{
    int kind = (int)fuzz_below(in, 5), i;
    char name[32];
    BlockDriverState *bs;

    g_slot(in, &i);
    g_delete(i);
    snprintf(name, sizeof(name), "n%u", ++g.serial);
    if (kind == 4) {
        bs = bdrv_new_open_driver(&g_filter_drv, name, BDRV_O_RDWR, NULL);
    } else {
        bs = bdrv_open(NULL, NULL, g_node_opts(kind, name, g.serial),
                       BDRV_O_RDWR, NULL);
    }
    if (bs && bs->drv == &bdrv_test) {
        test_driver_set_drain_hook(bs, g_drain_hook, NULL);
    }
    g.node[i] = bs;
}

static void g_add_filter_over(FuzzInput *in)
{
    BlockDriverState *child = g_slot(in, NULL), *f;
    char name[32];
    int i;

    g_slot(in, &i);
    if (!child || g.node[i] == child) {
        return;
    }
    g_delete(i);
    snprintf(name, sizeof(name), "f%u", ++g.serial);
    f = bdrv_new_open_driver(&g_filter_drv, name, BDRV_O_RDWR, NULL);
    if (f) {
        g_release_all();
        bdrv_ref(child);
        if (!bdrv_attach_child(f, child, "file", &child_of_bds,
                               BDRV_CHILD_FILTERED | BDRV_CHILD_PRIMARY,
                               NULL)) {
            bdrv_unref(child);
        }
    }
    g.node[i] = f;
}

static void g_two(FuzzInput *in, int op)
{
    BlockDriverState *a = g_slot(in, NULL), *b = g_slot(in, NULL);

    if (!a || (!b && op != 5)) {
        return;
    }
    g_release_all();
    switch (op) {
    case 2:
        bdrv_append(a, b, NULL);
        break;
    case 3:
        bdrv_replace_node(a, b, NULL);
        break;
    case 5:
        bdrv_set_backing_hd(a, b, NULL);
        break;
    }
}

static void g_drained_begin(FuzzInput *in)
{
    BlockDriverState *bs = g_slot(in, NULL);

    if (bs && g.nb_drained < G_DRAINS) {
        g_release_all();
        bdrv_ref(bs);
        g.drained[g.nb_drained++] = bs;
        bdrv_drained_begin(bs);
    }
}

static void g_drained_end(FuzzInput *in)
{
    int i = (int)fuzz_below(in, G_DRAINS);
    BlockDriverState *bs;

    if (!g.nb_drained) {
        return;
    }
    i %= g.nb_drained;
    bs = g.drained[i];
    memmove(&g.drained[i], &g.drained[i + 1],
            (size_t)(g.nb_drained - i - 1) * sizeof(g.drained[0]));
    g.nb_drained--;
    bdrv_drained_end(bs);
    bdrv_unref(bs);
}

static void g_drain_all(bool begin)
{
    if (begin && g.drain_all < G_DRAIN_ALL_MAX) {
        g_release_all();
        g.drain_all++;
        bdrv_drain_all_begin();
    } else if (!begin && g.drain_all) {
        g.drain_all--;
        bdrv_drain_all_end();
    }
}

static AioContext *g_ctx(FuzzInput *in)
{
    int i = (int)fuzz_below(in, 3);

    return i == 2 ? qemu_get_aio_context()
                  : iothread_get_aio_context(g_iothread[i]);
}

static void g_move(FuzzInput *in)
{
    BlockDriverState *bs = g_slot(in, NULL);
    AioContext *ctx = g_ctx(in);

    if (bs) {
        g_release_all();
        bdrv_try_change_aio_context(bs, ctx, NULL, NULL);
    }
}

static void g_blk_detach(int b)
{
    if (g.blk[b]) {
        g_release_all();
        blk_unref(g.blk[b]);
        g.blk[b] = NULL;
    }
}

static void g_blk_attach(FuzzInput *in)
{
    int b = (int)fuzz_below(in, G_BLKS);
    BlockDriverState *bs = g_slot(in, NULL);
    uint8_t perms = fuzz_u8(in);

    if (!bs) {
        return;
    }
    g_blk_detach(b);
    g_release_all();
    g.blk[b] = blk_new(bdrv_get_aio_context(bs), perms & BLK_PERM_ALL,
                       BLK_PERM_ALL & ~((perms >> 4) & BLK_PERM_ALL));
    blk_set_allow_aio_context_change(g.blk[b], perms & 0x80);
    if (blk_insert_bs(g.blk[b], bs, NULL) < 0) {
        blk_unref(g.blk[b]);
        g.blk[b] = NULL;
    }
}

static void g_submit(FuzzInput *in)
{
    BlockBackend *blk = g.blk[fuzz_below(in, G_BLKS)];
    uint8_t how = fuzz_u8(in);
    int64_t offset = (int64_t)(how >> 1) * 512;
    uint64_t perm, shared;
    GReq *r = NULL;

    for (int i = 0; i < G_REQS && !r; i++) {
        r = g.req[i].busy ? NULL : &g.req[i];
    }
    if (!blk || !r || !blk_bs(blk)) {
        return;
    }
    blk_get_perm(blk, &perm, &shared);
    r->busy = true;
    g.in_flight++;
    qemu_iovec_init_buf(&r->qiov, r->buf, G_REQ_LEN);
    /* Writing without the write permission breaks the caller's contract */
    if ((how & 1) && (perm & BLK_PERM_WRITE)) {
        blk_aio_pwritev(blk, offset, &r->qiov, 0, g_req_cb, r);
    } else {
        blk_aio_preadv(blk, offset, &r->qiov, 0, g_req_cb, r);
    }
}

static void g_park(FuzzInput *in)
{
    BlockDriverState *bs = g_slot(in, NULL);
    uint8_t how = fuzz_u8(in);

    if (!bs || bs->drv != &bdrv_test) {
        return;
    }
    if (how & 0x80) {
        test_driver_release(bs, how & 3 ? how & 3 : INT32_MAX);
    } else {
        test_driver_set_parking(bs, how & 1);
    }
}

static void g_block(FuzzInput *in)
{
    int i;

    if (!g_slot(in, &i)) {
        return;
    }
    if (g.blocker[i]) {
        g_unblock(i);
    } else {
        error_setg(&g.blocker[i], "Blocked by the graph fuzzer");
        bdrv_op_block_all(g.node[i], g.blocker[i]);
    }
}

static void g_poll(FuzzInput *in)
{
    int n = (int)fuzz_below(in, 8) + 1;

    for (int i = 0; i < n; i++) {
        aio_poll(qemu_get_aio_context(), false);
    }
}

static void g_step(FuzzInput *in)
{
    int op = (int)fuzz_below(in, G_NB_OPS), i;

    switch (op) {
    case 0: g_add(in); break;
    case 1: g_slot(in, &i); g_delete(i); break;
    case 2: case 3: case 5: g_two(in, op); break;
    case 4: {
        BlockDriverState *bs = g_slot(in, NULL);
        if (bs) {
            g_release_all();
            bdrv_drop_filter(bs, NULL);
        }
        break;
    }
    case 6: g_drained_begin(in); break;
    case 7: g_drained_end(in); break;
    case 8: case 9: g_drain_all(op == 8); break;
    case 10: g_move(in); break;
    case 11: g_blk_attach(in); break;
    case 12: g_blk_detach((int)fuzz_below(in, G_BLKS)); break;
    case 13: g_submit(in); break;
    case 14: g_park(in); break;
    case 15: g_block(in); break;
    case 16: g_poll(in); break;
    case 17: g_add_filter_over(in); break;
    }
    if (fuzz_trace) {
        fprintf(stderr, "graph: %s\n", g_op_names[op]);
    }
    fuzz_check_graph(g_op_names[op]);
    g_check_model(g_op_names[op]);
}

/* ---- set-up and tear-down ----------------------------------------------- */

static void g_teardown(void)
{
    for (BlockDriverState *bs = bdrv_next_all_states(NULL); bs;
         bs = bdrv_next_all_states(bs)) {
        if (bs->drv == &bdrv_test) {
            test_driver_set_parking(bs, false);
        }
    }
    g_release_all();
    while (g.nb_drained) {
        FuzzInput none = { 0 };
        g_drained_end(&none);
    }
    while (g.drain_all) {
        g_drain_all(false);
    }
    for (int b = 0; b < G_BLKS; b++) {
        g_blk_detach(b);
    }
    for (int i = 0; i < G_POLL_LIMIT && g.in_flight; i++) {
        g_release_all();
        aio_poll(qemu_get_aio_context(), false);
    }
    if (g.in_flight) {
        fuzz_die("graph: %d request(s) never completed", g.in_flight);
    }
    for (int i = 0; i < G_NODES; i++) {
        g_delete(i);
    }
    fuzz_check_graph("the end of the input");
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_init();
    if (!g_iothread[0]) {
        /* Virtual IOThreads: created in deterministic mode */
        sched_set_deterministic(0);
        g_iothread[0] = iothread_create("fuzz-io0", &error_abort);
        g_iothread[1] = iothread_create("fuzz-io1", &error_abort);
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int nodes;
    FuzzInput in;

    LLVMFuzzerInitialize(NULL, NULL);
    nodes = bdrv_debug_node_count();
    fuzz_input_init(&in, data, size);
    memset(&g, 0, sizeof(g));
    sched_set_deterministic(fuzz_u16(&in));
    for (int i = 0; i < G_MAX_OPS && !fuzz_input_done(&in); i++) {
        g_step(&in);
    }
    g_teardown();
    mem_image_delete_all();
    fuzz_check_nodes(nodes, "graph");
    return 0;
}
