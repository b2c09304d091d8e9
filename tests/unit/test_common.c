/*
 * Helpers shared by the unit tests (see test-common.h).  Linked into every
 * unit test binary, so it has no main() and everything not static is
 * prefixed test_common_.  Named with an underscore because the Makefile
 * takes every test-<name>.c here for a test program.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include "block/mem.h"
#include "block/test-driver.h"
#include "test-common.h"

int test_common_nodes_before;

static unsigned test_common_checks;
static int test_common_backends_before;
static char test_common_step_violation[512];
static int test_common_failures;

/* ---- fixtures ----------------------------------------------------------- */

void test_common_init(unsigned checks)
{
    bdrv_init();
    /* The library's table leaves the test driver out; tests register it */
    test_driver_register();
    test_common_checks = checks;
}

int test_common_group_setup(void **state)
{
    test_common_init(0);
    return 0;
}

int test_common_group_teardown_mem(void **state)
{
    mem_image_delete_all();
    return 0;
}

int test_common_setup(void **state)
{
    test_common_step_violation[0] = 0;
    test_common_nodes_before = bdrv_debug_node_count();
    test_common_backends_before = test_common_count_backends();
    return 0;
}

void test_common_note_graph(const char *step)
{
    Error *err = NULL;

    if (!(test_common_checks & TEST_COMMON_STEP_CHECKS) ||
        test_common_step_violation[0]) {
        return;
    }
    if (bdrv_debug_check_graph(&err) < 0) {
        snprintf(test_common_step_violation,
                 sizeof(test_common_step_violation), "after %s: %s", step,
                 error_get_pretty(err));
        error_free(err);
    }
}

/* Fails the test when the node count differs from the setup's */
static void test_common_check_nodes(void)
{
    int nodes = bdrv_debug_node_count();
    BlockDriverState *bs = NULL;

    if (nodes == test_common_nodes_before) {
        return;
    }
    while ((bs = bdrv_next_all_states(bs))) {
        print_message("left over: node '%s' refcnt %d\n",
                      bdrv_get_node_name(bs), bs->refcnt);
    }
    fail_msg("%d nodes alive after the test, %d before", nodes,
             test_common_nodes_before);
}

int test_common_teardown(void **state)
{
    unsigned checks = test_common_checks;
    Error *err = NULL;
    char msg[512];

    if (test_common_step_violation[0]) {
        /* Copied: the buffer is cleared before fail_msg() jumps away */
        snprintf(msg, sizeof(msg), "%s", test_common_step_violation);
        test_common_step_violation[0] = 0;
        fail_msg("Graph check %s", msg);
    }
    if (bdrv_debug_check_graph(&err) < 0) {
        snprintf(msg, sizeof(msg), "%s", error_get_pretty(err));
        error_free(err);
        fail_msg("Graph check after the test: %s", msg);
    }
    test_common_check_nodes();
    if ((checks & TEST_COMMON_NO_BACKEND) && blk_all_next(NULL)) {
        fail_msg("A BlockBackend is left after the test");
    }
    if ((checks & TEST_COMMON_SAME_BACKENDS) &&
        test_common_count_backends() != test_common_backends_before) {
        fail_msg("%d BlockBackends after the test, %d before",
                 test_common_count_backends(), test_common_backends_before);
    }
    if ((checks & TEST_COMMON_NO_MONITOR_OWNED) &&
        bdrv_next_monitor_owned(NULL)) {
        fail_msg("A monitor-owned node is left after the test");
    }
    if ((checks & TEST_COMMON_NO_DRAIN_ALL) && bdrv_debug_drain_all_count()) {
        fail_msg("drain_all still nested %d deep after the test",
                 bdrv_debug_drain_all_count());
    }
    return 0;
}

void test_common_apply_filter(void)
{
    if (getenv("TEST_FILTER")) {
        cmocka_set_test_filter(getenv("TEST_FILTER"));
    }
}

/* ---- hard checks -------------------------------------------------------- */

void test_common_check_ok(bool ok, Error **errp, const char *what)
{
    if (!ok || *errp) {
        fail_msg("%s failed: %s", what,
                 *errp ? error_get_pretty(*errp) : "(no error set)");
    }
    test_common_note_graph(what);
}

