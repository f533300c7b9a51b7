/* Parity program: four threads block in accept on one listening socket
 * (127.0.0.1, an ephemeral port) while two tickers nap. Main connects 120
 * times, one connection at a time: each is served by exactly one acceptor
 * (a byte each way), and after each both tickers must tick again, so no
 * acceptor may have left its OS thread blocked in accept (with several
 * hubs, two acceptors on two of them must not both go for one
 * connection). Then two threads accept with SO_RCVTIMEO on a second
 * listening socket that gets no connection: both time out with EAGAIN;
 * main forks while they wait, and the child, once they have timed out,
 * accepts a connection of its own on that socket.
 * Threads only record; main prints. Knows nothing of libgreen. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "threaded.h"
#include "ticker.h"

#define ACCEPTORS 4
#define CONNECTIONS 120

static int lfd;
static atomic_int served;        /* connections answered */
static atomic_int bad;           /* calls that failed, bytes that differed */
static atomic_int per[ACCEPTORS];

static int listener(struct sockaddr_in *addr)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        die("socket");
    *addr = (struct sockaddr_in){.sin_family = AF_INET,
                                 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof *addr;
    if (bind(fd, (struct sockaddr *)addr, len) < 0 || listen(fd, 64) < 0 ||
        getsockname(fd, (struct sockaddr *)addr, &len) < 0)
        die("bind/listen");
    return fd;
}

/* Serves connections until one brings 'q'. */
static void *acceptor(void *arg)
{
    int id = (int)(intptr_t)arg;
    for (;;) {
        int c = accept(lfd, NULL, NULL);
        if (c < 0) {
            atomic_fetch_add(&bad, 1);
            return NULL;
        }
        char b = 0;
        if (read(c, &b, 1) != 1)
            atomic_fetch_add(&bad, 1);
        if (b == 'q') {
            close(c);
            return NULL;
        }
        atomic_fetch_add(&per[id], 1);
        if (b != 'x' || write(c, "k", 1) != 1)
            atomic_fetch_add(&bad, 1);
        atomic_fetch_add(&served, 1);
        close(c);
    }
}

/* One connection carrying byte b; returns the reply byte (0 for none). */
static char visit(const struct sockaddr_in *addr, char b)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (const struct sockaddr *)addr, sizeof *addr) < 0)
        die("connect");
    char r = 0;
    if (write(fd, &b, 1) != 1 || (b != 'q' && read(fd, &r, 1) != 1))
        r = 0;
    close(fd);
    return r;
}

/* Waits until both tickers have ticked twice more, for up to 3 s. */
static int tickers_tick(struct ticker *t)
{
    int t0 = atomic_load(&t[0].ticks), t1 = atomic_load(&t[1].ticks);
    for (double end = now() + 3; now() < end; msleep(5))
        if (atomic_load(&t[0].ticks) >= t0 + 2 && atomic_load(&t[1].ticks) >= t1 + 2)
            return 1;
    return 0;
}

static int tfd;  /* the second listener, with SO_RCVTIMEO */
static atomic_int timed_eagain;

static void *timed_acceptor(void *arg)
{
    (void)arg;
    int c = accept(tfd, NULL, NULL);
    if (c < 0 && errno == EAGAIN)
        atomic_fetch_add(&timed_eagain, 1);
    else if (c >= 0)
        close(c);
    return NULL;
}

int main(void)
{
    start_program();
    double t0 = now();
    struct sockaddr_in addr;
    lfd = listener(&addr);
    struct ticker tk[2] = {0};
    pthread_t tt[2], at[ACCEPTORS];
    for (int i = 0; i < 2; i++)
        tt[i] = spawn(ticker_main, &tk[i]);
    spawn_n(at, ACCEPTORS, acceptor);
    report_tasks();

    int wrong = 0, stalled = 0;
    for (int i = 0; i < CONNECTIONS; i++) {
        wrong += visit(&addr, 'x') != 'k';
        stalled += !tickers_tick(tk);
    }
    int got = atomic_load(&served);
    printf("connections served: %d of %d\n", got, CONNECTIONS);
    check(wrong == 0 && atomic_load(&bad) == 0, "each answered, byte-exact");
    int sum = 0;
    for (int i = 0; i < ACCEPTORS; i++)
        sum += atomic_load(&per[i]);
    check(sum == CONNECTIONS, "each served by exactly one acceptor");
    check(stalled == 0, "tickers kept ticking between connections");
    for (int i = 0; i < ACCEPTORS; i++)
        visit(&addr, 'q');
    join_n(at, ACCEPTORS);
    for (int i = 0; i < 2; i++)
        atomic_store(&tk[i].stop, 1);
    join_n(tt, 2);

    struct sockaddr_in taddr;
    tfd = listener(&taddr);
    struct timeval tv = {0, 100000};
    if (setsockopt(tfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0)
        die("SO_RCVTIMEO");
    int done[2];
    if (pipe(done) < 0)
        die("pipe");
    pthread_t ta[2];
    double t1 = now();
    spawn_n(ta, 2, timed_acceptor);
    msleep(30);  /* they wait in accept */
    pid_t pid = fork_child();
    if (pid == 0) {
        /* Only main is here; the parent's threads were waiting in accept
         * on tfd when it forked. Once they have left, accept works (with
         * a second thread alive, so that the accept is not the only
         * thing the child does). */
        struct ticker ct = {0};
        pthread_t ctt = spawn(ticker_main, &ct);
        char b;
        if (read(done[0], &b, 1) != 1)
            _exit(3);
        int c = socket(AF_INET, SOCK_STREAM, 0);
        if (c < 0 || connect(c, (struct sockaddr *)&taddr, sizeof taddr) < 0)
            _exit(4);
        int a = accept(tfd, NULL, NULL);
        int e = errno;
        atomic_store(&ct.stop, 1);
        join(ctt);
        _exit(a >= 0 ? 0 : e == EAGAIN ? 5 : 6);
    }
    join_n(ta, 2);
    double took = now() - t1;
    printf("timed accepts with EAGAIN: %d of 2\n", atomic_load(&timed_eagain));
    check(took >= 0.09 && took < 2.0, "they took about their timeout");
    put(done[1], "g");
    int st = 0;
    if (waitpid(pid, &st, 0) != pid)
        die("waitpid");
    expect_exit0("child that accepts after the fork", st);
    close(tfd);
    close(lfd);
    report_elapsed(t0);
    return finish_program("accept_many");
}
