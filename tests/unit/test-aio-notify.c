/*
 * aio_notify() writes a context's eventfd only when a poller sleeps (or is
 * about to): work queued while nobody waits costs no system call, and is
 * still seen by the next poll. The eventfd's counter is read from
 * /proc/self/fdinfo, so the test needs no access to the context's insides.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>

#include "util/iothread.h"
#include "test-common.h"

#define MAX_FDS 1024

/* Marks in @set every fd of this process that is an eventfd */
static void eventfds(bool *set)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *de;

    assert_non_null(d);
    memset(set, 0, MAX_FDS * sizeof(*set));
    while ((de = readdir(d))) {
        char path[300], target[64];
        int fd = atoi(de->d_name);
        ssize_t n;

        snprintf(path, sizeof(path), "/proc/self/fd/%s", de->d_name);
        n = readlink(path, target, sizeof(target) - 1);
        if (n > 0 && fd < MAX_FDS) {
            target[n] = 0;
            set[fd] = strstr(target, "eventfd") != NULL;
        }
    }
    closedir(d);
}

/* The eventfd a context created between the two snapshots */
static int new_eventfd(const bool *before, const bool *after)
{
    int found = -1;

    for (int fd = 0; fd < MAX_FDS; fd++) {
        if (after[fd] && !before[fd]) {
            assert_int_equal(found, -1);
            found = fd;
        }
    }
    assert_true(found >= 0);
    return found;
}

static long eventfd_count(int fd)
{
    char path[64], line[128];
    long count = -1;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
    f = fopen(path, "r");
    assert_non_null(f);
    while (fgets(line, sizeof(line), f)) {
        if (sscanf(line, "eventfd-count: %lx", &count) == 1) {
            break;
        }
    }
    fclose(f);
    assert_true(count >= 0);
    return count;
}

static void count_bh(void *opaque)
{
    (*(int *)opaque)++;
}

static void test_notify_without_sleeper_writes_nothing(void **state)
{
    static bool before[MAX_FDS], after[MAX_FDS];
    AioContext *ctx;
    int ran = 0, fd;

    eventfds(before);
    ctx = aio_context_new(&error_abort);
    eventfds(after);
    fd = new_eventfd(before, after);

    aio_bh_schedule_oneshot(ctx, count_bh, &ran);
    aio_bh_schedule_oneshot(ctx, count_bh, &ran);
    aio_notify(ctx);
    assert_int_equal(eventfd_count(fd), 0);
    /* The poll still sees the work, and does not block for it */
    assert_true(aio_poll(ctx, true));
    assert_int_equal(ran, 2);
    assert_false(aio_poll(ctx, false));
    aio_context_unref(ctx);
}

static void iothread_bh(void *opaque)
{
    qatomic_store_release((int *)opaque, 1);
    aio_wait_kick();
}

/* A sleeping IOThread is still woken by new work */
static void test_notify_wakes_sleeping_iothread(void **state)
{
    IOThread *iot = iothread_create("notify", &error_abort);
    int ran = 0;

    for (int i = 0; i < 100; i++) {
        qatomic_set(&ran, 0);
        aio_bh_schedule_oneshot(iothread_get_aio_context(iot), iothread_bh,
                                &ran);
        AIO_WAIT_WHILE(iothread_get_aio_context(iot),
                       !qatomic_load_acquire(&ran));
    }
    iothread_destroy(iot);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_notify_without_sleeper_writes_nothing),
        T(test_notify_wakes_sleeping_iothread),
    };

    test_common_init(0);
    return test_common_run_group(tests, NULL, NULL);
}
