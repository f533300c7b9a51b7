/* Parity program: process-shared objects (and robust, priority-protocol
 * mutexes, which glibc keeps too) between two threads of this process and
 * between this process and a forked child, on a MAP_SHARED page. Each wait
 * is ended by the other side after 50 ms, or times out; where a ticker
 * thread runs, the other side also waits for it to tick twice first (the
 * wait held up nobody else: a wait that blocked the ticker's OS thread
 * shows as NOT OK after 3 s), and a wake must come within 1 s of the
 * release. Owners of error-checking and recursive ones are
 * threads, not OS threads. (Priority-protect mutexes are left out: their
 * lock fails with EINVAL for a SCHED_OTHER thread, natively too.) Knows
 * nothing of libgreen. */
#include <semaphore.h>
#include <sys/mman.h>

#include "threaded.h"
#include "ticker.h"

struct shared {
    pthread_mutex_t m;
    pthread_cond_t c;
    pthread_rwlock_t rw;
    pthread_barrier_t b;
    sem_t s;
    atomic_int flag;
    struct ticker tick;  /* here, so that a forked child sees it */
    atomic_int ticking;
    atomic_int stay;  /* 1: the other side holds on until main says */
    _Atomic double released;  /* when the other side ended the wait */
};

static struct shared *sh;
static pthread_t ticker_th;

static void ticker_start(void)
{
    atomic_store(&sh->tick.ticks, 0);
    atomic_store(&sh->tick.stop, 0);
    atomic_store(&sh->ticking, 1);
    ticker_th = spawn(ticker_main, &sh->tick);
}

/* The ticker went on while main waited. */
static void ticker_check(const char *what)
{
    atomic_store(&sh->tick.stop, 1);
    atomic_store(&sh->ticking, 0);
    join(ticker_th);
    char line[160];
    snprintf(line, sizeof line, "%s: others ran meanwhile", what);
    check(atomic_load(&sh->tick.ticks) >= 2, line);
}

static void mutex_make(pthread_mutex_t *m, int type, int robust, int proto)
{
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
    pthread_mutexattr_settype(&a, type);
    pthread_mutexattr_setrobust(&a, robust ? PTHREAD_MUTEX_ROBUST
                                           : PTHREAD_MUTEX_STALLED);
    pthread_mutexattr_setprotocol(&a, proto);
    int r = pthread_mutex_init(m, &a);
    if (r)
        die_rc("pthread_mutex_init", r);
    pthread_mutexattr_destroy(&a);
}

static void objects_make(void)
{
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED);
    pthread_cond_init(&sh->c, &ca);
    pthread_rwlockattr_t ra;
    pthread_rwlockattr_init(&ra);
    pthread_rwlockattr_setpshared(&ra, PTHREAD_PROCESS_SHARED);
    pthread_rwlock_init(&sh->rw, &ra);
    pthread_barrierattr_t ba;
    pthread_barrierattr_init(&ba);
    pthread_barrierattr_setpshared(&ba, PTHREAD_PROCESS_SHARED);
    pthread_barrier_init(&sh->b, &ba, 2);
    sem_init(&sh->s, 1, 0);
    mutex_make(&sh->m, PTHREAD_MUTEX_NORMAL, 0, PTHREAD_PRIO_NONE);
}

/* ---- The other side: a thread, or a forked child ----------------------- */

/* Until main lets go (where it checks a held object first), 50 ms, then
 * the ticker's two ticks (if it runs; 3 s at most), then the
 * release time noted. */
static void hold(void)
{
    for (int i = 0; i < 3000 && atomic_load(&sh->stay); i++)
        msleep(1);
    msleep(50);
    for (int i = 0; i < 3000 && atomic_load(&sh->ticking) &&
                    atomic_load(&sh->tick.ticks) < 2;
         i++)
        msleep(1);
    atomic_store(&sh->released, now());
}

enum act { HOLD_MUTEX, SIGNAL, BROADCAST, HOLD_WRITE, POST, BARRIER };

