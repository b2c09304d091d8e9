/*
 * Fuzz target "graph": bytes decoded into a program of graph operations
 * under the deterministic scheduler seeded from the input: add and delete
 * nodes of each kind (test, null-co, raw over mem, mem, a filter, qcow2
 * over mem, copy-on-read and blkdebug over mem), append, insert, replace,
 * drop-filter, set-backing, reopen read-only/read-write, freeze/unfreeze
 * of backing chains, nested drained sections, drain_all, AioContext moves
 * between two virtual IOThreads, BlockBackends with requests parked in
 * flight and released, and op blockers.
 *
 * After every step: the invariant checker (bdrv_debug_check_graph), then a
 * shadow model the target keeps itself: each node's expected quiesce
 * count (its drained sections + drain_all depth + one per child edge whose
 * child is quiesced, REFERENCE.md drain 2-5) and reference count (held by
 * the program + one per parent edge + one per drained section or frozen
 * chain the program holds it for), the permissions of every edge (what a
 * BlockBackend asked for; QEMU's default rules by role below nodes that
 * use them), the frozen edges (exactly those of the chains it froze), and
 * the op blockers it set.  Any mismatch aborts naming the step.
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
#define G_FREEZES 4
#define G_IMG_SIZE (64 * 1024)

typedef struct GReq {
    uint8_t *buf;                     /* g_req_buf[i], zeroed at first use */
    QEMUIOVector qiov;
    bool busy;
    bool used;                        /* in this input */
} GReq;

typedef struct GraphState {
    BlockDriverState *node[G_NODES];
    Error *blocker[G_NODES];          /* op blockers the program set */
    BlockBackend *blk[G_BLKS];
    uint64_t blk_perm[G_BLKS];        /* what each BlockBackend asked for */
    uint64_t blk_shared[G_BLKS];
    struct {
        /* top referenced; end: the base, or the bottom of the chain then */
        BlockDriverState *top, *end;
    } frozen[G_FREEZES];
    int nb_frozen;
    BlockDriverState *drained[G_DRAINS];
    int nb_drained;
    int drain_all;
    GReq req[G_REQS];
    int in_flight;
    unsigned serial;                  /* for node and buffer names */
} GraphState;

static GraphState g;
static uint8_t g_req_buf[G_REQS][G_REQ_LEN];

static IOThread *g_iothread[2];
static uint8_t *g_qcow2_template;     /* a formatted qcow2 image, made once */
static size_t g_qcow2_template_len;
static int g_step_nr;                 /* for messages */

static const char *const g_op_names[] = {
    "add", "delete", "append", "replace", "drop-filter", "set-backing",
    "drained-begin", "drained-end", "drain-all-begin", "drain-all-end",
    "move", "blk-attach", "blk-detach", "submit", "park", "block", "poll",
    "add-filter-over", "insert", "reopen", "freeze", "unfreeze",
};
#define G_NB_OPS 22
#define G_NB_KINDS 8

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

/*
 * Like QEMU's filters: a write that a parent flags as changing no data
 * (copy-on-read's) goes down flagged, to an edge that may hold only
 * write-unchanged; without the flag the core strips it and the write
 * needs the write permission
 */
static int g_filter_open(BlockDriverState *bs, QDict *options, int flags,
                         Error **errp)
{
    bs->supported_write_flags = BDRV_REQ_WRITE_UNCHANGED;
    return 0;
}

static BlockDriver g_filter_drv = {
    .format_name = "fuzz-filter",
    .is_filter = true,
    .bdrv_open = g_filter_open,
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
    for (int i = 0; i < g.nb_frozen; i++) {
        refs += g.frozen[i].top == bs;
    }
    QLIST_FOREACH(c, &bs->parents, next_parent) {
        refs++;
    }
    return refs;
}

/*
 * The edge from a node to its child of @role by QEMU's default rules
 * (block.c's bdrv_default_perms), from what the node's parents hold
 */
