/* Condition variables in the bytes of glibc's pthread_cond_t. An all-zero
 * object is valid (CLOCK_REALTIME); glibc's __wrefs bits (offset 36: bit 1
 * monotonic, bit 0 pshared) are read, never used for state.
 *
 * seq is the futex word: a waiter reads it while holding the mutex, unlocks,
 * and parks while it is unchanged; signal and broadcast bump it first, so a
 * wake cannot fall between a waiter's unlock and its park. waiters counts
 * the threads inside wait() that still touch c (they leave before relocking
 * the mutex): signal and broadcast with none make no futex call. broadcast
 * wakes one waiter and requeues the rest onto the mutex's lock word; every
 * waiter relocks as "contended" (2), so each unlock hands over to the next. */
#include "cond.h"

#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <stddef.h>
#include <string.h>

#include "common.h"
#include "futex.h"
#include "green.h"
#include "hub.h"
#include "mutex.h"
#include "oslock.h"
#include "thread.h"
#include "wait.h"

#define WREFS_PSHARED 1u
#define WREFS_MONOTONIC 2u

/* Our view of pthread_cond_t. */
struct cnd {
    _Atomic uint32_t seq;              /* futex word, bumped per wake-up */
    _Atomic uint32_t waiters;          /* threads in wait() touching c */
    pthread_mutex_t *_Atomic mutex;    /* of the current waiters */
    uint32_t unused[5];
    uint32_t wrefs;                    /* glibc __wrefs: clock, pshared */
    uint32_t unused2[2];
};

_Static_assert(sizeof(struct cnd) == sizeof(pthread_cond_t), "size");
_Static_assert(offsetof(struct cnd, wrefs) ==
               offsetof(pthread_cond_t, __data.__wrefs), "__wrefs");
_Static_assert(sizeof(green_cond_t) == sizeof(pthread_cond_t) &&
               _Alignof(green_cond_t) >= _Alignof(pthread_cond_t),
               "green_cond_t is a pthread_cond_t");

static struct cnd *C(pthread_cond_t *c) { return (struct cnd *)(void *)c; }

static const volatile uint32_t *seq_word(struct cnd *c)
{
    return (const volatile uint32_t *)&c->seq;
}

int green__cond_init(pthread_cond_t *pc, clockid_t clock)
{
    if (clock != CLOCK_REALTIME && clock != CLOCK_MONOTONIC)
        return -EINVAL;
    memset(pc, 0, sizeof *pc);
    C(pc)->wrefs = clock == CLOCK_MONOTONIC ? WREFS_MONOTONIC : 0;
    return 0;
}

clockid_t green__cond_clock(const pthread_cond_t *c)
{
    return c->__data.__wrefs & WREFS_MONOTONIC ? CLOCK_MONOTONIC
                                               : CLOCK_REALTIME;
}

bool green__cond_is_foreign(const pthread_cond_t *c)
{
    return c->__data.__wrefs & WREFS_PSHARED;
}

/* The green mutex's side of a wait, for green__cond_wait_with. */
struct green_side {
    pthread_mutex_t *m;
    struct green_thread *self;
    uint32_t saved;
};

static int green_release(void *arg)
{
    struct green_side *g = arg;
    return green__mutex_release(g->m, g->self, &g->saved);
}

static void green_relock(void *arg)
{
    struct green_side *g = arg;
    green__mutex_relock(g->m, g->self, g->saved);
}

int green__cond_wait(pthread_cond_t *pc, pthread_mutex_t *m,
                     int64_t deadline, int flags)
{
    struct green_side g = {.m = m, .self = green__self()};
    if (!g.self)
        return -ENOMEM;
    return green__cond_wait_with(pc, m, deadline, flags, green_release,
                                 green_relock, &g);
}

int green__cond_wait_with(pthread_cond_t *pc, pthread_mutex_t *m,
                          int64_t deadline, int flags,
                          int (*release)(void *), void (*relock)(void *),
                          void *arg)
{
    struct cnd *c = C(pc);
    atomic_store_explicit(&c->mutex, m, memory_order_relaxed);
    /* Counted and seq read while m is held: a signaller holding m after
     * our unlock sees the count, and its bump changes seq from ours. */
    atomic_fetch_add(&c->waiters, 1);
    uint32_t seq = atomic_load(&c->seq);
    int r = release(arg);
    if (r) {
        atomic_fetch_sub(&c->waiters, 1);
        return r;
    }
    green__wait_why(GREEN__WHY_COND, pc, 0);
    r = green__futex_wait_on(seq_word(c), seq, deadline, GREEN__FUTEX_ALL,
                             flags | GREEN__WHY);
    atomic_fetch_sub(&c->waiters, 1);  /* c may be destroyed from here on */
    relock(arg);
    return r == -ETIMEDOUT || r == -ECANCELED ? r : 0;
}

