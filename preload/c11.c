/* C11 threads: thrd_*, tss_*, mtx_*, cnd_* and call_once. Shape
 * "top-level replacement": glibc's C11 functions call its pthread
 * functions internally, where no wrapper sees them (docs/design.md G3);
 * so these call ours, as glibc does its own (pthread.c, sync.c): a thrd_t
 * is a pthread_t, a tss_t a pthread_key_t, an mtx_t a pthread_mutex_t, a
 * cnd_t a pthread_cond_t, a once_flag a pthread_once_t. Every error
 * number becomes a C11 result through one mapping, glibc's. thrd_sleep is
 * a sleep, in sleep.c. */
#include "interpose.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <threads.h>

#include "once.h"
#include "pthr.h"
#include "sync.h"

static pthread_mutex_t *M(mtx_t *m) { return (pthread_mutex_t *)(void *)m; }
static pthread_cond_t *C(cnd_t *c) { return (pthread_cond_t *)(void *)c; }

/* glibc 2.36's thrd_err_map (sysdeps/pthread/thrd_priv.h): a pthread
 * error number as a C11 result. EAGAIN, as from pthread_create or
 * pthread_key_create, is thrd_error. */
static int thrd_result(int err)
{
    switch (err) {
    case 0:
        return thrd_success;
    case ENOMEM:
        return thrd_nomem;
    case ETIMEDOUT:
        return thrd_timedout;
    case EBUSY:
        return thrd_busy;
    default:
        return thrd_error;
    }
}

/* ---- Threads ---------------------------------------------------------- */

/* The int-returning start function is called as a pointer-returning one,
 * as glibc does; thrd_join keeps the int. */
GREEN__INTERPOSE int thrd_create(thrd_t *thr, thrd_start_t fn, void *arg)
{
    const struct green__real *real = green__reals();
    if (!green__pthr_green())
        return real->thrd_create(thr, fn, arg);
    return thrd_result(-green__pthr_create(thr, NULL,
                                           (void *(*)(void *))(void (*)(void))fn,
                                           arg));
}

GREEN__INTERPOSE int thrd_join(thrd_t thr, int *res)
{
    struct green_thread *t = green__pthr_of(thr);
    void *v;
    if (!t && green__pthr_ours(thr))
        return thrd_result(-green__pthr_gone(thr));
    if (!t)
        return green__reals()->thrd_join(thr, res);
    int r = green__pthr_join(t, &v, GREEN_NEVER);
    if (r == 0 && res)
        *res = (int)(intptr_t)v;
    return thrd_result(-r);
}

GREEN__INTERPOSE int thrd_detach(thrd_t thr)
{
    struct green_thread *t = green__pthr_of(thr);
    if (!t && green__pthr_ours(thr))
        return thrd_result(-green__pthr_gone(thr));
    if (!t)
        return green__reals()->thrd_detach(thr);
    return thrd_result(-green__pthr_detach(t));
}

GREEN__INTERPOSE void thrd_exit(int res)
{
    pthread_exit((void *)(intptr_t)res);
}

GREEN__INTERPOSE thrd_t thrd_current(void)
{
    return green__pthr_self();
}

GREEN__INTERPOSE void thrd_yield(void)
{
    sched_yield();
}

/* ---- Thread-specific storage ------------------------------------------ */

GREEN__INTERPOSE int tss_create(tss_t *key, tss_dtor_t destructor)
{
    return thrd_result(pthread_key_create(key, destructor));
}

GREEN__INTERPOSE void tss_delete(tss_t key)
{
    pthread_key_delete(key);
}

GREEN__INTERPOSE void *tss_get(tss_t key)
{
    return pthread_getspecific(key);
}

GREEN__INTERPOSE int tss_set(tss_t key, void *value)
{
    return thrd_result(pthread_setspecific(key, value));
}

/* ---- Mutexes, conditions, once ---------------------------------------- */

/* As glibc: recursive for exactly these two types, plain for any other. */
GREEN__INTERPOSE int mtx_init(mtx_t *m, int type)
{
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, type == (mtx_plain | mtx_recursive) ||
                                             type == (mtx_timed | mtx_recursive)
                                         ? PTHREAD_MUTEX_RECURSIVE
                                         : PTHREAD_MUTEX_NORMAL);
    return thrd_result(pthread_mutex_init(M(m), &attr));
}

GREEN__INTERPOSE int mtx_lock(mtx_t *m)
{
    return thrd_result(pthread_mutex_lock(M(m)));
}

GREEN__INTERPOSE int mtx_timedlock(mtx_t *restrict m,
                                   const struct timespec *restrict at)
{
    return thrd_result(pthread_mutex_timedlock(M(m), at));
}

GREEN__INTERPOSE int mtx_trylock(mtx_t *m)
{
    return thrd_result(pthread_mutex_trylock(M(m)));
}

GREEN__INTERPOSE int mtx_unlock(mtx_t *m)
{
    return thrd_result(pthread_mutex_unlock(M(m)));
}

GREEN__INTERPOSE void mtx_destroy(mtx_t *m)
{
    pthread_mutex_destroy(M(m));
}

GREEN__INTERPOSE int cnd_init(cnd_t *c)
{
    return thrd_result(pthread_cond_init(C(c), NULL));
}

GREEN__INTERPOSE int cnd_signal(cnd_t *c)
{
    return thrd_result(pthread_cond_signal(C(c)));
}

GREEN__INTERPOSE int cnd_broadcast(cnd_t *c)
{
    return thrd_result(pthread_cond_broadcast(C(c)));
}

GREEN__INTERPOSE int cnd_wait(cnd_t *c, mtx_t *m)
{
    return thrd_result(pthread_cond_wait(C(c), M(m)));
}

GREEN__INTERPOSE int cnd_timedwait(cnd_t *restrict c, mtx_t *restrict m,
                                   const struct timespec *restrict at)
{
    return thrd_result(pthread_cond_timedwait(C(c), M(m), at));
}

GREEN__INTERPOSE void cnd_destroy(cnd_t *c)
{
    pthread_cond_destroy(C(c));
}

/* A once_flag is a pthread_once_t, and glibc's call_once its pthread_once. */
GREEN__INTERPOSE void call_once(once_flag *flag, void (*fn)(void))
{
    pthread_once_t *o = (pthread_once_t *)(void *)flag;
    if (!green__sync_gate())
        green__real.pthread_once(o, fn);
    else
        green__once(o, fn);
}
