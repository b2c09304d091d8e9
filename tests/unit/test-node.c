/*
 * Unit tests of nodes (block/core/node.c, node-info.c): creation and
 * references, node names and lookup, the node iterators, whole-graph
 * flush and close, the queries that ask a driver or fall through a
 * filter, buffer registration, cancellation and op blockers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "block/mem.h"
#include "util/cutils.h"
#include "test-common.h"

/* ---- helpers ------------------------------------------------------------ */

#define open_local(drv, name, flags)                                           \
    test_common_open_local((drv), (name), (flags))

/* The edge takes the caller's reference */
#define attach(parent, child, name, role)                                      \
    test_common_attach((parent), (child), (name), (role))

static BlockBackend *new_blk(BlockDriverState *bs, const char *name)
{
    BlockBackend *blk = blk_new(qemu_get_aio_context(), 0, BLK_PERM_ALL);
    Error *err = NULL;

    if (bs) {
        check_ok(blk_insert_bs(blk, bs, &err) == 0, &err, "blk_insert_bs");
    }
    if (name) {
        check_ok(monitor_add_blk(blk, name, &err), &err, "monitor_add_blk");
    }
    return blk;
}

/* ---- a driver local to this file, with every optional hook ------------ */

typedef struct NodeTestState {
    int flushes;
    int flush_ret;
    int registered;         /* buffers currently registered */
    bool refuse_register;
    int cancels;
    bool has_sizes;         /* probe_blocksizes / probe_geometry answer */
    BlockSizes sizes;
    HDGeometry geo;
} NodeTestState;

static NodeTestState *node_state(BlockDriverState *bs)
{
    return bs->opaque;
}

static int coroutine_fn node_drv_co_flush_to_os(BlockDriverState *bs)
{
    node_state(bs)->flushes++;
    return node_state(bs)->flush_ret;
}

static bool node_drv_register_buf(BlockDriverState *bs, void *host,
                                  size_t size, Error **errp)
{
    if (node_state(bs)->refuse_register) {
        error_setg(errp, "Node '%s' refuses to register %zu bytes",
                   bdrv_get_node_name(bs), size);
        return false;
    }
    node_state(bs)->registered++;
    return true;
}

static void node_drv_unregister_buf(BlockDriverState *bs, void *host,
                                    size_t size)
{
    node_state(bs)->registered--;
}

static void node_drv_cancel_in_flight(BlockDriverState *bs)
{
    node_state(bs)->cancels++;
}

static int node_drv_probe_blocksizes(BlockDriverState *bs, BlockSizes *bsz)
{
    if (!node_state(bs)->has_sizes) {
        return -ENOTSUP;
    }
    *bsz = node_state(bs)->sizes;
    return 0;
}

static int node_drv_probe_geometry(BlockDriverState *bs, HDGeometry *geo)
{
    if (!node_state(bs)->has_sizes) {
        return -ENOTSUP;
    }
    *geo = node_state(bs)->geo;
    return 0;
}

static BlockDriver node_drv = {
    .format_name = "node-test",
    .instance_size = sizeof(NodeTestState),
    .bdrv_co_getlength = test_common_filter_co_getlength,
    .bdrv_co_flush_to_os = node_drv_co_flush_to_os,
    .bdrv_register_buf = node_drv_register_buf,
    .bdrv_unregister_buf = node_drv_unregister_buf,
    .bdrv_cancel_in_flight = node_drv_cancel_in_flight,
    .bdrv_probe_blocksizes = node_drv_probe_blocksizes,
    .bdrv_probe_geometry = node_drv_probe_geometry,
};

/* A filter without any of these hooks (queries fall through it) over @bs */
static BlockDriverState *filter_over(const char *name, BlockDriverState *bs)
{
    BlockDriverState *f = open_local(&test_common_filter_drv, name,
                                     BDRV_O_RDWR);

    attach(f, bs, "file", BDRV_CHILD_FILTERED | BDRV_CHILD_PRIMARY);
    return f;
}

/* ---- fixtures ----------------------------------------------------------- */

static int group_setup(void **state)
{
    test_common_init(TEST_COMMON_NO_BACKEND | TEST_COMMON_NO_MONITOR_OWNED);
    return 0;
}

/* ---- creation and references -------------------------------------------- */

