/* pthread_t for green threads: what pthread_create, pthread_join and the
 * functions that take a pthread_t do with them.
 *
 * A green thread's pthread_t is its struct green_thread's address; the
 * thread's `magic` word tells it apart from glibc's own handles (of OS
 * threads, including the ones a hub adopted). Functions that act on the
 * OS thread (pthread_kill, affinity, scheduling, CPU clock) get the
 * handle of the OS thread a green thread runs on. All return 0 or
 * -errno. */
#ifndef GREEN_SRC_PTHR_H
#define GREEN_SRC_PTHR_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hub.h"
#include "thread.h"

/* The green thread th names, or NULL if th is glibc's. */
static inline struct green_thread *green__pthr_of(pthread_t th)
{
    struct green_thread *t = (struct green_thread *)th;
    return t && t->magic == green__thread_magic(t) ? t : NULL;
}

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

/* pthread_create, green. Returns 0, -EAGAIN (no stack) or -EINVAL. */
int green__pthr_create(pthread_t *out, const pthread_attr_t *attr,
                       void *(*fn)(void *), void *arg);

/* pthread_self: the calling green thread, or glibc's handle where the
 * caller is an OS thread's own context. */
pthread_t green__pthr_self(void);

/* The OS thread's handle behind th. */
pthread_t green__pthr_os(pthread_t th);

/* pthread_join and its timed form (absolute monotonic deadline,
 * GREEN_NEVER): a cancellation point. Returns 0, -EDEADLK, -EINVAL,
 * -ETIMEDOUT, -ENOMEM. */
int green__pthr_join(struct green_thread *t, void **result, int64_t deadline);

/* pthread_tryjoin_np: 0, -EBUSY (still running) or -EINVAL. */
int green__pthr_tryjoin(struct green_thread *t, void **result);

/* Names: at most 15 bytes (-ERANGE for longer); an unnamed thread reads
 * as its OS thread's name, as a new thread inherits its creator's. */
int green__pthr_setname(struct green_thread *t, const char *name);
int green__pthr_getname(struct green_thread *t, char *buf, size_t len);

/* pthread_getattr_np: the thread's stack, guard and detach state. */
int green__pthr_getattr(struct green_thread *t, pthread_attr_t *attr);

#endif