static void g_default_perms(BlockDriverState *parent, BdrvChildRole role,
                            uint64_t perm, uint64_t shared, uint64_t *np,
                            uint64_t *ns)
{
    const uint64_t pass = BLK_PERM_CONSISTENT_READ | BLK_PERM_WRITE |
                          BLK_PERM_WRITE_UNCHANGED | BLK_PERM_RESIZE;
    bool writable = !bdrv_is_read_only(parent) &&
                    !(parent->open_flags & BDRV_O_INACTIVE);
    uint64_t p = perm & pass, sh = (shared & pass) | (BLK_PERM_ALL & ~pass);

    if (role & BDRV_CHILD_FILTERED) {
        /* as is */
    } else if (role & BDRV_CHILD_COW) {
        p = perm & BLK_PERM_CONSISTENT_READ;
        sh = BLK_PERM_CONSISTENT_READ | BLK_PERM_WRITE_UNCHANGED;
        if ((shared & BLK_PERM_WRITE) ||
            (parent->open_flags & BDRV_O_INACTIVE)) {
            sh |= BLK_PERM_WRITE | BLK_PERM_RESIZE;
        }
    } else if (role & (BDRV_CHILD_DATA | BDRV_CHILD_METADATA)) {
        if (role & BDRV_CHILD_METADATA) {
            p |= writable ? BLK_PERM_WRITE | BLK_PERM_RESIZE : 0;
            p |= parent->open_flags & BDRV_O_NO_IO ? 0
                                                   : BLK_PERM_CONSISTENT_READ;
            sh &= ~(uint64_t)(BLK_PERM_WRITE | BLK_PERM_RESIZE);
        }
        if (role & BDRV_CHILD_DATA) {
            p |= p & BLK_PERM_WRITE_UNCHANGED ? BLK_PERM_WRITE : 0;
            p |= p & BLK_PERM_WRITE ? BLK_PERM_RESIZE : 0;
            sh &= ~(uint64_t)BLK_PERM_RESIZE;
        }
        if (parent->open_flags & BDRV_O_INACTIVE) {
            sh |= BLK_PERM_WRITE | BLK_PERM_RESIZE;
        }
    } else {
        p = 0;
        sh = BLK_PERM_ALL;
    }
    *np = p;
    *ns = sh;
}

static void g_die_perm(const char *op, BdrvChild *c, uint64_t p,
                       uint64_t sh)
{
    fuzz_die("graph: after step %d (%s) edge '%s' to '%s' holds 0x%" PRIx64
             "/0x%" PRIx64 ", the model expects 0x%" PRIx64 "/0x%" PRIx64,
             g_step_nr, op, c->name, bdrv_get_node_name(c->bs), c->perm,
             c->shared_perm, p, sh);
}

/* Edges below nodes whose driver uses the default rules, and backends */
static void g_check_perms(const char *op)
{
    for (int b = 0; b < G_BLKS; b++) {
        BdrvChild *root = g.blk[b] ? blk_root(g.blk[b]) : NULL;
        if (root && (root->perm != g.blk_perm[b] ||
                     root->shared_perm != g.blk_shared[b])) {
            g_die_perm(op, root, g.blk_perm[b], g.blk_shared[b]);
        }
    }
    for (BlockDriverState *bs = bdrv_next_all_states(NULL); bs;
         bs = bdrv_next_all_states(bs)) {
        uint64_t perm, shared, np, ns;
        BdrvChild *c;

        if (!bs->drv || (bs->drv->bdrv_child_perm != bdrv_default_perms &&
                         bs->drv->bdrv_child_perm !=
                             bdrv_filter_default_perms)) {
            continue;
        }
        bdrv_get_cumulative_perm(bs, &perm, &shared);
        QLIST_FOREACH(c, &bs->children, next) {
            g_default_perms(bs, c->role, perm, shared, &np, &ns);
            ns = c->bs->force_share ? BLK_PERM_ALL : ns;
            if (c->perm != np || c->shared_perm != ns) {
                g_die_perm(op, c, np, ns);
            }
        }
    }
}

/* Whether @c is an edge of a chain the program froze */
static bool g_edge_frozen(BdrvChild *c)
{
    for (int i = 0; i < g.nb_frozen; i++) {
        BlockDriverState *it = g.frozen[i].top;
        BdrvChild *e;

        for (; it && it != g.frozen[i].end; it = e ? e->bs : NULL) {
            e = bdrv_filter_or_cow_child(it);
            if (e == c) {
                return true;
            }
        }
    }
    return false;
}

