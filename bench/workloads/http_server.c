/* Workload: a thread-per-connection HTTP/1.1 keep-alive server with one
 * fixed small response, written the plain way. The main thread accepts;
 * each connection gets a detached pthread with default attributes that
 * reads requests (GET, no body, pipelining allowed) and answers each with
 * the same 13-byte page, until EOF or "Connection: close". Knows nothing of
 * libgreen. Driven by wrk.
 *
 * usage: http_server PORT */
#include "common.h"

#define BUF 8192
#define MAX_BATCH 64  /* answers written with one write */

static void *connection(void *arg)
{
    int fd = (int)(intptr_t)arg, close_after = 0;
    char in[BUF], out[MAX_BATCH * HTTP_RESPONSE_LEN];
    size_t have = 0;
    for (;;) {
        ssize_t n = read(fd, in + have, sizeof in - have);
        if (n <= 0)
            break;
        have += (size_t)n;
        size_t used;
        int reqs = http_requests(in, have, &used, &close_after);
        if (reqs == 0 && have == sizeof in)
            break;  /* a request larger than the buffer: not ours to serve */
        while (reqs > 0) {
            int batch = reqs < MAX_BATCH ? reqs : MAX_BATCH;
            for (int i = 0; i < batch; i++)
                memcpy(out + (size_t)i * HTTP_RESPONSE_LEN, http_response, HTTP_RESPONSE_LEN);
            if (write_all(fd, out, (size_t)batch * HTTP_RESPONSE_LEN) < 0)
                goto done;
            reqs -= batch;
        }
        memmove(in, in + used, have - used);
        have -= used;
        if (close_after)
            break;
    }
done:
    close(fd);
    return NULL;
}

int main(int argc, char **argv)
{
    return serve_threads(argc, argv, connection);
}
