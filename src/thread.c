/* Green thread lifecycle: spawn, end, join, detach, and the public
 * accessors. A thread's end is published by the scheduler (reap) rather
 * than by the ending thread itself, so that a joiner on another OS thread
 * can never free a stack that is still being run on. */
#include "thread.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "cancel.h"
#include "common.h"
#include "config.h"
#include "context.h"
#include "handle.h"
#include "hub.h"
#include "key.h"
#include "monitor.h"
#include "overflow.h"
#include "real.h"
#include "sigmask.h"
#include "tid.h"
#include "tls.h"
#include "tp.h"
#include "wait.h"

static atomic_uint_fast64_t next_id = 2;

/* Contexts that end the process when the last of them ends, as glibc's
 * last thread does: the green threads, the main thread, and the adopted
 * contexts of the program's own OS threads (not the idle ones of the hubs
 * libgreen started, which never end). The main thread counts from the
 * start, adopted or not: a program linked with libgreen whose main never
 * made a hub is still running while its other OS threads end (it counted
 * only once adopted, so the last such thread to return exited the whole
 * process under main's feet, e.g. during its pthread_join). Its count
 * goes when its context ends as a green thread (green_exit,
 * pthread_exit); its hub is never freed before exit. */
static atomic_long alive = 1;

void green__thread_forked(void)
{
    atomic_store(&alive, 1);
}

void green__thread_os_exit(struct green__hub *h)
{
    if (!h->worker && !h->first_ended && atomic_fetch_sub(&alive, 1) == 1)
        exit(0);
}

uint64_t green__thread_next_id(void)
{
    return atomic_fetch_add_explicit(&next_id, 1, memory_order_relaxed);
}

void green__thread_adopt(struct green_thread *t, struct green__hub *h,
                         uint64_t id)
{
    memset(t, 0, sizeof *t);
    t->hub = h;
    t->id = id;
    __atomic_store_n(&t->state, GREEN__RUNNING, __ATOMIC_RELAXED);
    t->deadline = GREEN_NEVER;
    t->scope_deadline = GREEN_NEVER;
    t->stack.canary = green__stack_zero;
    t->tp = green__tp_get();
    if (!h->worker && !h->is_main)  /* main counts already */
        atomic_fetch_add(&alive, 1);
    green__san_adopt(&t->san);
}

struct green_thread *green__self(void)
{
    struct green__hub *h = green__hub_get();
    return h ? h->current : NULL;
}

void (*green__thread_end_hook)(struct green_thread *t);

/* Ends the calling thread. Key destructors run first, while it is still a
 * normal thread that may block; then the scheduler takes over. Only an
 * adopted thread ever comes back here: when its hub has nothing left to
 * run, it ends its OS thread as pthread_exit() would. */
static __attribute__((noreturn)) void end(struct green_thread *t, void *result)
{
    struct green__hub *h = t->hub;
    t->result = result;
    if (t->tp != h->first.tp)
        green__tls_exit();
    green__key_run_destructors(t);
    if (green__thread_end_hook)
        green__thread_end_hook(t);
    if (green__unlikely(h->first_gone && h->live == 1))
        exit(0);  /* the last thread of a forked child whose adopted
                     context vanished: glibc's last thread exits so */
    if (t == &h->first)
        h->first_ended = true;
    if (atomic_fetch_sub(&alive, 1) == 1)
        exit(0);  /* the process's last thread, on any hub */
    if (t != &h->first)
        atomic_fetch_sub_explicit(&h->placed, 1, memory_order_relaxed);
    if (green__unlikely(green__config.stats))
        green__stats_ran(h, t);  /* its last run ends here */
    __atomic_store_n(&t->state, GREEN__ENDED, __ATOMIC_RELAXED);
    h->live--;
    green__sigmask_leave(h, t);
    h->reap = t;
    h->current = NULL;
    if (green__unlikely(!green__stack_intact(&t->stack)))
        green__overflow_report(t, NULL);
    green__sigmask_switch(h, t, &h->first);
    green__san_leave(&t->san, &h->sched_san, t != &h->first);
    if (t->tp != h->first.tp)
        green__tp_set(h->first.tp);
    green__switch(&t->sp, h->sched_sp);
    green__san_enter(&t->san);
    green__reals()->pthread_exit(t->result);  /* not the wrapper: this OS thread */
    __builtin_unreachable();
}

