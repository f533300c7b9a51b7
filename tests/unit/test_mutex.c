/* Mutexes: the kinds and their errors, glibc's static initializers and
 * pthread_mutex_init objects, the lock-word protocol, deadlines, kill and
 * the uninterruptible mode, and exclusion under contention from green
 * threads on several OS threads and from plain OS threads. */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "green.h"
#include "harness.h"
#include "mutex.h"
#include "wait.h"

static uint32_t lock_word(pthread_mutex_t *m)
{
    return atomic_load((_Atomic uint32_t *)(void *)m);
}

START_TEST(mutex_basic_and_lock_word)
{
    green_mutex_t gm = GREEN_MUTEX_INIT;
    pthread_mutex_t *m = (pthread_mutex_t *)(void *)&gm;
    ck_assert_int_eq(green_mutex_lock(&gm, GREEN_NEVER), 0);
    ck_assert_int_eq(lock_word(m), 1);  /* uncontended: no "waiters" */
    ck_assert_int_eq(green_mutex_trylock(&gm), -1);
    ck_assert_int_eq(errno, EBUSY);
    ck_assert_int_eq(green_mutex_destroy(&gm), -1);
    ck_assert_int_eq(errno, EBUSY);
    ck_assert_int_eq(green_mutex_unlock(&gm), 0);
    ck_assert_int_eq(lock_word(m), 0);
    ck_assert_int_eq(green_mutex_trylock(&gm), 0);
    ck_assert_int_eq(green_mutex_unlock(&gm), 0);
    ck_assert_int_eq(green_mutex_destroy(&gm), 0);
    ck_assert_int_eq(green_mutex_init(&gm, 7), -1);
    ck_assert_int_eq(errno, EINVAL);
    ck_assert_int_eq(green__mutex_init(m, 4), -EINVAL);
}
END_TEST

static void *lock_unlock_later(void *arg)
{
    green_mutex_t *m = arg;
    ck_assert_int_eq(green_mutex_lock(m, GREEN_NEVER), 0);
    green_sleep(MS(5));
    ck_assert_int_eq(green_mutex_unlock(m), 0);
    return NULL;
}

START_TEST(mutex_contended_word_is_2_then_0)
{
    static green_mutex_t m = GREEN_MUTEX_INIT;
    green_t a = green_spawn(lock_unlock_later, &m, NULL);
    green_yield();  /* a holds it and sleeps */
    green_t b = green_spawn(lock_unlock_later, &m, NULL);
    green_yield();  /* b parks on it */
    ck_assert_int_eq(lock_word((pthread_mutex_t *)(void *)&m), 2);
    green_join(a, NULL, GREEN_NEVER);
    green_join(b, NULL, GREEN_NEVER);
    ck_assert_int_eq(lock_word((pthread_mutex_t *)(void *)&m), 0);
}
END_TEST

START_TEST(mutex_static_initializers)
{
    pthread_mutex_t n = PTHREAD_MUTEX_INITIALIZER;
    pthread_mutex_t r = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
    pthread_mutex_t e = PTHREAD_ERRORCHECK_MUTEX_INITIALIZER_NP;
    pthread_mutex_t a = PTHREAD_ADAPTIVE_MUTEX_INITIALIZER_NP;
    ck_assert(!green__mutex_is_foreign(&n) && !green__mutex_is_foreign(&r) &&
              !green__mutex_is_foreign(&e) && !green__mutex_is_foreign(&a));
    ck_assert_int_eq(green__mutex_lock(&n, GREEN_NEVER, 0), 0);
    ck_assert_int_eq(green__mutex_trylock(&n), -EBUSY);
    ck_assert_int_eq(green__mutex_unlock(&n), 0);
    ck_assert_int_eq(green__mutex_lock(&a, GREEN_NEVER, 0), 0);
    ck_assert_int_eq(green__mutex_trylock(&a), -EBUSY);
    ck_assert_int_eq(green__mutex_unlock(&a), 0);
    ck_assert_int_eq(green__mutex_lock(&r, GREEN_NEVER, 0), 0);
    ck_assert_int_eq(green__mutex_lock(&r, GREEN_NEVER, 0), 0);
    ck_assert_int_eq(green__mutex_trylock(&r), 0);
    ck_assert_int_eq(r.__data.__count, 3);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(green__mutex_unlock(&r), 0);
    ck_assert_int_eq(green__mutex_unlock(&r), -EPERM);
    ck_assert_int_eq(green__mutex_lock(&e, GREEN_NEVER, 0), 0);
    ck_assert_int_eq(green__mutex_lock(&e, GREEN_NEVER, 0), -EDEADLK);
    ck_assert_int_eq(green__mutex_unlock(&e), 0);
    ck_assert_int_eq(green__mutex_unlock(&e), -EPERM);
}
END_TEST

