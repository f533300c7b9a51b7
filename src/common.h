/* Shared by every file of src/ and preload/: visibility, branch hints,
 * green__container_of and green__assert, which is never compiled out. */
#ifndef GREEN_SRC_COMMON_H
#define GREEN_SRC_COMMON_H

#include <errno.h>
#include <stddef.h>

#include "green-build.h"

#define GREEN__HIDDEN __attribute__((visibility("hidden")))
#define green__likely(x) __builtin_expect(!!(x), 1)
#define green__unlikely(x) __builtin_expect(!!(x), 0)
#define green__container_of(ptr, type, member) \
    ((type *)((char *)(ptr) - offsetof(type, member)))

/* Internal corruption only: prints where, a backtrace, then aborts. Never
 * for what an unmodified program may legitimately do. */
#define green__assert(cond, what)                                 \
    do {                                                          \
        if (green__unlikely(!(cond)))                             \
            green__panic(__FILE__, __LINE__, (what));             \
    } while (0)

__attribute__((noreturn, cold)) void green__panic(const char *file, int line,
                                                  const char *what);

/* Converts an internal -errno result to libc's -1 plus errno: the one place
 * errno is written on the way out of a public function. */
static inline long green__set_errno(long r)
{
    if (green__likely(r >= 0))
        return r;
    errno = (int)-r;
    return -1;
}

#endif
