/* Parity program: what pthread_join gives back. 50 threads' return values; a
 * pthread_exit value from two calls deep; a thread that finished long before
 * its join; pthread_tryjoin_np EBUSY while the thread runs, then its value;
 * pthread_timedjoin_np and pthread_clockjoin_np ETIMEDOUT, then the value;
 * EDEADLK on joining oneself; a join from a thread other than the creator.
 * Knows nothing of libgreen. */
#include <semaphore.h>

#include "threaded.h"

#define MANY 50

static void *times3(void *arg)
{
    return (void *)((intptr_t)arg * 3);
}

__attribute__((noinline)) static void deepest(void)
{
    pthread_exit((void *)77);
}

__attribute__((noinline)) static void deeper(void)
{
    deepest();
}

static void *exits_nested(void *arg)
{
    (void)arg;
    deeper();
    return (void *)1;
}

/* Waits for its semaphore, then returns 7. */
static void *held(void *arg)
{
    sem_wait(arg);
    return (void *)7;
}

/* Joins the thread arg points at and returns its value + 1. */
static void *joiner(void *arg)
{
    return (void *)((intptr_t)join(*(pthread_t *)arg) + 1);
}

static void *join_self(void *arg)
{
    (void)arg;
    return (void *)(intptr_t)pthread_join(pthread_self(), NULL);
}

int main(void)
{
    start_program();
    pthread_t t[MANY];
    for (int i = 0; i < MANY; i++)
        t[i] = spawn(times3, (void *)(intptr_t)i);
    long sum = 0, wrong = 0;
    for (int i = 0; i < MANY; i++) {
        intptr_t v = (intptr_t)join(t[i]);
        sum += v;
        wrong += v != i * 3;
    }
    printf("%d threads returned i * 3: sum %ld, wrong %ld\n", MANY, sum, wrong);
    show("pthread_exit(77) from two calls deep, joined", (long)(intptr_t)join(spawn(exits_nested, NULL)));
    pthread_t early = spawn(times3, (void *)5);
    msleep(50);
    show("joined 50 ms after it finished", (long)(intptr_t)join(early));
    /* A timed join of a thread that has ended joins at once; with an
     * invalid tv_nsec glibc waits for the end anyway and succeeds. */
    struct timespec later = deadline(CLOCK_REALTIME, 5000);
    struct timespec bad = {0, 2000000000};
    void *got = NULL;
    early = spawn(times3, (void *)6);
    msleep(50);
    showrc("pthread_timedjoin_np(ended thread)", pthread_timedjoin_np(early, &got, &later));
    show("  value", (long)(intptr_t)got);
    early = spawn(times3, (void *)7);
    showrc("pthread_timedjoin_np(running thread, tv_nsec 2e9)", pthread_timedjoin_np(early, &got, &bad));
    show("  value", (long)(intptr_t)got);
    early = spawn(times3, (void *)8);
    showrc("pthread_clockjoin_np(CLOCK_PROCESS_CPUTIME_ID)",
           pthread_clockjoin_np(early, &got, CLOCK_PROCESS_CPUTIME_ID, &later));
    join(early);

    /* Three threads held on semaphores, alive together for the count. */
    sem_t go[3];
    pthread_t h[3];
    for (int i = 0; i < 3; i++) {
        sem_init(&go[i], 0, 0);
        h[i] = spawn(held, &go[i]);
    }
    report_tasks();
    void *v = NULL;
    double t0;
    int r;
    showrc("pthread_tryjoin_np(running thread)", pthread_tryjoin_np(h[0], &v));
    sem_post(&go[0]);
    for (int i = 0; i < 5000 && (r = pthread_tryjoin_np(h[0], &v)) == EBUSY; i++)
        msleep(1);
    showrc("pthread_tryjoin_np(after its release, retried on EBUSY)", r);
    show("  value", (long)(intptr_t)v);

    struct timespec ts = deadline(CLOCK_REALTIME, 100);
    t0 = now();
    showrc("pthread_timedjoin_np(running thread, 100 ms)", pthread_timedjoin_np(h[1], &v, &ts));
    check_waited(t0, 0.1);
    sem_post(&go[1]);
    ts = deadline(CLOCK_REALTIME, 5000);
    v = NULL;
    showrc("pthread_timedjoin_np(released thread, 5 s)", pthread_timedjoin_np(h[1], &v, &ts));
    show("  value", (long)(intptr_t)v);

    ts = deadline(CLOCK_MONOTONIC, 100);
    t0 = now();
    showrc("pthread_clockjoin_np(running thread, CLOCK_MONOTONIC, 100 ms)",
           pthread_clockjoin_np(h[2], &v, CLOCK_MONOTONIC, &ts));
    check_waited(t0, 0.1);
    sem_post(&go[2]);
    ts = deadline(CLOCK_MONOTONIC, 5000);
    v = NULL;
    showrc("pthread_clockjoin_np(released thread, 5 s)", pthread_clockjoin_np(h[2], &v, CLOCK_MONOTONIC, &ts));
    show("  value", (long)(intptr_t)v);

    showrc("pthread_join(pthread_self()) in main", pthread_join(pthread_self(), NULL));
    showrc("pthread_join(pthread_self()) in a thread", (int)in_thread(join_self, NULL));

    sem_t late;
    sem_init(&late, 0, 0);
    pthread_t target = spawn(held, &late);
    pthread_t j = spawn(joiner, &target);
    msleep(20);
    sem_post(&late);
    show("a thread joined another (7) and returned its value + 1", (long)(intptr_t)join(j));
    return finish_program("pt_join");
}
