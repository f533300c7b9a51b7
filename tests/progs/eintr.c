/* Parity program: blocking calls interrupted by a signal (docs/design.md G7).
 * A POSIX timer (SIGEV_SIGNAL, no thread) sends SIGUSR1 10 ms after each
 * call starts, and every 50 ms after that. Without SA_RESTART the calls fail with EINTR (or return the
 * partial count of a write that made progress); with SA_RESTART read, recv,
 * accept and waitpid are restarted, while poll, select, epoll_wait, the
 * sleeps and a socket with SO_RCVTIMEO still give EINTR. Also: the sigmask
 * of ppoll/pselect/epoll_pwait, ignored signals and SIGCHLD. Knows nothing of
 * libgreen; prints one deterministic line per check. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <threads.h>
#include <time.h>
#include <unistd.h>

#include "report.h"
#include "sigtimer.h"

static volatile sig_atomic_t hits;

static void showrc(const char *what, int r)
{
    if (r > 0)
        printf("%s = %s (returned)\n", what, ename(r));
    else
        printf("%s = %d\n", what, r);
}

static void on_signal(int sig)
{
    (void)sig;
    hits++;
}

static void handle(int sig, int flags)
{
    set_handler(sig, on_signal, flags);
}

/* Starts a case: handler counter reset, timer armed. */
static void begin(void)
{
    hits = 0;
    arm(10);
}

/* Ends a case where the handler must run: gives it up to 1 s (the call may
 * have returned first), disarms the timer and says whether it ran. */
static void end(void)
{
    for (int i = 0; i < 200 && !hits; i++)
        msleep(5);
    arm(0);
    yesno("  handler ran", hits);
}

/* Ends a case where the signal is blocked or ignored. */
static void end_now(void)
{
    arm(0);
    yesno("  handler ran", hits);
}

/* A child that just exits after ms milliseconds. */
static pid_t late_exit(long ms, int code)
{
    pid_t pid = fork_child();
    if (pid == 0) {
        msleep(ms);
        _exit(code);
    }
    return pid;
}

static int listener(struct sockaddr_in *a, int backlog)
{
    int l = socket(AF_INET, SOCK_STREAM, 0);
    socklen_t len = sizeof *a;
    memset(a, 0, sizeof *a);
    a->sin_family = AF_INET;
    a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (l < 0 || bind(l, (struct sockaddr *)a, sizeof *a) < 0 || listen(l, backlog) < 0 ||
        getsockname(l, (struct sockaddr *)a, &len) < 0)
        die("listen");
    return l;
}

