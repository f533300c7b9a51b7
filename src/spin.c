/* Spinlocks on glibc's pthread_spinlock_t, in glibc's own protocol so that
 * pthread_spin_init objects work: on x86 glibc counts down (1 free, 0 or
 * less held: its lock is a locked decrement, its unlock stores 1); on
 * other CPUs 0 is free and 1 held. Lock is a compare-and-swap FREE->HELD.
 * A green thread cannot just spin: the holder may be another green thread
 * of the same OS thread, which runs only when this one yields. So after a
 * few CPU pauses (enough for a holder on another core to finish a short
 * section) every retry yields. An OS thread with no hub has no green
 * threads to wait for, and spins as glibc's would. */
#include "spin.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "common.h"
#include "green.h"
#include "hub.h"
#include "oslock.h"

#define PAUSES 64  /* tries with a CPU pause before yielding */

#if defined(__x86_64__) || defined(__i386__)
#define FREE 1
#define HELD 0
#else
#define FREE 0
#define HELD 1
#endif

_Static_assert(sizeof(pthread_spinlock_t) == sizeof(atomic_int), "an int");

static atomic_int *W(pthread_spinlock_t *l) { return (atomic_int *)(void *)l; }

static bool try_take(atomic_int *w)
{
    int c = FREE;
    return atomic_compare_exchange_strong_explicit(
        w, &c, HELD, memory_order_acquire, memory_order_relaxed);
}

int green__spin_init(pthread_spinlock_t *l)
{
    atomic_store_explicit(W(l), FREE, memory_order_relaxed);
    return 0;
}

int green__spin_lock(pthread_spinlock_t *l)
{
    atomic_int *w = W(l);
    /* Test before each compare-and-swap, so that spinners do not keep
     * stealing the holder's cache line. */
    for (unsigned tries = 0;; tries++) {
        if (atomic_load_explicit(w, memory_order_relaxed) == FREE &&
            try_take(w))
            return 0;
        if (tries < PAUSES || !green__hub_current())
            green__cpu_relax();
        else
            green_yield();
    }
}

int green__spin_trylock(pthread_spinlock_t *l)
{
    return try_take(W(l)) ? 0 : -EBUSY;
}

int green__spin_unlock(pthread_spinlock_t *l)
{
    atomic_store_explicit(W(l), FREE, memory_order_release);
    return 0;
}

int green__spin_destroy(pthread_spinlock_t *l)
{
    (void)l;
    return 0;
}
