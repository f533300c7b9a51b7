/* Parity program: unnamed POSIX semaphores between threads. 4 threads
 * blocked in sem_wait are woken by 4 posts; a ping-pong of 1000 rounds on two
 * semaphores; sem_trywait EAGAIN, sem_timedwait and sem_clockwait
 * ETIMEDOUT and EINVAL, a sem_timedwait that a post ends before its
 * deadline, sem_getvalue; a process-shared semaphore in shared memory that a
 * forked child posts while a thread waits on it. Threads only record; main
 * prints. Knows nothing of libgreen. */
#include <semaphore.h>
#include <stdatomic.h>
#include <sys/mman.h>

#include "threaded.h"

#define WAITERS 4
#define ROUNDS 1000

static sem_t s, ping, pong;
static atomic_int woken;

static void *waiter(void *arg)
{
    sem_t *sem = arg;
    int r = sem_wait(sem);
    atomic_fetch_add(&woken, 1);
    return (void *)(intptr_t)r;
}

static void *ponger(void *arg)
{
    (void)arg;
    long n = 0;
    for (int i = 0; i < ROUNDS; i++) {
        if (sem_wait(&ping) < 0)
            break;
        n++;
        sem_post(&pong);
    }
    return (void *)(intptr_t)n;
}

static void *late_post(void *arg)
{
    msleep(50);
    return (void *)(intptr_t)sem_post(arg);
}

static int value(sem_t *sem)
{
    int v = -1;
    sem_getvalue(sem, &v);
    return v;
}

static void wake_waiters(void)
{
    pthread_t t[WAITERS];
    sem_init(&s, 0, 0);
    for (int i = 0; i < WAITERS; i++)
        t[i] = spawn(waiter, &s);
    report_tasks();
    msleep(20);
    show("woken before any post", atomic_load(&woken));
    for (int i = 0; i < WAITERS; i++)
        sem_post(&s);
    int bad = 0;
    for (int i = 0; i < WAITERS; i++)
        bad += join(t[i]) != NULL;
    printf("%d threads in sem_wait, %d posts: %d woken, %d failed\n", WAITERS, WAITERS,
           atomic_load(&woken), bad);
    show("sem_getvalue after", value(&s));
}

static void ping_pong(void)
{
    sem_init(&ping, 0, 0);
    sem_init(&pong, 0, 0);
    pthread_t t = spawn(ponger, NULL);
    long n = 0;
    for (int i = 0; i < ROUNDS; i++) {
        sem_post(&ping);
        if (sem_wait(&pong) == 0)
            n++;
    }
    printf("ping-pong: %ld rounds here, %ld there\n", n, (long)(intptr_t)join(t));
}

static void values_and_timeouts(void)
{
    struct timespec ts;
    double t0;
    for (int i = 0; i < 3; i++)
        sem_post(&s);
    show("sem_getvalue after 3 posts", value(&s));
    for (int i = 0; i < 3; i++)
        show("sem_trywait", sem_trywait(&s));
    show("sem_trywait (0)", sem_trywait(&s));

    ts = deadline(CLOCK_REALTIME, 100);
    t0 = now();
    show("sem_timedwait(100 ms)", sem_timedwait(&s, &ts));
    check_waited(t0, 0.1);
    ts = deadline(CLOCK_MONOTONIC, 100);
    t0 = now();
    show("sem_clockwait(CLOCK_MONOTONIC, 100 ms)", sem_clockwait(&s, CLOCK_MONOTONIC, &ts));
    check_waited(t0, 0.1);
    ts = deadline(CLOCK_REALTIME, -1000);
    show("sem_timedwait(deadline passed)", sem_timedwait(&s, &ts));
    ts.tv_nsec = -1;
    show("sem_timedwait(tv_nsec -1)", sem_timedwait(&s, &ts));
    ts = deadline(CLOCK_MONOTONIC, 100);
    show("sem_clockwait(CLOCK_PROCESS_CPUTIME_ID)", sem_clockwait(&s, CLOCK_PROCESS_CPUTIME_ID, &ts));
    sem_post(&s);
    ts.tv_nsec = -1;
    show("sem_timedwait(tv_nsec -1) with a post pending", sem_timedwait(&s, &ts));

    pthread_t t = spawn(late_post, &s);
    ts = deadline(CLOCK_REALTIME, 5000);
    show("sem_timedwait(5 s), posted after 50 ms", sem_timedwait(&s, &ts));
    show("  the poster's sem_post", (long)(intptr_t)join(t));
    show("sem_init(value SEM_VALUE_MAX + 1)", sem_init(&ping, 0, (unsigned)SEM_VALUE_MAX + 1));
}

/* A thread waits on a process-shared semaphore; a forked child posts it. */
static void process_shared(void)
{
    sem_t *ps = mmap(NULL, sizeof *ps, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (ps == MAP_FAILED || sem_init(ps, 1, 0) < 0)
        die("shared semaphore");
    pthread_t t = spawn(waiter, ps);
    pid_t pid = fork_child();
    if (pid == 0) {
        msleep(50);
        _exit(sem_post(ps) == 0 ? 0 : 2);
    }
    show("thread: sem_wait(process-shared), posted by a child", (long)(intptr_t)join(t));
    expect_exit0("  child", reap(pid));
    sem_destroy(ps);
    munmap(ps, sizeof *ps);
}

int main(void)
{
    start_program();
    wake_waiters();
    ping_pong();
    values_and_timeouts();
    process_shared();
    return finish_program("pt_sem");
}
