/* Condition variables: signal and broadcast, the requeue onto the mutex,
 * the mutex always re-held (also after a deadline or a kill), EPERM,
 * recursive depth restored, glibc's initializers and clocks, destroy, and
 * producer-consumer with exact totals across OS threads. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "cond.h"
#include "futex.h"
#include "green.h"
#include "harness.h"
#include "mutex.h"
#include "wait.h"

static uint32_t word_at(const void *p, int i)
{
    return atomic_load((_Atomic uint32_t *)(void *)((char *)p + 4 * i));
}

/* Shared state of the simpler tests. */
static pthread_mutex_t m = PTHREAD_ERRORCHECK_MUTEX_INITIALIZER_NP;
static pthread_cond_t c = PTHREAD_COND_INITIALIZER;
static int ready;
static atomic_int returned;

static void *wait_ready(void *arg)
{
    int flags = (int)(intptr_t)arg;
    ck_assert_int_eq(green__mutex_lock(&m, GREEN_NEVER, 0), 0);
    int r = 0;
    while (!ready && r == 0)
        r = green__cond_wait(&c, &m, GREEN_NEVER, flags);
    /* Re-held whatever happened: unlocking an errorcheck mutex says so. */
    ck_assert_int_eq(green__mutex_unlock(&m), 0);
    atomic_fetch_add(&returned, 1);
    return (void *)(intptr_t)r;
}

START_TEST(cond_signal_wakes_one)
{
    green_t t[3];
    for (int i = 0; i < 3; i++)
        t[i] = green_spawn(wait_ready, NULL, NULL);
    green_sleep(MS(2));
    ck_assert_int_eq(green__futex_waiters((uint32_t *)(void *)&c), 3);
    green__mutex_lock(&m, GREEN_NEVER, 0);
    ready = 1;
    ck_assert_int_eq(green__cond_signal(&c), 0);
    green__mutex_unlock(&m);
    green_sleep(MS(5));
    ck_assert_int_eq(atomic_load(&returned), 1);
    ck_assert_int_eq(green__cond_signal(&c), 0);
    ck_assert_int_eq(green__cond_signal(&c), 0);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(green_join(t[i], NULL, GREEN_NEVER), 0);
    ck_assert_int_eq(atomic_load(&returned), 3);
    ck_assert_int_eq(green__cond_destroy(&c, false), 0);
}
END_TEST

START_TEST(cond_no_waiters_no_futex)
{
    /* With nobody waiting, signal and broadcast leave the object alone
     * (no bump, so no futex call either). */
    pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
    ck_assert_int_eq(green__cond_signal(&cv), 0);
    ck_assert_int_eq(green__cond_broadcast(&cv), 0);
    pthread_cond_t zero = PTHREAD_COND_INITIALIZER;
    ck_assert_int_eq(memcmp(&cv, &zero, sizeof cv), 0);
}
END_TEST

START_TEST(cond_broadcast_requeues_onto_mutex)
{
    enum { N = 6 };
    green_t t[N];
    for (int i = 0; i < N; i++)
        t[i] = green_spawn(wait_ready, NULL, NULL);
    green_sleep(MS(2));
    green__mutex_lock(&m, GREEN_NEVER, 0);
    ready = 1;
    ck_assert_int_eq(green__cond_broadcast(&c), 0);
    green_sleep(MS(2));  /* we still hold m: all wait for it, none on c */
    ck_assert_int_eq(green__futex_waiters((uint32_t *)(void *)&c), 0);
    ck_assert_int_eq(green__futex_waiters(green__mutex_word(&m)), N);
    ck_assert_int_eq(word_at(&m, 0), 2);
    ck_assert_int_eq(atomic_load(&returned), 0);
    green__mutex_unlock(&m);
    for (int i = 0; i < N; i++)
        ck_assert_int_eq(green_join(t[i], NULL, GREEN_NEVER), 0);
    ck_assert_int_eq(atomic_load(&returned), N);
    ck_assert_int_eq(word_at(&m, 0), 0);
}
END_TEST

START_TEST(cond_deadline_mutex_reheld)
{
    ck_assert_int_eq(green__mutex_lock(&m, GREEN_NEVER, 0), 0);
    int64_t d = green_now() + MS(20);
    ck_assert_int_eq(green__cond_wait(&c, &m, d, 0), -ETIMEDOUT);
    ck_assert_time(green_now(), d, d, MS(20));
    ck_assert_int_eq(green__mutex_unlock(&m), 0);  /* was re-held */
    /* The public face: -1 and errno. */
    green_mutex_t gm;
    green_cond_t gc = GREEN_COND_INIT;
    green_mutex_init(&gm, GREEN_MUTEX_ERRORCHECK);
    green_mutex_lock(&gm, GREEN_NEVER);
    ck_assert_int_eq(green_cond_wait(&gc, &gm, green_now() + MS(5)), -1);
    ck_assert_int_eq(errno, ETIMEDOUT);
    ck_assert_int_eq(green_mutex_unlock(&gm), 0);
    ck_assert_int_eq(green_cond_destroy(&gc), 0);
}
END_TEST

