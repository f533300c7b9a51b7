/* The socket calls. recv and send families: shape "fd I/O" with
 * MSG_DONTWAIT for the one call, in one body for the six (sock_io); the
 * mmsg forms loop in src/io.c. accept cannot be made non-blocking per
 * call: it waits for readiness first (green__io_accept_ready), then calls.
 * connect has a shape of its own (green__io_connect). */
#include "clock.h"
#include "interpose.h"

#include <errno.h>

/* One call of the recv and send families, with its own arguments: each
 * wrapper makes exactly the call the program made. */
enum sock_call { RECV, RECVFROM, RECVMSG, SEND, SENDTO, SENDMSG };

struct sock {
    enum sock_call call;
    int fd;
    void *buf;                  /* recv, recvfrom, send, sendto */
    size_t len;
    int flags;
    __SOCKADDR_ARG from;        /* recvfrom */
    socklen_t *fromlen;
    __CONST_SOCKADDR_ARG to;    /* sendto */
    socklen_t tolen;
    struct msghdr *msg;         /* recvmsg, sendmsg */
};

static inline __attribute__((always_inline)) ssize_t
sock_real(const struct green__real *real, const struct sock *s, int flags)
{
    switch (s->call) {
    case RECV:
        return real->recv(s->fd, s->buf, s->len, flags);
    case RECVFROM:
        return real->recvfrom(s->fd, s->buf, s->len, flags, s->from,
                              s->fromlen);
    case RECVMSG:
        return real->recvmsg(s->fd, s->msg, flags);
    case SEND:
        return real->send(s->fd, s->buf, s->len, flags);
    case SENDTO:
        return real->sendto(s->fd, s->buf, s->len, flags, s->to, s->tolen);
    default:
        return real->sendmsg(s->fd, s->msg, flags);
    }
}

/* The non-blocking try of the green path: the same call, as a raw system
 * call (green__io_sys). */
static inline __attribute__((always_inline)) ssize_t
sock_try(const struct sock *s, int flags)
{
    switch (s->call) {
    case RECV:
        return green__io_recvfrom(s->fd, s->buf, s->len, flags, NULL, NULL);
    case RECVFROM:
        return green__io_recvfrom(s->fd, s->buf, s->len, flags,
                                  s->from.__sockaddr__, s->fromlen);
    case RECVMSG:
        return green__io_recvmsg(s->fd, s->msg, flags);
    case SEND:
        return green__io_sendto(s->fd, s->buf, s->len, flags, NULL, 0);
    case SENDTO:
        return green__io_sendto(s->fd, s->buf, s->len, flags,
                                s->to.__sockaddr__, s->tolen);
    default:
        return green__io_sendmsg(s->fd, s->msg, flags);
    }
}

/* The body of the six: the gate (MSG_DONTWAIT asks for no wait, before
 * it), for recv and recvfrom the read order (green__io_read_order), the
 * call with MSG_DONTWAIT, a wait on EAGAIN; after a transfer, a
 * stream goes on as the blocking call would (green__io_rest: to the end
 * for a send, for a MSG_WAITALL recv). Inlined, so that each wrapper's
 * switch is on a constant. */
static inline __attribute__((always_inline)) ssize_t
sock_io(const struct sock *s)
{
    bool in = s->call == RECV || s->call == RECVFROM || s->call == RECVMSG;
    struct green__io io;
    if (s->flags & MSG_DONTWAIT)
        return sock_real(green__reals(), s, s->flags);
    if (!green__io_gate(&io, s->fd, in ? GREEN_IN : GREEN_OUT))
        return sock_real(&green__real, s, s->flags);
    int r = in && !s->msg && !(s->flags & (MSG_OOB | MSG_ERRQUEUE))
                ? green__io_read_order(&io, s->len)
                : 0;
    if (r < 0)
        return green__set_errno(r);
    for (;;) {
        ssize_t n = sock_try(s, s->flags | MSG_DONTWAIT);
        if (n >= 0 && s->msg)
            return green__io_rest(&io, s->msg->msg_iov,
                                  (int)s->msg->msg_iovlen, n, s->flags);
        if (n >= 0)
            return green__io_rest(&io, &(struct iovec){s->buf, s->len}, 1,
                                  n, s->flags);
        r = green__io_wait(&io);
        if (r < 0)
            return green__set_errno(r);
    }
}

GREEN__INTERPOSE ssize_t recv(int fd, void *buf, size_t len, int flags)
{
    return sock_io(&(struct sock){.call = RECV, .fd = fd, .buf = buf,
                                  .len = len, .flags = flags});
}

