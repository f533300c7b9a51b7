/* The dump; see dump.h, and docs/dump.md for the formats.
 *
 * It runs in normal context (a green thread's call, or a hub's async
 * callback), so it may format floating point, call getsockname and
 * dladdr. Output goes through one stack buffer to write(2), marked as
 * libgreen's own call so that no wrapper parks in it. Threads of another
 * hub are listed under that hub's list lock, which keeps them from being
 * freed, but their stacks change under us: only the calling hub's
 * threads get a backtrace. */
#include "dump.h"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "clock.h"
#include "common.h"
#include "config.h"
#include "context.h"
#include "fdtab.h"
#include "green.h"
#include "hub.h"
#include "log.h"
#include "real.h"
#include "thread.h"
#include "unwinder.h"
#include "why.h"

#define FRAMES 48

struct out {
    int fd;
    int err;     /* 0, or write's -errno */
    bool json;
    bool first;  /* no element yet in the JSON array being written */
    size_t len;
    char buf[4096];
};

static void flush(struct out *o)
{
    const char *p = o->buf;
    size_t left = o->len;
    o->len = 0;
    while (left > 0 && !o->err) {
        green__tls_internal++;  /* never a green wait, even on a pipe */
        ssize_t n = write(o->fd, p, left);
        int e = errno;
        green__tls_internal--;
        if (n < 0 && e == EINTR)
            continue;
        if (n <= 0) {
            o->err = n < 0 ? -e : -EIO;
            return;
        }
        p += n;
        left -= (size_t)n;
    }
}

static void put(struct out *o, const char *s, size_t n)
{
    while (n > 0) {
        if (o->len == sizeof o->buf)
            flush(o);
        size_t k = sizeof o->buf - o->len < n ? sizeof o->buf - o->len : n;
        memcpy(o->buf + o->len, s, k);
        o->len += k;
        s += k;
        n -= k;
    }
}

static __attribute__((format(printf, 2, 3))) void putf(struct out *o,
                                                       const char *fmt, ...)
{
    char tmp[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0)
        put(o, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* s as a JSON string, at most max bytes of it. */
static void jstr(struct out *o, const char *s, size_t max)
{
    put(o, "\"", 1);
    for (size_t i = 0; s && s[i] && i < max; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            putf(o, "\\%c", c);
        else if (c < 0x20 || c == 0x7f)
            putf(o, "\\u%04x", c);
        else
            put(o, (const char *)&c, 1);
    }
    put(o, "\"", 1);
}

/* A comma before every element of a JSON array or object but the first. */
static void sep(struct out *o)
{
    if (!o->first)
        put(o, ",", 1);
    o->first = false;
}

static double ms(int64_t ns)
{
    return (double)ns / 1e6;
}

/* "1.2 s" or "34.5 ms" into buf. */
static const char *span(int64_t ns, char *buf, size_t n)
{
    if (ns >= GREEN__NS_PER_S || ns <= -GREEN__NS_PER_S)
        snprintf(buf, n, "%.1f s", (double)ns / 1e9);
    else
        snprintf(buf, n, "%.1f ms", ms(ns));
    return buf;
}

/* A deadline `ns` from now, in words: "until +1.2 s", or "due 3.0 ms
 * ago" once it has passed (the thread is ready, not yet run). */
static const char *until(int64_t ns, char *buf, size_t n)
{
    char s[32];
    snprintf(buf, n, ns >= 0 ? "until +%s" : "due %s ago",
             span(ns >= 0 ? ns : -ns, s, sizeof s));
    return buf;
}

static const char *state_name(enum green__state s)
{
    switch (s) {
    case GREEN__READY: return "ready";
    case GREEN__RUNNING: return "running";
    case GREEN__PARKED: return "parked";
    default: return "ended";
    }
}

/* A socket address in words: 127.0.0.1:8080, [::1]:80, a path. */
static void addr_words(const struct sockaddr_storage *ss, socklen_t len,
                       char *buf, size_t n)
{
    char ip[INET6_ADDRSTRLEN];
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *a = (const void *)ss;
        inet_ntop(AF_INET, &a->sin_addr, ip, sizeof ip);
        snprintf(buf, n, "%s:%u", ip, ntohs(a->sin_port));
    } else if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const void *)ss;
        inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof ip);
        snprintf(buf, n, "[%s]:%u", ip, ntohs(a->sin6_port));
    } else if (ss->ss_family == AF_UNIX) {
        const struct sockaddr_un *a = (const void *)ss;
        size_t plen = len > offsetof(struct sockaddr_un, sun_path)
                          ? len - offsetof(struct sockaddr_un, sun_path) : 0;
        if (!plen)
            snprintf(buf, n, "unix, unnamed");
        else if (a->sun_path[0] == 0)
            snprintf(buf, n, "unix @%.*s", (int)plen - 1, a->sun_path + 1);
        else
            snprintf(buf, n, "unix %.*s", (int)plen, a->sun_path);
    } else {
        snprintf(buf, n, "family %d", ss->ss_family);
    }
}

