/*
 * test-aio-world-many.c: deterministic mode with more virtual IOThreads
 * than aio_poll keeps in its stack buffer (the world then moves to the
 * heap): every context's work still runs from the main loop's polls, the
 * clock still jumps to a timer of the last one, nothing is leaked.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "util/aio.h"
#include "util/iothread.h"
#include "util/main-loop.h"
#include "util/qemu-timer.h"
#include "util/sched.h"
#include "test-common.h"

#define NB_THREADS 20   /* the main context makes 21: past 8 and 16 */

static int bh_runs[NB_THREADS];

static void count_bh(void *opaque)
{
    (*(int *)opaque)++;
}

static bool all_ran(void)
{
    for (int i = 0; i < NB_THREADS; i++) {
        if (bh_runs[i] != 1) {
            return false;
        }
    }
    return true;
}

static void timer_fired(void *opaque)
{
    *(bool *)opaque = true;
}

static void test_world_past_the_stack_buffer(void **state)
{
    IOThread *t[NB_THREADS];
    QEMUTimer *timer;
    bool fired = false;

    sched_set_deterministic(7);
    for (int i = 0; i < NB_THREADS; i++) {
        char id[16];

        snprintf(id, sizeof(id), "w%d", i);
        t[i] = iothread_create(id, &error_abort);
        bh_runs[i] = 0;
        aio_bh_schedule_oneshot(iothread_get_aio_context(t[i]), count_bh,
                                &bh_runs[i]);
    }
    for (int i = 0; i < 10 * NB_THREADS && !all_ran(); i++) {
        aio_poll(qemu_get_aio_context(), true);
    }
    assert_true(all_ran());

    /* Nothing else is ready anywhere: the virtual clock jumps to it */
    timer = aio_timer_new(iothread_get_aio_context(t[NB_THREADS - 1]),
                          QEMU_CLOCK_VIRTUAL, SCALE_NS, timer_fired, &fired);
    timer_mod(timer, qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL) + 1000000);
    for (int i = 0; i < 100 && !fired; i++) {
        aio_poll(qemu_get_aio_context(), true);
    }
    assert_true(fired);
    timer_free(timer);
    for (int i = 0; i < NB_THREADS; i++) {
        iothread_destroy(t[i]);
    }
    assert_false(aio_poll(qemu_get_aio_context(), false));
    sched_set_realtime();
    end_test();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_world_past_the_stack_buffer),
    };

    return test_common_run_group(tests, NULL, NULL);
}