/* The calls that fail with EINTR whatever SA_RESTART says. */
static void always_eintr(const char *mode)
{
    int p[2], sv[2];
    char buf[16];
    double t0;
    if (pipe(p) < 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
        die("pipe");
    printf("-- %s: calls never restarted\n", mode);

    struct pollfd pfd = { p[0], POLLIN, 0 };
    begin();
    show("poll(empty pipe, 5 s)", poll(&pfd, 1, 5000));
    end();
    begin();
    show("poll(NULL, 0, -1)", poll(NULL, 0, -1));
    end();
    struct timespec ts = { 5, 0 };
    begin();
    show("ppoll(empty pipe, 5 s, NULL sigmask)", ppoll(&pfd, 1, &ts, NULL));
    end();
    fd_set r;
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    struct timeval tv = { 5, 0 };
    begin();
    show("select(empty pipe, 5 s)", select(p[0] + 1, &r, NULL, NULL, &tv));
    end();
    check(tv.tv_sec >= 4 && tv.tv_sec <= 5, "  select updated the timeval to the time left");
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    begin();
    show("pselect(empty pipe, NULL timeout)", pselect(p[0] + 1, &r, NULL, NULL, NULL, NULL));
    end();
    int ep = epoll_create1(0);
    struct epoll_event ev = { .events = EPOLLIN }, out[2];
    epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev);
    begin();
    show("epoll_wait(empty pipe, 5 s)", epoll_wait(ep, out, 2, 5000));
    end();
    begin();
    show("epoll_pwait(empty pipe, -1, NULL sigmask)", epoll_pwait(ep, out, 2, -1, NULL));
    end();
    begin();
    show("epoll_pwait2(empty pipe, NULL timeout)", epoll_pwait2(ep, out, 2, NULL, NULL));
    end();
    close(ep);

    struct timespec req = { 2, 0 }, rem = { 77, 88 };
    begin();
    show("nanosleep(2 s, &rem)", nanosleep(&req, &rem));
    end();
    check(rem.tv_sec == 1 || (rem.tv_sec == 2 && rem.tv_nsec == 0), "  rem holds the time left (1.x s)");
    rem = (struct timespec){ 77, 88 };
    begin();
    showrc("clock_nanosleep(CLOCK_MONOTONIC, 2 s, &rem)", clock_nanosleep(CLOCK_MONOTONIC, 0, &req, &rem));
    end();
    check(rem.tv_sec == 1, "  rem holds the time left (1.x s)");
    struct timespec dl;
    clock_gettime(CLOCK_MONOTONIC, &dl);
    dl.tv_sec += 2;
    rem = (struct timespec){ 77, 88 };
    begin();
    showrc("clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, now + 2 s, &rem)",
           clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &dl, &rem));
    end();
    yesno("  rem untouched", rem.tv_sec == 77 && rem.tv_nsec == 88);
    begin();
    errno = 0;
    unsigned left = sleep(2);
    int e = errno;
    printf("sleep(2) = %u, errno %s\n", left, e ? ename(e) : "0");
    end();
    begin();
    show("usleep(2000000)", usleep(2000000));
    end();
    rem = (struct timespec){ 77, 88 };
    begin();
    printf("thrd_sleep(2 s, &rem) = %d\n", thrd_sleep(&req, &rem));
    end();
    check(rem.tv_sec == 1, "  rem holds the time left (1.x s)");
    begin();
    show("pause()", pause());
    end();

    /* A socket with SO_RCVTIMEO is never restarted either. */
    tv = (struct timeval){ 5, 0 };
    setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    t0 = now();
    begin();
    show("recv(empty socket, SO_RCVTIMEO 5 s)", recv(sv[0], buf, sizeof buf, 0));
    end();
    check(now() - t0 < 2.0, "  returned long before the timeout");
    begin();
    show("read(empty socket, SO_RCVTIMEO 5 s)", read(sv[0], buf, sizeof buf));
    end();

    /* accept and connect on sockets with a timeout: never restarted. */
    struct sockaddr_in a;
    int l = listener(&a, 0);
    tv = (struct timeval){ 5, 0 };
    setsockopt(l, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    begin();
    show("accept(nothing pending, SO_RCVTIMEO 5 s)", accept(l, NULL, NULL));
    end();
    int c1 = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(c1, (struct sockaddr *)&a, sizeof a) < 0)
        die("connect");
    int c2 = socket(AF_INET, SOCK_STREAM, 0);
    setsockopt(c2, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    t0 = now();
    begin();
    show("connect(full backlog, SO_SNDTIMEO 5 s)", connect(c2, (struct sockaddr *)&a, sizeof a));
    end();
    check(now() - t0 < 2.0, "  returned long before the timeout");
    close(c2);
    close(c1);
    close(l);

    /* A write that made progress returns the partial count. */
    static char big[1 << 20];
    begin();
    show("write(1 MiB into a pipe nobody reads)", write(p[1], big, sizeof big));
    end();
    close(p[0]);
    close(p[1]);
    close(sv[0]);
    close(sv[1]);
}

