/* The offload pool; see offload.h.
 *
 * One queue of jobs under one glibc mutex, and OS threads made with the
 * real pthread_create that take jobs from it. Everything the pool calls
 * is glibc's own (green__real): its threads have no hub, and the wrappers
 * would give them one if they waited on a green mutex.
 *
 * A job's state word decides who owns it once run has returned:
 *   WAITING   the caller waits (or is about to)
 *   DONE      the worker finished and is waking the caller
 *   RELEASED  the worker is done with the job and the caller: the caller
 *             may return (its job may live on its stack)
 *   ABANDONED the caller left (kill, timeout, signal): the pool owns the
 *             job and calls discard once run returns
 * The worker moves WAITING to DONE, the caller WAITING to ABANDONED, with
 * one compare-and-swap each, so exactly one of them wins. A caller that
 * lost sees DONE or RELEASED and takes the result; it never returns
 * before RELEASED, so the worker never touches a stack or thread that is
 * gone.
 *
 * Not handled: a job whose caller vanished in a fork (see
 * green__offload_fork_child) is leaked in the child. */
#include "offload.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>

#include "cancel.h"
#include "clock.h"
#include "common.h"
#include "config.h"
#include "green.h"
#include "hub.h"
#include "log.h"
#include "oslock.h"
#include "real.h"
#include "thread.h"
#include "wait.h"

enum { WAITING, DONE, RELEASED, ABANDONED };

int64_t green__offload_idle_ns = 5000000000;

/* The pool. Held only for list and counter updates, never across a job
 * or a thread start. */
static struct {
    pthread_mutex_t lock;
    pthread_cond_t more;            /* a job was queued: for idle workers */
    struct green__job *head, *tail; /* queued jobs, FIFO via ->next */
    unsigned queued;                /* jobs in the queue */
    unsigned threads;               /* workers alive or being started */
    unsigned idle;                  /* workers waiting on `more` */
    unsigned spinning;              /* workers looking for a next job */
    atomic_uint pending;            /* `queued`, for spinning workers */
    unsigned peak;                  /* the most threads at once */
} pool = {.lock = PTHREAD_MUTEX_INITIALIZER, .more = PTHREAD_COND_INITIALIZER};

static void lock(void)
{
    green__real.pthread_mutex_lock(&pool.lock);
}

static void unlock(void)
{
    green__real.pthread_mutex_unlock(&pool.lock);
}

/* Takes the first queued job (with the lock held), or NULL. */
static struct green__job *take(void)
{
    struct green__job *job = pool.head;
    if (job) {
        pool.head = job->next;
        if (!pool.head)
            pool.tail = NULL;
        pool.queued--;
        atomic_store_explicit(&pool.pending, pool.queued,
                              memory_order_relaxed);
    }
    return job;
}

/* Runs a job on a worker and hands it back, or discards it. */
static void finish(struct green__job *job)
{
    job->run(job);
    int s = WAITING;
    if (!atomic_compare_exchange_strong(&job->state, &s, DONE)) {
        job->discard(job);  /* ABANDONED: nobody waits for it */
        return;
    }
    green__unpark(job->waiter, 0);
    atomic_store_explicit(&job->state, RELEASED, memory_order_release);
}

/* How long a worker that finished a job looks for the next one before
 * it sleeps: a green thread that waits in a loop (on a process-shared
 * condition variable, say) queues its next wait within microseconds, and
 * a worker still awake takes it without the wake of a sleeping one. */
#define SPIN_NS 50000

/* Spins (with the lock released) until a job is queued or SPIN_NS pass. */
static void look_for_work(void)
{
    pool.spinning++;
    unlock();
    int64_t end = green_now() + SPIN_NS;
    for (unsigned i = 1; !atomic_load_explicit(&pool.pending,
                                               memory_order_relaxed);
         i++) {
        if (i % 64 == 0 && green_now() >= end)
            break;
        green__cpu_relax();
    }
    lock();
    pool.spinning--;
}

static void *worker(void *arg)
{
    (void)arg;
    prctl(PR_SET_NAME, "green-offload");
    lock();
    for (bool looked = false;;) {
        struct green__job *job = take();
        if (job) {
            unlock();
            finish(job);
            lock();
            looked = false;
            continue;
        }
        if (!looked) {
            look_for_work();
            looked = true;
            continue;
        }
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        int64_t end = (int64_t)ts.tv_sec * GREEN__NS_PER_S + ts.tv_nsec +
                      green__offload_idle_ns;
        ts = (struct timespec){end / GREEN__NS_PER_S, end % GREEN__NS_PER_S};
        pool.idle++;
        int r = green__real.pthread_cond_clockwait(&pool.more, &pool.lock,
                                                   CLOCK_MONOTONIC, &ts);
        pool.idle--;
        if (r == ETIMEDOUT && !pool.head)
            break;  /* idle for green__offload_idle_ns: retire */
    }
    pool.threads--;
    unlock();
    return NULL;
}

