/* Mutexes in the bytes of glibc's pthread_mutex_t, so that static
 * initializers and objects glibc's pthread_mutex_init made work unchanged.
 *
 * The lock word (__lock) keeps glibc's protocol: 0 free, 1 locked, 2
 * locked and maybe waited on. Lock is one compare-and-swap 0->1; a loser
 * swaps in 2 and parks on the word while it was not 0. Unlock is one swap
 * to 0, which wakes one waiter only if it took away a 2. A thread that ever
 * parked takes the lock as 2, so waiters behind it are never stranded.
 * The owner (a green thread) lives in the 16 bytes of __list, which glibc
 * uses only for robust mutexes: its address, and its id, which tells
 * who owns an error-checking or recursive mutex (a later thread may get
 * the address of one that ended holding it; never its id). The
 * recursion depth is in __count. */
#include "mutex.h"

#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <stddef.h>
#include <string.h>

#include "cancel.h"
#include "common.h"
#include "futex.h"
#include "green.h"
#include "hub.h"
#include "thread.h"
#include "wait.h"

#define NORMAL 0
#define RECURSIVE 1
#define ERRORCHECK 2
#define FOREIGN_BITS 0xf0  /* robust 0x10, PI 0x20, PP 0x40, pshared 0x80 */

/* Our view of pthread_mutex_t. */
struct mtx {
    _Atomic uint32_t lock;               /* __lock: 0, 1 or 2 */
    uint32_t count;                      /* __count: recursion depth */
    int tid;                             /* __owner: unused */
    unsigned nusers;                     /* __nusers: unused */
    int kind;                            /* __kind: type in & 3, flags */
    short spins, elision;                /* unused */
    struct green_thread *_Atomic owner;  /* __list.__prev */
    _Atomic uint64_t owner_id;           /* __list.__next: its id, or 0 */
};

_Static_assert(sizeof(struct mtx) == sizeof(pthread_mutex_t), "size");
_Static_assert(offsetof(struct mtx, count) ==
               offsetof(pthread_mutex_t, __data.__count), "__count");
_Static_assert(offsetof(struct mtx, kind) ==
               offsetof(pthread_mutex_t, __data.__kind), "__kind");
_Static_assert(offsetof(struct mtx, owner) ==
               offsetof(pthread_mutex_t, __data.__list), "__list");
_Static_assert(sizeof(green_mutex_t) == sizeof(pthread_mutex_t) &&
               _Alignof(green_mutex_t) >= _Alignof(pthread_mutex_t),
               "green_mutex_t is a pthread_mutex_t");

static struct mtx *M(pthread_mutex_t *m) { return (struct mtx *)(void *)m; }

/* The owner of an error-checking or recursive mutex: set once it is
 * taken, cleared before it is let go. */
static void set_owner(struct mtx *m, struct green_thread *self)
{
    atomic_store_explicit(&m->owner, self, memory_order_relaxed);
    atomic_store_explicit(&m->owner_id, self->id, memory_order_relaxed);
}

static bool owned_by(struct mtx *m, const struct green_thread *self)
{
    return atomic_load_explicit(&m->owner_id, memory_order_relaxed) ==
           self->id;
}

static const volatile uint32_t *word(struct mtx *m)
{
    return (const volatile uint32_t *)&m->lock;
}

/* The caller, if it is already green; NULL for an OS thread with no hub.
 * Enough to recognise an owner, which always has one. */
static struct green_thread *current(void)
{
    struct green__hub *h = green__hub_current();
    return h ? h->current : NULL;
}

/* The slow path: swap in 2 until the swap finds the lock free. */
static int wait_lock(struct mtx *m, int64_t deadline, int flags)
{
    while (atomic_exchange(&m->lock, 2) != 0) {
        green__wait_why(GREEN__WHY_MUTEX, m, 0);
        int r = green__futex_wait(word(m), 2, deadline, GREEN__FUTEX_ALL,
                                  flags | GREEN__WHY | GREEN__ASYNC);
        if (r == -ECANCELED && (flags & GREEN__NOCANCEL)) {
            /* An asynchronous pthread_cancel acts in the wait, as
             * glibc's SIGCANCEL would; what this thread swapped in (2)
             * may have cost another waiter its wake: give it one. */
            green__futex_wake(word(m), 1, GREEN__FUTEX_ALL);
            green__cancel_act(current());
        }
        if (r == -ETIMEDOUT || r == -ECANCELED || r == -ENOMEM)
            return r;
    }
    return 0;
}

static void release(struct mtx *m)
{
    atomic_store_explicit(&m->owner, NULL, memory_order_relaxed);
    atomic_store_explicit(&m->owner_id, 0, memory_order_relaxed);
    if (atomic_exchange_explicit(&m->lock, 0, memory_order_release) == 2)
        green__futex_wake(word(m), 1, GREEN__FUTEX_ALL);
}

static bool try_take(struct mtx *m)
{
    uint32_t c = 0;
    return atomic_compare_exchange_strong_explicit(
        &m->lock, &c, 1, memory_order_acquire, memory_order_relaxed);
}

int green__mutex_init(pthread_mutex_t *pm, int kind)
{
    if (kind < 0 || kind > 3)
        return -EINVAL;
    memset(pm, 0, sizeof *pm);
    M(pm)->kind = kind;
    return 0;
}

