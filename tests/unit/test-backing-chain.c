/*
 * Backing chains: bdrv_find_overlay / bdrv_find_base (filters skipped),
 * bdrv_find_backing_image by the name written in the overlay,
 * bdrv_dirname and bdrv_get_full_backing_filename, bdrv_change_backing_file
 * through the format, frozen links (bdrv_freeze_backing_chain and what a
 * frozen link refuses), and loops or over-deep chains refused at open.
 * "chainfmt" (chain_format.h) writes backing file names into image
 * headers, as a real format does.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <sys/resource.h>

#include "test-common.h"
#include "chain_format.h"
#include "block/driver.h"

typedef struct Chain {
    BlockDriverState *top, *flt, *mid, *base;
} Chain;

/* top -> flt (a filter) -> mid -> base, all "test" nodes but the filter */
static void chain_build(Chain *c)
{
    Error *err = NULL;

    c->top = open_test("top");
    c->flt = test_common_open_local(&test_common_filter_drv, "flt",
                                    BDRV_O_RDWR);
    c->mid = open_test("mid");
    c->base = open_test("base");
    check_ok(bdrv_set_backing_hd(c->mid, c->base, &err) == 0, &err, "mid");
    check_ok(bdrv_set_backing_hd(c->flt, c->mid, &err) == 0, &err, "flt");
    check_ok(bdrv_set_backing_hd(c->top, c->flt, &err) == 0, &err, "top");
}

static void chain_free(Chain *c)
{
    unref_nodes(c->top, c->flt, c->mid, c->base);
}

static void test_find_overlay_skips_filters(void **state)
{
    Chain c;

    chain_build(&c);
    expect_true(bdrv_find_overlay(c.top, c.base) == c.mid);
    expect_true(bdrv_find_overlay(c.top, c.mid) == c.top);
    /* The filter is not a layer of its own: its overlay is top's */
    expect_true(bdrv_find_overlay(c.top, c.flt) == c.top);
    expect_true(bdrv_find_overlay(c.mid, c.top) == NULL);
    expect_true(bdrv_find_base(c.top) == c.base);
    expect_true(bdrv_find_base(c.base) == c.base);
    chain_free(&c);
    end_test();
}

/* ---- frozen links ------------------------------------------------------ */

static void test_freeze_refuses_set_backing_hd(void **state)
{
    BlockDriverState *other = open_test("other");
    Error *err = NULL;
    Chain c;

    chain_build(&c);
    check_ok(bdrv_freeze_backing_chain(c.top, c.base, &err) == 0, &err,
             "freeze");
    expect_true(c.mid->backing->frozen && c.flt->file->frozen);
    expect_true(bdrv_is_backing_chain_frozen(c.top, c.base, &err));
    check_error(&err, "Cannot change 'backing' link from 'top' to 'flt'");
    expect_int(bdrv_set_backing_hd(c.mid, other, &err), -EPERM);
    check_error(&err, "Cannot change frozen 'backing' link from 'mid' to "
                "'base'");
    expect_true(c.mid->backing->bs == c.base);
    bdrv_unfreeze_backing_chain(c.top, c.base);
    expect_false(bdrv_is_backing_chain_frozen(c.top, c.base, NULL));
    check_ok(bdrv_set_backing_hd(c.mid, other, &err) == 0, &err, "unfrozen");
    chain_free(&c);
    bdrv_unref(other);
    end_test();
}

static void test_freeze_refuses_replace_node(void **state)
{
    BlockDriverState *other = open_test("other");
    Error *err = NULL;
    Chain c;

    chain_build(&c);
    check_ok(bdrv_freeze_backing_chain(c.top, c.base, &err) == 0, &err,
             "freeze");
    expect_int(bdrv_replace_node(c.mid, other, &err), -EPERM);
    check_error(&err, "Cannot change 'file' link from 'mid' to 'other'");
    expect_true(c.flt->file->bs == c.mid);
    bdrv_unfreeze_backing_chain(c.top, c.base);
    chain_free(&c);
    bdrv_unref(other);
    end_test();
}

static void test_freeze_refuses_drop_filter(void **state)
{
    Error *err = NULL;
    Chain c;

    chain_build(&c);
    check_ok(bdrv_freeze_backing_chain(c.top, c.mid, &err) == 0, &err,
             "freeze");
    expect_int(bdrv_drop_filter(c.flt, &err), -EPERM);
    check_error(&err, "Cannot change 'backing' link from 'flt' to 'mid'");
    expect_true(c.top->backing->bs == c.flt);
    bdrv_unfreeze_backing_chain(c.top, c.mid);
    check_ok(bdrv_drop_filter(c.flt, &err) == 0, &err, "unfrozen");
    expect_true(c.top->backing->bs == c.mid);
    chain_free(&c);
    end_test();
}

