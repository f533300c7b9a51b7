/* Hubs (GREEN_HUBS=2, set by the test): pthread_create places threads on
 * both hubs, which are the process's OS threads; a close on one hub wakes
 * a reader on the other with EBADF; mutexes and semaphores hand off
 * between hubs with exact counts; a thread on hub 1 forks a child with
 * one OS thread; pthread_kill reaches a thread on either hub. */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

/* The real OS thread the caller runs on: /proc/thread-self names it. */
static long os_thread(void)
{
    char buf[64];
    ssize_t n = readlink("/proc/thread-self", buf, sizeof buf - 1);
    ck_assert_int_gt(n, 0);
    buf[n] = 0;
    return atol(strrchr(buf, '/') + 1);
}

/* A thread pinned to hub `hub` (pthread_attr_setaffinity_np: CPU hub). */
static pthread_t spawn_on(int hub, void *(*fn)(void *), void *arg)
{
    pthread_attr_t a;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(hub, &set);
    pthread_attr_init(&a);
    pthread_attr_setaffinity_np(&a, sizeof set, &set);
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, &a, fn, arg), 0);
    pthread_attr_destroy(&a);
    return t;
}

static pthread_barrier_t bar;

static void *where(void *arg)
{
    *(long *)arg = os_thread();
    pthread_barrier_wait(&bar);  /* all alive at once */
    pthread_barrier_wait(&bar);
    return NULL;
}

START_TEST(placement_spreads_over_both_hubs)
{
    ck_assert_int_eq(harness_os_threads(), 1);  /* none started yet */
    enum { N = 6 };
    long tid[N];
    pthread_t t[N];
    pthread_barrier_init(&bar, NULL, N + 1);
    for (int i = 0; i < N; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, where, &tid[i]), 0);
    pthread_barrier_wait(&bar);
    ck_assert_int_eq(harness_os_threads(), 2);
    long main_tid = os_thread();
    int on_main = 0;
    for (int i = 0; i < N; i++)
        on_main += tid[i] == main_tid;
    long other = 0;
    for (int i = 0; i < N; i++) {
        if (tid[i] != main_tid && !other)
            other = tid[i];
        ck_assert(tid[i] == main_tid || tid[i] == other);  /* two hubs */
    }
    /* Sleepers alternate: three on each hub. */
    ck_assert_int_eq(on_main, N / 2);
    pthread_barrier_wait(&bar);
    for (int i = 0; i < N; i++)
        pthread_join(t[i], NULL);
}
END_TEST

static int pfd[2];

static void *read_pipe(void *arg)
{
    char c;
    *(long *)arg = os_thread();
    errno = 0;
    ssize_t n = read(pfd[0], &c, 1);
    return (void *)(intptr_t)(n < 0 ? errno : 0);
}

START_TEST(close_on_one_hub_wakes_a_reader_on_the_other)
{
    ck_assert_int_eq(pipe(pfd), 0);
    long tid = 0;
    pthread_t t = spawn_on(1, read_pipe, &tid);
    usleep(100000);  /* it reads and parks */
    ck_assert_int_ne(tid, 0);
    ck_assert_int_ne(tid, os_thread());
    int64_t t0 = green_now();
    close(pfd[0]);
    void *r;
    pthread_join(t, &r);
    ck_assert_int_eq((int)(intptr_t)r, EBADF);
    ck_assert_int_lt(green_now() - t0, MS(1000));
    close(pfd[1]);
}
END_TEST

/* An fd waited on from both hubs: the reader on hub 1, a writer on hub 0
 * that fills the socket buffer first. */
static int sv[2];

static void *drain_socket(void *arg)
{
    size_t *got = arg;
    char buf[65536];
    ssize_t n;
    while ((n = read(sv[1], buf, sizeof buf)) > 0)
        *got += (size_t)n;
    return NULL;
}

START_TEST(one_fd_waited_from_two_hubs)
{
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    size_t got = 0, total = 8 << 20;
    pthread_t t = spawn_on(1, drain_socket, &got);
    char *buf = calloc(1, 1 << 20);
    for (size_t sent = 0; sent < total;) {
        ssize_t n = write(sv[0], buf, 1 << 20);
        ck_assert_int_gt(n, 0);
        sent += (size_t)n;
    }
    shutdown(sv[0], SHUT_WR);
    pthread_join(t, NULL);
    ck_assert_uint_eq(got, total);
    free(buf);
    close(sv[0]);
    close(sv[1]);
}
END_TEST

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static long counter;
static sem_t sem[2];
enum { ROUNDS = 200000, ADDS = 250000 };

