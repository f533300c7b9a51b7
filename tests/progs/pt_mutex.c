/* Parity program: pthread mutexes between threads. 8 threads add to a
 * counter under a normal mutex, sleeping inside the lock now and then so
 * that the others find it taken; a thread blocked in pthread_mutex_lock gets
 * the lock when its holder lets go; trylock, timedlock and clocklock against
 * a lock another thread holds; an error-checking mutex (EDEADLK, EPERM) and a
 * recursive one. Threads only record; main prints. Knows nothing of libgreen. */
#include "threaded.h"

#define ADDERS 8
#define ADDS 200

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static long counter; /* under m */
static pthread_barrier_t roll;

static void *adder(void *arg)
{
    (void)arg;
    roll_call(&roll, 0);
    for (int i = 0; i < ADDS; i++) {
        pthread_mutex_lock(&m);
        long v = counter;
        if (i % 50 == 0)
            msleep(1);
        counter = v + 1;
        pthread_mutex_unlock(&m);
    }
    return NULL;
}

static void contention(void)
{
    pthread_t t[ADDERS];
    spawn_roll_call(&roll, t, ADDERS, adder);
    join_n(t, ADDERS);
    printf("%d threads x %d increments, sleeping inside the lock now and then\n", ADDERS, ADDS);
    show("counter", counter);
}

/* What the other thread does to target, the mutex main works with. */
enum attempt { TRY, TIMED, CLOCK, BLOCK, UNLOCK };
static pthread_mutex_t *target;
static int unlocked; /* set by main before it lets go of target */

/* Returns the attempt's error number; on success it unlocks again, and a
 * BLOCK that got in before main let go returns 100. */
static void *attempt(void *arg)
{
    struct timespec real = deadline(CLOCK_REALTIME, 100), mono = deadline(CLOCK_MONOTONIC, 100);
    enum attempt what = (enum attempt)(intptr_t)arg;
    int r = 0;
    switch (what) {
    case TRY: r = pthread_mutex_trylock(target); break;
    case TIMED: r = pthread_mutex_timedlock(target, &real); break;
    case CLOCK: r = pthread_mutex_clocklock(target, CLOCK_MONOTONIC, &mono); break;
    case BLOCK: r = pthread_mutex_lock(target); break;
    case UNLOCK: return (void *)(intptr_t)pthread_mutex_unlock(target);
    }
    if (r == 0) {
        r = what == BLOCK && !unlocked ? 100 : 0;
        pthread_mutex_unlock(target);
    }
    return (void *)(intptr_t)r;
}

static void other(const char *call, enum attempt what)
{
    other_thread(call, attempt, (void *)(intptr_t)what, what == TIMED || what == CLOCK);
}

static void others(int type)
{
    other("pthread_mutex_trylock", TRY);
    other("pthread_mutex_timedlock(100 ms)", TIMED);
    other("pthread_mutex_clocklock(CLOCK_MONOTONIC, 100 ms)", CLOCK);
    if (type != PTHREAD_MUTEX_NORMAL) /* which it would unlock */
        other("pthread_mutex_unlock", UNLOCK);
}

static void kinds(void)
{
    static const struct {
        int type;
        const char *name;
    } types[] = { { PTHREAD_MUTEX_NORMAL, "normal" },
                  { PTHREAD_MUTEX_ERRORCHECK, "errorcheck" },
                  { PTHREAD_MUTEX_RECURSIVE, "recursive" } };
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        pthread_mutexattr_t a;
        pthread_mutex_t mx;
        int type = types[i].type;
        if (pthread_mutexattr_init(&a) || pthread_mutexattr_settype(&a, type) || pthread_mutex_init(&mx, &a))
            die("mutex init");
        printf("-- %s mutex\n", types[i].name);
        target = &mx;
        showrc("pthread_mutex_lock", pthread_mutex_lock(&mx));
        others(type);
        if (type != PTHREAD_MUTEX_NORMAL) {
            showrc("pthread_mutex_lock again", pthread_mutex_lock(&mx));
            showrc("pthread_mutex_trylock again", pthread_mutex_trylock(&mx));
        }
        if (type == PTHREAD_MUTEX_RECURSIVE) {
            showrc("pthread_mutex_unlock", pthread_mutex_unlock(&mx));
            showrc("pthread_mutex_unlock", pthread_mutex_unlock(&mx));
            other("pthread_mutex_trylock (held once)", TRY);
        }
        showrc("pthread_mutex_unlock", pthread_mutex_unlock(&mx));
        if (type != PTHREAD_MUTEX_NORMAL)
            showrc("pthread_mutex_unlock (not held)", pthread_mutex_unlock(&mx));
        other("pthread_mutex_trylock (free)", TRY);

        /* A thread blocked in pthread_mutex_lock gets it on the unlock. */
        pthread_mutex_lock(&mx);
        unlocked = 0;
        pthread_t t = spawn(attempt, (void *)BLOCK);
        msleep(50);
        unlocked = 1;
        pthread_mutex_unlock(&mx);
        check(join(t) == NULL, "  other thread: pthread_mutex_lock returns once unlocked after 50 ms");
        pthread_mutex_destroy(&mx);
        pthread_mutexattr_destroy(&a);
    }
}

int main(void)
{
    start_program();
    contention();
    kinds();
    return finish_program("pt_mutex");
}
