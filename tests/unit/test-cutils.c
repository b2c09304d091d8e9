/*
 * Unit tests for cutils (block/util/cutils.c) and the osdep.h helpers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>

#include "util/cutils.h"
#include "util/error.h"
#include "test-common.h"

static void test_pstrcpy_pstrcat(void **state)
{
    char buf[8];

    memset(buf, 'X', sizeof(buf));
    pstrcpy(buf, sizeof(buf), "abc");
    assert_string_equal(buf, "abc");
    pstrcpy(buf, sizeof(buf), "0123456789");
    assert_string_equal(buf, "0123456");   /* truncated, terminated */
    pstrcpy(buf, 0, "ignored");
    assert_string_equal(buf, "0123456");

    pstrcpy(buf, sizeof(buf), "ab");
    assert_ptr_equal(pstrcat(buf, sizeof(buf), "cd"), buf);
    assert_string_equal(buf, "abcd");
    pstrcat(buf, sizeof(buf), "efghij");
    assert_string_equal(buf, "abcdefg");
    pstrcat(buf, sizeof(buf), "z");        /* full: unchanged */
    assert_string_equal(buf, "abcdefg");
    assert_int_equal(qemu_strnlen("abcdef", 3), 3);
    assert_int_equal(qemu_strnlen("ab", 3), 2);
}

static void test_strstart(void **state)
{
    const char *rest = NULL;

    assert_true(strstart("json:{}", "json:", &rest));
    assert_string_equal(rest, "{}");
    assert_false(strstart("jso", "json:", &rest));
    assert_true(strstart("abc", "", NULL));
    assert_true(stristart("JSON:x", "json:", &rest));
    assert_string_equal(rest, "x");
    assert_false(stristart("JSOx", "json", NULL));
}

static void test_strtoi64(void **state)
{
    const char *end;
    int64_t v = 0;

    assert_int_equal(qemu_strtoi64("123", NULL, 10, &v), 0);
    assert_int_equal(v, 123);
    assert_int_equal(qemu_strtoi64(" -42", NULL, 0, &v), 0);
    assert_int_equal(v, -42);
    assert_int_equal(qemu_strtoi64("0x1f", NULL, 0, &v), 0);
    assert_int_equal(v, 31);
    assert_int_equal(qemu_strtoi64("017", NULL, 0, &v), 0);
    assert_int_equal(v, 15);

    /* Trailing garbage: -EINVAL without end, accepted with end */
    assert_int_equal(qemu_strtoi64("12abc", NULL, 10, &v), -EINVAL);
    assert_int_equal(qemu_strtoi64("12abc", &end, 10, &v), 0);
    assert_int_equal(v, 12);
    assert_string_equal(end, "abc");

    /* No digits */
    v = 99;
    assert_int_equal(qemu_strtoi64("", &end, 10, &v), -EINVAL);
    assert_int_equal(qemu_strtoi64("abc", &end, 10, &v), -EINVAL);
    assert_string_equal(end, "abc");
    assert_int_equal(v, 99);
    assert_int_equal(qemu_strtoi64(NULL, &end, 10, &v), -EINVAL);
    assert_null(end);

    /* Overflow clamps */
    assert_int_equal(qemu_strtoi64("9223372036854775808", NULL, 10, &v),
                     -ERANGE);
    assert_true(v == INT64_MAX);
    assert_int_equal(qemu_strtoi64("-9223372036854775809", NULL, 10, &v),
                     -ERANGE);
    assert_true(v == INT64_MIN);
}

static void test_strtou64(void **state)
{
    uint64_t v = 0;
    const char *end;

    assert_int_equal(qemu_strtou64("18446744073709551615", NULL, 10, &v), 0);
    assert_true(v == UINT64_MAX);
    assert_int_equal(qemu_strtou64("18446744073709551616", NULL, 10, &v),
                     -ERANGE);
    assert_true(v == UINT64_MAX);
    /* Deviation from strtoull: negative values are not wrapped */
    assert_int_equal(qemu_strtou64("-1", NULL, 10, &v), -ERANGE);
    assert_int_equal(qemu_strtou64(" -0", NULL, 10, &v), 0);
    assert_true(v == 0);
    assert_int_equal(qemu_strtou64("7 ", &end, 10, &v), 0);
    assert_string_equal(end, " ");
    assert_int_equal(qemu_strtou64("x", NULL, 10, &v), -EINVAL);
}

