/* The offload pool: real OS threads that make, for a parked green thread,
 * a blocking call that cannot be polled (DNS and NSS lookups, which use
 * glibc-internal sockets; regular files with GREEN_FILE_IO=offload;
 * waits for children that no pidfd can express), and hand the result back
 * through the green thread's hub.
 *
 * The pool grows with demand up to GREEN_OFFLOAD_THREADS, and threads idle
 * for a while retire. Its threads block every signal, so that the
 * program's handlers run on the OS threads of its green threads.
 *
 * A caller fills a job, usually on its own stack, with the function to run
 * and its arguments and result fields, then calls green__offload(). */
#ifndef GREEN_SRC_OFFLOAD_H
#define GREEN_SRC_OFFLOAD_H

#include <stdatomic.h>
#include <stdint.h>

struct green_thread;

struct green__job {
    /* Makes the call; on a pool thread, or on the caller's own thread
     * when nothing else could run. Saves errno (and h_errno and the like)
     * into the job itself. */
    void (*run)(struct green__job *job);
    /* For a job the caller may leave before it is done (see below): frees
     * the job and whatever run produced (say, an addrinfo list), on the
     * pool thread once run has returned. NULL: the caller always waits
     * for the end, whatever happens to it meanwhile. */
    void (*discard)(struct green__job *job);
    /* What it calls, for the wait reason (why.h): a name, such as
     * "getaddrinfo", and its argument or NULL; alive while it runs. */
    const char *call;
    const char *arg;
    /* For a job whose call can be cut short: makes run return soon (say,
     * by waking the futex it waits on), on the caller's thread, when its
     * park is interrupted as its flags allow. The caller then still waits
     * for the end, and green__offload() returns the interruption. NULL:
     * the call runs to its end (or is discarded, above). */
    void (*stop)(struct green__job *job);
    /* offload.c's */
    struct green__job *next;
    struct green_thread *waiter;
    atomic_int state;
};

/* Runs job->run(job) on a pool thread while the calling green thread
 * parks with `flags` (green__park_flags()'s), or directly when no other
 * green thread could run meanwhile (or the caller is not a green thread).
 * Returns 0 once run has returned.
 *
 * With job->discard set, the park may also fail (-ECANCELED, -ETIMEDOUT,
 * -EINTR, as flags allow): green__offload() then returns that error at
 * once, and the job (which must then be on the heap) belongs to the pool,
 * which calls discard once run returns. Nothing is written to the
 * caller's memory after that. Without discard, the caller waits for the
 * end whatever happens meanwhile (a kill or timeout stays pending for its
 * next wait), and 0 is the only result.
 *
 * If no pool thread can be started and none is running, run is made on
 * the caller's thread (blocking it), so the call still happens; a
 * warning says so. (-EAGAIN is never returned; callers need not handle
 * it.) */
int green__offload(struct green__job *job, int flags);

/* green__offload() in two steps, for a caller with something to do while
 * the call runs (src/kept.c releases a mutex once a wait has begun): start
 * queues job for a pool thread, without parking, and returns 0, or -EAGAIN
 * if no pool thread can run it (nothing is queued then); end parks until
 * it is done, as green__offload() does. Only a green thread on a hub may
 * start a job. */
int green__offload_start(struct green__job *job);
int green__offload_end(struct green__job *job, int flags);

/* The most pool threads there were at once. */
unsigned green__offload_peak(void);

/* How long a pool thread waits for work before it retires: 5 s by
 * default. Tests shorten it. */
extern int64_t green__offload_idle_ns;

/* In the child of a fork: the pool's threads do not exist there. Forgets
 * them and their jobs (jobs of green threads that did not survive the
 * fork either) and resets the pool's locks. */
void green__offload_fork_child(void);

#endif
