/* Child processes made green: the wait family.
 *
 * A wait for one child (pid > 0, or a pidfd) watches a pidfd, which
 * becomes readable when the child exits, and reaps with the real call
 * and WNOHANG. A wait for any child, a process group, or stops and
 * continues has no fd to watch: a pool thread (offload.h) blocks in
 * waitid with WNOWAIT, which reaps nothing, so a status is never lost to
 * a worker whose waiter has left; the green thread then reaps it itself
 * with WNOHANG, and waits again if another thread took it first.
 * Nothing here installs a SIGCHLD handler or reaps a child that was not
 * asked for. All return -errno on failure; system and popen, built on
 * these waits, are in shell.h. */
#ifndef GREEN_SRC_PROC_H
#define GREEN_SRC_PROC_H

#include <stdbool.h>
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

/* wait4 for a child with no options, not acting on a cancellation: a
 * kill or pthread_cancel makes it return -ECANCELED to the caller, which
 * cleans up first (system, pclose). Otherwise as green__proc_wait4. */
pid_t green__proc_wait_plain(pid_t pid, int *status, int flags);

/* vfork. A vfork child runs on its parent's memory, stack and TLS until
 * it execs or exits, so a real one is made only while nothing green has
 * run in the process: no hub has ever existed (green__fdtab_live is
 * still false), so no loop, watcher, fd entry or green thread is there
 * for the child's wrappers to touch, and each passes straight through.
 * Otherwise vfork is fork (docs/processes.md).
 *
 * green__proc_vfork_begin says whether a real vfork may be made, and if
 * so marks the calling thread as a vfork child's until its parent, back
 * from the call, ends the mark with green__proc_vfork_end: the child sees
 * the mark (the parent's thread is suspended meanwhile, and other threads
 * do not see this one's TLS), and the signal wrappers then leave the
 * parent's handler table alone (green__proc_vfork_child). */
bool green__proc_vfork_begin(void);
void green__proc_vfork_end(void);

extern __thread bool green__tls_vfork
    __attribute__((tls_model("initial-exec")));

static inline bool green__proc_vfork_child(void)
{
    return green__tls_vfork;
}

#endif
