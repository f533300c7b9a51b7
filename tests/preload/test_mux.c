/* The multiplexers and sleeps, from green threads of a linked program:
 * poll, select and epoll_wait park until an fd is ready or the timeout
 * passes, with the kernel's own results; the sleeps of three green
 * threads overlap. */
#include <errno.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <threads.h>
#include <time.h>
#include <unistd.h>

#include "green.h"
#include "harness.h"

static int p[2];

static void *write_later(void *arg)
{
    green_sleep(MS((intptr_t)arg));
    ck_assert_int_eq(write(p[1], "x", 1), 1);
    return NULL;
}

static void *sleep_ms(void *arg)
{
    green_sleep(MS((intptr_t)arg));
    return NULL;
}

/* Runs fn(arg) as a green thread beside the caller. */
static green_t beside(void *(*fn)(void *), intptr_t arg)
{
    return green_spawn(fn, (void *)arg, NULL);
}

START_TEST(mux_poll_wakes_on_data)
{
    green_t t = beside(write_later, 50);
    struct pollfd fds[2] = {{.fd = -1, .events = POLLIN},
                            {.fd = p[0], .events = POLLIN}};
    int64_t t0 = green_now();
    ck_assert_int_eq(poll(fds, 2, 5000), 1);
    ck_assert_time(green_now() - t0, MS(50), MS(50), MS(100));
    ck_assert_int_eq(fds[1].revents, POLLIN);
    ck_assert_int_eq(fds[0].revents, 0);
    green_join(t, NULL, GREEN_NEVER);
}
END_TEST

START_TEST(mux_poll_times_out)
{
    green_t t = beside(sleep_ms, 300);
    struct pollfd fd = {.fd = p[0], .events = POLLIN};
    int64_t t0 = green_now();
    ck_assert_int_eq(poll(&fd, 1, 80), 0);
    ck_assert_time(green_now() - t0, MS(80), MS(80), MS(100));
    ck_assert_int_eq(fd.revents, 0);
    struct timespec ts = {0, 30000000};
    ck_assert_int_eq(ppoll(&fd, 1, &ts, NULL), 0);
    green_join(t, NULL, GREEN_NEVER);
}
END_TEST

/* A closed fd gives POLLNVAL at once, as in the kernel. */
START_TEST(mux_poll_nval)
{
    green_t t = beside(sleep_ms, 100);
    int q[2];
    ck_assert_int_eq(pipe(q), 0);
    close(q[0]);
    struct pollfd fd = {.fd = q[0], .events = POLLIN};
    ck_assert_int_eq(poll(&fd, 1, 1000), 1);
    ck_assert_int_eq(fd.revents, POLLNVAL);
    green_join(t, NULL, GREEN_NEVER);
}
END_TEST

START_TEST(mux_select_wakes_and_reports_time_left)
{
    green_t t = beside(write_later, 50);
    fd_set r;
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    struct timeval tv = {2, 0};
    ck_assert_int_eq(select(p[0] + 1, &r, NULL, NULL, &tv), 1);
    ck_assert(FD_ISSET(p[0], &r));
    ck_assert(tv.tv_sec == 1 && tv.tv_usec > 0);  /* Linux: time left */
    green_join(t, NULL, GREEN_NEVER);
    char c;
    ck_assert_int_eq(read(p[0], &c, 1), 1);
    /* The timeout: sets cleared, timeval zero. */
    t = beside(sleep_ms, 200);
    FD_SET(p[0], &r);
    tv = (struct timeval){0, 50000};
    ck_assert_int_eq(select(p[0] + 1, &r, NULL, NULL, &tv), 0);
    ck_assert(!FD_ISSET(p[0], &r));
    ck_assert(tv.tv_sec == 0 && tv.tv_usec == 0);
    tv.tv_sec = -1;
    ck_assert_int_eq(select(p[0] + 1, &r, NULL, NULL, &tv), -1);
    ck_assert_int_eq(errno, EINVAL);
    green_join(t, NULL, GREEN_NEVER);
}
END_TEST

