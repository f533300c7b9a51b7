/* A lock for the runtime's own rare global paths (slab carving, hub list,
 * key registry). It spins with a CPU pause, then sleeps in nanosleep:
 * it never parks a green thread, never calls a wrapped function, and never
 * allocates, so it is safe on any OS thread and inside the scheduler. Not
 * for anything held long or contended often. */
#ifndef GREEN_SRC_OSLOCK_H
#define GREEN_SRC_OSLOCK_H

#include <stdatomic.h>
#include <stdbool.h>
#include <time.h>
#include <sys/syscall.h>
#include <unistd.h>

struct green__oslock {
    atomic_flag held;
};

static inline void green__cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/* Sleeps the OS thread. The raw syscall: nanosleep may be a green
 * wrapper, which would park instead. */
static inline void green__os_nap(long ns)
{
    struct timespec ts = {0, ns};
    syscall(SYS_nanosleep, &ts, NULL);
}

static inline void green__oslock_lock(struct green__oslock *l)
{
    for (unsigned spins = 0;
         atomic_flag_test_and_set_explicit(&l->held, memory_order_acquire);
         spins++) {
        if (spins < 100)
            green__cpu_relax();
        else
            green__os_nap(50000);
    }
}

/* Takes l if it is free: for a signal handler, which may have
 * interrupted its own OS thread's holder. */
static inline bool green__oslock_trylock(struct green__oslock *l)
{
    return !atomic_flag_test_and_set_explicit(&l->held, memory_order_acquire);
}

static inline void green__oslock_unlock(struct green__oslock *l)
{
    atomic_flag_clear_explicit(&l->held, memory_order_release);
}

#endif
