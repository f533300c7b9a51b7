/* Blocking fd calls made green: the gates and waits the fd wrappers use.
 *
 * A wrapped call on a pipe or socket is made non-blocking for this one
 * call (RWF_NOWAIT, MSG_DONTWAIT), never by setting O_NONBLOCK, which
 * belongs to the open file description and so to other fds and processes
 * too (docs/design.md G8). When it would block, the green thread parks until
 * the fd is ready and tries again. ttys and other devices cannot be asked
 * per call: for them the wait comes first, then the blocking call (which
 * may still block its OS thread if another reader wins the race). Regular
 * files never wait here. */
#ifndef GREEN_SRC_IO_H
#define GREEN_SRC_IO_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "cancel.h"
#include "common.h"
#include "fdtab.h"
#include "hub.h"

/* The largest count read(2) and write(2) transfer (MAX_RW_COUNT): above
 * it they check the whole buffer, readv(2) a clamped one, so the wrappers
 * leave such calls alone. */
#define GREEN__MAX_RW ((size_t)0x7ffff000)

#define GREEN__IO_UNSET (-2)  /* green__io.deadline before the first wait */

/* A wrapped fd call in progress. */
struct green__io {
    int fd;
    int events;        /* GREEN_IN or GREEN_OUT */
    unsigned info;     /* the fd's GREEN__FD_* bits */
    int64_t timeo;     /* SO_RCVTIMEO or SO_SNDTIMEO (ns), 0 for none */
    int64_t deadline;  /* set at the first wait */
    int errno_in;      /* errno before the call: a call that succeeds
                          after a wait leaves it, as the blocking call
                          would, not the EAGAIN of its first try */
    int early;         /* green__io_read_order's failed wait, which the
                          first try that would block returns (or 0) */
    int streak;        /* the fd's streak before this read tried first,
                          or -1 (io.c) */
    struct green__fd *entry;  /* the fd's table entry, or NULL */
};

/* The gate of the fd wrappers. Returns true when the call is to be made
 * green: the caller then makes it non-blocking for this once and calls
 * green__io_wait() when it fails. Returns false when the caller should
 * make the real call unchanged: green__gate() said no, or the fd is a
 * regular file, the program's O_NONBLOCK, libgreen's own, not open, or a
 * tty or device (then it has waited for readiness already). */
static inline bool green__io_gate(struct green__io *io, int fd,
                                  int events);

/* The gate's path for an fd not in the table's cache, or not a socket
 * or pipe of the program's: called after green__gate() and the
 * cancellation point. */
bool green__io_gate_full(struct green__io *io, int fd, int events);

/* Fills io for a green call on fd, of the kind and timeouts in e. */
static inline void green__io_start(struct green__io *io, int fd, int events,
                                   struct green__fd *e, unsigned info,
                                   int64_t rcvtimeo, int64_t sndtimeo)
{
    io->fd = fd;
    io->events = events;
    io->info = info;
    io->timeo = events == GREEN_IN ? rcvtimeo : sndtimeo;
    io->deadline = GREEN__IO_UNSET;
    io->errno_in = errno;
    io->early = 0;
    io->streak = -1;
    io->entry = e;
}

/* Inline for the common case, a cached socket or pipe of the program's
 * in blocking mode: one look at its table entry. */
static inline bool green__io_gate(struct green__io *io, int fd, int events)
{
    if (!green__gate())
        return false;
    green__testcancel();  /* each of these calls is a cancellation point */
    struct green__fd *e = green__fd_peek(fd);
    if (green__unlikely(!e || !green__fd_valid(e)))
        return green__io_gate_full(io, fd, events);
    unsigned info = atomic_load_explicit(&e->info, memory_order_relaxed);
    unsigned kind = info & GREEN__FD_KIND;
    if (green__unlikely((info & GREEN__FD_NONBLOCK) ||
                        (kind != GREEN__FD_SOCKET && kind != GREEN__FD_PIPE) ||
                        atomic_load_explicit(&e->internal,
                                             memory_order_relaxed)))
        return green__io_gate_full(io, fd, events);
    green__io_start(io, fd, events, e, info,
                    atomic_load_explicit(&e->rcvtimeo, memory_order_relaxed),
                    atomic_load_explicit(&e->sndtimeo, memory_order_relaxed));
    return true;
}

