/* Run-once on a 4-byte flag: 0 not run, 1 running, 3 running and waited
 * on, 2 done (under TSan, TSan's values: see RUNNING below). The runner
 * claims 0 -> 1 with a compare-and-swap; a caller
 * that finds it running marks 3 and parks on the flag; the runner's final
 * swap to 2 wakes everyone only if it took away a 3. Done is a single
 * acquire load, so the fast path costs what glibc's does.
 *
 * If fn is cancelled (or calls pthread_exit), a cleanup handler resets
 * the flag to "not run" and wakes the waiters, one of which runs fn, as
 * glibc's does. The handler is pthread_cleanup_push's, which reaches the
 * green thread's own cleanup chain through the wrapper (src/cancel.h). */
#include "once.h"

#include <errno.h>
#include <limits.h>
#include <stdatomic.h>

#include "common.h"
#include "futex.h"
#include "green.h"
#include "oslock.h"
#include "wait.h"

#define DONE GREEN__ONCE_DONE
#ifdef GREEN__TSAN
/* TSan's pthread_once, which is what a real pthread_once call reaches in
 * a TSan build, marks its flag done with 1 (its guard's kGuardDone), and
 * running with bit 16, waited on with bit 17 too: libgreen's flags must
 * read the same, or a once that TSan ran looks running forever. glibc's
 * own 2 is done too. */
#define RUNNING (1u << 16)
#define WAITED (RUNNING | 1u << 17)
#define done(s) ((s) == DONE || (s) == 2u)
#else
#define RUNNING 1u
#define WAITED 3u
#define done(s) ((s) == DONE)
#endif

_Static_assert(sizeof(pthread_once_t) == sizeof(uint32_t), "a 4-byte flag");

/* fn was cancelled: back to "not run", and every waiter tries again. */
static void reset(void *flag)
{
    if (atomic_exchange((_Atomic uint32_t *)flag, 0) == WAITED)
        green__futex_wake(flag, INT_MAX, GREEN__FUTEX_ALL);
}

int green__once_arg(uint32_t *flag, void (*fn)(void *), void *arg)
{
    _Atomic uint32_t *f = (_Atomic uint32_t *)flag;
    uint32_t s = atomic_load_explicit(f, memory_order_acquire);
    if (green__likely(done(s)))
        return 0;
    for (;;) {
        if (done(s))
            return 0;
        if (s == 0) {
            if (!atomic_compare_exchange_weak(f, &s, RUNNING))
                continue;
            pthread_cleanup_push(reset, flag);
            fn(arg);
            pthread_cleanup_pop(0);
            if (atomic_exchange(f, DONE) == WAITED)
                green__futex_wake(flag, INT_MAX, GREEN__FUTEX_ALL);
            return 0;
        }
        if (s == RUNNING && !atomic_compare_exchange_weak(f, &s, WAITED))
            continue;
        green__wait_why(GREEN__WHY_ONCE, flag, 0);
        if (green__futex_wait(flag, WAITED, GREEN_NEVER, GREEN__FUTEX_ALL,
                              GREEN__NOCANCEL | GREEN__WHY) == -ENOMEM)
            green__os_nap(50000);  /* no hub to park in: poll */
        s = atomic_load_explicit(f, memory_order_acquire);
    }
}

struct call { void (*fn)(void); };

static void call(void *arg)
{
    ((struct call *)arg)->fn();
}

int green__once(pthread_once_t *o, void (*fn)(void))
{
    struct call c = {fn};
    return green__once_arg((uint32_t *)(void *)o, call, &c);
}
