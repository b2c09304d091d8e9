/*
 * Unit tests of include/util/bswap.h: swaps, conversions, and loads and
 * stores at unaligned addresses in both byte orders.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "util/bswap.h"
#include "test-common.h"

static const uint8_t bytes[9] = {
    0xaa, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88
};

static void test_bswap_swaps(void **state)
{
    uint16_t s = 0x1234;
    uint32_t l = 0x12345678;
    uint64_t q = 0x0102030405060708ULL;

    assert_int_equal(bswap16(0x1234), 0x3412);
    assert_int_equal(bswap32(0x12345678), 0x78563412);
    assert_true(bswap64(0x0102030405060708ULL) == 0x0807060504030201ULL);
    bswap16s(&s);
    bswap32s(&l);
    bswap64s(&q);
    assert_int_equal(s, 0x3412);
    assert_int_equal(l, 0x78563412);
    assert_true(q == 0x0807060504030201ULL);
}

/* Loads from an odd address read the bytes in the named order */
static void test_bswap_unaligned_loads_both_orders(void **state)
{
    const uint8_t *p = bytes + 1;

    assert_int_equal(ldub_p(bytes), 0xaa);
    assert_int_equal(ldsb_p(bytes), -0x56);
    assert_int_equal(lduw_be_p(p), 0x8182);
    assert_int_equal(lduw_le_p(p), 0x8281);
    assert_int_equal(ldsw_be_p(p), (int16_t)0x8182);
    assert_int_equal(ldsw_le_p(p), (int16_t)0x8281);
    assert_true((uint32_t)ldl_be_p(p) == 0x81828384u);
    assert_true((uint32_t)ldl_le_p(p) == 0x84838281u);
    assert_true(ldq_be_p(p) == 0x8182838485868788ULL);
    assert_true(ldq_le_p(p) == 0x8887868584838281ULL);
}

static void test_bswap_unaligned_stores_round_trip(void **state)
{
    uint8_t buf[9] = { 0 };

    stb_p(buf, 0xaa);
    stw_be_p(buf + 1, 0x8182);
    assert_memory_equal(buf, bytes, 3);
    stl_be_p(buf + 1, 0x81828384u);
    assert_memory_equal(buf, bytes, 5);
    stq_be_p(buf + 1, 0x8182838485868788ULL);
    assert_memory_equal(buf, bytes, 9);

    memset(buf, 0, sizeof(buf));
    stw_le_p(buf + 1, 0x8281);
    assert_memory_equal(buf + 1, bytes + 1, 2);
    stl_le_p(buf + 1, 0x84838281u);
    assert_memory_equal(buf + 1, bytes + 1, 4);
    stq_le_p(buf + 1, 0x8887868584838281ULL);
    assert_memory_equal(buf + 1, bytes + 1, 8);
}

/* cpu_to_be/le and back are inverses, and match the byte layout */
static void test_bswap_conversions_match_layout(void **state)
{
    uint32_t be = cpu_to_be32(0x81828384u);
    uint64_t le = cpu_to_le64(0x8887868584838281ULL);
    uint16_t s = 0x8182;

    assert_memory_equal(&be, bytes + 1, 4);
    assert_memory_equal(&le, bytes + 1, 8);
    assert_true(be32_to_cpu(be) == 0x81828384u);
    assert_true(le64_to_cpu(le) == 0x8887868584838281ULL);
    assert_int_equal(be16_to_cpu(cpu_to_be16(0x1234)), 0x1234);
    assert_int_equal(le16_to_cpu(cpu_to_le16(0x1234)), 0x1234);
    assert_true(le32_to_cpu(cpu_to_le32(0x12345678)) == 0x12345678);
    assert_true(be64_to_cpu(cpu_to_be64(42)) == 42);
    cpu_to_be16s(&s);
    assert_memory_equal(&s, bytes + 1, 2);
    be16_to_cpus(&s);
    assert_int_equal(s, 0x8182);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_bswap_swaps),
        T(test_bswap_unaligned_loads_both_orders),
        T(test_bswap_unaligned_stores_round_trip),
        T(test_bswap_conversions_match_layout),
    };

    return test_common_run_group(tests, test_common_group_setup, NULL);
}
