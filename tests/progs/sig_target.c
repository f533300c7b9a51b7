/* Parity program: pthread_kill reaches the thread it names while that
 * thread is busy. Two threads pinned to CPU 1 take turns with sched_yield;
 * main, pinned to CPU 0, sends the first one SIGUSR1 500 times, each once
 * the last was handled, and the handler counts whether pthread_self() is
 * that thread. Threads only record; main prints. Knows nothing of
 * libgreen. */

#include <sched.h>
#include <stdatomic.h>

#include "threaded.h"

#define KILLS 500

static pthread_t a;
static _Atomic(pthread_t) target;  /* a, for the handler */
static atomic_int handled, on_target, stop;

static void on_usr1(int sig)
{
    (void)sig;
    int e = errno;
    if (pthread_equal(pthread_self(), atomic_load(&target)))
        atomic_fetch_add(&on_target, 1);
    atomic_fetch_add(&handled, 1);
    errno = e;
}

static void *turns(void *arg)
{
    (void)arg;
    while (!atomic_load(&stop))
        sched_yield();
    return NULL;
}

static pthread_t on_cpu(int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setaffinity_np(&attr, sizeof set, &set);
    pthread_t t = spawn_attr(&attr, turns, NULL);
    pthread_attr_destroy(&attr);
    return t;
}

int main(void)
{
    start_program();
    if (sysconf(_SC_NPROCESSORS_ONLN) < 2) {
        printf("needs two CPUs\n");
        return 0;
    }
    cpu_set_t zero;
    CPU_ZERO(&zero);
    CPU_SET(0, &zero);
    pthread_setaffinity_np(pthread_self(), sizeof zero, &zero);
    struct sigaction sa = {.sa_handler = on_usr1, .sa_flags = SA_RESTART};
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGUSR1, &sa, NULL) < 0)
        die("sigaction");
    a = on_cpu(1);
    atomic_store(&target, a);
    pthread_t b = on_cpu(1);
    report_tasks();
    int lost = 0;
    for (int i = 0; i < KILLS; i++) {
        pthread_kill(a, SIGUSR1);
        double end = now() + 2;
        while (atomic_load(&handled) <= i && now() < end)
            sched_yield();
        lost += atomic_load(&handled) <= i;
    }
    atomic_store(&stop, 1);
    join(a);
    join(b);
    printf("signals handled: %d of %d\n", atomic_load(&handled), KILLS);
    printf("handled on the thread named: %d\n", atomic_load(&on_target));
    check(lost == 0, "each handled within 2 s");
    return finish_program("sig_target");
}
