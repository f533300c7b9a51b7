/* Parity program: a signal handler that leaves a blocking call with
 * siglongjmp, the old way of putting a timeout on a call. A thread blocks
 * in read on a pipe, in accept on a listening socket, in sem_wait and in
 * poll; main sends it SIGUSR1 each time, whose handler (no SA_RESTART)
 * jumps back out of the call. After each jump the thread makes the same
 * call again, and this time main gives it something: the call must work
 * as if the first had never been made (all four are async-signal-safe,
 * so POSIX allows the jump). A ticker runs beside them. Threads only
 * record; main prints. Knows nothing of libgreen. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <semaphore.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <sys/socket.h>

#include "threaded.h"
#include "ticker.h"

static sigjmp_buf env;
static atomic_int jumped;      /* the handler ran and jumped */
static atomic_int inside;      /* the thread is about to block */
static int pipefd[2], lfd;
static struct sockaddr_in addr;
static sem_t sem;
static const char *got[4];     /* what each second call returned */

static void on_usr1(int sig)
{
    (void)sig;
    atomic_store(&jumped, 1);
    siglongjmp(env, 1);
}

static void again(int i);

/* Makes call number i, first to be jumped out of, then for real. */
static void twice(int i)
{
    if (sigsetjmp(env, 1) == 0) {
        atomic_store(&inside, i + 1);
        switch (i) {
        case 0: {
            char b;
            (void)!read(pipefd[0], &b, 1);
            break;
        }
        case 1: {
            int c = accept(lfd, NULL, NULL);
            if (c >= 0)
                close(c);
            break;
        }
        case 2:
            sem_wait(&sem);
            break;
        default: {
            struct pollfd p = {.fd = pipefd[0], .events = POLLIN};
            poll(&p, 1, -1);
        }
        }
        got[i] = "the first call returned";
        return;
    }
    /* Jumped out. Now the same call, which main satisfies, from frames
     * that overwrite those the jump left. */
    again(i);
}

static __attribute__((noinline)) void again(int i)
{
    volatile char scrub[8192];
    memset((char *)scrub, 0x55, sizeof scrub);
    atomic_store(&inside, 10 + i);
    switch (i) {
    case 0: {
        char b = 0;
        got[i] = read(pipefd[0], &b, 1) == 1 && b == 'x' ? "read x" : "read failed";
        break;
    }
    case 1: {
        int c = accept(lfd, NULL, NULL);
        got[i] = c >= 0 ? "accepted" : "accept failed";
        if (c >= 0)
            close(c);
        break;
    }
    case 2:
        got[i] = sem_wait(&sem) == 0 ? "sem_wait returned 0" : "sem_wait failed";
        break;
    default: {
        struct pollfd p = {.fd = pipefd[0], .events = POLLIN};
        got[i] = poll(&p, 1, -1) == 1 && (p.revents & POLLIN) ? "poll returned 1"
                                                               : "poll failed";
    }
    }
    (void)scrub[0];
}

static void *worker(void *arg)
{
    (void)arg;
    for (int i = 0; i < 4; i++)
        twice(i);
    return NULL;
}

/* Waits until the worker has said it is at step `step`, then a little
 * more, so that it is blocked in the call. */
static void await_step(int step)
{
    for (double end = now() + 5; atomic_load(&inside) != step && now() < end;)
        msleep(1);
    msleep(50);
}

int main(void)
{
    start_program();
    struct sigaction sa = {.sa_handler = on_usr1};
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGUSR1, &sa, NULL) < 0 || pipe(pipefd) < 0 ||
        sem_init(&sem, 0, 0) < 0)
        die("setup");
    lfd = socket(AF_INET, SOCK_STREAM, 0);
    addr = (struct sockaddr_in){.sin_family = AF_INET,
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof addr;
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&addr, len) < 0 ||
        listen(lfd, 8) < 0 || getsockname(lfd, (struct sockaddr *)&addr, &len) < 0)
        die("listen");
    double t0 = now();
    struct ticker tk = {0};  /* first, so that with two hubs the worker
                                goes to the other */
    pthread_t tt = spawn(ticker_main, &tk);
    pthread_t t = spawn(worker, NULL);
    await_step(1);
    report_tasks();
    for (int i = 0; i < 4; i++) {
        await_step(i + 1);
        atomic_store(&jumped, 0);
        pthread_kill(t, SIGUSR1);
        await_step(10 + i);
        printf("call %d: jumped out: %s\n", i, atomic_load(&jumped) ? "yes" : "no");
        switch (i) {
        case 0:
            put(pipefd[1], "x");
            break;
        case 1: {
            int c = socket(AF_INET, SOCK_STREAM, 0);
            if (c < 0 || connect(c, (struct sockaddr *)&addr, sizeof addr) < 0)
                die("connect");
            close(c);
            break;
        }
        case 2:
            sem_post(&sem);
            break;
        default:
            put(pipefd[1], "y");
        }
    }
    join(t);
    atomic_store(&tk.stop, 1);
    join(tt);
    for (int i = 0; i < 4; i++)
        printf("call %d again: %s\n", i, got[i] ? got[i] : "none");
    report_elapsed(t0);
    return finish_program("sig_jump");
}
