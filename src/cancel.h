/* pthread cancellation and pthread_exit for green threads.
 *
 * Cancellation is deferred: pthread_cancel marks the thread and, unless
 * it disabled cancellation, wakes it from a wait it is parked in (as
 * green_kill does). The thread acts on the mark at its next cancellation
 * point: a wrapped call that POSIX names one, after its wait returned, or
 * pthread_testcancel. Acting unwinds the green thread's stack as glibc
 * does: cleanup handlers pushed with pthread_cleanup_push run (the C
 * ones through the chain below, the C++ and -fexceptions ones as the
 * forced unwind passes their frames), then the thread ends with
 * PTHREAD_CANCELED. pthread_exit unwinds the same way.
 *
 * The chain of C cleanup buffers (__pthread_register_cancel) is kept per
 * green thread: glibc keeps it per OS thread, which the green threads of
 * one OS thread would corrupt by interleaving their pushes and pops. */
#ifndef GREEN_SRC_CANCEL_H
#define GREEN_SRC_CANCEL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "common.h"
#include "hub.h"
#include "thread.h"

/* Acts on the calling thread's pending cancellation: does not return. */
__attribute__((noreturn)) void green__cancel_act(struct green_thread *t);

/* A cancellation point: acts if a cancellation is pending and enabled
 * for the calling green thread; returns at once otherwise (and for OS
 * threads with no hub, whose cancellation is glibc's). Call it where the
 * caller holds nothing that an unwind would leak: on entry to a wrapped
 * cancellation point, and after its wait returned -ECANCELED. */
static inline void green__testcancel(void)
{
    struct green__hub *h = green__tls_hub;
    struct green_thread *t = h ? h->current : NULL;
    if (t && green__unlikely((atomic_load_explicit(&t->pcancel,
                                                   memory_order_relaxed) &
                              ~GREEN__PC_ASYNC) == GREEN__PC_PENDING))
        green__cancel_act(t);
}

/* For waits that find, after park returned -ECANCELED, that their own
 * wake had arrived too: they report success, and the kill (green_kill) is
 * put back to fail the thread's next park instead. */
void green__cancel_keep(void);

/* pthread_cancel of green thread t: 0, or -ESRCH once t has ended. */
int green__cancel(struct green_thread *t);

/* pthread_setcancelstate / pthread_setcanceltype for the calling green
 * thread. Return 0 or -EINVAL; *old (if not NULL) gets the old value. */
int green__cancel_setstate(int state, int *old);
int green__cancel_settype(int type, int *old);

/* Ends the calling green thread as pthread_exit does: unwinds its stack,
 * running cleanup handlers and destructors, then ends it with result.
 * A thread not made by pthread_create (green_spawn) has no frame to
 * unwind to: it ends at once, as green_exit. */
__attribute__((noreturn)) void green__cancel_exit(void *result);

/* The body of a pthread_create'd thread: t->fn(t->arg), with the frame
 * an unwind ends in. Returns the result of either. */
void *green__cancel_start(struct green_thread *t);

/* The C cleanup chain, kept in t (see above). */
void green__cancel_register(struct green_thread *t, __pthread_unwind_buf_t *b);
void green__cancel_unregister(struct green_thread *t,
                              __pthread_unwind_buf_t *b);
/* After a C cleanup handler ran: unwinds on to the next one. */
__attribute__((noreturn)) void green__cancel_unwind_next(
    struct green_thread *t, __pthread_unwind_buf_t *b);

#endif
