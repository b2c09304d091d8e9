/*
 * Helpers of the qcow2 snapshot tests (qcow2-snap-common.h).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "block/mem.h"
#include "util/bswap.h"
#include "qcow2-common.h"
#include "qcow2-snap-common.h"
#include "test-common.h"

BlockBackend *qsnap_open(const char *name, int flags)
{
    Error *err = NULL;
    BlockBackend *blk = qcow2_test_open(name, flags, &err);

    check_ok(blk != NULL, &err, "open qcow2");
    return blk;
}

void qsnap_fill(uint8_t *buf, int64_t offset, int64_t len, int seed)
{
    for (int64_t i = 0; i < len; i++) {
        uint64_t o = offset + i;

        buf[i] = seed < 0 ? 0 : (seed & QSNAP_BYTE(0)) ? (uint8_t)seed
                 : (uint8_t)(o * 7 + seed * 13 + (o >> 9));
    }
}

void qsnap_write(BlockBackend *blk, int64_t offset, int64_t len, int seed)
{
    g_autofree uint8_t *buf = g_malloc(len);

    qsnap_fill(buf, offset, len, seed);
    assert_int_equal(blk_pwrite(blk, offset, len, buf, 0), 0);
}

bool qsnap_reads(BlockBackend *blk, int64_t offset, int64_t len, int seed)
{
    g_autofree uint8_t *buf = g_malloc(len);
    g_autofree uint8_t *want = g_malloc(len);

    qsnap_fill(want, offset, len, seed);
    assert_int_equal(blk_pread(blk, offset, len, buf, 0), 0);
    return !memcmp(buf, want, len);
}

int qsnap_create(BlockBackend *blk, const char *id, const char *name)
{
    QEMUSnapshotInfo sn = { .date_sec = 1700000000, .date_nsec = 5,
                            .vm_clock_nsec = 77, .icount = -1ULL };

    snprintf(sn.id_str, sizeof(sn.id_str), "%s", id ? id : "");
    snprintf(sn.name, sizeof(sn.name), "%s", name);
    return bdrv_snapshot_create(blk_bs(blk), &sn);
}

int qsnap_vmstate(BlockBackend *blk, bool save, int64_t pos, int len,
                  int seed)
{
    g_autofree uint8_t *buf = g_malloc(len);
    g_autofree uint8_t *want = g_malloc(len);
    int ret;

    qsnap_fill(want, pos, len, seed);
    if (save) {
        return bdrv_save_vmstate(blk_bs(blk), want, pos, len);
    }
    ret = bdrv_load_vmstate(blk_bs(blk), buf, pos, len);
    return ret != len ? ret : memcmp(buf, want, len) ? -EILSEQ : len;
}

int qsnap_goto(BlockBackend *blk, const char *id_or_name)
{
    Error *err = NULL;
    int ret = bdrv_snapshot_goto(blk_bs(blk), id_or_name, &err);

    error_free(err);
    return ret;
}

int qsnap_count(BlockBackend *blk)
{
    QEMUSnapshotInfo *list = NULL;
    int n = bdrv_snapshot_list(blk_bs(blk), &list);

    g_free(list);
    return n;
}

void qsnap_check(BlockBackend *blk, int leaks)
{
    BdrvCheckResult res;

    assert_int_equal(bdrv_check(blk_bs(blk), &res, 0), 0);
    assert_int_equal(res.corruptions, 0);
    assert_int_equal(res.leaks, leaks);
    assert_int_equal(res.check_errors, 0);
}

/* The refcount of @cluster in image bytes @img (0 without a block) */
static uint64_t qsnap_refcount(const uint8_t *img, size_t len,
                               uint64_t cluster)
{
    int cbits = ldl_be_p(img + 20);
    int order = ldl_be_p(img + 4) >= 3 ? ldl_be_p(img + 96) : 4;
    int bits = 1 << order;
    uint64_t per_block = (8ULL << cbits) / bits;
    uint64_t rt = ldq_be_p(img + 48);
    uint64_t block = ldq_be_p(img + rt + (cluster / per_block) * 8);
    uint64_t idx = cluster % per_block, v = 0;

    if (!block) {
        return 0;
    }
    assert_true(block + (1ULL << cbits) <= len);
    if (bits < 8) {
        return (img[block + idx * bits / 8] >> (idx * bits % 8)) &
               ((1 << bits) - 1);
    }
    for (int i = 0; i < bits / 8; i++) {
        v = v << 8 | img[block + idx * bits / 8 + i];
    }
    return v;
}

