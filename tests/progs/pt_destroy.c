/* Parity program: destroying a barrier or a condition variable that
 * threads wait on. POSIX leaves it undefined; glibc 2.36 waits: the
 * barrier's destroy until the round under way ends, the condition's until
 * its waiters have been let go (here by a signal 50 ms later); then both
 * return 0. Knows nothing of libgreen. */
#include "threaded.h"

static pthread_barrier_t bar;
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t c = PTHREAD_COND_INITIALIZER;
static int go;  /* under m */

static void *bar_waiter(void *arg)
{
    (void)arg;
    pthread_barrier_wait(&bar);
    return NULL;
}

static void *bar_late(void *arg)
{
    (void)arg;
    msleep(50);
    pthread_barrier_wait(&bar);
    return NULL;
}

static void barrier(void)
{
    pthread_barrier_init(&bar, NULL, 2);
    pthread_t w = spawn(bar_waiter, NULL);
    msleep(20);
    pthread_t l = spawn(bar_late, NULL);
    double t0 = now();
    showrc("pthread_barrier_destroy(a waiter in the round)",
           pthread_barrier_destroy(&bar));
    yesno("  returned once the round ended (50 ms)", now() - t0 >= 0.035);
    join(w);
    join(l);
}

static void *cond_waiter(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&m);
    while (!go)
        pthread_cond_wait(&c, &m);
    pthread_mutex_unlock(&m);
    return NULL;
}

static void *cond_late(void *arg)
{
    (void)arg;
    msleep(50);
    pthread_mutex_lock(&m);
    go = 1;
    pthread_cond_signal(&c);
    pthread_mutex_unlock(&m);
    return NULL;
}

static void cond(void)
{
    pthread_t w = spawn(cond_waiter, NULL);
    msleep(20);
    pthread_t l = spawn(cond_late, NULL);
    report_tasks();
    double t0 = now();
    showrc("pthread_cond_destroy(a waiter)", pthread_cond_destroy(&c));
    yesno("  returned once it was let go (50 ms)", now() - t0 >= 0.035);
    join(w);
    join(l);
}

int main(void)
{
    start_program();
    barrier();
    cond();
    return finish_program("pt_destroy");
}
