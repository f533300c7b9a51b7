/* Barriers: one serial thread per round over many rounds with parties on
 * several OS threads, nobody leaving a round early, glibc-initialised
 * objects, destroy, and waits that a kill does not interrupt. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#include "barrier.h"
#include "green.h"
#include "harness.h"

START_TEST(barrier_init_and_single)
{
    pthread_barrier_t b;
    ck_assert_int_eq(green__barrier_init(&b, 0), -EINVAL);
    ck_assert_int_eq(green__barrier_init(&b, 1), 0);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(green__barrier_wait(&b),
                         PTHREAD_BARRIER_SERIAL_THREAD);
    ck_assert_int_eq(green__barrier_destroy(&b), 0);
    /* glibc's own init writes the same 20 bytes (the rest it leaves). */
    pthread_barrier_t g, o;
    memset(&g, 0x5a, sizeof g);
    ck_assert_int_eq(pthread_barrier_init(&g, NULL, 3), 0);
    green__barrier_init(&o, 3);
    ck_assert_int_eq(memcmp(&g, &o, 20), 0);
    ck_assert(!green__barrier_is_foreign(&g));
    pthread_barrierattr_t at;
    pthread_barrierattr_init(&at);
    pthread_barrierattr_setpshared(&at, PTHREAD_PROCESS_SHARED);
    pthread_barrier_init(&g, &at, 3);
    ck_assert(green__barrier_is_foreign(&g));
}
END_TEST

/* Parties on several OS threads; per round, count serial returns and check
 * that all arrived before anyone left. */
enum { OS = 4, GREENS = 3, PARTIES = OS * GREENS + 1, ROUNDS = 1000 };
static pthread_barrier_t bar;
static atomic_int arrived[ROUNDS], serials[ROUNDS];

static void *party(void *arg)
{
    (void)arg;
    for (int r = 0; r < ROUNDS; r++) {
        atomic_fetch_add(&arrived[r], 1);
        int s = green__barrier_wait(&bar);
        ck_assert(s == 0 || s == PTHREAD_BARRIER_SERIAL_THREAD);
        ck_assert_int_eq(atomic_load(&arrived[r]), PARTIES);
        if (s)
            atomic_fetch_add(&serials[r], 1);
    }
    return NULL;
}

static void *crew_main(void *arg)
{
    (void)arg;
    green_t g[GREENS];
    for (int i = 0; i < GREENS; i++)
        g[i] = green_spawn(party, NULL, NULL);
    for (int i = 0; i < GREENS; i++)
        ck_assert_int_eq(green_join(g[i], NULL, GREEN_NEVER), 0);
    return NULL;
}

START_TEST(barrier_one_serial_per_round_across_os_threads)
{
    pthread_barrier_init(&bar, NULL, PARTIES);  /* glibc's init */
    pthread_t t[OS + 1];
    for (int i = 0; i < OS; i++)
        pthread_create(&t[i], NULL, crew_main, NULL);
    pthread_create(&t[OS], NULL, party, NULL);  /* a plain OS thread */
    for (int i = 0; i <= OS; i++)
        pthread_join(t[i], NULL);
    for (int r = 0; r < ROUNDS; r++)
        ck_assert_int_eq(atomic_load(&serials[r]), 1);
    ck_assert_int_eq(green__barrier_destroy(&bar), 0);
}
END_TEST

/* Waits, then reports the barrier's result plus 10 if a kill is still
 * pending (the next blocking call fails with ECANCELED). */
static void *wait_report(void *arg)
{
    int r = green__barrier_wait(arg);
    if (green_sleep(MS(1)) < 0 && errno == ECANCELED)
        r += 10;
    return (void *)(intptr_t)r;
}

/* Sleeps 5 ms, then waits: the second party of a round destroy waits for. */
static void *late_wait(void *arg)
{
    green_sleep(MS(5));
    return (void *)(intptr_t)green__barrier_wait(arg);
}

/* As glibc's: destroy waits for the round under way to end, then 0. */
START_TEST(barrier_destroy_waits_round_and_kill_ignored)
{
    pthread_barrier_t b;
    green__barrier_init(&b, 2);
    green_t t = green_spawn(wait_report, &b, NULL);
    green_sleep(MS(2));
    green_kill(t);  /* not interruptible: still waits */
    green_t u = green_spawn(late_wait, &b, NULL);
    int64_t t0 = green_now();
    ck_assert_int_eq(green__barrier_destroy(&b), 0);  /* after u's wait */
    ck_assert_int_ge(green_now() - t0, MS(4));
    memset(&b, 0, sizeof b);  /* reused, as after a free() */
    void *r, *ru;
    green_join(t, &r, GREEN_NEVER);
    green_join(u, &ru, GREEN_NEVER);
    /* The kill stayed pending for t's next wait. */
    ck_assert_int_ge((intptr_t)r, 10);
    ck_assert_int_eq((intptr_t)ru + (intptr_t)r - 10,
                     PTHREAD_BARRIER_SERIAL_THREAD);
}
END_TEST

/* Two parties on two OS threads, many tight rounds: a thread must know
 * which round it joined even if the other completes it at once. */
enum { TIGHT = 20000 };
static pthread_barrier_t tight;
static atomic_int tight_serials;

static void *tight_party(void *arg)
{
    (void)arg;
    for (int i = 0; i < TIGHT; i++)
        if (green__barrier_wait(&tight))
            atomic_fetch_add(&tight_serials, 1);
    return NULL;
}

START_TEST(barrier_two_parties_tight_rounds)
{
    green__barrier_init(&tight, 2);
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, tight_party, NULL);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    ck_assert_int_eq(atomic_load(&tight_serials), TIGHT);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("barrier");
    TCase *tc = tcase_create("semantics");
    tcase_add_test(tc, barrier_init_and_single);
    tcase_add_test(tc, barrier_destroy_waits_round_and_kill_ignored);
    suite_add_tcase(s, tc);
    tc = tcase_create("contention");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, barrier_one_serial_per_round_across_os_threads);
    tcase_add_test(tc, barrier_two_parties_tight_rounds);
    suite_add_tcase(s, tc);
    return harness_run(s);
}
