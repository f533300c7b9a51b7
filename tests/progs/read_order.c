/* Parity program: blocking reads on a socket whose reads mostly find
 * nothing at first (a request-response ping-pong), then every case in
 * which a read must not wait for readiness first or must still see what
 * the kernel gives: data already there, a zero-length read, the
 * program's O_NONBLOCK, SO_RCVTIMEO, a signal handler with and without
 * SA_RESTART, EOF, and two threads reading the same socket. Under
 * libgreen such an fd's reads wait before their first try (src/io.c,
 * the read order); this checks that nothing else changes. Threads only
 * record; main prints. Knows nothing of libgreen. */
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>

#include "threaded.h"

#define ROUNDS 300

static int sv[2];        /* sv[0]: the reader's end, sv[1]: the peer's */
static volatile sig_atomic_t handled;

static void on_usr1(int sig)
{
    (void)sig;
    handled++;
}

static void handle(int restart)
{
    struct sigaction sa = {.sa_handler = on_usr1, .sa_flags = restart ? SA_RESTART : 0};
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGUSR1, &sa, NULL) < 0)
        die("sigaction");
}

static unsigned char pat(int round, int i)
{
    return (unsigned char)(round * 7 + i * 13);
}

/* The peer's side of the ping-pong: sends a message, reads its echo. */
static long wrong;
static void *peer_pingpong(void *arg)
{
    (void)arg;
    unsigned char out[64], back[64];
    for (int r = 0; r < ROUNDS; r++) {
        for (int i = 0; i < 64; i++)
            out[i] = pat(r, i);
        if (write(sv[1], out, 64) != 64)
            die("peer write");
        size_t got = 0;
        while (got < 64) {
            ssize_t n = read(sv[1], back + got, 64 - got);
            if (n <= 0)
                die("peer read");
            got += (size_t)n;
        }
        wrong += memcmp(out, back, 64) != 0;
    }
    return NULL;
}

/* The reader's side: reads a message, echoes it (read or recv). */
static void echo_rounds(int use_recv)
{
    unsigned char buf[64];
    for (int r = 0; r < ROUNDS; r++) {
        size_t got = 0;
        while (got < 64) {
            ssize_t n = use_recv ? recv(sv[0], buf + got, 64 - got, 0)
                                 : read(sv[0], buf + got, 64 - got);
            if (n <= 0)
                die("read");
            got += (size_t)n;
        }
        if (write(sv[0], buf, 64) != 64)
            die("write");
    }
}

static void pingpong(const char *what, int use_recv)
{
    wrong = 0;
    pthread_t p = spawn(peer_pingpong, NULL);
    echo_rounds(use_recv);
    join(p);
    printf("%s: %d rounds, %ld wrong\n", what, ROUNDS, wrong);
}

/* Waits (sleeping, not reading) until sv[0] has n bytes queued. */
static void queued(int n)
{
    char peek[256];
    for (int i = 0; i < 2000; i++) {
        if (recv(sv[0], peek, sizeof peek, MSG_PEEK | MSG_DONTWAIT) >= n)
            return;
        usleep(1000);
    }
    die("data never queued");
}

/* Sends len bytes after delay_ms, from its own thread. */
struct later {
    int delay_ms, len, sig;
};
static void *send_later(void *arg)
{
    struct later *l = arg;
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &block, NULL);  /* the reader takes it */
    usleep((useconds_t)l->delay_ms * 1000);
    if (l->sig)
        kill(getpid(), l->sig);
    if (l->len && l->sig)
        usleep(100 * 1000);  /* the handler first, then the data */
    if (l->len) {
        char buf[256];
        memset(buf, 'x', sizeof buf);
        if (write(sv[1], buf, (size_t)l->len) != l->len)
            die("later write");
    }
    return NULL;
}

/* Two threads reading the same socket, 100 bytes each. */
static long shared_sum[2];
static void *shared_reader(void *arg)
{
    int id = (int)(intptr_t)arg;
    unsigned char buf[100];
    size_t got = 0;
    while (got < 100) {
        ssize_t n = read(sv[0], buf, 100 - got);
        if (n <= 0)
            die("shared read");
        for (ssize_t i = 0; i < n; i++)
            shared_sum[id] += buf[i];
        got += (size_t)n;
    }
    return NULL;
}

