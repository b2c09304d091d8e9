/*
 * Unit tests of the file protocol driver: options, I/O, holes, truncate,
 * creation and image locking.  Files live in a mkdtemp() directory.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "block/driver.h"
#include "util/cutils.h"
#include "test-common.h"

/* Create @name with @len bytes of @fill; returns its path */
static char *make_file(const char *name, size_t len, int fill)
{
    char *path = tmp_path(name);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    uint8_t *buf = g_malloc(MAX(len, 1));

    assert_true(fd >= 0);
    memset(buf, fill, len);
    assert_int_equal(pwrite(fd, buf, len, 0), (ssize_t)len);
    assert_int_equal(fsync(fd), 0);
    close(fd);
    g_free(buf);
    return path;
}

static struct stat stat_path(const char *path)
{
    struct stat st;

    assert_int_equal(stat(path, &st), 0);
    return st;
}

static void read_path(const char *path, int64_t offset, void *buf, size_t n)
{
    int fd = open(path, O_RDONLY);

    assert_true(fd >= 0);
    assert_int_equal(pread(fd, buf, n, offset), (ssize_t)n);
    close(fd);
}

/* A backend on a file node of @path with @opts added (NULL: none) */
#define open_file(path, opts, flags, errp)                                     \
    test_common_blk_open("file", (path), (opts), (flags), (errp))

/* Does another open file description hold lock byte @byte of @path? */
static bool byte_locked(const char *path, int byte)
{
    struct flock fl = {
        .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = byte, .l_len = 1,
    };
    int fd = open(path, O_RDONLY);

    assert_true(fd >= 0);
    assert_int_equal(fcntl(fd, F_OFD_GETLK, &fl), 0);
    close(fd);
    return fl.l_type != F_UNLCK;
}

/* The lock bytes held by anyone, as perm bits | unshared bits << 8 */
static unsigned lock_state(const char *path)
{
    unsigned state = 0;

    for (int i = 0; i < BLK_PERM_COUNT; i++) {
        state |= byte_locked(path, 100 + i) << i;
        state |= byte_locked(path, 200 + i) << (8 + i);
    }
    return state;
}

#define LOCKS(perm, unshared) ((unsigned)(perm) | (unsigned)(unshared) << 8)

/* ---- options and open errors ----------------------------------------- */

static void test_open_errors(void **state)
{
    g_autofree char *missing = tmp_path("does-not-exist");
    g_autofree char *path = make_file("errors", 4096, 0);
    static const struct {
        const char *key, *value, *needle;
    } bad[] = {
        { "locking", "maybe", "'maybe'" },
        { "aio", "native", "'native'" },
        { "aio", "bogus", "'bogus'" },
        { "bogus", "1", "doesn't support the option 'bogus'" },
    };
    Error *err = NULL;
    g_autofree char *msg = NULL;

    assert_null(open_file(NULL, NULL, 0, &err));
    check_error_has(&err, "requires a file name", NULL);

    assert_null(open_file("", NULL, 0, &err));
    check_error_has(&err, "'filename'", NULL);

    assert_null(open_file(missing, NULL, 0, &err));
    msg = g_strdup_printf("Could not open '%s': No such file or directory",
                          missing);
    check_error_has(&err, msg, NULL);

    assert_null(open_file(test_common_tmp_dir(), NULL, 0, &err));
    check_error_has(&err, "regular file", NULL);

    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        QDict *opts = qdict_new();
        qdict_put_str(opts, bad[i].key, bad[i].value);
        assert_null(open_file(path, opts, 0, &err));
        check_error_has(&err, bad[i].needle, NULL);
    }
}

static void test_good_options(void **state)
{
    g_autofree char *path = make_file("options", 4096, 0);
    const char *locking[] = { "auto", "on", "off" };

    for (size_t i = 0; i < ARRAY_SIZE(locking); i++) {
        QDict *opts = qdict_new();
        BlockBackend *blk;

        qdict_put_str(opts, "locking", locking[i]);
        qdict_put_str(opts, "aio", "threads");
        blk = open_file(path, opts, 0, &error_abort);
        assert_int_equal(blk_getlength(blk), 4096);
        blk_unref(blk);
    }
}

