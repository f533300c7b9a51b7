/* Park, unpark, deadlines, sleeps and fd readiness; see wait.h.
 *
 * The park token is one atomic word: IDLE, PARKED, or NOTIFIED with the
 * wake's errno in the upper bits, so the result travels with the wake in
 * a single compare-and-swap. Deadlines use an ev_timer embedded in the
 * thread, armed against a freshly updated loop time; a timer that still
 * fires early (libev rounds) is re-armed rather than trusted.
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
#include "wait.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <ev.h>

#include "cancel.h"
#include "clock.h"
#include "common.h"
#include "fdtab.h"
#include "hub.h"
#include "intr.h"
#include "oslock.h"
#include "thread.h"

#define IDLE 0u
#define PARKED 1u
#define NOTIFIED 2u

_Static_assert(sizeof(ev_timer) <= sizeof(((struct green_thread *)0)->timer),
               "the ev_timer must fit in struct green_thread");
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


int64_t green_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * GREEN__NS_PER_S + ts.tv_nsec;
}

void green__unpark(struct green_thread *t, int result)
{
    unsigned note = NOTIFIED | (unsigned)-result << 2;
    unsigned s = atomic_load(&t->park);
    for (;;) {
        if (s & NOTIFIED)
            return;  /* a wake is already on its way */
        if (atomic_compare_exchange_weak(&t->park, &s, note))
            break;
    }
    if (s == PARKED)
        green__hub_wake(t);
}

/* libev counts a timer's delay from its cached loop time, so refresh that
 * first: then timers expire in deadline order, as sleepers expect, rather
 * than in an order skewed by how stale the cache was for each. */
static void arm(struct green__hub *h, struct green_thread *t)
{
    ev_timer *w = (ev_timer *)t->timer;
    ev_now_update(h->loop);
    ev_timer_set(w, (double)(t->deadline - green_now()) * 1e-9, 0.);
    ev_timer_start(h->loop, w);
}

static void timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop, (void)revents;
    struct green_thread *t = w->data;
    int64_t now = green_now();
    if (now < t->deadline) {
        arm(t->hub, t);
        return;
    }
    unsigned s = PARKED;
    if (atomic_compare_exchange_strong(&t->park, &s,
                                       NOTIFIED | (unsigned)ETIMEDOUT << 2))
        green__hub_ready(t->hub, t);
}

static int take(struct green_thread *t)
{
    return -(int)(atomic_exchange(&t->park, IDLE) >> 2);
}

int green__park(int64_t deadline)
{
    return green__park_flags(deadline, 0);
}

int green__park_flags(int64_t deadline, int flags)
{
    struct green__hub *h = green__hub_get();
    struct green_thread *t = h->current;
    ev_timer *w = (ev_timer *)t->timer;
    if (unlikely(atomic_load_explicit(&t->sigpend, memory_order_relaxed)))
        green__intr_raise(t);  /* a pthread_kill's handler runs here */
    if (!(flags & GREEN__NOCANCEL)) {
        if (atomic_load_explicit(&t->cancel, memory_order_relaxed) &&
            atomic_exchange(&t->cancel, 0))
            return -ECANCELED;
        deadline = green__deadline_min(deadline, t->scope_deadline);
    }
    int64_t now = deadline >= 0 ? green_now() : 0;
    unsigned s = IDLE;
    if (deadline >= 0 && now >= deadline)
        return atomic_load(&t->park) == IDLE ? -ETIMEDOUT : take(t);
    /* Before the token says PARKED, so that a signal handler seeing it
     * PARKED also sees which interruptions the park takes (intr.c). */
    t->intr = (unsigned char)(flags & (GREEN__EINTR | GREEN__ERESTART));
    /* Once PARKED, a waker on another OS thread may queue t: from here on
     * t must switch away. */
    if (!atomic_compare_exchange_strong(&t->park, &s, PARKED)) {
        t->intr = 0;
        return take(t);  /* an unpark came first */
    }
    t->deadline = deadline;
    if (deadline >= 0) {
        ev_init(w, timer_cb);
        w->data = t;
        arm(h, t);
    }
    t->state = GREEN__PARKED;
    green__hub_switch(h);
    t->intr = 0;
    if (unlikely(atomic_load_explicit(&t->sigpend, memory_order_relaxed)))
        green__intr_raise(t);
    if (deadline >= 0 && ev_is_active(w))
        ev_timer_stop(h->loop, w);
    t->deadline = GREEN_NEVER;
    int r = take(t);
    if (r == -ECANCELED) {
        if (flags & GREEN__NOCANCEL)
            return 0;  /* the kill stays pending, for a later wait */
        atomic_store(&t->cancel, 0);  /* delivered */
    }
    return r;
}

