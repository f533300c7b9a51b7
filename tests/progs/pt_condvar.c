/* Parity program: a bounded buffer of 4 slots between 3 producer and 3
 * consumer threads (one pthread mutex, two condition variables, a broadcast
 * when the last producer is done), then timed condition waits: timeouts on
 * CLOCK_REALTIME, on a CLOCK_MONOTONIC condattr and with
 * pthread_cond_clockwait, their EINVAL cases, and a signal that comes before
 * the deadline. Threads only record; main prints after joining them. Knows
 * nothing of libgreen. */
#include <stdbool.h>

#include "threaded.h"

#define PRODUCERS 3
#define CONSUMERS 3
#define ITEMS 2000 /* per producer */
#define SLOTS 4

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t not_full = PTHREAD_COND_INITIALIZER;
static pthread_cond_t not_empty = PTHREAD_COND_INITIALIZER;
static int slots[SLOTS];           /* the ring; under lock */
static int head, count;            /* its first item and length; under lock */
static int producing = PRODUCERS;  /* producers not yet done; under lock */
static unsigned char seen[PRODUCERS * ITEMS]; /* times each item was taken */

static void *producer(void *arg)
{
    int base = (int)(intptr_t)arg * ITEMS;
    for (int i = 0; i < ITEMS; i++) {
        pthread_mutex_lock(&lock);
        while (count == SLOTS)
            pthread_cond_wait(&not_full, &lock);
        slots[(head + count++) % SLOTS] = base + i;
        pthread_cond_signal(&not_empty);
        pthread_mutex_unlock(&lock);
    }
    pthread_mutex_lock(&lock);
    if (--producing == 0)
        pthread_cond_broadcast(&not_empty);
    pthread_mutex_unlock(&lock);
    return NULL;
}

/* Returns how many items it took. */
static void *consumer(void *arg)
{
    (void)arg;
    long taken = 0;
    for (;;) {
        pthread_mutex_lock(&lock);
        while (count == 0 && producing > 0)
            pthread_cond_wait(&not_empty, &lock);
        if (count == 0) {
            pthread_mutex_unlock(&lock);
            return (void *)(intptr_t)taken;
        }
        int item = slots[head];
        head = (head + 1) % SLOTS;
        count--;
        pthread_cond_signal(&not_full);
        pthread_mutex_unlock(&lock);
        seen[item]++;
        taken++;
    }
}

static void producer_consumer(void)
{
    pthread_t t[PRODUCERS + CONSUMERS];
    /* The workers all start by taking the lock: holding it keeps them alive
     * for the count. */
    pthread_mutex_lock(&lock);
    for (int i = 0; i < PRODUCERS; i++)
        t[i] = spawn(producer, (void *)(intptr_t)i);
    for (int i = 0; i < CONSUMERS; i++)
        t[PRODUCERS + i] = spawn(consumer, NULL);
    report_tasks();
    pthread_mutex_unlock(&lock);

    long taken = 0;
    for (int i = 0; i < PRODUCERS + CONSUMERS; i++)
        taken += (long)(intptr_t)join(t[i]);
    int wrong = 0;
    for (int i = 0; i < PRODUCERS * ITEMS; i++)
        wrong += seen[i] != 1;
    printf("%d producers, %d consumers, %d slots\n", PRODUCERS, CONSUMERS, SLOTS);
    show("items taken", taken);
    check(taken == PRODUCERS * ITEMS && wrong == 0, "every item taken exactly once");
    show("items left in the buffer", count);
}

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t c = PTHREAD_COND_INITIALIZER;
static bool flag; /* under m */

/* Sets flag and signals c, 50 ms after it starts. */
static void *late_signal(void *arg)
{
    (void)arg;
    msleep(50);
    pthread_mutex_lock(&m);
    flag = true;
    pthread_cond_signal(&c);
    pthread_mutex_unlock(&m);
    return NULL;
}

static void timed_waits(void)
{
    pthread_cond_t mono;
    pthread_condattr_t ca;
    if (pthread_condattr_init(&ca) || pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) ||
        pthread_cond_init(&mono, &ca))
        die("condattr");
    struct timespec ts;
    double t0;

    pthread_mutex_lock(&m);
    ts = deadline(CLOCK_REALTIME, 100);
    t0 = now();
    showrc("pthread_cond_timedwait(100 ms, nobody signals)", pthread_cond_timedwait(&c, &m, &ts));
    check_waited(t0, 0.1);
    ts = deadline(CLOCK_MONOTONIC, 100);
    t0 = now();
    showrc("pthread_cond_timedwait(CLOCK_MONOTONIC cond, 100 ms)", pthread_cond_timedwait(&mono, &m, &ts));
    check_waited(t0, 0.1);
    ts = deadline(CLOCK_MONOTONIC, 100);
    t0 = now();
    showrc("pthread_cond_clockwait(CLOCK_MONOTONIC, 100 ms)", pthread_cond_clockwait(&c, &m, CLOCK_MONOTONIC, &ts));
    check_waited(t0, 0.1);
    ts = deadline(CLOCK_REALTIME, -1000);
    showrc("pthread_cond_timedwait(deadline passed)", pthread_cond_timedwait(&c, &m, &ts));
    ts.tv_nsec = -1;
    showrc("pthread_cond_timedwait(tv_nsec -1)", pthread_cond_timedwait(&c, &m, &ts));
    ts = deadline(CLOCK_MONOTONIC, 100);
    showrc("pthread_cond_clockwait(CLOCK_PROCESS_CPUTIME_ID)",
           pthread_cond_clockwait(&c, &m, CLOCK_PROCESS_CPUTIME_ID, &ts));
    show("mutex still held after the timeouts (trylock EBUSY)", pthread_mutex_trylock(&m) == EBUSY);

    pthread_t t = spawn(late_signal, NULL);
    int r = 0;
    ts = deadline(CLOCK_REALTIME, 5000);
    while (!flag && r == 0)
        r = pthread_cond_timedwait(&c, &m, &ts);
    showrc("pthread_cond_timedwait(5 s) signalled after 50 ms", r);
    yesno("  flag set", flag);
    pthread_mutex_unlock(&m);
    join(t);
    pthread_cond_destroy(&mono);
    pthread_condattr_destroy(&ca);
}

int main(void)
{
    start_program();
    producer_consumer();
    timed_waits();
    return finish_program("pt_condvar");
}
