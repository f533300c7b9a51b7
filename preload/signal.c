/* Signal dispositions and the waits for signals (see src/intr.h).
 *
 * sigaction puts the trampoline between the kernel and the program's
 * handler. signal, sysv_signal, sigset, siginterrupt and sigignore set
 * their action through glibc's internal sigaction, which no wrapper sees
 * (docs/design.md G3): each makes the real call, so that glibc chooses the
 * flags and mask, then green__intr_adopt puts the trampoline in. Synchronous
 * fault signals go to the kernel as they are, and everything under
 * GREEN_DISABLE.
 *
 * pause, sigsuspend and the sigwait family park the calling green thread
 * when another could run (the gate), and are the real calls otherwise.
 *
 * pthread_sigmask and sigprocmask set the calling green thread's own mask
 * (src/sigmask.h); sigpending adds what is pending on it alone. */
#include "fiber_san.h"
#include "clock.h"
#include "interpose.h"

#include <errno.h>

#include "cancel.h"
#include "config.h"
#include "intr.h"
#include "overflow.h"
#include "proc.h"
#include "sigmask.h"
#include "slice.h"
#include "wait.h"

/* Whether sig's action goes through the trampoline. Not in a vfork
 * child, whose changes must not reach its parent's table (src/proc.h). */
static bool wraps(int sig)
{
    green__real_ensure();
    green__config_load();
    return !green__config.disable && !green__intr_direct(sig) &&
           !green__proc_vfork_child();
}

/* After a real call that set sig's action and returned old: the
 * trampoline in, and the program's previous handler out. */
static __sighandler_t adopted(int sig, __sighandler_t old, __sighandler_t prev)
{
    if (old != SIG_ERR)
        green__intr_adopt(sig);
    return green__intr_is_trampoline(old) ? prev : old;
}

/* TSan's runtime installs its handlers of deadly signals here while it
 * starts, before it can run instrumented code (in a program that is not
 * built with TSan, such as a shell a TSan-built preload reaches): its
 * calls go on uninstrumented, to the next sigaction. */
GREEN__INTERPOSE GREEN__NO_TSAN int sigaction(int sig,
                                              const struct sigaction *act,
                                              struct sigaction *old)
{
    const struct green__real *rt =
        green__san_runtime(__builtin_return_address(0));
    if (green__unlikely(rt != NULL))
        return rt->sigaction(sig, act, old);
    if (sig == SIGSEGV && green__overflow_sigaction(act, old) == 0)
        return 0;  /* behind the overflow handler, as if it were not there */
    if (!wraps(sig))
        return green__real.sigaction(sig, act, old);
    return (int)green__set_errno(green__intr_sigaction(sig, act, old));
}

GREEN__INTERPOSE int __sigaction(int sig, const struct sigaction *act,
                                 struct sigaction *old)
{
    return sigaction(sig, act, old);
}

/* glibc's signal, bsd_signal and ssignal are one function: SA_RESTART
 * unless siginterrupt said otherwise, sig blocked while it runs. */
GREEN__INTERPOSE __sighandler_t signal(int sig, __sighandler_t fn)
{
    if (sig == SIGSEGV && fn != SIG_ERR) {  /* glibc's action for signal() */
        struct sigaction sa = {.sa_handler = fn, .sa_flags = SA_RESTART}, old;
        sigemptyset(&sa.sa_mask);
        sigaddset(&sa.sa_mask, sig);
        if (green__overflow_sigaction(&sa, &old) == 0)
            return old.sa_handler;
    }
    if (!wraps(sig))
        return green__real.signal(sig, fn);
    __sighandler_t prev = green__intr_handler(sig);
    return adopted(sig, green__real.signal(sig, fn), prev);
}

GREEN__INTERPOSE __sighandler_t bsd_signal(int sig, __sighandler_t fn)
{
    return signal(sig, fn);
}

GREEN__INTERPOSE __sighandler_t ssignal(int sig, __sighandler_t fn)
{
    return signal(sig, fn);
}

/* What `signal` names in programs built for strict ISO C or XOPEN
 * (<signal.h> maps it to __sysv_signal): one-shot, no SA_RESTART. */
GREEN__INTERPOSE __sighandler_t sysv_signal(int sig, __sighandler_t fn)
{
    if (!wraps(sig))
        return green__real.sysv_signal(sig, fn);
    __sighandler_t prev = green__intr_handler(sig);
    return adopted(sig, green__real.sysv_signal(sig, fn), prev);
}

GREEN__INTERPOSE __sighandler_t __sysv_signal(int sig, __sighandler_t fn)
    __attribute__((alias("sysv_signal")));

/* SIG_HOLD only blocks sig and reports the action, which stays ours.
 * glibc's sigset blocks (SIG_HOLD) or unblocks sig with its internal
 * sigprocmask: the calling green thread's own mask follows, and "was it
 * held" is asked of that mask, not of the OS thread's. */
