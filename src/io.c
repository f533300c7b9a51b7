/* Blocking fd calls made green; see io.h. */
#include "io.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cancel.h"
#include "clock.h"
#include "common.h"
#include "fdtab.h"
#include "futex.h"
#include "hub.h"
#include "mux.h"
#include "ready.h"
#include "wait.h"


/* Waits until fd is ready for events: a poll first, since the fd may be
 * ready already and the watcher would only report it an iteration later.
 * flags: which signal handlers end the wait (intr.h). Returns 0 or
 * -errno. */
static int ready(int fd, int events, int64_t deadline, int flags)
{
    short want = (short)((events & GREEN_IN ? POLLIN : 0) |
                         (events & GREEN_OUT ? POLLOUT : 0));
    for (;;) {
        struct pollfd p = {.fd = fd, .events = want};
        if (green__real.poll(&p, 1, 0) != 0)
            return 0;  /* ready, or an error the real call will report */
        int r = green__wait_fd_flags(fd, events, deadline, flags);
        if (r == -ECANCELED)
            green__testcancel();  /* a pthread_cancel acts here */
        if (r < 0)
            return r;
    }
}

/* The interruptions a blocking socket call takes: the kernel restarts it
 * under SA_RESTART, except on a socket with a timeout (signal(7)). */
static int intr_flags(int64_t timeo)
{
    return timeo ? GREEN__EINTR : GREEN__ERESTART;
}

/* The result of a failed wait: a passed SO_*TIMEO reads as -EAGAIN. */
static int fail(int r, int64_t deadline)
{
    if (r == -ECANCELED)
        green__testcancel();  /* a pthread_cancel acts here */
    if (r == -ETIMEDOUT && deadline >= 0 && green_now() >= deadline)
        r = -EAGAIN;
    return r;
}

static int64_t deadline_after(int64_t timeo)
{
    return timeo ? green_now() + timeo : GREEN_NEVER;
}

bool green__io_gate_full(struct green__io *io, int fd, int events)
{
    struct green__fdinfo fi;
    if (green__fd_internal(fd) || green__fd_info(fd, &fi) < 0 ||
        (fi.info & GREEN__FD_NONBLOCK))
        return false;
    switch (fi.info & GREEN__FD_KIND) {
    case GREEN__FD_SOCKET:
    case GREEN__FD_PIPE:
        green__io_start(io, fd, events, green__fd_peek(fd), fi.info,
                        fi.rcvtimeo, fi.sndtimeo);
        return true;
    case GREEN__FD_FILE:
        return false;
    default:
        /* Errors: the call reports them. */
        ready(fd, events, GREEN_NEVER, GREEN__ERESTART);
        return false;
    }
}

/* The read order (green__io_read_order): after WAIT_AFTER reads in a
 * row found nothing at their first try, reads wait first; every
 * PROBE_EVERY-th of those tries first instead, and goes back to trying
 * first if it finds data. The fd's streak counts both: below WAIT_AFTER
 * the failed first tries, from there the waits first. */
#define WAIT_AFTER 2
#define PROBE_EVERY 32

int green__io_read_order(struct green__io *io, size_t len)
{
    struct green__fd *e = io->entry;
    if (!e || !len || io->timeo)
        return 0;
    unsigned s = atomic_load_explicit(&e->streak, memory_order_relaxed);
    if (s < WAIT_AFTER || s + 1 >= WAIT_AFTER + PROBE_EVERY) {
        /* Try first. Zero unless the try fails: green__io_wait counts
         * that failure on from WAIT_AFTER - 1 for a probe, which keeps
         * the fd waiting first. */
        io->streak = s < WAIT_AFTER ? (int)s : WAIT_AFTER - 1;
        if (s)
            atomic_store_explicit(&e->streak, 0, memory_order_relaxed);
        return 0;
    }
    atomic_store_explicit(&e->streak, (unsigned char)(s + 1),
                          memory_order_relaxed);
    io->deadline = GREEN_NEVER;  /* no timeout (above) */
    int r = green__wait_fd_flags(io->fd, GREEN_IN, io->deadline,
                                 intr_flags(0));
    if (r == -EBADF)
        return r;
    if (r == -ECANCELED)
        green__cancel_keep();  /* for the next park: the wait after a try
                                  that finds nothing */
    else if (r < 0)
        io->early = r;  /* the try decides: data now wins, as in a call
                           made a moment later */
    return 0;
}

