/* Objects glibc keeps; see kept.h.
 *
 * Two kinds of wait go to the pool. A kernel wait (kwait) is futex_waitv
 * on the object's word, made only after the word says that the holder
 * will wake it (the waiters bit set, as glibc's own waiters set it): the
 * green thread then takes the object itself with glibc's trylock, on its
 * own thread, so glibc records it as the owner. This serves mutexes and
 * semaphores. A second word of the job's own, in the same futex_waitv,
 * lets a signal handler stop the wait at once. rwlocks and barriers,
 * whose waiting glibc does not expose, run glibc's blocking call on the
 * pool thread itself; an rwlock's writer is then written over with the
 * green thread's task id. A process-shared condition variable waits on
 * the pool with a stand-in mutex, which the pool thread's wait releases
 * once it is counted as a waiter; only then does the green thread
 * release the program's mutex, so that no signal falls between.
 *
 * A PI mutex cannot be waited for by another thread (the kernel gives it
 * to its waiter), so it is polled, as green__poll_until does. */
#include "kept.h"

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/syscall.h>

#include "clock.h"
#include "common.h"
#include "green.h"
#include "cond.h"
#include "hub.h"
#include "mutex.h"
#include "offload.h"
#include "oslock.h"
#include "real.h"
#include "thread.h"
#include "tls.h"
#include "wait.h"

/* glibc 2.36's __kind bits and lock words (nptl/pthreadP.h) */
#define KIND_TYPE 3
#define KIND_RECURSIVE 1
#define KIND_ERRORCHECK 2
#define KIND_ROBUST 16
#define KIND_PI 32
#define KIND_PP 64
#define KIND_PSHARED 128
#define PP_CEILING 0xfff80000u  /* PP: the ceiling above the lock state */
#define SEM_SHARED 128          /* sem_t's `private` when process-shared */

/* ---- Green owners ------------------------------------------------------
 * Address of a mutex or rwlock glibc records as held by this OS thread's
 * task id, and the green thread that holds it. Few are held at once. */

struct owner {
    const void *obj;
    uint64_t id;
    bool robust;  /* a robust mutex: its owner's end marks it */
};

static struct green__oslock owners_lock;
static struct owner *owners;
static size_t nowners, capowners;

static struct owner *owner_find(const void *obj)
{
    for (size_t i = 0; i < nowners; i++)
        if (owners[i].obj == obj)
            return &owners[i];
    return NULL;
}

/* The green thread recorded for obj, or 0. */
static uint64_t owner_get(const void *obj)
{
    green__oslock_lock(&owners_lock);
    struct owner *o = owner_find(obj);
    uint64_t id = o ? o->id : 0;
    green__oslock_unlock(&owners_lock);
    return id;
}

/* On ENOMEM the record is missing, and glibc's task id decides alone. */
static void owner_set(const void *obj, uint64_t id, bool robust)
{
    green__oslock_lock(&owners_lock);
    struct owner *o = owner_find(obj);
    if (!o && nowners == capowners) {
        size_t n = capowners ? 2 * capowners : 16;
        struct owner *a = realloc(owners, n * sizeof *a);
        if (a)
            owners = a, capowners = n;
    }
    if (!o && nowners < capowners)
        o = &owners[nowners++];
    if (o)
        *o = (struct owner){obj, id, robust};
    green__oslock_unlock(&owners_lock);
}

static void owner_clear(const void *obj)
{
    green__oslock_lock(&owners_lock);
    struct owner *o = owner_find(obj);
    if (o)
        *o = owners[--nowners];
    green__oslock_unlock(&owners_lock);
}

static struct green_thread *self(void)
{
    return green__hub_current()->current;
}

static pid_t my_tid(void)
{
    return green__hub_current()->tid;
}

/* Whether glibc's owner `tid` is this OS thread but another green thread
 * of it holds obj: glibc would take us for the owner. */