static void test_node_new(void **state)
{
    BlockDriverState *bs = bdrv_new();
    BlockDriverState *it = NULL;
    bool found = false;

    assert_int_equal(bdrv_debug_node_count(), nodes_before + 1);
    check_refcnt(bs, 1);
    assert_null(bs->drv);
    assert_null(bdrv_get_format_name(bs));
    assert_string_equal(bdrv_get_node_name(bs), "");
    assert_ptr_equal(bdrv_get_aio_context(bs), qemu_get_aio_context());
    assert_true(QLIST_EMPTY(&bs->children));
    assert_true(QLIST_EMPTY(&bs->parents));
    assert_true(bdrv_op_blocker_is_empty(bs));
    assert_int_equal(bs->quiesce_counter, 0);

    /* Listed among all nodes, not among the named ones */
    while ((it = bdrv_next_all_states(it))) {
        found |= it == bs;
    }
    assert_true(found);
    while ((it = bdrv_next_node(it))) {
        assert_ptr_not_equal(it, bs);
    }
    bdrv_unref(bs);
    assert_int_equal(bdrv_debug_node_count(), nodes_before);
}

static void test_node_ref_unref(void **state)
{
    BlockDriverState *bs = open_null("n");

    bdrv_ref(bs);
    bdrv_ref(bs);
    check_refcnt(bs, 3);
    bdrv_unref(bs);
    bdrv_unref(bs);
    check_refcnt(bs, 1);
    assert_ptr_equal(bdrv_find_node("n"), bs);
    bdrv_unref(bs);
    assert_null(bdrv_find_node("n"));
    assert_int_equal(bdrv_debug_node_count(), nodes_before);
    bdrv_unref(NULL); /* a no-op */
}

/* The last reference of a parent drops its children's references */
static void test_node_unref_frees_subtree(void **state)
{
    BlockDriverState *top = open_node("test", "top", BDRV_O_RDWR);
    BlockDriverState *shared = open_null("shared");

    attach(top, open_null("data"), "file",
           BDRV_CHILD_IMAGE | BDRV_CHILD_PRIMARY);
    bdrv_ref(shared);
    attach(top, shared, "backing", BDRV_CHILD_COW);
    assert_int_equal(bdrv_debug_node_count(), nodes_before + 3);

    bdrv_unref(top);
    assert_null(bdrv_find_node("top"));
    assert_null(bdrv_find_node("data"));
    assert_ptr_equal(bdrv_find_node("shared"), shared);
    check_refcnt(shared, 1);
    assert_true(QLIST_EMPTY(&shared->parents));
    bdrv_unref(shared);
}

/* ---- names and lookup --------------------------------------------------- */

static void test_node_generated_names(void **state)
{
    BlockDriverState *a = open_null(NULL);
    BlockDriverState *b = open_null(NULL);
    QDict *opts = qdict_new();
    Error *err = NULL;

    assert_int_equal(bdrv_get_node_name(a)[0], '#');
    assert_int_equal(bdrv_get_node_name(b)[0], '#');
    assert_string_not_equal(bdrv_get_node_name(a), bdrv_get_node_name(b));
    assert_ptr_equal(bdrv_find_node(bdrv_get_node_name(a)), a);
    assert_ptr_equal(bdrv_find_node(bdrv_get_node_name(b)), b);
    assert_false(bdrv_id_wellformed(bdrv_get_node_name(a)));

    /* A user cannot take a generated name */
    qdict_put_str(opts, "driver", "null-co");
    qdict_put_str(opts, "node-name", bdrv_get_node_name(a));
    assert_null(bdrv_open(NULL, NULL, opts, 0, &err));
    assert_non_null(err);
    error_free(err);

    unref_nodes(a, b);
}

static void test_node_id_wellformed(void **state)
{
    static const char *const good[] = { "a", "Z9", "a-b_c.d", "x0123" };
    static const char *const bad[] = { "", "0a", "-a", "_a", ".a", "a b",
                                       "a/b", "a:b", "#a", "a\xc3\xa9" };

    for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
        if (!bdrv_id_wellformed(good[i])) {
            fail_msg("'%s' should be a valid name", good[i]);
        }
    }
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        if (bdrv_id_wellformed(bad[i])) {
            fail_msg("'%s' should not be a valid name", bad[i]);
        }
    }
    assert_false(bdrv_id_wellformed(NULL));
}

