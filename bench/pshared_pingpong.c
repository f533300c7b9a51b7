/* An unmodified program for bench/pshared_wake.py: a parent and its forked
 * child hand a token back and forth N times through process-shared objects
 * on a MAP_SHARED page, first two semaphores, then a mutex and condition
 * variable. Each process also has an idle thread (blocked in read), so that
 * under the preload each wait is a green one with another thread that
 * could run. Prints "sem NS" and "cond NS": nanoseconds per round trip
 * (two wakes). Knows nothing of libgreen. */
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct shared {
    sem_t ping, pong;
    pthread_mutex_t m;
    pthread_cond_t c;
    int turn;  /* the cond round: 0 parent's, 1 child's */
};

static int idle_pipe[2];

static void *idle(void *arg)
{
    (void)arg;
    char c;
    (void)!read(idle_pipe[0], &c, 1);
    return NULL;
}

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void cond_pass(struct shared *s, int me, int n)
{
    for (int i = 0; i < n; i++) {
        pthread_mutex_lock(&s->m);
        while (s->turn != me)
            pthread_cond_wait(&s->c, &s->m);
        s->turn = !me;
        pthread_cond_signal(&s->c);
        pthread_mutex_unlock(&s->m);
    }
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 20000;
    struct shared *s = mmap(NULL, sizeof *s, PROT_READ | PROT_WRITE,
                            MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (s == MAP_FAILED || pipe(idle_pipe) < 0)
        return 1;
    sem_init(&s->ping, 1, 0);
    sem_init(&s->pong, 1, 0);
    pthread_mutexattr_t ma;
    pthread_mutexattr_init(&ma);
    pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
    pthread_mutex_init(&s->m, &ma);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED);
    pthread_cond_init(&s->c, &ca);
    pid_t pid = fork();
    if (pid < 0)
        return 1;
    pthread_t t;
    pthread_create(&t, NULL, idle, NULL);
    if (pid == 0) {
        for (int i = 0; i < n; i++) {
            sem_wait(&s->ping);
            sem_post(&s->pong);
        }
        cond_pass(s, 1, n);
        _exit(0);
    }
    double t0 = now_ns();
    for (int i = 0; i < n; i++) {
        sem_post(&s->ping);
        sem_wait(&s->pong);
    }
    double t1 = now_ns();
    cond_pass(s, 0, n);
    double t2 = now_ns();
    int st;
    waitpid(pid, &st, 0);
    printf("sem %.0f\ncond %.0f\n", (t1 - t0) / n, (t2 - t1) / n);
    return !(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}
