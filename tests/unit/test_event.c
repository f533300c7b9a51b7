/* Events: wait returns at once while set, set wakes every waiter on every
 * OS thread (also when cleared again at once), deadlines and kill. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "futex.h"
#include "green.h"
#include "harness.h"

START_TEST(event_set_clear_wait)
{
    green_event_t e = GREEN_EVENT_INIT;
    ck_assert(!green_event_is_set(&e));
    int64_t d = green_now() + MS(15);
    ck_assert_int_eq(green_event_wait(&e, d), -1);
    ck_assert_int_eq(errno, ETIMEDOUT);
    ck_assert_time(green_now(), d, d, MS(20));
    green_event_set(&e);
    ck_assert(green_event_is_set(&e));
    ck_assert_int_eq(green_event_wait(&e, GREEN_NEVER), 0);
    ck_assert_int_eq(green_event_wait(&e, green_now() - 1), 0);
    green_event_set(&e);
    green_event_clear(&e);
    ck_assert(!green_event_is_set(&e));
    ck_assert_int_eq(green_event_wait(&e, green_now() + MS(1)), -1);
    ck_assert_int_eq(errno, ETIMEDOUT);
}
END_TEST

static green_event_t ev = GREEN_EVENT_INIT;
static atomic_int woken;

static void *waiter(void *arg)
{
    (void)arg;
    int r = green_event_wait(&ev, GREEN_NEVER);
    if (r == 0)
        atomic_fetch_add(&woken, 1);
    return (void *)(intptr_t)(r ? -errno : 0);
}

static void *crew_main(void *arg)
{
    (void)arg;
    green_t g[4];
    for (int i = 0; i < 4; i++)
        g[i] = green_spawn(waiter, NULL, NULL);
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(green_join(g[i], NULL, GREEN_NEVER), 0);
    return NULL;
}

START_TEST(event_set_wakes_all_even_if_cleared)
{
    pthread_t t[3];
    for (int i = 0; i < 3; i++)
        pthread_create(&t[i], NULL, crew_main, NULL);
    while (green__futex_waiters(
               (const volatile uint32_t *)(void *)&ev.state_) < 12)
        green_sleep(MS(1));
    green_event_set(&ev);
    green_event_clear(&ev);  /* before any waiter ran */
    for (int i = 0; i < 3; i++)
        pthread_join(t[i], NULL);
    ck_assert_int_eq(atomic_load(&woken), 12);
}
END_TEST

START_TEST(event_kill)
{
    green_t t = green_spawn(waiter, NULL, NULL);
    green_sleep(MS(2));
    green_kill(t);
    void *r;
    green_join(t, &r, GREEN_NEVER);
    ck_assert_int_eq((intptr_t)r, -ECANCELED);
    ck_assert_int_eq(atomic_load(&woken), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("event");
    TCase *tc = tcase_create("event");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, event_set_clear_wait);
    tcase_add_test(tc, event_set_wakes_all_even_if_cleared);
    tcase_add_test(tc, event_kill);
    suite_add_tcase(s, tc);
    return harness_run(s);
}
