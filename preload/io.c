/* read, write and their vector forms. Shape "fd I/O": gate, then the call
 * made non-blocking with RWF_NOWAIT (which works on pipes and sockets
 * without touching O_NONBLOCK), then green__io_wait when it would block.
 * Writes go on after a short count, as a blocking write does.
 *
 * pread/pwrite with an offset are not wrapped: on a pipe or socket they
 * fail with ESPIPE, so they never wait on a pollable fd. */
#include "interpose.h"

#include "file.h"

/* Whether a call made with `nowait` (RWF_NOWAIT or 0) that failed goes
 * on to a wait. A FIFO that open() made refuses RWF_NOWAIT (EOPNOTSUPP,
 * here on Linux 6.18; an anonymous pipe takes it; docs/design.md G13):
 * for it, and from then
 * on in this call, the wait comes first and the call is made as asked, as
 * for a tty. A call made as asked that fails has failed, and so has one
 * with flags of the program's own (EOPNOTSUPP may be theirs). */
static bool wait_next(int *nowait, int flags)
{
    if (!*nowait)
        return false;
    if (errno == EOPNOTSUPP) {
        if (flags)
            return false;
        *nowait = 0;
        errno = EAGAIN;  /* wait for readiness first */
    }
    return true;
}

/* The green body of every read here: preadv2(fd, iov, cnt, -1, flags).
 * read passes its len, to wait first when the fd's reads tend to find
 * nothing; the vector forms pass 0 (the kernel reads their vector before
 * it waits: a bad one fails at once). */
static ssize_t readv_green(struct green__io *io, const struct iovec *iov,
                           int cnt, int flags, size_t len)
{
    int r = green__io_read_order(io, len);
    if (r < 0)
        return green__set_errno(r);
    for (int nowait = RWF_NOWAIT;;) {
        ssize_t n = green__io_preadv2(io->fd, iov, cnt, flags | nowait);
        if (n >= 0 || !wait_next(&nowait, flags))
            return n;
        r = green__io_wait(io);
        if (r < 0)
            return green__set_errno(r);
    }
}

/* The green body of every write: pwritev2(fd, iov, cnt, -1, flags), and
 * on to the end after a short count. */
static ssize_t writev_green(struct green__io *io, const struct iovec *iov,
                            int cnt, int flags)
{
    for (int nowait = RWF_NOWAIT;;) {
        ssize_t n = green__io_pwritev2(io->fd, iov, cnt, flags | nowait);
        if (n >= 0)
            return green__io_rest(io, iov, cnt, n, 0);
        if (!wait_next(&nowait, flags))
            return n;
        int r = green__io_wait(io);
        if (r < 0)
            return green__set_errno(r);
    }
}

GREEN__INTERPOSE ssize_t read(int fd, void *buf, size_t len)
{
    struct green__io io;
    if (green__file_offloads(fd))  /* GREEN_FILE_IO=offload */
        return green__file_io(&(struct green__fio){
            .call = GREEN__FIO_READ, .fd = fd, .buf = buf, .len = len});
    if (len > GREEN__MAX_RW)  /* before the gate: resolve here */
        return green__reals()->read(fd, buf, len);
    if (!green__io_gate(&io, fd, GREEN_IN))
        return green__real.read(fd, buf, len);
    return readv_green(&io, &(struct iovec){buf, len}, 1, 0, len);
}

GREEN__INTERPOSE ssize_t __read_chk(int fd, void *buf, size_t len,
                                    size_t buflen)
{
    if (len > buflen)
        __chk_fail();
    return read(fd, buf, len);
}

GREEN__INTERPOSE ssize_t readv(int fd, const struct iovec *iov, int cnt)
{
    struct green__io io;
    if (green__file_offloads(fd))
        return green__file_io(&(struct green__fio){
            .call = GREEN__FIO_READV, .fd = fd, .iov = iov, .cnt = cnt});
    if (!green__io_gate(&io, fd, GREEN_IN))
        return green__real.readv(fd, iov, cnt);
    return readv_green(&io, iov, cnt, 0, 0);
}

/* preadv2 with offset -1 reads like readv; with an offset or RWF_NOWAIT
 * it never waits on a pipe or socket. */
GREEN__INTERPOSE ssize_t preadv2(int fd, const struct iovec *iov, int cnt,
                                 off_t off, int flags)
{
    struct green__io io;
    if (!(flags & RWF_NOWAIT) && green__file_offloads(fd))
        return green__file_io(&(struct green__fio){
            .call = GREEN__FIO_PREADV2, .fd = fd, .iov = iov, .cnt = cnt,
            .off = off, .flags = flags});
    if (off != -1 || (flags & RWF_NOWAIT))
        return green__reals()->preadv2(fd, iov, cnt, off, flags);
    if (!green__io_gate(&io, fd, GREEN_IN))
        return green__real.preadv2(fd, iov, cnt, off, flags);
    return readv_green(&io, iov, cnt, flags, 0);
}

GREEN__INTERPOSE ssize_t preadv64v2(int fd, const struct iovec *iov, int cnt,
                                    off64_t off, int flags)
    __attribute__((alias("preadv2")));  /* the same on 64-bit machines */

GREEN__INTERPOSE ssize_t write(int fd, const void *buf, size_t len)
{
    struct green__io io;
    if (green__file_offloads(fd))
        return green__file_io(&(struct green__fio){
            .call = GREEN__FIO_WRITE, .fd = fd, .buf = (void *)buf,
            .len = len});
    if (len > GREEN__MAX_RW)  /* before the gate: resolve here */
        return green__reals()->write(fd, buf, len);
    if (!green__io_gate(&io, fd, GREEN_OUT))
        return green__real.write(fd, buf, len);
    return writev_green(&io, &(struct iovec){(void *)buf, len}, 1, 0);
}

GREEN__INTERPOSE ssize_t writev(int fd, const struct iovec *iov, int cnt)
{
    struct green__io io;
    if (green__file_offloads(fd))
        return green__file_io(&(struct green__fio){
            .call = GREEN__FIO_WRITEV, .fd = fd, .iov = iov, .cnt = cnt});
    if (!green__io_gate(&io, fd, GREEN_OUT))
        return green__real.writev(fd, iov, cnt);
    return writev_green(&io, iov, cnt, 0);
}

GREEN__INTERPOSE ssize_t pwritev2(int fd, const struct iovec *iov, int cnt,
                                  off_t off, int flags)
{
    struct green__io io;
    if (!(flags & RWF_NOWAIT) && green__file_offloads(fd))
        return green__file_io(&(struct green__fio){
            .call = GREEN__FIO_PWRITEV2, .fd = fd, .iov = iov, .cnt = cnt,
            .off = off, .flags = flags});
    if (off != -1 || (flags & RWF_NOWAIT))
        return green__reals()->pwritev2(fd, iov, cnt, off, flags);
    if (!green__io_gate(&io, fd, GREEN_OUT))
        return green__real.pwritev2(fd, iov, cnt, off, flags);
    return writev_green(&io, iov, cnt, flags);
}

GREEN__INTERPOSE ssize_t pwritev64v2(int fd, const struct iovec *iov, int cnt,
                                     off64_t off, int flags)
    __attribute__((alias("pwritev2")));
