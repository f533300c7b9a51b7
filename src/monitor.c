/* The blocking monitor; see monitor.h.
 *
 * It reads other OS threads' hubs without their cooperation: the switch
 * count is atomic, the run queue length and deadlines are plain words
 * read racily (a stale value delays or skips a report, nothing worse),
 * and a thread is only dereferenced under its hub's list lock once it is
 * found on the list, so that it cannot be freed meanwhile. It is not
 * restarted in a fork child. */
#include "monitor.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "clock.h"
#include "common.h"
#include "config.h"
#include "fdtab.h"
#include "green.h"
#include "hub.h"
#include "log.h"
#include "oslock.h"
#include "real.h"
#include "thread.h"

static int64_t last_report;   /* green_now() of the last report */
static unsigned suppressed;   /* episodes not reported since */

/* Whether some parked thread of h is past its deadline. Under h's lock. */
static bool deadline_passed(const struct green__hub *h, int64_t now)
{
    for (const struct green_thread *t = h->threads; t; t = t->all_next) {
        int64_t d = *(const volatile int64_t *)&t->deadline;
        if (t->state == GREEN__PARKED && d >= 0 && d != INT64_MAX && d <= now)
            return true;
    }
    return false;
}

/* Names a system call the hint knows; NULL for others. */
static const char *syscall_name(long nr)
{
    static const struct { long nr; const char *name; } known[] = {
        {SYS_read, "read"},         {SYS_write, "write"},
        {SYS_pread64, "pread"},     {SYS_pwrite64, "pwrite"},
        {SYS_readv, "readv"},       {SYS_writev, "writev"},
        {SYS_openat, "openat"},     {SYS_fsync, "fsync"},
        {SYS_fdatasync, "fdatasync"}, {SYS_flock, "flock"},
        {SYS_futex, "futex"},       {SYS_nanosleep, "nanosleep"},
        {SYS_clock_nanosleep, "clock_nanosleep"},
        {SYS_wait4, "wait4"},       {SYS_waitid, "waitid"},
        {SYS_connect, "connect"},   {SYS_accept4, "accept4"},
        {SYS_recvfrom, "recvfrom"}, {SYS_sendto, "sendto"},
        {SYS_ppoll, "ppoll"},       {SYS_pselect6, "pselect6"},
        {SYS_epoll_pwait, "epoll_pwait"},
#ifdef SYS_poll
        {SYS_poll, "poll"},         {SYS_select, "select"},
        {SYS_epoll_wait, "epoll_wait"}, {SYS_accept, "accept"},
        {SYS_open, "open"},
#endif
    };
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (known[i].nr == nr)
            return known[i].name;
    return NULL;
}

static bool fd_call(const char *name)
{
    static const char *const calls[] = {"read", "write", "pread", "pwrite",
                                        "readv", "writev", "fsync",
                                        "fdatasync", "flock", "connect",
                                        "recvfrom", "sendto", "accept",
                                        "accept4"};
    for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++)
        if (!strcmp(calls[i], name))
            return true;
    return false;
}

/* What OS thread tid is doing, from /proc/self/task/TID/syscall: the
 * call and its first argument, or "running" (computing). */
static void hint(pid_t tid, char *buf, size_t n)
{
    static const char *const kinds[] = {"a file of unknown kind", "a socket",
                                        "a pipe", "a tty", "a file",
                                        "an fd of another kind"};
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/self/task/%d/syscall", (int)tid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t len = fd >= 0 ? read(fd, line, sizeof line - 1) : -1;
    if (fd >= 0)
        close(fd);
    if (len <= 0) {
        snprintf(buf, n, "no hint (%s unreadable)", path);
        return;
    }
    line[len] = 0;
    if (!strncmp(line, "running", 7)) {
        snprintf(buf, n, "computing");
        return;
    }
    char *end;
    long nr = strtol(line, &end, 10);
    unsigned long arg0 = strtoul(end, NULL, 16);
    const char *name = syscall_name(nr);
    if (!name) {
        snprintf(buf, n, "in system call %ld", nr);
        return;
    }
    if (!strcmp(name, "futex")) {
        snprintf(buf, n, "in futex(2): a process-shared or robust mutex "
                         "wait, or a lock inside glibc");
        return;
    }
    if (!fd_call(name)) {
        snprintf(buf, n, "in %s(2)", name);
        return;
    }
    int f = (int)arg0;
    struct green__fdinfo fi;
    unsigned kind = green__fd_info(f, &fi) == 0 ? fi.info & GREEN__FD_KIND
                                                : GREEN__FD_UNKNOWN;
    if (kind >= sizeof kinds / sizeof kinds[0])
        kind = GREEN__FD_UNKNOWN;
    const char *why = "";
    if (kind == GREEN__FD_PIPE || kind == GREEN__FD_TTY)
        why = f <= 2 ? ": stdio's internal writes block the OS thread"
                     : ": a wrapper passed the call through";
    else if (kind == GREEN__FD_FILE)
        why = ": file I/O blocks the OS thread (GREEN_FILE_IO=offload "
              "moves it to the pool)";
    snprintf(buf, n, "in %s(2) on fd %d, %s%s", name, f, kinds[kind], why);
}

