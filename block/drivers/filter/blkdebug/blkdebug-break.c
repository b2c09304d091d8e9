/*
 * blkdebug breakpoints: bdrv_debug_breakpoint(bs, event, tag) adds a
 * suspend rule to @event; the next request that raises @event (in any
 * state) consumes it and is parked under @tag, printing "blkdebug:
 * Suspended request 'TAG'" like qemu-io, until bdrv_debug_resume(tag)
 * wakes it ("blkdebug: Resuming request 'TAG'").  Removing a breakpoint
 * drops its pending suspend rules and resumes what it parked.
 */
#include "blkdebug-int.h"

/* Called with s->lock held, from the coroutine of the request */
void blkdebug_suspend_request(BDRVBlkdebugState *s, BlkdebugRule *rule)
{
    BlkdebugSuspendedReq *r = g_new0(BlkdebugSuspendedReq, 1);

    r->co = qemu_coroutine_self();
    r->tag = g_strdup(rule->options.suspend.tag);
    blkdebug_remove_rule(rule);
    QLIST_INSERT_HEAD(&s->suspended_reqs, r, next);
    printf("blkdebug: Suspended request '%s'\n", r->tag);
    fflush(stdout);
}

int blkdebug_debug_breakpoint(BlockDriverState *bs, const char *event,
                              const char *tag)
{
    BDRVBlkdebugState *s = bs->opaque;
    int ev = BlkdebugEvent_lookup(event);
    BlkdebugRule *rule;

    if (ev < 0) {
        return -ENOENT;
    }
    rule = g_new0(BlkdebugRule, 1);
    rule->event = ev;
    rule->action = BLKDEBUG_ACTION_SUSPEND;
    rule->options.suspend.tag = g_strdup(tag);
    pthread_mutex_lock(&s->lock);
    QLIST_INSERT_HEAD(&s->rules[ev], rule, next);
    pthread_mutex_unlock(&s->lock);
    return 0;
}

/* Take the first request parked under @tag off the list (NULL: none) */
static BlkdebugSuspendedReq *blkdebug_take_suspended(BDRVBlkdebugState *s,
                                                     const char *tag)
{
    BlkdebugSuspendedReq *r;

    pthread_mutex_lock(&s->lock);
    QLIST_FOREACH(r, &s->suspended_reqs, next) {
        if (!strcmp(r->tag, tag)) {
            QLIST_REMOVE(r, next);
            break;
        }
    }
    pthread_mutex_unlock(&s->lock);
    return r;
}

/*
 * Wake the requests parked under @tag (the first, or all); 0 or -ENOENT.
 * Without the lock: a woken request may run at once and check its rules.
 */
static int blkdebug_resume_tag(BDRVBlkdebugState *s, const char *tag,
                               bool all)
{
    BlkdebugSuspendedReq *r;
    int ret = -ENOENT;

    while ((r = blkdebug_take_suspended(s, tag))) {
        printf("blkdebug: Resuming request '%s'\n", r->tag);
        fflush(stdout);
        aio_co_wake(r->co);
        g_free(r->tag);
        g_free(r);
        ret = 0;
        if (!all) {
            break;
        }
    }
    return ret;
}

int blkdebug_debug_remove_breakpoint(BlockDriverState *bs, const char *tag)
{
    BDRVBlkdebugState *s = bs->opaque;
    BlkdebugRule *rule, *next;
    int ret = -ENOENT;

    pthread_mutex_lock(&s->lock);
    for (int i = 0; i < BLKDBG__MAX; i++) {
        QLIST_FOREACH_SAFE(rule, &s->rules[i], next, next) {
            if (rule->action == BLKDEBUG_ACTION_SUSPEND &&
                !strcmp(rule->options.suspend.tag, tag)) {
                blkdebug_remove_rule(rule);
                ret = 0;
            }
        }
    }
    pthread_mutex_unlock(&s->lock);
    if (blkdebug_resume_tag(s, tag, true) == 0) {
        ret = 0;
    }
    return ret;
}

int blkdebug_debug_resume(BlockDriverState *bs, const char *tag)
{
    return blkdebug_resume_tag(bs->opaque, tag, false);
}

bool blkdebug_debug_is_suspended(BlockDriverState *bs, const char *tag)
{
    BDRVBlkdebugState *s = bs->opaque;
    BlkdebugSuspendedReq *r;
    bool found = false;

    pthread_mutex_lock(&s->lock);
    QLIST_FOREACH(r, &s->suspended_reqs, next) {
        if (!strcmp(r->tag, tag)) {
            found = true;
            break;
        }
    }
    pthread_mutex_unlock(&s->lock);
    return found;
}
