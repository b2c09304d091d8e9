/*
 * The fault filter of the qcow2 error-path tests (see qcow2-fault.h).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "block/driver.h"
#include "qcow2-common.h"
#include "qcow2-fault.h"
#include "test-common.h"

static int qfault_nth;
static int qfault_seen;

void qfault_arm(int nth)
{
    qfault_nth = nth;
    qfault_seen = 0;
}

int qfault_requests(void)
{
    return qfault_seen;
}

bool qfault_fired(void)
{
    return qfault_nth > 0 && qfault_seen >= qfault_nth;
}

/* Count one request: -EIO when it is the armed one */
static int qfault_next(const char *what, int64_t offset, int64_t bytes)
{
    if (getenv("QFAULT_TRACE")) {
        fprintf(stderr, "qfault %d: %s %#llx+%lld%s\n", qfault_seen + 1, what,
                (long long)offset, (long long)bytes,
                qfault_seen + 1 == qfault_nth ? " FAILS" : "");
    }
    return ++qfault_seen == qfault_nth ? -EIO : 0;
}

static int qfault_open_cb(BlockDriverState *bs, QDict *options, int flags,
                          Error **errp)
{
    int ret = bdrv_open_file_child(NULL, options, "file", bs, errp);

    if (ret == 0) {
        bs->supported_zero_flags =
            BDRV_REQ_MAY_UNMAP |
            (bs->file->bs->supported_zero_flags & BDRV_REQ_NO_FALLBACK);
    }
    return ret;
}

static int64_t coroutine_fn qfault_co_getlength(BlockDriverState *bs)
{
    return bdrv_co_getlength(bs->file->bs);
}

static int coroutine_fn qfault_co_preadv_part(BlockDriverState *bs,
                                              int64_t offset, int64_t bytes,
                                              QEMUIOVector *qiov,
                                              size_t qiov_offset,
                                              BdrvRequestFlags flags)
{
    return qfault_next("read", offset, bytes)
               ?: bdrv_co_preadv_part(bs->file, offset, bytes, qiov,
                                      qiov_offset, flags);
}

static int coroutine_fn qfault_co_pwritev_part(BlockDriverState *bs,
                                               int64_t offset, int64_t bytes,
                                               QEMUIOVector *qiov,
                                               size_t qiov_offset,
                                               BdrvRequestFlags flags)
{
    return qfault_next("write", offset, bytes)
               ?: bdrv_co_pwritev_part(bs->file, offset, bytes, qiov,
                                       qiov_offset, flags);
}

static int coroutine_fn qfault_co_pwrite_zeroes(BlockDriverState *bs,
                                                int64_t offset, int64_t bytes,
                                                BdrvRequestFlags flags)
{
    return qfault_next("zero", offset, bytes)
               ?: bdrv_co_pwrite_zeroes(bs->file, offset, bytes, flags);
}

static int coroutine_fn qfault_co_pdiscard(BlockDriverState *bs, int64_t offset,
                                           int64_t bytes)
{
    return qfault_next("discard", offset, bytes)
               ?: bdrv_co_pdiscard(bs->file, offset, bytes);
}

/*
 * Flushes are counted, never failed: after a failed flush whether the
 * writes before it landed is unknown, and qcow2 (as QEMU's) takes the
 * write of a header field followed by a failed flush for a failed write
 */
static int coroutine_fn qfault_co_flush_to_disk(BlockDriverState *bs)
{
    qfault_next("flush", 0, 0);
    return 0;
}

static int coroutine_fn qfault_co_truncate(BlockDriverState *bs, int64_t offset,
                                           bool exact, PreallocMode prealloc,
                                           BdrvRequestFlags flags, Error **errp)
{
    int ret = qfault_next("truncate", offset, 0);

    if (ret < 0) {
        error_setg_errno(errp, -ret, "Injected truncate failure");
        return ret;
    }
    return bdrv_co_truncate(bs->file, offset, exact, prealloc, flags, errp);
}

