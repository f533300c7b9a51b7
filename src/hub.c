/* The hub: run queue, scheduler context, libev loop and cross-thread wake
 * queue of one OS thread; see hub.h. Only this file, wait.c and ready.c
 * include <ev.h>. The hub lives as long as the process: wakes from other OS
 * threads may name it at any time. */
#include "hub.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <ev.h>

#include "common.h"
#include "config.h"
#include "context.h"
#include "dump.h"
#include "fdtab.h"
#include "intr.h"
#include "log.h"
#include "monitor.h"
#include "offload.h"
#include "overflow.h"
#include "ready.h"
#include "real.h"
#include "sigmask.h"
#include "tid.h"
#include "tls.h"
#include "tp.h"
#include "wait.h"

#define SCHED_STACK (128 * 1024)

/* Pauses a hub with nothing to run spends watching its inbox before it
 * sleeps in epoll_wait (see sleep_once). */
static const unsigned spin_iters = 200;

/* Vyukov's intrusive multi-producer single-consumer queue: producers on
 * any OS thread push with one atomic exchange, only the hub pops. */
struct wakeq {
    struct green__wnode *_Atomic tail;     /* producers' end */
    struct green__wnode *head;             /* consumer's end */
    struct green__wnode stub;
};

/* The hub's libev side, and its inbox: threads to make ready, and mail
 * (an fd another hub closed). */
struct green__hub_ev {
    ev_async async;                        /* wakes ev_run for the inbox */
    ev_timer stats;                        /* main hub: GREEN_STATS=PERIOD */
    _Alignas(64) struct wakeq wake;
    struct wakeq mail;
};

/* Mail: fd, closed on another hub while its file was the one of
 * generation gen. */
struct mail {
    struct green__wnode node;
    int fd;
    unsigned gen;
};

__thread struct green__hub *green__tls_hub
    __attribute__((tls_model("initial-exec")));
__thread int green__tls_internal __attribute__((tls_model("initial-exec")));

static void wakeq_init(struct wakeq *q)
{
    atomic_store(&q->stub.next, NULL);
    q->head = &q->stub;
    atomic_store(&q->tail, &q->stub);
}

/* Whether the consumer may find something (or a producer is between its
 * two steps). */
static bool wakeq_busy(struct wakeq *q)
{
    return q->head != &q->stub ||
           atomic_load_explicit(&q->tail, memory_order_relaxed) != &q->stub;
}

static void wakeq_push(struct wakeq *q, struct green__wnode *n)
{
    atomic_store_explicit(&n->next, NULL, memory_order_relaxed);
    struct green__wnode *prev =
        atomic_exchange_explicit(&q->tail, n, memory_order_acq_rel);
    atomic_store_explicit(&prev->next, n, memory_order_release);
}

/* NULL when empty, or when a producer is between its two steps: that
 * producer's ev_async_send then brings the consumer back. */
static struct green__wnode *wakeq_pop(struct wakeq *q)
{
    struct green__wnode *head = q->head;
    struct green__wnode *next =
        atomic_load_explicit(&head->next, memory_order_acquire);
    if (head == &q->stub) {
        if (!next)
            return NULL;
        q->head = head = next;
        next = atomic_load_explicit(&head->next, memory_order_acquire);
    }
    if (next) {
        q->head = next;
        return head;
    }
    if (head != atomic_load_explicit(&q->tail, memory_order_acquire))
        return NULL;
    wakeq_push(q, &q->stub);
    next = atomic_load_explicit(&head->next, memory_order_acquire);
    if (!next)
        return NULL;
    q->head = next;
    return head;
}

static struct green__oslock hubs_lock;
static struct green__hub *volatile vanished;  /* a fork child's other hubs */
static struct green__hub *hubs;  /* via all_next, newest first */
struct green__hub *_Atomic green__hub_main;
atomic_bool green__hub_many;

/* The GREEN_HUBS slots: 0 is the main thread's hub, the others the hubs
 * started for placements (NULL until then). */
static struct green__hub *_Atomic slots[GREEN__CONFIG_HUBS_MAX];
static struct green__oslock start_lock;  /* held to start one */