/* green__io_wait with the interruptions it takes. */
static int io_wait(struct green__io *io, int flags)
{
    int err = errno;  /* the failed call's, read before anything yields */
    if (err != EAGAIN)
        return -err;
    if (io->streak >= 0) {  /* a read's first try found nothing */
        atomic_store_explicit(&io->entry->streak,
                              (unsigned char)(io->streak + 1),
                              memory_order_relaxed);
        io->streak = -1;
    }
    if (io->early) {
        int r = io->early;
        io->early = 0;
        return fail(r, io->deadline);
    }
    if (io->deadline == GREEN__IO_UNSET)
        io->deadline = deadline_after(io->timeo);
    int r = green__wait_fd_flags(io->fd, io->events, io->deadline, flags);
    if (r < 0)
        return fail(r, io->deadline);
    errno = io->errno_in;
    return 0;
}

int green__io_wait(struct green__io *io)
{
    return io_wait(io, intr_flags(io->timeo));
}

/* The wait of a call that has transferred something already: any
 * handler ends it, and the call returns its count (the kernel never
 * restarts a call that made progress). */
static int io_wait_more(struct green__io *io)
{
    return io_wait(io, GREEN__EINTR);
}

/* The accept lock. Green threads on several hubs that accept on one
 * listening socket take turns, as goroutines do on a listener's fd mutex:
 * between its poll and its blocking accept no other hub may take the
 * connection (the loser's accept would block its hub's OS thread), and
 * only the holder waits in its hub's epoll, so a connection wakes one hub
 * rather than every hub (libev cannot ask for EPOLLEXCLUSIVE). Until a
 * second hub exists there is no other hub, and no lock; a thread that
 * polled just before the second hub's first accept could still race it. */
static const volatile uint32_t *accept_word(struct green__fd *e)
{
    return (const volatile uint32_t *)&e->accepting;
}

/* Returns 0 (held), 1 (not held: a signal's handler is to run first,
 * GREEN__LATE) or -errno. */
static int accept_lock(struct green__fd *e, int fd, int64_t deadline,
                       int flags)
{
    unsigned free = 0;
    if (atomic_compare_exchange_strong(&e->accepting, &free, 1))
        return 0;
    while (atomic_exchange(&e->accepting, 2) != 0) {
        green__wait_why(GREEN__WHY_FD, NULL, fd);  /* the dump: accept */
        int r = green__futex_wait(accept_word(e), 2, deadline,
                                  GREEN__FUTEX_ALL,
                                  flags | GREEN__WHY | GREEN__LATE);
        if (r < 0 && r != -EAGAIN)
            return r;
        if (green__park_pending())
            return 1;  /* what it swapped in (2) costs a wake at most */
    }
    return 0;
}

static void accept_unlock(struct green__fd *e)
{
    if (atomic_exchange(&e->accepting, 0) == 2)
        green__futex_wake(accept_word(e), 1, GREEN__FUTEX_ALL);
}

int green__io_accept_ready(int fd, int flags)
{
    struct green__fdinfo fi;
    if ((flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) || !green__gate() ||
        green__fd_internal(fd) || green__fd_info(fd, &fi) < 0 ||
        (fi.info & GREEN__FD_NONBLOCK) ||
        (fi.info & GREEN__FD_KIND) != GREEN__FD_SOCKET)
        return 0;  /* the real call, which may fail at once */
    green__testcancel();
    int64_t deadline = deadline_after(fi.rcvtimeo);
    int wflags = intr_flags(fi.rcvtimeo);
    struct green__fd *e = green__fd_entry(fd);  /* made by fd_info */
    bool held = false;
    /* Handlers run with the lock let go (GREEN__LATE), so that one that
     * leaves with siglongjmp leaves the socket to the others. */
    for (bool checked = false;;) {
        if (!held && e && atomic_load_explicit(&green__hub_many,
                                               memory_order_relaxed)) {
            int r = accept_lock(e, fd, deadline, wflags);
            if (r != 0)
                green__park_raise();
            if (r < 0)
                return fail(r, deadline);
            if (r > 0)
                continue;  /* the handler ran: the wait goes on */
            held = true;
        }
        if (held && green__park_pending()) {
            accept_unlock(e);
            held = false;
            green__park_raise();  /* then the wait goes on, or EINTR */
            continue;
        }
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (green__real.poll(&p, 1, 0) != 0)
            return held;
        /* Only a listening socket ever becomes ready for accept; on any
         * other the call fails at once (EINVAL, EOPNOTSUPP). */
        int on = 0;
        socklen_t len = sizeof on;
        if (!checked && (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) < 0 ||
                         !on))
            return held;
        checked = true;
        int r = green__wait_fd_flags(fd, GREEN_IN, deadline,
                                     wflags | GREEN__LATE);
        if (r < 0) {
            if (held)
                accept_unlock(e);  /* before a cancel acts in fail() */
            green__park_raise();
            return fail(r, deadline);
        }
        if (!held)
            green__park_raise();
    }
}

