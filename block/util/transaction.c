/*
 * transaction.c: undo logs for multi-step changes (see transaction.h).
 */
#include "util/osdep.h"

#include "util/transaction.h"

typedef struct TransactionAction {
    const TransactionActionDrv *drv;
    void *opaque;
} TransactionAction;

/*
 * A graph change records a few actions per node it touches: the first
 * ones live in the transaction itself, so that a small change costs one
 * allocation rather than one per action
 */
#define TRAN_INLINE_ACTIONS 8

struct Transaction {
    TransactionAction *act;     /* inline_act until it outgrows it */
    size_t n, cap;              /* in tran_add() order: walked backwards */
    TransactionAction inline_act[TRAN_INLINE_ACTIONS];
};

Transaction *tran_new(void)
{
    Transaction *tran = g_new(Transaction, 1);

    tran->act = tran->inline_act;
    tran->n = 0;
    tran->cap = TRAN_INLINE_ACTIONS;
    return tran;
}

void tran_add(Transaction *tran, const TransactionActionDrv *drv,
              void *opaque)
{
    assert(tran && drv);
    if (tran->n == tran->cap) {
        tran->cap *= 2;
        if (tran->act == tran->inline_act) {
            tran->act = g_memdup2(tran->inline_act, sizeof(tran->inline_act));
        }
        tran->act = g_renew(TransactionAction, tran->act, tran->cap);
    }
    tran->act[tran->n++] = (TransactionAction){ .drv = drv, .opaque = opaque };
}

/* Call .clean of every action (newest first), then free everything */
static void transaction_clean_and_free(Transaction *tran)
{
    for (size_t i = tran->n; i-- > 0;) {
        TransactionAction act = tran->act[i];

        if (act.drv->clean) {
            act.drv->clean(act.opaque);
        }
    }
    if (tran->act != tran->inline_act) {
        g_free(tran->act);
    }
    g_free(tran);
}

void tran_abort(Transaction *tran)
{
    for (size_t i = tran->n; i-- > 0;) {
        TransactionAction act = tran->act[i];

        if (act.drv->abort) {
            act.drv->abort(act.opaque);
        }
    }
    transaction_clean_and_free(tran);
}

void tran_commit(Transaction *tran)
{
    for (size_t i = tran->n; i-- > 0;) {
        TransactionAction act = tran->act[i];

        if (act.drv->commit) {
            act.drv->commit(act.opaque);
        }
    }
    transaction_clean_and_free(tran);
}

void tran_finalize(Transaction *tran, int ret)
{
    if (ret < 0) {
        tran_abort(tran);
    } else {
        tran_commit(tran);
    }
}
