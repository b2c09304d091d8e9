/*
 * Unit tests of permissions (block/core/perms.c) as graph changes see
 * them: REFERENCE.md behaviours 15 (checks use every node's new
 * permissions), 18 (parents refreshed before children) and 19 (no check in
 * an intermediate state), plus conflict messages, read-only nodes,
 * bdrv_child_try_set_perm and blk_set_perm.  Behaviour 20 (complete
 * rollback, file locks included) is in test-perms-rollback.c; the helpers
 * both share are in perms-common.h.
 *
 * Besides the tree's drivers, small drivers local to the tests give exact
 * control over what a node asks of its children: a pass-through filter
 * (test-common.h) and, here, an "exclusive" filter that never shares WRITE
 * below it and a "switch" node that writes exclusively to one selected
 * child.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "perms-common.h"
#include "block/test-driver.h"
#include "util/cutils.h"

/* ---- drivers local to this file ----------------------------------------- */

/* Never lets anyone else write below it */
static void perms_excl_child_perm(BlockDriverState *bs, BdrvChild *c,
                                  BdrvChildRole role, BlockReopenQueue *rq,
                                  uint64_t perm, uint64_t shared,
                                  uint64_t *nperm, uint64_t *nshared)
{
    bdrv_filter_default_perms(bs, c, role, rq, perm, shared, nperm, nshared);
    *nshared &= ~(uint64_t)BLK_PERM_WRITE;
}

/* Its own writes: exclusive on the selected child, nothing on the others */
static void perms_switch_child_perm(BlockDriverState *bs, BdrvChild *c,
                                    BdrvChildRole role, BlockReopenQueue *rq,
                                    uint64_t perm, uint64_t shared,
                                    uint64_t *nperm, uint64_t *nshared)
{
    PermsNodeState *s = bs->opaque;

    if (!strcmp(c->name, s->selected)) {
        *nperm = PERM_RW;
        *nshared = SHARE_NO_WRITE;
    } else {
        *nperm = 0;
        *nshared = BLK_PERM_ALL;
    }
}

static BlockDriver perms_excl_drv = {
    .format_name = "perms-excl-filter",
    .instance_size = sizeof(PermsNodeState),
    .is_filter = true,
    .bdrv_co_getlength = perms_node_co_getlength,
    .bdrv_child_perm = perms_excl_child_perm,
};

static BlockDriver perms_switch_drv = {
    .format_name = "perms-switch",
    .instance_size = sizeof(PermsNodeState),
    .bdrv_co_getlength = perms_node_co_getlength,
    .bdrv_child_perm = perms_switch_child_perm,
};

/* A filter node over @child (the filter's edge takes a new reference) */
static BlockDriverState *filter_over(BlockDriver *drv, const char *name,
                                     BlockDriverState *child)
{
    BlockDriverState *bs = open_local(drv, name);

    bdrv_ref(child);
    attach(bs, child, "file", BDRV_CHILD_FILTERED | BDRV_CHILD_PRIMARY);
    return bs;
}

/* A parent that is not a node and whose edge stays put, like a job's */
static char *job_get_parent_desc(BdrvChild *c)
{
    return g_strdup_printf("job '%s'", (const char *)c->opaque);
}

static const BdrvChildClass job_class = {
    .parent_is_bds = false,
    .stay_at_node = true,
    .get_parent_desc = job_get_parent_desc,
};

static BdrvChild *job_attach(BlockDriverState *bs, const char *job,
                             uint64_t perm, uint64_t shared)
{
    Error *err = NULL;
    BdrvChild *c;

    bdrv_ref(bs);
    c = bdrv_root_attach_child(bs, "job", &job_class, BDRV_CHILD_DATA, perm,
                               shared, (void *)job, &err);
    check_ok(c != NULL, &err, "Attaching the job edge");
    return c;
}

/* ---- fixtures ----------------------------------------------------------- */

static int group_setup(void **state)
{
    test_common_init(PERMS_CHECKS);
    return 0;
}

/* ---- conflicts, read-only nodes, the setters --------------------------- */

