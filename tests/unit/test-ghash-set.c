/*
 * The pointer set of util/gslist.h (GHashTable): its first slots are part
 * of the set's own allocation, and it moves to a heap array when it grows;
 * membership, removal (tombstones) and size hold across the move.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "util/gslist.h"
#include "test-common.h"

static char keys[100];

static void test_set_small_and_grown(void **state)
{
    GHashTable *set = g_hash_table_new(NULL, NULL);

    for (int i = 0; i < 100; i++) {
        assert_true(g_hash_table_add(set, &keys[i]));
        assert_false(g_hash_table_add(set, &keys[i]));
        assert_int_equal(g_hash_table_size(set), i + 1);
        if (i == 6) { /* still in the first slots */
            assert_true(g_hash_table_remove(set, &keys[3]));
            assert_false(g_hash_table_contains(set, &keys[3]));
            assert_true(g_hash_table_add(set, &keys[3]));
        }
    }
    for (int i = 0; i < 100; i += 2) {
        assert_true(g_hash_table_remove(set, &keys[i]));
    }
    for (int i = 0; i < 100; i++) {
        assert_int_equal(g_hash_table_contains(set, &keys[i]), i % 2);
    }
    assert_int_equal(g_hash_table_size(set), 50);
    assert_false(g_hash_table_contains(set, NULL));
    g_hash_table_destroy(set);
}

static void test_set_destroyed_unused(void **state)
{
    g_hash_table_destroy(g_hash_table_new(NULL, NULL));
    g_hash_table_destroy(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_set_small_and_grown),
        T(test_set_destroyed_unused),
    };

    return test_common_run_group(tests, NULL, NULL);
}