static void act(enum act a)
{
    switch (a) {
    case HOLD_MUTEX:
        pthread_mutex_lock(&sh->m);
        atomic_store(&sh->flag, 1);
        hold();
        pthread_mutex_unlock(&sh->m);
        break;
    case SIGNAL:
    case BROADCAST:
        hold();
        pthread_mutex_lock(&sh->m);
        atomic_store(&sh->flag, 1);
        if (a == SIGNAL)
            pthread_cond_signal(&sh->c);
        else
            pthread_cond_broadcast(&sh->c);
        pthread_mutex_unlock(&sh->m);
        break;
    case HOLD_WRITE:
        pthread_rwlock_wrlock(&sh->rw);
        atomic_store(&sh->flag, 1);
        hold();
        pthread_rwlock_unlock(&sh->rw);
        break;
    case POST:
        hold();
        sem_post(&sh->s);
        break;
    case BARRIER:
        hold();
        pthread_barrier_wait(&sh->b);
        break;
    }
}

static void *act_thread(void *arg)
{
    act((enum act)(intptr_t)arg);
    return NULL;
}

static int in_child;  /* the other side is a forked child */
static pid_t child;
static pthread_t other;

static void other_start(enum act a)
{
    atomic_store(&sh->flag, 0);
    if (!in_child) {
        other = spawn(act_thread, (void *)(intptr_t)a);
    } else {
        child = fork();
        if (child < 0)
            die("fork");
        if (child == 0) {
            act(a);
            _exit(0);
        }
    }
    if (a == HOLD_MUTEX || a == HOLD_WRITE)
        while (!atomic_load(&sh->flag))
            msleep(1);
}

static void other_end(void)
{
    if (!in_child) {
        join(other);
        return;
    }
    int st;
    if (waitpid(child, &st, 0) != child || !WIFEXITED(st) || WEXITSTATUS(st))
        failures++;
}

/* ---- The waits -------------------------------------------------------- */

static void waited(const char *what, int r, double t0, int want_prompt)
{
    (void)t0;
    showrc(what, r);
    if (want_prompt) {
        char line[160];
        snprintf(line, sizeof line, "%s: woken within 1 s", what);
        check(now() - atomic_load(&sh->released) < 1.0, line);
    }
}

static void mutex_waits(const char *name, int type, int robust, int proto)
{
    char what[120];
    mutex_make(&sh->m, type, robust, proto);
    ticker_start();
    other_start(HOLD_MUTEX);
    double t0 = now();
    snprintf(what, sizeof what, "  %s: lock held by the other", name);
    waited(what, pthread_mutex_lock(&sh->m), t0, 1);
    pthread_mutex_unlock(&sh->m);
    other_end();
    ticker_check(what);

    atomic_store(&sh->stay, 1);
    other_start(HOLD_MUTEX);
    struct timespec at = deadline(CLOCK_REALTIME, 20);
    snprintf(what, sizeof what, "  %s: timedlock(20 ms) held", name);
    showrc(what, pthread_mutex_timedlock(&sh->m, &at));
    snprintf(what, sizeof what, "  %s: trylock held", name);
    showrc(what, pthread_mutex_trylock(&sh->m));
    if (type == PTHREAD_MUTEX_RECURSIVE || type == PTHREAD_MUTEX_ERRORCHECK) {
        snprintf(what, sizeof what, "  %s: unlock by a non-owner", name);
        showrc(what, pthread_mutex_unlock(&sh->m));
    }
    at = deadline(CLOCK_MONOTONIC, 2000);
    t0 = now();
    atomic_store(&sh->stay, 0);
    snprintf(what, sizeof what, "  %s: clocklock(2 s) freed at 50 ms", name);
    waited(what, pthread_mutex_clocklock(&sh->m, CLOCK_MONOTONIC, &at), t0, 1);
    if (type == PTHREAD_MUTEX_ERRORCHECK) {
        snprintf(what, sizeof what, "  %s: relock by its owner", name);
        showrc(what, pthread_mutex_lock(&sh->m));
    }
    if (type == PTHREAD_MUTEX_RECURSIVE) {
        snprintf(what, sizeof what, "  %s: relock by its owner", name);
        showrc(what, pthread_mutex_lock(&sh->m));
        pthread_mutex_unlock(&sh->m);
    }
    pthread_mutex_unlock(&sh->m);
    other_end();
    pthread_mutex_destroy(&sh->m);
}