/* The message names the node, the permissions and both users */
static void test_perm_conflict_message(void **state)
{
    BlockDriverState *base = open_null("base");
    BlockDriverState *a = open_node("test", "a", BDRV_O_RDWR);
    BlockDriverState *b = open_node("test", "b", BDRV_O_RDWR);
    Error *err = NULL;

    bdrv_ref(base);
    attach(a, base, "file", BDRV_CHILD_IMAGE | BDRV_CHILD_PRIMARY);
    bdrv_ref(base);
    assert_null(bdrv_attach_child(b, base, "file", &child_of_bds,
                                  BDRV_CHILD_IMAGE | BDRV_CHILD_PRIMARY,
                                  &err));
    check_error(&err, "Permission conflict on node 'base': permissions "
                      "'write, resize' are both required by node 'b' (uses "
                      "node 'base' as 'file' child) and unshared by node "
                      "'a' (uses node 'base' as 'file' child)");
    check_refcnt(base, 2);
    assert_null(b->file);

    unref_nodes(a, b, base);
}

/* Backend users are described by their device names */
static void test_perm_conflict_message_backends(void **state)
{
    BlockDriverState *base = open_null("base");
    BlockBackend *w = new_blk(base, PERM_RW, SHARE_NO_WRITE);
    BlockBackend *r = blk_new(qemu_get_aio_context(), PERM_RW, BLK_PERM_ALL);
    Error *err = NULL;

    check_ok(monitor_add_blk(w, "dev-w", &err), &err, "monitor_add_blk");
    check_ok(monitor_add_blk(r, "dev-r", &err), &err, "monitor_add_blk");
    assert_int_equal(blk_insert_bs(r, base, &err), -EPERM);
    check_error_has(&err, "node 'base'", "'write'", "block device 'dev-r'",
                    "block device 'dev-w'", NULL);
    assert_null(blk_bs(r));
    check_refcnt(base, 2);

    blk_unref(r);
    blk_unref(w);
    bdrv_unref(base);
}

static void test_perm_read_only_node_refuses_write(void **state)
{
    BlockDriverState *ro = open_node("null-co", "ro", 0);
    BlockDriverState *p = open_node("test", "p", BDRV_O_RDWR);
    BlockBackend *w = blk_new(qemu_get_aio_context(), PERM_RW, BLK_PERM_ALL);
    BlockBackend *wu = blk_new(qemu_get_aio_context(),
                               BLK_PERM_WRITE_UNCHANGED, BLK_PERM_ALL);
    BlockBackend *r;
    uint64_t perm, shared;
    Error *err = NULL;

    assert_true(bdrv_is_read_only(ro));
    assert_int_equal(blk_insert_bs(w, ro, &err), -EPERM);
    check_error(&err, "Block node is read-only");
    assert_int_equal(blk_insert_bs(wu, ro, &err), -EPERM);
    check_error(&err, "Block node is read-only");
    assert_null(blk_bs(w));
    check_refcnt(ro, 1);

    /* Reading is fine; upgrading to writing is not, and changes nothing */
    r = new_blk(ro, BLK_PERM_CONSISTENT_READ, BLK_PERM_ALL);
    assert_int_equal(blk_set_perm(r, PERM_RW, BLK_PERM_ALL, &err), -EPERM);
    check_error(&err, "Block node is read-only");
    blk_get_perm(r, &perm, &shared);
    check_perm("backend perm", perm, BLK_PERM_CONSISTENT_READ);
    check_perm("root edge perm", blk_root(r)->perm, BLK_PERM_CONSISTENT_READ);
    check_perm("node perm", ro->cur_perm, BLK_PERM_CONSISTENT_READ);

    /* A writable format needs to write its metadata: refused too */
    bdrv_ref(ro);
    assert_null(bdrv_attach_child(p, ro, "file", &child_of_bds,
                                  BDRV_CHILD_IMAGE | BDRV_CHILD_PRIMARY,
                                  &err));
    check_error(&err, "Block node is read-only");
    check_refcnt(ro, 2);

    blk_unref(r);
    blk_unref(wu);
    blk_unref(w);
    unref_nodes(p, ro);
}

