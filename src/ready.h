/* Fd readiness: green threads wait for an fd to become readable or
 * writable, on one persistent libev watcher per fd and hub. Built on the
 * park (wait.h); the fd table's generation (fdtab.h) tells a watcher that
 * its number now names another file. */
#ifndef GREEN_SRC_READY_H
#define GREEN_SRC_READY_H

#include <stdint.h>

struct green_thread;
struct green__hub;
struct green__watch;

/* Waits for fd readiness (EV_READ = GREEN_IN, EV_WRITE = GREEN_OUT), with
 * one persistent libev watcher per fd and hub. Returns the ready events,
 * -ETIMEDOUT, or -EBADF if the fd is invalid or was closed meanwhile
 * through green__io_close(). May yield. */
int green__wait_fd(int fd, int events, int64_t deadline);

/* green__wait_fd() with green__park_flags()'s flags. */
int green__wait_fd_flags(int fd, int events, int64_t deadline, int flags);

/* One fd a green thread waits on, for waits on several fds at once
 * (poll, select): add one per fd, park, then del them all. */
struct green__fdwait {
    struct green__fdwait *next, *prev;  /* the fd's waiters, FIFO */
    struct green_thread *t;
    struct green__watch *watch;         /* ready.c: the fd's watcher */
    int fd;
    int events;                         /* wanted */
    int result;                         /* 0 while waiting, then the
                                           ready events or -errno */
};

/* Registers the current green thread as waiting on fd for events; a
 * readiness then unparks it and sets w->result. Returns 0, -EBADF,
 * -EINVAL or -ENOMEM. Does not park. */
int green__fdwait_add(struct green__fdwait *w, int fd, int events);

/* Unregisters w if it has not fired. */
void green__fdwait_del(struct green__fdwait *w);

/* Wakes every waiter on fd with -EBADF and forgets the fd's watcher: to be
 * called before fd is closed. On h's OS thread; see also
 * green__hub_fd_closing, which does it on every hub. */
void green__io_close(struct green__hub *h, int fd);

/* The fdtab generation h's watcher of fd was set for, or ~0u if h has
 * none. */
unsigned green__io_gen(struct green__hub *h, int fd);

#endif
