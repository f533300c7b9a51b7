/* The program's locks made green: pthread mutexes, condition variables,
 * rwlocks, barriers and spinlocks (C11's mtx, cnd and call_once, over the
 * same objects, are in c11.c). Shape "sync": gate (GREEN_DISABLE and the
 * objects glibc keeps go to glibc), then the primitive of src/, whose -errno
 * becomes glibc's error number. Objects keep glibc's layout: static
 * initializers and glibc's own *_init serve as they are. Results are glibc
 * 2.36's, in the order it checks; where glibc's answer is undefined behaviour
 * (an rwlock unlocked by nobody) src/ says EPERM rather than corrupt; a
 * cond or barrier destroyed under waiters waits for them, as glibc's. */
#include "interpose.h"

#include <errno.h>

#include "barrier.h"
#include "cancel.h"
#include "cond.h"
#include "kept.h"
#include "mutex.h"
#include "once.h"
#include "rwlock.h"
#include "slice.h"
#include "spin.h"
#include "sync.h"
#include "wait.h"

/* ---- Mutexes --------------------------------------------------------- */

static bool real_mutex(const pthread_mutex_t *m)
{
    return !green__sync_gate() || green__mutex_is_foreign(m);
}

/* A mutex glibc keeps (kept.h), on a hub: its owner is told apart from
 * the other green threads of the OS thread. Else glibc's call. */
static bool kept_here(void)
{
    return green__sync_gate() && green__hub_current();
}

/* glibc's own init writes zeros and __kind: the green layout. */
GREEN__INTERPOSE int pthread_mutex_init(pthread_mutex_t *m,
                                        const pthread_mutexattr_t *attr)
{
    return green__reals()->pthread_mutex_init(m, attr);
}

GREEN__INTERPOSE int pthread_mutex_destroy(pthread_mutex_t *m)
{
    if (real_mutex(m))
        return green__real.pthread_mutex_destroy(m);
    return -green__mutex_destroy(m);
}

GREEN__INTERPOSE int pthread_mutex_lock(pthread_mutex_t *m)
{
    green__slice();
    if (real_mutex(m))
        return kept_here() ? -green__kept_mutex_lock(m, CLOCK_REALTIME, NULL)
                           : green__real.pthread_mutex_lock(m);
    return -green__mutex_lock(m, GREEN_NEVER, GREEN__NOCANCEL);
}

GREEN__INTERPOSE int pthread_mutex_trylock(pthread_mutex_t *m)
{
    green__slice();
    if (real_mutex(m))
        return kept_here() ? -green__kept_mutex_trylock(m)
                           : green__real.pthread_mutex_trylock(m);
    return -green__mutex_trylock(m);
}

/* As glibc, `at` counts only if the lock has to be waited for: a free
 * lock, a recursive relock and an errorcheck EDEADLK come first. Then a
 * negative tv_sec times out, before a bad tv_nsec is EINVAL (the locking
 * attempt with a passed deadline is glibc's too: it swaps in 2 first). */
static int mutex_timed(pthread_mutex_t *m, clockid_t clock,
                       const struct timespec *at)
{
    int r = green__mutex_is_foreign(m) ? green__kept_mutex_trylock(m)
                                       : green__mutex_trylock(m);
    if (r != -EBUSY)
        return -r;
    bool bad = at->tv_sec >= 0 && !green__sync_time_ok(at);
    if (green__mutex_is_foreign(m))
        return at->tv_sec < 0 ? ETIMEDOUT
               : bad          ? EINVAL
                              : -green__kept_mutex_lock(m, clock, at);
    int64_t deadline = bad ? 0 : green__sync_deadline(clock, at);
    r = green__mutex_lock(m, deadline, GREEN__NOCANCEL);
    return bad && r == -ETIMEDOUT ? EINVAL : -r;
}

GREEN__INTERPOSE int pthread_mutex_timedlock(pthread_mutex_t *m,
                                             const struct timespec *at)
{
    if (real_mutex(m) && !kept_here())
        return green__real.pthread_mutex_timedlock(m, at);
    return mutex_timed(m, CLOCK_REALTIME, at);
}

/* The clock is checked first, even if the lock is free. */
GREEN__INTERPOSE int pthread_mutex_clocklock(pthread_mutex_t *m,
                                             clockid_t clock,
                                             const struct timespec *at)
{
    if (real_mutex(m) && !kept_here())
        return green__real.pthread_mutex_clocklock(m, clock, at);
    if (!green__sync_clock_ok(clock))
        return EINVAL;
    return mutex_timed(m, clock, at);
}