static bool other_green(const void *obj, pid_t tid)
{
    if (tid != my_tid())
        return false;
    uint64_t id = owner_get(obj);
    return id && id != self()->id;
}

/* ---- Spinning ---------------------------------------------------------- */

/* How long a wait tries again (taking turns with the hub's ready threads)
 * before it goes to the pool, whose two more wakes on the way (the pool
 * thread's, then the hub's) cost more than a hand-off between two
 * processes takes: see bench/pshared_wake.py in docs/BENCHMARKS.md. */
#define SPIN_NS 30000

/* Calls busy(arg) until it says no, or SPIN_NS have passed: false then. */
static bool spin(bool (*busy)(void *), void *arg)
{
    struct green__hub *h = green__hub_current();
    int64_t end = green_now() + SPIN_NS;
    for (unsigned i = 1;; i++) {
        if (!busy(arg))
            return true;
        if (i % 16 == 0 && green_now() >= end)
            return false;
        if (h->nready)
            green_yield();
        else
            green__cpu_relax();
    }
}

/* ---- Kernel waits ------------------------------------------------------ */

#ifndef SYS_futex_waitv
#define SYS_futex_waitv 449
#endif

struct kwait {
    struct green__job job;
    const _Atomic uint32_t *word;
    uint32_t val;
    bool shared;
    clockid_t clock;
    const struct timespec *at;
    _Atomic uint32_t stop;  /* 1: return now */
    int err;                /* 0 (woken, or the word moved), or an errno */
};

static void kwait_run(struct green__job *job)
{
    struct kwait *k = green__container_of(job, struct kwait, job);
    struct futex_waitv v[2] = {
        {.val = k->val, .uaddr = (uintptr_t)k->word,
         .flags = FUTEX_32 | (k->shared ? 0 : FUTEX_PRIVATE_FLAG)},
        {.val = 0, .uaddr = (uintptr_t)&k->stop,
         .flags = FUTEX_32 | FUTEX_PRIVATE_FLAG},
    };
    long r = green__real.syscall(SYS_futex_waitv, v, 2, 0, k->at,
                                 k->at ? k->clock : CLOCK_MONOTONIC);
    /* EINTR only on the caller's own thread (pool threads block every
     * signal): a handler that did not restart the call. */
    k->err = r >= 0 || errno == EAGAIN ? 0 : errno;
}

static void kwait_stop(struct green__job *job)
{
    struct kwait *k = green__container_of(job, struct kwait, job);
    atomic_store(&k->stop, 1);
    green__real.syscall(SYS_futex, &k->stop, FUTEX_WAKE_PRIVATE, 1);
}

/* Waits in the kernel while *word == val, or until `at`: 0 (woken, or
 * *word moved), -ETIMEDOUT, or an interruption flags allow. */
static int kwait(const _Atomic uint32_t *word, uint32_t val, bool shared,
                 clockid_t clock, const struct timespec *at, int flags,
                 const char *call)
{
    struct kwait k = {.job = {.run = kwait_run, .call = call},
                      .word = word, .val = val, .shared = shared,
                      .clock = clock, .at = at};
    if (flags & (GREEN__EINTR | GREEN__ERESTART))
        k.job.stop = kwait_stop;
    int saved = errno;
    int r = green__offload(&k.job, flags | GREEN__NOCANCEL);
    errno = saved;
    if (r < 0)
        return r;
    if (k.err == EINTR)
        return flags & (GREEN__EINTR | GREEN__ERESTART) ? -EINTR : 0;
    return -k.err;
}

/* ---- Mutexes ----------------------------------------------------------- */

static int kind(const pthread_mutex_t *m)
{
    return m->__data.__kind;
}

static bool tracked(const pthread_mutex_t *m)
{
    int type = kind(m) & KIND_TYPE;
    return type == KIND_RECURSIVE || type == KIND_ERRORCHECK;
}

/* ---- Robust mutexes' owners ------------------------------------------- */