static void cond_waits(void)
{
    mutex_make(&sh->m, PTHREAD_MUTEX_NORMAL, 0, PTHREAD_PRIO_NONE);
    ticker_start();
    pthread_mutex_lock(&sh->m);
    other_start(SIGNAL);
    double t0 = now();
    int r = 0;
    while (!atomic_load(&sh->flag) && r == 0)
        r = pthread_cond_wait(&sh->c, &sh->m);
    waited("  cond: wait, signalled", r, t0, 1);
    pthread_mutex_unlock(&sh->m);
    other_end();
    ticker_check("  cond: wait");

    pthread_mutex_lock(&sh->m);
    other_start(BROADCAST);
    struct timespec at = deadline(CLOCK_REALTIME, 5000);
    t0 = now();
    r = 0;
    while (!atomic_load(&sh->flag) && r == 0)
        r = pthread_cond_timedwait(&sh->c, &sh->m, &at);
    waited("  cond: timedwait(5 s), broadcast at 50 ms", r, t0, 1);
    pthread_mutex_unlock(&sh->m);
    other_end();

    pthread_mutex_lock(&sh->m);
    at = deadline(CLOCK_REALTIME, 30);
    showrc("  cond: timedwait(30 ms), nobody signals",
           pthread_cond_timedwait(&sh->c, &sh->m, &at));
    pthread_mutex_unlock(&sh->m);

    /* With an error-checking, robust mutex. */
    pthread_mutex_destroy(&sh->m);
    mutex_make(&sh->m, PTHREAD_MUTEX_ERRORCHECK, 1, PTHREAD_PRIO_NONE);
    pthread_mutex_lock(&sh->m);
    other_start(SIGNAL);
    r = 0;
    t0 = now();
    while (!atomic_load(&sh->flag) && r == 0)
        r = pthread_cond_wait(&sh->c, &sh->m);
    waited("  cond: wait with a robust errorcheck mutex", r, t0, 1);
    showrc("  cond: the mutex is held again (unlock)",
           pthread_mutex_unlock(&sh->m));
    other_end();
    pthread_mutex_destroy(&sh->m);
}

static void rwlock_waits(void)
{
    ticker_start();
    other_start(HOLD_WRITE);
    double t0 = now();
    waited("  rwlock: rdlock, written by the other", pthread_rwlock_rdlock(&sh->rw),
           t0, 1);
    pthread_rwlock_unlock(&sh->rw);
    other_end();
    ticker_check("  rwlock: rdlock");

    atomic_store(&sh->stay, 1);
    other_start(HOLD_WRITE);
    struct timespec at = deadline(CLOCK_REALTIME, 20);
    showrc("  rwlock: timedwrlock(20 ms) held",
           pthread_rwlock_timedwrlock(&sh->rw, &at));
    t0 = now();
    atomic_store(&sh->stay, 0);
    waited("  rwlock: wrlock freed at 50 ms", pthread_rwlock_wrlock(&sh->rw), t0, 1);
    showrc("  rwlock: rdlock by its writer", pthread_rwlock_rdlock(&sh->rw));
    showrc("  rwlock: wrlock by its writer", pthread_rwlock_wrlock(&sh->rw));
    showrc("  rwlock: unlock", pthread_rwlock_unlock(&sh->rw));
    other_end();
}

static void barrier_sem_waits(void)
{
    ticker_start();
    other_start(BARRIER);
    double t0 = now();
    int r = pthread_barrier_wait(&sh->b);
    waited("  barrier: wait, other at 50 ms",
           r == PTHREAD_BARRIER_SERIAL_THREAD ? 0 : r, t0, 1);
    other_end();
    ticker_check("  barrier: wait");

    ticker_start();
    other_start(POST);
    t0 = now();
    show("  sem: wait, posted at 50 ms", sem_wait(&sh->s));
    check(now() - atomic_load(&sh->released) < 1.0, "  sem: wait: woken within 1 s");
    other_end();
    ticker_check("  sem: wait");

    other_start(POST);
    struct timespec at = deadline(CLOCK_REALTIME, 5000);
    t0 = now();
    show("  sem: timedwait(5 s), posted at 50 ms", sem_timedwait(&sh->s, &at));
    check(now() - atomic_load(&sh->released) < 1.0,
          "  sem: timedwait: woken within 1 s");
    other_end();
    at = deadline(CLOCK_MONOTONIC, 30);
    show("  sem: clockwait(30 ms), nobody posts",
         sem_clockwait(&sh->s, CLOCK_MONOTONIC, &at));
}

/* ---- Robust mutexes whose owner ends ---------------------------------- */

static void *lock_and_end(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&sh->m);
    return NULL;
}

static void *lock_and_park(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&sh->m);
    atomic_store(&sh->flag, 1);
    for (;;)
        pause();
    return NULL;
}

