/* The blocking monitor; see monitor.h.
 *
 * It reads other OS threads' hubs without their cooperation: the switch
 * count is atomic, the run queue length and deadlines are plain words
 * read racily (a stale value delays or skips a report, nothing worse),
 * and a thread is only dereferenced under its hub's list lock once it is
 * found on the list, so that it cannot be freed meanwhile. It is not
 * restarted in a fork child. */
#include "monitor.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <ucontext.h>
#include <unistd.h>

#include "clock.h"
#include "common.h"
#include "config.h"
#include "fdtab.h"
#include "fiber_san.h"
#include "green.h"
#include "hub.h"
#include "log.h"
#include "oslock.h"
#include "real.h"
#include "thread.h"
#include "unwinder.h"

static int64_t last_report;   /* green_now() of the last report */
static unsigned suppressed;   /* episodes not reported since */

/* Where the computing thread is: a signal to its OS thread, whose handler
 * copies the interrupted pc and the top of the stack (only words of the
 * thread's own stack: no fault, and no unwinder, whose locks the
 * interrupted code may hold). The monitor thread then names the pc and
 * scans the copy for return addresses: words that point just after a
 * call instruction in a loaded object, as crash reporters do without
 * unwind tables. The signal is SIGRTMAX - 1 while the program leaves it
 * at SIG_DFL. */
static int sample_sig;

/* Copies n words of a stack, redzones of ASan's included: not memcpy,
 * which ASan checks, and which the compiler may make of a plain loop. */
static GREEN__NO_ASAN void copy_stack(uintptr_t *to, const void *from,
                                      unsigned n)
{
    const volatile uintptr_t *w = from;
    for (unsigned i = 0; i < n; i++)
        to[i] = w[i];
}

static void on_sample(int sig, siginfo_t *si, void *ucp)
{
    (void)sig, (void)si;
    struct green__hub *h = green__tls_hub;
    if (!h)
        return;
    unsigned n = 0;
#if defined(__x86_64__)
    const ucontext_t *uc = ucp;
    struct green_thread *t = h->current;
    uintptr_t sp = (uintptr_t)uc->uc_mcontext.gregs[REG_RSP];
    h->mon_pc = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
    if (t && t->stack.lo && sp >= (uintptr_t)t->stack.lo &&
        sp < (uintptr_t)t->stack.hi && !(sp & 7)) {
        size_t room = ((uintptr_t)t->stack.hi - sp) / 8;
        n = room < 256 ? (unsigned)room : 256;
        copy_stack(h->mon_stack, (const void *)sp, n);
    }
#else
    (void)ucp;
    h->mon_pc = 0;
#endif
    h->mon_nwords = n;
    atomic_fetch_add_explicit(&h->mon_sample, 1, memory_order_release);
}

/* Takes a sample of h's running thread: true if one came within 50 ms. */
static bool sample(struct green__hub *h)
{
    if (!sample_sig)
        return false;
    unsigned before = atomic_load_explicit(&h->mon_sample,
                                           memory_order_acquire);
    if (green__reals()->syscall(SYS_tgkill, getpid(), h->tid, sample_sig) < 0)
        return false;
    for (int i = 0; i < 50; i++) {
        if (atomic_load_explicit(&h->mon_sample, memory_order_acquire) !=
            before)
            return h->mon_pc != 0;
        green__os_nap(1000000);
    }
    return false;
}

/* Whether the bytes before ret end a call (x86_64: call rel32, or an
 * indirect call through a register or memory). Read with
 * process_vm_readv, which fails rather than faults on an unmapped byte. */
static bool after_call(uintptr_t ret)
{
#if defined(__x86_64__)
    unsigned char b[8];
    struct iovec local = {b, sizeof b}, remote = {(void *)(ret - 8), 8};
    if (process_vm_readv(getpid(), &local, 1, &remote, 1, 0) != 8)
        return false;
    const unsigned char *e = b + 8;  /* ret */
    if (e[-5] == 0xe8)
        return true;
    for (int len = 2; len <= 7; len++)
        if (e[-len] == 0xff && (e[-len + 1] & 0x38) == 0x10)
            return true;
#else
    (void)ret;
#endif
    return false;
}

