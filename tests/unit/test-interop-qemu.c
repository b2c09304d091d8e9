/*
 * Interop with the reference implementation (Debian's qemu-io / qemu-img):
 * data written by one reads back identically through the other, and image
 * locks taken by one are seen by the other, in both directions.
 *
 * qemu-io runs as a peer process driven through pipes: it is started
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

#include "test-common.h"

#define IMG_SIZE (1 << 20)

typedef struct QemuPeer {
    pid_t pid;
    FILE *in;   /* its stdin */
    FILE *out;  /* its stdout and stderr */
} QemuPeer;

static bool have_qemu_io(void)
{
    return system("command -v qemu-io >/dev/null 2>&1") == 0;
}

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

/* qemu-io on @img with @args, waiting for commands on a pipe */
static void peer_start(QemuPeer *peer, const char *args, const char *img)
{
    int to_child[2], from_child[2];

    assert_int_equal(pipe(to_child), 0);
    assert_int_equal(pipe(from_child), 0);
    peer->pid = fork();
    assert_true(peer->pid >= 0);
    if (peer->pid == 0) {
        g_autofree char *cmd = g_strdup_printf("exec qemu-io %s '%s'", args,
                                               img);
        dup2(to_child[0], 0);
        dup2(from_child[1], 1);
        dup2(from_child[1], 2);
        close(to_child[1]);
        close(from_child[0]);
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    close(to_child[0]);
    close(from_child[1]);
    peer->in = fdopen(to_child[1], "w");
    peer->out = fdopen(from_child[0], "r");
    assert_non_null(peer->in);
    assert_non_null(peer->out);
}

/*
 * Send one command and read lines until one contains @expect (qemu-io
 * prints no prompt when stdin is not a terminal).  False at end of output.
 */
static bool peer_command(QemuPeer *peer, const char *cmd, const char *expect)
{
    char line[512];

    fprintf(peer->in, "%s\n", cmd);
    fflush(peer->in);
    while (fgets(line, sizeof(line), peer->out)) {
        if (strstr(line, expect)) {
            return true;
        }
    }
    return false;
}

static int peer_stop(QemuPeer *peer)
{
    int status = 0;

    fprintf(peer->in, "quit\n");
    fclose(peer->in);
    fclose(peer->out);
    assert_int_equal(waitpid(peer->pid, &status, 0), peer->pid);
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

    if (!have_qemu_io()) {
        skip();
    }
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

    if (!have_qemu_io()) {
        skip();
    }
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
    QemuPeer peer;
    Error *err = NULL;
    BlockBackend *blk;

    if (!have_qemu_io()) {
        skip();
    }
    peer_start(&peer, "-f raw", img);
    assert_true(peer_command(&peer, "length", "MiB"));

    /* Both share everything (qemu-io's default): two writers coexist */
    blk = open_raw(img, BDRV_O_RDWR, &err);
    check_ok(blk != NULL, &err, "open next to qemu-io");
    blk_unref(blk);

    /* Refusing to share write conflicts with qemu-io's write permission */
    blk = open_raw(img, BDRV_O_RDWR | BDRV_O_NO_SHARE, &err);
    assert_null(blk);
    check_error_has(&err, "Failed to get", "lock", NULL);

    assert_int_equal(peer_stop(&peer), 0);
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

    if (!have_qemu_io()) {
        skip();
    }
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
    /* The reference implementation is a dependency, not an option */
    if (!have_qemu_io() || system("command -v qemu-img >/dev/null 2>&1")) {
        print_error("qemu-io or qemu-img not found: install qemu-utils "
                    "(scripts/install-deps)\n");
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