/* The slot a worker OS thread's hub takes, set by worker_main before its
 * hub is made; 0 in every other OS thread. */
static __thread unsigned worker_slot;

void green__hub_each(void (*fn)(struct green__hub *h, void *arg), void *arg)
{
    green__oslock_lock(&hubs_lock);
    for (struct green__hub *h = hubs; h; h = h->all_next)
        fn(h, arg);
    green__oslock_unlock(&hubs_lock);
}

void green__hub_enlist(struct green__hub *h, struct green_thread *t)
{
    green__oslock_lock(&h->threads_lock);
    t->all_prev = NULL;
    t->all_next = h->threads;
    if (h->threads)
        h->threads->all_prev = t;
    h->threads = t;
    green__oslock_unlock(&h->threads_lock);
}

void green__hub_delist(struct green__hub *h, struct green_thread *t)
{
    green__oslock_lock(&h->threads_lock);
    *(t->all_prev ? &t->all_prev->all_next : &h->threads) = t->all_next;
    if (t->all_next)
        t->all_next->all_prev = t->all_prev;
    t->all_next = t->all_prev = NULL;
    green__oslock_unlock(&h->threads_lock);
}

void green__hub_ready(struct green__hub *h, struct green_thread *t)
{
    if (green__unlikely(t->id < h->fork_mark) && t != h->forker)
        return;  /* vanished in a fork: see green__hub_fork_child */
    __atomic_store_n(&t->state, GREEN__READY, __ATOMIC_RELAXED);
    t->next = NULL;
    h->nready++;
    if (h->runq_tail)
        h->runq_tail->next = t;
    else
        h->runq_head = t;
    h->runq_tail = t;
}

static struct green_thread *runq_pop(struct green__hub *h)
{
    struct green_thread *t = h->runq_head;
    if (t) {
        h->nready--;
        h->runq_head = t->next;
        if (!h->runq_head)
            h->runq_tail = NULL;
    }
    return t;
}

/* After a push to h's inbox: the eventfd write, only if h sleeps or is
 * about to. The push's stores, then this load: sched_main stores the
 * flag, then looks at the inbox (both seq_cst), so that one of the two
 * sees the other. */
static void send_wake(struct green__hub *h)
{
    green__tls_internal++;
    ev_async_send(h->loop, &h->ev->async);
    green__tls_internal--;
}

/* Nudges held by green__hub_hold, in this thread's TLS (a green
 * thread's own: no switch comes between hold and release). */
#define HELD 8
static __thread struct {
    bool on;
    unsigned n;
    struct green__hub *h[HELD];
} held __attribute__((tls_model("initial-exec")));

/* A pin keeps h from being freed (destroy waits for none to be left):
 * a waker takes one before its push to h's inbox, since from the push on
 * the woken thread may run, end, and its OS thread exit and free h, all
 * before the waker's nudge has read h (TSan saw a wake read the freed
 * h->loop and h->ev). */
static void pin(struct green__hub *h)
{
    atomic_fetch_add(&h->pinned, 1);
}

static void unpin(struct green__hub *h)
{
    atomic_fetch_sub_explicit(&h->pinned, 1, memory_order_release);
}

/* After a push to h's inbox, with h pinned: nudges h, and gives up the
 * pin (at green__hub_release for a nudge it holds). */
static void nudge(struct green__hub *h)
{
    atomic_thread_fence(memory_order_seq_cst);
    if (!atomic_load_explicit(&h->sleeping, memory_order_relaxed) || h->gone) {
        unpin(h);
        return;
    }
    if (held.on) {
        for (unsigned i = 0; i < held.n; i++)
            if (held.h[i] == h) {
                unpin(h);  /* the held entry has its own */
                return;
            }
        if (held.n < HELD) {
            held.h[held.n++] = h;
            return;
        }
    }
    send_wake(h);
    unpin(h);
}

void green__hub_hold(void)
{
    held.on = true;
}

