/* Parity program: pthread_once. 8 threads call it together; the init routine
 * sleeps 100 ms, so most of them must wait for it, and none may return
 * before it has finished; it runs once, and not again for a later call from
 * main. An init routine cancelled in its sleep leaves the once control as if
 * pthread_once had never been called: the next caller runs its own. Threads
 * only record; main prints. Knows nothing of libgreen. */
#include <semaphore.h>
#include <stdatomic.h>

#include "threaded.h"

#define CALLERS 8

static pthread_once_t once = PTHREAD_ONCE_INIT;
static atomic_int runs, done;
static pthread_barrier_t start;

static void init(void)
{
    atomic_fetch_add(&runs, 1);
    msleep(100);
    atomic_store(&done, 1);
}

/* Returns 1 if init had finished when pthread_once returned. */
static void *caller(void *arg)
{
    (void)arg;
    roll_call(&start, 0);
    int r = pthread_once(&once, init);
    return (void *)(intptr_t)(r == 0 && atomic_load(&done));
}

static void together(void)
{
    pthread_t t[CALLERS];
    spawn_roll_call(&start, t, CALLERS, caller);
    int finished = join_n(t, CALLERS);
    printf("%d threads called pthread_once\n", CALLERS);
    show("  init runs", atomic_load(&runs));
    show("  callers that returned after init had finished", finished);
    showrc("pthread_once from main afterwards", pthread_once(&once, init));
    show("  init runs", atomic_load(&runs));
}

static pthread_once_t once2 = PTHREAD_ONCE_INIT;
static sem_t in_init;
static atomic_int slow_runs, quick_runs;

static void slow_init(void)
{
    atomic_fetch_add(&slow_runs, 1);
    sem_post(&in_init);
    sleep(10);
}

static void quick_init(void)
{
    atomic_fetch_add(&quick_runs, 1);
}

static void *slow_caller(void *arg)
{
    (void)arg;
    pthread_once(&once2, slow_init);
    return NULL;
}

static void cancelled(void)
{
    sem_init(&in_init, 0, 0);
    pthread_t t = spawn(slow_caller, NULL);
    sem_wait(&in_init);
    msleep(20);
    showrc("pthread_cancel(thread in its init routine)", pthread_cancel(t));
    yesno("  joined: PTHREAD_CANCELED", join(t) == PTHREAD_CANCELED);
    showrc("pthread_once(same control, another routine)", pthread_once(&once2, quick_init));
    show("  cancelled routine runs", atomic_load(&slow_runs));
    show("  other routine runs", atomic_load(&quick_runs));
    showrc("pthread_once(same control) again", pthread_once(&once2, quick_init));
    show("  other routine runs", atomic_load(&quick_runs));
}

int main(void)
{
    start_program();
    together();
    cancelled();
    return finish_program("pt_once");
}
