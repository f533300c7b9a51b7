/* Parity program: nanosleep, clock_nanosleep, sleep, usleep and C11
 * thrd_sleep, normal and error paths. clock_nanosleep and thrd_sleep return
 * their error instead of setting errno, so the program also prints what errno
 * holds afterwards. Knows nothing of libgreen; timings are printed only as
 * ok/NOT OK: a sleep may never end early (on the clock it sleeps on) and may
 * be at most 1.5 s late. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <threads.h>
#include <time.h>
#include <unistd.h>

#include "report.h"

/* For functions that return an error number: "what = 0" or "what = ENAME
 * (returned)" (or the negative value thrd_sleep returns), followed by errno,
 * which they must leave alone. */
static void showrc(const char *what, int r)
{
    int e = errno;
    if (r == 0)
        printf("%s = 0", what);
    else if (r > 0)
        printf("%s = %s (returned)", what, ename(r));
    else
        printf("%s = %d", what, r);
    printf(", errno %s\n", e ? ename(e) : "0");
}

/* Relative sleeps are measured on CLOCK_MONOTONIC; never early. */
static void check_slept(double t0, double secs)
{
    double dt = now() - t0;
    check(dt >= secs && dt < secs + 1.5, "  slept at least the requested time");
}

static void check_quick(double t0)
{
    check(now() - t0 < 1.0, "  returned at once");
}

static void test_nanosleep(void)
{
    struct timespec req, rem;
    double t0;

    req = (struct timespec){ 0, 1000000000L };
    show("nanosleep(tv_nsec 1000000000)", nanosleep(&req, NULL));
    req = (struct timespec){ 0, -1 };
    show("nanosleep(tv_nsec -1)", nanosleep(&req, NULL));
    req = (struct timespec){ -1, 0 };
    show("nanosleep(tv_sec -1)", nanosleep(&req, NULL));
    rem = (struct timespec){ 77, 88 };
    req = (struct timespec){ -1, 0 };
    show("nanosleep(tv_sec -1, &rem)", nanosleep(&req, &rem));
    printf("  rem after an EINVAL = {%ld, %ld}\n", (long)rem.tv_sec, rem.tv_nsec);
    req = (struct timespec){ 0, 0 };
    show("nanosleep({0, 0})", nanosleep(&req, NULL));

    req = (struct timespec){ 0, 20000000L };
    t0 = now();
    show("nanosleep(20 ms)", nanosleep(&req, NULL));
    check_slept(t0, 0.020);

    req = (struct timespec){ 0, 20000000L };
    rem = (struct timespec){ 77, 88 };
    t0 = now();
    show("nanosleep(20 ms, &rem)", nanosleep(&req, &rem));
    check_slept(t0, 0.020);
    printf("  rem after success = {%ld, %ld}\n", (long)rem.tv_sec, rem.tv_nsec);
    printf("  req after success = {%ld, %ld}\n", (long)req.tv_sec, req.tv_nsec);

    /* The same timespec as req and rem. */
    req = (struct timespec){ 0, 10000000L };
    show("nanosleep(10 ms, req as rem)", nanosleep(&req, &req));
    printf("  req after = {%ld, %ld}\n", (long)req.tv_sec, req.tv_nsec);
}