static void test_node_find_node(void **state)
{
    BlockDriverState *a = open_null("alpha");
    BlockDriverState *b = open_null("beta");

    assert_ptr_equal(bdrv_find_node("alpha"), a);
    assert_ptr_equal(bdrv_find_node("beta"), b);
    assert_null(bdrv_find_node("gamma"));
    assert_null(bdrv_find_node("Alpha")); /* case matters */
    assert_null(bdrv_find_node(""));
    bdrv_unref(a);
    assert_null(bdrv_find_node("alpha"));
    assert_ptr_equal(bdrv_find_node("beta"), b);
    bdrv_unref(b);
}

static void test_node_lookup_bs(void **state)
{
    BlockDriverState *a = open_null("na");
    BlockDriverState *b = open_null("nb");
    BlockBackend *dev = new_blk(a, "dev");
    BlockBackend *empty = new_blk(NULL, "empty");
    Error *err = NULL;

    assert_ptr_equal(bdrv_lookup_bs("dev", NULL, &err), a);
    assert_ptr_equal(bdrv_lookup_bs(NULL, "nb", &err), b);
    assert_ptr_equal(bdrv_lookup_bs("dev", "nb", &err), a);
    /* An unknown device falls back to the node name */
    assert_ptr_equal(bdrv_lookup_bs("nodev", "nb", &err), b);
    assert_null(err);

    assert_null(bdrv_lookup_bs("empty", NULL, &err));
    check_error(&err, "Device 'empty' has no medium");
    assert_null(bdrv_lookup_bs("nodev", "nonode", &err));
    check_error(&err, "Cannot find device='nodev' nor node-name='nonode'");
    assert_null(bdrv_lookup_bs(NULL, "nonode", &err));
    check_error(&err, "Cannot find device='' nor node-name='nonode'");
    assert_null(bdrv_lookup_bs(NULL, NULL, &err));
    check_error(&err, "Cannot find device='' nor node-name=''");
    /* A device name is not a node name, and the other way round */
    assert_null(bdrv_lookup_bs(NULL, "dev", &err));
    check_error(&err, "Cannot find device='' nor node-name='dev'");
    assert_null(bdrv_lookup_bs("nb", NULL, &err));
    check_error(&err, "Cannot find device='nb' nor node-name=''");

    assert_string_equal(bdrv_get_device_name(a), "dev");
    assert_string_equal(bdrv_get_device_or_node_name(a), "dev");
    assert_string_equal(bdrv_get_device_name(b), "");
    assert_string_equal(bdrv_get_device_or_node_name(b), "nb");

    blk_unref(dev);
    blk_unref(empty);
    unref_nodes(a, b);
}

/* ---- iteration ---------------------------------------------------------- */

static void test_node_next_node_and_all_states(void **state)
{
    const char *names[] = { "n1", "n2", "n3" };
    BlockDriverState *bs[3];
    BlockDriverState *anon = bdrv_new();
    BlockDriverState *it = NULL;
    int named = 0, all = 0;

    for (int i = 0; i < 3; i++) {
        bs[i] = open_null(names[i]);
    }
    /* Named nodes, in creation order */
    while ((it = bdrv_next_node(it))) {
        assert_true(named < 3);
        assert_ptr_equal(it, bs[named]);
        named++;
    }
    assert_int_equal(named, 3);
    while ((it = bdrv_next_all_states(it))) {
        all++;
    }
    assert_int_equal(all, 4);

    bdrv_unref(bs[1]);
    it = bdrv_next_node(NULL);
    assert_ptr_equal(it, bs[0]);
    assert_ptr_equal(bdrv_next_node(it), bs[2]);
    assert_null(bdrv_next_node(bs[2]));

    bdrv_unref(bs[0]);
    bdrv_unref(bs[2]);
    bdrv_unref(anon);
    assert_null(bdrv_next_node(NULL));
}

static void test_node_monitor_owned(void **state)
{
    BlockDriverState *a = open_null("ma");
    BlockDriverState *b = open_null("mb");

    assert_null(bdrv_next_monitor_owned(NULL));
    bdrv_monitor_add(a);
    bdrv_monitor_add(b);
    check_refcnt(a, 2);
    assert_ptr_equal(bdrv_next_monitor_owned(NULL), a);
    assert_ptr_equal(bdrv_next_monitor_owned(a), b);
    assert_null(bdrv_next_monitor_owned(b));

    /* The monitor's reference keeps a node alive */
    bdrv_unref(a);
    assert_ptr_equal(bdrv_find_node("ma"), a);
    bdrv_monitor_remove(a);
    assert_null(bdrv_find_node("ma"));
    assert_ptr_equal(bdrv_next_monitor_owned(NULL), b);
    bdrv_monitor_remove(b);
    check_refcnt(b, 1);
    bdrv_unref(b);
}

