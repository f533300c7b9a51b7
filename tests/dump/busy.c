/* An unmodified pthread program for tests/dump/test_stats.py:
 *   stats        4 threads each sleep 1 ms ten times and take a mutex
 *                in turn; joined, then main preads a file 3 times while
 *                a fifth thread yields (is ready); main returns (the
 *                report runs at exit)
 *   compute MS [yield]
 *                one thread computes for MS ms without a call that could
 *                switch, while another sleeps 5 ms at a time (so it is
 *                due while the first computes) or, with yield, calls
 *                sched_yield (so it is ready); then both are joined
 *   forkcompute MS
 *                main makes and joins a thread, then forks; the child
 *                does what compute does, the parent waits for it
 *   stdio        one thread writes 1 MiB to stdout with fwrite (stdio's
 *                own write(2), which no wrapper sees) while another
 *                sleeps 5 ms at a time; the test reads stdout late */
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <unistd.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static long compute_ms;
static volatile int done;
static int yielding;
static unsigned long counter;

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void nap_ms(long ms)
{
    struct timespec ts = {ms / 1000, ms % 1000 * 1000000};
    nanosleep(&ts, NULL);
}

static void *sleeper(void *arg)
{
    (void)arg;
    for (int i = 0; i < 10; i++) {
        nap_ms(1);
        pthread_mutex_lock(&m);
        counter++;
        pthread_mutex_unlock(&m);
    }
    return NULL;
}

void *busy_compute(void *arg)
{
    (void)arg;
    long long end = now_ms() + compute_ms;
    while (now_ms() < end)
        counter++;  /* clock_gettime is the vDSO: no wrapper, no switch */
    done = 1;
    return NULL;
}

static void *ticker(void *arg)
{
    (void)arg;
    while (!done) {
        if (yielding)
            sched_yield();
        else
            nap_ms(5);
    }
    return NULL;
}

void *busy_stdio(void *arg)
{
    static char block[64 * 1024];
    (void)arg;
    memset(block, 'x', sizeof block);
    for (int i = 0; i < 16; i++)
        fwrite(block, 1, sizeof block, stdout);
    fflush(stdout);
    done = 1;
    return NULL;
}

int main(int argc, char **argv)
{
    pthread_t t[4];
    if (argc > 1 && !strcmp(argv[1], "stdio")) {
        pthread_create(&t[0], NULL, ticker, NULL);
        nap_ms(20);
        pthread_create(&t[1], NULL, busy_stdio, NULL);
        pthread_join(t[1], NULL);
        pthread_join(t[0], NULL);
        return 0;
    }
    if (argc > 1 && !strcmp(argv[1], "forkcompute")) {
        pthread_create(&t[0], NULL, sleeper, NULL);
        pthread_join(t[0], NULL);
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
            argv[1] = "compute";
            return main(argc, argv);
        }
        int st = 0;
        if (pid < 0 || waitpid(pid, &st, 0) != pid || st != 0)
            return 1;
        printf("child exited 0\n");
        return 0;
    }
    if (argc > 1 && !strcmp(argv[1], "compute")) {
        compute_ms = argc > 2 ? atol(argv[2]) : 300;
        yielding = argc > 3 && !strcmp(argv[3], "yield");
        pthread_create(&t[0], NULL, ticker, NULL);
        nap_ms(20);  /* the ticker is asleep, due every 5 ms */
        pthread_create(&t[1], NULL, busy_compute, NULL);
        pthread_join(t[1], NULL);
        pthread_join(t[0], NULL);
        printf("computed\n");
        return 0;
    }
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, sleeper, NULL);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    yielding = 1;
    pthread_create(&t[0], NULL, ticker, NULL);
    int fd = open("/proc/self/stat", O_RDONLY);
    char buf[64];
    for (int i = 0; i < 3; i++) {
        sched_yield();  /* the ticker yields back: it is ready now */
        if (pread(fd, buf, sizeof buf, 0) < 0)
            return 1;
    }
    close(fd);
    done = 1;
    pthread_join(t[0], NULL);
    printf("counter %lu\n", counter);
    return 0;
}
