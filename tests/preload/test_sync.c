/* The sync wrappers, called from green threads of a program linked with
 * libgreen: a blocked lock, cond, rwlock, barrier, semaphore, spinlock or
 * futex wait parks only its green thread (a ticker keeps running), and
 * the results are glibc's (EDEADLK, EPERM, EBUSY, ETIMEDOUT, EINVAL in
 * glibc's order). Objects glibc keeps (process-shared) still work, and a
 * plain OS thread shares the locks with green threads. */
#include <dlfcn.h>
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/syscall.h>
#include <threads.h>
#include <time.h>
#include <unistd.h>

#include "green.h"
#include "harness.h"

static void join(green_t t)
{
    ck_assert_int_eq(green_join(t, NULL, GREEN_NEVER), 0);
}

/* An absolute time ms milliseconds from now on clock. */
static struct timespec in_ms(clockid_t clock, int ms)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    ts.tv_nsec += (long)(ms % 1000) * 1000000;
    ts.tv_sec += ms / 1000 + ts.tv_nsec / 1000000000;
    ts.tv_nsec %= 1000000000;
    return ts;
}

/* Holds a mutex for a while, from another green thread. */
struct hold {
    pthread_mutex_t *m;
    int ms;
};

static void *hold_mutex(void *arg)
{
    struct hold *h = arg;
    ck_assert_int_eq(pthread_mutex_lock(h->m), 0);
    green_sleep(MS(h->ms));
    ck_assert_int_eq(pthread_mutex_unlock(h->m), 0);
    return NULL;
}

/* Starts a holder and lets it take the mutex. */
static green_t held_for(struct hold *h)
{
    green_t t = green_spawn(hold_mutex, h, NULL);
    green_yield();
    return t;
}

/* ---- Mutexes ------------------------------------------------------- */

static pthread_mutex_t static_mutex = PTHREAD_MUTEX_INITIALIZER;

struct taker {
    int r;
    int64_t waited;
    int ticks_then;
};

static void *take_static(void *arg)
{
    struct taker *k = arg;
    int64_t t0 = green_now();
    k->r = pthread_mutex_lock(&static_mutex);
    k->waited = green_now() - t0;
    k->ticks_then = harness_ticks;
    pthread_mutex_unlock(&static_mutex);
    return NULL;
}

/* The loser parks 100 ms while a third green thread keeps ticking. */
START_TEST(sync_mutex_contended_parks)
{
    struct hold h = {&static_mutex, 100};
    struct taker k = {-1, 0, 0};
    green_t a = held_for(&h);
    green_t tk = harness_ticker(MS(150));
    green_t b = green_spawn(take_static, &k, NULL);
    join(a);
    join(b);
    join(tk);
    ck_assert_int_eq(k.r, 0);
    ck_assert_time(k.waited, MS(90), MS(100), MS(100));
    ck_assert_int_ge(k.ticks_then, 10);
    ck_assert_int_eq(pthread_mutex_trylock(&static_mutex), 0);
    ck_assert_int_eq(pthread_mutex_destroy(&static_mutex), EBUSY);
    ck_assert_int_eq(pthread_mutex_unlock(&static_mutex), 0);
    ck_assert_int_eq(pthread_mutex_destroy(&static_mutex), 0);
}
END_TEST

static void *unlock_other(void *arg)
{
    return (void *)(intptr_t)pthread_mutex_unlock(arg);
}

static void *trylock_other(void *arg)
{
    int r = pthread_mutex_trylock(arg);
    if (r == 0)
        pthread_mutex_unlock(arg);
    return (void *)(intptr_t)r;
}

static int in_other(void *(*fn)(void *), void *arg)
{
    void *r;
    ck_assert_int_eq(green_join(green_spawn(fn, arg, NULL), &r, GREEN_NEVER),
                     0);
    return (int)(intptr_t)r;
}

START_TEST(sync_mutex_errorcheck)
{
    pthread_mutex_t m = PTHREAD_ERRORCHECK_MUTEX_INITIALIZER_NP;
    ck_assert_int_eq(pthread_mutex_unlock(&m), EPERM);
    ck_assert_int_eq(pthread_mutex_lock(&m), 0);
    ck_assert_int_eq(pthread_mutex_lock(&m), EDEADLK);
    ck_assert_int_eq(pthread_mutex_trylock(&m), EBUSY);
    struct timespec bad = {time(NULL) + 10, -1};
    ck_assert_int_eq(pthread_mutex_timedlock(&m, &bad), EDEADLK);
    ck_assert_int_eq(in_other(unlock_other, &m), EPERM);
    ck_assert_int_eq(pthread_mutex_unlock(&m), 0);
    ck_assert_int_eq(pthread_mutex_unlock(&m), EPERM);
}
END_TEST

