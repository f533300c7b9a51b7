/* Mutexes in the bytes of glibc's pthread_mutex_t: lock, trylock, unlock,
 * and the release/relock pair a condition variable waits between. All
 * return 0 or a negative errno and never set errno. */
#ifndef GREEN_SRC_MUTEX_H
#define GREEN_SRC_MUTEX_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct green_thread;

/* kind: glibc's type, 0 normal, 1 recursive, 2 errorcheck, 3 adaptive
 * (as normal). Returns 0 or -EINVAL. */
int green__mutex_init(pthread_mutex_t *m, int kind);

/* Waits until the deadline (absolute monotonic ns, GREEN_NEVER). flags:
 * GREEN__NOCANCEL (wait.h) makes the wait ignore green_kill and
 * green_timeout scopes. Returns 0, -ETIMEDOUT, -ECANCELED, -EDEADLK
 * (errorcheck, already owned), -EAGAIN (recursive count overflow), or
 * -ENOMEM (no hub could be made for the calling OS thread). */
int green__mutex_lock(pthread_mutex_t *m, int64_t deadline, int flags);

/* Returns 0, -EBUSY (held; by the caller too, for errorcheck), -EAGAIN. */
int green__mutex_trylock(pthread_mutex_t *m);

/* Returns 0, or -EPERM (errorcheck or recursive, not the owner). */
int green__mutex_unlock(pthread_mutex_t *m);

/* Returns 0, or -EBUSY (locked). */
int green__mutex_destroy(pthread_mutex_t *m);

/* True for process-shared, robust, priority-inherit and priority-protect
 * mutexes: those belong to the real glibc implementation. */
bool green__mutex_is_foreign(const pthread_mutex_t *m);

/* For cond.c. Releases m completely (whatever the recursion depth) for a
 * wait, storing what relock() needs in *saved. Returns 0, or -EPERM
 * (errorcheck or recursive and self is not the owner). */
int green__mutex_release(pthread_mutex_t *m, struct green_thread *self,
                         uint32_t *saved);

/* Takes m back for self after a wait, uninterruptibly, marking the lock
 * word contended (2): waiters a broadcast requeued onto it may be parked
 * there, and the next unlock must wake one. */
void green__mutex_relock(pthread_mutex_t *m, struct green_thread *self,
                         uint32_t saved);

/* The lock word, the futex address its waiters park on. */
static inline const volatile uint32_t *green__mutex_word(pthread_mutex_t *m)
{
    return (const volatile uint32_t *)(void *)m;
}

#endif
