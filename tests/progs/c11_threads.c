/* Parity program: C11 <threads.h>. thrd_create and thrd_join with result
 * codes (one by thrd_exit), thrd_current and thrd_equal, thrd_sleep,
 * thrd_yield, thrd_detach; 4 threads counting under an mtx_plain; a gate of
 * mtx and cnd that 4 threads wait at until a cnd_broadcast; cnd_timedwait
 * thrd_timedout; mtx_trylock thrd_busy and mtx_timedlock thrd_timedout
 * against another thread's lock; mtx_recursive; tss values per thread and
 * their destructors; call_once. Threads only record; main prints. Knows
 * nothing of libgreen. */
#include <stdatomic.h>
#include <threads.h>

#include "threaded.h"

#define WORKERS 4
#define ADDS 1000

static const char *code(int r)
{
    switch (r) {
    case thrd_success: return "thrd_success";
    case thrd_busy: return "thrd_busy";
    case thrd_timedout: return "thrd_timedout";
    case thrd_nomem: return "thrd_nomem";
    case thrd_error: return "thrd_error";
    }
    return "?";
}

static void showcode(const char *what, int r)
{
    printf("%s = %s\n", what, code(r));
}

static mtx_t lock;          /* mtx_plain: the counter and the gate */
static cnd_t opened;
static int counter, open_;  /* under lock */
static tss_t key;
static atomic_int tss_dtors, tss_own, once_runs;
static once_flag flag = ONCE_FLAG_INIT;
static thrd_t ids[WORKERS]; /* each worker's thrd_current */

static void tss_dtor(void *p)
{
    (void)p;
    atomic_fetch_add(&tss_dtors, 1);
}

static void once_init(void)
{
    atomic_fetch_add(&once_runs, 1);
}

/* Waits at the gate, counts, checks its tss value; worker 3 ends with thrd_exit. */
static int worker(void *arg)
{
    int i = (int)(intptr_t)arg;
    ids[i] = thrd_current();
    tss_set(key, &ids[i]);
    call_once(&flag, once_init);
    mtx_lock(&lock);
    while (!open_)
        cnd_wait(&opened, &lock);
    mtx_unlock(&lock);
    for (int k = 0; k < ADDS; k++) {
        mtx_lock(&lock);
        counter++;
        mtx_unlock(&lock);
        if (k % 100 == 0)
            thrd_yield();
    }
    thrd_sleep(&(struct timespec){ 0, 10000000L }, NULL);
    if (tss_get(key) == &ids[i])
        atomic_fetch_add(&tss_own, 1);
    if (i == WORKERS - 1)
        thrd_exit(100 + i);
    return 100 + i;
}

static mtx_t timed;        /* mtx_timed, held by main */
static double took;

static int try_timed(void *arg)
{
    (void)arg;
    return mtx_trylock(&timed);
}

static int wait_timed(void *arg)
{
    (void)arg;
    struct timespec ts = deadline(CLOCK_REALTIME, 100);
    double t0 = now();
    int r = mtx_timedlock(&timed, &ts);
    took = now() - t0;
    if (r == thrd_success)
        mtx_unlock(&timed);
    return r;
}

static atomic_int detached_ran;

static int detached(void *arg)
{
    (void)arg;
    atomic_store(&detached_ran, 1);
    return 0;
}

/* Runs fn in a new thread; returns its result, or -1000 if that failed. */
static int other(thrd_start_t fn)
{
    thrd_t t;
    int res = -1000;
    if (thrd_create(&t, fn, NULL) != thrd_success || thrd_join(t, &res) != thrd_success)
        return -1000;
    return res;
}

static void workers(void)
{
    thrd_t t[WORKERS];
    int ok = 0;
    for (int i = 0; i < WORKERS; i++)
        ok += thrd_create(&t[i], worker, (void *)(intptr_t)i) == thrd_success;
    show("thrd_create thrd_success", ok);
    report_tasks(); /* all at the gate */
    thrd_sleep(&(struct timespec){ 0, 20000000L }, NULL);
    mtx_lock(&lock);
    show("counter before the gate opens", counter);
    open_ = 1;
    cnd_broadcast(&opened);
    mtx_unlock(&lock);
    for (int i = 0; i < WORKERS; i++) {
        int res = -1;
        char what[64];
        snprintf(what, sizeof what, "thrd_join(worker %d)", i);
        showcode(what, thrd_join(t[i], &res));
        printf("  result %d%s, thrd_current was its id: %s\n", res, i == WORKERS - 1 ? " (thrd_exit)" : "",
               thrd_equal(t[i], ids[i]) ? "yes" : "no");
    }
    show("counter", counter);
    show("threads that read their own tss value", atomic_load(&tss_own));
    show("tss destructor calls", atomic_load(&tss_dtors));
    show("call_once runs", atomic_load(&once_runs));
    yesno("thrd_equal(main, main)", thrd_equal(thrd_current(), thrd_current()));
    yesno("tss_get in main is NULL", tss_get(key) == NULL);
}

static void timeouts(void)
{
    struct timespec ts = deadline(CLOCK_REALTIME, 100);
    double t0 = now();
    mtx_lock(&lock);
    showcode("cnd_timedwait(100 ms)", cnd_timedwait(&opened, &lock, &ts));
    check_waited(t0, 0.1);
    mtx_unlock(&lock);

    t0 = now();
    show("thrd_sleep(50 ms)", thrd_sleep(&(struct timespec){ 0, 50000000L }, NULL));
    check_waited(t0, 0.05);

    mtx_lock(&timed);
    showcode("other thread: mtx_trylock(held)", other(try_timed));
    showcode("other thread: mtx_timedlock(held, 100 ms)", other(wait_timed));
    check(took >= 0.1 && took < 1.6, "  other thread: waited the whole timeout");
    mtx_unlock(&timed);
    showcode("other thread: mtx_timedlock(free)", other(wait_timed));

    mtx_t rec;
    mtx_init(&rec, mtx_plain | mtx_recursive);
    showcode("mtx_lock(recursive)", mtx_lock(&rec));
    showcode("mtx_lock(recursive) again", mtx_lock(&rec));
    showcode("mtx_trylock(recursive) again", mtx_trylock(&rec));
    for (int i = 0; i < 3; i++)
        showcode("mtx_unlock(recursive)", mtx_unlock(&rec));
    mtx_destroy(&rec);

    thrd_t d;
    showcode("thrd_create(to detach)", thrd_create(&d, detached, NULL));
    showcode("thrd_detach", thrd_detach(d));
    for (int i = 0; i < 2000 && !atomic_load(&detached_ran); i++)
        thrd_sleep(&(struct timespec){ 0, 1000000L }, NULL);
    yesno("the detached thread ran", atomic_load(&detached_ran));
}

int main(void)
{
    start_program();
    if (mtx_init(&lock, mtx_plain) != thrd_success || cnd_init(&opened) != thrd_success ||
        mtx_init(&timed, mtx_timed) != thrd_success || tss_create(&key, tss_dtor) != thrd_success)
        die("c11 init");
    workers();
    timeouts();
    return finish_program("c11_threads");
}
