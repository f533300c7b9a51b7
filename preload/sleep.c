/* The sleeps. Shape "sleep": four entry points, one green__clock_sleep,
 * as musl's sleep calls nanosleep. They are wrapped at the top level
 * because glibc's sleep, usleep and thrd_sleep reach nanosleep through
 * internal calls no wrapper sees (docs/design.md G3). */
#include "interpose.h"

#include <errno.h>

GREEN__INTERPOSE int clock_nanosleep(clockid_t clock, int flags,
                                     const struct timespec *req,
                                     struct timespec *rem)
{
    if (!green__gate() || !green__clock_sleeps(clock))
        return green__real.clock_nanosleep(clock, flags, req, rem);
    return -green__clock_sleep(clock, flags, req, rem);
}

GREEN__INTERPOSE int nanosleep(const struct timespec *req,
                               struct timespec *rem)
{
    if (!green__gate())
        return green__real.nanosleep(req, rem);
    return (int)green__set_errno(
        green__clock_sleep(CLOCK_MONOTONIC, 0, req, rem));
}

/* glibc: the unslept seconds after an interruption, errno kept. */
GREEN__INTERPOSE unsigned sleep(unsigned seconds)
{
    if (!green__gate())
        return green__real.sleep(seconds);
    struct timespec ts = {(time_t)seconds, 0};
    int saved = errno;
    int r = green__clock_sleep(CLOCK_MONOTONIC, 0, &ts, &ts);
    if (r < 0) {
        errno = -r;  /* EINTR, as glibc's nanosleep leaves it */
        return (unsigned)ts.tv_sec;
    }
    errno = saved;
    return 0;
}

GREEN__INTERPOSE int usleep(useconds_t us)
{
    if (!green__gate())
        return green__real.usleep(us);
    struct timespec ts = {(time_t)(us / 1000000), (long)(us % 1000000) * 1000};
    return (int)green__set_errno(
        green__clock_sleep(CLOCK_MONOTONIC, 0, &ts, NULL));
}

/* C11: 0, -1 after an interruption, another negative on error. */
GREEN__INTERPOSE int thrd_sleep(const struct timespec *req,
                                struct timespec *rem)
{
    if (!green__gate())
        return green__real.thrd_sleep(req, rem);
    int r = green__clock_sleep(CLOCK_REALTIME, 0, req, rem);
    return r == 0 ? 0 : r == -EINTR ? -1 : -2;
}
