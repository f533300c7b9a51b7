/* Start-up of the preloaded (or linked) library: the one line that says
 * it is active, GREEN_CHECK's listing of the wrappers, and GREEN_INHERIT.
 * Nothing here is needed for the wrappers to work: they initialise
 * lazily, since they run before this constructor (docs/design.md G5). */
#include "interpose.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "hub.h"
#include "log.h"

/* Every libc name this library defines, as exported (the export test
 * checks this list against `nm -D`). An array of arrays, not of
 * pointers: the dynamic linker has no relocation to make in it at every
 * start, and its pages are read only under GREEN_CHECK or at info level. */
static const char wrappers[][32] = {
    "read", "__read_chk", "readv", "preadv2", "preadv64v2", "write",
    "writev", "pwritev2", "pwritev64v2",
    "recv", "__recv_chk", "recvfrom", "__recvfrom_chk", "recvmsg",
    "recvmmsg", "send", "sendto", "sendmsg", "sendmmsg", "accept",
    "accept4", "connect",
    "poll", "__poll_chk", "ppoll", "__ppoll_chk", "select", "pselect",
    "epoll_wait", "epoll_pwait", "epoll_pwait2",
    "clock_nanosleep", "nanosleep", "sleep", "usleep", "thrd_sleep",
    "close", "close_range", "dup", "dup2", "dup3", "fcntl", "fcntl64",
    "ioctl", "setsockopt", "socket", "socketpair", "pipe", "pipe2", "open",
    "open64", "openat", "openat64", "creat", "creat64", "fclose", "eventfd",
    "epoll_create", "epoll_create1",
    /* threads (preload/pthread.c) */
    "pthread_create", "pthread_join", "pthread_tryjoin_np",
    "pthread_timedjoin_np", "pthread_clockjoin_np", "pthread_detach",
    "pthread_exit", "pthread_self", "pthread_cancel",
    "pthread_setcancelstate", "pthread_setcanceltype", "pthread_testcancel",
    "__pthread_register_cancel", "__pthread_unregister_cancel",
    "__pthread_unwind_next", "pthread_kill", "pthread_sigqueue",
    "pthread_getschedparam", "pthread_setschedparam", "pthread_setschedprio",
    "pthread_getaffinity_np", "pthread_setaffinity_np",
    "pthread_getcpuclockid", "pthread_getattr_np", "pthread_setname_np",
    "pthread_setattr_default_np",
    "pthread_getname_np", "sched_yield", "pthread_yield", "pthread_once",
    "pthread_key_create", "pthread_key_delete", "pthread_getspecific",
    "pthread_setspecific", "thrd_create", "thrd_join", "thrd_detach",
    "thrd_exit", "thrd_current", "thrd_yield", "tss_create", "tss_delete",
    "tss_get", "tss_set",
    /* sync (preload/sync.c, sem.c, futex.c) */
    "pthread_mutex_init", "pthread_mutex_destroy", "pthread_mutex_lock",
    "pthread_mutex_trylock", "pthread_mutex_timedlock",
    "pthread_mutex_clocklock", "pthread_mutex_unlock",
    "pthread_mutex_consistent", "pthread_cond_init", "pthread_cond_destroy",
    "pthread_cond_wait", "pthread_cond_timedwait", "pthread_cond_clockwait",
    "pthread_cond_signal", "pthread_cond_broadcast", "pthread_rwlock_init",
    "pthread_rwlock_destroy", "pthread_rwlock_rdlock",
    "pthread_rwlock_tryrdlock", "pthread_rwlock_timedrdlock",
    "pthread_rwlock_clockrdlock", "pthread_rwlock_wrlock",
    "pthread_rwlock_trywrlock", "pthread_rwlock_timedwrlock",
    "pthread_rwlock_clockwrlock", "pthread_rwlock_unlock",
    "pthread_barrier_init", "pthread_barrier_destroy", "pthread_barrier_wait",
    "pthread_spin_init", "pthread_spin_destroy", "pthread_spin_lock",
    "pthread_spin_trylock", "pthread_spin_unlock", "mtx_init", "mtx_lock",
    "mtx_timedlock", "mtx_trylock", "mtx_unlock", "mtx_destroy", "cnd_init",
    "cnd_signal", "cnd_broadcast", "cnd_wait", "cnd_timedwait",
    "cnd_destroy", "call_once", "sem_init", "sem_destroy", "sem_wait",
    "sem_trywait", "sem_timedwait", "sem_clockwait", "sem_post",
    "sem_getvalue", "syscall",
    /* thread ids (preload/tid.c) */
    "gettid", "tgkill", "sched_setaffinity", "sched_getaffinity",
    "sched_setscheduler", "sched_getscheduler", "sched_setparam",
    "sched_getparam", "sched_rr_get_interval", "setpriority", "getpriority",
    /* signals (preload/signal.c) */
    "sigaction", "__sigaction", "signal", "bsd_signal", "ssignal",
    "sysv_signal", "__sysv_signal", "sigset", "siginterrupt", "sigignore",
    "pause", "sigsuspend", "__sigsuspend", "sigwait", "sigwaitinfo",
    "sigtimedwait", "pthread_sigmask", "sigprocmask", "sigpending",
    /* processes (preload/process.c) */
    "vfork", "fork", "_Fork", "waitpid", "wait", "wait3", "wait4", "waitid",
    "system", "popen", "pclose", "posix_spawn", "posix_spawnp", "execve",
    "execv", "execvp", "execvpe", "fexecve",
    /* DNS, NSS, files (preload/dns.c, file.c) */
    "getaddrinfo", "getnameinfo", "gethostbyname", "gethostbyname2",
    "gethostbyaddr", "gethostbyname_r", "gethostbyname2_r",
    "gethostbyaddr_r", "getpwnam", "getpwuid", "getgrnam", "getgrgid",
    "getspnam", "getpwnam_r", "getpwuid_r", "getgrnam_r", "getgrgid_r",
    "getspnam_r", "getgrouplist", "initgroups", "res_query", "res_search",
    "res_querydomain", "res_send", "res_nquery", "res_nsearch",
    "res_nquerydomain", "res_nsend", "pread", "pread64", "pwrite",
    "pwrite64", "preadv", "preadv64", "pwritev", "pwritev64", "fsync",
    "fdatasync",
};
#define NWRAPPERS (sizeof wrappers / sizeof wrappers[0])

