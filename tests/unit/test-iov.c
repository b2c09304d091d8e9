/*
 * Unit tests for QEMUIOVector and the raw iovec helpers (util/iov.h).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "util/osdep.h"
#include "util/iov.h"
#include "test-common.h"

/* Three elements of sizes 3, 0 and 5 over one 8-byte buffer "abcdefgh" */
typedef struct Fixture {
    char data[8];
    struct iovec iov[3];
} Fixture;

static void fixture_init(Fixture *f)
{
    memcpy(f->data, "abcdefgh", 8);
    f->iov[0] = (struct iovec){ f->data, 3 };
    f->iov[1] = (struct iovec){ f->data + 3, 0 };
    f->iov[2] = (struct iovec){ f->data + 3, 5 };
}

static void test_iov_size(void **state)
{
    Fixture f;

    fixture_init(&f);
    assert_int_equal(iov_size(f.iov, 3), 8);
    assert_int_equal(iov_size(f.iov, 1), 3);
    assert_int_equal(iov_size(f.iov, 0), 0);
}

static void test_iov_to_from_buf(void **state)
{
    Fixture f;
    char out[9] = { 0 };

    fixture_init(&f);
    /* Across the element boundary and the empty element */
    assert_int_equal(iov_to_buf(f.iov, 3, 1, out, 5), 5);
    assert_memory_equal(out, "bcdef", 5);
    /* Asking for more than is there copies what exists */
    memset(out, 0, sizeof(out));
    assert_int_equal(iov_to_buf(f.iov, 3, 6, out, 10), 2);
    assert_memory_equal(out, "gh", 2);
    /* Offset past the end copies nothing */
    assert_int_equal(iov_to_buf(f.iov, 3, 8, out, 1), 0);
    assert_int_equal(iov_to_buf(f.iov, 3, 100, out, 1), 0);

    assert_int_equal(iov_from_buf(f.iov, 3, 2, "XYZ", 3), 3);
    assert_memory_equal(f.data, "abXYZfgh", 8);
    assert_int_equal(iov_from_buf(f.iov, 3, 7, "12", 2), 1);
    assert_memory_equal(f.data, "abXYZfg1", 8);
}

static void test_iov_memset(void **state)
{
    Fixture f;

    fixture_init(&f);
    assert_int_equal(iov_memset(f.iov, 3, 2, '-', 3), 3);
    assert_memory_equal(f.data, "ab---fgh", 8);
    assert_int_equal(iov_memset(f.iov, 3, 5, 0, 100), 3);
    assert_memory_equal(f.data, "ab---\0\0\0", 8);
}

static void test_buffer_is_zero(void **state)
{
    uint8_t buf[4096] = { 0 };

    assert_true(buffer_is_zero(buf, 0));
    assert_true(buffer_is_zero(buf, 1));
    assert_true(buffer_is_zero(buf, sizeof(buf)));
    buf[4095] = 1;
    assert_false(buffer_is_zero(buf, sizeof(buf)));
    assert_true(buffer_is_zero(buf, 4095));
    buf[4095] = 0;
    buf[0] = 0x80;
    assert_false(buffer_is_zero(buf, sizeof(buf)));
    assert_true(buffer_is_zero(buf + 1, 4095));
}

static void test_qiov_init_add(void **state)
{
    QEMUIOVector qiov;
    char a[4], b[100];

    qemu_iovec_init(&qiov, 0);
    assert_int_equal(qiov.niov, 0);
    assert_int_equal(qiov.size, 0);
    assert_true(qiov.nalloc >= 1);
    /* Growing past the hint keeps earlier elements */
    for (int i = 0; i < 50; i++) {
        qemu_iovec_add(&qiov, (i % 2) ? b : a, (i % 2) ? 100 : 4);
    }
    assert_int_equal(qiov.niov, 50);
    assert_int_equal(qiov.size, 25 * 104);
    assert_ptr_equal(qiov.iov[0].iov_base, a);
    assert_ptr_equal(qiov.iov[49].iov_base, b);
    assert_true(qiov.nalloc >= 50);

    qemu_iovec_reset(&qiov);
    assert_int_equal(qiov.niov, 0);
    assert_int_equal(qiov.size, 0);
    qemu_iovec_add(&qiov, a, 2);
    assert_int_equal(qiov.size, 2);
    qemu_iovec_destroy(&qiov);
    assert_null(qiov.iov);
    assert_int_equal(qiov.size, 0);
}

