/* pthread_t for green threads; see pthr.h. */
#include "pthr.h"

#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/single_threaded.h>
#include <unistd.h>

#include "cancel.h"
#include "common.h"
#include "config.h"
#include "green.h"
#include "hub.h"
#include "place.h"
#include "tid.h"
#include "tls.h"
#include "real.h"

bool green__pthr_green(void)
{
    green__config_load();
    if (green__config.threads_native || green__config.disable ||
        green__tls_internal)
        return false;
    struct green__hub *h = green__tls_hub;
    return h ? h->is_main || h->worker : getpid() == green__tid_real();
}

/* glibc's default stack size (8 MiB under the usual RLIMIT_STACK): an
 * attribute that asks for exactly that asked for nothing. */
static size_t glibc_default_stack(void)
{
    static size_t size;
    pthread_attr_t a;
    if (!size && pthread_getattr_default_np(&a) == 0) {
        pthread_attr_getstacksize(&a, &size);
        pthread_attr_destroy(&a);
    }
    return size;
}

/* The stack size an attribute asks for, or 0 if it asks for none.
 * pthread_attr_getstacksize answers glibc's default for an attribute that
 * never had one set, so the stored field is read: glibc keeps 0 there
 * until pthread_attr_setstacksize (struct pthread_attr, offset 32 on
 * 64-bit glibc; checked once with a probe, else the old rule: a size
 * equal to the default asked for nothing). rustc asks for exactly 8 MiB. */
static size_t asked_stack(const pthread_attr_t *attr)
{
    static int raw = -1;  /* the field is where expected */
    size_t size = 0;
    if (raw < 0) {
        pthread_attr_t a;
        size_t probe = 12345 * (size_t)sysconf(_SC_PAGESIZE), got;
        pthread_attr_init(&a);
        memcpy(&got, (const char *)&a + 32, sizeof got);
        raw = got == 0 && pthread_attr_setstacksize(&a, probe) == 0 &&
              (memcpy(&got, (const char *)&a + 32, sizeof got), got == probe);
        pthread_attr_destroy(&a);
    }
    if (raw) {
        memcpy(&size, (const char *)attr + 32, sizeof size);
        return size;
    }
    if (pthread_attr_getstacksize(attr, &size) != 0 ||
        size == glibc_default_stack())
        return 0;
    return size;
}

/* The part of pthread_create's attribute that libgreen does not act on
 * but pthread_getattr_np reports: the guard size, rounded up to pages,
 * and an explicit scheduling (its priority checked against the policy's
 * range, as glibc checks it). Returns 0 or -EINVAL. */
static int sched_and_guard(const pthread_attr_t *attr, bool user_stack,
                           struct green__pthr_attr *pa)
{
    static size_t page;
    if (!page)
        page = (size_t)sysconf(_SC_PAGESIZE);
    size_t guard = page;
    int inherit = PTHREAD_INHERIT_SCHED;
    struct sched_param sp = {0};
    if (attr) {
        pthread_attr_getguardsize(attr, &guard);
        size_t rounded = (guard + page - 1) & ~(page - 1);
        if (rounded < guard && !user_stack)
            return -EINVAL;  /* glibc's overflow check */
        guard = rounded;
        pthread_attr_getinheritsched(attr, &inherit);
    }
    if (inherit == PTHREAD_EXPLICIT_SCHED) {
        pthread_attr_getschedpolicy(attr, &pa->policy);
        pthread_attr_getschedparam(attr, &sp);
        if (sp.sched_priority < sched_get_priority_min(pa->policy) ||
            sp.sched_priority > sched_get_priority_max(pa->policy))
            return -EINVAL;
        pa->explicit_sched = true;
        pa->priority = sp.sched_priority;
    }
    pa->guard = user_stack ? 0 : guard;  /* glibc puts none there */
    return 0;
}

static atomic_bool defaults_set;

void green__pthr_defaults_set(void)
{
    atomic_store_explicit(&defaults_set, true, memory_order_relaxed);
}

static int create(pthread_t *out, const pthread_attr_t *attr,
                  void *(*fn)(void *), void *arg);