static void test_parse_filename(void **state)
{
    BlockDriver *drv = bdrv_find_format("file");
    static const struct {
        const char *in, *out;
    } cases[] = {
        { "/abs/path", "/abs/path" },
        { "file:/abs/path", "/abs/path" },
        { "file:rel", "rel" },
        /* Without the prefix "a:b" would look like protocol "a" */
        { "file:a:b", "./a:b" },
        { "file:/x/a:b", "/x/a:b" },
    };

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        QDict *opts = qdict_new();
        drv->bdrv_parse_filename(cases[i].in, opts, &error_abort);
        assert_string_equal(qdict_get_str(opts, "filename"), cases[i].out);
        qobject_unref(opts);
    }
}

static void test_filename_prefix_opens(void **state)
{
    g_autofree char *path = make_file("prefixed", 512, 7);
    g_autofree char *name = g_strdup_printf("file:%s", path);
    BlockDriverState *bs;

    bs = bdrv_open(name, NULL, NULL, BDRV_O_PROTOCOL, &error_abort);
    assert_string_equal(bdrv_get_format_name(bs), "file");
    assert_int_equal(bdrv_getlength(bs), 512);
    bdrv_unref(bs);
}

/* ---- I/O --------------------------------------------------------------- */

static void test_read_write(void **state)
{
    g_autofree char *path = make_file("rw", 65536, 0);
    BlockBackend *blk = open_file(path, NULL, BDRV_O_RDWR, &error_abort);
    uint8_t in[8192], out[8192];

    memset(in, 0x3c, sizeof(in));
    assert_int_equal(blk_pwrite(blk, 4096, sizeof(in), in, 0), 0);
    read_path(path, 4096, out, sizeof(out));
    assert_memory_equal(in, out, sizeof(in));
    memset(out, 0, sizeof(out));
    assert_int_equal(blk_pread(blk, 4096, sizeof(out), out, 0), 0);
    assert_memory_equal(in, out, sizeof(in));
    assert_int_equal(blk_flush(blk), 0);
    blk_unref(blk);
}

static void test_vectored_io(void **state)
{
    g_autofree char *path = make_file("vec", 65536, 0);
    BlockBackend *blk = open_file(path, NULL, BDRV_O_RDWR, &error_abort);
    uint8_t a[1000], b[24], c[3072], out[4096];
    QEMUIOVector qiov;

    memset(a, 1, sizeof(a));
    memset(b, 2, sizeof(b));
    memset(c, 3, sizeof(c));
    qemu_iovec_init(&qiov, 3);
    qemu_iovec_add(&qiov, a, sizeof(a));
    qemu_iovec_add(&qiov, b, sizeof(b));
    qemu_iovec_add(&qiov, c, sizeof(c));
    assert_int_equal(blk_pwritev(blk, 8192, qiov.size, &qiov, 0), 0);
    qemu_iovec_destroy(&qiov);
    read_path(path, 8192, out, sizeof(out));
    assert_int_equal(out[0], 1);
    assert_int_equal(out[999], 1);
    assert_int_equal(out[1000], 2);
    assert_int_equal(out[1023], 2);
    assert_int_equal(out[1024], 3);
    assert_int_equal(out[4095], 3);
    blk_unref(blk);
}

static void test_short_read_at_eof(void **state)
{
    g_autofree char *path = make_file("short", 1000, 0x42);
    BlockBackend *blk = open_file(path, NULL, 0, &error_abort);
    uint8_t buf[1024];

    /* The length is rounded up to a sector, the tail reads as zeroes */
    assert_int_equal(blk_getlength(blk), 1024);
    memset(buf, 0xff, sizeof(buf));
    assert_int_equal(blk_pread(blk, 0, sizeof(buf), buf, 0), 0);
    for (int i = 0; i < 1000; i++) {
        assert_int_equal(buf[i], 0x42);
    }
    assert_true(buffer_is_zero(buf + 1000, 24));
    blk_unref(blk);
}

static void test_write_extends_file(void **state)
{
    g_autofree char *path = make_file("extend", 4096, 0);
    BlockBackend *blk = open_file(path, NULL, BDRV_O_RDWR | BDRV_O_RESIZE,
                                  &error_abort);
    uint8_t buf[512];

    blk_set_allow_write_beyond_eof(blk, true);
    memset(buf, 9, sizeof(buf));
    assert_int_equal(blk_pwrite(blk, 65536, sizeof(buf), buf, 0), 0);
    assert_int_equal(stat_path(path).st_size, 65536 + 512);
    blk_unref(blk);
}

