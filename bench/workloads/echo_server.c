/* Workload: a thread-per-connection TCP echo server, written the plain way.
 * The main thread accepts; each connection gets a detached pthread with
 * default attributes that reads and writes back until EOF, in blocking
 * calls. Knows nothing of libgreen: the same binary is measured with native
 * threads and under greenrun, where each pthread is a green thread.
 *
 * usage: echo_server PORT */
#include "common.h"

static void *connection(void *arg)
{
    int fd = (int)(intptr_t)arg;
    char buf[4096];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n <= 0 || write_all(fd, buf, (size_t)n) < 0)
            break;
    }
    close(fd);
    return NULL;
}

int main(int argc, char **argv)
{
    return serve_threads(argc, argv, connection);
}
