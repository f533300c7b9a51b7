/* Parity program: socket calls on 127.0.0.1 and UNIX socketpairs, their
 * normal and error paths (socket, connect, accept/accept4, send/recv and
 * friends, sendmsg/recvmsg with SCM_RIGHTS, sendmmsg/recvmmsg, shutdown,
 * SO_LINGER, SO_RCVTIMEO/SO_SNDTIMEO, setsockopt/getsockopt). Knows nothing of
 * libgreen; prints one deterministic line per check (no fd numbers, ports,
 * pids or timings) so that a run under LD_PRELOAD can be compared byte for
 * byte with a native run. Children report through their exit status only. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "report.h"

/* Forks; the child runs fn(a, b) and exits with its result. */
static pid_t spawn(int (*fn)(int, int), int a, int b)
{
    pid_t pid = fork_child();
    if (pid == 0) {
        int r = fn(a, b);
        fflush(stdout);
        _exit(r);
    }
    return pid;
}

static struct sockaddr_in loopback(int port)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

static int local_port(int fd)
{
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    if (getsockname(fd, (struct sockaddr *)&a, &len) < 0)
        die("getsockname");
    return ntohs(a.sin_port);
}

/* A socket of the given type bound to 127.0.0.1 on a free port. */
static int bound(int type, int *port)
{
    int fd = socket(AF_INET, type, 0);
    struct sockaddr_in a = loopback(0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) < 0)
        die("socket/bind");
    *port = local_port(fd);
    return fd;
}

static int listener(int backlog, int *port)
{
    int fd = bound(SOCK_STREAM, port);
    if (listen(fd, backlog) < 0)
        die("listen");
    return fd;
}

/* A port that nobody listens on (just bound and released). */
static int free_port(void)
{
    int port;
    close(bound(SOCK_STREAM, &port));
    return port;
}

static int connect_to(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = loopback(port);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) < 0)
        die("connect");
    return fd;
}

/* A connected TCP pair over 127.0.0.1: *c is the client, *s the accepted end. */
static void tcp_pair(int *c, int *s)
{
    int port;
    int l = listener(4, &port);
    *c = connect_to(port);
    *s = accept(l, NULL, NULL);
    if (*s < 0)
        die("accept");
    close(l);
}

static int getint(int fd, int level, int opt)
{
    int v = -12345;
    socklen_t len = sizeof v;
    if (getsockopt(fd, level, opt, &v, &len) < 0)
        return -1;
    return v;
}