/* What kind of file fd is, in words: "socket 127.0.0.1:8080 <-
 * 127.0.0.1:51234", "pipe", "tty". */
static void fd_words(int fd, char *buf, size_t n)
{
    static const char *const kinds[] = {"unknown", "socket", "pipe",
                                        "tty",     "file",   "other"};
    struct green__fdinfo fi;
    unsigned kind = green__fd_info(fd, &fi) == 0
                        ? fi.info & GREEN__FD_KIND : GREEN__FD_UNKNOWN;
    if (kind >= sizeof kinds / sizeof kinds[0])
        kind = GREEN__FD_UNKNOWN;
    if (kind != GREEN__FD_SOCKET) {
        snprintf(buf, n, "%s", kinds[kind]);
        return;
    }
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    char local[128] = "?", peer[128];
    if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0)
        addr_words(&ss, len, local, sizeof local);
    len = sizeof ss;
    if (getpeername(fd, (struct sockaddr *)&ss, &len) == 0) {
        addr_words(&ss, len, peer, sizeof peer);
        snprintf(buf, n, "socket %s <- %s", local, peer);
    } else {
        snprintf(buf, n, "socket %s", local);
    }
}

/* What a parked thread waits on, in words, into buf. */
static void why_words(const struct green_thread *t, int64_t now, char *buf,
                      size_t n)
{
    const struct green__wait_info *w = &t->wait;
    char file[300], left[32];
    static const char *const rw[] = {"wait on", "read", "write",
                                     "read/write"};
    size_t k = 0;
    switch (w->why) {
    case GREEN__WHY_FD:
        fd_words((int)w->num, file, sizeof file);
        k = (size_t)snprintf(buf, n, "%s fd %lld (%s)", rw[w->events & 3],
                             (long long)w->num, file);
        break;
    case GREEN__WHY_POLL:
        k = (size_t)snprintf(buf, n, "poll on %lld fd%s", (long long)w->num,
                             w->num == 1 ? "" : "s");
        break;
    case GREEN__WHY_SLEEP:
        if (t->deadline < 0 || t->deadline == INT64_MAX)
            k = (size_t)snprintf(buf, n, "sleep for ever");
        else
            k = (size_t)snprintf(buf, n, "sleep %s", until(t->deadline - now,
                                                           left, sizeof left));
        break;
    case GREEN__WHY_JOIN:
        k = (size_t)snprintf(buf, n, "join thread %lld", (long long)w->num);
        break;
    case GREEN__WHY_CHILD:
        if (w->num < 0)
            k = (size_t)snprintf(buf, n, "waitpid any child");
        else
            k = (size_t)snprintf(buf, n, "waitpid %lld", (long long)w->num);
        break;
    case GREEN__WHY_OFFLOAD:
        if (w->arg)
            k = (size_t)snprintf(buf, n, "offload: %s(\"%.200s\")",
                                 w->call ? w->call : "call", w->arg);
        else
            k = (size_t)snprintf(buf, n, "offload: %s()",
                                 w->call ? w->call : "call");
        break;
    case GREEN__WHY_SIGNAL:
        k = (size_t)snprintf(buf, n, "signal (sigwait, pause, sigsuspend)");
        break;
    case GREEN__WHY_SHARED:
        k = (size_t)snprintf(buf, n, "process-shared object %p, polled",
                             w->obj);
        break;
    case GREEN__WHY_NONE:
        k = (size_t)snprintf(buf, n, "park");
        break;
    default:
        k = (size_t)snprintf(buf, n, "%s %p", green__why_name(w->why),
                             w->obj);
        break;
    }
    if (w->why != GREEN__WHY_SLEEP && t->deadline >= 0 &&
        t->deadline != INT64_MAX && k < n)
        snprintf(buf + k, n - k, ", %s",
                 until(t->deadline - now, left, sizeof left));
}