static void entry(void *arg)
{
    struct green_thread *t = arg;
    atomic_fetch_sub_explicit(&t->hub->unstarted, 1, memory_order_relaxed);
    green__san_enter(&t->san);
    if (t->tp != t->hub->first.tp)
        green__tls_start();
    errno = 0;  /* a new thread's errno starts at 0, as an OS thread's */
    end(t, t->pthread ? green__cancel_start(t) : t->fn(t->arg));
}

/* Frees an ended thread's stack (nothing for an adopted thread); its
 * pthread_t, if it has one, names no thread from now on. */
static void thread_free(struct green_thread *t, bool detached)
{
    if (!t->stack.hi || t == &t->hub->first)
        return;
    struct green__hub *h = green__hub_current();
    struct green__stack s = t->stack;  /* t lives on s */
    if (t->handle)
        green__handle_free(t->handle, detached);
    if (t->tp != t->hub->first.tp)
        green__tls_free(t->tp);
    if (t->tid_known)
        green__tid_forget(t);
    green__san_free(&t->san);
    green__stack_free(h ? &h->stacks : NULL, &s);
}

void green__thread_reap(struct green_thread *t)
{
    green__hub_delist(t->hub, t);
    uintptr_t j = atomic_exchange(&t->join, GREEN__JOIN_ENDED);
    if (j == GREEN__JOIN_DETACHED)
        thread_free(t, true);
    else if (j != GREEN__JOIN_NONE)
        green__unpark((struct green_thread *)j, 0);
}

green_t green_spawn(void *(*fn)(void *), void *arg, const green_attr_t *attr)
{
    return green__spawn(fn, arg, attr, NULL);
}

green_t green__spawn(void *(*fn)(void *), void *arg, const green_attr_t *attr,
                     void *stack)
{
    return green__spawn_on(NULL, fn, arg, attr, stack, NULL, NULL);
}

green_t green__spawn_on(struct green__hub *to, void *(*fn)(void *), void *arg,
                        const green_attr_t *attr, void *stack,
                        void (*prep)(struct green_thread *t, void *ctx),
                        void *ctx)
{
    struct green__hub *h = green__hub_get();
    if (!h)
        return errno = EAGAIN, NULL;
    if (!to)
        to = h;
    green__monitor_setup();  /* a fork's child's first spawn */
    size_t size = attr && attr->stack_size ? attr->stack_size
                                           : green__config.stack_size;
    /* Its TLS block and TCB go at the top, as glibc puts a thread's, and
     * on top of the stack size asked for: a sleeping thread's struct,
     * TCB and frames then share as few pages as they can. */
    bool own_tls = !(attr && attr->shared_tls) && !green__config.tls_shared &&
                   green__tls_setup();
    size_t tls_size = own_tls ? green__tls_size() : 0;
    struct green__stack s;
    if (stack) {
        if (size < sizeof(struct green_thread) + 64 + tls_size +
                       GREEN__USER_STACK_REST)
            return errno = EINVAL, NULL;
        s = (struct green__stack){.lo = stack, .hi = (char *)stack + size,
                                  .canary = green__stack_zero, .user = true};
    } else {
        if (size <= ((size_t)1 << 40))
            size += tls_size;
        h->stacks.hot = tls_size;  /* committed ahead with the top page */
        int r = green__stack_alloc(&h->stacks, size, &s);
        if (r < 0)
            return errno = r == -EINVAL ? EINVAL : EAGAIN, NULL;
    }
    uintptr_t top = ((uintptr_t)s.hi - sizeof(struct green_thread)) & ~63ul;
    struct green_thread *t = (struct green_thread *)top;
    memset(t, 0, sizeof *t);
    char *stack_top = (char *)t;
    t->tp = to->first.tp;
    if (own_tls) {
        t->tp = green__tls_make((char *)t, to, to == h, s.lo,
                                (size_t)(s.hi - s.lo), &stack_top);
        if (!t->tp) {
            green__stack_free(&h->stacks, &s);
            return errno = EAGAIN, NULL;
        }
    }
    t->hub = to;
    t->id = green__thread_next_id();
    t->creator = h->current ? h->current->id : 0;
    t->fn = fn;
    t->arg = arg;
    t->deadline = GREEN_NEVER;
    t->scope_deadline = GREEN_NEVER;
    t->stack = s;
    t->tls_size = tls_size;
    if (attr && attr->detached)
        atomic_store_explicit(&t->join, GREEN__JOIN_DETACHED,
                              memory_order_relaxed);
    if (attr && attr->name)
        green_setname(t, attr->name);
    t->sp = green__context_make(s.lo, stack_top, entry, t);
    green__san_make(&t->san, s.lo, (size_t)(stack_top - s.lo));
    h->stats.spawned++;
    atomic_fetch_add(&alive, 1);
    atomic_fetch_add_explicit(&to->placed, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&to->unstarted, 1, memory_order_relaxed);
    if (prep)
        prep(t, ctx);
    if (to != h) {  /* its hub counts it, with its creator's mask */
        t->sigmask = (h->current ? h->current : &h->first)->sigmask;
        green__hub_adopt_remote(t);
        return t;
    }
    h->live++;
    green__sigmask_inherit(h, t);
    if (h->live > h->stats.peak)
        h->stats.peak = h->live;
    green__hub_enlist(h, t);
    green__hub_ready(h, t);
    return t;
}