START_TEST(sync_mutex_recursive_depth)
{
    pthread_mutexattr_t a;
    pthread_mutex_t m;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
    ck_assert_int_eq(pthread_mutex_init(&m, &a), 0);
    ck_assert_int_eq(pthread_mutex_lock(&m), 0);
    ck_assert_int_eq(pthread_mutex_trylock(&m), 0);
    struct timespec bad = {time(NULL) + 10, -1};
    ck_assert_int_eq(pthread_mutex_timedlock(&m, &bad), 0);
    ck_assert_int_eq(in_other(trylock_other, &m), EBUSY);
    ck_assert_int_eq(in_other(unlock_other, &m), EPERM);
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(in_other(trylock_other, &m), EBUSY);
        ck_assert_int_eq(pthread_mutex_unlock(&m), 0);
    }
    ck_assert_int_eq(pthread_mutex_unlock(&m), EPERM);
    ck_assert_int_eq(in_other(trylock_other, &m), 0);
    ck_assert_int_eq(pthread_mutex_consistent(&m), EINVAL);
    ck_assert_int_eq(pthread_mutex_destroy(&m), 0);
}
END_TEST

/* glibc's order: the time counts only when the lock must be waited for;
 * then a negative tv_sec times out before a bad tv_nsec is EINVAL. */
START_TEST(sync_mutex_timedlock)
{
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    struct timespec bad = {time(NULL) + 10, -1}, neg = {-1, -1};
    ck_assert_int_eq(pthread_mutex_timedlock(&m, &bad), 0);
    ck_assert_int_eq(pthread_mutex_unlock(&m), 0);
    ck_assert_int_eq(pthread_mutex_clocklock(&m, CLOCK_BOOTTIME, &bad),
                     EINVAL);
    struct hold h = {&m, 300};
    green_t a = held_for(&h);
    ck_assert_int_eq(pthread_mutex_trylock(&m), EBUSY);
    ck_assert_int_eq(pthread_mutex_timedlock(&m, &bad), EINVAL);
    ck_assert_int_eq(pthread_mutex_timedlock(&m, &neg), ETIMEDOUT);
    green_t tk = harness_ticker(MS(40));
    int64_t t0 = green_now();
    struct timespec at = in_ms(CLOCK_REALTIME, 50);
    ck_assert_int_eq(pthread_mutex_timedlock(&m, &at), ETIMEDOUT);
    ck_assert_time(green_now() - t0, MS(49), MS(50), MS(50));
    ck_assert_int_ge(harness_ticks, 5);
    at = in_ms(CLOCK_MONOTONIC, 30);
    ck_assert_int_eq(pthread_mutex_clocklock(&m, CLOCK_MONOTONIC, &at),
                     ETIMEDOUT);
    at = in_ms(CLOCK_MONOTONIC, 1000);
    ck_assert_int_eq(pthread_mutex_clocklock(&m, CLOCK_MONOTONIC, &at), 0);
    ck_assert_int_eq(pthread_mutex_unlock(&m), 0);
    join(a);
    join(tk);
}
END_TEST

/* A process-shared mutex is glibc's: it still locks and excludes, and a
 * green cond waits with it. */
START_TEST(sync_mutex_pshared_is_real)
{
    pthread_mutexattr_t a;
    pthread_mutex_t m;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
    ck_assert_int_eq(pthread_mutex_init(&m, &a), 0);
    ck_assert_int_ne(m.__data.__kind & 0x80, 0);
    ck_assert_int_eq(pthread_mutex_lock(&m), 0);
    ck_assert_int_eq(in_other(trylock_other, &m), EBUSY);
    ck_assert_int_eq(pthread_mutex_unlock(&m), 0);
    ck_assert_int_eq(in_other(trylock_other, &m), 0);
    ck_assert_int_eq(pthread_mutex_destroy(&m), 0);
    sem_t s;
    ck_assert_int_eq(sem_init(&s, 1, 1), 0);
    ck_assert_int_eq(sem_wait(&s), 0);
    ck_assert_int_eq(sem_trywait(&s), -1);
    ck_assert_int_eq(errno, EAGAIN);
    ck_assert_int_eq(sem_destroy(&s), 0);
    /* A green cond waits with a mutex glibc keeps, and takes it back. */
    pthread_cond_t c = PTHREAD_COND_INITIALIZER;
    ck_assert_int_eq(pthread_mutex_init(&m, &a), 0);
    ck_assert_int_eq(pthread_mutex_lock(&m), 0);
    struct timespec at;
    clock_gettime(CLOCK_REALTIME, &at);
    at.tv_nsec += 20000000;
    if (at.tv_nsec >= 1000000000)
        at.tv_sec++, at.tv_nsec -= 1000000000;
    ck_assert_int_eq(pthread_cond_timedwait(&c, &m, &at), ETIMEDOUT);
    ck_assert_int_eq(in_other(trylock_other, &m), EBUSY);
    ck_assert_int_eq(pthread_mutex_unlock(&m), 0);
}
END_TEST

