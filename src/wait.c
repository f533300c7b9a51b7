/* Park, unpark, deadlines and sleeps; see wait.h.
 *
 * The park token is one atomic word: IDLE, PARKED, or NOTIFIED with the
 * wake's errno in the upper bits, so the result travels with the wake in
 * a single compare-and-swap. Deadlines use an ev_timer embedded in the
 * thread, armed against a freshly updated loop time; a timer that still
 * fires early (libev rounds) is re-armed rather than trusted. Fd
 * readiness, built on the park, is in ready.c. */
#include "wait.h"

#include <errno.h>
#include <time.h>

#include <ev.h>

#include "clock.h"
#include "common.h"
#include "hub.h"
#include "intr.h"
#include "oslock.h"
#include "thread.h"

#define IDLE 0u
#define PARKED 1u
#define NOTIFIED 2u

_Static_assert(sizeof(ev_timer) <= sizeof(((struct green_thread *)0)->timer),
               "the ev_timer must fit in struct green_thread");

int64_t green_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * GREEN__NS_PER_S + ts.tv_nsec;
}

void green__unpark(struct green_thread *t, int result)
{
    unsigned note = NOTIFIED | (unsigned)-result << 2;
    unsigned s = atomic_load(&t->park);
    for (;;) {
        if (s & NOTIFIED)
            return;  /* a wake is already on its way */
        if (atomic_compare_exchange_weak(&t->park, &s, note))
            break;
    }
    if (s == PARKED)
        green__hub_wake(t);
}

/* libev counts a timer's delay from its cached loop time, so refresh that
 * first: then timers expire in deadline order, as sleepers expect, rather
 * than in an order skewed by how stale the cache was for each. */
static void arm(struct green__hub *h, struct green_thread *t)
{
    ev_timer *w = (ev_timer *)t->timer;
    ev_now_update(h->loop);
    ev_timer_set(w, (double)(t->deadline - green_now()) * 1e-9, 0.);
    ev_timer_start(h->loop, w);
}

static void timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop, (void)revents;
    struct green_thread *t = w->data;
    int64_t now = green_now();
    if (now < t->deadline) {
        arm(t->hub, t);
        return;
    }
    unsigned s = PARKED;
    if (atomic_compare_exchange_strong(&t->park, &s,
                                       NOTIFIED | (unsigned)ETIMEDOUT << 2))
        green__hub_ready(t->hub, t);
}

static int take(struct green_thread *t)
{
    return -(int)(atomic_exchange(&t->park, IDLE) >> 2);
}

int green__park(int64_t deadline)
{
    return green__park_flags(deadline, 0);
}

bool green__park_pending(void)
{
    struct green__hub *h = green__hub_current();
    struct green_thread *t = h ? h->current : NULL;
    return t && green__unlikely(
                    atomic_load_explicit(&t->sigpend, memory_order_relaxed) &
                    ~t->sigmask);
}

void green__park_raise(void)
{
    if (green__park_pending())
        green__intr_raise(green__hub_current()->current);
}

