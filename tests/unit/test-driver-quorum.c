/*
 * Unit tests of the quorum driver (votes, threshold, rewrite-corrupted,
 * read patterns, option errors) and of the core's bdrv_add_child /
 * bdrv_del_child, which quorum implements.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "block/driver.h"
#include "block/mem.h"
#include "block/test-driver.h"
#include "test-common.h"

#define QSIZE 65536

/* mem image @name: all @fill, with byte @bad_at set to @bad (-1: none) */
static void make_image(const char *name, uint8_t fill, int64_t bad_at,
                       uint8_t bad)
{
    g_autofree uint8_t *buf = g_malloc(QSIZE);

    memset(buf, fill, QSIZE);
    if (bad_at >= 0) {
        buf[bad_at] = bad;
    }
    assert_int_equal(mem_image_set(name, buf, QSIZE, &error_abort), 0);
}

/* Options of a quorum over mem images q0..q<n-1>, then key/value pairs */
static QDict *quorum_opts(int n, const char *threshold, va_list ap)
{
    QDict *opts = qdict_new();
    const char *key;

    qdict_put_str(opts, "driver", "quorum");
    qdict_put_str(opts, "node-name", "qr");
    if (threshold) {
        qdict_put_str(opts, "vote-threshold", threshold);
    }
    for (int i = 0; i < n; i++) {
        g_autofree char *drv = g_strdup_printf("children.%d.driver", i);
        g_autofree char *fn = g_strdup_printf("children.%d.filename", i);
        g_autofree char *img = g_strdup_printf("q%d", i);

        qdict_put_str(opts, drv, "mem");
        qdict_put_str(opts, fn, img);
    }
    while ((key = va_arg(ap, const char *))) {
        const char *value = va_arg(ap, const char *);

        /* A child replaced by a test-driver node failing requests */
        if (!strcmp(key, "failing-child")) {
            g_autofree char *fn = g_strdup_printf("children.%s.filename",
                                                  value);
            g_autofree char *drv = g_strdup_printf("children.%s.driver",
                                                   value);
            g_autofree char *size = g_strdup_printf("children.%s.size", value);
            g_autofree char *io = g_strdup_printf(
                "children.%s.inject-error.0.iotype", value);

            qdict_del(opts, fn);
            qdict_put_str(opts, drv, "test");
            qdict_put_int(opts, size, QSIZE);
            value = va_arg(ap, const char *);
            qdict_put_str(opts, io, value);
            continue;
        }
        qdict_put_str(opts, key, value);
    }
    return opts;
}

static BlockBackend *open_quorum(int n, const char *threshold, Error **errp,
                                 ...)
{
    QDict *opts;
    va_list ap;

    va_start(ap, errp);
    opts = quorum_opts(n, threshold, ap);
    va_end(ap);
    return blk_new_open(NULL, NULL, opts, BDRV_O_RDWR, errp);
}

static int read_byte(BlockBackend *blk, int64_t offset, uint8_t *byte)
{
    uint8_t buf[512];
    int ret = blk_pread(blk, offset & ~511, sizeof(buf), buf, 0);

    *byte = buf[offset & 511];
    return ret;
}

static uint8_t image_byte(const char *name, int64_t offset)
{
    size_t len;
    const uint8_t *data = mem_image_get(name, &len);

    assert_non_null(data);
    assert_true((size_t)offset < len);
    return data[offset];
}

/* ---- votes -------------------------------------------------------------- */

static void test_quorum_read_returns_the_majority(void **s)
{
    BlockBackend *blk;
    uint8_t b;

    make_image("q0", 0xaa, -1, 0);
    make_image("q1", 0xaa, 100, 0xbb);
    make_image("q2", 0xaa, -1, 0);
    blk = open_quorum(3, "2", &error_abort, NULL);
    expect_int(blk_getlength(blk), QSIZE);
    expect_int(read_byte(blk, 100, &b), 0);
    expect_int(b, 0xaa);
    /* Without rewrite-corrupted the out-voted child keeps its data */
    expect_int(image_byte("q1", 100), 0xbb);
    blk_unref(blk);
    end_test();
}

