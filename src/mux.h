/* The multiplexers made green: poll, select and epoll_wait park the green
 * thread on every fd they name, then ask the kernel again with a zero
 * timeout, so results (revents, fd sets, POLLNVAL, EBADF) are always the
 * kernel's own. At the deadline they ask once more, as the kernel does.
 *
 * Not handled: events libev cannot wait for separately (POLLPRI alone,
 * no events at all) are waited for as readability, so such a wait may
 * wake and ask again more often than needed; signal masks (ppoll,
 * pselect, epoll_pwait with a mask) go to the real call. */
#ifndef GREEN_SRC_MUX_H
#define GREEN_SRC_MUX_H

#include <poll.h>
#include <stdint.h>
#include <sys/select.h>
#include <time.h>

/* poll(fds, n, deadline) parked. Returns the count, or -errno. May yield. */
int green__poll(struct pollfd *fds, nfds_t n, int64_t deadline);

/* select(n, r, w, e, deadline) parked. Returns the count, or -errno.
 * May yield. */
int green__select(int n, fd_set *r, fd_set *w, fd_set *e, int64_t deadline);

/* For epoll_wait: parks until fd is readable or the deadline passes.
 * Returns 0 (ask again), 1 (deadline passed: ask one last time) or
 * -EINTR (green_kill, a signal handler). May yield. */
int green__poll_one(int fd, int64_t deadline);

#endif
