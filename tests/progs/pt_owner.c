/* Parity program: owners of error-checking and recursive mutexes between
 * threads. A mutex held by one thread gives EBUSY to another thread's
 * trylock, ETIMEDOUT to its timed lock and EPERM to its unlock, whether
 * the other is main or a third thread, and stays held; its owner's own
 * unlock works. A thread that ends holding one leaves it held for good:
 * a later thread (natively one that may run on the very same cached
 * stack) is not its owner either. Threads only record; main prints.
 * Knows nothing of libgreen. */
#include <semaphore.h>

#include "threaded.h"

static pthread_mutex_t mx;
static sem_t held, release_it, done;

/* Locks mx, says so, and unlocks it when told (or never: arg non-NULL). */
static void *owner(void *arg)
{
    int r = pthread_mutex_lock(&mx);
    sem_post(&held);
    if (arg)
        return (void *)(intptr_t)r;  /* ends holding it */
    sem_wait(&release_it);
    r = r ? r : pthread_mutex_unlock(&mx);
    sem_post(&done);
    return (void *)(intptr_t)r;
}

static void *try_it(void *arg)
{
    (void)arg;
    return (void *)(intptr_t)pthread_mutex_trylock(&mx);
}

static void *timed_it(void *arg)
{
    (void)arg;
    struct timespec at = deadline(CLOCK_REALTIME, 20);
    return (void *)(intptr_t)pthread_mutex_timedlock(&mx, &at);
}

static void *unlock_it(void *arg)
{
    (void)arg;
    return (void *)(intptr_t)pthread_mutex_unlock(&mx);
}

/* What main and another thread get from a mutex that someone else holds. */
static void not_ours(void)
{
    showrc("  main: pthread_mutex_trylock", pthread_mutex_trylock(&mx));
    struct timespec at = deadline(CLOCK_REALTIME, 20);
    showrc("  main: pthread_mutex_timedlock(20 ms)", pthread_mutex_timedlock(&mx, &at));
    showrc("  main: pthread_mutex_unlock", pthread_mutex_unlock(&mx));
    showrc("  other thread: pthread_mutex_trylock", (int)in_thread(try_it, NULL));
    showrc("  other thread: pthread_mutex_timedlock(20 ms)", (int)in_thread(timed_it, NULL));
    showrc("  other thread: pthread_mutex_unlock", (int)in_thread(unlock_it, NULL));
}

int main(void)
{
    start_program();
    sem_init(&held, 0, 0);
    sem_init(&release_it, 0, 0);
    sem_init(&done, 0, 0);
    static const struct {
        int type;
        const char *name;
    } types[] = { { PTHREAD_MUTEX_ERRORCHECK, "errorcheck" },
                  { PTHREAD_MUTEX_RECURSIVE, "recursive" } };
    for (int i = 0; i < 2; i++) {
        pthread_mutexattr_t a;
        if (pthread_mutexattr_init(&a) || pthread_mutexattr_settype(&a, types[i].type) ||
            pthread_mutex_init(&mx, &a))
            die("mutex init");
        printf("-- %s mutex held by a thread\n", types[i].name);
        pthread_t t = spawn(owner, NULL);
        sem_wait(&held);
        if (i == 0)
            report_tasks();
        not_ours();
        sem_post(&release_it);
        sem_wait(&done);
        showrc("  the owner's unlock", (int)(intptr_t)join(t));
        showrc("  main: pthread_mutex_trylock once it is free", pthread_mutex_trylock(&mx));
        showrc("  main: pthread_mutex_unlock", pthread_mutex_unlock(&mx));

        printf("-- %s mutex left held by a thread that ended\n", types[i].name);
        showrc("  its pthread_mutex_lock", (int)(intptr_t)join(spawn(owner, (void *)1)));
        sem_wait(&held);
        not_ours();
        pthread_mutexattr_destroy(&a);
    }
    return finish_program("pt_owner");
}
