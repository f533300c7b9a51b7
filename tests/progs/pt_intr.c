/* Parity program: which waits a signal handler interrupts. Another thread
 * sends SIGUSR1 to main 50 ms into each wait and ends the wait 100 ms
 * later. With a handler without SA_RESTART, sem_wait, sem_timedwait and
 * sem_clockwait (private or process-shared) fail with EINTR at once; a
 * condition variable or mutex wait is not interrupted and does not fail. With SA_RESTART, sem_wait restarts and the timed ones still
 * fail. The handler runs in main either way. Knows nothing of libgreen. */
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/mman.h>

#include "threaded.h"

static atomic_int handled, ended;
static pthread_t main_th;
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t c = PTHREAD_COND_INITIALIZER;
static sem_t *sems;  /* [0] private, [1] process-shared, on a shared page */

static void on_usr1(int sig)
{
    (void)sig;
    if (pthread_equal(pthread_self(), main_th))
        atomic_fetch_add(&handled, 1);
}

enum end { POST0, POST1, SIGNAL, UNLOCK };

static void *kicker(void *arg)
{
    msleep(50);
    pthread_kill(main_th, SIGUSR1);
    msleep(100);
    atomic_store(&ended, 1);
    switch ((enum end)(intptr_t)arg) {
    case POST0:
    case POST1:
        sem_post(&sems[(intptr_t)arg == POST1]);
        break;
    case SIGNAL:
        pthread_mutex_lock(&m);
        pthread_cond_signal(&c);
        pthread_mutex_unlock(&m);
        break;
    case UNLOCK:
        pthread_mutex_unlock(&m);
        break;
    }
    return NULL;
}

static pthread_t kick;

static void begin(enum end e)
{
    atomic_store(&handled, 0);
    atomic_store(&ended, 0);
    kick = spawn(kicker, (void *)(intptr_t)e);
}

/* The result line: the call's, whether the handler ran, and whether the
 * call returned before the wait was ended (interrupted) or after. */
static void end(const char *what, int err)
{
    int early = !atomic_load(&ended);
    printf("%s = %s, handler ran: %s, returned %s\n", what,
           err ? ename(err) : "0", atomic_load(&handled) ? "yes" : "no",
           early ? "early" : "when ended");
    join(kick);
}

static int sem_result(int r)
{
    return r < 0 ? errno : 0;
}

/* A sem wait left early leaves the kicker's post: take it back. */
static void drain(sem_t *s)
{
    while (sem_trywait(s) == 0) {
    }
}

static void sem_waits(int i, const char *kind)
{
    char what[96];
    sem_t *s = &sems[i];
    struct timespec at;
    begin(i ? POST1 : POST0);
    snprintf(what, sizeof what, "  sem_wait (%s)", kind);
    end(what, sem_result(sem_wait(s)));
    drain(s);
    begin(i ? POST1 : POST0);
    at = deadline(CLOCK_REALTIME, 2000);
    snprintf(what, sizeof what, "  sem_timedwait (%s)", kind);
    end(what, sem_result(sem_timedwait(s, &at)));
    drain(s);
    begin(i ? POST1 : POST0);
    at = deadline(CLOCK_MONOTONIC, 2000);
    snprintf(what, sizeof what, "  sem_clockwait (%s)", kind);
    end(what, sem_result(sem_clockwait(s, CLOCK_MONOTONIC, &at)));
    drain(s);
}

static void waits(void)
{
    sem_waits(0, "private");
    sem_waits(1, "process-shared");

    pthread_mutex_lock(&m);
    begin(SIGNAL);
    int r = 0;
    while (!atomic_load(&ended) && r == 0)
        r = pthread_cond_wait(&c, &m);
    end("  pthread_cond_wait", r);
    begin(SIGNAL);
    struct timespec at = deadline(CLOCK_REALTIME, 2000);
    r = 0;
    while (!atomic_load(&ended) && r == 0)
        r = pthread_cond_timedwait(&c, &m, &at);
    end("  pthread_cond_timedwait", r);
    pthread_mutex_unlock(&m);

    /* The kicker unlocks what main locked: a normal mutex allows it. */
    pthread_mutex_lock(&m);
    begin(UNLOCK);
    end("  pthread_mutex_lock", pthread_mutex_lock(&m));
    begin(UNLOCK);
    at = deadline(CLOCK_REALTIME, 2000);
    end("  pthread_mutex_timedlock", pthread_mutex_timedlock(&m, &at));
    pthread_mutex_unlock(&m);
}

int main(void)
{
    start_program();
    main_th = pthread_self();
    sems = mmap(NULL, 2 * sizeof *sems, PROT_READ | PROT_WRITE,
                MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (sems == MAP_FAILED)
        die("mmap");
    sem_init(&sems[0], 0, 0);
    sem_init(&sems[1], 1, 0);
    struct sigaction sa = {.sa_handler = on_usr1};
    sigemptyset(&sa.sa_mask);
    printf("without SA_RESTART:\n");
    sigaction(SIGUSR1, &sa, NULL);
    waits();
    printf("with SA_RESTART:\n");
    sa.sa_flags = SA_RESTART;
    sigaction(SIGUSR1, &sa, NULL);
    waits();
    return finish_program("pt_intr");
}