int green__park_flags(int64_t deadline, int flags)
{
    struct green__hub *h = green__hub_get();
    struct green_thread *t = h->current;
    ev_timer *w = (ev_timer *)t->timer;
    if (green__unlikely(
            atomic_load_explicit(&t->sigpend, memory_order_relaxed) &
            ~t->sigmask)) {
        if (flags & GREEN__LATE)
            return 0;  /* the caller runs it, after its wait */
        green__intr_raise(t);  /* a pthread_kill's handler runs here */
    }
    if (!(flags & GREEN__NOCANCEL)) {
        if (atomic_load_explicit(&t->cancel, memory_order_relaxed) &&
            atomic_exchange(&t->cancel, 0))
            return -ECANCELED;
        deadline = green__deadline_min(deadline, t->scope_deadline);
    }
    int64_t now = deadline >= 0 ? green_now() : 0;
    unsigned s = IDLE;
    if (deadline >= 0 && now >= deadline)
        return atomic_load(&t->park) == IDLE ? -ETIMEDOUT : take(t);
    /* Before the token says PARKED, so that a signal handler seeing it
     * PARKED also sees which interruptions the park takes (intr.c). */
    __atomic_store_n(&t->intr,
                     (unsigned char)(flags & (GREEN__EINTR | GREEN__ERESTART)),
                     __ATOMIC_RELAXED);
    /* Once PARKED, a waker on another OS thread may queue t: from here on
     * t must switch away. */
    if (!atomic_compare_exchange_strong(&t->park, &s, PARKED)) {
        __atomic_store_n(&t->intr, 0, __ATOMIC_RELAXED);
        return take(t);  /* an unpark came first */
    }
    t->deadline = deadline;
    if (deadline >= 0) {
        ev_init(w, timer_cb);
        w->data = t;
        arm(h, t);
    }
    __atomic_store_n(&t->state, GREEN__PARKED, __ATOMIC_RELAXED);
    t->wait.since = h->polled_at;
    h->stats.parks[t->wait.why]++;
    green__hub_switch(h);
    __atomic_store_n(&t->intr, 0, __ATOMIC_RELAXED);
    if (deadline >= 0 && ev_is_active(w))
        ev_timer_stop(h->loop, w);
    t->deadline = GREEN_NEVER;
    int r = take(t);
    /* After the timer is stopped and the wake taken: a handler that
     * waits itself (sleep) parks again with the same timer and token. */
    if (green__unlikely(
            atomic_load_explicit(&t->sigpend, memory_order_relaxed) &
            ~t->sigmask) && !(flags & GREEN__LATE))
        green__intr_raise(t);
    if (r == -ECANCELED) {
        bool async = (flags & GREEN__ASYNC) &&
                     atomic_load(&t->pcancel) ==
                         (GREEN__PC_PENDING | GREEN__PC_ASYNC);
        if ((flags & GREEN__NOCANCEL) && !async)
            return 0;  /* the kill stays pending, for a later wait */
        atomic_store(&t->cancel, 0);  /* delivered */
    }
    return r;
}

void green__backoff(unsigned spins)
{
    if (green__hub_current())
        green_yield();
    if (spins > 100)
        green__os_nap(20000);
    else
        green__cpu_relax();
}

int green__poll_until(int (*attempt)(void *), void *arg, int64_t deadline,
                      int flags)
{
    if (!(flags & GREEN__WHY))
        green__wait_why(GREEN__WHY_SHARED, arg, 0);
    for (int64_t nap = 50000;; nap = nap < 10000000 ? nap * 2 : nap) {
        int r = attempt(arg);
        if (r != -EBUSY)
            return r;
        int64_t now = green_now();
        if (deadline >= 0 && now >= deadline)
            return -ETIMEDOUT;
        r = green__park_flags(green__deadline_min(now + nap, deadline),
                              flags);
        if (r == -ECANCELED)
            return r;
    }
}

int green_kill(green_t t)
{
    /* Not t->state, which only t's hub may read: an ended thread parks no
     * more, so the unpark below is only a note that nobody takes. */
    if (atomic_load(&t->join) == GREEN__JOIN_ENDED)
        return 0;
    atomic_store(&t->cancel, 1);
    green__unpark(t, -ECANCELED);
    return 0;
}

int green_sleep_until(int64_t deadline)
{
    if (deadline < 0)
        deadline = INT64_MAX;
    green__wait_why(GREEN__WHY_SLEEP, NULL, 0);
    for (;;) {
        int r = green__park(deadline);
        if (r == -ECANCELED || green_now() >= deadline)
            return (int)green__set_errno(r == -ECANCELED ? r : 0);
        if (r == -ETIMEDOUT)  /* a green_timeout scope ended first */
            return (int)green__set_errno(r);
    }
}

int green_timeout_start(green_timeout_t *to, int64_t ns)
{
    struct green_thread *t = green__self();
    if (ns < 0 || !t)
        return errno = EINVAL, -1;
    int64_t now = green_now();
    to->deadline_ = ns > INT64_MAX - now ? INT64_MAX : now + ns;
    to->outer_ = t->scope_deadline;
    to->prev_ = t->scope;
    t->scope = to;
    t->scope_deadline = green__deadline_min(to->outer_, to->deadline_);
    return 0;
}

int green_timeout_cancel(green_timeout_t *to)
{
    struct green_thread *t = green__self();
    if (!t || t->scope != to)
        return errno = EINVAL, -1;
    t->scope = to->prev_;
    t->scope_deadline = to->outer_;
    return green_now() >= to->deadline_;
}

int green_sleep(int64_t ns)
{
    if (ns <= 0)
        return green_yield();
    int64_t now = green_now();
    return green_sleep_until(ns > INT64_MAX - now ? INT64_MAX : now + ns);
}
