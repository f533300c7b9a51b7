/* Parity program: a thread-per-connection server on 127.0.0.1 whose
 * handler sleeps 1 s before it answers, and 1000 client threads in the
 * same process that connect at once. Natively that is 2001 OS threads;
 * the answers all come after about 1 s either way (elapsed on stderr).
 * Knows nothing of libgreen. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "threaded.h"

#define CLIENTS 1000

static struct sockaddr_in addr;
static int answered[CLIENTS];

/* Reads the client's number, sleeps 1 s, writes it back. */
static void *handler(void *arg)
{
    int fd = (int)(intptr_t)arg;
    int id;
    if (read(fd, &id, sizeof id) == sizeof id) {
        sleep(1);
        if (write(fd, &id, sizeof id) != sizeof id)
            id = -1;
    }
    close(fd);
    return NULL;
}

static void *acceptor(void *arg)
{
    int lfd = (int)(intptr_t)arg;
    for (int i = 0; i < CLIENTS; i++) {
        int fd = accept(lfd, NULL, NULL);
        if (fd < 0)
            die_rc("accept", errno);
        pthread_t t = spawn(handler, (void *)(intptr_t)fd);
        pthread_detach(t);
    }
    return NULL;
}

static void *client(void *arg)
{
    int id = (int)(intptr_t)arg, back = -1;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0)
        die_rc("connect", errno);
    if (write(fd, &id, sizeof id) == sizeof id &&
        read(fd, &back, sizeof back) == sizeof back && back == id)
        answered[id] = 1;
    close(fd);
    return NULL;
}

int main(void)
{
    start_program();
    double t0 = now();
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&addr, sizeof addr) < 0 ||
        listen(lfd, CLIENTS) < 0 ||
        getsockname(lfd, (struct sockaddr *)&addr, &len) < 0)
        die_rc("listen", errno);
    pthread_t acc = spawn(acceptor, (void *)(intptr_t)lfd);
    pthread_t c[CLIENTS];
    for (int i = 0; i < CLIENTS; i++)
        c[i] = spawn(client, (void *)(intptr_t)i);
    struct timespec half = {0, 500000000};
    nanosleep(&half, NULL);  /* the handlers are asleep now */
    report_tasks();
    join_n(c, CLIENTS);
    join(acc);
    int n = 0;
    for (int i = 0; i < CLIENTS; i++)
        n += answered[i];
    printf("%d of %d clients answered with their own number\n", n, CLIENTS);
    report_elapsed(t0);
    return n == CLIENTS ? 0 : 1;
}
