/* Parity program: waits for children at the same time. Three threads
 * each run system("sleep 1"), three each waitpid for a child that sleeps
 * 1 s, and one waits for any child of a process group (a child that
 * sleeps 1 s in a group of its own): all done in about 1 s, not 7.
 * stderr has the time and the OS thread count. Knows nothing of
 * libgreen. */
#include "threaded.h"

#define SYSTEMS 3
#define WAITERS 3
#define THREADS (SYSTEMS + WAITERS + 1)

static pthread_barrier_t roll;

static void *run_system(void *arg)
{
    (void)arg;
    roll_call(&roll, 0);
    int st = system("sleep 1");
    return (void *)(intptr_t)(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void *run_waitpid(void *arg)
{
    (void)arg;
    roll_call(&roll, 0);
    pid_t pid = fork_child();
    if (pid == 0) {
        msleep(1000);
        _exit(7);
    }
    int st = 0;
    pid_t r = waitpid(pid, &st, 0);
    return (void *)(intptr_t)(r == pid && WIFEXITED(st) && WEXITSTATUS(st) == 7);
}

static void *run_group_wait(void *arg)
{
    (void)arg;
    roll_call(&roll, 0);
    pid_t pid = fork_child();
    if (pid == 0) {
        setpgid(0, 0);
        msleep(1000);
        _exit(8);
    }
    setpgid(pid, pid);
    int st = 0;
    pid_t r = waitpid(-pid, &st, 0);
    return (void *)(intptr_t)(r == pid && WIFEXITED(st) && WEXITSTATUS(st) == 8);
}

int main(void)
{
    start_program();
    double t0 = now();
    pthread_t t[THREADS];
    if (pthread_barrier_init(&roll, NULL, THREADS + 1) != 0)
        die("pthread_barrier_init");
    for (int i = 0; i < SYSTEMS; i++)
        t[i] = spawn(run_system, NULL);
    for (int i = SYSTEMS; i < SYSTEMS + WAITERS; i++)
        t[i] = spawn(run_waitpid, NULL);
    t[THREADS - 1] = spawn(run_group_wait, NULL);
    roll_call(&roll, 1);
    int ok = join_n(t, THREADS);
    double dt = now() - t0;
    report_elapsed(t0);
    printf("%d of %d threads saw their child exit as expected\n", ok, THREADS);
    check(ok == THREADS, "all children reported");
    check(dt >= 1.0, "each waited at least 1 s");
    check(dt < 2.5, "all done within 2.5 s");
    return finish_program("proc_concurrent");
}
