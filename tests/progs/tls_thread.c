/* Parity program: per-thread state. 8 workers each keep their index in
 * __thread variables (one initialised, one in .tbss, a large .tbss array)
 * and in errno, then block (sleep, a pipe read, a condition wait) while the
 * others run, and check that what they left is still theirs. Each also sets
 * its own locale with uselocale, which must not leak into the others, and
 * asks strerror for an unknown error (glibc's per-thread buffer). A new
 * thread starts with the initial values, not its creator's. sched_getcpu
 * still answers in a thread, and abort() in a thread (of a forked child)
 * still kills with SIGABRT. Knows nothing of libgreen. */
#include <langinfo.h>
#include <locale.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>

#include "threaded.h"

#define WORKERS 8

static __thread int inited = 7;           /* .tdata */
static __thread int id = -1;              /* .tbss, set to -1 by the image */
static __thread long zeroed;              /* .tbss */
static __thread char big[16384];          /* .tbss, several pages */

static pthread_barrier_t roll;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int turn;
static int pipes[WORKERS][2];

struct row {
    int fresh;       /* started with the initial values */
    int kept;        /* its values survived every blocking call */
    int err_kept;    /* errno survived them */
    int locale_ok;   /* its locale is its own */
    int strerr_ok;   /* strerror's text for its own unknown number */
    int cpu_ok;      /* sched_getcpu answered */
};
static struct row rows[WORKERS];

static int mine(int i)
{
    if (id != i || inited != 100 + i || zeroed != 1000L * i)
        return 0;
    for (size_t k = 0; k < sizeof big; k += 512)
        if (big[k] != (char)('a' + i))
            return 0;
    return 1;
}

static void *worker(void *arg)
{
    int i = (int)(intptr_t)arg;
    struct row *r = &rows[i];
    r->fresh = inited == 7 && id == -1 && zeroed == 0 && big[100] == 0 &&
               errno == 0;
    id = i;
    inited = 100 + i;
    zeroed = 1000L * i;
    memset(big, 'a' + i, sizeof big);
    /* Odd workers take the C.UTF-8 locale for themselves. */
    locale_t loc = 0;
    if (i % 2) {
        loc = newlocale(LC_ALL_MASK, "C.UTF-8", 0);
        if (loc)
            uselocale(loc);
    }
    errno = 200 + i;
    roll_call(&roll, 0);
    int ok = 1, err_ok = errno == 200 + i;
    msleep(20 + 5 * (WORKERS - i));  /* the others run meanwhile */
    ok &= mine(i);
    err_ok &= errno == 200 + i;
    char c;
    errno = 200 + i;
    if (read(pipes[i][0], &c, 1) != 1)  /* main writes after all block */
        ok = 0;
    err_ok &= errno == 200 + i;
    ok &= mine(i);
    pthread_mutex_lock(&lock);
    while (turn != i)
        pthread_cond_wait(&cond, &lock);
    turn++;
    pthread_cond_broadcast(&cond);
    pthread_mutex_unlock(&lock);
    ok &= mine(i);
    r->kept = ok;
    r->err_kept = err_ok;
    const char *name = nl_langinfo(CODESET);
    r->locale_ok = strcmp(name, i % 2 && loc ? "UTF-8" : "ANSI_X3.4-1968") == 0;
    char want[64];
    snprintf(want, sizeof want, "Unknown error %d", 1000 + i);
    const char *s = strerror(1000 + i);
    msleep(5);
    r->strerr_ok = strcmp(s, want) == 0;
    r->cpu_ok = sched_getcpu() >= 0;
    if (loc) {
        uselocale(LC_GLOBAL_LOCALE);
        freelocale(loc);
    }
    return NULL;
}

static void *aborter(void *arg)
{
    (void)arg;
    msleep(10);
    abort();
}

static void *idler(void *arg)
{
    (void)arg;
    msleep(500);
    return NULL;
}

int main(void)
{
    start_program();
    id = 99;  /* main's own: the workers must not start with it */
    inited = 98;
    errno = 0;
    for (int i = 0; i < WORKERS; i++)
        if (pipe(pipes[i]) < 0)
            die("pipe");
    pthread_t t[WORKERS];
    spawn_roll_call(&roll, t, WORKERS, worker);
    msleep(100);
    for (int i = WORKERS - 1; i >= 0; i--)
        put(pipes[i][1], "x");
    join_n(t, WORKERS);
    for (int i = 0; i < WORKERS; i++) {
        printf("worker %d: fresh %d kept %d errno %d locale %d strerror %d "
               "cpu %d\n", i, rows[i].fresh, rows[i].kept, rows[i].err_kept,
               rows[i].locale_ok, rows[i].strerr_ok, rows[i].cpu_ok);
        failures += !rows[i].fresh + !rows[i].kept + !rows[i].err_kept +
                    !rows[i].locale_ok + !rows[i].strerr_ok + !rows[i].cpu_ok;
    }
    check(id == 99 && inited == 98, "main's __thread values are its own");
    check(strcmp(nl_langinfo(CODESET), "ANSI_X3.4-1968") == 0,
          "main's locale is its own");

    pid_t pid = fork_child();
    if (pid == 0) {
        pthread_t other = spawn(idler, NULL);  /* so a thread could switch */
        join(spawn(aborter, NULL));
        join(other);
        _exit(0);
    }
    status_line("abort() in a thread", reap(pid));
    return finish_program("tls_thread");
}