/* The function around pc, by name, as libunwind finds it (from .symtab
 * as well as the dynamic symbols): a cursor made at pc. */
static bool proc_name(uintptr_t pc, char *name, size_t n, unw_word_t *off)
{
#if defined(__x86_64__)
    const struct green__unw *unw = green__unwind_load();
    unw_context_t ctx;
    unw_cursor_t cur;
    if (!unw || getcontext((ucontext_t *)&ctx) != 0)
        return false;
    ((ucontext_t *)&ctx)->uc_mcontext.gregs[REG_RIP] = (greg_t)pc;
    return unw->init_local(&cur, &ctx) == 0 &&
           unw->get_proc_name(&cur, name, n, off) == 0;
#else
    (void)pc, (void)name, (void)n, (void)off;
    return false;
#endif
}

/* One line of a sampled frame: symbol+offset (libunwind reads .symtab
 * too, so static functions are named) and module. */
static void say_frame(const char *tag, unsigned i, uintptr_t pc)
{
    Dl_info di;
    char name[128];
    unw_word_t off;
    uintptr_t at = i ? pc - 1 : pc;  /* a return address is after its call */
    if (!dladdr((void *)at, &di) || !di.dli_fname)
        green__say("  %s#%u 0x%016llx ?", tag, i, (unsigned long long)pc);
    else if (proc_name(at, name, sizeof name, &off))
        green__say("  %s#%u 0x%016llx %s+0x%llx (%s)", tag, i,
                   (unsigned long long)pc, name,
                   (unsigned long long)(off + (pc - at)), di.dli_fname);
    else if (di.dli_sname)
        green__say("  %s#%u 0x%016llx %s+0x%llx (%s)", tag, i,
                   (unsigned long long)pc, di.dli_sname,
                   (unsigned long long)(pc - (uintptr_t)di.dli_saddr),
                   di.dli_fname);
    else
        green__say("  %s#%u 0x%016llx +0x%llx (%s)", tag, i,
                   (unsigned long long)pc,
                   (unsigned long long)(pc - (uintptr_t)di.dli_fbase),
                   di.dli_fname);
}

/* The sample: the pc, then up to 8 return addresses found on the stack. */
static void say_sample(struct green__hub *h)
{
    say_frame("", 0, h->mon_pc);
    unsigned found = 0;
    for (unsigned i = 0; i < h->mon_nwords && found < 8; i++) {
        uintptr_t w = h->mon_stack[i];
        Dl_info di;
        if (w < 4096 || !dladdr((void *)(w - 1), &di) || !di.dli_fname ||
            !after_call(w))
            continue;
        say_frame("", ++found, w);
    }
}

/* Whether some parked thread of h is past its deadline. Under h's lock. */
static bool deadline_passed(const struct green__hub *h, int64_t now)
{
    for (const struct green_thread *t = h->threads; t; t = t->all_next) {
        int64_t d = *(const volatile int64_t *)&t->deadline;
        if (t->state == GREEN__PARKED && d >= 0 && d != INT64_MAX && d <= now)
            return true;
    }
    return false;
}

