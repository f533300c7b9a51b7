/* The real libc functions behind every wrapper, resolved once with
 * dlsym(RTLD_NEXT) (dlvsym where glibc has several versions and the
 * default is not the one programs get).
 *
 * GREEN__REAL_SYMBOLS is the one declarative list: a row per symbol,
 * X(name, version or NULL). It expands to the fields of struct
 * green__real and to the resolving loop. Rows that an older glibc may
 * lack come last: a failing dlsym allocates (docs/design.md G1), and by then
 * everything malloc could need is resolved.
 *
 * Resolution is lazy (wrappers run first: docs/design.md G5) and safe
 * on any OS thread. Where the build has stubs (GREEN_LAZY_REALS: x86_64,
 * src/arch/x86_64/realstub.S), each row starts at a stub of its own that
 * resolves that row on its first call, so a process pays only for the
 * functions it calls; elsewhere the first use resolves the whole table.
 *
 * The list is also read by the stubs' assembly (__ASSEMBLER__), which
 * sees only GREEN__REAL_SYMBOLS. */
#ifndef GREEN_SRC_REAL_H
#define GREEN_SRC_REAL_H

#include "green-build.h"

#ifndef __ASSEMBLER__

#include <fcntl.h>
#include <grp.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <sched.h>
#include <semaphore.h>
#include <shadow.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <threads.h>
#include <time.h>
#include <unistd.h>
#endif

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
    X(fstatat, NULL)                  \
    X(creat, NULL)                    \
    X(fclose, NULL)                   \
    X(eventfd, NULL)                  \
    X(epoll_create, NULL)             \
    X(epoll_create1, NULL)            \
    X(thrd_sleep, NULL)               \
    X(pthread_create, NULL)           \
    X(pthread_join, NULL)             \
    X(pthread_tryjoin_np, NULL)       \
    X(pthread_timedjoin_np, NULL)     \
    X(pthread_clockjoin_np, NULL)     \
    X(pthread_detach, NULL)           \
    X(pthread_exit, NULL)             \
    X(pthread_self, NULL)             \
    X(pthread_cancel, NULL)           \
    X(pthread_setcancelstate, NULL)   \
    X(pthread_setcanceltype, NULL)    \
    X(pthread_testcancel, NULL)       \
    X(__pthread_register_cancel, NULL)   \
    X(__pthread_unregister_cancel, NULL) \
    X(__pthread_unwind_next, NULL)    \
    X(pthread_kill, NULL)             \
    X(pthread_sigqueue, NULL)         \
    X(pthread_getattr_np, NULL)       \
    X(pthread_setattr_default_np, NULL) \
    X(pthread_setname_np, NULL)       \
    X(pthread_getname_np, NULL)       \
    X(pthread_getschedparam, NULL)    \
    X(pthread_setschedparam, NULL)    \
    X(pthread_setschedprio, NULL)     \
    X(pthread_getaffinity_np, NULL)   \
    X(pthread_setaffinity_np, NULL)   \
    X(pthread_getcpuclockid, NULL)    \
    X(pthread_once, NULL)             \
    X(pthread_key_create, NULL)       \
    X(pthread_key_delete, NULL)       \
    X(pthread_getspecific, NULL)      \
    X(pthread_setspecific, NULL)      \
    X(sched_yield, NULL)              \
    X(thrd_create, NULL)              \
    X(thrd_join, NULL)                \
    X(thrd_detach, NULL)              \
    X(thrd_exit, NULL)                \
    X(thrd_current, NULL)             \
    X(pthread_mutex_init, NULL)       \
    X(pthread_mutex_destroy, NULL)    \
    X(pthread_mutex_lock, NULL)       \
    X(pthread_mutex_trylock, NULL)    \
    X(pthread_mutex_timedlock, NULL)  \
    X(pthread_mutex_clocklock, NULL)  \
    X(pthread_mutex_unlock, NULL)     \
    X(pthread_mutex_consistent, NULL) \
    X(pthread_cond_init, "GLIBC_2.3.2")      \
    X(pthread_cond_destroy, "GLIBC_2.3.2")   \
    X(pthread_cond_wait, "GLIBC_2.3.2")      \
    X(pthread_cond_timedwait, "GLIBC_2.3.2") \
    X(pthread_cond_clockwait, NULL)          \
    X(pthread_cond_signal, "GLIBC_2.3.2")    \
    X(pthread_cond_broadcast, "GLIBC_2.3.2") \
    X(pthread_rwlock_init, NULL)          \
    X(pthread_rwlock_destroy, NULL)       \
    X(pthread_rwlock_rdlock, NULL)        \
    X(pthread_rwlock_tryrdlock, NULL)     \
    X(pthread_rwlock_timedrdlock, NULL)   \
    X(pthread_rwlock_clockrdlock, NULL)   \
    X(pthread_rwlock_wrlock, NULL)        \
    X(pthread_rwlock_trywrlock, NULL)     \
    X(pthread_rwlock_timedwrlock, NULL)   \
    X(pthread_rwlock_clockwrlock, NULL)   \
    X(pthread_rwlock_unlock, NULL)        \
    X(pthread_barrier_init, NULL)         \
    X(pthread_barrier_destroy, NULL)      \
    X(pthread_barrier_wait, NULL)         \
    X(sem_init, NULL)                 \
    X(sem_destroy, NULL)              \
    X(sem_wait, NULL)                 \
    X(sem_trywait, NULL)              \
    X(sem_timedwait, NULL)            \
    X(sem_clockwait, NULL)            \
    X(sem_post, NULL)                 \
    X(sem_getvalue, NULL)             \
    X(syscall, NULL)                  \
    /* thread ids (preload/tid.c) */  \
    X(gettid, NULL)                   \
    X(tgkill, NULL)                   \
    X(sched_setaffinity, NULL)        \
    X(sched_getaffinity, NULL)        \
    X(sched_setscheduler, NULL)       \
    X(sched_getscheduler, NULL)       \
    X(sched_setparam, NULL)           \
    X(sched_getparam, NULL)           \
    X(sched_rr_get_interval, NULL)    \
    X(setpriority, NULL)              \
    X(getpriority, NULL)              \
    /* signals (preload/signal.c) */  \
    X(sigaction, NULL)                \
    X(pthread_sigmask, NULL)          \
    X(sigprocmask, NULL)              \
    X(sigpending, NULL)               \
    X(signal, NULL)                   \
    X(sysv_signal, NULL)              \
    X(sigset, NULL)                   \
    X(siginterrupt, NULL)             \
    X(sigignore, NULL)                \
    X(pause, NULL)                    \
    X(sigsuspend, NULL)               \
    X(sigwait, NULL)                  \
    X(sigwaitinfo, NULL)              \
    X(sigtimedwait, NULL)             \
    /* processes (preload/process.c) */ \
    X(fork, NULL)                     \
    X(_Fork, NULL)                    \
    X(waitpid, NULL)                  \
    X(wait, NULL)                     \
    X(wait3, NULL)                    \
    X(wait4, NULL)                    \
    X(waitid, NULL)                   \
    X(system, NULL)                   \
    X(posix_spawn, NULL)              \
    X(posix_spawnp, NULL)             \
    X(execve, NULL)                   \
    X(execv, NULL)                    \
    X(execvp, NULL)                   \
    X(execvpe, NULL)                  \
    X(fexecve, NULL)                  \
    X(popen, NULL)                    \
    X(pclose, NULL)                   \
    /* offload, DNS, NSS, files (preload/dns.c, nss.c, file.c) */ \
    X(getaddrinfo, NULL)              \
    X(getnameinfo, NULL)              \
    X(gethostbyname, NULL)            \
    X(gethostbyname2, NULL)           \
    X(gethostbyaddr, NULL)            \
    X(gethostbyname_r, NULL)          \
    X(gethostbyname2_r, NULL)         \
    X(gethostbyaddr_r, NULL)          \
    X(getpwnam, NULL)                 \
    X(getpwuid, NULL)                 \
    X(getgrnam, NULL)                 \
    X(getgrgid, NULL)                 \
    X(getspnam, NULL)                 \
    X(getpwnam_r, NULL)               \
    X(getpwuid_r, NULL)               \
    X(getgrnam_r, NULL)               \
    X(getgrgid_r, NULL)               \
    X(getspnam_r, NULL)               \
    X(getgrouplist, NULL)             \
    X(initgroups, NULL)               \
    X(res_query, NULL)                \
    X(res_search, NULL)               \
    X(res_querydomain, NULL)          \
    X(res_send, NULL)                 \
    X(res_nquery, NULL)               \
    X(res_nsearch, NULL)              \
    X(res_nquerydomain, NULL)         \
    X(res_nsend, NULL)                \
    X(pread, NULL)                    \
    X(pwrite, NULL)                   \
    X(preadv, NULL)                   \
    X(pwritev, NULL)                  \
    X(fsync, NULL)                    \
    X(fdatasync, NULL)                \
    X(close_range, NULL)              \
    X(epoll_pwait2, NULL)

