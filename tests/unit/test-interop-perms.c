/*
 * Image lock bytes: for the same open mode drydock holds exactly the lock
 * bytes qemu-io holds (byte 100 + bit per permission taken, 200 + bit per
 * permission not shared), so that each honours the other's permissions.
 *
 * Raw over file: a filter ("raw") and, with an offset, a data child.  A
 * format over file: QEMU's qcow2 against drydock's "test" format, whose
 * "file" edge has the same role (DATA | METADATA) and default permissions.
 * A backing file (COW child) under either.  All are observed from outside
 * with F_OFD_GETLK on a fresh descriptor.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>

#include "interop-common.h"
#include "test-common.h"

#define IMG_SIZE (1 << 20)
#define LOCK_CONSISTENT_READ 0x1 /* byte 100: every mode reads */

typedef struct LockMode {
    const char *name;
    const char *qemu_args;    /* "%s" is the image */
    const char *const *opts;  /* drydock's options, key/value pairs */
    int flags;                /* drydock's open flags */
} LockMode;

static const char *const raw_opts[] = { "driver", "raw", NULL };
static const char *const raw_fs_opts[] = { "driver", "raw", "force-share",
                                           "on", NULL };
static const char *const raw_offset_opts[] = { "driver", "raw", "offset",
                                               "512", NULL };
static const char *const fmt_opts[] = { "driver", "test", "size", "1M",
                                        NULL };
static const char *const fmt_fs_opts[] = { "driver", "test", "size", "1M",
                                           "force-share", "on", NULL };
static const char *const fmt_file_fs_opts[] = { "driver", "test", "size",
                                                "1M", "file.force-share",
                                                "on", NULL };
static const char *const fmt_fs_not_file_opts[] = {
    "driver", "test", "size", "1M", "force-share", "on",
    "file.force-share", "off", NULL,
};

static const LockMode raw_modes[] = {
    { "raw read-write", "-f raw '%s'", raw_opts, BDRV_O_RDWR },
    { "raw read-only", "-r -f raw '%s'", raw_opts, 0 },
    { "raw read-only force-share", "-U -r -f raw '%s'", raw_fs_opts, 0 },
    { "raw offset read-write",
      "--image-opts driver=raw,offset=512,file.driver=file,"
      "file.filename='%s'", raw_offset_opts, BDRV_O_RDWR },
    { "raw offset read-only",
      "-r --image-opts driver=raw,offset=512,file.driver=file,"
      "file.filename='%s'", raw_offset_opts, 0 },
};

static const LockMode format_modes[] = {
    { "format read-write", "-f qcow2 '%s'", fmt_opts, BDRV_O_RDWR },
    { "format read-only", "-r -f qcow2 '%s'", fmt_opts, 0 },
    { "format read-only force-share", "-U -r -f qcow2 '%s'", fmt_fs_opts,
      0 },
    { "format read-only, file force-share",
      "-r --image-opts driver=qcow2,file.driver=file,file.filename='%s',"
      "file.force-share=on", fmt_file_fs_opts, 0 },
    { "format force-share, file not",
      "-r --image-opts driver=qcow2,force-share=on,file.driver=file,"
      "file.filename='%s',file.force-share=off", fmt_fs_not_file_opts, 0 },
};

/* The lock bytes qemu-io holds on @locked when it opens @img in @mode */
static int qemu_lock_bytes(const LockMode *mode, const char *img,
                           const char *locked)
{
    g_autofree char *args = g_strdup_printf(mode->qemu_args, img);
    QemuPeer peer;
    int mask;

    interop_peer_start(&peer, args);
    if (!interop_peer_command(&peer, "length", "iB")) {
        fail_msg("qemu-io %s did not open the image", args);
    }
    mask = interop_lock_bytes_held(locked);
    assert_int_equal(interop_peer_stop(&peer), 0);
    return mask;
}

