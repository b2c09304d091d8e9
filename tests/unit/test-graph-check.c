/*
 * Unit tests of the graph invariant checker (block/core/graph-check.c):
 * valid graphs pass; each kind of corruption, made deliberately by poking
 * the structures, is reported with a message naming the node (and edge)
 * involved.  Every test restores the exact state before it asserts, so a
 * failure never leaves a corrupt graph behind for the teardown.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>


#include "block/test-driver.h"
#include "util/main-loop.h"
#include "drain-common.h"
#include "test-common.h"

/* ---- helpers ------------------------------------------------------------ */

/* A new edge @name from @parent to @child, with its own reference */
#define attach(parent, child, name)                                            \
    test_common_attach_ref((parent), (child), (name))

/* A parent that is not a node, like a BlockBackend or a job */
static const BdrvChildClass user_class = {
    .parent_is_bds = false,
};

static BdrvChild *attach_user(BlockDriverState *bs, const char *name,
                              uint64_t perm)
{
    Error *err = NULL;
    BdrvChild *c;

    bdrv_ref(bs);
    c = bdrv_root_attach_child(bs, name, &user_class, BDRV_CHILD_DATA, perm,
                               BLK_PERM_ALL, NULL, &err);
    if (!c) {
        fail_msg("Attaching user '%s' to '%s' failed: %s", name,
                 bdrv_get_node_name(bs), error_get_pretty(err));
    }
    return c;
}

/* What the checker returned to the last graph_violation() */
static int last_check_ret;

/* The checker's message (caller frees), or NULL when the graph is valid */
static char *graph_violation(void)
{
    Error *err = NULL;
    char *msg = NULL;

    last_check_ret = bdrv_debug_check_graph(&err);
    if (last_check_ret < 0) {
        msg = g_strdup(err ? error_get_pretty(err) : "(no Error set)");
    } else if (err) {
        msg = g_strdup_printf("returned %d but set '%s'", last_check_ret,
                              error_get_pretty(err));
    }
    error_free(err);
    return msg;
}

/*
 * Soft expectations (test-common.h): printed at once, they fail the test
 * at end_test(), after its cleanup, so a failure leaves no node behind.
 *
 * @msg is what graph_violation() returned while the graph was corrupt (the
 * corruption is undone by now); it must contain every one of the
 * NULL-terminated needles.  Frees @msg.
 */
static void expect_violation_at(const char *file, int line, char *msg, ...)
{
    const char *needle;
    bool ok = msg && last_check_ret == -EINVAL;
    va_list ap;

    va_start(ap, msg);
    while (ok && (needle = va_arg(ap, const char *))) {
        ok = strstr(msg, needle) != NULL;
        if (!ok) {
            print_error("the checker's message lacks \"%s\"\n", needle);
        }
    }
    va_end(ap);
    if (!ok) {
        print_error("graph check returned %d with message: %s\n",
                    last_check_ret, msg ? msg : "(none: the graph passed)");
    }
    g_free(msg);
    if (!ok) {
        expect_failed(file, line, "expected violation not reported");
    }
}
#define expect_violation(msg, ...)                                             \
    expect_violation_at(__FILE__, __LINE__, (msg), __VA_ARGS__, NULL)

static void expect_valid_at(const char *what, const char *file, int line)
{
    char *msg = graph_violation();

    if (msg || last_check_ret != 0) {
        print_error("%s: graph check returned %d: %s\n", what, last_check_ret,
                    msg ? msg : "(no message)");
        expect_failed(file, line, "expected a valid graph");
        g_free(msg);
    }
}
#define expect_valid(what) expect_valid_at((what), __FILE__, __LINE__)

/* ---- fixtures ----------------------------------------------------------- */

static int group_setup(void **state)
{
    test_common_init(0);
    bdrv_register(&bdrv_test);
    return 0;
}

/* ---- valid graphs ------------------------------------------------------- */

