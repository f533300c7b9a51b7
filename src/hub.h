/* The hub: one per OS thread, created lazily. It owns a FIFO run queue, a
 * libev loop (made with ev_loop_new(EVFLAG_NOSIGMASK), never the default
 * loop, whose SIGCHLD watcher would reap the program's children) and a
 * small scheduler context that runs the loop when no green thread is ready.
 *
 * A green thread that stops running switches straight to the next ready
 * one; only when none is ready does it switch to the scheduler, which
 * blocks in ev_run until a callback makes some thread ready. The loop is
 * also polled without waiting once every thread that was ready at the
 * last poll has had its turn (and at least every GREEN_POLL_EVERY
 * switches), so a busy run queue cannot starve I/O or timers, and a
 * long one is not polled again before the threads the last poll woke
 * have read what woke them: level-triggered epoll would report their
 * fds again, for nobody.
 *
 * A process has GREEN_HUBS hubs (place.c chooses among them): hub 0
 * is the main thread's, the others are OS threads libgreen starts when
 * the first green thread is placed on them. Wakes from other OS threads
 * arrive through a lock-free queue (the hub's inbox); the waker writes
 * the hub's eventfd (ev_async_send) only when the hub says it sleeps, or
 * is about to, in epoll_wait: a running hub finds its inbox at its next
 * switch without a system call on either side. */
#ifndef GREEN_SRC_HUB_H
#define GREEN_SRC_HUB_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "oslock.h"
#include "real.h"
#include "stats.h"
#include "thread.h"

struct ev_loop;
struct green__hub_ev;
struct green__watch;

struct green__hub {
    struct green_thread *current;   /* running thread; NULL in scheduler */
    struct green_thread *runq_head; /* ready threads, FIFO via ->next */
    struct green_thread *runq_tail;
    size_t nready;                  /* threads in the run queue */
    unsigned since_poll;            /* switches since the loop was polled */
    size_t poll_after;              /* ... and before it is polled again */
    size_t live;                    /* threads of this hub not yet ended */
    int64_t polled_at;              /* green_now() at the last poll */
    _Atomic uint64_t switch_seq;    /* switches to a green thread, for the
                                       statistics and the monitor (which
                                       reads it from its own OS thread):
                                       a relaxed load and store each */
    void *sched_sp;                 /* scheduler context while suspended */
    struct green__san sched_san;    /* fiber_san.h: the scheduler's */
    struct green_thread *reap;      /* ended thread for the scheduler */
    bool is_main;                   /* hub of the process's main thread */
    bool worker;                    /* an OS thread libgreen started to be
                                       a hub: its adopted context only
                                       idles, blocking every signal */
    bool gone;                      /* in a fork's child: its OS thread
                                       is not there, nothing runs it */
    bool first_ended;               /* its adopted context ended as a
                                       green thread (thread.c) */
    unsigned index;                 /* its slot in GREEN_HUBS (0: main's),
                                       or GREEN__HUB_FOREIGN */
    bool first_gone;                /* forked from another green thread:
                                       the adopted context did not
                                       survive, so the last thread to end
                                       exits the process (thread.c) */
    uint64_t fork_mark;             /* threads with a smaller id, but for
                                       `forker`, vanished in a fork: wakes
                                       of them are dropped */
    struct green_thread *forker;    /* the thread that forked (or NULL) */
    pid_t tid;                      /* its OS thread's real task id */
    pthread_t os;                   /* its OS thread, for the real calls
                                       pthread_kill and the like */
    struct ev_loop *loop;
    struct green__hub_ev *ev;       /* hub.c: async watcher, wake queue */
    struct green__watch **io;       /* ready.c: per-fd watchers, by fd */
    int nio;                        /* entries in io */
    struct green__stack_cache stacks;
    struct green__stack sched_stack;
    struct green__stack altstack;   /* overflow.c's, if it made one */
    struct green_thread *_Atomic intr_wait; /* intr.c: the thread in
                                       sigsuspend, which takes the
                                       process's signals, or NULL */
    uint32_t sig_nblocked[64];      /* sigmask.c: live threads blocking
                                       each signal */
    uint32_t sig_threads;           /* ... out of these */
    uint64_t sig_all;               /* the signals all of them block */
    _Atomic uint64_t sig_info_bits; /* intr.c: sig_deferred entries set */
    struct green__sigdefer {        /* ... a signal deferred to one of
                                       its threads: handler and info */
        siginfo_t info;
        uintptr_t fn;
        int flags;
        uint64_t mask;              /* its sa_mask */
    } sig_deferred[64];
    struct green_thread *_Atomic kill_for[64]; /* intr.c: the thread a
                                       pthread_kill from another hub sent
                                       signal i + 1 to this OS thread for */
    uint64_t sig_real;              /* the OS thread's mask, as set */
    struct green_thread first;      /* the adopted OS thread context */
    /* Diagnostics, kept after the fields every switch reads, so that
     * those stay in the same few cache lines. */
    struct green_thread *threads;   /* every thread not yet reaped, the
                                       adopted one included, via all_next */
    struct green__oslock threads_lock; /* held to change `threads`, and by
                                       a dump from another OS thread */
    struct green__hub *all_next;    /* the process's hubs (hub.c) */
    uint64_t mon_seq;               /* monitor.c's: switch_seq seen ... */
    int64_t mon_since;              /* ... since this time ... */
    bool mon_reported;              /* ... and the episode reported */
    _Atomic unsigned mon_sample;    /* monitor.c: samples taken, and */
    uintptr_t mon_pc;               /* ... the last: the interrupted pc */
    unsigned mon_nwords;            /* ... and the top of its stack */
    uintptr_t mon_stack[256];
    struct green__stats stats;      /* stats.h: written by this OS thread */
    /* Written by other OS threads: a line of their own, so that wakers
     * and placers do not bounce the lines the switch reads. */
    _Alignas(64) _Atomic int sleeping; /* in, or about to enter, a
                                       blocking epoll_wait: a waker must
                                       write the eventfd (seq_cst) */
    atomic_uint pinned;             /* wakers still to nudge it: see
                                       hub.c's pin */
    _Atomic int placed;             /* green threads placed on it and not
                                       ended, for place.c */
    _Atomic int unstarted;          /* placed ones that never ran yet */
    _Atomic unsigned busy;          /* ready + running ones at the last
                                       poll, but for the unstarted, for
                                       place.c */
};