static void socket_errors(void)
{
    showfd("socket(domain 12345)", socket(12345, SOCK_STREAM, 0));
    showfd("socket(AF_INET, type 12345)", socket(AF_INET, 12345, 0));
    showfd("socket(AF_INET, SOCK_STREAM, protocol 12345)", socket(AF_INET, SOCK_STREAM, 12345));
    showfd("socket(AF_INET, SOCK_STREAM, IPPROTO_UDP)", socket(AF_INET, SOCK_STREAM, IPPROTO_UDP));
    showfd("socket(AF_INET, SOCK_STREAM | 0x40000000)", socket(AF_INET, SOCK_STREAM | 0x40000000, 0));
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    showfd("socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC)", fd);
    show("  O_NONBLOCK set", (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0);
    show("  FD_CLOEXEC set", (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
    show("  SO_TYPE", getint(fd, SOL_SOCKET, SO_TYPE));
    close(fd);
    int sv[2] = { -1, -1 };
    show("socketpair(AF_INET)", socketpair(AF_INET, SOCK_STREAM, 0, sv));
    show("socketpair(AF_UNIX, type 12345)", socketpair(AF_UNIX, 12345, 0, sv));
}

static void connect_errors(void)
{
    int p[2];
    struct sockaddr_in a = loopback(free_port());
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    show("connect(127.0.0.1, port without listener)", connect(fd, (struct sockaddr *)&a, sizeof a));
    show("  SO_ERROR after refused connect", getint(fd, SOL_SOCKET, SO_ERROR));
    show("connect(same socket, again)", connect(fd, (struct sockaddr *)&a, sizeof a));
    show("connect(addrlen 3)", connect(fd, (struct sockaddr *)&a, 3));
    close(fd);

    fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    show("connect(O_NONBLOCK, port without listener)", connect(fd, (struct sockaddr *)&a, sizeof a));
    struct pollfd pfd = { fd, POLLOUT, 0 };
    show("  poll(POLLOUT)", poll(&pfd, 1, 2000));
    show("  revents has POLLOUT", (pfd.revents & POLLOUT) != 0);
    show("  revents has POLLERR", (pfd.revents & POLLERR) != 0);
    show("  revents has POLLHUP", (pfd.revents & POLLHUP) != 0);
    int e = getint(fd, SOL_SOCKET, SO_ERROR);
    printf("  SO_ERROR = %s\n", e > 0 ? ename(e) : "0");
    show("  SO_ERROR read again", getint(fd, SOL_SOCKET, SO_ERROR));
    close(fd);

    if (pipe(p) < 0)
        die("pipe");
    show("connect(pipe fd)", connect(p[0], (struct sockaddr *)&a, sizeof a));
    show("connect(-1)", connect(-1, (struct sockaddr *)&a, sizeof a));
    close(p[0]);
    close(p[1]);

    int port;
    int l = listener(4, &port);
    a = loopback(port);
    fd = socket(AF_INET, SOCK_STREAM, 0);
    show("connect(listener)", connect(fd, (struct sockaddr *)&a, sizeof a));
    show("connect(already connected)", connect(fd, (struct sockaddr *)&a, sizeof a));
    close(fd);
    fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    show("connect(O_NONBLOCK, listener)", connect(fd, (struct sockaddr *)&a, sizeof a));
    pfd = (struct pollfd){ fd, POLLOUT, 0 };
    show("  poll(POLLOUT)", poll(&pfd, 1, 2000));
    show("  SO_ERROR", getint(fd, SOL_SOCKET, SO_ERROR));
    show("  connect again", connect(fd, (struct sockaddr *)&a, sizeof a));
    show("  connect again", connect(fd, (struct sockaddr *)&a, sizeof a));
    close(fd);
    struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port) };
    fd = socket(AF_INET, SOCK_STREAM, 0);
    show("connect(AF_INET socket, AF_INET6 address)", connect(fd, (struct sockaddr *)&a6, sizeof a6));
    close(fd);
    fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in bad = a;
    bad.sin_family = AF_UNIX;
    show("connect(AF_INET socket, family AF_UNIX)", connect(fd, (struct sockaddr *)&bad, sizeof bad));
    close(fd);
    close(l);

    /* A full backlog drops the SYN: SO_SNDTIMEO bounds a blocking connect. */
    l = listener(0, &port);
    a = loopback(port);
    int c1 = socket(AF_INET, SOCK_STREAM, 0);
    show("connect(backlog-0 listener, first)", connect(c1, (struct sockaddr *)&a, sizeof a));
    fd = socket(AF_INET, SOCK_STREAM, 0);
    struct timeval tv = { 0, 100000 };
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    double t0 = now();
    show("connect(full backlog, SO_SNDTIMEO 100 ms)", connect(fd, (struct sockaddr *)&a, sizeof a));
    double dt = now() - t0;
    check(dt >= 0.09 && dt < 1.5, "  waited about 100 ms");
    show("  connect again", connect(fd, (struct sockaddr *)&a, sizeof a));
    close(fd);
    fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    show("connect(O_NONBLOCK, full backlog)", connect(fd, (struct sockaddr *)&a, sizeof a));
    pfd = (struct pollfd){ fd, POLLOUT, 0 };
    show("  poll(POLLOUT, 50 ms)", poll(&pfd, 1, 50));
    close(fd);
    close(c1);
    close(l);
}

static void accept_errors(void)
{
    int port;
    char path[] = "/tmp/parity-sock-XXXXXX";
    int f = mkstemp(path);
    if (f < 0)
        die("mkstemp");
    unlink(path);
    int fd = bound(SOCK_STREAM, &port);
    showfd("accept(bound, not listening)", accept(fd, NULL, NULL));
    showfd("accept4(bound, not listening)", accept4(fd, NULL, NULL, SOCK_NONBLOCK));
    close(fd);
    showfd("accept(regular file)", accept(f, NULL, NULL));
    showfd("accept(-1)", accept(-1, NULL, NULL));
    close(f);
    fd = socket(AF_INET, SOCK_DGRAM, 0);
    showfd("accept(UDP socket)", accept(fd, NULL, NULL));
    show("listen(UDP socket)", listen(fd, 1));
    close(fd);

    int l = listener(4, &port);
    showfd("accept4(flags 0x1)", accept4(l, NULL, NULL, 0x1));
    fcntl(l, F_SETFL, O_NONBLOCK);
    showfd("accept(O_NONBLOCK listener, nothing pending)", accept(l, NULL, NULL));
    showfd("accept4(O_NONBLOCK listener, nothing pending)", accept4(l, NULL, NULL, SOCK_CLOEXEC));
    fcntl(l, F_SETFL, 0);
    struct timeval tv = { 0, 50000 };
    setsockopt(l, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    double t0 = now();
    showfd("accept(listener with SO_RCVTIMEO 50 ms, nothing pending)", accept(l, NULL, NULL));
    double dt = now() - t0;
    check(dt >= 0.045 && dt < 1.5, "  waited about 50 ms");
    close(l);
}

static void unconnected(void)
{
    char buf[8];
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    show("recv(unconnected TCP)", recv(fd, buf, sizeof buf, 0));
    show("read(unconnected TCP)", read(fd, buf, sizeof buf));
    show("recv(unconnected TCP, MSG_DONTWAIT)", recv(fd, buf, sizeof buf, MSG_DONTWAIT));
    show("send(unconnected TCP, MSG_NOSIGNAL)", send(fd, "x", 1, MSG_NOSIGNAL));
    signal(SIGPIPE, SIG_IGN);
    show("write(unconnected TCP, SIGPIPE ignored)", write(fd, "x", 1));
    signal(SIGPIPE, SIG_DFL);
    show("shutdown(unconnected TCP)", shutdown(fd, SHUT_RDWR));
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    show("getpeername(unconnected TCP)", getpeername(fd, (struct sockaddr *)&a, &len));
    close(fd);
    int p[2];
    if (pipe(p) < 0)
        die("pipe");
    show("recv(pipe)", recv(p[0], buf, 1, 0));
    show("send(pipe)", send(p[1], "x", 1, 0));
    show("shutdown(pipe)", shutdown(p[0], SHUT_RD));
    close(p[0]);
    close(p[1]);
    show("recv(-1)", recv(-1, buf, 1, 0));
    show("send(-1)", send(-1, "x", 1, 0));
}

static int send_pieces(int fd, int other)
{
    char buf[1000];
    close(other);
    for (int i = 0; i < 4; i++) {
        memset(buf, 'a' + i, sizeof buf);
        msleep(10);
        if (send(fd, buf, sizeof buf, 0) != (ssize_t)sizeof buf)
            return 2;
    }
    return 0;
}

static int send_then_close(int fd, int other)
{
    close(other);
    msleep(20);
    return send(fd, "0123456789", 10, 0) == 10 ? 0 : 2;
}

static void tcp_basic(void)
{
    char buf[64];
    int port, c, s;
    int l = listener(4, &port);

    /* accept does not inherit O_NONBLOCK from the listener (Linux). */
    fcntl(l, F_SETFL, O_NONBLOCK);
    c = connect_to(port);
    struct pollfd pfd = { l, POLLIN, 0 };
    show("poll(listener with a pending connection)", poll(&pfd, 1, 2000));
    struct sockaddr_in peer;
    socklen_t plen = sizeof peer;
    s = accept(l, (struct sockaddr *)&peer, &plen);
    showfd("accept(O_NONBLOCK listener)", s);
    show("  accepted fd has O_NONBLOCK", (fcntl(s, F_GETFL) & O_NONBLOCK) != 0);
    show("  accepted fd has FD_CLOEXEC", (fcntl(s, F_GETFD) & FD_CLOEXEC) != 0);
    show("  addrlen", plen);
    show("  peer port is the client's port", ntohs(peer.sin_port) == local_port(c));
    show("  peer address is 127.0.0.1", peer.sin_addr.s_addr == htonl(INADDR_LOOPBACK));
    close(s);
    close(c);
    fcntl(l, F_SETFL, 0);

    c = connect_to(port);
    plen = 2; /* truncated address */
    s = accept4(l, (struct sockaddr *)&peer, &plen, SOCK_NONBLOCK | SOCK_CLOEXEC);
    showfd("accept4(SOCK_NONBLOCK | SOCK_CLOEXEC, addrlen 2)", s);
    show("  accepted fd has O_NONBLOCK", (fcntl(s, F_GETFL) & O_NONBLOCK) != 0);
    show("  accepted fd has FD_CLOEXEC", (fcntl(s, F_GETFD) & FD_CLOEXEC) != 0);
    show("  addrlen (full length reported)", plen);
    show("  recv(empty, accept4 SOCK_NONBLOCK)", recv(s, buf, sizeof buf, 0));
    show("  read(empty, accept4 SOCK_NONBLOCK)", read(s, buf, sizeof buf));
    close(s);
    close(c);

    c = connect_to(port);
    s = accept(l, NULL, NULL);
    showfd("accept(NULL, NULL)", s);
    show("send(client, \"hello\")", send(c, "hello", 5, 0));
    memset(buf, 0, sizeof buf);
    show("recv(MSG_PEEK)", recv(s, buf, sizeof buf, MSG_PEEK));
    printf("  peeked \"%s\"\n", buf);
    memset(buf, 0, sizeof buf);
    show("recv(MSG_PEEK | MSG_DONTWAIT, 2)", recv(s, buf, 2, MSG_PEEK | MSG_DONTWAIT));
    show("recv after peek", recv(s, buf, sizeof buf, 0));
    printf("  got \"%s\"\n", buf);
    show("recv(empty, MSG_DONTWAIT)", recv(s, buf, sizeof buf, MSG_DONTWAIT));
    show("recv(empty, len 0, MSG_DONTWAIT)", recv(s, buf, 0, MSG_DONTWAIT));
    show("read(empty socket, len 0)", read(s, buf, 0));
    show("recvfrom(empty, MSG_DONTWAIT)", recvfrom(s, buf, sizeof buf, MSG_DONTWAIT, NULL, NULL));
    show("  O_NONBLOCK after MSG_DONTWAIT", (fcntl(s, F_GETFL) & O_NONBLOCK) != 0);
    show("write(client, 3)", write(c, "abc", 3));
    struct iovec wv[2] = { { (void *)"de", 2 }, { (void *)"fgh", 3 } };
    show("writev(client, 2 iovecs)", writev(c, wv, 2));
    show("sendto(client, NULL address)", sendto(c, "ij", 2, 0, NULL, 0));
    msleep(5);
    memset(buf, 0, sizeof buf);
    show("read(server, 64)", read(s, buf, sizeof buf));
    printf("  got \"%s\"\n", buf);
    show("send(client, MSG_DONTWAIT)", send(c, "k", 1, MSG_DONTWAIT));
    show("send(client, MSG_MORE)", send(c, "l", 1, MSG_MORE));
    show("send(client, MSG_NOSIGNAL)", send(c, "m", 1, MSG_NOSIGNAL));
    msleep(5);
    struct sockaddr_in from;
    socklen_t flen = sizeof from;
    memset(buf, 0, sizeof buf);
    show("recvfrom(server, with address)", recvfrom(s, buf, sizeof buf, 0, (struct sockaddr *)&from, &flen));
    printf("  got \"%s\", fromlen %u\n", buf, (unsigned)flen);
    close(s);
    close(c);

    /* MSG_WAITALL: a child sends 4 x 1000 bytes with 10 ms gaps. */
    c = connect_to(port);
    s = accept(l, NULL, NULL);
    pid_t pid = spawn(send_pieces, c, s);
    close(c);
    static char big[8192];
    ssize_t n = recv(s, big, 4000, MSG_WAITALL);
    show("recv(MSG_WAITALL, 4000) from 4 pieces", n);
    int ok = n == 4000;
    for (int i = 0; ok && i < 4000; i++)
        ok = big[i] == 'a' + i / 1000;
    check(ok, "  bytes in order");
    expect_exit0("  sender", reap(pid));
    show("recv at EOF", recv(s, big, 10, 0));
    close(s);

    /* MSG_WAITALL cut short by EOF returns what arrived. */
    c = connect_to(port);
    s = accept(l, NULL, NULL);
    pid = spawn(send_then_close, c, s);
    close(c);
    show("recv(MSG_WAITALL, 4000), peer sends 10 then closes", recv(s, big, 4000, MSG_WAITALL));
    expect_exit0("  sender", reap(pid));
    close(s);
    close(l);

    /* A MSG_WAITALL recv with data already queued and MSG_DONTWAIT. */
    tcp_pair(&c, &s);
    send(c, "xyz", 3, 0);
    msleep(5);
    show("recv(MSG_WAITALL | MSG_DONTWAIT, 10) with 3 queued", recv(s, big, 10, MSG_WAITALL | MSG_DONTWAIT));
    close(c);
    close(s);
}

static void shutdown_linger(void)
{
    char buf[64];
    int c, s;

    tcp_pair(&c, &s);
    show("shutdown(client, SHUT_WR)", shutdown(c, SHUT_WR));
    show("  server recv", recv(s, buf, sizeof buf, 0));
    show("  server read", read(s, buf, sizeof buf));
    show("  server send back", send(s, "back", 4, 0));
    memset(buf, 0, sizeof buf);
    show("  client recv after its SHUT_WR", recv(c, buf, sizeof buf, 0));
    printf("  got \"%s\"\n", buf);
    show("  client send after SHUT_WR (MSG_NOSIGNAL)", send(c, "x", 1, MSG_NOSIGNAL));
    show("shutdown(server, how 7)", shutdown(s, 7));
    show("shutdown(server, SHUT_RD)", shutdown(s, SHUT_RD));
    show("  server recv after SHUT_RD", recv(s, buf, sizeof buf, 0));
    show("  shutdown(SHUT_RDWR) again", shutdown(s, SHUT_RDWR));
    close(c);
    close(s);

    tcp_pair(&c, &s);
    struct linger lg = { 1, 0 };
    show("setsockopt(SO_LINGER {1, 0})", setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof lg));
    struct linger lg2 = { -1, -1 };
    socklen_t len = sizeof lg2;
    getsockopt(c, SOL_SOCKET, SO_LINGER, &lg2, &len);
    printf("  getsockopt(SO_LINGER) = {%d, %d}\n", lg2.l_onoff, lg2.l_linger);
    show("close(client with SO_LINGER {1, 0})", close(c));
    struct pollfd pfd = { s, POLLIN, 0 };
    show("  server poll", poll(&pfd, 1, 2000));
    show("  revents has POLLHUP", (pfd.revents & POLLHUP) != 0);
    show("  revents has POLLERR", (pfd.revents & POLLERR) != 0);
    show("  server read after RST", read(s, buf, sizeof buf));
    show("  server read again", read(s, buf, sizeof buf));
    show("  server send (MSG_NOSIGNAL)", send(s, "x", 1, MSG_NOSIGNAL));
    close(s);

    /* RST while the reader is blocked in recv. */
    tcp_pair(&c, &s);
    pid_t pid = fork_child();
    if (pid == 0) {
        close(s);
        msleep(20);
        setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        _exit(close(c) == 0 ? 0 : 2);
    }
    close(c);
    show("recv(blocked when the peer resets)", recv(s, buf, sizeof buf, 0));
    expect_exit0("  resetter", reap(pid));
    close(s);
}

static void timeouts(void)
{
    char buf[64];
    int c, s;
    double t0, dt;

    tcp_pair(&c, &s);
    struct timeval tv = { 0, 100000 };
    show("setsockopt(SO_RCVTIMEO 100 ms)", setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));
    struct timeval got = { -1, -1 };
    socklen_t len = sizeof got;
    getsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &got, &len);
    printf("  getsockopt(SO_RCVTIMEO) = {%ld, %ld}\n", (long)got.tv_sec, (long)got.tv_usec);
    t0 = now();
    show("recv(idle, SO_RCVTIMEO)", recv(s, buf, sizeof buf, 0));
    dt = now() - t0;
    check(dt >= 0.095 && dt < 1.5, "  waited about 100 ms");
    t0 = now();
    show("read(idle, SO_RCVTIMEO)", read(s, buf, sizeof buf));
    dt = now() - t0;
    check(dt >= 0.095 && dt < 1.5, "  waited about 100 ms");
    tv = (struct timeval){ 0, 30000 };
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    struct msghdr mh = { 0 };
    struct iovec iov = { buf, sizeof buf };
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    show("recvmsg(idle, SO_RCVTIMEO 30 ms)", recvmsg(s, &mh, 0));
    show("recvfrom(idle, SO_RCVTIMEO 30 ms)", recvfrom(s, buf, sizeof buf, 0, NULL, NULL));
    show("readv(idle, SO_RCVTIMEO 30 ms)", readv(s, &iov, 1));
    send(c, "hi", 2, 0);
    show("recv(data queued, SO_RCVTIMEO)", recv(s, buf, sizeof buf, 0));
    tv = (struct timeval){ 0, 123457 };
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    len = sizeof got;
    getsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &got, &len);
    printf("  SO_RCVTIMEO {0, 123457} reads back as {%ld, %ld}\n", (long)got.tv_sec, (long)got.tv_usec);
    tv = (struct timeval){ 0, 1000000 };
    show("setsockopt(SO_RCVTIMEO tv_usec 1000000)", setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));
    tv = (struct timeval){ -1, 0 };
    show("setsockopt(SO_RCVTIMEO tv_sec -1)", setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));
    len = sizeof got;
    getsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &got, &len);
    printf("  which reads back as {%ld, %ld}\n", (long)got.tv_sec, (long)got.tv_usec);
    show("setsockopt(SO_RCVTIMEO, optlen 4)", setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, 4));
    close(c);
    close(s);

    /* SO_SNDTIMEO on a socket whose peer never reads: eventually -1 EAGAIN. */
    tcp_pair(&c, &s);
    int small = 4096;
    setsockopt(c, SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
    setsockopt(s, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    tv = (struct timeval){ 0, 50000 };
    show("setsockopt(SO_SNDTIMEO 50 ms)", setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv));
    static char chunk[65536];
    ssize_t r;
    int sends = 0, partial = 0;
    do {
        t0 = now();
        r = send(c, chunk, sizeof chunk, 0);
        dt = now() - t0;
        if (r > 0 && r < (ssize_t)sizeof chunk)
            partial++;
    } while (r > 0 && ++sends < 1000);
    show("send(full socket, SO_SNDTIMEO) finally", r);
    check(r < 0 && dt >= 0.045 && dt < 1.5, "  the failing send waited about 50 ms");
    check(partial <= 2, "  at most two partial sends before it");
    t0 = now();
    show("write(full socket, SO_SNDTIMEO)", write(c, chunk, 100));
    dt = now() - t0;
    check(dt >= 0.045 && dt < 1.5, "  waited about 50 ms");
    show("send(full socket, MSG_DONTWAIT)", send(c, chunk, 100, MSG_DONTWAIT));
    close(c);
    close(s);
}

