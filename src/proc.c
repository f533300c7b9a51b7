/* Child processes made green: waits, system, popen; see proc.h. */
#include "proc.h"

#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cancel.h"
#include "common.h"
#include "fdtab.h"
#include "io.h"
#include "offload.h"
#include "oslock.h"
#include "real.h"
#include "wait.h"

/* ---- the wait family ---------------------------------------------------- */

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
    struct pool_wait *w = container_of(job, struct pool_wait, job);
    siginfo_t info;
    w->err = green__real.waitid(w->type, w->id, &info, w->options) < 0 ? errno
                                                                      : 0;
}

static void pool_discard(struct green__job *job)
{
    free(container_of(job, struct pool_wait, job));
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
        pool_args(c, w);
        w->job.run = pool_run;
        w->job.discard = pool_discard;
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

/* wait4 without acting on a cancellation. */
static long wait4_plain(pid_t pid, int *status, int flags)
{
    struct wcall c = {.pid = pid, .status = status};
    return wait_any(&c, flags);
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

/* ---- system ------------------------------------------------------------- */

/* As glibc: the first of concurrent system() calls in the process ignores
 * SIGINT and SIGQUIT, the last puts them back. */
static struct green__oslock sys_lock;
static unsigned sys_refs;
static struct sigaction sys_intr, sys_quit;

/* SIGCHLD is blocked while system() runs, in the OS thread's mask, which
 * its green threads share: counted per OS thread, so the first call
 * blocks it and the last restores it, whatever order they end in. */
static __thread unsigned chld_refs;
static __thread bool chld_was_blocked;

/* Blocks SIGCHLD; *child gets the mask the shell starts with: this
 * thread's, with SIGCHLD as it was before the first system() here. */
static void chld_block(sigset_t *child)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    pthread_sigmask(SIG_BLOCK, &set, child);
    if (chld_refs++ == 0)
        chld_was_blocked = sigismember(child, SIGCHLD);
    if (!chld_was_blocked)
        sigdelset(child, SIGCHLD);
}

static void chld_unblock(void)
{
    if (--chld_refs || chld_was_blocked)
        return;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}

static void sys_enter(sigset_t *reset)
{
    struct sigaction ign = {.sa_handler = SIG_IGN};
    sigemptyset(&ign.sa_mask);
    green__oslock_lock(&sys_lock);
    if (sys_refs++ == 0) {
        sigaction(SIGINT, &ign, &sys_intr);
        sigaction(SIGQUIT, &ign, &sys_quit);
    }
    sigemptyset(reset);
    if (sys_intr.sa_handler != SIG_IGN)
        sigaddset(reset, SIGINT);
    if (sys_quit.sa_handler != SIG_IGN)
        sigaddset(reset, SIGQUIT);
    green__oslock_unlock(&sys_lock);
}

static void sys_leave(void)
{
    green__oslock_lock(&sys_lock);
    if (--sys_refs == 0) {
        sigaction(SIGINT, &sys_intr, NULL);
        sigaction(SIGQUIT, &sys_quit, NULL);
    }
    green__oslock_unlock(&sys_lock);
}

/* /bin/sh -c line, as glibc's system and popen run it. */
static int spawn_shell(pid_t *pid, const char *line,
                       const posix_spawn_file_actions_t *fa,
                       const posix_spawnattr_t *attr)
{
    char *argv[] = {"sh", "-c", (char *)line, NULL};
    return posix_spawn(pid, "/bin/sh", fa, attr, argv, environ);
}

int green__proc_system(const char *line, int *spawn_err)
{
    *spawn_err = 0;
    if (!line)  /* glibc runs a shell to find out */
        return green__proc_system("exit 0", spawn_err) == 0;
    sigset_t reset, mask;
    sys_enter(&reset);
    chld_block(&mask);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    posix_spawnattr_setsigmask(&attr, &mask);
    posix_spawnattr_setsigdefault(&attr, &reset);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF |
                                        POSIX_SPAWN_SETSIGMASK);
    pid_t pid;
    int err = spawn_shell(&pid, line, NULL, &attr);
    posix_spawnattr_destroy(&attr);
    int status = W_EXITCODE(127, 0), r = 0;
    if (err)
        *spawn_err = err;  /* as if the shell had exited 127 */
    else
        while ((r = (int)wait4_plain(pid, &status, GREEN__ERESTART)) ==
               -EINTR) {
        }
    if (r == -ECANCELED || r == -ETIMEDOUT) {
        /* glibc's cancellation handler: the shell is killed and reaped,
         * and the signals put back, before the thread unwinds. */
        kill(pid, SIGKILL);
        while (wait4_plain(pid, NULL, GREEN__NOCANCEL) == -EINTR) {
        }
    }
    sys_leave();
    chld_unblock();
    if (r == -ECANCELED)
        green__testcancel();
    return r < 0 ? r : status;
}