static void test_freeze_twice_refused(void **state)
{
    Error *err = NULL;
    Chain c;

    chain_build(&c);
    check_ok(bdrv_freeze_backing_chain(c.mid, c.base, &err) == 0, &err,
             "freeze");
    expect_int(bdrv_freeze_backing_chain(c.top, c.base, &err), -EPERM);
    check_error(&err, "Cannot change 'backing' link from 'mid' to 'base'");
    /* Nothing above mid was frozen by the failed call */
    expect_false(c.top->backing->frozen);
    bdrv_unfreeze_backing_chain(c.mid, c.base);
    chain_free(&c);
    end_test();
}

static void test_freeze_base_not_in_chain_refused(void **state)
{
    Error *err = NULL;
    Chain c;

    chain_build(&c);
    expect_int(bdrv_freeze_backing_chain(c.mid, c.top, &err), -EINVAL);
    check_error(&err, "Node 'top' is not in the backing chain of 'mid'");
    expect_false(c.mid->backing->frozen);
    chain_free(&c);
    end_test();
}

/* ---- names written in images -------------------------------------------- */

static BlockDriverState *open_chain(const char *name, int flags)
{
    g_autofree char *path = tmp_path(name);
    Error *err = NULL;
    BlockDriverState *bs = chain_format_open(path, NULL, flags, &err);

    check_ok(bs != NULL, &err, name);
    return bs;
}

static void test_find_backing_image_by_written_name(void **state)
{
    g_autofree char *a = tmp_path("fa.img"), *b = tmp_path("fb.img");
    g_autofree char *c = tmp_path("fc.img");
    BlockDriverState *top;

    chain_format_create(c, NULL, 4096);
    chain_format_create(b, "fc.img", 4096);     /* relative to b's dir */
    chain_format_create(a, b, 4096);            /* absolute */
    top = open_chain("fa.img", BDRV_O_RDWR);
    expect_true(bdrv_find_backing_image(top, "fc.img") ==
                top->backing->bs->backing->bs);
    expect_true(bdrv_find_backing_image(top, b) == top->backing->bs);
    expect_true(bdrv_find_backing_image(top, c) ==
                top->backing->bs->backing->bs);
    /* A relative name resolved against the overlay's directory */
    expect_true(bdrv_find_backing_image(top, "fb.img") == top->backing->bs);
    expect_true(bdrv_find_backing_image(top, "no-such.img") == NULL);
    expect_true(bdrv_find_backing_image(top, "fa.img") == NULL);
    bdrv_unref(top);
    end_test();
}

static void test_full_backing_filename_is_relative_to_overlay(void **state)
{
    g_autofree char *a = tmp_path("ga.img"), *b = tmp_path("gb.img");
    g_autofree char *dir = g_strdup_printf("%s/", test_common_tmp_dir());
    g_autofree char *full = NULL, *dirname = NULL;
    BlockDriverState *top;
    Error *err = NULL;

    chain_format_create(b, NULL, 4096);
    chain_format_create(a, "gb.img", 4096);
    top = open_chain("ga.img", BDRV_O_RDWR);
    dirname = bdrv_dirname(top, &err);
    check_ok(dirname != NULL, &err, "bdrv_dirname");
    expect_true(!strcmp(dirname, dir));
    full = bdrv_get_full_backing_filename(top, &err);
    check_ok(full != NULL, &err, "full name");
    expect_true(!strcmp(full, b));
    /* The base records none */
    expect_true(bdrv_get_full_backing_filename(top->backing->bs, &err) ==
                NULL);
    expect_true(err == NULL);
    bdrv_unref(top);
    end_test();
}

static void test_dirname_without_filename_refused(void **state)
{
    BlockDriverState *bs = open_test("nofile");
    Error *err = NULL;

    bs->exact_filename[0] = 0;
    bs->filename[0] = 0;
    expect_true(bdrv_dirname(bs, &err) == NULL);
    check_error(&err, "Cannot generate a base directory for test nodes");
    bdrv_unref(bs);
    end_test();
}

static void test_change_backing_file_written_by_format(void **state)
{
    g_autofree char *a = tmp_path("ca.img"), *b = tmp_path("cb.img");
    g_autofree char *recorded = NULL;
    BlockDriverState *top;

    chain_format_create(b, NULL, 4096);
    chain_format_create(a, NULL, 4096);
    top = open_chain("ca.img", BDRV_O_RDWR);
    expect_int(bdrv_change_backing_file(top, "cb.img", "chainfmt", true), 0);
    expect_true(!strcmp(top->backing_file, "cb.img"));
    expect_true(!strcmp(top->backing_format, "chainfmt"));
    recorded = chain_format_read_backing(a);
    expect_true(!strcmp(recorded, "cb.img"));
    /* @require: a name without a format is refused, nothing written */
    expect_int(bdrv_change_backing_file(top, "x.img", NULL, true), -EINVAL);
    expect_true(!strcmp(top->backing_file, "cb.img"));
    bdrv_unref(top);
    end_test();
}