int green__pthr_create(pthread_t *out, const pthread_attr_t *attr,
                       void *(*fn)(void *), void *arg)
{
    pthread_attr_t def;
    if (attr || !atomic_load_explicit(&defaults_set, memory_order_relaxed) ||
        pthread_getattr_default_np(&def) != 0)
        return create(out, attr, fn, arg);
    int r = create(out, &def, fn, arg);
    pthread_attr_destroy(&def);
    return r;
}

/* What a new pthread needs before it runs: on another hub it may run
 * before green__spawn_on returns, and its pthread_self() must already be
 * the id the creator gets (glibc writes *out before the thread starts). */
struct prep {
    uint64_t handle;
    struct green__pthr_attr pa;
    struct green_thread *creator;
    pthread_t *out;
};

static void prepare(struct green_thread *t, void *ctx)
{
    struct prep *p = ctx;
    green__handle_bind(p->handle, t);
    t->handle = p->handle;
    t->pthread = true;
    t->pattr = p->pa;
    memcpy(t->name, p->creator->name, sizeof t->name);
    *p->out = (pthread_t)p->handle;
}

static int create(pthread_t *out, const pthread_attr_t *attr,
                  void *(*fn)(void *), void *arg)
{
    green_attr_t ga = {green__config.pthread_stack_size, NULL, 0, 0};
    void *stack = NULL;
    size_t asked = 0;
    if (attr) {
        size_t size;
        int detach;
        if ((size = asked_stack(attr)) != 0)
            ga.stack_size = asked = size;
        /* glibc keeps the top of a caller's stack, NULL if none was set,
         * and its getstack answers top - size; setstackaddr alone means
         * the default size below that top. */
        void *lo;
        if (pthread_attr_getstack(attr, &lo, &size) == 0 &&
            (uintptr_t)lo + size != 0) {
            uintptr_t top = (uintptr_t)lo + size;
            ga.stack_size = size ? size : glibc_default_stack();
            stack = (void *)(top - ga.stack_size);
            asked = 0;  /* the caller's memory is reported as it is */
        }
        if (pthread_attr_getdetachstate(attr, &detach) == 0)
            ga.detached = detach == PTHREAD_CREATE_DETACHED;
    }
    struct green_thread *self = green__self();
    if (!self)
        return -EAGAIN;
    struct green__pthr_attr pa = {0};  /* checked before a spawn */
    int bad = sched_and_guard(attr, stack != NULL, &pa);
    if (bad)
        return bad;
    uint64_t h = green__handle_make(NULL);
    if (!h)
        return -EAGAIN;
    struct prep p = {h, pa, self, out};
    /* Reported as glibc reports it: aligned down to the TLS block's
     * alignment. */
    p.pa.stack = asked & ~(green__tls_align() - 1);
    /* As glibc's pthread_create: libstdc++ skips atomics while it is
     * set. Written once only, as glibc does: the threads already running
     * read it without atomics (a second write raced with their reads). */
    if (__libc_single_threaded)
        __libc_single_threaded = 0;
    int saved = errno;
    struct green_thread *t = green__spawn_on(green__place(attr), fn, arg,
                                             &ga, stack, prepare, &p);
    int err = errno;
    errno = saved;
    if (!t) {
        green__handle_free(h, false);
        return -err;
    }
    return 0;
}

pthread_t green__pthr_self(void)
{
    struct green_thread *t = green__pthr_current();
    if (!t)
        return green__reals()->pthread_self();
    if (green__unlikely(!t->handle)) {
        /* A green_spawn'd thread: its handle is made when first asked. */
        t->handle = green__handle_make(t);
        green__assert(t->handle, "no memory for a pthread_t");
    }
    return (pthread_t)t->handle;
}

int green__pthr_gone(pthread_t th)
{
    return green__handle_detached(th) ? -EINVAL : -ESRCH;
}

/* Whether th, ours, names no thread or one that ended. */
static bool ended(pthread_t th)
{
    struct green_thread *t = green__pthr_of(th);
    return !t || atomic_load(&t->join) == GREEN__JOIN_ENDED;
}

int green__pthr_os(pthread_t th, pthread_t *os)
{
    if (!green__pthr_ours(th)) {
        *os = th;
        return 0;
    }
    struct green_thread *t = green__pthr_of(th);
    if (!t || atomic_load(&t->join) == GREEN__JOIN_ENDED)
        return -ESRCH;
    *os = t->hub->os;
    return 0;
}