static void test_strtoi_small(void **state)
{
    int i = 0;
    unsigned int u = 0;
    long l = 0;
    unsigned long ul = 0;

    assert_int_equal(qemu_strtoi("2147483647", NULL, 10, &i), 0);
    assert_int_equal(i, INT_MAX);
    assert_int_equal(qemu_strtoi("2147483648", NULL, 10, &i), -ERANGE);
    assert_int_equal(i, INT_MAX);
    assert_int_equal(qemu_strtoi("-2147483649", NULL, 10, &i), -ERANGE);
    assert_int_equal(i, INT_MIN);
    assert_int_equal(qemu_strtoi("1x", NULL, 10, &i), -EINVAL);
    assert_int_equal(qemu_strtoui("4294967295", NULL, 10, &u), 0);
    assert_true(u == UINT_MAX);
    assert_int_equal(qemu_strtoui("4294967296", NULL, 10, &u), -ERANGE);
    assert_int_equal(qemu_strtol("-5", NULL, 10, &l), 0);
    assert_int_equal(l, -5);
    assert_int_equal(qemu_strtoul("5", NULL, 10, &ul), 0);
    assert_int_equal(ul, 5);
}

static void check_sz(const char *s, int ret, uint64_t expected)
{
    uint64_t v = 12345;
    int r = qemu_strtosz(s, NULL, &v);

    if (r != ret || (ret == 0 && v != expected)) {
        fail_msg("qemu_strtosz(\"%s\") = %d, %" PRIu64 "; expected %d, %"
                 PRIu64, s, r, v, ret, expected);
    }
}

static void test_strtosz(void **state)
{
    check_sz("0", 0, 0);
    check_sz("12345", 0, 12345);
    check_sz("1B", 0, 1);
    check_sz("1b", 0, 1);
    check_sz("1K", 0, 1024);
    check_sz("1k", 0, 1024);
    check_sz("1M", 0, 1 << 20);
    check_sz("2G", 0, 2ull << 30);
    check_sz("3T", 0, 3ull << 40);
    check_sz("1P", 0, 1ull << 50);
    check_sz("15E", 0, 15ull << 60);
    check_sz("1.5M", 0, 3 << 19);
    check_sz("1.5k", 0, 1536);
    check_sz("0.5G", 0, 1ull << 29);
    check_sz("1.1k", 0, 1126);             /* fraction truncated */
    check_sz("1.0", 0, 1);                 /* zero fraction of bytes ok */
    check_sz("0x10", 0, 16);
    check_sz("0x10M", 0, 16 << 20);
    check_sz(" 64k", 0, 65536);
    check_sz("18446744073709551615", 0, UINT64_MAX);

    check_sz("", -EINVAL, 0);
    check_sz(" ", -EINVAL, 0);
    check_sz("k", -EINVAL, 0);
    check_sz("-1", -EINVAL, 0);
    check_sz("+1", -EINVAL, 0);
    check_sz("1.5", -EINVAL, 0);           /* fraction of a byte */
    check_sz("1.", -EINVAL, 0);
    check_sz(".5M", -EINVAL, 0);
    check_sz("0x1.8M", -EINVAL, 0);
    check_sz("1X", -EINVAL, 0);
    check_sz("1KB", -EINVAL, 0);
    check_sz("1 M", -EINVAL, 0);
    check_sz("0x", -EINVAL, 0);

    check_sz("16E", -ERANGE, 0);
    check_sz("18446744073709551616", -ERANGE, 0);
    check_sz("99999999999999999999999", -ERANGE, 0);
    check_sz("17179869184G", -ERANGE, 0);
    check_sz("16.0E", -ERANGE, 0);
    /* Just below 16 EiB: exact fraction arithmetic, no rounding up */
    check_sz("15.9999999999999999999E", 0, UINT64_MAX);
    check_sz("15.5E", 0, 31ull << 59);
}

