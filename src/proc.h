/* Child processes made green: the wait family, system and popen/pclose.
 *
 * A wait for one child (pid > 0, or a pidfd) watches a pidfd, which
 * becomes readable when the child exits, and reaps with the real call
 * and WNOHANG. A wait for any child, a process group, or stops and
 * continues has no fd to watch: a pool thread (offload.h) blocks in
 * waitid with WNOWAIT, which reaps nothing, so a status is never lost to
 * a worker whose waiter has left; the green thread then reaps it itself
 * with WNOHANG, and waits again if another thread took it first.
 * Nothing here installs a SIGCHLD handler or reaps a child that was not
 * asked for.
 *
 * system and popen spawn /bin/sh with posix_spawn as glibc does (its
 * own waitpid, inside libc, would block the OS thread: docs/design.md G3),
 * and wait with the waits above. All return -errno on failure. */
#ifndef GREEN_SRC_PROC_H
#define GREEN_SRC_PROC_H

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>

#include "hub.h"

/* Whether a wait with these options may be green: it could block
 * (no WNOHANG) and green__gate() says another green thread could run. */
static inline bool green__proc_gate(int options)
{
    return !(options & WNOHANG) && green__gate();
}

/* wait4(2) made green (waitpid, wait and wait3 are forms of it): the
 * child's pid, or -errno (-ECHILD, -EINVAL, -EINTR as the kernel gives
 * it, -ECANCELED, -ETIMEDOUT). flags: green__park_flags()'s. A
 * cancellation point (unless flags has GREEN__NOCANCEL). May yield. */
pid_t green__proc_wait4(pid_t pid, int *status, int options,
                        struct rusage *ru, int flags);

/* waitid(2) made green: 0 or -errno, as green__proc_wait4. */
int green__proc_waitid(idtype_t type, id_t id, siginfo_t *info, int options,
                       int flags);

/* system(3) with glibc's rules (SIGINT and SIGQUIT ignored and SIGCHLD
 * blocked while it runs, counted across concurrent calls), waiting
 * green. Returns the wait status (W_EXITCODE(127, 0) if the shell could
 * not be spawned; then *spawn_err is that error, else 0), or -errno. A
 * NULL line asks whether a shell is available: 1 or 0. May yield. */
int green__proc_system(const char *line, int *spawn_err);

/* popen(3) as glibc's: modes "r" and "w", with 'e' for close-on-exec;
 * the streams of earlier popen calls are closed in the child. Returns 0
 * and the stream in *out, or -errno. */
int green__proc_popen(const char *command, const char *mode, FILE **out);

/* GREEN__PROC_NOT_OURS: pclose of a stream that green__proc_popen did not
 * make (glibc's pclose is then fclose). */
#define GREEN__PROC_NOT_OURS INT_MIN

/* pclose(3): closes a stream of green__proc_popen and waits for its
 * child. Returns the wait status, -errno (-ECHILD if another wait took
 * the child; the close's error if the stream failed to flush and the
 * child exited 0, as glibc), or GREEN__PROC_NOT_OURS. May yield. */
int green__proc_pclose(FILE *fp);

#endif