/* ---- Condition variables --------------------------------------------- */

#define SLOTS 4
#define ITEMS 200

static struct queue {
    pthread_mutex_t m;
    pthread_cond_t nonempty, nonfull;
    int buf[SLOTS], head, len, done;
    long sum;
    int got;
} q = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
       PTHREAD_COND_INITIALIZER, {0}, 0, 0, 0, 0, 0};

static void *produce(void *arg)
{
    (void)arg;
    for (int i = 1; i <= ITEMS; i++) {
        pthread_mutex_lock(&q.m);
        while (q.len == SLOTS)
            ck_assert_int_eq(pthread_cond_wait(&q.nonfull, &q.m), 0);
        q.buf[(q.head + q.len++) % SLOTS] = i;
        pthread_cond_signal(&q.nonempty);
        pthread_mutex_unlock(&q.m);
    }
    pthread_mutex_lock(&q.m);
    q.done = 1;
    pthread_cond_broadcast(&q.nonempty);
    pthread_mutex_unlock(&q.m);
    return NULL;
}

static void *consume(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&q.m);
    for (;;) {
        while (q.len == 0 && !q.done)
            ck_assert_int_eq(pthread_cond_wait(&q.nonempty, &q.m), 0);
        if (q.len == 0)
            break;
        q.sum += q.buf[q.head];
        q.head = (q.head + 1) % SLOTS;
        q.len--;
        q.got++;
        pthread_cond_signal(&q.nonfull);
        pthread_mutex_unlock(&q.m);
        green_yield();
        pthread_mutex_lock(&q.m);
    }
    pthread_mutex_unlock(&q.m);
    return NULL;
}

START_TEST(sync_cond_producer_consumer)
{
    green_t t[4] = {green_spawn(consume, NULL, NULL),
                    green_spawn(consume, NULL, NULL),
                    green_spawn(consume, NULL, NULL),
                    green_spawn(produce, NULL, NULL)};
    for (int i = 0; i < 4; i++)
        join(t[i]);
    ck_assert_int_eq(q.got, ITEMS);
    ck_assert_int_eq(q.sum, (long)ITEMS * (ITEMS + 1) / 2);
    ck_assert_int_eq(pthread_cond_destroy(&q.nonempty), 0);
}
END_TEST

/* Timed waits: ETIMEDOUT with the mutex held again (an errorcheck mutex
 * proves it), on the realtime clock, the monotonic one, and a cond made
 * for the monotonic clock; EINVAL for a bad time or clock, before any
 * unlocking. */
START_TEST(sync_cond_timedwait_times_out)
{
    pthread_mutex_t m = PTHREAD_ERRORCHECK_MUTEX_INITIALIZER_NP;
    pthread_cond_t c = PTHREAD_COND_INITIALIZER, cm;
    pthread_condattr_t a;
    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    ck_assert_int_eq(pthread_cond_init(&cm, &a), 0);
    green_t tk = harness_ticker(MS(100));
    ck_assert_int_eq(pthread_mutex_lock(&m), 0);
    int64_t t0 = green_now();
    struct timespec at = in_ms(CLOCK_REALTIME, 50);
    ck_assert_int_eq(pthread_cond_timedwait(&c, &m, &at), ETIMEDOUT);
    ck_assert_time(green_now() - t0, MS(49), MS(50), MS(50));
    ck_assert_int_ge(harness_ticks, 5);
    t0 = green_now();
    at = in_ms(CLOCK_MONOTONIC, 30);
    ck_assert_int_eq(pthread_cond_clockwait(&c, &m, CLOCK_MONOTONIC, &at),
                     ETIMEDOUT);
    ck_assert_int_eq(pthread_cond_timedwait(&cm, &m, &at), ETIMEDOUT);
    ck_assert_time(green_now() - t0, MS(29), MS(30), MS(50));
    struct timespec bad = {at.tv_sec, 1000000000}, neg = {-1, 0};
    ck_assert_int_eq(pthread_cond_timedwait(&c, &m, &bad), EINVAL);
    ck_assert_int_eq(pthread_cond_clockwait(&c, &m, CLOCK_BOOTTIME, &at),
                     EINVAL);
    ck_assert_int_eq(pthread_cond_timedwait(&c, &m, &neg), ETIMEDOUT);
    ck_assert_int_eq(pthread_mutex_unlock(&m), 0);
    ck_assert_int_eq(pthread_cond_timedwait(&c, &m, &neg), EPERM);
    ck_assert_int_eq(pthread_cond_destroy(&cm), 0);
    join(tk);
}
END_TEST