/* Where the program's calls to `name` go: NULL if to us, else the file
 * that shadows us (or "nowhere"). */
static const char *shadow(const char *name, const char *self)
{
    Dl_info info;
    void *p = dlsym(RTLD_DEFAULT, name);
    if (!p || !dladdr(p, &info) || !info.dli_fname)
        return "nowhere";
    return strcmp(info.dli_fname, self) ? info.dli_fname : NULL;
}

static unsigned count_live(const char *self, int list)
{
    unsigned live = 0;
    for (size_t i = 0; i < NWRAPPERS; i++) {
        const char *by = shadow(wrappers[i], self);
        live += !by;
        if (list && by)
            green__say("wrapper %s: shadowed by %s", wrappers[i], by);
        else if (list)
            green__say("wrapper %s: live", wrappers[i]);
    }
    return live;
}

/* GREEN_INHERIT=0: takes this library out of LD_PRELOAD, in place, so
 * that the program's children run without it. */
static void drop_preload(const char *self)
{
    char *list = getenv("LD_PRELOAD"), real_self[PATH_MAX], real[PATH_MAX];
    if (!list || !realpath(self, real_self))
        return;
    char *out = list;
    for (char *p = list; *p;) {
        size_t len = strcspn(p, ": ");
        char entry[PATH_MAX];
        if (len && len < sizeof entry) {
            memcpy(entry, p, len);
            entry[len] = '\0';
            if (!realpath(entry, real) || strcmp(real, real_self)) {
                if (out != list)
                    *out++ = ' ';
                memmove(out, p, len);
                out += len;
            }
        }
        p += len;
        p += strspn(p, ": ");
    }
    *out = '\0';
}

/* The real functions resolve on first use, and hubs, loops and the
 * unwinder are made by the first call that needs them, so all that is
 * left for start-up is what must happen once, before the program runs:
 * the GREEN_* warnings (green__config_load) and the three settings
 * below, each of which needs this library's own path. */
__attribute__((constructor)) static void init(void)
{
    Dl_info self;
    green__real_ensure();
    green__config_load();
    if (green__config.inherit && !green__config.check &&
        green__config.log_level < GREEN__LOG_INFO)
        return;
    if (!dladdr(&green__real, &self) || !self.dli_fname)
        return;
    if (!green__config.inherit)
        drop_preload(self.dli_fname);
    if (green__config.check) {
        unsigned live = count_live(self.dli_fname, 1);
        green__say("%u of %zu wrappers live", live, NWRAPPERS);
    }
    if (green__config.log_level >= GREEN__LOG_INFO) {
        int major, minor;
        const char *backend = green__hub_backend(&major, &minor);
        green__log(GREEN__LOG_INFO, "active %s (libev %d.%d %s; %u wrappers live)",
                   GREEN_VERSION, major, minor, backend,
                   count_live(self.dli_fname, 0));
    }
}
