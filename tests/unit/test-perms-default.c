/*
 * The default child permissions (bdrv_default_perms) follow QEMU's rules,
 * branch by branch: FILTERED children pass the parents' permissions
 * through; COW (backing) children are only read, and only when the parents
 * read consistently; METADATA children are read (unless BDRV_O_NO_IO),
 * written and resized when the node is writable, and nobody else may write
 * or resize them; DATA children pass the parents' permissions through,
 * upgrade unchanged writes to writes and take resize with write, and
 * nobody else may resize them; an inactive node lets others write and
 * resize.  force-share is applied by the core, for every driver, on the
 * edges to a node opened with it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "perms-common.h"

#define CR BLK_PERM_CONSISTENT_READ
#define W BLK_PERM_WRITE
#define WU BLK_PERM_WRITE_UNCHANGED
#define RS BLK_PERM_RESIZE
#define ALL BLK_PERM_ALL

/* What bdrv_default_perms gives a child of @bs with @role */
static void expect_default(BlockDriverState *bs, BdrvChildRole role,
                           uint64_t perm, uint64_t shared, uint64_t want_perm,
                           uint64_t want_shared)
{
    uint64_t nperm = 0xdead, nshared = 0xbeef;

    bdrv_default_perms(bs, NULL, role, NULL, perm, shared, &nperm, &nshared);
    if (nperm != want_perm || nshared != want_shared) {
        EXPECT_FAIL("role 0x%x, parents perm 0x%" PRIx64 " shared 0x%" PRIx64
                    ": child perm 0x%" PRIx64 " shared 0x%" PRIx64
                    ", expected 0x%" PRIx64 " 0x%" PRIx64, role, perm, shared,
                    nperm, nshared, want_perm, want_shared);
    }
}

/* ---- FILTERED ----------------------------------------------------------- */

static void test_default_perms_filtered_passes_through(void **state)
{
    BlockDriverState *bs = open_node("null-co", "f", BDRV_O_RDWR);
    BdrvChildRole role = BDRV_CHILD_FILTERED | BDRV_CHILD_PRIMARY;

    expect_default(bs, role, ALL, ALL, ALL, ALL);
    expect_default(bs, role, WU, CR, WU, CR);
    expect_default(bs, role, 0, 0, 0, 0);
    bdrv_unref(bs);
    end_test();
}

/* ---- COW ------------------------------------------------------------------ */

/* Read consistently only if the parents do; writing parents do not count */
static void test_default_perms_cow_reads_only_for_readers(void **state)
{
    BlockDriverState *bs = open_node("null-co", "c", BDRV_O_RDWR);

    expect_default(bs, BDRV_CHILD_COW, CR | W, ALL, CR, ALL);
    expect_default(bs, BDRV_CHILD_COW, W | RS | WU, ALL, 0, ALL);
    /* Others may write the backing file only if the parents let others
     * write the image */
    expect_default(bs, BDRV_CHILD_COW, CR, CR, CR, CR | WU);
    expect_default(bs, BDRV_CHILD_COW, CR, CR | W, CR, ALL);
    bdrv_unref(bs);
    end_test();
}

static void test_default_perms_cow_inactive_shares_write(void **state)
{
    BlockDriverState *bs = open_node("null-co", "ci",
                                     BDRV_O_RDWR | BDRV_O_INACTIVE);

    expect_default(bs, BDRV_CHILD_COW, CR, CR, CR, ALL);
    bdrv_unref(bs);
    end_test();
}

/* ---- METADATA ------------------------------------------------------------- */

static void test_default_perms_metadata_writable_node(void **state)
{
    BlockDriverState *bs = open_node("null-co", "m", BDRV_O_RDWR);

    /* A writable format writes its metadata even for idle parents */
    expect_default(bs, BDRV_CHILD_METADATA, 0, ALL, CR | W | RS, CR | WU);
    /* The parents' permissions still pass through */
    expect_default(bs, BDRV_CHILD_METADATA, WU, ALL, ALL, CR | WU);
    /* Nothing is shared that the parents do not share */
    expect_default(bs, BDRV_CHILD_METADATA, CR, CR, CR | W | RS, CR);
    bdrv_unref(bs);
    end_test();
}

static void test_default_perms_metadata_read_only_node(void **state)
{
    BlockDriverState *bs = open_node("null-co", "mro", 0);

    expect_default(bs, BDRV_CHILD_METADATA, 0, ALL, CR, CR | WU);
    expect_default(bs, BDRV_CHILD_METADATA, CR, CR | W, CR, CR);
    bdrv_unref(bs);
    end_test();
}

static void test_default_perms_metadata_no_io_drops_read(void **state)
{
    BlockDriverState *rw = open_node("null-co", "nio",
                                     BDRV_O_RDWR | BDRV_O_NO_IO);
    BlockDriverState *ro = open_node("null-co", "nioro", BDRV_O_NO_IO);

    expect_default(rw, BDRV_CHILD_METADATA, 0, ALL, W | RS, CR | WU);
    expect_default(ro, BDRV_CHILD_METADATA, 0, ALL, 0, CR | WU);
    /* What the parents ask for is still passed through */
    expect_default(ro, BDRV_CHILD_METADATA, CR, ALL, CR, CR | WU);
    unref_nodes(rw, ro);
    end_test();
}