struct waiter {
    pthread_mutex_t *m;
    pthread_cond_t *c;
    int r, unlock;
};

static void *wait_cond(void *arg)
{
    struct waiter *w = arg;
    pthread_mutex_lock(w->m);
    w->r = pthread_cond_wait(w->c, w->m);
    w->unlock = pthread_mutex_unlock(w->m);
    return NULL;
}

/* green_kill (not a pthread_cancel) ends a cond wait as a spurious
 * wakeup, the mutex held; it ends a sem_wait with EINTR. */
START_TEST(sync_kill_ends_waits)
{
    pthread_mutex_t m = PTHREAD_ERRORCHECK_MUTEX_INITIALIZER_NP;
    pthread_cond_t c = PTHREAD_COND_INITIALIZER;
    struct waiter w = {&m, &c, -1, -1};
    green_t t = green_spawn(wait_cond, &w, NULL);
    green_sleep(MS(10));
    green_kill(t);
    join(t);
    ck_assert_int_eq(w.r, 0);
    ck_assert_int_eq(w.unlock, 0);
}
END_TEST

/* ---- Read-write locks ------------------------------------------------- */

static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static int readers_in, readers_max, writer_saw_readers = -1;

static void *reader(void *arg)
{
    (void)arg;
    ck_assert_int_eq(pthread_rwlock_rdlock(&rw), 0);
    if (++readers_in > readers_max)
        readers_max = readers_in;
    green_sleep(MS(50));
    readers_in--;
    ck_assert_int_eq(pthread_rwlock_unlock(&rw), 0);
    return NULL;
}

static void *writer(void *arg)
{
    (void)arg;
    ck_assert_int_eq(pthread_rwlock_wrlock(&rw), 0);
    writer_saw_readers = readers_in;
    ck_assert_int_eq(pthread_rwlock_rdlock(&rw), EDEADLK);
    ck_assert_int_eq(pthread_rwlock_wrlock(&rw), EDEADLK);
    green_sleep(MS(50));
    ck_assert_int_eq(pthread_rwlock_unlock(&rw), 0);
    return NULL;
}

static void *try_read(void *arg)
{
    (void)arg;
    int r = pthread_rwlock_tryrdlock(&rw);
    if (r == 0)
        pthread_rwlock_unlock(&rw);
    return (void *)(intptr_t)r;
}

START_TEST(sync_rwlock_readers_share_writers_exclude)
{
    green_t tk = harness_ticker(MS(120));
    green_t r1 = green_spawn(reader, NULL, NULL);
    green_t r2 = green_spawn(reader, NULL, NULL);
    green_yield();
    green_t w = green_spawn(writer, NULL, NULL);
    join(r1);
    join(r2);
    green_yield();  /* the writer holds it now */
    ck_assert_int_eq(readers_max, 2);
    ck_assert_int_eq(writer_saw_readers, 0);
    ck_assert_int_eq(in_other(try_read, NULL), EBUSY);
    ck_assert_int_eq(pthread_rwlock_trywrlock(&rw), EBUSY);
    int64_t t0 = green_now();
    struct timespec at = in_ms(CLOCK_REALTIME, 20);
    ck_assert_int_eq(pthread_rwlock_timedrdlock(&rw, &at), ETIMEDOUT);
    ck_assert_time(green_now() - t0, MS(19), MS(20), MS(50));
    at = in_ms(CLOCK_MONOTONIC, 10);
    ck_assert_int_eq(pthread_rwlock_clockwrlock(&rw, CLOCK_MONOTONIC, &at),
                     ETIMEDOUT);
    join(w);
    join(tk);
    ck_assert_int_ge(harness_ticks, 15);
    /* glibc checks the time and the clock first, even for a free lock. */
    struct timespec bad = {at.tv_sec, -1};
    ck_assert_int_eq(pthread_rwlock_timedrdlock(&rw, &bad), EINVAL);
    ck_assert_int_eq(pthread_rwlock_clockrdlock(&rw, CLOCK_BOOTTIME, &at),
                     EINVAL);
    ck_assert_int_eq(pthread_rwlock_clockrdlock(&rw, CLOCK_MONOTONIC, &at),
                     0);
    ck_assert_int_eq(pthread_rwlock_tryrdlock(&rw), 0);
    ck_assert_int_eq(pthread_rwlock_unlock(&rw), 0);
    ck_assert_int_eq(pthread_rwlock_destroy(&rw), 0);  /* glibc's answer */
    ck_assert_int_eq(pthread_rwlock_unlock(&rw), 0);
}
END_TEST

