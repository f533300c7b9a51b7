/* Parity program: many threads at once. Creates COUNT threads (the argument,
 * default 100000) with 64 KiB stacks, each sleeping 1 s, then joins them.
 * Each starts by taking and dropping a read lock that main holds for writing
 * until it has created them all and counted the OS threads.
 * When pthread_create fails with EAGAIN (natively near 32,000, the kernel's
 * limit on threads or memory maps), or once the process has MAX_OS_THREADS
 * OS threads (so that it never takes all the machine's pids from the other
 * programs running meanwhile), it joins the ones it has and carries on, so
 * the one line of stdout is the same with OS threads and with green
 * threads. stderr has the peak OS thread count, the batches and the time.
 * Knows nothing of libgreen. */
#include <stdatomic.h>

#include "threaded.h"

#define MAX_OS_THREADS 16000
#define CHECK_EVERY 1000 /* threads created between two looks at the count */

static atomic_long slept; /* threads whose sleep(1) returned 0 */
static pthread_rwlock_t gate = PTHREAD_RWLOCK_INITIALIZER;

static void *sleeper(void *arg)
{
    (void)arg;
    pthread_rwlock_rdlock(&gate);
    pthread_rwlock_unlock(&gate);
    if (sleep(1) == 0)
        atomic_fetch_add(&slept, 1);
    return NULL;
}

/* The Threads: line of /proc/self/status (0 if unreadable). */
static long os_threads(void)
{
    char line[128];
    long n = 0;
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "Threads: %ld", &n) == 1)
            break;
    fclose(f);
    return n;
}

int main(int argc, char **argv)
{
    start_program();
    alarm(120); /* natively it takes about 12 s, in 7 batches */
    long count = argc > 1 ? atol(argv[1]) : 100000;
    pthread_t *t = malloc(sizeof *t * (size_t)(count > 0 ? count : 1));
    pthread_attr_t attr;
    if (!t || pthread_attr_init(&attr) || pthread_attr_setstacksize(&attr, 64 * 1024))
        die("setup");
    double t0 = now();
    long done = 0, batches = 0;
    while (done < count) {
        long n = 0;
        int r = 0;
        pthread_rwlock_wrlock(&gate);
        while (done + n < count && (r = pthread_create(&t[n], &attr, sleeper, NULL)) == 0)
            if (++n % CHECK_EVERY == 0 && os_threads() >= MAX_OS_THREADS)
                break;
        if (r != 0 && (r != EAGAIN || n == 0))
            die_rc("pthread_create", r);
        if (batches++ == 0)
            report_tasks();
        pthread_rwlock_unlock(&gate);
        for (long i = 0; i < n; i++)
            join(t[i]);
        done += n;
    }
    report_elapsed(t0);
    fprintf(stderr, "batches: %ld\n", batches);
    printf("%ld threads slept 1 s and were joined\n", atomic_load(&slept));
    pthread_attr_destroy(&attr);
    free(t);
    return atomic_load(&slept) == count ? 0 : 1;
}
