/* Threads: pthread_create makes a green thread (GREEN_THREADS=green, the
 * default) and every function that takes a pthread_t learns to tell ours
 * from glibc's (src/pthr.h). Cancellation, pthread_exit and the cleanup
 * chain of pthread_cleanup_push are kept per green thread (src/cancel.h);
 * the OS thread's own context keeps glibc's. Keys are green everywhere:
 * a key must mean the same thing in every thread. The C11 thrd_* and
 * tss_* functions, which glibc builds on pthread_* through internal
 * calls no wrapper sees (docs/design.md G3), are in c11.c. */
#include "interpose.h"

#include <errno.h>
#include <sched.h>
#include <stdint.h>

#include "cancel.h"
#include "fiber_san.h"
#include "green.h"
#include "intr.h"
#include "key.h"
#include "once.h"
#include "pthr.h"
#include "slice.h"
#include "sync.h"

GREEN__INTERPOSE int pthread_create(pthread_t *th, const pthread_attr_t *attr,
                                    void *(*fn)(void *), void *arg)
{
    const struct green__real *real = green__reals();
    if (!green__pthr_green())
        return real->pthread_create(th, attr, fn, arg);
    return -green__pthr_create(th, attr, fn, arg);
}

/* A handle of ours that names no thread any more (joined, or ended
 * detached) gets glibc's answers for it (src/pthr.h), never glibc's
 * function, which would read it as a pointer. */
GREEN__INTERPOSE int pthread_join(pthread_t th, void **result)
{
    struct green_thread *t = green__pthr_of(th);
    if (!t)
        return green__pthr_ours(th) ? -green__pthr_gone(th)
                                    : green__reals()->pthread_join(th, result);
    return -green__pthr_join(t, result, GREEN_NEVER);
}

GREEN__INTERPOSE int pthread_tryjoin_np(pthread_t th, void **result)
{
    struct green_thread *t = green__pthr_of(th);
    if (!t)
        return green__pthr_ours(th)
                   ? -green__pthr_tryjoin_gone(th)
                   : green__reals()->pthread_tryjoin_np(th, result);
    return -green__pthr_tryjoin(t, result);
}

/* glibc checks the clock first and a self-join next. An invalid time
 * makes its futex wait fail with EINVAL, which its join loop ignores: it
 * goes on until the thread ends, and succeeds. */
GREEN__INTERPOSE int pthread_clockjoin_np(pthread_t th, void **result,
                                          clockid_t clock,
                                          const struct timespec *at)
{
    struct green_thread *t = green__pthr_of(th);
    if (!t && !green__pthr_ours(th))
        return green__reals()->pthread_clockjoin_np(th, result, clock, at);
    if (!green__sync_clock_ok(clock))
        return EINVAL;
    if (!t)
        return -green__pthr_gone(th);
    if (!at || t == green__pthr_current())
        return -green__pthr_join(t, result, GREEN_NEVER);
    int r = green__pthr_tryjoin(t, result);
    if (r != -EBUSY)
        return -r;  /* joined (0), or not joinable */
    return -green__pthr_join(t, result, green__sync_time_ok(at)
                                            ? green__sync_deadline(clock, at)
                                            : GREEN_NEVER);
}

GREEN__INTERPOSE int pthread_timedjoin_np(pthread_t th, void **result,
                                          const struct timespec *at)
{
    if (!green__pthr_ours(th))
        return green__reals()->pthread_timedjoin_np(th, result, at);
    return pthread_clockjoin_np(th, result, CLOCK_REALTIME, at);
}

GREEN__INTERPOSE int pthread_detach(pthread_t th)
{
    struct green_thread *t = green__pthr_of(th);
    if (!t)
        return green__pthr_ours(th) ? -green__pthr_gone(th)
                                    : green__reals()->pthread_detach(th);
    return -green__pthr_detach(t);
}

/* An OS thread's own context with a hub ends as a green thread (its
 * stack is not unwound: see the README); without one, as glibc's. */
static __attribute__((noreturn)) void exit_thread(void *result)
{
    if (green__pthr_current())
        green__cancel_exit(result);
    if (green__tls_hub && green__tls_hub->current)
        green_exit(result);
    green__reals()->pthread_exit(result);
    __builtin_unreachable();
}

GREEN__INTERPOSE void pthread_exit(void *result)
{
    exit_thread(result);
}

/* TSan's runtime calls these two while it starts an OS thread, before
 * that thread can run instrumented code (its ThreadStart finds the
 * stack with pthread_getattr_np(pthread_self())): its calls, like its
 * key calls below, reach glibc through uninstrumented code. They are
 * about the OS thread, which is what glibc answers. */
GREEN__INTERPOSE GREEN__NO_TSAN pthread_t pthread_self(void)
{
    const struct green__real *rt =
        green__san_runtime(__builtin_return_address(0));
    if (green__unlikely(rt != NULL))
        return rt->pthread_self();
    return green__pthr_self();
}

