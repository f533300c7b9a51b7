/* Regular files and block devices: GREEN_FILE_IO. Shape "file": gate,
 * then the real call on the offload pool while the green thread parks.
 *
 * A read of a regular file never returns EAGAIN, so it cannot be made
 * green by waiting for readiness: either it runs directly, blocking the
 * OS thread for as long as the disk takes (GREEN_FILE_IO=direct, the
 * default: a read from the page cache takes microseconds, less than the
 * hand-off to another thread costs), or it runs on the offload pool
 * (GREEN_FILE_IO=offload: for cold data, slow disks and network file
 * systems, where a read may take milliseconds). The pool thread reads
 * into the caller's buffer, so the caller waits for the end: kills and
 * timeouts stay pending for its next wait, as for a disk wait in the
 * kernel, which no signal interrupts either.
 *
 * read, write and their vector forms live in io.c, which asks here
 * first; the p forms, fsync and fdatasync only ever act on files and
 * are wrapped here. */
#include "file.h"

#include <errno.h>

#include "cancel.h"
#include "interpose.h"
#include "offload.h"
#include "stats.h"

bool green__file_offload_fd(int fd)
{
    struct green__fdinfo fi;
    return green__gate() && !green__fd_internal(fd) &&
           green__fd_info(fd, &fi) == 0 &&
           (fi.info & GREEN__FD_KIND) == GREEN__FD_FILE;
}

struct fio_job {
    struct green__job job;
    const struct green__fio *f;
    ssize_t ret;
    int err;  /* errno, if ret < 0 */
};

static ssize_t call(const struct green__fio *f)
{
    switch (f->call) {
    case GREEN__FIO_READ:
        return green__real.read(f->fd, f->buf, f->len);
    case GREEN__FIO_WRITE:
        return green__real.write(f->fd, f->buf, f->len);
    case GREEN__FIO_READV:
        return green__real.readv(f->fd, f->iov, f->cnt);
    case GREEN__FIO_WRITEV:
        return green__real.writev(f->fd, f->iov, f->cnt);
    case GREEN__FIO_PREAD:
        return green__real.pread(f->fd, f->buf, f->len, f->off);
    case GREEN__FIO_PWRITE:
        return green__real.pwrite(f->fd, f->buf, f->len, f->off);
    case GREEN__FIO_PREADV:
        return green__real.preadv(f->fd, f->iov, f->cnt, f->off);
    case GREEN__FIO_PWRITEV:
        return green__real.pwritev(f->fd, f->iov, f->cnt, f->off);
    case GREEN__FIO_PREADV2:
        return green__real.preadv2(f->fd, f->iov, f->cnt, f->off, f->flags);
    case GREEN__FIO_PWRITEV2:
        return green__real.pwritev2(f->fd, f->iov, f->cnt, f->off, f->flags);
    case GREEN__FIO_FSYNC:
        return green__real.fsync(f->fd);
    default:
        return green__real.fdatasync(f->fd);
    }
}

static void fio_run(struct green__job *job)
{
    struct fio_job *j = (struct fio_job *)job;
    j->ret = call(j->f);
    j->err = errno;
}

ssize_t green__file_io(const struct green__fio *f)
{
    green__testcancel();  /* each of these calls is a cancellation point */
    static const char *const names[] = {
        [GREEN__FIO_READ] = "read",       [GREEN__FIO_WRITE] = "write",
        [GREEN__FIO_READV] = "readv",     [GREEN__FIO_WRITEV] = "writev",
        [GREEN__FIO_PREAD] = "pread",     [GREEN__FIO_PWRITE] = "pwrite",
        [GREEN__FIO_PREADV] = "preadv",   [GREEN__FIO_PWRITEV] = "pwritev",
        [GREEN__FIO_PREADV2] = "preadv2", [GREEN__FIO_PWRITEV2] = "pwritev2",
        [GREEN__FIO_FSYNC] = "fsync",     [GREEN__FIO_FDATASYNC] = "fdatasync",
    };
    struct fio_job j = {.job = {.run = fio_run, .call = names[f->call]},
                        .f = f};
    green__offload(&j.job, 0);
    if (j.ret < 0)
        errno = j.err;
    return j.ret;
}

GREEN__INTERPOSE ssize_t pread(int fd, void *buf, size_t len, off_t off)
{
    if (!green__file_offloads(fd)) {
        green__stats_blocked("pread");
        return green__reals()->pread(fd, buf, len, off);
    }
    return green__file_io(&(struct green__fio){
        .call = GREEN__FIO_PREAD, .fd = fd, .buf = buf, .len = len,
        .off = off});
}

GREEN__INTERPOSE ssize_t pread64(int fd, void *buf, size_t len, off64_t off)
    __attribute__((alias("pread")));  /* the same on 64-bit machines */

GREEN__INTERPOSE ssize_t pwrite(int fd, const void *buf, size_t len,
                                off_t off)
{
    if (!green__file_offloads(fd)) {
        green__stats_blocked("pwrite");
        return green__reals()->pwrite(fd, buf, len, off);
    }
    return green__file_io(&(struct green__fio){
        .call = GREEN__FIO_PWRITE, .fd = fd, .buf = (void *)buf, .len = len,
        .off = off});
}

GREEN__INTERPOSE ssize_t pwrite64(int fd, const void *buf, size_t len,
                                  off64_t off)
    __attribute__((alias("pwrite")));

GREEN__INTERPOSE ssize_t preadv(int fd, const struct iovec *iov, int cnt,
                                off_t off)
{
    if (!green__file_offloads(fd)) {
        green__stats_blocked("preadv");
        return green__reals()->preadv(fd, iov, cnt, off);
    }
    return green__file_io(&(struct green__fio){
        .call = GREEN__FIO_PREADV, .fd = fd, .iov = iov, .cnt = cnt,
        .off = off});
}

GREEN__INTERPOSE ssize_t preadv64(int fd, const struct iovec *iov, int cnt,
                                  off64_t off)
    __attribute__((alias("preadv")));

GREEN__INTERPOSE ssize_t pwritev(int fd, const struct iovec *iov, int cnt,
                                 off_t off)
{
    if (!green__file_offloads(fd)) {
        green__stats_blocked("pwritev");
        return green__reals()->pwritev(fd, iov, cnt, off);
    }
    return green__file_io(&(struct green__fio){
        .call = GREEN__FIO_PWRITEV, .fd = fd, .iov = iov, .cnt = cnt,
        .off = off});
}

GREEN__INTERPOSE ssize_t pwritev64(int fd, const struct iovec *iov, int cnt,
                                   off64_t off)
    __attribute__((alias("pwritev")));

GREEN__INTERPOSE int fsync(int fd)
{
    if (!green__file_offloads(fd)) {
        green__stats_blocked("fsync");
        return green__reals()->fsync(fd);
    }
    return (int)green__file_io(&(struct green__fio){
        .call = GREEN__FIO_FSYNC, .fd = fd});
}

GREEN__INTERPOSE int fdatasync(int fd)
{
    if (!green__file_offloads(fd)) {
        green__stats_blocked("fdatasync");
        return green__reals()->fdatasync(fd);
    }
    return (int)green__file_io(&(struct green__fio){
        .call = GREEN__FIO_FDATASYNC, .fd = fd});
}
