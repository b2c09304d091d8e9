/*
 * iothread.c: IOThreads (see iothread.h).
 */
#include "util/osdep.h"

#include <pthread.h>

#include "util/iothread.h"
#include "util/main-loop.h"
#include "aio-internal.h"

struct IOThread {
    char *id;
    AioContext *ctx;
    bool is_virtual;
    bool stopping;
    pthread_t thread;
    QTAILQ_ENTRY(IOThread) link;
};

static pthread_mutex_t iothread_lock = PTHREAD_MUTEX_INITIALIZER;
static QTAILQ_HEAD(, IOThread) iothreads = QTAILQ_HEAD_INITIALIZER(iothreads);
static unsigned iothread_next_id;

static void *iothread_run(void *opaque)
{
    IOThread *iothread = opaque;

    aio_tls_set_home(iothread->ctx);
    while (!qatomic_load_acquire(&iothread->stopping)) {
        aio_poll(iothread->ctx, true);
    }
    aio_tls_set_home(NULL);
    return NULL;
}

/* Under iothread_lock */
static IOThread *iothread_find_locked(const char *id)
{
    IOThread *iothread;

    QTAILQ_FOREACH(iothread, &iothreads, link) {
        if (!strcmp(iothread->id, id)) {
            return iothread;
        }
    }
    return NULL;
}

/* Reserve the id: returns the IOThread shell, or NULL with errp set */
static IOThread *iothread_register(const char *id, Error **errp)
{
    IOThread *iothread = NULL;

    if (id && !*id) {
        error_setg(errp, "IOThread id must not be empty");
        return NULL;
    }
    pthread_mutex_lock(&iothread_lock);
    if (id && iothread_find_locked(id)) {
        error_setg(errp, "IOThread '%s' already exists", id);
    } else {
        iothread = g_new0(IOThread, 1);
        if (id) {
            iothread->id = g_strdup(id);
        }
        while (!iothread->id) {
            char *gen = g_strdup_printf("iothread%u", iothread_next_id++);

            if (iothread_find_locked(gen)) {
                g_free(gen);    /* taken by a caller-chosen id */
            } else {
                iothread->id = gen;
            }
        }
        QTAILQ_INSERT_TAIL(&iothreads, iothread, link);
    }
    pthread_mutex_unlock(&iothread_lock);
    return iothread;
}

static void iothread_unregister(IOThread *iothread)
{
    pthread_mutex_lock(&iothread_lock);
    QTAILQ_REMOVE(&iothreads, iothread, link);
    pthread_mutex_unlock(&iothread_lock);
    g_free(iothread->id);
    g_free(iothread);
}

IOThread *iothread_create(const char *id, Error **errp)
{
    IOThread *iothread = iothread_register(id, errp);
    int ret;

    if (!iothread) {
        return NULL;
    }
    iothread->ctx = aio_context_new(errp);
    if (!iothread->ctx) {
        iothread_unregister(iothread);
        return NULL;
    }
    if (sched_is_deterministic()) {
        iothread->is_virtual = true;
        aio_context_set_world(iothread->ctx, true);
        return iothread;
    }
    aio_context_set_threaded(iothread->ctx);
    ret = pthread_create(&iothread->thread, NULL, iothread_run, iothread);
    if (ret) {
        error_setg_errno(errp, ret, "Could not start IOThread '%s'",
                         iothread->id);
        aio_context_unref(iothread->ctx);
        iothread_unregister(iothread);
        return NULL;
    }
    return iothread;
}

void iothread_destroy(IOThread *iothread)
{
    if (!iothread) {
        return;
    }
    if (iothread->is_virtual) {
        aio_context_set_world(iothread->ctx, false);
    } else {
        qatomic_store_release(&iothread->stopping, true);
        aio_notify(iothread->ctx);
        pthread_join(iothread->thread, NULL);
    }
    aio_context_unref(iothread->ctx);
    iothread_unregister(iothread);
}

AioContext *iothread_get_aio_context(IOThread *iothread)
{
    return iothread->ctx;
}

const char *iothread_get_id(IOThread *iothread)
{
    return iothread->id;
}

bool iothread_is_virtual(IOThread *iothread)
{
    return iothread->is_virtual;
}
