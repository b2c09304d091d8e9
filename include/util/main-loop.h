/*
 * main-loop.h: the main thread, its AioContext, and QEMU's context
 * annotations.
 *
 * The main thread is the thread that called qemu_init_main_loop() (or
 * first asked for the main AioContext). "Global state" code runs there,
 * in the main AioContext: in deterministic mode the events of virtual
 * IOThreads also run in the main OS thread, but not in the main context,
 * so GLOBAL_STATE_CODE() catches global-state calls from IOThread code in
 * both modes.
 */
#ifndef DRYDOCK_UTIL_MAIN_LOOP_H
#define DRYDOCK_UTIL_MAIN_LOOP_H

#include "util/osdep.h"
#include "util/error.h"
#include "util/aio.h"

/* Create the main AioContext; idempotent. Fails only if eventfd fails. */
void qemu_init_main_loop(Error **errp);

/* In the main thread and in the main AioContext */
bool qemu_in_main_thread(void);
/* drydock has no BQL: true exactly when qemu_in_main_thread() */
bool qemu_mutex_iothread_locked(void);

/* Run one iteration of the main loop (aio_poll of the main context) */
void main_loop_wait(bool nonblocking);

/* Global-state API: main thread only */
#define GLOBAL_STATE_CODE() assert(qemu_in_main_thread())
/* Callable from any context (documentation only) */
#define IO_CODE() do { } while (0)
/* Either of the above (documentation only) */
#define IO_OR_GS_CODE() do { } while (0)

#endif /* DRYDOCK_UTIL_MAIN_LOOP_H */