START_TEST(mutex_glibc_init_objects)
{
    static const int types[] = {PTHREAD_MUTEX_NORMAL, PTHREAD_MUTEX_RECURSIVE,
                                PTHREAD_MUTEX_ERRORCHECK,
                                PTHREAD_MUTEX_ADAPTIVE_NP};
    for (int i = 0; i < 4; i++) {
        pthread_mutexattr_t at;
        pthread_mutex_t m, ours;
        pthread_mutexattr_init(&at);
        pthread_mutexattr_settype(&at, types[i]);
        ck_assert_int_eq(pthread_mutex_init(&m, &at), 0);  /* glibc's */
        ck_assert_int_eq(green__mutex_init(&ours, types[i]), 0);
        /* Same type; glibc adds flags (0x200, no elision) we ignore. */
        ck_assert_int_eq(m.__data.__kind & 3, ours.__data.__kind);
        ck_assert(!green__mutex_is_foreign(&m));
        ck_assert_int_eq(green__mutex_lock(&m, GREEN_NEVER, 0), 0);
        int again = green__mutex_trylock(&m);
        ck_assert_int_eq(again, types[i] == PTHREAD_MUTEX_RECURSIVE ? 0 : -EBUSY);
        if (!again)
            ck_assert_int_eq(green__mutex_unlock(&m), 0);
        ck_assert_int_eq(green__mutex_unlock(&m), 0);
        ck_assert_int_eq(green__mutex_destroy(&m), 0);
        /* Process-shared, robust, PI and PP go to glibc. */
        pthread_mutexattr_setpshared(&at, PTHREAD_PROCESS_SHARED);
        pthread_mutex_init(&m, &at);
        ck_assert(green__mutex_is_foreign(&m));
        pthread_mutexattr_setpshared(&at, PTHREAD_PROCESS_PRIVATE);
        pthread_mutexattr_setrobust(&at, PTHREAD_MUTEX_ROBUST);
        pthread_mutex_init(&m, &at);
        ck_assert(green__mutex_is_foreign(&m));
        pthread_mutexattr_setrobust(&at, PTHREAD_MUTEX_STALLED);
        pthread_mutexattr_setprotocol(&at, PTHREAD_PRIO_INHERIT);
        pthread_mutex_init(&m, &at);
        ck_assert(green__mutex_is_foreign(&m));
        pthread_mutexattr_setprotocol(&at, PTHREAD_PRIO_PROTECT);
        pthread_mutex_init(&m, &at);
        ck_assert(green__mutex_is_foreign(&m));
        pthread_mutexattr_destroy(&at);
    }
}
END_TEST

static void *try_unlock_report(void *arg)
{
    return (void *)(intptr_t)green__mutex_unlock(arg);
}

static void *os_try_unlock_report(void *arg)
{
    return (void *)(intptr_t)green__mutex_unlock(arg);
}