/* The same for drydock; @backing: the backing file the image names */
static int drydock_lock_bytes(const LockMode *mode, const char *img,
                              const char *locked, const char *backing)
{
    QDict *opts = qdict_new();
    const char *filename = img;
    BlockBackend *blk;
    Error *err = NULL;
    int mask;

    for (int i = 0; mode->opts[i]; i += 2) {
        qdict_put_str(opts, mode->opts[i], mode->opts[i + 1]);
    }
    if (qdict_haskey(opts, "offset") || qdict_haskey(opts, "size")) {
        /* As with --image-opts: the file by options */
        qdict_put_str(opts, "file.driver", "file");
        qdict_put_str(opts, "file.filename", img);
        filename = NULL;
    }
    if (backing) {
        qdict_put_str(opts, "backing-file", backing);
        qdict_put_str(opts, "backing-fmt", "raw");
    }
    blk = blk_new_open(filename, NULL, opts, mode->flags, &err);
    check_ok(blk != NULL, &err, mode->name);
    mask = interop_lock_bytes_held(locked);
    blk_unref(blk);
    return mask;
}

/* Compare the lock bytes on @locked for every mode of opening @img */
static void compare_modes(const LockMode *modes, int n, const char *img,
                          const char *locked, const char *backing)
{
    int probe = interop_lock_bytes_held(locked);

    if (probe < 0) {
        print_message("Skipped: no OFD locks on this file system\n");
        skip();
    }
    for (int i = 0; i < n; i++) {
        int qemu = qemu_lock_bytes(&modes[i], img, locked);
        int ours = drydock_lock_bytes(&modes[i], img, locked, backing);

        expect_true(qemu & LOCK_CONSISTENT_READ);
        if (qemu != ours) {
            EXPECT_FAIL("%s: qemu-io holds lock bytes 0x%02x, drydock 0x%02x "
                        "(bit i: byte 100+i, bit 4+i: byte 200+i)",
                        modes[i].name, qemu, ours);
        }
    }
}

static void test_interop_lock_bytes_raw_over_file(void **state)
{
    g_autofree char *img = tmp_path("locks.raw");
    Error *err = NULL;

    bdrv_img_create(img, "raw", NULL, NULL, NULL, IMG_SIZE, 0, true, &err);
    check_ok(!err, &err, "bdrv_img_create");
    compare_modes(raw_modes, ARRAY_SIZE(raw_modes), img, img, NULL);
    end_test();
}

static void test_interop_lock_bytes_format_over_file(void **state)
{
    g_autofree char *img = tmp_path("locks.qcow2");
    g_autofree char *cmd = g_strdup_printf("qemu-img create -q -f qcow2 "
                                           "'%s' 1M", img);

    assert_int_equal(system(cmd), 0);
    compare_modes(format_modes, ARRAY_SIZE(format_modes), img, img, NULL);
    end_test();
}

/* The backing file of a format: read by the overlay, written by nobody */
static void test_interop_lock_bytes_backing_file(void **state)
{
    g_autofree char *base = tmp_path("locks-base.raw");
    g_autofree char *img = tmp_path("locks-ovl.qcow2");
    g_autofree char *cmd = g_strdup_printf(
        "qemu-img create -q -f raw '%s' 1M && qemu-img create -q -f qcow2 "
        "-b '%s' -F raw '%s'", base, base, img);

    assert_int_equal(system(cmd), 0);
    /* The read-write and read-only modes of a format over file */
    compare_modes(format_modes, 2, img, base, base);
    end_test();
}

static int group_setup(void **state)
{
    if (interop_require_reference_tools() < 0) {
        return -1;
    }
    test_common_init(TEST_COMMON_NO_BACKEND);
    return test_common_tmp_dir_create("interop-perms");
}

static int group_teardown(void **state)
{
    return test_common_tmp_dir_remove();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_interop_lock_bytes_raw_over_file),
        T(test_interop_lock_bytes_format_over_file),
        T(test_interop_lock_bytes_backing_file),
    };

    signal(SIGPIPE, SIG_IGN);
    return test_common_run_group(tests, group_setup, group_teardown);
}