int main(void)
{
    alarm(30);
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
        die("socketpair");
    char buf[256];
    double t0;

    pingpong("ping-pong with read", 0);

    /* Data already there when the read is made: it returns it at once. */
    for (int i = 0; i < 40; i++) {
        if (write(sv[1], "0123456789", 10) != 10)
            die("write");
        queued(10);
        ssize_t n = i % 2 ? recv(sv[0], buf, sizeof buf, 0) : read(sv[0], buf, sizeof buf);
        if (n != 10 || memcmp(buf, "0123456789", 10) != 0) {
            show("read of queued data", n);
            failures++;
        }
    }
    printf("queued data: read at once, byte-exact\n");
    pingpong("ping-pong again", 0);

    /* A zero-length read returns 0 at once, with nothing queued (a
     * zero-length recv on a UNIX socket waits for data, as any recv). */
    t0 = now();
    show("read of 0 bytes", read(sv[0], buf, 0));
    check(now() - t0 < 1.0, "a zero-length read returns at once");

    /* The program's O_NONBLOCK: EAGAIN at once. */
    int fl = fcntl(sv[0], F_GETFL);
    fcntl(sv[0], F_SETFL, fl | O_NONBLOCK);
    t0 = now();
    show("read with O_NONBLOCK", read(sv[0], buf, sizeof buf));
    show("recv with O_NONBLOCK", recv(sv[0], buf, sizeof buf, 0));
    check(now() - t0 < 1.0, "O_NONBLOCK reads return at once");
    fcntl(sv[0], F_SETFL, fl);
    pingpong("ping-pong after O_NONBLOCK", 1);

    /* SO_RCVTIMEO: EAGAIN after the timeout. */
    struct timeval tv = {.tv_usec = 200 * 1000};
    setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    t0 = now();
    show("read with SO_RCVTIMEO 200 ms", read(sv[0], buf, sizeof buf));
    double waited = now() - t0;
    check(waited >= 0.15 && waited < 5.0, "the timeout was honoured");
    tv.tv_usec = 0;
    setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    pingpong("ping-pong after SO_RCVTIMEO", 0);

    /* A handler without SA_RESTART ends the read with EINTR; with it,
     * the read goes on and returns the data sent afterwards. */
    handle(0);
    struct later l1 = {.delay_ms = 100, .sig = SIGUSR1};
    pthread_t p = spawn(send_later, &l1);
    show("read interrupted, no SA_RESTART", read(sv[0], buf, sizeof buf));
    join(p);
    pingpong("ping-pong after EINTR", 0);
    handle(1);
    struct later l2 = {.delay_ms = 100, .sig = SIGUSR1, .len = 7};
    p = spawn(send_later, &l2);
    show("read interrupted, SA_RESTART", read(sv[0], buf, sizeof buf));
    join(p);
    printf("handler ran: %d times\n", (int)handled);

    /* Two readers on one socket: each gets its 100 bytes. */
    pingpong("ping-pong before sharing", 0);
    pthread_t r1 = spawn(shared_reader, (void *)0), r2 = spawn(shared_reader, (void *)1);
    report_tasks();  /* both readers are alive until they have their bytes */
    long sent = 0;
    for (int i = 0; i < 200; i++) {
        unsigned char c = (unsigned char)(i * 3 + 1);
        sent += c;
        if (write(sv[1], &c, 1) != 1)
            die("write");
        if (i % 20 == 0)
            usleep(2000);
    }
    join(r1);
    join(r2);
    check(shared_sum[0] + shared_sum[1] == sent, "two readers got every byte once");

    /* EOF: the read returns 0. */
    pingpong("ping-pong before EOF", 0);
    shutdown(sv[1], SHUT_WR);
    show("read at EOF", read(sv[0], buf, sizeof buf));
    show("recv at EOF", recv(sv[0], buf, sizeof buf, 0));
    close(sv[0]);
    close(sv[1]);
    return failures ? 1 : 0;
}
