/*
 * tran_alloc(): states owned by the transaction.  Each is distinct, aligned
 * and writable, still valid when every callback (.clean last) runs, on
 * commit and on abort, whether it fits the transaction's inline arena or
 * not; nothing leaks (LSan under BUILD=asan).  A finished transaction is
 * reused by the next one, empty.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "util/osdep.h"
#include "util/sanitizers.h"
#include "util/transaction.h"
#ifdef UTIL_ASAN
#include <sanitizer/asan_interface.h>
#endif
#include "test-common.h"

#define NSTATES 40

typedef struct Log {
    int committed, aborted, cleaned;
    int bad;            /* callbacks that found their state overwritten */
} Log;

typedef struct State {
    Log *log;
    int id;
    unsigned char fill[1]; /* state_size() - offsetof(State, fill) bytes */
} State;

/* Sizes that fill the arena, then overflow it (one far larger than it) */
static size_t state_size(int id)
{
    return id == 7 ? 5000 : offsetof(State, fill) + 1 + (size_t)(id * 13 % 97);
}

static void state_check(State *s)
{
    size_t n = state_size(s->id) - offsetof(State, fill);

    for (size_t i = 0; i < n; i++) {
        s->log->bad += s->fill[i] != (unsigned char)(s->id + i);
    }
}

static void state_commit(void *opaque)
{
    State *s = opaque;

    state_check(s);
    s->log->committed++;
}

static void state_abort(void *opaque)
{
    State *s = opaque;

    state_check(s);
    s->log->aborted++;
}

static void state_clean(void *opaque)
{
    State *s = opaque;

    state_check(s);
    s->log->cleaned++;
}

static const TransactionActionDrv state_drv = {
    .commit = state_commit, .abort = state_abort, .clean = state_clean,
};

/* @n states of increasing size, each filled with a pattern of its own */
static Transaction *fill_transaction(Log *log, int n)
{
    Transaction *tran = tran_new();
    State *prev = NULL;

    for (int id = 0; id < n; id++) {
        size_t size = state_size(id);
        State *s = tran_alloc(tran, size);

        assert_non_null(s);
        assert_int_equal((uintptr_t)s % _Alignof(max_align_t), 0);
        assert_true(s != prev);
        s->log = log;
        s->id = id;
        for (size_t i = 0; i < size - offsetof(State, fill); i++) {
            s->fill[i] = (unsigned char)(id + i);
        }
        tran_add(tran, &state_drv, s);
        prev = s;
    }
    return tran;
}

static void test_commit_sees_every_state_intact(void **state)
{
    Log log = { 0 };

    tran_commit(fill_transaction(&log, NSTATES));
    assert_int_equal(log.committed, NSTATES);
    assert_int_equal(log.aborted, 0);
    assert_int_equal(log.cleaned, NSTATES);
    assert_int_equal(log.bad, 0);
}

static void test_abort_sees_every_state_intact(void **state)
{
    Log log = { 0 };

    tran_finalize(fill_transaction(&log, NSTATES), -1);
    assert_int_equal(log.committed, 0);
    assert_int_equal(log.aborted, NSTATES);
    assert_int_equal(log.cleaned, NSTATES);
    assert_int_equal(log.bad, 0);
}

static void test_small_and_empty(void **state)
{
    Log log = { 0 };
    Transaction *tran = tran_new();

    /* A zero-byte request still gets a pointer of its own */
    void *a = tran_alloc(tran, 0), *b = tran_alloc(tran, 0);

    assert_non_null(a);
    assert_non_null(b);
    assert_true(a != b);
    tran_commit(tran);

    tran_commit(fill_transaction(&log, 1));
    assert_int_equal(log.cleaned, 1);
    assert_int_equal(log.bad, 0);
}

/*
 * A finished transaction is kept for the next one: no allocation, and
 * nothing of the old one shows (its actions, its arena); it waits poisoned
 * under ASan, so a use after its end is still caught.  A transaction
 * started while another runs gets memory of its own.
 */
static void test_finished_transaction_is_reused_empty(void **state)
{
    Log log = { 0 };
    Transaction *first = fill_transaction(&log, NSTATES);
    Transaction *again, *nested;
    void *a;

    tran_commit(first);
#ifdef UTIL_ASAN
    assert_true(__asan_address_is_poisoned(first));
#endif
    again = tran_new();
    assert_ptr_equal(again, first);
    nested = tran_new();
    assert_ptr_not_equal(nested, again);
    a = tran_alloc(again, 8);
    assert_non_null(a);
    tran_commit(nested);
    tran_abort(again);
    /* The states of the first one were cleaned once, and never again */
    assert_int_equal(log.committed, NSTATES);
    assert_int_equal(log.aborted, 0);
    assert_int_equal(log.cleaned, NSTATES);
    assert_int_equal(log.bad, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_commit_sees_every_state_intact),
        T(test_abort_sees_every_state_intact),
        T(test_small_and_empty),
        T(test_finished_transaction_is_reused_empty),
    };

    return test_common_run_group(tests, NULL, NULL);
}