static void test_quorum_read_below_threshold_fails(void **s)
{
    BlockBackend *blk;
    uint8_t b;

    make_image("q0", 0x11, -1, 0);
    make_image("q1", 0x22, -1, 0);
    make_image("q2", 0x11, 7, 0x33);
    blk = open_quorum(3, "2", &error_abort, NULL);
    expect_int(read_byte(blk, 7, &b), -EIO);
    /* Two children agree elsewhere */
    expect_int(read_byte(blk, 4096, &b), 0);
    expect_int(b, 0x11);
    blk_unref(blk);

    /* Threshold 3: one dissenting child is enough to fail */
    blk = open_quorum(3, "3", &error_abort, NULL);
    expect_int(read_byte(blk, 4096, &b), -EIO);
    blk_unref(blk);
    end_test();
}

static void test_quorum_rewrite_corrupted_repairs_outvoted_child(void **s)
{
    BlockBackend *blk;
    uint8_t b;

    make_image("q0", 0x5c, -1, 0);
    make_image("q1", 0x5c, 700, 0x00);
    make_image("q2", 0x5c, -1, 0);
    blk = open_quorum(3, "2", &error_abort, "rewrite-corrupted", "on", NULL);
    expect_int(read_byte(blk, 700, &b), 0);
    expect_int(b, 0x5c);
    expect_int(image_byte("q1", 700), 0x5c);
    blk_unref(blk);
    end_test();
}

static void test_quorum_read_votes_over_the_children_that_read(void **s)
{
    BlockBackend *blk;
    uint8_t b;

    make_image("q1", 0x42, -1, 0);
    make_image("q2", 0x42, -1, 0);
    blk = open_quorum(3, "2", &error_abort, "failing-child", "0", "read",
                      NULL);
    expect_int(read_byte(blk, 0, &b), 0);
    expect_int(b, 0x42);
    blk_unref(blk);

    /* Two failing children leave one success: below the threshold */
    blk = open_quorum(3, "2", &error_abort, "failing-child", "0", "read",
                      "failing-child", "1", "read", NULL);
    expect_int(read_byte(blk, 0, &b), -EIO);
    blk_unref(blk);
    end_test();
}

static void test_quorum_fifo_reads_the_first_child_that_succeeds(void **s)
{
    BlockBackend *blk;
    uint8_t b;

    make_image("q0", 0x01, -1, 0);
    make_image("q1", 0x02, -1, 0);
    blk = open_quorum(2, "1", &error_abort, "read-pattern", "fifo", NULL);
    expect_int(read_byte(blk, 0, &b), 0);
    expect_int(b, 0x01);
    blk_unref(blk);

    blk = open_quorum(2, "1", &error_abort, "read-pattern", "fifo",
                      "failing-child", "0", "read", NULL);
    expect_int(read_byte(blk, 0, &b), 0);
    expect_int(b, 0x02);
    blk_unref(blk);
    end_test();
}

static void test_quorum_write_needs_threshold_successes(void **s)
{
    uint8_t buf[512];
    BlockBackend *blk;

    memset(buf, 0x77, sizeof(buf));
    make_image("q1", 0, -1, 0);
    make_image("q2", 0, -1, 0);
    blk = open_quorum(3, "2", &error_abort, "failing-child", "0", "write",
                      NULL);
    expect_int(blk_pwrite(blk, 0, sizeof(buf), buf, 0), 0);
    expect_int(image_byte("q1", 0), 0x77);
    expect_int(image_byte("q2", 511), 0x77);
    expect_int(blk_pwrite_zeroes(blk, 0, 512, 0), 0);
    expect_int(image_byte("q2", 0), 0);
    blk_unref(blk);

    blk = open_quorum(3, "3", &error_abort, "failing-child", "0", "write",
                      NULL);
    expect_int(blk_pwrite(blk, 0, sizeof(buf), buf, 0), -EIO);
    blk_unref(blk);
    end_test();
}

