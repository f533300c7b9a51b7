/* The snippet; see snippet.h. Output goes through write(2) in one piece
 * per line, so that lines from several threads and processes never mix. */
#include "snippet.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static void say(const char *where, const char *fmt, ...)
{
    char line[256];
    va_list ap;
    int n = snprintf(line, sizeof line, "[%s] ", where);
    va_start(ap, fmt);
    n += vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
    va_end(ap);
    line[n++] = '\n';
    if (write(1, line, (size_t)n) != n)
        _exit(3);
}

static const char *err(long r)
{
    return r < 0 ? strerrorname_np(errno) : "ok";
}

void snippet(const char *where)
{
    int p[2], s[2];
    char buf[16] = {0};
    if (pipe(p) < 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, s) < 0)
        _exit(4);
    say(where, "write %zd", write(p[1], "hello", 5));
    say(where, "read %zd %.5s", read(p[0], buf, sizeof buf), buf);
    struct pollfd pf = {.fd = p[0], .events = POLLIN};
    say(where, "poll empty 10ms %d", poll(&pf, 1, 10));
    fd_set r;
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    struct timeval tv = {0, 5000};
    say(where, "select empty %d", select(p[0] + 1, &r, NULL, NULL, &tv));
    say(where, "send %zd", send(s[0], "abc", 3, 0));
    say(where, "recv %zd", recv(s[1], buf, sizeof buf, 0));
    say(where, "recv dontwait %zd %s", recv(s[1], buf, 1, MSG_DONTWAIT),
        err(-1));
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN}, out;
    say(where, "epoll_ctl %s", err(epoll_ctl(ep, EPOLL_CTL_ADD, s[1], &ev)));
    say(where, "epoll_wait 10ms %d", epoll_wait(ep, &out, 1, 10));
    struct timespec ts = {0, 1000000};
    say(where, "nanosleep %d", nanosleep(&ts, NULL));
    say(where, "usleep %d", usleep(1000));
    int d = dup(p[0]);
    say(where, "dup %s fcntl %d", err(d), fcntl(d, F_GETFL) & O_NONBLOCK);
    say(where, "close bad %d %s", close(-1), err(-1));
    close(d);
    close(ep);
    close(p[0]);
    close(p[1]);
    close(s[0]);
    close(s[1]);
}
