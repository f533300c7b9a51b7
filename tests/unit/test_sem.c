/* Semaphores: counts and errors, glibc's sem_t layout both ways, deadlines,
 * kill and the uninterruptible mode, waiter accounting, and exact totals
 * with posters and waiters on several OS threads. */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdint.h>

#include "green.h"
#include "harness.h"
#include "sem.h"
#include "wait.h"

static uint32_t word_at(const void *p, int i)
{
    return atomic_load((_Atomic uint32_t *)(void *)((char *)p + 4 * i));
}

START_TEST(sem_counts_and_errors)
{
    green_sem_t s;
    ck_assert_int_eq(green_sem_init(&s, 2), 0);
    ck_assert_int_eq(green_sem_trywait(&s), 0);
    ck_assert_int_eq(green_sem_wait(&s, GREEN_NEVER), 0);
    ck_assert_int_eq(green_sem_trywait(&s), -1);
    ck_assert_int_eq(errno, EAGAIN);
    ck_assert_int_eq(green_sem_post(&s), 0);
    int v = -1;
    ck_assert_int_eq(green_sem_getvalue(&s, &v), 0);
    ck_assert_int_eq(v, 1);
    ck_assert_int_eq(word_at(&s, 1), 0);  /* post found no waiter */
    ck_assert_int_eq(green_sem_destroy(&s), 0);
    ck_assert_int_eq(green_sem_init(&s, (unsigned)GREEN_SEM_VALUE_MAX + 1),
                     -1);
    ck_assert_int_eq(errno, EINVAL);
    ck_assert_int_eq(green_sem_init(&s, GREEN_SEM_VALUE_MAX), 0);
    ck_assert_int_eq(green_sem_post(&s), -1);
    ck_assert_int_eq(errno, EOVERFLOW);
    ck_assert_int_eq(green_sem_getvalue(&s, &v), 0);
    ck_assert_int_eq(v, GREEN_SEM_VALUE_MAX);
}
END_TEST

START_TEST(sem_glibc_layout_both_ways)
{
    sem_t g;
    ck_assert_int_eq(sem_init(&g, 0, 3), 0);  /* glibc's */
    ck_assert(!green__sem_is_foreign(&g));
    ck_assert_int_eq(green__sem_wait(&g, GREEN_NEVER, 0), 0);
    ck_assert_int_eq(green__sem_trywait(&g), 0);
    ck_assert_int_eq(green__sem_post(&g), 0);
    int v;
    ck_assert_int_eq(sem_getvalue(&g, &v), 0);
    ck_assert_int_eq(v, 2);
    sem_t o;
    ck_assert_int_eq(green__sem_init(&o, 5), 0);
    ck_assert_int_eq(sem_trywait(&o), 0);
    ck_assert_int_eq(sem_post(&o), 0);
    ck_assert_int_eq(sem_post(&o), 0);
    ck_assert_int_eq(green__sem_getvalue(&o, &v), 0);
    ck_assert_int_eq(v, 6);
    ck_assert_int_eq(sem_init(&g, 1, 0), 0);
    ck_assert(green__sem_is_foreign(&g));
}
END_TEST

static void *wait_report(void *arg)
{
    return (void *)(intptr_t)green__sem_wait(arg, GREEN_NEVER, 0);
}

static void *wait_nocancel(void *arg)
{
    return (void *)(intptr_t)green__sem_wait(arg, GREEN_NEVER,
                                             GREEN__NOCANCEL);
}

