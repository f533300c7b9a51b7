/* Parity program: poll, ppoll, select, pselect, epoll_create*, epoll_ctl,
 * epoll_wait, epoll_pwait and epoll_pwait2, normal and error paths. Knows
 * nothing of libgreen; prints one deterministic line per check (timings only
 * as ok/NOT OK with generous margins) so that a run under LD_PRELOAD can be
 * compared byte for byte with a native run. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "report.h"

/* Setup read whose result is not itself a check: a failure still counts. */
static void drain(int fd)
{
    char b[64];
    if (read(fd, b, sizeof b) <= 0) {
        printf("setup read failed\n");
        failures++;
    }
}

/* Deliberately bad arguments, hidden from the compiler's checks. */
static volatile int minus_one = -1;
static void *volatile null_ptr;
static struct pollfd *volatile hide_size; /* keeps _FORTIFY_SOURCE's poll check out */

/* Elapsed time of a timed-out wait: never early (the kernel rounds timeouts
 * up), and not absurdly late. */
static void check_waited(double t0, double secs)
{
    double dt = now() - t0;
    check(dt >= secs && dt < secs + 1.5, "  elapsed at least the timeout");
}

/* The signal set holding sig alone, for the sigmask arguments. */
static sigset_t just(int sig)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    return set;
}

struct bitname {
    unsigned bit;
    const char *name;
};

/* Writes the names of the bits in r, "|"-separated, into s (128 bytes);
 * unnamed bits as a hex rest, no bits as "0". */
static const char *bitnames(char *s, unsigned r, const struct bitname *names, size_t n)
{
    s[0] = 0;
    for (size_t i = 0; i < n; i++)
        if (r & names[i].bit) {
            if (s[0])
                strcat(s, "|");
            strcat(s, names[i].name);
            r &= ~names[i].bit;
        }
    if (r)
        sprintf(s + strlen(s), "%s0x%x", s[0] ? "|" : "", r);
    if (!s[0])
        strcpy(s, "0");
    return s;
}

/* Names of poll bits; four rotating buffers, so a printf may take several. */
static const char *pollbits(int r)
{
    static char bufs[4][128];
    static int next;
    static const struct bitname names[] = {
        { POLLIN, "POLLIN" },         { POLLPRI, "POLLPRI" },       { POLLOUT, "POLLOUT" },
        { POLLERR, "POLLERR" },       { POLLHUP, "POLLHUP" },       { POLLNVAL, "POLLNVAL" },
        { POLLRDNORM, "POLLRDNORM" }, { POLLRDBAND, "POLLRDBAND" }, { POLLWRNORM, "POLLWRNORM" },
        { POLLWRBAND, "POLLWRBAND" }, { POLLRDHUP, "POLLRDHUP" }
    };
    return bitnames(bufs[next++ % 4], (unsigned)r, names, sizeof names / sizeof names[0]);
}

static const char *epollbits(uint32_t r)
{
    static char bufs[4][128];
    static int next;
    static const struct bitname names[] = { { EPOLLIN, "EPOLLIN" },   { EPOLLPRI, "EPOLLPRI" },
                                            { EPOLLOUT, "EPOLLOUT" }, { EPOLLERR, "EPOLLERR" },
                                            { EPOLLHUP, "EPOLLHUP" }, { EPOLLRDHUP, "EPOLLRDHUP" } };
    return bitnames(bufs[next++ % 4], r, names, sizeof names / sizeof names[0]);
}