/* Before the first try of a read of len bytes into one buffer (read,
 * recv and recvfrom without MSG_OOB or MSG_ERRQUEUE, whose buffer the
 * kernel looks at only once data is there: the vector forms fail at once
 * on a bad vector, so they try first always): on an fd
 * whose last reads found nothing at their first try, parks until it is
 * readable first, which saves the try that would fail (a request-response
 * server's read right after its write). The call is the same either way,
 * tried non-blocking and then waited for; only when it is first tried
 * changes, as if the blocking call had been made a moment later. Every
 * so often a read tries first again, and one that finds data at once
 * goes back to trying first. Never on a zero-length read (the kernel
 * returns at once), or with SO_RCVTIMEO (the try comes first, as the
 * timeout counts from the call). Returns 0 (now try), or -EBADF when
 * the fd was closed meanwhile (return that, no try: its number may name
 * another file now). Another failure of the wait (a signal handler, a
 * green_timeout) is kept for the first try that would block, which
 * green__io_wait then reports as its own; a kill or pthread_cancel is
 * put back for the park after that try. May yield. */
int green__io_read_order(struct green__io *io, size_t len);

/* Called right after the non-blocking call failed: reads errno as the
 * call left it, and writes none. Returns that -errno unless it was
 * EAGAIN. Otherwise parks until the fd is ready (returns 0: try again) or
 * the wait fails: -EAGAIN (SO_RCVTIMEO/SO_SNDTIMEO passed, as the kernel
 * says), -EBADF (another thread closed the fd), -ETIMEDOUT (a
 * green_timeout scope ended), -ECANCELED (green_kill) or -EINTR (a signal
 * handler ran for this thread: always on a socket with that timeout, else
 * only without SA_RESTART, as the kernel; intr.h). The wrapper turns a
 * failure into -1 and errno with green__set_errno(). May yield. */
int green__io_wait(struct green__io *io);

/* After a green call on a pipe or stream socket transferred done bytes
 * of iov: a blocking write goes on until everything is written, and a
 * blocking MSG_WAITALL read (without MSG_PEEK) until the buffer is full. This goes on the
 * same way, waiting as needed, with `flags` for sendmsg/recvmsg (sockets;
 * pipes use RWF_NOWAIT). Returns the total, or the count so far if an
 * error, EOF, the timeout or a kill stops it (the error is then the next
 * call's, as the kernel does). Returns done at once for other fds. */
ssize_t green__io_rest_more(struct green__io *io, const struct iovec *iov,
                            int cnt, ssize_t done, int flags);
static inline ssize_t green__io_rest(struct green__io *io,
                                    const struct iovec *iov, int cnt,
                                    ssize_t done, int flags)
{
    /* Inline for what nearly every call is: all of one buffer, or none. */
    if (done <= 0 || !(io->info & GREEN__FD_STREAM) ||
        (cnt == 1 && (size_t)done >= iov[0].iov_len))
        return done;
    return green__io_rest_more(io, iov, cnt, done, flags);
}

/* recvmmsg and sendmmsg after the gate, with the kernel's rules: a
 * blocking recvmmsg waits for each datagram until vlen are in, unless
 * MSG_WAITFORONE stops it after the first; `timeout` is checked only after
 * each datagram, and what is left of it written back. A blocking sendmmsg
 * sends each message as a blocking sendmsg would. An error after some
 * messages returns their count, errno as the caller had it. Return -errno
 * as green__io_wait() does when none went (0 for vlen 0, as the kernel).
 * May yield. */
int green__io_recvmmsg(struct green__io *io, struct mmsghdr *vec,
                       unsigned vlen, int flags, struct timespec *timeout);
int green__io_sendmmsg(struct green__io *io, struct mmsghdr *vec,
                       unsigned vlen, int flags);

/* accept cannot be made non-blocking one call at a time: if the call is
 * to be green, this waits until listening socket fd has a connection,
 * then the caller makes the real call (which may still block its OS
 * thread if another process sharing the socket takes the connection
 * first). Returns at once where the call fails at once (bad flags, not a
 * listening socket). Returns 0 or 1 (now make the real call, then pass
 * this value to green__io_accept_done: 1 means this thread holds fd's
 * accept lock, which keeps green threads of other hubs from taking the
 * connection first), or -errno as green__io_wait() does. May yield. */
int green__io_accept_ready(int fd, int flags);
void green__io_accept_done(int fd, int held);

