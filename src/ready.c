/* Fd readiness; see ready.h.
 *
 * Each fd a hub has waited on keeps one ev_io watcher, left started after
 * its waiters leave: the next wait on the same fd then costs no epoll_ctl.
 * The fd table's generation tells when the number now names another file
 * (closed and reused, perhaps by another hub), and the watcher is reset.
 * A watcher that fires with nobody waiting for an event drops that event,
 * unless a thread it woke has not run yet: that thread is likely to read
 * and wait again, and level-triggered epoll reports the fd meanwhile at
 * every poll of a busy hub. Dropping the event then would cost an
 * epoll_ctl (and the fcntl before it) to drop and another to re-arm, per
 * request, on a loaded server.
 * Readiness wakes one waiter per event, oldest first; level-triggered
 * epoll wakes the next one if the first leaves data unread. */
#include "ready.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <ev.h>

#include "cancel.h"
#include "common.h"
#include "fdtab.h"
#include "hub.h"
#include "thread.h"
#include "wait.h"

_Static_assert(EV_READ == GREEN_IN && EV_WRITE == GREEN_OUT,
               "green.h's events are libev's");

/* One fd's watcher and its waiters (a FIFO list). */
struct green__watch {
    ev_io w;
    struct green__fdwait *head, *tail;
    unsigned nin, nout;  /* waiters wanting EV_READ, EV_WRITE */
    unsigned woken;      /* waiters woken with events, not yet resumed */
    unsigned gen;        /* fdtab generation the watcher was set for */
};

/* Makes the watcher watch `events`. Anything but no change makes libev
 * call epoll_ctl at its next iteration, and Debian's libev asserts (aborts)
 * there on a bad fd rather than reporting it: so check the fd first, at a
 * cost of one fcntl only where an epoll_ctl follows anyway. */
static int watch(struct green__hub *h, struct green__watch *io, int events)
{
    if ((io->w.events & (EV_READ | EV_WRITE)) == events &&
        ev_is_active(&io->w) == (events != 0))
        return 0;
    if (events && fcntl(io->w.fd, F_GETFD) < 0 && errno == EBADF)
        return -EBADF;
    ev_io_stop(h->loop, &io->w);
    ev_io_modify(&io->w, events);
    if (events)
        ev_io_start(h->loop, &io->w);
    return 0;
}

static void unlink_waiter(struct green__watch *io, struct green__fdwait *w)
{
    *(w->prev ? &w->prev->next : &io->head) = w->next;
    *(w->next ? &w->next->prev : &io->tail) = w->prev;
    io->nin -= !!(w->events & EV_READ);
    io->nout -= !!(w->events & EV_WRITE);
}

static void wake_waiter(struct green__watch *io, struct green__fdwait *w, int result)
{
    unlink_waiter(io, w);
    w->result = result;
    io->woken += result > 0;
    green__unpark(w->t, 0);
}

static void io_cb(struct ev_loop *loop, ev_io *ew, int revents)
{
    struct green__watch *io = (struct green__watch *)ew;
    struct green__hub *h = ev_userdata(loop);
    if (revents & EV_ERROR) {
        /* libev has stopped the watcher: the fd is bad, or cannot be
         * watched. Let every waiter find out by trying its call. */
        int bad = fcntl(ew->fd, F_GETFD) < 0 && errno == EBADF;
        while (io->head)
            wake_waiter(io, io->head, bad ? -EBADF : EV_READ | EV_WRITE);
        return;
    }
    int todo = revents & (EV_READ | EV_WRITE);
    for (struct green__fdwait *w = io->head, *next; w && todo; w = next) {
        next = w->next;
        if (w->events & todo) {
            todo &= ~w->events;
            wake_waiter(io, w, w->events & revents);
        }
    }
    /* Events that fired for nobody: stop watching them, unless a woken
     * waiter is on its way back (see the top of the file). */
    if (todo && !io->woken)
        watch(h, io, ew->events & (EV_READ | EV_WRITE) & ~todo);
}

static struct green__watch *io_get(struct green__hub *h, int fd)
{
    if (fd >= h->nio) {
        int n = h->nio ? h->nio : 64;
        while (n <= fd)
            n = n > INT32_MAX / 2 ? INT32_MAX : n * 2;
        struct green__watch **a = realloc(h->io, (size_t)n * sizeof *a);
        if (!a)
            return NULL;
        for (int i = h->nio; i < n; i++)
            a[i] = NULL;
        h->io = a;
        h->nio = n;
    }
    if (!h->io[fd]) {
        struct green__watch *io = calloc(1, sizeof *io);
        if (!io)
            return NULL;
        ev_io_init(&io->w, io_cb, fd, 0);
        h->io[fd] = io;
        struct green__fd *e = green__fd_entry(fd);
        if (e)  /* a close on another hub tells this one */
            atomic_fetch_or(&e->hubs, 1u << (h->index < 31 ? h->index : 31));
    }
    return h->io[fd];
}

