/* Processes: fork, the wait family, system, popen and pclose.
 *
 * fork: the program's pthread_atfork handlers run inside it, around a
 * fork that must not be interleaved with another green thread's, so
 * every wrapper they call passes straight through meanwhile (the side
 * effect: an fd such a handler makes counts as libgreen's own). The
 * child's reset is hub.c's atfork handler, so that glibc's own forks
 * (daemon) get it too; _Fork runs no handlers and resets here.
 *
 * vfork is a real vfork while nothing green has run in the process (no
 * hub yet: a shell, make, a compiler driver), where the child's wrappers
 * all pass straight through (src/proc.h); the assembly that makes it is
 * arch/x86_64/vfork.S, since a vfork must return twice from one frame.
 * Otherwise vfork is fork: a vfork child runs in its parent's memory,
 * where a wrapper would use the parent's hub and loop. POSIX lets a
 * vfork child do nothing but exec or _exit, and fork gives it that; what
 * it cannot give is the parent seeing the child's writes to memory,
 * which POSIX leaves undefined.
 *
 * The waits: shape "wait", gate (no WNOHANG, another green thread could
 * run), then src/proc.c. system, popen and pclose are wrapped at the
 * top level, by src/shell.c: glibc's call posix_spawn and a waitpid
 * inside libc, which no wrapper sees (docs/design.md G3). */
#include "interpose.h"

#include <errno.h>

#include "config.h"
#include "proc.h"
#include "shell.h"
#include "sigmask.h"
#include "wait.h"

GREEN__INTERPOSE pid_t fork(void)
{
    const struct green__real *real = green__reals();
    green__tls_internal++;  /* the atfork handlers' calls pass through */
    pid_t pid = real->fork();
    green__tls_internal--;
    return pid;
}

#if GREEN_ASM_VFORK
/* The C side of arch/x86_64/vfork.S, which exports vfork itself. */
__attribute__((visibility("hidden"))) pid_t green__vfork_fork(void);
pid_t green__vfork_fork(void)
{
    return fork();
}

__attribute__((visibility("hidden"))) pid_t green__vfork_failed(int err);
pid_t green__vfork_failed(int err)
{
    return (pid_t)green__set_errno(-err);
}
#else
GREEN__INTERPOSE pid_t vfork(void)
{
    return fork();
}
#endif

GREEN__INTERPOSE pid_t _Fork(void)
{
    pid_t pid = green__reals()->_Fork();
    if (pid == 0)
        green__hub_fork_child();
    return pid;
}

/* A POSIX cancellation point; restarted under SA_RESTART, as the kernel
 * restarts it. */
GREEN__INTERPOSE pid_t waitpid(pid_t pid, int *status, int options)
{
    if (!green__proc_gate(options))
        return green__reals()->waitpid(pid, status, options);
    return (pid_t)green__set_errno(
        green__proc_wait4(pid, status, options, NULL, GREEN__ERESTART));
}

GREEN__INTERPOSE pid_t wait(int *status)
{
    if (!green__proc_gate(0))
        return green__reals()->wait(status);
    return (pid_t)green__set_errno(
        green__proc_wait4(-1, status, 0, NULL, GREEN__ERESTART));
}

GREEN__INTERPOSE pid_t wait3(int *status, int options, struct rusage *ru)
{
    if (!green__proc_gate(options))
        return green__reals()->wait3(status, options, ru);
    return (pid_t)green__set_errno(
        green__proc_wait4(-1, status, options, ru, GREEN__ERESTART));
}

GREEN__INTERPOSE pid_t wait4(pid_t pid, int *status, int options,
                             struct rusage *ru)
{
    if (!green__proc_gate(options))
        return green__reals()->wait4(pid, status, options, ru);
    return (pid_t)green__set_errno(
        green__proc_wait4(pid, status, options, ru, GREEN__ERESTART));
}

