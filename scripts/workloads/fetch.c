/* Workload: fetches several URLs at once, one pthread per URL, each doing
 * what a blocking HTTP client does: getaddrinfo, connect, send a GET,
 * recv to EOF. Prints, in argument order, one line per URL (its status
 * line and body size), and the elapsed time on stderr. With
 * sleepy_server as the slow server, all the fetches wait at the same time,
 * natively on one OS thread each, under greenrun on one OS thread in all.
 * Plain http:// only. Exits 1 if a fetch failed. Knows nothing of libgreen.
 *
 *   fetch http://HOST:PORT/PATH ... */
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct fetch {
    const char *url;
    pthread_t thread;
    char status[128];   /* the status line, or what went wrong */
    long bytes;         /* of the body; -1: failed */
};

/* Splits http://host[:port][/path] into its parts; 0 if it is not one. */
static int parse_url(const char *url, char *host, size_t hsize, char *port, size_t psize,
                     const char **path)
{
    if (strncmp(url, "http://", 7) != 0)
        return 0;
    const char *h = url + 7, *slash = strchr(h, '/'), *end = slash ? slash : h + strlen(h);
    const char *colon = memchr(h, ':', (size_t)(end - h));
    const char *hend = colon ? colon : end;
    if (hend == h || (size_t)(hend - h) >= hsize || (colon && (size_t)(end - colon) > psize))
        return 0;
    memcpy(host, h, (size_t)(hend - h));
    host[hend - h] = '\0';
    if (colon) {
        memcpy(port, colon + 1, (size_t)(end - colon - 1));
        port[end - colon - 1] = '\0';
    } else {
        snprintf(port, psize, "80");
    }
    *path = slash ? slash : "/";
    return 1;
}

/* Connects to host:port, trying each address getaddrinfo gives. */
static int dial(const char *host, const char *port, char *err, size_t esize)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *ai, *a;
    int r = getaddrinfo(host, port, &hints, &ai), fd = -1;
    if (r != 0) {
        snprintf(err, esize, "getaddrinfo: %s", gai_strerror(r));
        return -1;
    }
    for (a = ai; a && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype, a->ai_protocol);
        if (fd >= 0 && connect(fd, a->ai_addr, a->ai_addrlen) < 0) {
            snprintf(err, esize, "connect: %s", strerror(errno));
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(ai);
    return fd;
}

static void *fetch_one(void *arg)
{
    struct fetch *f = arg;
    char host[256], port[16], req[1024], buf[8192], head[8192];
    const char *path;
    size_t got = 0;
    f->bytes = -1;
    if (!parse_url(f->url, host, sizeof host, port, sizeof port, &path)) {
        snprintf(f->status, sizeof f->status, "not an http:// URL");
        return NULL;
    }
    int fd = dial(host, port, f->status, sizeof f->status);
    if (fd < 0)
        return NULL;
    int len = snprintf(req, sizeof req, "GET %s HTTP/1.0\r\nHost: %s\r\n\r\n", path, host);
    if (send(fd, req, (size_t)len, 0) != len) {
        snprintf(f->status, sizeof f->status, "send: %s", strerror(errno));
        close(fd);
        return NULL;
    }
    ssize_t n;
    long total = 0;
    while ((n = recv(fd, buf, sizeof buf, 0)) > 0) {
        size_t k = sizeof head - 1 - got < (size_t)n ? sizeof head - 1 - got : (size_t)n;
        memcpy(head + got, buf, k);
        got += k;
        total += n;
    }
    close(fd);
    head[got] = '\0';
    char *eol = strstr(head, "\r\n"), *body = strstr(head, "\r\n\r\n");
    if (n < 0 || !eol || !body) {
        snprintf(f->status, sizeof f->status, "%s", n < 0 ? strerror(errno) : "no HTTP answer");
        return NULL;
    }
    snprintf(f->status, sizeof f->status, "%.*s", (int)(eol - head), head);
    f->bytes = total - (long)(body + 4 - head);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: fetch http://HOST:PORT/PATH ...\n");
        return 2;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int n = argc - 1, failed = 0;
    struct fetch *f = calloc((size_t)n, sizeof *f);
    if (!f) {
        perror("fetch");
        return 1;
    }
    for (int i = 0; i < n; i++) {
        f[i].url = argv[i + 1];
        int r = pthread_create(&f[i].thread, NULL, fetch_one, &f[i]);
        if (r != 0) {
            fprintf(stderr, "fetch: pthread_create: %s\n", strerror(r));
            return 1;
        }
    }
    for (int i = 0; i < n; i++) {
        pthread_join(f[i].thread, NULL);
        if (f[i].bytes < 0) {
            printf("%s: failed: %s\n", f[i].url, f[i].status);
            failed++;
        } else {
            printf("%s: %s, %ld bytes\n", f[i].url, f[i].status, f[i].bytes);
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    fprintf(stderr, "elapsed: %.3f\n",
            (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    return failed ? 1 : 0;
}