GREEN__INTERPOSE __sighandler_t sigset(int sig, __sighandler_t fn)
{
    if (!wraps(sig))
        return green__real.sigset(sig, fn);
    __sighandler_t prev = green__intr_handler(sig);
    bool green = green__sigmask_green();
    sigset_t one, old;
    sigemptyset(&one);
    sigaddset(&one, sig);
    if (green)
        green__sigmask_set(SIG_BLOCK, NULL, &old);
    __sighandler_t r = adopted(sig, green__real.sigset(sig, fn), prev);
    if (!green || r == SIG_ERR)
        return r;
    green__sigmask_set(fn == SIG_HOLD ? SIG_BLOCK : SIG_UNBLOCK, &one, NULL);
    green__sigmask_resync();
    if (sigismember(&old, sig))
        return SIG_HOLD;
    return r == SIG_HOLD ? prev : r;
}

GREEN__INTERPOSE int siginterrupt(int sig, int flag)
{
    if (!wraps(sig))
        return green__real.siginterrupt(sig, flag);
    int r = green__real.siginterrupt(sig, flag);
    if (r == 0)
        green__intr_adopt(sig);  /* SA_RESTART changed */
    return r;
}

GREEN__INTERPOSE int sigignore(int sig)
{
    if (!wraps(sig))
        return green__real.sigignore(sig);
    int r = green__real.sigignore(sig);
    if (r == 0)
        green__intr_adopt(sig);  /* forgets the handler */
    return r;
}

GREEN__INTERPOSE int pthread_sigmask(int how, const sigset_t *set,
                                     sigset_t *old)
{
    green__slice();
    if (!green__sigmask_green())
        return green__reals()->pthread_sigmask(how, set, old);
    return -green__sigmask_set(how, set, old);
}

GREEN__INTERPOSE int sigprocmask(int how, const sigset_t *set, sigset_t *old)
{
    green__slice();
    if (!green__sigmask_green())
        return green__reals()->sigprocmask(how, set, old);
    return (int)green__set_errno(green__sigmask_set(how, set, old));
}

GREEN__INTERPOSE int sigpending(sigset_t *set)
{
    int r = green__reals()->sigpending(set);
    if (r == 0 && green__sigmask_green())
        set->__val[0] |= atomic_load(&green__tls_hub->current->sigpend);
    return r;
}

/* pause and sigsuspend: -1 EINTR once a handler ran for the caller.
 * Cancellation points. */
static int intr_result(int r)
{
    if (r == -ECANCELED)
        green__testcancel();  /* a pthread_cancel acts here */
    return (int)green__set_errno(-EINTR);
}

GREEN__INTERPOSE int pause(void)
{
    if (!green__gate())
        return green__real.pause();
    green__testcancel();
    return intr_result(green__intr_pause());
}

GREEN__INTERPOSE int sigsuspend(const sigset_t *mask)
{
    const sigset_t *volatile m = mask;  /* declared nonnull; EFAULT if not */
    if (!m)
        return green__reals()->sigsuspend(mask);  /* EFAULT */
    if (!green__gate()) {  /* the real call, with the thread's own mask */
        struct green__sigsave sv;
        int r = green__sigmask_install(mask, &sv)
                    ? (int)green__set_errno(-EINTR)
                    : green__reals()->sigsuspend(mask);
        green__sigmask_restore(&sv);
        return r;
    }
    green__testcancel();
    return intr_result(green__intr_suspend(mask));
}

GREEN__INTERPOSE int __sigsuspend(const sigset_t *mask)
{
    return sigsuspend(mask);
}

/* The sigwait family: a kill (green_kill, pthread_cancel) acts as at
 * the other cancellation points; sigwait, unlike the others, never
 * returns EINTR (glibc retries). */
static int sigwait_green(const sigset_t *set, siginfo_t *info,
                         int64_t deadline)
{
    green__testcancel();
    int r = green__intr_sigwait(set, info, deadline);
    if (r == -ECANCELED) {
        green__testcancel();
        r = -EINTR;
    }
    return r;
}

GREEN__INTERPOSE int sigwait(const sigset_t *restrict set, int *restrict sig)
{
    if (!green__gate())
        return green__real.sigwait(set, sig);
    int r;
    while ((r = sigwait_green(set, NULL, GREEN_NEVER)) == -EINTR) {
    }
    if (r < 0)
        return -r;
    *sig = r;
    return 0;
}

GREEN__INTERPOSE int sigwaitinfo(const sigset_t *restrict set,
                                 siginfo_t *restrict info)
{
    if (!green__gate())
        return green__real.sigwaitinfo(set, info);
    return (int)green__set_errno(sigwait_green(set, info, GREEN_NEVER));
}

/* The kernel checks the timeout first (EINVAL); zero polls. */
GREEN__INTERPOSE int sigtimedwait(const sigset_t *restrict set,
                                  siginfo_t *restrict info,
                                  const struct timespec *restrict timeout)
{
    if (!green__gate() ||
        (timeout && (timeout->tv_sec < 0 || timeout->tv_nsec < 0 ||
                     timeout->tv_nsec >= GREEN__NS_PER_S ||
                     (!timeout->tv_sec && !timeout->tv_nsec))))
        return green__real.sigtimedwait(set, info, timeout);
    return (int)green__set_errno(
        sigwait_green(set, info, green__deadline_ts(timeout)));
}
