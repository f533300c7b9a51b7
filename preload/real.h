/* The real libc functions behind every wrapper, resolved once with
 * dlsym(RTLD_NEXT) (dlvsym where glibc has several versions and the
 * default is not the one programs get).
 *
 * GREEN__REAL_SYMBOLS is the one declarative list: a row per symbol,
 * X(name, version or NULL). It expands to the fields of struct
 * green__real and to the resolving loop. Rows that an older glibc may
 * lack come last: a failing dlsym allocates (PITFALLS.md A1), and by then
 * everything malloc could need is resolved.
 *
 * Resolution is lazy (wrappers run before our constructor: A8) and safe
 * on any OS thread; green__real_init() returns at once once done. */
#ifndef GREEN_PRELOAD_REAL_H
#define GREEN_PRELOAD_REAL_H

#include <fcntl.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <threads.h>
#include <time.h>
#include <unistd.h>

#define GREEN__REAL_SYMBOLS(X)        \
    X(read, NULL)                     \
    X(write, NULL)                    \
    X(readv, NULL)                    \
    X(writev, NULL)                   \
    X(preadv2, NULL)                  \
    X(pwritev2, NULL)                 \
    X(recv, NULL)                     \
    X(recvfrom, NULL)                 \
    X(recvmsg, NULL)                  \
    X(recvmmsg, NULL)                 \
    X(send, NULL)                     \
    X(sendto, NULL)                   \
    X(sendmsg, NULL)                  \
    X(sendmmsg, NULL)                 \
    X(accept, NULL)                   \
    X(accept4, NULL)                  \
    X(connect, NULL)                  \
    X(poll, NULL)                     \
    X(ppoll, NULL)                    \
    X(select, NULL)                   \
    X(pselect, NULL)                  \
    X(epoll_wait, NULL)               \
    X(epoll_pwait, NULL)              \
    X(sleep, NULL)                    \
    X(usleep, NULL)                   \
    X(nanosleep, NULL)                \
    X(clock_nanosleep, "GLIBC_2.17")  \
    X(close, NULL)                    \
    X(dup, NULL)                      \
    X(dup2, NULL)                     \
    X(dup3, NULL)                     \
    X(fcntl, NULL)                    \
    X(ioctl, NULL)                    \
    X(setsockopt, NULL)               \
    X(socket, NULL)                   \
    X(socketpair, NULL)               \
    X(pipe, NULL)                     \
    X(pipe2, NULL)                    \
    X(open, NULL)                     \
    X(openat, NULL)                   \
    X(creat, NULL)                    \
    X(fclose, NULL)                   \
    X(eventfd, NULL)                  \
    X(epoll_create, NULL)             \
    X(epoll_create1, NULL)            \
    X(thrd_sleep, NULL)               \
    X(close_range, NULL)              \
    X(epoll_pwait2, NULL)

#define GREEN__REAL_FIELD(name, version) __typeof__(name) *name;
struct green__real {
    GREEN__REAL_SYMBOLS(GREEN__REAL_FIELD)
};
#undef GREEN__REAL_FIELD

extern struct green__real green__real;
extern atomic_bool green__real_ready;

/* Resolves the table, once. */
void green__real_init(void);

static inline void green__real_ensure(void)
{
    if (__builtin_expect(
            !atomic_load_explicit(&green__real_ready, memory_order_acquire), 0))
        green__real_init();
}

/* The table's rows, for --check and the export test. */
struct green__real_row {
    const char *name;
    const char *version;
};
extern const struct green__real_row green__real_rows[];
extern const unsigned green__real_nrows;

#endif
