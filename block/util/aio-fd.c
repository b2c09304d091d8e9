/*
 * aio-fd.c: fd handlers and the poll(2) set.
 *
 * Handler nodes are immutable once published: changing a handler adds a
 * new node and retires the old one. A retired node is only freed when no
 * poller walks the list (walking_handlers == 0), so a dispatch loop can
 * hold node pointers across callbacks.
 */
#include "util/osdep.h"

#include <time.h>

#include "aio-internal.h"

void aio_set_fd_handler(AioContext *ctx, int fd, IOHandler *io_read,
                        IOHandler *io_write, void *opaque)
{
    AioHandler *node, *old = NULL;

    assert(fd >= 0);
    aio_ctx_lock(ctx);
    QLIST_FOREACH(node, &ctx->handlers, link) {
        if (node->fd == fd && !node->deleted) {
            old = node;
            break;
        }
    }
    if (old) {
        if (ctx->walking_handlers) {
            qatomic_set(&old->deleted, true);
            ctx->handlers_deleted = true;
        } else {
            QLIST_REMOVE(old, link);
            g_free(old);
        }
    }
    if (io_read || io_write) {
        node = g_new0(AioHandler, 1);
        node->fd = fd;
        node->io_read = io_read;
        node->io_write = io_write;
        node->opaque = opaque;
        QLIST_INSERT_HEAD(&ctx->handlers, node, link);
    }
    /* A blocking poll must pick up the new set */
    aio_notify(ctx);
    aio_ctx_unlock(ctx);
}

void aio_fd_walk_begin(AioContext *ctx)
{
    aio_ctx_lock(ctx);
    ctx->walking_handlers++;
    aio_ctx_unlock(ctx);
}

void aio_fd_walk_end(AioContext *ctx)
{
    AioHandler *node, *next;

    aio_ctx_lock(ctx);
    assert(ctx->walking_handlers > 0);
    if (--ctx->walking_handlers == 0 && ctx->handlers_deleted) {
        QLIST_FOREACH_SAFE(node, &ctx->handlers, link, next) {
            if (node->deleted) {
                QLIST_REMOVE(node, link);
                g_free(node);
            }
        }
        ctx->handlers_deleted = false;
    }
    aio_ctx_unlock(ctx);
}

bool aio_fd_has_handlers(AioContext *ctx)
{
    AioHandler *node;
    bool any = false;

    aio_ctx_lock(ctx);
    QLIST_FOREACH(node, &ctx->handlers, link) {
        any |= !node->deleted;
    }
    aio_ctx_unlock(ctx);
    return any;
}

/* Caller holds a walk on ctx: nodes stay allocated */
void aio_fd_add_pollfds(AioContext *ctx, AioPollFds *fds)
{
    AioHandler *node;

    aio_fd_pollfds_add(fds, ctx->notify_fd, POLLIN, ctx, NULL);
    aio_ctx_lock(ctx);
    QLIST_FOREACH(node, &ctx->handlers, link) {
        short events = (node->io_read ? POLLIN : 0) |
                       (node->io_write ? POLLOUT : 0);

        if (!node->deleted) {
            aio_fd_pollfds_add(fds, node->fd, events, ctx, node);
        }
    }
    aio_ctx_unlock(ctx);
}

/* True if a callback ran */
bool aio_fd_dispatch(AioHandler *node, short revents)
{
    bool progress = false;

    if (qatomic_read(&node->deleted)) {
        return false;
    }
    if (node->io_read && (revents & (POLLIN | POLLHUP | POLLERR))) {
        node->io_read(node->opaque);
        progress = true;
    }
    /* The read callback may have removed the handler */
    if (!qatomic_read(&node->deleted) && node->io_write &&
        (revents & (POLLOUT | POLLERR))) {
        node->io_write(node->opaque);
        progress = true;
    }
    return progress;
}

void aio_fd_ctx_cleanup(AioContext *ctx)
{
    AioHandler *node;

    while ((node = QLIST_FIRST(&ctx->handlers))) {
        QLIST_REMOVE(node, link);
        g_free(node);
    }
}

