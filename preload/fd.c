/* The fd lifecycle: the calls that make, duplicate, change and close fds
 * feed the fd table (src/fdtab.c), so that waits know what each fd is and
 * a persistent watcher learns when its number names another file. Shape
 * "fd lifecycle": the real call, then the bookkeeping (or, for close,
 * the bookkeeping first: waiters wake with EBADF). libgreen's own fds
 * (libev's epoll and eventfd) are not the program's to close: close and
 * close_range leave them, and say EBADF as for any fd never opened. */
#include "clock.h"
#include "interpose.h"

#include <errno.h>
#include <linux/close_range.h>
#include <stdarg.h>

#include "cancel.h"
#include "offload.h"
#include "shell.h"
#include "tidcall.h"

/* The info word of a socket made with this type argument. */
static unsigned socket_info(int type)
{
    return GREEN__FD_KNOWN | GREEN__FD_SOCKET |
           ((type & SOCK_NONBLOCK) ? GREEN__FD_NONBLOCK : 0) |
           ((type & 0xf) == SOCK_STREAM ? GREEN__FD_STREAM : 0);
}

static unsigned pipe_info(int flags)
{
    return GREEN__FD_KNOWN | GREEN__FD_PIPE | GREEN__FD_STREAM |
           ((flags & O_NONBLOCK) ? GREEN__FD_NONBLOCK : 0);
}

GREEN__INTERPOSE int close(int fd)
{
    const struct green__real *real = green__reals();
    if (green__fd_internal(fd) && !green__tls_internal)
        return (int)green__set_errno(-EBADF);
    green__io_closing(fd);
    return real->close(fd);
}

GREEN__INTERPOSE int close_range(unsigned first, unsigned last, int flags)
{
    const struct green__real *real = green__reals();
    if (flags & CLOSE_RANGE_CLOEXEC)
        return real->close_range(first, last, flags);
    for (int keep;; first = (unsigned)keep + 1) {
        green__io_closing_range(first, last, &keep);
        if (keep < 0 || (unsigned)keep == ~0u)
            return real->close_range(first, last, flags);
        if ((unsigned)keep > first &&
            real->close_range(first, (unsigned)keep - 1, flags) < 0)
            return -1;
        if ((unsigned)keep >= last)
            return 0;
    }
}

GREEN__INTERPOSE int dup(int fd)
{
    int r = green__reals()->dup(fd);
    green__io_dup(fd, r);
    return r;
}

/* dup2 and dup3 close newfd first, if open: its waiters wake. Onto one
 * of libgreen's own fds they fail with EBUSY (glibc's answer when the
 * number is in a transient state), rather than break the hub. */
GREEN__INTERPOSE int dup2(int oldfd, int newfd)
{
    const struct green__real *real = green__reals();
    if (green__fd_internal(newfd) && !green__tls_internal)
        return (int)green__set_errno(-EBUSY);
    int r = real->dup2(oldfd, newfd);
    if (r >= 0 && oldfd != newfd) {
        green__io_closing(newfd);
        green__io_dup(oldfd, newfd);
    }
    return r;
}

GREEN__INTERPOSE int dup3(int oldfd, int newfd, int flags)
{
    const struct green__real *real = green__reals();
    if (green__fd_internal(newfd) && !green__tls_internal)
        return (int)green__set_errno(-EBUSY);
    int r = real->dup3(oldfd, newfd, flags);
    if (r >= 0) {
        green__io_closing(newfd);
        green__io_dup(oldfd, newfd);
    }
    return r;
}

/* The argument of fcntl is read as a pointer whatever cmd: an int or a
 * pointer, which the x86_64 and aarch64 calling conventions pass alike. */
GREEN__INTERPOSE int fcntl(int fd, int cmd, ...)
{
    va_list ap;
    va_start(ap, cmd);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    struct f_owner_ex own;
    if (cmd == F_SETOWN_EX && green__fowner_tid(arg, &own, &arg) < 0)
        return (int)green__set_errno(-ESRCH);
    int r = green__reals()->fcntl(fd, cmd, arg);
    if (r >= 0 && cmd == F_SETFL && green__io_tracking())
        green__fd_set_nonblock(fd, (int)(intptr_t)arg & O_NONBLOCK);
    else if (r >= 0 && (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC))
        green__io_dup(fd, r);
    return r;
}

/* On 64-bit machines glibc's fcntl64, open64, openat64 and creat64 are
 * the same functions as their short names: so are ours. */
GREEN__INTERPOSE int fcntl64(int fd, int cmd, ...)
    __attribute__((alias("fcntl")));

GREEN__INTERPOSE int ioctl(int fd, unsigned long req, ...)
{
    va_list ap;
    va_start(ap, req);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    int r = green__reals()->ioctl(fd, req, arg);
    if (r >= 0 && req == FIONBIO && green__io_tracking())
        green__fd_set_nonblock(fd, *(int *)arg != 0);
    return r;
}

GREEN__INTERPOSE int setsockopt(int fd, int level, int name, const void *val,
                                socklen_t len)
{
    int r = green__reals()->setsockopt(fd, level, name, val, len);
    /* The _NEW options take a struct of two 64-bit fields: a timeval
     * on 64-bit machines. A negative time makes the kernel time out at
     * once. */
    int which = name == SO_RCVTIMEO_NEW ? SO_RCVTIMEO
                : name == SO_SNDTIMEO_NEW ? SO_SNDTIMEO : name;
    if (r == 0 && level == SOL_SOCKET && green__io_tracking() &&
        (which == SO_RCVTIMEO || which == SO_SNDTIMEO)) {
        const struct timeval *tv = val;
        int64_t ns = (int64_t)tv->tv_sec * GREEN__NS_PER_S + tv->tv_usec * 1000;
        green__fd_set_timeo(fd, which, tv->tv_sec < 0 ? 1 : ns);
    }
    return r;
}