static void test_perm_blk_set_perm(void **state)
{
    BlockDriverState *base = open_null("base");
    BlockBackend *a = new_blk(base, BLK_PERM_CONSISTENT_READ, BLK_PERM_ALL);
    BlockBackend *b = new_blk(base, BLK_PERM_CONSISTENT_READ, BLK_PERM_ALL);
    uint64_t perm, shared;
    Error *err = NULL;

    check_ok(blk_set_perm(a, PERM_RW, BLK_PERM_ALL, &err) == 0, &err,
             "blk_set_perm");
    blk_get_perm(a, &perm, &shared);
    check_perm("a perm", perm, PERM_RW);
    check_perm("a root edge perm", blk_root(a)->perm, PERM_RW);
    check_perm("base perm", base->cur_perm, PERM_RW);

    /* b may not stop sharing what a holds; nothing changes */
    assert_int_equal(blk_set_perm(b, BLK_PERM_CONSISTENT_READ,
                                  SHARE_NO_WRITE, &err), -EPERM);
    check_error_has(&err, "Permission conflict on node 'base'", "'write'",
                    NULL);
    blk_get_perm(b, &perm, &shared);
    check_perm("b perm", perm, BLK_PERM_CONSISTENT_READ);
    check_perm("b shared", shared, BLK_PERM_ALL);
    check_perm("b root edge shared", blk_root(b)->shared_perm, BLK_PERM_ALL);
    check_perm("base shared", base->cur_shared, BLK_PERM_ALL);

    /* Once a stops writing, b may */
    check_ok(blk_set_perm(a, BLK_PERM_CONSISTENT_READ, BLK_PERM_ALL, &err) ==
             0, &err, "blk_set_perm a");
    check_ok(blk_set_perm(b, BLK_PERM_CONSISTENT_READ, SHARE_NO_WRITE,
                          &err) == 0, &err, "blk_set_perm b");
    check_perm("base shared", base->cur_shared, SHARE_NO_WRITE);
    check_perm("base perm", base->cur_perm, BLK_PERM_CONSISTENT_READ);

    /* Without a node the backend just records its permissions */
    blk_remove_bs(a);
    check_ok(blk_set_perm(a, PERM_RW, BLK_PERM_ALL, &err) == 0, &err,
             "blk_set_perm without node");
    blk_get_perm(a, &perm, &shared);
    check_perm("a perm", perm, PERM_RW);
    assert_int_equal(blk_insert_bs(a, base, &err), -EPERM);
    check_error_has(&err, "Permission conflict on node 'base'", NULL);

    blk_unref(a);
    blk_unref(b);
    bdrv_unref(base);
}

static void test_perm_child_try_set_perm(void **state)
{
    BlockDriverState *base = open_null("base");
    BlockBackend *blk = new_blk(base, BLK_PERM_CONSISTENT_READ,
                                SHARE_NO_WRITE);
    BdrvChild *job = job_attach(base, "J", BLK_PERM_CONSISTENT_READ,
                                BLK_PERM_ALL);
    Error *err = NULL;

    assert_int_equal(bdrv_child_try_set_perm(job, PERM_RW, BLK_PERM_ALL,
                                             &err), -EPERM);
    check_error(&err, "Permission conflict on node 'base': permissions "
                      "'write' are both required by job 'J' (uses node "
                      "'base' as 'job' child) and unshared by a block "
                      "device (uses node 'base' as 'root' child)");
    check_perm("job perm", job->perm, BLK_PERM_CONSISTENT_READ);
    check_perm("job shared", job->shared_perm, BLK_PERM_ALL);
    check_perm("base perm", base->cur_perm, BLK_PERM_CONSISTENT_READ);

    check_ok(bdrv_child_try_set_perm(job, BLK_PERM_CONSISTENT_READ |
                                     BLK_PERM_RESIZE, BLK_PERM_ALL, &err) ==
             0, &err, "bdrv_child_try_set_perm");
    check_perm("job perm", job->perm,
               BLK_PERM_CONSISTENT_READ | BLK_PERM_RESIZE);
    check_perm("base perm", base->cur_perm,
               BLK_PERM_CONSISTENT_READ | BLK_PERM_RESIZE);

    bdrv_root_unref_child(job);
    check_perm("base perm", base->cur_perm, BLK_PERM_CONSISTENT_READ);
    blk_unref(blk);
    bdrv_unref(base);
}

