/* The client of tests/preload/dns_slow.py: N threads (argv[1]) each
 * resolve h<i>.slow.test with getaddrinfo (AF_INET), which the test's
 * slow DNS server answers with 10.0.<i/256>.<i%256> after a delay.
 * Prints how many got their own address; stderr has "tasks: N" (while
 * all threads are alive) and "elapsed: S". Knows nothing of libgreen. */
#include <arpa/inet.h>
#include <netdb.h>
#include <stdatomic.h>
#include <sys/socket.h>

#include "threaded.h"

static atomic_int right;
static pthread_barrier_t barrier;

static void *lookup(void *arg)
{
    int i = (int)(intptr_t)arg;
    roll_call(&barrier, 0);
    char name[64];
    snprintf(name, sizeof name, "h%d.slow.test", i);
    struct addrinfo hints = {.ai_family = AF_INET,
                             .ai_socktype = SOCK_STREAM}, *res;
    int r = getaddrinfo(name, NULL, &hints, &res);
    if (r != 0) {
        fprintf(stderr, "%s: %s\n", name, gai_strerror(r));
        return NULL;
    }
    struct sockaddr_in *a = (struct sockaddr_in *)res->ai_addr;
    atomic_fetch_add(&right, ntohl(a->sin_addr.s_addr) ==
                                 (10u << 24 | (unsigned)(i / 256) << 8 |
                                  (unsigned)(i % 256)));
    freeaddrinfo(res);
    return NULL;
}

int main(int argc, char **argv)
{
    start_program();
    int n = argc > 1 ? atoi(argv[1]) : 100;
    pthread_t *t = calloc((size_t)n, sizeof *t);
    if (!t)
        die("calloc");
    double t0 = now();
    spawn_roll_call(&barrier, t, n, lookup);
    join_n(t, n);
    report_elapsed(t0);
    printf("%d of %d lookups right\n", atomic_load(&right), n);
    free(t);
    return atomic_load(&right) == n ? 0 : 1;
}