static void test_check_valid_graphs_pass(void **state)
{
    BlockDriverState *top, *mid, *base, *side, *bare;
    BlockBackend *blk;
    AioContext *ctx;
    Error *err = NULL;

    expect_valid("no node");
    bare = bdrv_new(); /* no driver, no name */
    expect_valid("a node without driver");

    top = open_test("top");
    mid = open_test("mid");
    base = open_null("base");
    side = open_test("side");
    attach(top, mid, "file");
    attach(mid, base, "file");
    attach(side, base, "file"); /* a diamond: base under two parents */
    blk =
        blk_new(qemu_get_aio_context(), BLK_PERM_CONSISTENT_READ, BLK_PERM_ALL);
    assert_int_equal(blk_insert_bs(blk, top, &error_abort), 0);
    expect_valid("chain under a BlockBackend, diamond at the base");
    bdrv_debug_assert_graph(); /* returns on a valid graph */

    bdrv_drained_begin(mid);
    expect_valid("mid drained");
    bdrv_drained_begin(base);
    expect_valid("mid and base drained");
    bdrv_drain_all_begin();
    expect_valid("drain_all inside single drains");
    bdrv_drain_all_begin();
    expect_valid("nested drain_all");
    bdrv_drain_all_end();
    bdrv_drain_all_end();
    bdrv_drained_end(base);
    bdrv_drained_end(mid);
    expect_valid("after every drain ended");

    /* A whole component in another context is still consistent */
    ctx = aio_context_new(&error_abort);
    blk_set_allow_aio_context_change(blk, true);
    if (bdrv_try_change_aio_context(top, ctx, NULL, &err) < 0) {
        fail_msg("Moving 'top' to a new context failed: %s",
                 error_get_pretty(err));
    }
    expect_valid("component moved to another context");
    assert_int_equal(bdrv_try_change_aio_context(top, qemu_get_aio_context(),
                                                 NULL, &error_abort),
                     0);
    aio_context_unref(ctx);

    blk_unref(blk);
    unref_nodes(top, mid, base, side, bare);
    expect_valid("everything freed");
    end_test();
}

static void test_check_debug_counters(void **state)
{
    BlockDriverState *a, *b;

    assert_int_equal(bdrv_debug_drain_all_count(), 0);
    a = bdrv_new();
    assert_int_equal(bdrv_debug_node_count(), nodes_before + 1);
    b = open_test("counted");
    assert_int_equal(bdrv_debug_node_count(), nodes_before + 2);
    bdrv_drain_all_begin();
    assert_int_equal(bdrv_debug_drain_all_count(), 1);
    bdrv_drain_all_begin();
    assert_int_equal(bdrv_debug_drain_all_count(), 2);
    bdrv_drain_all_end();
    assert_int_equal(bdrv_debug_drain_all_count(), 1);
    bdrv_drain_all_end();
    assert_int_equal(bdrv_debug_drain_all_count(), 0);
    bdrv_unref(a);
    assert_int_equal(bdrv_debug_node_count(), nodes_before + 1);
    bdrv_unref(b);
    assert_int_equal(bdrv_debug_node_count(), nodes_before);
    end_test();
}

/* ---- edges -------------------------------------------------------------- */

static void test_check_edge_missing_from_child_parents(void **state)
{
    BlockDriverState *top = open_test("top");
    BlockDriverState *base = open_null("base");
    BdrvChild *e = attach(top, base, "file");
    char *msg;

    QLIST_REMOVE(e, next_parent); /* base's only parent */
    msg = graph_violation();
    QLIST_INSERT_HEAD(&base->parents, e, next_parent);
    expect_violation(msg, "'file'", "'top'", "'base'");
    expect_valid("edge relinked");
    unref_nodes(top, base);
    end_test();
}

static void test_check_edge_missing_from_parent_children(void **state)
{
    BlockDriverState *top = open_test("top");
    BlockDriverState *base = open_null("base");
    BdrvChild *e = attach(top, base, "file");
    char *msg;

    QLIST_REMOVE(e, next); /* top's only child */
    top->file = NULL;
    msg = graph_violation();
    QLIST_INSERT_HEAD(&top->children, e, next);
    top->file = e;
    expect_violation(msg, "'file'", "'base'", "missing");
    expect_valid("edge relinked");
    unref_nodes(top, base);
    end_test();
}

static void test_check_edge_wrong_parent_pointer(void **state)
{
    BlockDriverState *top = open_test("top");
    BlockDriverState *base = open_null("base");
    BlockDriverState *other = open_test("other");
    BdrvChild *e = attach(top, base, "file");
    char *msg;

    e->opaque = other;
    msg = graph_violation();
    e->opaque = top;
    expect_violation(msg, "'file'", "'top'");
    expect_valid("parent pointer restored");
    unref_nodes(top, base, other);
    end_test();
}

static void test_check_user_edge_wrong_child_pointer(void **state)
{
    BlockDriverState *base = open_null("base");
    BlockDriverState *other = open_null("other");
    BdrvChild *u = attach_user(base, "user", 0);
    char *msg;

    u->bs = other; /* still linked in base's parents */
    msg = graph_violation();
    u->bs = base;
    expect_violation(msg, "'user'", "'base'");
    expect_valid("child pointer restored");
    bdrv_root_unref_child(u);
    unref_nodes(base, other);
    end_test();
}

static void test_check_backing_pointer_not_a_child(void **state)
{
    BlockDriverState *top = open_test("top");
    BlockDriverState *base = open_null("base");
    BdrvChild *u = attach_user(base, "user", 0);
    char *msg;

    top->backing = u; /* an edge, but not one of top's */
    msg = graph_violation();
    top->backing = NULL;
    expect_violation(msg, "'top'", "backing");
    expect_valid("backing pointer cleared");
    bdrv_root_unref_child(u);
    unref_nodes(top, base);
    end_test();
}

