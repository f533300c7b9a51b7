/* Parity program: thread ids. 100 threads each read their id twice, with
 * gettid() and syscall(SYS_gettid): stable within a thread, distinct
 * across them and from main's, which is the process id. tgkill() and
 * syscall(SYS_tgkill) with a worker's id run the handler on that worker,
 * ending its pause(). sched_getaffinity() and getpriority() answer for a
 * worker's id; an id that no thread has fails with ESRCH. Knows nothing of
 * libgreen. */
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include "threaded.h"

#define WORKERS 100

static pid_t ids[WORKERS];
static int stable[WORKERS];
static pthread_barrier_t roll;
static _Atomic pid_t handled_on;  /* gettid() inside the handler */
static atomic_int ready;

static void on_usr1(int sig)
{
    (void)sig;
    atomic_store(&handled_on, gettid());
}

static void *worker(void *arg)
{
    int i = (int)(intptr_t)arg;
    ids[i] = gettid();
    roll_call(&roll, 0);
    msleep(5);
    stable[i] = gettid() == ids[i] && syscall(SYS_gettid) == ids[i];
    return NULL;
}

/* Waits in pause() for a signal from main; returns whether it came. */
static void *pauser(void *arg)
{
    (void)arg;
    atomic_store(&ready, 1);
    pause();
    return (void *)(intptr_t)(atomic_load(&handled_on) == gettid());
}

static pid_t pauser_id;

static void *pauser_reporting(void *arg)
{
    (void)arg;
    pauser_id = gettid();
    return pauser(NULL);
}

static void signal_by_id(const char *how, int use_syscall)
{
    atomic_store(&handled_on, 0);
    atomic_store(&ready, 0);
    pauser_id = 0;
    pthread_t t = spawn(pauser_reporting, NULL);
    while (!atomic_load(&ready))
        msleep(1);
    msleep(20);  /* it is in pause() */
    long r = use_syscall ? syscall(SYS_tgkill, getpid(), pauser_id, SIGUSR1)
                         : tgkill(getpid(), pauser_id, SIGUSR1);
    show(how, r);
    yesno("  the handler ran on that thread, ending its pause()",
          join(t) != NULL);
}

int main(void)
{
    start_program();
    set_handler(SIGUSR1, on_usr1, 0);
    pid_t main_id = gettid();
    check(main_id == getpid(), "main's id is the process id");
    pthread_t t[WORKERS];
    spawn_roll_call(&roll, t, WORKERS, worker);
    join_n(t, WORKERS);
    int distinct = 1, all_stable = 1;
    for (int i = 0; i < WORKERS; i++) {
        all_stable &= stable[i];
        distinct &= ids[i] != main_id && ids[i] > 0;
        for (int j = 0; j < i; j++)
            distinct &= ids[i] != ids[j];
    }
    check(distinct, "100 ids, distinct, none main's");
    check(all_stable, "each stable, gettid() and syscall(SYS_gettid) alike");

    signal_by_id("tgkill(pid, id, SIGUSR1)", 0);
    signal_by_id("syscall(SYS_tgkill, pid, id, SIGUSR1)", 1);

    atomic_store(&ready, 0);
    pauser_id = 0;
    pthread_t p = spawn(pauser_reporting, NULL);
    while (!atomic_load(&ready))
        msleep(1);
    cpu_set_t set;
    CPU_ZERO(&set);
    show("sched_getaffinity(id)", sched_getaffinity(pauser_id, sizeof set, &set));
    yesno("  some CPU in the set", CPU_COUNT(&set) > 0);
    errno = 0;
    int prio = getpriority(PRIO_PROCESS, (id_t)pauser_id);
    printf("getpriority(PRIO_PROCESS, id) = %d %s\n", prio, ename(errno));
    int sp[2];
    if (pipe(sp) < 0)
        die("pipe");
    struct f_owner_ex own = {F_OWNER_TID, pauser_id}, back;
    show("fcntl(F_SETOWN_EX, F_OWNER_TID id)", fcntl(sp[0], F_SETOWN_EX, &own));
    show("fcntl(F_GETOWN_EX)", fcntl(sp[0], F_GETOWN_EX, &back));
    yesno("  owned by a thread", back.type == F_OWNER_TID && back.pid > 0);
    own.pid = 99999999;
    show("fcntl(F_SETOWN_EX, F_OWNER_TID unused id)",
         fcntl(sp[0], F_SETOWN_EX, &own));
    close(sp[0]);
    close(sp[1]);
    tgkill(getpid(), pauser_id, SIGUSR1);
    join(p);

    show("tgkill(pid, unused id, 0)", tgkill(getpid(), 99999999, 0));
    show("sched_getaffinity(unused id)",
         sched_getaffinity(99999999, sizeof set, &set));
    return finish_program("tid_threads");
}
