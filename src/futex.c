/* The green futex: a parking lot of address-hashed buckets, each a lock
 * and a FIFO list of waiters that live on their green threads' stacks.
 *
 * A wake claims a waiter under the bucket lock (state 1), unparks it after
 * unlocking, then marks the wake delivered (state 2). A waiter that wakes
 * for another reason (deadline, kill, spurious) and finds itself claimed
 * waits for "delivered" before it returns, so a waker on another OS thread
 * never touches a waiter record, or a thread, that has gone away.
 *
 * Requeue moves waiters to another address, so a waiter that has to remove
 * itself first finds which bucket it is in now (lock, recheck, retry). */
#include "futex.h"

#include <errno.h>
#include <stdatomic.h>

#include "cancel.h"
#include "common.h"
#include "hub.h"
#include "oslock.h"
#include "thread.h"
#include "wait.h"

#define NBUCKETS 4096  /* a power of two */

struct waiter {
    struct waiter *next, *prev;           /* bucket list */
    struct waiter *woken;                 /* a waker's private list */
    const volatile uint32_t *_Atomic addr;
    uint32_t bitset;
    struct green_thread *t;
    atomic_int state;                     /* 0 waiting, 1 claimed, 2 done */
};

struct bucket {
    struct green__oslock lock;
    struct waiter *head, *tail;
} __attribute__((aligned(64)));

static struct bucket buckets[NBUCKETS];

static struct bucket *bucket_of(const volatile uint32_t *addr)
{
    uint64_t h = ((uintptr_t)addr >> 2) * 0x9e3779b97f4a7c15ull;
    return &buckets[h >> (64 - 12)];
}

_Static_assert(NBUCKETS == 1 << 12, "bucket_of takes the top 12 bits");

static void append(struct bucket *b, struct waiter *w)
{
    w->next = NULL;
    w->prev = b->tail;
    *(b->tail ? &b->tail->next : &b->head) = w;
    b->tail = w;
}

static void unlink_waiter(struct bucket *b, struct waiter *w)
{
    *(w->prev ? &w->prev->next : &b->head) = w->next;
    *(w->next ? &w->next->prev : &b->tail) = w->prev;
}

/* Locks the bucket w is in now, which a requeue may have changed. */
static struct bucket *lock_current(struct waiter *w)
{
    for (;;) {
        const volatile uint32_t *a = atomic_load(&w->addr);
        struct bucket *b = bucket_of(a);
        green__oslock_lock(&b->lock);
        if (atomic_load(&w->addr) == a)
            return b;
        green__oslock_unlock(&b->lock);
    }
}

/* The waker claimed w: wait the few instructions until it has unparked. */
static void await_delivery(struct waiter *w)
{
    for (unsigned spins = 0;
         atomic_load_explicit(&w->state, memory_order_acquire) != 2;
         spins++) {
        if (spins < 1000)
            green__cpu_relax();
        else
            green__os_nap(20000);
    }
}

int green__futex_wait(const volatile uint32_t *addr, uint32_t expected,
                      int64_t deadline, uint32_t bitset, int flags)
{
    if (!bitset)
        return -EINVAL;
    struct green_thread *self = green__self();
    if (!self)
        return -ENOMEM;
    struct waiter w = {.bitset = bitset, .t = self};
    atomic_store_explicit(&w.addr, addr, memory_order_relaxed);
    struct bucket *b = bucket_of(addr);
    green__oslock_lock(&b->lock);
    if (atomic_load((const _Atomic uint32_t *)addr) != expected) {
        green__oslock_unlock(&b->lock);
        return -EAGAIN;
    }
    append(b, &w);
    green__oslock_unlock(&b->lock);
    if (!(flags & GREEN__WHY))
        green__wait_why(GREEN__WHY_FUTEX, (const void *)addr, 0);
    /* Handlers run once the waiter is off its bucket (GREEN__LATE, as
     * for fd waits): a signal that does not end the wait makes it return
     * 0, a spurious wake, and the caller waits again. */
    for (;;) {
        int r = green__park_flags(deadline, flags | GREEN__LATE);
        if (atomic_load_explicit(&w.state, memory_order_acquire) == 0) {
            if (r == 0 && !green__park_pending())
                continue;  /* spurious: still queued */
            b = lock_current(&w);
            if (atomic_load(&w.state) == 0) {
                unlink_waiter(b, &w);
                green__oslock_unlock(&b->lock);
                if (!(flags & GREEN__LATE))
                    green__park_raise();
                return r;
            }
            green__oslock_unlock(&b->lock);
        }
        /* Woken (perhaps as well as timed out or killed): the wake was
         * consumed, so report it; a kill then waits for the next park. */
        await_delivery(&w);
        if (r == -ECANCELED)
            green__cancel_keep();
        if (!(flags & GREEN__LATE))
            green__park_raise();
        return 0;
    }
}

