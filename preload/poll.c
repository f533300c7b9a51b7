/* The multiplexers. Shape "multiplexer": a zero timeout, or a caller
 * that may not park, gets the real call; otherwise src/mux.c asks the
 * kernel with a zero timeout and parks between the asks. Timeouts are
 * checked here first, as glibc and the kernel check them before anything
 * else. A signal mask goes to the real call (see mux.h). */
#include "clock.h"
#include "interpose.h"
#include "intr.h"
#include "sigmask.h"

#include <errno.h>

static bool ts_bad(const struct timespec *ts)
{
    return ts && (ts->tv_sec < 0 || ts->tv_nsec < 0 ||
                  ts->tv_nsec >= GREEN__NS_PER_S);
}

GREEN__INTERPOSE int poll(struct pollfd *fds, nfds_t n, int timeout)
{
    if (!green__gate() || timeout == 0)
        return green__real.poll(fds, n, timeout);
    return (int)green__set_errno(
        green__poll(fds, n, green__deadline_ms(timeout)));
}

GREEN__INTERPOSE int __poll_chk(struct pollfd *fds, nfds_t n, int timeout,
                                size_t fdslen)
{
    if (fdslen / sizeof *fds < n)
        __chk_fail();
    return poll(fds, n, timeout);
}

/* The calls that install a sigmask for their wait: the calling green
 * thread's own mask is set to it meanwhile (sigmask.h), and the thread
 * takes the process's signals while it waits (green__intr_listen), so a
 * handler that the mask lets through ends the wait with EINTR, whichever
 * green thread runs when it arrives. A signal already pending on the
 * thread alone that the mask unblocks ends the call at once. Without the
 * gate, the real call, which installs the mask in the kernel. */
static int masked_intr(struct green__sigsave *sv)
{
    green__sigmask_restore(sv);
    return (int)green__set_errno(-EINTR);
}

static int masked_done(struct green__sigsave *sv, int r)
{
    green__sigmask_restore(sv);
    return r;
}

/* A green wait (r = its -errno or count) as the thread that listens. */
#define MASKED_GREEN(sv, wait)                  \
    do {                                        \
        bool listed_ = green__intr_listen();    \
        long r_ = (wait);                       \
        green__intr_unlisten(listed_);          \
        green__sigmask_restore(&(sv));          \
        return (int)green__set_errno(r_);       \
    } while (0)

GREEN__INTERPOSE int ppoll(struct pollfd *fds, nfds_t n,
                           const struct timespec *timeout,
                           const sigset_t *mask)
{
    struct green__sigsave sv;
    if (green__sigmask_install(mask, &sv))
        return masked_intr(&sv);
    if (!green__gate() || ts_bad(timeout) ||
        (timeout && !timeout->tv_sec && !timeout->tv_nsec))
        return masked_done(&sv, green__real.ppoll(fds, n, timeout, mask));
    MASKED_GREEN(sv, green__poll(fds, n, green__deadline_ts(timeout)));
}

GREEN__INTERPOSE int __ppoll_chk(struct pollfd *fds, nfds_t n,
                                 const struct timespec *timeout,
                                 const sigset_t *mask, size_t fdslen)
{
    if (fdslen / sizeof *fds < n)
        __chk_fail();
    return ppoll(fds, n, timeout, mask);
}

/* select: Linux writes the time left back into *timeout. */
GREEN__INTERPOSE int select(int n, fd_set *r, fd_set *w, fd_set *e,
                            struct timeval *timeout)
{
    if (!green__gate() || (timeout && (timeout->tv_sec < 0 ||
                                       timeout->tv_usec < 0 ||
                                       (!timeout->tv_sec && !timeout->tv_usec))))
        return green__real.select(n, r, w, e, timeout);
    struct timespec ts = {0, 0}, *tsp = NULL;
    if (timeout) {
        ts.tv_sec = timeout->tv_sec + timeout->tv_usec / 1000000;
        ts.tv_nsec = timeout->tv_usec % 1000000 * 1000;
        tsp = &ts;
    }
    int64_t deadline = green__deadline_ts(tsp);
    int res = green__select(n, r, w, e, deadline);
    if (timeout) {
        ts = green__remaining(deadline);
        timeout->tv_sec = ts.tv_sec;
        timeout->tv_usec = ts.tv_nsec / 1000;
    }
    return (int)green__set_errno(res);
}

/* pselect: glibc keeps *timeout as it was. */
GREEN__INTERPOSE int pselect(int n, fd_set *r, fd_set *w, fd_set *e,
                             const struct timespec *timeout,
                             const sigset_t *mask)
{
    struct green__sigsave sv;
    if (green__sigmask_install(mask, &sv))
        return masked_intr(&sv);
    if (!green__gate() || ts_bad(timeout) ||
        (timeout && !timeout->tv_sec && !timeout->tv_nsec))
        return masked_done(&sv, green__real.pselect(n, r, w, e, timeout, mask));
    MASKED_GREEN(sv, green__select(n, r, w, e, green__deadline_ts(timeout)));
}

/* The epoll fd is itself pollable: park until it is readable. Returns
 * the count or -errno. */
static int epoll_green(int epfd, struct epoll_event *ev, int max,
                       int64_t deadline)
{
    for (int last = 0;;) {
        int n = green__real.epoll_wait(epfd, ev, max, 0);
        if (n < 0)
            return -errno;
        if (n != 0 || last)
            return n;
        if ((last = green__poll_one(epfd, deadline)) < 0)
            return last;
    }
}

GREEN__INTERPOSE int epoll_wait(int epfd, struct epoll_event *ev, int max,
                                int timeout)
{
    if (!green__gate() || timeout == 0)
        return green__real.epoll_wait(epfd, ev, max, timeout);
    return (int)green__set_errno(
        epoll_green(epfd, ev, max, green__deadline_ms(timeout)));
}

GREEN__INTERPOSE int epoll_pwait(int epfd, struct epoll_event *ev, int max,
                                 int timeout, const sigset_t *mask)
{
    struct green__sigsave sv;
    if (green__sigmask_install(mask, &sv))
        return masked_intr(&sv);
    if (!green__gate() || timeout == 0)
        return masked_done(&sv, green__real.epoll_pwait(epfd, ev, max,
                                                        timeout, mask));
    MASKED_GREEN(sv, epoll_green(epfd, ev, max, green__deadline_ms(timeout)));
}

GREEN__INTERPOSE int epoll_pwait2(int epfd, struct epoll_event *ev, int max,
                                  const struct timespec *timeout,
                                  const sigset_t *mask)
{
    struct green__sigsave sv;
    if (green__sigmask_install(mask, &sv))
        return masked_intr(&sv);
    if (!green__gate() || ts_bad(timeout) ||
        (timeout && !timeout->tv_sec && !timeout->tv_nsec))
        return masked_done(&sv, green__real.epoll_pwait2(epfd, ev, max,
                                                         timeout, mask));
    MASKED_GREEN(sv, epoll_green(epfd, ev, max, green__deadline_ts(timeout)));
}
