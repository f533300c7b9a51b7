/* Parity program: pthread rwlocks. 4 readers hold the read lock at once
 * (they meet at a barrier while holding it); 2 writers and 4 readers then
 * interleave, a writer sleeping inside the lock now and then, and nobody
 * ever finds a reader beside a writer or two writers; try, timed and clock
 * locks against a lock another thread holds; EDEADLK on relocking one's own
 * write lock; a writer blocked behind a reader gets in when it leaves.
 * Threads only record; main prints. Knows nothing of libgreen. */
#include <stdatomic.h>

#include "threaded.h"

#define READERS 4
#define WRITERS 2
#define WRITES 20
#define READS 50

static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static pthread_barrier_t together; /* the readers, all holding the lock */
static atomic_int readers_in, writers_in; /* inside the lock now */
static atomic_int violations;      /* a writer found anyone else inside */
static long value;                 /* under the write lock */

static void *shared_reader(void *arg)
{
    (void)arg;
    int r = pthread_rwlock_rdlock(&rw);
    roll_call(&together, 0);
    pthread_rwlock_unlock(&rw);
    return (void *)(intptr_t)r;
}

static void *writer(void *arg)
{
    (void)arg;
    for (int i = 0; i < WRITES; i++) {
        pthread_rwlock_wrlock(&rw);
        if (atomic_fetch_add(&writers_in, 1) != 0 || atomic_load(&readers_in) != 0)
            atomic_fetch_add(&violations, 1);
        long v = value;
        if (i % 4 == 0)
            msleep(1);
        value = v + 1;
        atomic_fetch_sub(&writers_in, 1);
        pthread_rwlock_unlock(&rw);
    }
    return NULL;
}

static void *reader(void *arg)
{
    (void)arg;
    for (int i = 0; i < READS; i++) {
        pthread_rwlock_rdlock(&rw);
        atomic_fetch_add(&readers_in, 1);
        if (atomic_load(&writers_in) != 0)
            atomic_fetch_add(&violations, 1);
        if (i % 10 == 0)
            msleep(1);
        atomic_fetch_sub(&readers_in, 1);
        pthread_rwlock_unlock(&rw);
    }
    return NULL;
}

static void sharing(void)
{
    pthread_t t[READERS + WRITERS];
    spawn_roll_call(&together, t, READERS, shared_reader);
    int bad = join_n(t, READERS);
    printf("%d readers held the read lock at once, %d failed rdlocks\n", READERS, bad);

    spawn_n(t, WRITERS, writer);
    spawn_n(t + WRITERS, READERS, reader);
    join_n(t, READERS + WRITERS);
    printf("%d writers x %d writes, %d readers x %d reads\n", WRITERS, WRITES, READERS, READS);
    show("value", value);
    show("writers that found company", atomic_load(&violations));
}

/* What the other thread does to rw. */
enum attempt { TRY_RD, TRY_WR, TIMED_RD, TIMED_WR, CLOCK_WR, BLOCK_WR };
static int unlocked; /* set by main before it lets go of the lock */

/* Returns the attempt's error number; on success it unlocks again, and a
 * BLOCK_WR that got in before main let go returns 100. */
static void *attempt(void *arg)
{
    struct timespec real = deadline(CLOCK_REALTIME, 100), mono = deadline(CLOCK_MONOTONIC, 100);
    enum attempt what = (enum attempt)(intptr_t)arg;
    int r = 0;
    switch (what) {
    case TRY_RD: r = pthread_rwlock_tryrdlock(&rw); break;
    case TRY_WR: r = pthread_rwlock_trywrlock(&rw); break;
    case TIMED_RD: r = pthread_rwlock_timedrdlock(&rw, &real); break;
    case TIMED_WR: r = pthread_rwlock_timedwrlock(&rw, &real); break;
    case CLOCK_WR: r = pthread_rwlock_clockwrlock(&rw, CLOCK_MONOTONIC, &mono); break;
    case BLOCK_WR: r = pthread_rwlock_wrlock(&rw); break;
    }
    if (r == 0) {
        r = what == BLOCK_WR && !unlocked ? 100 : 0;
        pthread_rwlock_unlock(&rw);
    }
    return (void *)(intptr_t)r;
}

static void other(const char *call, enum attempt what)
{
    other_thread(call, attempt, (void *)(intptr_t)what, what == TIMED_RD || what == TIMED_WR || what == CLOCK_WR);
}

static void against_others(void)
{
    printf("-- main holds the write lock\n");
    showrc("pthread_rwlock_wrlock", pthread_rwlock_wrlock(&rw));
    showrc("pthread_rwlock_wrlock again", pthread_rwlock_wrlock(&rw));
    showrc("pthread_rwlock_rdlock", pthread_rwlock_rdlock(&rw));
    other("pthread_rwlock_tryrdlock", TRY_RD);
    other("pthread_rwlock_trywrlock", TRY_WR);
    other("pthread_rwlock_timedrdlock(100 ms)", TIMED_RD);
    other("pthread_rwlock_timedwrlock(100 ms)", TIMED_WR);
    showrc("pthread_rwlock_unlock", pthread_rwlock_unlock(&rw));

    printf("-- main holds a read lock\n");
    showrc("pthread_rwlock_rdlock", pthread_rwlock_rdlock(&rw));
    other("pthread_rwlock_tryrdlock", TRY_RD);
    other("pthread_rwlock_trywrlock", TRY_WR);
    other("pthread_rwlock_timedwrlock(100 ms)", TIMED_WR);
    other("pthread_rwlock_clockwrlock(CLOCK_MONOTONIC, 100 ms)", CLOCK_WR);
    pthread_t t = spawn(attempt, (void *)BLOCK_WR);
    msleep(50);
    unlocked = 1;
    showrc("pthread_rwlock_unlock", pthread_rwlock_unlock(&rw));
    check(join(t) == NULL, "  other thread: pthread_rwlock_wrlock returns once unlocked after 50 ms");
    other("pthread_rwlock_trywrlock (free)", TRY_WR);
}

int main(void)
{
    start_program();
    sharing();
    against_others();
    return finish_program("pt_rwlock");
}