GREEN__INTERPOSE int pthread_mutex_unlock(pthread_mutex_t *m)
{
    if (real_mutex(m))
        return green__sliced(kept_here() ? -green__kept_mutex_unlock(m)
                                         : green__real.pthread_mutex_unlock(m));
    return green__sliced(-green__mutex_unlock(m));
}

/* Only a robust mutex can be inconsistent, and those are glibc's; for
 * any other glibc says EINVAL. */
GREEN__INTERPOSE int pthread_mutex_consistent(pthread_mutex_t *m)
{
    if (real_mutex(m))
        return green__real.pthread_mutex_consistent(m);
    return EINVAL;
}

/* ---- Condition variables ----------------------------------------------
 * A process-shared cond is glibc's, and waits on the pool (kept.h) with
 * any mutex; a green cond waits with a mutex glibc keeps (robust, PI/PP,
 * pshared) by kept.h's lock and unlock. */

static bool real_cond(const pthread_cond_t *c)
{
    return !green__sync_gate() || green__cond_is_foreign(c);
}

/* glibc's own init writes zeros and the clock and pshared bits of
 * __wrefs, which src/cond.c reads. */
GREEN__INTERPOSE int pthread_cond_init(pthread_cond_t *c,
                                       const pthread_condattr_t *attr)
{
    return green__reals()->pthread_cond_init(c, attr);
}

GREEN__INTERPOSE int pthread_cond_destroy(pthread_cond_t *c)
{
    if (real_cond(c))
        return green__real.pthread_cond_destroy(c);
    return -green__cond_destroy(c, false);
}

/* The wait of every cond wrapper, after its checks and its cancellation
 * point on entry. -ECANCELED comes back with m relocked: a pthread_cancel
 * then acts (its cleanup handlers run with m held, as POSIX wants); a
 * green_kill makes a spurious wakeup. */
static int cond_wait(pthread_cond_t *c, pthread_mutex_t *m, int64_t deadline)
{
    int r = green__mutex_is_foreign(m)
                ? green__kept_cond_wait_green(c, m, deadline, 0)
                : green__cond_wait(c, m, deadline, 0);
    if (r == -ECANCELED) {
        green__testcancel();
        r = 0;
    }
    return -r;
}

/* A process-shared cond, on a hub with other green threads: on the pool,
 * unless no pool thread can wait (then glibc's wait, here). */
static bool kept_cond(const pthread_cond_t *c)
{
    return green__sync_gate() && green__cond_is_foreign(c) && green__gate();
}

static int kept_cond_wait(pthread_cond_t *c, pthread_mutex_t *m,
                          clockid_t clock, const struct timespec *at)
{
    green__testcancel();
    int r = green__kept_cond_wait(c, m, clock, at);
    if (r != -EAGAIN)
        return -r;
    return at ? green__real.pthread_cond_clockwait(c, m, clock, at)
              : green__real.pthread_cond_wait(c, m);
}

/* glibc rejects a bad tv_nsec before anything else, before it unlocks. */
static int cond_timed(pthread_cond_t *c, pthread_mutex_t *m, clockid_t clock,
                      const struct timespec *at)
{
    if (!green__sync_time_ok(at))
        return EINVAL;
    if (kept_cond(c))
        return kept_cond_wait(c, m, clock, at);
    green__testcancel();
    return cond_wait(c, m, green__sync_deadline(clock, at));
}

/* A cancellation point, as are the timed waits. */
GREEN__INTERPOSE int pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m)
{
    if (kept_cond(c))
        return kept_cond_wait(c, m, CLOCK_REALTIME, NULL);
    if (real_cond(c))
        return green__real.pthread_cond_wait(c, m);
    green__testcancel();
    return cond_wait(c, m, GREEN_NEVER);
}

/* `at` is on the cond's clock (pthread_condattr_setclock). */
GREEN__INTERPOSE int pthread_cond_timedwait(pthread_cond_t *c,
                                            pthread_mutex_t *m,
                                            const struct timespec *at)
{
    if (real_cond(c) && !kept_cond(c))
        return green__real.pthread_cond_timedwait(c, m, at);
    return cond_timed(c, m, green__cond_clock(c), at);
}

