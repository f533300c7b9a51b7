/* Waiting: park deadlines (never early), the park token, cross-thread
 * unpark under contention, fd readiness, and close while waiting. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <unistd.h>

#include "fdtab.h"
#include "green.h"
#include "harness.h"
#include "hub.h"
#include "wait.h"

START_TEST(wait_park_deadline_not_early)
{
    green_self();
    for (int i = 0; i < 20; i++) {
        int64_t t0 = green_now(), d = t0 + MS(1) + i * 100000;
        int r;
        while ((r = green__park(d)) == 0)
            ;
        ck_assert_int_eq(r, -ETIMEDOUT);
        ck_assert_time(green_now(), d, d, MS(20));
    }
    /* A deadline already past fails at once. */
    ck_assert_int_eq(green__park(green_now() - 1), -ETIMEDOUT);
}
END_TEST

START_TEST(wait_sleep_not_early)
{
    for (int i = 0; i < 20; i++) {
        int64_t ns = 100000 + i * 150000, t0 = green_now();
        green_sleep(ns);
        ck_assert_time(green_now() - t0, ns, ns, MS(20));
    }
}
END_TEST

static int woke[50], nwoke;

static void *sleep_then_log(void *arg)
{
    green_sleep(MS(30));
    woke[nwoke++] = (int)(intptr_t)arg;
    return NULL;
}

/* Equal sleeps started one after another end in the same order. */
START_TEST(wait_timers_fire_in_deadline_order)
{
    green_t t[50];
    for (int i = 0; i < 50; i++) {
        t[i] = green_spawn(sleep_then_log, (void *)(intptr_t)i, NULL);
        green_yield();  /* it starts its sleep now */
    }
    for (int i = 0; i < 50; i++)
        green_join(t[i], NULL, GREEN_NEVER);
    for (int i = 0; i < 50; i++)
        ck_assert_int_eq(woke[i], i);
}
END_TEST

START_TEST(wait_unpark_before_park_kept)
{
    struct green_thread *self = (struct green_thread *)green_self();
    green__unpark(self, -EINTR);
    green__unpark(self, 0);  /* wakes do not add up: the first stays */
    ck_assert_int_eq(green__park(GREEN_NEVER), -EINTR);
    ck_assert_int_eq(green__park(green_now() + MS(5)), -ETIMEDOUT);
}
END_TEST

/* Foreign OS threads bump per-thread counters and unpark; each green
 * thread parks until it has seen every bump. A lost wake hangs the test. */
enum { GREENS = 16, FOREIGN = 4, ROUNDS = 2000 };
static struct green_thread *_Atomic targets[GREENS];
static atomic_int bumps[GREENS];

static void *foreign(void *arg)
{
    (void)arg;
    for (int r = 0; r < ROUNDS; r++)
        for (int i = 0; i < GREENS; i++) {
            atomic_fetch_add(&bumps[i], 1);
            green__unpark(atomic_load(&targets[i]), 0);
        }
    return NULL;
}

static void *counter(void *arg)
{
    int i = (int)(intptr_t)arg;
    atomic_store(&targets[i], (struct green_thread *)green_self());
    while (atomic_load(&bumps[i]) < FOREIGN * ROUNDS)
        green__park(GREEN_NEVER);
    return NULL;
}

START_TEST(wait_cross_thread_unpark)
{
    green_t g[GREENS];
    for (int i = 0; i < GREENS; i++)
        g[i] = green_spawn(counter, (void *)(intptr_t)i, NULL);
    green_yield();  /* all have published themselves and parked */
    pthread_t f[FOREIGN];
    for (int i = 0; i < FOREIGN; i++)
        pthread_create(&f[i], NULL, foreign, NULL);
    for (int i = 0; i < GREENS; i++)
        ck_assert_int_eq(green_join(g[i], NULL, GREEN_NEVER), 0);
    for (int i = 0; i < FOREIGN; i++)
        pthread_join(f[i], NULL);
}
END_TEST

static void *delayed_write(void *arg)
{
    green_sleep(MS(10));
    ck_assert_int_eq(write(*(int *)arg, "abc", 3), 3);
    return NULL;
}

START_TEST(wait_fd_readable)
{
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    green_t w = green_spawn(delayed_write, &p[1], NULL);
    int64_t t0 = green_now();
    ck_assert_int_eq(green_wait_fd(p[0], GREEN_IN, GREEN_NEVER), GREEN_IN);
    ck_assert_time(green_now() - t0, MS(10), MS(10), MS(30));
    /* Still readable: the persistent watcher reports it again at once. */
    ck_assert_int_eq(green_wait_fd(p[0], GREEN_IN, GREEN_NEVER), GREEN_IN);
    ck_assert_int_eq(green_wait_fd(p[1], GREEN_OUT, GREEN_NEVER), GREEN_OUT);
    green_join(w, NULL, GREEN_NEVER);
}
END_TEST

