/* Read-write locks in the bytes of glibc's pthread_rwlock_t (all-zero is
 * valid: reader-preferring, as glibc's default; __flags == 2 makes it
 * writer-preferring). One 32-bit word at offset 0 (__readers) holds it all:
 * the reader count, WLOCKED, and two "someone may be parked" bits, RWAIT
 * and WWAIT. Waiters set their bit and park on the word (readers with
 * bitset RD, writers WR) while it is unchanged; the unlock that frees the
 * lock clears bits and wakes: all readers, or one writer, by preference.
 * A writer that was woken takes the lock with WWAIT set, so writers still
 * parked behind it are never stranded. The write owner is kept in __pad2
 * for EDEADLK. Uncontended lock and unlock are one compare-and-swap. */
#include "rwlock.h"

#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <stddef.h>
#include <string.h>

#include "common.h"
#include "futex.h"
#include "hub.h"
#include "thread.h"
#include "wait.h"

#define RMASK GREEN__RWLOCK_READERS_MAX
#define RWAIT 0x20000000u
#define WWAIT 0x40000000u
#define WLOCKED 0x80000000u
#define RD 1u  /* futex bitsets */
#define WR 2u

/* Our view of pthread_rwlock_t. */
struct rw {
    _Atomic uint32_t state;               /* __readers: see above */
    uint32_t unused[5];
    int cur_writer;                       /* glibc's TID: unused */
    int shared;                           /* __shared: pshared if nonzero */
    uint64_t unused2;
    struct green_thread *_Atomic writer;  /* __pad2 */
    uint32_t flags;                       /* __flags: preference */
    uint32_t unused3;
};

_Static_assert(sizeof(struct rw) == sizeof(pthread_rwlock_t), "size");
_Static_assert(offsetof(struct rw, shared) ==
               offsetof(pthread_rwlock_t, __data.__shared), "__shared");
_Static_assert(offsetof(struct rw, writer) ==
               offsetof(pthread_rwlock_t, __data.__pad2), "__pad2");
_Static_assert(offsetof(struct rw, flags) ==
               offsetof(pthread_rwlock_t, __data.__flags), "__flags");

static struct rw *L(pthread_rwlock_t *l) { return (struct rw *)(void *)l; }

static const volatile uint32_t *word(struct rw *l)
{
    return (const volatile uint32_t *)&l->state;
}

static bool writer_pref(struct rw *l)
{
    return l->flags == PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP;
}

/* May a reader enter in state s? Writer preference bars waiting writers. */
static bool reader_may(struct rw *l, uint32_t s)
{
    return !(s & WLOCKED) && !(writer_pref(l) && (s & WWAIT));
}

static bool is_writer(struct rw *l)
{
    struct green__hub *h = green__hub_current();
    return h && atomic_load_explicit(&l->writer, memory_order_relaxed) ==
                    h->current;
}

int green__rwlock_init(pthread_rwlock_t *pl, int pref)
{
    if (pref < 0 || pref > PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP)
        return -EINVAL;
    memset(pl, 0, sizeof *pl);
    L(pl)->flags = (uint32_t)pref;
    return 0;
}

bool green__rwlock_is_foreign(const pthread_rwlock_t *l)
{
    return l->__data.__shared != 0;
}

/* Sets `bit` in *s (the word's value) unless there; then parks. Returns
 * 0 to retry (with *s reloaded) or the wait's failure. */
static int park(struct rw *l, uint32_t *s, uint32_t bit, uint32_t bitset,
                int64_t deadline, int flags)
{
    if (!(*s & bit) &&
        !atomic_compare_exchange_weak(&l->state, s, *s | bit))
        return 0;
    green__wait_why(GREEN__WHY_RWLOCK, l, 0);
    int r = green__futex_wait(word(l), *s | bit, deadline, bitset,
                              flags | GREEN__WHY);
    *s = atomic_load(&l->state);
    return r == -ETIMEDOUT || r == -ECANCELED || r == -ENOMEM ? r : 0;
}

/* A writer stops waiting (timeout, kill). Under writer preference it may
 * have been all that kept readers out: clear both bits and wake everyone
 * parked, to re-evaluate and set their bits again. Rare, so a herd is
 * fine. */
static void give_up(struct rw *l)
{
    uint32_t old = atomic_fetch_and(&l->state, ~(RWAIT | WWAIT));
    if (old & WWAIT)
        green__futex_wake(word(l), INT_MAX, WR);
    if (old & RWAIT)
        green__futex_wake(word(l), INT_MAX, RD);
}

