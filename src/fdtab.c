/* The fd table; see fdtab.h. Growth is the only locked path: a writer
 * that needs a bigger top array or a new chunk takes `lock`, readers never
 * do. Old top arrays are kept (their total is less than the newest), so a
 * reader holding one stays safe. */
#include "fdtab.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "common.h"
#include "oslock.h"
#include "real.h"

struct green__fdtop *_Atomic green__fdtab;
atomic_bool green__fdtab_live;
atomic_uint green__fd_epoch;  /* see fdtab.h */
static struct green__oslock lock;

static void *zalloc(size_t size)
{
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

/* Makes the top array reach chunk i and chunk i exist. Under lock. */
static struct green__fd *grow(size_t i)
{
    struct green__fdtop *t = atomic_load(&green__fdtab);
    if (!t || i >= t->n) {
        size_t n = t ? t->n : 4;
        while (n <= i)
            n *= 2;
        struct green__fdtop *bigger =
            zalloc(sizeof *bigger + n * sizeof bigger->c[0]);
        if (!bigger)
            return NULL;
        bigger->n = n;
        for (size_t k = 0; t && k < t->n; k++)
            atomic_store(&bigger->c[k], atomic_load(&t->c[k]));
        atomic_store_explicit(&green__fdtab, bigger, memory_order_release);
        t = bigger;  /* the old array stays mapped for readers */
    }
    struct green__fd *c = atomic_load(&t->c[i]);
    if (!c) {
        c = zalloc(GREEN__FD_CHUNK * sizeof *c);
        if (c)
            atomic_store_explicit(&t->c[i], c, memory_order_release);
    }
    return c;
}

struct green__fd *green__fd_entry(int fd)
{
    struct green__fd *e = green__fd_peek(fd);
    if (green__likely(e) || fd < 0)
        return e;
    green__oslock_lock(&lock);
    struct green__fd *c = grow((size_t)fd / GREEN__FD_CHUNK);
    green__oslock_unlock(&lock);
    return c ? &c[fd % GREEN__FD_CHUNK] : NULL;
}

/* Publishes info for e's current generation and epoch. */
static void fill(struct green__fd *e, unsigned gen, unsigned ep, unsigned info,
                 int64_t rcvtimeo, int64_t sndtimeo)
{
    atomic_store(&e->info_gen, gen - 1);  /* invalid while being written */
    atomic_store(&e->info, info | GREEN__FD_KNOWN);
    atomic_store(&e->rcvtimeo, rcvtimeo);
    atomic_store(&e->sndtimeo, sndtimeo);
    atomic_store(&e->info_epoch, ep);
    atomic_store_explicit(&e->info_gen, gen, memory_order_release);
}


static int64_t timeo(int fd, int opt)
{
    struct timeval tv;
    socklen_t len = sizeof tv;
    if (getsockopt(fd, SOL_SOCKET, opt, &tv, &len) < 0)
        return 0;
    return (int64_t)tv.tv_sec * GREEN__NS_PER_S + (int64_t)tv.tv_usec * 1000;
}

/* Asks the kernel. The description may be anyone's: count it shared. */
static int probe(int fd, struct green__fd *e)
{
    unsigned gen = atomic_load(&e->gen), ep = atomic_load(&green__fd_epoch);
    int kind = green__fd_probe(fd);
    if (kind < 0)
        return kind;
    int saved = errno;
    unsigned info = (unsigned)kind | GREEN__FD_SHARED;
    const struct green__real *real = green__reals();
    int64_t rcv = 0, snd = 0;
    int fl = real->fcntl(fd, F_GETFL);
    if (fl >= 0 && (fl & O_NONBLOCK))
        info |= GREEN__FD_NONBLOCK;
    if (kind == GREEN__FD_PIPE)
        info |= GREEN__FD_STREAM;
    if (kind == GREEN__FD_SOCKET) {
        int type = 0;
        socklen_t len = sizeof type;
        if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 &&
            type == SOCK_STREAM)
            info |= GREEN__FD_STREAM;
        rcv = timeo(fd, SO_RCVTIMEO);
        snd = timeo(fd, SO_SNDTIMEO);
    }
    errno = saved;
    fill(e, gen, ep, info, rcv, snd);
    return 0;
}

int green__fd_info(int fd, struct green__fdinfo *out)
{
    struct green__fd *e = green__fd_entry(fd);
    if (!e)
        return fd < 0 ? -EBADF : -ENOMEM;
    if (green__unlikely(!green__fd_valid(e))) {
        int r = probe(fd, e);
        if (r < 0)
            return r;
    }
    out->info = atomic_load_explicit(&e->info, memory_order_relaxed);
    out->rcvtimeo = atomic_load_explicit(&e->rcvtimeo, memory_order_relaxed);
    out->sndtimeo = atomic_load_explicit(&e->sndtimeo, memory_order_relaxed);
    return 0;
}

