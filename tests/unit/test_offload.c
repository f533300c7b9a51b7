/* The offload pool: results and errno come back from another OS thread,
 * jobs run concurrently, the direct path when alone, abandonment by
 * green_kill and green_timeout (discard exactly once, nothing written to
 * the caller after it left), the kill kept when the result won the race,
 * the pool's bound, idle retirement, signals blocked on workers, fork. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "fiber_san.h"
#include "green.h"
#include "harness.h"
#include "hub.h"
#include "offload.h"
#include "wait.h"

/* A job that records where it ran, naps, and fails with ENOENT. */
struct nap {
    struct green__job job;
    int64_t ns;       /* how long run naps */
    pid_t tid;        /* the OS thread run ran on */
    int err;          /* errno run left */
    int blocked;      /* SIGINT and SIGUSR1 were blocked where run ran */
    unsigned canary;  /* run writes it: must stay for a caller that left */
};

static atomic_int running, most, runs, discards;

/* The ticks offload_many_concurrent wants while its jobs run: 20 of 5 ms
 * at best; TSan, 5-15 times slower, leaves fewer in the same 100 ms (9
 * seen under load). */
#ifdef GREEN__TSAN
enum { MIN_TICKS = 3 };
#else
enum { MIN_TICKS = 10 };
#endif

static void nap_run(struct green__job *job)
{
    struct nap *n = (struct nap *)job;
    int now = atomic_fetch_add(&running, 1) + 1;
    for (int m = atomic_load(&most); now > m;)
        if (atomic_compare_exchange_weak(&most, &m, now))
            break;
    sigset_t set;
    pthread_sigmask(SIG_BLOCK, NULL, &set);
    n->blocked = sigismember(&set, SIGINT) && sigismember(&set, SIGUSR1);
    n->tid = gettid();
    struct timespec ts = {(time_t)(n->ns / 1000000000), (long)(n->ns % 1000000000)};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
    atomic_fetch_sub(&running, 1);
    errno = ENOENT;
    n->err = errno;
    n->canary = 0xfeed;
    atomic_fetch_add(&runs, 1);
}

static void nap_discard(struct green__job *job)
{
    struct nap *n = (struct nap *)job;
    ck_assert_uint_eq(n->canary, 0xfeed);  /* run has returned */
    atomic_fetch_add(&discards, 1);
    free(n);
}

static void *idler(void *arg)
{
    (void)arg;
    green_sleep(MS(20000));
    return NULL;
}

/* A second green thread, so that the caller's offloads park. */
static void companion(void)
{
    green_self();
    green_spawn(idler, NULL, NULL);
}

START_TEST(offload_result_and_errno)
{
    companion();
    struct nap n = {.job.run = nap_run, .ns = MS(10)};
    ck_assert_int_eq(green__offload(&n.job, 0), 0);
    ck_assert_int_eq(n.err, ENOENT);
    ck_assert_uint_eq(n.canary, 0xfeed);
    ck_assert_int_ne(n.tid, gettid());
    ck_assert_int_eq(n.blocked, 1);  /* workers block every signal */
}
END_TEST

START_TEST(offload_direct_when_alone)
{
    harness_tsan_start();
    green_self();
    struct nap n = {.job.run = nap_run, .ns = MS(1)};
    ck_assert_int_eq(green__offload(&n.job, 0), 0);
    ck_assert_int_eq(n.tid, gettid());
    ck_assert_int_eq(n.err, ENOENT);
    ck_assert_int_eq(harness_os_threads(), 1);
}
END_TEST

static void *nap_caller(void *arg)
{
    struct nap n = {.job.run = nap_run, .ns = (int64_t)(intptr_t)arg};
    ck_assert_int_eq(green__offload(&n.job, 0), 0);
    ck_assert_int_eq(n.err, ENOENT);
    return NULL;
}

/* 50 jobs of 100 ms take about 100 ms, and the hub runs meanwhile. */
START_TEST(offload_many_concurrent)
{
    companion();
    green_t t[50];
    int64_t t0 = green_now();
    harness_ticker(MS(100));
    for (int i = 0; i < 50; i++)
        t[i] = green_spawn(nap_caller, (void *)(intptr_t)MS(100), NULL);
    for (int i = 0; i < 50; i++)
        green_join(t[i], NULL, GREEN_NEVER);
    ck_assert_time(green_now() - t0, MS(100), MS(100), MS(400));
    ck_assert_int_eq(atomic_load(&runs), 50);
    ck_assert_int_ge(atomic_load(&most), 25);
    ck_assert_int_ge(atomic_load(&harness_ticks), MIN_TICKS);  /* the hub ran */
}
END_TEST

