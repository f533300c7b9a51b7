/* libgreen: green threads for blocking C and C++ programs.
 *
 * Every function follows libc's convention: on failure it returns -1 (or
 * NULL) and sets errno; the errno values each can set are listed with it.
 * "May yield" means other green threads of the same OS thread may run
 * before the call returns.
 *
 * Deadlines are absolute CLOCK_MONOTONIC times in nanoseconds, as returned
 * by green_now(); GREEN_NEVER means no deadline. A deadline already past
 * makes a waiting call fail at once with ETIMEDOUT if it would have to wait.
 *
 * Green threads never move between OS threads: each OS thread that uses
 * libgreen gets its own hub (run queue and event loop) on first use, and
 * the thread that calls into libgreen first becomes that hub's first green
 * thread. */
#ifndef GREEN_INCLUDE_GREEN_H
#define GREEN_INCLUDE_GREEN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define GREEN_API __attribute__((visibility("default")))
#define GREEN_NORETURN __attribute__((noreturn))
#else
#define GREEN_API
#define GREEN_NORETURN
#endif

#define GREEN_NEVER ((int64_t)-1)

/* Events for green_wait_fd(). */
#define GREEN_IN 1
#define GREEN_OUT 2

typedef struct green_thread *green_t;

typedef struct green_attr {
    size_t stack_size;  /* 0: GREEN_STACK_SIZE, default 256 KiB. */
    const char *name;   /* NULL: unnamed; copied, at most 15 bytes kept. */
    int detached;       /* Nonzero: resources freed at exit, no join. */
    int shared_tls;     /* Nonzero: no TLS block of its own; errno and
                           __thread variables are its OS thread's, shared
                           with the other such threads. Cheaper to spawn
                           and to switch to. */
} green_attr_t;

/* The library's version, "MAJOR.MINOR.PATCH". */
GREEN_API const char *green_version(void);

/* CLOCK_MONOTONIC now, in nanoseconds. */
GREEN_API int64_t green_now(void);

/* Starts fn(arg) in a new green thread on the calling OS thread's hub. It
 * runs when the caller next yields or waits. attr may be NULL.
 * Returns NULL with errno EAGAIN (no memory for the stack) or EINVAL (stack
 * size too large). */
GREEN_API green_t green_spawn(void *(*fn)(void *), void *arg,
                              const green_attr_t *attr);

/* Waits until t has ended, stores its result in *result (if result is not
 * NULL) and frees t. Any green thread, on any OS thread, may join t once.
 * Returns 0, or -1 with errno EDEADLK (t is the caller), EINVAL (t is
 * detached or already being joined), ETIMEDOUT (deadline passed) or
 * ECANCELED (the caller was killed); after those two t stays joinable.
 * May yield. */
GREEN_API int green_join(green_t t, void **result, int64_t deadline);

/* Makes t free its resources when it ends; t must not be joined after.
 * Returns 0, or -1 with errno EINVAL (t already detached or being joined). */
GREEN_API int green_detach(green_t t);

/* Ends the calling green thread with the given result. When the last green
 * thread of the main OS thread ends, the process exits with status 0, as it
 * does when main() calls pthread_exit(). */
GREEN_API GREEN_NORETURN void green_exit(void *result);

/* The calling green thread (the OS thread itself, adopted, if it never
 * spawned). Never fails. */
GREEN_API green_t green_self(void);

/* A number unique to t for the life of the process; the adopted first green
 * thread of the main OS thread is 1. */
GREEN_API uint64_t green_id(green_t t);

/* t's name ("" if unnamed). The pointer is valid while t is. */
GREEN_API const char *green_name(green_t t);

/* Sets t's name; longer names are truncated to 15 bytes. Returns 0. */
GREEN_API int green_setname(green_t t, const char *name);

/* Lets every other ready green thread of this OS thread run once, and polls
 * I/O now and then so that yielding threads cannot starve it. Returns 0. */
GREEN_API int green_yield(void);

/* Parks the calling green thread for ns nanoseconds (<= 0: just yield).
 * Returns 0, or -1 with errno ECANCELED (green_kill) or ETIMEDOUT (a
 * green_timeout scope ended first). May yield. */
GREEN_API int green_sleep(int64_t ns);

/* As green_sleep, until the deadline. */
GREEN_API int green_sleep_until(int64_t deadline);