/*
 * bdrv_first/bdrv_next: the roots of the backends, then the monitor-owned
 * nodes not already seen as a backend's root, each once.
 */
static void test_node_first_next(void **state)
{
    BlockDriverState *a = open_null("ra");
    BlockDriverState *b = open_null("rb");
    BlockDriverState *c = open_null("rc");
    BlockDriverState *d = open_null("rd");
    BlockBackend *named = new_blk(a, "dev-a");
    BlockBackend *anon = new_blk(c, NULL);
    BlockBackend *none = new_blk(NULL, "dev-none");
    BlockDriverState *seen[8];
    int refs_during[8];
    char order[128] = "";
    int n = 0;
    BdrvNextIterator it;

    bdrv_monitor_add(a); /* also the root of "dev-a" */
    bdrv_monitor_add(b);
    bdrv_monitor_add(c); /* also the root of an unnamed backend */
    bdrv_monitor_add(d);

    for (BlockDriverState *bs = bdrv_first(&it); bs; bs = bdrv_next(&it)) {
        if (n < 8) {
            refs_during[n] = bs->refcnt;
            seen[n] = bs;
            pstrcat(order, sizeof(order), n ? ", " : "");
            pstrcat(order, sizeof(order), bdrv_get_node_name(bs));
        }
        n++;
    }
    /* A finished iteration holds no reference */
    check_refcnt(a, 3);
    check_refcnt(b, 2);

    /* Stopping early: bdrv_next_cleanup drops what the iterator holds */
    assert_ptr_equal(bdrv_first(&it), a);
    check_refcnt(a, 4);
    bdrv_next_cleanup(&it);
    check_refcnt(a, 3);

    bdrv_monitor_remove(a);
    bdrv_monitor_remove(b);
    bdrv_monitor_remove(c);
    bdrv_monitor_remove(d);
    blk_unref(named);
    blk_unref(anon);
    blk_unref(none);
    unref_nodes(a, b, c, d);

    if (n != 4) {
        fail_msg("bdrv_first/bdrv_next returned %d nodes (%s), expected "
                 "4 (ra, rc, rb, rd: each once)", n, order);
    }
    assert_ptr_equal(seen[0], a);
    assert_ptr_equal(seen[1], c);
    assert_ptr_equal(seen[2], b);
    assert_ptr_equal(seen[3], d);
    /* The iterator held a reference to the node it returned */
    assert_int_equal(refs_during[0], 4);
    assert_int_equal(refs_during[2], 3);
}

/* ---- whole-graph operations -------------------------------------------- */

static void test_node_flush_all(void **state)
{
    BlockDriverState *n1 = open_local(&node_drv, "fl1", BDRV_O_RDWR);
    BlockDriverState *n2 = open_local(&node_drv, "fl2", BDRV_O_RDWR);
    BlockDriverState *n3 = open_local(&node_drv, "fl3", BDRV_O_RDWR);
    BlockDriverState *ro = open_local(&node_drv, "flro", 0);

    assert_int_equal(bdrv_flush_all(), 0);
    assert_int_equal(node_state(n1)->flushes, 1);
    assert_int_equal(node_state(n2)->flushes, 1);
    assert_int_equal(node_state(n3)->flushes, 1);
    /* Read-only nodes have nothing to flush */
    assert_int_equal(node_state(ro)->flushes, 0);

    /* The first error is returned, and every node is still flushed */
    node_state(n2)->flush_ret = -EIO;
    node_state(n3)->flush_ret = -ENOSPC;
    assert_int_equal(bdrv_flush_all(), -EIO);
    assert_int_equal(node_state(n1)->flushes, 2);
    assert_int_equal(node_state(n2)->flushes, 2);
    assert_int_equal(node_state(n3)->flushes, 2);
    node_state(n2)->flush_ret = 0;
    node_state(n3)->flush_ret = 0;

    unref_nodes(n1, n2, n3, ro);
}

