/* A hand-off between two threads, for bench/hubs.py: "condvar" (a mutex
 * and a condition variable passing a turn) or "sem" (two semaphores),
 * ROUNDS round trips. Plain pthreads: run natively, it is the anchor;
 * under greenrun with two hubs, placement puts the two green threads on
 * different hubs (the first on the main thread's, which then has one
 * placed, the second on the empty one). Prints the mean nanoseconds per
 * hand-off. */
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static long rounds;
static int use_sem;
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t c = PTHREAD_COND_INITIALIZER;
static long turn;
static sem_t s[2];

static void *run(void *arg)
{
    long me = (long)arg;
    for (long i = 0; i < rounds; i++) {
        if (use_sem) {
            sem_wait(&s[me]);
            sem_post(&s[!me]);
            continue;
        }
        pthread_mutex_lock(&m);
        while ((turn & 1) != me)
            pthread_cond_wait(&c, &m);
        turn++;
        pthread_cond_signal(&c);
        pthread_mutex_unlock(&m);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 3)
        return fprintf(stderr, "usage: handoff condvar|sem ROUNDS\n"), 2;
    use_sem = !strcmp(argv[1], "sem");
    rounds = atol(argv[2]);
    sem_init(&s[0], 0, 1);
    sem_init(&s[1], 0, 0);
    struct timespec a, b;
    pthread_t t[2];
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (long i = 0; i < 2; i++)
        if (pthread_create(&t[i], NULL, run, (void *)i) != 0)
            return 1;
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    clock_gettime(CLOCK_MONOTONIC, &b);
    double ns = (b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec);
    printf("%.1f\n", ns / (2.0 * rounds));
    return 0;
}