#ifndef __ASSEMBLER__
/* The resolver's query calls, declared as <resolv.h> does (including it
 * here would bring its many short macros, such as putlong, everywhere). */
struct __res_state;
int res_query(const char *, int, int, unsigned char *, int);
int res_search(const char *, int, int, unsigned char *, int);
int res_querydomain(const char *, const char *, int, int, unsigned char *,
                    int);
int res_send(const unsigned char *, int, unsigned char *, int);
int res_nquery(struct __res_state *, const char *, int, int, unsigned char *,
               int);
int res_nsearch(struct __res_state *, const char *, int, int,
                unsigned char *, int);
int res_nquerydomain(struct __res_state *, const char *, const char *, int,
                     int, unsigned char *, int);
int res_nsend(struct __res_state *, const unsigned char *, int,
              unsigned char *, int);

#define GREEN__REAL_FIELD(name, version) __typeof__(name) *name;
/* Deprecated functions (sigset, siginterrupt) are still wrapped. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
struct green__real {
    GREEN__REAL_SYMBOLS(GREEN__REAL_FIELD)
};
#pragma GCC diagnostic pop
#undef GREEN__REAL_FIELD

extern struct green__real green__real;
extern atomic_bool green__real_ready;

/* Resolves every row not resolved yet: at once, rather than on first
 * use. For what runs where a first dlsym would be unsafe, such as a
 * signal handler (src/intr.c calls it before it installs a trampoline,
 * src/overflow.c when the first hub is made). Returns at once once done. */
