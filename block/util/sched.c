/*
 * sched.c: deterministic-mode switch, PRNG and virtual clock.
 */
#include "util/osdep.h"

#include <pthread.h>

#include "util/atomic.h"
#include "util/main-loop.h"
#include "util/sched.h"
#include "aio-internal.h"

static bool sched_det;
static uint64_t sched_seed_value;
static uint64_t sched_state;
static int64_t sched_vclock_ns;
static uint64_t sched_events;
static pthread_mutex_t sched_lock = PTHREAD_MUTEX_INITIALIZER;

void sched_set_deterministic(uint64_t seed)
{
    pthread_mutex_lock(&sched_lock);
    sched_seed_value = seed;
    sched_state = seed;
    qatomic_set(&sched_vclock_ns, 0);
    qatomic_set(&sched_events, 0);
    pthread_mutex_unlock(&sched_lock);
    qatomic_mb_set(&sched_det, true);
}

void sched_set_realtime(void)
{
    qatomic_mb_set(&sched_det, false);
}

bool sched_is_deterministic(void)
{
    return qatomic_read(&sched_det);
}

uint64_t sched_seed(void)
{
    uint64_t seed;

    pthread_mutex_lock(&sched_lock);
    seed = sched_seed_value;
    pthread_mutex_unlock(&sched_lock);
    return seed;
}

/* splitmix64: see sched.h */
uint64_t sched_rand(void)
{
    uint64_t z;

    pthread_mutex_lock(&sched_lock);
    sched_state += 0x9e3779b97f4a7c15ULL;
    z = sched_state;
    pthread_mutex_unlock(&sched_lock);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

uint64_t sched_rand_below(uint64_t n)
{
    if (n <= 1) {
        return 0;
    }
    return (uint64_t)(((unsigned __int128)sched_rand() * n) >> 64);
}

uint64_t sched_event_count(void)
{
    return qatomic_read(&sched_events);
}

void sched_count_event(void)
{
    qatomic_inc(&sched_events);
}

int64_t sched_clock_ns(void)
{
    return qatomic_read(&sched_vclock_ns);
}

/* Never moves the clock backwards */
void sched_clock_jump_to(int64_t ns)
{
    int64_t cur = qatomic_read(&sched_vclock_ns);

    while (ns > cur) {
        int64_t seen = qatomic_cmpxchg(&sched_vclock_ns, cur, ns);

        if (seen == cur) {
            break;
        }
        cur = seen;
    }
}

void sched_clock_step(int64_t ns)
{
    assert(ns >= 0);
    qatomic_add(&sched_vclock_ns, ns);
    /* Timers may have expired: let a blocking main loop look */
    aio_notify(qemu_get_aio_context());
}