static BlockDriver qfault_drv = {
    .format_name = "qcow2-fault",
    .is_filter = true,
    .bdrv_open = qfault_open_cb,
    .bdrv_child_perm = bdrv_filter_default_perms,
    .bdrv_co_getlength = qfault_co_getlength,
    .bdrv_co_preadv_part = qfault_co_preadv_part,
    .bdrv_co_pwritev_part = qfault_co_pwritev_part,
    .bdrv_co_pwrite_zeroes = qfault_co_pwrite_zeroes,
    .bdrv_co_pdiscard = qfault_co_pdiscard,
    .bdrv_co_flush_to_disk = qfault_co_flush_to_disk,
    .bdrv_co_truncate = qfault_co_truncate,
};

void qfault_register(void)
{
    if (!bdrv_find_format(qfault_drv.format_name)) {
        bdrv_register(&qfault_drv);
    }
}

BlockBackend *qfault_open_opts(QDict *opts, int flags, Error **errp)
{
    qfault_register();
    qdict_put_str(opts, "driver", "qcow2");
    qdict_put_str(opts, "file.driver", "qcow2-fault");
    qdict_put_str(opts, "file.file.driver", "mem");
    qdict_put_str(opts, "file.file.filename", QFAULT_IMG);
    return blk_new_open(NULL, NULL, opts, flags, errp);
}

/* qcow2 over the filter, NULL when opening fails (with a message) */
static BlockBackend *qfault_try_open(int flags)
{
    Error *err = NULL;
    BlockBackend *blk = qfault_open_opts(qdict_new(), flags, &err);

    if (!blk) {
        assert_non_null(err);
        assert_true(strlen(error_get_pretty(err)) > 0);
        error_free(err);
    }
    return blk;
}

/* One run of @c with request @nth failing; the requests it made */
static int qfault_run(const QfaultCase *c, int nth)
{
    int flags = BDRV_O_RDWR | BDRV_O_UNMAP | c->open_flags;
    BlockBackend *blk;
    int seen, ret;

    c->setup();
    qfault_arm(nth);
    blk = qfault_try_open(flags);
    if (blk) {
        ret = c->op(blk);
        if (ret != 0 && ret != -EIO) {
            fail_msg("%s, request %d failing: %s", c->name, nth,
                     strerror(-ret));
        }
        if (nth == 0 && ret) {
            fail_msg("%s without a fault: %s", c->name, strerror(-ret));
        }
        blk_unref(blk);
    } else if (nth == 0) {
        fail_msg("%s: open failed without a fault", c->name);
    }
    seen = qfault_requests();
    qfault_arm(0);
    return seen;
}

/* The image after a fault: no corruption, no corrupt bit, no check error */
static void qfault_expect_consistent(const QfaultCase *c, int nth)
{
    BdrvCheckResult res = {0};
    int ret = c->repairable && nth ? qcow2_test_check(QFAULT_IMG, BDRV_O_RDWR,
                                                      BDRV_FIX_ERRORS, &res)
                                   : qcow2_test_check(QFAULT_IMG, 0, 0, &res);

    if (ret < 0 || res.corruptions || res.check_errors ||
        (qcow2_test_peek64(QFAULT_IMG, 72) & 2)) {
        fail_msg("%s, request %d failing: check %d, %d corruptions, %d "
                 "check errors, incompatible %#llx",
                 c->name, nth, ret, res.corruptions, res.check_errors,
                 (unsigned long long)qcow2_test_peek64(QFAULT_IMG, 72));
    }
}

int qfault_sweep(const QfaultCase *c)
{
    int total;

    qfault_register();
    total = qfault_run(c, 0);
    qfault_expect_consistent(c, 0);
    assert_true(total > 0);
    for (int nth = 1; nth <= total; nth++) {
        qfault_run(c, nth);
        qfault_expect_consistent(c, nth);
    }
    return total;
}