/* ---- references and cycles ---------------------------------------------- */

static void test_check_refcnt_below_parents(void **state)
{
    BlockDriverState *base = open_null("base");
    BdrvChild *u1 = attach_user(base, "user1", 0);
    BdrvChild *u2 = attach_user(base, "user2", 0);
    int saved = base->refcnt;
    char *msg;

    assert_int_equal(saved, 3); /* the test's and one per edge */
    base->refcnt = 1;
    msg = graph_violation();
    base->refcnt = saved;
    expect_violation(msg, "'base'", "2 parents", "1 ref");
    expect_valid("refcnt restored");
    bdrv_root_unref_child(u1);
    bdrv_root_unref_child(u2);
    bdrv_unref(base);
    end_test();
}

static void test_check_cycle(void **state)
{
    BlockDriverState *top = open_test("top");
    BlockDriverState *mid = open_test("mid");
    BlockDriverState *base = open_null("base");
    BdrvChild *e;
    bool names;
    char *msg;

    attach(top, mid, "file");
    e = attach(mid, base, "file");
    /* Point mid's edge back up at top: top -> mid -> top */
    QLIST_REMOVE(e, next_parent);
    e->bs = top;
    QLIST_INSERT_HEAD(&top->parents, e, next_parent);
    msg = graph_violation();
    QLIST_REMOVE(e, next_parent);
    e->bs = base;
    QLIST_INSERT_HEAD(&base->parents, e, next_parent);
    names = msg && (strstr(msg, "'top'") || strstr(msg, "'mid'"));
    expect_violation(msg, "cycle");
    if (!names) {
        EXPECT_FAIL("the cycle report names neither 'top' nor 'mid'");
    }
    expect_valid("edge pointed back at base");
    unref_nodes(top, mid, base);
    end_test();
}

/* ---- quiesce counters --------------------------------------------------- */

static void test_check_quiesce_count_bumped(void **state)
{
    BlockDriverState *top = open_test("top");
    BlockDriverState *base = open_null("base");
    char *msg;

    attach(top, base, "file");
    base->quiesce_counter++; /* drained, but its parent was never told */
    msg = graph_violation();
    base->quiesce_counter--;
    expect_violation(msg, "'base'", "'file'", "quiesce count is 1");
    expect_valid("count restored");
    unref_nodes(top, base);
    end_test();
}

static void test_check_quiesce_count_below_drain_all(void **state)
{
    BlockDriverState *lone = open_test("lone");
    char *msg;

    bdrv_drain_all_begin();
    expect_valid("drain_all");
    lone->quiesce_counter--;
    msg = graph_violation();
    lone->quiesce_counter++;
    bdrv_drain_all_end();
    expect_violation(msg, "'lone'", "quiesce count 0", "drain_all (1)");
    expect_valid("count restored");
    bdrv_unref(lone);
    end_test();
}

static void test_check_quiesced_flag_without_drain(void **state)
{
    BlockDriverState *top = open_test("top");
    BlockDriverState *base = open_null("base");
    BdrvChild *e = attach(top, base, "file");
    char *msg;

    e->quiesced_parent = true;
    msg = graph_violation();
    e->quiesced_parent = false;
    /* Either end may be reported: top undercounts, base's edge lies */
    if (msg && strstr(msg, "'top'")) {
        expect_violation(msg, "'top'", "quiesce count 0");
    } else {
        expect_violation(msg, "'file'", "'base'", "quiesces its parent");
    }
    expect_valid("flag cleared");
    unref_nodes(top, base);
    end_test();
}

/* ---- permissions -------------------------------------------------------- */

static void test_check_unshared_perm_between_siblings(void **state)
{
    BlockDriverState *base = open_null("base");
    BdrvChild *a = attach_user(base, "a", BLK_PERM_CONSISTENT_READ);
    BdrvChild *b = attach_user(base, "b", BLK_PERM_CONSISTENT_READ);
    uint64_t a_perm = a->perm, b_shared = b->shared_perm;
    char *msg;

    a->perm |= BLK_PERM_WRITE;
    b->shared_perm &= ~BLK_PERM_WRITE;
    msg = graph_violation();
    a->perm = a_perm;
    b->shared_perm = b_shared;
    expect_violation(msg, "'a'", "'b'", "'base'", "0x2");
    expect_valid("permissions restored");
    bdrv_root_unref_child(a);
    bdrv_root_unref_child(b);
    bdrv_unref(base);
    end_test();
}