void green__hub_release(void)
{
    held.on = false;
    for (unsigned i = 0; i < held.n; i++) {
        send_wake(held.h[i]);
        unpin(held.h[i]);
    }
    held.n = 0;
}

void green__hub_wake(struct green_thread *t)
{
    struct green__hub *h = t->hub;
    if (h == green__tls_hub) {
        green__hub_ready(h, t);
        return;
    }
    pin(h);
    wakeq_push(&h->ev->wake, &t->wnode);
    nudge(h);
}

void green__hub_adopt_remote(struct green_thread *t)
{
    t->arriving = true;
    green__hub_wake(t);
}

/* A thread made for h on another hub joins h's books. */
static void arrive(struct green__hub *h, struct green_thread *t)
{
    t->arriving = false;
    h->live++;
    if (h->live > h->stats.peak)
        h->stats.peak = h->live;
    green__sigmask_arrive(h, t);
    green__hub_enlist(h, t);
}

/* Takes what the inbox holds: threads to make ready, fds to forget.
 * Returns whether it found anything. */
static bool drain(struct green__hub *h)
{
    bool any = false;
    struct green__wnode *n;
    while ((n = wakeq_pop(&h->ev->wake))) {
        struct green_thread *t =
            green__container_of(n, struct green_thread, wnode);
        if (t->arriving)
            arrive(h, t);
        green__hub_ready(h, t);
        h->stats.xwakes++;
        any = true;
    }
    while ((n = wakeq_pop(&h->ev->mail))) {
        struct mail *m = green__container_of(n, struct mail, node);
        if (green__io_gen(h, m->fd) == m->gen)
            green__io_close(h, m->fd);
        free(m);
        any = true;
    }
    return any;
}

static void async_cb(struct ev_loop *loop, ev_async *w, int revents)
{
    (void)loop, (void)revents;
    struct green__hub *h = w->data;
    drain(h);
    green__intr_deliver(h);  /* waits a signal handler interrupted */
    green__dump_poll();      /* a dump the dump signal asked for */
}

void green__hub_fd_closing(int fd)
{
    struct green__hub *self = green__tls_hub;
    if (self)
        green__io_close(self, fd);
    struct green__fd *e = green__fd_peek(fd);
    unsigned bits = e ? atomic_load(&e->hubs) : 0;
    if (self && self->index < 32)
        bits &= ~(1u << self->index);
    if (!bits)
        return;
    unsigned gen = atomic_load(&e->gen);
    unsigned n = green__config_hubs();
    for (unsigned i = 0; i < n; i++) {
        struct green__hub *h = atomic_load(&slots[i]);
        if (!h || h == self || !(bits & (1u << (i < 31 ? i : 31))))
            continue;
        struct mail *m = malloc(sizeof *m);
        if (!m)
            continue;  /* its waiters find out when they try */
        m->fd = fd;
        m->gen = gen;
        pin(h);
        wakeq_push(&h->ev->mail, &m->node);
        nudge(h);
    }
}

static void stats_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop, (void)w, (void)revents;
    green__stats_tick();
}

void green__hub_poke(struct green__hub *h)
{
    green__tls_internal++;  /* libev's eventfd write is ours */
    ev_async_send(h->loop, &h->ev->async);
    green__tls_internal--;
}

/* After a poll: the next comes when the threads now ready have run. */
static void polled(struct green__hub *h)
{
    long busy = (long)h->nready + (h->current && h->current != &h->first) -
                atomic_load_explicit(&h->unstarted, memory_order_relaxed);
    atomic_store_explicit(&h->busy, busy > 0 ? (unsigned)busy : 0,
                          memory_order_relaxed);
    h->polled_at = green_now();
    h->since_poll = 0;
    h->poll_after = h->nready > green__config.poll_every
                        ? h->nready
                        : green__config.poll_every;
}

/* Runs the loop once without waiting (callbacks only make threads ready). */
static void poll_nowait(struct green__hub *h)
{
    green__tls_internal++;
    ev_run(h->loop, EVRUN_NOWAIT);
    green__tls_internal--;
    drain(h);
    polled(h);
}

