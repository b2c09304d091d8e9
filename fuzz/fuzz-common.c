/*
 * Helpers shared by the fuzz targets (see fuzz-common.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "block/block-global-state.h"
#include "block/block-debug.h"
#include "block/test-driver.h"
#include "util/aio.h"
#include "util/error.h"
#include "fuzz-common.h"

bool fuzz_trace;

static ssize_t fuzz_discard_write(void *cookie, const char *buf, size_t size)
{
    return size;
}

/*
 * Reports (error_report, qcow2 check lines) go nowhere unless tracing: a
 * hostile image makes thousands of them per input, each a write(2) on
 * stderr, which cost more than the rest of the input put together.  They
 * are not even formatted (what reaches the stream is what slips past).
 */
static void fuzz_quiet_reports(void)
{
    static const cookie_io_functions_t discard = {
        .write = fuzz_discard_write,
    };
    FILE *f = fopencookie(NULL, "w", discard);

    error_set_reports_discarded(true);
    if (f) {
        setvbuf(f, NULL, _IOFBF, BUFSIZ);
        error_set_report_stream(f);
    }
}

void fuzz_init(void)
{
    static bool done;

    if (!done) {
        fuzz_trace = getenv("FUZZ_TRACE") != NULL;
        if (!fuzz_trace) {
            fuzz_quiet_reports();
        }
        bdrv_init();
        /* bdrv_init() leaves the test driver out; the harness registers it */
        test_driver_register();
        done = true;
    }
}

void fuzz_die(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "fuzz: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    abort();
}

void fuzz_check_graph(const char *step)
{
    Error *err = NULL;

    if (bdrv_debug_check_graph(&err) < 0) {
        fuzz_die("graph invariant broken after %s: %s", step,
                 error_get_pretty(err));
    }
}

void fuzz_check_nodes(int before, const char *target)
{
    int now = bdrv_debug_node_count();

    if (now != before) {
        fuzz_die("%s: %d node(s) left after the input (%d before)", target,
                 now - before, before);
    }
}

void fuzz_poll_until(const bool *done, int limit)
{
    for (int i = 0; i < limit && !*done; i++) {
        if (!aio_poll(qemu_get_aio_context(), false)) {
            break;
        }
    }
}

/*
 * ASan's defaults for every target (ASAN_OPTIONS still overrides them).
 * A small quarantine instead of 256 MiB: freed memory is reused while it
 * is still in the cache, where the default made every allocation of an
 * input touch new pages (page faults and zeroing were a third of the
 * graph target's time).  The engines hold 1 MiB of freed memory, the
 * size of this machine's L2 cache; the replay main 16.  A refused qcow2
 * open frees some 40 KiB and the graph target's inputs 175 KiB on average
 * (0.5 MiB at most), so for most inputs a use after free is still caught
 * however late in the input it comes.
 * Each MiB more made every allocation slower, as memory came back out of
 * the cache: 3,000 inputs sampled from a qcow2 run cost 57 us each with
 * 1 MiB, 75 to 106 us with 4 (the 4 MiB of the last round; a refused open
 * cost 29 us with 16 MiB and 18 with 4).
 *
 * While fuzzing, no allocation stacks (malloc_context_size=0): unwinding
 * and storing a stack at each malloc and free was a third of an open's
 * time.  Errors are still caught and reported with the stack of the bad
 * access; the replay main (scripts/triage, scripts/fuzz-replay) keeps
 * ASan's full allocation and free stacks, and so does
 * ASAN_OPTIONS=malloc_context_size=30 on an engine binary.
 *
 * Free memory is never handed back to the kernel
 * (allocator_release_to_os_interval_ms=-1; ASan's default returns it every
 * 5 s): a fuzzing process reuses the same few hundred MiB input after
 * input, and each released page came back as a page fault on its next use
 * (20 s qcow2 runs, alternated: 13,234 and 14,503 runs by default, 19,625
 * and 16,021 without the release).  The RSS stays at its peak, which
 * libFuzzer's -rss_limit_mb still bounds.
 */
bool fuzz_replay_main __attribute__((weak));

#define FUZZ_ASAN_OPTIONS ":allocator_release_to_os_interval_ms=-1"
#define FUZZ_ASAN_ENGINE FUZZ_ASAN_OPTIONS ":malloc_context_size=0"

/* Called while ASan starts, before its shadow memory exists: no checks */
const char *__asan_default_options(void);
__attribute__((no_sanitize_address))
const char *__asan_default_options(void)
{
    if (fuzz_replay_main) {
        return "quarantine_size_mb=16" FUZZ_ASAN_OPTIONS;
    }
    return "quarantine_size_mb=1" FUZZ_ASAN_ENGINE;
}