/* Walks the stack of t, a thread of the calling hub (`live`: the
 * calling one), one frame per line or JSON object. */
static void backtrace(struct out *o, struct green_thread *t, bool live)
{
    const struct green__unw *unw = green__unwind_load();
    unw_context_t uc;
    unw_cursor_t cur;
    int r;
    if (!unw) {
        r = -UNW_EUNSPEC;  /* libunwind cannot be loaded */
    } else if (live) {
        getcontext((ucontext_t *)&uc);
        r = unw->init_local(&cur, &uc);
    } else {
        r = green__context_unwind_init(t->sp, &uc) < 0
                ? -UNW_EUNSPEC : unw->init_local2(&cur, &uc, 0);
    }
    if (o->json)
        put(o, "[", 1);
    o->first = true;
    for (int i = 0; r >= 0 && i < FRAMES; i++) {
        unw_word_t ip = 0, off = 0;
        char name[256];
        unw->get_reg(&cur, UNW_REG_IP, &ip);
        if (ip == 0)
            break;
        if (unw->get_proc_name(&cur, name, sizeof name, &off) != 0)
            name[0] = 0;
        Dl_info dl;
        const char *mod = dladdr((void *)(uintptr_t)(ip - (i > 0)), &dl) &&
                                  dl.dli_fname ? dl.dli_fname : NULL;
        if (o->json) {
            sep(o);
            putf(o, "{\"ip\":\"0x%lx\",\"function\":", (unsigned long)ip);
            if (name[0])
                jstr(o, name, sizeof name);
            else
                put(o, "null", 4);
            putf(o, ",\"offset\":%lu,\"module\":", (unsigned long)off);
            if (mod)
                jstr(o, mod, 4096);
            else
                put(o, "null", 4);
            put(o, "}", 1);
        } else {
            putf(o, "    #%-2d 0x%016lx %s+0x%lx (%s)\n", i, (unsigned long)ip,
                 name[0] ? name : "?", (unsigned long)off, mod ? mod : "?");
        }
        if (unw->step(&cur) <= 0)
            break;
    }
    if (o->json)
        put(o, "]", 1);
    else if (r < 0)
        putf(o, "    (no backtrace: libunwind error %d)\n", r);
}

/* Where t starts, into buf: its entry function's name where the
 * dynamic symbol table has it, else the offset in its module (for
 * addr2line), or NULL. *mod: the module. */
static const char *start_of(const struct green_thread *t, char *buf,
                            size_t n, const char **mod)
{
    Dl_info dl;
    *mod = NULL;
    if (!t->fn || !dladdr((void *)(uintptr_t)t->fn, &dl))
        return NULL;
    *mod = dl.dli_fname;
    if (dl.dli_sname)
        snprintf(buf, n, "%s", dl.dli_sname);
    else
        snprintf(buf, n, "+0x%lx", (unsigned long)((uintptr_t)t->fn -
                                                   (uintptr_t)dl.dli_fbase));
    return buf;
}

