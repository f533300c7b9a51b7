/* Shared by the Check suites: running a suite as TAP, timing tolerances
 * scaled by CK_TIMEOUT_MULTIPLIER, and running code in a child process
 * whose exit and stderr a test inspects. */
#ifndef GREEN_TESTS_HARNESS_H
#define GREEN_TESTS_HARNESS_H

#include <check.h>
#include <stdatomic.h>
#include <stdint.h>

#include "green.h"

/* Runs every test of s, each in its own process, writing TAP to stdout.
 * Returns main's exit status. */
int harness_run(Suite *s);

/* Adds test t to tc, unless the build is sanitized (fiber_san.h) and t
 * cannot run so: then it prints a TAP comment that names t and says why,
 * and t counts as neither passed nor failed. */
void harness_add_unsanitized(TCase *tc, const TTest *t, const char *why);

/* Milliseconds to nanoseconds. */
#define MS(x) ((int64_t)(x) * 1000000)

/* A timing slack for "took about X": base, times CK_TIMEOUT_MULTIPLIER. */
int64_t harness_slack(int64_t base_ns);

/* Asserts lo <= v <= hi + harness_slack(slack). */
#define ck_assert_time(v, lo, hi, slack)                                    \
    do {                                                                    \
        int64_t v_ = (v), lo_ = (lo), hi_ = (hi) + harness_slack(slack);    \
        ck_assert_msg(v_ >= lo_ && v_ <= hi_,                               \
                      "%s = %lld ns, expected %lld..%lld", #v,              \
                      (long long)v_, (long long)lo_, (long long)hi_);       \
    } while (0)

struct harness_child {
    int status;        /* as from waitpid */
    char err[8192];    /* what it wrote to stderr (NUL-terminated) */
    char out[8192];    /* what it wrote to stdout */
};

/* Runs fn(arg) in a forked child (which exits 0 if fn returns) and
 * collects its status and output. */
void harness_fork(void (*fn)(void *), void *arg, struct harness_child *c);

/* A crew: `greens` green threads running fn(arg), spawned and joined by
 * one OS thread. harness_crew_main(crew) is a pthread start routine;
 * harness_crews() runs `os` such OS threads (at most 16) and joins them. */
struct harness_crew {
    void *(*fn)(void *);
    void *arg;
    int greens;  /* at most 32 */
};

void *harness_crew_main(void *crew);
void harness_crews(int os, int greens, void *(*fn)(void *), void *arg);

/* Entries of a directory, "." and ".." aside (e.g. /proc/self/fd). */
int harness_count_entries(const char *dir);

/* OS threads of this process, from /proc/self/task, TSan's own left out
 * once harness_tsan_start counted them. */
int harness_os_threads(void);

/* Under TSan (nothing otherwise): makes sure TSan's own OS threads run
 * (it starts them with the first thread a process creates, one or two,
 * and keeps them until exit) and counts them, so that harness_os_threads
 * can leave them out. Call it before the test makes threads of its own:
 * every thread but main is then TSan's. */
void harness_tsan_start(void);

/* A ticker: a green thread that adds one to harness_ticks every 5 ms for
 * ns, so that a test can tell a blocked call let the others run. */
extern atomic_int harness_ticks;
green_t harness_ticker(int64_t ns);

#endif
