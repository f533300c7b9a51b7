/* Read-write locks: errors, glibc's initializers and init objects, both
 * preferences, deadlines (and the readers a timed-out writer was holding
 * back), kill, reader overflow, readers that really overlap and writers
 * that exclude, across OS threads. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#include "green.h"
#include "harness.h"
#include "rwlock.h"
#include "wait.h"

static void *wrlock_report(void *arg)
{
    return (void *)(intptr_t)green__rwlock_wrlock(arg, GREEN_NEVER, 0);
}

START_TEST(rwlock_basic_and_errors)
{
    pthread_rwlock_t l = PTHREAD_RWLOCK_INITIALIZER;
    ck_assert(!green__rwlock_is_foreign(&l));
    ck_assert_int_eq(green__rwlock_unlock(&l), -EPERM);
    ck_assert_int_eq(green__rwlock_rdlock(&l, GREEN_NEVER, 0), 0);
    ck_assert_int_eq(green__rwlock_tryrdlock(&l), 0);
    ck_assert_int_eq(green__rwlock_trywrlock(&l), -EBUSY);
    ck_assert_int_eq(green__rwlock_destroy(&l), -EBUSY);
    ck_assert_int_eq(green__rwlock_unlock(&l), 0);
    ck_assert_int_eq(green__rwlock_unlock(&l), 0);
    ck_assert_int_eq(green__rwlock_wrlock(&l, GREEN_NEVER, 0), 0);
    ck_assert_int_eq(green__rwlock_wrlock(&l, GREEN_NEVER, 0), -EDEADLK);
    ck_assert_int_eq(green__rwlock_rdlock(&l, GREEN_NEVER, 0), -EDEADLK);
    ck_assert_int_eq(green__rwlock_tryrdlock(&l), -EBUSY);
    ck_assert_int_eq(green__rwlock_trywrlock(&l), -EBUSY);
    ck_assert_int_eq(green__rwlock_destroy(&l), -EBUSY);
    /* Another thread's wrlock just waits (no EDEADLK). */
    green_t t = green_spawn(wrlock_report, &l, NULL);
    green_sleep(MS(2));
    ck_assert_int_eq(green__rwlock_unlock(&l), 0);
    void *r;
    green_join(t, &r, GREEN_NEVER);
    ck_assert_int_eq((intptr_t)r, 0);
    ck_assert_int_eq(green__rwlock_unlock(&l), 0);
    ck_assert_int_eq(green__rwlock_destroy(&l), 0);
    ck_assert_int_eq(green__rwlock_init(&l, 3), -EINVAL);
}
END_TEST

START_TEST(rwlock_reader_overflow)
{
    pthread_rwlock_t l = PTHREAD_RWLOCK_INITIALIZER;
    *(uint32_t *)(void *)&l = GREEN__RWLOCK_READERS_MAX - 1;
    ck_assert_int_eq(green__rwlock_rdlock(&l, GREEN_NEVER, 0), 0);
    ck_assert_int_eq(green__rwlock_rdlock(&l, GREEN_NEVER, 0), -EAGAIN);
    ck_assert_int_eq(green__rwlock_tryrdlock(&l), -EAGAIN);
    ck_assert_int_eq(green__rwlock_unlock(&l), 0);
    ck_assert_int_eq(green__rwlock_tryrdlock(&l), 0);
}
END_TEST