/* m's node on glibc's robust lists (tls.h). */
static void *robust_node(pthread_mutex_t *m)
{
    return &m->__data.__list.__next;
}

/* As the kernel's handle_futex_death, for a robust mutex whose owner
 * ended: marked, and one waiter woken (robust futexes are shared). */
static void robust_death(pthread_mutex_t *m)
{
    _Atomic uint32_t *w = (_Atomic uint32_t *)&m->__data.__lock;
    uint32_t v = atomic_load(w);
    while ((v & FUTEX_TID_MASK) == (uint32_t)my_tid()) {
        uint32_t dead = (v & FUTEX_WAITERS) | FUTEX_OWNER_DIED;
        if (atomic_compare_exchange_weak(w, &v, dead)) {
            if (v & FUTEX_WAITERS)
                green__real.syscall(SYS_futex, w, FUTEX_WAKE, 1);
            return;
        }
    }
}

/* The ending thread's robust mutexes: off the OS thread's list, then
 * marked. Its others stay held for good, by nobody alive. */
static void thread_end(struct green_thread *t)
{
    green__oslock_lock(&owners_lock);
    for (size_t i = 0; i < nowners;) {
        pthread_mutex_t *m = (pthread_mutex_t *)owners[i].obj;
        if (owners[i].id != t->id || !(owners[i].robust)) {
            i++;
            continue;
        }
        owners[i] = owners[--nowners];
        if (m->__data.__owner == my_tid() && m->__data.__list.__next) {
            green__tls_robust_unlink(robust_node(m));
            robust_death(m);
        }
    }
    green__oslock_unlock(&owners_lock);
}

/* After glibc's trylock took m (r 0 or EOWNERDEAD). A robust one moves
 * to the list the kernel knows, and is remembered for its owner's end. */
static void took(pthread_mutex_t *m, int r)
{
    if (r != 0 && r != EOWNERDEAD)
        return;
    bool robust = kind(m) & KIND_ROBUST;
    if (robust) {
        green__tls_robust_adopt(robust_node(m), kind(m) & KIND_PI);
        green__thread_end_hook = thread_end;
    }
    if (robust || tracked(m))
        owner_set(m, self()->id, robust);
}

static int trylock(pthread_mutex_t *m)
{
    if (other_green(m, m->__data.__owner))
        return EBUSY;
    int r = green__real.pthread_mutex_trylock(m);
    took(m, r);
    return r;
}

int green__kept_mutex_trylock(pthread_mutex_t *m)
{
    return -trylock(m);
}

/* Marks m's word as waited for, as a glibc waiter does, so that its
 * holder's unlock wakes the kernel's waiters; then waits. Returns 0 to
 * try again, or -ETIMEDOUT. */
static int mutex_wait(pthread_mutex_t *m, clockid_t clock,
                      const struct timespec *at)
{
    _Atomic uint32_t *w = (_Atomic uint32_t *)&m->__data.__lock;
    uint32_t v = atomic_load(w), want;
    if (kind(m) & KIND_ROBUST) {
        if (!(v & FUTEX_TID_MASK))
            return 0;  /* free, or its owner died: try again */
        want = v | FUTEX_WAITERS;
    } else {
        uint32_t ceiling = kind(m) & KIND_PP ? v & PP_CEILING : 0;
        if (v == ceiling)
            return 0;
        want = ceiling | 2;
    }
    if (v != want && !atomic_compare_exchange_strong(w, &v, want))
        return 0;
    bool shared = (kind(m) & (KIND_ROBUST | KIND_PSHARED)) != 0;
    return kwait(w, want, shared, clock, at, 0, "pthread_mutex_lock");
}

/* After a wait, m taken: other waiters may sleep in the kernel, so the
 * word says so, as glibc's waiter leaves it. */
