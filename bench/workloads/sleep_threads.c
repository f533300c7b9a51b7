/* Workload: N threads that each sleep until a common deadline, with default
 * attributes, written the plain way (pthread_create, clock_nanosleep). It
 * stops creating at the first failure, waits until every created thread is
 * asleep, prints "threads: N" and "ready", and exits at the deadline. The
 * driver reads the process's memory while it sleeps. Knows nothing of
 * libgreen.
 *
 * usage: sleep_threads N SECONDS */
#include <stdatomic.h>
#include <time.h>

#include "common.h"

static struct timespec deadline;
static atomic_long asleep;

static void *sleeper(void *arg)
{
    (void)arg;
    atomic_fetch_add(&asleep, 1);
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, NULL) == EINTR)
        ;
    return NULL;
}

int main(int argc, char **argv)
{
    long want = argc == 3 ? atol(argv[1]) : 0, secs = argc == 3 ? atol(argv[2]) : 0;
    if (want <= 0 || secs <= 0) {
        fprintf(stderr, "usage: %s N SECONDS\n", argv[0]);
        return 2;
    }
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += secs;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    long n = 0;
    for (; n < want; n++) {
        pthread_t t;
        int e = pthread_create(&t, &attr, sleeper, NULL);
        if (e) {
            fprintf(stderr, "pthread_create: %s after %ld threads\n", strerror(e), n);
            break;
        }
    }
    struct timespec tick = { 0, 1000000 };
    while (atomic_load(&asleep) < n)
        nanosleep(&tick, NULL);
    printf("threads: %ld\nready\n", n);
    fflush(stdout);
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, NULL);
    return 0;
}
