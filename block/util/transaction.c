/*
 * transaction.c: undo logs for multi-step changes (see transaction.h).
 */
#include "util/osdep.h"

#include "util/queue.h"
#include "util/transaction.h"

typedef struct TransactionAction {
    const TransactionActionDrv *drv;
    void *opaque;
    bool on_heap;   /* past the transaction's inline actions */
    QSLIST_ENTRY(TransactionAction) link;
} TransactionAction;

#define TRAN_INLINE_ACTIONS 8

struct Transaction {
    /* Newest first: walking the list visits actions in reverse order */
    QSLIST_HEAD(, TransactionAction) actions;
    /* The first actions: most transactions (an attach, a refresh) are small */
    unsigned n_inline;
    TransactionAction inline_actions[TRAN_INLINE_ACTIONS];
};

Transaction *tran_new(void)
{
    Transaction *tran = g_malloc(sizeof(*tran));

    QSLIST_INIT(&tran->actions);
    tran->n_inline = 0;
    return tran;
}

void tran_add(Transaction *tran, const TransactionActionDrv *drv,
              void *opaque)
{
    TransactionAction *act;

    assert(tran && drv);
    if (tran->n_inline < TRAN_INLINE_ACTIONS) {
        act = &tran->inline_actions[tran->n_inline++];
        act->on_heap = false;
    } else {
        act = g_new(TransactionAction, 1);
        act->on_heap = true;
    }
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
        if (act->on_heap) {
            g_free(act);
        }
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
