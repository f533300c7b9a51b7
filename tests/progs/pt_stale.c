/* Parity program: stale thread handles. A pthread_t used after its thread
 * was joined, or after a detached thread ended, is undefined behaviour in
 * POSIX; glibc 2.36 answers from the thread's cached descriptor, whose
 * tid it set to -1 at the join (the kernel cleared it to 0 when the
 * thread ended): the join family and pthread_detach give ESRCH after a
 * join and EINVAL for a detached thread, pthread_kill and pthread_cancel
 * give 0 and send nothing, the calls that need the tid give ESRCH and the
 * name calls ENOENT (they open /proc/self/task/<tid>/comm). Only what
 * glibc does deterministically is asserted: each stale call comes right
 * after the end, before any new thread could take over the memory, and
 * the ended threads are gone from /proc/self/task first. A joinable
 * thread that ended but was not joined yet answers the tid calls so too.
 * Knows nothing of libgreen. */
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>

#include "threaded.h"

static sem_t finished, go;
static atomic_int usr1;

static void on_usr1(int sig)
{
    (void)sig;
    atomic_fetch_add(&usr1, 1);
}

static void *quick(void *arg)
{
    sem_post(&finished);
    return arg;
}

static void *blocked(void *arg)
{
    sem_wait(&go);
    return arg;
}

/* Waits (after its last post) until a thread is gone from the kernel's
 * list, so that its tid is cleared: the process is back to one task. */
static void wait_gone(void)
{
    sem_wait(&finished);
    int tasks = count_tasks();
    for (int i = 0; i < 2000 && tasks != 1; i++) {
        msleep(1);
        tasks = count_tasks();
    }
    msleep(5);
    yesno("  gone from /proc/self/task", count_tasks() == 1);
}

/* The calls that need the thread's kernel id. */
static void tid_calls(pthread_t t)
{
    int policy;
    struct sched_param sp;
    clockid_t clk;
    char name[16];
    showrc("  pthread_kill(0)", pthread_kill(t, 0));
    showrc("  pthread_kill(SIGUSR1)", pthread_kill(t, SIGUSR1));
    showrc("  pthread_kill(SIGRTMIN - 2)", pthread_kill(t, SIGRTMIN - 2));
    showrc("  pthread_sigqueue(0)", pthread_sigqueue(t, 0, (union sigval){0}));
    showrc("  pthread_getschedparam", pthread_getschedparam(t, &policy, &sp));
    sp.sched_priority = 0;
    showrc("  pthread_setschedparam", pthread_setschedparam(t, SCHED_OTHER, &sp));
    showrc("  pthread_setschedprio", pthread_setschedprio(t, 0));
    showrc("  pthread_getcpuclockid", pthread_getcpuclockid(t, &clk));
    showrc("  pthread_getname_np", pthread_getname_np(t, name, sizeof name));
    showrc("  pthread_setname_np", pthread_setname_np(t, "stale"));
    showrc("  pthread_setname_np(too long)",
           pthread_setname_np(t, "a name too long for it"));
    showrc("  pthread_getname_np(short buffer)", pthread_getname_np(t, name, 4));
}

/* The join family and pthread_detach. */
static void join_calls(pthread_t t)
{
    void *v;
    struct timespec at = deadline(CLOCK_REALTIME, 10);
    struct timespec mat = deadline(CLOCK_MONOTONIC, 10);
    showrc("  pthread_join", pthread_join(t, &v));
    showrc("  pthread_tryjoin_np", pthread_tryjoin_np(t, &v));
    showrc("  pthread_timedjoin_np", pthread_timedjoin_np(t, &v, &at));
    showrc("  pthread_clockjoin_np", pthread_clockjoin_np(t, &v, CLOCK_MONOTONIC, &mat));
    showrc("  pthread_detach", pthread_detach(t));
    showrc("  pthread_cancel", pthread_cancel(t));
}

int main(void)
{
    start_program();
    sem_init(&finished, 0, 0);
    sem_init(&go, 0, 0);
    set_handler(SIGUSR1, on_usr1, 0);

    printf("joinable, ended, not yet joined:\n");
    pthread_t a = spawn(quick, (void *)7);
    wait_gone();
    tid_calls(a);
    void *v = NULL;
    showrc("  pthread_join", pthread_join(a, &v));
    yesno("  it returned 7", v == (void *)7);

    printf("joined:\n");
    join_calls(a);
    tid_calls(a);
    yesno("  pthread_equal(stale, stale)", pthread_equal(a, a) != 0);
    yesno("  pthread_equal(stale, self)", pthread_equal(a, pthread_self()) != 0);

    printf("detached, ended:\n");
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_t b = spawn_attr(&attr, quick, NULL);
    pthread_attr_destroy(&attr);
    wait_gone();
    join_calls(b);
    tid_calls(b);

    printf("detached by pthread_detach after it ended:\n");
    pthread_t c = spawn(quick, NULL);
    wait_gone();
    showrc("  pthread_detach", pthread_detach(c));
    join_calls(c);

    msleep(20);
    show("SIGUSR1 handled", atomic_load(&usr1));
    /* Another thread still works after all that. */
    pthread_t d = spawn(blocked, NULL);
    report_tasks();
    sem_post(&go);
    showrc("a new thread: pthread_join", pthread_join(d, NULL));
    return finish_program("pt_stale");
}