GREEN__INTERPOSE int socket(int domain, int type, int protocol)
{
    int r = green__reals()->socket(domain, type, protocol);
    green__io_made(r, socket_info(type));
    return r;
}

GREEN__INTERPOSE int socketpair(int domain, int type, int protocol, int sv[2])
{
    int r = green__reals()->socketpair(domain, type, protocol, sv);
    if (r == 0) {
        green__io_made(sv[0], socket_info(type));
        green__io_made(sv[1], socket_info(type));
    }
    return r;
}

GREEN__INTERPOSE int pipe(int fds[2])
{
    int r = green__reals()->pipe(fds);
    if (r == 0) {
        green__io_made(fds[0], pipe_info(0));
        green__io_made(fds[1], pipe_info(0));
    }
    return r;
}

GREEN__INTERPOSE int pipe2(int fds[2], int flags)
{
    int r = green__reals()->pipe2(fds, flags);
    if (r == 0) {
        green__io_made(fds[0], pipe_info(flags));
        green__io_made(fds[1], pipe_info(flags));
    }
    return r;
}

/* open and friends: a new file, of a kind only fstat would tell. */
static mode_t open_mode(int flags, va_list ap)
{
    return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE
               ? (mode_t)va_arg(ap, int) : 0;
}

/* Opening a FIFO for reading or writing only waits until the other end
 * is opened, which is likely another green thread of this OS thread: that
 * open runs on the offload pool while the caller parks. One fstatat tells
 * a FIFO, and only when another green thread could run. A cancellation
 * point, as the open. */
struct open_job {
    struct green__job job;
    int dirfd, flags, ret, err;
    mode_t mode;
    const char *path;
};

static void open_run(struct green__job *job)
{
    struct open_job *j = (struct open_job *)job;
    j->ret = green__real.openat(j->dirfd, j->path, j->flags, j->mode);
    j->err = errno;
}

static bool fifo_wait(int dirfd, const char *path, int flags)
{
    struct stat st;
    return !(flags & (O_NONBLOCK | O_PATH)) &&
           (flags & O_ACCMODE) != O_RDWR && green__gate() &&
           green__real.fstatat(dirfd, path, &st, 0) == 0 &&
           S_ISFIFO(st.st_mode);
}

static int open_fifo(int dirfd, const char *path, int flags, mode_t mode)
{
    green__testcancel();
    struct open_job j = {.job.run = open_run, .dirfd = dirfd, .flags = flags,
                         .mode = mode, .path = path};
    green__offload(&j.job, 0);
    if (j.ret < 0)
        errno = j.err;
    return j.ret;
}

GREEN__INTERPOSE int open(const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t mode = open_mode(flags, ap);
    va_end(ap);
    int r = fifo_wait(AT_FDCWD, path, flags)
                ? open_fifo(AT_FDCWD, path, flags, mode)
                : green__reals()->open(path, flags, mode);
    green__io_made(r, 0);
    return r;
}

GREEN__INTERPOSE int open64(const char *path, int flags, ...)
    __attribute__((alias("open")));

GREEN__INTERPOSE int openat(int dirfd, const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t mode = open_mode(flags, ap);
    va_end(ap);
    int r = fifo_wait(dirfd, path, flags)
                ? open_fifo(dirfd, path, flags, mode)
                : green__reals()->openat(dirfd, path, flags, mode);
    green__io_made(r, 0);
    return r;
}

GREEN__INTERPOSE int openat64(int dirfd, const char *path, int flags, ...)
    __attribute__((alias("openat")));

GREEN__INTERPOSE int creat(const char *path, mode_t mode)
{
    return open(path, O_CREAT | O_WRONLY | O_TRUNC, mode);
}

GREEN__INTERPOSE int creat64(const char *path, mode_t mode)
    __attribute__((alias("creat")));

/* fclose closes its fd inside libc, where no close wrapper sees it. On
 * a stream of our popen it is pclose, as glibc's fclose of a popen
 * stream waits for the child and returns its status. */
GREEN__INTERPOSE int fclose(FILE *f)
{
    const struct green__real *real = green__reals();
    int r = green__shell_pclose(f);
    if (r != GREEN__SHELL_NOT_OURS)
        return (int)green__set_errno(r);
    if (f)
        green__io_closing(fileno(f));
    return real->fclose(f);
}

GREEN__INTERPOSE int eventfd(unsigned initval, int flags)
{
    int r = green__reals()->eventfd(initval, flags);
    green__io_made(r, GREEN__FD_KNOWN | GREEN__FD_OTHER |
                          ((flags & EFD_NONBLOCK) ? GREEN__FD_NONBLOCK : 0));
    return r;
}

GREEN__INTERPOSE int epoll_create(int size)
{
    int r = green__reals()->epoll_create(size);
    green__io_made(r, GREEN__FD_KNOWN | GREEN__FD_OTHER);
    return r;
}

GREEN__INTERPOSE int epoll_create1(int flags)
{
    int r = green__reals()->epoll_create1(flags);
    green__io_made(r, GREEN__FD_KNOWN | GREEN__FD_OTHER);
    return r;
}