/* ---- popen and pclose --------------------------------------------------- */

/* The streams popen made and not yet pclosed, with their children. The
 * fd is kept as well as the stream: popen closes it in later children
 * (POSIX), and reads no FILE that the program may have freed. */
struct popened {
    struct popened *next;
    FILE *fp;
    int fd;
    pid_t pid;
};

static struct green__oslock popen_lock;  /* held across a spawn, as glibc */
static struct popened *popen_list;

/* The spawn of popen, with popen_lock held: the child's end of the pipe
 * becomes its fd 0 or 1, the earlier streams are closed. 0 or -errno. */
static int popen_spawn(const char *command, int child_end, int child_fd,
                       pid_t *pid)
{
    posix_spawn_file_actions_t fa;
    int err = posix_spawn_file_actions_init(&fa);
    if (err)
        return -err;
    err = posix_spawn_file_actions_adddup2(&fa, child_end, child_fd);
    for (struct popened *p = popen_list; p && !err; p = p->next)
        if (p->fd != child_fd)  /* the dup2 has closed that one */
            err = posix_spawn_file_actions_addclose(&fa, p->fd);
    if (!err)
        err = spawn_shell(pid, command, &fa, NULL);
    posix_spawn_file_actions_destroy(&fa);
    return -err;
}

int green__proc_popen(const char *command, const char *mode, FILE **out)
{
    bool rd = false, wr = false, cloexec = false;
    for (const char *m = mode; *m; m++) {
        if (*m == 'r')
            rd = true;
        else if (*m == 'w')
            wr = true;
        else if (*m == 'e')
            cloexec = true;
        else
            return -EINVAL;
    }
    if (rd == wr)
        return -EINVAL;
    struct popened *e = malloc(sizeof *e);
    int fds[2];
    if (!e)
        return -ENOMEM;
    if (pipe2(fds, O_CLOEXEC) < 0) {
        int r = -errno;
        free(e);
        return r;
    }
    int child_fd = rd ? 1 : 0, child_end = fds[child_fd == 1 ? 1 : 0];
    e->fd = fds[rd ? 0 : 1];
    e->fp = fdopen(e->fd, rd ? "r" : "w");  /* before the spawn, as glibc
                                               allocates its FILE first */
    int r = e->fp ? 0 : -errno;
    green__oslock_lock(&popen_lock);
    if (!r && child_end == child_fd) {
        /* The dup2 to itself would keep close-on-exec: move it first. */
        int tmp = fcntl(child_end, F_DUPFD_CLOEXEC, 0);
        r = tmp < 0 ? -errno : 0;
        if (tmp >= 0) {
            close(child_end);
            child_end = tmp;
        }
    }
    if (!r)
        r = popen_spawn(command, child_end, child_fd, &e->pid);
    if (!r) {
        e->next = popen_list;
        popen_list = e;
    }
    green__oslock_unlock(&popen_lock);
    close(child_end);
    if (r < 0) {
        if (e->fp)
            fclose(e->fp);
        else
            close(e->fd);
        free(e);
        return r;
    }
    if (!cloexec)
        fcntl(e->fd, F_SETFD, 0);
    *out = e->fp;
    return 0;
}

int green__proc_pclose(FILE *fp)
{
    green__oslock_lock(&popen_lock);
    struct popened **pp = &popen_list, *e;
    while ((e = *pp) && e->fp != fp)
        pp = &e->next;
    if (e)
        *pp = e->next;
    green__oslock_unlock(&popen_lock);
    if (!e)
        return GREEN__PROC_NOT_OURS;
    pid_t pid = e->pid;
    free(e);
    int closed = fclose(fp) < 0 ? -errno : 0;
    int status = 0, r;
    /* glibc's pclose waits with cancellation disabled, through EINTR. */
    while ((r = (int)wait4_plain(pid, &status,
                                 GREEN__ERESTART | GREEN__NOCANCEL)) ==
           -EINTR) {
    }
    if (r < 0)
        return r;
    return status ? status : closed;
}