START_TEST(sem_deadline_kill_nocancel)
{
    sem_t s;
    green__sem_init(&s, 0);
    int64_t d = green_now() + MS(20);
    ck_assert_int_eq(green__sem_wait(&s, d, 0), -ETIMEDOUT);
    ck_assert_time(green_now(), d, d, MS(20));
    ck_assert_int_eq(green__sem_wait(&s, green_now() - 1, 0), -ETIMEDOUT);
    ck_assert_int_eq(word_at(&s, 1), 0);  /* the waiters left the count */
    green_t a = green_spawn(wait_report, &s, NULL);
    green_t b = green_spawn(wait_nocancel, &s, NULL);
    green_sleep(MS(2));
    ck_assert_int_eq(word_at(&s, 1), 2);
    green_kill(a);
    green_kill(b);
    void *r;
    green_join(a, &r, GREEN_NEVER);
    ck_assert_int_eq((intptr_t)r, -ECANCELED);
    green_sleep(MS(5));
    ck_assert_int_eq(word_at(&s, 1), 1);  /* b still waits */
    ck_assert_int_eq(green__sem_post(&s), 0);
    green_join(b, &r, GREEN_NEVER);
    ck_assert_int_eq((intptr_t)r, 0);
    int v;
    green__sem_getvalue(&s, &v);
    ck_assert_int_eq(v, 0);
}
END_TEST

START_TEST(sem_post_wakes_one_per_post)
{
    sem_t s;
    green__sem_init(&s, 0);
    green_t t[5];
    for (int i = 0; i < 5; i++)
        t[i] = green_spawn(wait_report, &s, NULL);
    green_sleep(MS(2));
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(green__sem_post(&s), 0);
    for (int i = 0; i < 5; i++) {
        void *r;
        green_join(t[i], &r, GREEN_NEVER);
        ck_assert_int_eq((intptr_t)r, 0);
    }
    int v;
    green__sem_getvalue(&s, &v);
    ck_assert_int_eq(v, 0);
    ck_assert_int_eq(word_at(&s, 1), 0);
}
END_TEST

/* Producers post, consumers wait: green threads on several OS threads and
 * plain OS threads. Every post is consumed exactly once. */
enum { OS = 4, GREENS = 4, PER = 3000 };
static sem_t items;
static atomic_long taken;

static void *poster(void *arg)
{
    (void)arg;
    for (int i = 0; i < PER; i++) {
        ck_assert_int_eq(green__sem_post(&items), 0);
        if (i % 64 == 0)
            green_yield();
    }
    return NULL;
}

static void *taker(void *arg)
{
    (void)arg;
    for (int i = 0; i < PER; i++) {
        ck_assert_int_eq(green__sem_wait(&items, GREEN_NEVER, 0), 0);
        atomic_fetch_add(&taken, 1);
    }
    return NULL;
}

struct crew { void *(*fn)(void *); int greens; };

static void *crew_main(void *p)
{
    struct crew *c = p;
    green_t g[32];
    for (int i = 0; i < c->greens; i++)
        g[i] = green_spawn(c->fn, NULL, NULL);
    for (int i = 0; i < c->greens; i++)
        ck_assert_int_eq(green_join(g[i], NULL, GREEN_NEVER), 0);
    return NULL;
}

START_TEST(sem_across_os_threads_exact)
{
    green__sem_init(&items, 0);
    struct crew p = {poster, GREENS}, q = {taker, GREENS};
    pthread_t t[2 * OS + 2];
    for (int i = 0; i < OS; i++) {
        pthread_create(&t[2 * i], NULL, crew_main, &q);
        pthread_create(&t[2 * i + 1], NULL, crew_main, &p);
    }
    pthread_create(&t[2 * OS], NULL, taker, NULL);
    pthread_create(&t[2 * OS + 1], NULL, poster, NULL);
    for (int i = 0; i < 2 * OS + 2; i++)
        pthread_join(t[i], NULL);
    ck_assert_int_eq(atomic_load(&taken), (long)(OS * GREENS + 1) * PER);
    int v;
    green__sem_getvalue(&items, &v);
    ck_assert_int_eq(v, 0);
    ck_assert_int_eq(word_at(&items, 1), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sem");
    TCase *tc = tcase_create("semantics");
    tcase_add_test(tc, sem_counts_and_errors);
    tcase_add_test(tc, sem_glibc_layout_both_ways);
    tcase_add_test(tc, sem_deadline_kill_nocancel);
    tcase_add_test(tc, sem_post_wakes_one_per_post);
    suite_add_tcase(s, tc);
    tc = tcase_create("contention");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, sem_across_os_threads_exact);
    suite_add_tcase(s, tc);
    return harness_run(s);
}