/* ---- Barriers ------------------------------------------------------------ */

#define PARTIES 4
#define ROUNDS 3

static pthread_barrier_t bar;
static int serials, arrived[ROUNDS];

static void *party(void *arg)
{
    for (int i = 0; i < ROUNDS; i++) {
        arrived[i]++;
        green_sleep(MS((intptr_t)arg * 5));
        int r = pthread_barrier_wait(&bar);
        ck_assert(r == 0 || r == PTHREAD_BARRIER_SERIAL_THREAD);
        ck_assert_int_eq(arrived[i], PARTIES);  /* nobody left early */
        serials += r == PTHREAD_BARRIER_SERIAL_THREAD;
    }
    return NULL;
}

START_TEST(sync_barrier_one_serial_per_round)
{
    ck_assert_int_eq(pthread_barrier_init(&bar, NULL, 0), EINVAL);
    ck_assert_int_eq(pthread_barrier_init(&bar, NULL, PARTIES), 0);
    green_t t[PARTIES];
    for (int i = 0; i < PARTIES; i++)
        t[i] = green_spawn(party, (void *)(intptr_t)i, NULL);
    for (int i = 0; i < PARTIES; i++)
        join(t[i]);
    ck_assert_int_eq(serials, ROUNDS);
    ck_assert_int_eq(pthread_barrier_destroy(&bar), 0);
}
END_TEST

/* ---- Semaphores --------------------------------------------------------- */

struct poster {
    sem_t *s;
    int ms;
};

static void *post_later(void *arg)
{
    struct poster *p = arg;
    green_sleep(MS(p->ms));
    ck_assert_int_eq(sem_post(p->s), 0);
    return NULL;
}

START_TEST(sync_sem_waits_and_errors)
{
    sem_t s;
    int v;
    ck_assert_int_eq(sem_init(&s, 0, 1), 0);
    struct timespec bad = {time(NULL) + 10, 1000000000};
    errno = 0;
    ck_assert_int_eq(sem_timedwait(&s, &bad), -1);  /* checked first */
    ck_assert_int_eq(errno, EINVAL);
    ck_assert_int_eq(sem_clockwait(&s, CLOCK_BOOTTIME, &bad), -1);
    ck_assert_int_eq(errno, EINVAL);
    ck_assert_int_eq(sem_getvalue(&s, &v), 0);
    ck_assert_int_eq(v, 1);
    ck_assert_int_eq(sem_wait(&s), 0);
    ck_assert_int_eq(sem_trywait(&s), -1);
    ck_assert_int_eq(errno, EAGAIN);
    green_t tk = harness_ticker(MS(80));
    int64_t t0 = green_now();
    struct timespec at = in_ms(CLOCK_REALTIME, 50);
    ck_assert_int_eq(sem_timedwait(&s, &at), -1);
    ck_assert_int_eq(errno, ETIMEDOUT);
    ck_assert_time(green_now() - t0, MS(49), MS(50), MS(50));
    ck_assert_int_ge(harness_ticks, 5);
    at = in_ms(CLOCK_MONOTONIC, 10);
    ck_assert_int_eq(sem_clockwait(&s, CLOCK_MONOTONIC, &at), -1);
    ck_assert_int_eq(errno, ETIMEDOUT);
    /* A post from another green thread wakes the parked waiter. */
    struct poster p = {&s, 30};
    green_t pt = green_spawn(post_later, &p, NULL);
    t0 = green_now();
    ck_assert_int_eq(sem_wait(&s), 0);
    ck_assert_time(green_now() - t0, MS(29), MS(30), MS(50));
    join(pt);
    join(tk);
    ck_assert_int_eq(sem_destroy(&s), 0);
    ck_assert_int_eq(sem_init(&s, 0, (unsigned)INT32_MAX + 1), -1);
    ck_assert_int_eq(errno, EINVAL);
}
END_TEST

static void *wait_sem(void *arg)
{
    errno = 0;
    int r = sem_wait(arg);
    return (void *)(intptr_t)(r == -1 ? errno : 0);
}