static void test_strtosz_end(void **state)
{
    const char *end;
    uint64_t v;

    assert_int_equal(qemu_strtosz("4k,next", &end, &v), 0);
    assert_int_equal(v, 4096);
    assert_string_equal(end, ",next");
    assert_int_equal(qemu_strtosz("junk", &end, &v), -EINVAL);
    assert_string_equal(end, "junk");
    assert_int_equal(qemu_strtosz_MiB("2", NULL, &v), 0);
    assert_int_equal(v, 2 << 20);
    assert_int_equal(qemu_strtosz_MiB("1.5", NULL, &v), 0);
    assert_int_equal(v, 3 << 19);
    assert_int_equal(qemu_strtosz_MiB("512k", NULL, &v), 0);
    assert_int_equal(v, 512 << 10);
}

static void test_bool_parse(void **state)
{
    Error *err = NULL;
    bool b = false;

    assert_true(qapi_bool_parse("x", "yes", &b, &error_abort));
    assert_true(b);
    assert_true(qapi_bool_parse("x", "n", &b, &error_abort));
    assert_false(b);
    assert_false(qapi_bool_parse("x", "ON", &b, &err));
    assert_string_equal(error_get_pretty(err),
                        "Parameter 'x' expects 'on' or 'off', got 'ON'");
    error_free(err);
}

static void check_size_str(uint64_t val, const char *expected)
{
    char *s = size_to_str(val);

    assert_string_equal(s, expected);
    g_free(s);
}

static void test_size_to_str(void **state)
{
    check_size_str(0, "0 B");
    check_size_str(512, "512 B");
    check_size_str(999, "999 B");
    check_size_str(1000, "0.977 KiB");
    check_size_str(1024, "1 KiB");
    check_size_str(131072, "128 KiB");
    check_size_str(1 << 20, "1 MiB");
    check_size_str(3ull << 29, "1.5 GiB");
    check_size_str(10ull << 30, "10 GiB");
    check_size_str(1ull << 40, "1 TiB");
    check_size_str(UINT64_MAX, "16 EiB");
}

static void test_path(void **state)
{
    char *p;

    assert_true(path_is_absolute("/a/b"));
    assert_false(path_is_absolute("a/b"));
    assert_false(path_is_absolute(""));
    assert_true(path_is_absolute("file:/a"));
    assert_false(path_is_absolute("nbd:host:10809"));
    /* A ':' after a '/' is not a protocol prefix */
    assert_false(path_is_absolute("dir/x:/y"));

    p = path_combine("/images/base.qcow2", "backing.qcow2");
    assert_string_equal(p, "/images/backing.qcow2");
    g_free(p);
    p = path_combine("/images/base.qcow2", "/abs/b.raw");
    assert_string_equal(p, "/abs/b.raw");
    g_free(p);
    p = path_combine("base.qcow2", "b.raw");
    assert_string_equal(p, "b.raw");
    g_free(p);
    p = path_combine("rel/dir/base", "../b");
    assert_string_equal(p, "rel/dir/../b");
    g_free(p);
    p = path_combine("file:/img/a.qcow2", "b.qcow2");
    assert_string_equal(p, "file:/img/b.qcow2");
    g_free(p);
    p = path_combine("file:a.qcow2", "b.qcow2");
    assert_string_equal(p, "file:b.qcow2");
    g_free(p);
}

static void test_fdatasync(void **state)
{
    const char *dir = getenv("TMPDIR");
    char name[PATH_MAX];
    int fd;

    snprintf(name, sizeof(name), "%s/drydock-cutils-XXXXXX",
             dir && *dir ? dir : "/tmp");
    fd = mkstemp(name);

    assert_true(fd >= 0);
    unlink(name);
    assert_int_equal(qemu_fdatasync(fd), 0);
    close(fd);
    assert_int_equal(qemu_fdatasync(fd), -EBADF);
}

