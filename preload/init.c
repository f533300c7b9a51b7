/* Start-up of the preloaded (or linked) library: the one line that says
 * it is active, GREEN_CHECK's listing of the wrappers, and GREEN_INHERIT.
 * Nothing here is needed for the wrappers to work: they initialise
 * lazily, since they run before this constructor (PITFALLS.md A8). */
#include "interpose.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "hub.h"
#include "log.h"

/* Every libc name this library defines, as exported (the export test
 * checks this list against `nm -D`). */
static const char *const wrappers[] = {
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
    "vfork",
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

__attribute__((constructor)) static void init(void)
{
    Dl_info self;
    green__real_ensure();
    green__config_load();
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
