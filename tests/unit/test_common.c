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
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
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
/* Fixture calls in the current group (test_common_run_group checks them) */
static int test_common_setups, test_common_teardowns;

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
    test_common_setups++;
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

/* false (after naming what is left) when the node count differs */
static bool test_common_nodes_ok(void)
{
    int nodes = bdrv_debug_node_count();
    BlockDriverState *bs = NULL;

    if (nodes == test_common_nodes_before) {
        return true;
    }
    while ((bs = bdrv_next_all_states(bs))) {
        print_error("left over: node '%s' refcnt %d\n",
                    bdrv_get_node_name(bs), bs->refcnt);
    }
    print_error("%d nodes alive after the test, %d before\n", nodes,
                test_common_nodes_before);
    return false;
}

/* The checks of the optional TEST_COMMON_* flags; how many failed */
static int test_common_optional_checks(void)
{
    unsigned checks = test_common_checks;
    int bad = 0;

    if ((checks & TEST_COMMON_NO_BACKEND) && blk_all_next(NULL)) {
        print_error("A BlockBackend is left after the test\n");
        bad++;
    }
    /* Always: a backend left behind leaks (with or without a node) */
    if (test_common_count_backends() != test_common_backends_before) {
        print_error("%d BlockBackends after the test, %d before\n",
                    test_common_count_backends(),
                    test_common_backends_before);
        bad++;
    }
    if ((checks & TEST_COMMON_NO_MONITOR_OWNED) &&
        bdrv_next_monitor_owned(NULL)) {
        print_error("A monitor-owned node is left after the test\n");
        bad++;
    }
    if ((checks & TEST_COMMON_NO_DRAIN_ALL) && bdrv_debug_drain_all_count()) {
        print_error("drain_all still nested %d deep after the test\n",
                    bdrv_debug_drain_all_count());
        bad++;
    }
    return bad;
}

/*
 * Every check runs and prints what it found; the state a test leaves
 * (soft expectations, the first step violation) is reset before anything
 * can fail, so nothing leaks into the next test.
 */
int test_common_teardown_report(void)
{
    int soft = test_common_failures;
    Error *err = NULL;
    int bad = 0;

    test_common_teardowns++;
    test_common_failures = 0;
    if (soft) {
        print_error("%d soft expectation(s) failed and end_test() was not "
                    "reached\n", soft);
        bad++;
    }
    if (test_common_step_violation[0]) {
        print_error("Graph check %s\n", test_common_step_violation);
        test_common_step_violation[0] = 0;
        bad++;
    }
    if (bdrv_debug_check_graph(&err) < 0) {
        print_error("Graph check after the test: %s\n",
                    error_get_pretty(err));
        error_free(err);
        bad++;
    }
    bad += !test_common_nodes_ok();
    bad += test_common_optional_checks();
    return bad;
}

void test_common_teardown_fail(int problems)
{
    if (problems) {
        fail_msg("The test's teardown found %d problem(s)", problems);
    }
}

int test_common_teardown(void **state)
{
    test_common_teardown_fail(test_common_teardown_report());
    return 0;
}

void test_common_apply_filter(void)
{
    if (getenv("TEST_FILTER")) {
        cmocka_set_test_filter(getenv("TEST_FILTER"));
    }
}

