/* Parity program: signals in a program with threads (docs/design.md G7). Which
 * thread a signal interrupts: alarm() ends the main thread's read while
 * other threads are busy or sleeping; pthread_kill ends the read of that
 * thread only, and its handler runs in it; sem_wait, sem_timedwait and
 * futex waits with and without SA_RESTART; sigwait, sigwaitinfo and
 * sigtimedwait in one thread while another runs; pause and sigsuspend.
 * Every line comes from the main thread. Knows nothing of libgreen. */
#include <linux/futex.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <sys/syscall.h>

#include "sigtimer.h"
#include "threaded.h"

static volatile sig_atomic_t hits;
static pthread_t hit_by;  /* pthread_self() in the last handler */
static atomic_int stop;

static void on_signal(int sig)
{
    (void)sig;
    hits++;
    hit_by = pthread_self();
}

static void handle(int sig, int flags)
{
    set_handler(sig, on_signal, flags);
}

/* A thread that computes in 1 ms slices and yields between them. */
static void *busy(void *arg)
{
    (void)arg;
    volatile unsigned long x = 0;
    while (!atomic_load(&stop)) {
        double t0 = now();
        while (now() - t0 < 0.001)
            x++;
        sched_yield();
    }
    return NULL;
}

/* A thread that sleeps 5 ms at a time. */
static void *sleepy(void *arg)
{
    (void)arg;
    while (!atomic_load(&stop))
        msleep(5);
    return NULL;
}

static void alarm_read(void)
{
    int p[2];
    char buf[8];
    pthread_t t[2];
    if (pipe(p) < 0)
        die("pipe");
    printf("-- alarm() on a blocking read, other threads busy and asleep\n");
    handle(SIGALRM, 0);
    atomic_store(&stop, 0);
    t[0] = spawn(busy, NULL);
    t[1] = spawn(sleepy, NULL);
    report_tasks();
    hits = 0;
    double t0 = now();
    alarm(1);
    show("read(empty pipe) with alarm(1)", read(p[0], buf, sizeof buf));
    double dt = now() - t0;
    check(dt > 0.8 && dt < 3.0, "  returned after about 1 s");
    yesno("  handler ran once", hits == 1);
    atomic_store(&stop, 1);
    join(t[0]);
    join(t[1]);
    signal(SIGALRM, SIG_DFL);
    alarm(10);  /* start_program's guard again */
    close(p[0]);
    close(p[1]);
}

struct reader {
    int fd;
    long n;
    int err;
};

static void *reader(void *arg)
{
    struct reader *r = arg;
    char buf[8];
    errno = 0;
    r->n = read(r->fd, buf, sizeof buf);
    r->err = errno;
    return NULL;
}

static void show_reader(const char *what, const struct reader *r)
{
    if (r->n < 0)
        printf("%s = %ld %s\n", what, r->n, ename(r->err));
    else
        printf("%s = %ld\n", what, r->n);
}

static void kill_reader(int flags)
{
    int a[2], b[2];
    if (pipe(a) < 0 || pipe(b) < 0)
        die("pipe");
    printf("-- pthread_kill of a thread blocked in read (%s)\n", flags ? "SA_RESTART" : "no SA_RESTART");
    handle(SIGUSR1, flags);
    struct reader ra = { a[0], 0, 0 }, rb = { b[0], 0, 0 };
    pthread_t ta = spawn(reader, &ra), tb = spawn(reader, &rb);
    msleep(50);
    hits = 0;
    showrc("pthread_kill(reader A, SIGUSR1)", pthread_kill(ta, SIGUSR1));
    msleep(50);
    yesno("  handler ran in reader A", hits == 1 && pthread_equal(hit_by, ta));
    if (flags)
        put(a[1], "late");
    put(b[1], "data");
    join(ta);
    join(tb);
    show_reader("  reader A's read", &ra);
    show_reader("  reader B's read (not signalled)", &rb);
    close(a[0]);
    close(a[1]);
    close(b[0]);
    close(b[1]);
}

static sem_t sem;

static void *post_later(void *arg)
{
    msleep((long)(intptr_t)arg);
    sem_post(&sem);
    return NULL;
}

static uint32_t word;

