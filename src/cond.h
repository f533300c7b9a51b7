/* Condition variables in the bytes of glibc's pthread_cond_t. All return
 * 0 or a negative errno and never set errno. */
#ifndef GREEN_SRC_COND_H
#define GREEN_SRC_COND_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

/* clock: CLOCK_REALTIME or CLOCK_MONOTONIC, recorded as glibc does.
 * Returns 0 or -EINVAL. */
int green__cond_init(pthread_cond_t *c, clockid_t clock);

/* The clock the pthread layer must convert timed waits from. Deadlines
 * here are always monotonic: a CLOCK_REALTIME abstime is converted once,
 * when the wait starts, so a later jump of the realtime clock does not
 * move it (glibc's futex wait would follow the jump). */
clockid_t green__cond_clock(const pthread_cond_t *c);

/* True for a process-shared condition variable (real glibc's). */
bool green__cond_is_foreign(const pthread_cond_t *c);

/* Unlocks m, waits for a signal until the deadline (absolute monotonic
 * ns, GREEN_NEVER), relocks m. m is relocked before any return after the
 * unlock, uninterruptibly. flags: GREEN__NOCANCEL (wait.h). Returns 0
 * (possibly spuriously), -ETIMEDOUT, -ECANCELED, -EPERM (m errorcheck or
 * recursive and not the caller's; nothing waited), -ENOMEM (no hub). */
int green__cond_wait(pthread_cond_t *c, pthread_mutex_t *m,
                     int64_t deadline, int flags);

/* green__cond_wait with the mutex's side given: release(arg) lets go of
 * m (0, or -errno and nothing waited), relock(arg) takes it back. For a
 * mutex glibc keeps (kept.h), whose waiters a broadcast then wakes rather
 * than moves onto its word. */
int green__cond_wait_with(pthread_cond_t *c, pthread_mutex_t *m,
                          int64_t deadline, int flags,
                          int (*release)(void *), void (*relock)(void *),
                          void *arg);

int green__cond_signal(pthread_cond_t *c);
int green__cond_broadcast(pthread_cond_t *c);

/* Returns 0; or, if busy, -EBUSY while threads are blocked on c
 * (green_cond_destroy), where otherwise it waits for them to be let go,
 * parked, however long that takes (glibc 2.36's pthread_cond_destroy).
 * Then waits for threads a broadcast woke that have not yet let go of c,
 * so c may be freed after. */
int green__cond_destroy(pthread_cond_t *c, bool busy);

#endif