/* One more switch. Only this OS thread writes the count: no atomic
 * read-modify-write is needed, only a store the monitor may read. */
static inline void count_switch(struct green__hub *h)
{
    atomic_store_explicit(
        &h->switch_seq,
        atomic_load_explicit(&h->switch_seq, memory_order_relaxed) + 1,
        memory_order_relaxed);
}

void green__hub_switch(struct green__hub *h)
{
    struct green_thread *self = h->current;
    if (green__unlikely(green__config.stats))
        green__stats_ran(h, self);
    if (green__unlikely(++h->since_poll >= h->poll_after))
        poll_nowait(h);
    else if (wakeq_busy(&h->ev->wake))
        drain(h);
    struct green_thread *next = runq_pop(h);
    if (next == self) {  /* it was woken while polling */
        __atomic_store_n(&self->state, GREEN__RUNNING, __ATOMIC_RELAXED);
        return;
    }
    self->saved_errno = errno;
    if (green__unlikely(!green__stack_intact(&self->stack)))
        green__overflow_report(self, NULL);
    void *to = h->sched_sp, *tp = h->first.tp;
    __atomic_store_n(&h->current, next, __ATOMIC_RELAXED);
    if (next) {
        count_switch(h);
        __atomic_store_n(&next->state, GREEN__RUNNING, __ATOMIC_RELAXED);
        to = next->sp;
        tp = next->tp;
    }
    green__sigmask_switch(h, self, next ? next : &h->first);
    /* Nothing may touch TLS between these two: the stack is still this
     * thread's, the TLS already the next one's. */
    green__san_leave(&self->san, next ? &next->san : &h->sched_san, false);
    if (tp != self->tp)
        green__tp_set(tp);
    green__switch(&self->sp, to);
    green__san_enter(&self->san);
    errno = self->saved_errno;
}

/* Nothing to run: waits in the loop for a wake, a timer or an fd. The
 * flag first, then the inbox (see nudge): what a waker pushed before it
 * saw the flag is found here; what it pushes after, it nudges for. */
static void sleep_once(struct green__hub *h)
{
    atomic_store_explicit(&h->busy, 0, memory_order_relaxed);
    for (unsigned i = spin_iters; i; i--) {
        if (wakeq_busy(&h->ev->wake) && drain(h))
            return;
        green__cpu_relax();
    }
    atomic_store(&h->sleeping, 1);
    atomic_thread_fence(memory_order_seq_cst);
    if (drain(h)) {
        atomic_store_explicit(&h->sleeping, 0, memory_order_relaxed);
        return;
    }
    green__tls_internal++;
    ev_run(h->loop, EVRUN_ONCE);
    green__tls_internal--;
    atomic_store_explicit(&h->sleeping, 0, memory_order_relaxed);
    polled(h);
}

/* The scheduler context: reaps ended threads, runs ready ones, and blocks
 * in the loop when there are none. When the hub has no live thread left,
 * its adopted thread (which ended) is resumed to end the OS thread. */
static void sched_main(void *arg)
{
    struct green__hub *h = arg;
    green__san_enter(&h->sched_san);
    for (;;) {
        if (h->reap) {
            struct green_thread *t = h->reap;
            h->reap = NULL;
            green__thread_reap(t);
        }
        struct green_thread *next = runq_pop(h);
        if (!next && h->live == 0)
            next = &h->first;
        if (!next) {
            sleep_once(h);
            continue;
        }
        __atomic_store_n(&h->current, next, __ATOMIC_RELAXED);
        __atomic_store_n(&next->state, GREEN__RUNNING, __ATOMIC_RELAXED);
        green__sigmask_switch(h, &h->first, next);
        count_switch(h);
        if (green__unlikely(green__config.stats))
            green__stats_ran(h, NULL);  /* its run starts now */
        green__san_leave(&h->sched_san, &next->san, false);
        if (next->tp != h->first.tp)
            green__tp_set(next->tp);
        green__switch(&h->sched_sp, next->sp);
        green__san_enter(&h->sched_san);
    }
}

static pthread_key_t hub_key;  /* its destructor frees a hub at exit */

