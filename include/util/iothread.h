/*
 * iothread.h: IOThreads, each owning an AioContext.
 *
 * Realtime mode: an IOThread is a pthread running aio_poll(ctx, true) until
 * destroyed. Deterministic mode: it is virtual (no OS thread); its context
 * is polled from the main thread (see sched.h). The mode at creation time
 * decides.
 */
#ifndef DRYDOCK_UTIL_IOTHREAD_H
#define DRYDOCK_UTIL_IOTHREAD_H

#include "util/osdep.h"
#include "util/error.h"
#include "util/aio.h"

typedef struct IOThread IOThread;

/*
 * id: unique among live IOThreads (NULL: generated). Fails for a duplicate
 * id or if the thread cannot be started.
 */
IOThread *iothread_create(const char *id, Error **errp);
/*
 * Stop the thread (work still queued in its context does not run) and
 * drop the IOThread's reference to its context. NULL is fine.
 */
void iothread_destroy(IOThread *iothread);
AioContext *iothread_get_aio_context(IOThread *iothread);
const char *iothread_get_id(IOThread *iothread);
/* True when the IOThread runs no OS thread (created in deterministic mode) */
bool iothread_is_virtual(IOThread *iothread);

#endif /* DRYDOCK_UTIL_IOTHREAD_H */