/*
 * force-share: a read-only user that lets anyone else do anything.  It is
 * the child node's option that counts (its storage inherits it), not the
 * parent's: see test-perms-default.c for a parent-only force-share.
 */
static void test_perm_force_share(void **state)
{
    QDict *opts = qdict_new();
    BlockDriverState *fs;
    Error *err = NULL;

    qdict_put_str(opts, "driver", "test");
    qdict_put_str(opts, "node-name", "fs");
    qdict_put_str(opts, "file.driver", "null-co");
    qdict_put_str(opts, "force-share", "on");
    qdict_put_str(opts, "read-only", "on");
    fs = bdrv_open(NULL, NULL, opts, 0, &err);
    check_ok(fs != NULL, &err, "Opening with force-share");
    assert_true(fs->force_share);
    assert_true(fs->file->bs->force_share);
    check_perm("force-share edge shared", fs->file->shared_perm,
               BLK_PERM_ALL);
    assert_false(fs->file->perm & BLK_PERM_WRITE);
    bdrv_unref(fs);
}

/* ---- 15: the check sees every node's new permissions ------------------- */

/*
 * base has a writer backend and a job writing through an edge that stays
 * at base.  Appending an exclusive filter moves the backend up: its edge
 * then wants WRITE and shares no WRITE while the job writes.  Checked with
 * the filter's old (empty) permissions, this would pass.
 */
static void test_perm_b15_append_excl_filter_two_writers_fails(void **state)
{
    BlockDriverState *base = open_null("base");
    BlockDriverState *f = open_local(&perms_excl_drv, "excl");
    BlockBackend *blk = new_blk(base, BLK_PERM_WRITE, BLK_PERM_ALL);
    BdrvChild *job = job_attach(base, "J", BLK_PERM_WRITE, BLK_PERM_ALL);
    Error *err = NULL;

    assert_int_equal(bdrv_append(f, base, &err), -EPERM);
    check_error(&err, "Permission conflict on node 'base': permissions "
                      "'write' are both required by job 'J' (uses node "
                      "'base' as 'job' child) and unshared by node 'excl' "
                      "(uses node 'base' as 'file' child)");

    /* Complete rollback */
    assert_ptr_equal(blk_bs(blk), base);
    assert_ptr_equal(job->bs, base);
    assert_null(f->file);
    assert_true(QLIST_EMPTY(&f->children));
    assert_int_equal(count_parents(base), 2);
    assert_int_equal(count_parents(f), 0);
    check_refcnt(base, 3);
    check_refcnt(f, 1);
    check_perm("blk edge perm", blk_root(blk)->perm, BLK_PERM_WRITE);
    check_perm("base perm", base->cur_perm, BLK_PERM_WRITE);
    check_perm("base shared", base->cur_shared, BLK_PERM_ALL);
    check_perm("filter perm", f->cur_perm, 0);
    assert_int_equal(base->quiesce_counter, 0);
    assert_int_equal(f->quiesce_counter, 0);

    bdrv_root_unref_child(job);
    blk_unref(blk);
    unref_nodes(f, base);
}