static void mark_waited(pthread_mutex_t *m)
{
    _Atomic uint32_t *w = (_Atomic uint32_t *)&m->__data.__lock;
    if (kind(m) & KIND_ROBUST) {
        atomic_fetch_or(w, FUTEX_WAITERS);
        return;
    }
    uint32_t v = atomic_load(w);
    uint32_t ceiling = kind(m) & KIND_PP ? v & PP_CEILING : 0;
    if (v == (ceiling | 1))
        atomic_compare_exchange_strong(w, &v, ceiling | 2);
}

/* One try at a PI mutex, for green__poll_until. */
static int try_pi(void *m)
{
    return -trylock(m);
}

static int pi_lock(pthread_mutex_t *m, clockid_t clock,
                   const struct timespec *at)
{
    int64_t deadline = !at                ? GREEN_NEVER
                       : at->tv_sec < 0 ? 0
                                        : green__clock_deadline(clock, at);
    return green__poll_until(try_pi, m, deadline, GREEN__NOCANCEL);
}

struct try_lock {
    pthread_mutex_t *m;
    int r;
};

static bool lock_busy(void *arg)
{
    struct try_lock *t = arg;
    return (t->r = trylock(t->m)) == EBUSY;
}

int green__kept_mutex_lock(pthread_mutex_t *m, clockid_t clock,
                           const struct timespec *at)
{
    /* Our own: glibc answers at once (EDEADLK, or one more level). A
     * plain mutex, which natively hangs its thread, hangs only this one
     * in the wait below. */
    if (tracked(m) && m->__data.__owner == my_tid() &&
        owner_get(m) == self()->id)
        return -green__real.pthread_mutex_lock(m);
    if (!green__gate()) {  /* nobody else could run: glibc's wait */
        int r = at ? green__real.pthread_mutex_clocklock(m, clock, at)
                   : green__real.pthread_mutex_lock(m);
        took(m, r);
        return -r;
    }
    if (kind(m) & KIND_PI)
        return pi_lock(m, clock, at);
    struct try_lock t = {m, EBUSY};
    if (spin(lock_busy, &t) && t.r != EBUSY)
        return -t.r;
    for (bool waited = false;; waited = true) {
        int r = trylock(m);
        if (r != EBUSY) {
            if (waited && (r == 0 || r == EOWNERDEAD))
                mark_waited(m);
            return -r;
        }
        if ((r = mutex_wait(m, clock, at)) < 0)
            return r;
    }
}

int green__kept_mutex_unlock(pthread_mutex_t *m)
{
    if (other_green(m, m->__data.__owner))
        return -EPERM;
    int r = green__real.pthread_mutex_unlock(m);
    if (r == 0 && (tracked(m) || (kind(m) & KIND_ROBUST)) &&
        m->__data.__owner != my_tid())
        owner_clear(m);
    return -r;
}

/* ---- Condition variables ----------------------------------------------- */

/* The program's mutex, as the wrappers take and release it. */
static int user_unlock(pthread_mutex_t *m)
{
    return green__mutex_is_foreign(m) ? green__kept_mutex_unlock(m)
                                      : green__mutex_unlock(m);
}

static void user_relock(pthread_mutex_t *m)
{
    if (green__mutex_is_foreign(m))
        (void)green__kept_mutex_lock(m, CLOCK_REALTIME, NULL);
    else
        (void)green__mutex_lock(m, GREEN_NEVER, GREEN__NOCANCEL);
}

/* The pool thread's wait stands in for the caller's: the caller may let
 * go of the user's mutex only once that wait has begun (is counted as a
 * waiter), or a signal in between would be lost. The pool thread locks a
 * stand-in mutex, says so, and waits with it; its wait releases it only
 * once it is counted. The caller then takes the stand-in (and at once
 * gives it back) as its proof. Each thread unlocks only what it locked:
 * the caller used to lock the stand-in and leave its unlock to the pool
 * thread's wait, which POSIX does not allow (glibc's normal mutex let it
 * pass; TSan saw the caller hold it ever after, a lock-order inversion
 * with the user's mutex). */