/* Parks the calling green thread until fd is ready for the GREEN_IN and/or
 * GREEN_OUT events asked for. Returns the ready events (an error or hang-up
 * counts as both), or -1 with errno ETIMEDOUT (deadline), EBADF (fd invalid,
 * or closed by another green thread through green_close() meanwhile),
 * EINVAL (no events asked), ECANCELED. May yield. */
GREEN_API int green_wait_fd(int fd, int events, int64_t deadline);

/* Wakes every green thread waiting on fd with EBADF, then closes it, as
 * close(2) does. */
GREEN_API int green_close(int fd);

/* Per-green-thread values, as pthread keys. At most GREEN_KEYS_MAX keys
 * exist at once. Destructors run when a green thread with a non-NULL value
 * ends, up to 4 rounds, as POSIX says. */
#define GREEN_KEYS_MAX 1024
typedef unsigned int green_key_t;

/* Returns 0, or -1 with errno EAGAIN (no free key). */
GREEN_API int green_key_create(green_key_t *key, void (*destructor)(void *));
/* Returns 0, or -1 with errno EINVAL (not a live key). Runs no destructor. */
GREEN_API int green_key_delete(green_key_t key);
/* NULL for an unset, deleted or invalid key. */
GREEN_API void *green_getspecific(green_key_t key);
/* Returns 0, or -1 with errno EINVAL (not a live key) or ENOMEM. */
GREEN_API int green_setspecific(green_key_t key, const void *value);

/* ---- Diagnostics ------------------------------------------------------- */

/* Formats for green_dump(). */
#define GREEN_DUMP_TEXT 1  /* lines for people (also flags 0) */
#define GREEN_DUMP_JSON 2  /* one JSON document, schema in docs/dump.md */

/* Writes to fd every hub (its OS thread, run queue, time since its last
 * poll) and every green thread: id, name, state, what it waits on in
 * words and for how long, and a backtrace for the threads of the calling
 * OS thread's hub. Returns 0, or -1 with errno EINVAL (unknown flags, or
 * both formats), EBADF, or write(2)'s. */
GREEN_API int green_dump(int fd, int flags);

/* Counts since the process started, summed over its hubs (the OS threads
 * that run green threads). */
struct green_stats {
    uint64_t hubs;              /* hubs made */
    uint64_t threads_created;   /* green threads spawned */
    uint64_t threads_peak;      /* most live at once, summed over hubs */
    uint64_t threads_live;      /* live now, the adopted ones included */
    uint64_t switches;          /* context switches */
    uint64_t parks;             /* waits that parked, of which: */
    uint64_t parks_fd;          /* fd readiness, poll, select, epoll */
    uint64_t parks_sleep;
    uint64_t parks_sync;        /* mutex, cond, rwlock, sem, barrier, once,
                                   event, futex, process-shared */
    uint64_t parks_join;        /* green_join, pthread_join, groups */
    uint64_t parks_child;       /* waitpid and kin */
    uint64_t parks_offload;     /* calls run on the offload pool */
    uint64_t parks_other;       /* signals, channels, the rest */
    uint64_t cross_hub_wakes;   /* wakes sent from another OS thread */
    uint64_t offloaded;         /* calls run on the offload pool */
    uint64_t offload_pool_peak; /* most pool threads at once */
    uint64_t blocked_calls;     /* GREEN_STATS only: real calls that
                                   blocked an OS thread while other green
                                   threads were ready */
    int64_t longest_run_ns;     /* GREEN_STATS only: longest run of a green
                                   thread without a switch */
    uint64_t peak_rss_kb;       /* the process's peak resident memory */
};

/* Fills *s. Returns 0, or -1 with errno EINVAL (s is NULL). */
GREEN_API int green_stats(struct green_stats *s);

/* ---- Cancellation and timeouts --------------------------------------- */

/* Cancels t at its next wait point: if t is parked in a blocking call now,
 * it wakes and that call fails with ECANCELED; otherwise its next blocking
 * call does. Delivered once: t may then block again to clean up, as after
 * gevent's GreenletExit. No effect on an ended thread. Returns 0. */
GREEN_API int green_kill(green_t t);

/* As green_spawn, but fn starts after ns nanoseconds (a green_kill before
 * then ends the thread with result NULL without running fn). */
GREEN_API green_t green_spawn_later(int64_t ns, void *(*fn)(void *),
                                    void *arg, const green_attr_t *attr);

/* A scoped deadline: between green_timeout_start() and
 * green_timeout_cancel(), every blocking call of the calling green thread
 * (green_* waits and, under interposition, wrapped libc calls) fails with
 * ETIMEDOUT once `ns` nanoseconds have passed, as gevent.Timeout and
 * asyncio.timeout do. Scopes nest; cancel them innermost first. The
 * struct lives on the caller's stack; its fields are private. */