static void test_node_close_all(void **state)
{
    BlockDriverState *a = open_null("ca");
    BlockDriverState *b = open_null("cb");
    BlockDriverState *c = open_node("test", "cc", BDRV_O_RDWR);
    BlockBackend *blk = new_blk(a, "dev-close");

    bdrv_unref(a); /* the backend keeps it */
    bdrv_monitor_add(b);
    bdrv_unref(b); /* the monitor keeps it */
    attach(c, open_null("cd"), "file", BDRV_CHILD_IMAGE | BDRV_CHILD_PRIMARY);
    bdrv_monitor_add(c);
    bdrv_unref(c);

    bdrv_close_all();
    assert_null(blk_bs(blk));
    assert_null(bdrv_next_monitor_owned(NULL));
    assert_int_equal(bdrv_debug_node_count(), nodes_before);
    assert_null(bdrv_find_node("cd"));
    /* The backend itself survives, empty */
    assert_ptr_equal(blk_by_name("dev-close"), blk);
    blk_unref(blk);
}

/* ---- queries ------------------------------------------------------------ */

static void test_node_has_zero_init(void **state)
{
    QDict *opts = qdict_new();
    BlockDriverState *zero, *nonzero, *mem, *f, *empty_f, *top, *anon;

    qdict_put_str(opts, "driver", "null-co");
    qdict_put_str(opts, "node-name", "zero");
    qdict_put_str(opts, "read-zeroes", "on");
    zero = open_ok(NULL, opts, BDRV_O_RDWR);
    nonzero = open_null("nonzero");
    assert_int_equal(mem_image_set("zi", NULL, 512, NULL), 0);
    opts = qdict_new();
    qdict_put_str(opts, "driver", "mem");
    qdict_put_str(opts, "filename", "zi");
    mem = open_ok(NULL, opts, 0);
    mem_image_delete("zi");
    anon = bdrv_new();

    assert_int_equal(bdrv_has_zero_init(zero), 1);
    assert_int_equal(bdrv_has_zero_init(nonzero), 0);
    assert_int_equal(bdrv_has_zero_init(mem), 1);
    assert_int_equal(bdrv_has_zero_init(anon), 0);
    assert_int_equal(bdrv_has_zero_init_1(nonzero), 1);
    assert_int_equal(bdrv_has_zero_init_1(anon), 1);

    /* A filter without its own answer asks its child */
    bdrv_ref(zero);
    f = filter_over("f", zero);
    assert_int_equal(bdrv_has_zero_init(f), 1);
    empty_f = open_local(&test_common_filter_drv, "ef", BDRV_O_RDWR);
    assert_int_equal(bdrv_has_zero_init(empty_f), 0);

    /* An overlay reads unallocated areas from its backing file */
    top = open_node("test", "top", BDRV_O_RDWR);
    assert_int_equal(bdrv_has_zero_init(top), 1);
    bdrv_ref(zero);
    attach(top, zero, "backing", BDRV_CHILD_COW);
    assert_int_equal(bdrv_has_zero_init(top), 0);

    unref_nodes(top, f, mem, empty_f, anon, nonzero, zero);
}

static void test_node_probe_sizes(void **state)
{
    BlockDriverState *null = open_null("pnull");
    BlockDriverState *geo = open_local(&node_drv, "pgeo", 0);
    BlockDriverState *anon = bdrv_new();
    BlockDriverState *f;
    BlockSizes bsz = { 0, 0 };
    HDGeometry hd = { 0, 0, 0 };

    assert_int_equal(bdrv_probe_blocksizes(null, &bsz), -ENOTSUP);
    assert_int_equal(bdrv_probe_geometry(null, &hd), -ENOTSUP);
    assert_int_equal(bdrv_probe_blocksizes(anon, &bsz), -ENOTSUP);
    assert_int_equal(bdrv_probe_geometry(anon, &hd), -ENOTSUP);
    /* The driver's answer, also through a filter */
    assert_int_equal(bdrv_probe_blocksizes(geo, &bsz), -ENOTSUP);
    node_state(geo)->has_sizes = true;
    node_state(geo)->sizes = (BlockSizes){ .phys = 4096, .log = 512 };
    node_state(geo)->geo = (HDGeometry){ 16, 63, 1000 };
    bdrv_ref(geo);
    f = filter_over("pf", geo);
    for (int i = 0; i < 2; i++) {
        BlockDriverState *bs = i ? f : geo;
        bsz = (BlockSizes){ 0, 0 };
        hd = (HDGeometry){ 0, 0, 0 };
        assert_int_equal(bdrv_probe_blocksizes(bs, &bsz), 0);
        assert_int_equal(bsz.phys, 4096);
        assert_int_equal(bsz.log, 512);
        assert_int_equal(bdrv_probe_geometry(bs, &hd), 0);
        assert_int_equal(hd.heads, 16);
        assert_int_equal(hd.sectors, 63);
        assert_int_equal(hd.cylinders, 1000);
    }

    unref_nodes(f, geo, anon, null);
}

