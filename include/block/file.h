/*
 * The "file" protocol's knobs for tests.
 *
 * Reads and writes of a file opened without O_DIRECT are first tried in
 * the requesting coroutine with preadv2/pwritev2(RWF_NOWAIT): data already
 * in the page cache is transferred without the thread-pool hop. Whatever
 * the kernel cannot do without blocking (-EAGAIN; -EOPNOTSUPP turns the
 * attempt off for that node and direction) continues in the thread pool,
 * from where the fast path stopped. Deterministic mode (util/sched.h)
 * never takes the fast path: every request is a scheduler event.
 *
 * With O_DIRECT (cache.direct=on), reads go through an io_uring of the
 * requesting thread instead of the thread pool when the kernel allows it
 * (again not in deterministic mode); a short read continues in the pool.
 * With aio=io_uring every read, write and flush goes through the ring,
 * submitted in one batch per event-loop iteration.
 */
#ifndef BLOCK_FILE_H
#define BLOCK_FILE_H

#include "block/block-common.h"

typedef enum FileNowaitMode {
    FILE_NOWAIT_AUTO,       /* the default: as described above */
    FILE_NOWAIT_OFF,        /* never try: every request goes to the pool */
    FILE_NOWAIT_EAGAIN,     /* every attempt fails with EAGAIN at once */
    FILE_NOWAIT_SHORT,      /* an attempt moves at most 512 bytes, then
                             * fails with EAGAIN (a partial fast path) */
} FileNowaitMode;

/* Process-wide; for tests */
void file_nowait_set_mode(FileNowaitMode mode);
/* Process-wide: may O_DIRECT requests use io_uring (default: yes);
 * enabling also retries a failed ring setup of the calling thread */
void file_uring_set_enabled(bool enabled);
/* io_uring_submit calls made for requests (process-wide counter) */
uint64_t file_uring_submit_calls(void);

typedef struct FileNowaitStats {
    uint64_t fast;          /* requests done entirely in the fast path */
    uint64_t fallback;      /* tried, then finished in the thread pool */
    uint64_t uring;         /* O_DIRECT requests io_uring took */
} FileNowaitStats;

/* Counters since the last reset (reset: zeroes them) */
void file_nowait_get_stats(FileNowaitStats *stats, bool reset);

#endif
