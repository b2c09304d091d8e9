/*
 * The disk shadow of the fuzz targets (fuzz/fuzz-shadow.c, compiled in
 * here with fuzz_die caught) still tells a wrong byte from a right one
 * when whole ranges are compared at once: in a written page, in a page
 * never written (zeroes past the base, the base below it), after a
 * forget (anything is learnt, then held to).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "../../fuzz/fuzz-shadow.c"
#include "test-common.h"

static jmp_buf shadow_died_at;
static bool shadow_armed;

void fuzz_die(const char *fmt, ...)
{
    assert_true(shadow_armed);
    longjmp(shadow_died_at, 1);
}

/* Does checking @len bytes of @buf at @off find a mismatch? */
static bool shadow_rejects(FuzzShadow *sh, int64_t off, int64_t len,
                           const uint8_t *buf)
{
    volatile bool died = false;

    shadow_armed = true;
    if (setjmp(shadow_died_at)) {
        died = true;
    } else {
        fuzz_shadow_check(sh, off, len, buf, "test");
    }
    shadow_armed = false;
    return died;
}

static uint8_t base_byte(int64_t off)
{
    return (uint8_t)(off * 3 + 1);
}

static void test_shadow_compares_ranges_like_bytes(void **state)
{
    static FuzzShadow sh;
    static uint8_t buf[3 * SHADOW_PAGE];

    fuzz_shadow_reset(&sh, base_byte, SHADOW_PAGE);
    /* Written bytes across a page boundary */
    memset(buf, 0x5a, 100);
    fuzz_shadow_set(&sh, 2 * SHADOW_PAGE - 50, 100, buf);
    assert_false(shadow_rejects(&sh, 2 * SHADOW_PAGE - 50, 100, buf));
    buf[99] = 0x5b;
    assert_true(shadow_rejects(&sh, 2 * SHADOW_PAGE - 50, 100, buf));
    /* Never written, past the base: zeroes, one byte off is caught */
    memset(buf, 0, sizeof(buf));
    assert_false(shadow_rejects(&sh, 2 * SHADOW_PAGE + 100, 500, buf));
    buf[499] = 1;
    assert_true(shadow_rejects(&sh, 2 * SHADOW_PAGE + 100, 500, buf));
    /* Never written, below the end of the base: the base */
    for (int i = 0; i < 200; i++) {
        buf[i] = base_byte(1000 + i);
    }
    assert_false(shadow_rejects(&sh, 1000, 200, buf));
    buf[150] ^= 1;
    assert_true(shadow_rejects(&sh, 1000, 200, buf));
    /* Forgotten: the first read is learnt, then held to */
    fuzz_shadow_forget(&sh, 3 * SHADOW_PAGE, 64);
    memset(buf, 0x77, 64);
    assert_false(shadow_rejects(&sh, 3 * SHADOW_PAGE, 64, buf));
    assert_false(shadow_rejects(&sh, 3 * SHADOW_PAGE, 64, buf));
    buf[10] = 0x78;
    assert_true(shadow_rejects(&sh, 3 * SHADOW_PAGE, 64, buf));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_shadow_compares_ranges_like_bytes),
    };

    return test_common_run_group(tests, NULL, NULL);
}