/* Names a system call the hint knows; NULL for others. */
static const char *syscall_name(long nr)
{
    static const struct { long nr; const char *name; } known[] = {
        {SYS_read, "read"},         {SYS_write, "write"},
        {SYS_pread64, "pread"},     {SYS_pwrite64, "pwrite"},
        {SYS_readv, "readv"},       {SYS_writev, "writev"},
        {SYS_openat, "openat"},     {SYS_fsync, "fsync"},
        {SYS_fdatasync, "fdatasync"}, {SYS_flock, "flock"},
        {SYS_futex, "futex"},       {SYS_nanosleep, "nanosleep"},
        {SYS_clock_nanosleep, "clock_nanosleep"},
        {SYS_wait4, "wait4"},       {SYS_waitid, "waitid"},
        {SYS_connect, "connect"},   {SYS_accept4, "accept4"},
        {SYS_recvfrom, "recvfrom"}, {SYS_sendto, "sendto"},
        {SYS_ppoll, "ppoll"},       {SYS_pselect6, "pselect6"},
        {SYS_epoll_pwait, "epoll_pwait"},
#ifdef SYS_poll
        {SYS_poll, "poll"},         {SYS_select, "select"},
        {SYS_epoll_wait, "epoll_wait"}, {SYS_accept, "accept"},
        {SYS_open, "open"},
#endif
    };
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (known[i].nr == nr)
            return known[i].name;
    return NULL;
}

static bool fd_call(const char *name)
{
    static const char *const calls[] = {"read", "write", "pread", "pwrite",
                                        "readv", "writev", "fsync",
                                        "fdatasync", "flock", "connect",
                                        "recvfrom", "sendto", "accept",
                                        "accept4"};
    for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++)
        if (!strcmp(calls[i], name))
            return true;
    return false;
}

/* What OS thread tid is doing, from /proc/self/task/TID/syscall: the
 * call and its first argument, or "running" (computing). */
static void hint(pid_t tid, char *buf, size_t n)
{
    static const char *const kinds[] = {"a file of unknown kind", "a socket",
                                        "a pipe", "a tty", "a file",
                                        "an fd of another kind"};
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/self/task/%d/syscall", (int)tid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t len = fd >= 0 ? read(fd, line, sizeof line - 1) : -1;
    if (fd >= 0)
        close(fd);
    if (len <= 0) {
        snprintf(buf, n, "no hint (%s unreadable)", path);
        return;
    }
    line[len] = 0;
    if (!strncmp(line, "running", 7)) {
        snprintf(buf, n, "computing");
        return;
    }
    char *end;
    long nr = strtol(line, &end, 10);
    unsigned long arg0 = strtoul(end, NULL, 16);
    const char *name = syscall_name(nr);
    if (!name) {
        snprintf(buf, n, "in system call %ld", nr);
        return;
    }
    if (!strcmp(name, "futex")) {
        snprintf(buf, n, "in futex(2): a process-shared or robust mutex "
                         "wait, or a lock inside glibc");
        return;
    }
    if (!fd_call(name)) {
        snprintf(buf, n, "in %s(2)", name);
        return;
    }
    int f = (int)arg0;
    struct green__fdinfo fi;
    unsigned kind = green__fd_info(f, &fi) == 0 ? fi.info & GREEN__FD_KIND
                                                : GREEN__FD_UNKNOWN;
    if (kind >= sizeof kinds / sizeof kinds[0])
        kind = GREEN__FD_UNKNOWN;
    const char *why = "";
    if (kind == GREEN__FD_PIPE || kind == GREEN__FD_TTY)
        why = f <= 2 ? ": stdio's internal writes block the OS thread"
                     : ": a wrapper passed the call through";
    else if (kind == GREEN__FD_FILE)
        why = ": file I/O blocks the OS thread (GREEN_FILE_IO=offload "
              "moves it to the pool)";
    snprintf(buf, n, "in %s(2) on fd %d, %s%s", name, f, kinds[kind], why);
}