static void g_check_model(const char *op)
{
    for (BlockDriverState *bs = bdrv_next_all_states(NULL); bs;
         bs = bdrv_next_all_states(bs)) {
        int q = g_expected_quiesce(bs), refs = g_expected_refcnt(bs);
        BdrvChild *c;

        if (bs->quiesce_counter != q) {
            fuzz_die("graph: after step %d (%s) node '%s' has quiesce count "
                     "%d, the model expects %d", g_step_nr, op,
                     bdrv_get_node_name(bs), bs->quiesce_counter, q);
        }
        if (bs->refcnt != refs) {
            fuzz_die("graph: after step %d (%s) node '%s' has %d references, "
                     "the model expects %d", g_step_nr, op,
                     bdrv_get_node_name(bs), bs->refcnt, refs);
        }
        QLIST_FOREACH(c, &bs->children, next) {
            if (c->frozen != g_edge_frozen(c)) {
                fuzz_die("graph: after step %d (%s) edge '%s' of '%s' is "
                         "%sfrozen, the model expects the opposite",
                         g_step_nr, op, c->name, bdrv_get_node_name(bs),
                         c->frozen ? "" : "not ");
            }
        }
    }
    for (int i = 0; i < G_NODES; i++) {
        if (g.blocker[i] &&
            !bdrv_op_is_blocked(g.node[i], BLOCK_OP_TYPE_CHANGE, NULL)) {
            fuzz_die("graph: after step %d (%s) node '%s' lost its op "
                     "blocker", g_step_nr, op, bdrv_get_node_name(g.node[i]));
        }
    }
    g_check_perms(op);
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
    case 3:
        mem_image_set(buf, NULL, G_IMG_SIZE, &error_abort);
        qdict_put_str(opts, "driver", "mem");
        qdict_put_str(opts, "filename", buf);
        break;
    default: {
        /* A format or filter driver over a mem image of its own */
        static const char *const drivers[] = { "raw", "qcow2",
                                               "copy-on-read", "blkdebug" };
        int d = kind == 2 ? 0 : kind - 4;
        const char *child = d == 3 ? "image" : "file";
        char key[32];

        if (d == 1) {
            mem_image_set(buf, g_qcow2_template, g_qcow2_template_len,
                          &error_abort);
        } else {
            mem_image_set(buf, NULL, G_IMG_SIZE, &error_abort);
        }
        qdict_put_str(opts, "driver", drivers[d]);
        snprintf(key, sizeof(key), "%s.driver", child);
        qdict_put_str(opts, key, "mem");
        snprintf(key, sizeof(key), "%s.filename", child);
        qdict_put_str(opts, key, buf);
        break;
    }
    }
    return opts;
}