/* ---- the pollfd set ---- */

void aio_fd_pollfds_init(AioPollFds *fds)
{
    fds->pfd = fds->inline_pfd;
    fds->node = fds->inline_node;
    fds->ctx = fds->inline_ctx;
    fds->n = 0;
    fds->cap = AIO_POLLFDS_INLINE;
}

static void aio_fd_pollfds_grow(AioPollFds *fds)
{
    size_t cap = fds->cap * 2;

    if (fds->pfd == fds->inline_pfd) {
        fds->pfd = g_memdup2(fds->inline_pfd, sizeof(fds->inline_pfd));
        fds->node = g_memdup2(fds->inline_node, sizeof(fds->inline_node));
        fds->ctx = g_memdup2(fds->inline_ctx, sizeof(fds->inline_ctx));
    }
    fds->pfd = g_renew(struct pollfd, fds->pfd, cap);
    fds->node = g_renew(AioHandler *, fds->node, cap);
    fds->ctx = g_renew(AioContext *, fds->ctx, cap);
    fds->cap = cap;
}

void aio_fd_pollfds_add(AioPollFds *fds, int fd, short events, AioContext *ctx,
                     AioHandler *node)
{
    if (fds->n == fds->cap) {
        aio_fd_pollfds_grow(fds);
    }
    fds->pfd[fds->n] = (struct pollfd) { .fd = fd, .events = events };
    fds->node[fds->n] = node;
    fds->ctx[fds->n] = ctx;
    fds->n++;
}

/*
 * A blocking wait tells the contexts (aio_notify_sleep_begin) so that
 * notifiers write the eventfd; one notified meanwhile makes it a peek.
 */
static bool aio_fd_pollfds_sleep_begin(AioPollFds *fds)
{
    bool sleep = true;

    for (size_t i = 0; i < fds->n; i++) {
        if (!fds->node[i]) {
            sleep &= aio_notify_sleep_begin(fds->ctx[i]);
        }
    }
    return sleep;
}

static void aio_fd_pollfds_sleep_end(AioPollFds *fds)
{
    for (size_t i = 0; i < fds->n; i++) {
        if (!fds->node[i]) {
            aio_notify_sleep_end(fds->ctx[i]);
        }
    }
}

void aio_fd_pollfds_wait(AioPollFds *fds, int64_t timeout_ns)
{
    struct timespec ts, *tsp = NULL;
    bool handlers = false, sleeping = timeout_ns != 0;
    int r = 0;

    for (size_t i = 0; i < fds->n && !handlers; i++) {
        handlers = fds->node[i] != NULL;
    }
    if (sleeping && !aio_fd_pollfds_sleep_begin(fds)) {
        timeout_ns = 0;
    }
    if (timeout_ns >= 0) {
        ts.tv_sec = timeout_ns / NANOSECONDS_PER_SECOND;
        ts.tv_nsec = timeout_ns % NANOSECONDS_PER_SECOND;
        tsp = &ts;
    }
    for (size_t i = 0; i < fds->n; i++) {
        fds->pfd[i].revents = 0;
    }
    /* A peek at notifiers only is what the queues tell anyway */
    if (timeout_ns != 0 || handlers) {
        do {
            r = ppoll(fds->pfd, fds->n, tsp, NULL);
        } while (r < 0 && errno == EINTR);
    }
    if (sleeping) {
        aio_fd_pollfds_sleep_end(fds);
    }
    if (r < 0) {
        fprintf(stderr, "aio_poll: ppoll failed: %s\n", strerror(errno));
        abort();
    }
    for (size_t i = 0; i < fds->n; i++) {
        if (!fds->node[i]) {
            aio_notify_accept(fds->ctx[i], fds->pfd[i].revents & POLLIN);
        }
    }
}

void aio_fd_pollfds_destroy(AioPollFds *fds)
{
    if (fds->pfd != fds->inline_pfd) {
        g_free(fds->pfd);
        g_free(fds->node);
        g_free(fds->ctx);
    }
}
