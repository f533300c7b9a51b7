/* Parity program: detached threads. 40 are created detached, 40 detached
 * by main after creation (a second pthread_detach gives EINVAL) and 40
 * detach themselves; all wait for a start signal, add to a counter and post
 * a semaphore as their last act. pthread_getattr_np tells each that it is
 * detached. Once all have posted, the process is soon down to its one
 * (main) OS thread: the detached threads really went away. A thread that
 * another one is joining stays joinable: pthread_detach says 0 (glibc's
 * answer) and the join still returns its value. Threads only
 * record; main prints. Knows nothing of libgreen. */
#include <semaphore.h>
#include <stdatomic.h>

#include "threaded.h"

#define EACH 40
#define ALL (3 * EACH)

static sem_t go, finished;
static atomic_int counter, attr_detached, self_detached;

/* Runs once main has detached them all (it posts go after that). */
static void work(void)
{
    pthread_attr_t attr;
    int state = -1;
    sem_wait(&go);
    if (pthread_getattr_np(pthread_self(), &attr) == 0) {
        pthread_attr_getdetachstate(&attr, &state);
        pthread_attr_destroy(&attr);
    }
    if (state == PTHREAD_CREATE_DETACHED)
        atomic_fetch_add(&attr_detached, 1);
    atomic_fetch_add(&counter, 1);
    sem_post(&finished);
}

static void *detached(void *arg)
{
    (void)arg;
    work();
    return NULL;
}

static sem_t joining;
static pthread_t joined;

static void *waits_for_go(void *arg)
{
    sem_wait(&go);
    return arg;
}

/* Joins `joined` and returns its value (or -1 on an error). */
static void *joins(void *arg)
{
    (void)arg;
    void *v = NULL;
    sem_post(&joining);
    return pthread_join(joined, &v) == 0 ? v : (void *)-1;
}

static void *detaches_itself(void *arg)
{
    (void)arg;
    if (pthread_detach(pthread_self()) == 0)
        atomic_fetch_add(&self_detached, 1);
    work();
    return NULL;
}

int main(void)
{
    start_program();
    sem_init(&go, 0, 0);
    sem_init(&finished, 0, 0);
    sem_init(&joining, 0, 0);
    pthread_attr_t attr;
    int state = -1;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_getdetachstate(&attr, &state);
    yesno("pthread_attr_getdetachstate: PTHREAD_CREATE_DETACHED", state == PTHREAD_CREATE_DETACHED);
    for (int i = 0; i < EACH; i++)
        spawn_attr(&attr, detached, NULL);
    pthread_attr_destroy(&attr);
    int ok = 0, einval = 0;
    for (int i = 0; i < EACH; i++) {
        pthread_t t = spawn(detached, NULL);
        ok += pthread_detach(t) == 0;
        /* Still alive: it waits for go. */
        einval += pthread_detach(t) == EINVAL;
    }
    for (int i = 0; i < EACH; i++)
        spawn(detaches_itself, NULL);
    report_tasks();
    printf("pthread_detach after creation: %d of %d gave 0, then EINVAL: %d\n", ok, EACH, einval);

    for (int i = 0; i < ALL; i++)
        sem_post(&go);
    for (int i = 0; i < ALL; i++)
        sem_wait(&finished);
    printf("%d detached threads ran: counter %d\n", ALL, atomic_load(&counter));
    show("threads that detached themselves", atomic_load(&self_detached));
    show("pthread_getattr_np said detached", atomic_load(&attr_detached));
    int tasks = count_tasks();
    for (int i = 0; i < 2000 && tasks != 1; i++) {
        msleep(1);
        tasks = count_tasks();
    }
    show("OS threads within 2 s of the last post", tasks);

    pthread_t waited = spawn(waits_for_go, (void *)5);
    joined = waited;
    pthread_t joiner = spawn(joins, NULL);
    sem_wait(&joining);
    msleep(200);  /* it is in pthread_join by now */
    showrc("pthread_detach of a thread another one is joining", pthread_detach(waited));
    sem_post(&go);
    show("the join returned", (long)(intptr_t)join(joiner));
    return finish_program("pt_detach");
}
