/* A green thread: its saved context, its stack, and its lifecycle
 * (ready, running, parked, ended; joinable or detached). The struct sits
 * at the top of the thread's own stack, so spawning allocates nothing but
 * the (usually cached) stack. */
#ifndef GREEN_SRC_THREAD_H
#define GREEN_SRC_THREAD_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "fiber_san.h"
#include "green.h"
#include "stack.h"
#include "why.h"

struct green__hub;
struct green__key_slot;

/* How far a thread is through its life; only its hub writes it. */
enum green__state {
    GREEN__READY,    /* in its hub's run queue */
    GREEN__RUNNING,  /* its hub's current thread */
    GREEN__PARKED,   /* waiting in green__park() */
    GREEN__ENDED,    /* returned or called green_exit(); awaits reaping */
};

/* join: who may take the result. NONE and DETACHED are small constants;
 * any other value is the joining thread. */
#define GREEN__JOIN_NONE ((uintptr_t)0)
#define GREEN__JOIN_DETACHED ((uintptr_t)1)
#define GREEN__JOIN_ENDED ((uintptr_t)2)

/* pcancel's bits (cancel.h; wait.c reads them for GREEN__ASYNC). */
#define GREEN__PC_PENDING 1u    /* pthread_cancel was called */
#define GREEN__PC_DISABLED 2u   /* PTHREAD_CANCEL_DISABLE */
#define GREEN__PC_ASYNC 4u      /* PTHREAD_CANCEL_ASYNCHRONOUS */
#define GREEN__PC_UNWINDING 8u  /* cancelled or exiting: never act again */

struct green_thread {
    void *sp;                      /* saved context while not running */
    void *tp;                      /* thread pointer: its own TLS block's
                                      (tls.h), or its OS thread's */
    uint64_t handle;               /* handle.h: its pthread_t, 0 until
                                      pthr.c makes one */
    struct green__hub *hub;        /* owner for life: threads never migrate */
    struct green_thread *next;     /* run queue link */
    struct green__wnode { struct green__wnode *_Atomic next; }
        wnode;                     /* hub.c: cross-thread wake queue link */
    int saved_errno;               /* errno while switched out */
    enum green__state state;
    atomic_uint park;              /* wait.c: park token and wake result */
    atomic_uintptr_t join;         /* GREEN__JOIN_* or the joiner */
    uint64_t id;                   /* 1 = adopted main OS thread */
    void *(*fn)(void *);           /* entry and argument */
    void *arg;
    void *result;                  /* fn's return or green_exit's argument */
    struct green__key_slot *keys;  /* key.c: values, NULL until first set */
    unsigned nkeys;                /* entries in keys */
    int64_t deadline;              /* wait.c: of the current park, or -1 */
    int64_t scope_deadline;        /* innermost green_timeout's, or -1 */
    struct green_timeout *scope;   /* innermost green_timeout, or NULL */
    atomic_int cancel;             /* a green_kill not yet delivered */
    atomic_uint pcancel;           /* GREEN__PC_* bits, for cancel.h */
    void *cleanup;                 /* cancel.c: innermost registered
                                      __pthread_unwind_buf_t, or NULL */
    void *bottom;                  /* cancel.c: the start frame's jmp_buf
                                      (pthread_create'd threads only) */
    _Alignas(16) unsigned char exc[32]; /* cancel.c: the unwind's
                                      _Unwind_Exception, which must outlive
                                      the frame that starts it */
    uint64_t sigmask;              /* sigmask.c: its mask, bit sig - 1 */
    atomic_ulong sigpend;          /* intr.c: signals pthread_kill sent
                                      it (bit sig - 1), raised by the
                                      thread itself in its next park */
    unsigned char intr;            /* wait.c: the GREEN__EINTR and
                                      GREEN__ERESTART flags of the park
                                      under way, for intr.c */
    bool tid_known;                /* tid.c: its id is in the table */
    bool pthread;                  /* made by pthread_create: entered
                                      through green__cancel_start */
    bool arriving;                 /* hub.c: made on another hub's OS
                                      thread, not yet counted on its own */
    struct green__pthr_attr {      /* pthr.c: what pthread_getattr_np
                                      reports of a pthread_create'd one */
        size_t stack, guard;       /* as asked (stack 0: the real one) */
        int policy, priority;      /* if explicit_sched */
        bool explicit_sched;
    } pattr;
    _Alignas(8) unsigned char timer[64]; /* wait.c: an ev_timer */
    struct green__stack stack;     /* unused (lo == NULL) for adopted ones */
    struct green__san san;         /* fiber_san.h: its side of switches */
    size_t tls_size;               /* bytes at its top for the TLS block */
    char name[16];
    /* Diagnostics, after the fields a switch and a park read, so that
     * those keep their cache lines. */
    struct green__wait_info wait;  /* why.h: what its park waits on */
    struct green_thread *all_next, *all_prev; /* hub.c: the hub's live
                                      threads, for green_dump */
    uint64_t creator;              /* id of the thread that spawned it, or 0 */
};

/* green_spawn, on the caller's memory [stack, stack + attr->stack_size)
 * if stack is not NULL (pthread_attr_setstack): the thread's struct, TLS
 * and TCB go at its top, as glibc puts them, and it is never freed.
 * EINVAL if that leaves less than GREEN__USER_STACK_REST bytes. */
#define GREEN__USER_STACK_REST 4096
green_t green__spawn(void *(*fn)(void *), void *arg, const green_attr_t *attr,
                     void *stack);

/* green__spawn onto hub `to` (NULL: the caller's), which may be another
 * OS thread's: the thread is made here and handed over. prep (if not
 * NULL) is called with it and ctx before it can run anywhere: a thread
 * handed to another hub may run at once, before this returns. */
green_t green__spawn_on(struct green__hub *to, void *(*fn)(void *), void *arg,
                        const green_attr_t *attr, void *stack,
                        void (*prep)(struct green_thread *t, void *ctx),
                        void *ctx);

/* In a fork's child: only the forking thread is alive (see end()). */
void green__thread_forked(void);

/* The program's own OS thread of hub h exits without having ended as a
 * green thread (it returned from its start routine): it no longer
 * counts, and if it was the process's last thread, the process exits. */
void green__thread_os_exit(struct green__hub *h);

/* green_join and green_detach, returning 0 or -errno. */
int green__join(struct green_thread *t, void **result, int64_t deadline);
int green__detach(struct green_thread *t);

/* The calling OS thread's current green thread, adopting the OS thread
 * (and creating its hub) on first use. NULL only if that failed (ENOMEM). */
struct green_thread *green__self(void);

/* Fills t as the adopted context of the calling OS thread. */
void green__thread_adopt(struct green_thread *t, struct green__hub *h,
                         uint64_t id);

/* Called by the scheduler, on its own stack, once t has switched away for
 * the last time: publishes the end to a joiner, or frees a detached t. */
void green__thread_reap(struct green_thread *t);

/* When set, called by each ending thread, on it, after its key
 * destructors: kept.c sets it once it has seen a robust mutex taken, and
 * marks those the thread still holds as the kernel would for an OS
 * thread. (An upcall, as the hub's hooks: see docs/design.md, Layers.) */
extern void (*green__thread_end_hook)(struct green_thread *t);

/* A fresh id; the adopted main OS thread gets 1. */
uint64_t green__thread_next_id(void);

#endif