static void *wake_later(void *arg)
{
    msleep((long)(intptr_t)arg);
    __atomic_store_n(&word, 1, __ATOMIC_SEQ_CST);
    syscall(SYS_futex, &word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
    return NULL;
}

/* sem_wait and an untimed futex wait restart under SA_RESTART; the timed
 * ones never do. The poster comes 150 ms later, after a few signals. */
static void sem_futex(int flags)
{
    printf("-- semaphores and futexes (%s)\n", flags ? "SA_RESTART" : "no SA_RESTART");
    handle(SIGUSR1, flags);
    sem_init(&sem, 0, 0);
    pthread_t t = spawn(post_later, (void *)(intptr_t)150);
    hits = 0;
    arm(10);
    show("sem_wait(poster 150 ms late)", sem_wait(&sem));
    arm(0);
    yesno("  handler ran", hits > 0);
    join(t);
    if (flags == 0)
        sem_wait(&sem);

    t = spawn(post_later, (void *)(intptr_t)150);
    struct timespec at = deadline(CLOCK_REALTIME, 2000);
    hits = 0;
    arm(10);
    show("sem_timedwait(2 s, poster 150 ms late)", sem_timedwait(&sem, &at));
    arm(0);
    yesno("  handler ran", hits > 0);
    join(t);
    sem_wait(&sem);
    sem_destroy(&sem);

    __atomic_store_n(&word, 0, __ATOMIC_SEQ_CST);
    t = spawn(wake_later, (void *)(intptr_t)150);
    hits = 0;
    arm(10);
    long r;
    /* Waits (and restarts) until the word changes. */
    while ((r = syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0)) == 0 &&
           __atomic_load_n(&word, __ATOMIC_SEQ_CST) == 0) {
    }
    show("futex(FUTEX_WAIT, no timeout, waker 150 ms late)", r < 0 && errno == EAGAIN ? 0 : r);
    arm(0);
    yesno("  handler ran", hits > 0);
    join(t);

    __atomic_store_n(&word, 0, __ATOMIC_SEQ_CST);
    t = spawn(wake_later, (void *)(intptr_t)150);
    struct timespec rel = { 2, 0 };
    hits = 0;
    arm(10);
    show("futex(FUTEX_WAIT, 2 s, waker 150 ms late)",
         syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 0, &rel, NULL, 0));
    arm(0);
    yesno("  handler ran", hits > 0);
    join(t);
}

struct waiter {
    int how;  /* 0 sigwait, 1 sigwaitinfo, 2 sigtimedwait 2 s, 3 sigtimedwait 50 ms */
    int r, err, signo, code;
};

static sigset_t usr2;

static void *sig_waiter(void *arg)
{
    struct waiter *w = arg;
    siginfo_t si;
    struct timespec ts = { 2, 0 }, short_ts = { 0, 50000000L };
    memset(&si, 0, sizeof si);
    errno = 0;
    switch (w->how) {
    case 0:
        w->r = sigwait(&usr2, &w->signo);
        break;
    case 1:
        w->r = sigwaitinfo(&usr2, &si);
        break;
    case 2:
        w->r = sigtimedwait(&usr2, &si, &ts);
        break;
    default:
        w->r = sigtimedwait(&usr2, &si, &short_ts);
        break;
    }
    w->err = errno;
    if (w->how)
        w->signo = si.si_signo;
    w->code = si.si_code;
    return NULL;
}