static void test_poll(void)
{
    int p[2];
    double t0;
    if (pipe(p) < 0)
        die("pipe");

    struct pollfd a[3] = { { -1, POLLIN, 0x7 }, { p[0], POLLIN, 0x7 }, { p[1], POLLOUT, 0x7 } };
    show("poll(negative fd, empty pipe, pipe write end; timeout 0)", poll(a, 3, 0));
    printf("  revents %s / %s / %s\n", pollbits(a[0].revents), pollbits(a[1].revents),
           pollbits(a[2].revents));

    struct pollfd c = { closed_fd(), POLLIN, 0 };
    show("poll(closed fd)", poll(&c, 1, 1000));
    printf("  revents %s\n", pollbits(c.revents));
    c.events = 0;
    show("poll(closed fd, events 0)", poll(&c, 1, 1000));
    printf("  revents %s\n", pollbits(c.revents));

    struct pollfd e = { p[0], POLLIN, 0 };
    show("poll(empty pipe, timeout 0)", poll(&e, 1, 0));
    t0 = now();
    show("poll(empty pipe, timeout 50 ms)", poll(&e, 1, 50));
    printf("  revents %s\n", pollbits(e.revents));
    check_waited(t0, 0.050);
    t0 = now();
    show("poll(NULL, 0, 30 ms)", poll(NULL, 0, 30));
    check_waited(t0, 0.030);
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    hide_size = &e;
    show("poll(nfds > RLIMIT_NOFILE)", poll(hide_size, (nfds_t)rl.rlim_cur + 1, 0));
    show("poll(NULL fds, nfds 1)", poll(null_ptr, 1, 0));

    put(p[1], "ab");
    e.revents = 0;
    show("poll(pipe with data)", poll(&e, 1, 1000));
    printf("  revents %s\n", pollbits(e.revents));
    e.events = POLLIN | POLLRDNORM | POLLOUT | POLLPRI;
    show("poll(pipe read end with data, asking for more)", poll(&e, 1, 1000));
    printf("  revents %s\n", pollbits(e.revents));
    e.events = POLLIN;

    /* Two entries for the same fd count twice. */
    struct pollfd two[2] = { { p[0], POLLIN, 0 }, { p[0], POLLIN, 0 } };
    show("poll(same fd twice)", poll(two, 2, 0));

    /* A blocking poll woken by a writer. */
    drain(p[0]);
    pid_t pid = late_write(p[1], p[0], 20, "x");
    show("poll(empty pipe, -1) until a child writes", poll(&e, 1, -1));
    printf("  revents %s\n", pollbits(e.revents));
    expect_exit0("  writer", reap(pid));
    drain(p[0]);

    close(p[1]);
    show("poll(pipe whose writer closed)", poll(&e, 1, 1000));
    printf("  revents %s\n", pollbits(e.revents));
    e.events = 0;
    show("poll(pipe whose writer closed, events 0)", poll(&e, 1, 1000));
    printf("  revents %s\n", pollbits(e.revents));
    close(p[0]);

    if (pipe(p) < 0)
        die("pipe");
    put(p[1], "z");
    close(p[1]);
    e = (struct pollfd){ p[0], POLLIN, 0 };
    show("poll(data left, writer closed)", poll(&e, 1, 1000));
    printf("  revents %s\n", pollbits(e.revents));
    close(p[0]);

    if (pipe(p) < 0)
        die("pipe");
    close(p[0]);
    e = (struct pollfd){ p[1], POLLOUT, 0 };
    show("poll(pipe write end, reader closed)", poll(&e, 1, 1000));
    printf("  revents %s\n", pollbits(e.revents));
    close(p[1]);

    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
        die("socketpair");
    shutdown(sv[1], SHUT_WR);
    e = (struct pollfd){ sv[0], POLLIN | POLLRDHUP | POLLOUT, 0 };
    show("poll(socket, peer did SHUT_WR)", poll(&e, 1, 1000));
    printf("  revents %s\n", pollbits(e.revents));
    close(sv[1]);
    show("poll(socket, peer closed)", poll(&e, 1, 1000));
    printf("  revents %s\n", pollbits(e.revents));
    close(sv[0]);

    int f = open("/dev/null", O_RDONLY);
    e = (struct pollfd){ f, POLLIN | POLLOUT, 0 };
    show("poll(/dev/null)", poll(&e, 1, 1000));
    printf("  revents %s\n", pollbits(e.revents));
    close(f);
}