/* 1 MiB of data, the range [256K, 512K) then zeroed by @op */
static void check_hole_punched(const char *name, bool discard)
{
    g_autofree char *path = make_file(name, 1024 * 1024, 0xab);
    BlockBackend *blk = open_file(path, NULL, BDRV_O_RDWR | BDRV_O_UNMAP,
                                  &error_abort);
    blkcnt_t blocks_before = stat_path(path).st_blocks;
    uint8_t buf[4096];
    int fd;

    if (discard) {
        assert_int_equal(blk_pdiscard(blk, 256 * 1024, 256 * 1024), 0);
    } else {
        assert_int_equal(blk_pwrite_zeroes(blk, 256 * 1024, 256 * 1024,
                                           BDRV_REQ_MAY_UNMAP), 0);
    }
    fd = open(path, O_RDONLY);
    assert_int_equal(lseek(fd, 256 * 1024, SEEK_HOLE), 256 * 1024);
    assert_int_equal(lseek(fd, 256 * 1024, SEEK_DATA), 512 * 1024);
    close(fd);
    assert_true(stat_path(path).st_blocks < blocks_before);
    assert_int_equal(stat_path(path).st_size, 1024 * 1024);

    assert_int_equal(blk_pread(blk, 256 * 1024, sizeof(buf), buf, 0), 0);
    assert_true(buffer_is_zero(buf, sizeof(buf)));
    assert_int_equal(blk_pread(blk, 512 * 1024, sizeof(buf), buf, 0), 0);
    assert_int_equal(buf[0], 0xab);
    blk_unref(blk);
}

static void test_discard_punches_hole(void **state)
{
    check_hole_punched("discard", true);
}

static void test_write_zeroes_unmap_punches_hole(void **state)
{
    check_hole_punched("zeroes-unmap", false);
}

static void test_write_zeroes(void **state)
{
    g_autofree char *path = make_file("zeroes", 65536, 0xcd);
    BlockBackend *blk = open_file(path, NULL, BDRV_O_RDWR, &error_abort);
    uint8_t buf[8192];

    assert_int_equal(blk_pwrite_zeroes(blk, 4096, 8192, 0), 0);
    read_path(path, 4096, buf, sizeof(buf));
    assert_true(buffer_is_zero(buf, sizeof(buf)));
    read_path(path, 0, buf, 4096);
    assert_int_equal(buf[4095], 0xcd);
    read_path(path, 12288, buf, 1);
    assert_int_equal(buf[0], 0xcd);
    blk_unref(blk);
}

static void test_write_zeroes_past_eof(void **state)
{
    g_autofree char *path = make_file("zeroes-eof", 4096, 0xcd);
    BlockBackend *blk = open_file(path, NULL,
                                  BDRV_O_RDWR | BDRV_O_RESIZE | BDRV_O_UNMAP,
                                  &error_abort);
    uint8_t buf[8192];

    blk_set_allow_write_beyond_eof(blk, true);
    assert_int_equal(blk_pwrite_zeroes(blk, 0, 12288, BDRV_REQ_MAY_UNMAP),
                     0);
    assert_int_equal(stat_path(path).st_size, 12288);
    read_path(path, 0, buf, sizeof(buf));
    assert_true(buffer_is_zero(buf, sizeof(buf)));
    blk_unref(blk);
}