START_TEST(wait_fd_deadline_and_errors)
{
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    int64_t t0 = green_now();
    ck_assert_int_eq(green_wait_fd(p[0], GREEN_IN, t0 + MS(15)), -1);
    ck_assert_int_eq(errno, ETIMEDOUT);
    ck_assert_time(green_now() - t0, MS(15), MS(15), MS(30));
    ck_assert_int_eq(green_wait_fd(-1, GREEN_IN, GREEN_NEVER), -1);
    ck_assert_int_eq(errno, EBADF);
    ck_assert_int_eq(green_wait_fd(p[0], 0, GREEN_NEVER), -1);
    ck_assert_int_eq(errno, EINVAL);
    ck_assert_int_eq(green_wait_fd(p[0], 4, GREEN_NEVER), -1);
    ck_assert_int_eq(errno, EINVAL);
    int bad = 900;  /* not open */
    ck_assert_int_eq(green_wait_fd(bad, GREEN_IN, t0 + MS(500)), -1);
    ck_assert_int_eq(errno, EBADF);
    /* Hang-up counts as ready: the reader will find EOF. */
    close(p[1]);
    ck_assert_int_ne(green_wait_fd(p[0], GREEN_IN, GREEN_NEVER), -1);
}
END_TEST

static void *wait_then_report(void *arg)
{
    int fd = *(int *)arg;
    int r = green_wait_fd(fd, GREEN_IN, GREEN_NEVER);
    return (void *)(intptr_t)(r < 0 ? -errno : r);
}

START_TEST(wait_fd_close_wakes_ebadf)
{
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    green_t a = green_spawn(wait_then_report, &p[0], NULL);
    green_t b = green_spawn(wait_then_report, &p[0], NULL);
    green_sleep(MS(5));
    ck_assert_int_eq(green_close(p[0]), 0);
    void *ra, *rb;
    green_join(a, &ra, GREEN_NEVER);
    green_join(b, &rb, GREEN_NEVER);
    ck_assert_int_eq((intptr_t)ra, -EBADF);
    ck_assert_int_eq((intptr_t)rb, -EBADF);
    /* The number is reused by a new pipe: waits on it work normally. */
    int q[2];
    ck_assert_int_eq(pipe(q), 0);
    ck_assert_int_eq(q[0], p[0]);
    ck_assert_int_eq(write(q[1], "z", 1), 1);
    ck_assert_int_eq(green_wait_fd(q[0], GREEN_IN, green_now() + MS(500)),
                     GREEN_IN);
}
END_TEST

/* A number closed behind the hub's back (plain close, as libc's fclose
 * does) and reused: the fd table's new generation makes the hub register
 * the new file instead of trusting its persistent watcher. */
START_TEST(wait_fd_reused_number_rewatched)
{
    int p[2], q[2];
    ck_assert_int_eq(pipe(p), 0);
    ck_assert_int_eq(write(p[1], "a", 1), 1);
    ck_assert_int_eq(green_wait_fd(p[0], GREEN_IN, GREEN_NEVER), GREEN_IN);
    close(p[0]);  /* the watcher stays started: the hub is not told */
    close(p[1]);
    green__fd_closed(p[0]);  /* what the close wrapper will record */
    ck_assert_int_eq(pipe(q), 0);
    ck_assert_int_eq(q[0], p[0]);
    green_t w = green_spawn(delayed_write, &q[1], NULL);
    ck_assert_int_eq(green_wait_fd(q[0], GREEN_IN, green_now() + MS(1000)),
                     GREEN_IN);
    green_join(w, NULL, GREEN_NEVER);
}
END_TEST

static atomic_int got;

static void *read_one(void *arg)
{
    int fd = *(int *)arg;
    char c;
    for (;;) {
        ck_assert_int_eq(green_wait_fd(fd, GREEN_IN, GREEN_NEVER), GREEN_IN);
        if (read(fd, &c, 1) == 1)
            break;
        ck_assert_int_eq(errno, EAGAIN);  /* another reader won */
    }
    atomic_fetch_add(&got, 1);
    return NULL;
}

START_TEST(wait_fd_many_waiters_each_served)
{
    int p[2];
    ck_assert_int_eq(pipe2(p, O_NONBLOCK), 0);
    enum { N = 50 };
    green_t r[N];
    for (int i = 0; i < N; i++)
        r[i] = green_spawn(read_one, &p[0], NULL);
    green_sleep(MS(2));
    for (int i = 0; i < N; i++) {
        ck_assert_int_eq(write(p[1], "y", 1), 1);
        green_sleep(100000);
    }
    for (int i = 0; i < N; i++)
        green_join(r[i], NULL, GREEN_NEVER);
    ck_assert_int_eq(got, N);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("wait");
    TCase *tc = tcase_create("park");
    tcase_add_test(tc, wait_park_deadline_not_early);
    tcase_add_test(tc, wait_sleep_not_early);
    tcase_add_test(tc, wait_unpark_before_park_kept);
    tcase_add_test(tc, wait_timers_fire_in_deadline_order);
    tcase_add_test(tc, wait_cross_thread_unpark);
    suite_add_tcase(s, tc);
    tc = tcase_create("fd");
    tcase_add_test(tc, wait_fd_readable);
    tcase_add_test(tc, wait_fd_deadline_and_errors);
    tcase_add_test(tc, wait_fd_close_wakes_ebadf);
    tcase_add_test(tc, wait_fd_reused_number_rewatched);
    tcase_add_test(tc, wait_fd_many_waiters_each_served);
    suite_add_tcase(s, tc);
    return harness_run(s);
}