START_TEST(sync_sem_kill_gives_eintr)
{
    sem_t s;
    ck_assert_int_eq(sem_init(&s, 0, 0), 0);
    green_t t = green_spawn(wait_sem, &s, NULL);
    green_sleep(MS(10));
    green_kill(t);
    void *r;
    ck_assert_int_eq(green_join(t, &r, GREEN_NEVER), 0);
    ck_assert_int_eq((int)(intptr_t)r, EINTR);
}
END_TEST

/* ---- Spinlocks ------------------------------------------------------------ */

static pthread_spinlock_t spin;

static void *hold_spin(void *arg)
{
    (void)arg;
    ck_assert_int_eq(pthread_spin_lock(&spin), 0);
    green_sleep(MS(50));
    ck_assert_int_eq(pthread_spin_unlock(&spin), 0);
    return NULL;
}

START_TEST(sync_spin_yields_to_holder)
{
    ck_assert_int_eq(pthread_spin_init(&spin, PTHREAD_PROCESS_PRIVATE), 0);
    green_t h = green_spawn(hold_spin, NULL, NULL);
    green_yield();
    ck_assert_int_eq(pthread_spin_trylock(&spin), EBUSY);
    green_t tk = harness_ticker(MS(40));
    ck_assert_int_eq(pthread_spin_lock(&spin), 0);
    /* The ticker ran again and again while the lock was spun for: two
     * ticks at least, since a loaded machine may stall us for a while. */
    ck_assert_int_ge(harness_ticks, 2);
    ck_assert_int_eq(pthread_spin_unlock(&spin), 0);
    join(h);
    join(tk);
    ck_assert_int_eq(pthread_spin_destroy(&spin), 0);
}
END_TEST

/* ---- syscall(SYS_futex) ------------------------------------------------------ */

static uint32_t word;

struct futex_waiter {
    int op;
    long r;
    int err;
    int ticks_then;
};

static void *futex_wait(void *arg)
{
    struct futex_waiter *w = arg;
    errno = 0;
    w->r = syscall(SYS_futex, &word, w->op, 0, NULL, NULL,
                   FUTEX_BITSET_MATCH_ANY);
    w->err = errno;
    w->ticks_then = harness_ticks;
    return NULL;
}

static long futex(int op, uint32_t val, const struct timespec *ts,
                  uint32_t val3)
{
    errno = 0;
    return syscall(SYS_futex, &word, op, val, ts, NULL, val3);
}

/* The waiter parks (the ticker runs) until a FUTEX_WAKE, which counts it;
 * the kernel's quirk of waking one for a count of 0 is kept. */
START_TEST(sync_futex_wait_wake)
{
    static const int ops[] = {FUTEX_WAIT, FUTEX_WAIT_BITSET_PRIVATE};
    for (int i = 0; i < 2; i++) {
        word = 0;
        harness_ticks = 0;
        struct futex_waiter w = {ops[i], -2, 0, 0};
        green_t tk = harness_ticker(MS(60));
        green_t t = green_spawn(futex_wait, &w, NULL);
        green_sleep(MS(50));
        ck_assert_int_eq(w.r, -2);  /* still parked */
        word = 1;
        ck_assert_int_eq(futex(i ? FUTEX_WAKE_BITSET_PRIVATE : FUTEX_WAKE, 0,
                               NULL, FUTEX_BITSET_MATCH_ANY),
                         1);
        join(t);
        join(tk);
        ck_assert_int_eq(w.r, 0);
        ck_assert_int_ge(w.ticks_then, 5);
        ck_assert_int_eq(futex(FUTEX_WAKE_PRIVATE, 1, NULL, 0), 0);
    }
}
END_TEST

