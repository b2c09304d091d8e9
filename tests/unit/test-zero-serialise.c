/*
 * A serialising zero write (block/core/io-zero.c) waits for an older
 * overlapping write still in flight, so the zeroes land last and win.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "block/driver.h"
#include "block/test-driver.h"
#include "test-common.h"

#define ZS_POLL_LIMIT 1000

/* Polls the main context until @cond or the limit; the value of @cond */
#define ZS_POLL_UNTIL(cond)                                                    \
    ({                                                                         \
        for (int zs_i = 0; zs_i < ZS_POLL_LIMIT && !(cond); zs_i++) {         \
            aio_poll(qemu_get_aio_context(), false);                           \
        }                                                                      \
        (cond);                                                                \
    })

static BlockBackend *open_test_blk(void)
{
    QDict *opts = test_common_opts_pairs("size", "1M", NULL);

    return test_common_blk_open("test", NULL, opts, BDRV_O_RDWR,
                                &error_abort);
}

static void test_serialising_zero_write_lands_last(void **state)
{
    BlockBackend *blk = open_test_blk();
    BlockDriverState *bs = blk_bs(blk);
    uint8_t data[4096], got[4096], zeroes[4096] = { 0 };
    AioResult wr = { 0 }, zr = { 0 };
    QEMUIOVector qiov;

    memset(data, 0x55, sizeof(data));
    qemu_iovec_init_buf(&qiov, data, sizeof(data));
    test_driver_set_parking(bs, true);
    blk_aio_pwritev(blk, 0, &qiov, 0, aio_done_cb, &wr);
    blk_aio_pwrite_zeroes(blk, 1024, 2048, BDRV_REQ_SERIALISING, aio_done_cb,
                          &zr);
    /* Only the write reached the driver: the zero write waits for it */
    expect_true(ZS_POLL_UNTIL(test_driver_parked_count(bs) == 1));
    expect_false(zr.done);
    test_driver_release(bs, 1);
    expect_true(ZS_POLL_UNTIL(wr.done));
    expect_true(ZS_POLL_UNTIL(test_driver_parked_count(bs) == 1));
    expect_false(zr.done);
    test_driver_set_parking(bs, false);
    test_driver_release(bs, 1);
    expect_true(ZS_POLL_UNTIL(zr.done));
    expect_int(wr.ret, 0);
    expect_int(zr.ret, 0);
    expect_int(blk_pread(blk, 0, sizeof(got), got, 0), 0);
    expect_true(!memcmp(got, data, 1024));
    expect_true(!memcmp(got + 1024, zeroes, 2048));
    expect_true(!memcmp(got + 3072, data, 1024));
    blk_unref(blk);
    end_test();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_serialising_zero_write_lands_last),
    };

    return test_common_run_group(tests, test_common_group_setup, NULL);
}
