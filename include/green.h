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
 * detached or already being joined), ETIMEDOUT (deadline passed; t is left
 * joinable). May yield. */
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
 * Returns 0. May yield. */
GREEN_API int green_sleep(int64_t ns);

/* Parks the calling green thread until the deadline. Returns 0. May yield. */
GREEN_API int green_sleep_until(int64_t deadline);

/* Parks the calling green thread until fd is ready for the GREEN_IN and/or
 * GREEN_OUT events asked for. Returns the ready events (an error or hang-up
 * counts as both), or -1 with errno ETIMEDOUT (deadline), EBADF (fd invalid,
 * or closed by another green thread through green_close() meanwhile),
 * EINVAL (no events asked). May yield. */
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

#ifdef __cplusplus
}
#endif

#endif
