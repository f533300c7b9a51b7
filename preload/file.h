/* Regular files and block devices under GREEN_FILE_IO=offload: the
 * calls preload/io.c and preload/file.c send to the offload pool. */
#ifndef GREEN_PRELOAD_FILE_H
#define GREEN_PRELOAD_FILE_H

#include <stdbool.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "config.h"

/* The call a struct green__fio makes: exactly the one the program made,
 * so that every result and errno is the kernel's own. */
enum green__fio_call {
    GREEN__FIO_READ, GREEN__FIO_WRITE, GREEN__FIO_READV, GREEN__FIO_WRITEV,
    GREEN__FIO_PREAD, GREEN__FIO_PWRITE, GREEN__FIO_PREADV,
    GREEN__FIO_PWRITEV, GREEN__FIO_PREADV2, GREEN__FIO_PWRITEV2,
    GREEN__FIO_FSYNC, GREEN__FIO_FDATASYNC,
};

/* One file call and its arguments (those the call takes). */
struct green__fio {
    enum green__fio_call call;
    int fd;
    void *buf;                /* read, write, pread, pwrite */
    size_t len;
    const struct iovec *iov;  /* the vector forms */
    int cnt;
    off_t off;                /* the p forms */
    int flags;                /* preadv2, pwritev2 */
};

/* Whether a call on fd goes to the pool: GREEN_FILE_IO=offload, a green
 * caller that another green thread could use the time of, and fd is a
 * regular file, directory or block device. Costs one load and branch
 * under the default, GREEN_FILE_IO=direct. */
bool green__file_offload_fd(int fd);

static inline bool green__file_offloads(int fd)
{
    return green__config.file_io_offload && green__file_offload_fd(fd);
}

/* Makes the call on the offload pool, the caller parked meanwhile (and
 * not woken by kills or timeouts: the pool thread writes into the
 * caller's buffer). A cancellation point. Returns as the call does. */
ssize_t green__file_io(const struct green__fio *f);

#endif