START_TEST(sync_futex_errors_and_timeouts)
{
    word = 5;
    ck_assert_int_eq(futex(FUTEX_WAIT, 4, NULL, 0), -1);
    ck_assert_int_eq(errno, EAGAIN);
    struct timespec rel = {0, MS(30)}, neg = {-1, 0};
    int64_t t0 = green_now();
    ck_assert_int_eq(futex(FUTEX_WAIT_PRIVATE, 5, &rel, 0), -1);
    ck_assert_int_eq(errno, ETIMEDOUT);
    ck_assert_time(green_now() - t0, MS(29), MS(30), MS(50));
    struct timespec at = in_ms(CLOCK_MONOTONIC, 20);
    ck_assert_int_eq(futex(FUTEX_WAIT_BITSET, 5, &at, ~0u), -1);
    ck_assert_int_eq(errno, ETIMEDOUT);
    at = in_ms(CLOCK_REALTIME, 20);
    ck_assert_int_eq(
        futex(FUTEX_WAIT_BITSET | FUTEX_CLOCK_REALTIME, 5, &at, ~0u), -1);
    ck_assert_int_eq(errno, ETIMEDOUT);
    ck_assert_int_eq(futex(FUTEX_WAIT_BITSET, 5, &at, 0), -1);
    ck_assert_int_eq(errno, EINVAL);
    ck_assert_int_eq(futex(FUTEX_WAKE_BITSET, 1, NULL, 0), -1);
    ck_assert_int_eq(errno, EINVAL);
    ck_assert_int_eq(futex(FUTEX_WAIT, 4, &neg, 0), -1);  /* before EAGAIN */
    ck_assert_int_eq(errno, EINVAL);
    errno = 0;
    ck_assert_int_eq(syscall(SYS_futex, (char *)&word + 1, FUTEX_WAKE, 1,
                             NULL, NULL, 0),
                     -1);
    ck_assert_int_eq(errno, EINVAL);
    /* The kernel's, passed through. */
    ck_assert_int_eq(futex(FUTEX_WAKE | FUTEX_CLOCK_REALTIME, 1, NULL, 0),
                     -1);
    ck_assert_int_eq(errno, ENOSYS);
}
END_TEST

START_TEST(sync_syscall_passes_through)
{
    ck_assert_int_eq(syscall(SYS_getpid), getpid());
    ck_assert_int_eq(syscall(SYS_gettid), gettid());
    char buf[4];
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    ck_assert_int_eq(syscall(SYS_write, p[1], "abc", 3), 3);
    ck_assert_int_eq(syscall(SYS_read, p[0], buf, sizeof buf), 3);
    errno = 0;
    ck_assert_int_eq(syscall(-1), -1);
    ck_assert_int_eq(errno, ENOSYS);
}
END_TEST

/* ---- C11 ------------------------------------------------------------------ */

static mtx_t cm;
static cnd_t cc;
static int c11_flag, once_runs;
static once_flag once = ONCE_FLAG_INIT;

static void *c11_try(void *arg)
{
    (void)arg;
    return (void *)(intptr_t)mtx_trylock(&cm);
}

static void *c11_signal(void *arg)
{
    (void)arg;
    green_sleep(MS(20));
    mtx_lock(&cm);
    c11_flag = 1;
    cnd_signal(&cc);
    mtx_unlock(&cm);
    return NULL;
}

static void run_once(void)
{
    green_sleep(MS(30));  /* others call meanwhile, and wait */
    once_runs++;
}

static void *c11_once(void *arg)
{
    (void)arg;
    call_once(&once, run_once);
    return (void *)(intptr_t)once_runs;
}

START_TEST(sync_c11)
{
    ck_assert_int_eq(mtx_init(&cm, mtx_plain | mtx_timed), thrd_success);
    ck_assert_int_eq(cnd_init(&cc), thrd_success);
    ck_assert_int_eq(mtx_lock(&cm), thrd_success);
    ck_assert_int_eq(in_other(c11_try, NULL), thrd_busy);
    struct timespec at = in_ms(CLOCK_REALTIME, 20);
    ck_assert_int_eq(mtx_timedlock(&cm, &at), thrd_timedout);
    ck_assert_int_eq(cnd_timedwait(&cc, &cm, &at), thrd_timedout);
    green_t t = green_spawn(c11_signal, NULL, NULL);
    while (!c11_flag)
        ck_assert_int_eq(cnd_wait(&cc, &cm), thrd_success);
    ck_assert_int_eq(mtx_unlock(&cm), thrd_success);
    join(t);
    ck_assert_int_eq(cnd_broadcast(&cc), thrd_success);
    cnd_destroy(&cc);
    mtx_destroy(&cm);
    ck_assert_int_eq(mtx_init(&cm, mtx_plain | mtx_recursive), thrd_success);
    ck_assert_int_eq(mtx_lock(&cm), thrd_success);
    ck_assert_int_eq(mtx_trylock(&cm), thrd_success);
    ck_assert_int_eq(in_other(c11_try, NULL), thrd_busy);
    ck_assert_int_eq(mtx_unlock(&cm), thrd_success);
    ck_assert_int_eq(mtx_unlock(&cm), thrd_success);
    ck_assert_int_eq(mtx_unlock(&cm), thrd_error);
    mtx_destroy(&cm);
    green_t o[3];
    for (int i = 0; i < 3; i++)
        o[i] = green_spawn(c11_once, NULL, NULL);
    for (int i = 0; i < 3; i++) {
        void *r;
        ck_assert_int_eq(green_join(o[i], &r, GREEN_NEVER), 0);
        ck_assert_int_eq((int)(intptr_t)r, 1);  /* returned after it ran */
    }
    ck_assert_int_eq(once_runs, 1);
    /* Keys run out with EAGAIN, which C11 calls thrd_error, as glibc's
     * thrd_err_map does (not thrd_nomem). */
    static tss_t keys[4096];
    int n = 0, r = thrd_success;
    while (n < 4096 && (r = tss_create(&keys[n], NULL)) == thrd_success)
        n++;
    ck_assert_int_lt(n, 4096);
    ck_assert_int_eq(r, thrd_error);
    while (n--)
        tss_delete(keys[n]);
}
END_TEST