/* Registration goes down the whole subtree and is undone on failure */
static void test_node_register_buf(void **state)
{
    BlockDriverState *p = open_local(&node_drv, "rp", BDRV_O_RDWR);
    BlockDriverState *c1 = open_local(&node_drv, "rc1", BDRV_O_RDWR);
    BlockDriverState *c2 = open_local(&node_drv, "rc2", BDRV_O_RDWR);
    BlockDriverState *c3 = open_local(&node_drv, "rc3", BDRV_O_RDWR);
    char buf[4096];
    Error *err = NULL;

    attach(p, c1, "c1", BDRV_CHILD_DATA);
    attach(p, open_null("rnull"), "cnull", BDRV_CHILD_DATA);
    attach(p, c2, "c2", BDRV_CHILD_DATA);
    attach(c2, c3, "c3", BDRV_CHILD_DATA);

    check_ok(bdrv_register_buf(p, buf, sizeof(buf), &err), &err,
             "bdrv_register_buf");
    assert_int_equal(node_state(p)->registered, 1);
    assert_int_equal(node_state(c1)->registered, 1);
    assert_int_equal(node_state(c2)->registered, 1);
    assert_int_equal(node_state(c3)->registered, 1);
    bdrv_unregister_buf(p, buf, sizeof(buf));
    assert_int_equal(node_state(p)->registered, 0);
    assert_int_equal(node_state(c1)->registered, 0);
    assert_int_equal(node_state(c2)->registered, 0);
    assert_int_equal(node_state(c3)->registered, 0);

    /* A refusal deep down: everything registered so far is undone */
    node_state(c3)->refuse_register = true;
    assert_false(bdrv_register_buf(p, buf, sizeof(buf), &err));
    check_error(&err, "Node 'rc3' refuses to register 4096 bytes");
    if (node_state(p)->registered || node_state(c1)->registered ||
        node_state(c2)->registered || node_state(c3)->registered) {
        fail_msg("After a refused registration: p=%d c1=%d c2=%d c3=%d "
                 "buffers still registered", node_state(p)->registered,
                 node_state(c1)->registered, node_state(c2)->registered,
                 node_state(c3)->registered);
    }

    /* A refusal at the top registers nothing below */
    node_state(c3)->refuse_register = false;
    node_state(p)->refuse_register = true;
    assert_false(bdrv_register_buf(p, buf, sizeof(buf), &err));
    check_error(&err, "Node 'rp' refuses to register 4096 bytes");
    assert_int_equal(node_state(c1)->registered, 0);

    bdrv_unref(p);
}

static void test_node_cancel_in_flight(void **state)
{
    BlockDriverState *bs = open_local(&node_drv, "cf", BDRV_O_RDWR);
    BlockDriverState *null = open_null("cnull");
    BlockDriverState *anon = bdrv_new();

    bdrv_cancel_in_flight(bs);
    bdrv_cancel_in_flight(bs);
    assert_int_equal(node_state(bs)->cancels, 2);
    /* No driver hook, no driver, no node: nothing happens */
    bdrv_cancel_in_flight(null);
    bdrv_cancel_in_flight(anon);
    bdrv_cancel_in_flight(NULL);

    unref_nodes(anon, null, bs);
}

/* ---- op blockers -------------------------------------------------------- */