static void qsnap_expect_flag(uint64_t e, uint64_t rc, const char *what,
                              uint64_t where)
{
    if (!!(e & QSNAP_COPIED) != (rc == 1)) {
        fail_msg("%s %#" PRIx64 ": COPIED %d with refcount %" PRIu64, what,
                 where, !!(e & QSNAP_COPIED), rc);
    }
}

void qsnap_check_copied(const char *name)
{
    size_t len;
    const uint8_t *img = mem_image_get(name, &len);
    int cbits;
    uint64_t l1, csize;
    uint32_t l1_size;

    assert_non_null(img);
    cbits = ldl_be_p(img + 20);
    csize = 1ULL << cbits;
    l1_size = ldl_be_p(img + 36);
    l1 = ldq_be_p(img + 40);
    for (uint32_t i = 0; i < l1_size; i++) {
        uint64_t l1e = ldq_be_p(img + l1 + i * 8);
        uint64_t l2 = l1e & QSNAP_OFFSET_MASK;

        if (!l2) {
            continue;
        }
        assert_true(l2 + csize <= len);
        qsnap_expect_flag(l1e, qsnap_refcount(img, len, l2 >> cbits),
                          "L1 entry", i);
        for (uint64_t j = 0; j < csize / 8; j++) {
            uint64_t l2e = ldq_be_p(img + l2 + j * 8);
            uint64_t data = l2e & QSNAP_OFFSET_MASK;

            if (data && !(l2e & (1ULL << 62))) {
                qsnap_expect_flag(l2e, qsnap_refcount(img, len, data >> cbits),
                                  "L2 entry at", l2 + j * 8);
            }
        }
    }
}

int qsnap_group_setup(void **state)
{
    if (test_common_tmp_dir_create("qsnap") < 0) {
        return -1;
    }
    return test_common_group_setup(state);
}

int qsnap_group_teardown(void **state)
{
    int ret = test_common_tmp_dir_remove();

    return test_common_group_teardown_mem(state) ?: ret;
}

const char *const qsnap_fail_events[QSNAP_FAIL_EVENTS] = {
    "l1_update", "l2_update", "refblock_update", "cluster_alloc",
    "refblock_alloc",
};

/* qcow2 over blkdebug over mem image @name, writes failing after @event */
static BlockBackend *qsnap_open_failing(const char *name, const char *event,
                                        bool crash)
{
    QDict *opts = qdict_new();
    Error *err = NULL;
    BlockBackend *blk;

    qdict_put_str(opts, "driver", "qcow2");
    qdict_put_str(opts, "file.driver", "blkdebug");
    qdict_put_str(opts, "file.image.driver", "mem");
    qdict_put_str(opts, "file.image.filename", name);
    qdict_put_str(opts, "file.inject-error.0.event", event);
    qdict_put_str(opts, "file.inject-error.0.once", crash ? "off" : "on");
    qdict_put_str(opts, "file.inject-error.0.iotype", "write");
    blk = blk_new_open(NULL, NULL, opts,
                       BDRV_O_RDWR | BDRV_O_UNMAP, &err);
    check_ok(blk != NULL, &err, "open over blkdebug");
    return blk;
}

int qsnap_failing_op(const char *name, const char *event, int op,
                     bool crash)
{
    BlockBackend *blk;
    int ret;

    qcow2_test_create(name, MiB, "cluster_size=4096");
    blk = qsnap_open(name, BDRV_O_RDWR);
    qsnap_write(blk, 0, 256 * KiB, 1);
    assert_int_equal(qsnap_create(blk, NULL, "a"), 0);
    qsnap_write(blk, 0, 8192, 2);
    blk_unref(blk);
    blk = qsnap_open_failing(name, event, crash);
    ret = op == QSNAP_OP_CREATE ? qsnap_create(blk, NULL, "b") :
          op == QSNAP_OP_GOTO ? qsnap_goto(blk, "a") :
          bdrv_snapshot_delete(blk_bs(blk), NULL, "a", NULL);
    blk_unref(blk);
    return ret;
}
