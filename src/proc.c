/* Child processes made green: the wait family; see proc.h. */
#include "proc.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cancel.h"
#include "common.h"
#include "fdtab.h"
#include "io.h"
#include "offload.h"
#include "ready.h"
#include "real.h"
#include "stats.h"
#include "wait.h"

__thread bool green__tls_vfork __attribute__((tls_model("initial-exec")));

bool green__proc_vfork_begin(void)
{
    if (atomic_load(&green__fdtab_live))
        return false;
    green__tls_vfork = true;
    return true;
}

void green__proc_vfork_end(void)
{
    green__tls_vfork = false;
}

/* One wait call: wait4's arguments, or waitid's (info is never NULL in
 * here: a NULL one is replaced, since WNOHANG's "nothing yet" only shows
 * in si_pid). */
struct wcall {
    bool waitid;
    pid_t pid;            /* wait4 */
    int *status;
    struct rusage *ru;
    idtype_t type;        /* waitid */
    id_t id;
    siginfo_t *info;
    int options;          /* the caller's, without WNOHANG */
};

/* The real call made non-blocking: the child's pid (or 1 for waitid) if
 * one was reported, 0 if none is ready yet, or -errno. */
static long try_once(struct wcall *c)
{
    if (!c->waitid) {
        pid_t r = green__real.wait4(c->pid, c->status, c->options | WNOHANG,
                                    c->ru);
        return r < 0 ? -errno : r;
    }
    c->info->si_pid = 0;
    if (green__real.waitid(c->type, c->id, c->info, c->options | WNOHANG) < 0)
        return -errno;
    return c->info->si_pid != 0;
}

/* The real call, blocking the OS thread: where nothing green applies. */
static long block(struct wcall *c)
{
    green__stats_blocked(c->waitid ? "waitid" : "wait4");
    if (!c->waitid) {
        pid_t r = green__real.wait4(c->pid, c->status, c->options, c->ru);
        return r < 0 ? -errno : r;
    }
    return green__real.waitid(c->type, c->id, c->info, c->options) < 0 ? -errno
                                                                       : 1;
}

/* After a wait failed with -EINTR: a child that is ready anyway is
 * reported, as the kernel prefers a status to the interruption. */
static long interrupted(struct wcall *c, long r)
{
    long again = r == -EINTR ? try_once(c) : 0;
    return again != 0 ? again : r;
}

/* A pidfd of libgreen's own for pid (hidden from close_range), or -errno. */
static int pidfd_open(pid_t pid)
{
    int fd = (int)green__real.syscall(SYS_pidfd_open, pid, 0);
    if (fd < 0)
        return -errno;
    if (green__io_tracking())
        green__fd_made(fd, GREEN__FD_KNOWN | GREEN__FD_OTHER, true);
    return fd;
}

static void pidfd_close(int fd)
{
    green__io_closing(fd);
    green__real.close(fd);
}

/* One child: its pidfd becomes readable when it exits. `fd` is the
 * caller's pidfd (waitid P_PIDFD), or -1 to open one for c->pid. */
static long wait_pidfd(struct wcall *c, int fd, int flags)
{
    int own = -1;
    long r;
    while ((r = try_once(c)) == 0) {
        if (fd < 0) {
            if ((fd = own = pidfd_open(c->pid)) < 0) {
                r = block(c);  /* no fd to spare: wait as glibc would */
                break;
            }
        }
        int w = green__wait_fd_flags(fd, GREEN_IN, GREEN_NEVER, flags);
        if (w < 0 && w != -EBADF) {  /* EBADF: the next try says why */
            r = interrupted(c, w);
            break;
        }
    }
    if (own >= 0)
        pidfd_close(own);
    return r;
}

/* A pool thread's wait for any child of a set: WNOWAIT, so it takes no
 * status; the green thread reaps. On the heap, since a waiter that is
 * interrupted leaves it to the pool until some child changes state. */
struct pool_wait {
    struct green__job job;
    idtype_t type;
    id_t id;
    int options;
    int err;
};

static void pool_run(struct green__job *job)
{
    struct pool_wait *w = green__container_of(job, struct pool_wait, job);
    siginfo_t info;
    w->err = green__real.waitid(w->type, w->id, &info, w->options) < 0 ? errno
                                                                      : 0;
}