/* At most GREEN_OFFLOAD_THREADS jobs run at once; the rest queue. */
START_TEST(offload_pool_bound)
{
    green__config.offload_threads = 4;
    harness_tsan_start();
    companion();
    green_t t[16];
    int64_t t0 = green_now();
    for (int i = 0; i < 16; i++)
        t[i] = green_spawn(nap_caller, (void *)(intptr_t)MS(50), NULL);
    green_sleep(MS(20));
    ck_assert_int_le(harness_os_threads(), 1 + 4);
    for (int i = 0; i < 16; i++)
        green_join(t[i], NULL, GREEN_NEVER);
    ck_assert_int_eq(atomic_load(&most), 4);
    ck_assert_time(green_now() - t0, MS(200), MS(200), MS(300));
}
END_TEST

/* Workers idle for green__offload_idle_ns end. */
START_TEST(offload_idle_retire)
{
    green__offload_idle_ns = MS(100);
    harness_tsan_start();
    companion();
    green_t t[6];
    for (int i = 0; i < 6; i++)
        t[i] = green_spawn(nap_caller, (void *)(intptr_t)MS(30), NULL);
    green_sleep(MS(10));
    ck_assert_int_eq(harness_os_threads(), 1 + 6);
    for (int i = 0; i < 6; i++)
        green_join(t[i], NULL, GREEN_NEVER);
    int64_t end = green_now() + MS(2000);
    while (harness_os_threads() > 1 && green_now() < end)
        green_sleep(MS(10));
    ck_assert_int_eq(harness_os_threads(), 1);
    /* and the pool starts afresh */
    nap_caller((void *)(intptr_t)MS(1));
    ck_assert_int_eq(atomic_load(&runs), 7);
}
END_TEST

static void *abandon_caller(void *arg)
{
    struct nap *n = calloc(1, sizeof *n);
    n->job.run = nap_run;
    n->job.discard = nap_discard;
    n->ns = MS(200);
    int64_t t0 = green_now();
    int r = green__offload(&n->job, 0);
    *(int64_t *)arg = green_now() - t0;
    return (void *)(intptr_t)r;
}

/* Runs fn(took) in a green thread, kills it 20 ms later, and returns
 * what it returned. */
static int killed_after_20ms(void *(*fn)(void *), int64_t *took)
{
    companion();
    green_t t = green_spawn(fn, took, NULL);
    green_sleep(MS(20));
    green_kill(t);
    void *r;
    green_join(t, &r, GREEN_NEVER);
    return (int)(intptr_t)r;
}

/* A kill ends the wait at once; discard runs once, after run. */
START_TEST(offload_kill_abandons)
{
    int64_t took;
    ck_assert_int_eq(killed_after_20ms(abandon_caller, &took), -ECANCELED);
    /* took runs from the caller's own start, which may come a little after
     * main's 20 ms began: the kill ends it a little sooner than 20 ms. */
    ck_assert_time(took, MS(15), MS(20), MS(50));
    ck_assert_int_eq(atomic_load(&discards), 0);  /* still running */
    green_sleep(MS(300));
    ck_assert_int_eq(atomic_load(&runs), 1);
    ck_assert_int_eq(atomic_load(&discards), 1);
}
END_TEST

static void *scoped_caller(void *arg)
{
    green_timeout_t to;
    green_timeout_start(&to, MS(50));
    void *r = abandon_caller(arg);
    green_timeout_cancel(&to);
    return r;
}

START_TEST(offload_timeout_abandons)
{
    companion();
    int64_t took;
    green_t t = green_spawn(scoped_caller, &took, NULL);
    void *r;
    green_join(t, &r, GREEN_NEVER);
    ck_assert_int_eq((int)(intptr_t)r, -ETIMEDOUT);
    ck_assert_time(took, MS(50), MS(50), MS(50));
    green_sleep(MS(300));
    ck_assert_int_eq(atomic_load(&runs), 1);
    ck_assert_int_eq(atomic_load(&discards), 1);
}
END_TEST

static void *waiting_caller(void *arg)
{
    int64_t t0 = green_now();
    nap_caller((void *)(intptr_t)MS(100));
    *(int64_t *)arg = green_now() - t0;
    /* The kill was kept for the next wait. */
    return (void *)(intptr_t)green__park(GREEN_NEVER);
}

/* Without discard, the caller waits for the end; the kill stays. */
START_TEST(offload_no_discard_waits)
{
    int64_t took;
    ck_assert_int_eq(killed_after_20ms(waiting_caller, &took), -ECANCELED);
    ck_assert_time(took, MS(100), MS(100), MS(100));
}
END_TEST