int green__futex_wait_on(const volatile uint32_t *addr, uint32_t expected,
                         int64_t deadline, uint32_t bitset, int flags)
{
    struct green_thread *self = green__self();
    struct green__wait_info why = {0};
    if (self)
        why = self->wait;
    for (;;) {
        int r = green__futex_wait(addr, expected, deadline, bitset,
                                  flags | GREEN__LATE);
        bool handler = green__park_pending();
        green__park_raise();
        if (r != 0 || !handler)
            return r;
        if (self)
            self->wait = why;  /* the handler may have waited on another */
    }
}

/* Unparks the claimed waiters of a private list; each is invalid once
 * marked done. */
static void deliver(struct waiter *list)
{
    green__hub_hold();  /* done before the woken can run (hub.h) */
    while (list) {
        struct waiter *next = list->woken;
        green__unpark(list->t, 0);
        atomic_store_explicit(&list->state, 2, memory_order_release);
        list = next;
    }
    green__hub_release();
}

/* Claims up to n waiters of b on addr matching bitset, appending them to
 * *tail. Then moves up to nmove further ones on addr to bucket `to` (which
 * the caller has locked too). Returns the number claimed plus moved. */
static int take(struct bucket *b, const volatile uint32_t *addr, int n,
                uint32_t bitset, struct waiter ***tail, struct bucket *to,
                const volatile uint32_t *to_addr, int nmove)
{
    int claimed = 0, moved = 0;
    for (struct waiter *w = b->head, *next; w; w = next) {
        next = w->next;
        if (atomic_load_explicit(&w->addr, memory_order_relaxed) != addr ||
            !(w->bitset & bitset))
            continue;
        if (claimed < n) {
            unlink_waiter(b, w);
            atomic_store_explicit(&w->state, 1, memory_order_relaxed);
            w->woken = NULL;
            **tail = w;
            *tail = &w->woken;
            claimed++;
        } else if (moved < nmove) {
            unlink_waiter(b, w);
            atomic_store(&w->addr, to_addr);
            append(to, w);
            moved++;
        } else {
            break;
        }
    }
    return claimed + moved;
}

int green__futex_wake(const volatile uint32_t *addr, int n, uint32_t bitset)
{
    if (n <= 0 || !bitset)
        return 0;
    struct bucket *b = bucket_of(addr);
    struct waiter *list = NULL, **tail = &list;
    green__oslock_lock(&b->lock);
    int woken = take(b, addr, n, bitset, &tail, NULL, NULL, 0);
    green__oslock_unlock(&b->lock);
    deliver(list);
    return woken;
}

int green__futex_requeue(const volatile uint32_t *from, uint32_t expected,
                         int nwake, const volatile uint32_t *to, int nmove)
{
    struct bucket *b1 = bucket_of(from), *b2 = bucket_of(to);
    struct bucket *first = b1 < b2 ? b1 : b2, *second = b1 < b2 ? b2 : b1;
    struct waiter *list = NULL, **tail = &list;
    green__oslock_lock(&first->lock);
    if (second != first)
        green__oslock_lock(&second->lock);
    int r = -EAGAIN;
    if (atomic_load((const _Atomic uint32_t *)from) == expected)
        r = take(b1, from, nwake < 0 ? 0 : nwake, GREEN__FUTEX_ALL, &tail,
                 b2, to, nmove < 0 ? 0 : nmove);
    if (second != first)
        green__oslock_unlock(&second->lock);
    green__oslock_unlock(&first->lock);
    deliver(list);
    return r;
}

int green__futex_waiters(const volatile uint32_t *addr)
{
    struct bucket *b = bucket_of(addr);
    int n = 0;
    green__oslock_lock(&b->lock);
    for (struct waiter *w = b->head; w; w = w->next)
        n += atomic_load_explicit(&w->addr, memory_order_relaxed) == addr;
    green__oslock_unlock(&b->lock);
    return n;
}
