/* The green futex: value check, wake counts and order, bitsets, requeue,
 * deadlines, kill, the uninterruptible mode, and no lost wake-ups with
 * waiters and wakers on several OS threads. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "futex.h"
#include "green.h"
#include "harness.h"
#include "wait.h"

static _Atomic uint32_t word;
static int order[8], norder;

static void *waits(void *arg)
{
    int r = green__futex_wait((uint32_t *)&word, 0, GREEN_NEVER,
                              GREEN__FUTEX_ALL, 0);
    order[norder++] = (int)(intptr_t)arg;
    return (void *)(intptr_t)r;
}

START_TEST(futex_value_mismatch_is_eagain)
{
    atomic_store(&word, 1);
    ck_assert_int_eq(green__futex_wait((uint32_t *)&word, 0, GREEN_NEVER,
                                       GREEN__FUTEX_ALL, 0), -EAGAIN);
    ck_assert_int_eq(green__futex_wait((uint32_t *)&word, 1, 0,
                                       GREEN__FUTEX_ALL, 0), -ETIMEDOUT);
    ck_assert_int_eq(green__futex_wait((uint32_t *)&word, 1, GREEN_NEVER, 0, 0),
                     -EINVAL);
}
END_TEST

START_TEST(futex_wake_counts_fifo)
{
    green_t t[4];
    for (int i = 0; i < 4; i++)
        t[i] = green_spawn(waits, (void *)(intptr_t)(i + 1), NULL);
    green_yield();
    ck_assert_int_eq(green__futex_waiters((uint32_t *)&word), 4);
    ck_assert_int_eq(green__futex_wake((uint32_t *)&word, 0, GREEN__FUTEX_ALL), 0);
    ck_assert_int_eq(green__futex_wake((uint32_t *)&word, 2, GREEN__FUTEX_ALL), 2);
    green_yield();
    ck_assert_int_eq(norder, 2);
    ck_assert_int_eq(order[0], 1);  /* oldest first */
    ck_assert_int_eq(order[1], 2);
    ck_assert_int_eq(green__futex_wake((uint32_t *)&word, 100, GREEN__FUTEX_ALL), 2);
    for (int i = 0; i < 4; i++) {
        void *r;
        green_join(t[i], &r, GREEN_NEVER);
        ck_assert_int_eq((intptr_t)r, 0);
    }
    ck_assert_int_eq(green__futex_wake((uint32_t *)&word, 1, GREEN__FUTEX_ALL), 0);
}
END_TEST

static void *waits_bits(void *arg)
{
    return (void *)(intptr_t)green__futex_wait((uint32_t *)&word, 0,
                                               green_now() + MS(200),
                                               (uint32_t)(intptr_t)arg, 0);
}

START_TEST(futex_bitsets_select_waiters)
{
    green_t a = green_spawn(waits_bits, (void *)1, NULL);
    green_t b = green_spawn(waits_bits, (void *)2, NULL);
    green_yield();
    ck_assert_int_eq(green__futex_wake((uint32_t *)&word, 10, 2), 1);
    void *ra, *rb;
    green_join(b, &rb, GREEN_NEVER);
    ck_assert_int_eq((intptr_t)rb, 0);
    green_join(a, &ra, GREEN_NEVER);
    ck_assert_int_eq((intptr_t)ra, -ETIMEDOUT);  /* bit 1 never woken */
}
END_TEST

static _Atomic uint32_t other;

static void *waits_then_notes(void *arg)
{
    int r = green__futex_wait((uint32_t *)&word, 0, GREEN_NEVER,
                              GREEN__FUTEX_ALL, 0);
    atomic_fetch_add((_Atomic int *)arg, 1);
    return (void *)(intptr_t)r;
}

START_TEST(futex_requeue_moves_waiters)
{
    _Atomic int done = 0;
    green_t t[5];
    for (int i = 0; i < 5; i++)
        t[i] = green_spawn(waits_then_notes, (void *)&done, NULL);
    green_yield();
    ck_assert_int_eq(green__futex_requeue((uint32_t *)&word, 7, 1,
                                          (uint32_t *)&other, 10), -EAGAIN);
    ck_assert_int_eq(green__futex_requeue((uint32_t *)&word, 0, 1,
                                          (uint32_t *)&other, 3), 4);
    green_yield();
    ck_assert_int_eq(atomic_load(&done), 1);
    ck_assert_int_eq(green__futex_waiters((uint32_t *)&word), 1);
    ck_assert_int_eq(green__futex_waiters((uint32_t *)&other), 3);
    /* Waking the old address no longer reaches the moved ones. */
    ck_assert_int_eq(green__futex_wake((uint32_t *)&word, 10, GREEN__FUTEX_ALL), 1);
    ck_assert_int_eq(green__futex_wake((uint32_t *)&other, 10, GREEN__FUTEX_ALL), 3);
    for (int i = 0; i < 5; i++)
        green_join(t[i], NULL, GREEN_NEVER);
    ck_assert_int_eq(atomic_load(&done), 5);
}
END_TEST