static void sockopts(void)
{
    int c, s, v;
    socklen_t len;
    tcp_pair(&c, &s);
    v = 1;
    show("setsockopt(SO_REUSEADDR 1)", setsockopt(c, SOL_SOCKET, SO_REUSEADDR, &v, sizeof v));
    show("  getsockopt(SO_REUSEADDR)", getint(c, SOL_SOCKET, SO_REUSEADDR));
    show("setsockopt(TCP_NODELAY 1)", setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &v, sizeof v));
    show("  getsockopt(TCP_NODELAY)", getint(c, IPPROTO_TCP, TCP_NODELAY));
    v = 65536;
    show("setsockopt(SO_RCVBUF 65536)", setsockopt(c, SOL_SOCKET, SO_RCVBUF, &v, sizeof v));
    show("  getsockopt(SO_RCVBUF) (the kernel doubles it)", getint(c, SOL_SOCKET, SO_RCVBUF));
    show("getsockopt(SO_TYPE)", getint(c, SOL_SOCKET, SO_TYPE));
    show("getsockopt(SO_ERROR)", getint(c, SOL_SOCKET, SO_ERROR));
    show("getsockopt(SO_ACCEPTCONN) on accepted", getint(s, SOL_SOCKET, SO_ACCEPTCONN));
    show("getsockopt(SO_KEEPALIVE)", getint(c, SOL_SOCKET, SO_KEEPALIVE));
    show("getsockopt(SOL_SOCKET, optname 9999)", getint(c, SOL_SOCKET, 9999));
    show("getsockopt(level 9999)", getint(c, 9999, 1));
    v = 0;
    len = 1;
    show("getsockopt(SO_TYPE, optlen 1)", getsockopt(c, SOL_SOCKET, SO_TYPE, &v, &len));
    show("  optlen after", len);
    show("setsockopt(SO_REUSEADDR, optlen 1)", setsockopt(c, SOL_SOCKET, SO_REUSEADDR, &v, 1));
    int p[2];
    if (pipe(p) < 0)
        die("pipe");
    show("getsockopt(pipe)", getint(p[0], SOL_SOCKET, SO_TYPE));
    show("setsockopt(pipe)", setsockopt(p[0], SOL_SOCKET, SO_REUSEADDR, &v, sizeof v));
    close(p[0]);
    close(p[1]);
    show("getsockopt(-1)", getint(-1, SOL_SOCKET, SO_TYPE));
    close(c);
    close(s);
}

