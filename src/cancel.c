/* pthread cancellation and pthread_exit of green threads; see cancel.h.
 *
 * Unwinding is glibc's own method, done per green thread: a forced unwind
 * (libgcc's _Unwind_ForcedUnwind) runs the C++ destructors and
 * -fexceptions cleanups frame by frame, and a stop function watches for
 * the innermost C cleanup buffer: once the unwind reaches the frame that
 * holds it (the frame's CFA lies above the buffer, which is one of its
 * locals), it longjmps there; pthread_cleanup_push's code runs the
 * handler and calls __pthread_unwind_next, which starts the next leg.
 * Below the last buffer lies the jmp_buf of green__cancel_start(), where
 * the thread ends. libgcc_s is opened when first needed, as glibc does. */
#include "cancel.h"

#include <dlfcn.h>
#include <errno.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <unwind.h>

#include "green.h"
#include "wait.h"

/* __pthread_unwind_buf_t's private words, as glibc uses them. */
#define PREV 0     /* the next outer buffer */
#define OLDSTYLE 1 /* glibc's _pthread_cleanup_push list: none here */

static struct {
    _Unwind_Reason_Code (*forced)(struct _Unwind_Exception *,
                                  _Unwind_Stop_Fn, void *);
    _Unwind_Word (*cfa)(struct _Unwind_Context *);
} unwinder;

static void load_unwinder(void)
{
    void *lib = dlopen("libgcc_s.so.1", RTLD_NOW | RTLD_GLOBAL);
    void *f = lib ? dlsym(lib, "_Unwind_ForcedUnwind") : NULL;
    void *c = lib ? dlsym(lib, "_Unwind_GetCFA") : NULL;
    if (!f || !c)
        green__panic(__FILE__, __LINE__,
                     "pthread_exit and cancellation need libgcc_s.so.1");
    memcpy(&unwinder.cfa, &c, sizeof c);
    memcpy(&unwinder.forced, &f, sizeof f);
}

void green__cancel_register(struct green_thread *t, __pthread_unwind_buf_t *b)
{
    b->__pad[PREV] = t->cleanup;
    b->__pad[OLDSTYLE] = NULL;
    t->cleanup = b;
}

void green__cancel_unregister(struct green_thread *t,
                              __pthread_unwind_buf_t *b)
{
    t->cleanup = b->__pad[PREV];
}

/* A forced unwind is not an exception anyone may keep: a catch (...)
 * that does not rethrow it ends up here, as in glibc. */
static void exc_cleanup(_Unwind_Reason_Code r, struct _Unwind_Exception *e)
{
    (void)r, (void)e;
    green__panic(__FILE__, __LINE__,
                 "a cancelled or exiting thread's unwind was not rethrown");
}

static _Unwind_Reason_Code stop(int version, _Unwind_Action actions,
                                _Unwind_Exception_Class cls,
                                struct _Unwind_Exception *exc,
                                struct _Unwind_Context *ctx, void *param)
{
    (void)version, (void)cls, (void)exc;
    struct green_thread *t = param;
    __pthread_unwind_buf_t *b = t->cleanup;
    void *target = b ? (void *)b : t->bottom;
    if (!(actions & _UA_END_OF_STACK) &&
        unwinder.cfa(ctx) <= (_Unwind_Word)(uintptr_t)target)
        return _URC_NO_REASON;  /* a frame above the target: unwind it */
    /* The buffer is a jmp_buf without its signal mask, which longjmp
     * does not read when none was saved; the volatile pointer keeps the
     * compiler from checking its size against a whole jmp_buf. */
    void *volatile env = b ? (void *)b->__cancel_jmp_buf : t->bottom;
    longjmp(env, 1);
}

static __attribute__((noreturn)) void unwind(struct green_thread *t)
{
    if (!unwinder.forced)
        load_unwinder();
    struct _Unwind_Exception *e = (struct _Unwind_Exception *)t->exc;
    memset(e, 0, sizeof *e);
    e->exception_cleanup = exc_cleanup;
    unwinder.forced(e, stop, t);
    green__panic(__FILE__, __LINE__, "forced unwind returned");
}

void green__cancel_unwind_next(struct green_thread *t,
                               __pthread_unwind_buf_t *b)
{
    t->cleanup = b->__pad[PREV];
    unwind(t);
}

void *green__cancel_start(struct green_thread *t)
{
    jmp_buf bottom;
    t->bottom = &bottom;
    if (setjmp(bottom))
        return green__tls_hub->current->result;
    return t->fn(t->arg);
}

/* Ends t with result: unwinding if t has a frame to unwind to. */
static __attribute__((noreturn)) void finish(struct green_thread *t,
                                             void *result)
{
    atomic_fetch_or(&t->pcancel, GREEN__PC_UNWINDING);
    atomic_store(&t->cancel, 0);  /* cleanup handlers may wait again */
    t->result = result;
    if (!t->bottom)
        green_exit(result);
    unwind(t);
}

void green__cancel_act(struct green_thread *t)
{
    finish(t, PTHREAD_CANCELED);
}

void green__cancel_exit(void *result)
{
    finish(green__self(), result);
}

void green__cancel_keep(void)
{
    atomic_store(&green__self()->cancel, 1);
}

int green__cancel(struct green_thread *t)
{
    unsigned old = atomic_fetch_or(&t->pcancel, GREEN__PC_PENDING);
    if (old & (GREEN__PC_PENDING | GREEN__PC_DISABLED | GREEN__PC_UNWINDING))
        return 0;
    if (t->state == GREEN__ENDED)
        return 0;  /* ended, not yet joined: glibc says 0 too */
    struct green__hub *h = green__tls_hub;
    if (h && h->current == t) {
        if (old & GREEN__PC_ASYNC)
            green__cancel_act(t);
        return 0;
    }
    /* Wake it from a wait, as green_kill does; a wait that may not be
     * interrupted (a mutex) keeps the kill for later. */
    atomic_store(&t->cancel, 1);
    green__unpark(t, -ECANCELED);
    return 0;
}

/* Sets or clears `bit` in the caller's pcancel; the old setting goes to
 * *old as 0 or 1. Acts at once if that enables an asynchronous cancel
 * that is pending, as glibc does. */
static int set_bit(unsigned bit, int on, int *old)
{
    if (on != 0 && on != 1)
        return -EINVAL;
    struct green_thread *t = green__self();
    unsigned prev = on ? atomic_fetch_or(&t->pcancel, bit)
                       : atomic_fetch_and(&t->pcancel, ~bit);
    if (old)
        *old = (prev & bit) != 0;
    /* A deferred one waits for the next cancellation point, which looks
     * at pcancel on entry. */
    if (atomic_load(&t->pcancel) == (GREEN__PC_PENDING | GREEN__PC_ASYNC))
        green__cancel_act(t);
    return 0;
}

int green__cancel_setstate(int state, int *old)
{
    return set_bit(GREEN__PC_DISABLED, state == PTHREAD_CANCEL_DISABLE ? 1
                                       : state == PTHREAD_CANCEL_ENABLE ? 0
                                                                        : -1,
                   old);
}

int green__cancel_settype(int type, int *old)
{
    return set_bit(GREEN__PC_ASYNC, type == PTHREAD_CANCEL_ASYNCHRONOUS ? 1
                                    : type == PTHREAD_CANCEL_DEFERRED   ? 0
                                                                        : -1,
                   old);
}