static void test_quorum_blkverify_mode_fails_a_mismatch(void **s)
{
    BlockBackend *blk;
    uint8_t b;

    make_image("q0", 0x10, -1, 0);
    make_image("q1", 0x10, 1000, 0x11);
    blk = open_quorum(2, "2", &error_abort, "blkverify", "on", NULL);
    expect_int(read_byte(blk, 0, &b), 0);
    expect_int(read_byte(blk, 1000, &b), -EIO);
    blk_unref(blk);
    end_test();
}

static void test_quorum_bad_options_are_refused(void **s)
{
    static const struct {
        int n;
        const char *threshold;
        const char *key, *value;
        const char *message;
    } cases[] = {
        { 0, "1", NULL, NULL, "Number of provided children must be 1 or more" },
        { 2, NULL, NULL, NULL, "Parameter 'vote-threshold' is missing or 0" },
        { 2, "3", NULL, NULL,
          "Vote threshold 3 exceeds the number of children (2)" },
        { 2, "1", "read-pattern", "lifo", "Invalid read-pattern 'lifo'" },
        { 3, "2", "blkverify", "on",
          "blkverify=on needs exactly two children and vote-threshold 2" },
        { 2, "1", "read-pattern", "fifo", NULL },
    };
    Error *err = NULL;

    make_image("q0", 0, -1, 0);
    make_image("q1", 0, -1, 0);
    make_image("q2", 0, -1, 0);
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        BlockBackend *blk = cases[i].message
            ? open_quorum(cases[i].n, cases[i].threshold, &err, cases[i].key,
                          cases[i].value, NULL)
            : open_quorum(cases[i].n, cases[i].threshold, &err, cases[i].key,
                          cases[i].value, "rewrite-corrupted", "on", NULL);

        expect_true(blk == NULL);
        check_error_has(&err, cases[i].message
                                  ? cases[i].message
                                  : "rewrite-corrupted=on needs "
                                    "read-pattern=quorum",
                        NULL);
    }
    end_test();
}

/* ---- bdrv_add_child / bdrv_del_child ------------------------------------ */

static BlockDriverState *open_mem(const char *name)
{
    QDict *opts = qdict_new();

    qdict_put_str(opts, "driver", "mem");
    qdict_put_str(opts, "filename", name);
    return bdrv_open(NULL, NULL, opts, BDRV_O_RDWR, &error_abort);
}

static BdrvChild *child_named(BlockDriverState *bs, const char *name)
{
    BdrvChild *c;

    QLIST_FOREACH(c, &bs->children, next) {
        if (!strcmp(c->name, name)) {
            return c;
        }
    }
    return NULL;
}

static void test_quorum_add_child_votes_then_del_child_removes(void **s)
{
    BlockBackend *blk;
    BlockDriverState *qr, *extra;
    BdrvChild *c;
    Error *err = NULL;
    uint8_t b;

    make_image("q0", 0x66, -1, 0);
    make_image("q1", 0x66, 9, 0x99);
    make_image("q2", 0x66, -1, 0);
    blk = open_quorum(2, "2", &error_abort, NULL);
    qr = blk_bs(blk);
    expect_int(read_byte(blk, 9, &b), -EIO);

    extra = open_mem("q2");
    bdrv_add_child(qr, extra, &err);
    check_ok(err == NULL, &err, "bdrv_add_child");
    bdrv_unref(extra);     /* quorum holds its own reference */
    expect_graph_ok();
    c = child_named(qr, "children.2");
    expect_true(c && c->bs == extra);
    expect_int(count_parents(extra), 1);
    /* The third child breaks the tie */
    expect_int(read_byte(blk, 9, &b), 0);
    expect_int(b, 0x66);

    /* Removing the last child frees its index for the next one */
    bdrv_del_child(qr, c, &err);
    check_ok(err == NULL, &err, "bdrv_del_child");
    expect_graph_ok();
    expect_true(child_named(qr, "children.2") == NULL);
    expect_int(read_byte(blk, 9, &b), -EIO);
    extra = open_mem("q2");
    bdrv_add_child(qr, extra, &error_abort);
    bdrv_unref(extra);
    expect_true(child_named(qr, "children.2") != NULL);
    expect_graph_ok();
    blk_unref(blk);
    end_test();
}

