/* Parity program: a signal mask per thread.
 *  1. A watchdog thread blocks every signal, as Python's faulthandler does;
 *     an alarm still interrupts main's read, poll, nanosleep and sem_wait.
 *  2. SIGTERM still ends a process whose other thread blocks everything.
 *  3. A dedicated sigwait thread takes a signal every other thread blocks.
 *  4. A process-directed signal runs its handler on the one thread that
 *     does not block it, ending its pause().
 *  5. A pthread_kill of a thread that blocks the signal stays pending on
 *     it (sigpending says so there, not in main) until it unblocks it;
 *     the handler then runs on that thread.
 *  6. A child forked or posix_spawn()ed by a thread starts with that
 *     thread's mask.
 *  7. ppoll, pselect and epoll_pwait unblock a signal for their wait only,
 *     while the other threads go on running.
 * Knows nothing of libgreen. */
#include <semaphore.h>
#include <spawn.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/time.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/select.h>

#include "threaded.h"
#include "ticker.h"

extern char **environ;

static atomic_int stop_watchdog;
static _Atomic pid_t handled_on;
static atomic_int handled;

static void on_sig(int sig)
{
    (void)sig;
    atomic_store(&handled_on, gettid());
    atomic_fetch_add(&handled, 1);
}

static void block(int how, int sig)
{
    sigset_t s;
    sigemptyset(&s);
    if (sig)
        sigaddset(&s, sig);
    else
        sigfillset(&s);
    int r = pthread_sigmask(how, &s, NULL);
    if (r)
        die_rc("pthread_sigmask", r);
}

static void *watchdog(void *arg)
{
    (void)arg;
    block(SIG_SETMASK, 0);
    while (!atomic_load(&stop_watchdog))
        msleep(10);
    return NULL;
}

static void alarm_in(long ms)
{
    struct itimerval it = {{0, 0}, {ms / 1000, (ms % 1000) * 1000}};
    setitimer(ITIMER_REAL, &it, NULL);
}

static void interrupted(const char *what, long r, double t0)
{
    int e = errno;
    printf("%s under the watchdog = %ld %s, %s\n", what, r,
           r < 0 ? ename(e) : "", now() - t0 < 2 ? "at the alarm" : "LATE");
}

static void watchdog_case(void)
{
    set_handler(SIGALRM, on_sig, 0);
    pthread_t w = spawn(watchdog, NULL);
    msleep(20);
    report_tasks();
    int p[2];
    if (pipe(p) < 0)
        die("pipe");
    char c;
    double t0 = now();
    alarm_in(100);
    interrupted("read", read(p[0], &c, 1), t0);
    struct pollfd pf = {p[0], POLLIN, 0};
    t0 = now();
    alarm_in(100);
    interrupted("poll", poll(&pf, 1, 5000), t0);
    struct timespec ts = {5, 0}, rem;
    t0 = now();
    alarm_in(100);
    interrupted("nanosleep", nanosleep(&ts, &rem), t0);
    sem_t sem;
    sem_init(&sem, 0, 0);
    t0 = now();
    alarm_in(100);
    interrupted("sem_wait", sem_wait(&sem), t0);
    atomic_store(&stop_watchdog, 1);
    join(w);
    close(p[0]);
    close(p[1]);
}

static void sigterm_case(void)
{
    pid_t pid = fork_child();
    if (pid == 0) {
        atomic_store(&stop_watchdog, 0);
        spawn(watchdog, NULL);
        msleep(3000);
        _exit(0);
    }
    msleep(100);
    kill(pid, SIGTERM);
    status_line("SIGTERM to a child whose other thread blocks everything",
                reap(pid));
}

static void *sigwaiter(void *arg)
{
    (void)arg;
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR1);
    int sig = 0;
    int r = sigwait(&s, &sig);
    return (void *)(intptr_t)(r == 0 ? sig : -r);
}

static void sigwait_case(void)
{
    block(SIG_BLOCK, SIGUSR1);  /* the waiter inherits it */
    pthread_t t = spawn(sigwaiter, NULL);
    msleep(30);
    kill(getpid(), SIGUSR1);
    printf("sigwait thread took signal %ld\n", (long)(intptr_t)join(t));
    block(SIG_UNBLOCK, SIGUSR1);
}

static _Atomic pid_t unblocker_id;

static void *unblocker(void *arg)
{
    (void)arg;
    block(SIG_UNBLOCK, SIGUSR2);
    atomic_store(&unblocker_id, gettid());
    int r = pause();
    return (void *)(intptr_t)(r < 0 && errno == EINTR &&
                              atomic_load(&handled_on) == gettid());
}

static void *blocked_sleeper(void *arg)
{
    (void)arg;
    msleep(150);
    return NULL;
}

static void unblocked_case(void)
{
    set_handler(SIGUSR2, on_sig, 0);
    block(SIG_BLOCK, SIGUSR2);  /* main and the sleeper block it */
    pthread_t s = spawn(blocked_sleeper, NULL);
    pthread_t u = spawn(unblocker, NULL);
    while (!atomic_load(&unblocker_id))
        msleep(1);
    msleep(20);
    kill(getpid(), SIGUSR2);
    yesno("process-directed signal handled on the one thread that unblocks "
          "it, ending its pause()", join(u) != NULL);
    join(s);
    block(SIG_UNBLOCK, SIGUSR2);
}

static atomic_int kicked;

