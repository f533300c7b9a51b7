/* Parity program: a single-threaded echo server (the parent, plain blocking
 * accept/read/write) and a forked client (the child) that sends messages of
 * 1, 100, 4096, 65536 and 1 MiB bytes, checks every echoed byte and prints a
 * digest per message. Small messages go out with write() and come back with
 * read(); large ones are interleaved with poll(), send(MSG_DONTWAIT) and
 * recv() so that neither side can fill both socket buffers. Run over TCP on
 * 127.0.0.1 and over a UNIX socketpair. The client prints while the parent is
 * blocked; the parent prints only after reaping it. Knows nothing of libgreen. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "report.h"

static const size_t sizes[] = { 1, 100, 4096, 65536, 1 << 20 };
#define NSIZES (sizeof sizes / sizeof sizes[0])

static unsigned char pat(size_t i, size_t size)
{
    return (unsigned char)(i * 131 + size * 7 + (i >> 8));
}

/* Sends msg with write() and reads the echo with read(). */
static int exchange_simple(int fd, const unsigned char *msg, unsigned char *back, size_t size)
{
    ssize_t n = write(fd, msg, size);
    if (n != (ssize_t)size) {
        printf("client: write(%zu) = %zd %s\n", size, n, n < 0 ? ename(errno) : "");
        return -1;
    }
    size_t got = 0;
    while (got < size) {
        n = read(fd, back + got, size - got);
        if (n <= 0) {
            printf("client: read = %zd %s after %zu of %zu\n", n, n < 0 ? ename(errno) : "(EOF)", got, size);
            return -1;
        }
        got += (size_t)n;
    }
    return 0;
}

/* Interleaves non-blocking sends with receives, driven by poll(). */
static int exchange_polled(int fd, const unsigned char *msg, unsigned char *back, size_t size)
{
    size_t sent = 0, got = 0;
    while (got < size) {
        struct pollfd pfd = { fd, POLLIN | (sent < size ? POLLOUT : 0), 0 };
        int r = poll(&pfd, 1, 5000);
        if (r <= 0) {
            printf("client: poll = %d %s\n", r, r < 0 ? ename(errno) : "(timeout)");
            return -1;
        }
        if ((pfd.revents & POLLOUT) && sent < size) {
            size_t chunk = size - sent < 32768 ? size - sent : 32768;
            ssize_t n = send(fd, msg + sent, chunk, MSG_DONTWAIT | MSG_NOSIGNAL);
            if (n > 0)
                sent += (size_t)n;
            else if (n < 0 && errno != EAGAIN) {
                printf("client: send = -1 %s\n", ename(errno));
                return -1;
            }
        }
        if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t n = recv(fd, back + got, size - got, 0);
            if (n <= 0) {
                printf("client: recv = %zd %s after %zu of %zu\n", n, n < 0 ? ename(errno) : "(EOF)", got, size);
                return -1;
            }
            got += (size_t)n;
        }
    }
    return 0;
}

static int client(int fd, const char *label)
{
    unsigned char *msg = malloc(sizes[NSIZES - 1]);
    unsigned char *back = malloc(sizes[NSIZES - 1]);
    int bad = 0;
    if (!msg || !back)
        return 2;
    for (size_t k = 0; k < NSIZES; k++) {
        size_t size = sizes[k];
        for (size_t i = 0; i < size; i++)
            msg[i] = pat(i, size);
        memset(back, 0, size);
        int r = size <= 4096 ? exchange_simple(fd, msg, back, size) : exchange_polled(fd, msg, back, size);
        if (r < 0)
            return 3;
        uint32_t digest = 0;
        size_t wrong = 0;
        for (size_t i = 0; i < size; i++) {
            digest += back[i];
            wrong += back[i] != msg[i];
        }
        printf("%s client: %zu bytes echoed, digest %u, wrong bytes %zu\n", label, size, digest, wrong);
        bad |= wrong != 0;
    }
    fflush(stdout);
    free(msg);
    free(back);
    if (close(fd) < 0)
        return 4;
    return bad ? 5 : 0;
}

/* Echoes until EOF. Returns the byte count, or -1 on an error, -2 on a
 * short blocking write (which glibc never gives here). */
static long serve(int fd)
{
    static char buf[65536];
    long total = 0;
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0) {
            printf("server: read = -1 %s\n", ename(errno));
            return -1;
        }
        if (n == 0)
            break;
        ssize_t w = write(fd, buf, (size_t)n);
        if (w != n) {
            printf("server: write(%zd) = %zd %s\n", n, w, w < 0 ? ename(errno) : "(short)");
            return -2;
        }
        total += n;
    }
    return total;
}

static int report(const char *label, long total, pid_t pid)
{
    char who[32];
    long expect = 0;
    for (size_t k = 0; k < NSIZES; k++)
        expect += (long)sizes[k];
    int st = reap(pid);
    printf("%s server: echoed %ld bytes (expected %ld), then EOF\n", label, total, expect);
    snprintf(who, sizeof who, "%s client", label);
    status_line(who, st);
    return total != expect || !WIFEXITED(st) || WEXITSTATUS(st) != 0;
}

static int over_tcp(void)
{
    int l = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof a) < 0 || listen(l, 1) < 0 ||
        getsockname(l, (struct sockaddr *)&a, &len) < 0)
        die("listen");
    printf("tcp: listening on 127.0.0.1\n");
    pid_t pid = fork_child();
    if (pid == 0) {
        close(l);
        int c = socket(AF_INET, SOCK_STREAM, 0);
        if (c < 0 || connect(c, (struct sockaddr *)&a, sizeof a) < 0) {
            printf("tcp client: connect: %s\n", ename(errno));
            fflush(stdout);
            _exit(6);
        }
        _exit(client(c, "tcp"));
    }
    int s = accept(l, NULL, NULL);
    if (s < 0)
        die("accept");
    close(l);
    long total = serve(s);
    close(s);
    return report("tcp", total, pid);
}

static int over_socketpair(void)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
        die("socketpair");
    printf("unix: socketpair\n");
    pid_t pid = fork_child();
    if (pid == 0) {
        close(sv[0]);
        _exit(client(sv[1], "unix"));
    }
    close(sv[1]);
    long total = serve(sv[0]);
    close(sv[0]);
    return report("unix", total, pid);
}

int main(void)
{
    start_program();
    int bad = over_tcp();
    bad |= over_socketpair();
    printf("echo: %s\n", bad ? "FAILED" : "ok");
    return bad;
}