static void pool_discard(struct green__job *job)
{
    free(green__container_of(job, struct pool_wait, job));
}

/* waitid's set and options for c: wait4's pid and options translated. */
static void pool_args(const struct wcall *c, struct pool_wait *w)
{
    if (c->waitid) {
        w->type = c->type;
        w->id = c->id;
        w->options = c->options;
    } else {
        w->type = c->pid < -1 ? P_PGID : c->pid == -1 ? P_ALL
                : c->pid == 0 ? P_PGID : P_PID;
        w->id = c->pid < -1 ? (id_t)-c->pid : c->pid == 0 ? (id_t)getpgid(0)
              : c->pid > 0 ? (id_t)c->pid : 0;
        w->options = WEXITED | (c->options & (__WALL | __WCLONE)) |
                     ((c->options & WUNTRACED) ? WSTOPPED : 0) |
                     (c->options & WCONTINUED);
    }
    w->options |= WNOWAIT;
    w->err = 0;
}

static long wait_pool(struct wcall *c, int flags)
{
    long r;
    while ((r = try_once(c)) == 0) {
        struct pool_wait *w = malloc(sizeof *w);
        if (!w)
            return block(c);
        w->job = (struct green__job){.run = pool_run,
                                     .discard = pool_discard};
        pool_args(c, w);
        int o = green__offload(&w->job, flags);
        if (o < 0)  /* interrupted: the job is the pool's now */
            return interrupted(c, o);
        int err = w->err;
        free(w);
        if (err)  /* a race with other waiters, or a set the pool thread
                     cannot see: settle it the plain way */
            return (r = try_once(c)) != 0 ? r : block(c);
    }
    return r;
}

/* Any wait, once the gate said yes and WNOHANG is not asked for. */
static long wait_green(struct wcall *c, int flags)
{
    bool one = c->waitid ? c->type == P_PID || c->type == P_PIDFD : true;
    green__wait_why(GREEN__WHY_CHILD, NULL,
                    !one ? -1 : c->waitid ? (int64_t)c->id : c->pid);
    flags |= GREEN__WHY;
    int stops = c->waitid ? WSTOPPED | WCONTINUED : WUNTRACED | WCONTINUED;
    if (c->options & __WNOTHREAD)  /* a pool thread's children are none */
        return c->waitid || c->pid <= 0 || (c->options & stops)
                   ? block(c) : wait_pidfd(c, -1, flags);
    if (!(c->options & stops)) {
        if (!c->waitid && c->pid > 0)
            return wait_pidfd(c, -1, flags);
        if (c->waitid && c->type == P_PID)
            return wait_pidfd(c, -1, flags);
        if (c->waitid && c->type == P_PIDFD)
            return wait_pidfd(c, (int)c->id, flags);
    }
    return wait_pool(c, flags);
}

/* Any wait: green if the gate says so. */
static long wait_any(struct wcall *c, int flags)
{
    return green__proc_gate(c->options) ? wait_green(c, flags) : block(c);
}

/* A wait as a cancellation point: on entry, and when it was woken for
 * one. */
static long wait_cancel(struct wcall *c, int flags)
{
    if (!(flags & GREEN__NOCANCEL))
        green__testcancel();
    long r = wait_any(c, flags);
    if (r == -ECANCELED && !(flags & GREEN__NOCANCEL))
        green__testcancel();
    return r;
}

pid_t green__proc_wait_plain(pid_t pid, int *status, int flags)
{
    struct wcall c = {.pid = pid, .status = status};
    return (pid_t)wait_any(&c, flags);
}

pid_t green__proc_wait4(pid_t pid, int *status, int options,
                        struct rusage *ru, int flags)
{
    struct wcall c = {.pid = pid, .status = status, .ru = ru,
                      .options = options};
    return (pid_t)wait_cancel(&c, flags);
}

int green__proc_waitid(idtype_t type, id_t id, siginfo_t *info, int options,
                       int flags)
{
    siginfo_t own;
    struct wcall c = {.waitid = true, .type = type, .id = id,
                      .info = info ? info : &own, .options = options};
    long r = wait_cancel(&c, flags);
    return r < 0 ? (int)r : 0;
}