START_TEST(rwlock_glibc_objects)
{
    static const int kinds[] = {PTHREAD_RWLOCK_PREFER_READER_NP,
                                PTHREAD_RWLOCK_PREFER_WRITER_NP,
                                PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP};
    for (int i = 0; i < 3; i++) {
        pthread_rwlockattr_t at;
        pthread_rwlock_t g, ours;
        pthread_rwlockattr_init(&at);
        pthread_rwlockattr_setkind_np(&at, kinds[i]);
        ck_assert_int_eq(pthread_rwlock_init(&g, &at), 0);  /* glibc's */
        ck_assert_int_eq(green__rwlock_init(&ours, kinds[i]), 0);
        ck_assert_int_eq(memcmp(&g, &ours, sizeof g), 0);
        ck_assert_int_eq(green__rwlock_wrlock(&g, GREEN_NEVER, 0), 0);
        ck_assert_int_eq(green__rwlock_tryrdlock(&g), -EBUSY);
        ck_assert_int_eq(green__rwlock_unlock(&g), 0);
        ck_assert_int_eq(green__rwlock_rdlock(&g, GREEN_NEVER, 0), 0);
        ck_assert_int_eq(green__rwlock_unlock(&g), 0);
        pthread_rwlockattr_setpshared(&at, PTHREAD_PROCESS_SHARED);
        pthread_rwlock_init(&g, &at);
        ck_assert(green__rwlock_is_foreign(&g));
    }
    pthread_rwlock_t w = PTHREAD_RWLOCK_WRITER_NONRECURSIVE_INITIALIZER_NP;
    ck_assert_int_eq(w.__data.__flags,
                     PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
}
END_TEST

struct op { pthread_rwlock_t *l; int write; int64_t deadline; int flags;
            atomic_int done; };

static void *lock_hold_unlock(void *arg)
{
    struct op *o = arg;
    int r = o->write ? green__rwlock_wrlock(o->l, o->deadline, o->flags)
                     : green__rwlock_rdlock(o->l, o->deadline, o->flags);
    atomic_store(&o->done, r == 0 ? 1 : 2);
    if (r == 0) {
        green_sleep(MS(2));
        green__rwlock_unlock(o->l);
    }
    return (void *)(intptr_t)r;
}

START_TEST(rwlock_reader_preference)
{
    pthread_rwlock_t l = PTHREAD_RWLOCK_INITIALIZER;
    ck_assert_int_eq(green__rwlock_rdlock(&l, GREEN_NEVER, 0), 0);
    struct op w = {&l, 1, GREEN_NEVER, 0, 0};
    green_t tw = green_spawn(lock_hold_unlock, &w, NULL);
    green_sleep(MS(2));
    /* A writer waits, yet new readers still get in. */
    ck_assert_int_eq(green__rwlock_tryrdlock(&l), 0);
    ck_assert_int_eq(green__rwlock_unlock(&l), 0);
    ck_assert_int_eq(atomic_load(&w.done), 0);
    ck_assert_int_eq(green__rwlock_unlock(&l), 0);
    green_join(tw, NULL, GREEN_NEVER);
    ck_assert_int_eq(atomic_load(&w.done), 1);
}
END_TEST

START_TEST(rwlock_writer_preference)
{
    pthread_rwlock_t l = PTHREAD_RWLOCK_WRITER_NONRECURSIVE_INITIALIZER_NP;
    ck_assert_int_eq(green__rwlock_rdlock(&l, GREEN_NEVER, 0), 0);
    struct op w = {&l, 1, GREEN_NEVER, 0, 0}, r = {&l, 0, GREEN_NEVER, 0, 0};
    green_t tw = green_spawn(lock_hold_unlock, &w, NULL);
    green_sleep(MS(2));
    /* A writer waits: new readers are held back, and it goes first. */
    ck_assert_int_eq(green__rwlock_tryrdlock(&l), -EBUSY);
    green_t tr = green_spawn(lock_hold_unlock, &r, NULL);
    green_sleep(MS(2));
    ck_assert_int_eq(atomic_load(&r.done), 0);
    ck_assert_int_eq(green__rwlock_unlock(&l), 0);
    green_sleep(MS(1));
    ck_assert_int_eq(atomic_load(&w.done), 1);
    ck_assert_int_eq(atomic_load(&r.done), 0);  /* the writer holds it */
    green_join(tw, NULL, GREEN_NEVER);
    green_join(tr, NULL, GREEN_NEVER);
    ck_assert_int_eq(atomic_load(&r.done), 1);
}
END_TEST

START_TEST(rwlock_deadlines)
{
    int pref = _i ? PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP : 0;
    pthread_rwlock_t l;
    green__rwlock_init(&l, pref);
    ck_assert_int_eq(green__rwlock_rdlock(&l, GREEN_NEVER, 0), 0);
    int64_t d = green_now() + MS(20);
    struct op w = {&l, 1, d, 0, 0};
    green_t tw = green_spawn(lock_hold_unlock, &w, NULL);
    green_sleep(MS(2));
    /* A reader behind the waiting writer (held back only under writer
     * preference) must get in once that writer gives up. */
    struct op r = {&l, 0, GREEN_NEVER, 0, 0};
    green_t tr = green_spawn(lock_hold_unlock, &r, NULL);
    void *res;
    green_join(tw, &res, GREEN_NEVER);
    ck_assert_int_eq((intptr_t)res, -ETIMEDOUT);
    ck_assert_time(green_now(), d, d, MS(20));
    green_join(tr, &res, GREEN_NEVER);  /* while we still hold a read lock */
    ck_assert_int_eq((intptr_t)res, 0);
    ck_assert_int_eq(green__rwlock_unlock(&l), 0);
    /* A reader times out behind a writer. */
    ck_assert_int_eq(green__rwlock_wrlock(&l, GREEN_NEVER, 0), 0);
    struct op r2 = {&l, 0, green_now() + MS(10), 0, 0};
    tr = green_spawn(lock_hold_unlock, &r2, NULL);
    green_join(tr, &res, GREEN_NEVER);
    ck_assert_int_eq((intptr_t)res, -ETIMEDOUT);
    ck_assert_int_eq(green__rwlock_unlock(&l), 0);
    ck_assert_int_eq(green__rwlock_destroy(&l), 0);
}
END_TEST

START_TEST(rwlock_kill_and_nocancel)
{
    pthread_rwlock_t l = PTHREAD_RWLOCK_INITIALIZER;
    ck_assert_int_eq(green__rwlock_wrlock(&l, GREEN_NEVER, 0), 0);
    struct op r = {&l, 0, GREEN_NEVER, 0, 0}, w = {&l, 1, GREEN_NEVER, 0, 0};
    struct op rn = {&l, 0, GREEN_NEVER, GREEN__NOCANCEL, 0};
    struct op wn = {&l, 1, GREEN_NEVER, GREEN__NOCANCEL, 0};
    green_t t[4] = {green_spawn(lock_hold_unlock, &r, NULL),
                    green_spawn(lock_hold_unlock, &w, NULL),
                    green_spawn(lock_hold_unlock, &rn, NULL),
                    green_spawn(lock_hold_unlock, &wn, NULL)};
    green_sleep(MS(2));
    for (int i = 0; i < 4; i++)
        green_kill(t[i]);
    void *res;
    green_join(t[0], &res, GREEN_NEVER);
    ck_assert_int_eq((intptr_t)res, -ECANCELED);
    green_join(t[1], &res, GREEN_NEVER);
    ck_assert_int_eq((intptr_t)res, -ECANCELED);
    green_sleep(MS(5));
    ck_assert_int_eq(atomic_load(&rn.done) + atomic_load(&wn.done), 0);
    ck_assert_int_eq(green__rwlock_unlock(&l), 0);
    green_join(t[2], &res, GREEN_NEVER);
    ck_assert_int_eq((intptr_t)res, 0);
    green_join(t[3], &res, GREEN_NEVER);
    ck_assert_int_eq((intptr_t)res, 0);
}
END_TEST

/* Readers overlap, across OS threads. */
static pthread_rwlock_t rl = PTHREAD_RWLOCK_INITIALIZER;
static atomic_int readers, max_readers, writers;
static long a, b;  /* a writer bumps both; readers must see them equal */

static void *reader_sleeps(void *arg)
{
    (void)arg;
    ck_assert_int_eq(green__rwlock_rdlock(&rl, GREEN_NEVER, 0), 0);
    int n = atomic_fetch_add(&readers, 1) + 1;
    for (int m = atomic_load(&max_readers); n > m &&
         !atomic_compare_exchange_weak(&max_readers, &m, n);)
        ;
    green_sleep(MS(30));
    atomic_fetch_sub(&readers, 1);
    ck_assert_int_eq(green__rwlock_unlock(&rl), 0);
    return NULL;
}

START_TEST(rwlock_readers_overlap)
{
    struct harness_crew c = {reader_sleeps, NULL, 4};
    pthread_t t[4];
    int64_t t0 = green_now();
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, harness_crew_main, &c);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    /* 16 readers of 30 ms each: serial would take 480 ms. */
    ck_assert_int_ge(atomic_load(&max_readers), 8);
    ck_assert_time(green_now() - t0, MS(30), MS(30), MS(250));
}
END_TEST