/* Starts a worker with every signal blocked, so that the program's
 * handlers never run on it (the mask is inherited and kept for life).
 * pthread_sigmask, not the raw syscall: glibc keeps its own SIGCANCEL
 * and SIGSETXID deliverable, which setuid() in a threaded program needs. */
static int start_worker(void)
{
    pthread_attr_t attr;
    pthread_t th;
    sigset_t all, old;
    if (pthread_attr_init(&attr) != 0)
        return -ENOMEM;
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    sigfillset(&all);
    /* The real call: the wrapper would set the caller's green mask. */
    green__reals()->pthread_sigmask(SIG_SETMASK, &all, &old);
    int r = green__real.pthread_create(&th, &attr, worker, NULL);
    green__reals()->pthread_sigmask(SIG_SETMASK, &old, NULL);
    pthread_attr_destroy(&attr);
    return -r;
}

/* Queues job, starting a worker if no idle one will take it. Returns 0,
 * or -EAGAIN if no worker exists to run it (the job is not queued). */
static int submit(struct green__job *job)
{
    job->next = NULL;
    lock();
    *(pool.tail ? &pool.tail->next : &pool.head) = job;
    pool.tail = job;
    pool.queued++;
    atomic_store_explicit(&pool.pending, pool.queued, memory_order_relaxed);
    bool start = pool.queued > pool.idle + pool.spinning &&
                 pool.threads < green__config.offload_threads;
    if (start) {
        pool.threads++;
        if (pool.threads > pool.peak)
            pool.peak = pool.threads;
    } else if (pool.queued > pool.spinning) {
        green__real.pthread_cond_signal(&pool.more);
    }
    unlock();
    if (!start)
        return 0;
    int r = start_worker();
    if (r == 0)
        return 0;
    lock();
    pool.threads--;
    bool orphan = pool.threads == 0;
    if (orphan) {  /* nobody will run it: take it back */
        struct green__job **p = &pool.head, *prev = NULL;
        while (*p != job)
            prev = *p, p = &(*p)->next;
        *p = job->next;
        if (pool.tail == job)
            pool.tail = prev;
        pool.queued--;
        atomic_store_explicit(&pool.pending, pool.queued,
                              memory_order_relaxed);
    }
    unlock();
    green__log(GREEN__LOG_WARN, "offload: cannot start a thread: %s",
               strerror(-r));
    return orphan ? -EAGAIN : 0;
}

int green__offload_start(struct green__job *job)
{
    struct green__hub *h = green__hub_current();
    h->stats.offloads++;
    if (green__unlikely(green__config.stats))
        green__stats_offload_slow(h, job->call);
    job->waiter = h->current;
    atomic_store_explicit(&job->state, WAITING, memory_order_relaxed);
    return submit(job);
}

int green__offload_end(struct green__job *job, int flags)
{
    if (!(flags & GREEN__WHY)) {
        green__wait_why(GREEN__WHY_OFFLOAD, NULL, 0);
        job->waiter->wait.call = job->call ? job->call : "call";
        job->waiter->wait.arg = job->arg;
    }
    if (!job->discard && !job->stop)
        flags = GREEN__NOCANCEL;  /* the caller must wait for the end */
    int stopped = 0;
    for (unsigned spins = 0;;) {
        int s = atomic_load_explicit(&job->state, memory_order_acquire);
        if (s == RELEASED) {
            /* The worker's wake may still be pending (it came before
             * a park, or after a kill's): take it now rather than have
             * the next wait return for nothing. A kill stays pending. */
            green__park_flags(0, GREEN__NOCANCEL);
            return stopped;
        }
        if (s == DONE) {  /* the worker is a few instructions from done */
            green__backoff(spins++);
            continue;
        }
        int r = green__park_flags(GREEN_NEVER, flags);
        if (r < 0 && job->stop) {
            job->stop(job);  /* then wait for the end, as it comes */
            stopped = r;
            flags = GREEN__NOCANCEL;
        } else if (r < 0 && job->discard) {
            s = WAITING;
            if (atomic_compare_exchange_strong(&job->state, &s, ABANDONED))
                return r;  /* the job is the pool's now */
            if (r == -ECANCELED)
                green__cancel_keep();  /* the result won: fail the next */
        }
    }
}

int green__offload(struct green__job *job, int flags)
{
    if (!green__gate() || green__offload_start(job) < 0) {
        job->run(job);  /* nobody else could use the time, or no worker */
        return 0;
    }
    return green__offload_end(job, flags);
}

unsigned green__offload_peak(void)
{
    /* A plain read: a statistic, perhaps stale, and no lock that a
     * program without a hub (whose real table is unresolved) would need. */
    return *(volatile unsigned *)&pool.peak;
}

void green__offload_fork_child(void)
{
    pool.lock = (pthread_mutex_t)PTHREAD_MUTEX_INITIALIZER;
    pool.more = (pthread_cond_t)PTHREAD_COND_INITIALIZER;
    pool.head = pool.tail = NULL;
    pool.queued = pool.threads = pool.idle = pool.spinning = 0;
    atomic_store_explicit(&pool.pending, 0, memory_order_relaxed);
}
