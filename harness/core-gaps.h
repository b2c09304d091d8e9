/*
 * The core functions the harness needs that drydock does not have yet,
 * in one place.  Each wrapper has the signature of the QEMU function it
 * stands for and fails with -ENOTSUP and a message naming what is
 * missing; when the core function lands, its wrapper becomes a call and
 * every command that uses it works without other changes.
 */
#ifndef HARNESS_CORE_GAPS_H
#define HARNESS_CORE_GAPS_H

#include "block/block-global-state.h"

/* bdrv_reopen(bs, opts, keep_old_opts, errp); takes @opts over */
int gap_bdrv_reopen(BlockDriverState *bs, QDict *opts, bool keep_old_opts,
                    Error **errp);

/* The blkdebug breakpoint API (bdrv_debug_*), which needs blkdebug */
int gap_bdrv_debug_breakpoint(BlockDriverState *bs, const char *event,
                              const char *tag);
int gap_bdrv_debug_remove_breakpoint(BlockDriverState *bs, const char *tag);
int gap_bdrv_debug_resume(BlockDriverState *bs, const char *tag);
/* 1 suspended, 0 not, -ENOTSUP when no node can suspend requests */
int gap_bdrv_debug_is_suspended(BlockDriverState *bs, const char *tag);

#endif
