/* Parity program: the wait family. waitpid for one child among several
 * (the others, still running, are not reaped); wait() for any; wait3 and
 * wait4 with their rusage; waitid with WNOWAIT (the child stays
 * waitable), with P_PIDFD and P_PGID; waitpid(0) and waitpid(-pgid);
 * WNOHANG; a stopped and continued child (WUNTRACED, WCONTINUED,
 * WSTOPPED); ECHILD and EINVAL. Knows nothing of libgreen. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "report.h"

/* A child that sleeps ms and exits with code. */
static pid_t child(long ms, int code)
{
    pid_t pid = fork_child();
    if (pid == 0) {
        msleep(ms);
        _exit(code);
    }
    return pid;
}

/* The child's exit code as reported, or -1 for anything else. */
static int code_of(int st)
{
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void one_among_several(void)
{
    printf("waitpid for one child among several\n");
    pid_t slow1 = child(400, 1), fast = child(50, 2), slow2 = child(400, 3);
    int st = 0;
    double t0 = now();
    pid_t r = waitpid(fast, &st, 0);
    check(r == fast, "  waitpid returns the fast child");
    printf("  exit code %d\n", code_of(st));
    check(now() - t0 < 0.35, "  without waiting for the slow ones");
    check(waitpid(slow1, &st, WNOHANG) == 0, "  slow child 1 not reaped yet");
    check(waitpid(slow2, &st, WNOHANG) == 0, "  slow child 2 not reaped yet");
    int sum = 0;
    for (int i = 0; i < 2; i++) {
        r = wait(&st);
        check(r == slow1 || r == slow2, "  wait() returns a slow child");
        sum += code_of(st);
    }
    printf("  wait() codes sum to %d\n", sum);
    errno = 0;
    show("  wait() with no child left", wait(&st));
}

static void rusage_forms(void)
{
    printf("wait3 and wait4\n");
    struct rusage ru;
    int st = 0;
    pid_t pid = child(50, 4);
    memset(&ru, 0xff, sizeof ru);
    pid_t r = wait4(pid, &st, 0, &ru);
    check(r == pid, "  wait4 returns the child");
    printf("  exit code %d\n", code_of(st));
    check(ru.ru_utime.tv_sec >= 0 && ru.ru_maxrss > 0, "  rusage filled");
    pid = child(50, 5);
    memset(&ru, 0xff, sizeof ru);
    r = wait3(&st, 0, &ru);
    check(r == pid, "  wait3 returns the child");
    printf("  exit code %d\n", code_of(st));
    check(ru.ru_maxrss > 0, "  rusage filled");
    pid = child(300, 6);
    memset(&ru, 0x5a, sizeof ru);
    show("  wait4 WNOHANG while it runs", wait4(pid, &st, WNOHANG, &ru));
    check(ru.ru_maxrss == (long)0x5a5a5a5a5a5a5a5a, "  rusage untouched");
    check(waitpid(pid, &st, 0) == pid && code_of(st) == 6, "  then reaped");
}

static void waitid_forms(void)
{
    printf("waitid\n");
    siginfo_t si;
    pid_t pid = child(50, 7);
    memset(&si, 0, sizeof si);
    show("  waitid P_PID WEXITED|WNOWAIT", waitid(P_PID, (id_t)pid, &si,
                                                  WEXITED | WNOWAIT));
    check(si.si_pid == pid && si.si_code == CLD_EXITED && si.si_status == 7,
          "  reports the exit");
    int st = 0;
    check(waitpid(pid, &st, WNOHANG) == pid, "  still waitable after WNOWAIT");
    printf("  exit code %d\n", code_of(st));

    pid = child(50, 8);
    memset(&si, 0, sizeof si);
    show("  waitid P_ALL WEXITED", waitid(P_ALL, 0, &si, WEXITED));
    check(si.si_pid == pid && si.si_status == 8, "  reports the child");

    pid = child(50, 9);
    int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (pidfd < 0)
        die("pidfd_open");
    memset(&si, 0, sizeof si);
    show("  waitid P_PIDFD WEXITED", waitid(P_PIDFD, (id_t)pidfd, &si,
                                            WEXITED));
    check(si.si_pid == pid && si.si_status == 9, "  reports the child");
    close(pidfd);

    pid = child(50, 10);
    memset(&si, 0, sizeof si);
    show("  waitid P_PGID (own group)", waitid(P_PGID, (id_t)getpgid(0), &si,
                                               WEXITED));
    check(si.si_pid == pid && si.si_status == 10, "  reports the child");

    pid = child(300, 11);
    memset(&si, 0x5a, sizeof si);
    show("  waitid WNOHANG while it runs", waitid(P_PID, (id_t)pid, &si,
                                                  WEXITED | WNOHANG));
    check(si.si_pid == 0, "  si_pid is 0");
    check(waitpid(pid, &st, 0) == pid, "  then reaped");

    show("  waitid without WEXITED|WSTOPPED|WCONTINUED",
         waitid(P_ALL, 0, &si, 0));
    show("  waitid P_ALL with no child", waitid(P_ALL, 0, &si, WEXITED));
}

static void groups(void)
{
    printf("process groups\n");
    int st = 0;
    pid_t pid = child(50, 12);
    pid_t r = waitpid(0, &st, 0);
    check(r == pid && code_of(st) == 12, "  waitpid(0) returns the child");
    pid = child(50, 13);
    r = waitpid(-getpgid(0), &st, 0);
    check(r == pid && code_of(st) == 13, "  waitpid(-pgid) returns the child");
    /* A child in a group of its own: not one of waitpid(0)'s. */
    pid_t other = fork_child();
    if (other == 0) {
        setpgid(0, 0);
        msleep(150);
        _exit(14);
    }
    setpgid(other, other);
    pid = child(50, 15);
    r = waitpid(0, &st, 0);
    check(r == pid && code_of(st) == 15, "  waitpid(0) skips another group");
    r = waitpid(-other, &st, 0);
    check(r == other && code_of(st) == 14, "  waitpid(-group) returns its child");
}

static void stops(void)
{
    printf("stopped and continued\n");
    int st = 0;
    pid_t pid = child(2000, 16);
    kill(pid, SIGSTOP);
    pid_t r = waitpid(pid, &st, WUNTRACED);
    check(r == pid && WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP,
          "  waitpid WUNTRACED sees the stop");
    kill(pid, SIGCONT);
    r = waitpid(-1, &st, WCONTINUED);
    check(r == pid && WIFCONTINUED(st), "  waitpid(-1, WCONTINUED) sees it go on");
    kill(pid, SIGSTOP);
    siginfo_t si;
    memset(&si, 0, sizeof si);
    show("  waitid WSTOPPED", waitid(P_ALL, 0, &si, WSTOPPED));
    check(si.si_pid == pid && si.si_code == CLD_STOPPED, "  reports the stop");
    kill(pid, SIGKILL);
    r = waitpid(pid, &st, 0);
    check(r == pid, "  killed child reaped");
    status_line("  child", st);
}

static void errors(void)
{
    printf("errors\n");
    int st;
    errno = 0;
    show("  waitpid(1) (not a child)", waitpid(1, &st, 0));
    show("  waitpid bad options", waitpid(-1, &st, 0x40000));
    show("  waitpid(-1) with no child", waitpid(-1, &st, 0));
    show("  wait4 bad options", wait4(-1, &st, 0x40000, NULL));
    siginfo_t si;
    show("  waitid bad idtype", waitid((idtype_t)42, 0, &si, WEXITED));
    pid_t pid = child(50, 17);
    show("  waitpid WNOHANG|bad", waitpid(pid, &st, WNOHANG | 0x40000));
    check(waitpid(pid, &st, 0) == pid && code_of(st) == 17, "  child reaped");
}

int main(void)
{
    start_program();
    one_among_several();
    rusage_forms();
    waitid_forms();
    groups();
    stops();
    errors();
    return finish_program("proc_wait");
}
