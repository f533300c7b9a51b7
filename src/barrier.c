/* Barriers in the bytes of glibc's pthread_barrier_t, compatible with what
 * glibc's pthread_barrier_init writes (count at offset 8, zeros elsewhere
 * for a private barrier).
 *
 * The threads arrived in this round and the round number share one 64-bit
 * word, so arriving is one compare-and-swap that also tells which round the
 * thread joined; the round's 32-bit half is the futex word. The last to
 * arrive starts the next round (arrived 0, round + 1) and wakes everyone;
 * the others park while their round is current. `inside` counts threads
 * between entry and return, so destroy can wait until none touches b. */
#include "barrier.h"

#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <stddef.h>
#include <string.h>

#include "common.h"
#include "futex.h"
#include "green.h"
#include "hub.h"
#include "oslock.h"
#include "wait.h"

#define SHARED 128  /* glibc's FUTEX_SHARED in `shared` */

/* Our view of pthread_barrier_t. */
struct bar {
    _Atomic uint64_t word;    /* round << 32 | arrived */
    uint32_t count;           /* glibc's count */
    uint32_t shared;          /* glibc: 0, or SHARED */
    _Atomic uint32_t inside;  /* glibc's out, zero after init */
    uint32_t unused[3];
};

_Static_assert(sizeof(struct bar) == sizeof(pthread_barrier_t), "size");
_Static_assert(_Alignof(pthread_barrier_t) >= 8, "64-bit word at 0");
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
               "the round is the high half of word, at offset 4");

static struct bar *B(pthread_barrier_t *b) { return (struct bar *)(void *)b; }

/* The high half of word. The futex reads it with a 32-bit atomic load,
 * as the kernel's futex reads half of glibc's 64-bit semaphore word. */
static const volatile uint32_t *round_word(struct bar *b)
{
    return (const volatile uint32_t *)(void *)&b->word + 1;
}

int green__barrier_init(pthread_barrier_t *pb, unsigned count)
{
    if (count == 0)
        return -EINVAL;
    memset(pb, 0, sizeof *pb);
    B(pb)->count = count;
    return 0;
}

bool green__barrier_is_foreign(const pthread_barrier_t *pb)
{
    return ((const struct bar *)(const void *)pb)->shared == SHARED;
}

int green__barrier_wait(pthread_barrier_t *pb)
{
    struct bar *b = B(pb);
    atomic_fetch_add(&b->inside, 1);
    uint64_t w = atomic_load(&b->word), n;
    do {
        uint32_t arrived = (uint32_t)w + 1;
        n = arrived == b->count ? ((w >> 32) + 1) << 32 : w + 1;
    } while (!atomic_compare_exchange_weak(&b->word, &w, n));
    uint32_t round = (uint32_t)(w >> 32);
    int r = 0;
    if ((uint32_t)n == 0) {
        green__futex_wake(round_word(b), INT_MAX, GREEN__FUTEX_ALL);
        r = PTHREAD_BARRIER_SERIAL_THREAD;
    } else {
        while ((uint32_t)(atomic_load(&b->word) >> 32) == round) {
            green__wait_why(GREEN__WHY_BARRIER, pb, 0);
            if (green__futex_wait(round_word(b), round, GREEN_NEVER,
                                  GREEN__FUTEX_ALL,
                                  GREEN__NOCANCEL | GREEN__WHY) == -ENOMEM)
                green__os_nap(50000);  /* no hub to park in: poll */
        }
    }
    atomic_fetch_sub(&b->inside, 1);  /* b may be destroyed from here on */
    return r;
}

/* As glibc 2.36's: a round under way (threads wait in it) is waited for,
 * however long it takes; then 0. glibc never says EBUSY. */
int green__barrier_destroy(pthread_barrier_t *pb)
{
    struct bar *b = B(pb);
    uint64_t w = atomic_load(&b->word);
    uint32_t round = (uint32_t)(w >> 32);
    while ((uint32_t)w != 0 && (uint32_t)(w >> 32) == round) {
        green__wait_why(GREEN__WHY_BARRIER, pb, 0);
        if (green__futex_wait(round_word(b), round, GREEN_NEVER,
                              GREEN__FUTEX_ALL,
                              GREEN__NOCANCEL | GREEN__WHY) == -ENOMEM)
            green__os_nap(50000);
        w = atomic_load(&b->word);
    }
    /* Threads of the last round, woken, not yet returned: they only have
     * a few instructions left. */
    for (unsigned spins = 0; atomic_load(&b->inside); spins++)
        green__backoff(spins);
    return 0;
}