static void test_clock_nanosleep(void)
{
    struct timespec req, rem;
    double t0;

    errno = 0;
    req = (struct timespec){ 0, 20000000L };
    t0 = now();
    showrc("clock_nanosleep(CLOCK_REALTIME, 0, 20 ms)", clock_nanosleep(CLOCK_REALTIME, 0, &req, NULL));
    check_slept(t0, 0.020);
    t0 = now();
    rem = (struct timespec){ 77, 88 };
    showrc("clock_nanosleep(CLOCK_MONOTONIC, 0, 20 ms, &rem)", clock_nanosleep(CLOCK_MONOTONIC, 0, &req, &rem));
    check_slept(t0, 0.020);
    printf("  rem after success = {%ld, %ld}\n", (long)rem.tv_sec, rem.tv_nsec);
    t0 = now();
    showrc("clock_nanosleep(CLOCK_BOOTTIME, 0, 10 ms)",
           clock_nanosleep(CLOCK_BOOTTIME, 0, &(struct timespec){ 0, 10000000L }, NULL));
    check_slept(t0, 0.010);

    static const struct {
        clockid_t id;
        const char *name;
    } clocks[] = { { CLOCK_MONOTONIC, "CLOCK_MONOTONIC" },
                   { CLOCK_REALTIME, "CLOCK_REALTIME" },
                   { CLOCK_BOOTTIME, "CLOCK_BOOTTIME" },
                   { CLOCK_TAI, "CLOCK_TAI" } };
    char what[160];
    for (size_t i = 0; i < sizeof clocks / sizeof clocks[0]; i++) {
        /* A deadline 30 ms ahead on that clock; checked on that clock. */
        struct timespec dl;
        clock_gettime(clocks[i].id, &dl);
        dl.tv_nsec += 30000000L;
        if (dl.tv_nsec >= 1000000000L) {
            dl.tv_sec++;
            dl.tv_nsec -= 1000000000L;
        }
        rem = (struct timespec){ 77, 88 };
        snprintf(what, sizeof what, "clock_nanosleep(%s, TIMER_ABSTIME, now + 30 ms)", clocks[i].name);
        showrc(what, clock_nanosleep(clocks[i].id, TIMER_ABSTIME, &dl, &rem));
        struct timespec after;
        clock_gettime(clocks[i].id, &after);
        check(after.tv_sec > dl.tv_sec || (after.tv_sec == dl.tv_sec && after.tv_nsec >= dl.tv_nsec),
              "  woke at or after the deadline");
        printf("  rem untouched = %s\n", rem.tv_sec == 77 && rem.tv_nsec == 88 ? "yes" : "no");
        dl.tv_sec -= 5;
        t0 = now();
        snprintf(what, sizeof what, "clock_nanosleep(%s, TIMER_ABSTIME, 5 s in the past)", clocks[i].name);
        showrc(what, clock_nanosleep(clocks[i].id, TIMER_ABSTIME, &dl, NULL));
        check_quick(t0);
    }
    t0 = now();
    showrc("clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, {0, 0})",
           clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &(struct timespec){ 0, 0 }, NULL));
    check_quick(t0);
    showrc("clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, tv_sec -1)",
           clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &(struct timespec){ -1, 0 }, NULL));

    errno = 0;
    req = (struct timespec){ 0, 1000000L };
    showrc("clock_nanosleep(clock -5)", clock_nanosleep(-5, 0, &req, NULL));
    showrc("clock_nanosleep(clock 12345)", clock_nanosleep(12345, 0, &req, NULL));
    showrc("clock_nanosleep(CLOCK_THREAD_CPUTIME_ID)", clock_nanosleep(CLOCK_THREAD_CPUTIME_ID, 0, &req, NULL));
    showrc("clock_nanosleep(CLOCK_MONOTONIC_RAW)", clock_nanosleep(CLOCK_MONOTONIC_RAW, 0, &req, NULL));
    showrc("clock_nanosleep(CLOCK_MONOTONIC_COARSE)", clock_nanosleep(CLOCK_MONOTONIC_COARSE, 0, &req, NULL));
    showrc("clock_nanosleep(CLOCK_REALTIME_COARSE)", clock_nanosleep(CLOCK_REALTIME_COARSE, 0, &req, NULL));
    showrc("clock_nanosleep(CLOCK_MONOTONIC, flags 0x10)", clock_nanosleep(CLOCK_MONOTONIC, 0x10, &req, NULL));
    req = (struct timespec){ 0, 1000000000L };
    showrc("clock_nanosleep(tv_nsec 1000000000)", clock_nanosleep(CLOCK_MONOTONIC, 0, &req, NULL));
    req = (struct timespec){ 0, -1 };
    showrc("clock_nanosleep(tv_nsec -1)", clock_nanosleep(CLOCK_REALTIME, 0, &req, NULL));
    req = (struct timespec){ -1, 0 };
    showrc("clock_nanosleep(tv_sec -1)", clock_nanosleep(CLOCK_MONOTONIC, 0, &req, NULL));
    req = (struct timespec){ 0, 1000000000L };
    showrc("clock_nanosleep(TIMER_ABSTIME, tv_nsec 1000000000)",
           clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &req, NULL));
    errno = EBADF;
    req = (struct timespec){ 0, 1000000L };
    showrc("clock_nanosleep(1 ms) with errno preset to EBADF", clock_nanosleep(CLOCK_MONOTONIC, 0, &req, NULL));
    errno = 0;
}

static void test_legacy(void)
{
    double t0;

    errno = 0;
    t0 = now();
    show("sleep(0)", sleep(0));
    check_quick(t0);
    printf("  errno %s\n", errno ? ename(errno) : "0");
    errno = EBADF;
    show("sleep(0) with errno preset to EBADF", sleep(0));
    printf("  errno %s\n", errno ? ename(errno) : "0");
    errno = 0;
    t0 = now();
    show("usleep(0)", usleep(0));
    check_quick(t0);
    t0 = now();
    show("usleep(20000)", usleep(20000));
    check_slept(t0, 0.020);

    errno = 0;
    struct timespec req = { 0, 20000000L }, rem = { 77, 88 };
    t0 = now();
    showrc("thrd_sleep(20 ms, &rem)", thrd_sleep(&req, &rem));
    check_slept(t0, 0.020);
    printf("  rem after success = {%ld, %ld}\n", (long)rem.tv_sec, rem.tv_nsec);
    req = (struct timespec){ 0, 1000000000L };
    showrc("thrd_sleep(tv_nsec 1000000000)", thrd_sleep(&req, NULL));
    req = (struct timespec){ -1, 0 };
    rem = (struct timespec){ 77, 88 };
    showrc("thrd_sleep(tv_sec -1, &rem)", thrd_sleep(&req, &rem));
    printf("  rem after = {%ld, %ld}\n", (long)rem.tv_sec, rem.tv_nsec);
    req = (struct timespec){ 0, 0 };
    showrc("thrd_sleep({0, 0})", thrd_sleep(&req, NULL));
    errno = 0;
    t0 = now();
    show("thrd_yield() returns", (thrd_yield(), 0));
    check_quick(t0);
}

int main(void)
{
    start_program();
    test_nanosleep();
    test_clock_nanosleep();
    test_legacy();
    return finish_program("sleep_errors");
}
