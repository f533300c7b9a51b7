/* Parity program: fork in a program with several threads. Two tickers
 * keep counting while main forks: the child has one OS thread and one
 * thread of the program (the tickers' counter stands still there), does
 * I/O to the parent through a pipe and execs /bin/echo and /bin/true;
 * the parent's tickers go on during the child's life and after.
 * pthread_atfork handlers run in POSIX order. A fork from a thread other
 * than main: the child ends when that thread returns, exiting 0 with its
 * atexit handlers run. Knows nothing of libgreen. */
#include <fcntl.h>
#include <stdatomic.h>

#include "threaded.h"
#include "ticker.h"

#define TICKERS 2

static struct ticker tk;  /* its count: both tickers' naps */

/* The atfork handlers: each appends its letter to a log, which the
 * parent prints and the child sends through the pipe. */
static char order[32];
static void add(char c)
{
    size_t n = strlen(order);
    if (n + 1 < sizeof order)
        order[n] = c, order[n + 1] = '\0';
}
static void prep1(void) { add('p'); add('1'); }
static void prep2(void) { add('p'); add('2'); }
static void parent1(void) { add('P'); add('1'); }
static void parent2(void) { add('P'); add('2'); }
static void child1(void) { add('C'); add('1'); }
static void child2(void) { add('C'); add('2'); }

/* Reads what the child wrote until EOF. */
static void read_all(int fd, char *buf, size_t len)
{
    size_t got = 0;
    ssize_t n;
    while (got + 1 < len && (n = read(fd, buf + got, len - 1 - got)) > 0)
        got += (size_t)n;
    buf[got] = '\0';
}

static void fork_from_main(void)
{
    printf("fork from main with %d tickers\n", TICKERS);
    int p[2];
    if (pipe(p) < 0)
        die("pipe");
    order[0] = '\0';
    pid_t pid = fork_child();
    if (pid == 0) {
        close(p[0]);
        char line[128];
        int before = atomic_load(&tk.ticks);
        msleep(200);
        int after = atomic_load(&tk.ticks);
        snprintf(line, sizeof line, "tasks %d, ticks %s, atfork %s\n",
                 count_tasks(), before == after ? "still" : "MOVING", order);
        if (write(p[1], line, strlen(line)) < 0)
            _exit(3);
        /* exec with the pipe as stdout */
        dup2(p[1], 1);
        execl("/bin/echo", "echo", "echo ran in the child", (char *)NULL);
        _exit(4);
    }
    close(p[1]);
    printf("  parent atfork: %s\n", order);
    int t0 = atomic_load(&tk.ticks);
    char buf[256];
    read_all(p[0], buf, sizeof buf);
    close(p[0]);
    printf("  child said: %s", buf);
    expect_exit0("  child", reap(pid));
    check(atomic_load(&tk.ticks) > t0, "  tickers went on while the child ran");

    pid = fork_child();
    if (pid == 0) {
        execl("/bin/true", "true", (char *)NULL);
        _exit(4);
    }
    expect_exit0("  child that execs /bin/true", reap(pid));
    int t1 = atomic_load(&tk.ticks);
    msleep(100);
    check(atomic_load(&tk.ticks) > t1, "  tickers go on after");
}

/* The pipe of fork_from_thread's child, for its atexit handler. */
static int exit_fd = -1;

static void at_exit(void)
{
    if (exit_fd >= 0 && write(exit_fd, "atexit ran\n", 11) < 0)
        _exit(5);
}

static void *forker(void *arg)
{
    int *p = arg;
    fflush(stdout);
    pid_t pid = fork();
    if (pid != 0)
        return (void *)(intptr_t)pid;
    /* The child: this thread is all there is; its return ends it. */
    alarm(10);
    close(p[0]);
    exit_fd = p[1];
    char line[64];
    snprintf(line, sizeof line, "child thread: tasks %d\n", count_tasks());
    if (write(p[1], line, strlen(line)) < 0)
        _exit(3);
    return NULL;
}

static void fork_from_thread(void)
{
    printf("fork from another thread\n");
    int p[2];
    if (pipe(p) < 0)
        die("pipe");
    atexit(at_exit);
    pid_t pid = (pid_t)(intptr_t)join(spawn(forker, p));
    if (pid < 0)
        die("fork");
    close(p[1]);
    char buf[256];
    read_all(p[0], buf, sizeof buf);
    close(p[0]);
    printf("  child said: %s", buf);
    expect_exit0("  child, after its thread returned", reap(pid));
}

int main(void)
{
    start_program();
    pthread_atfork(prep1, parent1, child1);
    pthread_atfork(prep2, parent2, child2);
    pthread_t t[TICKERS];
    for (int i = 0; i < TICKERS; i++)
        t[i] = spawn(ticker_main, &tk);
    report_tasks();
    msleep(30);
    fork_from_main();
    fork_from_thread();
    atomic_store(&tk.stop, 1);
    join_n(t, TICKERS);
    return finish_program("proc_fork");
}