GREEN__INTERPOSE int pthread_cancel(pthread_t th)
{
    struct green_thread *t = green__pthr_of(th);
    if (!t)  /* a thread that is gone: glibc says 0 */
        return green__pthr_ours(th) ? 0 : green__reals()->pthread_cancel(th);
    return -green__cancel(t);
}

GREEN__INTERPOSE int pthread_setcancelstate(int state, int *old)
{
    if (!green__pthr_current())
        return green__reals()->pthread_setcancelstate(state, old);
    return -green__cancel_setstate(state, old);
}

GREEN__INTERPOSE int pthread_setcanceltype(int type, int *old)
{
    if (!green__pthr_current())
        return green__reals()->pthread_setcanceltype(type, old);
    return -green__cancel_settype(type, old);
}

GREEN__INTERPOSE void pthread_testcancel(void)
{
    if (green__pthr_current()) {
        green__testcancel();
        return;
    }
    green__reals()->pthread_testcancel();
}

/* What pthread_cleanup_push and _pop expand to in C (without
 * -fexceptions): the chain of cleanup buffers. */
GREEN__INTERPOSE void __pthread_register_cancel(__pthread_unwind_buf_t *buf)
{
    struct green_thread *t = green__pthr_current();
    if (!t) {
        green__reals()->__pthread_register_cancel(buf);
        return;
    }
    green__cancel_register(t, buf);
}

GREEN__INTERPOSE void __pthread_unregister_cancel(__pthread_unwind_buf_t *buf)
{
    struct green_thread *t = green__pthr_current();
    if (!t) {
        green__reals()->__pthread_unregister_cancel(buf);
        return;
    }
    green__cancel_unregister(t, buf);
}

GREEN__INTERPOSE void __pthread_unwind_next(__pthread_unwind_buf_t *buf)
{
    struct green_thread *t = green__pthr_current();
    if (t)
        green__cancel_unwind_next(t, buf);
    green__reals()->__pthread_unwind_next(buf);
    __builtin_unreachable();
}

/* ---- Functions of the OS thread: a green thread's is its hub's -------- */

/* To a green thread, of any hub (the main thread's context included):
 * the signal goes to its hub's OS thread, or waits on the thread until it
 * next parks, and the handler interrupts that green thread (intr.h). To
 * one that ended, nothing goes: glibc sees its thread exiting. */
GREEN__INTERPOSE int pthread_kill(pthread_t th, int sig)
{
    const struct green__real *real = green__reals();
    pthread_t os;
    if (green__pthr_os(th, &os) < 0)
        return green__sliced(-green__pthr_kill_gone(sig));
    struct green_thread *t = green__pthr_signalled(th);
    if (t)
        return green__sliced(green__intr_kill(t, sig, NULL));
    return green__sliced(real->pthread_kill(os, sig));
}

/* These fail with ESRCH for a thread that ended (green__pthr_os). */
GREEN__INTERPOSE int pthread_sigqueue(pthread_t th, int sig,
                                      const union sigval value)
{
    const struct green__real *real = green__reals();
    pthread_t os;
    int r = green__pthr_os(th, &os);
    if (r < 0)
        return -r;
    struct green_thread *t = green__pthr_signalled(th);
    if (t)
        return green__intr_kill(t, sig, &value);
    return real->pthread_sigqueue(os, sig, value);
}

GREEN__INTERPOSE int pthread_getschedparam(pthread_t th, int *policy,
                                           struct sched_param *param)
{
    green__slice();
    pthread_t os;
    int r = green__pthr_os(th, &os);
    return r < 0 ? -r
                 : green__reals()->pthread_getschedparam(os, policy, param);
}

GREEN__INTERPOSE int pthread_setschedparam(pthread_t th, int policy,
                                           const struct sched_param *param)
{
    green__slice();
    pthread_t os;
    int r = green__pthr_os(th, &os);
    return r < 0 ? -r
                 : green__reals()->pthread_setschedparam(os, policy, param);
}

GREEN__INTERPOSE int pthread_setschedprio(pthread_t th, int prio)
{
    pthread_t os;
    int r = green__pthr_os(th, &os);
    return r < 0 ? -r : green__reals()->pthread_setschedprio(os, prio);
}

GREEN__INTERPOSE int pthread_getaffinity_np(pthread_t th, size_t size,
                                            cpu_set_t *set)
{
    pthread_t os;
    int r = green__pthr_os(th, &os);
    return r < 0 ? -r
                 : green__reals()->pthread_getaffinity_np(os, size, set);
}

GREEN__INTERPOSE int pthread_setaffinity_np(pthread_t th, size_t size,
                                            const cpu_set_t *set)
{
    pthread_t os;
    int r = green__pthr_os(th, &os);
    return r < 0 ? -r
                 : green__reals()->pthread_setaffinity_np(os, size, set);
}

