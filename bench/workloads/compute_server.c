/* Workload: echo_server whose handler computes before each reply: a fixed
 * chain of multiply-adds (ITERS, default 36000: about 50 us on the
 * benchmark VM) that the compiler cannot fold, over every message. The
 * same binary natively and under greenrun, where the connections' green
 * threads spread over the hubs (bench/servers.py, section compute).
 *
 * usage: compute_server PORT [ITERS] */
#include "common.h"

static long iters = 36000;

static void *connection(void *arg)
{
    int fd = (int)(intptr_t)arg;
    char buf[4096];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n <= 0)
            break;
        uint64_t x = (unsigned char)buf[0];
        for (long i = 0; i < iters; i++)
            x = x * 6364136223846793005ull + 1442695040888963407ull;
        __asm__ volatile("" : : "r"(x));  /* x is used: the loop stays */
        if (write_all(fd, buf, (size_t)n) < 0)
            break;
    }
    close(fd);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc == 3)
        iters = atol(argv[--argc]);
    return serve_threads(argc, argv, connection);
}