static void test_truncate(void **state)
{
    g_autofree char *path = make_file("truncate", 4096, 0x11);
    BlockBackend *blk = open_file(path, NULL, BDRV_O_RDWR | BDRV_O_RESIZE,
                                  &error_abort);
    uint8_t buf[4096];
    blkcnt_t blocks;
    Error *err = NULL;

    /* Grow sparsely */
    assert_int_equal(blk_truncate(blk, 1024 * 1024, true, PREALLOC_MODE_OFF,
                                  0, &error_abort), 0);
    assert_int_equal(stat_path(path).st_size, 1024 * 1024);
    assert_int_equal(blk_getlength(blk), 1024 * 1024);
    blocks = stat_path(path).st_blocks;
    assert_true(blocks * 512 < 1024 * 1024);
    assert_int_equal(blk_pread(blk, 4096, sizeof(buf), buf, 0), 0);
    assert_true(buffer_is_zero(buf, sizeof(buf)));

    /* Preallocated growth allocates the new range */
    assert_int_equal(blk_truncate(blk, 2 * 1024 * 1024, true,
                                  PREALLOC_MODE_FALLOC, 0, &error_abort), 0);
    assert_true(stat_path(path).st_blocks * 512 >= blocks * 512 + 1024 * 1024);
    blocks = stat_path(path).st_blocks;
    assert_int_equal(blk_truncate(blk, 3 * 1024 * 1024, true,
                                  PREALLOC_MODE_FULL, 0, &error_abort), 0);
    assert_int_equal(stat_path(path).st_size, 3 * 1024 * 1024);
    assert_true(stat_path(path).st_blocks * 512 >= blocks * 512 + 1024 * 1024);
    read_path(path, 2 * 1024 * 1024, buf, sizeof(buf));
    assert_true(buffer_is_zero(buf, sizeof(buf)));

    /* Shrink keeps the head */
    assert_int_equal(blk_truncate(blk, 2048, true, PREALLOC_MODE_OFF, 0,
                                  &error_abort), 0);
    assert_int_equal(stat_path(path).st_size, 2048);
    assert_int_equal(blk_getlength(blk), 2048);
    read_path(path, 0, buf, 2048);
    assert_int_equal(buf[2047], 0x11);

    /* Preallocation cannot shrink; metadata is not a file mode */
    assert_true(blk_truncate(blk, 1024, true, PREALLOC_MODE_FALLOC, 0,
                             &err) < 0);
    check_error_has(&err, "shrinking", NULL);
    assert_int_equal(stat_path(path).st_size, 2048);
    assert_true(blk_truncate(blk, 8192, true, PREALLOC_MODE_METADATA, 0,
                             &err) < 0);
    check_error_has(&err, "Unsupported preallocation mode: metadata", NULL);
    assert_int_equal(stat_path(path).st_size, 2048);
    blk_unref(blk);
}

static void test_block_status(void **state)
{
    g_autofree char *path = make_file("status", 65536, 0x99);
    BlockDriverState *bs, *file = NULL;
    int64_t pnum = 0, map = -1;
    int ret;

    assert_int_equal(truncate(path, 1024 * 1024), 0);
    bs = bdrv_open(path, NULL, NULL, BDRV_O_PROTOCOL, &error_abort);

    ret = bdrv_block_status(bs, 0, 1024 * 1024, &pnum, &map, &file);
    assert_true(ret >= 0);
    assert_true(ret & BDRV_BLOCK_DATA);
    assert_true(ret & BDRV_BLOCK_OFFSET_VALID);
    assert_false(ret & BDRV_BLOCK_ZERO);
    assert_int_equal(pnum, 65536);
    assert_int_equal(map, 0);
    assert_ptr_equal(file, bs);

    ret = bdrv_block_status(bs, 65536, 1024 * 1024 - 65536, &pnum, &map,
                            &file);
    assert_true(ret >= 0);
    assert_true(ret & BDRV_BLOCK_ZERO);
    assert_false(ret & BDRV_BLOCK_DATA);
    assert_true(ret & BDRV_BLOCK_OFFSET_VALID);
    assert_int_equal(pnum, 1024 * 1024 - 65536);
    assert_int_equal(map, 65536);
    bdrv_unref(bs);
}

static void test_sizes_and_zero_init(void **state)
{
    g_autofree char *path = make_file("sizes", 100 * 1024, 1);
    BlockDriverState *bs = bdrv_open(path, NULL, NULL, BDRV_O_PROTOCOL,
                                     &error_abort);

    assert_int_equal(bdrv_get_allocated_file_size(bs),
                     (int64_t)stat_path(path).st_blocks * 512);
    assert_int_equal(bdrv_has_zero_init(bs), 1);
    assert_int_equal(bdrv_get_request_alignment(bs), 1);
    bdrv_unref(bs);
}

/* Skips the test (before it allocates anything) without O_DIRECT */
static void require_o_direct(void)
{
    g_autofree char *path = make_file("direct-probe", 4096, 0);
    int fd = open(path, O_RDONLY | O_DIRECT);

    if (fd < 0) {
        unlink(path);
        g_free(g_steal_pointer(&path));
        skip();
    }
    close(fd);
}