static void thread_out(struct out *o, struct green_thread *t, int64_t now,
                       bool own)
{
    const char *start_mod;
    char start_buf[256];
    const char *start = start_of(t, start_buf, sizeof start_buf, &start_mod);
    struct green__hub *h = t->hub;
    bool live = own && t == h->current;
    bool walk = own && t->state != GREEN__ENDED;
    bool parked = t->state == GREEN__PARKED && !live;
    bool timed = parked && t->wait.since > 0;
    char why[512], took[32];
    if (parked)
        why_words(t, now, why, sizeof why);
    const char *state = live ? "running" : state_name(t->state);
    if (o->json) {
        sep(o);
        putf(o, "{\"id\":%llu,\"name\":", (unsigned long long)t->id);
        jstr(o, t->name, sizeof t->name);
        putf(o, ",\"state\":\"%s\",\"for_ms\":", state);
        if (timed)
            putf(o, "%.3f", ms(now - t->wait.since));
        else
            put(o, "null", 4);
        put(o, ",\"wait\":", 8);
        if (parked) {
            putf(o, "{\"kind\":\"%s\",\"text\":",
                 green__why_name(t->wait.why));
            jstr(o, why, sizeof why);
            if (t->wait.why == GREEN__WHY_FD)
                putf(o, ",\"fd\":%lld", (long long)t->wait.num);
            else if (t->wait.why == GREEN__WHY_JOIN)
                putf(o, ",\"thread\":%lld", (long long)t->wait.num);
            else if (t->wait.why == GREEN__WHY_CHILD)
                putf(o, ",\"pid\":%lld", (long long)t->wait.num);
            else if (t->wait.obj)
                putf(o, ",\"object\":\"%p\"", t->wait.obj);
            if (t->deadline >= 0 && t->deadline != INT64_MAX)
                putf(o, ",\"deadline_in_ms\":%.3f", ms(t->deadline - now));
            put(o, "}", 1);
        } else {
            put(o, "null", 4);
        }
        putf(o, ",\"creator\":%llu,\"start\":",
             (unsigned long long)t->creator);
        if (start)
            jstr(o, start, 256);
        else
            put(o, "null", 4);
        put(o, ",\"backtrace\":", 13);
        if (walk)
            backtrace(o, t, live);
        else
            put(o, "null", 4);
        put(o, "}", 1);
        o->first = false;
        return;
    }
    putf(o, "  thread %llu%s%s%s %s", (unsigned long long)t->id,
         t->name[0] ? " \"" : "", t->name, t->name[0] ? "\"" : "", state);
    if (timed)
        putf(o, " %s", span(now - t->wait.since, took, sizeof took));
    if (parked)
        putf(o, ": %s", why);
    put(o, "\n", 1);
    if (t->creator || start)
        putf(o, "    created by thread %llu, starting at %s (%s)\n",
             (unsigned long long)t->creator, start ? start : "?",
             start_mod ? start_mod : "?");
    if (walk)
        backtrace(o, t, live);
    else if (t->state != GREEN__ENDED)
        putf(o, "    (no backtrace: on another OS thread)\n");
}