void green__io_accept_done(int fd, int held)
{
    struct green__fd *e = held > 0 ? green__fd_peek(fd) : NULL;
    if (e) {
        int saved = errno;  /* the real accept's */
        accept_unlock(e);
        errno = saved;
    }
}

/* Drops the first n bytes of the n-entry vector *v. */
static void advance(struct iovec **v, int *cnt, size_t n)
{
    while (*cnt > 0 && n >= (*v)->iov_len) {
        n -= (*v)->iov_len;
        (*v)++;
        (*cnt)--;
    }
    if (*cnt > 0) {
        (*v)->iov_base = (char *)(*v)->iov_base + n;
        (*v)->iov_len -= n;
    }
}

/* One non-blocking step of the rest of a call. */
static ssize_t step(struct green__io *io, struct iovec *v, int cnt, int flags)
{
    if ((io->info & GREEN__FD_KIND) == GREEN__FD_PIPE)
        return io->events == GREEN_IN
                   ? green__real.preadv2(io->fd, v, cnt, -1, RWF_NOWAIT)
                   : green__real.pwritev2(io->fd, v, cnt, -1, RWF_NOWAIT);
    struct msghdr m = {.msg_iov = v, .msg_iovlen = (size_t)cnt};
    /* What is sent so far is the call's result: an error now is the next
     * call's, and raises SIGPIPE there, as in the kernel. */
    return io->events == GREEN_IN
               ? green__real.recvmsg(io->fd, &m, flags | MSG_DONTWAIT)
               : green__real.sendmsg(io->fd, &m,
                                     flags | MSG_DONTWAIT | MSG_NOSIGNAL);
}

ssize_t green__io_rest_more(struct green__io *io, const struct iovec *iov,
                            int cnt, ssize_t done, int flags)
{
    size_t total = 0;
    for (int i = 0; i < cnt; i++)
        total += iov[i].iov_len;
    if (done <= 0 || (size_t)done >= total || !(io->info & GREEN__FD_STREAM))
        return done;
    if (io->events == GREEN_IN &&
        (flags & (MSG_WAITALL | MSG_PEEK)) != MSG_WAITALL)
        return done;
    int saved = errno;
    struct iovec small[8];
    struct iovec *copy = cnt <= 8 ? small : malloc((size_t)cnt * sizeof *copy);
    if (!copy)
        return done;
    memcpy(copy, iov, (size_t)cnt * sizeof *copy);
    struct iovec *v = copy;
    advance(&v, &cnt, (size_t)done);
    while (cnt > 0) {
        ssize_t n = step(io, v, cnt, flags);
        if (n > 0) {
            done += n;
            advance(&v, &cnt, (size_t)n);
        } else if (n == 0 || io_wait_more(io) < 0) {
            break;  /* EOF, an error, the timeout: keep what we have */
        }
    }
    if (copy != small)
        free(copy);
    errno = saved;
    return done;
}