/* spawn_later's start: the real entry and when to call it. */
struct later {
    void *(*fn)(void *);
    void *arg;
    int64_t at;
};

static void *later_main(void *arg)
{
    struct later l = *(struct later *)arg;
    free(arg);
    if (green_sleep_until(l.at) < 0)
        return NULL;  /* killed before it started */
    return l.fn(l.arg);
}

green_t green_spawn_later(int64_t ns, void *(*fn)(void *), void *arg,
                          const green_attr_t *attr)
{
    struct later *l = malloc(sizeof *l);
    if (!l)
        return errno = EAGAIN, NULL;
    int64_t now = green_now();
    *l = (struct later){fn, arg,
                        ns <= 0 ? now : ns > INT64_MAX - now ? INT64_MAX
                                                              : now + ns};
    green_t t = green_spawn(later_main, l, attr);
    if (!t)
        free(l);
    return t;
}

int green__join(struct green_thread *t, void **result, int64_t deadline)
{
    struct green_thread *self = green__self();
    if (!self)
        return -ENOMEM;
    if (t == self)
        return -EDEADLK;
    uintptr_t j = GREEN__JOIN_NONE;
    if (!atomic_compare_exchange_strong(&t->join, &j, (uintptr_t)self)) {
        if (j != GREEN__JOIN_ENDED)
            return -EINVAL;
    } else {
        while (atomic_load(&t->join) != GREEN__JOIN_ENDED) {
            green__wait_why(GREEN__WHY_JOIN, NULL, (int64_t)t->id);
            int r = green__park(deadline);
            if (r != -ETIMEDOUT && r != -ECANCELED)
                continue;
            uintptr_t me = (uintptr_t)self;
            if (atomic_compare_exchange_strong(&t->join, &me,
                                               GREEN__JOIN_NONE))
                return r;
            if (r == -ECANCELED)  /* it ended anyway: join succeeds */
                green__cancel_keep();
        }
    }
    if (result)
        *result = t->result;
    thread_free(t, false);
    return 0;
}

int green_join(green_t t, void **result, int64_t deadline)
{
    return (int)green__set_errno(green__join(t, result, deadline));
}

int green__detach(struct green_thread *t)
{
    uintptr_t j = GREEN__JOIN_NONE;
    if (atomic_compare_exchange_strong(&t->join, &j, GREEN__JOIN_DETACHED))
        return 0;
    if (j != GREEN__JOIN_ENDED)
        return -EINVAL;
    /* Ended but never joined: detaching takes over freeing it. */
    thread_free(t, true);
    return 0;
}

int green_detach(green_t t)
{
    return (int)green__set_errno(green__detach(t));
}

void green_exit(void *result)
{
    end(green__self(), result);
}

green_t green_self(void)
{
    return green__self();
}

uint64_t green_id(green_t t)
{
    return t->id;
}

const char *green_name(green_t t)
{
    return t->name;
}

int green_setname(green_t t, const char *name)
{
    strncpy(t->name, name, sizeof t->name - 1);
    t->name[sizeof t->name - 1] = 0;
    return 0;
}

int green_yield(void)
{
    struct green__hub *h = green__hub_get();
    if (!h)
        return 0;
    if (!h->runq_head && ++h->since_poll < green__config.poll_every)
        return 0;
    green__hub_ready(h, h->current);
    green__hub_switch(h);
    /* A pthread_kill from another hub left while this thread waited its
     * turn: its handler runs now, as park and time slices run theirs. */
    green__park_raise();
    return 0;
}
