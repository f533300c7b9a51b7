/* system, popen and pclose made green; see shell.h. */
#include "shell.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <unistd.h>

#include "cancel.h"
#include "oslock.h"
#include "proc.h"
#include "wait.h"

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

int green__shell_system(const char *line, int *spawn_err)
{
    *spawn_err = 0;
    if (!line)  /* glibc runs a shell to find out */
        return green__shell_system("exit 0", spawn_err) == 0;
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
        while ((r = green__proc_wait_plain(pid, &status,
                                           GREEN__ERESTART)) == -EINTR) {
        }
    if (r == -ECANCELED || r == -ETIMEDOUT) {
        /* glibc's cancellation handler: the shell is killed and reaped,
         * and the signals put back, before the thread unwinds. */
        kill(pid, SIGKILL);
        while (green__proc_wait_plain(pid, NULL, GREEN__NOCANCEL) ==
               -EINTR) {
        }
    }
    sys_leave();
    chld_unblock();
    if (r == -ECANCELED)
        green__testcancel();
    return r < 0 ? r : status;
}

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

int green__shell_popen(const char *command, const char *mode, FILE **out)
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

int green__shell_pclose(FILE *fp)
{
    green__oslock_lock(&popen_lock);
    struct popened **pp = &popen_list, *e;
    while ((e = *pp) && e->fp != fp)
        pp = &e->next;
    if (e)
        *pp = e->next;
    green__oslock_unlock(&popen_lock);
    if (!e)
        return GREEN__SHELL_NOT_OURS;
    pid_t pid = e->pid;
    free(e);
    int closed = fclose(fp) < 0 ? -errno : 0;
    int status = 0, r;
    /* glibc's pclose waits with cancellation disabled, through EINTR. */
    while ((r = green__proc_wait_plain(pid, &status,
                                       GREEN__ERESTART | GREEN__NOCANCEL)) ==
           -EINTR) {
    }
    if (r < 0)
        return r;
    return status ? status : closed;
}