int green__io_connect(struct green__io *io, __CONST_SOCKADDR_ARG addr,
                      socklen_t len)
{
    int fd = io->fd;
    int fl = green__real.fcntl(fd, F_GETFL);
    if (fl < 0 || green__real.fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
        return -errno;
    int r = green__real.connect(fd, addr, len);
    int e = r < 0 ? errno : 0;
    green__real.fcntl(fd, F_SETFL, fl);
    if (e == EAGAIN)  /* UNIX backlog full: nothing to poll for */
        return green__real.connect(fd, addr, len) < 0 ? -errno : 0;
    /* EALREADY: an earlier connect was interrupted and the attempt goes
     * on; a blocking connect waits for it again. */
    if (e != EINPROGRESS && e != EALREADY)
        return -e;
    int64_t deadline = deadline_after(io->timeo);
    r = ready(fd, GREEN_OUT, deadline, intr_flags(io->timeo));
    if (r < 0)
        return r == -ETIMEDOUT && green_now() >= deadline ? -e : r;
    /* Finish as the kernel's blocking connect does: a second connect sees
     * the outcome, reports its error and leaves the socket connected or
     * unconnected (reading SO_ERROR would leave it "connecting"). */
    if (green__real.connect(fd, addr, len) == 0 || errno == EISCONN)
        return 0;
    return -errno;
}

void green__io_closing(int fd)
{
    if (!green__io_tracking())
        return;
    green__hub_fd_closing(fd);
    green__fd_closed(fd);
}

void green__io_closing_range(unsigned first, unsigned last, int *keep)
{
    *keep = -1;
    if (!green__io_tracking())
        return;
    /* Only fds the table reaches can have waiters or be libgreen's: walk
     * its chunks, not the range, which is often 3 to ~0U. */
    struct green__fdtop *t = atomic_load(&green__fdtab);
    size_t n = t ? t->n : 0;
    for (size_t c = first / GREEN__FD_CHUNK; c < n; c++) {
        if (!atomic_load(&t->c[c]))
            continue;
        size_t lo = c * GREEN__FD_CHUNK, hi = lo + GREEN__FD_CHUNK;
        for (size_t fd = lo < first ? first : lo; fd < hi; fd++) {
            if (fd > last)
                return;
            if (green__fd_internal((int)fd)) {
                *keep = (int)fd;
                return;
            }
            green__io_closing((int)fd);
        }
    }
}

void green__io_accepted(int lfd, int fd, bool nonblock)
{
    struct green__fdinfo fi;
    if (fd < 0 || !green__io_tracking())
        return;
    if (green__fd_info(lfd, &fi) < 0)
        {
        green__fd_made(fd, 0, false);
        return;
    }
    unsigned info = GREEN__FD_SOCKET | (fi.info & GREEN__FD_STREAM) |
                    (nonblock ? GREEN__FD_NONBLOCK : 0);
    green__fd_made(fd, info, false);
    green__fd_set_timeo(fd, SO_RCVTIMEO, fi.rcvtimeo);
    green__fd_set_timeo(fd, SO_SNDTIMEO, fi.sndtimeo);
}

int green__io_recvmmsg(struct green__io *io, struct mmsghdr *vec,
                       unsigned vlen, int flags, struct timespec *timeout)
{
    int64_t deadline = green__deadline_ts(timeout);
    int saved = errno, r = 0;
    unsigned got = 0;
    while (got < vlen) {
        /* The kernel checks what is left of the timeout after each
         * datagram: a zero timeout takes one. */
        struct timespec left = green__remaining(deadline);
        int n = green__real.recvmmsg(io->fd, vec + got, vlen - got,
                                     flags | MSG_DONTWAIT,
                                     timeout ? &left : NULL);
        if (n > 0) {
            got += (unsigned)n;
            if ((flags & MSG_WAITFORONE) || (timeout && green_now() >= deadline))
                break;
        } else if (got && errno != EAGAIN) {
            break;
        } else if ((r = got ? io_wait_more(io) : green__io_wait(io)) < 0) {
            break;
        }
    }
    if (!got)
        return r;
    if (timeout)
        *timeout = green__remaining(deadline);
    errno = saved;
    return (int)got;
}

int green__io_sendmmsg(struct green__io *io, struct mmsghdr *vec,
                       unsigned vlen, int flags)
{
    int saved = errno, r = 0;
    unsigned sent = 0;
    while (sent < vlen) {
        int n = green__real.sendmmsg(io->fd, vec + sent, vlen - sent,
                                     flags | MSG_DONTWAIT);
        if (n > 0) {
            sent += (unsigned)n;
            struct mmsghdr *last = &vec[sent - 1];
            last->msg_len = (unsigned)green__io_rest(
                io, last->msg_hdr.msg_iov, (int)last->msg_hdr.msg_iovlen,
                last->msg_len, flags);
        } else if (sent && errno != EAGAIN) {
            break;
        } else if ((r = sent ? io_wait_more(io) : green__io_wait(io)) < 0) {
            break;
        }
    }
    if (!sent)
        return r;
    errno = saved;
    return (int)sent;
}