GREEN__INTERPOSE int pthread_cond_clockwait(pthread_cond_t *c,
                                            pthread_mutex_t *m,
                                            clockid_t clock,
                                            const struct timespec *at)
{
    if (real_cond(c) && !kept_cond(c))
        return green__real.pthread_cond_clockwait(c, m, clock, at);
    if (!green__sync_clock_ok(clock))
        return EINVAL;
    return cond_timed(c, m, clock, at);
}

GREEN__INTERPOSE int pthread_cond_signal(pthread_cond_t *c)
{
    if (real_cond(c))
        return green__sliced(green__real.pthread_cond_signal(c));
    return green__sliced(-green__cond_signal(c));
}

GREEN__INTERPOSE int pthread_cond_broadcast(pthread_cond_t *c)
{
    if (real_cond(c))
        return green__sliced(green__real.pthread_cond_broadcast(c));
    return green__sliced(-green__cond_broadcast(c));
}

/* ---- Read-write locks -------------------------------------------------- */

static bool real_rwlock(const pthread_rwlock_t *l)
{
    return !green__sync_gate() || green__rwlock_is_foreign(l);
}

/* A process-shared rwlock; the wait goes to the pool (kept.h) when other
 * green threads could run, else to glibc here. */
static int kept_rw(pthread_rwlock_t *l, bool write, clockid_t clock,
                   const struct timespec *at)
{
    if (!green__sync_gate() || !green__gate()) {
        const struct green__real *f = green__reals();
        if (write)
            return at ? f->pthread_rwlock_clockwrlock(l, clock, at)
                      : f->pthread_rwlock_wrlock(l);
        return at ? f->pthread_rwlock_clockrdlock(l, clock, at)
                  : f->pthread_rwlock_rdlock(l);
    }
    if (at && (!green__sync_clock_ok(clock) || !green__sync_time_ok(at)))
        return EINVAL;
    return -green__kept_rwlock_lock(l, write, clock, at);
}

static int kept_rw_try(pthread_rwlock_t *l, bool write)
{
    if (kept_here())
        return -green__kept_rwlock_trylock(l, write);
    return write ? green__real.pthread_rwlock_trywrlock(l)
                 : green__real.pthread_rwlock_tryrdlock(l);
}

/* glibc's own init writes zeros, __flags and __shared: the green layout. */
GREEN__INTERPOSE int pthread_rwlock_init(pthread_rwlock_t *l,
                                         const pthread_rwlockattr_t *attr)
{
    return green__reals()->pthread_rwlock_init(l, attr);
}

/* glibc's destroy checks nothing and never fails; so neither does this
 * one, whatever src/ thinks of a lock still held. */
GREEN__INTERPOSE int pthread_rwlock_destroy(pthread_rwlock_t *l)
{
    if (real_rwlock(l))
        return green__real.pthread_rwlock_destroy(l);
    (void)green__rwlock_destroy(l);
    return 0;
}

GREEN__INTERPOSE int pthread_rwlock_rdlock(pthread_rwlock_t *l)
{
    green__slice();
    if (real_rwlock(l))
        return kept_rw(l, false, CLOCK_REALTIME, NULL);
    return -green__rwlock_rdlock(l, GREEN_NEVER, GREEN__NOCANCEL);
}

GREEN__INTERPOSE int pthread_rwlock_wrlock(pthread_rwlock_t *l)
{
    green__slice();
    if (real_rwlock(l))
        return kept_rw(l, true, CLOCK_REALTIME, NULL);
    return -green__rwlock_wrlock(l, GREEN_NEVER, GREEN__NOCANCEL);
}

GREEN__INTERPOSE int pthread_rwlock_tryrdlock(pthread_rwlock_t *l)
{
    green__slice();
    if (real_rwlock(l))
        return kept_rw_try(l, false);
    return -green__rwlock_tryrdlock(l);
}

GREEN__INTERPOSE int pthread_rwlock_trywrlock(pthread_rwlock_t *l)
{
    green__slice();
    if (real_rwlock(l))
        return kept_rw_try(l, true);
    return -green__rwlock_trywrlock(l);
}

/* glibc checks the clock and tv_nsec first, even for a free lock. The
 * try first spares the clock read when the lock is free; a held one
 * (EBUSY) goes on to the wait, which also finds EDEADLK. */
