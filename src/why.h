/* Wait reasons: what a parked green thread waits on, in a few words kept
 * in the thread, for green_dump() and the statistics. A wait names its
 * reason just before it parks (green__wait_why(), wait.h) and the park
 * records since when, from the hub's clock of its last poll: a few
 * stores per park, no system call. The generic waits under others (fd
 * readiness, the futex, the offload pool, polling a glibc-kept object)
 * name a reason of their own only when the caller named none, which it
 * says with GREEN__WHY in the park flags. A reason means something only
 * while its thread is parked. */
#ifndef GREEN_SRC_WHY_H
#define GREEN_SRC_WHY_H

#include <stdint.h>

enum green__why {
    GREEN__WHY_NONE,     /* a park that named nothing */
    GREEN__WHY_FD,       /* num: the fd; events: GREEN_IN/GREEN_OUT */
    GREEN__WHY_POLL,     /* poll, select, epoll_wait; num: fds watched */
    GREEN__WHY_SLEEP,    /* until the park's deadline */
    GREEN__WHY_MUTEX,    /* obj: the object, for these seven */
    GREEN__WHY_COND,
    GREEN__WHY_RWLOCK,
    GREEN__WHY_SEM,
    GREEN__WHY_BARRIER,
    GREEN__WHY_ONCE,
    GREEN__WHY_EVENT,
    GREEN__WHY_FUTEX,    /* obj: the address (syscall(SYS_futex), or a
                            futex wait no primitive named) */
    GREEN__WHY_SHARED,   /* obj: a process-shared or robust object glibc
                            keeps, tried again and again */
    GREEN__WHY_JOIN,     /* num: the id of the thread joined */
    GREEN__WHY_GROUP,    /* obj: the group */
    GREEN__WHY_CHANNEL,  /* obj: the first channel of the select */
    GREEN__WHY_CHILD,    /* waitpid and kin; num: the pid (-1 any) */
    GREEN__WHY_OFFLOAD,  /* call: the call's name; arg: its argument or
                            NULL, both alive while the thread is parked */
    GREEN__WHY_SIGNAL,   /* sigwait, pause, sigsuspend */
    GREEN__WHY_KINDS
};

struct green__wait_info {
    unsigned char why;   /* enum green__why */
    unsigned char events; /* GREEN__WHY_FD: GREEN_IN and/or GREEN_OUT */
    const void *obj;
    const char *call;    /* GREEN__WHY_OFFLOAD */
    const char *arg;
    int64_t num;
    int64_t since;       /* monotonic ns: parked at about this time
                            (the hub's last poll) */
};

/* One word for a reason ("read", "mutex", "offload"), as the dump's JSON
 * and the statistics name it. */
const char *green__why_name(enum green__why why);

#endif