static void test_nocache(void **state)
{
    g_autofree char *path = NULL;
    g_autofree uint8_t *mem = NULL;
    BlockBackend *blk;
    uint32_t align;
    uint8_t *buf;
    uint8_t check[100];

    require_o_direct();
    path = make_file("direct", 65536, 0);
    mem = g_malloc(8192 + 1);
    buf = mem + 1;         /* deliberately misaligned */
    blk = open_file(path, NULL, BDRV_O_RDWR | BDRV_O_NOCACHE, &error_abort);
    align = bdrv_get_request_alignment(blk_bs(blk));
    assert_true(align >= 512 && align <= 4096 && is_power_of_2(align));

    /* Unaligned offset, length and memory: the core and driver cope */
    memset(buf, 0x6e, 100);
    assert_int_equal(blk_pwrite(blk, 3, 100, buf, 0), 0);
    read_path(path, 3, check, sizeof(check));
    assert_memory_equal(check, buf, 100);
    read_path(path, 0, check, 3);
    assert_true(buffer_is_zero(check, 3));
    memset(buf, 0, 8192);
    assert_int_equal(blk_pread(blk, 0, 8192, buf, 0), 0);
    assert_int_equal(buf[3], 0x6e);
    assert_int_equal(buf[102], 0x6e);
    assert_int_equal(buf[103], 0);
    blk_unref(blk);
}

static void test_nocache_short_file(void **state)
{
    g_autofree char *path = NULL;
    BlockBackend *blk;
    uint8_t *buf = NULL;

    require_o_direct();
    path = make_file("direct-short", 1000, 0x24);
    blk = open_file(path, NULL, BDRV_O_NOCACHE, &error_abort);
    assert_int_equal(posix_memalign((void **)&buf, 4096, 4096), 0);
    memset(buf, 0xff, 4096);
    /* O_DIRECT stops short at EOF; the rest of the sector is zeroes */
    assert_int_equal(blk_pread(blk, 0, 1024, buf, 0), 0);
    assert_int_equal(buf[999], 0x24);
    assert_true(buffer_is_zero(buf + 1000, 24));
    free(buf);
    blk_unref(blk);
}

/*
 * 0: RDWR fails with EACCES and AUTO_RDONLY falls back to read-only;
 * else the number of the check that failed.  Runs without privileges.
 */
static int check_auto_read_only(const char *path)
{
    BlockDriverState *bs;
    Error *err = NULL;

    bs = bdrv_open(path, NULL, NULL, BDRV_O_PROTOCOL | BDRV_O_RDWR, &err);
    if (bs || !strstr(error_get_pretty(err), "Permission denied")) {
        return 1;
    }
    error_free(err);
    err = NULL;
    /* A node (not a backend, which would still demand write) */
    bs = bdrv_open(path, NULL, NULL,
                   BDRV_O_PROTOCOL | BDRV_O_RDWR | BDRV_O_AUTO_RDONLY, &err);
    if (!bs) {
        error_report_err(err);
        return 2;
    }
    if (!bdrv_is_read_only(bs) || (bdrv_get_flags(bs) & BDRV_O_RDWR)) {
        return 3;
    }
    bdrv_unref(bs);
    return 0;
}

