/* green_kill and green_timeout scopes: which calls fail, when, once, and
 * across OS threads; spawn_later. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <unistd.h>

#include "green.h"
#include "harness.h"

static void *sleep_report(void *arg)
{
    int64_t t0 = green_now();
    int r = green_sleep((int64_t)(intptr_t)arg);
    int e = errno;
    /* Delivered once: cleanup may block again. */
    int again = green_sleep(MS(1));
    ck_assert_int_eq(again, 0);
    return (void *)(intptr_t)(r < 0 ? -e : (green_now() - t0) / 1000000);
}

START_TEST(cancel_kill_wakes_sleeper_once)
{
    green_t t = green_spawn(sleep_report, (void *)(intptr_t)MS(5000), NULL);
    green_sleep(MS(5));
    int64_t t0 = green_now();
    ck_assert_int_eq(green_kill(t), 0);
    void *r;
    green_join(t, &r, GREEN_NEVER);
    ck_assert_int_eq((intptr_t)r, -ECANCELED);
    ck_assert_int_lt(green_now() - t0, MS(100));
}
END_TEST

static void *busy_then_sleep(void *arg)
{
    (void)arg;
    green_yield();  /* killed while ready, not parked */
    int r = green_sleep(MS(1000));
    return (void *)(intptr_t)(r < 0 ? -errno : 0);
}

START_TEST(cancel_kill_before_blocking)
{
    green_t t = green_spawn(busy_then_sleep, NULL, NULL);
    green_kill(t);
    void *r;
    green_join(t, &r, GREEN_NEVER);
    ck_assert_int_eq((intptr_t)r, -ECANCELED);
}
END_TEST

static void *join_target(void *arg)
{
    int r = green_join((green_t)arg, NULL, GREEN_NEVER);
    return (void *)(intptr_t)(r < 0 ? -errno : 0);
}

START_TEST(cancel_kill_joiner_leaves_target_joinable)
{
    green_t target = green_spawn(sleep_report, (void *)(intptr_t)MS(30), NULL);
    green_t joiner = green_spawn(join_target, target, NULL);
    green_sleep(MS(5));
    green_kill(joiner);
    void *r;
    green_join(joiner, &r, GREEN_NEVER);
    ck_assert_int_eq((intptr_t)r, -ECANCELED);
    ck_assert_int_eq(green_join(target, &r, GREEN_NEVER), 0);
    ck_assert_int_ge((intptr_t)r, 30);
}
END_TEST

static green_t victim;

static void *kill_from_other_os_thread(void *arg)
{
    (void)arg;
    usleep(10000);
    green_kill(victim);
    return NULL;
}

START_TEST(cancel_kill_across_os_threads)
{
    victim = green_spawn(sleep_report, (void *)(intptr_t)MS(5000), NULL);
    pthread_t p;
    pthread_create(&p, NULL, kill_from_other_os_thread, NULL);
    void *r;
    green_join(victim, &r, GREEN_NEVER);
    pthread_join(p, NULL);
    ck_assert_int_eq((intptr_t)r, -ECANCELED);
}
END_TEST

START_TEST(cancel_kill_ended_is_noop)
{
    green_t t = green_spawn(sleep_report, (void *)(intptr_t)0, NULL);
    green_sleep(MS(5));
    ck_assert_int_eq(green_kill(t), 0);
    ck_assert_int_eq(green_join(t, NULL, GREEN_NEVER), 0);
}
END_TEST

START_TEST(timeout_scope_bounds_sleep)
{
    green_timeout_t to;
    int64_t t0 = green_now();
    ck_assert_int_eq(green_timeout_start(&to, MS(20)), 0);
    ck_assert_int_eq(green_sleep(MS(1000)), -1);
    ck_assert_int_eq(errno, ETIMEDOUT);
    ck_assert_time(green_now() - t0, MS(20), MS(20), MS(30));
    /* Still expired: the next blocking call fails at once. */
    ck_assert_int_eq(green_sleep(MS(1000)), -1);
    ck_assert_int_eq(green_timeout_cancel(&to), 1);
    /* Outside the scope, calls wait normally. */
    ck_assert_int_eq(green_sleep(MS(1)), 0);
}
END_TEST

START_TEST(timeout_scope_unexpired_and_misuse)
{
    green_timeout_t a, b;
    ck_assert_int_eq(green_timeout_start(&a, MS(1000)), 0);
    ck_assert_int_eq(green_sleep(MS(2)), 0);
    ck_assert_int_eq(green_timeout_start(&b, MS(10)), 0);
    ck_assert_int_eq(green_timeout_cancel(&a), -1);  /* not innermost */
    ck_assert_int_eq(errno, EINVAL);
    int64_t t0 = green_now();
    ck_assert_int_eq(green_sleep(MS(1000)), -1);  /* inner scope wins */
    ck_assert_int_lt(green_now() - t0, MS(500));
    ck_assert_int_eq(green_timeout_cancel(&b), 1);
    ck_assert_int_eq(green_timeout_cancel(&a), 0);
    ck_assert_int_eq(green_timeout_start(&a, -1), -1);
    ck_assert_int_eq(errno, EINVAL);
}
END_TEST

START_TEST(timeout_scope_bounds_fd_wait_and_join)
{
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    green_timeout_t to;
    green_timeout_start(&to, MS(15));
    ck_assert_int_eq(green_wait_fd(p[0], GREEN_IN, GREEN_NEVER), -1);
    ck_assert_int_eq(errno, ETIMEDOUT);
    green_t t = green_spawn(sleep_report, (void *)(intptr_t)MS(100), NULL);
    ck_assert_int_eq(green_join(t, NULL, GREEN_NEVER), -1);
    ck_assert_int_eq(errno, ETIMEDOUT);
    green_timeout_cancel(&to);
    ck_assert_int_eq(green_join(t, NULL, GREEN_NEVER), 0);
}
END_TEST

static void *stamp(void *arg)
{
    *(int64_t *)arg = green_now();
    return arg;
}

START_TEST(spawn_later_starts_after_delay)
{
    int64_t ran = 0, t0 = green_now();
    green_t t = green_spawn_later(MS(20), stamp, &ran, NULL);
    void *r;
    green_join(t, &r, GREEN_NEVER);
    ck_assert_ptr_eq(r, &ran);
    ck_assert_time(ran - t0, MS(20), MS(20), MS(30));
    ran = 0;
    t = green_spawn_later(MS(1000), stamp, &ran, NULL);
    green_sleep(MS(2));
    green_kill(t);
    green_join(t, &r, GREEN_NEVER);
    ck_assert_ptr_null(r);
    ck_assert_int_eq(ran, 0);  /* never ran */
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cancel");
    TCase *tc = tcase_create("kill");
    tcase_add_test(tc, cancel_kill_wakes_sleeper_once);
    tcase_add_test(tc, cancel_kill_before_blocking);
    tcase_add_test(tc, cancel_kill_joiner_leaves_target_joinable);
    tcase_add_test(tc, cancel_kill_across_os_threads);
    tcase_add_test(tc, cancel_kill_ended_is_noop);
    tcase_add_test(tc, spawn_later_starts_after_delay);
    suite_add_tcase(s, tc);
    tc = tcase_create("timeout");
    tcase_add_test(tc, timeout_scope_bounds_sleep);
    tcase_add_test(tc, timeout_scope_unexpired_and_misuse);
    tcase_add_test(tc, timeout_scope_bounds_fd_wait_and_join);
    suite_add_tcase(s, tc);
    return harness_run(s);
}
