/* Waiting: the one primitive under every blocking operation.
 *
 * green__park() suspends the calling green thread until green__unpark(),
 * its deadline, or neither (it may return early, spuriously: callers loop
 * on their own condition). Each thread has a park token, as Java's
 * LockSupport: an unpark that comes before the park is kept and makes
 * the next park return at once, so no wake-up is lost between a caller's
 * check and its park. Unpark works from any OS thread, including ones
 * with no hub. */
#ifndef GREEN_SRC_WAIT_H
#define GREEN_SRC_WAIT_H

#include <stdbool.h>
#include <stdint.h>

#include "hub.h"
#include "why.h"

struct green_thread;

/* Parks the current green thread. Returns the unparker's result (0 or a
 * negative errno), -ETIMEDOUT once the deadline (absolute, monotonic ns;
 * GREEN_NEVER for none) or the thread's green_timeout scope has passed,
 * -ECANCELED for a green_kill (delivered: the kill is used up), or 0
 * spuriously. May yield. */
int green__park(int64_t deadline);

/* Whether the calling green thread has a signal left pending that it
 * does not block: a GREEN__LATE park's caller takes its wait down and
 * calls green__park_raise(). */
bool green__park_pending(void);

/* Calls the handlers of those signals. */
void green__park_raise(void);

/* Flags for green__park_flags() and the waits built on it. */
#define GREEN__NOCANCEL 1  /* ignore green_kill and green_timeout scopes:
                              for waits that may not fail that way, such
                              as pthread_mutex_lock; a kill stays pending */
#define GREEN__EINTR 2     /* a signal handler run for this thread ends
                              the wait with -EINTR (poll, nanosleep: the
                              calls the kernel never restarts) */
#define GREEN__ERESTART 4  /* the same, unless the handler has SA_RESTART
                              (read, accept, waitpid: the calls the
                              kernel restarts) */
#define GREEN__WHY 8       /* the caller named the wait's reason
                              (green__wait_why): the generic waits under
                              it (fd, futex, offload) keep it */
#define GREEN__ASYNC 16    /* with NOCANCEL: a pthread_cancel still ends
                              the wait (-ECANCELED) if the thread's type
                              is asynchronous and cancellation enabled;
                              the caller then acts on it */
#define GREEN__LATE 32     /* the park calls no signal handler: it returns
                              (0 if nothing else ended it) and the caller
                              calls green__park_raise() once it has taken
                              its wait down, so that a handler may leave
                              with siglongjmp. The fd and futex waits do
                              that themselves; given this flag, they
                              leave it to their caller in turn, and
                              return 0 where a handler's turn came */

/* Names what the calling green thread's next park waits on (why.h): obj
 * and num as the reason says. A few stores. An OS thread without a hub
 * gets one here, as the park it is about to take would make it. */
static inline void green__wait_why(enum green__why why, const void *obj,
                                   int64_t num)
{
    struct green__hub *h = green__tls_hub;
    if (__builtin_expect(!h, 0))
        h = green__hub_get();
    if (h && h->current) {
        h->current->wait.why = (unsigned char)why;
        h->current->wait.obj = obj;
        h->current->wait.num = num;
    }
}

/* green__park() with flags. With GREEN__EINTR or GREEN__ERESTART, it
 * may also return -EINTR (see intr.h). */
int green__park_flags(int64_t deadline, int flags);

/* One step of waiting for another thread to finish the few instructions
 * it has left (say, a woken waiter leaving an object being destroyed):
 * lets this OS thread's other green threads run, since that thread may be
 * one of them, pauses the CPU, and naps the OS thread after a while. */
void green__backoff(unsigned spins);

/* Waits for an object whose wake-up no green thread can see: one glibc
 * keeps (process-shared, robust) and that another process or the kernel
 * may release. Calls attempt(arg) until it returns anything but -EBUSY,
 * parking between tries for a time that grows from 50 us to 10 ms, so
 * the other green threads run meanwhile. Returns attempt's result,
 * -ETIMEDOUT at the deadline, or -ECANCELED (unless GREEN__NOCANCEL). */
int green__poll_until(int (*attempt)(void *), void *arg, int64_t deadline,
                      int flags);

/* The earlier of two deadlines (GREEN_NEVER, -1, is the latest). */
static inline int64_t green__deadline_min(int64_t a, int64_t b)
{
    return (uint64_t)a < (uint64_t)b ? a : b;
}

/* Wakes t with `result` (0 or a negative errno) from any OS thread. If t is
 * not parked, the wake is kept for its next park; wakes do not add up. */
void green__unpark(struct green_thread *t, int result);

#endif