static void report(struct green__hub *h, int64_t ran, bool ready,
                   int64_t now)
{
    if (last_report && now - last_report < GREEN__NS_PER_S) {
        suppressed++;
        return;
    }
    /* Only a listed thread is dereferenced: it cannot be freed while
     * the list's lock is held. */
    green__oslock_lock(&h->threads_lock);
    struct green_thread *cur = *(struct green_thread *volatile *)&h->current;
    struct green_thread *t = h->threads;
    while (t && t != cur)
        t = t->all_next;
    uint64_t id = t ? t->id : 0;
    char name[16] = "";
    if (t)
        memcpy(name, t->name, sizeof name - 1);
    green__oslock_unlock(&h->threads_lock);
    if (!t)
        return;  /* it switched meanwhile */
    char why[256], more[64] = "";
    hint(h->tid, why, sizeof why);
    if (suppressed)
        snprintf(more, sizeof more, " (%u more since the last report)",
                 suppressed);
    green__say("monitor: green thread %llu%s%s%s on OS thread %d has run "
               "%lld ms without a switch while %s; %s%s",
               (unsigned long long)id, name[0] ? " \"" : "", name,
               name[0] ? "\"" : "", (int)h->tid,
               (long long)(ran / 1000000),
               ready ? "other green threads are ready"
                     : "a deadline has passed",
               why, more);
    last_report = now;
    suppressed = 0;
}

/* One look at h. */
static void check(struct green__hub *h, void *arg)
{
    int64_t now = *(int64_t *)arg;
    uint64_t seq = atomic_load_explicit(&h->switch_seq, memory_order_relaxed);
    bool busy = *(struct green_thread *volatile *)&h->current != NULL;
    if (seq != h->mon_seq || !busy) {  /* it switched, or it is idle */
        h->mon_seq = seq;
        h->mon_since = now;
        h->mon_reported = !busy;
        return;
    }
    int64_t ran = now - h->mon_since;
    if (h->mon_reported ||
        ran < (int64_t)green__config.max_blocking_ms * 1000000)
        return;
    bool ready = *(volatile size_t *)&h->nready > 0;
    if (!ready) {
        green__oslock_lock(&h->threads_lock);
        bool late = deadline_passed(h, now);
        green__oslock_unlock(&h->threads_lock);
        if (!late)
            return;  /* alone on its hub: nobody waits for it */
    }
    h->mon_reported = true;  /* once per episode */
    report(h, ran, ready, now);
}

static void *monitor_main(void *arg)
{
    (void)arg;
    int64_t every = (int64_t)green__config.max_blocking_ms * 1000000 / 4;
    if (every < 1000000)
        every = 1000000;
    if (every > 250000000)
        every = 250000000;
    for (;;) {
        green__os_nap((long)every);
        int64_t now = green_now();
        green__hub_each(check, &now);
    }
    return NULL;
}

void green__monitor_setup(void)
{
    static atomic_flag done;
    if (!green__config.max_blocking_ms || atomic_flag_test_and_set(&done))
        return;
    pthread_attr_t attr;
    pthread_t th;
    sigset_t all, old;
    if (pthread_attr_init(&attr) != 0)
        return;
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    sigfillset(&all);  /* the program's handlers never run on it */
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int r = green__reals()->pthread_create(&th, &attr, monitor_main, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    pthread_attr_destroy(&attr);
    if (r != 0)
        green__log(GREEN__LOG_WARN, "GREEN_MAX_BLOCKING_MS: no monitor "
                   "thread: %s", strerror(r));
}
