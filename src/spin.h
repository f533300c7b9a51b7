/* Spinlocks on glibc's pthread_spinlock_t (an int, in glibc's protocol for
 * the CPU: on x86 1 is free). All return 0 or a negative errno and never
 * set errno. */
#ifndef GREEN_SRC_SPIN_H
#define GREEN_SRC_SPIN_H

#include <pthread.h>

int green__spin_init(pthread_spinlock_t *l);
/* Spins a few times, then yields to the other green threads of this OS
 * thread between tries (the holder may be one of them). Returns 0. */
int green__spin_lock(pthread_spinlock_t *l);
/* Returns 0, or -EBUSY. */
int green__spin_trylock(pthread_spinlock_t *l);
int green__spin_unlock(pthread_spinlock_t *l);
int green__spin_destroy(pthread_spinlock_t *l);

#endif