/* osdep.h macros and memory helpers */
static void test_osdep_macros(void **state)
{
    int arr[7];
    struct outer { int a; double member; } o;

    assert_int_equal(ARRAY_SIZE(arr), 7);
    assert_int_equal(MIN(3, -2), -2);
    assert_int_equal(MAX(3u, 9u), 9);
    assert_int_equal(MIN_NON_ZERO(0, 5), 5);
    assert_int_equal(MIN_NON_ZERO(7, 0), 7);
    assert_int_equal(MIN_NON_ZERO(7, 5), 5);
    assert_int_equal(QEMU_ALIGN_DOWN(1000, 512), 512);
    assert_int_equal(QEMU_ALIGN_UP(1000, 512), 1024);
    assert_int_equal(QEMU_ALIGN_UP(1024, 512), 1024);
    assert_int_equal(QEMU_ALIGN_UP(10, 3), 12);      /* not a power of 2 */
    assert_true(QEMU_IS_ALIGNED(4096, 512));
    assert_false(QEMU_IS_ALIGNED(4097, 512));
    assert_int_equal(DIV_ROUND_UP(1025, 512), 3);
    assert_true(ROUND_UP((uint64_t)5, 512) == 512);
    /* The mask must not truncate 64-bit values with an int alignment */
    assert_true(ROUND_UP((uint64_t)1 << 40 | 1, 4096) ==
                ((uint64_t)1 << 40) + 4096);
    assert_true(ROUND_DOWN((uint64_t)1 << 40 | 4095, 4096) ==
                (uint64_t)1 << 40);
    assert_true(is_power_of_2(1));
    assert_true(is_power_of_2(1ull << 63));
    assert_false(is_power_of_2(0));
    assert_false(is_power_of_2(6));
    assert_ptr_equal(container_of(&o.member, struct outer, member), &o);
    assert_true(64 * KiB == 65536 && 2 * GiB == 2147483648LL);
    assert_true(EiB == (int64_t)1 << 60 && BIT_ULL(40) == 1ull << 40);
}

static void test_osdep_memory(void **state)
{
    char *s, **v;
    int *p;
    g_autofree char *auto_freed = g_strdup("freed at scope end");

    p = g_new0(int, 4);
    assert_int_equal(p[3], 0);
    p = g_renew(int, p, 1000);
    p[999] = 1;
    g_free(p);
    /* Zero-sized allocations are valid, non-NULL pointers */
    p = g_malloc(0);
    assert_non_null(p);
    g_free(p);
    assert_null(g_try_malloc(SIZE_MAX));
    assert_null(g_try_malloc0(SIZE_MAX / 2));

    s = g_strdup_printf("%s-%d", "x", 42);
    assert_string_equal(s, "x-42");
    g_free(s);
    s = g_strndup("abcdef", 3);
    assert_string_equal(s, "abc");
    g_free(s);
    s = g_strndup("ab", 10);
    assert_string_equal(s, "ab");
    g_free(s);
    assert_null(g_strdup(NULL));
    s = g_memdup2("xyz", 4);
    assert_string_equal(s, "xyz");
    g_free(s);
    assert_true(g_str_has_prefix("qcow2", "qc"));
    assert_false(g_str_has_suffix("a.raw", ".qcow2"));
    assert_true(g_str_has_suffix("a.qcow2", ".qcow2"));

    v = g_strsplit("a,b,,c", ",", 0);
    assert_int_equal(g_strv_length(v), 4);
    assert_string_equal(v[2], "");
    assert_string_equal(v[3], "c");
    g_strfreev(v);
    v = g_strsplit("k=v=w", "=", 2);
    assert_int_equal(g_strv_length(v), 2);
    assert_string_equal(v[1], "v=w");
    g_strfreev(v);
    v = g_strsplit("", ",", 0);
    assert_int_equal(g_strv_length(v), 0);
    g_strfreev(v);
    s = g_strdup("stolen");
    {
        char *t = g_steal_pointer(&s);
        assert_null(s);
        g_free(t);
    }
    assert_non_null(auto_freed);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_pstrcpy_pstrcat),
        T(test_strstart),
        T(test_strtoi64),
        T(test_strtou64),
        T(test_strtoi_small),
        T(test_strtosz),
        T(test_strtosz_end),
        T(test_bool_parse),
        T(test_size_to_str),
        T(test_path),
        T(test_fdatasync),
        T(test_osdep_macros),
        T(test_osdep_memory),
    };

    return test_common_run_group(tests, NULL, NULL);
}
