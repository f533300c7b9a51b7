/* poll, select and epoll_wait parked; see mux.h. */
#include "mux.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cancel.h"
#include "common.h"
#include "green.h"
#include "ready.h"
#include "real.h"
#include "wait.h"

/* Parks after the waiters are added, then removes them. Returns 0 (ask
 * again), 1 (the deadline passed) or -EINTR (a kill, or a signal handler:
 * the kernel never restarts these calls). The handler runs later, in
 * cancelled(), once nothing is held (GREEN__LATE): it may siglongjmp. */
static int park(struct green__fdwait *w, size_t n, int64_t deadline)
{
    green__wait_why(GREEN__WHY_POLL, NULL, (int64_t)n);
    int r = green__park_flags(deadline, GREEN__EINTR | GREEN__LATE);
    for (size_t i = 0; i < n; i++)
        green__fdwait_del(&w[i]);
    if (r == 0 && green__park_pending())
        r = -EINTR;  /* a handler left pending before the park */
    return r == -ETIMEDOUT ? 1 : r == -ECANCELED || r == -EINTR ? -EINTR : 0;
}

/* The end of a wait, once nothing is held: the handlers of the signals
 * that ended it run, and a pthread_cancel acts where a kill interrupted
 * it. */
static int cancelled(int r)
{
    green__park_raise();
    if (r == -EINTR)
        green__testcancel();
    return r;
}

static int poll_events(short events)
{
    int ev = (events & (POLLOUT | POLLWRNORM | POLLWRBAND)) ? GREEN_OUT : 0;
    if ((events & ~(POLLOUT | POLLWRNORM | POLLWRBAND)) || !ev)
        ev |= GREEN_IN;  /* see mux.h: POLLPRI or no events */
    return ev;
}

int green__poll(struct pollfd *fds, nfds_t n, int64_t deadline)
{
    green__testcancel();  /* poll, select, epoll_wait: cancellation points */
    struct green__fdwait small[16];
    struct green__fdwait *w = n <= 16 ? small : calloc(n, sizeof *w);
    if (!w)
        return -ENOMEM;
    int r;
    for (bool last = false;; last = r == 1) {
        r = green__real.poll(fds, n, 0);
        if (r < 0)
            r = -errno;
        if (r != 0 || last)
            break;
        size_t added = 0;
        for (nfds_t i = 0; i < n; i++) {
            if (fds[i].fd >= 0 &&
                green__fdwait_add(&w[added], fds[i].fd,
                                  poll_events(fds[i].events)) == 0)
                added++;
        }
        if ((r = park(w, added, deadline)) < 0)
            break;
    }
    if (w != small)
        free(w);
    return cancelled(r);
}

/* The bytes of an fd_set that select(n, ...) reads: whole longs. */
static size_t set_bytes(int n)
{
    return ((size_t)n + 8 * sizeof(long) - 1) / (8 * sizeof(long)) *
           sizeof(long);
}

static int select_add(struct green__fdwait *w, int n, fd_set *r, fd_set *wr,
                      fd_set *e)
{
    int added = 0;
    for (int fd = 0; fd < n; fd++) {
        int ev = (r && FD_ISSET(fd, r)) || (e && FD_ISSET(fd, e)) ? GREEN_IN
                                                                 : 0;
        if (wr && FD_ISSET(fd, wr))
            ev |= GREEN_OUT;
        if (ev && green__fdwait_add(&w[added], fd, ev) == 0)
            added++;
    }
    return added;
}

int green__select(int n, fd_set *r, fd_set *w, fd_set *e, int64_t deadline)
{
    green__testcancel();
    if (n < 0)
        return -EINVAL;
    size_t bytes = set_bytes(n);
    fd_set *sets[3] = {r, w, e};
    char *copy = malloc(3 * bytes + 1);
    struct green__fdwait *ws = calloc((size_t)n + 1, sizeof *ws);
    int res = -ENOMEM;
    if (!copy || !ws)
        goto out;
    for (int i = 0; i < 3; i++)
        if (sets[i])
            memcpy(copy + i * bytes, sets[i], bytes);
    for (bool last = false;; last = res == 1) {
        for (int i = 0; i < 3; i++)
            if (sets[i])
                memcpy(sets[i], copy + i * bytes, bytes);
        struct timeval zero = {0, 0};
        res = green__real.select(n, r, w, e, &zero);
        if (res < 0)
            res = -errno;
        if (res != 0 || last)
            break;
        /* The kernel cleared the sets: wait on the program's copies. */
        fd_set *orig[3];
        for (int i = 0; i < 3; i++)
            orig[i] = sets[i] ? (fd_set *)(copy + i * bytes) : NULL;
        int added = select_add(ws, n, orig[0], orig[1], orig[2]);
        if ((res = park(ws, (size_t)added, deadline)) < 0)
            break;
    }
out:
    free(copy);
    free(ws);
    return cancelled(res);
}

int green__poll_one(int fd, int64_t deadline)
{
    green__testcancel();
    struct green__fdwait w;
    if (green__fdwait_add(&w, fd, GREEN_IN) < 0)
        return 1;  /* the next call reports the error */
    return cancelled(park(&w, 1, deadline));
}
