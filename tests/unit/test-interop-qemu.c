/*
 * Interop with the reference implementation (Debian's qemu-io / qemu-img):
 * data written by one reads back identically through the other, and image
 * locks taken by one are seen by the other, in both directions.
 *
 * qemu-io runs as a peer process driven through pipes (interop-common.h):
 * it is started
 * without -c, so it opens the image and waits for commands on stdin; the
 * answer to a command proves the image is open.  No sleeps, no timing.
 * Without qemu-io or qemu-img (install-deps installs qemu-utils) the group
 * setup fails, so the suite does.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>

#include "interop-common.h"
#include "test-common.h"

#define IMG_SIZE (1 << 20)

/* Run a shell command, capture its output; returns its exit status */
static int run_capture(char *out, size_t out_size, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);

static int run_capture(char *out, size_t out_size, const char *fmt, ...)
{
    g_autofree char *cmd = NULL;
    va_list ap;
    FILE *p;
    size_t n;
    int status;

    va_start(ap, fmt);
    cmd = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    p = popen(cmd, "r");
    assert_non_null(p);
    n = fread(out, 1, out_size - 1, p);
    out[n] = '\0';
    status = pclose(p);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static char *make_image(const char *name)
{
    char *path = tmp_path(name);
    Error *err = NULL;

    bdrv_img_create(path, "raw", NULL, NULL, NULL, IMG_SIZE, 0, true, &err);
    check_ok(!err, &err, "bdrv_img_create");
    return path;
}

static BlockBackend *open_raw(const char *path, int flags, Error **errp)
{
    QDict *opts = qdict_new();

    qdict_put_str(opts, "driver", "raw");
    return blk_new_open(path, NULL, opts, flags, errp);
}

/* What drydock writes, qemu-io reads back */
static void test_interop_drydock_writes_qemu_reads(void **state)
{
    g_autofree char *img = make_image("w.raw");
    uint8_t buf[65536];
    char out[4096];
    Error *err = NULL;
    BlockBackend *blk;

    blk = open_raw(img, BDRV_O_RDWR, &err);
    check_ok(blk != NULL, &err, "blk_new_open");
    memset(buf, 0x5a, sizeof(buf));
    assert_int_equal(blk_pwrite(blk, 3 * 65536, sizeof(buf), buf, 0), 0);
    memset(buf, 0xc3, 1000);
    /* Unaligned in both ends: the read-modify-write path */
    assert_int_equal(blk_pwrite(blk, 12345, 1000, buf, 0), 0);
    blk_unref(blk);

    assert_int_equal(run_capture(out, sizeof(out),
                                 "qemu-io -f raw -c 'read -P 0x5a 196608 65536'"
                                 " -c 'read -P 0xc3 12345 1000'"
                                 " -c 'read -P 0 0 12345'"
                                 " -c 'read -P 0 13345 1000' '%s' 2>&1", img),
                     0);
    assert_null(strstr(out, "Pattern verification failed"));
    assert_non_null(strstr(out, "read 65536/65536 bytes at offset 196608"));
}

/* What qemu-io writes, drydock reads back */
static void test_interop_qemu_writes_drydock_reads(void **state)
{
    g_autofree char *img = make_image("r.raw");
    uint8_t buf[4096], want[4096];
    char out[4096];
    Error *err = NULL;
    BlockBackend *blk;

    assert_int_equal(run_capture(out, sizeof(out),
                                 "qemu-io -f raw -c 'write -P 0x7e 8192 4096'"
                                 " -c 'write -P 0x11 777 3' '%s' 2>&1", img),
                     0);
    blk = open_raw(img, 0, &err);
    check_ok(blk != NULL, &err, "blk_new_open");
    assert_int_equal(blk_pread(blk, 8192, sizeof(buf), buf, 0), 0);
    memset(want, 0x7e, sizeof(want));
    assert_memory_equal(buf, want, sizeof(buf));
    assert_int_equal(blk_pread(blk, 776, 5, buf, 0), 0);
    assert_memory_equal(buf, "\0\x11\x11\x11\0", 5);
    blk_unref(blk);
}

/* qemu-io holds the image read-write: drydock can share it, not exclude it */
static void test_interop_qemu_lock_blocks_drydock(void **state)
{
    g_autofree char *img = make_image("lq.raw");
    g_autofree char *args = g_strdup_printf("-f raw '%s'", img);
    QemuPeer peer;
    Error *err = NULL;
    BlockBackend *blk;

    interop_peer_start(&peer, args);
    assert_true(interop_peer_command(&peer, "length", "MiB"));

    /* Both share everything (qemu-io's default): two writers coexist */
    blk = open_raw(img, BDRV_O_RDWR, &err);
    check_ok(blk != NULL, &err, "open next to qemu-io");
    blk_unref(blk);

    /* Refusing to share write conflicts with qemu-io's write permission */
    blk = open_raw(img, BDRV_O_RDWR | BDRV_O_NO_SHARE, &err);
    assert_null(blk);
    check_error_has(&err, "Failed to get", "lock", NULL);

    assert_int_equal(interop_peer_stop(&peer), 0);
    blk = open_raw(img, BDRV_O_RDWR | BDRV_O_NO_SHARE, &err);
    check_ok(blk != NULL, &err, "open once qemu-io has quit");
    blk_unref(blk);
}

/* drydock holds the image without sharing write: qemu-io cannot write it */
static void test_interop_drydock_lock_blocks_qemu(void **state)
{
    g_autofree char *img = make_image("ld.raw");
    char out[4096];
    Error *err = NULL;
    BlockBackend *blk;

    blk = open_raw(img, BDRV_O_RDWR | BDRV_O_NO_SHARE, &err);
    check_ok(blk != NULL, &err, "blk_new_open");

    assert_int_not_equal(run_capture(out, sizeof(out),
                                     "qemu-io -f raw -c 'read 0 512' '%s' "
                                     "2>&1", img), 0);
    assert_non_null(strstr(out, "Failed to get \"write\" lock"));
    /* Read-only users are still welcome: we share consistent read */
    assert_int_equal(run_capture(out, sizeof(out),
                                 "qemu-io -r -f raw -c 'read 0 512' '%s' 2>&1",
                                 img), 0);
    blk_unref(blk);

    /* The last reference released the locks */
    assert_int_equal(run_capture(out, sizeof(out),
                                 "qemu-io -f raw -c 'read 0 512' '%s' 2>&1",
                                 img), 0);
}

static int interop_group_setup(void **state)
{
    if (interop_require_reference_tools() < 0) {
        return -1;
    }
    test_common_init(TEST_COMMON_NO_BACKEND);
    return test_common_tmp_dir_create("interop");
}

static int interop_group_teardown(void **state)
{
    return test_common_tmp_dir_remove();
}

/* Tests of a capability the file system may lack skip, saying why */
TEST_COMMON_NEEDS(test_interop_qemu_lock_blocks_drydock, ofd_locks)
TEST_COMMON_NEEDS(test_interop_drydock_lock_blocks_qemu, ofd_locks)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_interop_drydock_writes_qemu_reads),
        T(test_interop_qemu_writes_drydock_reads),
        T_NEEDS(test_interop_qemu_lock_blocks_drydock, ofd_locks),
        T_NEEDS(test_interop_drydock_lock_blocks_qemu, ofd_locks),
    };

    signal(SIGPIPE, SIG_IGN);
    return test_common_run_group(tests, interop_group_setup,
                                 interop_group_teardown);
}