static void g_add(FuzzInput *in)
{
    int kind = (int)fuzz_below(in, G_NB_KINDS), i;
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

/* One of the @count entries of a list of @max (one byte read); -1: none */
static int g_pick(FuzzInput *in, int max, int count)
{
    int i = (int)fuzz_below(in, max);

    return count ? i % count : -1;
}

static void g_drained_end(FuzzInput *in)
{
    int i = g_pick(in, G_DRAINS, g.nb_drained);
    BlockDriverState *bs;

    if (i < 0) {
        return;
    }
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
    g.blk_perm[b] = perms & BLK_PERM_ALL;
    g.blk_shared[b] = BLK_PERM_ALL & ~((perms >> 4) & BLK_PERM_ALL);
    g.blk[b] = blk_new(bdrv_get_aio_context(bs), g.blk_perm[b],
                       g.blk_shared[b]);
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
    int i;

    for (i = 0; i < G_REQS && !r; i++) {
        r = g.req[i].busy ? NULL : &g.req[i];
    }
    if (!blk || !r || !blk_bs(blk)) {
        return;
    }
    blk_get_perm(blk, &perm, &shared);
    /* What a buffer holds follows from this input alone */
    r->buf = g_req_buf[i - 1];
    if (!r->used) {
        memset(r->buf, 0, G_REQ_LEN);
        r->used = true;
    }
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

/* A copy-on-read filter takes the node's place under its parents */
static void g_insert(FuzzInput *in)
{
    BlockDriverState *bs = g_slot(in, NULL), *f;
    QDict *opts;
    char name[32];
    int i;

    g_slot(in, &i);
    if (!bs || g.node[i] == bs) {
        return;
    }
    g_delete(i);
    g_release_all();
    snprintf(name, sizeof(name), "i%u", ++g.serial);
    opts = qdict_new();
    qdict_put_str(opts, "driver", "copy-on-read");
    qdict_put_str(opts, "node-name", name);
    qdict_put_str(opts, "file", bdrv_get_node_name(bs));
    f = bdrv_insert_node(bs, opts, BDRV_O_RDWR, NULL);
    g.node[i] = f;
}

static void g_reopen(FuzzInput *in)
{
    BlockDriverState *bs = g_slot(in, NULL);
    bool ro = fuzz_u8(in) & 1;

    if (bs) {
        g_release_all();
        bdrv_reopen_set_read_only(bs, ro, NULL);
    }
}

/* Freeze a node's chain down to another slot's node (or all of it) */
static void g_freeze(FuzzInput *in)
{
    BlockDriverState *top = g_slot(in, NULL);
    int b = (int)fuzz_below(in, G_NODES + 1);
    BlockDriverState *base = b < G_NODES ? g.node[b] : NULL;

    BdrvChild *c;

    if (!top || g.nb_frozen == G_FREEZES ||
        bdrv_freeze_backing_chain(top, base, NULL) < 0) {
        return;
    }
    /*
     * Without a base, the links frozen are those down to today's bottom: a
     * backing file set below it later is not frozen, and unfreezing stops
     * at that node
     */
    if (!base) {
        for (base = top; (c = bdrv_filter_or_cow_child(base));) {
            base = c->bs;
        }
    }
    bdrv_ref(top);
    g.frozen[g.nb_frozen].top = top;
    g.frozen[g.nb_frozen].end = base;
    g.nb_frozen++;
}

static void g_unfreeze(FuzzInput *in)
{
    int i = g_pick(in, G_FREEZES, g.nb_frozen);
    BlockDriverState *top;

    if (i < 0) {
        return;
    }
    top = g.frozen[i].top;
    bdrv_unfreeze_backing_chain(top, g.frozen[i].end);
    g.frozen[i] = g.frozen[--g.nb_frozen];
    g_release_all();
    bdrv_unref(top);
}

static void g_step(FuzzInput *in)
{
    int op = (int)fuzz_below(in, G_NB_OPS), i;
    Error *err = NULL;

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
    case 18: g_insert(in); break;
    case 19: g_reopen(in); break;
    case 20: g_freeze(in); break;
    case 21: g_unfreeze(in); break;
    }
    if (fuzz_trace) {
        fprintf(stderr, "graph: step %d: %s (%d nodes)\n", g_step_nr,
                g_op_names[op], bdrv_debug_node_count());
    }
    /* The message is made only on failure: this runs after every step */
    if (bdrv_debug_check_graph(&err) < 0) {
        fuzz_die("graph invariant broken after step %d (%s): %s", g_step_nr,
                 g_op_names[op], error_get_pretty(err));
    }
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
    while (g.nb_frozen) {
        FuzzInput none = { 0 };
        g_unfreeze(&none);
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

/*
 * One small qcow2 image, copied into a fresh mem image per qcow2 node: 512-
 * byte clusters, and cut where the check says its data ends (the file is
 * created 1 MiB long; copying that per node was most of an input's cost)
 */
static void g_make_qcow2_template(void)
{
    char opts[] = "cluster_size=512";
    BdrvCheckResult res = { 0 };
    BlockDriverState *bs;
    const uint8_t *img;

    bdrv_img_create("mem:g-qcow2-template", "qcow2", NULL, NULL, opts,
                    G_IMG_SIZE, 0, true, &error_abort);
    bs = bdrv_open("mem:g-qcow2-template", NULL, NULL, 0, &error_abort);
    if (bdrv_check(bs, &res, 0) < 0 || res.corruptions || res.leaks) {
        fuzz_die("graph: the qcow2 template does not check clean");
    }
    bdrv_unref(bs);
    img = mem_image_get("g-qcow2-template", &g_qcow2_template_len);
    if (res.image_end_offset > 0 &&
        (size_t)res.image_end_offset < g_qcow2_template_len) {
        g_qcow2_template_len = (size_t)res.image_end_offset;
    }
    g_qcow2_template = g_memdup2(img, g_qcow2_template_len);
    mem_image_delete("g-qcow2-template");
    if (fuzz_trace) {
        fprintf(stderr, "graph: qcow2 template of %zu bytes\n",
                g_qcow2_template_len);
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_init();
    if (!g_iothread[0]) {
        /* Virtual IOThreads: created in deterministic mode */
        sched_set_deterministic(0);
        g_iothread[0] = iothread_create("fuzz-io0", &error_abort);
        g_iothread[1] = iothread_create("fuzz-io1", &error_abort);
        g_make_qcow2_template();
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
    for (g_step_nr = 0; g_step_nr < G_MAX_OPS && !fuzz_input_done(&in);
         g_step_nr++) {
        g_step(&in);
    }
    g_teardown();
    mem_image_delete_all();
    fuzz_check_nodes(nodes, "graph");
    return 0;
}