static void report(struct green__hub *h, int64_t ran, bool ready,
                   int64_t now)
{
    if (last_report && now - last_report < GREEN__NS_PER_S) {
        suppressed++;
        return;
    }
    /* Only a listed thread is dereferenced: it cannot be freed while
     * the list's lock is held. */
    green__oslock_lock(&h->threads_lock);
    struct green_thread *cur = *(struct green_thread *volatile *)&h->current;
    struct green_thread *t = h->threads;
    while (t && t != cur)
        t = t->all_next;
    uint64_t id = t ? t->id : 0;
    char name[16] = "";
    if (t)
        memcpy(name, t->name, sizeof name - 1);
    green__oslock_unlock(&h->threads_lock);
    if (!t)
        return;  /* it switched meanwhile */
    char why[256], more[64] = "";
    hint(h->tid, why, sizeof why);
    bool sampled = !strcmp(why, "computing") && sample(h);
    if (suppressed)
        snprintf(more, sizeof more, " (%u more since the last report)",
                 suppressed);
    green__say("monitor: green thread %llu%s%s%s on OS thread %d has run "
               "%lld ms without a switch while %s; %s%s",
               (unsigned long long)id, name[0] ? " \"" : "", name,
               name[0] ? "\"" : "", (int)h->tid,
               (long long)(ran / 1000000),
               ready ? "other green threads are ready"
                     : "a deadline has passed",
               why, more);
    if (sampled)
        say_sample(h);
    last_report = now;
    suppressed = 0;
}

/* One look at h. */
static void check(struct green__hub *h, void *arg)
{
    int64_t now = *(int64_t *)arg;
    uint64_t seq = atomic_load_explicit(&h->switch_seq, memory_order_relaxed);
    bool busy = *(struct green_thread *volatile *)&h->current != NULL;
    if (seq != h->mon_seq || !busy) {  /* it switched, or it is idle */
        h->mon_seq = seq;
        h->mon_since = now;
        h->mon_reported = !busy;
        return;
    }
    int64_t ran = now - h->mon_since;
    if (h->mon_reported ||
        ran < (int64_t)green__config.max_blocking_ms * 1000000)
        return;
    bool ready = *(volatile size_t *)&h->nready > 0;
    if (!ready) {
        green__oslock_lock(&h->threads_lock);
        bool late = deadline_passed(h, now);
        green__oslock_unlock(&h->threads_lock);
        if (!late)
            return;  /* alone on its hub: nobody waits for it */
    }
    h->mon_reported = true;  /* once per episode */
    report(h, ran, ready, now);
}

static void *monitor_main(void *arg)
{
    (void)arg;
    int64_t every = (int64_t)green__config.max_blocking_ms * 1000000 / 4;
    if (every < 1000000)
        every = 1000000;
    if (every > 250000000)
        every = 250000000;
    for (;;) {
        green__os_nap((long)every);
        int64_t now = green_now();
        green__hub_each(check, &now);
    }
    return NULL;
}

/* Set once the monitor is started; cleared in a fork's child, which has
 * no monitor thread. */
static atomic_bool started;

void green__monitor_fork_child(void)
{
    atomic_store(&started, false);
}

void green__monitor_setup(void)
{
    if (!green__config.max_blocking_ms ||
        atomic_load_explicit(&started, memory_order_relaxed) ||
        atomic_exchange(&started, true))
        return;
    pthread_attr_t attr;
    pthread_t th;
    sigset_t all, old;
    if (pthread_attr_init(&attr) != 0)
        return;
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    struct sigaction sa, cur;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_sample;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    int sig = SIGRTMAX - 1;
    if (green__reals()->sigaction(sig, NULL, &cur) == 0 &&
        cur.sa_handler == SIG_DFL &&
        green__reals()->sigaction(sig, &sa, NULL) == 0)
        sample_sig = sig;
    /* The real mask, not the calling green thread's: the program's
     * handlers never run on the monitor. */
    sigfillset(&all);
    green__reals()->pthread_sigmask(SIG_SETMASK, &all, &old);
    int r = green__reals()->pthread_create(&th, &attr, monitor_main, NULL);
    green__reals()->pthread_sigmask(SIG_SETMASK, &old, NULL);
    pthread_attr_destroy(&attr);
    if (r != 0)
        green__log(GREEN__LOG_WARN, "GREEN_MAX_BLOCKING_MS: no monitor "
                   "thread: %s", strerror(r));
}