void test_common_check_error(Error **errp, const char *expected)
{
    if (!*errp) {
        fail_msg("Expected the error \"%s\", got none", expected);
    }
    if (strcmp(error_get_pretty(*errp), expected) != 0) {
        fail_msg("Expected the error \"%s\", got \"%s\"", expected,
                 error_get_pretty(*errp));
    }
    error_free(*errp);
    *errp = NULL;
    test_common_note_graph(expected);
}

void test_common_check_error_has(Error **errp, ...)
{
    const char *needle;
    va_list ap;

    if (!*errp) {
        fail_msg("Expected an error, got none");
    }
    va_start(ap, errp);
    while ((needle = va_arg(ap, const char *))) {
        if (!strstr(error_get_pretty(*errp), needle)) {
            fail_msg("The error \"%s\" does not mention \"%s\"",
                     error_get_pretty(*errp), needle);
        }
    }
    va_end(ap);
    test_common_note_graph(error_get_pretty(*errp));
    error_free(*errp);
    *errp = NULL;
}

void test_common_assert_err_contains(Error *err, const char *needle)
{
    assert_non_null(err);
    if (!strstr(error_get_pretty(err), needle)) {
        fail_msg("'%s' lacks '%s'", error_get_pretty(err), needle);
    }
}

void test_common_check_refcnt(BlockDriverState *bs, int expected)
{
    if (bs->refcnt != expected) {
        fail_msg("Node '%s' has refcnt %d, expected %d",
                 bdrv_get_node_name(bs), bs->refcnt, expected);
    }
}

int test_common_count_parents(BlockDriverState *bs)
{
    BdrvChild *c;
    int n = 0;

    QLIST_FOREACH (c, &bs->parents, next_parent) {
        n++;
    }
    return n;
}

int test_common_count_backends(void)
{
    BlockBackend *blk = NULL;
    int n = 0;

    while ((blk = blk_all_next(blk))) {
        n++;
    }
    return n;
}

/* ---- soft expectations -------------------------------------------------- */

void test_common_expect_failed(const char *file, int line, const char *fmt,
                               ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    print_error("%s:%d: %s\n", file, line, msg);
    test_common_failures++;
}

void test_common_end_test_at(const char *file, int line)
{
    int n = test_common_failures;

    test_common_failures = 0;
    if (n) {
        print_error("%d expectation(s) failed\n", n);
        _fail(file, line);
    }
}

void test_common_expect_graph_ok_at(const char *file, int line)
{
    Error *err = NULL;

    if (bdrv_debug_check_graph(&err) < 0) {
        test_common_expect_failed(file, line, "%s", error_get_pretty(err));
        error_free(err);
    }
}

/* ---- nodes, edges, backends --------------------------------------------- */

QDict *test_common_opts_new(const char *driver, const char *node_name)
{
    QDict *opts = qdict_new();

    if (driver) {
        qdict_put_str(opts, "driver", driver);
    }
    if (node_name) {
        qdict_put_str(opts, "node-name", node_name);
    }
    return opts;
}

BlockDriverState *test_common_open_node(const char *driver, const char *name,
                                        int flags)
{
    QDict *opts = test_common_opts_new(driver, name);
    Error *err = NULL;
    BlockDriverState *bs = bdrv_open(NULL, NULL, opts, flags, &err);

    if (!bs || err) {
        fail_msg("Opening %s node '%s' failed: %s", driver,
                 name ? name : "(unnamed)",
                 err ? error_get_pretty(err) : "(no error set)");
    }
    return bs;
}

BlockDriverState *test_common_open_ok(const char *filename, QDict *opts,
                                      int flags)
{
    Error *err = NULL;
    BlockDriverState *bs = bdrv_open(filename, NULL, opts, flags, &err);

    if (!bs) {
        fail_msg("bdrv_open('%s') failed: %s",
                 filename ? filename : "(null)",
                 err ? error_get_pretty(err) : "(no error set)");
    }
    assert_null(err);
    return bs;
}

QDict *test_common_opts_pairs(const char *key, ...)
{
    QDict *opts = qdict_new();
    va_list ap;

    va_start(ap, key);
    for (; key; key = va_arg(ap, const char *)) {
        qdict_put_str(opts, key, va_arg(ap, const char *));
    }
    va_end(ap);
    return opts;
}

