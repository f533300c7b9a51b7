/* Workload: a thread-per-connection server whose handler sleeps before it
 * answers, the textbook blocking server. Each connection gets its own
 * detached pthread (bench/workloads/common.h's serve_threads, as the
 * benchmarks' echo server), which reads one request, sleeps DELAY_MS
 * (default 1000), writes a small HTTP/1.0 response naming the request's
 * path, and closes. It speaks just enough HTTP for curl, wrk (one request
 * per connection) and scripts/workloads/fetch; sleepy_client drives it with
 * N connections at once. Runs until killed. Knows nothing of libgreen.
 *
 *   sleepy_server PORT [DELAY_MS] */
#include <time.h>

#include "common.h"

static long delay_ms = 1000;

/* The path of "GET /path HTTP/1.x", or "/" when there is none. */
static void request_path(const char *req, char *path, size_t size)
{
    const char *p = strchr(req, ' '), *end;
    if (!p || p[1] != '/' || !(end = strpbrk(p + 1, " \r\n")) || (size_t)(end - p - 1) >= size) {
        snprintf(path, size, "/");
        return;
    }
    memcpy(path, p + 1, (size_t)(end - p - 1));
    path[end - p - 1] = '\0';
}

static void *handler(void *arg)
{
    int fd = (int)(intptr_t)arg;
    char req[4096], path[256], body[320], resp[640];
    ssize_t n = read(fd, req, sizeof req - 1);
    if (n > 0) {
        req[n] = '\0';
        request_path(req, path, sizeof path);
        struct timespec ts = {delay_ms / 1000, delay_ms % 1000 * 1000000L};
        nanosleep(&ts, NULL);
        int blen = snprintf(body, sizeof body, "slept %ld ms for %s\n", delay_ms, path);
        int rlen = snprintf(resp, sizeof resp,
                            "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n"
                            "Content-Length: %d\r\nConnection: close\r\n\r\n%s",
                            blen, body);
        write_all(fd, resp, (size_t)rlen);  /* a failure is the client's loss */
    }
    close(fd);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: sleepy_server PORT [DELAY_MS]\n");
        return 2;
    }
    if (argc == 3)
        delay_ms = atol(argv[2]);
    return serve_threads(2, argv, handler);
}