int green__cond_signal(pthread_cond_t *pc)
{
    struct cnd *c = C(pc);
    if (!atomic_load(&c->waiters))
        return 0;
    atomic_fetch_add(&c->seq, 1);
    green__futex_wake(seq_word(c), 1, GREEN__FUTEX_ALL);
    return 0;
}

int green__cond_broadcast(pthread_cond_t *pc)
{
    struct cnd *c = C(pc);
    if (!atomic_load(&c->waiters))
        return 0;
    uint32_t seq = atomic_fetch_add(&c->seq, 1) + 1;
    pthread_mutex_t *m = atomic_load_explicit(&c->mutex, memory_order_relaxed);
    /* Wake one; the rest wait for the mutex instead, each woken in turn
     * by an unlock. If seq moved meanwhile, just wake everyone; and a
     * mutex glibc keeps wakes nobody parked on its word (kept.h). */
    if (!m || green__mutex_is_foreign(m) || green__futex_requeue(seq_word(c), seq, 1, green__mutex_word(m),
                                   INT_MAX) < 0)
        green__futex_wake(seq_word(c), INT_MAX, GREEN__FUTEX_ALL);
    return 0;
}

/* green__poll_until's attempt: -EBUSY while threads are parked on c. */
static int none_parked(void *pc)
{
    return green__futex_waiters(seq_word(C(pc))) > 0 ? -EBUSY : 0;
}

int green__cond_destroy(pthread_cond_t *pc, bool busy)
{
    struct cnd *c = C(pc);
    if (!atomic_load(&c->waiters))
        return 0;
    /* glibc 2.36's: waiters still parked are waited for, until a
     * signal, a broadcast or their timeout lets them go, however long
     * that takes. No waiter tells that it left, so they are polled. */
    if (green__futex_waiters(seq_word(c)) > 0) {
        if (busy)
            return -EBUSY;
        green__wait_why(GREEN__WHY_COND, pc, 0);
        green__poll_until(none_parked, pc, GREEN_NEVER,
                          GREEN__NOCANCEL | GREEN__WHY);
    }
    /* Threads woken (or requeued onto the mutex) that have not yet let go
     * of c: hurry them out, then wait. Nudging the mutex's waiters is
     * harmless: they recheck and park again. The bump and wake on seq
     * also free a waiter caught between its unlock and its park, which a
     * correct program cannot have. */
    pthread_mutex_t *m = atomic_load_explicit(&c->mutex, memory_order_relaxed);
    for (unsigned spins = 0; atomic_load(&c->waiters); spins++) {
        atomic_fetch_add(&c->seq, 1);
        green__futex_wake(seq_word(c), INT_MAX, GREEN__FUTEX_ALL);
        if (m)
            green__futex_wake(green__mutex_word(m), INT_MAX,
                              GREEN__FUTEX_ALL);
        green__backoff(spins);
    }
    return 0;
}

/* ---- Public face: green_cond_* -------------------------------------- */

static pthread_cond_t *P(green_cond_t *c)
{
    return (pthread_cond_t *)(void *)c;
}

int green_cond_init(green_cond_t *c, int clock)
{
    return (int)green__set_errno(green__cond_init(P(c), clock));
}

int green_cond_wait(green_cond_t *c, green_mutex_t *m, int64_t deadline)
{
    return (int)green__set_errno(green__cond_wait(
        P(c), (pthread_mutex_t *)(void *)m, deadline, 0));
}

int green_cond_signal(green_cond_t *c)
{
    return (int)green__set_errno(green__cond_signal(P(c)));
}

int green_cond_broadcast(green_cond_t *c)
{
    return (int)green__set_errno(green__cond_broadcast(P(c)));
}

int green_cond_destroy(green_cond_t *c)
{
    return (int)green__set_errno(green__cond_destroy(P(c), true));
}
