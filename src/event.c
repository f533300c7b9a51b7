/* Events (green.h), as gevent's and asyncio's, on one 32-bit futex word:
 * bit 0 SET, bit 1 WAITERS (someone may be parked), the rest a generation
 * that every set advances. A waiter returns once SET is seen or the
 * generation moved: a set that was cleared again before the waiter ran
 * still releases it, as gevent's does. set wakes only if WAITERS was on. */
#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdint.h>

#include "common.h"
#include "futex.h"
#include "green.h"
#include "wait.h"

#define SET 1u
#define WAITERS 2u
#define GEN 4u  /* generation unit */

_Static_assert(sizeof(green_event_t) == sizeof(uint32_t), "one word");

static _Atomic uint32_t *W(const green_event_t *e)
{
    return (_Atomic uint32_t *)(void *)&e->state_;
}

void green_event_set(green_event_t *e)
{
    _Atomic uint32_t *w = W(e);
    uint32_t s = atomic_load(w), n;
    do {
        if (s & SET)
            return;
        n = ((s + GEN) | SET) & ~WAITERS;
    } while (!atomic_compare_exchange_weak(w, &s, n));
    if (s & WAITERS)
        green__futex_wake((const volatile uint32_t *)w, INT_MAX,
                          GREEN__FUTEX_ALL);
}

void green_event_clear(green_event_t *e)
{
    atomic_fetch_and(W(e), ~SET);
}

int green_event_is_set(const green_event_t *e)
{
    return atomic_load(W(e)) & SET;
}

int green_event_wait(green_event_t *e, int64_t deadline)
{
    _Atomic uint32_t *w = W(e);
    uint32_t s = atomic_load_explicit(w, memory_order_acquire);
    uint32_t gen = s & ~(SET | WAITERS);
    for (;;) {
        if ((s & SET) || (s & ~(SET | WAITERS)) != gen)
            return 0;
        if (!(s & WAITERS) && !atomic_compare_exchange_weak(w, &s, s | WAITERS))
            continue;
        green__wait_why(GREEN__WHY_EVENT, e, 0);
        int r = green__futex_wait((const volatile uint32_t *)w, s | WAITERS,
                                  deadline, GREEN__FUTEX_ALL, GREEN__WHY);
        s = atomic_load_explicit(w, memory_order_acquire);
        if (r == -ETIMEDOUT || r == -ECANCELED || r == -ENOMEM) {
            if (r == -ETIMEDOUT && ((s & SET) ||
                                    (s & ~(SET | WAITERS)) != gen))
                return 0;  /* set as the deadline came: report it */
            return (int)green__set_errno(r);
        }
    }
}
