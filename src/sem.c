/* Semaphores in the bytes of glibc's sem_t, in glibc's own 64-bit layout:
 * the value (the futex word) at offset 0, the number of waiters at 4, and
 * at 8 glibc's `private` (0 private, 128 process-shared). A sem_t that
 * glibc's sem_init made works here, and the reverse.
 *
 * wait takes one with a compare-and-swap; failing that, it counts itself
 * in nwaiters, then parks while the value is 0. post adds one and wakes
 * one only if nwaiters is nonzero. Both sides write one word and then
 * read the other (sequentially consistent), so either the poster sees the
 * waiter or the waiter sees the value; the futex rechecks the value under
 * its bucket lock, so a wake cannot fall between check and park. */
#include "sem.h"

#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>

#include "common.h"
#include "futex.h"
#include "green.h"
#include "wait.h"

#define SHARED 128  /* glibc's FUTEX_SHARED in `private` */

/* Our view of sem_t. */
struct sm {
    _Atomic uint32_t value;     /* low half of glibc's 64-bit data */
    _Atomic uint32_t nwaiters;  /* high half */
    int private;                /* glibc: 0, or SHARED */
    int pad;
    char unused[16];
};

_Static_assert(sizeof(struct sm) == sizeof(sem_t), "size");
_Static_assert(sizeof(green_sem_t) == sizeof(sem_t) &&
               _Alignof(green_sem_t) >= _Alignof(sem_t),
               "green_sem_t is a sem_t");
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
               "glibc keeps the value in the low half of a 64-bit word");

static struct sm *S(sem_t *s) { return (struct sm *)(void *)s; }

static const volatile uint32_t *word(struct sm *s)
{
    return (const volatile uint32_t *)&s->value;
}

int green__sem_init(sem_t *ps, unsigned value)
{
    if (value > GREEN_SEM_VALUE_MAX)
        return -EINVAL;
    struct sm *s = S(ps);
    atomic_init(&s->value, value);
    atomic_init(&s->nwaiters, 0);
    s->private = 0;
    return 0;
}

bool green__sem_is_foreign(const sem_t *s)
{
    return ((const struct sm *)(const void *)s)->private == SHARED;
}

/* Takes one if the value is positive. */
static bool take(struct sm *s)
{
    uint32_t v = atomic_load_explicit(&s->value, memory_order_relaxed);
    while (v > 0)
        if (atomic_compare_exchange_weak_explicit(&s->value, &v, v - 1,
                                                  memory_order_acquire,
                                                  memory_order_relaxed))
            return true;
    return false;
}

int green__sem_wait(sem_t *ps, int64_t deadline, int flags)
{
    struct sm *s = S(ps);
    if (green__likely(take(s)))
        return 0;
    atomic_fetch_add(&s->nwaiters, 1);
    int r = 0;
    while (!take(s)) {
        green__wait_why(GREEN__WHY_SEM, ps, 0);
        r = green__futex_wait(word(s), 0, deadline, GREEN__FUTEX_ALL,
                              flags | GREEN__WHY);
        if (r == -ETIMEDOUT || r == -ECANCELED || r == -ENOMEM ||
            r == -EINTR)
            break;
        r = 0;
    }
    atomic_fetch_sub(&s->nwaiters, 1);
    return r;
}

int green__sem_trywait(sem_t *ps)
{
    return take(S(ps)) ? 0 : -EAGAIN;
}

int green__sem_post(sem_t *ps)
{
    struct sm *s = S(ps);
    uint32_t v = atomic_load_explicit(&s->value, memory_order_relaxed);
    do {
        if (v >= GREEN_SEM_VALUE_MAX)
            return -EOVERFLOW;
    } while (!atomic_compare_exchange_weak(&s->value, &v, v + 1));
    if (atomic_load(&s->nwaiters))
        green__futex_wake(word(s), 1, GREEN__FUTEX_ALL);
    return 0;
}

int green__sem_getvalue(sem_t *ps, int *value)
{
    *value = (int)atomic_load(&S(ps)->value);
    return 0;
}

int green__sem_destroy(sem_t *ps)
{
    (void)ps;
    return 0;
}

/* ---- Public face: green_sem_* --------------------------------------- */

static sem_t *P(green_sem_t *s) { return (sem_t *)(void *)s; }

int green_sem_init(green_sem_t *s, unsigned value)
{
    return (int)green__set_errno(green__sem_init(P(s), value));
}

int green_sem_wait(green_sem_t *s, int64_t deadline)
{
    return (int)green__set_errno(green__sem_wait(P(s), deadline, 0));
}

int green_sem_trywait(green_sem_t *s)
{
    return (int)green__set_errno(green__sem_trywait(P(s)));
}

int green_sem_post(green_sem_t *s)
{
    return (int)green__set_errno(green__sem_post(P(s)));
}

int green_sem_getvalue(green_sem_t *s, int *value)
{
    return (int)green__set_errno(green__sem_getvalue(P(s), value));
}

int green_sem_destroy(green_sem_t *s)
{
    return (int)green__set_errno(green__sem_destroy(P(s)));
}