enum { ITERS = 2000 };

static void *mixed(void *arg)
{
    (void)arg;
    for (int i = 0; i < ITERS; i++) {
        if (i % 4 == 0) {
            ck_assert_int_eq(green__rwlock_wrlock(&rl, GREEN_NEVER, 0), 0);
            ck_assert_int_eq(atomic_fetch_add(&writers, 1), 0);
            ck_assert_int_eq(atomic_load(&readers), 0);
            a++;
            if (i % 32 == 0)
                green_yield();
            b++;
            atomic_fetch_sub(&writers, 1);
        } else {
            ck_assert_int_eq(green__rwlock_rdlock(&rl, GREEN_NEVER, 0), 0);
            atomic_fetch_add(&readers, 1);
            ck_assert_int_eq(atomic_load(&writers), 0);
            ck_assert_int_eq(a, b);
            if (i % 16 == 1)
                green_yield();
            atomic_fetch_sub(&readers, 1);
        }
        ck_assert_int_eq(green__rwlock_unlock(&rl), 0);
    }
    return NULL;
}

START_TEST(rwlock_writers_exclude_across_os_threads)
{
    ck_assert_int_eq(green__rwlock_init(&rl, _i ? 2 : 0), 0);
    struct harness_crew c = {mixed, NULL, 4};
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, harness_crew_main, &c);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    ck_assert_int_eq(a, 16 * ITERS / 4);
    ck_assert_int_eq(a, b);
    ck_assert_int_eq(green__rwlock_destroy(&rl), 0);
    ck_assert_int_eq(*(uint32_t *)(void *)&rl & 0x9fffffffu, 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("rwlock");
    TCase *tc = tcase_create("semantics");
    tcase_add_test(tc, rwlock_basic_and_errors);
    tcase_add_test(tc, rwlock_reader_overflow);
    tcase_add_test(tc, rwlock_glibc_objects);
    tcase_add_test(tc, rwlock_reader_preference);
    tcase_add_test(tc, rwlock_writer_preference);
    tcase_add_loop_test(tc, rwlock_deadlines, 0, 2);
    tcase_add_test(tc, rwlock_kill_and_nocancel);
    suite_add_tcase(s, tc);
    tc = tcase_create("contention");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, rwlock_readers_overlap);
    tcase_add_loop_test(tc, rwlock_writers_exclude_across_os_threads, 0, 2);
    suite_add_tcase(s, tc);
    return harness_run(s);
}