START_TEST(mutex_errorcheck_and_recursive_misuse)
{
    green_mutex_t e, r;
    ck_assert_int_eq(green_mutex_init(&e, GREEN_MUTEX_ERRORCHECK), 0);
    ck_assert_int_eq(green_mutex_init(&r, GREEN_MUTEX_RECURSIVE), 0);
    ck_assert_int_eq(green_mutex_unlock(&e), -1);  /* not locked */
    ck_assert_int_eq(errno, EPERM);
    ck_assert_int_eq(green_mutex_unlock(&r), -1);
    ck_assert_int_eq(errno, EPERM);
    ck_assert_int_eq(green_mutex_lock(&e, GREEN_NEVER), 0);
    ck_assert_int_eq(green_mutex_lock(&e, GREEN_NEVER), -1);
    ck_assert_int_eq(errno, EDEADLK);
    ck_assert_int_eq(green_mutex_trylock(&e), -1);  /* glibc: EBUSY */
    ck_assert_int_eq(errno, EBUSY);
    ck_assert_int_eq(green_mutex_lock(&r, GREEN_NEVER), 0);
    /* Another green thread, and a plain OS thread, are not the owner. */
    void *res;
    green_t t = green_spawn(try_unlock_report, &e, NULL);
    green_join(t, &res, GREEN_NEVER);
    ck_assert_int_eq((intptr_t)res, -EPERM);
    t = green_spawn(try_unlock_report, &r, NULL);
    green_join(t, &res, GREEN_NEVER);
    ck_assert_int_eq((intptr_t)res, -EPERM);
    pthread_t p;
    pthread_create(&p, NULL, os_try_unlock_report, &e);
    pthread_join(p, &res);
    ck_assert_int_eq((intptr_t)res, -EPERM);
    ck_assert_int_eq(green_mutex_destroy(&e), -1);
    ck_assert_int_eq(errno, EBUSY);
    ck_assert_int_eq(green_mutex_unlock(&e), 0);
    ck_assert_int_eq(green_mutex_destroy(&e), 0);
    /* Recursive count overflow. */
    pthread_mutex_t *pr = (pthread_mutex_t *)(void *)&r;
    pr->__data.__count = UINT_MAX;
    ck_assert_int_eq(green_mutex_lock(&r, GREEN_NEVER), -1);
    ck_assert_int_eq(errno, EAGAIN);
    ck_assert_int_eq(green_mutex_trylock(&r), -1);
    ck_assert_int_eq(errno, EAGAIN);
    pr->__data.__count = 1;
    ck_assert_int_eq(green_mutex_unlock(&r), 0);
    ck_assert_int_eq(green_mutex_destroy(&r), 0);
}
END_TEST

/* Contention: many green threads on several OS threads, plus plain OS
 * threads, bump a plain counter under the mutex, yielding inside the
 * critical section now and then so green threads of one hub collide. */
enum { OS = 4, GREENS = 6, ITERS = 3000 };
static pthread_mutex_t cm;
static long counter;
static atomic_int inside;

static void *hammer(void *arg)
{
    (void)arg;
    for (int i = 0; i < ITERS; i++) {
        ck_assert_int_eq(green__mutex_lock(&cm, GREEN_NEVER, 0), 0);
        ck_assert_int_eq(atomic_fetch_add(&inside, 1), 0);
        long v = counter;
        if (i % 16 == 0)
            green_yield();
        counter = v + 1;
        atomic_fetch_sub(&inside, 1);
        ck_assert_int_eq(green__mutex_unlock(&cm), 0);
    }
    return NULL;
}

static void *plain_hammer(void *arg)
{
    (void)arg;
    for (int i = 0; i < ITERS; i++) {
        ck_assert_int_eq(green__mutex_lock(&cm, GREEN_NEVER, 0), 0);
        ck_assert_int_eq(atomic_fetch_add(&inside, 1), 0);
        counter++;
        atomic_fetch_sub(&inside, 1);
        ck_assert_int_eq(green__mutex_unlock(&cm), 0);
    }
    return NULL;
}

START_TEST(mutex_contention_across_os_threads)
{
    int kind = _i;  /* normal, recursive, errorcheck, adaptive */
    ck_assert_int_eq(green__mutex_init(&cm, kind), 0);
    counter = 0;
    pthread_t plain[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&plain[i], NULL, plain_hammer, NULL);
    harness_crews(OS, GREENS, hammer, NULL);
    for (int i = 0; i < 2; i++)
        pthread_join(plain[i], NULL);
    ck_assert_int_eq(counter, (long)(OS * GREENS + 2) * ITERS);
    ck_assert_int_eq(lock_word(&cm), 0);
    ck_assert_int_eq(green__mutex_destroy(&cm), 0);
}
END_TEST

static void *hold_for(void *arg)
{
    pthread_mutex_t *m = arg;
    ck_assert_int_eq(green__mutex_lock(m, GREEN_NEVER, 0), 0);
    green_sleep(MS(60));
    ck_assert_int_eq(green__mutex_unlock(m), 0);
    return NULL;
}