/* A slot whose OS thread could not be started. */
#define FAILED ((struct green__hub *)(uintptr_t)1)

struct green__hub *green__hub_peek(unsigned i)
{
    struct green__hub *h = atomic_load_explicit(&slots[i], memory_order_acquire);
    return h == FAILED ? NULL : h;
}

/* A hub's own OS thread: it makes its hub, then its adopted context
 * idles, parked for good, while the scheduler runs the green threads
 * placed there. It starts with every signal blocked, so that the real
 * mask follows those threads' masks alone (sigmask.c), and it never
 * ends: the process ends when its last green thread does (thread.c). */
static void *worker_main(void *arg)
{
    worker_slot = (unsigned)(uintptr_t)arg;
    /* The synchronous signals stay open: only the code running can raise
     * them, and the mask then does not change as the scheduler comes in
     * and out (sigmask.c). */
    sigset_t sync;
    green__sigset_from(&sync, GREEN__SIG_SYNC);
    green__reals()->pthread_sigmask(SIG_UNBLOCK, &sync, NULL);
    free(malloc(1));  /* its malloc cache, its green threads' too (tls.c) */
    struct green__hub *h = green__hub_get();
    atomic_store_explicit(&slots[worker_slot], h ? h : FAILED,
                          memory_order_release);
    if (!h)
        return NULL;
    for (;;)
        green__park(GREEN_NEVER);
}

struct green__hub *green__hub_slot(unsigned i)
{
    struct green__hub *h = atomic_load_explicit(&slots[i], memory_order_acquire);
    if (h || i == 0)
        return h == FAILED ? NULL : h;
    const struct green__real *real = green__reals();
    green__oslock_lock(&start_lock);
    if (!atomic_load(&slots[i])) {
        sigset_t all, old;
        sigfillset(&all);
        pthread_t th;
        green__tls_internal++;
        real->pthread_sigmask(SIG_SETMASK, &all, &old);
        int r = real->pthread_create(&th, NULL, worker_main,
                                     (void *)(uintptr_t)i);
        real->pthread_sigmask(SIG_SETMASK, &old, NULL);
        green__tls_internal--;
        if (r == 0) {
            real->pthread_detach(th);
            while (!atomic_load(&slots[i]))
                green__os_nap(20000);
        } else {
            atomic_store(&slots[i], FAILED);
            green__log(GREEN__LOG_WARN, "cannot start hub %u: %s", i,
                       strerror(r));
        }
    }
    green__oslock_unlock(&start_lock);
    return green__hub_peek(i);
}

/* Frees h when its OS thread exits, if nothing of it is left: no green
 * thread but the adopted one, which is ending now. Otherwise (green
 * threads would be stranded) the hub is kept, as a process keeps the
 * threads main() left behind until it exits. */
static void destroy(void *arg)
{
    struct green__hub *h = arg;
    green__thread_os_exit(h);
    if (h->live > 1 || h->runq_head || h->current != &h->first) {
        green__log(GREEN__LOG_DEBUG, "OS thread exits with %zu green threads "
                   "left on its hub", h->live - 1);
        return;
    }
    green__tls_hub = NULL;
    green__oslock_lock(&hubs_lock);
    for (struct green__hub **p = &hubs; *p; p = &(*p)->all_next) {
        if (*p == h) {
            *p = h->all_next;
            break;
        }
    }
    green__oslock_unlock(&hubs_lock);
    /* A waker of the thread that just ended may still be nudging h. */
    for (unsigned spins = 0;
         atomic_load_explicit(&h->pinned, memory_order_acquire); spins++)
        green__backoff(spins);
    green__stats_retire(h);
    for (int fd = 0; fd < h->nio; fd++)
        green__io_close(h, fd);
    free(h->io);
    ev_async_stop(h->loop, &h->ev->async);
    green__tls_internal++;  /* its closes are ours */
    ev_loop_destroy(h->loop);
    green__tls_internal--;
    green__stack_cache_drain(&h->stacks);
    green__san_free(&h->sched_san);
    green__stack_unmap(&h->sched_stack);
    green__overflow_fini_thread(&h->altstack);
    free(h->ev);
    free(h);
}