struct cwait {
    struct green__job job;
    pthread_cond_t *c;
    pthread_mutex_t proxy;  /* the pool thread's, for its wait */
    atomic_int held;        /* 1 once the pool thread holds proxy */
    clockid_t clock;
    const struct timespec *at;
    int r;
};

static void cwait_run(struct green__job *job)
{
    struct cwait *w = green__container_of(job, struct cwait, job);
    green__real.pthread_mutex_lock(&w->proxy);
    atomic_store_explicit(&w->held, 1, memory_order_release);
    w->r = w->at ? green__real.pthread_cond_clockwait(w->c, &w->proxy,
                                                      w->clock, w->at)
                 : green__real.pthread_cond_wait(w->c, &w->proxy);
    green__real.pthread_mutex_unlock(&w->proxy);
}

/* Until the pool thread's wait has released the stand-in: until then it
 * is not counted as a waiter. Once it is free, the caller holds it. */
static bool not_begun(void *arg)
{
    struct cwait *w = arg;
    return !atomic_load_explicit(&w->held, memory_order_acquire) ||
           green__real.pthread_mutex_trylock(&w->proxy) != 0;
}

static void wait_begun(struct cwait *w)
{
    if (!spin(not_begun, w))
        for (unsigned spins = 0; not_begun(w); spins++)
            green__backoff(spins);
    green__real.pthread_mutex_unlock(&w->proxy);
}

int green__kept_cond_wait(pthread_cond_t *c, pthread_mutex_t *m,
                          clockid_t clock, const struct timespec *at)
{
    struct cwait w = {.job = {.run = cwait_run, .call = "pthread_cond_wait"},
                      .c = c, .clock = clock, .at = at};
    green__real.pthread_mutex_init(&w.proxy, NULL);
    if (green__offload_start(&w.job) < 0)
        return -EAGAIN;
    wait_begun(&w);
    int r = user_unlock(m);
    /* On EPERM glibc's wait would not have waited: end ours now. The
     * broadcast is a spurious wakeup for the others, which they allow. */
    if (r < 0)
        green__real.pthread_cond_broadcast(c);
    green__offload_end(&w.job, GREEN__NOCANCEL);
    if (r < 0)
        return r;
    user_relock(m);
    return w.r == ETIMEDOUT ? -ETIMEDOUT : 0;
}

/* The kept mutex's side of a green condition variable's wait. */
static int kept_release(void *m)
{
    return green__kept_mutex_unlock(m);
}

static void kept_relock(void *m)
{
    (void)green__kept_mutex_lock(m, CLOCK_REALTIME, NULL);
}

int green__kept_cond_wait_green(pthread_cond_t *c, pthread_mutex_t *m,
                                int64_t deadline, int flags)
{
    if (!green__self())
        return -ENOMEM;
    return green__cond_wait_with(c, m, deadline, flags, kept_release,
                                 kept_relock, m);
}

/* ---- Read-write locks --------------------------------------------------- */

struct rwait {
    struct green__job job;
    pthread_rwlock_t *l;
    bool write;
    clockid_t clock;
    const struct timespec *at;
    int r;
};

static void rwait_run(struct green__job *job)
{
    struct rwait *w = green__container_of(job, struct rwait, job);
    const struct green__real *f = &green__real;
    if (w->write)
        w->r = w->at ? f->pthread_rwlock_clockwrlock(w->l, w->clock, w->at)
                     : f->pthread_rwlock_wrlock(w->l);
    else
        w->r = w->at ? f->pthread_rwlock_clockrdlock(w->l, w->clock, w->at)
                     : f->pthread_rwlock_rdlock(w->l);
}

/* The writer glibc records, and compares with its caller's task id. */
static _Atomic int *writer(pthread_rwlock_t *l)
{
    return (_Atomic int *)&l->__data.__cur_writer;
}

