/* Parity program: system, popen and pclose. system's exit codes (0, 3, a
 * shell killed by a signal, a command not found), system(NULL), SIGINT
 * ignored while it runs and put back after; popen "r" and "w", the 'e'
 * flag, a bad mode, the fds of earlier popen streams closed in a later
 * child; pclose's status, and pclose of a stream popen did not make.
 * Knows nothing of libgreen. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "report.h"

static void systems(void)
{
    printf("system\n");
    status_line("  system(\"exit 0\")", system("exit 0"));
    status_line("  system(\"exit 3\")", system("exit 3"));
    status_line("  system(\"kill -TERM $$\")", system("kill -TERM $$"));
    status_line("  system(no such command)",
                system("/nonexistent/command 2>/dev/null"));
    printf("  system(NULL) = %d\n", system(NULL));
    status_line("  system(\"echo out\")", system("echo '  'out"));
    /* SIGINT to this process while system runs is ignored. */
    status_line("  system(\"kill -INT $PPID\")", system("kill -INT $PPID"));
    struct sigaction sa;
    sigaction(SIGINT, NULL, &sa);
    check(sa.sa_handler == SIG_DFL, "  SIGINT back to SIG_DFL after");
    sigset_t mask;
    sigprocmask(SIG_BLOCK, NULL, &mask);
    check(!sigismember(&mask, SIGCHLD), "  SIGCHLD not blocked after");
    /* The shell gets SIGCHLD unblocked and SIGINT at its default. */
    status_line("  system(check the shell's mask)",
                system("grep -q '^SigBlk:\\s*0*$' /proc/self/status"));
}

static void popens(void)
{
    printf("popen\n");
    char buf[128];
    FILE *f = popen("echo hello; exit 3", "r");
    check(f != NULL, "  popen \"r\"");
    if (f && fgets(buf, sizeof buf, f))
        printf("  read: %s", buf);
    check(!(fcntl(fileno(f), F_GETFD) & FD_CLOEXEC), "  no FD_CLOEXEC without 'e'");
    status_line("  pclose", pclose(f));

    f = popen("read line; test \"$line\" = written", "w");
    check(f != NULL, "  popen \"w\"");
    fputs("written\n", f);
    status_line("  pclose (the child read what was written)", pclose(f));

    f = popen("cat >/dev/null", "we");
    check(f != NULL, "  popen \"we\"");
    check(fcntl(fileno(f), F_GETFD) & FD_CLOEXEC, "  FD_CLOEXEC with 'e'");
    /* A later child does not inherit the earlier stream's fd. */
    char cmd[128];
    snprintf(cmd, sizeof cmd,
             "if [ -e /proc/self/fd/%d ]; then echo open; else echo closed; fi",
             fileno(f));
    FILE *g = popen(cmd, "r");
    if (g && fgets(buf, sizeof buf, g))
        printf("  earlier stream's fd in a later child: %s", buf);
    status_line("  pclose later", pclose(g));
    status_line("  pclose earlier", pclose(f));

    errno = 0;
    f = popen("true", "x");
    printf("  popen mode \"x\": %s %s\n", f ? "stream" : "NULL", ename(errno));
    errno = 0;
    f = popen("true", "rw");
    printf("  popen mode \"rw\": %s %s\n", f ? "stream" : "NULL", ename(errno));

    f = popen("kill -KILL $$", "r");
    status_line("  pclose of a killed shell", pclose(f));

    /* A child reaped by someone else: pclose says ECHILD. */
    f = popen("exit 5", "r");
    int st;
    while (wait(&st) < 0 && errno == EINTR) {
    }
    errno = 0;
    show("  pclose after wait() took the child", pclose(f));

    /* glibc's fclose of a popen stream is its pclose: it waits. */
    FILE *volatile piped = popen("exit 6", "r");  /* volatile: as below */
    status_line("  fclose of a popen stream", fclose(piped));

    /* glibc's pclose of a stream popen did not make is fclose. */
    FILE *volatile opened = fopen("/dev/null", "r");  /* volatile: gcc
                                     warns of the mismatch, on purpose here */
    show("  pclose of an fopen'd stream", pclose(opened));
}

int main(void)
{
    start_program();
    systems();
    popens();
    return finish_program("proc_system");
}