GREEN__INTERPOSE ssize_t __recv_chk(int fd, void *buf, size_t len,
                                    size_t buflen, int flags)
{
    if (len > buflen)
        __chk_fail();
    return recv(fd, buf, len, flags);
}

GREEN__INTERPOSE ssize_t recvfrom(int fd, void *buf, size_t len, int flags,
                                  __SOCKADDR_ARG addr, socklen_t *alen)
{
    return sock_io(&(struct sock){.call = RECVFROM, .fd = fd, .buf = buf,
                                  .len = len, .flags = flags, .from = addr,
                                  .fromlen = alen});
}

GREEN__INTERPOSE ssize_t __recvfrom_chk(int fd, void *buf, size_t len,
                                        size_t buflen, int flags,
                                        __SOCKADDR_ARG addr, socklen_t *alen)
{
    if (len > buflen)
        __chk_fail();
    return recvfrom(fd, buf, len, flags, addr, alen);
}

GREEN__INTERPOSE ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
    return sock_io(&(struct sock){.call = RECVMSG, .fd = fd, .flags = flags,
                                  .msg = msg});
}

GREEN__INTERPOSE ssize_t send(int fd, const void *buf, size_t len, int flags)
{
    return sock_io(&(struct sock){.call = SEND, .fd = fd, .buf = (void *)buf,
                                  .len = len, .flags = flags});
}

GREEN__INTERPOSE ssize_t sendto(int fd, const void *buf, size_t len,
                                int flags, __CONST_SOCKADDR_ARG addr,
                                socklen_t alen)
{
    return sock_io(&(struct sock){.call = SENDTO, .fd = fd,
                                  .buf = (void *)buf, .len = len,
                                  .flags = flags, .to = addr, .tolen = alen});
}

GREEN__INTERPOSE ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
    return sock_io(&(struct sock){.call = SENDMSG, .fd = fd, .flags = flags,
                                  .msg = (struct msghdr *)msg});
}

GREEN__INTERPOSE int recvmmsg(int fd, struct mmsghdr *vec, unsigned vlen,
                              int flags, struct timespec *timeout)
{
    struct green__io io;
    if (flags & MSG_DONTWAIT)
        return green__reals()->recvmmsg(fd, vec, vlen, flags, timeout);
    if (!green__io_gate(&io, fd, GREEN_IN) ||
        (timeout && (timeout->tv_sec < 0 || timeout->tv_nsec < 0 ||
                     timeout->tv_nsec >= GREEN__NS_PER_S)))
        return green__real.recvmmsg(fd, vec, vlen, flags, timeout);
    return (int)green__set_errno(
        green__io_recvmmsg(&io, vec, vlen, flags, timeout));
}

GREEN__INTERPOSE int sendmmsg(int fd, struct mmsghdr *vec, unsigned vlen,
                              int flags)
{
    struct green__io io;
    if ((flags & MSG_DONTWAIT) || !green__io_gate(&io, fd, GREEN_OUT))
        return green__reals()->sendmmsg(fd, vec, vlen, flags);
    return (int)green__set_errno(green__io_sendmmsg(&io, vec, vlen, flags));
}

GREEN__INTERPOSE int accept(int fd, __SOCKADDR_ARG addr, socklen_t *alen)
{
    int w = green__io_accept_ready(fd, 0);
    if (w < 0)
        return (int)green__set_errno(w);
    int r = green__reals()->accept(fd, addr, alen);
    green__io_accept_done(fd, w);
    green__io_accepted(fd, r, false);
    return r;
}

GREEN__INTERPOSE int accept4(int fd, __SOCKADDR_ARG addr, socklen_t *alen,
                             int flags)
{
    int w = green__io_accept_ready(fd, flags);
    if (w < 0)
        return (int)green__set_errno(w);
    int r = green__reals()->accept4(fd, addr, alen, flags);
    green__io_accept_done(fd, w);
    green__io_accepted(fd, r, flags & SOCK_NONBLOCK);
    return r;
}

GREEN__INTERPOSE int connect(int fd, __CONST_SOCKADDR_ARG addr,
                             socklen_t len)
{
    struct green__io io;
    if (!green__io_gate(&io, fd, GREEN_OUT) ||
        (io.info & GREEN__FD_KIND) != GREEN__FD_SOCKET)
        return green__real.connect(fd, addr, len);
    return (int)green__set_errno(green__io_connect(&io, addr, len));
}
