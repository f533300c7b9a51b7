/* Run-once: fn runs exactly once under concurrent callers from green
 * threads of several OS threads and plain OS threads; every caller returns
 * only after it finished; glibc's initializer and "done" value; waiters
 * that a kill does not interrupt. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <threads.h>

#include "green.h"
#include "harness.h"
#include "once.h"

static pthread_once_t once = PTHREAD_ONCE_INIT;
static atomic_int runs, finished;

static void slow_init(void)
{
    atomic_fetch_add(&runs, 1);
    green_sleep(MS(20));  /* let the other callers pile up */
    atomic_store(&finished, 1);
}

static void *caller(void *arg)
{
    (void)arg;
    ck_assert_int_eq(green__once(&once, slow_init), 0);
    ck_assert_int_eq(atomic_load(&finished), 1);
    return NULL;
}

static void *crew_main(void *arg)
{
    (void)arg;
    green_t g[8];
    for (int i = 0; i < 8; i++)
        g[i] = green_spawn(caller, NULL, NULL);
    for (int i = 0; i < 8; i++)
        ck_assert_int_eq(green_join(g[i], NULL, GREEN_NEVER), 0);
    return NULL;
}

START_TEST(once_exactly_once_across_os_threads)
{
    pthread_t t[6];
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, crew_main, NULL);
    for (int i = 4; i < 6; i++)
        pthread_create(&t[i], NULL, caller, NULL);  /* plain OS threads */
    for (int i = 0; i < 6; i++)
        pthread_join(t[i], NULL);
    ck_assert_int_eq(atomic_load(&runs), 1);
    ck_assert_int_eq(*(int *)&once, GREEN__ONCE_DONE);  /* glibc's "done" */
    ck_assert_int_eq(green__once(&once, slow_init), 0);
    ck_assert_int_eq(atomic_load(&runs), 1);
}
END_TEST

static void count_arg(void *arg)
{
    atomic_fetch_add((atomic_int *)arg, 1);
}

static void never(void)
{
    ck_abort_msg("ran a done once");
}

static void nothing(void)
{
}

START_TEST(once_arg_and_glibc_done)
{
    uint32_t flag = 0;
    atomic_int n = 0;
    ck_assert_int_eq(green__once_arg(&flag, count_arg, &n), 0);
    ck_assert_int_eq(green__once_arg(&flag, count_arg, &n), 0);
    ck_assert_int_eq(n, 1);
    ck_assert_int_eq(flag, GREEN__ONCE_DONE);
    /* Done by glibc's own pthread_once, and C11's call_once flag. */
    pthread_once_t g = PTHREAD_ONCE_INIT;
    pthread_once(&g, nothing);
    ck_assert_int_eq(green__once(&g, never), 0);
    once_flag cf = ONCE_FLAG_INIT;
    ck_assert_int_eq(sizeof cf, 4);
    ck_assert_int_eq(green__once_arg((uint32_t *)(void *)&cf, count_arg, &n),
                     0);
    ck_assert_int_eq(n, 2);
}
END_TEST

static pthread_once_t once2 = PTHREAD_ONCE_INIT;
static atomic_int release_init;

static void gated_init(void)
{
    while (!atomic_load(&release_init))
        green_sleep(MS(1));
    atomic_store(&finished, 1);
}

/* Reports 1 if fn had finished when once returned, plus 10 if a kill is
 * still pending then (the next blocking call fails with ECANCELED). */
static void *gated_caller(void *arg)
{
    (void)arg;
    green__once(&once2, gated_init);
    int r = atomic_load(&finished);
    if (green_sleep(MS(1)) < 0 && errno == ECANCELED)
        r += 10;
    return (void *)(intptr_t)r;
}

START_TEST(once_waiter_not_killable)
{
    green_t runner = green_spawn(gated_caller, NULL, NULL);
    green_t waiter = green_spawn(gated_caller, NULL, NULL);
    green_sleep(MS(5));
    green_kill(waiter);
    green_sleep(MS(5));
    atomic_store(&release_init, 1);
    void *r;
    green_join(waiter, &r, GREEN_NEVER);
    ck_assert_int_eq((intptr_t)r, 11);  /* after fn; the kill kept */
    green_join(runner, &r, GREEN_NEVER);
    ck_assert_int_eq((intptr_t)r, 1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("once");
    TCase *tc = tcase_create("once");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, once_exactly_once_across_os_threads);
    tcase_add_test(tc, once_arg_and_glibc_done);
    tcase_add_test(tc, once_waiter_not_killable);
    suite_add_tcase(s, tc);
    return harness_run(s);
}
