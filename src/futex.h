/* The green futex: a parking lot keyed by address, under every sync
 * primitive. wait() parks the calling green thread if *addr still holds
 * the expected value; wake() makes up to n waiters on addr ready.
 *
 * Works across OS threads: the check and the enqueue happen under the
 * address's bucket lock, and so does wake's dequeue, so no wake is lost.
 * An OS thread with no hub gets one (its own context adopted) on first
 * wait. Costs nothing unless a thread actually has to wait: primitives
 * keep their fast paths on their own atomic words. */
#ifndef GREEN_SRC_FUTEX_H
#define GREEN_SRC_FUTEX_H

#include <stdint.h>

#define GREEN__FUTEX_ALL 0xffffffffu  /* bitset matching every waiter */

/* Parks while *addr == expected, until woken by a wake() on addr whose
 * bitset meets `bitset`, the deadline (absolute monotonic ns, GREEN_NEVER
 * for none), or a green_kill() or green_timeout scope (unless flags has
 * GREEN__NOCANCEL, see wait.h). Returns 0 (woken; possibly spuriously, so
 * callers recheck), -EAGAIN (*addr != expected), -ETIMEDOUT, -ECANCELED,
 * -EINVAL (bitset 0) or -ENOMEM (no hub could be made). A wait that was
 * woken returns 0 even if it was also killed; the kill then fails the
 * next wait. A signal handler for the thread runs once it is off the
 * queue (so it may leave with siglongjmp), and the wait then returns 0,
 * as if woken (see GREEN__LATE, wait.h). May yield. */
int green__futex_wait(const volatile uint32_t *addr, uint32_t expected,
                      int64_t deadline, uint32_t bitset, int flags);

/* As green__futex_wait, but a signal handler's turn does not end the
 * wait: once the handler has run (off the queue, so it may siglongjmp),
 * it waits again while *addr == expected, as the kernel restarts a
 * FUTEX_WAIT and as glibc's condition variables go on waiting. A handler
 * that ends the wait (GREEN__EINTR, GREEN__ERESTART) still ends it. */
int green__futex_wait_on(const volatile uint32_t *addr, uint32_t expected,
                         int64_t deadline, uint32_t bitset, int flags);

/* Wakes up to n waiters on addr whose bitset meets `bitset`, oldest first.
 * Returns how many it woke. Callable from any OS thread, green or not. */
int green__futex_wake(const volatile uint32_t *addr, int n, uint32_t bitset);

/* Wakes up to nwake waiters on from, then moves up to nmove of the rest
 * to wait on to instead (condition variables hand waiters to the mutex
 * this way, so a broadcast does not stampede). If *from != expected,
 * does nothing and returns -EAGAIN. Returns woken + moved. */
int green__futex_requeue(const volatile uint32_t *from, uint32_t expected,
                         int nwake, const volatile uint32_t *to, int nmove);

/* Waiters currently parked on addr (for tests and destroy checks). */
int green__futex_waiters(const volatile uint32_t *addr);

#endif