static void test_ppoll(void)
{
    int p[2];
    if (pipe(p) < 0)
        die("pipe");
    struct pollfd e = { p[0], POLLIN, 0 };
    struct timespec ts = { 0, 1000000000L };
    show("ppoll(tv_nsec 1000000000)", ppoll(&e, 1, &ts, NULL));
    ts = (struct timespec){ -1, 0 };
    show("ppoll(tv_sec -1)", ppoll(&e, 1, &ts, NULL));
    ts = (struct timespec){ 0, -1 };
    show("ppoll(tv_nsec -1)", ppoll(&e, 1, &ts, NULL));
    ts = (struct timespec){ 0, 0 };
    show("ppoll(timeout {0, 0}, NULL sigmask)", ppoll(&e, 1, &ts, NULL));
    ts = (struct timespec){ 0, 40000000L };
    double t0 = now();
    show("ppoll(empty pipe, 40 ms, NULL sigmask)", ppoll(&e, 1, &ts, NULL));
    check_waited(t0, 0.040);
    printf("  timespec after = {%ld, %ld}\n", (long)ts.tv_sec, ts.tv_nsec);
    sigset_t set = just(SIGUSR1);
    ts = (struct timespec){ 0, 20000000L };
    show("ppoll(empty pipe, 20 ms, sigmask {SIGUSR1})", ppoll(&e, 1, &ts, &set));
    put(p[1], "x");
    ts = (struct timespec){ 5, 0 };
    show("ppoll(ready pipe, 5 s)", ppoll(&e, 1, &ts, NULL));
    printf("  revents %s\n", pollbits(e.revents));
    show("  timespec after is between 4 and 5 s", ts.tv_sec == 5 || ts.tv_sec == 4);
    show("ppoll(ready pipe, NULL timeout)", ppoll(&e, 1, NULL, NULL));
    struct pollfd c = { closed_fd(), POLLIN, 0 };
    show("ppoll(closed fd)", ppoll(&c, 1, NULL, NULL));
    printf("  revents %s\n", pollbits(c.revents));
    sigset_t cur;
    sigprocmask(SIG_SETMASK, NULL, &cur);
    show("  signal mask unchanged after ppoll", sigismember(&cur, SIGUSR1));
    close(p[0]);
    close(p[1]);
}

