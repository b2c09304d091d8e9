/*
 * transaction.c: undo logs for multi-step changes (see transaction.h).
 */
#include "util/osdep.h"

#include "util/queue.h"
#include "util/transaction.h"

typedef struct TransactionAction {
    const TransactionActionDrv *drv;
    void *opaque;
    QSLIST_ENTRY(TransactionAction) link;
} TransactionAction;

struct Transaction {
    /* Newest first: walking the list visits actions in reverse order */
    QSLIST_HEAD(, TransactionAction) actions;
};

Transaction *tran_new(void)
{
    Transaction *tran = g_new0(Transaction, 1);

    QSLIST_INIT(&tran->actions);
    return tran;
}

void tran_add(Transaction *tran, const TransactionActionDrv *drv,
              void *opaque)
{
    TransactionAction *act = g_new0(TransactionAction, 1);

    assert(tran && drv);
    act->drv = drv;
    act->opaque = opaque;
    QSLIST_INSERT_HEAD(&tran->actions, act, link);
}

/* Call .clean of every action (newest first), then free everything */
static void transaction_clean_and_free(Transaction *tran)
{
    TransactionAction *act, *next;

    QSLIST_FOREACH_SAFE(act, &tran->actions, link, next) {
        if (act->drv->clean) {
            act->drv->clean(act->opaque);
        }
        g_free(act);
    }
    g_free(tran);
}

void tran_abort(Transaction *tran)
{
    TransactionAction *act;

    QSLIST_FOREACH(act, &tran->actions, link) {
        if (act->drv->abort) {
            act->drv->abort(act->opaque);
        }
    }
    transaction_clean_and_free(tran);
}

void tran_commit(Transaction *tran)
{
    TransactionAction *act;

    QSLIST_FOREACH(act, &tran->actions, link) {
        if (act->drv->commit) {
            act->drv->commit(act->opaque);
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
