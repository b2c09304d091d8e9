/*
 * How a BlockBackend AIO request calls back: never inside the submitting
 * call (a request done by then completes through a BH), and straight from
 * the request's coroutine when it completed later (no extra BH).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>

#include "block/file.h"
#include "test-common.h"

typedef struct CbRecord {
    int ret;
    int calls;
    bool in_coroutine;
} CbRecord;

static void record_cb(void *opaque, int ret)
{
    CbRecord *r = opaque;

    r->ret = ret;
    r->calls++;
    r->in_coroutine = qemu_in_coroutine();
}

static void test_aio_done_at_once_calls_back_after_submit(void **state)
{
    BlockBackend *blk = test_common_blk_open("null-co", NULL, NULL,
                                             BDRV_O_RDWR, &error_abort);
    uint8_t buf[512];
    QEMUIOVector qiov;
    CbRecord r = { 0 };

    qemu_iovec_init_buf(&qiov, buf, sizeof(buf));
    blk_aio_preadv(blk, 0, &qiov, 0, record_cb, &r);
    assert_int_equal(r.calls, 0);
    AIO_WAIT_WHILE(NULL, r.calls == 0);
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.ret, 0);
    assert_false(r.in_coroutine);       /* from the BH */
    blk_unref(blk);
}

static void test_aio_done_later_calls_back_from_its_coroutine(void **state)
{
    g_autofree char *path = NULL;
    BlockBackend *blk;
    uint8_t buf[4096];
    QEMUIOVector qiov;
    CbRecord r = { 0 };
    int fd;

    assert_int_equal(test_common_tmp_dir_create("blk-aio"), 0);
    path = tmp_path("image");
    fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, 65536), 0);
    close(fd);
    blk = test_common_blk_open("file", path, NULL, 0, &error_abort);

    /* Through the thread pool: the request yields, submit returns first */
    file_nowait_set_mode(FILE_NOWAIT_OFF);
    qemu_iovec_init_buf(&qiov, buf, sizeof(buf));
    blk_aio_preadv(blk, 0, &qiov, 0, record_cb, &r);
    assert_int_equal(r.calls, 0);
    AIO_WAIT_WHILE(NULL, r.calls == 0);
    file_nowait_set_mode(FILE_NOWAIT_AUTO);
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.ret, 0);
    assert_true(r.in_coroutine);        /* no bounce through a BH */
    blk_unref(blk);
    test_common_tmp_dir_remove();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_aio_done_at_once_calls_back_after_submit),
        T(test_aio_done_later_calls_back_from_its_coroutine),
    };

    test_common_init(TEST_COMMON_NO_BACKEND);
    return test_common_run_group(tests, NULL, NULL);
}