/* The same append succeeds when the job only reads; the new edge is used */
static void test_perm_b15_append_excl_filter_reader_ok(void **state)
{
    BlockDriverState *base = open_null("base");
    BlockDriverState *f = open_local(&perms_excl_drv, "excl");
    BlockBackend *blk = new_blk(base, PERM_RW, BLK_PERM_ALL);
    BdrvChild *job = job_attach(base, "J", BLK_PERM_CONSISTENT_READ,
                                BLK_PERM_ALL);
    Error *err = NULL;

    check_ok(bdrv_append(f, base, &err) == 0, &err, "bdrv_append");
    assert_ptr_equal(blk_bs(blk), f);
    assert_ptr_equal(job->bs, base);
    check_perm("filter edge perm", f->file->perm, PERM_RW);
    check_perm("filter edge shared", f->file->shared_perm, SHARE_NO_WRITE);
    check_perm("base shared", base->cur_shared, SHARE_NO_WRITE);

    /* And the job can no longer start writing */
    assert_int_equal(bdrv_child_try_set_perm(job, PERM_RW, BLK_PERM_ALL,
                                             &err), -EPERM);
    check_error_has(&err, "node 'base'", "job 'J'", "node 'excl'", NULL);
    check_perm("job perm", job->perm, BLK_PERM_CONSISTENT_READ);

    bdrv_root_unref_child(job);
    blk_unref(blk);
    unref_nodes(f, base);
}

/*
 * A filter that already has an exclusive writer above it cannot be
 * appended over a node with another writer: the two would meet on the
 * filter.
 */
static void test_perm_b15_append_filter_with_own_writer_fails(void **state)
{
    BlockDriverState *base = open_null("base");
    BlockDriverState *f = open_local(&perms_filter_drv, "f");
    BlockBackend *fw = new_blk(f, PERM_RW, SHARE_NO_WRITE);
    BlockBackend *bw = new_blk(base, PERM_RW, BLK_PERM_ALL);
    Error *err = NULL;

    check_ok(monitor_add_blk(fw, "dev-f", &err), &err, "monitor_add_blk");
    check_ok(monitor_add_blk(bw, "dev-base", &err), &err, "monitor_add_blk");
    assert_int_equal(bdrv_append(f, base, &err), -EPERM);
    check_error_has(&err, "Permission conflict on node 'f'", "'write'",
                    "block device 'dev-f'", "block device 'dev-base'", NULL);

    assert_ptr_equal(blk_bs(fw), f);
    assert_ptr_equal(blk_bs(bw), base);
    assert_null(f->file);
    check_refcnt(base, 2);
    check_refcnt(f, 2);
    check_perm("base perm", base->cur_perm, PERM_RW);
    check_perm("f perm", f->cur_perm, PERM_RW);

    blk_unref(fw);
    blk_unref(bw);
    unref_nodes(f, base);
}

/* ---- 17 / 19: replacements and intermediate states ---------------------- */

/*
 * fa and fb are filters over one base; an exclusive writer sits on fa.
 * Replacing fa by fb moves the writer; fa's old edge (write, no write
 * shared) must not count against fb's new one.
 */
static void test_perm_b17_replace_node_old_perms_dont_block(void **state)
{
    BlockDriverState *base = open_null("base");
    BlockDriverState *fa = filter_over(&perms_filter_drv, "fa", base);
    BlockDriverState *fb = filter_over(&perms_filter_drv, "fb", base);
    BlockBackend *blk = new_blk(fa, PERM_RW, SHARE_NO_WRITE);
    Error *err = NULL;

    check_perm("fa edge perm", fa->file->perm, PERM_RW);
    check_ok(bdrv_replace_node(fa, fb, &err) == 0, &err,
             "bdrv_replace_node(fa, fb)");
    assert_ptr_equal(blk_bs(blk), fb);
    check_perm("fa edge perm", fa->file->perm, 0);
    check_perm("fa edge shared", fa->file->shared_perm, BLK_PERM_ALL);
    check_perm("fb edge perm", fb->file->perm, PERM_RW);
    check_perm("fb edge shared", fb->file->shared_perm & BLK_PERM_WRITE, 0);
    check_perm("base perm", base->cur_perm, PERM_RW);

    /* And back again */
    check_ok(bdrv_replace_node(fb, fa, &err) == 0, &err,
             "bdrv_replace_node(fb, fa)");
    assert_ptr_equal(blk_bs(blk), fa);
    check_perm("fb edge perm", fb->file->perm, 0);

    blk_unref(blk);
    unref_nodes(fa, fb, base);
}

/*
 * Two parents move at once: an exclusive writer and a reader.  Moved and
 * checked one at a time, the writer on fb and the reader left on fa would
 * put two writers' edges on base.
 */
