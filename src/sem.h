/* Unnamed semaphores in the bytes of glibc's sem_t. All return 0 or a
 * negative errno and never set errno. */
#ifndef GREEN_SRC_SEM_H
#define GREEN_SRC_SEM_H

#include <semaphore.h>
#include <stdbool.h>
#include <stdint.h>

/* Returns 0, or -EINVAL (value > GREEN_SEM_VALUE_MAX). */
int green__sem_init(sem_t *s, unsigned value);

/* Waits for a positive value until the deadline (absolute monotonic ns,
 * GREEN_NEVER), then takes one. flags: GREEN__NOCANCEL, GREEN__EINTR,
 * GREEN__ERESTART (wait.h). Returns 0, -ETIMEDOUT, -ECANCELED, -EINTR,
 * -ENOMEM (no hub). */
int green__sem_wait(sem_t *s, int64_t deadline, int flags);

/* Returns 0, or -EAGAIN (value 0). */
int green__sem_trywait(sem_t *s);

/* Returns 0, or -EOVERFLOW (value at GREEN_SEM_VALUE_MAX). */
int green__sem_post(sem_t *s);

/* Stores the value (never negative, as glibc). Returns 0. */
int green__sem_getvalue(sem_t *s, int *value);

/* Returns 0. */
int green__sem_destroy(sem_t *s);

/* True for a process-shared semaphore (sem_init pshared, sem_open): real
 * glibc's. */
bool green__sem_is_foreign(const sem_t *s);

#endif