static void udp(void)
{
    char buf[64];
    int pa, pb;
    int a = bound(SOCK_DGRAM, &pa);
    int b = bound(SOCK_DGRAM, &pb);
    struct sockaddr_in to = loopback(pb), from;
    socklen_t flen;

    show("sendto(b, \"ping\")", sendto(a, "ping", 4, 0, (struct sockaddr *)&to, sizeof to));
    memset(buf, 0, sizeof buf);
    flen = sizeof from;
    show("recvfrom(b)", recvfrom(b, buf, sizeof buf, 0, (struct sockaddr *)&from, &flen));
    printf("  got \"%s\", fromlen %u, port is a's: %s\n", buf, (unsigned)flen,
           ntohs(from.sin_port) == pa ? "yes" : "no");
    show("recvfrom(empty, MSG_DONTWAIT)", recvfrom(b, buf, sizeof buf, MSG_DONTWAIT, NULL, NULL));
    show("sendto(b, 10 bytes)", sendto(a, "0123456789", 10, 0, (struct sockaddr *)&to, sizeof to));
    show("recv(b, 4) truncates the datagram", recv(b, buf, 4, 0));
    show("recv(empty, MSG_DONTWAIT) the rest was dropped", recv(b, buf, sizeof buf, MSG_DONTWAIT));
    sendto(a, "0123456789", 10, 0, (struct sockaddr *)&to, sizeof to);
    show("recv(b, 4, MSG_TRUNC) returns the real length", recv(b, buf, 4, MSG_TRUNC));
    show("sendto(b, 0 bytes)", sendto(a, "", 0, 0, (struct sockaddr *)&to, sizeof to));
    show("recv(b) an empty datagram", recv(b, buf, sizeof buf, 0));
    show("send(unconnected UDP, no address)", send(a, "x", 1, 0));
    show("sendto(addrlen 3)", sendto(a, "x", 1, 0, (struct sockaddr *)&to, 3));
    static char huge[70000];
    show("sendto(70000 bytes)", sendto(a, huge, sizeof huge, 0, (struct sockaddr *)&to, sizeof to));
    struct timeval tv = { 0, 30000 };
    setsockopt(b, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    show("recvfrom(empty UDP, SO_RCVTIMEO 30 ms)", recvfrom(b, buf, sizeof buf, 0, NULL, NULL));

    /* A connected UDP socket gets ICMP port unreachable as ECONNREFUSED. */
    struct sockaddr_in dead = loopback(free_port());
    int u = socket(AF_INET, SOCK_DGRAM, 0);
    show("connect(UDP, port without listener)", connect(u, (struct sockaddr *)&dead, sizeof dead));
    show("send(connected UDP)", send(u, "x", 1, 0));
    struct pollfd pfd = { u, POLLIN, 0 };
    show("  poll(POLLIN)", poll(&pfd, 1, 2000));
    show("  revents has POLLERR", (pfd.revents & POLLERR) != 0);
    show("  recv", recv(u, buf, sizeof buf, 0));
    show("  recv again (MSG_DONTWAIT)", recv(u, buf, sizeof buf, MSG_DONTWAIT));
    show("send(connected UDP) again", send(u, "x", 1, 0));
    poll(&pfd, 1, 2000);
    show("  next send reports the pending error", send(u, "x", 1, 0));
    close(u);
    close(a);
    close(b);
}

static void scm_rights(void)
{
    int sv[2], p[2];
    char a[2], b[4], c[10];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0 || pipe(p) < 0)
        die("socketpair/pipe");

    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(sizeof(int))];
    } ctl;
    struct iovec wv[3] = { { (void *)"abc", 3 }, { (void *)"defg", 4 }, { (void *)"hi", 2 } };
    struct msghdr mh = { 0 };
    mh.msg_iov = wv;
    mh.msg_iovlen = 3;
    mh.msg_control = ctl.buf;
    mh.msg_controllen = sizeof ctl.buf;
    struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &p[0], sizeof(int));
    show("sendmsg(3 iovecs + SCM_RIGHTS pipe read end)", sendmsg(sv[0], &mh, 0));

    struct iovec rv[3] = { { a, sizeof a }, { b, sizeof b }, { c, sizeof c } };
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(sizeof(int))];
    } rctl;
    memset(&rctl, 0, sizeof rctl);
    struct msghdr rh = { 0 };
    rh.msg_iov = rv;
    rh.msg_iovlen = 3;
    rh.msg_control = rctl.buf;
    rh.msg_controllen = sizeof rctl.buf;
    show("recvmsg(3 iovecs of 2+4+10, MSG_CMSG_CLOEXEC)", recvmsg(sv[1], &rh, MSG_CMSG_CLOEXEC));
    printf("  got \"%.2s\" \"%.4s\" \"%.3s\", msg_flags 0x%x\n", a, b, c, (unsigned)rh.msg_flags);
    cm = CMSG_FIRSTHDR(&rh);
    int fd = -1;
    if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS &&
        cm->cmsg_len == CMSG_LEN(sizeof(int)))
        memcpy(&fd, CMSG_DATA(cm), sizeof fd);
    check(fd >= 0, "  one SCM_RIGHTS fd received");
    show("  received fd has FD_CLOEXEC", (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
    show("  received fd is a new number", fd != p[0]);
    show("  write(pipe write end)", write(p[1], "via pipe", 8));
    memset(c, 0, sizeof c);
    show("  read(received fd)", read(fd, c, sizeof c));
    printf("  got \"%.8s\"\n", c);
    close(fd);

    /* Too small a control buffer: MSG_CTRUNC and the fd is discarded. */
    mh.msg_control = ctl.buf;
    mh.msg_controllen = sizeof ctl.buf;
    mh.msg_iovlen = 1;
    cm = CMSG_FIRSTHDR(&mh);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &p[0], sizeof(int));
    show("sendmsg(1 iovec + SCM_RIGHTS)", sendmsg(sv[0], &mh, 0));
    char tiny[4];
    rh.msg_iov = rv;
    rh.msg_iovlen = 3;
    rh.msg_control = tiny;
    rh.msg_controllen = sizeof tiny;
    rh.msg_flags = 0;
    show("recvmsg(control buffer of 4 bytes)", recvmsg(sv[1], &rh, 0));
    show("  MSG_CTRUNC", (rh.msg_flags & MSG_CTRUNC) != 0);
    show("  msg_controllen", (long)rh.msg_controllen);
    show("recvmsg(empty, MSG_DONTWAIT)", recvmsg(sv[1], &rh, MSG_DONTWAIT));
    rh.msg_iovlen = (size_t)-1;
    show("recvmsg(msg_iovlen huge)", recvmsg(sv[1], &rh, MSG_DONTWAIT));
    mh.msg_iovlen = 0;
    mh.msg_control = NULL;
    mh.msg_controllen = 0;
    show("sendmsg(no iovecs)", sendmsg(sv[0], &mh, 0));
    show("sendmsg(-1)", sendmsg(-1, &mh, 0));
    close(sv[0]);
    rh.msg_iovlen = 3;
    rh.msg_control = NULL;
    rh.msg_controllen = 0;
    show("recvmsg(peer closed)", recvmsg(sv[1], &rh, 0));
    close(sv[1]);
    close(p[0]);
    close(p[1]);
}