bool green__mutex_is_foreign(const pthread_mutex_t *pm)
{
    return pm->__data.__kind & FOREIGN_BITS;
}

int green__mutex_lock(pthread_mutex_t *pm, int64_t deadline, int flags)
{
    struct mtx *m = M(pm);
    int type = m->kind & 3;
    if (type != RECURSIVE && type != ERRORCHECK) {
        /* The owner is only a hint (for dumps) here: no hub is made. */
        int r = try_take(m) ? 0 : wait_lock(m, deadline, flags);
        if (green__likely(r == 0))
            atomic_store_explicit(&m->owner, current(), memory_order_relaxed);
        return r;
    }
    /* Identity matters: an OS thread gets its hub (once) here. */
    struct green_thread *self = green__self();
    if (!self)
        return -ENOMEM;
    if (owned_by(m, self)) {
        if (type == ERRORCHECK)
            return -EDEADLK;
        if (m->count == UINT32_MAX)
            return -EAGAIN;
        m->count++;
        return 0;
    }
    if (!try_take(m)) {
        int r = wait_lock(m, deadline, flags);
        if (r)
            return r;
    }
    set_owner(m, self);
    m->count = 1;
    return 0;
}

int green__mutex_trylock(pthread_mutex_t *pm)
{
    struct mtx *m = M(pm);
    int type = m->kind & 3;
    struct green_thread *self;
    if (type == RECURSIVE || type == ERRORCHECK) {
        if (!(self = green__self()))
            return -ENOMEM;  /* the owner must be recognisable later */
        if (type == RECURSIVE && owned_by(m, self)) {
            if (m->count == UINT32_MAX)
                return -EAGAIN;
            m->count++;
            return 0;
        }
    } else {
        self = current();
    }
    if (!try_take(m))
        return -EBUSY;
    if (type == RECURSIVE || type == ERRORCHECK)
        set_owner(m, self);
    else
        atomic_store_explicit(&m->owner, self, memory_order_relaxed);
    if (type == RECURSIVE)
        m->count = 1;
    return 0;
}

int green__mutex_unlock(pthread_mutex_t *pm)
{
    struct mtx *m = M(pm);
    int type = m->kind & 3;
    if (type == RECURSIVE || type == ERRORCHECK) {
        struct green_thread *self = current();
        if (!self || !owned_by(m, self))
            return -EPERM;
        if (type == RECURSIVE && --m->count)
            return 0;
        m->count = 0;
    }
    release(m);
    return 0;
}

int green__mutex_destroy(pthread_mutex_t *pm)
{
    return atomic_load(&M(pm)->lock) ? -EBUSY : 0;
}

int green__mutex_release(pthread_mutex_t *pm, struct green_thread *self,
                         uint32_t *saved)
{
    struct mtx *m = M(pm);
    int type = m->kind & 3;
    *saved = 0;
    if (type == RECURSIVE || type == ERRORCHECK) {
        if (!owned_by(m, self))
            return -EPERM;
        *saved = m->count;
        m->count = 0;
    }
    release(m);
    return 0;
}

void green__mutex_relock(pthread_mutex_t *pm, struct green_thread *self,
                         uint32_t saved)
{
    struct mtx *m = M(pm);
    /* Cannot fail: no deadline, no cancellation, and self has a hub. */
    while (atomic_exchange(&m->lock, 2) != 0) {
        green__wait_why(GREEN__WHY_MUTEX, m, 0);
        green__futex_wait(word(m), 2, GREEN_NEVER, GREEN__FUTEX_ALL,
                          GREEN__NOCANCEL | GREEN__WHY);
    }
    set_owner(m, self);
    m->count = saved;
}

/* ---- Public face: green_mutex_* ------------------------------------- */

static pthread_mutex_t *P(green_mutex_t *m)
{
    return (pthread_mutex_t *)(void *)m;
}

int green_mutex_init(green_mutex_t *m, int type)
{
    if (type != GREEN_MUTEX_NORMAL && type != GREEN_MUTEX_RECURSIVE &&
        type != GREEN_MUTEX_ERRORCHECK)
        return (int)green__set_errno(-EINVAL);
    static const int kinds[] = {
        [GREEN_MUTEX_NORMAL] = PTHREAD_MUTEX_NORMAL,
        [GREEN_MUTEX_RECURSIVE] = PTHREAD_MUTEX_RECURSIVE,
        [GREEN_MUTEX_ERRORCHECK] = PTHREAD_MUTEX_ERRORCHECK,
    };
    return (int)green__set_errno(green__mutex_init(P(m), kinds[type]));
}

int green_mutex_lock(green_mutex_t *m, int64_t deadline)
{
    return (int)green__set_errno(green__mutex_lock(P(m), deadline, 0));
}

int green_mutex_trylock(green_mutex_t *m)
{
    return (int)green__set_errno(green__mutex_trylock(P(m)));
}

int green_mutex_unlock(green_mutex_t *m)
{
    return (int)green__set_errno(green__mutex_unlock(P(m)));
}

int green_mutex_destroy(green_mutex_t *m)
{
    return (int)green__set_errno(green__mutex_destroy(P(m)));
}
