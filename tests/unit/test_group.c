/* Groups and pools: gather in spawn order, wait_any in end order, the
 * pool's bound on concurrency, spawn deadlines, kill all, misuse. */
#include <errno.h>
#include <stdint.h>

#include "green.h"
#include "harness.h"

static void *sleep_ms_return(void *arg)
{
    green_sleep(MS((intptr_t)arg));
    return arg;
}

START_TEST(group_gather_in_spawn_order)
{
    green_group_t g = green_group_make(0);
    intptr_t ms[] = {30, 10, 20, 5};
    for (int i = 0; i < 4; i++)
        ck_assert_ptr_nonnull(green_group_spawn(g, sleep_ms_return,
                                                (void *)ms[i], NULL,
                                                GREEN_NEVER));
    ck_assert_uint_eq(green_group_size(g), 4);
    void *res[4];
    int64_t t0 = green_now();
    ck_assert_int_eq(green_group_gather(g, res, 4, GREEN_NEVER), 4);
    ck_assert_time(green_now() - t0, MS(30), MS(30), MS(30));  /* concurrent */
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq((intptr_t)res[i], ms[i]);
    ck_assert_uint_eq(green_group_size(g), 0);
    ck_assert_int_eq(green_group_free(g), 0);
}
END_TEST

START_TEST(group_wait_any_in_end_order)
{
    green_group_t g = green_group_make(0);
    intptr_t ms[] = {30, 10, 20};
    uint64_t ids[3];
    for (int i = 0; i < 3; i++)
        ids[i] = green_id(green_group_spawn(g, sleep_ms_return, (void *)ms[i],
                                            NULL, GREEN_NEVER));
    uint64_t id;
    void *r;
    ck_assert_int_eq(green_group_wait_any(g, &id, &r, GREEN_NEVER), 0);
    ck_assert_uint_eq(id, ids[1]);
    ck_assert_int_eq((intptr_t)r, 10);
    ck_assert_int_eq(green_group_wait_any(g, &id, &r, GREEN_NEVER), 0);
    ck_assert_uint_eq(id, ids[2]);
    ck_assert_int_eq(green_group_wait_any(g, &id, &r, green_now() + MS(1)), -1);
    ck_assert_int_eq(errno, ETIMEDOUT);
    ck_assert_int_eq(green_group_free(g), -1);
    ck_assert_int_eq(errno, EBUSY);
    ck_assert_int_eq(green_group_wait_any(g, &id, &r, GREEN_NEVER), 0);
    ck_assert_uint_eq(id, ids[0]);
    ck_assert_int_eq(green_group_wait_any(g, &id, &r, GREEN_NEVER), -1);
    ck_assert_int_eq(errno, ENOENT);
    green_group_free(g);
}
END_TEST

static int running, peak;

static void *counted(void *arg)
{
    running++;
    if (running > peak)
        peak = running;
    green_sleep(MS(2));
    running--;
    return arg;
}

START_TEST(group_pool_bounds_concurrency)
{
    green_group_t pool = green_group_make(3);
    for (intptr_t i = 0; i < 20; i++)
        ck_assert_ptr_nonnull(green_group_spawn(pool, counted, (void *)i,
                                                NULL, GREEN_NEVER));
    void *res[20];
    ck_assert_int_eq(green_group_gather(pool, res, 20, GREEN_NEVER), 20);
    ck_assert_int_eq(peak, 3);
    for (intptr_t i = 0; i < 20; i++)
        ck_assert_int_eq((intptr_t)res[i], i);
    green_group_free(pool);
}
END_TEST

START_TEST(group_pool_spawn_deadline)
{
    green_group_t pool = green_group_make(1);
    green_group_spawn(pool, sleep_ms_return, (void *)50, NULL, GREEN_NEVER);
    int64_t t0 = green_now();
    ck_assert_ptr_null(green_group_spawn(pool, sleep_ms_return, (void *)1,
                                         NULL, t0 + MS(10)));
    ck_assert_int_eq(errno, ETIMEDOUT);
    ck_assert_time(green_now() - t0, MS(10), MS(10), MS(30));
    ck_assert_ptr_nonnull(green_group_spawn(pool, sleep_ms_return, (void *)1,
                                            NULL, GREEN_NEVER));
    ck_assert_time(green_now() - t0, MS(50), MS(50), MS(50));
    ck_assert_int_eq(green_group_gather(pool, NULL, 0, GREEN_NEVER), 2);
    green_group_free(pool);
}
END_TEST

static void *sleep_until_killed(void *arg)
{
    (void)arg;
    return (void *)(intptr_t)(green_sleep(MS(10000)) < 0 ? errno : 0);
}

START_TEST(group_kill_all)
{
    green_group_t g = green_group_make(0);
    for (int i = 0; i < 5; i++)
        green_group_spawn(g, sleep_until_killed, NULL, NULL, GREEN_NEVER);
    green_yield();
    ck_assert_int_eq(green_group_kill(g), 5);
    void *res[5];
    int64_t t0 = green_now();
    ck_assert_int_eq(green_group_gather(g, res, 5, GREEN_NEVER), 5);
    ck_assert_int_lt(green_now() - t0, MS(500));
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq((intptr_t)res[i], ECANCELED);
    ck_assert_int_eq(green_group_kill(g), 0);
    green_group_free(g);
}
END_TEST

START_TEST(group_gather_deadline_collects_nothing)
{
    green_group_t g = green_group_make(0);
    green_group_spawn(g, sleep_ms_return, (void *)1, NULL, GREEN_NEVER);
    green_group_spawn(g, sleep_ms_return, (void *)40, NULL, GREEN_NEVER);
    ck_assert_int_eq(green_group_gather(g, NULL, 0, green_now() + MS(10)), -1);
    ck_assert_int_eq(errno, ETIMEDOUT);
    ck_assert_uint_eq(green_group_size(g), 2);
    ck_assert_int_eq(green_group_gather(g, NULL, 0, GREEN_NEVER), 2);
    green_group_free(g);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("group");
    TCase *tc = tcase_create("basic");
    tcase_add_test(tc, group_gather_in_spawn_order);
    tcase_add_test(tc, group_wait_any_in_end_order);
    tcase_add_test(tc, group_pool_bounds_concurrency);
    tcase_add_test(tc, group_pool_spawn_deadline);
    tcase_add_test(tc, group_kill_all);
    tcase_add_test(tc, group_gather_deadline_collects_nothing);
    suite_add_tcase(s, tc);
    return harness_run(s);
}
