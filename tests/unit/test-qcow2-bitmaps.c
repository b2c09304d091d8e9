/*
 * qcow2 images with persistent bitmaps (made by qemu-img and qemu-io: a
 * bitmap "b0" with 64 KiB dirty, so its table has a data cluster).  A
 * read-write open marks the bitmaps in use (drydock does not track
 * writes), the format-specific information lists them with their flags,
 * check counts the bitmap clusters as referenced, a directory placed
 * over other metadata is refused before it is written, and failing I/O
 * during a read-write session never leaves the image corrupt.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "block/mem.h"
#include "util/bswap.h"
#include "interop-common.h"
#include "qcow2-common.h"
#include "qcow2-fault.h"
#include "test-common.h"

#define IMG "qbitmaps"
#define EXT_BITMAPS 0x23852875

static char made[PATH_MAX];

static void load(const char *name)
{
    qcow2_test_load(made, name);
}

/* The bitmaps extension's fields start at this offset of the header */
static size_t bitmaps_ext_data(void)
{
    size_t pos = 112, len;
    const uint8_t *img = mem_image_get(IMG, &len);

    while (pos + 8 <= 4096) {
        uint32_t type = ldl_be_p(img + pos);

        if (type == EXT_BITMAPS) {
            return pos + 8;
        }
        assert_int_not_equal(type, 0);
        pos += 8 + ROUND_UP(ldl_be_p(img + pos + 4), 8);
    }
    fail_msg("no bitmaps extension");
    return 0;
}

/* The flags qemu-img would list for the first bitmap */
static QList *bitmap_flags(void)
{
    Error *err = NULL;
    BlockBackend *blk = qcow2_test_open(IMG, 0, &err);
    ImageInfoSpecific *info;
    QList *bitmaps, *flags;
    QDict *b0;

    check_ok(blk != NULL, &err, "open");
    info = bdrv_get_specific_info(blk_bs(blk), &err);
    check_ok(info != NULL, &err, "info");
    bitmaps = qdict_get_qlist(info->data, "bitmaps");
    assert_non_null(bitmaps);
    assert_int_equal(qlist_size(bitmaps), 1);
    b0 = qobject_to(QDict, qlist_peek(bitmaps));
    assert_string_equal(qdict_get_str(b0, "name"), "b0");
    assert_int_equal(qdict_get_int(b0, "granularity"), 4096);
    flags = qdict_get_qlist(b0, "flags");
    qobject_ref(flags);
    qapi_free_ImageInfoSpecific(info);
    blk_unref(blk);
    return flags;
}

static bool has_flag(QList *flags, const char *name)
{
    for (const QListEntry *e = qlist_first(flags); e; e = qlist_next(e)) {
        if (!strcmp(qstring_get_str(qobject_to(QString, e->value)), name)) {
            return true;
        }
    }
    return false;
}

static void test_rw_open_marks_bitmaps_in_use(void **state)
{
    Error *err = NULL;
    BlockBackend *blk;
    QList *flags;
    BdrvCheckResult res = {0};

    load(IMG);
    flags = bitmap_flags();
    assert_true(has_flag(flags, "auto"));
    assert_false(has_flag(flags, "in-use"));
    qobject_unref(flags);
    blk = qcow2_test_open(IMG, BDRV_O_RDWR, &err);
    check_ok(blk != NULL, &err, "open read-write");
    blk_unref(blk);
    flags = bitmap_flags();
    assert_true(has_flag(flags, "in-use"));
    qobject_unref(flags);
    /* The bitmap table and its data cluster are referenced, not leaked */
    assert_int_equal(qcow2_test_check(IMG, 0, 0, &res), 0);
    assert_int_equal(res.corruptions + res.leaks + res.check_errors, 0);
}

static void test_directory_over_metadata_refused(void **state)
{
    Error *err = NULL;
    BlockBackend *blk;
    size_t ext;

    uint64_t dir, size, moved;
    g_autofree uint8_t *copy = NULL;
    const uint8_t *img;
    size_t len;

    load(IMG);
    ext = bitmaps_ext_data();
    /* A valid copy of the directory over the first active L2 table */
    size = qcow2_test_peek64(IMG, ext + 8);
    dir = qcow2_test_peek64(IMG, ext + 16);
    moved = qcow2_test_peek64(IMG, qcow2_test_peek64(IMG, 40)) &
            0x00fffffffffffe00ULL;
    img = mem_image_get(IMG, &len);
    assert_true(moved && dir + size <= len && size <= 4096);
    copy = g_memdup2(img + dir, size);
    qcow2_test_poke(IMG, moved, copy, size);
    qcow2_test_poke64(IMG, ext + 16, moved);
    /* Read-only it is only read (the L2 table is not); read-write it
     * would be written */
    blk = qcow2_test_open(IMG, 0, &err);
    check_ok(blk != NULL, &err, "open read-only");
    blk_unref(blk);
    blk = qcow2_test_open(IMG, BDRV_O_RDWR, &err);
    assert_null(blk);
    assert_err_contains(err, "overlaps other metadata");
    error_free(err);
}

static void setup_fault(void)
{
    load(QFAULT_IMG);
}

static int op_write_read(BlockBackend *blk)
{
    uint8_t buf[8192];

    memset(buf, 0x3c, sizeof(buf));
    return blk_pwrite(blk, 60 * KiB, sizeof(buf), buf, 0)
               ?: blk_pread(blk, 0, sizeof(buf), buf, 0);
}

static void test_fault_session_with_bitmaps(void **state)
{
    static const QfaultCase c = {"bitmaps session", setup_fault, op_write_read,
                                 0, false};

    assert_true(qfault_sweep(&c) > 1);
}

static int group_setup(void **state)
{
    g_autofree char *path = NULL;

    if (qcow2_test_interop_setup(state, "qcow2-bitmaps") < 0) {
        return -1;
    }
    path = tmp_path("bitmaps.qcow2");
    snprintf(made, sizeof(made), "%s", path);
    if (interop_run("qemu-img create -q -f qcow2 -o cluster_size=4096 %s 1M",
                    made) ||
        interop_run("qemu-img bitmap --add %s b0", made) ||
        interop_run("qemu-io -c 'write 0 64k' %s", made)) {
        return -1;
    }
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_rw_open_marks_bitmaps_in_use),
        T(test_directory_over_metadata_refused),
        T(test_fault_session_with_bitmaps),
    };

    return test_common_run_group(tests, group_setup,
                                 qcow2_test_interop_teardown);
}
