/*
 * qcow2 growing its image file: the room added past the last cluster is
 * allocated (fallocate), not a hole, so that direct writes into it run in
 * parallel on the host filesystem; the room goes back at close, so the
 * file ends where QEMU's would; a file that refuses to preallocate still
 * grows (by truncating); the image checks clean and reads back through
 * qemu-io.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "block/mem.h"
#include "block/test-driver.h"
#include "util/qdict.h"
#include "interop-common.h"
#include "qcow2-common.h"
#include "test-common.h"

#define CLUSTERS 37

static void write_clusters(BlockBackend *blk, int n)
{
    g_autofree uint8_t *buf = g_malloc(64 * KiB);

    for (int i = 0; i < n; i++) {
        qcow2_test_pattern(buf, 64 * KiB, i);
        assert_int_equal(blk_pwrite(blk, (int64_t)i * 64 * KiB, 64 * KiB, buf,
                                    0), 0);
    }
}

/*
 * Whether [start, end) of @path is covered by extents (written or
 * unwritten): false where it has a hole; -1 when the filesystem has no
 * FIEMAP
 */
static int range_allocated(const char *path, uint64_t start, uint64_t end)
{
    size_t sz = sizeof(struct fiemap) + 64 * sizeof(struct fiemap_extent);
    g_autofree struct fiemap *fm = g_malloc0(sz);
    uint64_t covered = start;
    int fd = open(path, O_RDONLY);

    assert_true(fd >= 0);
    fm->fm_start = start;
    fm->fm_length = end - start;
    fm->fm_flags = FIEMAP_FLAG_SYNC;
    fm->fm_extent_count = 64;
    if (ioctl(fd, FS_IOC_FIEMAP, fm) < 0) {
        close(fd);
        return -1;
    }
    close(fd);
    for (unsigned i = 0; i < fm->fm_mapped_extents; i++) {
        struct fiemap_extent *e = &fm->fm_extents[i];

        if (e->fe_logical > covered) {
            return 0;
        }
        covered = MAX(covered, e->fe_logical + e->fe_length);
    }
    return covered >= end;
}

/* The image end offset `qemu-img check -U` reports for @path (open) */
static int64_t image_end_offset(const char *path)
{
    g_autofree char *out = interop_output("qemu-img check -U --output=json "
                                          "%s", path);
    const char *key = out ? strstr(out, "\"image-end-offset\": ") : NULL;

    assert_non_null(key);
    return strtoll(key + strlen("\"image-end-offset\": "), NULL, 10);
}

static void test_growth_preallocates_the_new_room(void **state)
{
    g_autofree char *path = tmp_path("growth.qcow2");
    BlockBackend *blk;
    Error *err = NULL;
    int64_t end;
    struct stat st;
    int alloc;

    assert_int_equal(qcow2_test_sh("qemu-img create -q -f qcow2 %s 64M", path),
                     0);
    blk = qcow2_test_open(path, BDRV_O_RDWR, &err);
    check_ok(blk != NULL, &err, "open");
    write_clusters(blk, CLUSTERS);
    assert_int_equal(blk_flush(blk), 0);

    /* While open, the last growth step left room past the last cluster */
    end = image_end_offset(path);
    assert_int_equal(stat(path, &st), 0);
    assert_true(st.st_size > end);
    alloc = range_allocated(path, end, st.st_size);
    if (alloc >= 0) {
        assert_int_equal(alloc, 1);
    }
    blk_unref(blk);

    /* The room goes back at close: the file ends where qemu-img's would */
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_size, end);
    assert_int_equal(qcow2_test_sh("qemu-img check -q %s && qemu-io -f qcow2 "
                                   "-c 'read -P 0 %d 64k' %s >/dev/null",
                                   path, (int)(CLUSTERS * 64 * KiB), path), 0);
    if (alloc < 0) {
        skip();
    }
}

/*
 * A file below the image that refuses preallocation (the test driver,
 * told to): the image still grows, by truncating, after one refusal
 */
static void test_growth_without_falloc_still_grows(void **state)
{
    BdrvCheckResult res = {0};
    BlockDriverState *file;
    BlockBackend *blk;
    Error *err = NULL;
    QDict *opts;
    size_t len;

    qcow2_test_create("nofalloc", 64 * MiB, NULL);
    assert_non_null(mem_image_get("nofalloc", &len));
    opts = qdict_new();
    qdict_put_str(opts, "driver", "qcow2");
    qdict_put_str(opts, "file.driver", "test");
    qdict_put_int(opts, "file.size", len);
    qdict_put_str(opts, "file.file.driver", "mem");
    qdict_put_str(opts, "file.file.filename", "nofalloc");
    blk = blk_new_open(NULL, NULL, opts, BDRV_O_RDWR, &err);
    check_ok(blk != NULL, &err, "open");
    file = blk_bs(blk)->file->bs;
    test_driver_refuse_prealloc(file, true);
    write_clusters(blk, CLUSTERS);
    assert_int_equal(test_driver_counters(file)->prealloc_refused, 1);
    blk_unref(blk);
    assert_non_null(mem_image_get("nofalloc", &len));
    assert_true(len >= (size_t)CLUSTERS * 64 * KiB);
    assert_int_equal(qcow2_test_check("nofalloc", 0, 0, &res), 0);
    assert_int_equal(res.corruptions + res.leaks + res.check_errors, 0);
    mem_image_delete("nofalloc");
}

static int growth_group_setup(void **state)
{
    return qcow2_test_interop_setup(state, "qcow2-file-growth");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_growth_preallocates_the_new_room),
        T(test_growth_without_falloc_still_grows),
    };

    return test_common_run_group(tests, growth_group_setup,
                                 qcow2_test_interop_teardown);
}
