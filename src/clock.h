/* Time for green threads: deadlines (ns on the monotonic clock, as
 * green_now() gives them) made from the timeouts of timed calls, and the
 * sleeps on the POSIX clocks, parked: what nanosleep, clock_nanosleep,
 * sleep, usleep and thrd_sleep become. Every deadline is converted to
 * CLOCK_MONOTONIC when the sleep starts, so a CLOCK_REALTIME sleep with
 * TIMER_ABSTIME does not follow a clock change made while it sleeps. */
#ifndef GREEN_SRC_CLOCK_H
#define GREEN_SRC_CLOCK_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

/* Nanoseconds in a second: timespecs, deadlines and green_now(). */
#define GREEN__NS_PER_S 1000000000

/* Absolute deadlines from relative timeouts (poll's ms, a timespec):
 * GREEN_NEVER for a negative ms or a NULL timeout. */
int64_t green__deadline_ms(int ms);
int64_t green__deadline_ts(const struct timespec *ts);

/* Remaining time until deadline, never negative (select reports it). */
struct timespec green__remaining(int64_t deadline);

/* Whether green__clock_sleep handles this clock (REALTIME, MONOTONIC,
 * BOOTTIME, TAI); others (CPU-time clocks, alarms) go to the real call. */
bool green__clock_sleeps(clockid_t clock);

/* The monotonic deadline (ns, as green_now) of the absolute time `at` on
 * clock, converted now: a later change of a CLOCK_REALTIME clock does
 * not move it. `at` must be a valid timespec. */
int64_t green__clock_deadline(clockid_t clock, const struct timespec *at);

/* Sleeps as clock_nanosleep(clock, flags, req, rem) would. Returns 0,
 * -EFAULT (req is NULL), -EINVAL (req out of range), or -EINTR after a
 * green_kill or a signal handler, with *rem (if not NULL) set to the time left of a relative
 * sleep. May yield. */
int green__clock_sleep(clockid_t clock, int flags, const struct timespec *req,
                       struct timespec *rem);

#endif