int green__pthr_kill_gone(int sig)
{
    /* SIGCANCEL and SIGSETXID, which glibc keeps for itself. */
    return sig == __SIGRTMIN || sig == __SIGRTMIN + 1 ? -EINVAL : 0;
}

int green__pthr_join(struct green_thread *t, void **result, int64_t deadline)
{
    green__testcancel();
    for (;;) {
        int r = green__join(t, result, deadline);
        if (r != -ECANCELED)
            return r;
        green__testcancel();  /* else a green_kill: the wait goes on */
    }
}

int green__pthr_detach(struct green_thread *t)
{
    int r = green__detach(t);
    if (r == -EINVAL && atomic_load(&t->join) != GREEN__JOIN_DETACHED)
        return 0;  /* it had a joiner */
    return r;
}

int green__pthr_tryjoin(struct green_thread *t, void **result)
{
    uintptr_t j = atomic_load(&t->join);
    if (j == GREEN__JOIN_ENDED)
        return green__join(t, result, GREEN_NEVER);
    return j == GREEN__JOIN_DETACHED ? -EINVAL : -EBUSY;
}

int green__pthr_tryjoin_gone(pthread_t th)
{
    return green__handle_detached(th) ? -EINVAL : -EBUSY;
}

#define NAME_MAX_LEN (sizeof ((struct green_thread *)0)->name)

int green__pthr_setname(pthread_t th, const char *name)
{
    size_t len = strlen(name);
    if (len >= NAME_MAX_LEN)
        return -ERANGE;
    if (ended(th))
        return -ENOENT;
    memcpy(green__pthr_of(th)->name, name, len + 1);
    return 0;
}

int green__pthr_getname(pthread_t th, char *buf, size_t len)
{
    if (len < NAME_MAX_LEN)
        return -ERANGE;  /* glibc asks for room for any name */
    if (ended(th))
        return -ENOENT;
    struct green_thread *t = green__pthr_of(th);
    if (!t->name[0])
        return -green__real.pthread_getname_np(t->hub->os, buf, len);
    memcpy(buf, t->name, sizeof t->name);
    return 0;
}

int green__pthr_getattr(pthread_t th, pthread_attr_t *attr)
{
    struct green_thread *t = green__pthr_of(th);
    if (!t)
        return -ESRCH;
    int r = pthread_attr_init(attr);
    if (r)
        return -r;
    /* The size asked for, below the real top (the TLS block lies above
     * it, as in glibc's report); the guard as asked. */
    size_t size = t->pthread && t->pattr.stack
                      ? t->pattr.stack
                      : (size_t)(t->stack.hi - t->stack.lo);
    pthread_attr_setstack(attr, t->stack.hi - size, size);
    pthread_attr_setguardsize(attr, t->pthread ? t->pattr.guard
                                    : t->stack.guarded
                                        ? (size_t)sysconf(_SC_PAGESIZE)
                                        : 0);
    /* Inherited scheduling is the OS thread's, which every green thread
     * of it runs under. */
    int policy = t->pattr.policy;
    struct sched_param sp = {.sched_priority = t->pattr.priority};
    if (t->pattr.explicit_sched)
        pthread_attr_setinheritsched(attr, PTHREAD_EXPLICIT_SCHED);
    else
        green__reals()->pthread_getschedparam(t->hub->os, &policy, &sp);
    pthread_attr_setschedpolicy(attr, policy);
    pthread_attr_setschedparam(attr, &sp);
    /* glibc's adds the affinity, the OS thread's here. */
    cpu_set_t set;
    if (green__reals()->pthread_getaffinity_np(t->hub->os, sizeof set,
                                               &set) == 0 &&
        (r = pthread_attr_setaffinity_np(attr, sizeof set, &set)) != 0) {
        pthread_attr_destroy(attr);
        return -r;
    }
    pthread_attr_setdetachstate(attr, atomic_load(&t->join) ==
                                              GREEN__JOIN_DETACHED
                                          ? PTHREAD_CREATE_DETACHED
                                          : PTHREAD_CREATE_JOINABLE);
    return 0;
}