static void test_quorum_del_child_below_threshold_refused(void **s)
{
    BlockBackend *blk;
    Error *err = NULL;

    make_image("q0", 0, -1, 0);
    make_image("q1", 0, -1, 0);
    blk = open_quorum(2, "2", &error_abort, NULL);
    bdrv_del_child(blk_bs(blk), child_named(blk_bs(blk), "children.0"), &err);
    check_error_has(&err, "cannot be lower than the vote threshold 2", NULL);
    expect_true(child_named(blk_bs(blk), "children.0") != NULL);
    expect_graph_ok();
    blk_unref(blk);
    end_test();
}

static void test_quorum_add_child_refused_in_blkverify_mode(void **s)
{
    BlockBackend *blk;
    BlockDriverState *extra;
    Error *err = NULL;

    make_image("q0", 0, -1, 0);
    make_image("q1", 0, -1, 0);
    make_image("q2", 0, -1, 0);
    blk = open_quorum(2, "2", &error_abort, "blkverify", "on", NULL);
    extra = open_mem("q2");
    bdrv_add_child(blk_bs(blk), extra, &err);
    check_error_has(&err, "Cannot add a child to quorum node 'qr' in "
                    "blkverify mode", NULL);
    expect_int(count_parents(extra), 0);
    bdrv_unref(extra);
    blk_unref(blk);
    end_test();
}

static void test_add_child_to_driver_without_support_refused(void **s)
{
    BlockDriverState *parent = open_null("nparent");
    BlockDriverState *child = open_null("nchild");
    BlockDriverState *other = open_null("nother");
    BdrvChild *c;
    Error *err = NULL;

    bdrv_add_child(parent, child, &err);
    check_error_has(&err, "The node nparent does not support adding a child",
                    NULL);
    c = test_common_attach_ref(other, child, "file");
    bdrv_del_child(parent, c, &err);
    check_error_has(&err, "The node nparent does not support removing a "
                    "child", NULL);
    expect_int(count_parents(child), 1);
    bdrv_unref_child(other, c);
    unref_nodes(other, child, parent);
    end_test();
}

static void test_add_child_with_a_parent_or_del_of_a_stranger_refused(void **s)
{
    BlockBackend *blk, *user;
    BlockDriverState *extra, *other;
    BdrvChild *c;
    Error *err = NULL;

    make_image("q0", 0, -1, 0);
    make_image("q1", 0, -1, 0);
    make_image("q2", 0, -1, 0);
    blk = open_quorum(2, "1", &error_abort, NULL);
    extra = open_mem("q2");
    bdrv_refresh_filename(extra);
    user = test_common_new_blk(extra, BLK_PERM_CONSISTENT_READ, BLK_PERM_ALL);
    bdrv_add_child(blk_bs(blk), extra, &err);
    check_error_has(&err, "already has a parent", NULL);
    blk_unref(user);

    /* An edge of another node is not one of quorum's children */
    other = open_null("nstranger");
    c = test_common_attach_ref(other, extra, "file");
    bdrv_del_child(blk_bs(blk), c, &err);
    check_error_has(&err, "The node qr does not have a child named", NULL);
    bdrv_unref_child(other, c);
    unref_nodes(other, extra);
    expect_graph_ok();
    blk_unref(blk);
    end_test();
}

static int setup(void **state)
{
    test_common_init(0);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_quorum_read_returns_the_majority),
        T(test_quorum_read_below_threshold_fails),
        T(test_quorum_rewrite_corrupted_repairs_outvoted_child),
        T(test_quorum_read_votes_over_the_children_that_read),
        T(test_quorum_fifo_reads_the_first_child_that_succeeds),
        T(test_quorum_write_needs_threshold_successes),
        T(test_quorum_blkverify_mode_fails_a_mismatch),
        T(test_quorum_bad_options_are_refused),
        T(test_quorum_add_child_votes_then_del_child_removes),
        T(test_quorum_del_child_below_threshold_refused),
        T(test_quorum_add_child_refused_in_blkverify_mode),
        T(test_add_child_to_driver_without_support_refused),
        T(test_add_child_with_a_parent_or_del_of_a_stranger_refused),
    };

    return test_common_run_group(tests, setup,
                                 test_common_group_teardown_mem);
}
