/* Anchor: a hand-written single-threaded libev server, the practical limit
 * for what one OS thread can do per request with libev. Non-blocking
 * sockets, one ev_io read watcher per connection; a read is answered at
 * once with a write, and only a write that would block switches the
 * connection to a write watcher until its bytes are out. Echo by default;
 * with --http the same server answers the fixed keep-alive HTTP response
 * (the anchor for http_server).
 *
 * usage: libev_echo PORT [--http] */
#include <ev.h>
#include <fcntl.h>

#include "common.h"

#define BUF 8192
#define MAX_BATCH 64

/* Per connection only the watcher and what could not be dealt with at once:
 * the bytes of an incomplete request (--http) and output that would have
 * blocked, both malloc'd when needed. Reads go to one shared buffer. */
struct conn {
    ev_io io;                   /* first: the watcher pointer is the connection */
    char *keep;                 /* --http: an incomplete request, keep_len bytes */
    size_t keep_len;
    char *pend;                 /* output waiting for the write watcher */
    size_t pend_len, pend_off;
    int close_after;            /* close once the output is out */
};

static int http;
static char rbuf[2 * BUF];                         /* kept bytes + one read */
static char obuf[MAX_BATCH * HTTP_RESPONSE_LEN];   /* --http answers */

static void conn_close(struct ev_loop *loop, struct conn *c)
{
    ev_io_stop(loop, &c->io);
    close(c->io.fd);
    free(c->keep);
    free(c->pend);
    free(c);
}

static void watch(struct ev_loop *loop, struct conn *c, int events)
{
    ev_io_stop(loop, &c->io);
    ev_io_set(&c->io, c->io.fd, events);
    ev_io_start(loop, &c->io);
}

/* Writes out[0..len); what would block is kept for the write watcher.
 * Returns -1 when the connection is to be closed. */
static int send_out(struct ev_loop *loop, struct conn *c, const char *out, size_t len)
{
    ssize_t n = len ? write(c->io.fd, out, len) : 0;
    if (n < 0 && errno != EAGAIN)
        return -1;
    size_t done = n < 0 ? 0 : (size_t)n;
    if (done == len)
        return c->close_after ? -1 : 0;
    c->pend_len = len - done;
    c->pend_off = 0;
    if (!(c->pend = malloc(c->pend_len)))
        return -1;
    memcpy(c->pend, out + done, c->pend_len);
    watch(loop, c, EV_WRITE);
    return 0;
}

/* The answers to the complete requests in rbuf[0..have) go to obuf; an
 * incomplete one is kept. Returns the answer length, or -1 to close. */
static long http_answer(struct conn *c, size_t have)
{
    size_t used;
    int reqs = http_requests(rbuf, have, &used, &c->close_after);
    if (reqs == 0 && have >= BUF)
        return -1;  /* a request larger than the buffer: not ours to serve */
    if (reqs > MAX_BATCH)
        reqs = MAX_BATCH, used = have;  /* a flood: answer a batch, drop the rest */
    for (int i = 0; i < reqs; i++)
        memcpy(obuf + (size_t)i * HTTP_RESPONSE_LEN, http_response, HTTP_RESPONSE_LEN);
    free(c->keep);
    c->keep = NULL;
    c->keep_len = have - used;
    if (c->keep_len && !(c->keep = malloc(c->keep_len)))
        return -1;
    if (c->keep_len)
        memcpy(c->keep, rbuf + used, c->keep_len);
    return (long)reqs * (long)HTTP_RESPONSE_LEN;
}

static void on_io(struct ev_loop *loop, ev_io *w, int revents)
{
    struct conn *c = (struct conn *)w;
    (void)revents;
    if (c->io.events & EV_WRITE) {
        ssize_t n = write(c->io.fd, c->pend + c->pend_off, c->pend_len - c->pend_off);
        if (n < 0 && errno == EAGAIN)
            return;
        if (n >= 0 && (c->pend_off += (size_t)n) < c->pend_len)
            return;
        free(c->pend);
        c->pend = NULL;
        if (n < 0 || c->close_after)
            conn_close(loop, c);
        else
            watch(loop, c, EV_READ);
        return;
    }
    size_t k = c->keep_len;
    if (k)
        memcpy(rbuf, c->keep, k);
    ssize_t n = read(c->io.fd, rbuf + k, BUF);
    if (n < 0 && errno == EAGAIN)
        return;
    long len = n <= 0 ? -1 : !http ? n : http_answer(c, k + (size_t)n);
    if (len < 0 || send_out(loop, c, http ? obuf : rbuf, (size_t)len) < 0)
        conn_close(loop, c);
}

static void on_accept(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)revents;
    for (;;) {
        int fd = accept4(w->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
                perror("accept4");
            return;
        }
        struct conn *c = malloc(sizeof *c);
        if (!c) {
            close(fd);
            continue;
        }
        *c = (struct conn){ .keep = NULL };
        ev_io_init(&c->io, on_io, fd, EV_READ);
        ev_io_start(loop, &c->io);
    }
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3 || (argc == 3 && strcmp(argv[2], "--http"))) {
        fprintf(stderr, "usage: %s PORT [--http]\n", argv[0]);
        return 2;
    }
    http = argc == 3;
    raise_nofile();
    signal(SIGPIPE, SIG_IGN);
    struct ev_loop *loop = ev_loop_new(EVBACKEND_EPOLL);
    if (!loop) {
        fprintf(stderr, "ev_loop_new failed\n");
        return 1;
    }
    ev_io lw;
    ev_io_init(&lw, on_accept, listen_on(parse_port(argv[1]), SOCK_NONBLOCK), EV_READ);
    ev_io_start(loop, &lw);
    ev_run(loop, 0);
    return 0;
}