START_TEST(cond_kill_mutex_reheld_and_nocancel)
{
    green_t a = green_spawn(wait_ready, (void *)0, NULL);
    green_t b = green_spawn(wait_ready, (void *)(intptr_t)GREEN__NOCANCEL,
                            NULL);
    green_sleep(MS(2));
    /* Kill while we hold the mutex: a must wait for it before returning. */
    green__mutex_lock(&m, GREEN_NEVER, 0);
    green_kill(a);
    green_kill(b);
    green_sleep(MS(5));
    ck_assert_int_eq(atomic_load(&returned), 0);
    green__mutex_unlock(&m);
    void *r;
    green_join(a, &r, GREEN_NEVER);
    ck_assert_int_eq((intptr_t)r, -ECANCELED);
    /* b keeps waiting until signalled. */
    green_sleep(MS(5));
    ck_assert_int_eq(atomic_load(&returned), 1);
    green__mutex_lock(&m, GREEN_NEVER, 0);
    ready = 1;
    green__cond_signal(&c);
    green__mutex_unlock(&m);
    green_join(b, &r, GREEN_NEVER);
    ck_assert_int_eq((intptr_t)r, 0);
}
END_TEST

static void *not_owner_wait(void *arg)
{
    return (void *)(intptr_t)green__cond_wait(&c, arg, GREEN_NEVER, 0);
}

START_TEST(cond_eperm_and_recursive_depth)
{
    pthread_mutex_t r = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
    /* Not owned at all, or owned by someone else: EPERM, no wait. */
    ck_assert_int_eq(green__cond_wait(&c, &m, GREEN_NEVER, 0), -EPERM);
    ck_assert_int_eq(green__cond_wait(&c, &r, GREEN_NEVER, 0), -EPERM);
    green__mutex_lock(&r, GREEN_NEVER, 0);
    void *res;
    green_t t = green_spawn(not_owner_wait, &r, NULL);
    green_join(t, &res, GREEN_NEVER);
    ck_assert_int_eq((intptr_t)res, -EPERM);
    ck_assert_int_eq(word_at(&c, 1), 0);  /* no waiter left counted */
    /* Held three deep: released fully for the wait, depth restored. */
    green__mutex_lock(&r, GREEN_NEVER, 0);
    green__mutex_lock(&r, GREEN_NEVER, 0);
    ck_assert_int_eq(green__cond_wait(&c, &r, green_now() + MS(2), 0),
                     -ETIMEDOUT);
    ck_assert_int_eq(r.__data.__count, 3);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(green__mutex_unlock(&r), 0);
    ck_assert_int_eq(green__mutex_unlock(&r), -EPERM);
}
END_TEST

START_TEST(cond_init_clocks_like_glibc)
{
    pthread_condattr_t at;
    pthread_cond_t g, ours;
    pthread_condattr_init(&at);
    pthread_condattr_setclock(&at, CLOCK_MONOTONIC);
    ck_assert_int_eq(pthread_cond_init(&g, &at), 0);  /* glibc's */
    ck_assert_int_eq(green__cond_init(&ours, CLOCK_MONOTONIC), 0);
    ck_assert_int_eq(memcmp(&g, &ours, sizeof g), 0);
    ck_assert_int_eq(green__cond_clock(&g), CLOCK_MONOTONIC);
    ck_assert(!green__cond_is_foreign(&g));
    pthread_cond_t z = PTHREAD_COND_INITIALIZER;
    ck_assert_int_eq(green__cond_clock(&z), CLOCK_REALTIME);
    ck_assert_int_eq(green__cond_init(&ours, CLOCK_REALTIME), 0);
    ck_assert_int_eq(memcmp(&z, &ours, sizeof z), 0);
    ck_assert_int_eq(green__cond_init(&ours, CLOCK_PROCESS_CPUTIME_ID),
                     -EINVAL);
    green_cond_t gc;
    ck_assert_int_eq(green_cond_init(&gc, CLOCK_THREAD_CPUTIME_ID), -1);
    ck_assert_int_eq(errno, EINVAL);
    ck_assert_int_eq(green_cond_init(&gc, CLOCK_MONOTONIC), 0);
    pthread_condattr_setpshared(&at, PTHREAD_PROCESS_SHARED);
    pthread_cond_init(&g, &at);
    ck_assert(green__cond_is_foreign(&g));
    /* A glibc-initialised object waits and wakes with ours. */
    pthread_cond_t gi;
    pthread_cond_init(&gi, NULL);
    green__mutex_lock(&m, GREEN_NEVER, 0);
    ck_assert_int_eq(green__cond_wait(&gi, &m, green_now() + MS(2), 0),
                     -ETIMEDOUT);
    green__mutex_unlock(&m);
}
END_TEST

