/* Parity program: pthread barriers. 4 threads and main go through 6 phases
 * of one barrier: in each, everyone writes its slot of the phase, waits, and
 * checks that all the phase's slots are filled; exactly one wait per phase
 * returns PTHREAD_BARRIER_SERIAL_THREAD. Then the same barrier object,
 * destroyed and set up again, for a new set of threads; a barrier of count
 * 1; EINVAL for count 0. Threads only record; main prints. Knows nothing of
 * libgreen. */
#include <stdatomic.h>

#include "threaded.h"

#define WORKERS 4
#define PARTIES (WORKERS + 1) /* the workers and main */
#define PHASES 6

static pthread_barrier_t b;
static int slots[PHASES][PARTIES];  /* phase p, party i writes p * 100 + i */
static atomic_int serial[PHASES];   /* waits that returned SERIAL */
static atomic_int incomplete;       /* phases someone found unfilled */
static atomic_int odd_returns;      /* waits that returned neither 0 nor SERIAL */

static void phase(int p, int i)
{
    slots[p][i] = p * 100 + i;
    int r = pthread_barrier_wait(&b);
    if (r == PTHREAD_BARRIER_SERIAL_THREAD)
        atomic_fetch_add(&serial[p], 1);
    else if (r != 0)
        atomic_fetch_add(&odd_returns, 1);
    for (int j = 0; j < PARTIES; j++)
        if (slots[p][j] != p * 100 + j) {
            atomic_fetch_add(&incomplete, 1);
            break;
        }
}

static void *party(void *arg)
{
    int i = (int)(intptr_t)arg;
    for (int p = 0; p < PHASES; p++)
        phase(p, i);
    return NULL;
}

static void run_phases(const char *label, int tasks)
{
    pthread_t t[WORKERS];
    memset(slots, 0, sizeof slots);
    for (int p = 0; p < PHASES; p++)
        atomic_store(&serial[p], 0);
    if (pthread_barrier_init(&b, NULL, PARTIES))
        die("pthread_barrier_init");
    for (int i = 0; i < WORKERS; i++)
        t[i] = spawn(party, (void *)(intptr_t)i);
    for (int p = 0; p < PHASES; p++) {
        phase(p, WORKERS);
        /* The workers are all waiting for main at the next phase. */
        if (p == 0 && tasks)
            report_tasks();
    }
    for (int i = 0; i < WORKERS; i++)
        join(t[i]);
    printf("-- %s: %d threads and main, %d phases\n", label, WORKERS, PHASES);
    for (int p = 0; p < PHASES; p++)
        printf("phase %d: %d serial returns\n", p, atomic_load(&serial[p]));
    show("phases someone found unfilled", atomic_load(&incomplete));
    show("waits that returned something else", atomic_load(&odd_returns));
    showrc("pthread_barrier_destroy", pthread_barrier_destroy(&b));
}

int main(void)
{
    start_program();
    run_phases("first set", 1);
    run_phases("the barrier again, new threads", 0);

    pthread_barrier_t one;
    showrc("pthread_barrier_init(count 1)", pthread_barrier_init(&one, NULL, 1));
    printf("pthread_barrier_wait(count 1) = %s\n",
           pthread_barrier_wait(&one) == PTHREAD_BARRIER_SERIAL_THREAD ? "SERIAL" : "other");
    printf("pthread_barrier_wait(count 1) again = %s\n",
           pthread_barrier_wait(&one) == PTHREAD_BARRIER_SERIAL_THREAD ? "SERIAL" : "other");
    pthread_barrier_destroy(&one);
    showrc("pthread_barrier_init(count 0)", pthread_barrier_init(&one, NULL, 0));
    return finish_program("pt_barrier");
}
