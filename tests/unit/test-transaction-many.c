/*
 * Transactions with more actions than the transaction holds inline (8):
 * the inline ones and the allocated ones still commit or abort newest
 * first, and each is cleaned once.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "util/osdep.h"
#include "util/transaction.h"
#include "test-common.h"

#define MANY 20

typedef struct Record {
    int order[MANY];
    int n;
    int cleaned[MANY];
} Record;

typedef struct Step {
    Record *rec;
    int id;
} Step;

static void step_run(void *opaque)
{
    Step *s = opaque;

    s->rec->order[s->rec->n++] = s->id;
}

static void step_clean(void *opaque)
{
    Step *s = opaque;

    s->rec->cleaned[s->id]++;
}

static const TransactionActionDrv commit_drv = {
    .commit = step_run, .clean = step_clean,
};
static const TransactionActionDrv abort_drv = {
    .abort = step_run, .clean = step_clean,
};

static void run_many(const TransactionActionDrv *drv, int ret)
{
    Transaction *tran = tran_new();
    Record rec = { .n = 0 };
    Step steps[MANY];

    for (int i = 0; i < MANY; i++) {
        steps[i] = (Step){ &rec, i };
        tran_add(tran, drv, &steps[i]);
    }
    tran_finalize(tran, ret);
    assert_int_equal(rec.n, MANY);
    for (int i = 0; i < MANY; i++) {
        assert_int_equal(rec.order[i], MANY - 1 - i);
        assert_int_equal(rec.cleaned[i], 1);
    }
}

static void test_many_commit_newest_first(void **state)
{
    run_many(&commit_drv, 0);
}

static void test_many_abort_newest_first(void **state)
{
    run_many(&abort_drv, -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_many_commit_newest_first),
        T(test_many_abort_newest_first),
    };

    return test_common_run_group(tests, NULL, NULL);
}
