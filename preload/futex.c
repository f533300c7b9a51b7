/* syscall(2): the futex calls programs make themselves go to the green
 * futex, everything else to glibc's syscall untouched. libstdc++ waits
 * this way for std::atomic::wait, latch, barrier and counting_semaphore
 * (docs/design.md G4): syscall(SYS_futex) with FUTEX_WAIT, FUTEX_WAKE and
 * their _BITSET forms, private or not. Those four are emulated with the
 * kernel's checks, in the kernel's order, and its results: EINVAL for a
 * bad timeout, a bitset of 0 or a misaligned word; EFAULT for NULL where
 * the kernel would fault; EAGAIN when the word differs; ETIMEDOUT; the
 * number woken. Other futex ops, and FUTEX_CLOCK_REALTIME on anything but
 * FUTEX_WAIT_BITSET (ENOSYS), go to the kernel.
 *
 * Not handled: a word the kernel wakes (CLONE_CHILD_CLEARTID, another
 * process sharing the memory) wakes no green waiter; an unmapped word is
 * read, not reported as EFAULT. The wait is not a cancellation point. */
#include "clock.h"
#include "interpose.h"

#include <errno.h>
#include <linux/futex.h>
#include <stdarg.h>
#include <sys/syscall.h>

#include "fiber_san.h"
#include "futex.h"
#include "sync.h"
#include "tidcall.h"
#include "wait.h"

/* The ops emulated here, private or not. */
static bool green_op(int op)
{
    switch (op & ~FUTEX_PRIVATE_FLAG) {
    case FUTEX_WAIT:
    case FUTEX_WAKE:
    case FUTEX_WAIT_BITSET:
    case FUTEX_WAIT_BITSET | FUTEX_CLOCK_REALTIME:
    case FUTEX_WAKE_BITSET:
        return true;
    default:
        return false;
    }
}

/* FUTEX_WAIT's timeout is relative and monotonic; FUTEX_WAIT_BITSET's
 * absolute, on CLOCK_MONOTONIC unless FUTEX_CLOCK_REALTIME. The kernel
 * converts it on entry: so does this. ts must be valid. */
static int64_t wait_deadline(int op, const struct timespec *ts)
{
    if (!ts)
        return GREEN_NEVER;
    if ((op & FUTEX_CMD_MASK) == FUTEX_WAIT)
        return green__deadline_ts(ts);
    return green__clock_deadline(
        op & FUTEX_CLOCK_REALTIME ? CLOCK_REALTIME : CLOCK_MONOTONIC, ts);
}

/* One emulated op. Returns what the kernel would, or -errno. */
static long futex(const volatile uint32_t *addr, int op, uint32_t val,
                  const struct timespec *ts, uint32_t val3)
{
    int cmd = op & FUTEX_CMD_MASK;
    bool wait = cmd == FUTEX_WAIT || cmd == FUTEX_WAIT_BITSET;
    bool bitset = cmd == FUTEX_WAIT_BITSET || cmd == FUTEX_WAKE_BITSET;
    if (wait && ts && (ts->tv_sec < 0 || !green__sync_time_ok(ts)))
        return -EINVAL;
    int64_t deadline = wait ? wait_deadline(op, ts) : GREEN_NEVER;
    if ((bitset && val3 == 0) || (uintptr_t)addr % 4)
        return -EINVAL;
    /* A private wake looks the word up by address only, never touching it. */
    if (!addr && (wait || !(op & FUTEX_PRIVATE_FLAG)))
        return -EFAULT;
    uint32_t mask = bitset ? val3 : GREEN__FUTEX_ALL;
    /* A signal handler: an untimed wait restarts under SA_RESTART, a
     * timed one gives EINTR (the kernel's ERESTART_RESTARTBLOCK). */
    int intr = ts ? GREEN__EINTR : GREEN__ERESTART;
    if (wait)
        return green__futex_wait_on(addr, val, deadline, mask,
                                    GREEN__NOCANCEL | intr);
    /* The kernel wakes one waiter for a count of 0 or less. */
    return green__futex_wake(addr, (int)val > 0 ? (int)val : 1, mask);
}

/* Six argument registers, read and forwarded whatever the call, as
 * glibc's syscall does. An int argument leaves the upper half of its
 * register undefined: the kernel reads op, val and val3 as 32 bits, and
 * so does this. The last reads come from the caller's stack when it
 * passed fewer: by design, so not for ASan to report. */
GREEN__INTERPOSE GREEN__NO_ASAN long syscall(long number, ...)
{
    va_list ap;
    long a[6];
    va_start(ap, number);
    for (int i = 0; i < 6; i++)
        a[i] = va_arg(ap, long);
    va_end(ap);
    if (number == SYS_futex && green_op((int)a[1]) && green__sync_gate())
        return green__set_errno(futex((const volatile uint32_t *)a[0],
                                      (int)a[1], (uint32_t)a[2],
                                      (const struct timespec *)a[3],
                                      (uint32_t)a[5]));
    long r;
    if (green__tid_syscall(number, a, &r))
        return r;
    return green__reals()->syscall(number, a[0], a[1], a[2], a[3], a[4], a[5]);
}
