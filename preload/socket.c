/* The socket calls. recv and send families: shape "fd I/O" with
 * MSG_DONTWAIT for the one call; the mmsg forms loop in src/io.c. accept cannot be made non-blocking per
 * call: it waits for readiness first (green__io_accept_ready), then calls.
 * connect has a shape of its own (green__io_connect). */
#include "clock.h"
#include "interpose.h"

#include <errno.h>

/* After a green recv of one buffer: MSG_WAITALL goes on to the end. */
static ssize_t recv_done(struct green__io *io, ssize_t n, void *buf,
                         size_t len, int flags)
{
    return green__io_rest(io, &(struct iovec){buf, len}, 1, n, flags);
}

GREEN__INTERPOSE ssize_t recv(int fd, void *buf, size_t len, int flags)
{
    struct green__io io;
    if ((flags & MSG_DONTWAIT) || !green__io_gate(&io, fd, GREEN_IN))
        return green__reals()->recv(fd, buf, len, flags);
    for (;;) {
        ssize_t n = green__real.recv(fd, buf, len, flags | MSG_DONTWAIT);
        if (n >= 0)
            return recv_done(&io, n, buf, len, flags);
        if (green__io_wait(&io) < 0)
            return -1;
    }
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
    struct green__io io;
    if ((flags & MSG_DONTWAIT) || !green__io_gate(&io, fd, GREEN_IN))
        return green__reals()->recvfrom(fd, buf, len, flags, addr, alen);
    for (;;) {
        ssize_t n = green__real.recvfrom(fd, buf, len, flags | MSG_DONTWAIT,
                                         addr, alen);
        if (n >= 0)
            return recv_done(&io, n, buf, len, flags);
        if (green__io_wait(&io) < 0)
            return -1;
    }
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
    struct green__io io;
    if ((flags & MSG_DONTWAIT) || !green__io_gate(&io, fd, GREEN_IN))
        return green__reals()->recvmsg(fd, msg, flags);
    for (;;) {
        ssize_t n = green__real.recvmsg(fd, msg, flags | MSG_DONTWAIT);
        if (n >= 0)
            return green__io_rest(&io, msg->msg_iov, (int)msg->msg_iovlen, n,
                                  flags);
        if (green__io_wait(&io) < 0)
            return -1;
    }
}

GREEN__INTERPOSE ssize_t send(int fd, const void *buf, size_t len, int flags)
{
    struct green__io io;
    if ((flags & MSG_DONTWAIT) || !green__io_gate(&io, fd, GREEN_OUT))
        return green__reals()->send(fd, buf, len, flags);
    for (;;) {
        ssize_t n = green__real.send(fd, buf, len, flags | MSG_DONTWAIT);
        if (n >= 0)
            return green__io_rest(&io, &(struct iovec){(void *)buf, len}, 1,
                                  n, flags);
        if (green__io_wait(&io) < 0)
            return -1;
    }
}

GREEN__INTERPOSE ssize_t sendto(int fd, const void *buf, size_t len,
                                int flags, __CONST_SOCKADDR_ARG addr,
                                socklen_t alen)
{
    struct green__io io;
    if ((flags & MSG_DONTWAIT) || !green__io_gate(&io, fd, GREEN_OUT))
        return green__reals()->sendto(fd, buf, len, flags, addr, alen);
    for (;;) {
        ssize_t n = green__real.sendto(fd, buf, len, flags | MSG_DONTWAIT,
                                       addr, alen);
        if (n >= 0)
            return green__io_rest(&io, &(struct iovec){(void *)buf, len}, 1,
                                  n, flags);
        if (green__io_wait(&io) < 0)
            return -1;
    }
}

GREEN__INTERPOSE ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
    struct green__io io;
    if ((flags & MSG_DONTWAIT) || !green__io_gate(&io, fd, GREEN_OUT))
        return green__reals()->sendmsg(fd, msg, flags);
    for (;;) {
        ssize_t n = green__real.sendmsg(fd, msg, flags | MSG_DONTWAIT);
        if (n >= 0)
            return green__io_rest(&io, msg->msg_iov, (int)msg->msg_iovlen, n,
                                  flags);
        if (green__io_wait(&io) < 0)
            return -1;
    }
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
    return green__io_recvmmsg(&io, vec, vlen, flags, timeout);
}

GREEN__INTERPOSE int sendmmsg(int fd, struct mmsghdr *vec, unsigned vlen,
                              int flags)
{
    struct green__io io;
    if ((flags & MSG_DONTWAIT) || !green__io_gate(&io, fd, GREEN_OUT))
        return green__reals()->sendmmsg(fd, vec, vlen, flags);
    return green__io_sendmmsg(&io, vec, vlen, flags);
}

GREEN__INTERPOSE int accept(int fd, __SOCKADDR_ARG addr, socklen_t *alen)
{
    if (green__io_accept_ready(fd, 0) < 0)
        return -1;
    int r = green__reals()->accept(fd, addr, alen);
    green__io_accepted(fd, r, false);
    return r;
}

GREEN__INTERPOSE int accept4(int fd, __SOCKADDR_ARG addr, socklen_t *alen,
                             int flags)
{
    if (green__io_accept_ready(fd, flags) < 0)
        return -1;
    int r = green__reals()->accept4(fd, addr, alen, flags);
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