static void *waits_requeued_timeout(void *arg)
{
    (void)arg;
    return (void *)(intptr_t)green__futex_wait((uint32_t *)&word, 0,
                                               green_now() + MS(20),
                                               GREEN__FUTEX_ALL, 0);
}

START_TEST(futex_timeout_after_requeue_unlinks)
{
    green_t t = green_spawn(waits_requeued_timeout, NULL, NULL);
    green_yield();
    ck_assert_int_eq(green__futex_requeue((uint32_t *)&word, 0, 0,
                                          (uint32_t *)&other, 1), 1);
    void *r;
    green_join(t, &r, GREEN_NEVER);
    ck_assert_int_eq((intptr_t)r, -ETIMEDOUT);
    ck_assert_int_eq(green__futex_waiters((uint32_t *)&other), 0);
}
END_TEST

static void *waits_flags(void *arg)
{
    return (void *)(intptr_t)green__futex_wait((uint32_t *)&word, 0,
                                               GREEN_NEVER, GREEN__FUTEX_ALL,
                                               (int)(intptr_t)arg);
}

START_TEST(futex_kill_and_nocancel)
{
    green_t k = green_spawn(waits_flags, (void *)0, NULL);
    green_t n = green_spawn(waits_flags, (void *)GREEN__NOCANCEL, NULL);
    green_yield();
    green_kill(k);
    green_kill(n);
    void *rk, *rn;
    green_join(k, &rk, GREEN_NEVER);
    ck_assert_int_eq((intptr_t)rk, -ECANCELED);
    green_sleep(MS(5));
    ck_assert_int_eq(green__futex_waiters((uint32_t *)&word), 1);  /* n waits on */
    ck_assert_int_eq(green__futex_wake((uint32_t *)&word, 1, GREEN__FUTEX_ALL), 1);
    green_join(n, &rn, GREEN_NEVER);
    ck_assert_int_eq((intptr_t)rn, 0);
}
END_TEST

/* A futex lock hammered from green threads on several OS threads: a lost
 * wake-up hangs (test timeout), a broken lock loses increments. */
enum { OS = 4, GREENS = 8, ITERS = 3000 };
static _Atomic uint32_t lockword;
static long counter;

static void lock(void)
{
    uint32_t c = 0;
    if (atomic_compare_exchange_strong(&lockword, &c, 1))
        return;
    if (c != 2)
        c = atomic_exchange(&lockword, 2);
    while (c != 0) {
        green__futex_wait((uint32_t *)&lockword, 2, GREEN_NEVER,
                          GREEN__FUTEX_ALL, GREEN__NOCANCEL);
        c = atomic_exchange(&lockword, 2);
    }
}

static void unlock(void)
{
    if (atomic_exchange(&lockword, 0) == 2)
        green__futex_wake((uint32_t *)&lockword, 1, GREEN__FUTEX_ALL);
}

static void *hammer(void *arg)
{
    (void)arg;
    for (int i = 0; i < ITERS; i++) {
        lock();
        long v = counter;
        if (i % 7 == 0)
            green_yield();  /* hold the lock across a switch */
        counter = v + 1;
        unlock();
    }
    return NULL;
}

static void *os_thread(void *arg)
{
    (void)arg;
    green_t g[GREENS];
    for (int i = 0; i < GREENS; i++)
        g[i] = green_spawn(hammer, NULL, NULL);
    for (int i = 0; i < GREENS; i++)
        green_join(g[i], NULL, GREEN_NEVER);
    return NULL;
}

START_TEST(futex_lock_across_os_threads)
{
    pthread_t t[OS];
    for (int i = 0; i < OS; i++)
        pthread_create(&t[i], NULL, os_thread, NULL);
    for (int i = 0; i < OS; i++)
        pthread_join(t[i], NULL);
    ck_assert_int_eq(counter, (long)OS * GREENS * ITERS);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("futex");
    TCase *tc = tcase_create("basic");
    tcase_add_test(tc, futex_value_mismatch_is_eagain);
    tcase_add_test(tc, futex_wake_counts_fifo);
    tcase_add_test(tc, futex_bitsets_select_waiters);
    tcase_add_test(tc, futex_requeue_moves_waiters);
    tcase_add_test(tc, futex_timeout_after_requeue_unlinks);
    tcase_add_test(tc, futex_kill_and_nocancel);
    suite_add_tcase(s, tc);
    tc = tcase_create("contention");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, futex_lock_across_os_threads);
    suite_add_tcase(s, tc);
    return harness_run(s);
}