static void test_auto_read_only(void **state)
{
    g_autofree char *path = make_file("ro", 4096, 0);
    int status;
    pid_t pid;

    assert_int_equal(chmod(path, 0444), 0);
    if (geteuid() != 0) {
        assert_int_equal(check_auto_read_only(path), 0);
        return;
    }
    /* root may write anything: check as "nobody" in a child process */
    assert_int_equal(chmod(test_common_tmp_dir(), 0755), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (setgid(65534) < 0 || setuid(65534) < 0) {
            _exit(100);
        }
        _exit(check_auto_read_only(path));
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_int_equal(chmod(test_common_tmp_dir(), 0700), 0);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

/* ---- creation ----------------------------------------------------------- */

static QemuOpts *create_opts(const char *size, const char *prealloc)
{
    QemuOpts *opts = qemu_opts_create(bdrv_find_format("file")->create_opts,
                                      NULL, 0, &error_abort);

    if (size) {
        qemu_opt_set(opts, "size", size, &error_abort);
    }
    if (prealloc) {
        qemu_opt_set(opts, "preallocation", prealloc, &error_abort);
    }
    return opts;
}

static void test_create(void **state)
{
    g_autofree char *path = tmp_path("created");
    g_autofree char *prefixed = g_strdup_printf("file:%s", path);
    QemuOpts *opts;

    opts = create_opts("1M", NULL);
    assert_int_equal(bdrv_create_file(path, opts, &error_abort), 0);
    qemu_opts_del(opts);
    assert_int_equal(stat_path(path).st_size, 1024 * 1024);
    assert_true(stat_path(path).st_blocks * 512 < 1024 * 1024);

    /* Sizes round up to a sector; an existing file is cleared */
    assert_int_equal(truncate(path, 0), 0);
    g_free(make_file("created", 8192, 0x55));
    opts = create_opts("1000", "off");
    assert_int_equal(bdrv_create_file(prefixed, opts, &error_abort), 0);
    qemu_opts_del(opts);
    assert_int_equal(stat_path(path).st_size, 1024);
    {
        uint8_t buf[1024];
        read_path(path, 0, buf, sizeof(buf));
        assert_true(buffer_is_zero(buf, sizeof(buf)));
    }

    opts = create_opts("1M", "full");
    assert_int_equal(bdrv_create_file(path, opts, &error_abort), 0);
    qemu_opts_del(opts);
    assert_true(stat_path(path).st_blocks * 512 >= 1024 * 1024);

    opts = create_opts("2M", "falloc");
    assert_int_equal(bdrv_create_file(path, opts, &error_abort), 0);
    qemu_opts_del(opts);
    assert_int_equal(stat_path(path).st_size, 2 * 1024 * 1024);
    assert_true(stat_path(path).st_blocks * 512 >= 2 * 1024 * 1024);
}

static void test_create_errors(void **state)
{
    g_autofree char *path = tmp_path("create-errors");
    g_autofree char *nodir = tmp_path("no/such/dir/img");
    QemuOpts *opts;
    Error *err = NULL;

    opts = create_opts("1M", "sparse");
    assert_int_equal(bdrv_create_file(path, opts, &err), -EINVAL);
    check_error_has(&err, "'sparse'", NULL);
    qemu_opts_del(opts);
    assert_int_equal(access(path, F_OK), -1);

    opts = create_opts("1M", "metadata");
    assert_true(bdrv_create_file(path, opts, &err) < 0);
    check_error_has(&err, "'metadata'", NULL);
    qemu_opts_del(opts);

    opts = create_opts("1M", NULL);
    assert_int_equal(bdrv_create_file(nodir, opts, &err), -ENOENT);
    check_error_has(&err, "Could not create", NULL);
    qemu_opts_del(opts);
}

static void test_create_refused_while_in_use(void **state)
{
    g_autofree char *path = make_file("in-use", 65536, 0x77);
    BlockBackend *blk = open_file(path, NULL, BDRV_O_RDWR | BDRV_O_RESIZE,
                                  &error_abort);
    QemuOpts *opts = create_opts("4096", NULL);
    g_autofree char *hint = g_strdup_printf("[%s]", path);
    Error *err = NULL;
    uint8_t buf[1];

    assert_true(bdrv_create_file(path, opts, &err) < 0);
    assert_err_contains(err, "Failed to get shared \"resize\" lock");
    assert_non_null(error_get_hint(err));
    assert_non_null(strstr(error_get_hint(err), hint));
    error_free(err);
    /* Nothing was destroyed */
    assert_int_equal(stat_path(path).st_size, 65536);
    read_path(path, 65535, buf, 1);
    assert_int_equal(buf[0], 0x77);

    blk_unref(blk);
    assert_int_equal(bdrv_create_file(path, opts, &error_abort), 0);
    assert_int_equal(stat_path(path).st_size, 4096);
    qemu_opts_del(opts);
}

/* ---- image locking ------------------------------------------------------ */

static void test_lock_bytes(void **state)
{
    g_autofree char *path = make_file("lock-bytes", 4096, 0);
    BlockBackend *blk;

    blk = open_file(path, NULL, BDRV_O_RDWR | BDRV_O_NO_SHARE, &error_abort);
    /* Holds read+write; shares only read and write-unchanged */
    assert_int_equal(lock_state(path),
                     LOCKS(BLK_PERM_CONSISTENT_READ | BLK_PERM_WRITE,
                           BLK_PERM_WRITE | BLK_PERM_RESIZE));
    blk_unref(blk);
    /* Closing releases everything */
    assert_int_equal(lock_state(path), 0);

    blk = open_file(path, NULL, 0, &error_abort);
    assert_int_equal(lock_state(path), LOCKS(BLK_PERM_CONSISTENT_READ, 0));
    blk_unref(blk);
    assert_int_equal(lock_state(path), 0);
}

static void test_lock_conflict_write(void **state)
{
    g_autofree char *path = make_file("lock-write", 4096, 0);
    g_autofree char *hint = g_strdup_printf("Is another process using the "
                                            "image [%s]?", path);
    BlockBackend *a, *b;
    Error *err = NULL;

    a = open_file(path, NULL, BDRV_O_RDWR | BDRV_O_NO_SHARE, &error_abort);
    b = open_file(path, NULL, BDRV_O_RDWR, &err);
    assert_null(b);
    assert_err_contains(err, "Failed to get \"write\" lock");
    assert_non_null(error_get_hint(err));
    assert_non_null(strstr(error_get_hint(err), hint));
    error_free(err);

    /* Reading is shared */
    b = open_file(path, NULL, 0, &error_abort);
    blk_unref(b);

    /* The failed open left only a's locks */
    assert_int_equal(lock_state(path),
                     LOCKS(BLK_PERM_CONSISTENT_READ | BLK_PERM_WRITE,
                           BLK_PERM_WRITE | BLK_PERM_RESIZE));
    blk_unref(a);
    b = open_file(path, NULL, BDRV_O_RDWR, &error_abort);
    blk_unref(b);
}

static void test_lock_conflict_shared(void **state)
{
    g_autofree char *path = make_file("lock-shared", 4096, 0);
    BlockBackend *a, *b;
    Error *err = NULL;

    a = open_file(path, NULL, BDRV_O_RDWR, &error_abort);
    /* b refuses to share write, which a holds */
    b = open_file(path, NULL, BDRV_O_NO_SHARE, &err);
    assert_null(b);
    check_error_has(&err, "Failed to get shared \"write\" lock", NULL);
    blk_unref(a);
    assert_int_equal(lock_state(path), 0);
}

static void test_lock_narrow_and_widen(void **state)
{
    g_autofree char *path = make_file("lock-narrow", 4096, 0);
    BlockBackend *a;

    a = open_file(path, NULL, BDRV_O_RDWR, &error_abort);
    assert_int_equal(lock_state(path),
                     LOCKS(BLK_PERM_CONSISTENT_READ | BLK_PERM_WRITE, 0));
    assert_int_equal(blk_set_perm(a, BLK_PERM_CONSISTENT_READ, BLK_PERM_ALL,
                                  &error_abort), 0);
    assert_int_equal(lock_state(path), LOCKS(BLK_PERM_CONSISTENT_READ, 0));
    assert_int_equal(blk_set_perm(a, BLK_PERM_CONSISTENT_READ |
                                  BLK_PERM_WRITE,
                                  BLK_PERM_CONSISTENT_READ, &error_abort), 0);
    assert_int_equal(lock_state(path),
                     LOCKS(BLK_PERM_CONSISTENT_READ | BLK_PERM_WRITE,
                           BLK_PERM_WRITE | BLK_PERM_WRITE_UNCHANGED |
                           BLK_PERM_RESIZE));
    blk_unref(a);
}

static void test_lock_unchanged_after_failed_change(void **state)
{
    g_autofree char *path = make_file("lock-fail", 4096, 0);
    BlockBackend *a, *b;
    Error *err = NULL;

    /* a: writable node, currently only reading */
    a = open_file(path, NULL, BDRV_O_RDWR, &error_abort);
    assert_int_equal(blk_set_perm(a, BLK_PERM_CONSISTENT_READ, BLK_PERM_ALL,
                                  &error_abort), 0);
    /* b: reads and refuses to share write */
    b = open_file(path, NULL, BDRV_O_NO_SHARE, &error_abort);

    assert_true(blk_set_perm(a, BLK_PERM_CONSISTENT_READ | BLK_PERM_WRITE,
                             BLK_PERM_ALL, &err) < 0);
    check_error_has(&err, "Failed to get \"write\" lock", NULL);
    blk_unref(b);
    /* Only a's original lock is left: the attempt was rolled back */
    assert_int_equal(lock_state(path), LOCKS(BLK_PERM_CONSISTENT_READ, 0));

    /* The other direction: a may not stop sharing what b holds */
    b = open_file(path, NULL, BDRV_O_RDWR, &error_abort);
    assert_true(blk_set_perm(a, BLK_PERM_CONSISTENT_READ,
                             BLK_PERM_CONSISTENT_READ, &err) < 0);
    check_error_has(&err, "Failed to get shared \"write\" lock", NULL);
    blk_unref(b);
    assert_int_equal(lock_state(path), LOCKS(BLK_PERM_CONSISTENT_READ, 0));

    /* Nothing blocks it now */
    assert_int_equal(blk_set_perm(a, BLK_PERM_CONSISTENT_READ |
                                  BLK_PERM_WRITE, BLK_PERM_ALL,
                                  &error_abort), 0);
    blk_unref(a);
    assert_int_equal(lock_state(path), 0);
}

static void test_locking_off(void **state)
{
    g_autofree char *path = make_file("lock-off", 4096, 0);
    QDict *opts = qdict_new();
    BlockBackend *a, *b;

    qdict_put_str(opts, "locking", "off");
    a = open_file(path, opts, BDRV_O_RDWR | BDRV_O_NO_SHARE, &error_abort);
    assert_int_equal(lock_state(path), 0);
    b = open_file(path, NULL, BDRV_O_RDWR | BDRV_O_NO_SHARE, &error_abort);
    assert_int_equal(lock_state(path),
                     LOCKS(BLK_PERM_CONSISTENT_READ | BLK_PERM_WRITE,
                           BLK_PERM_WRITE | BLK_PERM_RESIZE));
    blk_unref(b);
    blk_unref(a);
}

/* ---- setup -------------------------------------------------------------- */

static int setup(void **state)
{
    bdrv_init();
    assert_int_equal(test_common_tmp_dir_create("test-file"), 0);
    return 0;
}

static int teardown(void **state)
{
    test_common_tmp_dir_remove();
    return 0;
}

/* Tests of a capability the file system may lack skip, saying why */
TEST_COMMON_NEEDS(test_discard_punches_hole, punch_hole)
TEST_COMMON_NEEDS(test_write_zeroes_unmap_punches_hole, punch_hole)
TEST_COMMON_NEEDS(test_create_refused_while_in_use, ofd_locks)
TEST_COMMON_NEEDS(test_lock_bytes, ofd_locks)
TEST_COMMON_NEEDS(test_lock_conflict_write, ofd_locks)
TEST_COMMON_NEEDS(test_lock_conflict_shared, ofd_locks)
TEST_COMMON_NEEDS(test_lock_narrow_and_widen, ofd_locks)
TEST_COMMON_NEEDS(test_lock_unchanged_after_failed_change, ofd_locks)
TEST_COMMON_NEEDS(test_locking_off, ofd_locks)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_open_errors),
        T(test_good_options),
        T(test_parse_filename),
        T(test_filename_prefix_opens),
        T(test_read_write),
        T(test_vectored_io),
        T(test_short_read_at_eof),
        T(test_write_extends_file),
        T_NEEDS(test_discard_punches_hole, punch_hole),
        T_NEEDS(test_write_zeroes_unmap_punches_hole, punch_hole),
        T(test_write_zeroes),
        T(test_write_zeroes_past_eof),
        T(test_truncate),
        T(test_block_status),
        T(test_sizes_and_zero_init),
        T(test_nocache),
        T(test_nocache_short_file),
        T(test_auto_read_only),
        T(test_create),
        T(test_create_errors),
        T_NEEDS(test_create_refused_while_in_use, ofd_locks),
        T_NEEDS(test_lock_bytes, ofd_locks),
        T_NEEDS(test_lock_conflict_write, ofd_locks),
        T_NEEDS(test_lock_conflict_shared, ofd_locks),
        T_NEEDS(test_lock_narrow_and_widen, ofd_locks),
        T_NEEDS(test_lock_unchanged_after_failed_change, ofd_locks),
        T_NEEDS(test_locking_off, ofd_locks),
    };

    return test_common_run_group(tests, setup, teardown);
}
