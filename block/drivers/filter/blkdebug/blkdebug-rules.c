/*
 * blkdebug's reaction to events and its error injection.
 *
 * An event processes the rules attached to it whose state matches (0
 * matches any).  The first inject-error rule the event fires replaces the
 * active rules by the ones it fires; set-state rules take effect once all
 * rules of the event were looked at, so every rule sees the state the
 * event found; suspend rules (breakpoints) park the request.  Requests
 * then fail with the error of the first active rule that matches their
 * I/O type and covers the rule's byte (or any request, without "sector").
 * A "once" rule goes away after its first error; without "immediately"
 * the failure is returned after one trip through the event loop, like an
 * I/O error that completes later.
 */
#include "blkdebug-int.h"

static bool blkdebug_process_rule(BlockDriverState *bs, BlkdebugRule *rule,
                                  bool injected)
{
    BDRVBlkdebugState *s = bs->opaque;

    if (rule->state && rule->state != s->state) {
        return injected;
    }
    switch (rule->action) {
    case BLKDEBUG_ACTION_INJECT_ERROR:
        if (!injected) {
            QSIMPLEQ_INIT(&s->active_rules);
            injected = true;
        }
        QSIMPLEQ_INSERT_HEAD(&s->active_rules, rule, active_next);
        break;
    case BLKDEBUG_ACTION_SET_STATE:
        s->new_state = rule->options.set_state.new_state;
        break;
    case BLKDEBUG_ACTION_SUSPEND:
        blkdebug_suspend_request(s, rule);
        break;
    default:
        g_assert_not_reached();
    }
    return injected;
}

void coroutine_fn blkdebug_co_debug_event(BlockDriverState *bs,
                                          BlkdebugEvent event)
{
    BDRVBlkdebugState *s = bs->opaque;
    BlkdebugRule *rule, *next;
    int suspended = 0;
    bool injected = false;

    assert((int)event >= 0 && event < BLKDBG__MAX);
    pthread_mutex_lock(&s->lock);
    s->new_state = s->state;
    QLIST_FOREACH_SAFE(rule, &s->rules[event], next, next) {
        /* A suspend rule is consumed: count it first */
        bool suspends = rule->action == BLKDEBUG_ACTION_SUSPEND &&
                        (!rule->state || rule->state == s->state);

        injected = blkdebug_process_rule(bs, rule, injected);
        suspended += suspends;
    }
    s->state = s->new_state;
    pthread_mutex_unlock(&s->lock);

    /* bdrv_debug_resume() wakes us once per breakpoint that fired */
    while (suspended-- > 0) {
        qemu_coroutine_yield();
    }
}

/*
 * The rules of event "none" are processed once, when the node opens (in
 * state 1), as qemu's blkdebug does: such an inject-error rule is active
 * from the first request on.  (No request exists yet to suspend.)
 */
void blkdebug_fire_open_rules(BlockDriverState *bs)
{
    BDRVBlkdebugState *s = bs->opaque;
    BlkdebugRule *rule;
    bool injected = false;

    pthread_mutex_lock(&s->lock);
    s->new_state = s->state;
    QLIST_FOREACH(rule, &s->rules[BLKDBG_NONE], next) {
        if (rule->action != BLKDEBUG_ACTION_SUSPEND) {
            injected = blkdebug_process_rule(bs, rule, injected);
        }
    }
    s->state = s->new_state;
    pthread_mutex_unlock(&s->lock);
}

static bool blkdebug_rule_matches(BlkdebugRule *rule, int64_t offset,
                                  int64_t bytes, BlkdebugIOType iotype)
{
    int64_t at = rule->options.inject.offset;

    if (!(rule->options.inject.iotype_mask & (1u << iotype))) {
        return false;
    }
    return at < 0 || (bytes && at >= offset && at - offset < bytes);
}

int coroutine_fn blkdebug_rule_check(BlockDriverState *bs, int64_t offset,
                                     int64_t bytes, BlkdebugIOType iotype)
{
    BDRVBlkdebugState *s = bs->opaque;
    BlkdebugRule *rule;
    bool immediately;
    int error;

    pthread_mutex_lock(&s->lock);
    QSIMPLEQ_FOREACH(rule, &s->active_rules, active_next) {
        if (blkdebug_rule_matches(rule, offset, bytes, iotype)) {
            break;
        }
    }
    if (!rule || !rule->options.inject.error) {
        pthread_mutex_unlock(&s->lock);
        return 0;
    }
    error = rule->options.inject.error;
    immediately = rule->options.inject.immediately;
    if (rule->options.inject.once) {
        QSIMPLEQ_REMOVE(&s->active_rules, rule, BlkdebugRule, active_next);
        blkdebug_remove_rule(rule);
    }
    pthread_mutex_unlock(&s->lock);

    if (!immediately) {
        aio_co_schedule(qemu_get_current_aio_context(), qemu_coroutine_self());
        qemu_coroutine_yield();
    }
    return -error;
}
