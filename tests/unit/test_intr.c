/* Interruptions: the trampoline hides itself from the program, a handler
 * ends the park of the green thread it is for (with or without
 * SA_RESTART, as the park's flags say), a pthread_kill runs its handler on
 * the target, the sigwait and sigsuspend waits, and no interruption is
 * left over for a later wait. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "green.h"
#include "harness.h"
#include "hub.h"
#include "intr.h"
#include "real.h"
#include "ready.h"
#include "wait.h"

static volatile sig_atomic_t hits;
static green_t hit_on;  /* the green thread running the last handler */

static void on_usr1(int sig)
{
    (void)sig;
    hits++;
    hit_on = green_self();
}

static void install(int sig, int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sa.sa_flags = flags;
    sigemptyset(&sa.sa_mask);
    ck_assert_int_eq(green__intr_sigaction(sig, &sa, NULL), 0);
}

START_TEST(intr_sigaction_hides_trampoline)
{
    green__real_ensure();
    struct sigaction sa, old, k;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sa.sa_flags = SA_RESTART | SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGUSR2);
    ck_assert_int_eq(green__intr_sigaction(SIGUSR1, &sa, &old), 0);
    ck_assert_ptr_eq((void *)(uintptr_t)old.sa_handler, (void *)(uintptr_t)SIG_DFL);
    /* The kernel has the trampoline, with SA_SIGINFO and the same mask. */
    ck_assert_int_eq(sigaction(SIGUSR1, NULL, &k), 0);
    ck_assert(k.sa_sigaction != NULL && k.sa_handler != on_usr1);
    ck_assert(k.sa_flags & SA_SIGINFO);
    ck_assert(sigismember(&k.sa_mask, SIGUSR2));
    /* The program sees its own. */
    ck_assert_int_eq(green__intr_sigaction(SIGUSR1, NULL, &old), 0);
    ck_assert(old.sa_handler == on_usr1);
    ck_assert(!(old.sa_flags & SA_SIGINFO));
    ck_assert(old.sa_flags & SA_RESTART && old.sa_flags & SA_RESETHAND);
    ck_assert(sigismember(&old.sa_mask, SIGUSR2));
    /* One delivery: the handler ran, then the action is SIG_DFL. The
     * handler's green_self() must find the hub made, not make it: that
     * allocates, which no handler may. */
    green_self();
    hits = 0;
    raise(SIGUSR1);
    ck_assert_int_eq(hits, 1);
    ck_assert_int_eq(green__intr_sigaction(SIGUSR1, NULL, &old), 0);
    ck_assert(old.sa_handler == SIG_DFL);
    ck_assert(!(old.sa_flags & SA_SIGINFO));
    ck_assert(green__intr_direct(SIGSEGV) && green__intr_direct(SIGKILL) &&
              green__intr_direct(0) && green__intr_direct(NSIG) &&
              !green__intr_direct(SIGUSR1) && !green__intr_direct(SIGRTMIN));
}
END_TEST

static int fds[2];

static void *wait_fd_restart(void *arg)
{
    (void)arg;
    return (void *)(intptr_t)green__wait_fd_flags(fds[0], GREEN_IN, GREEN_NEVER,
                                                  GREEN__ERESTART);
}

/* pthread_kill of a green thread parked in a restartable wait: EINTR
 * without SA_RESTART, the handler running on that thread. */
START_TEST(intr_kill_ends_restartable_wait)
{
    ck_assert_int_eq(pipe(fds), 0);
    install(SIGUSR1, 0);
    green_t t = green_spawn(wait_fd_restart, NULL, NULL);
    green_sleep(MS(10));
    hits = 0;
    ck_assert_int_eq(green__intr_kill(t, SIGUSR1, NULL), 0);
    void *r;
    ck_assert_int_eq(green_join(t, &r, green_now() + MS(2000)), 0);
    ck_assert_int_eq((int)(intptr_t)r, -EINTR);
    ck_assert_int_eq(hits, 1);
    ck_assert_ptr_eq(hit_on, t);
}
END_TEST

