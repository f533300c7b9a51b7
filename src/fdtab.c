/* The fd table; see fdtab.h. Growth is the only locked path: a writer
 * that needs a bigger top array or a new chunk takes `lock`, readers never
 * do. Old top arrays are kept (their total is less than the newest), so a
 * reader holding one stays safe. */
#include "fdtab.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"
#include "oslock.h"

#define CHUNK 1024  /* entries per chunk, a power of two */

struct top {
    size_t n;                        /* chunk slots */
    struct green__fd *_Atomic c[];   /* chunks, NULL until needed */
};

static struct top *_Atomic table;
static struct green__oslock lock;

struct green__fd *green__fd_peek(int fd)
{
    if (fd < 0)
        return NULL;
    struct top *t = atomic_load_explicit(&table, memory_order_acquire);
    size_t i = (size_t)fd / CHUNK;
    if (!t || i >= t->n)
        return NULL;
    struct green__fd *c = atomic_load_explicit(&t->c[i], memory_order_acquire);
    return c ? &c[fd % CHUNK] : NULL;
}

/* Makes the top array reach chunk i and chunk i exist. Under lock. */
static struct green__fd *grow(size_t i)
{
    struct top *t = atomic_load(&table);
    if (!t || i >= t->n) {
        size_t n = t ? t->n : 4;
        while (n <= i)
            n *= 2;
        struct top *bigger = calloc(1, sizeof *bigger + n * sizeof bigger->c[0]);
        if (!bigger)
            return NULL;
        bigger->n = n;
        for (size_t k = 0; t && k < t->n; k++)
            atomic_store(&bigger->c[k], atomic_load(&t->c[k]));
        atomic_store_explicit(&table, bigger, memory_order_release);
        t = bigger;  /* the old array stays allocated for readers */
    }
    struct green__fd *c = atomic_load(&t->c[i]);
    if (!c) {
        c = calloc(CHUNK, sizeof *c);
        if (c)
            atomic_store_explicit(&t->c[i], c, memory_order_release);
    }
    return c;
}

struct green__fd *green__fd_entry(int fd)
{
    struct green__fd *e = green__fd_peek(fd);
    if (likely(e) || fd < 0)
        return e;
    green__oslock_lock(&lock);
    struct green__fd *c = grow((size_t)fd / CHUNK);
    green__oslock_unlock(&lock);
    return c ? &c[fd % CHUNK] : NULL;
}

int green__fd_opened(int fd, enum green__fd_kind kind, int nonblock)
{
    struct green__fd *e = green__fd_entry(fd);
    if (!e)
        return -ENOMEM;
    atomic_store(&e->kind, (unsigned char)kind);
    atomic_store(&e->nonblock, (unsigned char)!!nonblock);
    atomic_store(&e->rcvtimeo, 0);
    atomic_store(&e->sndtimeo, 0);
    atomic_fetch_add(&e->gen, 1);
    return 0;
}

void green__fd_closed(int fd)
{
    /* Even an fd never recorded: a hub may watch it (inherited, or made
     * inside libc), and must see the number change files. */
    struct green__fd *e = green__fd_entry(fd);
    if (!e)
        return;
    atomic_store(&e->kind, GREEN__FD_UNKNOWN);
    atomic_store(&e->nonblock, 0);
    atomic_store(&e->rcvtimeo, 0);
    atomic_store(&e->sndtimeo, 0);
    atomic_fetch_add(&e->gen, 1);
}

unsigned green__fd_gen(int fd)
{
    struct green__fd *e = green__fd_peek(fd);
    return e ? atomic_load_explicit(&e->gen, memory_order_relaxed) : 0;
}

int green__fd_probe(int fd)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return -errno;
    switch (st.st_mode & S_IFMT) {
    case S_IFSOCK:
        return GREEN__FD_SOCKET;
    case S_IFIFO:
        return GREEN__FD_PIPE;
    case S_IFREG:
    case S_IFBLK:
    case S_IFDIR:
        return GREEN__FD_FILE;
    case S_IFCHR: {
        int saved = errno;  /* isatty sets ENOTTY: keep errno as it was */
        int tty = isatty(fd);
        errno = saved;
        return tty ? GREEN__FD_TTY : GREEN__FD_OTHER;
    }
    default:
        return GREEN__FD_OTHER;
    }
}