static void test_perm_b19_replace_node_two_parents(void **state)
{
    BlockDriverState *base = open_null("base");
    BlockDriverState *fa = filter_over(&perms_filter_drv, "fa", base);
    BlockDriverState *fb = filter_over(&perms_filter_drv, "fb", base);
    BlockBackend *w = new_blk(fa, PERM_RW, SHARE_NO_WRITE);
    BlockBackend *r = new_blk(fa, BLK_PERM_CONSISTENT_READ, BLK_PERM_ALL);
    Error *err = NULL;

    check_ok(bdrv_replace_node(fa, fb, &err) == 0, &err, "bdrv_replace_node");
    assert_ptr_equal(blk_bs(w), fb);
    assert_ptr_equal(blk_bs(r), fb);
    assert_int_equal(count_parents(fa), 0);
    check_perm("fa edge perm", fa->file->perm, 0);
    check_perm("fb edge perm", fb->file->perm, PERM_RW);

    blk_unref(w);
    blk_unref(r);
    unref_nodes(fa, fb, base);
}

/*
 * The new filter edge starts with no permissions: no clash with the writer.
 */
static void test_perm_b19_append_under_exclusive_writer(void **state)
{
    BlockDriverState *base = open_null("base");
    BlockDriverState *f = open_local(&perms_filter_drv, "f");
    BlockBackend *blk = new_blk(base, PERM_RW, SHARE_NO_WRITE);
    uint64_t f_perm;
    Error *err = NULL;

    check_ok(bdrv_append(f, base, &err) == 0, &err, "bdrv_append");
    assert_ptr_equal(blk_bs(blk), f);
    assert_int_equal(count_parents(base), 1);
    check_perm("filter edge perm", f->file->perm, PERM_RW);
    check_perm("base shared", base->cur_shared & BLK_PERM_WRITE, 0);

    /* Dropping it again: the writer moves down while the edge goes away */
    check_ok(bdrv_drop_filter(f, &err) == 0, &err, "bdrv_drop_filter");
    assert_ptr_equal(blk_bs(blk), base);
    assert_int_equal(count_parents(base), 1);
    check_perm("base perm", base->cur_perm, PERM_RW);
    note_graph("bdrv_drop_filter(f)");
    /*
     * The dropped filter has no parent left, so it holds nothing.  Checked
     * after the cleanup so that a failure does not leak into later tests.
     */
    f_perm = f->cur_perm;

    blk_unref(blk);
    unref_nodes(f, base);
    check_perm("dropped filter f's perm", f_perm, 0);
}

/* An overlay appended under an exclusive writer: the same, through COW */
static void test_perm_b19_append_overlay_under_exclusive_writer(void **state)
{
    BlockDriverState *base = open_null("base");
    BlockDriverState *top = open_node("test", "top", BDRV_O_RDWR);
    BlockBackend *blk = new_blk(base, PERM_RW, SHARE_NO_WRITE);
    Error *err = NULL;

    check_ok(bdrv_append(top, base, &err) == 0, &err, "bdrv_append");
    assert_ptr_equal(blk_bs(blk), top);
    /* The backing file is only read now */
    check_perm("backing edge perm", top->backing->perm,
               BLK_PERM_CONSISTENT_READ);
    check_perm("base perm", base->cur_perm, BLK_PERM_CONSISTENT_READ);
    check_perm("top perm", test_driver_counters(top)->perm, PERM_RW);

    blk_unref(blk);
    unref_nodes(top, base);
}

/* ---- 18: parents before children --------------------------------------- */

static void switch_select(BlockDriverState *sw, const char *child)
{
    PermsNodeState *s = sw->opaque;
    Error *err = NULL;

    pstrcpy(s->selected, sizeof(s->selected), child);
    if (bdrv_refresh_perms(sw, NULL, &err) < 0) {
        fail_msg("Moving the exclusive writer to child '%s' failed: %s",
                 child, error_get_pretty(err));
    }
}

