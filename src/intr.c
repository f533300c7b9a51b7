/* Interruptions of green waits by signal handlers; see intr.h.
 *
 * The table holds, per signal, the program's handler and flags while the
 * kernel's action is the trampoline. It is written under a lock (sigaction
 * may be called on several OS threads) and read by the trampoline without
 * one: a handler that runs while another OS thread changes the action
 * sees the old or the new handler, as it would natively.
 *
 * The mark is the HIT bit of t->intr, set with an atomic OR. wait.c sets
 * t->intr before the park token says PARKED and clears it when the park
 * ends: so a mark is only ever seen by the park it was meant for. */
#include "intr.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/signalfd.h>
#include <ucontext.h>
#include <unistd.h>

#include "cancel.h"
#include "common.h"
#include "fdtab.h"
#include "green.h"
#include "hub.h"
#include "io.h"
#include "oslock.h"
#include "ready.h"
#include "real.h"
#include "sigmask.h"
#include "slice.h"
#include "thread.h"
#include "wait.h"

#define HIT 0x80u  /* in t->intr: a handler interrupted this park */

/* The program's action for one signal while ours is the trampoline. */
struct act {
    _Atomic uintptr_t fn;  /* its sa_handler or sa_sigaction */
    atomic_int flags;      /* its sa_flags (SA_SIGINFO as it asked) */
    _Atomic uint64_t mask; /* its sa_mask, signals 1..64 */
    atomic_bool ours;      /* the kernel's action was set by us */
};

static struct act acts[NSIG];
static struct green__oslock lock;
static struct green__hub *_Atomic main_hub;  /* once known */

/* The green thread a pthread_kill on this OS thread is for, while the
 * real call runs (its handler runs before the call returns). */
static __thread struct green_thread *kill_to
    __attribute__((tls_model("initial-exec")));

bool green__intr_direct(int sig)
{
    switch (sig) {
    case SIGSEGV: case SIGBUS: case SIGILL: case SIGFPE: case SIGTRAP:
    case SIGKILL: case SIGSTOP:
        return true;
    default:
        /* glibc's own signals (32, 33) are refused by the real call. */
        return sig < 1 || sig >= NSIG || (sig > 31 && sig < SIGRTMIN);
    }
}

static void note_main(struct green__hub *h)
{
    if (h && h->is_main && atomic_load_explicit(&main_hub,
                                                memory_order_relaxed) != h)
        atomic_store(&main_hub, h);
}

/* Signals the kernel sends to one thread: tgkill and tkill (raise,
 * pthread_kill), and the ones it raises in the thread that caused them. */
static bool thread_directed(int sig, const siginfo_t *si)
{
    return si->si_code == SI_TKILL || sig == SIGPIPE || sig == SIGXFSZ ||
           sig == SIGSYS;
}

/* Async-signal-safe: marks t's park interrupted if it takes a handler of
 * these flags, and pokes t's hub to deliver it. */
static void mark(struct green_thread *t, int flags)
{
    unsigned char f = __atomic_load_n(&t->intr, __ATOMIC_ACQUIRE);
    if (f & (GREEN__EINTR | GREEN__ERESTART)) {
        if ((f & GREEN__EINTR) || !(flags & SA_RESTART)) {
            __atomic_fetch_or(&t->intr, (unsigned char)HIT, __ATOMIC_ACQ_REL);
            green__hub_poke(t->hub);
        }
        return;
    }
    /* sigsuspend's thread, running between its unmasking and its park:
     * leave a token, so that the park returns at once. Its token cannot
     * be PARKED here (t->intr would be set), so green__unpark only
     * compares and swaps, which is safe in a handler. */
    struct green__hub *h = t->hub;
    if (h == green__tls_hub && h->current == t &&
        atomic_load(&h->intr_wait) == t)
        green__unpark(t, -EINTR);
}

/* Whether t's own mask blocks sig (sigmask.h). */
static bool blocks(const struct green_thread *t, int sig)
{
    /* t may be another hub's thread: its mask as a snapshot. */
    return t && sig < 65 && (__atomic_load_n(&t->sigmask, __ATOMIC_RELAXED) &
                             green__sigbit(sig));
}

/* The first live thread of h that does not block sig, as the kernel
 * would find one; main if none does, or if the list is being changed
 * (perhaps by the code this handler interrupted). */
