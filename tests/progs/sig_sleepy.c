/* Parity program: a signal handler that sleeps, run on a thread parked in
 * a timed wait (pthread_kill), as LTP's pthread_rwlock_timed*lock 6-2 do.
 * The handler sleeps past the wait's deadline, with every signal blocked;
 * main unlocks meanwhile, so the wait, resumed after the handler, gets the
 * lock. The handler's own sleep must not disturb the wait's timer.
 * Knows nothing of libgreen. */
#include <semaphore.h>
#include <signal.h>

#include "threaded.h"

static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static sem_t ready;
static volatile sig_atomic_t handled;

static void on_usr1(int sig)
{
    (void)sig;
    struct timespec ts = {0, 600000000}; /* past the wait's deadline */
    nanosleep(&ts, NULL);
    handled = 1;
}

static void *reader(void *arg)
{
    (void)arg;
    struct timespec at = deadline(CLOCK_REALTIME, 300);
    sem_post(&ready);
    return (void *)(intptr_t)pthread_rwlock_timedrdlock(&rw, &at);
}

int main(void)
{
    start_program();
    sem_init(&ready, 0, 0);
    struct sigaction sa = {.sa_handler = on_usr1};
    sigfillset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, NULL);
    pthread_rwlock_wrlock(&rw);
    pthread_t t = spawn(reader, NULL);
    sem_wait(&ready);
    msleep(20);
    report_tasks();
    double t0 = now();
    showrc("pthread_kill(reader in timedrdlock, SIGUSR1)", pthread_kill(t, SIGUSR1));
    msleep(50);
    pthread_rwlock_unlock(&rw);
    showrc("the reader's timedrdlock", (int)(intptr_t)join(t));
    yesno("  the handler ran", handled);
    yesno("  after the handler's sleep", now() - t0 >= 0.55);
    return finish_program("sig_sleepy");
}
