/* Signal masks per green thread. Each green thread has its own mask, kept
 * in memory (a switch costs nothing for it); a new thread inherits its
 * creator's, as natively. The OS thread's real mask blocks a signal only
 * while every live green thread of its hub blocks it: the kernel then
 * keeps a process-directed signal pending until some thread unblocks it,
 * and otherwise delivers it, as it would to a process whose threads had
 * these masks (intr.c picks a green thread that does not block it). A
 * thread-directed signal to a green thread that blocks it stays pending on
 * that thread (t->sigpend) until it unblocks it. See docs/signals.md,
 * "Masks". */
#ifndef GREEN_SRC_SIGMASK_H
#define GREEN_SRC_SIGMASK_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "thread.h"

struct green__hub;

/* Signal sig as a bit of a mask (sig in 1..64). */
static inline uint64_t green__sigbit(int sig)
{
    return (uint64_t)1 << (sig - 1);
}

/* The signals 1..64 of a sigset_t, and back (glibc's layout: the first
 * word holds them, bit sig - 1). */
static inline uint64_t green__sigset_bits(const sigset_t *s)
{
    return (uint64_t)s->__val[0];
}

static inline void green__sigset_from(sigset_t *s, uint64_t bits)
{
    sigemptyset(s);
    s->__val[0] = (unsigned long)bits;
}

/* The signals the kernel sends to the thread that caused them (SIGPIPE,
 * SIGXFSZ, SIGSYS, and the faults): for them the OS thread's real mask is
 * the running green thread's, rewritten at a switch between threads that
 * differ in them (rare), so that a thread that blocks SIGPIPE gets EPIPE
 * rather than the default action. */
#define GREEN__SIG_SYNC                                                     \
    (green__sigbit(SIGPIPE) | green__sigbit(SIGXFSZ) | green__sigbit(SIGSYS) | \
     green__sigbit(SIGSEGV) | green__sigbit(SIGBUS) | green__sigbit(SIGILL) |  \
     green__sigbit(SIGFPE) | green__sigbit(SIGTRAP))

/* Sets h's real mask for t running: the signals all its threads block,
 * and t's own choice of the GREEN__SIG_SYNC ones. */
void green__sigmask_apply(struct green__hub *h, const struct green_thread *t);

/* At a switch to `to` (the scheduler counts as h->first): one compare,
 * and a system call only if the two differ in a GREEN__SIG_SYNC signal. */
static inline void green__sigmask_switch(struct green__hub *h,
                                         const struct green_thread *from,
                                         const struct green_thread *to)
{
    if (__builtin_expect(((from->sigmask ^ to->sigmask) & GREEN__SIG_SYNC) != 0,
                         0))
        green__sigmask_apply(h, to);
}

/* Whether the calling context has a green mask: a green thread (or an
 * adopted OS thread context) running on its hub, not libgreen itself. */
bool green__sigmask_green(void);

/* pthread_sigmask for the calling green thread. Returns 0 or -EINVAL.
 * Signals left pending on it that the new mask unblocks run their
 * handlers before it returns. */
int green__sigmask_set(int how, const sigset_t *set, sigset_t *old);

/* The hub's adopted context takes the OS thread's real mask. */
void green__sigmask_adopt(struct green__hub *h);

/* t, new on h, takes its creator's mask (the running thread's). */
void green__sigmask_inherit(struct green__hub *h, struct green_thread *t);

/* t, new on h and made on another hub's OS thread with its creator's
 * mask in t->sigmask already, now counts on h. On h's OS thread. */
void green__sigmask_arrive(struct green__hub *h, struct green_thread *t);

/* t ends: its mask no longer counts. */
void green__sigmask_leave(struct green__hub *h, struct green_thread *t);

/* In a fork's child: only `self` is left, and the real mask is its. */
void green__sigmask_fork_child(struct green__hub *h, struct green_thread *self);

/* For a call that installs `mask` for its wait (ppoll, pselect,
 * epoll_pwait, a real sigsuspend): the calling green thread's own mask is
 * `mask` until green__sigmask_restore, so that a handler arriving
 * meanwhile runs. The kernel cannot see what is pending on the thread
 * alone: if `mask` unblocks some of it, its handlers run here and this
 * returns true, and the call must fail with EINTR at once, as the
 * kernel's would. A no-op (false) for a NULL mask or outside a green
 * thread. */
struct green__sigsave {
    bool on;
    sigset_t old;
};
bool green__sigmask_install(const sigset_t *mask, struct green__sigsave *s);
void green__sigmask_restore(struct green__sigsave *s);

/* After glibc changed the real mask behind the wrappers (sigset, sighold
 * and the like use its internal sigprocmask): sets it back to the hub's. */
void green__sigmask_resync(void);

/* Makes the OS thread's real mask the calling thread's own for a moment,
 * so that a child made meanwhile (posix_spawn, exec) starts with it;
 * green__sigmask_end puts the hub's back. */
void green__sigmask_begin_own(void);
void green__sigmask_end_own(void);

#endif
