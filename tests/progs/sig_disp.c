/* Parity program: signal dispositions as the program sees them. The
 * return values of signal, bsd_signal, sysv_signal, sigset, siginterrupt
 * and sigignore, the old action sigaction reports after each (handler,
 * SA_RESTART, SA_SIGINFO, SA_RESETHAND, SA_NODEFER, SA_ONSTACK, the mask),
 * and what a handler sees: its arguments (SA_SIGINFO), a one-shot action
 * (SA_RESETHAND), errno kept across it, and EINTR where it applies.
 * Knows nothing of libgreen. */
#include <poll.h>
#include <stdint.h>
#include <sys/time.h>

#include "report.h"

/* The deprecated calls are the point. */
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

extern __sighandler_t sysv_signal(int, __sighandler_t);
extern __sighandler_t bsd_signal(int, __sighandler_t);

static volatile sig_atomic_t hits, info_ok;

static void on_a(int sig)
{
    (void)sig;
    hits++;
    errno = EPERM;  /* a handler that clobbers errno */
}

static void on_b(int sig)
{
    (void)sig;
    hits++;
}

static void on_info(int sig, siginfo_t *si, void *uc)
{
    hits++;
    info_ok = sig == SIGUSR1 && si && si->si_signo == SIGUSR1 && si->si_code == SI_TKILL &&
              si->si_pid == getpid() && uc != NULL;
}

static const char *hname(__sighandler_t h)
{
    if (h == SIG_DFL)
        return "SIG_DFL";
    if (h == SIG_IGN)
        return "SIG_IGN";
    if (h == SIG_ERR)
        return "SIG_ERR";
    if (h == SIG_HOLD)
        return "SIG_HOLD";
    if (h == on_a)
        return "on_a";
    if (h == on_b)
        return "on_b";
    if ((uintptr_t)h == (uintptr_t)on_info)
        return "on_info";
    return "another handler";
}

/* The action of sig as sigaction reports it, on one line. */
static void action(const char *what, int sig)
{
    struct sigaction sa;
    if (sigaction(sig, NULL, &sa) < 0) {
        printf("%s: sigaction failed: %s\n", what, ename(errno));
        return;
    }
    int f = sa.sa_flags;
    printf("%s: %s%s%s%s%s%s, mask has sig %d, SIGUSR2 %d, SIGINT %d\n", what,
           hname(sa.sa_handler), f & SA_RESTART ? " SA_RESTART" : "",
           f & SA_SIGINFO ? " SA_SIGINFO" : "", f & SA_RESETHAND ? " SA_RESETHAND" : "",
           f & SA_NODEFER ? " SA_NODEFER" : "", f & SA_ONSTACK ? " SA_ONSTACK" : "",
           sigismember(&sa.sa_mask, sig), sigismember(&sa.sa_mask, SIGUSR2),
           sigismember(&sa.sa_mask, SIGINT));
}

static void returned(const char *what, __sighandler_t h)
{
    printf("%s = %s\n", what, hname(h));
}

