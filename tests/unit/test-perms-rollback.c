/*
 * Unit tests of permissions (block/core/perms.c), REFERENCE.md behaviour
 * 20: a failed permission change or graph change rolls back completely,
 * file locks included.  The other permission behaviours are in
 * test-perms.c; the helpers both share are in perms-common.h.
 *
 * Besides the tree's drivers, two small drivers local to the tests give
 * exact control over what a node asks of its children: a pass-through
 * filter (test-common.h) and, here, a "multi" node passing its parents'
 * permissions to all its children.  File locks are seen through a third
 * open file description of the image.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <sys/stat.h>

#include "perms-common.h"
#include "block/test-driver.h"

/* ---- drivers local to this file ----------------------------------------- */

static BlockDriver perms_multi_drv = {
    .format_name = "perms-multi",
    .instance_size = sizeof(PermsNodeState),
    .bdrv_co_getlength = perms_node_co_getlength,
    .bdrv_child_perm = bdrv_filter_default_perms,
};

/* ---- file lock probing -------------------------------------------------- */

static char *tmp_img;

static void make_tmp_image(void)
{
    int fd;

    assert_int_equal(test_common_tmp_dir_create("test-perms"), 0);
    tmp_img = tmp_path("img");
    fd = open(tmp_img, O_RDWR | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, 1024 * 1024), 0);
    close(fd);
}

static void remove_tmp_image(void)
{
    test_common_tmp_dir_remove();
    g_free(tmp_img);
    tmp_img = NULL;
}

static BlockDriverState *open_file(const char *name)
{
    QDict *opts = qdict_new();
    Error *err = NULL;
    BlockDriverState *bs;

    qdict_put_str(opts, "driver", "file");
    qdict_put_str(opts, "node-name", name);
    bs = bdrv_open(tmp_img, NULL, opts, BDRV_O_RDWR, &err);
    check_ok(bs != NULL, &err, "Opening the file node");
    return bs;
}

/*
 * The lock bytes some open file description holds on the image, as a
 * third open sees them: bit i for byte 100 + i (permission held), bit
 * 4 + i for byte 200 + i (permission not shared).
 */
static unsigned lock_state(void)
{
    int fd = open(tmp_img, O_RDONLY);
    unsigned mask = 0;

    assert_true(fd >= 0);
    for (int i = 0; i < 8; i++) {
        struct flock fl = {
            .l_type = F_WRLCK,
            .l_whence = SEEK_SET,
            .l_start = (i < 4 ? 100 : 196) + i,
            .l_len = 1,
        };
        assert_int_equal(fcntl(fd, F_OFD_GETLK, &fl), 0);
        if (fl.l_type != F_UNLCK) {
            mask |= 1u << i;
        }
    }
    close(fd);
    return mask;
}

static void check_lock_state(unsigned expected)
{
    unsigned actual = lock_state();

    if (actual != expected) {
        fail_msg("Lock bytes held: 0x%02x (bits 0-3: 100+perm, 4-7: "
                 "200+perm), expected 0x%02x", actual, expected);
    }
}

/* ---- fixtures ----------------------------------------------------------- */

static int group_setup(void **state)
{
    test_common_init(PERMS_CHECKS);
    make_tmp_image();
    return 0;
}

static int group_teardown(void **state)
{
    remove_tmp_image();
    return 0;
}

/* ---- 20: rollback ------------------------------------------------------- */

/*
 * Two file nodes on one image under a node that passes its parents'
 * permissions to both.  Asking for an exclusive write makes the first
 * file node take its locks and the second fail on them; afterwards the
 * locks (seen through a third open) are exactly as before.  Both child
 * orders, so that either file node can be the one checked first.
 */
