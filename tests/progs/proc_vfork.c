/* Parity program: vfork. A child that execs, one that _exits with a
 * status, one whose exec fails; a child that changes a signal's handler
 * and the signal mask before it _exits leaves its parent's handler and
 * mask as they were (the kernel keeps both per process and per thread,
 * and a child's changes stay the child's); errno after vfork in the
 * parent. Knows nothing of libgreen.
 *
 * With the argument "shared": only whether the child's write to memory
 * is seen by the parent, as a real vfork shares it (exit 0 if seen, 1
 * if not). POSIX leaves that undefined, so the parity run does not
 * print it; tests/preload/meson.build asks it of the preload, which
 * makes a real vfork while nothing green has run. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "report.h"

static volatile sig_atomic_t got;

static void on_usr1(int sig)
{
    (void)sig;
    got++;
}

static int wait_status(pid_t pid)
{
    int st = -1;
    if (pid < 0 || waitpid(pid, &st, 0) != pid)
        die("vfork or waitpid");
    return st;
}

static int shared(void)
{
    static volatile int seen;
    pid_t pid = vfork();
    if (pid == 0) {
        seen = 1;
        _exit(0);
    }
    wait_status(pid);
    printf("vfork: the child's write %s\n", seen ? "seen" : "not seen");
    return seen ? 0 : 1;
}

int main(int argc, char **argv)
{
    start_program();
    if (argc > 1 && !strcmp(argv[1], "shared"))
        return shared();

    pid_t pid = vfork();
    if (pid == 0) {
        execl("/bin/sh", "sh", "-c", "exit 7", (char *)NULL);
        _exit(126);
    }
    status_line("vfork + exec sh -c 'exit 7'", wait_status(pid));

    pid = vfork();
    if (pid == 0)
        _exit(3);
    status_line("vfork + _exit(3)", wait_status(pid));

    pid = vfork();
    if (pid == 0) {
        execl("/nonexistent/program", "program", (char *)NULL);
        _exit(errno == ENOENT ? 127 : 126);
    }
    status_line("vfork + exec of a missing file", wait_status(pid));

    /* The child ignores SIGUSR1 and blocks it: the parent's handler
     * still runs, and its mask is unchanged. */
    struct sigaction sa = {.sa_handler = on_usr1};
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGUSR1, &sa, NULL) < 0)
        die("sigaction");
    pid = vfork();
    if (pid == 0) {
        sigset_t block;
        sigemptyset(&block);
        sigaddset(&block, SIGUSR1);
        signal(SIGUSR1, SIG_IGN);
        sigprocmask(SIG_BLOCK, &block, NULL);
        _exit(0);
    }
    status_line("vfork + signal(SIG_IGN) + block, _exit(0)", wait_status(pid));
    struct sigaction now;
    sigaction(SIGUSR1, NULL, &now);
    check(now.sa_handler == on_usr1, "the parent's handler is still its own");
    sigset_t mask;
    sigprocmask(SIG_BLOCK, NULL, &mask);
    check(!sigismember(&mask, SIGUSR1), "the parent's mask is unchanged");
    raise(SIGUSR1);
    check(got == 1, "the parent's handler runs");

    /* A handler installed after a vfork is installed as usual. */
    sa.sa_handler = SIG_DFL;
    pid = vfork();
    if (pid == 0)
        _exit(0);
    wait_status(pid);
    if (sigaction(SIGUSR1, &sa, NULL) < 0)
        die("sigaction");
    sa.sa_handler = on_usr1;
    if (sigaction(SIGUSR1, &sa, NULL) < 0)
        die("sigaction");
    raise(SIGUSR1);
    check(got == 2, "a handler installed after a vfork runs");

    errno = 0;
    pid = vfork();
    if (pid == 0)
        _exit(0);
    check(errno == 0, "a vfork that succeeds leaves errno alone");
    wait_status(pid);
    return finish_program("proc_vfork");
}