/* With SA_RESTART the wait goes on (the handler still runs on it). */
START_TEST(intr_kill_restarts_under_sa_restart)
{
    ck_assert_int_eq(pipe(fds), 0);
    install(SIGUSR1, SA_RESTART);
    green_t t = green_spawn(wait_fd_restart, NULL, NULL);
    green_sleep(MS(10));
    hits = 0;
    ck_assert_int_eq(green__intr_kill(t, SIGUSR1, NULL), 0);
    green_sleep(MS(20));
    ck_assert_int_eq(hits, 1);
    ck_assert_ptr_eq(hit_on, t);
    ck_assert_int_eq(write(fds[1], "x", 1), 1);
    void *r;
    ck_assert_int_eq(green_join(t, &r, green_now() + MS(2000)), 0);
    ck_assert_int_eq((int)(intptr_t)r, GREEN_IN);
}
END_TEST

static void *kill_process(void *arg)
{
    (void)arg;
    green_sleep(MS(10));
    kill(getpid(), SIGUSR1);  /* runs the handler here, on this thread */
    return NULL;
}

/* A process-directed signal interrupts the main thread's park through
 * the trampoline, the hub's async watcher and its callback; SA_RESTART
 * does not matter for a GREEN__EINTR wait. No token is left behind. */
START_TEST(intr_process_signal_ends_main_wait)
{
    ck_assert_int_eq(pipe(fds), 0);
    install(SIGUSR1, SA_RESTART);
    green_self();
    green_t t = green_spawn(kill_process, NULL, NULL);
    hits = 0;
    int r = green__wait_fd_flags(fds[0], GREEN_IN, green_now() + MS(2000),
                                 GREEN__EINTR);
    ck_assert_int_eq(r, -EINTR);
    ck_assert_int_eq(hits, 1);
    ck_assert_int_eq(green_join(t, NULL, GREEN_NEVER), 0);
    ck_assert_int_eq(green__park(green_now() + MS(20)), -ETIMEDOUT);
}
END_TEST

static void *send_usr2(void *arg)
{
    (void)arg;
    green_sleep(MS(10));
    kill(getpid(), SIGUSR2);
    return NULL;
}

START_TEST(intr_sigwait_parks_caller_only)
{
    sigset_t set;
    siginfo_t si;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    green_self();
    int64_t t0 = green_now();
    ck_assert_int_eq(green__intr_sigwait(&set, &si, t0 + MS(30)), -EAGAIN);
    ck_assert_time(green_now() - t0, MS(30), MS(30), MS(50));
    green_t t = green_spawn(send_usr2, NULL, NULL);
    ck_assert_int_eq(green__intr_sigwait(&set, &si, GREEN_NEVER), SIGUSR2);
    ck_assert_int_eq(si.si_signo, SIGUSR2);
    ck_assert_int_eq(si.si_code, SI_USER);
    ck_assert_int_eq(green_join(t, NULL, GREEN_NEVER), 0);
}
END_TEST

static void *sleeper(void *arg)
{
    (void)arg;
    green_sleep(MS(200));
    return NULL;
}

/* A signal pending before sigsuspend unblocks it ends the wait at once,
 * and leaves no token for the next park. */
START_TEST(intr_suspend_pending_signal)
{
    sigset_t set, none, cur;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigemptyset(&none);
    install(SIGUSR1, 0);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    green_t t = green_spawn(sleeper, NULL, NULL);
    hits = 0;
    raise(SIGUSR1);
    ck_assert_int_eq(hits, 0);
    ck_assert_int_eq(green__intr_suspend(&none), -EINTR);
    ck_assert_int_eq(hits, 1);
    pthread_sigmask(SIG_SETMASK, NULL, &cur);
    ck_assert(sigismember(&cur, SIGUSR1));
    ck_assert_int_eq(green__park(green_now() + MS(20)), -ETIMEDOUT);
    green_kill(t);
    green_join(t, NULL, GREEN_NEVER);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("intr");
    TCase *tc = tcase_create("sigaction");
    tcase_add_test(tc, intr_sigaction_hides_trampoline);
    suite_add_tcase(s, tc);
    tc = tcase_create("wait");
    tcase_add_test(tc, intr_kill_ends_restartable_wait);
    tcase_add_test(tc, intr_kill_restarts_under_sa_restart);
    tcase_add_test(tc, intr_process_signal_ends_main_wait);
    tcase_add_test(tc, intr_sigwait_parks_caller_only);
    tcase_add_test(tc, intr_suspend_pending_signal);
    suite_add_tcase(s, tc);
    return harness_run(s);
}