/*
 * sw writes exclusively to one of its children f1 / f2, two filters over
 * one base.  Moving the writer from one branch to the other only works if
 * base is checked after both filters got their new permissions; visiting
 * children in list order would see the new writer next to the stale one
 * in one of the two directions.  @f1_first: f1 is attached first.
 */
static void perms_switch_both_ways(bool f1_first)
{
    BlockDriverState *base = open_null("base");
    BlockDriverState *f1 = filter_over(&perms_filter_drv, "f1", base);
    BlockDriverState *f2 = filter_over(&perms_filter_drv, "f2", base);
    BlockDriverState *sw = open_local(&perms_switch_drv, "sw");

    attach(sw, f1_first ? f1 : f2, f1_first ? "c1" : "c2", BDRV_CHILD_DATA);
    attach(sw, f1_first ? f2 : f1, f1_first ? "c2" : "c1", BDRV_CHILD_DATA);
    assert_string_equal(QLIST_FIRST(&sw->children)->name,
                        f1_first ? "c1" : "c2");

    for (int round = 0; round < 2; round++) {
        switch_select(sw, "c1");
        check_perm("f1 edge perm", f1->file->perm, PERM_RW);
        check_perm("f2 edge perm", f2->file->perm, 0);
        switch_select(sw, "c2");
        check_perm("f1 edge perm", f1->file->perm, 0);
        check_perm("f2 edge perm", f2->file->perm, PERM_RW);
    }
    check_perm("base shared", base->cur_shared, SHARE_NO_WRITE);

    unref_nodes(sw, base);
}

static void test_perm_b18_switch_writer_children_f1_f2(void **state)
{
    perms_switch_both_ways(true);
}

static void test_perm_b18_switch_writer_children_f2_f1(void **state)
{
    perms_switch_both_ways(false);
}

/* The same move done by a graph change: the backend's edge changes node */
static void test_perm_b18_replace_child_bs_moves_writer(void **state)
{
    BlockDriverState *base = open_null("base");
    BlockDriverState *f1 = filter_over(&perms_filter_drv, "f1", base);
    BlockDriverState *f2 = filter_over(&perms_filter_drv, "f2", base);
    BlockBackend *blk = new_blk(f1, PERM_RW, SHARE_NO_WRITE);
    Error *err = NULL;

    for (int round = 0; round < 2; round++) {
        check_ok(bdrv_replace_child_bs(blk_root(blk), f2, &err) == 0, &err,
                 "bdrv_replace_child_bs(f2)");
        assert_ptr_equal(blk_bs(blk), f2);
        check_perm("f1 edge perm", f1->file->perm, 0);
        check_perm("f2 edge perm", f2->file->perm, PERM_RW);
        check_ok(bdrv_replace_child_bs(blk_root(blk), f1, &err) == 0, &err,
                 "bdrv_replace_child_bs(f1)");
        assert_ptr_equal(blk_bs(blk), f1);
        check_perm("f1 edge perm", f1->file->perm, PERM_RW);
        check_perm("f2 edge perm", f2->file->perm, 0);
    }
    check_refcnt(f1, 2);
    check_refcnt(f2, 1);

    blk_unref(blk);
    unref_nodes(f1, f2, base);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_perm_conflict_message),
        T(test_perm_conflict_message_backends),
        T(test_perm_read_only_node_refuses_write),
        T(test_perm_blk_set_perm),
        T(test_perm_child_try_set_perm),
        T(test_perm_force_share),
        T(test_perm_b15_append_excl_filter_two_writers_fails),
        T(test_perm_b15_append_excl_filter_reader_ok),
        T(test_perm_b15_append_filter_with_own_writer_fails),
        T(test_perm_b17_replace_node_old_perms_dont_block),
        T(test_perm_b19_replace_node_two_parents),
        T(test_perm_b19_append_under_exclusive_writer),
        T(test_perm_b19_append_overlay_under_exclusive_writer),
        T(test_perm_b18_switch_writer_children_f1_f2),
        T(test_perm_b18_switch_writer_children_f2_f1),
        T(test_perm_b18_replace_child_bs_moves_writer),
    };

    return test_common_run_group(tests, group_setup, NULL);
}
