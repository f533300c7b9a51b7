/* Per-green-thread keys: isolation, destructors and their rounds, delete,
 * and invalid keys. */
#include <errno.h>
#include <stdint.h>

#include "green.h"
#include "harness.h"

static green_key_t key, key2;
static int destroyed[8];

static void dtor(void *v)
{
    destroyed[(intptr_t)v]++;
}

static void *set_and_check(void *arg)
{
    ck_assert_ptr_null(green_getspecific(key));
    green_setspecific(key, arg);
    green_yield();  /* the other thread sets its own value meanwhile */
    ck_assert_ptr_eq(green_getspecific(key), arg);
    return NULL;
}

START_TEST(key_values_per_thread)
{
    ck_assert_int_eq(green_key_create(&key, dtor), 0);
    green_t a = green_spawn(set_and_check, (void *)1, NULL);
    green_t b = green_spawn(set_and_check, (void *)2, NULL);
    green_join(a, NULL, GREEN_NEVER);
    green_join(b, NULL, GREEN_NEVER);
    ck_assert_int_eq(destroyed[1], 1);
    ck_assert_int_eq(destroyed[2], 1);
    ck_assert_ptr_null(green_getspecific(key));  /* main never set it */
}
END_TEST

/* A destructor that sets a value again gets another round, up to 4. */
static int rounds;

static void resetting(void *v)
{
    rounds++;
    green_setspecific(key2, v);
}

static void *sets_resetting(void *arg)
{
    green_setspecific(key2, arg);
    return NULL;
}

START_TEST(key_destructor_rounds)
{
    ck_assert_int_eq(green_key_create(&key2, resetting), 0);
    green_join(green_spawn(sets_resetting, (void *)3, NULL), NULL,
               GREEN_NEVER);
    ck_assert_int_eq(rounds, 4);
}
END_TEST

START_TEST(key_delete_and_reuse)
{
    green_key_t k;
    ck_assert_int_eq(green_key_create(&k, NULL), 0);
    ck_assert_int_eq(green_setspecific(k, (void *)5), 0);
    ck_assert_int_eq(green_key_delete(k), 0);
    ck_assert_ptr_null(green_getspecific(k));
    ck_assert_int_eq(green_setspecific(k, (void *)5), -1);
    ck_assert_int_eq(errno, EINVAL);
    ck_assert_int_eq(green_key_delete(k), -1);
    ck_assert_int_eq(errno, EINVAL);
    green_key_t again;
    ck_assert_int_eq(green_key_create(&again, NULL), 0);
    ck_assert_uint_eq(again, k);  /* slot reused, old value not visible */
    ck_assert_ptr_null(green_getspecific(again));
}
END_TEST

START_TEST(key_exhaustion_and_bounds)
{
    green_key_t k;
    int made = 0;
    while (green_key_create(&k, NULL) == 0)
        made++;
    ck_assert_int_eq(errno, EAGAIN);
    ck_assert_int_eq(made, GREEN_KEYS_MAX);
    ck_assert_ptr_null(green_getspecific(GREEN_KEYS_MAX + 5));
    ck_assert_int_eq(green_setspecific(GREEN_KEYS_MAX, NULL), -1);
    ck_assert_int_eq(errno, EINVAL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("key");
    TCase *tc = tcase_create("basic");
    tcase_add_test(tc, key_values_per_thread);
    tcase_add_test(tc, key_destructor_rounds);
    tcase_add_test(tc, key_delete_and_reuse);
    tcase_add_test(tc, key_exhaustion_and_bounds);
    suite_add_tcase(s, tc);
    return harness_run(s);
}
