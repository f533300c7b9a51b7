/* pthread_t for green threads: what pthread_create, pthread_join and the
 * functions that take a pthread_t do with them.
 *
 * A green thread's pthread_t is a handle (handle.h): a slot and a
 * generation, with a bit no glibc handle (of OS threads, including the
 * ones a hub adopted) has. A handle kept after its thread was joined, or
 * ended detached, names no thread and gets glibc 2.36's answers for its
 * kept descriptor (whose tid is -1 after a join, 0 after the end;
 * docs/design.md G12).
 * Functions that act on the OS thread (pthread_kill, affinity,
 * scheduling, CPU clock) get the handle of the OS thread a green thread
 * runs on. All return 0 or -errno. */
#ifndef GREEN_SRC_PTHR_H
#define GREEN_SRC_PTHR_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "handle.h"
#include "hub.h"
#include "thread.h"

/* Whether th is a handle of ours, naming a live thread or not. */
static inline bool green__pthr_ours(pthread_t th)
{
    return green__handle_ours(th);
}

/* The green thread th names, or NULL if th is glibc's or names no
 * thread any more (green__pthr_ours tells which). */
static inline struct green_thread *green__pthr_of(pthread_t th)
{
    return green__handle_thread(th);
}

/* The green thread of the caller's hub that a signal sent to th is for:
 * th's own, or for the OS thread's own handle its adopted context (the
 * main thread, signalled by one of its green threads). NULL: send it to
 * th's OS thread, whose running thread (maybe the caller) takes it. */
static inline struct green_thread *green__pthr_signalled(pthread_t th)
{
    struct green__hub *h = green__tls_hub;
    if (!h)
        return NULL;
    struct green_thread *t = green__pthr_of(th);
    if (t)
        return t->hub == h ? t : NULL;
    if (!green__pthr_ours(th) && pthread_equal(th, h->os) &&
        h->current != &h->first)
        return &h->first;
    return NULL;
}

/* What the join family and pthread_detach give for a handle of ours
 * that names no thread: -ESRCH after a join, -EINVAL after a detached
 * end (glibc's kept descriptor says detached). */
int green__pthr_gone(pthread_t th);

/* The calling green thread if it is one of ours, made by a spawn; NULL
 * in an OS thread's own context (adopted or not), whose pthread state
 * (cancellation, cleanup chain, exit) is glibc's. */
static inline struct green_thread *green__pthr_current(void)
{
    struct green__hub *h = green__tls_hub;
    if (!h || h->current == &h->first)
        return NULL;
    return h->current;  /* NULL too, in the scheduler */
}

/* Whether pthread_create should make a green thread here: the caller
 * runs on the main OS thread (whose hub runs the program's threads;
 * another OS thread may be a foreign one, such as a timer's, that would
 * strand green threads when it ends) and neither GREEN_THREADS=native
 * nor GREEN_DISABLE is set. */
bool green__pthr_green(void);

/* The program changed glibc's default thread attributes
 * (pthread_setattr_default_np): threads made without attributes then get
 * those, as natively, rather than libgreen's default stack. */
void green__pthr_defaults_set(void);

/* pthread_create, green. Returns 0, -EAGAIN (no stack) or -EINVAL. */
int green__pthr_create(pthread_t *out, const pthread_attr_t *attr,
                       void *(*fn)(void *), void *arg);

/* pthread_self: the calling green thread, or glibc's handle where the
 * caller is an OS thread's own context. */
pthread_t green__pthr_self(void);

/* The OS thread's handle behind th, in *os, for the calls that act on
 * the kernel's thread: 0, or -ESRCH when th is ours and its thread ended
 * (joined or not: glibc finds no tid). */
int green__pthr_os(pthread_t th, pthread_t *os);

/* pthread_kill of a handle of ours whose thread ended: nothing is sent,
 * and glibc says 0, or -EINVAL for its own internal signals. */
int green__pthr_kill_gone(int sig);

/* pthread_join and its timed form (absolute monotonic deadline,
 * GREEN_NEVER): a cancellation point. Returns 0, -EDEADLK, -EINVAL,
 * -ETIMEDOUT, -ENOMEM. */
int green__pthr_join(struct green_thread *t, void **result, int64_t deadline);

/* pthread_detach: 0 or -EINVAL (detached already). A thread another
 * one is joining stays joinable, and the answer is 0, as glibc's. */
int green__pthr_detach(struct green_thread *t);

/* pthread_tryjoin_np: 0, -EBUSY (still running) or -EINVAL. */
int green__pthr_tryjoin(struct green_thread *t, void **result);

/* pthread_tryjoin_np of a handle that names no thread: -EBUSY after a
 * join (glibc sees a tid, -1, that is not 0), -EINVAL after a detached
 * end. */
int green__pthr_tryjoin_gone(pthread_t th);

/* Names of th, a handle of ours: at most 15 bytes (-ERANGE for longer);
 * an unnamed thread reads as its OS thread's name, as a new thread
 * inherits its creator's; -ENOENT once the thread ended (glibc opens
 * /proc/self/task/<tid>/comm). */
int green__pthr_setname(pthread_t th, const char *name);
int green__pthr_getname(pthread_t th, char *buf, size_t len);

/* pthread_getattr_np of th, a handle of ours: the thread's stack, guard
 * and detach state; -ESRCH if it names no thread. */
int green__pthr_getattr(pthread_t th, pthread_attr_t *attr);

#endif
