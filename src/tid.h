/* Thread ids: what gettid() gives a green thread. Each has one of its own,
 * distinct from every other thread's and never a real task id: ids above
 * the kernel's largest pid (GREEN__TID_BASE + the thread's green id). An
 * OS thread's adopted context (the main thread, a hub's first thread)
 * keeps its real id. The kernel knows none of ours, so the calls that take
 * a thread id from the program translate it (preload/tid.c): to the green
 * thread for signals, to its OS thread for scheduling and accounting.
 * glibc's own TCB keeps the real id (tls.h), for raise() and abort(). */
#ifndef GREEN_SRC_TID_H
#define GREEN_SRC_TID_H

#include <stdbool.h>
#include <sys/syscall.h>
#include <sys/types.h>

#include "real.h"

struct green__hub;
struct green_thread;

/* PID_MAX_LIMIT on 64-bit Linux: no task id reaches it. */
#define GREEN__TID_BASE ((pid_t)(1 << 22))

/* The calling OS thread's real task id, whatever green thread asks (the
 * gettid wrapper would give a green one). */
static inline pid_t green__tid_real(void)
{
    return (pid_t)green__reals()->syscall(SYS_gettid);
}

/* t's id; the first call for a green thread makes it findable. */
pid_t green__tid_of(struct green_thread *t);

/* Forgets t's id (t is being freed). */
void green__tid_forget(struct green_thread *t);

/* Whether tid is in the range of green ids (found or not). */
static inline bool green__tid_green(pid_t tid)
{
    return tid >= GREEN__TID_BASE;
}

/* The live green thread whose id is tid, or NULL; *hub gets its hub,
 * which lives as long as the process. Only a caller on that hub's OS
 * thread may use the thread itself afterwards: nothing else runs there
 * meanwhile, so it cannot end or be freed. */
struct green_thread *green__tid_find(pid_t tid, struct green__hub **hub);

/* The real task id to give the kernel for tid: tid itself unless it is a
 * green id, whose OS thread's id is given; -ESRCH for an unknown green id.
 * 0 (the caller) stays 0. */
pid_t green__tid_os(pid_t tid);

#endif