/* The race of a kill and the end of the job, many times: either the
 * caller left (and discard ran) or it took the result and the kill
 * fails its next wait. Each job is freed exactly once (run under ASan
 * to see a use after free). */
struct race {
    green_t victim;
    int64_t delay;  /* ns before the kill */
};

static void *killer(void *arg)
{
    struct race *rc = arg;
    struct timespec ts = {0, (long)rc->delay};
    nanosleep(&ts, NULL);
    green_kill(rc->victim);
    return NULL;
}

static void *race_caller(void *arg)
{
    (void)arg;
    struct nap *n = calloc(1, sizeof *n);
    n->job.run = nap_run;
    n->job.discard = nap_discard;
    n->ns = 20000;
    int r = green__offload(&n->job, 0);
    if (r == 0) {
        ck_assert_int_eq(n->err, ENOENT);
        free(n);
    }
    return (void *)(intptr_t)r;
}

/* Runs fn(rc) in a green thread once it parked, kills it rc->delay later
 * from another OS thread, and returns what it returned. */
static int race_once(void *(*fn)(void *), struct race *rc)
{
    rc->victim = green_spawn(fn, rc, NULL);
    green_yield();  /* it submits and parks */
    pthread_t k;
    pthread_create(&k, NULL, killer, rc);
    void *r;
    green_join(rc->victim, &r, GREEN_NEVER);
    pthread_join(k, NULL);
    return (int)(intptr_t)r;
}

START_TEST(offload_kill_race)
{
    companion();
    int left = 0;
    for (int i = 0; i < 300; i++) {
        struct race rc = {.delay = 5000 + (i % 30) * 1000};
        int r = race_once(race_caller, &rc);
        left += r == -ECANCELED;
        ck_assert(r == 0 || r == -ECANCELED);
    }
    int64_t end = green_now() + MS(2000);
    while (atomic_load(&discards) < left && green_now() < end)
        green_sleep(MS(5));
    ck_assert_int_eq(atomic_load(&discards), left);
    ck_assert_int_eq(atomic_load(&runs), 300);
}
END_TEST

/* The kill that lost the race to the result is kept for the next wait. */
static void *kept_caller(void *arg)
{
    struct race *rc = arg;
    void *r = race_caller(NULL);
    (void)rc;
    if ((int)(intptr_t)r == -ECANCELED)
        return (void *)(intptr_t)1;
    /* The kill came during the call (and was kept) or comes later: it
     * fails this wait either way, unless it was lost. */
    return (void *)(intptr_t)(green__park(green_now() + MS(500)) == -ECANCELED ? 2 : 0);
}

static void kill_kept_child(void *arg)
{
    (void)arg;
    companion();
    int kept = 0;
    for (int i = 0; i < 100; i++) {
        struct race rc = {.delay = 10000 + (i % 20) * 2000};
        int r = race_once(kept_caller, &rc);
        if (r == 0)
            _exit(3);  /* the result was taken and the kill lost */
        kept += r == 2;
    }
    printf("kept %d\n", kept);
}

START_TEST(offload_kill_kept)
{
    struct harness_child c;
    harness_fork(kill_kept_child, NULL, &c);
    ck_assert_msg(WIFEXITED(c.status) && WEXITSTATUS(c.status) == 0,
                  "status %d: %s", c.status, c.err);
}
END_TEST

static void forked(void *arg)
{
    (void)arg;
    green__offload_fork_child();
    companion();
    nap_caller((void *)(intptr_t)MS(10));
    if (atomic_load(&runs) != 2)
        _exit(4);
}

/* In a forked child the pool starts afresh. */
START_TEST(offload_fork_child)
{
    companion();
    nap_caller((void *)(intptr_t)MS(10));
    struct harness_child c;
    harness_fork(forked, NULL, &c);
    ck_assert_msg(WIFEXITED(c.status) && WEXITSTATUS(c.status) == 0,
                  "status %d: %s", c.status, c.err);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("offload");
    TCase *tc = tcase_create("basic");
    tcase_add_test(tc, offload_result_and_errno);
    tcase_add_test(tc, offload_direct_when_alone);
    tcase_add_test(tc, offload_many_concurrent);
    tcase_add_test(tc, offload_pool_bound);
    tcase_add_test(tc, offload_idle_retire);
    tcase_add_test(tc, offload_fork_child);
    suite_add_tcase(s, tc);
    tc = tcase_create("abandon");
    tcase_add_test(tc, offload_kill_abandons);
    tcase_add_test(tc, offload_timeout_abandons);
    tcase_add_test(tc, offload_no_discard_waits);
    tcase_add_test(tc, offload_kill_race);
    tcase_add_test(tc, offload_kill_kept);
    suite_add_tcase(s, tc);
    return harness_run(s);
}