static int rwlock_timed(pthread_rwlock_t *l, bool write, clockid_t clock,
                        const struct timespec *at)
{
    if (!green__sync_clock_ok(clock) || !green__sync_time_ok(at))
        return EINVAL;
    int r = write ? green__rwlock_trywrlock(l) : green__rwlock_tryrdlock(l);
    if (r != -EBUSY)
        return -r;
    int64_t deadline = green__sync_deadline(clock, at);
    return -(write ? green__rwlock_wrlock(l, deadline, GREEN__NOCANCEL)
                   : green__rwlock_rdlock(l, deadline, GREEN__NOCANCEL));
}

GREEN__INTERPOSE int pthread_rwlock_timedrdlock(pthread_rwlock_t *l,
                                                const struct timespec *at)
{
    if (real_rwlock(l))
        return kept_rw(l, false, CLOCK_REALTIME, at);
    return rwlock_timed(l, false, CLOCK_REALTIME, at);
}

GREEN__INTERPOSE int pthread_rwlock_timedwrlock(pthread_rwlock_t *l,
                                                const struct timespec *at)
{
    if (real_rwlock(l))
        return kept_rw(l, true, CLOCK_REALTIME, at);
    return rwlock_timed(l, true, CLOCK_REALTIME, at);
}

GREEN__INTERPOSE int pthread_rwlock_clockrdlock(pthread_rwlock_t *l,
                                                clockid_t clock,
                                                const struct timespec *at)
{
    if (real_rwlock(l))
        return kept_rw(l, false, clock, at);
    return rwlock_timed(l, false, clock, at);
}

GREEN__INTERPOSE int pthread_rwlock_clockwrlock(pthread_rwlock_t *l,
                                                clockid_t clock,
                                                const struct timespec *at)
{
    if (real_rwlock(l))
        return kept_rw(l, true, clock, at);
    return rwlock_timed(l, true, clock, at);
}

GREEN__INTERPOSE int pthread_rwlock_unlock(pthread_rwlock_t *l)
{
    if (real_rwlock(l))
        return green__sliced(kept_here() ? -green__kept_rwlock_unlock(l)
                                         : green__real.pthread_rwlock_unlock(l));
    return green__sliced(-green__rwlock_unlock(l));
}

/* ---- Barriers ----------------------------------------------------------- */

static bool real_barrier(const pthread_barrier_t *b)
{
    return !green__sync_gate() || green__barrier_is_foreign(b);
}

/* glibc's own init checks count (0 and above INT_MAX are EINVAL) and
 * writes the layout src/barrier.c reads. */
GREEN__INTERPOSE int pthread_barrier_init(pthread_barrier_t *b,
                                          const pthread_barrierattr_t *attr,
                                          unsigned count)
{
    return green__reals()->pthread_barrier_init(b, attr, count);
}

GREEN__INTERPOSE int pthread_barrier_destroy(pthread_barrier_t *b)
{
    if (real_barrier(b))
        return green__real.pthread_barrier_destroy(b);
    return -green__barrier_destroy(b);
}

/* Not an errno: PTHREAD_BARRIER_SERIAL_THREAD (-1) or 0, as it is. */
GREEN__INTERPOSE int pthread_barrier_wait(pthread_barrier_t *b)
{
    if (real_barrier(b))
        return green__sync_gate() && green__gate()
                   ? green__kept_barrier_wait(b)
                   : green__real.pthread_barrier_wait(b);
    return green__barrier_wait(b);
}

/* ---- Spinlocks ------------------------------------------------------------
 * No real row, so no GREEN_DISABLE: with no hub, src/spin.c spins as
 * glibc's does, on the same word, and it yields only on a hub. */

/* pshared makes no difference to a spinlock, in glibc or here. */
GREEN__INTERPOSE int pthread_spin_init(pthread_spinlock_t *l, int pshared)
{
    (void)pshared;
    return -green__spin_init(l);
}

GREEN__INTERPOSE int pthread_spin_destroy(pthread_spinlock_t *l)
{
    return -green__spin_destroy(l);
}

GREEN__INTERPOSE int pthread_spin_lock(pthread_spinlock_t *l)
{
    return -green__spin_lock(l);
}

GREEN__INTERPOSE int pthread_spin_trylock(pthread_spinlock_t *l)
{
    green__slice();
    return -green__spin_trylock(l);
}

GREEN__INTERPOSE int pthread_spin_unlock(pthread_spinlock_t *l)
{
    return green__sliced(-green__spin_unlock(l));
}
