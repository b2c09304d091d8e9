/*
 * transaction.h: undo logs for multi-step changes (QEMU's API).
 *
 * Each step of a change does its work immediately and records an action
 * with tran_add(). Finishing the transaction then either commits or aborts
 * every action, in REVERSE order of tran_add() (as QEMU does: later steps
 * may depend on earlier ones, so they are undone/finalised first), and
 * then calls every .clean, also in reverse order, exactly once. Any
 * callback may be NULL. The Transaction is freed.
 */
#ifndef DRYDOCK_UTIL_TRANSACTION_H
#define DRYDOCK_UTIL_TRANSACTION_H

#include "util/osdep.h"

typedef struct TransactionActionDrv {
    void (*abort)(void *opaque);
    void (*commit)(void *opaque);
    void (*clean)(void *opaque);
} TransactionActionDrv;

typedef struct Transaction Transaction;

Transaction *tran_new(void);
/* drv must stay valid until the transaction ends (usually static const) */
void tran_add(Transaction *tran, const TransactionActionDrv *drv,
              void *opaque);
/*
 * @size bytes for an action's state, owned by the transaction: valid until
 * its last .clean has run, then released with it (a .clean must not free
 * them).  drydock's, not QEMU's: most graph changes record small states,
 * which then share the transaction's allocation instead of one each.
 */
void *tran_alloc(Transaction *tran, size_t size);
void tran_abort(Transaction *tran);
void tran_commit(Transaction *tran);
/* ret < 0: tran_abort(), else tran_commit() */
void tran_finalize(Transaction *tran, int ret);

#endif /* DRYDOCK_UTIL_TRANSACTION_H */