static struct green_thread *any_unblocked(struct green__hub *h, int sig)
{
    struct green_thread *found = &h->first;
    if (!green__oslock_trylock(&h->threads_lock))
        return found;
    for (struct green_thread *t = h->threads; t; t = t->all_next)
        if (t->state != GREEN__ENDED && !blocks(t, sig)) {
            found = t;
            break;
        }
    green__oslock_unlock(&h->threads_lock);
    return found;
}

/* The green thread a signal is for (see intr.h), or NULL. A
 * process-directed one goes, as the kernel picks a thread, to one that
 * does not block it: the adopted context (main) first, then the thread in
 * sigsuspend or pause, then the one running, then any other; if all
 * block it, to main, where it waits until main unblocks it. */
static struct green_thread *target(int sig, const siginfo_t *si)
{
    struct green__hub *h = green__tls_hub;
    if (kill_to)
        return kill_to;
    if (thread_directed(sig, si)) {
        if (!h)
            return NULL;
        /* A pthread_kill from another hub names its thread, which may
         * have stopped running (or this hub be in its scheduler, whose
         * idle context blocks everything) by the time it arrives. */
        struct green_thread *k =
            sig < 65 ? atomic_exchange(&h->kill_for[sig - 1], NULL) : NULL;
        return k ? k : h->current ? h->current : &h->first;
    }
    if (h && h->worker) {
        /* A hub libgreen started: its adopted context only idles and
         * blocks everything. The running thread, or the one in sigsuspend,
         * if either takes it; else main's hub chooses, as if the kernel
         * had picked the main thread. */
        struct green_thread *w = atomic_load(&h->intr_wait);
        if (h->current && !blocks(h->current, sig))
            return h->current;
        if (w && !blocks(w, sig))
            return w;
        h = NULL;
    }
    if (!h)
        h = atomic_load(&main_hub);
    if (!h)
        return NULL;
    if (!blocks(&h->first, sig))
        return &h->first;
    struct green_thread *t = atomic_load(&h->intr_wait);
    if (t && !blocks(t, sig))
        return t;
    if (h == green__tls_hub && h->current && !blocks(h->current, sig))
        return h->current;
    return any_unblocked(h, sig);
}

/* Leaves sig pending on t, keeping the handler the kernel chose (which
 * SA_RESETHAND may have reset since) and its siginfo, for
 * green__intr_raise to call on t (one per signal and hub: standard
 * signals do not queue). Async-signal-safe. */
static void defer(struct green_thread *t, int sig, const siginfo_t *si,
                  uintptr_t fn, int flags)
{
    struct green__hub *h = t->hub;
    struct green__sigdefer *d = &h->sig_deferred[sig - 1];
    d->info = *si;
    d->fn = fn;
    d->flags = flags;
    d->mask = atomic_load(&acts[sig].mask);
    atomic_fetch_or(&h->sig_info_bits, green__sigbit(sig));
    atomic_fetch_or(&t->sigpend, 1ul << (sig - 1));
    if (!blocks(t, sig)) {
        mark(t, flags);
        green__hub_poke(h);  /* the hub wakes it (deliver) */
    }
}

static bool is_fn(uintptr_t fn)
{
    return fn != (uintptr_t)SIG_DFL && fn != (uintptr_t)SIG_IGN;
}

static void trampoline(int sig, siginfo_t *si, void *uc)
{
    int saved = errno;
    struct act *a = &acts[sig];
    uintptr_t fn = atomic_load(&a->fn);
    int flags = atomic_load(&a->flags);
    if (flags & SA_RESETHAND)  /* the kernel has reset its action too */
        atomic_store(&a->fn, (uintptr_t)SIG_DFL);
    note_main(green__tls_hub);
    struct green_thread *t = target(sig, si);
    struct green__hub *h = green__tls_hub;
    struct green_thread *cur = h ? h->current : NULL;
    /* Not for what runs here (another green thread of this hub, or the
     * scheduler), or blocked by its target: pending on the target, whose
     * handler runs when it next runs and does not block it. A target on
     * another hub, which may not run for a while, gets the handler here,
     * as before; so does a green__intr_kill, which chose its way. */
    if (t && sig < 65 && !kill_to && is_fn(fn) &&
        ((t->hub == h && t != cur) || blocks(t, sig))) {
        defer(t, sig, si, fn, flags);
        errno = saved;
        return;
    }
    if (t)
        mark(t, flags);
    errno = saved;
    if (fn == (uintptr_t)SIG_DFL || fn == (uintptr_t)SIG_IGN)
        return;  /* changed on another OS thread meanwhile */
    green__tls_handling++;  /* no time-slice yield inside (slice.h) */
    if (flags & SA_SIGINFO)
        ((void (*)(int, siginfo_t *, void *))fn)(sig, si, uc);
    else
        ((void (*)(int))fn)(sig);
    green__tls_handling--;
}


