/*
 * transaction.c: undo logs for multi-step changes (see transaction.h).
 */
#include "util/osdep.h"

#include "util/atomic.h"
#include "util/transaction.h"

#include "util/sanitizers.h"
#ifdef UTIL_ASAN
#include <sanitizer/asan_interface.h>
#define TRAN_POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define TRAN_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define TRAN_POISON(p, n) ((void)(p), (void)(n))
#define TRAN_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

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

/*
 * tran_alloc()'s states: carved from an arena in the transaction (room for
 * a permission and a limits refresh of a few nodes), each followed by a
 * gap that ASan keeps poisoned, so that an overflow is still caught; the
 * rest in allocations of their own
 */
#define TRAN_ARENA_BYTES 1024
#define TRAN_ARENA_ALIGN 16
#define TRAN_ARENA_GAP 16

typedef struct TranOverflow {
    struct TranOverflow *next;
    max_align_t data[];
} TranOverflow;

struct Transaction {
    TransactionAction *act;     /* inline_act until it outgrows it */
    size_t n, cap;              /* in tran_add() order: walked backwards */
    TransactionAction inline_act[TRAN_INLINE_ACTIONS];
    size_t arena_used;
    TranOverflow *overflow;
    _Alignas(TRAN_ARENA_ALIGN) unsigned char arena[TRAN_ARENA_BYTES];
};

/*
 * One finished transaction is kept for the next tran_new(): a graph
 * change makes several (an attach, a limits refresh, a detach each have
 * one), four of the 45 allocations of a qcow2 open refused for its
 * header.  Taken and given back atomically, so any thread may use it;
 * poisoned while it waits, so that a use after the end is still caught
 * under ASan.
 */
static Transaction *tran_spare;

Transaction *tran_new(void)
{
    Transaction *tran = qatomic_xchg(&tran_spare, NULL);

    if (tran) {
        TRAN_UNPOISON(tran, sizeof(*tran));
    } else {
        tran = g_new(Transaction, 1);
    }

    tran->act = tran->inline_act;
    tran->n = 0;
    tran->cap = TRAN_INLINE_ACTIONS;
    tran->arena_used = 0;
    tran->overflow = NULL;
    TRAN_POISON(tran->arena, sizeof(tran->arena));
    return tran;
}

void *tran_alloc(Transaction *tran, size_t size)
{
    size_t need = ROUND_UP(size ? size : 1, TRAN_ARENA_ALIGN) + TRAN_ARENA_GAP;
    TranOverflow *o;
    void *p;

    assert(tran);
    if (need <= sizeof(tran->arena) - tran->arena_used) {
        p = tran->arena + tran->arena_used;
        tran->arena_used += need;
        TRAN_UNPOISON(p, size);
        return p;
    }
    o = g_malloc(sizeof(*o) + size);
    o->next = tran->overflow;
    tran->overflow = o;
    return o->data;
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
    while (tran->overflow) {
        TranOverflow *o = tran->overflow;

        tran->overflow = o->next;
        g_free(o);
    }
    TRAN_POISON(tran, sizeof(*tran));
    if (qatomic_cmpxchg(&tran_spare, NULL, tran) != NULL) {
        TRAN_UNPOISON(tran, sizeof(*tran));
        g_free(tran);
    }
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
