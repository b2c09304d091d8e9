/*
 * test-transaction.c: commit/abort order and clean-up of Transaction.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "util/osdep.h"
#include "util/transaction.h"
#include "test-common.h"

typedef struct Log {
    char text[64];
    int n;
} Log;

typedef struct Action {
    Log *log;
    char id;
} Action;

static void log_event(Action *a, char what)
{
    a->log->text[a->log->n++] = what;
    a->log->text[a->log->n++] = a->id;
}

static void act_abort(void *opaque)
{
    log_event(opaque, 'A');
}

static void act_commit(void *opaque)
{
    log_event(opaque, 'C');
}

static void act_clean(void *opaque)
{
    log_event(opaque, 'X');
}

static const TransactionActionDrv full_drv = {
    .abort = act_abort,
    .commit = act_commit,
    .clean = act_clean,
};

/* A driver with some callbacks missing */
static TransactionActionDrv commit_only_drv = {
    .commit = act_commit,
};

static Transaction *make_tran(Log *log, Action *acts)
{
    Transaction *tran = tran_new();

    for (int i = 0; i < 3; i++) {
        acts[i] = (Action) { .log = log, .id = (char)('1' + i) };
        tran_add(tran, &full_drv, &acts[i]);
    }
    return tran;
}

static void test_commit_reverse_then_clean(void **state)
{
    Log log = { 0 };
    Action acts[3];

    tran_commit(make_tran(&log, acts));
    assert_string_equal(log.text, "C3C2C1X3X2X1");
}

static void test_abort_reverse_then_clean(void **state)
{
    Log log = { 0 };
    Action acts[3];

    tran_abort(make_tran(&log, acts));
    assert_string_equal(log.text, "A3A2A1X3X2X1");
}

static void test_finalize(void **state)
{
    Log log = { 0 };
    Action acts[3];

    tran_finalize(make_tran(&log, acts), -EINVAL);
    assert_string_equal(log.text, "A3A2A1X3X2X1");
    log = (Log) { 0 };
    tran_finalize(make_tran(&log, acts), 0);
    assert_string_equal(log.text, "C3C2C1X3X2X1");
    log = (Log) { 0 };
    tran_finalize(make_tran(&log, acts), 5);
    assert_string_equal(log.text, "C3C2C1X3X2X1");
}

static void test_missing_callbacks_and_empty(void **state)
{
    Log log = { 0 };
    Action a = { .log = &log, .id = 'a' }, b = { .log = &log, .id = 'b' };
    Transaction *tran = tran_new();

    tran_add(tran, &commit_only_drv, &a);
    tran_add(tran, &full_drv, &b);
    tran_abort(tran);
    assert_string_equal(log.text, "AbXb");

    log = (Log) { 0 };
    tran = tran_new();
    tran_add(tran, &commit_only_drv, &a);
    tran_add(tran, &full_drv, &b);
    tran_commit(tran);
    assert_string_equal(log.text, "CbCaXb");

    tran_commit(tran_new());    /* nothing to do, nothing leaked */
    tran_abort(tran_new());
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_commit_reverse_then_clean),
        T(test_abort_reverse_then_clean),
        T(test_finalize),
        T(test_missing_callbacks_and_empty),
    };

    return test_common_run_group(tests, NULL, NULL);
}
