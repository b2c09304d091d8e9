/*
 * Reopen and image locks against the reference implementation: qemu-io
 * as a peer that holds a qcow2 image read-only (its qcow2 node reads the
 * file and shares everything but write and resize).  A read-write reopen
 * of a drydock node over the same file must then fail on the write lock
 * and leave the node read-only; a drydock node holding the file
 * read-write keeps qemu-io out until it is reopened read-only.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <signal.h>
#include <stdlib.h>

#include "interop-common.h"
#include "test-common.h"

static char *make_qcow2(const char *name)
{
    char *path = tmp_path(name);
    g_autofree char *cmd = g_strdup_printf("qemu-img create -q -f qcow2 "
                                           "'%s' 1M", path);

    assert_int_equal(system(cmd), 0);
    return path;
}

/* A drydock "test" format node over the file @path */
static BlockDriverState *open_over(const char *path, int flags)
{
    QDict *opts = opts_new("test", "dd");

    qdict_put_str(opts, "file.driver", "file");
    qdict_put_str(opts, "file.filename", path);
    qdict_put_str(opts, "size", "64k");
    return open_ok(NULL, opts, flags);
}

static int qemu_io_read(const char *path)
{
    g_autofree char *cmd = g_strdup_printf("qemu-io -r -f qcow2 -c 'read 0 "
                                           "512' '%s' >/dev/null 2>&1", path);
    int status = system(cmd);

    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void test_reopen_rw_refused_while_qemu_io_reads(void **state)
{
    g_autofree char *img = make_qcow2("held.qcow2");
    g_autofree char *args = g_strdup_printf("-r -f qcow2 '%s'", img);
    BlockDriverState *bs;
    Error *err = NULL;
    QemuPeer peer;

    interop_peer_start(&peer, args);
    assert_true(interop_peer_command(&peer, "length", "MiB"));
    bs = open_over(img, 0);
    expect_int(bdrv_reopen_set_read_only(bs, false, &err), -EAGAIN);
    check_error_has(&err, "Failed to get \"write\" lock", NULL);
    /* Nothing changed: read-only, no write lock byte taken */
    expect_true(bdrv_is_read_only(bs) && bdrv_is_read_only(bs->file->bs));
    expect_false(bs->file->perm & BLK_PERM_WRITE);
    expect_graph_ok();
    assert_int_equal(interop_peer_stop(&peer), 0);
    /* With qemu-io gone, the same reopen succeeds */
    check_ok(bdrv_reopen_set_read_only(bs, false, &err) == 0, &err, "rw");
    expect_true(bs->file->perm & BLK_PERM_WRITE);
    bdrv_unref(bs);
    end_test();
}

static void test_reopen_ro_lets_qemu_io_in(void **state)
{
    g_autofree char *img = make_qcow2("let.qcow2");
    BlockDriverState *bs = open_over(img, BDRV_O_RDWR);
    Error *err = NULL;

    /* We write the file: qemu-io's qcow2 node refuses to share write */
    expect_int(qemu_io_read(img), 1);
    check_ok(bdrv_reopen_set_read_only(bs, true, &err) == 0, &err, "ro");
    expect_int(qemu_io_read(img), 0);
    /* And back: the write lock is taken again */
    check_ok(bdrv_reopen_set_read_only(bs, false, &err) == 0, &err, "rw");
    expect_int(qemu_io_read(img), 1);
    bdrv_unref(bs);
    end_test();
}

static int reopen_interop_setup(void **state)
{
    if (interop_require_reference_tools() < 0) {
        return -1;
    }
    test_common_init(TEST_COMMON_NO_BACKEND);
    return test_common_tmp_dir_create("reopen-interop");
}

static int reopen_interop_teardown(void **state)
{
    return test_common_tmp_dir_remove();
}

TEST_COMMON_NEEDS(test_reopen_rw_refused_while_qemu_io_reads, ofd_locks)
TEST_COMMON_NEEDS(test_reopen_ro_lets_qemu_io_in, ofd_locks)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T_NEEDS(test_reopen_rw_refused_while_qemu_io_reads, ofd_locks),
        T_NEEDS(test_reopen_ro_lets_qemu_io_in, ofd_locks),
    };

    signal(SIGPIPE, SIG_IGN);
    return test_common_run_group(tests, reopen_interop_setup,
                                 reopen_interop_teardown);
}
