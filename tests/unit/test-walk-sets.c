/*
 * test-walk-sets.c: the containers the graph walks keep on the stack
 * (PtrSet, PtrVec) and the transaction's inline actions, past the point
 * where each moves to the heap: same answers, same order, nothing leaked.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "util/osdep.h"
#include "util/gslist.h"
#include "util/ptrset.h"
#include "util/ptrvec.h"
#include "util/transaction.h"
#include "test-common.h"

#define MANY 1000

static char keys[MANY];

/* Adds, lookups and removals across several growths, tombstones reused */
static void test_ptrset_grows(void **state)
{
    PtrSet set;

    ptrset_init(&set);
    for (int i = 0; i < MANY; i++) {
        assert_true(ptrset_add(&set, &keys[i]));
        assert_false(ptrset_add(&set, &keys[i]));
    }
    assert_int_equal(ptrset_size(&set), MANY);
    for (int i = 0; i < MANY; i += 2) {
        assert_true(ptrset_remove(&set, &keys[i]));
        assert_false(ptrset_remove(&set, &keys[i]));
    }
    assert_int_equal(ptrset_size(&set), MANY / 2);
    for (int i = 0; i < MANY; i++) {
        assert_int_equal(ptrset_contains(&set, &keys[i]), i % 2 == 1);
    }
    assert_false(ptrset_contains(&set, NULL));
    for (int i = 0; i < MANY; i += 2) {
        assert_true(ptrset_add(&set, &keys[i]));
    }
    assert_int_equal(ptrset_size(&set), MANY);
    ptrset_destroy(&set);
}

/* A set that stays inline: removal and re-adding many times over */
static void test_ptrset_inline_churn(void **state)
{
    PtrSet set;

    ptrset_init(&set);
    for (int round = 0; round < 100; round++) {
        for (int i = 0; i < 4; i++) {
            assert_true(ptrset_add(&set, &keys[round * 4 + i]));
        }
        for (int i = 0; i < 4; i++) {
            assert_true(ptrset_remove(&set, &keys[round * 4 + i]));
        }
        assert_int_equal(ptrset_size(&set), 0);
    }
    ptrset_destroy(&set);
}

static void test_ghash_is_a_ptrset(void **state)
{
    GHashTable *t = g_hash_table_new(NULL, NULL);

    for (int i = 0; i < MANY; i++) {
        assert_true(g_hash_table_add(t, &keys[i]));
    }
    assert_false(g_hash_table_add(t, &keys[7]));
    assert_true(g_hash_table_remove(t, &keys[7]));
    assert_false(g_hash_table_contains(t, &keys[7]));
    assert_true(g_hash_table_contains(t, &keys[8]));
    assert_int_equal(g_hash_table_size(t), MANY - 1);
    g_hash_table_destroy(t);
    g_hash_table_destroy(NULL);
}

static void test_ptrvec_keeps_order(void **state)
{
    PtrVec vec;

    ptrvec_init(&vec);
    for (int i = 0; i < MANY; i++) {
        ptrvec_push(&vec, &keys[i]);
    }
    assert_int_equal(vec.n, MANY);
    for (int i = 0; i < MANY; i++) {
        assert_ptr_equal(vec.v[i], &keys[i]);
    }
    ptrvec_destroy(&vec);
}

/* ---- transactions past their inline actions -------------------------- */

typedef struct Log {
    int order[3 * MANY];
    int n;
} Log;

typedef struct Act {
    Log *log;
    int id;
} Act;

static void act_abort(void *opaque)
{
    Act *a = opaque;
    a->log->order[a->log->n++] = -a->id;
}

static void act_commit(void *opaque)
{
    Act *a = opaque;
    a->log->order[a->log->n++] = a->id;
}

static void act_clean(void *opaque)
{
    Act *a = opaque;
    a->log->order[a->log->n++] = 10000 + a->id;
}

static const TransactionActionDrv act_drv = {
    .abort = act_abort, .commit = act_commit, .clean = act_clean,
};

static void check_many(bool commit)
{
    static Act acts[MANY];
    static Log log;
    Transaction *tran = tran_new();

    log.n = 0;
    for (int i = 0; i < MANY; i++) {
        acts[i] = (Act){ &log, i + 1 };
        tran_add(tran, &act_drv, &acts[i]);
    }
    commit ? tran_commit(tran) : tran_abort(tran);
    assert_int_equal(log.n, 2 * MANY);
    for (int i = 0; i < MANY; i++) {
        assert_int_equal(log.order[i], (commit ? 1 : -1) * (MANY - i));
        assert_int_equal(log.order[MANY + i], 10000 + MANY - i);
    }
}

static void test_tran_many_commit(void **state)
{
    check_many(true);
}

static void test_tran_many_abort(void **state)
{
    check_many(false);
}

/* An action added while committing is not committed, but is cleaned */
static Transaction *late_tran;
static Act late_act;

static void add_late(void *opaque)
{
    act_commit(opaque);
    tran_add(late_tran, &act_drv, &late_act);
}

static const TransactionActionDrv add_late_drv = { .commit = add_late };

static void test_tran_add_while_committing(void **state)
{
    static Log log;
    Act acts[12];

    log.n = 0;
    late_tran = tran_new();
    late_act = (Act){ &log, 99 };
    for (int i = 0; i < 12; i++) {
        acts[i] = (Act){ &log, i + 1 };
        tran_add(late_tran, i == 11 ? &add_late_drv : &act_drv, &acts[i]);
    }
    tran_commit(late_tran);
    /* 12 (adds 99), 11..1 committed; then 99, 11..1 cleaned */
    assert_int_equal(log.n, 12 + 12);
    assert_int_equal(log.order[0], 12);
    assert_int_equal(log.order[11], 1);
    assert_int_equal(log.order[12], 10099);
    assert_int_equal(log.order[13], 10011);
    assert_int_equal(log.order[23], 10001);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_ptrset_grows),
        T(test_ptrset_inline_churn),
        T(test_ghash_is_a_ptrset),
        T(test_ptrvec_keeps_order),
        T(test_tran_many_commit),
        T(test_tran_many_abort),
        T(test_tran_add_while_committing),
    };

    return test_common_run_group(tests, NULL, NULL);
}