typedef struct green_timeout {
    int64_t deadline_;
    int64_t outer_;
    void *prev_;
} green_timeout_t;

/* Returns 0, or -1 with errno EINVAL (ns < 0). */
GREEN_API int green_timeout_start(green_timeout_t *to, int64_t ns);
/* Ends the scope. Returns 1 if its deadline had passed, else 0; -1 with
 * errno EINVAL if `to` is not the calling thread's innermost scope. */
GREEN_API int green_timeout_cancel(green_timeout_t *to);

/* ---- Mutex, condition variable, semaphore, event ----------------------- *
 * Each has the size of its pthread counterpart; an all-zero object is a
 * valid default one (GREEN_*_INIT). They work between green threads of
 * any OS thread, and with plain OS threads. Waits take deadlines and fail
 * with ETIMEDOUT or ECANCELED. */

typedef union green_mutex { char size_[40]; long align_; } green_mutex_t;
typedef union green_cond { char size_[48]; long long align_; } green_cond_t;
typedef union green_sem { char size_[32]; long align_; } green_sem_t;
typedef struct green_event { unsigned state_; } green_event_t;
#define GREEN_MUTEX_INIT {{0}}
#define GREEN_COND_INIT {{0}}
#define GREEN_EVENT_INIT {0}

enum { GREEN_MUTEX_NORMAL = 0, GREEN_MUTEX_RECURSIVE = 1,
       GREEN_MUTEX_ERRORCHECK = 2 };

/* Returns 0, or -1 with errno EINVAL (unknown type). */
GREEN_API int green_mutex_init(green_mutex_t *m, int type);
/* Returns 0, or -1 with errno ETIMEDOUT, ECANCELED, EDEADLK (errorcheck:
 * already the owner), EAGAIN (recursive: count overflow). May yield. */
GREEN_API int green_mutex_lock(green_mutex_t *m, int64_t deadline);
/* Returns 0, or -1 with errno EBUSY. */
GREEN_API int green_mutex_trylock(green_mutex_t *m);
/* Returns 0, or -1 with errno EPERM (errorcheck or recursive: the caller
 * is not the owner). */
GREEN_API int green_mutex_unlock(green_mutex_t *m);
/* Returns 0, or -1 with errno EBUSY (locked). */
GREEN_API int green_mutex_destroy(green_mutex_t *m);

/* clock: CLOCK_REALTIME (that of an all-zero object, as for pthreads) or
 * CLOCK_MONOTONIC. green deadlines are always monotonic; the clock only
 * matters to the pthread layer. Returns 0, or -1 with errno EINVAL. */
GREEN_API int green_cond_init(green_cond_t *c, int clock);
/* Unlocks m, waits for a signal, relocks m (also on failure). Returns 0
 * (possibly spuriously), or -1 with errno ETIMEDOUT, ECANCELED, EPERM (m
 * is an errorcheck or recursive mutex the caller does not own). */
GREEN_API int green_cond_wait(green_cond_t *c, green_mutex_t *m,
                              int64_t deadline);
GREEN_API int green_cond_signal(green_cond_t *c);
GREEN_API int green_cond_broadcast(green_cond_t *c);
/* Returns 0, or -1 with errno EBUSY (threads wait on it). */
GREEN_API int green_cond_destroy(green_cond_t *c);

/* Returns 0, or -1 with errno EINVAL (value > GREEN_SEM_VALUE_MAX). */
#define GREEN_SEM_VALUE_MAX 2147483647
GREEN_API int green_sem_init(green_sem_t *s, unsigned value);
/* Returns 0, or -1 with errno ETIMEDOUT, ECANCELED. May yield. */
GREEN_API int green_sem_wait(green_sem_t *s, int64_t deadline);
/* Returns 0, or -1 with errno EAGAIN (value is 0). */
GREEN_API int green_sem_trywait(green_sem_t *s);
/* Returns 0, or -1 with errno EOVERFLOW. */
GREEN_API int green_sem_post(green_sem_t *s);
GREEN_API int green_sem_getvalue(green_sem_t *s, int *value);
GREEN_API int green_sem_destroy(green_sem_t *s);

/* An event, as gevent's and asyncio's: set wakes every waiter, and waits
 * return at once while it stays set. */