static void test_node_op_blockers(void **state)
{
    BlockDriverState *bs = open_null("busy");
    Error *reason = NULL;
    Error *reason2 = NULL;
    Error *err = NULL;

    error_setg(&reason, "Node is used by job 'j0'");
    error_setg(&reason2, "Node is being mirrored");
    assert_true(bdrv_op_blocker_is_empty(bs));
    for (int op = 0; op < BLOCK_OP_TYPE_MAX; op++) {
        assert_false(bdrv_op_is_blocked(bs, op, &err));
    }
    assert_null(err);

    bdrv_op_block(bs, BLOCK_OP_TYPE_RESIZE, reason);
    assert_false(bdrv_op_blocker_is_empty(bs));
    assert_true(bdrv_op_is_blocked(bs, BLOCK_OP_TYPE_RESIZE, &err));
    check_error(&err, "Node 'busy' is busy: Node is used by job 'j0' "
                      "(operation 'resize' is blocked)");
    assert_true(bdrv_op_is_blocked(bs, BLOCK_OP_TYPE_RESIZE, NULL));
    assert_false(bdrv_op_is_blocked(bs, BLOCK_OP_TYPE_COMMIT_SOURCE, &err));
    assert_null(err);

    /* Two blockers on one op: it stays blocked until both are gone */
    bdrv_op_block(bs, BLOCK_OP_TYPE_RESIZE, reason2);
    bdrv_op_unblock(bs, BLOCK_OP_TYPE_RESIZE, reason);
    assert_true(bdrv_op_is_blocked(bs, BLOCK_OP_TYPE_RESIZE, &err));
    check_error(&err, "Node 'busy' is busy: Node is being mirrored "
                      "(operation 'resize' is blocked)");
    bdrv_op_unblock(bs, BLOCK_OP_TYPE_RESIZE, reason2);
    assert_true(bdrv_op_blocker_is_empty(bs));

    /* All of them; the message names each operation */
    bdrv_op_block_all(bs, reason);
    for (int op = 0; op < BLOCK_OP_TYPE_MAX; op++) {
        assert_true(bdrv_op_is_blocked(bs, op, NULL));
    }
    assert_true(bdrv_op_is_blocked(bs, BLOCK_OP_TYPE_EXTERNAL_SNAPSHOT,
                                   &err));
    check_error(&err, "Node 'busy' is busy: Node is used by job 'j0' "
                      "(operation 'external-snapshot' is blocked)");
    assert_true(bdrv_op_is_blocked(bs, BLOCK_OP_TYPE_REPLACE, &err));
    check_error(&err, "Node 'busy' is busy: Node is used by job 'j0' "
                      "(operation 'replace' is blocked)");
    /* Unblocking another reason changes nothing */
    bdrv_op_unblock_all(bs, reason2);
    assert_true(bdrv_op_is_blocked(bs, BLOCK_OP_TYPE_BACKUP_SOURCE, NULL));
    bdrv_op_unblock_all(bs, reason);
    assert_true(bdrv_op_blocker_is_empty(bs));

    error_free(reason);
    error_free(reason2);
    bdrv_unref(bs);
}

/* The message names the device rather than the node when there is one */
static void test_node_op_blockers_device_name(void **state)
{
    BlockDriverState *bs = open_null("busy");
    BlockBackend *blk = new_blk(bs, "dev-busy");
    Error *reason = NULL;
    Error *err = NULL;

    error_setg(&reason, "Device is in use");
    bdrv_op_block(bs, BLOCK_OP_TYPE_EJECT, reason);
    assert_true(bdrv_op_is_blocked(bs, BLOCK_OP_TYPE_EJECT, &err));
    check_error(&err, "Node 'dev-busy' is busy: Device is in use "
                      "(operation 'eject' is blocked)");
    bdrv_op_unblock(bs, BLOCK_OP_TYPE_EJECT, reason);
    error_free(reason);

    blk_unref(blk);
    bdrv_unref(bs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_node_new),
        T(test_node_ref_unref),
        T(test_node_unref_frees_subtree),
        T(test_node_generated_names),
        T(test_node_id_wellformed),
        T(test_node_find_node),
        T(test_node_lookup_bs),
        T(test_node_next_node_and_all_states),
        T(test_node_monitor_owned),
        T(test_node_first_next),
        T(test_node_flush_all),
        T(test_node_close_all),
        T(test_node_has_zero_init),
        T(test_node_probe_sizes),
        T(test_node_register_buf),
        T(test_node_cancel_in_flight),
        T(test_node_op_blockers),
        T(test_node_op_blockers_device_name),
    };

    return test_common_run_group(tests, group_setup, NULL);
}