void green__real_init(void);

#if GREEN_LAZY_REALS
/* Every row is callable from the start (its stub resolves it): nothing
 * to make sure of. */
static inline void green__real_ensure(void)
{
}
#else
static inline void green__real_ensure(void)
{
    if (__builtin_expect(
            !atomic_load_explicit(&green__real_ready, memory_order_acquire), 0))
        green__real_init();
}
#endif

/* The one way to reach a real function: the table, resolved. Costs what
 * green__real_ensure() costs, one predictable branch:
 *
 *     return green__reals()->close(fd);
 *
 * A gate resolves the table too (green__gate(), green__sync_gate() and the
 * gates built on them): on a path where one has run, green__real.<fn>
 * reaches the same row without a second check. Anywhere else (a fallback
 * that a flag test may reach before the gate, a function with no gate)
 * use this. */
static inline const struct green__real *green__reals(void)
{
    green__real_ensure();
    return &green__real;
}

/* The table's rows, for --check and the export test: text in place,
 * not pointers, so that the dynamic linker has nothing to relocate in
 * them at every start. version is the list's spelling of it, stringified:
 * "NULL" for the default version, else the quoted name ("\"GLIBC_2.17\"");
 * green__real_version() reads it. */
struct green__real_row {
    char name[40];  /* a longer one is a compile-time warning */
    char version[18];
};

/* The version row i names for dlvsym, into buf; NULL for the default. */
const char *green__real_version(unsigned i, char buf[18]);
extern const struct green__real_row green__real_rows[];
extern const unsigned green__real_nrows;

#endif /* __ASSEMBLER__ */
#endif