/* The program's view of the kernel's action k, taken while the table's
 * entry was a (its state before the call). */
static void program_view(struct sigaction *k, uintptr_t fn, int flags,
                         bool ours)
{
    if (!ours)
        return;
    if (k->sa_sigaction == trampoline)
        k->sa_handler = (__sighandler_t)fn;
    k->sa_flags = (k->sa_flags & ~SA_SIGINFO) | (flags & SA_SIGINFO);
}

int green__intr_sigaction(int sig, const struct sigaction *act,
                          struct sigaction *old)
{
    struct act *a = &acts[sig];
    struct sigaction k, kold;
    const struct green__real *real = green__reals();
    bool tramp = act && is_fn((uintptr_t)act->sa_handler);
    if (tramp)
        green__real_init();  /* no first dlsym inside the trampoline */
    note_main(green__tls_hub);
    green__oslock_lock(&lock);
    uintptr_t fn = atomic_load(&a->fn);
    int flags = atomic_load(&a->flags);
    bool ours = atomic_load(&a->ours);
    if (tramp) {
        /* The table first: the trampoline may run as soon as the kernel
         * has it. */
        k = *act;
        k.sa_sigaction = trampoline;
        k.sa_flags |= SA_SIGINFO;
        atomic_store(&a->flags, act->sa_flags);
        atomic_store(&a->mask, green__sigset_bits(&act->sa_mask));
        atomic_store(&a->fn, (uintptr_t)act->sa_handler);
    }
    int r = real->sigaction(sig, tramp ? &k : act, &kold) < 0 ? -errno : 0;
    if (r < 0 && tramp) {
        atomic_store(&a->fn, fn);
        atomic_store(&a->flags, flags);
    } else if (r == 0 && act) {
        if (!tramp)
            atomic_store(&a->fn, (uintptr_t)act->sa_handler);
        atomic_store(&a->ours, tramp);
    }
    green__oslock_unlock(&lock);
    if (r == 0 && old) {
        program_view(&kold, fn, flags, ours);
        *old = kold;
    }
    return r;
}

__sighandler_t green__intr_handler(int sig)
{
    return atomic_load(&acts[sig].ours) ? (__sighandler_t)atomic_load(&acts[sig].fn)
                                        : NULL;
}

bool green__intr_is_trampoline(__sighandler_t h)
{
    return (uintptr_t)h == (uintptr_t)trampoline;
}

int green__intr_adopt(int sig)
{
    struct act *a = &acts[sig];
    struct sigaction k;
    int saved = errno, r = 0;
    green__real_init();  /* as in green__intr_sigaction */
    green__oslock_lock(&lock);
    if (green__real.sigaction(sig, NULL, &k) < 0) {
        r = -errno;
    } else if (k.sa_sigaction == trampoline) {
        /* siginterrupt: only SA_RESTART may have changed. */
        atomic_store(&a->flags, (k.sa_flags & ~SA_SIGINFO) |
                                    (atomic_load(&a->flags) & SA_SIGINFO));
    } else if (!is_fn((uintptr_t)k.sa_handler)) {
        atomic_store(&a->fn, (uintptr_t)k.sa_handler);
        atomic_store(&a->ours, false);
    } else {
        atomic_store(&a->flags, k.sa_flags);
        atomic_store(&a->mask, green__sigset_bits(&k.sa_mask));
        atomic_store(&a->fn, (uintptr_t)k.sa_handler);
        k.sa_sigaction = trampoline;
        k.sa_flags |= SA_SIGINFO;
        if (green__real.sigaction(sig, &k, NULL) < 0)
            r = -errno;
        else
            atomic_store(&a->ours, true);
    }
    green__oslock_unlock(&lock);
    errno = saved;
    return r;
}

/* Normal context: ends t's park with -EINTR if a handler marked it, or
 * wakes it to run a handler left pending on it that it does not block
 * (its park ends spuriously, and raises it as it ends). */
