/* Interruptions of green waits by signal handlers (docs/design.md G7).
 *
 * The kernel ends a blocking call with EINTR when a handler runs in the
 * thread that made it, or restarts the call if the handler has
 * SA_RESTART and the call is one the kernel restarts. A green wait is no
 * system call (libev swallows EINTR), so this file gives it the same rule:
 *
 *   - Every handler the program installs runs through a trampoline: the
 *     kernel sees the trampoline, with the program's flags (plus
 *     SA_SIGINFO) and mask; the program (oldact) sees its own handler,
 *     flags and mask. SIG_DFL and SIG_IGN go to the kernel as they are.
 *     The synchronous fault signals (SIGSEGV, SIGBUS, SIGILL, SIGFPE,
 *     SIGTRAP) interrupt nothing and are installed directly (overflow.c
 *     keeps its SIGSEGV handler that way).
 *   - The trampoline is async-signal-safe: it picks the green thread the
 *     signal is for, marks its park interrupted if the park takes this
 *     interruption (t->intr: GREEN__EINTR always, GREEN__ERESTART only
 *     for a handler without SA_RESTART), pokes the thread's hub, then
 *     calls the program's handler (one or three arguments, SA_RESETHAND
 *     honoured, errno kept). The hub's async callback, in normal context,
 *     unparks a marked thread with -EINTR. The mark lives in t->intr,
 *     which the park clears as it ends: so a mark never outlives the park
 *     it was meant for, and no token is left for a later wait.
 *   - Which green thread, as the kernel picks an OS thread: a
 *     process-directed signal (kill, alarm, setitimer, timer_create,
 *     sigqueue, SIGCHLD) goes, among the green threads of the hub of the
 *     OS thread it arrived on (the main hub's if that has none), to the
 *     first that does not block it of: the adopted context (the main
 *     thread, on the main OS thread), the thread in sigsuspend, pause or
 *     a masked ppoll/pselect/epoll_pwait, the one running. A thread-directed
 *     one (raise, tgkill, pthread_kill of an OS thread; SIGPIPE, SIGXFSZ
 *     and SIGSYS, which the kernel sends to the thread that caused them)
 *     goes to the green thread running, which is not parked (nothing to
 *     interrupt), or to the adopted context if the scheduler was running.
 *     pthread_kill and pthread_sigqueue of a green thread of the caller's
 *     own hub (green__intr_kill) interrupt that thread.
 *
 * Masks are per green thread (sigmask.h). A signal whose target is not
 * what runs here (another green thread of this hub, or the scheduler), or
 * blocks it, is not handled by the trampoline: it is left pending on the
 * target (t->sigpend, with the handler and siginfo in the hub), which is
 * woken and calls the handler as it resumes (green__intr_raise). Limits:
 * a target on another hub gets the handler where the signal arrived; a
 * green thread that never yields delays the others' handlers and
 * interruptions until it does. */
#ifndef GREEN_SRC_INTR_H
#define GREEN_SRC_INTR_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

struct green__hub;
struct green_thread;

/* Whether sig's handler goes to the kernel as it is (fault signals,
 * numbers out of range, SIGKILL and SIGSTOP: the kernel rules on them). */
bool green__intr_direct(int sig);

/* sigaction(2) with the trampoline (sig not direct). Returns 0 or -errno;
 * *old (if not NULL) is the program's own action. */
int green__intr_sigaction(int sig, const struct sigaction *act,
                          struct sigaction *old);

/* For the glibc functions that set an action through glibc's internal
 * sigaction (signal, sysv_signal, sigset, siginterrupt, sigignore): the
 * wrapper makes the real call, which installs the program's handler
 * itself, then green__intr_adopt(sig) puts the trampoline in its place,
 * keeping glibc's flags and mask (errno kept; returns 0 or -errno). What
 * the real call returns is the trampoline where the program's previous
 * handler, green__intr_handler(sig) read before the call, was. */
__sighandler_t green__intr_handler(int sig);
bool green__intr_is_trampoline(__sighandler_t h);
int green__intr_adopt(int sig);

/* Called from h's async callback (h's OS thread, normal context): unparks
 * with -EINTR the threads of h a handler marked. */
void green__intr_deliver(struct green__hub *h);

/* pthread_kill (v NULL) or pthread_sigqueue of t, a green thread of the
 * calling OS thread's hub. A pthread_kill whose handler is ours and not
 * blocked is left pending on t, which is unparked (with -EINTR if its
 * park takes the interruption, spuriously if not) and raises it itself
 * (green__intr_raise) as it resumes: so the handler runs on t, where
 * pthread_self() is t. Otherwise the real call on the hub's OS thread,
 * whose handler runs before it returns, on the caller, and interrupts
 * t's wait. Returns 0 or a positive errno, as those. */
int green__intr_kill(struct green_thread *t, int sig, const union sigval *v);

/* Called by t (running, in a park) when t->sigpend is set: raises those
 * signals on its OS thread, so that their handlers run now, on t. */
void green__intr_raise(struct green_thread *t);

/* Makes the calling green thread, about to wait, the one of its hub that
 * takes process-directed signals (as sigsuspend's does), unless another
 * already is; returns whether it became it. green__intr_unlisten(that)
 * after the wait. */
bool green__intr_listen(void);
void green__intr_unlisten(bool listed);

/* pause(), parked: until a handler runs for the calling green thread.
 * Returns -EINTR (or -ECANCELED for green_kill). May yield. */
int green__intr_pause(void);

/* sigsuspend(mask), parked: the OS thread's mask is mask until a handler
 * runs for the calling green thread, which takes the process's signals
 * meanwhile. Returns -EINTR (or -ECANCELED). May yield. */
int green__intr_suspend(const sigset_t *mask);

/* sigtimedwait(set, info, deadline) parked (GREEN_NEVER: sigwaitinfo):
 * waits on a signalfd for set, then takes the signal with the real call.
 * Returns the signal number, -EAGAIN at the deadline, -EINTR when a
 * handler of another signal ran for the caller, or another -errno. May
 * yield. */
int green__intr_sigwait(const sigset_t *set, siginfo_t *info,
                        int64_t deadline);

#endif