/* Starts h's loop, with the async watcher of its wake queue (empty).
 * Returns false on ENOMEM. */
static bool loop_start(struct green__hub *h)
{
    struct green__hub_ev *ev = h->ev;
    green__tls_internal++;  /* libev's epoll fd and eventfd are ours */
    h->loop = ev_loop_new(EVFLAG_AUTO | EVFLAG_NOSIGMASK);
    if (h->loop) {
        ev_set_userdata(h->loop, h);
        wakeq_init(&ev->wake);
        wakeq_init(&ev->mail);
        ev_async_init(&ev->async, async_cb);
        ev->async.data = h;
        ev_async_start(h->loop, &ev->async);
    }
    green__tls_internal--;
    return h->loop != NULL;
}

/* POSIX keeps only the forking thread in the child, and so do we: the
 * other green threads of this hub vanish. Nothing can list them, so they
 * are not freed; instead a wake of one of them is dropped (fork_mark),
 * so none ever runs again, and their stacks stay mapped, untouched
 * copy-on-write copies. The run and wake queues, timers and fd watchers
 * belong to the old loop, whose epoll instance the parent still uses: it
 * must see no epoll_ctl from here, so the loop is freed without running
 * (which only closes the child's copies of its fds) and a new one made.
 * Hubs of other OS threads are left as they are: nothing runs them. If
 * the forker is not the adopted context, that context did not survive
 * either (it was main(), or another OS thread's own frames): the child's
 * last green thread to end then exits the process, as glibc's last
 * thread does. This OS thread is the child's main thread. */
void green__hub_fork_child(void)
{
    green__offload_fork_child();
    struct green__hub *h = green__tls_hub;
    if (!h)
        return;
    struct green_thread *self = h->current ? h->current : &h->first;
    h->forker = self;
    h->fork_mark = green__thread_next_id();
    h->first_gone = self != &h->first;
    green__tls_fork_child(h->first.tp);  /* the scheduler runs on it */
    green__sigmask_fork_child(h, self);  /* the child has the forker's */
    h->runq_head = h->runq_tail = NULL;
    h->nready = 0;
    h->reap = NULL;
    h->threads = NULL;  /* the vanished are no longer listed */
    green__oslock_unlock(&h->threads_lock);  /* held by the vanished? */
    green__oslock_unlock(&hubs_lock);
    green__oslock_unlock(&start_lock);
    for (struct green__hub *o = hubs; o; o = o->all_next)
        if (o != h)
            o->gone = true;  /* nothing runs them: wakes of theirs drop */
    /* The other hubs' OS threads are not in the child. Their memory stays
     * (a wake may still name one), kept reachable rather than leaked. */
    struct green__hub **p = &hubs;
    while (*p && *p != h)
        p = &(*p)->all_next;
    if (*p)
        *p = h->all_next;  /* h out; the rest, in order, vanished */
    vanished = hubs;
    hubs = h;
    h->all_next = NULL;
    for (unsigned i = 0; i < GREEN__CONFIG_HUBS_MAX; i++)
        atomic_store(&slots[i], NULL);  /* the child starts its own */
    atomic_store(&slots[0], h);
    h->index = 0;
    h->worker = false;
    atomic_store(&h->placed, self != &h->first);
    atomic_store(&h->sleeping, 0);
    green__thread_forked();
    atomic_store(&green__hub_main, h);
    green__hub_enlist(h, self);
    h->since_poll = 0;
    h->live = 1;
    for (int fd = 0; fd < h->nio; fd++)
        green__io_close(h, fd);  /* waiters vanished: their wakes drop */
    if (atomic_load(&green__hub_many))
        green__fd_forked();  /* and so did the accept locks' holders */
    green__monitor_fork_child();
    free(h->io);
    h->io = NULL;
    h->nio = 0;
    green__tls_internal++;  /* its closes are ours */
    ev_loop_destroy(h->loop);
    green__tls_internal--;
    if (!loop_start(h))
        green__panic(__FILE__, __LINE__, "no event loop in a forked child");
    if (!h->is_main)  /* the main thread's hub lives until exit */
        green__real.pthread_setspecific(hub_key, NULL);
    h->is_main = true;
    h->os = green__real.pthread_self();
    h->tid = green__tid_real();
}