static void *pending_target(void *arg)
{
    (void)arg;
    block(SIG_BLOCK, SIGUSR1);
    atomic_store(&kicked, 1);
    while (atomic_load(&kicked) != 2)
        msleep(5);
    sigset_t p;
    sigpending(&p);
    int pending = sigismember(&p, SIGUSR1);
    int before = atomic_load(&handled);
    atomic_store(&handled_on, 0);
    block(SIG_UNBLOCK, SIGUSR1);
    int ran = atomic_load(&handled) == before + 1 &&
              atomic_load(&handled_on) == gettid();
    return (void *)(intptr_t)(pending * 2 + ran);
}

static void pending_case(void)
{
    set_handler(SIGUSR1, on_sig, 0);
    atomic_store(&kicked, 0);
    pthread_t t = spawn(pending_target, NULL);
    while (!atomic_load(&kicked))
        msleep(1);
    pthread_kill(t, SIGUSR1);
    msleep(20);
    sigset_t p;
    sigpending(&p);
    yesno("a signal pending on another thread is not pending in main",
          !sigismember(&p, SIGUSR1));
    atomic_store(&kicked, 2);
    long v = (long)(intptr_t)join(t);
    yesno("pending on the thread that blocks it (sigpending)", v & 2);
    yesno("its handler ran on that thread once unblocked", v & 1);
}

/* The child's mask, as it reads it. */
static void *forker(void *arg)
{
    int sig = (int)(intptr_t)arg;
    if (sig)
        block(SIG_BLOCK, sig);
    pid_t pid = fork_child();
    if (pid == 0) {
        sigset_t cur;
        sigprocmask(SIG_BLOCK, NULL, &cur);
        _exit(sigismember(&cur, SIGUSR1) ? 10 : 11);
    }
    return (void *)(intptr_t)reap(pid);
}

/* posix_spawn of grep, which prints the mask it started with. */
static void *spawner(void *arg)
{
    (void)arg;
    block(SIG_BLOCK, SIGUSR1);
    char *argv[] = {"grep", "^SigBlk", "/proc/self/status", NULL};
    pid_t pid;
    printf("posix_spawn from a thread that blocks SIGUSR1 (bit 0x200):\n");
    int r = posix_spawn(&pid, "/bin/grep", NULL, NULL, argv, environ);
    if (r)
        die_rc("posix_spawn", r);
    return (void *)(intptr_t)reap(pid);
}

static void fork_case(void)
{
    int st = (int)(intptr_t)join(spawn(forker, (void *)(intptr_t)SIGUSR1));
    status_line("child of a thread that blocks SIGUSR1 (10: blocked)", st);
    atomic_store(&stop_watchdog, 0);
    pthread_t w = spawn(watchdog, NULL);
    msleep(20);
    st = (int)(intptr_t)join(spawn(forker, (void *)0));
    status_line("child of a thread that blocks nothing, beside the watchdog "
                "(11: not blocked)", st);
    join(spawn(spawner, NULL));
    atomic_store(&stop_watchdog, 1);
    join(w);
}

static struct ticker tk;

/* Signals the process once the ticker has ticked three times since the
 * wait began (3 s at most), so that a wait that let others run says so
 * natively too, however loaded the machine. */
static void *kill_later(void *arg)
{
    (void)arg;
    msleep(100);
    for (int i = 0; i < 3000 && atomic_load(&tk.ticks) < 3; i++)
        msleep(1);
    kill(getpid(), SIGUSR1);
    return NULL;
}

static void masked_wait(const char *what, int which, int fd, int ep)
{
    sigset_t none;
    sigemptyset(&none);
    struct timespec ts = {2, 0};
    struct pollfd pf = {fd, POLLIN, 0};
    fd_set r;
    FD_ZERO(&r);
    FD_SET(fd, &r);
    struct epoll_event ev;
    atomic_store(&handled, 0);
    atomic_store(&tk.ticks, 0);
    pthread_t k = spawn(kill_later, NULL);  /* blocks SIGUSR1, as main */
    long ret = which == 0   ? ppoll(&pf, 1, &ts, &none)
               : which == 1 ? pselect(fd + 1, &r, NULL, NULL, &ts, &none)
                            : epoll_pwait(ep, &ev, 1, 2000, &none);
    int e = errno;
    int t = atomic_load(&tk.ticks);
    join(k);
    printf("%s(empty pipe, 2 s, empty sigmask) = %ld %s; handler ran: %s; "
           "other threads ran meanwhile: %s\n", what, ret,
           ret < 0 ? ename(e) : "", atomic_load(&handled) ? "yes" : "no",
           t >= 3 ? "yes" : "no");
}

static void masked_waits(void)
{
    set_handler(SIGUSR1, on_sig, 0);
    block(SIG_BLOCK, SIGUSR1);
    int p[2];
    if (pipe(p) < 0)
        die("pipe");
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN};
    epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev);
    pthread_t t = spawn(ticker_main, &tk);
    masked_wait("ppoll", 0, p[0], ep);
    masked_wait("pselect", 1, p[0], ep);
    masked_wait("epoll_pwait", 2, p[0], ep);
    atomic_store(&tk.stop, 1);
    join(t);
    close(ep);
    close(p[0]);
    close(p[1]);
    block(SIG_UNBLOCK, SIGUSR1);
}

int main(void)
{
    start_program();
    watchdog_case();
    sigterm_case();
    sigwait_case();
    unblocked_case();
    pending_case();
    fork_case();
    masked_waits();
    return finish_program("sig_masks");
}
