/* An unmodified program's thread start-up: N pthread_create + pthread_join
 * of a trivial function, one after another, after a warm-up. Prints the
 * nanoseconds per cycle. Knows nothing of libgreen: spawn_preload.py runs
 * it natively and under the preload. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static void *trivial(void *arg)
{
    return arg;
}

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void run(long n)
{
    for (long i = 0; i < n; i++) {
        pthread_t t;
        void *r;
        if (pthread_create(&t, NULL, trivial, (void *)(intptr_t)i) ||
            pthread_join(t, &r) || r != (void *)(intptr_t)i) {
            fprintf(stderr, "pthread_create/join failed\n");
            exit(1);
        }
    }
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 20000;
    run(n / 20 + 1);  /* fills the stack caches */
    double t0 = now_ns();
    run(n);
    printf("%.1f\n", (now_ns() - t0) / (double)n);
    return 0;
}
