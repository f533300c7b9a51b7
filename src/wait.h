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

#include <stdint.h>

struct green_thread;
struct green__hub;

/* Parks the current green thread. Returns the unparker's result (0 or a
 * negative errno), -ETIMEDOUT once the deadline (absolute, monotonic ns;
 * GREEN_NEVER for none) has passed, or 0 spuriously. May yield. */
int green__park(int64_t deadline);

/* Wakes t with `result` (0 or a negative errno) from any OS thread. If t is
 * not parked, the wake is kept for its next park; wakes do not add up. */
void green__unpark(struct green_thread *t, int result);

/* Waits for fd readiness (EV_READ = GREEN_IN, EV_WRITE = GREEN_OUT), with
 * one persistent libev watcher per fd and hub. Returns the ready events,
 * -ETIMEDOUT, or -EBADF if the fd is invalid or was closed meanwhile
 * through green__io_close(). May yield. */
int green__wait_fd(int fd, int events, int64_t deadline);

/* Wakes every waiter on fd with -EBADF and forgets the fd's watcher: to be
 * called before fd is closed. */
void green__io_close(struct green__hub *h, int fd);

#endif