static void test_qiov_external_and_buf(void **state)
{
    Fixture f;
    QEMUIOVector ext, one;
    char buf[16];
    QEMUIOVector stat = QEMU_IOVEC_INIT_BUF(stat, buf, sizeof(buf));

    fixture_init(&f);
    qemu_iovec_init_external(&ext, f.iov, 3);
    assert_int_equal(ext.size, 8);
    assert_int_equal(ext.nalloc, -1);
    assert_ptr_equal(ext.iov, f.iov);
    /* Destroying a borrowed vector must not free the caller's array */
    qemu_iovec_destroy(&ext);

    qemu_iovec_init_buf(&one, buf, 10);
    assert_int_equal(one.niov, 1);
    assert_int_equal(one.size, 10);
    assert_ptr_equal(one.iov, &one.local_iov);
    assert_ptr_equal(one.iov[0].iov_base, buf);
    qemu_iovec_destroy(&one);

    assert_int_equal(stat.niov, 1);
    assert_int_equal(stat.size, 16);
    assert_ptr_equal(stat.iov, &stat.local_iov);
    assert_int_equal(stat.iov[0].iov_len, 16);
    assert_int_equal(qemu_iovec_memset(&stat, 0, 'z', 16), 16);
    assert_int_equal(buf[15], 'z');
}

static void test_qiov_concat_slice(void **state)
{
    Fixture f;
    QEMUIOVector src, dst, slice;
    char out[8];

    fixture_init(&f);
    qemu_iovec_init_external(&src, f.iov, 3);

    qemu_iovec_init(&dst, 1);
    qemu_iovec_concat(&dst, &src, 2, 4);    /* "cdef": 1 + 3 bytes */
    assert_int_equal(dst.size, 4);
    assert_int_equal(dst.niov, 2);          /* the empty element is skipped */
    assert_int_equal(qemu_iovec_to_buf(&dst, 0, out, 4), 4);
    assert_memory_equal(out, "cdef", 4);
    /* Elements reference the source's memory: no copy */
    assert_ptr_equal(dst.iov[0].iov_base, f.data + 2);
    qemu_iovec_concat(&dst, &src, 0, 0);
    assert_int_equal(dst.size, 4);
    qemu_iovec_destroy(&dst);

    qemu_iovec_init_slice(&slice, &src, 3, 5);
    assert_int_equal(slice.size, 5);
    assert_int_equal(qemu_iovec_to_buf(&slice, 0, out, 5), 5);
    assert_memory_equal(out, "defgh", 5);
    qemu_iovec_destroy(&slice);

    qemu_iovec_init_slice(&slice, &src, 8, 0);
    assert_int_equal(slice.size, 0);
    qemu_iovec_destroy(&slice);
}

static void test_qiov_to_from_buf(void **state)
{
    Fixture f;
    QEMUIOVector q;
    char out[8];

    fixture_init(&f);
    qemu_iovec_init_external(&q, f.iov, 3);
    assert_int_equal(qemu_iovec_from_buf(&q, 1, "1234", 4), 4);
    assert_memory_equal(f.data, "a1234fgh", 8);
    assert_int_equal(qemu_iovec_to_buf(&q, 0, out, 8), 8);
    assert_memory_equal(out, "a1234fgh", 8);
    assert_int_equal(qemu_iovec_from_buf(&q, 6, "xyz", 3), 2);
    assert_int_equal(qemu_iovec_to_buf(&q, 9, out, 1), 0);
}

static void test_qiov_is_zero(void **state)
{
    char a[5] = { 0 }, b[7] = { 0 };
    QEMUIOVector q;

    qemu_iovec_init(&q, 2);
    qemu_iovec_add(&q, a, sizeof(a));
    qemu_iovec_add(&q, b, sizeof(b));
    assert_true(qemu_iovec_is_zero(&q, 0, 12));
    b[3] = 9;                       /* byte 8 of the vector */
    assert_false(qemu_iovec_is_zero(&q, 0, 12));
    assert_true(qemu_iovec_is_zero(&q, 0, 8));
    assert_true(qemu_iovec_is_zero(&q, 9, 3));
    assert_false(qemu_iovec_is_zero(&q, 8, 1));
    assert_true(qemu_iovec_is_zero(&q, 4, 0));
    qemu_iovec_destroy(&q);
}

static void test_qiov_compare(void **state)
{
    char a[6] = "abcdef", b[6] = "abcdef";
    QEMUIOVector qa, qb;

    qemu_iovec_init(&qa, 1);
    qemu_iovec_add(&qa, a, 6);
    qemu_iovec_init(&qb, 3);
    qemu_iovec_add(&qb, b, 1);
    qemu_iovec_add(&qb, b + 1, 4);
    qemu_iovec_add(&qb, b + 5, 1);
    assert_int_equal(qemu_iovec_compare(&qa, &qb), -1);
    b[4] = 'X';
    assert_int_equal(qemu_iovec_compare(&qa, &qb), 4);
    b[0] = 'X';
    assert_int_equal(qemu_iovec_compare(&qa, &qb), 0);
    qemu_iovec_destroy(&qa);
    qemu_iovec_destroy(&qb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_iov_size),
        T(test_iov_to_from_buf),
        T(test_iov_memset),
        T(test_buffer_is_zero),
        T(test_qiov_init_add),
        T(test_qiov_external_and_buf),
        T(test_qiov_concat_slice),
        T(test_qiov_to_from_buf),
        T(test_qiov_is_zero),
        T(test_qiov_compare),
    };

    return test_common_run_group(tests, NULL, NULL);
}