static void test_default_perms_metadata_inactive_node(void **state)
{
    BlockDriverState *bs = open_node("null-co", "mi",
                                     BDRV_O_RDWR | BDRV_O_INACTIVE);

    /* Not writable while inactive, and others may write and resize */
    expect_default(bs, BDRV_CHILD_METADATA, 0, ALL, CR, ALL);
    expect_default(bs, BDRV_CHILD_METADATA, 0, CR, CR, CR | W | RS);
    bdrv_unref(bs);
    end_test();
}

/* ---- DATA ----------------------------------------------------------------- */

static void test_default_perms_data_child(void **state)
{
    BlockDriverState *bs = open_node("null-co", "d", BDRV_O_RDWR);

    /* Unchanged writes become writes, writes may grow the file */
    expect_default(bs, BDRV_CHILD_DATA, WU, ALL, W | WU | RS, CR | W | WU);
    expect_default(bs, BDRV_CHILD_DATA, CR | W, ALL, CR | W | RS, CR | W | WU);
    /* A reader takes only what it asks for; nobody may resize */
    expect_default(bs, BDRV_CHILD_DATA, CR, ALL, CR, CR | W | WU);
    expect_default(bs, BDRV_CHILD_DATA, 0, CR, 0, CR);
    bdrv_unref(bs);
    end_test();
}

static void test_default_perms_data_inactive_node(void **state)
{
    BlockDriverState *bs = open_node("null-co", "di",
                                     BDRV_O_RDWR | BDRV_O_INACTIVE);

    expect_default(bs, BDRV_CHILD_DATA, CR, CR, CR, CR | W | RS);
    bdrv_unref(bs);
    end_test();
}

/* An image file (DATA | METADATA), as a format's "file": qcow2's case */
static void test_default_perms_image_child(void **state)
{
    BlockDriverState *rw = open_node("null-co", "i", BDRV_O_RDWR);
    BlockDriverState *ro = open_node("null-co", "iro", 0);

    expect_default(rw, BDRV_CHILD_IMAGE, CR | W, ALL, CR | W | RS, CR | WU);
    expect_default(rw, BDRV_CHILD_IMAGE, 0, ALL, CR | W | RS, CR | WU);
    expect_default(ro, BDRV_CHILD_IMAGE, CR, ALL, CR, CR | WU);
    unref_nodes(rw, ro);
    end_test();
}

/* No role QEMU knows: nothing taken, everything shared (QEMU asserts) */
static void test_default_perms_no_role(void **state)
{
    BlockDriverState *bs = open_node("null-co", "n", BDRV_O_RDWR);

    expect_default(bs, BDRV_CHILD_PRIMARY, ALL, 0, 0, ALL);
    bdrv_unref(bs);
    end_test();
}

/* ---- force-share, applied by the core ------------------------------------ */

/* A driver that takes consistent read and shares nothing */
static void greedy_child_perm(BlockDriverState *bs, BdrvChild *c,
                              BdrvChildRole role, BlockReopenQueue *rq,
                              uint64_t perm, uint64_t shared, uint64_t *nperm,
                              uint64_t *nshared)
{
    *nperm = CR;
    *nshared = 0;
}

static BlockDriver greedy_drv = {
    .format_name = "perms-greedy",
    .bdrv_co_getlength = test_common_filter_co_getlength,
    .bdrv_child_perm = greedy_child_perm,
};

static BlockDriverState *open_force_shared(const char *name)
{
    QDict *opts = opts_new("null-co", name);

    qdict_put_str(opts, "force-share", "on");
    qdict_put_str(opts, "read-only", "on");
    return open_ok(NULL, opts, 0);
}

/* Whatever the driver asks, an edge to a force-shared node shares all */
static void test_force_share_applied_by_core_for_any_driver(void **state)
{
    BlockDriverState *g = test_common_open_local(&greedy_drv, "g",
                                                 BDRV_O_RDWR);
    BlockDriverState *fs = open_force_shared("fs");
    BdrvChild *c = attach(g, fs, "file", BDRV_CHILD_DATA | BDRV_CHILD_PRIMARY);

    check_perm("edge perm", c->perm, CR);
    check_perm("edge shared", c->shared_perm, ALL);
    bdrv_unref(g);
}

/* It is the child's option that counts, not the parent's */
static void test_force_share_of_parent_only_does_not_share(void **state)
{
    BlockDriverState *base = open_node("null-co", "base", 0);
    QDict *opts = opts_new("test", "top");
    BlockDriverState *top;

    qdict_put_str(opts, "file", "base");
    qdict_put_str(opts, "force-share", "on");
    qdict_put_str(opts, "read-only", "on");
    top = open_ok(NULL, opts, 0);
    assert_true(top->force_share);
    assert_false(base->force_share);
    check_perm("file edge shared", top->file->shared_perm, CR | WU);
    unref_nodes(top, base);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_default_perms_filtered_passes_through),
        T(test_default_perms_cow_reads_only_for_readers),
        T(test_default_perms_cow_inactive_shares_write),
        T(test_default_perms_metadata_writable_node),
        T(test_default_perms_metadata_read_only_node),
        T(test_default_perms_metadata_no_io_drops_read),
        T(test_default_perms_metadata_inactive_node),
        T(test_default_perms_data_child),
        T(test_default_perms_data_inactive_node),
        T(test_default_perms_image_child),
        T(test_default_perms_no_role),
        T(test_force_share_applied_by_core_for_any_driver),
        T(test_force_share_of_parent_only_does_not_share),
    };

    test_common_init(PERMS_CHECKS);
    return test_common_run_group(tests, NULL, NULL);
}