int test_common_run_group_at(const char *name, const struct CMUnitTest *tests,
                             size_t n, CMFixtureFunction group_setup,
                             CMFixtureFunction group_teardown)
{
    const char *filter = getenv("TEST_FILTER");
    struct CMUnitTest *run = g_new0(struct CMUnitTest, MAX(n, 1));
    size_t selected = 0;
    int ret;

    for (size_t i = 0; i < n; i++) {
        if (!filter || fnmatch(filter, tests[i].name, 0) == 0) {
            run[selected++] = tests[i];
        }
    }
    test_common_setups = test_common_teardowns = 0;
    ret = _cmocka_run_group_tests(name, run, selected, group_setup,
                                  group_teardown);
    g_free(run);
    if (test_common_setups != (int)selected ||
        test_common_teardowns != test_common_setups) {
        print_error("[  ERROR   ] %s: %zu test(s) ran, test_common_setup() "
                    "ran %d times and test_common_teardown() %d times: "
                    "every test needs T(fn) or fixtures that call them\n",
                    name, selected, test_common_setups,
                    test_common_teardowns);
        ret++;
    }
    if (test_common_failures) {
        print_error("[  ERROR   ] %s: %d soft expectation(s) failed outside "
                    "a test\n", name, test_common_failures);
        test_common_failures = 0;
        ret++;
    }
    return ret;
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

static char test_common_dir[PATH_MAX];

int test_common_tmp_dir_create(const char *prefix)
{
    const char *tmpdir = getenv("TMPDIR");
    int n;

    if (!tmpdir || !*tmpdir) {
        tmpdir = "/tmp";
    }
    n = snprintf(test_common_dir, sizeof(test_common_dir),
                 "%s/drydock-%s-XXXXXX", tmpdir, prefix);
    if (n < 0 || (size_t)n >= sizeof(test_common_dir)) {
        return -ENAMETOOLONG;
    }
    return mkdtemp(test_common_dir) ? 0 : -errno;
}

const char *test_common_tmp_dir(void)
{
    return test_common_dir;
}

static void test_common_tmp_dir_remove_at_exit(void)
{
    test_common_tmp_dir_remove();
}

char *test_common_tmp_path(const char *name)
{
    /* A suite that never made its directory gets one (removed at exit),
     * rather than paths at the root of the file system */
    if (!test_common_dir[0]) {
        if (test_common_tmp_dir_create("suite") < 0) {
            fprintf(stderr, "Cannot create a temporary directory: %s\n",
                    strerror(errno));
            abort();
        }
        atexit(test_common_tmp_dir_remove_at_exit);
    }
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

/* ---- capabilities of the file system of the temporary files ------------- */

static char test_common_why_not[2][PATH_MAX + 128];

/* Where temporary files are: the test's directory, else $TMPDIR */
static const char *test_common_probe_dir(void)
{
    const char *tmpdir = getenv("TMPDIR");

    if (test_common_dir[0]) {
        return test_common_dir;
    }
    return tmpdir && *tmpdir ? tmpdir : "/tmp";
}

/* What the kernel or a file system answers for a feature it lacks */
static bool test_common_errno_unsupported(int err)
{
    return err == EOPNOTSUPP || err == ENOTSUP || err == ENOSYS ||
           err == EINVAL;
}

/* A file of 3 x 64 KiB of data in the probe directory; its fd or -1 */
static int test_common_probe_file(char *why, size_t size)
{
    g_autofree char *path = g_strdup_printf("%s/drydock-probe-XXXXXX",
                                            test_common_probe_dir());
    static uint8_t data[3 * 64 * 1024];
    int fd = mkstemp(path);

    if (fd < 0) {
        snprintf(why, size, "Cannot create a file in %s: %s",
                 test_common_probe_dir(), strerror(errno));
        return -1;
    }
    unlink(path);
    memset(data, 0xa5, sizeof(data));
    if (pwrite(fd, data, sizeof(data), 0) != (ssize_t)sizeof(data) ||
        fsync(fd) < 0) {
        snprintf(why, size, "Cannot write a file in %s: %s",
                 test_common_probe_dir(), strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

static const char *test_common_probe_punch_hole(char *why, size_t size)
{
    int fd = test_common_probe_file(why, size);

    if (fd < 0) {
        return NULL;    /* not a missing capability: let the test fail */
    }
    if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 65536,
                  65536) < 0) {
        if (test_common_errno_unsupported(errno)) {
            snprintf(why, size, "The file system of %s cannot punch holes: "
                     "%s", test_common_probe_dir(), strerror(errno));
        }
    } else if (lseek(fd, 0, SEEK_HOLE) != 65536) {
        snprintf(why, size, "The file system of %s does not report "
                 "punched holes (SEEK_HOLE)", test_common_probe_dir());
    }
    close(fd);
    return why[0] ? why : NULL;
}

static const char *test_common_probe_ofd_locks(char *why, size_t size)
{
    struct flock fl = {
        .l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 100, .l_len = 1,
    };
    g_autofree char *path = NULL;
    int fd = test_common_probe_file(why, size);
    int fd2;

    if (fd < 0) {
        return NULL;    /* not a missing capability: let the test fail */
    }
    path = g_strdup_printf("/proc/self/fd/%d", fd);
    fd2 = open(path, O_RDONLY);
    if (fcntl(fd, F_OFD_SETLK, &fl) < 0) {
        if (test_common_errno_unsupported(errno) || errno == ENOLCK) {
            snprintf(why, size, "The file system of %s has no OFD locks "
                     "(F_OFD_SETLK): %s", test_common_probe_dir(),
                     strerror(errno));
        }
    } else {
        fl.l_type = F_WRLCK;
        if (fd2 < 0 || fcntl(fd2, F_OFD_GETLK, &fl) < 0 ||
            fl.l_type != F_RDLCK) {
            snprintf(why, size, "The file system of %s does not show OFD "
                     "locks to another open file", test_common_probe_dir());
        }
    }
    if (fd2 >= 0) {
        close(fd2);
    }
    close(fd);
    return why[0] ? why : NULL;
}

const char *test_common_no_punch_hole(void)
{
    char *why = test_common_why_not[0];

    why[0] = 0;
    return test_common_probe_punch_hole(why, sizeof(test_common_why_not[0]));
}

const char *test_common_no_ofd_locks(void)
{
    char *why = test_common_why_not[1];

    why[0] = 0;
    return test_common_probe_ofd_locks(why, sizeof(test_common_why_not[1]));
}

void test_common_skip_unless(const char *why_not)
{
    if (why_not) {
        print_message("Skipped: %s\n", why_not);
        skip();
    }
}