static void wrote(pthread_rwlock_t *l, bool write, int r)
{
    if (write && r == 0) {
        atomic_store_explicit(writer(l), my_tid(), memory_order_relaxed);
        owner_set(l, self()->id, false);
    }
}

int green__kept_rwlock_trylock(pthread_rwlock_t *l, bool write)
{
    if (other_green(l, atomic_load(writer(l))))
        return -EBUSY;
    const struct green__real *f = &green__real;
    int r = write ? f->pthread_rwlock_trywrlock(l)
                  : f->pthread_rwlock_tryrdlock(l);
    wrote(l, write, r);
    return -r;
}

int green__kept_rwlock_lock(pthread_rwlock_t *l, bool write, clockid_t clock,
                            const struct timespec *at)
{
    if (atomic_load(writer(l)) == my_tid() && owner_get(l) == self()->id)
        return -EDEADLK;
    int r = green__kept_rwlock_trylock(l, write);
    if (r != -EBUSY)
        return r;
    struct rwait w = {.job = {.run = rwait_run, .call = "pthread_rwlock_lock"},
                      .l = l, .write = write, .clock = clock, .at = at};
    green__offload(&w.job, GREEN__NOCANCEL);
    wrote(l, write, w.r);
    return -w.r;
}

int green__kept_rwlock_unlock(pthread_rwlock_t *l)
{
    bool wrote_it = atomic_load(writer(l)) == my_tid();
    if (wrote_it && other_green(l, my_tid()))
        return -EPERM;
    int r = green__real.pthread_rwlock_unlock(l);
    if (r == 0 && wrote_it)
        owner_clear(l);
    return -r;
}

/* ---- Barriers ----------------------------------------------------------- */

struct bwait {
    struct green__job job;
    pthread_barrier_t *b;
    int r;
};

static void bwait_run(struct green__job *job)
{
    struct bwait *w = green__container_of(job, struct bwait, job);
    w->r = green__real.pthread_barrier_wait(w->b);
}

int green__kept_barrier_wait(pthread_barrier_t *b)
{
    struct bwait w = {.job = {.run = bwait_run, .call = "pthread_barrier_wait"},
                      .b = b};
    green__offload(&w.job, GREEN__NOCANCEL);
    return w.r == 0 || w.r == PTHREAD_BARRIER_SERIAL_THREAD ? w.r : -w.r;
}

/* ---- Semaphores --------------------------------------------------------- */

/* glibc's 64-bit sem_t: the value, then the count of waiters (sem.c). */
struct ksem {
    _Atomic uint32_t value;
    _Atomic uint32_t nwaiters;
    int private;
};

static int sem_try(sem_t *s)
{
    int saved = errno;
    int r = green__real.sem_trywait(s) == 0 ? 0 : -errno;
    errno = saved;
    return r;
}

struct try_sem {
    sem_t *s;
    int r;
};

static bool sem_busy(void *arg)
{
    struct try_sem *t = arg;
    return (t->r = sem_try(t->s)) == -EAGAIN;
}

int green__kept_sem_wait(sem_t *s, clockid_t clock, const struct timespec *at,
                         int flags)
{
    struct ksem *k = (struct ksem *)(void *)s;
    struct try_sem t = {s, -EAGAIN};
    if (spin(sem_busy, &t))
        return t.r;
    for (;;) {
        int r = sem_try(s);
        if (r != -EAGAIN)
            return r;
        /* Counted first, as glibc's waiter: a post after this wakes. */
        atomic_fetch_add(&k->nwaiters, 1);
        r = kwait(&k->value, 0, k->private == SEM_SHARED, clock, at, flags,
                  "sem_wait");
        atomic_fetch_sub(&k->nwaiters, 1);
        if (r == -EINTR)  /* a post that came with the signal wins */
            return sem_try(s) == 0 ? 0 : -EINTR;
        if (r < 0)
            return r;
    }
}
