/* Parity program: a thread-per-connection TCP echo server on 127.0.0.1 (an
 * ephemeral port) and 16 client threads in the same process. The acceptor
 * thread accepts 16 connections, starts a handler thread for each (plain
 * blocking read and write until EOF) and joins them. Each client sends
 * messages of 1 to 65536 bytes of its own pattern in chunks of at most 16
 * KiB, reading each chunk's echo before the next (so no socket buffer can
 * fill), and checks every byte. Threads only record; main prints. Knows
 * nothing of libgreen. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "threaded.h"

#define CLIENTS 16
#define CHUNK 16384

static const size_t sizes[] = { 1, 100, 4096, 16384, 65536 };
#define NSIZES (sizeof sizes / sizeof sizes[0])

static struct sockaddr_in addr;  /* where the server listens */
static pthread_barrier_t roll;   /* the clients, after their first message, and main */

struct client {
    int id;
    long echoed;  /* bytes that came back */
    long wrong;   /* of which differed from what was sent */
    const char *error; /* the call that failed, or NULL */
    unsigned char out[CHUNK], back[CHUNK]; /* the chunk sent, its echo */
};
static struct client clients[CLIENTS];

static unsigned char pat(int id, size_t i)
{
    return (unsigned char)(i * 31 + (size_t)id * 17 + (i >> 9));
}

/* Echoes until EOF; returns the byte count, or -1 on an error. */
static void *handler(void *arg)
{
    int fd = (int)(intptr_t)arg;
    char *buf = malloc(CHUNK);
    long total = buf ? 0 : -1;
    while (buf) {
        ssize_t n = read(fd, buf, CHUNK);
        if (n <= 0) {
            total = n < 0 ? -1 : total;
            break;
        }
        if (write(fd, buf, (size_t)n) != n) {
            total = -1;
            break;
        }
        total += n;
    }
    free(buf);
    close(fd);
    return (void *)(intptr_t)total;
}

/* Accepts CLIENTS connections, a handler each; returns the bytes echoed. */
static void *acceptor(void *arg)
{
    int l = (int)(intptr_t)arg;
    pthread_t h[CLIENTS];
    int n = 0;
    for (; n < CLIENTS; n++) {
        int fd = accept(l, NULL, NULL);
        if (fd < 0)
            break;
        h[n] = spawn(handler, (void *)(intptr_t)fd);
    }
    long total = n == CLIENTS ? 0 : -1;
    for (int i = 0; i < n; i++) {
        long t = (long)(intptr_t)join(h[i]);
        total = total < 0 || t < 0 ? -1 : total + t;
    }
    return (void *)(intptr_t)total;
}

/* Sends size bytes in chunks, reading back each; 0, or -1 with c->error. */
static int exchange(struct client *c, int fd, size_t size)
{
    unsigned char *out = c->out, *back = c->back;
    for (size_t off = 0; off < size; off += CHUNK) {
        size_t len = size - off < CHUNK ? size - off : CHUNK;
        for (size_t i = 0; i < len; i++)
            out[i] = pat(c->id, off + i);
        if (write(fd, out, len) != (ssize_t)len) {
            c->error = "write";
            return -1;
        }
        for (size_t got = 0; got < len;) {
            ssize_t n = read(fd, back + got, len - got);
            if (n <= 0) {
                c->error = n < 0 ? "read" : "read (early EOF)";
                return -1;
            }
            got += (size_t)n;
        }
        for (size_t i = 0; i < len; i++)
            c->wrong += back[i] != out[i];
        c->echoed += (long)len;
    }
    return 0;
}

static void *client(void *arg)
{
    struct client *c = arg;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
        c->error = "connect";
        fd = -1;
    }
    int counted = 0;
    for (size_t k = 0; k < NSIZES && fd >= 0; k++) {
        if (exchange(c, fd, sizes[k]) < 0)
            break;
        if (k == 0) { /* every thread alive: a handler each, the acceptor joining them */
            roll_call(&roll, 0);
            counted = 1;
        }
    }
    if (!counted)
        roll_call(&roll, 0);
    if (fd >= 0)
        close(fd);
    return NULL;
}

int main(void)
{
    start_program();
    socklen_t len = sizeof addr;
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int l = socket(AF_INET, SOCK_STREAM, 0);
    if (l < 0 || bind(l, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(l, CLIENTS) < 0 ||
        getsockname(l, (struct sockaddr *)&addr, &len) < 0)
        die("listen");
    printf("server: listening on 127.0.0.1, a thread per connection\n");
    pthread_barrier_init(&roll, NULL, CLIENTS + 1);
    pthread_t server = spawn(acceptor, (void *)(intptr_t)l);
    pthread_t t[CLIENTS];
    for (int i = 0; i < CLIENTS; i++) {
        clients[i].id = i;
        t[i] = spawn(client, &clients[i]);
    }
    roll_call(&roll, 1);
    long expect = 0;
    for (size_t k = 0; k < NSIZES; k++)
        expect += (long)sizes[k];
    for (int i = 0; i < CLIENTS; i++) {
        struct client *c = &clients[i];
        join(t[i]);
        printf("client %d: %ld of %ld bytes echoed, %ld wrong%s%s\n", i, c->echoed, expect, c->wrong,
               c->error ? ", failed in " : "", c->error ? c->error : "");
        if (c->echoed != expect || c->wrong || c->error)
            failures++;
    }
    long total = (long)(intptr_t)join(server);
    close(l);
    printf("server: %d connections, %ld bytes echoed\n", CLIENTS, total);
    if (total != expect * CLIENTS)
        failures++;
    return finish_program("echo_threads");
}
