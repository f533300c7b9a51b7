/* Spinlocks: basics, a holder that is a green thread of the same OS
 * thread (the spinner must yield to it), and exclusion across OS threads. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "green.h"
#include "harness.h"
#include "spin.h"

START_TEST(spin_basics)
{
    pthread_spinlock_t l;
    ck_assert_int_eq(pthread_spin_init(&l, 0), 0);  /* glibc's */
    ck_assert_int_eq(green__spin_lock(&l), 0);
    ck_assert_int_eq(green__spin_trylock(&l), -EBUSY);
    ck_assert_int_eq(pthread_spin_trylock(&l), EBUSY);  /* same protocol */
    ck_assert_int_eq(green__spin_unlock(&l), 0);
    ck_assert_int_eq(green__spin_trylock(&l), 0);
    ck_assert_int_eq(green__spin_unlock(&l), 0);
    /* glibc's functions on our object, and ours on theirs. */
    ck_assert_int_eq(green__spin_init(&l), 0);
    ck_assert_int_eq(pthread_spin_lock(&l), 0);
    ck_assert_int_eq(green__spin_trylock(&l), -EBUSY);
    ck_assert_int_eq(pthread_spin_unlock(&l), 0);
    ck_assert_int_eq(green__spin_lock(&l), 0);
    ck_assert_int_eq(pthread_spin_trylock(&l), EBUSY);
    ck_assert_int_eq(green__spin_unlock(&l), 0);
    ck_assert_int_eq(pthread_spin_trylock(&l), 0);
    ck_assert_int_eq(pthread_spin_unlock(&l), 0);
    ck_assert_int_eq(green__spin_destroy(&l), 0);
}
END_TEST

static pthread_spinlock_t sl;

static void *hold_sleeping(void *arg)
{
    (void)arg;
    ck_assert_int_eq(green__spin_lock(&sl), 0);
    green_sleep(MS(10));  /* parked, holding it */
    ck_assert_int_eq(green__spin_unlock(&sl), 0);
    return NULL;
}

START_TEST(spin_holder_on_same_os_thread)
{
    green__spin_init(&sl);
    green_t h = green_spawn(hold_sleeping, NULL, NULL);
    green_yield();
    int64_t t0 = green_now();
    ck_assert_int_eq(green__spin_lock(&sl), 0);  /* hangs if it spins */
    ck_assert_int_ge(green_now() - t0, MS(5));
    green__spin_unlock(&sl);
    green_join(h, NULL, GREEN_NEVER);
}
END_TEST

enum { OS = 4, GREENS = 4, ITERS = 5000 };
static long counter;
static atomic_int inside;

static void *hammer(void *arg)
{
    (void)arg;
    for (int i = 0; i < ITERS; i++) {
        green__spin_lock(&sl);
        ck_assert_int_eq(atomic_fetch_add(&inside, 1), 0);
        long v = counter;
        if (i % 64 == 0)
            green_yield();  /* hold it across a switch now and then */
        counter = v + 1;
        atomic_fetch_sub(&inside, 1);
        green__spin_unlock(&sl);
    }
    return NULL;
}

static void *crew_main(void *arg)
{
    (void)arg;
    green_t g[GREENS];
    for (int i = 0; i < GREENS; i++)
        g[i] = green_spawn(hammer, NULL, NULL);
    for (int i = 0; i < GREENS; i++)
        ck_assert_int_eq(green_join(g[i], NULL, GREEN_NEVER), 0);
    return NULL;
}

START_TEST(spin_exclusion_across_os_threads)
{
    green__spin_init(&sl);
    pthread_t t[OS + 1];
    for (int i = 0; i < OS; i++)
        pthread_create(&t[i], NULL, crew_main, NULL);
    pthread_create(&t[OS], NULL, hammer, NULL);  /* a plain OS thread */
    for (int i = 0; i <= OS; i++)
        pthread_join(t[i], NULL);
    ck_assert_int_eq(counter, (long)(OS * GREENS + 1) * ITERS);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("spin");
    TCase *tc = tcase_create("spin");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, spin_basics);
    tcase_add_test(tc, spin_holder_on_same_os_thread);
    tcase_add_test(tc, spin_exclusion_across_os_threads);
    suite_add_tcase(s, tc);
    return harness_run(s);
}