static void sigwaits(void)
{
    static const char *name[] = { "sigwait", "sigwaitinfo", "sigtimedwait(2 s)",
                                  "sigtimedwait(50 ms)" };
    printf("-- sigwait family in a thread while another runs\n");
    atomic_store(&stop, 0);
    pthread_t b = spawn(busy, NULL);
    for (int how = 0; how < 4; how++) {
        struct waiter w = { how, 0, 0, 0, 0 };
        pthread_t t = spawn(sig_waiter, &w);
        msleep(50);
        if (how < 3)
            kill(getpid(), SIGUSR2);
        join(t);
        if (how == 0)
            printf("%s = %s, sig %s\n", name[how], w.r ? ename(w.r) : "0",
                   w.signo == SIGUSR2 ? "SIGUSR2" : "?");
        else if (w.r < 0)
            printf("%s = -1 %s\n", name[how], ename(w.err));
        else
            printf("%s = %s, si_signo %s, si_code %s\n", name[how],
                   w.r == SIGUSR2 ? "SIGUSR2" : "?", w.signo == SIGUSR2 ? "SIGUSR2" : "?",
                   w.code == SI_USER ? "SI_USER" : "?");
    }
    /* Another signal's handler (SIGUSR1, unblocked) interrupts sigwaitinfo,
     * sent to that thread. */
    handle(SIGUSR1, SA_RESTART);
    struct waiter w = { 1, 0, 0, 0, 0 };
    pthread_t t = spawn(sig_waiter, &w);
    msleep(50);
    hits = 0;
    pthread_kill(t, SIGUSR1);
    join(t);
    printf("sigwaitinfo, SIGUSR1 handler (SA_RESTART) runs in its thread = %d %s\n", w.r,
           w.r < 0 ? ename(w.err) : "");
    yesno("  handler ran in the waiting thread", hits == 1 && pthread_equal(hit_by, t));
    atomic_store(&stop, 1);
    join(b);
}

static void *pause_thread(void *arg)
{
    int *out = arg;
    errno = 0;
    out[0] = pause();
    out[1] = errno;
    return NULL;
}

static void *suspend_thread(void *arg)
{
    int *out = arg;
    sigset_t none;
    sigemptyset(&none);
    errno = 0;
    out[0] = sigsuspend(&none);
    out[1] = errno;
    return NULL;
}

static void pauses(void)
{
    int out[2];
    printf("-- pause and sigsuspend\n");
    handle(SIGUSR1, SA_RESTART);
    atomic_store(&stop, 0);
    pthread_t s = spawn(sleepy, NULL);
    /* pause in the main thread: a process-directed signal ends it. */
    hits = 0;
    arm(50);
    errno = 0;
    out[0] = pause();
    out[1] = errno;
    arm(0);
    printf("pause() in main, timer signal = %d %s\n", out[0], ename(out[1]));
    yesno("  handler ran", hits >= 1);

    /* pause in a thread: pthread_kill of it ends it. */
    hits = 0;
    pthread_t t = spawn(pause_thread, out);
    msleep(50);
    pthread_kill(t, SIGUSR1);
    join(t);
    printf("pause() in a thread, pthread_kill = %d %s\n", out[0], ename(out[1]));
    yesno("  handler ran in that thread", hits == 1 && pthread_equal(hit_by, t));

    /* sigsuspend in a thread, with SIGUSR2 blocked everywhere else: a
     * kill() of the process goes to it. */
    handle(SIGUSR2, 0);
    hits = 0;
    t = spawn(suspend_thread, out);
    msleep(50);
    kill(getpid(), SIGUSR2);
    join(t);
    printf("sigsuspend(empty) in a thread, kill(SIGUSR2) = %d %s\n", out[0], ename(out[1]));
    yesno("  handler ran once", hits == 1);
    sigset_t cur;
    pthread_sigmask(SIG_SETMASK, NULL, &cur);
    yesno("  SIGUSR2 still blocked in main", sigismember(&cur, SIGUSR2));

    /* A signal pending before sigsuspend unblocks it is taken at once. */
    hits = 0;
    raise(SIGUSR2);
    sigset_t none;
    sigemptyset(&none);
    errno = 0;
    int r = sigsuspend(&none);
    printf("sigsuspend(empty) in main with SIGUSR2 pending = %d %s\n", r, ename(errno));
    yesno("  handler ran in main", hits == 1 && pthread_equal(hit_by, pthread_self()));
    signal(SIGUSR2, SIG_DFL);
    atomic_store(&stop, 1);
    join(s);
}

int main(void)
{
    start_program();
    sigtimer_create();
    alarm_read();
    kill_reader(0);
    kill_reader(SA_RESTART);
    sem_futex(0);
    sem_futex(SA_RESTART);
    /* SIGUSR2 blocked from here on, in every thread made after. */
    sigemptyset(&usr2);
    sigaddset(&usr2, SIGUSR2);
    pthread_sigmask(SIG_BLOCK, &usr2, NULL);
    sigwaits();
    pauses();
    return finish_program("sig_threads");
}