GREEN_API void green_event_set(green_event_t *e);
GREEN_API void green_event_clear(green_event_t *e);
GREEN_API int green_event_is_set(const green_event_t *e);
/* Returns 0 once set, or -1 with errno ETIMEDOUT, ECANCELED. May yield. */
GREEN_API int green_event_wait(green_event_t *e, int64_t deadline);

/* ---- Channels ----------------------------------------------------------- *
 * Typed by size: every message is item_size bytes, copied in and out. A
 * channel of capacity 0 hands each message directly from sender to
 * receiver (rendezvous); GREEN_CHAN_UNBOUNDED never blocks senders.
 * Safe between green threads of any OS thread. */

typedef struct green_chan *green_chan_t;
#define GREEN_CHAN_UNBOUNDED ((size_t)-1)

/* Returns NULL with errno EINVAL (item_size 0) or ENOMEM. */
GREEN_API green_chan_t green_chan_make(size_t item_size, size_t capacity);
/* Returns 0, or -1 with errno EPIPE (closed), ETIMEDOUT, ECANCELED,
 * ENOMEM (an unbounded channel could not grow). */
GREEN_API int green_chan_send(green_chan_t ch, const void *item,
                              int64_t deadline);
/* Returns 0, or -1 with errno EPIPE (closed and drained), ETIMEDOUT,
 * ECANCELED. */
GREEN_API int green_chan_recv(green_chan_t ch, void *item, int64_t deadline);
/* Refuses further sends; receivers drain what is buffered, then get EPIPE;
 * blocked senders fail with EPIPE. Returns 0, or -1 with errno EPIPE
 * (already closed). */
GREEN_API int green_chan_close(green_chan_t ch);
/* Frees ch, discarding what it still buffers. Returns 0, or -1 with errno
 * EBUSY (threads wait on it). */
GREEN_API int green_chan_free(green_chan_t ch);

enum { GREEN_CHAN_SEND = 1, GREEN_CHAN_RECV = 2 };
typedef struct green_chan_op {
    green_chan_t ch;
    int op;       /* GREEN_CHAN_SEND or GREEN_CHAN_RECV */
    void *item;   /* message to send, or buffer to receive into */
    int err;      /* out: 0, or EPIPE if ch was closed */
} green_chan_op_t;

/* Performs exactly one of the n operations, the first that can proceed
 * (in array order if several can at once: an always-ready early channel
 * can starve later ones, unlike Go's random choice). Returns its index
 * (its err says whether it found ch closed), or -1 with errno ETIMEDOUT,
 * ECANCELED, EINVAL (n is 0, an op code is unknown, a ch is NULL), ENOMEM.
 * May yield. */
GREEN_API int green_chan_select(green_chan_op_t *ops, size_t n,
                                int64_t deadline);

/* ---- Groups and pools --------------------------------------------------- *
 * A group spawns threads and waits for them together: all (gather), or
 * whichever ends first. With a limit it is a pool: spawn waits while
 * `limit` members are running. A group is used by one OS thread. */

typedef struct green_group *green_group_t;

/* limit 0: no limit. Returns NULL with errno ENOMEM. */
GREEN_API green_group_t green_group_make(size_t limit);
/* Spawns fn(arg) as a member, first waiting (until the deadline) for a
 * free place in a pool. Returns the member (valid until it is collected),
 * or NULL with errno ETIMEDOUT, ECANCELED, EAGAIN. May yield. */
GREEN_API green_t green_group_spawn(green_group_t g, void *(*fn)(void *),
                                    void *arg, const green_attr_t *attr,
                                    int64_t deadline);
/* Waits until every member has ended and collects them all; results[i]
 * receives the result of the i-th member still in the group, in spawn
 * order (results may be NULL; at most n are stored). Returns the number
 * collected, or -1 with errno ETIMEDOUT, ECANCELED (nothing collected). */
GREEN_API long green_group_gather(green_group_t g, void **results, size_t n,
                                  int64_t deadline);
/* Waits until some member has ended, collects it and returns its id and
 * result. Returns 0, or -1 with errno ENOENT (no members), ETIMEDOUT,
 * ECANCELED. */
GREEN_API int green_group_wait_any(green_group_t g, uint64_t *id,
                                   void **result, int64_t deadline);
/* green_kill()s every running member. Returns how many. */
GREEN_API long green_group_kill(green_group_t g);
/* Members not yet collected. */
GREEN_API size_t green_group_size(green_group_t g);
/* Returns 0, or -1 with errno EBUSY (members left). */
GREEN_API int green_group_free(green_group_t g);

#ifdef __cplusplus
}
#endif

#endif
