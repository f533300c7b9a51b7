/* Barriers in the bytes of glibc's pthread_barrier_t. Init and destroy
 * return 0 or a negative errno; none sets errno. */
#ifndef GREEN_SRC_BARRIER_H
#define GREEN_SRC_BARRIER_H

#include <pthread.h>
#include <stdbool.h>

/* Returns 0, or -EINVAL (count 0). */
int green__barrier_init(pthread_barrier_t *b, unsigned count);

/* Waits until `count` threads have arrived. Never fails: returns what
 * pthread_barrier_wait returns, PTHREAD_BARRIER_SERIAL_THREAD (which is
 * -1: not an errno, pass it through as is) to one thread of each round, 0
 * to the others. Not interruptible: green_kill and green_timeout scopes
 * stay pending for the thread's next wait. */
int green__barrier_wait(pthread_barrier_t *b);

/* Returns 0, as glibc: first waits (parked, not interruptible) for a round
 * under way to end, then for its threads to leave, so b may be freed
 * after. */
int green__barrier_destroy(pthread_barrier_t *b);

/* True for a process-shared barrier (real glibc's). */
bool green__barrier_is_foreign(const pthread_barrier_t *b);

#endif
