/* Parity program: threads that only poll, and asynchronous cancellation
 * in a mutex wait. Natively the kernel preempts a thread that spins on a
 * flag under a mutex (lock, read, unlock, again); the threads it waits for
 * must get to run, whether they are new or asleep. A thread with
 * PTHREAD_CANCEL_ASYNCHRONOUS blocked in pthread_mutex_lock (which is no
 * cancellation point) is cancelled there: its cleanup handlers run and
 * pthread_join gives PTHREAD_CANCELED; another waiter for the same mutex
 * still gets it when it is unlocked. Knows nothing of libgreen. */
#include <semaphore.h>
#include <stdatomic.h>

#include "threaded.h"

#define N 4

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static int started;           /* under m */
static atomic_int woke;       /* set by the sleeper */
static sem_t ready;
static atomic_int cleaned;    /* cleanup handlers run */

static void *starter(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&m);
    started++;
    pthread_mutex_unlock(&m);
    return NULL;
}

/* Main polls under the mutex until all N threads have run. */
static void new_threads(void)
{
    pthread_t t[N];
    spawn_n(t, N, starter);
    int n;
    long polls = 0;
    do {
        pthread_mutex_lock(&m);
        n = started;
        pthread_mutex_unlock(&m);
        polls++;
    } while (n < N);
    show("threads started while main polled", n);
    yesno("  main polled", polls > 0);
    join_n(t, N);
}

static void *sleeper(void *arg)
{
    (void)arg;
    msleep(50);
    atomic_store(&woke, 1);
    return NULL;
}

/* The same with a thread that sleeps first, and a trylock as the poll. */
static void sleeping_thread(void)
{
    pthread_t t = spawn(sleeper, NULL);
    double t0 = now();
    int w = 0;
    while (!w) {
        if (pthread_mutex_trylock(&m) == 0) {
            w = atomic_load(&woke);
            pthread_mutex_unlock(&m);
        }
    }
    yesno("the sleeper woke while main polled", w);
    yesno("  after its 50 ms", now() - t0 >= 0.045);
    join(t);
}

static void cleanup(void *arg)
{
    atomic_fetch_add(&cleaned, 1);
    if (arg)
        pthread_mutex_unlock(arg);
}

/* Locks m, then m again: a normal mutex deadlocks. */
static void *relocker(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&m);
    pthread_cleanup_push(cleanup, &m);
    int old;
    pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, &old);
    sem_post(&ready);
    pthread_mutex_lock(&m);
    pthread_cleanup_pop(0);
    return NULL;
}

static pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER;

/* Blocks on `held`, which main holds; asynchronous if arg is not NULL. */
static void *waiter(void *arg)
{
    int old;
    if (arg)
        pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, &old);
    pthread_cleanup_push(cleanup, NULL);
    sem_post(&ready);
    pthread_mutex_lock(&held);
    pthread_mutex_unlock(&held);
    pthread_cleanup_pop(0);
    return (void *)1;
}

static void async_cancel(void)
{
    sem_init(&ready, 0, 0);
    pthread_t t = spawn(relocker, NULL);
    sem_wait(&ready);
    msleep(20);
    showrc("pthread_cancel(async thread in its second lock)", pthread_cancel(t));
    yesno("  joined: PTHREAD_CANCELED", join(t) == PTHREAD_CANCELED);
    show("  cleanup handlers run", atomic_load(&cleaned));
    showrc("  pthread_mutex_trylock (its handler unlocked)", pthread_mutex_trylock(&m));
    pthread_mutex_unlock(&m);

    pthread_mutex_lock(&held);
    pthread_t a = spawn(waiter, (void *)1);
    sem_wait(&ready);
    pthread_t b = spawn(waiter, NULL);
    sem_wait(&ready);
    msleep(20);
    report_tasks();
    showrc("pthread_cancel(async waiter)", pthread_cancel(a));
    yesno("  joined: PTHREAD_CANCELED", join(a) == PTHREAD_CANCELED);
    pthread_mutex_unlock(&held);
    yesno("the other waiter got the mutex", join(b) == (void *)1);
    show("  cleanup handlers run", atomic_load(&cleaned));
}

int main(void)
{
    start_program();
    new_threads();
    sleeping_thread();
    async_cancel();
    return finish_program("pt_preempt");
}
