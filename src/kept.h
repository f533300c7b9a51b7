/* Objects glibc keeps: process-shared, robust and priority-protocol
 * mutexes, and process-shared condition variables, rwlocks, barriers and
 * semaphores. Their words may be changed by another process, or by the
 * kernel when an owner dies, and neither wakes a green thread: so a wait
 * for one runs in the kernel on an offload-pool thread while the green
 * thread parks, and the wake (from this process or another) reaches that
 * thread through the kernel as it reaches any native waiter. glibc's own
 * algorithm decides everything else, so that a native process sharing the
 * object agrees with us. See docs/design.md G14.
 *
 * Green threads of one OS thread share its task id, which glibc records
 * as the owner of such a mutex (and the writer of such an rwlock): the
 * green owner is kept beside it here, so that another green thread of the
 * same OS thread is not taken for the owner.
 *
 * Every function returns 0 or -errno (-EOWNERDEAD, like 0, with the mutex
 * taken) and must be called by a green thread on its hub. Where no other
 * green thread could run, a wait is glibc's own call, made directly. */
#ifndef GREEN_SRC_KEPT_H
#define GREEN_SRC_KEPT_H

#include <pthread.h>
#include <semaphore.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

/* `at` NULL: no deadline; else absolute, on `clock` (checked by the
 * caller, as glibc checks it). */
int green__kept_mutex_lock(pthread_mutex_t *m, clockid_t clock,
                           const struct timespec *at);
int green__kept_mutex_trylock(pthread_mutex_t *m);
int green__kept_mutex_unlock(pthread_mutex_t *m);

/* A wait on a process-shared c, with any mutex. Returns 0, -ETIMEDOUT
 * or -EPERM, with m held again but for -EPERM; or -EAGAIN, with nothing
 * done, if no pool thread can wait (the caller waits in glibc). Not
 * cancellable while it waits. */
int green__kept_cond_wait(pthread_cond_t *c, pthread_mutex_t *m,
                          clockid_t clock, const struct timespec *at);

/* A wait on a green c (cond.h) with a mutex glibc keeps: as
 * green__cond_wait. The one function here that needs no hub yet. */
int green__kept_cond_wait_green(pthread_cond_t *c, pthread_mutex_t *m,
                                int64_t deadline, int flags);

int green__kept_rwlock_lock(pthread_rwlock_t *l, bool write, clockid_t clock,
                            const struct timespec *at);
int green__kept_rwlock_trylock(pthread_rwlock_t *l, bool write);
int green__kept_rwlock_unlock(pthread_rwlock_t *l);

/* PTHREAD_BARRIER_SERIAL_THREAD, 0, or -errno. */
int green__kept_barrier_wait(pthread_barrier_t *b);

/* flags: GREEN__EINTR or GREEN__ERESTART (wait.h), as for a green sem. */
int green__kept_sem_wait(sem_t *s, clockid_t clock, const struct timespec *at,
                         int flags);

#endif