/* Without SA_RESTART: read, recv, accept, connect, waitpid fail with EINTR. */
static void no_restart(void)
{
    int p[2], sv[2];
    char buf[16];
    struct sockaddr_in a;
    if (pipe(p) < 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
        die("pipe");
    printf("-- without SA_RESTART\n");
    begin();
    show("read(empty pipe)", read(p[0], buf, sizeof buf));
    end();
    begin();
    show("readv(empty pipe)", readv(p[0], &(struct iovec){ buf, sizeof buf }, 1));
    end();
    begin();
    show("recv(empty socket)", recv(sv[0], buf, sizeof buf, 0));
    end();
    struct msghdr mh = { 0 };
    struct iovec iov = { buf, sizeof buf };
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    begin();
    show("recvmsg(empty socket)", recvmsg(sv[0], &mh, 0));
    end();
    /* A pipe write that made no progress (with SA_RESTART it would restart). */
    static char full[65536];
    int q[2];
    if (pipe(q) < 0 || write(q[1], full, sizeof full) != (ssize_t)sizeof full)
        die("pipe");
    begin();
    show("write(100 into a full pipe)", write(q[1], full, 100));
    end();
    close(q[0]);
    close(q[1]);
    int l = listener(&a, 4);
    begin();
    show("accept(nothing pending)", accept(l, NULL, NULL));
    end();
    close(l);

    /* A connect whose SYN is dropped (full backlog) is interrupted; the
     * attempt goes on: a blocking connect waits for it again, a
     * non-blocking one says EALREADY. */
    l = listener(&a, 0);
    int c1 = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(c1, (struct sockaddr *)&a, sizeof a) < 0)
        die("connect");
    int c2 = socket(AF_INET, SOCK_STREAM, 0);
    begin();
    show("connect(full backlog)", connect(c2, (struct sockaddr *)&a, sizeof a));
    end();
    begin();
    show("  connect again (blocks again)", connect(c2, (struct sockaddr *)&a, sizeof a));
    end();
    fcntl(c2, F_SETFL, O_NONBLOCK);
    show("  connect again with O_NONBLOCK", connect(c2, (struct sockaddr *)&a, sizeof a));
    close(c2);
    close(c1);
    close(l);

    pid_t pid = late_exit(60, 7);
    int st = 0;
    begin();
    show("waitpid(child exiting in 60 ms)", waitpid(pid, &st, 0));
    end();
    st = reap(pid);
    printf("  reaped afterwards: exit %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);

    /* A signal arriving while a read waits for a late writer. */
    pid = late_write(p[1], -1, 60, "late");
    begin();
    show("read(pipe, writer 60 ms late)", read(p[0], buf, sizeof buf));
    end();
    expect_exit0("  writer", reap(pid));
    show("  read again gets the data", read(p[0], buf, sizeof buf));
    close(p[0]);
    close(p[1]);
    close(sv[0]);
    close(sv[1]);
}

/* With SA_RESTART: read, recv, accept, waitpid carry on after the handler. */
static void restart(void)
{
    int p[2], sv[2];
    char buf[16];
    struct sockaddr_in a;
    if (pipe(p) < 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
        die("pipe");
    printf("-- with SA_RESTART\n");

    pid_t pid = late_write(p[1], -1, 60, "late");
    begin();
    show("read(pipe, writer 60 ms late)", read(p[0], buf, sizeof buf));
    expect_exit0("  writer", reap(pid));
    end();
    pid = late_write(sv[1], -1, 60, "late");
    begin();
    show("recv(socket, writer 60 ms late)", recv(sv[0], buf, sizeof buf, 0));
    expect_exit0("  writer", reap(pid));
    end();

    int l = listener(&a, 4);
    pid = fork_child();
    if (pid == 0) {
        msleep(60);
        int c = socket(AF_INET, SOCK_STREAM, 0);
        _exit(connect(c, (struct sockaddr *)&a, sizeof a) == 0 ? 0 : 2);
    }
    begin();
    int s = accept(l, NULL, NULL);
    printf("accept(client 60 ms late) = %s\n", s >= 0 ? "fd" : ename(errno));
    expect_exit0("  client", reap(pid));
    end();
    close(s);
    close(l);

    pid = late_exit(60, 7);
    int st = 0;
    begin();
    pid_t r = waitpid(pid, &st, 0);
    printf("waitpid(child exiting in 60 ms) = %s, exit %d\n", r == pid ? "pid" : ename(errno),
           WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    end();
    if (r != pid)
        reap(pid);
    close(p[0]);
    close(p[1]);
    close(sv[0]);
    close(sv[1]);
}

/* ppoll, pselect and epoll_pwait install their sigmask for the wait only. */
static void sigmasks(void)
{
    int p[2];
    if (pipe(p) < 0)
        die("pipe");
    printf("-- sigmask arguments\n");
    sigset_t block, none, cur;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigemptyset(&none);
    sigprocmask(SIG_BLOCK, &block, NULL);

    struct pollfd pfd = { p[0], POLLIN, 0 };
    struct timespec ts = { 5, 0 };
    begin();
    msleep(40); /* the signal is now pending, blocked */
    yesno("  handler ran before ppoll", hits);
    show("ppoll(empty pipe, 5 s, empty sigmask) with SIGUSR1 pending", ppoll(&pfd, 1, &ts, &none));
    end();
    fd_set r;
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    begin();
    show("pselect(empty pipe, 5 s, empty sigmask)", pselect(p[0] + 1, &r, NULL, NULL, &ts, &none));
    end();
    int ep = epoll_create1(0);
    struct epoll_event ev = { .events = EPOLLIN }, out[2];
    epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev);
    begin();
    show("epoll_pwait(empty pipe, 5 s, empty sigmask)", epoll_pwait(ep, out, 2, 5000, &none));
    end();
    begin();
    show("epoll_pwait2(empty pipe, 5 s, empty sigmask)", epoll_pwait2(ep, out, 2, &ts, &none));
    end();
    close(ep);
    sigprocmask(SIG_SETMASK, NULL, &cur);
    yesno("  SIGUSR1 still blocked afterwards", sigismember(&cur, SIGUSR1));

    /* With SIGUSR1 blocked and no sigmask argument, the signal waits. */
    begin();
    show("poll(empty pipe, 40 ms) with SIGUSR1 blocked", poll(&pfd, 1, 40));
    yesno("  handler ran while blocked", hits);
    sigprocmask(SIG_UNBLOCK, &block, NULL);
    end();

    /* The mask of an unblocked thread: a ppoll mask that blocks SIGUSR1. */
    ts = (struct timespec){ 0, 40000000L };
    begin();
    show("ppoll(empty pipe, 40 ms, sigmask {SIGUSR1})", ppoll(&pfd, 1, &ts, &block));
    end();
    close(p[0]);
    close(p[1]);
}

/* Ignored signals and SIGCHLD do not interrupt anything. */
static void ignored(void)
{
    int p[2];
    char buf[16];
    if (pipe(p) < 0)
        die("pipe");
    printf("-- ignored signals\n");
    signal(SIGUSR1, SIG_IGN);
    struct pollfd pfd = { p[0], POLLIN, 0 };
    begin();
    show("poll(empty pipe, 40 ms) with SIGUSR1 ignored", poll(&pfd, 1, 40));
    end_now();

    /* SIGCHLD's default action is to ignore: a child exiting interrupts
     * nothing, and a later waitpid still finds it. */
    pid_t quick = late_exit(10, 3);
    pid_t writer = late_write(p[1], -1, 60, "late");
    show("read(pipe, another child exits meanwhile)", read(p[0], buf, sizeof buf));
    expect_exit0("  writer", reap(writer));
    int st = reap(quick);
    printf("  the other child reaped afterwards: exit %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);

    /* With a SIGCHLD handler (no SA_RESTART) the same read fails with EINTR. */
    handle(SIGCHLD, 0);
    hits = 0;
    quick = late_exit(20, 3);
    show("read(empty pipe) with a SIGCHLD handler, child exits in 20 ms", read(p[0], buf, sizeof buf));
    yesno("  handler ran", hits);
    st = reap(quick);
    printf("  child reaped: exit %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    signal(SIGCHLD, SIG_DFL);
    close(p[0]);
    close(p[1]);
}

int main(void)
{
    start_program();
    sigtimer_create();

    handle(SIGUSR1, 0);
    always_eintr("without SA_RESTART");
    no_restart();
    handle(SIGUSR1, SA_RESTART);
    always_eintr("with SA_RESTART");
    restart();
    handle(SIGUSR1, 0);
    sigmasks();
    ignored();
    return finish_program("eintr");
}