static void test_select(void)
{
    int p[2], q[2];
    fd_set r, w;
    struct timeval tv;
    double t0;
    if (pipe(p) < 0 || pipe(q) < 0)
        die("pipe");
    int nfds = (p[1] > q[1] ? p[1] : q[1]) + 1;

    FD_ZERO(&r);
    FD_SET(p[0], &r);
    tv = (struct timeval){ 0, 0 };
    show("select(nfds -1)", select(-1, &r, NULL, NULL, &tv));
    int c = closed_fd();
    FD_ZERO(&r);
    FD_SET(c, &r);
    tv = (struct timeval){ 1, 0 };
    show("select(closed fd in read set)", select(c + 1, &r, NULL, NULL, &tv));
    tv = (struct timeval){ 0, -1 };
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    show("select(tv_usec -1)", select(nfds, &r, NULL, NULL, &tv));
    tv = (struct timeval){ -1, 0 };
    show("select(tv_sec -1)", select(nfds, &r, NULL, NULL, &tv));

    /* tv_usec >= 1000000 is normalised by Linux, not rejected. */
    put(p[1], "x");
    tv = (struct timeval){ 0, 1500000 };
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    show("select(ready, tv_usec 1500000)", select(nfds, &r, NULL, NULL, &tv));
    show("  timeval after is about 1.5 s", tv.tv_sec == 1 && tv.tv_usec > 400000);

    FD_ZERO(&r);
    FD_ZERO(&w);
    FD_SET(p[0], &r);
    FD_SET(q[0], &r);
    FD_SET(p[1], &w);
    FD_SET(q[1], &w);
    tv = (struct timeval){ 2, 0 };
    show("select(2 read fds of which 1 ready, 2 write fds)", select(nfds, &r, &w, NULL, &tv));
    printf("  ready: p[0] %d, q[0] %d, p[1] %d, q[1] %d\n", FD_ISSET(p[0], &r) != 0,
           FD_ISSET(q[0], &r) != 0, FD_ISSET(p[1], &w) != 0, FD_ISSET(q[1], &w) != 0);
    show("  timeval after is between 1 and 2 s (Linux updates it)", tv.tv_sec == 1 || tv.tv_sec == 2);
    drain(p[0]);

    FD_ZERO(&r);
    FD_SET(p[0], &r);
    FD_SET(q[0], &r);
    tv = (struct timeval){ 0, 50000 };
    t0 = now();
    show("select(empty pipes, 50 ms)", select(nfds, &r, NULL, NULL, &tv));
    check_waited(t0, 0.050);
    printf("  timeval after = {%ld, %ld}\n", (long)tv.tv_sec, (long)tv.tv_usec);
    yesno("  read set cleared", !FD_ISSET(p[0], &r) && !FD_ISSET(q[0], &r));
    tv = (struct timeval){ 0, 0 };
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    show("select(empty pipe, timeout {0, 0})", select(nfds, &r, NULL, NULL, &tv));
    tv = (struct timeval){ 0, 20000 };
    t0 = now();
    show("select(0, NULL, NULL, NULL, 20 ms)", select(0, NULL, NULL, NULL, &tv));
    check_waited(t0, 0.020);

    /* A blocking select woken by a writer. */
    pid_t pid = late_write(p[1], -1, 20, "x");
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    show("select(empty pipe, NULL timeout) until a child writes", select(nfds, &r, NULL, NULL, NULL));
    show("  p[0] ready", FD_ISSET(p[0], &r) != 0);
    expect_exit0("  writer", reap(pid));
    drain(p[0]);

    /* Exceptional conditions: a pipe never has one. */
    fd_set x;
    FD_ZERO(&x);
    FD_SET(p[0], &x);
    tv = (struct timeval){ 0, 0 };
    show("select(pipe in except set)", select(nfds, NULL, NULL, &x, &tv));

    close(q[1]);
    FD_ZERO(&r);
    FD_SET(q[0], &r);
    tv = (struct timeval){ 1, 0 };
    show("select(pipe whose writer closed)", select(nfds, &r, NULL, NULL, &tv));

    struct timespec ts = { 0, 30000000L };
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    t0 = now();
    show("pselect(empty pipe, 30 ms, NULL sigmask)", pselect(nfds, &r, NULL, NULL, &ts, NULL));
    check_waited(t0, 0.030);
    printf("  timespec after = {%ld, %ld}\n", (long)ts.tv_sec, ts.tv_nsec);
    sigset_t set = just(SIGUSR2);
    ts = (struct timespec){ 0, 10000000L };
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    show("pselect(empty pipe, 10 ms, sigmask {SIGUSR2})", pselect(nfds, &r, NULL, NULL, &ts, &set));
    ts = (struct timespec){ 0, 1000000000L };
    show("pselect(tv_nsec 1000000000)", pselect(nfds, &r, NULL, NULL, &ts, NULL));
    put(p[1], "y");
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    ts = (struct timespec){ 3, 0 };
    show("pselect(ready pipe, 3 s)", pselect(nfds, &r, NULL, NULL, &ts, NULL));
    printf("  timespec after = {%ld, %s}\n", (long)ts.tv_sec, ts.tv_nsec == 0 ? "0" : "nonzero");
    FD_ZERO(&r);
    FD_SET(c, &r);
    show("pselect(closed fd)", pselect(c + 1, &r, NULL, NULL, NULL, NULL));
    show("pselect(nfds -1)", pselect(-1, NULL, NULL, NULL, NULL, NULL));
    close(p[0]);
    close(p[1]);
    close(q[0]);
}