/* Registered after the program's own handlers of the time, so runs after
 * them in the child (FIFO); and run for glibc's internal forks too
 * (daemon), which no wrapper sees. */
static void atfork_child(void)
{
    green__hub_fork_child();
}

static void make_key(void)
{
    /* The real pthread_key_create: the wrapper would make a green key. */
    if (green__real.pthread_key_create(&hub_key, destroy) != 0)
        green__panic(__FILE__, __LINE__, "no pthread key for hubs");
    pthread_atfork(NULL, NULL, atfork_child);
}

static struct green__hub *create(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    green__reals()->pthread_once(&once, make_key);
    green__config_load();
    struct green__hub *h = calloc(1, sizeof *h);
    struct green__hub_ev *ev = calloc(1, sizeof *ev);
    if (!h || !ev)
        goto err;
    atomic_store(&green__fdtab_live, true);
    h->ev = ev;
    if (!loop_start(h))
        goto err;
    if (green__stack_map(SCHED_STACK, &h->sched_stack) < 0)
        goto err_loop;
    h->sched_sp = green__context_make(h->sched_stack.lo, h->sched_stack.hi,
                                      sched_main, h);
    green__san_make(&h->sched_san, h->sched_stack.lo, SCHED_STACK);
    h->tid = green__tid_real();
    h->is_main = getpid() == h->tid;
    h->worker = worker_slot != 0;
    h->index = h->is_main ? 0 : h->worker ? worker_slot : GREEN__HUB_FOREIGN;
    h->os = green__real.pthread_self();
    green__thread_adopt(&h->first, h, h->is_main ? 1 : green__thread_next_id());
    h->current = &h->first;
    green__hub_enlist(h, &h->first);
    h->polled_at = green_now();
    h->live = 1;
    green__sigmask_adopt(h);
    h->poll_after = green__config.poll_every;
    green__overflow_init_thread(&h->altstack);
    if (!h->is_main)  /* the main thread's hub lives until exit */
        green__real.pthread_setspecific(hub_key, h);
    green__oslock_lock(&hubs_lock);
    if (hubs)
        atomic_store(&green__hub_many, true);
    h->all_next = hubs;
    hubs = h;
    green__oslock_unlock(&hubs_lock);
    if (h->is_main) {
        atomic_store(&green__hub_main, h);
        atomic_store(&slots[0], h);
    }
    if (h->is_main && green__config.stats_period_ms) {
        double every = green__config.stats_period_ms * 1e-3;
        ev_timer_init(&ev->stats, stats_cb, every, every);
        ev_timer_start(h->loop, &ev->stats);
    }
    green__stats_setup();
    green__dump_setup();
    green__monitor_setup();
    return h;
err_loop:
    green__tls_internal++;
    ev_loop_destroy(h->loop);
    green__tls_internal--;
err:
    free(ev);
    free(h);
    return NULL;
}

struct green__hub *green__hub_make(void)
{
    if (!green__tls_hub)
        green__tls_hub = create();
    return green__tls_hub;
}

const char *green__hub_backend(int *major, int *minor)
{
    /* The order in which ev_loop_new tries its backends. */
    static const struct { unsigned bit; const char *name; } order[] = {
        {EVBACKEND_IOURING, "io_uring"}, {EVBACKEND_LINUXAIO, "linuxaio"},
        {EVBACKEND_KQUEUE, "kqueue"},    {EVBACKEND_EPOLL, "epoll"},
        {EVBACKEND_POLL, "poll"},        {EVBACKEND_SELECT, "select"},
    };
    unsigned have = ev_recommended_backends();
    *major = ev_version_major();
    *minor = ev_version_minor();
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
        if (have & order[i].bit)
            return order[i].name;
    return "none";
}
