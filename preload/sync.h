/* What the sync wrappers (sync.c, sem.c, futex.c) share: the gate, and
 * glibc's checks of a timed wait's clock and absolute time. Unlike the fd
 * wrappers, these use the green implementation on every thread, green or
 * not, with a hub or without: a lock has one implementation for all its
 * users. Only GREEN_DISABLE, and the objects glibc keeps (process-shared,
 * robust, PI/PP), go to the real functions. */
#ifndef GREEN_PRELOAD_SYNC_H
#define GREEN_PRELOAD_SYNC_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "clock.h"
#include "common.h"
#include "config.h"
#include "real.h"

/* True unless GREEN_DISABLE. Also resolves the real functions, which the
 * callers need for foreign objects either way. */
static inline bool green__sync_gate(void)
{
    green__real_ensure();
    green__config_load();
    return green__likely(!green__config.disable);
}

/* The clocks glibc's clock* waits accept (others are EINVAL). */
static inline bool green__sync_clock_ok(clockid_t clock)
{
    return clock == CLOCK_REALTIME || clock == CLOCK_MONOTONIC;
}

/* glibc's valid_nanoseconds. */
static inline bool green__sync_time_ok(const struct timespec *at)
{
    return (unsigned long)at->tv_nsec < (unsigned long)GREEN__NS_PER_S;
}

/* The monotonic deadline (ns, as green_now) of the absolute time `at` on
 * clock, computed once, when the wait starts: a later change of the
 * realtime clock does not move it. A negative tv_sec has passed already,
 * as glibc's futex wait judges it (0 is a deadline long past). */
static inline int64_t green__sync_deadline(clockid_t clock,
                                           const struct timespec *at)
{
    return at->tv_sec < 0 ? 0 : green__clock_deadline(clock, at);
}

#endif