/* Three receive slots for recvmmsg. */
struct rx {
    char bufs[3][16];
    struct iovec rv[3];
    struct mmsghdr in[3];
    struct sockaddr_in froms[3];
};

static void reset_rx(struct rx *r)
{
    memset(r, 0, sizeof *r);
    for (int i = 0; i < 3; i++) {
        r->rv[i] = (struct iovec){ r->bufs[i], sizeof r->bufs[i] };
        r->in[i].msg_hdr.msg_iov = &r->rv[i];
        r->in[i].msg_hdr.msg_iovlen = 1;
        r->in[i].msg_hdr.msg_name = &r->froms[i];
        r->in[i].msg_hdr.msg_namelen = sizeof r->froms[i];
    }
}

static void mmsg(void)
{
    int pa, pb;
    int a = bound(SOCK_DGRAM, &pa);
    int b = bound(SOCK_DGRAM, &pb);
    struct sockaddr_in to = loopback(pb);
    if (connect(a, (struct sockaddr *)&to, sizeof to) < 0)
        die("connect udp");
    const char *words[3] = { "one", "three", "fifteen" };
    struct iovec wv[3];
    struct mmsghdr out[3];
    memset(out, 0, sizeof out);
    for (int i = 0; i < 3; i++) {
        wv[i] = (struct iovec){ (void *)words[i], strlen(words[i]) };
        out[i].msg_hdr.msg_iov = &wv[i];
        out[i].msg_hdr.msg_iovlen = 1;
    }
    show("sendmmsg(3 datagrams)", sendmmsg(a, out, 3, 0));
    printf("  msg_len %u %u %u\n", out[0].msg_len, out[1].msg_len, out[2].msg_len);

    struct rx r;
    char (*bufs)[16] = r.bufs;
    struct mmsghdr *in = r.in;
    struct sockaddr_in *froms = r.froms;
    reset_rx(&r);
    show("recvmmsg(vlen 3, MSG_WAITFORONE)", recvmmsg(b, in, 3, MSG_WAITFORONE, NULL));
    printf("  \"%s\" %u, \"%s\" %u, \"%s\" %u; sender port is a's: %s\n", bufs[0], in[0].msg_len,
           bufs[1], in[1].msg_len, bufs[2], in[2].msg_len,
           ntohs(froms[2].sin_port) == pa ? "yes" : "no");

    sendmmsg(a, out, 2, 0);
    reset_rx(&r);
    show("recvmmsg(vlen 3, MSG_WAITFORONE) with 2 queued", recvmmsg(b, in, 3, MSG_WAITFORONE, NULL));
    reset_rx(&r);
    show("recvmmsg(empty, MSG_DONTWAIT)", recvmmsg(b, in, 3, MSG_DONTWAIT, NULL));
    show("recvmmsg(vlen 0)", recvmmsg(b, in, 0, MSG_DONTWAIT, NULL));

    sendmmsg(a, out, 3, 0);
    struct timespec tmo = { 1, 0 };
    reset_rx(&r);
    show("recvmmsg(vlen 3, timeout 1 s) with 3 queued", recvmmsg(b, in, 3, 0, &tmo));
    printf("  \"%s\" \"%s\" \"%s\"\n", bufs[0], bufs[1], bufs[2]);
    show("  timeout was updated to the remaining time (0.5 s, 1 s)",
         tmo.tv_sec == 0 && tmo.tv_nsec > 500000000L);

    sendmmsg(a, out, 3, 0);
    tmo = (struct timespec){ 0, 0 };
    reset_rx(&r);
    show("recvmmsg(vlen 3, timeout {0, 0}) with 3 queued", recvmmsg(b, in, 3, 0, &tmo));
    reset_rx(&r);
    show("recvmmsg(vlen 3, MSG_DONTWAIT) the rest", recvmmsg(b, in, 3, MSG_DONTWAIT, NULL));
    tmo = (struct timespec){ 0, -1 };
    show("recvmmsg(timeout tv_nsec -1)", recvmmsg(b, in, 3, 0, &tmo));

    /* A child sends one datagram after 20 ms: recvmmsg(MSG_WAITFORONE) waits. */
    pid_t pid = fork_child();
    if (pid == 0) {
        msleep(20);
        _exit(send(a, "late", 4, 0) == 4 ? 0 : 2);
    }
    reset_rx(&r);
    show("recvmmsg(vlen 3, MSG_WAITFORONE) blocking for one", recvmmsg(b, in, 3, MSG_WAITFORONE, NULL));
    printf("  got \"%s\"\n", bufs[0]);
    expect_exit0("  sender", reap(pid));

    /* sendmmsg stops at the first failing message. */
    static char huge[70000];
    struct iovec hv = { huge, sizeof huge };
    out[1].msg_hdr.msg_iov = &hv;
    show("sendmmsg(ok, too big, ok)", sendmmsg(a, out, 3, 0));
    show("sendmmsg(too big first)", sendmmsg(a, &out[1], 2, 0));
    reset_rx(&r);
    show("recvmmsg(MSG_DONTWAIT) what was sent", recvmmsg(b, in, 3, MSG_DONTWAIT, NULL));
    show("sendmmsg(-1)", sendmmsg(-1, out, 1, 0));
    show("recvmmsg(-1)", recvmmsg(-1, in, 1, 0, NULL));
    close(a);
    close(b);
}