static void perms_locks_rollback(bool fa_first)
{
    BlockDriverState *fa, *fb, *fc, *multi;
    BlockBackend *blk, *third;
    uint64_t perm, shared;
    unsigned before;
    Error *err = NULL;

    fa = open_file("fa");
    fb = open_file("fb");
    multi = open_local(&perms_multi_drv, "multi");
    attach(multi, fa_first ? fa : fb, "c0", BDRV_CHILD_DATA);
    attach(multi, fa_first ? fb : fa, "c1", BDRV_CHILD_DATA);
    blk = new_blk(multi, BLK_PERM_CONSISTENT_READ, BLK_PERM_ALL);
    before = lock_state();
    assert_int_equal(before, 1u << 0); /* both hold "consistent read" */

    assert_true(blk_set_perm(blk, PERM_RW, SHARE_NO_WRITE, &err) < 0);
    check_error_has(&err, "Failed to get", "\"write\" lock", NULL);
    check_lock_state(before);
    blk_get_perm(blk, &perm, &shared);
    check_perm("backend perm", perm, BLK_PERM_CONSISTENT_READ);
    check_perm("backend shared", shared, BLK_PERM_ALL);
    check_perm("fa edge perm", QLIST_FIRST(&fa->parents)->perm,
               BLK_PERM_CONSISTENT_READ);
    check_perm("fb edge shared", QLIST_FIRST(&fb->parents)->shared_perm,
               BLK_PERM_ALL);
    check_perm("fa perm", fa->cur_perm, BLK_PERM_CONSISTENT_READ);
    check_perm("fb shared", fb->cur_shared, BLK_PERM_ALL);

    /* A third user can still write: nothing refuses to share it */
    fc = open_file("fc");
    third = new_blk(fc, PERM_RW, BLK_PERM_ALL);
    check_lock_state(before | 1u << 1);
    blk_unref(third);
    bdrv_unref(fc);
    check_lock_state(before);

    blk_unref(blk);
    bdrv_unref(multi);
    check_lock_state(0);
}

static void test_perm_b20_file_locks_restored_fa_first(void **state)
{
    perms_locks_rollback(true);
}

static void test_perm_b20_file_locks_restored_fb_first(void **state)
{
    perms_locks_rollback(false);
}

/* A graph change that fails on locks is undone, locks included */
static void test_perm_b20_graph_change_locks_restored(void **state)
{
    BlockDriverState *fa, *fb, *multi, *f;
    BlockBackend *reader, *writer;
    unsigned before;
    Error *err = NULL;

    fa = open_file("fa");
    fb = open_file("fb");
    multi = open_local(&perms_multi_drv, "multi");
    attach(multi, fa, "c0", BDRV_CHILD_DATA);
    attach(multi, fb, "c1", BDRV_CHILD_DATA);
    reader = new_blk(multi, BLK_PERM_CONSISTENT_READ, BLK_PERM_ALL);
    f = open_local(&perms_filter_drv, "f");
    writer = new_blk(f, PERM_RW, SHARE_NO_WRITE);
    before = lock_state();

    /* The writer would move onto multi, i.e. onto both file nodes */
    assert_true(bdrv_replace_node(f, multi, &err) < 0);
    check_error_has(&err, "lock", NULL);
    check_lock_state(before);
    assert_ptr_equal(blk_bs(writer), f);
    assert_ptr_equal(blk_bs(reader), multi);
    assert_int_equal(count_parents(multi), 1);
    check_refcnt(f, 2);
    check_refcnt(multi, 2);
    check_perm("fa perm", fa->cur_perm, BLK_PERM_CONSISTENT_READ);
    check_perm("fb perm", fb->cur_perm, BLK_PERM_CONSISTENT_READ);

    blk_unref(writer);
    blk_unref(reader);
    unref_nodes(f, multi);
    check_lock_state(0);
}