void green__fd_made(int fd, unsigned info, bool internal)
{
    struct green__fd *e = green__fd_entry(fd);
    if (!e)
        return;
    atomic_store(&e->internal, internal);
    atomic_store_explicit(&e->streak, 0, memory_order_relaxed);
    unsigned gen = atomic_fetch_add(&e->gen, 1) + 1;
    if (info)
        fill(e, gen, atomic_load(&green__fd_epoch), info, 0, 0);
}

void green__fd_closed(int fd)
{
    /* An fd the table does not reach has nothing to forget: every fd a
     * hub watches has an entry (green__fd_watched). */
    struct green__fd *e = green__fd_peek(fd);
    if (!e)
        return;
    atomic_store(&e->internal, false);
    atomic_store_explicit(&e->streak, 0, memory_order_relaxed);
    atomic_fetch_add(&e->gen, 1);
}

void green__fd_forked(void)
{
    struct green__fdtop *t = atomic_load(&green__fdtab);
    for (size_t i = 0; t && i < t->n; i++) {
        struct green__fd *c = atomic_load(&t->c[i]);
        for (size_t j = 0; c && j < GREEN__FD_CHUNK; j++)
            atomic_store_explicit(&c[j].accepting, 0, memory_order_relaxed);
    }
}

void green__fd_dup(int oldfd, int newfd)
{
    struct green__fd *o = green__fd_entry(oldfd);
    struct green__fd *e = green__fd_entry(newfd);
    if (!o || !e)
        return;
    unsigned gen = atomic_fetch_add(&e->gen, 1) + 1;
    atomic_store(&e->internal, false);
    atomic_store_explicit(&e->streak, 0, memory_order_relaxed);
    if (!green__fd_valid(o))
        return;
    atomic_fetch_or(&o->info, GREEN__FD_SHARED);
    fill(e, gen, atomic_load(&o->info_epoch),
         atomic_load(&o->info) | GREEN__FD_SHARED, atomic_load(&o->rcvtimeo),
         atomic_load(&o->sndtimeo));
}

/* After a change made through fd to its description: other fds that may
 * share it must be probed again. */
static void changed(struct green__fd *e)
{
    if (!green__fd_valid(e) || (atomic_load(&e->info) & GREEN__FD_SHARED))
        atomic_fetch_add(&green__fd_epoch, 1);
}

void green__fd_set_nonblock(int fd, bool on)
{
    struct green__fd *e = green__fd_peek(fd);
    if (!e || !green__fd_valid(e)) {
        atomic_fetch_add(&green__fd_epoch, 1);
        return;
    }
    if (on)
        atomic_fetch_or(&e->info, GREEN__FD_NONBLOCK);
    else
        atomic_fetch_and(&e->info, ~GREEN__FD_NONBLOCK);
    changed(e);
    if (atomic_load(&e->info) & GREEN__FD_SHARED)  /* keep our own valid */
        atomic_store(&e->info_epoch, atomic_load(&green__fd_epoch));
}

void green__fd_set_timeo(int fd, int which, int64_t ns)
{
    struct green__fd *e = green__fd_peek(fd);
    if (!e || !green__fd_valid(e)) {
        atomic_fetch_add(&green__fd_epoch, 1);
        return;
    }
    atomic_store(which == SO_RCVTIMEO ? &e->rcvtimeo : &e->sndtimeo, ns);
    changed(e);
    if (atomic_load(&e->info) & GREEN__FD_SHARED)
        atomic_store(&e->info_epoch, atomic_load(&green__fd_epoch));
}

unsigned green__fd_gen(int fd)
{
    struct green__fd *e = green__fd_peek(fd);
    return e ? atomic_load_explicit(&e->gen, memory_order_relaxed) : 0;
}

int green__fd_probe(int fd)
{
    struct stat st;
    int saved = errno, r;
    if (fstat(fd, &st) < 0) {
        r = -errno;
        errno = saved;
        return r;
    }
    switch (st.st_mode & S_IFMT) {
    case S_IFSOCK:
        return GREEN__FD_SOCKET;
    case S_IFIFO:
        return GREEN__FD_PIPE;
    case S_IFREG:
    case S_IFBLK:
    case S_IFDIR:
        return GREEN__FD_FILE;
    case S_IFCHR:
        r = isatty(fd) ? GREEN__FD_TTY : GREEN__FD_OTHER;
        errno = saved;  /* isatty sets ENOTTY */
        return r;
    default:
        return GREEN__FD_OTHER;
    }
}