START_TEST(mux_epoll_wait_parks)
{
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 7}, out[4];
    ck_assert_int_eq(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev), 0);
    green_t t = beside(write_later, 50);
    int64_t t0 = green_now();
    ck_assert_int_eq(epoll_wait(ep, out, 4, 5000), 1);
    ck_assert_time(green_now() - t0, MS(50), MS(50), MS(100));
    ck_assert_uint_eq(out[0].data.u32, 7);
    green_join(t, NULL, GREEN_NEVER);
    char c;
    ck_assert_int_eq(read(p[0], &c, 1), 1);
    t = beside(sleep_ms, 200);
    ck_assert_int_eq(epoll_wait(ep, out, 4, 40), 0);
    ck_assert_int_eq(epoll_wait(ep, out, 0, 40), -1);
    ck_assert_int_eq(errno, EINVAL);
    green_join(t, NULL, GREEN_NEVER);
}
END_TEST

static void *nanosleep_200(void *arg)
{
    (void)arg;
    struct timespec ts = {0, 200000000}, rem = {9, 9};
    ck_assert_int_eq(nanosleep(&ts, &rem), 0);
    return NULL;
}

static void *sleep_1(void *arg)
{
    (void)arg;
    ck_assert_uint_eq(sleep(1), 0);
    return NULL;
}

static void *usleep_200(void *arg)
{
    (void)arg;
    ck_assert_int_eq(usleep(200000), 0);
    return NULL;
}

static void *abs_200(void *arg)
{
    (void)arg;
    struct timespec at;
    clock_gettime(CLOCK_REALTIME, &at);
    at.tv_nsec += 200000000;
    if (at.tv_nsec >= 1000000000)
        at.tv_sec++, at.tv_nsec -= 1000000000;
    ck_assert_int_eq(clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &at, NULL), 0);
    return NULL;
}

static void *thrd_200(void *arg)
{
    (void)arg;
    ck_assert_int_eq(thrd_sleep(&(struct timespec){0, 200000000}, NULL), 0);
    return NULL;
}

/* Three of each sleep at once take one sleep's time. */
START_TEST(mux_sleeps_overlap)
{
    void *(*fns[])(void *) = {nanosleep_200, usleep_200, abs_200, thrd_200};
    for (size_t f = 0; f < 4; f++) {
        int64_t t0 = green_now();
        green_t t[3];
        for (int i = 0; i < 3; i++)
            t[i] = green_spawn(fns[f], NULL, NULL);
        for (int i = 0; i < 3; i++)
            green_join(t[i], NULL, GREEN_NEVER);
        ck_assert_time(green_now() - t0, MS(200), MS(200), MS(150));
    }
    int64_t t0 = green_now();
    green_t t[3];
    for (int i = 0; i < 3; i++)
        t[i] = green_spawn(sleep_1, NULL, NULL);
    for (int i = 0; i < 3; i++)
        green_join(t[i], NULL, GREEN_NEVER);
    ck_assert_time(green_now() - t0, MS(1000), MS(1000), MS(300));
}
END_TEST

START_TEST(mux_sleep_errors)
{
    green_t t = beside(sleep_ms, 100);
    struct timespec bad = {0, 1000000000};
    ck_assert_int_eq(nanosleep(&bad, NULL), -1);
    ck_assert_int_eq(errno, EINVAL);
    ck_assert_int_eq(nanosleep(NULL, NULL), -1);
    ck_assert_int_eq(errno, EFAULT);
    ck_assert_int_eq(clock_nanosleep(CLOCK_MONOTONIC, 0, &bad, NULL), EINVAL);
    ck_assert_int_eq(clock_nanosleep(CLOCK_THREAD_CPUTIME_ID, 0,
                                     &(struct timespec){0, 1}, NULL), EINVAL);
    struct timespec past = {1, 0};
    ck_assert_int_eq(clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &past, NULL), 0);
    ck_assert_int_eq(thrd_sleep(&bad, NULL), -2);
    green_join(t, NULL, GREEN_NEVER);
}
END_TEST

static void setup(void)
{
    green_self();
    ck_assert_int_eq(pipe(p), 0);
}

int main(void)
{
    Suite *s = suite_create("mux");
    TCase *tc = tcase_create("basic");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, mux_poll_wakes_on_data);
    tcase_add_test(tc, mux_poll_times_out);
    tcase_add_test(tc, mux_poll_nval);
    tcase_add_test(tc, mux_select_wakes_and_reports_time_left);
    tcase_add_test(tc, mux_epoll_wait_parks);
    tcase_add_test(tc, mux_sleeps_overlap);
    tcase_add_test(tc, mux_sleep_errors);
    suite_add_tcase(s, tc);
    return harness_run(s);
}
