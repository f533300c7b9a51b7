/* Time slices. A green thread that keeps making calls that never wait (an
 * uncontended lock and unlock, a signal of a condition nobody waits on, a
 * post, a trylock) would keep every other green thread of its OS thread
 * from running, where natively the kernel would preempt it: a loop such as
 * `do { lock; n = started; unlock; } while (n < N);` never ends, since the
 * threads it waits for never start. The wrappers of those calls call
 * green__slice(), which yields once the caller has run GREEN__SLICE_NS
 * without a switch while another green thread could run, and polls the
 * loop on the way, so that expired sleeps and ready fds count. Any point
 * of a preemptive schedule is a legal interleaving: this changes only who
 * runs when. A loop that makes no call into libgreen is still never
 * preempted. Not inside a signal handler (green__tls_handling), where a
 * switch would carry the handler's mask to the other threads. */
#ifndef GREEN_SRC_SLICE_H
#define GREEN_SRC_SLICE_H

#include "common.h"

/* How long a green thread runs between two switches before a call that
 * does not wait yields: the order of the kernel's own slices. */
#define GREEN__SLICE_NS 2000000

/* The clock is read once every this many calls (a power of two). */
#define GREEN__SLICE_CHECK 64u

/* Calls of green__slice() by this green thread, for the sampling. */
extern __thread unsigned green__tls_slice_calls
    __attribute__((tls_model("initial-exec")));

/* Nonzero while this green thread runs a handler of the program's
 * (intr.c's trampoline and deferred calls). */
extern __thread unsigned green__tls_handling
    __attribute__((tls_model("initial-exec")));

/* The slow part of green__slice(): reads the clock, maybe yields. */
void green__slice_check(void);

/* Called by wrappers of calls that return without waiting. May yield. */
static inline void green__slice(void)
{
    if (green__likely(++green__tls_slice_calls & (GREEN__SLICE_CHECK - 1)))
        return;
    green__slice_check();
}

/* r, a call's result, after green__slice(): for the calls that release
 * something (unlock, post, signal), which yield after they did, not while
 * they hold what the others wait for. */
static inline int green__sliced(int r)
{
    green__slice();
    return r;
}

#endif