GREEN__INTERPOSE int pthread_getcpuclockid(pthread_t th, clockid_t *clock)
{
    pthread_t os;
    int r = green__pthr_os(th, &os);
    return r < 0 ? -r : green__reals()->pthread_getcpuclockid(os, clock);
}

/* ---- Functions of the green thread itself ------------------------------ */

/* glibc's, which checks and keeps the defaults; pthread_create then
 * reads them for a thread made without attributes, as glibc's does. */
GREEN__INTERPOSE int pthread_setattr_default_np(const pthread_attr_t *attr)
{
    int r = green__reals()->pthread_setattr_default_np(attr);
    if (r == 0)
        green__pthr_defaults_set();
    return r;
}

GREEN__INTERPOSE GREEN__NO_TSAN int pthread_getattr_np(pthread_t th,
                                                       pthread_attr_t *attr)
{
    const struct green__real *rt =
        green__san_runtime(__builtin_return_address(0));
    if (green__unlikely(rt != NULL))
        return rt->pthread_getattr_np(th, attr);
    if (!green__pthr_ours(th))
        return green__reals()->pthread_getattr_np(th, attr);
    return -green__pthr_getattr(th, attr);
}

GREEN__INTERPOSE int pthread_setname_np(pthread_t th, const char *name)
{
    if (!green__pthr_ours(th))
        return green__reals()->pthread_setname_np(th, name);
    return -green__pthr_setname(th, name);
}

GREEN__INTERPOSE int pthread_getname_np(pthread_t th, char *buf, size_t len)
{
    const struct green__real *real = green__reals();
    if (!green__pthr_ours(th))
        return real->pthread_getname_np(th, buf, len);
    return -green__pthr_getname(th, buf, len);
}

/* A yield lets the other green threads of this OS thread run; with none,
 * the OS thread yields. */
static int yield(void)
{
    if (!green__gate())
        return green__real.sched_yield();
    green__testcancel();  /* where an asynchronous cancel can act */
    return green_yield();
}

GREEN__INTERPOSE int sched_yield(void)
{
    return yield();
}

/* Binaries built against glibc before 2.34 call pthread_yield; newer
 * headers redirect the name to sched_yield, hence the asm label. */
GREEN__INTERPOSE int green__pthread_yield(void) __asm__("pthread_yield");
GREEN__INTERPOSE int green__pthread_yield(void)
{
    return yield();
}

/* ---- once and keys: green in every thread unless GREEN_DISABLE -------- */

GREEN__INTERPOSE int pthread_once(pthread_once_t *once, void (*fn)(void))
{
    green__slice();
    if (!green__sync_gate())
        return green__real.pthread_once(once, fn);
    return -green__once(once, fn);
}

/* Keys; the C11 tss_* (c11.c) call these: a tss_t is a pthread_key_t.
 * A sanitizer runtime's own keys hold state of the OS thread: glibc's,
 * reached without TSan's instrumentation, since TSan makes its keys
 * before it can run instrumented code (fiber_san.h). */

GREEN__INTERPOSE GREEN__NO_TSAN int
pthread_key_create(pthread_key_t *key, void (*destructor)(void *))
{
    const struct green__real *rt =
        green__san_runtime(__builtin_return_address(0));
    if (green__unlikely(rt != NULL))
        return rt->pthread_key_create(key, destructor);
    if (!green__sync_gate())
        return green__real.pthread_key_create(key, destructor);
    return -green__key_create(key, destructor);
}

GREEN__INTERPOSE GREEN__NO_TSAN int pthread_key_delete(pthread_key_t key)
{
    const struct green__real *rt =
        green__san_runtime(__builtin_return_address(0));
    if (green__unlikely(rt != NULL))
        return rt->pthread_key_delete(key);
    if (!green__sync_gate())
        return green__real.pthread_key_delete(key);
    return -green__key_delete(key);
}

GREEN__INTERPOSE GREEN__NO_TSAN void *pthread_getspecific(pthread_key_t key)
{
    const struct green__real *rt =
        green__san_runtime(__builtin_return_address(0));
    if (green__unlikely(rt != NULL))
        return rt->pthread_getspecific(key);
    if (!green__sync_gate())
        return green__real.pthread_getspecific(key);
    return green_getspecific(key);
}

GREEN__INTERPOSE GREEN__NO_TSAN int pthread_setspecific(pthread_key_t key,
                                                        const void *value)
{
    const struct green__real *rt =
        green__san_runtime(__builtin_return_address(0));
    if (green__unlikely(rt != NULL))
        return rt->pthread_setspecific(key, value);
    if (!green__sync_gate())
        return green__real.pthread_setspecific(key, value);
    return -green__setspecific(key, value);
}
