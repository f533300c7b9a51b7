/* Load generator for the echo servers: opens C connections to
 * 127.0.0.1:PORT, then on each one ping-pongs SIZE-byte messages (send one,
 * wait for all of its echo, check every byte, send the next) for a fixed
 * time, from one OS thread with epoll, so that it costs about what the
 * libev server costs per request. After a warm-up it counts the round
 * trips of a measured window and prints, one per line:
 *   connections, requests, requests_per_sec, latency_p50_us, latency_p99_us,
 *   client_cpu_pct (near 100 means the load generator was the bottleneck),
 *   with -P PID also server_cpu_us_per_req (utime+stime of PID from
 *   /proc/PID/stat over the same window, divided by requests), and errors.
 * With -H SECONDS it instead makes one round trip on every connection,
 * prints "echoed: N" and "ready", and holds the connections idle that long.
 * Exits 1 if a connection failed or an echo was wrong.
 *
 * usage: echo_load [-c CONNS] [-d SECONDS] [-w WARMUP] [-s SIZE] [-P PID]
 *                  [-H SECONDS] PORT */
#include <fcntl.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <time.h>

#include "common.h"

#define HIST (1 << 20)  /* latency histogram: 1 us buckets up to ~1 s */
#define MAX_SIZE 4096

struct conn {
    int fd;
    unsigned seq;   /* message number */
    size_t got;     /* bytes of its echo received */
    double sent;    /* when it was sent, s */
};

static struct conn *conns;
static unsigned *hist;
static long errors, requests;
static size_t size = 64;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static unsigned char pattern(size_t conn, unsigned seq, size_t i)
{
    return (unsigned char)(conn * 7 + seq * 13 + i);
}

static int send_msg(size_t i)
{
    unsigned char msg[MAX_SIZE];
    for (size_t j = 0; j < size; j++)
        msg[j] = pattern(i, conns[i].seq, j);
    conns[i].got = 0;
    conns[i].sent = now();
    /* size bytes always fit an empty socket buffer: no partial write */
    return write(conns[i].fd, msg, size) == (ssize_t)size ? 0 : -1;
}

/* Reads what is there of connection i's echo. Returns 1 when the echo is
 * complete, 0 when more is to come, -1 on EOF or an error. */
static int recv_msg(size_t i)
{
    unsigned char buf[MAX_SIZE];
    struct conn *c = &conns[i];
    ssize_t n = read(c->fd, buf, size - c->got);
    if (n < 0 && errno == EAGAIN)
        return 0;
    if (n <= 0)
        return -1;
    for (ssize_t j = 0; j < n; j++)
        errors += buf[j] != pattern(i, c->seq, c->got + (size_t)j);
    c->got += (size_t)n;
    if (c->got < size)
        return 0;
    c->seq++;
    return 1;
}

static double server_cpu(long pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f)
        fclose(f);
    buf[n] = 0;
    char *p = strrchr(buf, ')');
    unsigned long ut, st;
    /* after ")": state, then fields 4..13, then utime (14) and stime (15) */
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
                     &ut, &st) != 2)
        return -1;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static double self_cpu(void)
{
    struct rusage r;
    getrusage(RUSAGE_SELF, &r);
    return (double)(r.ru_utime.tv_sec + r.ru_stime.tv_sec) +
           (double)(r.ru_utime.tv_usec + r.ru_stime.tv_usec) * 1e-6;
}

static double percentile(double p)
{
    long want = (long)(p * (double)requests), seen = 0;
    for (long b = 0; b < HIST; b++)
        if ((seen += hist[b]) > want)
            return (double)b;
    return HIST;
}

static double parse_num(const char *s)
{
    char *end;
    double v = s ? strtod(s, &end) : 0;
    if (!s || *end || v < 0) {
        fprintf(stderr, "echo_load: a non-negative number, please\n");
        exit(2);
    }
    return v;
}