static void test_check_readonly_node_granted_write(void **state)
{
    BlockDriverState *ro = open_node("null-co", "ro", 0);
    BdrvChild *u = attach_user(ro, "reader", BLK_PERM_CONSISTENT_READ);
    char *msg;

    assert_true(bdrv_is_read_only(ro));
    u->perm |= BLK_PERM_WRITE;
    msg = graph_violation();
    u->perm &= ~BLK_PERM_WRITE;
    expect_violation(msg, "'ro'", "read-only");
    expect_valid("permission restored");
    bdrv_root_unref_child(u);
    bdrv_unref(ro);
    end_test();
}

static void test_check_node_perm_not_what_parents_need(void **state)
{
    BlockDriverState *top = open_test("top");
    BlockDriverState *base = open_null("base");
    char *msg;

    attach(top, base, "file");
    base->cur_perm ^= BLK_PERM_RESIZE;
    msg = graph_violation();
    base->cur_perm ^= BLK_PERM_RESIZE;
    expect_violation(msg, "'base'", "holds permissions");
    expect_valid("cur_perm restored");

    base->cur_shared &= ~BLK_PERM_WRITE_UNCHANGED;
    msg = graph_violation();
    base->cur_shared |= BLK_PERM_WRITE_UNCHANGED;
    expect_violation(msg, "'base'", "holds permissions");
    expect_valid("cur_shared restored");
    unref_nodes(top, base);
    end_test();
}

static void test_check_edge_perm_not_driver_perm(void **state)
{
    BlockDriverState *top = open_test("top"); /* checked first */
    BlockDriverState *base = open_null("base");
    BdrvChild *e = attach(top, base, "file");
    uint64_t saved = e->perm;
    char *msg;

    e->perm ^= BLK_PERM_CONSISTENT_READ;
    msg = graph_violation();
    e->perm = saved;
    expect_violation(msg, "'file'", "'top'", "instead of");
    expect_valid("edge permission restored");
    unref_nodes(top, base);
    end_test();
}

/* ---- contexts ----------------------------------------------------------- */

static void test_check_context_mismatch(void **state)
{
    BlockDriverState *top = open_test("top");
    BlockDriverState *base = open_null("base");
    AioContext *ctx = aio_context_new(&error_abort);
    AioContext *saved = base->aio_context;
    char *msg;

    attach(top, base, "file");
    base->aio_context = ctx; /* its parent stays in the main context */
    msg = graph_violation();
    base->aio_context = saved;
    aio_context_unref(ctx);
    expect_violation(msg, "'base'", "'file'", "AioContext");
    expect_valid("context restored");
    unref_nodes(top, base);
    end_test();
}

/* ---- reporting ---------------------------------------------------------- */

static void test_check_null_errp_and_recovery(void **state)
{
    BlockDriverState *base = open_null("base");
    BdrvChild *u = attach_user(base, "user", 0);
    int saved = base->refcnt;
    int bad, good;

    base->refcnt = 0; /* below its one parent */
    bad = bdrv_debug_check_graph(NULL);
    base->refcnt = saved;
    good = bdrv_debug_check_graph(NULL);
    assert_int_equal(bad, -EINVAL);
    assert_int_equal(good, 0);
    bdrv_root_unref_child(u);
    bdrv_unref(base);
    end_test();
}

/* In the child process only: break the graph, then assert it */
static void assert_broken_graph(void *opaque)
{
    BlockDriverState *base = opaque;

    base->refcnt = 1; /* only the child process's copy */
    bdrv_debug_assert_graph();
}

/* bdrv_debug_assert_graph aborts with the message on stderr */
static void test_check_assert_graph_aborts(void **state)
{
    BlockDriverState *base = open_null("base");
    BdrvChild *u1 = attach_user(base, "user1", 0);
    BdrvChild *u2 = attach_user(base, "user2", 0);

    /* The abort message names the node */
    expect_abort(assert_broken_graph, base, "'base'");
    bdrv_root_unref_child(u1);
    bdrv_root_unref_child(u2);
    bdrv_unref(base);
    end_test();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_check_valid_graphs_pass),
        T(test_check_debug_counters),
        T(test_check_edge_missing_from_child_parents),
        T(test_check_edge_missing_from_parent_children),
        T(test_check_edge_wrong_parent_pointer),
        T(test_check_user_edge_wrong_child_pointer),
        T(test_check_backing_pointer_not_a_child),
        T(test_check_refcnt_below_parents),
        T(test_check_cycle),
        T(test_check_quiesce_count_bumped),
        T(test_check_quiesce_count_below_drain_all),
        T(test_check_quiesced_flag_without_drain),
        T(test_check_unshared_perm_between_siblings),
        T(test_check_readonly_node_granted_write),
        T(test_check_node_perm_not_what_parents_need),
        T(test_check_edge_perm_not_driver_perm),
        T(test_check_context_mismatch),
        T(test_check_null_errp_and_recovery),
        T(test_check_assert_graph_aborts),
    };

    return test_common_run_group(tests, group_setup, NULL);
}