/* connect(2) on a blocking socket, parked: O_NONBLOCK is set for the
 * one call (the socket is not connected yet, so nobody else is using it)
 * and put back at once, then the green thread waits for the result.
 * Returns 0 or -errno: -EINPROGRESS when SO_SNDTIMEO passes
 * (-EALREADY if an earlier, interrupted attempt was going on), as the
 * kernel does. A UNIX socket whose listener's backlog is full gets the
 * real blocking call. May yield. */
int green__io_connect(struct green__io *io, __CONST_SOCKADDR_ARG addr,
                      socklen_t len);

/* A raw system call for the tries of a green call: glibc's wrappers
 * switch its asynchronous cancellation on and off around each (two
 * calls, a few atomics), of no use to a call that cannot block, and a
 * green thread's cancellation is libgreen's (cancel.h). Returns the
 * result or -errno. */
#if defined(__x86_64__)
static inline long green__io_sys(long n, long a, long b, long c, long d,
                                 long e, long f)
{
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    register long r9 __asm__("r9") = f;
    long r;
    __asm__ volatile("syscall"
                     : "=a"(r)
                     : "0"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8),
                       "r"(r9)
                     : "rcx", "r11", "memory");
    return r;
}
#else
static inline long green__io_sys(long n, long a, long b, long c, long d,
                                 long e, long f)
{
    long r = green__real.syscall(n, a, b, c, d, e, f);
    return r < 0 ? -errno : r;
}
#endif

/* The tries themselves, which return as the libc calls (-1 and errno):
 * preadv2 and pwritev2 at the current position (offset -1), and the six
 * socket calls, as glibc makes them on Linux (recv is recvfrom, send is
 * sendto). */
static inline ssize_t green__io_preadv2(int fd, const struct iovec *iov,
                                        int cnt, int flags)
{
    return green__set_errno(green__io_sys(SYS_preadv2, fd, (long)iov, cnt,
                                          -1, 0xffffffffL, flags));
}

static inline ssize_t green__io_pwritev2(int fd, const struct iovec *iov,
                                         int cnt, int flags)
{
    return green__set_errno(green__io_sys(SYS_pwritev2, fd, (long)iov, cnt,
                                          -1, 0xffffffffL, flags));
}

static inline ssize_t green__io_recvfrom(int fd, void *buf, size_t len,
                                         int flags, struct sockaddr *from,
                                         socklen_t *fromlen)
{
    return green__set_errno(green__io_sys(SYS_recvfrom, fd, (long)buf,
                                          (long)len, flags, (long)from,
                                          (long)fromlen));
}

static inline ssize_t green__io_sendto(int fd, const void *buf, size_t len,
                                       int flags, const struct sockaddr *to,
                                       socklen_t tolen)
{
    return green__set_errno(green__io_sys(SYS_sendto, fd, (long)buf,
                                          (long)len, flags, (long)to, tolen));
}

static inline ssize_t green__io_recvmsg(int fd, struct msghdr *msg, int flags)
{
    return green__set_errno(
        green__io_sys(SYS_recvmsg, fd, (long)msg, flags, 0, 0, 0));
}

static inline ssize_t green__io_sendmsg(int fd, const struct msghdr *msg,
                                        int flags)
{
    return green__set_errno(
        green__io_sys(SYS_sendmsg, fd, (long)msg, flags, 0, 0, 0));
}

/* Bookkeeping of the fd wrappers, for fds made, duplicated and closed.
 * Nothing to do until the first hub exists. */
static inline bool green__io_tracking(void)
{
    return atomic_load_explicit(&green__fdtab_live, memory_order_relaxed);
}

static inline void green__io_made(int fd, unsigned info)
{
    if (fd >= 0 && green__io_tracking())
        green__fd_made(fd, info, green__tls_internal != 0);
}

static inline void green__io_dup(int oldfd, int newfd)
{
    if (newfd >= 0 && green__io_tracking())
        green__fd_dup(oldfd, newfd);
}

/* Before fd is closed: its waiters on this OS thread's hub wake with
 * EBADF, and the number gets a new generation. */
void green__io_closing(int fd);

/* The same for close_range(first, last): and returns, in *keep, the
 * first libgreen fd in the range (or -1), which the caller must not
 * close: it closes around it and asks again. */
void green__io_closing_range(unsigned first, unsigned last, int *keep);

/* The info word of an fd accepted on listening socket lfd: a socket of
 * the same type, with lfd's timeouts (the kernel copies them). */
void green__io_accepted(int lfd, int fd, bool nonblock);

#endif