static void deliver(struct green_thread *t)
{
    if (__atomic_load_n(&t->intr, __ATOMIC_ACQUIRE) & HIT)
        green__unpark(t, -EINTR);
    else if ((atomic_load(&t->sigpend) &
              ~__atomic_load_n(&t->sigmask, __ATOMIC_RELAXED)) &&
             __atomic_load_n(&t->state, __ATOMIC_RELAXED) == GREEN__PARKED)
        green__unpark(t, 0);
}

void green__intr_deliver(struct green__hub *h)
{
    note_main(h);
    deliver(&h->first);
    struct green_thread *t = atomic_load(&h->intr_wait);
    if (t)
        deliver(t);
}

/* Whether a pthread_kill of t can wait for t to raise it. t may be on
 * another hub, running: its hub's current thread and its state are read
 * as a snapshot (relaxed atomics, as they are written); a thread that
 * starts running meanwhile takes the signal as it resumes anyway. */
static bool deferrable(struct green_thread *t, int sig)
{
    return sig > 0 && sig < NSIG &&
           t != __atomic_load_n(&t->hub->current, __ATOMIC_RELAXED) &&
           __atomic_load_n(&t->state, __ATOMIC_RELAXED) != GREEN__ENDED &&
           atomic_load(&acts[sig].ours) &&
           !(__atomic_load_n(&t->hub->sig_real, __ATOMIC_RELAXED) &
             green__sigbit(sig));
}

int green__intr_kill(struct green_thread *t, int sig, const union sigval *v)
{
    struct green__hub *h = t->hub;
    if (!v && blocks(t, sig)) {
        /* Pending on t until it unblocks it (green__sigmask_set) or takes
         * it in sigwait, whose wait this ends (spuriously for others). */
        atomic_fetch_or(&t->sigpend, 1ul << (sig - 1));
        if (t != __atomic_load_n(&h->current, __ATOMIC_RELAXED))
            green__unpark(t, 0);
        return 0;
    }
    if (!v && deferrable(t, sig)) {
        atomic_fetch_or(&t->sigpend, 1ul << (sig - 1));
        unsigned char f = __atomic_load_n(&t->intr, __ATOMIC_ACQUIRE);
        bool restart = atomic_load(&acts[sig].flags) & SA_RESTART;
        bool stop = (f & GREEN__EINTR) || ((f & GREEN__ERESTART) && !restart);
        green__unpark(t, stop ? -EINTR : 0);
        return 0;
    }
    kill_to = sig ? t : NULL;
    if (sig > 0 && sig < 65 && h != green__tls_hub)
        atomic_store(&h->kill_for[sig - 1], t);  /* for its trampoline */
    int r = v ? green__real.pthread_sigqueue(h->os, sig, *v)
              : green__real.pthread_kill(h->os, sig);
    kill_to = NULL;
    deliver(t);
    return r;
}

/* A deferred handler, called as the kernel would have called it: with
 * the action's sa_mask and the signal itself (unless SA_NODEFER) added to
 * the thread's mask meanwhile, and a context of its own (getcontext
 * returns twice, hence a function of its own, not in a loop). */
static __attribute__((noinline)) void call_deferred(int sig,
                                                    struct green__sigdefer d)
{
    sigset_t add, old;
    green__sigset_from(&add, d.mask | (d.flags & SA_NODEFER
                                           ? 0 : green__sigbit(sig)));
    green__sigmask_set(SIG_BLOCK, &add, &old);
    ucontext_t uc;
    getcontext(&uc);
    green__tls_handling++;
    if (d.flags & SA_SIGINFO)
        ((void (*)(int, siginfo_t *, void *))d.fn)(sig, &d.info, &uc);
    else
        ((void (*)(int))d.fn)(sig);
    green__tls_handling--;
    int saved = errno;
    green__sigmask_set(SIG_SETMASK, &old, NULL);  /* may run the next */
    errno = saved;
}