START_TEST(mutex_deadline_not_early)
{
    static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    /* A free mutex is taken even with a deadline already past. */
    ck_assert_int_eq(green__mutex_lock(&m, green_now() - 1, 0), 0);
    ck_assert_int_eq(green__mutex_unlock(&m), 0);
    green_t h = green_spawn(hold_for, &m, NULL);
    green_yield();
    ck_assert_int_eq(green__mutex_lock(&m, green_now() - 1, 0), -ETIMEDOUT);
    int64_t t0 = green_now(), d = t0 + MS(20);
    ck_assert_int_eq(green__mutex_lock(&m, d, 0), -ETIMEDOUT);
    ck_assert_time(green_now(), d, d, MS(20));
    /* A green_timeout scope bounds it too, unless GREEN__NOCANCEL. */
    green_timeout_t to;
    green_timeout_start(&to, MS(5));
    ck_assert_int_eq(green__mutex_lock(&m, GREEN_NEVER, 0), -ETIMEDOUT);
    ck_assert_int_eq(green__mutex_lock(&m, GREEN_NEVER, GREEN__NOCANCEL), 0);
    ck_assert_int_ge(green_now() - t0, MS(55));
    green_timeout_cancel(&to);
    ck_assert_int_eq(green__mutex_unlock(&m), 0);
    green_join(h, NULL, GREEN_NEVER);
}
END_TEST

static void *hold_on_os_thread(void *arg)
{
    pthread_mutex_t *m = arg;
    ck_assert_int_eq(green__mutex_lock(m, GREEN_NEVER, 0), 0);
    struct timespec ts = {0, 40 * 1000 * 1000};
    nanosleep(&ts, NULL);  /* blocks this OS thread, holding m */
    ck_assert_int_eq(green__mutex_unlock(m), 0);
    return NULL;
}

START_TEST(mutex_held_by_plain_os_thread)
{
    static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    pthread_t p;
    pthread_create(&p, NULL, hold_on_os_thread, &m);
    while (!lock_word(&m))
        green_yield();
    int64_t t0 = green_now();
    ck_assert_int_eq(green__mutex_lock(&m, t0 + MS(10), 0), -ETIMEDOUT);
    ck_assert_int_eq(green__mutex_lock(&m, GREEN_NEVER, 0), 0);
    ck_assert_int_ge(green_now() - t0, MS(20));
    ck_assert_int_eq(green__mutex_unlock(&m), 0);
    pthread_join(p, NULL);
}
END_TEST

struct victim { pthread_mutex_t *m; int flags; atomic_int done; };

static void *lock_report(void *arg)
{
    struct victim *v = arg;
    int r = green__mutex_lock(v->m, GREEN_NEVER, v->flags);
    atomic_store(&v->done, 1);
    if (r == 0)
        green__mutex_unlock(v->m);
    return (void *)(intptr_t)r;
}

START_TEST(mutex_kill_while_blocked)
{
    static pthread_mutex_t m = PTHREAD_ERRORCHECK_MUTEX_INITIALIZER_NP;
    ck_assert_int_eq(green__mutex_lock(&m, GREEN_NEVER, 0), 0);
    struct victim a = {&m, 0, 0}, b = {&m, GREEN__NOCANCEL, 0};
    green_t ta = green_spawn(lock_report, &a, NULL);
    green_t tb = green_spawn(lock_report, &b, NULL);
    green_sleep(MS(5));
    green_kill(ta);
    green_kill(tb);
    void *r;
    green_join(ta, &r, GREEN_NEVER);
    ck_assert_int_eq((intptr_t)r, -ECANCELED);
    /* The uninterruptible one keeps waiting, and gets the lock. */
    green_sleep(MS(10));
    ck_assert_int_eq(atomic_load(&b.done), 0);
    ck_assert_int_eq(green__mutex_unlock(&m), 0);
    green_join(tb, &r, GREEN_NEVER);
    ck_assert_int_eq((intptr_t)r, 0);
    ck_assert_int_eq(lock_word(&m), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("mutex");
    TCase *tc = tcase_create("semantics");
    tcase_add_test(tc, mutex_basic_and_lock_word);
    tcase_add_test(tc, mutex_contended_word_is_2_then_0);
    tcase_add_test(tc, mutex_static_initializers);
    tcase_add_test(tc, mutex_glibc_init_objects);
    tcase_add_test(tc, mutex_errorcheck_and_recursive_misuse);
    suite_add_tcase(s, tc);
    tc = tcase_create("waiting");
    tcase_add_test(tc, mutex_deadline_not_early);
    tcase_add_test(tc, mutex_held_by_plain_os_thread);
    tcase_add_test(tc, mutex_kill_while_blocked);
    suite_add_tcase(s, tc);
    tc = tcase_create("contention");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, mutex_contention_across_os_threads, 0, 4);
    suite_add_tcase(s, tc);
    return harness_run(s);
}
