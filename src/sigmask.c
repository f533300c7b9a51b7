/* Signal masks per green thread; see sigmask.h. The hub counts, per
 * signal, the live threads that block it; the real mask is the set whose
 * count is all of them. It changes only when those counts cross that
 * line, so most mask changes and every switch make no system call. All of
 * this runs on the hub's own OS thread. */
#include "sigmask.h"

#include <errno.h>
#include <string.h>

#include "common.h"
#include "config.h"
#include "hub.h"
#include "intr.h"
#include "real.h"
#include "thread.h"

/* Never blocked: SIGKILL and SIGSTOP, and glibc's SIGCANCEL and SIGSETXID
 * (32, 33), which its pthread_sigmask keeps deliverable. */
#define UNBLOCKABLE                                                        \
    (green__sigbit(SIGKILL) | green__sigbit(SIGSTOP) | green__sigbit(32) | \
     green__sigbit(33))

bool green__sigmask_green(void)
{
    struct green__hub *h = green__tls_hub;
    return h && h->current && !green__tls_internal && !green__config.disable;
}

static uint64_t intersection(const struct green__hub *h)
{
    uint64_t all = 0;
    for (int i = 0; i < 64; i++)
        if (h->sig_nblocked[i] && h->sig_nblocked[i] == h->sig_threads)
            all |= (uint64_t)1 << i;
    return all;
}

void green__sigmask_apply(struct green__hub *h, const struct green_thread *t)
{
    uint64_t want = (h->sig_all & ~GREEN__SIG_SYNC) |
                    (t->sigmask & GREEN__SIG_SYNC);
    if (want == h->sig_real)
        return;
    /* Relaxed atomics: intr.c reads it, and t->sigmask, from other
     * hubs. */
    __atomic_store_n(&h->sig_real, want, __ATOMIC_RELAXED);
    sigset_t s;
    green__sigset_from(&s, want);
    green__reals()->pthread_sigmask(SIG_SETMASK, &s, NULL);
}

/* After the counts changed, on behalf of the running thread. */
static void apply(struct green__hub *h)
{
    h->sig_all = intersection(h);
    green__sigmask_apply(h, h->current ? h->current : &h->first);
}

static void count(struct green__hub *h, uint64_t bits, int by)
{
    for (; bits; bits &= bits - 1)
        h->sig_nblocked[__builtin_ctzll(bits)] += (unsigned)by;
}

int green__sigmask_set(int how, const sigset_t *set, sigset_t *old)
{
    struct green__hub *h = green__tls_hub;
    struct green_thread *t = h->current;
    uint64_t prev = t->sigmask, m = prev;
    if (set) {
        uint64_t b = green__sigset_bits(set);
        switch (how) {
        case SIG_BLOCK: m |= b; break;
        case SIG_UNBLOCK: m &= ~b; break;
        case SIG_SETMASK: m = b; break;
        default: return -EINVAL;
        }
        m &= ~UNBLOCKABLE;
    }
    if (old)  /* after reading set: they may be the same object */
        green__sigset_from(old, prev);
    if (m == prev)
        return 0;
    count(h, prev & ~m, -1);
    count(h, m & ~prev, 1);
    __atomic_store_n(&t->sigmask, m, __ATOMIC_RELAXED);
    apply(h);
    if (atomic_load(&t->sigpend) & prev & ~m)
        green__intr_raise(t);  /* its pending signals, now unblocked */
    return 0;
}

bool green__sigmask_install(const sigset_t *mask, struct green__sigsave *s)
{
    s->on = mask && green__sigmask_green();
    if (!s->on)
        return false;
    struct green_thread *t = green__tls_hub->current;
    bool pending = atomic_load(&t->sigpend) & ~green__sigset_bits(mask);
    green__sigmask_set(SIG_SETMASK, mask, &s->old);  /* they run here */
    return pending;
}

void green__sigmask_restore(struct green__sigsave *s)
{
    if (!s->on)
        return;
    int saved = errno;
    green__sigmask_set(SIG_SETMASK, &s->old, NULL);
    errno = saved;
}

void green__sigmask_resync(void)
{
    struct green__hub *h = green__tls_hub;
    if (!h || !h->current)
        return;
    /* Unknown: force the write. */
    __atomic_store_n(&h->sig_real, ~h->sig_real, __ATOMIC_RELAXED);
    green__sigmask_apply(h, h->current);
}

void green__sigmask_adopt(struct green__hub *h)
{
    sigset_t s;
    green__reals()->pthread_sigmask(SIG_BLOCK, NULL, &s);
    h->first.sigmask = green__sigset_bits(&s) & ~UNBLOCKABLE;
    h->sig_real = h->sig_all = h->first.sigmask;
    h->sig_threads = 1;
    count(h, h->first.sigmask, 1);
}

void green__sigmask_inherit(struct green__hub *h, struct green_thread *t)
{
    struct green_thread *creator = h->current ? h->current : &h->first;
    t->sigmask = creator->sigmask;
    green__sigmask_arrive(h, t);
}

void green__sigmask_arrive(struct green__hub *h, struct green_thread *t)
{
    h->sig_threads++;
    count(h, t->sigmask, 1);
    if (h->sig_all & ~t->sigmask)
        apply(h);  /* it unblocks what all the others block */
}

void green__sigmask_leave(struct green__hub *h, struct green_thread *t)
{
    h->sig_threads--;
    count(h, t->sigmask, -1);
    if (~t->sigmask & ~h->sig_all)
        apply(h);  /* it may have been the last to unblock something */
}

void green__sigmask_fork_child(struct green__hub *h, struct green_thread *self)
{
    memset(h->sig_nblocked, 0, sizeof h->sig_nblocked);
    h->sig_threads = 1;
    count(h, self->sigmask, 1);
    h->sig_all = intersection(h);
    /* Unknown: force the write. */
    __atomic_store_n(&h->sig_real, ~self->sigmask, __ATOMIC_RELAXED);
    green__sigmask_apply(h, self);
}

void green__sigmask_begin_own(void)
{
    struct green__hub *h = green__tls_hub;
    if (!h || !h->current || h->current->sigmask == h->sig_real)
        return;
    sigset_t s;
    green__sigset_from(&s, h->current->sigmask);
    __atomic_store_n(&h->sig_real, h->current->sigmask, __ATOMIC_RELAXED);
    green__reals()->pthread_sigmask(SIG_SETMASK, &s, NULL);
}

void green__sigmask_end_own(void)
{
    struct green__hub *h = green__tls_hub;
    if (h && h->current)
        green__sigmask_apply(h, h->current);
}
