/*
 * sched.h: the deterministic scheduler (SPDK "fake threads" style).
 *
 * Deterministic mode is process-global; switch it on before creating
 * IOThreads or submitting work (switching with work pending is undefined).
 * In it:
 *   - each aio_poll() dispatches one ready event (BH, scheduled coroutine,
 *     fd handler, expired timer, thread-pool item) picked by the PRNG;
 *   - IOThreads are virtual: no OS thread, their contexts are polled from
 *     the main thread by aio_poll(main context) and AIO_WAIT_WHILE;
 *   - the thread pool runs no threads: a request is an event that runs its
 *     function in the main thread when picked;
 *   - QEMU_CLOCK_VIRTUAL starts at 0 and only moves when the scheduler
 *     jumps it to the next virtual deadline (or sched_clock_step()).
 * So the same seed gives the same interleaving, run after run.
 *
 * PRNG: splitmix64 (Steele, Lea, Flood 2014): state += 0x9e3779b97f4a7c15,
 * output = the state through two xor-shift-multiply rounds. Numbers below n
 * are taken by 128-bit multiply-high (Lemire), without rejection.
 */
#ifndef DRYDOCK_UTIL_SCHED_H
#define DRYDOCK_UTIL_SCHED_H

#include "util/osdep.h"

/* Turn deterministic mode on, seed the PRNG, reset the virtual clock to 0 */
void sched_set_deterministic(uint64_t seed);
/* Back to realtime mode (virtual clock follows real time again) */
void sched_set_realtime(void);
bool sched_is_deterministic(void);
/* The seed last given to sched_set_deterministic() (0 by default) */
uint64_t sched_seed(void);

uint64_t sched_rand(void);
/* Uniform-ish in [0, n); n == 0 returns 0 */
uint64_t sched_rand_below(uint64_t n);

/* Events dispatched by deterministic-mode aio_poll since the last seeding */
uint64_t sched_event_count(void);

/* Virtual clock (ns), and moving it forward by hand (deterministic mode) */
int64_t sched_clock_ns(void);
void sched_clock_step(int64_t ns);

#endif /* DRYDOCK_UTIL_SCHED_H */