GREEN__INTERPOSE int waitid(idtype_t type, id_t id, siginfo_t *info,
                            int options)
{
    if (!green__proc_gate(options))
        return green__reals()->waitid(type, id, info, options);
    return (int)green__set_errno(
        green__proc_waitid(type, id, info, options, GREEN__ERESTART));
}

/* The status, or -1 with errno; a shell that cannot be spawned gives
 * the status of exit(127) and sets errno as well, as glibc's does. */
GREEN__INTERPOSE int system(const char *line)
{
    if (!green__gate())
        return green__real.system(line);
    int spawn_err;
    int r = green__shell_system(line, &spawn_err);
    if (spawn_err)
        errno = spawn_err;
    return (int)green__set_errno(r);
}

/* A new program, or a child spawned without POSIX_SPAWN_SETSIGMASK,
 * starts with the signal mask of the thread that made it: the OS
 * thread's real mask is that green thread's own for the call
 * (src/sigmask.h). glibc's internal execs (execl*, system's spawn) are
 * reached only through these or the wrappers above. */
GREEN__INTERPOSE int posix_spawn(pid_t *pid, const char *path,
                                 const posix_spawn_file_actions_t *fa,
                                 const posix_spawnattr_t *attr,
                                 char *const argv[], char *const envp[])
{
    green__sigmask_begin_own();
    int r = green__reals()->posix_spawn(pid, path, fa, attr, argv, envp);
    green__sigmask_end_own();
    return r;
}

GREEN__INTERPOSE int posix_spawnp(pid_t *pid, const char *file,
                                  const posix_spawn_file_actions_t *fa,
                                  const posix_spawnattr_t *attr,
                                  char *const argv[], char *const envp[])
{
    green__sigmask_begin_own();
    int r = green__reals()->posix_spawnp(pid, file, fa, attr, argv, envp);
    green__sigmask_end_own();
    return r;
}

/* The exec family: only a failed exec comes back. */
GREEN__INTERPOSE int execve(const char *path, char *const argv[],
                            char *const envp[])
{
    green__sigmask_begin_own();
    int r = green__reals()->execve(path, argv, envp);
    green__sigmask_end_own();
    return r;
}

GREEN__INTERPOSE int execv(const char *path, char *const argv[])
{
    green__sigmask_begin_own();
    int r = green__reals()->execv(path, argv);
    green__sigmask_end_own();
    return r;
}

GREEN__INTERPOSE int execvp(const char *file, char *const argv[])
{
    green__sigmask_begin_own();
    int r = green__reals()->execvp(file, argv);
    green__sigmask_end_own();
    return r;
}

GREEN__INTERPOSE int execvpe(const char *file, char *const argv[],
                             char *const envp[])
{
    green__sigmask_begin_own();
    int r = green__reals()->execvpe(file, argv, envp);
    green__sigmask_end_own();
    return r;
}

GREEN__INTERPOSE int fexecve(int fd, char *const argv[], char *const envp[])
{
    green__sigmask_begin_own();
    int r = green__reals()->fexecve(fd, argv, envp);
    green__sigmask_end_own();
    return r;
}

/* Always ours (unless GREEN_DISABLE), even where nothing else could run
 * yet: the pclose may come when something can. */
GREEN__INTERPOSE FILE *popen(const char *command, const char *mode)
{
    const struct green__real *real = green__reals();
    green__config_load();
    if (green__config.disable || green__tls_internal)
        return real->popen(command, mode);
    FILE *fp;
    int r = green__shell_popen(command, mode, &fp);
    return r < 0 ? (errno = -r, NULL) : fp;
}

GREEN__INTERPOSE int pclose(FILE *fp)
{
    const struct green__real *real = green__reals();
    int r = green__shell_pclose(fp);
    if (r != GREEN__SHELL_NOT_OURS)
        return (int)green__set_errno(r);
    green__io_closing(fileno(fp));  /* glibc's pclose is its fclose */
    return real->pclose(fp);
}