void green__backoff(unsigned spins)
{
    if (green__hub_current())
        green_yield();
    if (spins > 100)
        green__os_nap(20000);
    else
        green__cpu_relax();
}

int green__poll_until(int (*attempt)(void *), void *arg, int64_t deadline,
                      int flags)
{
    for (int64_t nap = 50000;; nap = nap < 10000000 ? nap * 2 : nap) {
        int r = attempt(arg);
        if (r != -EBUSY)
            return r;
        int64_t now = green_now();
        if (deadline >= 0 && now >= deadline)
            return -ETIMEDOUT;
        r = green__park_flags(green__deadline_min(now + nap, deadline),
                              flags);
        if (r == -ECANCELED)
            return r;
    }
}

int green_kill(green_t t)
{
    if (atomic_load(&t->join) == GREEN__JOIN_ENDED || t->state == GREEN__ENDED)
        return 0;
    atomic_store(&t->cancel, 1);
    green__unpark(t, -ECANCELED);
    return 0;
}

int green_sleep_until(int64_t deadline)
{
    if (deadline < 0)
        deadline = INT64_MAX;
    for (;;) {
        int r = green__park(deadline);
        if (r == -ECANCELED || green_now() >= deadline)
            return (int)green__set_errno(r == -ECANCELED ? r : 0);
        if (r == -ETIMEDOUT)  /* a green_timeout scope ended first */
            return (int)green__set_errno(r);
    }
}

int green_timeout_start(green_timeout_t *to, int64_t ns)
{
    struct green_thread *t = green__self();
    if (ns < 0 || !t)
        return errno = EINVAL, -1;
    int64_t now = green_now();
    to->deadline_ = ns > INT64_MAX - now ? INT64_MAX : now + ns;
    to->outer_ = t->scope_deadline;
    to->prev_ = t->scope;
    t->scope = to;
    t->scope_deadline = green__deadline_min(to->outer_, to->deadline_);
    return 0;
}

int green_timeout_cancel(green_timeout_t *to)
{
    struct green_thread *t = green__self();
    if (!t || t->scope != to)
        return errno = EINVAL, -1;
    t->scope = to->prev_;
    t->scope_deadline = to->outer_;
    return green_now() >= to->deadline_;
}

int green_sleep(int64_t ns)
{
    if (ns <= 0)
        return green_yield();
    int64_t now = green_now();
    return green_sleep_until(ns > INT64_MAX - now ? INT64_MAX : now + ns);
}

/* ---- fd readiness ------------------------------------------------------ */

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
    if (unlikely(io->gen != gen)) {
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
    int r = green__fdwait_add(&w, fd, events);
    if (r < 0)
        return r;
    while (!w.result) {
        r = green__park_flags(deadline, flags);
        if (r < 0 && w.result) {
            if (r == -ECANCELED)
                green__cancel_keep();
        } else if (r < 0) {
            green__fdwait_del(&w);
            return r;
        }
    }
    resumed(&w);
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
}

int green_wait_fd(int fd, int events, int64_t deadline)
{
    return (int)green__set_errno(green__wait_fd(fd, events, deadline));
}

int green_close(int fd)
{
    struct green__hub *h = green__hub_current();
    if (h)
        green__io_close(h, fd);
    green__fd_closed(fd);
    return close(fd);
}