/* The index of a hub the program's own OS thread made (by calling into
 * libgreen), which is no placement's target. */
#define GREEN__HUB_FOREIGN (~0u)


extern __thread struct green__hub *green__tls_hub
    __attribute__((tls_model("initial-exec")));

/* Nonzero while libgreen itself calls libc on this OS thread (libev's
 * epoll_wait and eventfd writes, log lines): wrappers then pass straight
 * through, and fds made meanwhile are marked as libgreen's own. */
extern __thread int green__tls_internal
    __attribute__((tls_model("initial-exec")));

/* The calling OS thread's hub, or NULL if it has none yet. */
static inline struct green__hub *green__hub_current(void)
{
    return green__tls_hub;
}

/* Whether the calling thread may park here rather than block: it is a
 * green thread (not the scheduler, not libgreen's own calls, not a thread
 * without a hub) and another green thread of its hub could run meanwhile.
 * Otherwise blocking the OS thread in the real call is the same thing and
 * cheaper. Also makes sure the real functions are resolved. */
static inline bool green__gate(void)
{
    green__real_ensure();
    struct green__hub *h = green__tls_hub;
    return h && !green__tls_internal && h->current &&
           (h->live > 1 || h->runq_head) && !green__config.disable;
}

/* Makes the calling OS thread's hub (green__hub_get's slow path). */
struct green__hub *green__hub_make(void);

/* The calling OS thread's hub, created on first use. NULL on ENOMEM.
 * Inline: every park asks. */
static inline struct green__hub *green__hub_get(void)
{
    struct green__hub *h = green__tls_hub;
    return __builtin_expect(h != NULL, 1) ? h : green__hub_make();
}

/* Adds t, a new thread of h, to h's list of threads; green__thread_reap
 * takes it off again. O(1), on h's own OS thread. */
void green__hub_enlist(struct green__hub *h, struct green_thread *t);
void green__hub_delist(struct green__hub *h, struct green_thread *t);

/* Calls fn(h, arg) for every hub of the process, holding the list's
 * lock: no hub is freed meanwhile, and none is made. */
void green__hub_each(void (*fn)(struct green__hub *h, void *arg), void *arg);

/* The hub of the process's main thread, or NULL before it has one. It
 * lives until the process exits. */
extern struct green__hub *_Atomic green__hub_main;
/* Set once a second hub exists (and kept in a fork's child): until then
 * nothing runs in parallel, and accept needs no lock (io.c). */
extern atomic_bool green__hub_many;

/* Appends t (of the calling OS thread's hub) to the run queue. */
void green__hub_ready(struct green__hub *h, struct green_thread *t);

/* Makes t ready from any OS thread: directly when t belongs to the
 * calling OS thread's hub, through t's hub's wake queue otherwise. */
void green__hub_wake(struct green_thread *t);

/* Between these two, this thread's wakes of sleeping hubs (their eventfd
 * writes) are held, and sent at the release: a waker that must still
 * mark its wakes delivered (futex.c) does so before the system call
 * that lets the woken run, and they do not spin meanwhile. Not nested. */
void green__hub_hold(void);
void green__hub_release(void);

/* Hands t, a new thread green__spawn made on another hub's OS thread,
 * to its hub t->hub, which counts it, lists it and runs it. */
void green__hub_adopt_remote(struct green_thread *t);

/* The hub of slot i, started (its OS thread made and running) if it was
 * not yet; NULL if it cannot be started. i < green__config_hubs(); slot 0
 * is the main thread's hub and is never started here. */
struct green__hub *green__hub_slot(unsigned i);

/* The hub of slot i if started, else NULL. */
struct green__hub *green__hub_peek(unsigned i);

/* Before fd is closed: wakes its waiters on every hub with -EBADF and
 * forgets the watchers (on this hub now, on others through their inbox,
 * when their fdtab bit says they watch it). */
void green__hub_fd_closing(int fd);

/* Switches from the current thread, which the caller has already queued,
 * parked or ended, to the next ready thread (or the scheduler). Returns
 * when the current thread is switched back to. Saves and restores errno,
 * checks the outgoing stack's canary and polls I/O now and then. */
void green__hub_switch(struct green__hub *h);

/* In the child of a fork (called by the atfork child handler, and by
 * _Fork's wrapper): only the calling green thread survives, on a fresh
 * loop; the pool is reset. See hub.c. */
void green__hub_fork_child(void);

/* Runs h's async watcher (whose callback also delivers interruptions,
 * intr.h) from any OS thread. Async-signal-safe. */
void green__hub_poke(struct green__hub *h);

/* What a new hub's loop will use, for the start-up line: libev's version
 * and the name of its backend ("epoll"). */
const char *green__hub_backend(int *major, int *minor);

#endif