BlockDriverState *test_common_open_local(BlockDriver *drv, const char *name,
                                         int flags)
{
    Error *err = NULL;
    BlockDriverState *bs = bdrv_new_open_driver(drv, name, flags, &err);

    test_common_check_ok(bs != NULL, &err, "Opening a local driver's node");
    return bs;
}

BdrvChild *test_common_attach(BlockDriverState *parent,
                              BlockDriverState *child, const char *name,
                              BdrvChildRole role)
{
    Error *err = NULL;
    BdrvChild *c = bdrv_attach_child(parent, child, name, &child_of_bds,
                                     role, &err);

    if (!c) {
        fail_msg("Attaching '%s' as '%s' child of '%s' failed: %s",
                 bdrv_get_node_name(child), name, bdrv_get_node_name(parent),
                 err ? error_get_pretty(err) : "(no error set)");
    }
    return c;
}

BdrvChild *test_common_attach_ref(BlockDriverState *parent,
                                  BlockDriverState *child, const char *name)
{
    bdrv_ref(child);
    return test_common_attach(parent, child, name,
                              BDRV_CHILD_DATA | BDRV_CHILD_PRIMARY);
}

BlockBackend *test_common_new_blk(BlockDriverState *bs, uint64_t perm,
                                  uint64_t shared)
{
    BlockBackend *blk = blk_new(qemu_get_aio_context(), perm, shared);
    Error *err = NULL;

    if (blk_insert_bs(blk, bs, &err) < 0) {
        fail_msg("Inserting '%s' into a BlockBackend failed: %s",
                 bdrv_get_node_name(bs),
                 err ? error_get_pretty(err) : "(no error set)");
    }
    test_common_note_graph("blk_insert_bs");
    return blk;
}

void test_common_unref_nodes_list(BlockDriverState *bs, ...)
{
    va_list ap;

    va_start(ap, bs);
    for (; bs; bs = va_arg(ap, BlockDriverState *)) {
        bdrv_unref(bs);
    }
    va_end(ap);
}

BlockBackend *test_common_blk_open(const char *driver, const char *filename,
                                   QDict *opts, int flags, Error **errp)
{
    if (!opts) {
        opts = qdict_new();
    }
    qdict_put_str(opts, "driver", driver);
    if (filename) {
        qdict_put_str(opts, "filename", filename);
    }
    return blk_new_open(NULL, NULL, opts, flags, errp);
}

int64_t coroutine_fn test_common_filter_co_getlength(BlockDriverState *bs)
{
    BlockDriverState *child = bdrv_filter_bs(bs);

    return child ? bdrv_co_getlength(child) : 0;
}

BlockDriver test_common_filter_drv = {
    .format_name = "test-common-filter",
    .is_filter = true,
    .bdrv_co_getlength = test_common_filter_co_getlength,
    .bdrv_child_perm = bdrv_filter_default_perms,
};

/* ---- AIO completions ---------------------------------------------------- */

void test_common_aio_cb(void *opaque, int ret)
{
    TestCommonAioResult *r = opaque;

    r->ret = ret;
    r->done = true;
    r->calls++;
}

/* ---- a temporary directory ---------------------------------------------- */

static char test_common_dir[64];

int test_common_tmp_dir_create(const char *prefix)
{
    snprintf(test_common_dir, sizeof(test_common_dir),
             "/tmp/drydock-%s-XXXXXX", prefix);
    return mkdtemp(test_common_dir) ? 0 : -errno;
}

const char *test_common_tmp_dir(void)
{
    return test_common_dir;
}

char *test_common_tmp_path(const char *name)
{
    return g_strdup_printf("%s/%s", test_common_dir, name);
}

static int test_common_remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;

    while (d && (e = readdir(d))) {
        g_autofree char *path = NULL;

        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) {
            continue;
        }
        path = g_strdup_printf("%s/%s", dir, e->d_name);
        if (unlink(path) < 0) {
            test_common_remove_tree(path);
        }
    }
    if (d) {
        closedir(d);
    }
    return rmdir(dir);
}

int test_common_tmp_dir_remove(void)
{
    return test_common_remove_tree(test_common_dir);
}
