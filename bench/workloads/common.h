/* What the benchmark workloads share: the listening socket on 127.0.0.1,
 * the file-descriptor limit, and the fixed HTTP response with its request
 * framing. Plain libc only: the workloads know nothing of libgreen, so that
 * the same binary runs natively and under greenrun. */
#ifndef GREEN_BENCH_WORKLOADS_COMMON_H
#define GREEN_BENCH_WORKLOADS_COMMON_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

/* Thousands of connections need thousands of fds: take the hard limit. */
static inline void raise_nofile(void)
{
    struct rlimit r;
    if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
        r.rlim_cur = r.rlim_max;
        setrlimit(RLIMIT_NOFILE, &r);
    }
}

static inline int parse_port(const char *s)
{
    char *end;
    long p = s ? strtol(s, &end, 10) : 0;
    if (!s || *end || p <= 0 || p > 65535) {
        fprintf(stderr, "a port from 1 to 65535, please\n");
        exit(2);
    }
    return (int)p;
}

/* A socket listening on 127.0.0.1:port with the largest backlog the kernel
 * takes (net.core.somaxconn caps it), so that bursts of connects from the
 * load generators are not dropped and retried a second later. */
static inline int listen_on(int port, int type_flags)
{
    int fd = socket(AF_INET, SOCK_STREAM | type_flags, 0), one = 1;
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
        bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 65535) < 0) {
        perror("listen socket");
        exit(1);
    }
    return fd;
}

/* Writes all of buf: a short write on a blocking socket only happens when a
 * signal interrupts it, but the servers do not assume so. */
static inline int write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0)
            return -1;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/* The thread-per-connection servers' main: listens on argv[1] and starts a
 * detached pthread with default attributes per accepted connection, which
 * runs serve(fd) and closes fd. Never returns. */
static inline int serve_threads(int argc, char **argv, void *(*serve)(void *))
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s PORT\n", argv[0]);
        return 2;
    }
    raise_nofile();
    signal(SIGPIPE, SIG_IGN);  /* a client that resets must not kill us */
    int l = listen_on(parse_port(argv[1]), 0);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    for (;;) {
        int fd = accept(l, NULL, NULL);
        if (fd < 0) {
            if (errno != EINTR && errno != ECONNABORTED)
                perror("accept"), usleep(10000);  /* EMFILE: do not spin */
            continue;
        }
        pthread_t t;
        int e = pthread_create(&t, &attr, serve, (void *)(intptr_t)fd);
        if (e) {
            fprintf(stderr, "pthread_create: %s\n", strerror(e));
            close(fd);
        }
    }
}

static const char http_response[] =
    "HTTP/1.1 200 OK\r\n"
    "Server: bench\r\n"
    "Content-Type: text/plain\r\n"
    "Content-Length: 13\r\n"
    "\r\n"
    "Hello, world\n";
#define HTTP_RESPONSE_LEN (sizeof http_response - 1)

/* Finds the complete requests at the start of buf[0..len): GET-style
 * requests without a body, each ending in an empty line. Returns how many,
 * sets *used to the bytes they take, and sets *close if one of them asked
 * for "Connection: close" (HTTP/1.1 keeps the connection alive otherwise). */
static inline int http_requests(const char *buf, size_t len, size_t *used, int *close)
{
    int n = 0;
    size_t start = 0;
    for (size_t i = 3; i < len; i++) {
        if (buf[i] != '\n' || buf[i - 1] != '\r' || buf[i - 2] != '\n' || buf[i - 3] != '\r')
            continue;
        for (size_t j = start; j + 17 <= i; j++)
            if (!strncasecmp(buf + j, "connection: close", 17))
                *close = 1;
        n++;
        start = i + 1;
    }
    *used = start;
    return n;
}

#endif
