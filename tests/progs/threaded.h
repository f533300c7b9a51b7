/* Helpers shared by the threaded parity programs in tests/progs, C and C++:
 * the two stderr lines parity.py reads but does not compare ("tasks: N", the
 * OS threads of the process while all the workers are alive; "elapsed: S"),
 * thread creation and joining that end the program on failure, absolute
 * deadlines, and reports of calls that return an error number. Plain libc
 * only: like the programs, this knows nothing of libgreen. */
#ifndef GREEN_TESTS_PROGS_THREADED_H
#define GREEN_TESTS_PROGS_THREADED_H

#include <dirent.h>
#include <pthread.h>
#include <stdint.h>

#include "report.h"

/* Entries in /proc/self/task: the process's OS threads (-1 if unreadable). */
static inline int count_tasks(void)
{
    DIR *d = opendir("/proc/self/task");
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

/* "tasks: N" on stderr. Call it while all the worker threads are alive:
 * natively N counts them all, with green threads it is 1. */
static inline void report_tasks(void)
{
    fprintf(stderr, "tasks: %d\n", count_tasks());
}

/* "elapsed: S" on stderr, seconds since t0 (a now() value). */
static inline void report_elapsed(double t0)
{
    fprintf(stderr, "elapsed: %.3f\n", now() - t0);
}

/* The roll call, for a barrier of the workers plus main: all meet, main
 * counts the tasks, all meet again; so nobody has exited during the count. */
static inline void roll_call(pthread_barrier_t *b, int is_main)
{
    pthread_barrier_wait(b);
    if (is_main)
        report_tasks();
    pthread_barrier_wait(b);
}

/* Ends the program on a setup call that returned error number r. */
static inline void die_rc(const char *what, int r)
{
    errno = r;
    die(what);
}

/* pthread_create with attr (may be NULL); a failure ends the program. */
static inline pthread_t spawn_attr(const pthread_attr_t *attr, void *(*fn)(void *), void *arg)
{
    pthread_t t;
    int r = pthread_create(&t, attr, fn, arg);
    if (r != 0)
        die_rc("pthread_create", r);
    return t;
}

static inline pthread_t spawn(void *(*fn)(void *), void *arg)
{
    return spawn_attr(NULL, fn, arg);
}

/* pthread_join; returns the thread's value. A failure ends the program. */
static inline void *join(pthread_t t)
{
    void *v = NULL;
    int r = pthread_join(t, &v);
    if (r != 0)
        die_rc("pthread_join", r);
    return v;
}

/* Starts n threads of fn, each with its index as its argument. */
static inline void spawn_n(pthread_t *t, int n, void *(*fn)(void *))
{
    for (int i = 0; i < n; i++)
        t[i] = spawn(fn, (void *)(intptr_t)i);
}

/* Joins n threads; returns how many of them returned non-NULL. */
static inline int join_n(const pthread_t *t, int n)
{
    int nonnull = 0;
    for (int i = 0; i < n; i++)
        nonnull += join(t[i]) != NULL;
    return nonnull;
}

/* spawn_n for threads that begin with roll_call(b, 0); main takes its part
 * in the roll call (b is set up here, for them and main). */
static inline void spawn_roll_call(pthread_barrier_t *b, pthread_t *t, int n, void *(*fn)(void *))
{
    if (pthread_barrier_init(b, NULL, (unsigned)n + 1) != 0)
        die("pthread_barrier_init");
    spawn_n(t, n, fn);
    roll_call(b, 1);
}

/* Runs fn(arg) in a new thread and returns what it returned, as a long:
 * for calls that must come from another thread than the caller. */
static inline long in_thread(void *(*fn)(void *), void *arg)
{
    return (long)(intptr_t)join(spawn(fn, arg));
}

/* The absolute time ms milliseconds from now on clock clk. */
static inline struct timespec deadline(clockid_t clk, long ms)
{
    struct timespec ts;
    clock_gettime(clk, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

/* For calls that return an error number (the pthread_* family):
 * "what = 0" or "what = ENAME". */
static inline void showrc(const char *what, int r)
{
    if (r == 0)
        printf("%s = 0\n", what);
    else
        printf("%s = %s\n", what, ename(r));
}

/* A timed wait that began at t0 (a now() value) and timed out after secs:
 * it may not end early and may be at most 1.5 s late. */
static inline void check_waited(double t0, double secs)
{
    double dt = now() - t0;
    check(dt >= secs && dt < secs + 1.5, "  waited the whole timeout");
}

/* Runs fn(arg), which returns an error number, in another thread and prints
 * "  other thread: <call> = <error>"; for a call with a 100 ms timeout
 * (timed), also whether it waited that long. */
static inline void other_thread(const char *call, void *(*fn)(void *), void *arg, int timed)
{
    char line[160];
    snprintf(line, sizeof line, "  other thread: %s", call);
    double t0 = now();
    showrc(line, (int)in_thread(fn, arg));
    if (timed)
        check_waited(t0, 0.1);
}

#endif
