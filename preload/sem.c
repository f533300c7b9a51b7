/* Unnamed semaphores made green. Shape "sync", with libc's results: 0, or
 * -1 and errno. Process-shared semaphores (sem_init's pshared, sem_open)
 * are glibc's, as is everything under GREEN_DISABLE. glibc's sem_init
 * writes the layout src/sem.c reads, so init needs nothing more.
 *
 * The waits are cancellation points, tested on entry and when the wait
 * was cut short: a green_kill there (not a pthread_cancel) is EINTR. As
 * glibc, the timed waits check their clock and tv_nsec before anything
 * else, even when the semaphore could be taken at once. */
#include "interpose.h"

#include <errno.h>

#include "cancel.h"
#include "kept.h"
#include "sem.h"
#include "slice.h"
#include "sync.h"
#include "wait.h"

static bool real_sem(const sem_t *s)
{
    return !green__sync_gate() || green__sem_is_foreign(s);
}

GREEN__INTERPOSE int sem_init(sem_t *s, int pshared, unsigned value)
{
    return green__reals()->sem_init(s, pshared, value);
}

GREEN__INTERPOSE int sem_destroy(sem_t *s)
{
    if (real_sem(s))
        return green__real.sem_destroy(s);
    return (int)green__set_errno(green__sem_destroy(s));
}

/* The wait of every sem wrapper, after its checks and its cancellation
 * point on entry. */
static int sem_wait_until(sem_t *s, int64_t deadline)
{
    /* As the kernel's futex wait: an untimed one restarts under
     * SA_RESTART, a timed one never does. */
    int r = green__sem_wait(s, deadline,
                            deadline < 0 ? GREEN__ERESTART : GREEN__EINTR);
    if (r == -ECANCELED) {
        green__testcancel();
        r = -EINTR;
    }
    return (int)green__set_errno(r);
}

/* A process-shared semaphore may be posted by another process: its wait
 * goes to the pool (kept.h) when other green threads could run. As a
 * green one's, its waits are cancellation points and interruptible. */
static bool kept_sem(const sem_t *s)
{
    return green__sync_gate() && green__sem_is_foreign(s) && green__gate();
}

static int kept_wait(sem_t *s, clockid_t clock, const struct timespec *at)
{
    green__testcancel();
    int r = green__kept_sem_wait(s, clock, at,
                                 at ? GREEN__EINTR : GREEN__ERESTART);
    return (int)green__set_errno(r);
}

GREEN__INTERPOSE int sem_wait(sem_t *s)
{
    green__slice();
    if (kept_sem(s))
        return kept_wait(s, CLOCK_REALTIME, NULL);
    if (real_sem(s))
        return green__real.sem_wait(s);
    green__testcancel();
    return sem_wait_until(s, GREEN_NEVER);
}

/* The clock is read only if the semaphore cannot be taken at once. */
static int sem_timed(sem_t *s, clockid_t clock, const struct timespec *at)
{
    if (!green__sync_time_ok(at))
        return (int)green__set_errno(-EINVAL);
    green__testcancel();
    if (green__sem_trywait(s) == 0)
        return 0;
    return sem_wait_until(s, green__sync_deadline(clock, at));
}

GREEN__INTERPOSE int sem_timedwait(sem_t *s, const struct timespec *at)
{
    if (kept_sem(s))
        return green__sync_time_ok(at) ? kept_wait(s, CLOCK_REALTIME, at)
                                       : (int)green__set_errno(-EINVAL);
    if (real_sem(s))
        return green__real.sem_timedwait(s, at);
    return sem_timed(s, CLOCK_REALTIME, at);
}

GREEN__INTERPOSE int sem_clockwait(sem_t *s, clockid_t clock,
                                   const struct timespec *at)
{
    if (kept_sem(s))
        return green__sync_clock_ok(clock) && green__sync_time_ok(at)
                   ? kept_wait(s, clock, at)
                   : (int)green__set_errno(-EINVAL);
    if (real_sem(s))
        return green__real.sem_clockwait(s, clock, at);
    if (!green__sync_clock_ok(clock))
        return (int)green__set_errno(-EINVAL);
    return sem_timed(s, clock, at);
}

GREEN__INTERPOSE int sem_trywait(sem_t *s)
{
    green__slice();
    if (real_sem(s))
        return green__real.sem_trywait(s);
    return (int)green__set_errno(green__sem_trywait(s));
}

GREEN__INTERPOSE int sem_post(sem_t *s)
{
    if (real_sem(s))
        return green__sliced(green__real.sem_post(s));
    return green__sliced((int)green__set_errno(green__sem_post(s)));
}

GREEN__INTERPOSE int sem_getvalue(sem_t *restrict s, int *restrict value)
{
    green__slice();
    if (real_sem(s))
        return green__real.sem_getvalue(s, value);
    return (int)green__set_errno(green__sem_getvalue(s, value));
}