int main(int argc, char **argv)
{
    size_t want = 10;
    double dur = 3, warm = 0.5, hold = -1;
    long pid = 0;
    int opt;
    while ((opt = getopt(argc, argv, "c:d:w:s:P:H:")) != -1) {
        switch (opt) {
        case 'c': want = (size_t)parse_num(optarg); break;
        case 'd': dur = parse_num(optarg); break;
        case 'w': warm = parse_num(optarg); break;
        case 's': size = (size_t)parse_num(optarg); break;
        case 'P': pid = (long)parse_num(optarg); break;
        case 'H': hold = parse_num(optarg); break;
        default: goto usage;
        }
    }
    if (optind != argc - 1 || want == 0 || size == 0 || size > MAX_SIZE) {
    usage:
        fprintf(stderr, "usage: %s [-c CONNS] [-d SECONDS] [-w WARMUP] [-s SIZE] "
                        "[-P PID] [-H SECONDS] PORT\n", argv[0]);
        return 2;
    }
    raise_nofile();
    struct sockaddr_in a = { .sin_family = AF_INET,
                             .sin_port = htons((uint16_t)parse_port(argv[optind])),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    conns = calloc(want, sizeof *conns);
    hist = calloc(HIST + 1, sizeof *hist);
    int ep = epoll_create1(0), one = 1;
    if (!conns || !hist || ep < 0)
        return perror("echo_load setup"), 1;

    /* Connect one by one (blocking): the server's accept backlog never fills. */
    size_t n = 0;
    for (; n < want; n++) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
            perror("echo_load: connect");
            break;
        }
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        fcntl(fd, F_SETFL, O_NONBLOCK);
        struct epoll_event ev = { .events = EPOLLIN, .data.u64 = n };
        epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
        conns[n].fd = fd;
    }
    printf("connections: %zu\n", n);
    for (size_t i = 0; i < n; i++)
        if (send_msg(i) < 0)
            errors++;

    double start = now(), t0 = 0, cpu0 = 0, srv0 = 0;
    double end = hold >= 0 ? start + 60 : start + warm + dur;
    int measuring = 0;
    size_t echoed = 0, failed = 0;
    struct epoll_event evs[1024];
    while (failed < n) {
        double t = now();
        if (!measuring && hold < 0 && t >= start + warm) {
            measuring = 1, t0 = t, cpu0 = self_cpu();
            srv0 = pid ? server_cpu(pid) : 0;
        }
        if (t >= end || (hold >= 0 && echoed + failed == n))
            break;
        int k = epoll_wait(ep, evs, 1024, (int)((end - t) * 1000) + 1);
        for (int e = 0; e < k; e++) {
            size_t i = evs[e].data.u64;
            int r = recv_msg(i);
            if (r < 0) {
                failed++;
                epoll_ctl(ep, EPOLL_CTL_DEL, conns[i].fd, NULL);
            } else if (r > 0 && hold >= 0) {
                echoed++;
            } else if (r > 0) {
                if (measuring) {
                    double us = (now() - conns[i].sent) * 1e6;
                    hist[us < HIST ? (long)us : HIST]++;
                    requests++;
                }
                if (send_msg(i) < 0)
                    errors++;
            }
        }
    }
    if (hold >= 0) {
        printf("echoed: %zu\nready\n", echoed);
        fflush(stdout);
        struct timespec ts = { (time_t)hold, (long)((hold - (double)(time_t)hold) * 1e9) };
        nanosleep(&ts, NULL);
    } else {
        double t1 = now(), cpu1 = self_cpu(), srv1 = pid ? server_cpu(pid) : 0;
        double span = measuring ? t1 - t0 : 0;
        printf("duration_s: %.3f\nrequests: %ld\nrequests_per_sec: %.0f\n", span, requests,
               span > 0 ? (double)requests / span : 0.0);
        printf("latency_p50_us: %.0f\nlatency_p99_us: %.0f\n", percentile(0.50),
               percentile(0.99));
        printf("client_cpu_pct: %.0f\n", span > 0 ? 100 * (cpu1 - cpu0) / span : 0.0);
        if (pid)
            printf("server_cpu_us_per_req: %.2f\n",
                   requests ? (srv1 - srv0) * 1e6 / (double)requests : 0.0);
    }
    printf("failed: %zu\nerrors: %ld\n", failed, errors);
    return n < want || failed || errors ? 1 : 0;
}