static void test_epoll(void)
{
    int p[2];
    struct epoll_event ev, out[4];
    double t0;
    if (pipe(p) < 0)
        die("pipe");

    showfd("epoll_create1(0x1)", epoll_create1(0x1));
    showfd("epoll_create(0)", epoll_create(0));
    showfd("epoll_create(-1)", epoll_create(-1));
    int ep = epoll_create1(EPOLL_CLOEXEC);
    showfd("epoll_create1(EPOLL_CLOEXEC)", ep);
    show("  FD_CLOEXEC set", (fcntl(ep, F_GETFD) & FD_CLOEXEC) != 0);
    int ep2 = epoll_create(1);
    showfd("epoll_create(1)", ep2);
    show("  FD_CLOEXEC set", (fcntl(ep2, F_GETFD) & FD_CLOEXEC) != 0);

    ev = (struct epoll_event){ .events = EPOLLIN, .data.u64 = 0x1122334455667788ULL };
    show("epoll_ctl(ADD pipe read end)", epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev));
    show("epoll_ctl(ADD same fd again)", epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev));
    show("epoll_ctl(MOD unregistered fd)", epoll_ctl(ep, EPOLL_CTL_MOD, p[1], &ev));
    show("epoll_ctl(DEL unregistered fd)", epoll_ctl(ep, EPOLL_CTL_DEL, p[1], &ev));
    show("epoll_ctl(op 99)", epoll_ctl(ep, 99, p[1], &ev));
    show("epoll_ctl(ADD epoll fd to itself)", epoll_ctl(ep, EPOLL_CTL_ADD, ep, &ev));
    show("epoll_ctl(ADD closed fd)", epoll_ctl(ep, EPOLL_CTL_ADD, closed_fd(), &ev));
    show("epoll_ctl(-1)", epoll_ctl(-1, EPOLL_CTL_ADD, p[0], &ev));
    show("epoll_ctl(non-epoll fd)", epoll_ctl(p[1], EPOLL_CTL_ADD, p[0], &ev));
    char path[] = "/tmp/parity-poll-XXXXXX";
    int f = mkstemp(path);
    if (f < 0)
        die("mkstemp");
    unlink(path);
    show("epoll_ctl(ADD regular file)", epoll_ctl(ep, EPOLL_CTL_ADD, f, &ev));
    close(f);
    ev.events = EPOLLIN | EPOLLEXCLUSIVE;
    show("epoll_ctl(MOD with EPOLLEXCLUSIVE)", epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev));

    show("epoll_wait(maxevents 0)", epoll_wait(ep, out, 0, 0));
    show("epoll_wait(maxevents -1)", epoll_wait(ep, out, minus_one, 0));
    show("epoll_wait(non-epoll fd)", epoll_wait(p[0], out, 4, 0));
    show("epoll_wait(-1)", epoll_wait(-1, out, 4, 0));
    show("epoll_wait(nothing ready, timeout 0)", epoll_wait(ep, out, 4, 0));
    t0 = now();
    show("epoll_wait(nothing ready, 50 ms)", epoll_wait(ep, out, 4, 50));
    check_waited(t0, 0.050);

    put(p[1], "x");
    memset(out, 0, sizeof out);
    show("epoll_wait(pipe ready)", epoll_wait(ep, out, 4, 1000));
    printf("  events %s, data 0x%llx\n", epollbits(out[0].events), (unsigned long long)out[0].data.u64);
    ev = (struct epoll_event){ .events = EPOLLOUT, .data.u64 = 7 };
    show("epoll_ctl(ADD pipe write end)", epoll_ctl(ep, EPOLL_CTL_ADD, p[1], &ev));
    memset(out, 0, sizeof out);
    int n = epoll_wait(ep, out, 4, 1000);
    show("epoll_wait(both ready)", n);
    uint64_t sum = 0;
    for (int i = 0; i < n; i++)
        sum += out[i].data.u64;
    show("  sum of data equals both registrations", sum == 0x1122334455667788ULL + 7);
    show("epoll_wait(both ready, maxevents 1)", epoll_wait(ep, out, 1, 1000));
    show("epoll_ctl(DEL pipe write end)", epoll_ctl(ep, EPOLL_CTL_DEL, p[1], NULL));
    show("poll(epoll fd with a ready member)", poll(&(struct pollfd){ ep, POLLIN, 0 }, 1, 0));

    /* Nested: an epoll fd inside another epoll fd. */
    ev = (struct epoll_event){ .events = EPOLLIN, .data.u64 = 42 };
    show("epoll_ctl(ADD epoll fd to another epoll fd)", epoll_ctl(ep2, EPOLL_CTL_ADD, ep, &ev));
    memset(out, 0, sizeof out);
    show("epoll_wait(outer)", epoll_wait(ep2, out, 4, 1000));
    printf("  events %s, data %llu\n", epollbits(out[0].events), (unsigned long long)out[0].data.u64);
    show("epoll_ctl(ADD outer to inner: a loop)", epoll_ctl(ep, EPOLL_CTL_ADD, ep2, &ev));
    drain(p[0]);
    show("epoll_wait(outer, inner idle, timeout 0)", epoll_wait(ep2, out, 4, 0));

    /* Edge-triggered and one-shot. */
    ev = (struct epoll_event){ .events = EPOLLIN | EPOLLET, .data.u64 = 1 };
    show("epoll_ctl(MOD EPOLLIN | EPOLLET)", epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev));
    put(p[1], "a");
    show("epoll_wait(ET, new data)", epoll_wait(ep, out, 4, 1000));
    show("epoll_wait(ET, no new data, timeout 0)", epoll_wait(ep, out, 4, 0));
    put(p[1], "b");
    show("epoll_wait(ET, more data)", epoll_wait(ep, out, 4, 1000));
    ev = (struct epoll_event){ .events = EPOLLIN | EPOLLONESHOT, .data.u64 = 2 };
    show("epoll_ctl(MOD EPOLLIN | EPOLLONESHOT)", epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev));
    show("epoll_wait(one-shot, data)", epoll_wait(ep, out, 4, 1000));
    show("epoll_wait(one-shot, disarmed, timeout 0)", epoll_wait(ep, out, 4, 0));
    show("epoll_ctl(MOD re-arm)", epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev));
    show("epoll_wait(re-armed)", epoll_wait(ep, out, 4, 1000));
    drain(p[0]);
    ev = (struct epoll_event){ .events = EPOLLIN, .data.u64 = 3 };
    epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev);

    /* A blocking epoll_wait woken by a writer. */
    pid_t pid = late_write(p[1], -1, 20, "x");
    show("epoll_wait(-1) until a child writes", epoll_wait(ep, out, 4, -1));
    expect_exit0("  writer", reap(pid));
    drain(p[0]);

    show("epoll_pwait(NULL sigmask, timeout 0)", epoll_pwait(ep, out, 4, 0, NULL));
    sigset_t set = just(SIGUSR1);
    t0 = now();
    show("epoll_pwait(sigmask {SIGUSR1}, 30 ms)", epoll_pwait(ep, out, 4, 30, &set));
    check_waited(t0, 0.030);
    show("epoll_pwait(maxevents 0)", epoll_pwait(ep, out, 0, 0, NULL));
    struct timespec ts = { 0, 30000000L };
    t0 = now();
    show("epoll_pwait2(30 ms, NULL sigmask)", epoll_pwait2(ep, out, 4, &ts, NULL));
    check_waited(t0, 0.030);
    printf("  timespec after = {%ld, %ld}\n", (long)ts.tv_sec, ts.tv_nsec);
    ts = (struct timespec){ 0, 0 };
    show("epoll_pwait2({0, 0})", epoll_pwait2(ep, out, 4, &ts, NULL));
    ts = (struct timespec){ 0, 1000000000L };
    show("epoll_pwait2(tv_nsec 1000000000)", epoll_pwait2(ep, out, 4, &ts, NULL));
    ts = (struct timespec){ -1, 0 };
    show("epoll_pwait2(tv_sec -1)", epoll_pwait2(ep, out, 4, &ts, NULL));
    put(p[1], "c");
    show("epoll_pwait2(NULL timeout, ready)", epoll_pwait2(ep, out, 4, NULL, NULL));
    show("epoll_pwait2(-1)", epoll_pwait2(-1, out, 4, NULL, NULL));

    /* Closing the write end: EPOLLHUP along with the pending data. */
    close(p[1]);
    memset(out, 0, sizeof out);
    show("epoll_wait(writer closed, data left)", epoll_wait(ep, out, 4, 1000));
    printf("  events %s\n", epollbits(out[0].events));
    /* Closing the only fd removes it from the set. */
    close(p[0]);
    show("epoll_wait(member closed, timeout 0)", epoll_wait(ep, out, 4, 0));
    show("epoll_ctl(DEL closed fd)", epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL));
    close(ep2);
    close(ep);
}

int main(void)
{
    start_program();
    test_poll();
    test_ppoll();
    test_select();
    test_epoll();
    return finish_program("poll_errors");
}