/* Sleeps 5 ms, then sets ready and broadcasts. */
static void *late_broadcast(void *arg)
{
    (void)arg;
    green_sleep(MS(5));
    green__mutex_lock(&m, GREEN_NEVER, 0);
    ready = 1;
    green__cond_broadcast(&c);
    green__mutex_unlock(&m);
    return NULL;
}

START_TEST(cond_destroy_waits_then_after_broadcast)
{
    /* As glibc's: destroy waits until the parked waiter has left. */
    green_t t = green_spawn(wait_ready, NULL, NULL);
    green_sleep(MS(2));
    ck_assert_int_eq(green__cond_destroy(&c, true), -EBUSY);  /* green_ */
    green_t b = green_spawn(late_broadcast, NULL, NULL);
    int64_t t0 = green_now();
    ck_assert_int_eq(green__cond_destroy(&c, false), 0);
    ck_assert_int_ge(green_now() - t0, MS(4));
    ck_assert_int_eq(green_join(t, NULL, GREEN_NEVER), 0);
    ck_assert_int_eq(green_join(b, NULL, GREEN_NEVER), 0);
    ready = 0;
    atomic_store(&returned, 0);
    t = green_spawn(wait_ready, NULL, NULL);
    green_sleep(MS(2));
    /* Broadcast with the mutex held: the waiter now waits for the mutex,
     * not on c, so destroy succeeds (it hurries the waiter off c). */
    green__mutex_lock(&m, GREEN_NEVER, 0);
    ready = 1;
    green__cond_broadcast(&c);
    ck_assert_int_eq(green__cond_destroy(&c, false), 0);
    memset(&c, 0, sizeof c);  /* reused, as after a free() */
    green__mutex_unlock(&m);
    ck_assert_int_eq(green_join(t, NULL, GREEN_NEVER), 0);
    ck_assert_int_eq(atomic_load(&returned), 1);
    ck_assert_int_eq(word_at(&c, 1), 0);  /* the waiter left c before */
}
END_TEST

/* A bounded buffer: producers and consumers, green threads on several OS
 * threads plus plain OS threads, exact sum at the end. */
enum { OS = 3, GREENS = 4, CAP = 4, PER = 2000 };
static pthread_mutex_t bm = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t not_full = PTHREAD_COND_INITIALIZER;
static pthread_cond_t not_empty = PTHREAD_COND_INITIALIZER;
static long buf[CAP];
static int head, len;
static atomic_long consumed_sum, consumed_n;

static void *producer(void *arg)
{
    (void)arg;
    for (long i = 1; i <= PER; i++) {
        green__mutex_lock(&bm, GREEN_NEVER, 0);
        while (len == CAP)
            green__cond_wait(&not_full, &bm, GREEN_NEVER, 0);
        buf[(head + len++) % CAP] = i;
        green__cond_signal(&not_empty);
        green__mutex_unlock(&bm);
    }
    return NULL;
}

static void *consumer(void *arg)
{
    (void)arg;
    for (int i = 0; i < PER; i++) {
        green__mutex_lock(&bm, GREEN_NEVER, 0);
        while (len == 0)
            green__cond_wait(&not_empty, &bm, GREEN_NEVER, 0);
        long v = buf[head];
        head = (head + 1) % CAP;
        len--;
        green__cond_signal(&not_full);
        green__mutex_unlock(&bm);
        atomic_fetch_add(&consumed_sum, v);
        atomic_fetch_add(&consumed_n, 1);
    }
    return NULL;
}

START_TEST(cond_producer_consumer_across_os_threads)
{
    struct harness_crew p = {producer, NULL, GREENS}, q = {consumer, NULL, GREENS};
    pthread_t t[2 * OS + 2];
    for (int i = 0; i < OS; i++) {
        pthread_create(&t[2 * i], NULL, harness_crew_main, &p);
        pthread_create(&t[2 * i + 1], NULL, harness_crew_main, &q);
    }
    pthread_create(&t[2 * OS], NULL, producer, NULL);  /* plain OS threads */
    pthread_create(&t[2 * OS + 1], NULL, consumer, NULL);
    for (int i = 0; i < 2 * OS + 2; i++)
        pthread_join(t[i], NULL);
    long n = OS * GREENS + 1;
    ck_assert_int_eq(atomic_load(&consumed_n), n * PER);
    ck_assert_int_eq(atomic_load(&consumed_sum), n * PER * (PER + 1) / 2);
    ck_assert_int_eq(len, 0);
}
END_TEST

