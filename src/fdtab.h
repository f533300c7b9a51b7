/* The process-wide fd table: what libgreen knows about each fd. Its kind,
 * whether the program asked for O_NONBLOCK, its SO_RCVTIMEO/SO_SNDTIMEO,
 * and a generation that changes whenever the number is closed or reused,
 * so a hub can tell that its persistent watcher is for an older file.
 *
 * The table grows with the highest fd and never shrinks or moves an entry:
 * a top array of pointers to fixed chunks, replaced (never freed) when it
 * doubles. Readers take no lock; writers of one fd are the program's own
 * calls on that fd, so fields are plain atomics without ordering games. */
#ifndef GREEN_SRC_FDTAB_H
#define GREEN_SRC_FDTAB_H

#include <stdatomic.h>
#include <stdint.h>

enum green__fd_kind {
    GREEN__FD_UNKNOWN = 0,  /* not seen being made: ask the kernel */
    GREEN__FD_SOCKET,
    GREEN__FD_PIPE,         /* pipe or FIFO */
    GREEN__FD_TTY,
    GREEN__FD_FILE,         /* regular file or block device: never waits */
    GREEN__FD_OTHER,        /* eventfd, timerfd, epoll, signalfd, ... */
};

struct green__fd {
    atomic_uint gen;           /* bumped at every open and close */
    atomic_uchar kind;         /* enum green__fd_kind */
    atomic_uchar nonblock;     /* the program set O_NONBLOCK */
    _Atomic int64_t rcvtimeo;  /* SO_RCVTIMEO in ns, 0 for none */
    _Atomic int64_t sndtimeo;  /* SO_SNDTIMEO in ns, 0 for none */
};

/* fd's entry, made on demand; NULL for fd < 0 or no memory. */
struct green__fd *green__fd_entry(int fd);

/* fd's entry if the table already reaches it, else NULL. Never allocates. */
struct green__fd *green__fd_peek(int fd);

/* Records a freshly made fd: new generation, kind, user O_NONBLOCK, no
 * timeouts. Returns 0 or -ENOMEM. */
int green__fd_opened(int fd, enum green__fd_kind kind, int nonblock);

/* Records that fd is being closed: new generation, everything unknown
 * (even for an fd the table never saw being made). */
void green__fd_closed(int fd);

/* fd's generation (0 for an fd never recorded). */
unsigned green__fd_gen(int fd);

/* The kind of the file open on fd, from fstat (and isatty), for fds the
 * table did not see being made. Returns the kind, or -errno. */
int green__fd_probe(int fd);

#endif