static void seqpacket(void)
{
    int sv[2];
    char buf[100];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) < 0)
        die("socketpair");
    show("send(seqpacket, \"a\")", send(sv[0], "a", 1, 0));
    show("send(seqpacket, \"bcd\")", send(sv[0], "bcd", 3, 0));
    show("write(seqpacket, \"efghij\")", write(sv[0], "efghij", 6));
    show("send(seqpacket, \"\")", send(sv[0], "", 0, 0));
    show("send(seqpacket, \"klm\")", send(sv[0], "klm", 3, 0));
    show("recv(100)", recv(sv[1], buf, sizeof buf, 0));
    show("read(100)", read(sv[1], buf, sizeof buf));
    struct iovec iov = { buf, 2 };
    struct msghdr mh = { 0 };
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    show("recvmsg(2) of a 6-byte record", recvmsg(sv[1], &mh, 0));
    show("  MSG_TRUNC in msg_flags", (mh.msg_flags & MSG_TRUNC) != 0);
    show("recv(100) an empty record", recv(sv[1], buf, sizeof buf, 0));
    show("recv(1, MSG_TRUNC) of a 3-byte record", recv(sv[1], buf, 1, MSG_TRUNC));
    show("recv(empty, MSG_DONTWAIT)", recv(sv[1], buf, sizeof buf, MSG_DONTWAIT));
    close(sv[0]);
    show("recv(peer closed)", recv(sv[1], buf, sizeof buf, 0));
    show("send(peer closed, MSG_NOSIGNAL)", send(sv[1], "x", 1, MSG_NOSIGNAL));
    close(sv[1]);
}

int main(void)
{
    start_program();
    socket_errors();
    connect_errors();
    accept_errors();
    unconnected();
    tcp_basic();
    shutdown_linger();
    timeouts();
    sockopts();
    udp();
    scm_rights();
    mmsg();
    seqpacket();
    return finish_program("sock_errors");
}
