/* Run-once: pthread_once and call_once in the bytes of their 4-byte flag. */
#ifndef GREEN_SRC_ONCE_H
#define GREEN_SRC_ONCE_H

#include <pthread.h>
#include <stdint.h>

#include "fiber_san.h"

/* Runs fn(arg) if *flag says it never ran, exactly once however many
 * threads (of any OS thread) call at once; the others wait, unkillable,
 * until it has returned. *flag: 0 not run (as PTHREAD_ONCE_INIT and
 * ONCE_FLAG_INIT), 1 running, 3 running with waiters, 2 done (glibc's
 * "done" value too); a TSan build uses TSan's values (src/once.c).
 * Returns 0. */
int green__once_arg(uint32_t *flag, void (*fn)(void *), void *arg);

/* The "done" value: glibc's 2, or under TSan, whose pthread_once a real
 * call reaches, TSan's 1 (src/once.c). */
#ifdef GREEN__TSAN
#define GREEN__ONCE_DONE 1u
#else
#define GREEN__ONCE_DONE 2u
#endif

/* pthread_once: as green__once_arg. Returns 0. */
int green__once(pthread_once_t *o, void (*fn)(void));

#endif
