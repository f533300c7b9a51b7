/* The process-wide fd table: what libgreen knows about each fd. Its
 * kind, whether the program asked for O_NONBLOCK, its SO_RCVTIMEO and
 * SO_SNDTIMEO, whether it is libgreen's own, and a generation that changes
 * whenever the number is closed or reused, so a hub can tell that its
 * persistent watcher is for an older file.
 *
 * What the table knows is a cache. Calls that make an fd fill it for free
 * (socket, accept, pipe know everything); otherwise the first wait on the
 * fd probes the kernel (fstat, F_GETFL, getsockopt). O_NONBLOCK and the
 * timeouts belong to the open file description, which dup'ed or inherited
 * fds share: a change through an fd that may share its description bumps
 * a global epoch, and every cached entry is probed afresh once. Changes
 * made by another process sharing a description are not seen.
 *
 * The table grows with the highest fd and never shrinks or moves an entry:
 * a top array of pointers to fixed chunks, replaced (never freed) when it
 * doubles. Memory comes from mmap, never malloc: the wrappers that fill
 * the table may run inside the allocator's own start-up. Readers take no
 * lock. */
#ifndef GREEN_SRC_FDTAB_H
#define GREEN_SRC_FDTAB_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"

enum green__fd_kind {
    GREEN__FD_UNKNOWN = 0,  /* not seen being made: ask the kernel */
    GREEN__FD_SOCKET,
    GREEN__FD_PIPE,         /* pipe or FIFO */
    GREEN__FD_TTY,
    GREEN__FD_FILE,         /* regular file, directory or block device */
    GREEN__FD_OTHER,        /* eventfd, timerfd, epoll, signalfd, ... */
};

/* The bits of an fd's info word. */
#define GREEN__FD_KIND 0x07u      /* enum green__fd_kind */
#define GREEN__FD_NONBLOCK 0x08u  /* the program set O_NONBLOCK */
#define GREEN__FD_STREAM 0x10u    /* a pipe or SOCK_STREAM: blocking writes
                                     write everything */
#define GREEN__FD_SHARED 0x20u    /* its description may have other fds */
#define GREEN__FD_KNOWN 0x40u     /* the word is filled in */

struct green__fd {
    atomic_uint gen;          /* bumped at every open and close */
    atomic_uint info;         /* GREEN__FD_* bits */
    atomic_uint info_gen;     /* gen the info was filled for */
    atomic_uint info_epoch;   /* epoch it was filled in */
    atomic_bool internal;     /* libgreen's own: libev's epoll, eventfd */
    atomic_uint hubs;         /* ready.c: hubs with a watcher on it, bit
                                 1 << index (31: index 31 or more) */
    atomic_uint accepting;    /* io.c's accept lock, a green futex word:
                                 0 free, 1 held, 2 held with waiters */
    atomic_uchar streak;      /* io.c's read-order hint: reads in a row
                                 that found nothing (a hint only: racy
                                 updates from several threads are fine) */
    _Atomic int64_t rcvtimeo; /* SO_RCVTIMEO in ns, 0 for none */
    _Atomic int64_t sndtimeo; /* SO_SNDTIMEO in ns, 0 for none */
};

/* A snapshot of what is known about one fd. */
struct green__fdinfo {
    unsigned info;     /* GREEN__FD_* bits, KNOWN set */
    int64_t rcvtimeo;  /* ns, 0 for none */
    int64_t sndtimeo;
};

/* Set once the first hub exists: until then no watcher or cache can be
 * stale, and the wrappers that make and close fds skip the table. */
extern atomic_bool green__fdtab_live;

/* fd's entry, made on demand; NULL for fd < 0 or no memory. */
struct green__fd *green__fd_entry(int fd);

#define GREEN__FD_CHUNK 1024  /* entries per chunk, a power of two */

struct green__fdtop {
    size_t n;                        /* chunk slots */
    struct green__fd *_Atomic c[];   /* chunks, NULL until needed */
};

extern struct green__fdtop *_Atomic green__fdtab;

/* fd's entry if the table already reaches it, else NULL. Never allocates. */
static inline struct green__fd *green__fd_peek(int fd)
{
    if (fd < 0)
        return NULL;
    struct green__fdtop *t =
        atomic_load_explicit(&green__fdtab, memory_order_acquire);
    size_t i = (size_t)fd / GREEN__FD_CHUNK;
    if (!t || i >= t->n)
        return NULL;
    struct green__fd *c = atomic_load_explicit(&t->c[i], memory_order_acquire);
    return c ? &c[fd % GREEN__FD_CHUNK] : NULL;
}

extern atomic_uint green__fd_epoch;  /* bumped by shared changes (above) */

/* Whether e's cached info is for its current file and epoch. */
static inline bool green__fd_valid(struct green__fd *e)
{
    return atomic_load_explicit(&e->info_gen, memory_order_acquire) ==
               atomic_load_explicit(&e->gen, memory_order_relaxed) &&
           atomic_load_explicit(&e->info_epoch, memory_order_relaxed) ==
               atomic_load_explicit(&green__fd_epoch, memory_order_relaxed) &&
           (atomic_load_explicit(&e->info, memory_order_relaxed) &
            GREEN__FD_KNOWN);
}

/* What is known about fd, from the cache or else from the kernel.
 * Returns 0, or -EBADF (fd is not open) or -ENOMEM. errno is kept. */
int green__fd_info(int fd, struct green__fdinfo *out);

/* Records a freshly made fd: a new generation, and `info` (GREEN__FD_*
 * bits with KNOWN, or 0 when the kind is not known without asking).
 * `internal` marks libgreen's own fds. Never fails: an entry that cannot
 * be made is probed later. */
void green__fd_made(int fd, unsigned info, bool internal);

/* Records that fd is being closed: new generation, nothing known. */
void green__fd_closed(int fd);

/* In a fork's child: frees every accept lock (io.c), whose holders and
 * waiters were threads that are not in the child. */
void green__fd_forked(void);

/* Records that newfd was made as a duplicate of oldfd: it shares oldfd's
 * description, so it starts with oldfd's info and both are SHARED. */
void green__fd_dup(int oldfd, int newfd);

/* Records the program's O_NONBLOCK (F_SETFL, FIONBIO) or timeout
 * (SO_RCVTIMEO, SO_SNDTIMEO: which is the optname) set through fd. */
void green__fd_set_nonblock(int fd, bool on);
void green__fd_set_timeo(int fd, int which, int64_t ns);

/* fd's generation (0 for an fd never recorded). */
unsigned green__fd_gen(int fd);

/* fd's generation, for a hub about to watch fd: makes its entry, so that
 * a close through a wrapper bumps the generation the hub compares.
 * Inline: every wait on an fd asks. */
static inline unsigned green__fd_watched(int fd)
{
    struct green__fd *e = green__fd_peek(fd);
    if (green__unlikely(!e))
        e = green__fd_entry(fd);
    return e ? atomic_load_explicit(&e->gen, memory_order_relaxed) : 0;
}

/* Whether fd is libgreen's own. */
static inline bool green__fd_internal(int fd)
{
    struct green__fd *e = green__fd_peek(fd);
    return e && atomic_load_explicit(&e->internal, memory_order_relaxed);
}

/* The kind of the file open on fd, from fstat (and isatty). Returns the
 * kind, or -errno. errno is kept. */
int green__fd_probe(int fd);

#endif
