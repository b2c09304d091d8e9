/*
 * main-loop.c: the main thread and the main AioContext.
 */
#include "util/osdep.h"

#include <pthread.h>

#include "util/main-loop.h"
#include "aio-internal.h"

static pthread_once_t main_loop_once = PTHREAD_ONCE_INIT;
static AioContext *main_loop_ctx;
static pthread_t main_loop_thread;
static int main_loop_init_errno;

static void main_loop_init_once(void)
{
    Error *local_err = NULL;
    AioContext *ctx = aio_context_new(&local_err);

    if (!ctx) {
        main_loop_init_errno = errno ? errno : EIO;
        error_free(local_err);
        return;
    }
    aio_context_set_world(ctx, true);
    main_loop_thread = pthread_self();
    qatomic_store_release(&main_loop_ctx, ctx);
}

void qemu_init_main_loop(Error **errp)
{
    pthread_once(&main_loop_once, main_loop_init_once);
    if (!qatomic_load_acquire(&main_loop_ctx)) {
        error_setg_errno(errp, main_loop_init_errno,
                         "Could not create the main AioContext");
    }
}

AioContext *qemu_get_aio_context(void)
{
    AioContext *ctx = qatomic_load_acquire(&main_loop_ctx);

    if (unlikely(!ctx)) {
        qemu_init_main_loop(&error_abort);
        ctx = main_loop_ctx;
    }
    return ctx;
}

bool qemu_in_main_thread(void)
{
    AioContext *main_ctx = qemu_get_aio_context();

    return pthread_equal(pthread_self(), main_loop_thread) &&
           qemu_get_current_aio_context() == main_ctx;
}

bool qemu_mutex_iothread_locked(void)
{
    return qemu_in_main_thread();
}

void main_loop_wait(bool nonblocking)
{
    aio_poll(qemu_get_aio_context(), !nonblocking);
}