static void test_change_backing_file_unsupported_by_driver(void **state)
{
    BlockDriverState *bs = open_null("nullfmt");

    expect_int(bdrv_change_backing_file(bs, "x.img", "raw", false), -ENOTSUP);
    expect_true(bs->backing_file[0] == 0);
    bdrv_unref(bs);
    end_test();
}

/* ---- loops and depth ---------------------------------------------------- */

static void expect_open_fails(const char *name, const char *needle)
{
    g_autofree char *path = tmp_path(name);
    Error *err = NULL;
    int nodes = bdrv_debug_node_count();

    expect_true(chain_format_open(path, NULL, BDRV_O_RDWR, &err) == NULL);
    /* Said at most once, however deep the open was */
    const char *prefix = err ? strstr(error_get_pretty(err), "Could not "
                                      "open backing file: ") : NULL;
    expect_true(err && (!prefix ||
                        !strstr(prefix + 1, "Could not open backing file")));
    check_error_has(&err, needle, NULL);
    expect_int(bdrv_debug_node_count(), nodes);
}

static void test_open_refuses_image_naming_itself(void **state)
{
    g_autofree char *a = tmp_path("self.img");

    chain_format_create(a, "self.img", 4096);
    expect_open_fails("self.img", "Backing file 'self.img' of");
    end_test();
}

static void test_open_refuses_two_images_naming_each_other(void **state)
{
    g_autofree char *a = tmp_path("pa.img"), *b = tmp_path("pb.img");

    chain_format_create(a, "pb.img", 4096);
    chain_format_create(b, a, 4096);
    expect_open_fails("pa.img", "loops: it is already part of the chain");
    expect_open_fails("pb.img", "loops: it is already part of the chain");
    end_test();
}

static void test_open_refuses_long_cycle(void **state)
{
    char name[32], next[32];

    for (int i = 0; i < 50; i++) {
        snprintf(name, sizeof(name), "cyc%d.img", i);
        snprintf(next, sizeof(next), "cyc%d.img", (i + 1) % 50);
        g_autofree char *path = tmp_path(name);
        chain_format_create(path, next, 512);
    }
    expect_open_fails("cyc17.img", "Backing file 'cyc17.img' of");
    end_test();
}

static void test_open_refuses_chain_deeper_than_limit(void **state)
{
    int n = BDRV_BACKING_CHAIN_MAX_DEPTH + 1;
    char name[32], next[32];

    /* n + 1 images: the top one's chain has n links */
    for (int i = 0; i <= n; i++) {
        snprintf(name, sizeof(name), "deep%d.img", i);
        snprintf(next, sizeof(next), "deep%d.img", i + 1);
        g_autofree char *path = tmp_path(name);
        chain_format_create(path, i < n ? next : NULL, 0);
    }
    expect_open_fails("deep0.img", "is too deep (more than 1000 images)");
    end_test();
}

static void test_open_refuses_backing_reference_to_itself(void **state)
{
    QDict *opts = opts_new("test", "me");
    Error *err = NULL;

    qdict_put_str(opts, "backing", "me");
    expect_true(bdrv_open(NULL, NULL, opts, BDRV_O_RDWR, &err) == NULL);
    check_error_has(&err, "would create a cycle", NULL);
    end_test();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_find_overlay_skips_filters),
        T(test_freeze_refuses_set_backing_hd),
        T(test_freeze_refuses_replace_node),
        T(test_freeze_refuses_drop_filter),
        T(test_freeze_twice_refused),
        T(test_freeze_base_not_in_chain_refused),
        T(test_find_backing_image_by_written_name),
        T(test_full_backing_filename_is_relative_to_overlay),
        T(test_dirname_without_filename_refused),
        T(test_change_backing_file_written_by_format),
        T(test_change_backing_file_unsupported_by_driver),
        T(test_open_refuses_image_naming_itself),
        T(test_open_refuses_two_images_naming_each_other),
        T(test_open_refuses_long_cycle),
        T(test_open_refuses_chain_deeper_than_limit),
        T(test_open_refuses_backing_reference_to_itself),
    };
    /* A chain of 1000 images is opened recursively: room for it */
    struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };

    getrlimit(RLIMIT_STACK, &rl);
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < (256u << 20) &&
        (rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= (256u << 20))) {
        rl.rlim_cur = 256u << 20;
        setrlimit(RLIMIT_STACK, &rl);
    }
    test_common_init(TEST_COMMON_STEP_CHECKS | TEST_COMMON_NO_BACKEND);
    chain_format_register();
    assert_int_equal(test_common_tmp_dir_create("chain"), 0);
    int ret = test_common_run_group(tests, NULL, NULL);
    test_common_tmp_dir_remove();
    return ret;
}
