/*
 * Private to the blkdebug driver: its rules (inject-error, set-state and
 * the suspend rules breakpoints create) and its node state.
 *
 * A rule is attached to one event.  When the event is raised on the node
 * (BLKDBG_EVENT), the rules of the event whose state matches the node's
 * state fire: inject-error rules become the active rules (the next
 * requests of a matching I/O type and range fail), set-state rules change
 * the state once every rule was looked at, suspend rules park the request
 * until bdrv_debug_resume().
 */
#ifndef BLKDEBUG_INT_H
#define BLKDEBUG_INT_H

#include "block/driver.h"

typedef enum BlkdebugAction {
    BLKDEBUG_ACTION_INJECT_ERROR,
    BLKDEBUG_ACTION_SET_STATE,
    BLKDEBUG_ACTION_SUSPEND,
    BLKDEBUG_ACTION__MAX,
} BlkdebugAction;

/* QAPI's BlkdebugIOType, in its order */
typedef enum BlkdebugIOType {
    BLKDEBUG_IO_TYPE_READ,
    BLKDEBUG_IO_TYPE_WRITE,
    BLKDEBUG_IO_TYPE_WRITE_ZEROES,
    BLKDEBUG_IO_TYPE_DISCARD,
    BLKDEBUG_IO_TYPE_FLUSH,
    BLKDEBUG_IO_TYPE_BLOCK_STATUS,
    BLKDEBUG_IO_TYPE__MAX,
} BlkdebugIOType;

/* The largest errno an inject-error rule may give */
#define BLKDEBUG_MAX_ERRNO 4095

typedef struct BlkdebugRule {
    BlkdebugEvent event;
    BlkdebugAction action;
    int64_t state;                  /* fires only in this state; 0: any */
    union {
        struct {
            int error;              /* positive errno */
            unsigned iotype_mask;   /* 1 << BlkdebugIOType */
            int64_t offset;         /* a byte the request covers; -1: any */
            bool once;              /* removed after its first error */
            bool immediately;       /* fail before yielding once */
        } inject;
        struct {
            int64_t new_state;
        } set_state;
        struct {
            char *tag;
        } suspend;
    } options;
    QLIST_ENTRY(BlkdebugRule) next;            /* in rules[event] */
    QSIMPLEQ_ENTRY(BlkdebugRule) active_next;  /* in active_rules */
} BlkdebugRule;

typedef struct BlkdebugSuspendedReq {
    Coroutine *co;
    char *tag;
    QLIST_ENTRY(BlkdebugSuspendedReq) next;
} BlkdebugSuspendedReq;

typedef struct BDRVBlkdebugState {
    /* Rules and state: any thread, under lock */
    pthread_mutex_t lock;
    int64_t state;                  /* starts at 1 */
    int64_t new_state;              /* while an event is processed */
    QLIST_HEAD(, BlkdebugRule) rules[BLKDBG__MAX];
    QSIMPLEQ_HEAD(, BlkdebugRule) active_rules;
    QLIST_HEAD(, BlkdebugSuspendedReq) suspended_reqs;

    /* Limits (0: the child's) */
    uint64_t align;
    uint64_t max_transfer;
    uint64_t opt_write_zero;
    uint64_t max_write_zero;
    uint64_t opt_discard;
    uint64_t max_discard;

    char *config_file;

    /* Taken on / not shared on the image child besides the usual ones */
    uint64_t take_child_perms;
    uint64_t unshare_child_perms;
} BDRVBlkdebugState;

/* blkdebug-config.c: rules from the config file and the options */
int blkdebug_read_config(BDRVBlkdebugState *s, const char *filename,
                         Error **errp);
int blkdebug_read_rule_options(BDRVBlkdebugState *s, QDict *options,
                               Error **errp);
void blkdebug_remove_rule(BlkdebugRule *rule);
void blkdebug_free_rules(BDRVBlkdebugState *s);

/* blkdebug-rules.c: events and error injection */
/* Process the rules of event "none" (at open) */
void blkdebug_fire_open_rules(BlockDriverState *bs);
void coroutine_fn blkdebug_co_debug_event(BlockDriverState *bs,
                                          BlkdebugEvent event);
int coroutine_fn blkdebug_rule_check(BlockDriverState *bs, int64_t offset,
                                     int64_t bytes, BlkdebugIOType iotype);

/* blkdebug-break.c: breakpoints */
void blkdebug_suspend_request(BDRVBlkdebugState *s, BlkdebugRule *rule);
int blkdebug_debug_breakpoint(BlockDriverState *bs, const char *event,
                              const char *tag);
int blkdebug_debug_remove_breakpoint(BlockDriverState *bs, const char *tag);
int blkdebug_debug_resume(BlockDriverState *bs, const char *tag);
bool blkdebug_debug_is_suspended(BlockDriverState *bs, const char *tag);

#endif