int main(void)
{
    start_program();
    int sig = SIGUSR1;
    printf("-- signal and friends\n");
    action("initially", sig);
    returned("signal(on_a)", signal(sig, on_a));
    action("  now", sig);
    returned("signal(on_b)", signal(sig, on_b));
    returned("bsd_signal(on_a)", bsd_signal(sig, on_a));
    action("  now", sig);
    show("siginterrupt(1)", siginterrupt(sig, 1));
    action("  now", sig);
    returned("signal(on_b) after siginterrupt(1)", signal(sig, on_b));
    action("  now", sig);
    show("siginterrupt(0)", siginterrupt(sig, 0));
    action("  now", sig);
    returned("sysv_signal(on_a)", sysv_signal(sig, on_a));
    action("  now", sig);
    returned("sigset(on_b)", sigset(sig, on_b));
    action("  now", sig);
    returned("sigset(SIG_HOLD)", sigset(sig, SIG_HOLD));
    sigset_t cur;
    sigprocmask(SIG_SETMASK, NULL, &cur);
    yesno("  blocked", sigismember(&cur, sig));
    action("  now", sig);
    returned("sigset(on_a) while held", sigset(sig, on_a));
    sigprocmask(SIG_SETMASK, NULL, &cur);
    yesno("  blocked", sigismember(&cur, sig));
    show("sigignore", sigignore(sig));
    action("  now", sig);
    returned("signal(SIG_DFL)", signal(sig, SIG_DFL));
    errno = 0;
    returned("signal(0, on_a)", signal(0, on_a));
    printf("  errno %s\n", ename(errno));
    returned("signal(SIGKILL, on_a)", signal(SIGKILL, on_a));
    printf("  errno %s\n", ename(errno));
    returned("signal(SIGBUS, on_a)", signal(SIGBUS, on_a));
    returned("signal(SIGBUS, SIG_DFL)", signal(SIGBUS, SIG_DFL));
    returned("signal(SIGSEGV, on_a)", signal(SIGSEGV, on_a));
    action("  now", SIGSEGV);
    returned("signal(SIGSEGV, SIG_DFL)", signal(SIGSEGV, SIG_DFL));
    action("  now", SIGSEGV);

    printf("-- sigaction\n");
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_info;
    sa.sa_flags = SA_SIGINFO | SA_RESTART | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGUSR2);
    show("sigaction(on_info, SA_SIGINFO|SA_RESTART|SA_NODEFER, {SIGUSR2})",
         sigaction(sig, &sa, &old));
    printf("  old handler %s\n", hname(old.sa_handler));
    action("  now", sig);
    hits = 0;
    raise(sig);
    yesno("  on_info ran with its siginfo", hits == 1 && info_ok);
    sa.sa_handler = on_a;
    sa.sa_flags = SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGINT);
    show("sigaction(on_a, SA_RESETHAND, {SIGINT})", sigaction(sig, &sa, &old));
    printf("  old handler %s\n", hname(old.sa_handler));
    action("  now", sig);
    hits = 0;
    errno = ENOENT;
    raise(sig);
    printf("  on_a ran %d time(s); errno afterwards %s\n", (int)hits, ename(errno));
    action("  after one delivery", sig);
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_IGN;
    show("sigaction(SIG_IGN)", sigaction(sig, &sa, &old));
    printf("  old handler %s\n", hname(old.sa_handler));
    show("sigaction(SIGKILL, SIG_IGN)", sigaction(SIGKILL, &sa, NULL));
    show("sigaction(65, NULL)", sigaction(65, NULL, &old));
    show("sigaction(32, NULL)", sigaction(32, NULL, &old));

    printf("-- a sysv_signal handler is one-shot and interrupts\n");
    int p[2];
    if (pipe(p) < 0)
        die("pipe");
    sysv_signal(SIGALRM, on_b);
    struct itimerval it = { { 0, 0 }, { 0, 30000 } };
    hits = 0;
    setitimer(ITIMER_REAL, &it, NULL);
    char buf[4];
    show("read(empty pipe), SIGALRM in 30 ms", read(p[0], buf, sizeof buf));
    printf("  handler ran %d time(s)\n", (int)hits);
    action("  SIGALRM now", SIGALRM);
    signal(SIGALRM, on_b);
    hits = 0;
    setitimer(ITIMER_REAL, &it, NULL);
    struct pollfd pfd = { p[0], POLLIN, 0 };
    show("poll(empty pipe, 300 ms), signal(SIGALRM) handler in 30 ms", poll(&pfd, 1, 300));
    printf("  handler ran %d time(s)\n", (int)hits);
    signal(SIGALRM, SIG_DFL);
    alarm(10);
    close(p[0]);
    close(p[1]);
    return finish_program("sig_disp");
}
