/* Sleeps on the POSIX clocks; see clock.h. */
#include "clock.h"

#include <errno.h>
#include <stdint.h>

#include "cancel.h"
#include "common.h"
#include "green.h"
#include "wait.h"

int64_t green__deadline_ms(int ms)
{
    return ms < 0 ? GREEN_NEVER : green_now() + (int64_t)ms * (GREEN__NS_PER_S / 1000);
}

int64_t green__deadline_ts(const struct timespec *ts)
{
    if (!ts)
        return GREEN_NEVER;
    int64_t now = green_now();
    if (ts->tv_sec > (INT64_MAX - now) / GREEN__NS_PER_S - 1)
        return GREEN_NEVER;
    return now + (int64_t)ts->tv_sec * GREEN__NS_PER_S + ts->tv_nsec;
}

struct timespec green__remaining(int64_t deadline)
{
    int64_t left = deadline < 0 ? 0 : deadline - green_now();
    if (left < 0)
        left = 0;
    return (struct timespec){left / GREEN__NS_PER_S, left % GREEN__NS_PER_S};
}

bool green__clock_sleeps(clockid_t clock)
{
    return clock == CLOCK_REALTIME || clock == CLOCK_MONOTONIC ||
           clock == CLOCK_BOOTTIME || clock == CLOCK_TAI;
}

static int64_t ns_of(const struct timespec *ts)
{
    if (ts->tv_sec > INT64_MAX / GREEN__NS_PER_S - 1)
        return INT64_MAX;
    return (int64_t)ts->tv_sec * GREEN__NS_PER_S + ts->tv_nsec;
}

int64_t green__clock_deadline(clockid_t clock, const struct timespec *at)
{
    struct timespec now;
    clock_gettime(clock, &now);
    int64_t left = ns_of(at) - ns_of(&now);
    int64_t mono = green_now();
    return left <= 0 ? mono : left > INT64_MAX - mono ? INT64_MAX : mono + left;
}

int green__clock_sleep(clockid_t clock, int flags, const struct timespec *req,
                       struct timespec *rem)
{
    if (!req)
        return -EFAULT;
    if (req->tv_sec < 0 || req->tv_nsec < 0 || req->tv_nsec >= GREEN__NS_PER_S)
        return -EINVAL;
    green__testcancel();
    bool abs = flags & TIMER_ABSTIME;
    int64_t deadline =
        abs ? green__clock_deadline(clock, req) : green__deadline_ts(req);
    if (deadline < 0)
        deadline = INT64_MAX;
    green__wait_why(GREEN__WHY_SLEEP, NULL, 0);
    for (;;) {
        int r = green__park_flags(deadline, GREEN__EINTR);
        if (green_now() >= deadline)
            return 0;
        if (r == -ECANCELED)
            green__testcancel();  /* pthread_cancel: acts here */
        /* A kill, a scope, a signal handler (never restarted). */
        if (r == -ECANCELED || r == -ETIMEDOUT || r == -EINTR) {
            if (rem && !abs)
                *rem = green__remaining(deadline);
            return -EINTR;
        }
    }
}