/* ---- A plain OS thread shares the locks ------------------------------------ */

typedef int create_fn(pthread_t *, const pthread_attr_t *,
                      void *(*)(void *), void *);
typedef int join_fn(pthread_t, void **);

/* glibc's own pthread_create and pthread_join, whatever libgreen makes of
 * the program's: a real OS thread. */
static void *libc_sym(const char *name)
{
    void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
    ck_assert_ptr_nonnull(libc);
    void *p = dlsym(libc, name);
    ck_assert_ptr_nonnull(p);
    return p;
}

static struct {
    pthread_mutex_t m;
    sem_t s;
    int64_t waited;
} os = {.m = PTHREAD_MUTEX_INITIALIZER};

static void *os_thread(void *arg)
{
    (void)arg;
    int64_t t0 = green_now();
    ck_assert_int_eq(pthread_mutex_lock(&os.m), 0);
    os.waited = green_now() - t0;
    ck_assert_int_eq(pthread_mutex_unlock(&os.m), 0);
    ck_assert_int_eq(sem_post(&os.s), 0);
    return NULL;
}

/* The OS thread blocks on a mutex a green thread holds, then posts a
 * semaphore the main green thread waits on; green threads keep running. */
START_TEST(sync_cross_os_thread)
{
    create_fn *create;
    join_fn *os_join;
    void *p = libc_sym("pthread_create");
    memcpy(&create, &p, sizeof p);
    p = libc_sym("pthread_join");
    memcpy(&os_join, &p, sizeof p);
    ck_assert_int_eq(sem_init(&os.s, 0, 0), 0);
    struct hold h = {&os.m, 80};
    green_t a = held_for(&h);
    green_t tk = harness_ticker(MS(100));
    pthread_t t;
    ck_assert_int_eq(create(&t, NULL, os_thread, NULL), 0);
    int64_t t0 = green_now();
    ck_assert_int_eq(sem_wait(&os.s), 0);
    ck_assert_time(green_now() - t0, MS(70), MS(80), MS(100));
    ck_assert_int_ge(harness_ticks, 10);
    ck_assert_int_eq(os_join(t, NULL), 0);
    ck_assert_int_ge(os.waited, MS(60));
    join(a);
    join(tk);
}
END_TEST

static void setup(void)
{
    harness_ticks = 0;
    green_self();
}

/* A TCase of s whose tests each start with a fresh hub and ticker count. */
static TCase *aspect(Suite *s, const char *name)
{
    TCase *tc = tcase_create(name);
    tcase_add_checked_fixture(tc, setup, NULL);
    suite_add_tcase(s, tc);
    return tc;
}

int main(void)
{
    Suite *s = suite_create("sync");
    TCase *basic = aspect(s, "basic");
    tcase_add_test(basic, sync_mutex_contended_parks);
    tcase_add_test(basic, sync_mutex_errorcheck);
    tcase_add_test(basic, sync_mutex_recursive_depth);
    tcase_add_test(basic, sync_mutex_pshared_is_real);
    tcase_add_test(basic, sync_cond_producer_consumer);
    tcase_add_test(basic, sync_rwlock_readers_share_writers_exclude);
    tcase_add_test(basic, sync_barrier_one_serial_per_round);
    tcase_add_test(basic, sync_spin_yields_to_holder);
    tcase_add_test(basic, sync_c11);
    tcase_add_test(basic, sync_cross_os_thread);
    TCase *timeout = aspect(s, "timeout");
    tcase_add_test(timeout, sync_mutex_timedlock);
    tcase_add_test(timeout, sync_cond_timedwait_times_out);
    tcase_add_test(timeout, sync_sem_waits_and_errors);
    tcase_add_test(timeout, sync_futex_errors_and_timeouts);
    TCase *wake = aspect(s, "wake");
    tcase_add_test(wake, sync_kill_ends_waits);
    tcase_add_test(wake, sync_sem_kill_gives_eintr);
    tcase_add_test(wake, sync_futex_wait_wake);
    tcase_add_test(wake, sync_syscall_passes_through);
    return harness_run(s);
}