void green__intr_raise(struct green_thread *t)
{
    int saved = errno;
    unsigned long pend = atomic_fetch_and(&t->sigpend, t->sigmask) &
                         ~t->sigmask;  /* the blocked ones stay pending */
    struct green__hub *h = t->hub;
    for (int sig = 1; pend; sig++, pend >>= 1) {
        if (!(pend & 1))
            continue;
        /* A signal the trampoline deferred: its handler, called here on
         * t with the kernel's siginfo. One from green__intr_kill: raised
         * on this OS thread, so its handler runs now, on t. */
        uint64_t bit = green__sigbit(sig);
        if (atomic_fetch_and(&h->sig_info_bits, ~bit) & bit) {
            errno = saved;
            call_deferred(sig, h->sig_deferred[sig - 1]);
            continue;
        }
        green__real.pthread_kill(h->os, sig);
    }
    errno = saved;
}

bool green__intr_listen(void)
{
    struct green__hub *h = green__hub_get();
    struct green_thread *none = NULL;
    note_main(h);
    return atomic_compare_exchange_strong(&h->intr_wait, &none, h->current);
}

void green__intr_unlisten(bool listed)
{
    struct green__hub *h = green__tls_hub;
    struct green_thread *me = h->current;
    if (listed)
        atomic_compare_exchange_strong(&h->intr_wait, &me, NULL);
}

int green__intr_pause(void)
{
    bool listed = green__intr_listen();
    green__wait_why(GREEN__WHY_SIGNAL, NULL, 0);
    int r;
    do
        r = green__park_flags(GREEN_NEVER, GREEN__EINTR);
    while (r == 0);
    green__intr_unlisten(listed);
    return r == -ECANCELED ? r : -EINTR;
}

int green__intr_suspend(const sigset_t *mask)
{
    struct green__hub *h = green__hub_get();
    sigset_t old;
    int r;
    note_main(h);
    atomic_store(&h->intr_wait, h->current);
    /* Signals pending and now unblocked run their handlers here: mark()
     * leaves the token that ends the park below at once. */
    green__sigmask_set(SIG_SETMASK, mask, &old);
    green__wait_why(GREEN__WHY_SIGNAL, NULL, 0);
    do
        r = green__park_flags(GREEN_NEVER, GREEN__EINTR);
    while (r == 0);
    atomic_store(&h->intr_wait, NULL);
    green__sigmask_set(SIG_SETMASK, &old, NULL);
    /* A handler that came after the park ended left a token: drop it,
     * or it would end the next, unrelated park. */
    green__park_flags(0, GREEN__NOCANCEL);
    return r == -ECANCELED ? r : -EINTR;
}

/* A signal of set: first one a pthread_kill left pending on the caller
 * (which blocks it), then the real sigtimedwait with a zero timeout. The
 * signal number, or -errno (-EAGAIN: none pending). */
static int take(const sigset_t *set, siginfo_t *info)
{
    static const struct timespec zero;
    struct green__hub *h = green__tls_hub;
    struct green_thread *t = h ? h->current : NULL;
    uint64_t mine = t ? atomic_load(&t->sigpend) & green__sigset_bits(set) : 0;
    if (mine) {
        int sig = __builtin_ctzll(mine) + 1;
        atomic_fetch_and(&t->sigpend, ~green__sigbit(sig));
        if (info) {
            memset(info, 0, sizeof *info);
            info->si_signo = sig;
            info->si_code = SI_TKILL;
            info->si_pid = getpid();
            info->si_uid = getuid();
        }
        return sig;
    }
    int n = green__real.sigtimedwait(set, info, &zero);
    return n >= 0 ? n : -errno;
}

int green__intr_sigwait(const sigset_t *set, siginfo_t *info,
                        int64_t deadline)
{
    int saved = errno;
    note_main(green__tls_hub);
    int n = take(set, info);
    if (n != -EAGAIN)
        goto out;
    /* Readable while a signal of the set is pending for this OS thread or
     * the process. */
    int fd = signalfd(-1, set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (fd < 0) {
        n = -errno;
        goto out;
    }
    if (green__io_tracking())
        green__fd_made(fd, 0, true);
    for (;;) {
        green__wait_why(GREEN__WHY_SIGNAL, NULL, 0);
        int r = green__wait_fd_flags(fd, GREEN_IN, deadline,
                                     GREEN__EINTR | GREEN__WHY);
        if (r < 0) {
            n = r == -ETIMEDOUT ? -EAGAIN : r;
            break;
        }
        if ((n = take(set, info)) != -EAGAIN)
            break;  /* else another thread took it first */
    }
    green__io_closing(fd);
    green__real.close(fd);
out:
    errno = saved;
    return n;
}