static void *add(void *arg)
{
    (void)arg;
    for (int i = 0; i < ADDS; i++) {
        pthread_mutex_lock(&mu);
        counter++;
        pthread_mutex_unlock(&mu);
    }
    return NULL;
}

static void *pong(void *arg)
{
    long me = (long)arg, n = 0;
    for (int i = 0; i < ROUNDS; i++) {
        if (me) {
            sem_wait(&sem[1]);
            sem_post(&sem[0]);
        } else {
            sem_post(&sem[1]);
            sem_wait(&sem[0]);
        }
        n++;
    }
    return (void *)n;
}

START_TEST(cross_hub_handoffs_keep_exact_counts)
{
    sem_init(&sem[0], 0, 0);
    sem_init(&sem[1], 0, 0);
    pthread_t p0 = spawn_on(0, pong, (void *)0);
    pthread_t p1 = spawn_on(1, pong, (void *)1);
    pthread_t a[4];
    for (int i = 0; i < 4; i++)
        a[i] = spawn_on(i % 2, add, NULL);
    void *n0, *n1;
    pthread_join(p0, &n0);
    pthread_join(p1, &n1);
    for (int i = 0; i < 4; i++)
        pthread_join(a[i], NULL);
    ck_assert_int_eq((long)n0, ROUNDS);
    ck_assert_int_eq((long)n1, ROUNDS);
    ck_assert_int_eq(counter, 4L * ADDS);
    int v;
    sem_getvalue(&sem[0], &v);
    ck_assert_int_eq(v, 0);
    sem_getvalue(&sem[1], &v);
    ck_assert_int_eq(v, 0);
}
END_TEST

static void *child_work(void *arg)
{
    return arg;
}

static void *fork_here(void *arg)
{
    *(long *)arg = os_thread();
    pid_t pid = fork();
    if (pid == 0) {
        /* The child: one OS thread, which still makes and joins threads. */
        int ok = harness_os_threads() == 1;
        pthread_t t;
        void *r = NULL;
        ok = ok && pthread_create(&t, NULL, child_work, (void *)7) == 0 &&
             pthread_join(t, &r) == 0 && r == (void *)7;
        _exit(ok ? 7 : 1);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return (void *)(intptr_t)status;
}

START_TEST(fork_from_a_thread_on_hub_1)
{
    long tid = 0;
    pthread_t t = spawn_on(1, fork_here, &tid);
    void *status;
    pthread_join(t, &status);
    ck_assert_int_ne(tid, os_thread());
    ck_assert(WIFEXITED((int)(intptr_t)status));
    ck_assert_int_eq(WEXITSTATUS((int)(intptr_t)status), 7);
}
END_TEST

static __thread int hit;

static void on_usr1(int sig)
{
    (void)sig;
    hit = 1;
}

static void *wait_signal(void *arg)
{
    *(long *)arg = os_thread();
    int r = pause();
    return (void *)(intptr_t)(r == -1 && errno == EINTR && hit);
}

START_TEST(pthread_kill_reaches_a_thread_on_each_hub)
{
    signal(SIGUSR1, on_usr1);
    for (int hub = 0; hub < 2; hub++) {
        long tid = 0;
        pthread_t t = spawn_on(hub, wait_signal, &tid);
        usleep(100000);
        ck_assert_int_eq(tid == os_thread(), hub == 0);
        ck_assert_int_eq(pthread_kill(t, SIGUSR1), 0);
        void *r;
        pthread_join(t, &r);
        ck_assert_msg(r == (void *)1, "hub %d: the handler ran in its thread "
                      "and pause() returned EINTR", hub);
        ck_assert_int_eq(hit, 0);  /* not in main's */
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("hubs");
    TCase *tc = tcase_create("hubs");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, placement_spreads_over_both_hubs);
    tcase_add_test(tc, close_on_one_hub_wakes_a_reader_on_the_other);
    tcase_add_test(tc, one_fd_waited_from_two_hubs);
    tcase_add_test(tc, cross_hub_handoffs_keep_exact_counts);
    tcase_add_test(tc, fork_from_a_thread_on_hub_1);
    tcase_add_test(tc, pthread_kill_reaches_a_thread_on_each_hub);
    suite_add_tcase(s, tc);
    return harness_run(s);
}