static void owner_death(const char *what)
{
    atomic_store(&sh->released, now());  /* its owner is gone, or going */
    double t0 = now();
    int r = pthread_mutex_lock(&sh->m);
    char line[160];
    snprintf(line, sizeof line, "%s: lock", what);
    waited(line, r, t0, 1);
    snprintf(line, sizeof line, "%s: consistent", what);
    showrc(line, pthread_mutex_consistent(&sh->m));
    snprintf(line, sizeof line, "%s: unlock", what);
    showrc(line, pthread_mutex_unlock(&sh->m));
}

static void robust_owners(void)
{
    mutex_make(&sh->m, PTHREAD_MUTEX_ERRORCHECK, 1, PTHREAD_PRIO_NONE);
    join(spawn(lock_and_end, NULL));
    owner_death("robust, its owner thread ended");
    /* A thread of a child holds it when the child exits, and when it is
     * killed. */
    for (int kill_it = 0; kill_it < 2; kill_it++) {
        atomic_store(&sh->flag, 0);
        pid_t pid = fork();
        if (pid < 0)
            die("fork");
        if (pid == 0) {
            spawn(lock_and_park, NULL);
            while (!atomic_load(&sh->flag))
                msleep(1);
            if (!kill_it)
                _exit(0);
            for (;;)
                pause();
        }
        while (!atomic_load(&sh->flag))
            msleep(1);
        if (kill_it)
            kill(pid, SIGKILL);
        owner_death(kill_it ? "robust, held in a child that was killed"
                            : "robust, held in a child that exited");
        int st;
        waitpid(pid, &st, 0);
    }
    pthread_mutex_destroy(&sh->m);
}

/* A green (private) condition variable with a mutex glibc keeps. */
static pthread_cond_t private_c = PTHREAD_COND_INITIALIZER;

static void *private_signal(void *arg)
{
    (void)arg;
    msleep(50);
    pthread_mutex_lock(&sh->m);
    atomic_store(&sh->flag, 1);
    pthread_cond_signal(&private_c);
    pthread_mutex_unlock(&sh->m);
    return NULL;
}

static void private_cond_kept_mutex(void)
{
    mutex_make(&sh->m, PTHREAD_MUTEX_RECURSIVE, 1, PTHREAD_PRIO_INHERIT);
    atomic_store(&sh->flag, 0);
    pthread_mutex_lock(&sh->m);
    pthread_t t = spawn(private_signal, NULL);
    int r = 0;
    while (!atomic_load(&sh->flag) && r == 0)
        r = pthread_cond_wait(&private_c, &sh->m);
    showrc("private cond with a robust PI mutex: wait", r);
    showrc("private cond with a robust PI mutex: unlock",
           pthread_mutex_unlock(&sh->m));
    join(t);
    pthread_mutex_destroy(&sh->m);
}

static void all_waits(void)
{
    mutex_waits("normal", PTHREAD_MUTEX_NORMAL, 0, PTHREAD_PRIO_NONE);
    mutex_waits("recursive", PTHREAD_MUTEX_RECURSIVE, 0, PTHREAD_PRIO_NONE);
    mutex_waits("errorcheck", PTHREAD_MUTEX_ERRORCHECK, 0, PTHREAD_PRIO_NONE);
    mutex_waits("robust", PTHREAD_MUTEX_NORMAL, 1, PTHREAD_PRIO_NONE);
    mutex_waits("adaptive", PTHREAD_MUTEX_ADAPTIVE_NP, 0, PTHREAD_PRIO_NONE);
    mutex_waits("robust errorcheck", PTHREAD_MUTEX_ERRORCHECK, 1, PTHREAD_PRIO_NONE);
    mutex_waits("robust recursive", PTHREAD_MUTEX_RECURSIVE, 1, PTHREAD_PRIO_NONE);
    mutex_waits("prio-inherit", PTHREAD_MUTEX_ERRORCHECK, 0, PTHREAD_PRIO_INHERIT);
    cond_waits();
    rwlock_waits();
    barrier_sem_waits();
}

int main(void)
{
    start_program();
    alarm(30);
    sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE,
              MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (sh == MAP_FAILED)
        die("mmap");
    objects_make();
    printf("between two threads:\n");
    all_waits();
    printf("between two processes:\n");
    in_child = 1;
    all_waits();
    private_cond_kept_mutex();
    robust_owners();
    printf("cond destroy after its waiters woke: %d\n",
           pthread_cond_destroy(&sh->c));
    return finish_program("pt_pshared");
}
