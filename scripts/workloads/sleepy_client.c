/* Load for sleepy_server (and any server that answers a request and then
 * closes): opens N connections at once, sends one HTTP/1.0 GET on each,
 * reads each answer to EOF, and prints what scripts/compare reads:
 *
 *   requests: 1000             answers that began "HTTP/1.x 200"
 *   errors: 0                  connections that failed or got another answer
 *   elapsed_s: 1.021           from the first connect to the last answer
 *   requests_per_sec: 979.4    requests / elapsed_s
 *   latency_p50_us: 1008123    connect to EOF, per connection
 *   latency_p99_us: 1015432
 *
 * One thread and poll(2), so that the load itself stays cheap and the same
 * however the server runs. Exits 1 if any connection failed.
 *
 *   sleepy_client HOST:PORT N [PATH] */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

#define TIMEOUT_S 60

enum state { CONNECTING, READING, DONE };

struct conn {
    int fd;
    enum state state;
    double start, latency;   /* seconds; latency < 0: failed */
    char head[16];           /* first bytes of the answer */
    size_t got;
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void finish(struct conn *c, int ok)
{
    close(c->fd);
    c->state = DONE;
    ok = ok && c->got >= 12 && memcmp(c->head, "HTTP/1.", 7) == 0 && memcmp(c->head + 8, " 200", 4) == 0;
    c->latency = ok ? now() - c->start : -1;
}

/* One step of a connection that poll found ready. */
static void step(struct conn *c, short revents, const char *req)
{
    if (c->state == CONNECTING) {
        int err = 0;
        socklen_t len = sizeof err;
        size_t rlen = strlen(req);
        if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err != 0 ||
            write(c->fd, req, rlen) != (ssize_t)rlen)
            finish(c, 0);
        else
            c->state = READING;
        return;
    }
    char buf[4096];
    ssize_t n = read(c->fd, buf, sizeof buf);
    if (n < 0 && (errno == EAGAIN || errno == EINTR) && !(revents & (POLLERR | POLLHUP)))
        return;
    if (n <= 0) {
        finish(c, n == 0);
        return;
    }
    if (c->got < sizeof c->head) {
        size_t k = sizeof c->head - c->got < (size_t)n ? sizeof c->head - c->got : (size_t)n;
        memcpy(c->head + c->got, buf, k);
    }
    c->got += (size_t)n;
}

int main(int argc, char **argv)
{
    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: sleepy_client HOST:PORT N [PATH]\n");
        return 2;
    }
    char host[256], req[512];
    const char *colon = strrchr(argv[1], ':');
    int n = atoi(argv[2]);
    if (!colon || colon == argv[1] || (size_t)(colon - argv[1]) >= sizeof host || n <= 0) {
        fprintf(stderr, "sleepy_client: want HOST:PORT and N > 0\n");
        return 2;
    }
    memcpy(host, argv[1], (size_t)(colon - argv[1]));
    host[colon - argv[1]] = '\0';
    snprintf(req, sizeof req, "GET %s HTTP/1.0\r\nHost: %s\r\n\r\n", argc == 4 ? argv[3] : "/", argv[1]);

    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *ai;
    int r = getaddrinfo(host, colon + 1, &hints, &ai);
    if (r != 0) {
        fprintf(stderr, "sleepy_client: %s: %s\n", argv[1], gai_strerror(r));
        return 1;
    }
    raise_nofile();
    struct conn *c = calloc((size_t)n, sizeof *c);
    struct pollfd *pfd = calloc((size_t)n, sizeof *pfd);
    double *lat = calloc((size_t)n, sizeof *lat);
    if (!c || !pfd || !lat) {
        perror("sleepy_client");
        return 1;
    }
    double t0 = now();
    for (int i = 0; i < n; i++) {
        c[i].start = now();
        c[i].fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
        if (c[i].fd < 0) {
            perror("sleepy_client: socket");
            return 1;
        }
        if (connect(c[i].fd, ai->ai_addr, ai->ai_addrlen) < 0 && errno != EINPROGRESS)
            finish(&c[i], 0);
    }
    freeaddrinfo(ai);
    for (int left = n; left > 0 && now() - t0 < TIMEOUT_S;) {
        int k = 0;
        for (int i = 0; i < n; i++)
            if (c[i].state != DONE)
                pfd[k++] = (struct pollfd){c[i].fd, c[i].state == CONNECTING ? POLLOUT : POLLIN, 0};
        if ((left = k) == 0 || poll(pfd, (nfds_t)k, 1000) < 0)
            break;
        for (int i = 0, j = 0; i < n && j < k; i++) {
            if (c[i].state == DONE)
                continue;
            if (pfd[j].revents)
                step(&c[i], pfd[j].revents, req);
            j++;
        }
    }
    double elapsed = now() - t0;
    int ok = 0;
    for (int i = 0; i < n; i++) {
        if (c[i].state != DONE)
            finish(&c[i], 0);  /* timed out */
        if (c[i].latency >= 0)
            lat[ok++] = c[i].latency;
    }
    qsort(lat, (size_t)ok, sizeof *lat, cmp_double);
    printf("requests: %d\nerrors: %d\nelapsed_s: %.3f\nrequests_per_sec: %.1f\n", ok, n - ok,
           elapsed, ok / elapsed);
    if (ok > 0)
        printf("latency_p50_us: %.0f\nlatency_p99_us: %.0f\n", lat[(ok - 1) / 2] * 1e6,
               lat[(int)((ok - 1) * 0.99)] * 1e6);
    return ok == n ? 0 : 1;
}