static void hub_out(struct green__hub *h, void *arg)
{
    struct out *o = arg;
    bool own = h == green__tls_hub;
    int64_t now = green_now();
    size_t n = 0;
    if (!own)
        green__oslock_lock(&h->threads_lock);
    /* A started hub's own context only idles (hub.c): not a thread of
     * the program's. */
    const struct green_thread *idle = h->worker ? &h->first : NULL;
    for (struct green_thread *t = h->threads; t; t = t->all_next)
        n += t != idle;
    if (o->json) {
        sep(o);
        putf(o, "{\"os_tid\":%d,\"main\":%s,\"index\":%d,\"runq\":%zu,"
                "\"since_poll_ms\":%.3f,\"current\":",
             (int)h->tid, h->is_main ? "true" : "false",
             h->index == GREEN__HUB_FOREIGN ? -1 : (int)h->index, h->nready,
             ms(now - h->polled_at));
        if (h->current)
            putf(o, "%llu", (unsigned long long)h->current->id);
        else
            put(o, "null", 4);
        put(o, ",\"threads\":[", 12);
        o->first = true;
    } else {
        char poll[32];
        putf(o, "hub: OS thread %d%s, %zu ready, last poll %s ago, %zu "
                "thread%s\n",
             (int)h->tid, h->is_main ? " (main)" : "", h->nready,
             span(now - h->polled_at, poll, sizeof poll), n,
             n == 1 ? "" : "s");
    }
    struct green_thread *last = h->threads;
    while (last && last->all_next)
        last = last->all_next;
    for (struct green_thread *t = last; t; t = t->all_prev)
        if (t != idle)
            thread_out(o, t, now, own);  /* oldest first */
    if (!own)
        green__oslock_unlock(&h->threads_lock);
    if (o->json) {
        put(o, "]}", 2);
        o->first = false;
    }
}

static void count_hub(struct green__hub *h, void *arg)
{
    (void)h;
    ++*(int *)arg;
}

int green_dump(int fd, int flags)
{
    if (flags & ~(GREEN_DUMP_TEXT | GREEN_DUMP_JSON) ||
        (flags & GREEN_DUMP_TEXT && flags & GREEN_DUMP_JSON))
        return (int)green__set_errno(-EINVAL);
    if (fcntl(fd, F_GETFL) < 0)
        return (int)green__set_errno(-EBADF);
    struct out o = {.fd = fd, .json = flags & GREEN_DUMP_JSON};
    int nhubs = 0;
    green__hub_each(count_hub, &nhubs);
    if (o.json) {
        putf(&o, "{\"pid\":%d,\"time_ns\":%lld,\"hubs\":[", (int)getpid(),
             (long long)green_now());
        o.first = true;
    } else {
        putf(&o, "libgreen dump of pid %d: %d hub%s\n", (int)getpid(), nhubs,
             nhubs == 1 ? "" : "s");
    }
    green__hub_each(hub_out, &o);
    put(&o, o.json ? "]}\n" : "end of dump\n", o.json ? 3 : 12);
    flush(&o);
    return o.err ? (int)green__set_errno(o.err) : 0;
}

/* ---- GREEN_DUMP_SIGNAL ----------------------------------------------- */

static atomic_int asked;  /* a dump signal came, not yet answered */

/* Async-signal-safe: a store and an eventfd write (ev_async_send). */
static void on_signal(int sig)
{
    (void)sig;
    int saved = errno;
    struct green__hub *h = green__tls_hub;
    if (!h)
        h = atomic_load(&green__hub_main);
    if (h) {
        atomic_store(&asked, 1);
        green__hub_poke(h);
    }
    errno = saved;
}

void green__dump_setup(void)
{
    static atomic_flag done;
    int sig = green__config.dump_signal;
    if (!sig || atomic_flag_test_and_set(&done))
        return;
    struct sigaction old;
    if (green__reals()->sigaction(sig, NULL, &old) < 0)
        return;
    if (old.sa_handler != SIG_DFL) {
        green__log(GREEN__LOG_WARN,
                   "ignoring GREEN_DUMP_SIGNAL=%s: the program has its own "
                   "disposition for it, which libgreen keeps",
                   sigabbrev_np(sig) ? sigabbrev_np(sig) : "?");
        return;
    }
    struct sigaction sa = {.sa_handler = on_signal,
                           .sa_flags = SA_RESTART | SA_ONSTACK};
    sigemptyset(&sa.sa_mask);
    green__reals()->sigaction(sig, &sa, NULL);
}

void green__dump_poll(void)
{
    if (green__unlikely(atomic_load_explicit(&asked, memory_order_relaxed)) &&
        atomic_exchange(&asked, 0))
        green_dump(STDERR_FILENO, GREEN_DUMP_TEXT);
}