int green__fdwait_add(struct green__fdwait *w, int fd, int events)
{
    if (fd < 0)
        return -EBADF;
    if (!events || (events & ~(EV_READ | EV_WRITE)))
        return -EINVAL;
    struct green__hub *h = green__hub_get();
    struct green__watch *io = h ? io_get(h, fd) : NULL;
    if (!io)
        return -ENOMEM;
    unsigned gen = green__fd_watched(fd);
    if (green__unlikely(io->gen != gen)) {
        /* The number was closed and reused since the watcher was set:
         * epoll forgot the old file, so register afresh. Waiters of the
         * old file were woken at its close. */
        ev_io_stop(h->loop, &io->w);
        ev_io_set(&io->w, fd, 0);
        io->gen = gen;
    }
    *w = (struct green__fdwait){.prev = io->tail, .t = h->current,
                                .watch = io, .fd = fd, .events = events};
    *(io->tail ? &io->tail->next : &io->head) = w;
    io->tail = w;
    io->nin += !!(events & EV_READ);
    io->nout += !!(events & EV_WRITE);
    int r = watch(h, io, (io->w.events & (EV_READ | EV_WRITE)) | events);
    if (r < 0) {
        unlink_waiter(io, w);
        return r;
    }
    return 0;
}

/* A waiter woken with events runs again. Its watcher may be gone (the
 * fd was closed meanwhile): then there is nothing to count. */
static void resumed(struct green__fdwait *w)
{
    struct green__hub *h = green__hub_current();
    if (w->result > 0 && w->fd < h->nio && h->io[w->fd] == w->watch &&
        w->watch->woken)
        w->watch->woken--;
}

void green__fdwait_del(struct green__fdwait *w)
{
    if (!w->result)
        unlink_waiter(w->watch, w);
    else
        resumed(w);
}

int green__wait_fd(int fd, int events, int64_t deadline)
{
    return green__wait_fd_flags(fd, events, deadline, 0);
}

int green__wait_fd_flags(int fd, int events, int64_t deadline, int flags)
{
    struct green__fdwait w;
again:;
    int r = green__fdwait_add(&w, fd, events);
    if (r < 0)
        return r;
    if (!(flags & GREEN__WHY)) {
        green__wait_why(GREEN__WHY_FD, NULL, fd);
        w.t->wait.events = (unsigned char)events;
    }
    /* Handlers run once the waiter is off the list (GREEN__LATE), so
     * that one that leaves with siglongjmp leaves nothing behind; if the
     * signal does not end the wait, it goes on. */
    while (!w.result) {
        r = green__park_flags(deadline, flags | GREEN__LATE);
        if (r < 0 && w.result) {
            if (r == -ECANCELED)
                green__cancel_keep();
        } else if (r < 0 || (!w.result && green__park_pending())) {
            green__fdwait_del(&w);
            if (flags & GREEN__LATE)
                return r;  /* 0: the caller raises, then waits again */
            green__park_raise();
            if (r < 0)
                return r;
            goto again;
        }
    }
    resumed(&w);
    if (!(flags & GREEN__LATE))
        green__park_raise();
    return w.result;
}

void green__io_close(struct green__hub *h, int fd)
{
    if (fd < 0 || fd >= h->nio || !h->io[fd])
        return;
    struct green__watch *io = h->io[fd];
    while (io->head)
        wake_waiter(io, io->head, -EBADF);
    ev_io_stop(h->loop, &io->w);
    h->io[fd] = NULL;
    free(io);
    struct green__fd *e = green__fd_peek(fd);
    if (e && h->index < 31)
        atomic_fetch_and(&e->hubs, ~(1u << h->index));
}

unsigned green__io_gen(struct green__hub *h, int fd)
{
    return fd >= 0 && fd < h->nio && h->io[fd] ? h->io[fd]->gen : ~0u;
}

int green_wait_fd(int fd, int events, int64_t deadline)
{
    return (int)green__set_errno(green__wait_fd(fd, events, deadline));
}

int green_close(int fd)
{
    green__hub_fd_closing(fd);
    green__fd_closed(fd);
    return close(fd);
}