int green__rwlock_rdlock(pthread_rwlock_t *pl, int64_t deadline, int flags)
{
    struct rw *l = L(pl);
    uint32_t s = atomic_load_explicit(&l->state, memory_order_relaxed);
    for (;;) {
        if (reader_may(l, s)) {
            if ((s & RMASK) == RMASK)
                return -EAGAIN;
            if (atomic_compare_exchange_weak_explicit(
                    &l->state, &s, s + 1, memory_order_acquire,
                    memory_order_relaxed))
                return 0;
            continue;
        }
        if ((s & WLOCKED) && is_writer(l))
            return -EDEADLK;
        int r = park(l, &s, RWAIT, RD, deadline, flags);
        if (r)
            return r;
    }
}

int green__rwlock_wrlock(pthread_rwlock_t *pl, int64_t deadline, int flags)
{
    struct rw *l = L(pl);
    struct green_thread *self = green__self();
    if (!self)
        return -ENOMEM;
    uint32_t s = atomic_load_explicit(&l->state, memory_order_relaxed);
    uint32_t extra = 0;  /* WWAIT, once this writer has parked */
    for (;;) {
        if (!(s & (WLOCKED | RMASK))) {
            if (atomic_compare_exchange_weak_explicit(
                    &l->state, &s, s | WLOCKED | extra, memory_order_acquire,
                    memory_order_relaxed)) {
                atomic_store_explicit(&l->writer, self, memory_order_relaxed);
                return 0;
            }
            continue;
        }
        if ((s & WLOCKED) &&
            atomic_load_explicit(&l->writer, memory_order_relaxed) == self)
            return -EDEADLK;
        int r = park(l, &s, WWAIT, WR, deadline, flags);
        if (r) {
            if (writer_pref(l))
                give_up(l);
            return r;
        }
        extra = WWAIT;
    }
}

int green__rwlock_tryrdlock(pthread_rwlock_t *pl)
{
    struct rw *l = L(pl);
    uint32_t s = atomic_load_explicit(&l->state, memory_order_relaxed);
    while (reader_may(l, s)) {
        if ((s & RMASK) == RMASK)
            return -EAGAIN;
        if (atomic_compare_exchange_weak_explicit(&l->state, &s, s + 1,
                                                  memory_order_acquire,
                                                  memory_order_relaxed))
            return 0;
    }
    return -EBUSY;
}

int green__rwlock_trywrlock(pthread_rwlock_t *pl)
{
    struct rw *l = L(pl);
    struct green_thread *self = green__self();
    if (!self)
        return -ENOMEM;
    uint32_t s = atomic_load_explicit(&l->state, memory_order_relaxed);
    while (!(s & (WLOCKED | RMASK)))
        if (atomic_compare_exchange_weak_explicit(&l->state, &s, s | WLOCKED,
                                                  memory_order_acquire,
                                                  memory_order_relaxed)) {
            atomic_store_explicit(&l->writer, self, memory_order_relaxed);
            return 0;
        }
    return -EBUSY;
}

int green__rwlock_unlock(pthread_rwlock_t *pl)
{
    struct rw *l = L(pl);
    bool wp = writer_pref(l);
    uint32_t s = atomic_load_explicit(&l->state, memory_order_relaxed), n;
    do {
        if (s & WLOCKED)
            n = s & ~WLOCKED;
        else if (s & RMASK)
            n = s - 1;
        else
            return -EPERM;
        /* Freed with waiters: clear the bits of those this unlock wakes. A
         * writer preference wakes a writer first and keeps RWAIT. */
        if (!(n & RMASK))
            n &= wp && (n & WWAIT) ? ~WWAIT : ~(RWAIT | WWAIT);
        if (s & WLOCKED)  /* before the release: a new writer stores its own */
            atomic_store_explicit(&l->writer, NULL, memory_order_relaxed);
    } while (!atomic_compare_exchange_weak_explicit(
        &l->state, &s, n, memory_order_release, memory_order_relaxed));
    uint32_t cleared = s & ~n & (RWAIT | WWAIT);
    if (cleared & WWAIT) {
        int woke = green__futex_wake(word(l), 1, WR);
        if (wp && !woke)  /* no writer after all: the readers' turn */
            cleared |= atomic_fetch_and(&l->state, ~RWAIT) & RWAIT;
    }
    if (cleared & RWAIT)
        green__futex_wake(word(l), INT_MAX, RD);
    return 0;
}

int green__rwlock_destroy(pthread_rwlock_t *pl)
{
    return atomic_load(&L(pl)->state) & (WLOCKED | RMASK) ? -EBUSY : 0;
}
