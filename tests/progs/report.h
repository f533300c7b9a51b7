/* Helpers shared by the parity programs in tests/progs: error names, the
 * one-line reports of results and checks, setup failures, and forked children
 * that report through their exit status. Plain libc only: like the programs
 * themselves, this knows nothing of libgreen. */
#ifndef GREEN_TESTS_PROGS_REPORT_H
#define GREEN_TESTS_PROGS_REPORT_H

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Failed checks and children that did not exit 0; main's exit status. */
static int failures;

static inline const char *ename(int e)
{
    const char *n = strerrorname_np(e);
    return n ? n : "E?";
}

/* Prints "what = r", or "what = -1 ENAME" when r < 0. Reads errno first. */
static inline void show(const char *what, long r)
{
    int e = errno;
    if (r < 0)
        printf("%s = %ld %s\n", what, r, ename(e));
    else
        printf("%s = %ld\n", what, r);
}

/* For calls returning a new fd: "what = fd" or "what = -1 ENAME". */
static inline void showfd(const char *what, int r)
{
    int e = errno;
    if (r < 0)
        printf("%s = -1 %s\n", what, ename(e));
    else
        printf("%s = fd\n", what);
}

static inline void yesno(const char *what, int v)
{
    printf("%s: %s\n", what, v ? "yes" : "no");
}

static inline void check(int ok, const char *what)
{
    printf("%s: %s\n", what, ok ? "ok" : "NOT OK");
    if (!ok)
        failures++;
}

static inline void die(const char *what)
{
    printf("setup failed: %s: %s\n", what, ename(errno));
    exit(1);
}

/* The alarm's seconds: 10, or PARITY_ALARM's (a slower build, such as a
 * TSan one, gives its programs more: tests/preload/meson.build). */
static inline unsigned alarm_seconds(void)
{
    const char *s = getenv("PARITY_ALARM");
    int n = s ? atoi(s) : 0;
    return n > 0 ? (unsigned)n : 10;
}

/* The start of main: an alarm, so that a hang ends, and stdout line
 * buffered, so that a hang still shows the lines before it. */
static inline void start_program(void)
{
    alarm(alarm_seconds());
    setvbuf(stdout, NULL, _IOLBF, 0);
}

/* The end of main: the failure count, and the exit status it makes. */
static inline int finish_program(const char *name)
{
    printf("%s: %d failures\n", name, failures);
    return failures ? 1 : 0;
}

/* Setup write whose result is not itself a check: a failure still counts. */
static inline void put(int fd, const char *s)
{
    ssize_t n = write(fd, s, strlen(s));
    if (n != (ssize_t)strlen(s)) {
        printf("setup write failed: %s\n", n < 0 ? ename(errno) : "short");
        failures++;
    }
}

/* Seconds on CLOCK_MONOTONIC. */
static inline double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Sleeps the whole time, whatever signals come. */
static inline void msleep(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
    }
}

/* An fd number that was open and has just been closed. */
static inline int closed_fd(void)
{
    int p[2];
    if (pipe(p) < 0)
        die("pipe");
    close(p[0]);
    close(p[1]);
    return p[0];
}

static inline void status_line(const char *who, int st)
{
    if (WIFEXITED(st))
        printf("%s: exited %d\n", who, WEXITSTATUS(st));
    else if (WIFSIGNALED(st))
        printf("%s: killed by SIG%s\n", who, sigabbrev_np(WTERMSIG(st)));
    else
        printf("%s: status 0x%x\n", who, st);
}

/* status_line() for a child that must exit 0; anything else is a failure. */
static inline void expect_exit0(const char *who, int st)
{
    status_line(who, st);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        failures++;
}

/* fork() with stdout flushed first (no line printed twice); the child gets
 * its own alarm (alarm_seconds) so that a hang ends. Returns 0 in the child. */
static inline pid_t fork_child(void)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0)
        alarm(alarm_seconds());
    return pid;
}

/* Waits for pid (through EINTR) and returns its wait status. */
static inline int reap(pid_t pid)
{
    int st = 0;
    pid_t r;
    while ((r = waitpid(pid, &st, 0)) < 0 && errno == EINTR) {
    }
    if (r != pid)
        die("waitpid");
    return st;
}

/* A child that closes other (unless it is -1), waits ms milliseconds and
 * writes s into fd; it exits 0 if all of s went in, 2 if not. */
static inline pid_t late_write(int fd, int other, long ms, const char *s)
{
    pid_t pid = fork_child();
    if (pid == 0) {
        if (other >= 0)
            close(other);
        msleep(ms);
        _exit(write(fd, s, strlen(s)) == (ssize_t)strlen(s) ? 0 : 2);
    }
    return pid;
}

/* Installs fn for sig with sa_flags `flags` and an empty mask. */
static inline void set_handler(int sig, void (*fn)(int), int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = fn;
    sa.sa_flags = flags;
    sigemptyset(&sa.sa_mask);
    if (sigaction(sig, &sa, NULL) < 0)
        die("sigaction");
}

#endif