/* Broadcast rounds across OS threads: every waiter must see every round. */
enum { BWAITERS = 8, ROUNDS = 300 };
static int round_no, arrived;
static pthread_cond_t round_cv = PTHREAD_COND_INITIALIZER;
static pthread_cond_t arrive_cv = PTHREAD_COND_INITIALIZER;

static void *round_waiter(void *arg)
{
    (void)arg;
    green__mutex_lock(&bm, GREEN_NEVER, 0);
    for (int r = 1; r <= ROUNDS; r++) {
        arrived++;
        green__cond_signal(&arrive_cv);
        while (round_no < r)
            green__cond_wait(&round_cv, &bm, GREEN_NEVER, 0);
    }
    green__mutex_unlock(&bm);
    return NULL;
}

START_TEST(cond_broadcast_rounds_across_os_threads)
{
    struct harness_crew w = {round_waiter, NULL, BWAITERS / 4};
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, harness_crew_main, &w);
    green__mutex_lock(&bm, GREEN_NEVER, 0);
    for (int r = 1; r <= ROUNDS; r++) {
        while (arrived < BWAITERS * r)
            green__cond_wait(&arrive_cv, &bm, GREEN_NEVER, 0);
        round_no = r;
        green__cond_broadcast(&round_cv);
    }
    green__mutex_unlock(&bm);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    ck_assert_int_eq(arrived, BWAITERS * ROUNDS);
}
END_TEST

/* Two OS threads take turns: each waits for its turn, passes it, signals.
 * A signal that falls between a waiter's unlock and its park must not be
 * lost (that would hang both). */
enum { TURNS = 10000 };
static int turn;
static pthread_cond_t turn_cv = PTHREAD_COND_INITIALIZER;

static void *take_turns(void *arg)
{
    int me = (int)(intptr_t)arg;
    green__mutex_lock(&bm, GREEN_NEVER, 0);
    for (int i = 0; i < TURNS; i++) {
        while (turn != me)
            green__cond_wait(&turn_cv, &bm, GREEN_NEVER, 0);
        turn = !me;
        green__cond_signal(&turn_cv);
    }
    green__mutex_unlock(&bm);
    return NULL;
}

START_TEST(cond_ping_pong_across_os_threads)
{
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, take_turns, (void *)(intptr_t)i);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    ck_assert_int_eq(turn, 0);
}
END_TEST

/* A plain OS thread spins until it can take the mutex, which happens the
 * moment a waiter's cond_wait has released it, and signals at once: the
 * signal lands between the waiter's unlock and its park. */
enum { RACES = 5000 };
static pthread_mutex_t rm = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t rc = PTHREAD_COND_INITIALIZER;
static atomic_int race_go;
static int race_flag;

static void *eager_signaller(void *arg)
{
    (void)arg;
    for (int i = 1; i <= RACES; i++) {
        while (atomic_load(&race_go) != i)
            ;
        while (green__mutex_trylock(&rm))
            ;
        race_flag = i;
        green__cond_signal(&rc);
        green__mutex_unlock(&rm);
    }
    return NULL;
}

START_TEST(cond_signal_right_after_unlock_not_lost)
{
    pthread_t p;
    pthread_create(&p, NULL, eager_signaller, NULL);
    for (int i = 1; i <= RACES; i++) {
        green__mutex_lock(&rm, GREEN_NEVER, 0);
        atomic_store(&race_go, i);
        int64_t d = green_now() + MS(2000);
        while (race_flag != i)
            ck_assert_int_eq(green__cond_wait(&rc, &rm, d, 0), 0);
        green__mutex_unlock(&rm);
    }
    pthread_join(p, NULL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cond");
    TCase *tc = tcase_create("semantics");
    tcase_add_test(tc, cond_signal_wakes_one);
    tcase_add_test(tc, cond_no_waiters_no_futex);
    tcase_add_test(tc, cond_broadcast_requeues_onto_mutex);
    tcase_add_test(tc, cond_deadline_mutex_reheld);
    tcase_add_test(tc, cond_kill_mutex_reheld_and_nocancel);
    tcase_add_test(tc, cond_eperm_and_recursive_depth);
    tcase_add_test(tc, cond_init_clocks_like_glibc);
    tcase_add_test(tc, cond_destroy_waits_then_after_broadcast);
    suite_add_tcase(s, tc);
    tc = tcase_create("contention");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, cond_producer_consumer_across_os_threads);
    tcase_add_test(tc, cond_broadcast_rounds_across_os_threads);
    tcase_add_test(tc, cond_ping_pong_across_os_threads);
    suite_add_tcase(s, tc);
    tc = tcase_create("race");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, cond_signal_right_after_unlock_not_lost);
    suite_add_tcase(s, tc);
    return harness_run(s);
}