/* The driver refuses: the backend and the node keep their permissions */
static void test_perm_b20_driver_refuses_set_perm(void **state)
{
    BlockDriverState *t = open_node("test", "t", BDRV_O_RDWR);
    BlockBackend *blk = new_blk(t, BLK_PERM_CONSISTENT_READ, BLK_PERM_ALL);
    const TestDriverCounters *cnt = test_driver_counters(t);
    int set_perm_before = cnt->set_perm;
    uint64_t perm, shared;
    Error *err = NULL;

    test_driver_fail_perm(t, BLK_PERM_WRITE);
    assert_int_equal(blk_set_perm(blk, PERM_RW, BLK_PERM_ALL, &err), -EPERM);
    check_error(&err, "Test driver refuses permission 'write' on node 't'");
    blk_get_perm(blk, &perm, &shared);
    check_perm("backend perm", perm, BLK_PERM_CONSISTENT_READ);
    check_perm("edge perm", blk_root(blk)->perm, BLK_PERM_CONSISTENT_READ);
    check_perm("node perm", t->cur_perm, BLK_PERM_CONSISTENT_READ);
    check_perm("driver's perm", cnt->perm, BLK_PERM_CONSISTENT_READ);
    assert_int_equal(cnt->set_perm, set_perm_before);

    /* Other permissions still go through */
    check_ok(blk_set_perm(blk, BLK_PERM_CONSISTENT_READ | BLK_PERM_RESIZE,
                          BLK_PERM_ALL, &err) == 0, &err, "blk_set_perm");
    check_perm("driver's perm", cnt->perm,
               BLK_PERM_CONSISTENT_READ | BLK_PERM_RESIZE);
    assert_int_equal(cnt->set_perm, set_perm_before + 1);

    blk_unref(blk);
    bdrv_unref(t);
}

/* An overlay whose driver refuses to write: the append is undone */
static void test_perm_b20_driver_refuses_append(void **state)
{
    BlockDriverState *base = open_null("base");
    BlockDriverState *top = open_node("test", "top", BDRV_O_RDWR);
    BlockBackend *blk = new_blk(base, PERM_RW, BLK_PERM_ALL);
    int set_perm_before = test_driver_counters(top)->set_perm;
    Error *err = NULL;

    test_driver_fail_perm(top, BLK_PERM_WRITE);
    assert_int_equal(bdrv_append(top, base, &err), -EPERM);
    check_error(&err, "Test driver refuses permission 'write' on node 'top'");
    assert_ptr_equal(blk_bs(blk), base);
    assert_null(top->backing);
    assert_int_equal(count_parents(top), 0);
    assert_int_equal(count_parents(base), 1);
    check_refcnt(base, 2);
    check_refcnt(top, 1);
    check_perm("base perm", base->cur_perm, PERM_RW);
    assert_int_equal(test_driver_counters(top)->set_perm, set_perm_before);

    blk_unref(blk);
    unref_nodes(top, base);
}

/* Replacing a written node by a read-only one is refused and undone */
static void test_perm_b20_replace_by_read_only_node(void **state)
{
    BlockDriverState *a = open_null("a");
    BlockDriverState *ro = open_node("null-co", "ro", 0);
    BlockBackend *w = new_blk(a, PERM_RW, BLK_PERM_ALL);
    BlockBackend *r = new_blk(a, BLK_PERM_CONSISTENT_READ, BLK_PERM_ALL);
    Error *err = NULL;

    assert_int_equal(bdrv_replace_node(a, ro, &err), -EPERM);
    check_error(&err, "Block node is read-only");
    assert_ptr_equal(blk_bs(w), a);
    assert_ptr_equal(blk_bs(r), a);
    assert_int_equal(count_parents(ro), 0);
    check_refcnt(a, 3);
    check_refcnt(ro, 1);
    check_perm("a perm", a->cur_perm, PERM_RW);
    check_perm("ro perm", ro->cur_perm, 0);
    assert_int_equal(a->quiesce_counter, 0);
    assert_int_equal(ro->quiesce_counter, 0);

    blk_unref(w);
    blk_unref(r);
    unref_nodes(a, ro);
}

/* Tests of a capability the file system may lack skip, saying why */
TEST_COMMON_NEEDS(test_perm_b20_file_locks_restored_fa_first, ofd_locks)
TEST_COMMON_NEEDS(test_perm_b20_file_locks_restored_fb_first, ofd_locks)
TEST_COMMON_NEEDS(test_perm_b20_graph_change_locks_restored, ofd_locks)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T_NEEDS(test_perm_b20_file_locks_restored_fa_first, ofd_locks),
        T_NEEDS(test_perm_b20_file_locks_restored_fb_first, ofd_locks),
        T_NEEDS(test_perm_b20_graph_change_locks_restored, ofd_locks),
        T(test_perm_b20_driver_refuses_set_perm),
        T(test_perm_b20_driver_refuses_append),
        T(test_perm_b20_replace_by_read_only_node),
    };

    return test_common_run_group(tests, group_setup, group_teardown);
}
