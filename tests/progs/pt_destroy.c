/* Parity program: destroying a barrier that a thread waits on. POSIX
 * leaves it undefined; glibc 2.36 waits until the round under way ends
 * (here when a second thread arrives, 50 ms later), then returns 0.
 * (pthread_cond_destroy under a waiter also waits in glibc, but natively
 * it sometimes never returns after the waiter's signal: tests/unit/test_cond
 * checks libgreen's.) Knows nothing of libgreen. */
#include "threaded.h"

static pthread_barrier_t bar;

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
    report_tasks();
    /* 0 either way: after the round ends if w is in it by now, at once
     * if not (the timing is not asserted: on a loaded machine w may be
     * late). libgreen said EBUSY. */
    showrc("pthread_barrier_destroy(a waiter in the round)",
           pthread_barrier_destroy(&bar));
    /* Not joined: natively the threads of that round do not always get
     * out of glibc's barrier once it is destroyed; exit ends them. */
    (void)w;
    (void)l;
}

int main(void)
{
    start_program();
    barrier();
    return finish_program("pt_destroy");
}
