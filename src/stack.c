/* Stacks: guarded mappings while the map budget lasts, slab-carved with a
 * canary zone after that; see stack.h. Freed stacks of either kind are
 * emptied and reused, never unmapped.
 *
 * A slab stack is one page of padding, never written, under a page-aligned
 * usable range: the top GREEN__CANARY_ZONE bytes of the pad are the canary
 * zone, and MADV_DONTNEED on the usable range never touches a neighbour.
 * Slabs are never unmapped: a freed slab stack is emptied (64 at a time,
 * see drop_pages) and recorded in a global array (under `lock`), not in
 * its own memory, which would commit a page again, ready for the next
 * thread of the same size. */
#include "stack.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "common.h"
#include "config.h"
#include "fiber_san.h"
#include "oslock.h"

/* What a cached stack keeps about itself, at the top of its own memory
 * (that page is committed anyway: the thread struct lived there). */
struct green__stack_free {
    struct green__stack_free *next;
    struct green__stack stack;
};

const uint64_t green__stack_zero[GREEN__CANARY_ZONE / 8];

static atomic_size_t guarded_count;   /* live guarded mappings */
static atomic_size_t guarded_budget;  /* set once; see budget() */

static struct green__oslock lock;     /* protects the fields below */
static struct {
    struct green__stack *free;  /* emptied slab stacks */
    size_t nfree, cap;
    char *next, *end;           /* uncarved rest of the current slab */
    size_t stride;              /* its stack size, pad page included */
} slab;

static size_t page_size(void)
{
    static atomic_size_t page;  /* hubs of several OS threads ask at once */
    size_t p = atomic_load_explicit(&page, memory_order_relaxed);
    if (!p) {
        p = (size_t)sysconf(_SC_PAGESIZE);
        atomic_store_explicit(&page, p, memory_order_relaxed);
    }
    return p;
}

static size_t round_pages(size_t n)
{
    size_t p = page_size();
    return (n + p - 1) & ~(p - 1);
}

/* How many guarded stacks: GREEN_GUARDED_STACKS, or a quarter of
 * vm.max_map_count, so that their two maps each use half the limit and
 * leave the other half to the program, its libraries, malloc and native
 * threads. */
static size_t budget(void)
{
    /* Hubs of several OS threads ask at once; each finds the same answer,
     * so a racing store is harmless, but it must be atomic. */
    size_t b = atomic_load_explicit(&guarded_budget, memory_order_relaxed);
    if (b)
        return b;
    if (green__config.guarded_stacks >= 0) {
        b = (size_t)green__config.guarded_stacks;
    } else {
        long max = 65530;  /* the kernel's default */
        char buf[32];
        int fd = open("/proc/sys/vm/max_map_count", O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
            ssize_t n = read(fd, buf, sizeof buf - 1);
            if (n > 0) {
                buf[n] = 0;
                max = strtol(buf, NULL, 10);
            }
            close(fd);
        }
        b = (size_t)(max > 256 ? max : 256) / 4;
    }
    atomic_store_explicit(&guarded_budget, b, memory_order_relaxed);
    return b;
}

size_t green__stack_guarded_count(void)
{
    return atomic_load(&guarded_count);
}

int green__stack_map(size_t size, struct green__stack *out)
{
    size_t page = page_size();
    size = round_pages(size);
    char *base = mmap(NULL, size + page, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK,
                      -1, 0);
    if (base == MAP_FAILED)
        return -ENOMEM;
    if (mprotect(base, page, PROT_NONE) < 0) {
        munmap(base, size + page);
        return -ENOMEM;
    }
    atomic_fetch_add(&guarded_count, 1);
    *out = (struct green__stack){.lo = base + page, .hi = base + page + size,
                                 .canary = green__stack_zero, .guarded = true};
    return 0;
}

void green__stack_unmap(const struct green__stack *s)
{
    size_t page = page_size();
    green__san_stack_reuse(s->lo, (size_t)(s->hi - s->lo));
    munmap(s->lo - page, (size_t)(s->hi - s->lo) + page);
    atomic_fetch_sub(&guarded_count, 1);
}

#define SLAB_STACKS 256
#define POPULATE_BATCH 32  /* stacks whose top page one call commits */

/* Commits n ranges in one system call (process_madvise with
 * MADV_POPULATE_WRITE, on this process), instead of a page fault or two
 * at each spawn. A fault costs about 3 us in a nested VM; a batch pays
 * the entry into the kernel once (docs/BENCHMARKS.md, scale). Where the
 * kernel refuses (before Linux 6.14, PIDFD_SELF), the faults stay. Called
 * under lock. */
static void commit(const struct iovec *iov, size_t n)
{
    static bool refused;
    if (!refused && n &&
        syscall(SYS_process_madvise, -10000 /* PIDFD_SELF_THREAD */, iov, n,
                23 /* MADV_POPULATE_WRITE */, 0) < 0)
        refused = true;
}

static struct iovec iov[POPULATE_BATCH];  /* the ranges to commit, under lock */

/* Commits the top `hot` bytes of the next n stacks to be carved: every
 * thread writes its struct, TLS block and first frames there first, so
 * this commits nothing that those threads would not, but for the rest of
 * a batch left behind when a stack of another size starts a new slab.
 * Called under lock. */
static void populate_tops(char *base, size_t stride, size_t n, size_t hot)
{
    for (size_t i = 0; i < n; i++)
        iov[i] = (struct iovec){base + (i + 1) * stride - hot, hot};
    commit(iov, n);
}

#define DROP_BATCH 64  /* freed stacks whose pages one call drops */

/* Freed stacks whose pages are yet to be dropped, under lock: one
 * array fills while the other is being dropped. */
static struct green__stack drops[2][DROP_BATCH];
static size_t ndrop;
static unsigned filling;
static bool dropping;  /* drops[!filling] is being dropped */

/* Emptied stacks whose top `hot` bytes are committed again, the next to
 * be handed out: a thread that reuses a freed stack would otherwise
 * fault its top pages in again one at a time. Under lock. */
static struct green__stack warm[POPULATE_BATCH];
static size_t nwarm;

/* Takes a stack of `size` usable bytes from the n in a[]. */
static bool take(struct green__stack *a, size_t *n, size_t size,
                 struct green__stack *out)
{
    for (size_t i = *n; i-- > 0;) {
        if ((size_t)(a[i].hi - a[i].lo) == size) {
            *out = a[i];
            a[i] = a[--*n];
            return true;
        }
    }
    return false;
}

/* Moves up to POPULATE_BATCH freed stacks of `size` to warm[], their tops
 * committed in one call. Called under lock, with warm[] empty. */
static void warm_up(size_t size, size_t hot)
{
    while (nwarm < POPULATE_BATCH &&
           take(slab.free, &slab.nfree, size, &warm[nwarm])) {
        iov[nwarm] = (struct iovec){warm[nwarm].hi - hot, hot};
        nwarm++;
    }
    commit(iov, nwarm);
}

/* A freed stack of `size` usable bytes, if there is one. Called under
 * lock. */
static bool reuse(size_t size, size_t hot, struct green__stack *out)
{
    /* First those whose pages are still there: waiting to be dropped (the
     * most recently freed), or committed again. */
    if (take(drops[filling], &ndrop, size, out) ||
        take(warm, &nwarm, size, out))
        return true;
    if (!nwarm)
        warm_up(size, hot);
    return take(warm, &nwarm, size, out) ||
           take(slab.free, &slab.nfree, size, out);
}

/* Carves one stack of `size` usable bytes from a slab, whose top `hot`
 * bytes are committed in batches. Called under lock. */
static int carve(size_t size, size_t hot, struct green__stack *out)
{
    size_t stride = size + page_size();
    if (slab.stride != stride || slab.next + stride > slab.end) {
        size_t bytes = stride * SLAB_STACKS;
        char *base = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (base == MAP_FAILED)
            return -ENOMEM;
        slab.next = base;
        slab.end = base + bytes;
        slab.stride = stride;
    }
    size_t carved = (size_t)(slab.next - (slab.end - stride * SLAB_STACKS)) /
                    stride;
    if (carved % POPULATE_BATCH == 0)
        populate_tops(slab.next, stride,
                      SLAB_STACKS - carved < POPULATE_BATCH
                          ? SLAB_STACKS - carved : POPULATE_BATCH, hot);
    char *lo = slab.next + page_size();
    slab.next += stride;
    *out = (struct green__stack){.lo = lo, .hi = lo + size,
                                 .canary = (const uint64_t *)
                                           (lo - GREEN__CANARY_ZONE),
                                 .guarded = false};
    return 0;
}

int green__stack_alloc(struct green__stack_cache *c, size_t size,
                       struct green__stack *out)
{
    if (size > ((size_t)1 << 40))
        return -EINVAL;
    size = round_pages(size < GREEN__STACK_MIN ? GREEN__STACK_MIN : size);
    for (struct green__stack_free **p = &c->head; *p; p = &(*p)->next) {
        if ((size_t)((*p)->stack.hi - (*p)->stack.lo) == size) {
            struct green__stack_free *f = *p;
            *p = f->next;
            c->count--;
            *out = f->stack;
            return 0;
        }
    }
    size_t hot = round_pages(c && c->hot ? c->hot : 1);
    hot = hot < size ? hot : size;
    green__oslock_lock(&lock);
    bool again = reuse(size, hot, out);
    green__oslock_unlock(&lock);
    if (again)
        return 0;
    if (atomic_load_explicit(&guarded_count, memory_order_relaxed) < budget() &&
        green__stack_map(size, out) == 0)
        return 0;
    green__oslock_lock(&lock);
    int r = carve(size, hot, out);
    green__oslock_unlock(&lock);
    return r;
}

/* Records emptied stack s as free for the next thread of its size. Called
 * under lock. */
static void keep(const struct green__stack *s)
{
    if (slab.nfree == slab.cap) {
        size_t cap = slab.cap ? slab.cap * 2 : 256;
        struct green__stack *a = realloc(slab.free, cap * sizeof *a);
        if (!a)
            return;  /* the range leaks, its pages are already gone */
        slab.free = a;
        slab.cap = cap;
    }
    slab.free[slab.nfree++] = *s;
}

/* Drops the pages of n stacks in one system call (process_madvise with
 * MADV_DONTNEED, on this process). Each madvise that drops pages flushes
 * their TLB entries on every CPU that runs one of the process's threads:
 * with two hubs an inter-processor interrupt per freed stack, which took
 * 30 % of the time of a million threads ending in a nested VM. The kernel
 * flushes once for a whole batch (Linux 6.16 on); where it refuses the
 * call, each stack gets its own madvise. */
static void drop_pages(const struct green__stack *s, size_t n)
{
    static atomic_bool refused;
    struct iovec range[DROP_BATCH];  /* not commit's: called unlocked */
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        range[i] = (struct iovec){s[i].lo, (size_t)(s[i].hi - s[i].lo)};
        total += range[i].iov_len;
    }
    if (!atomic_load_explicit(&refused, memory_order_relaxed)) {
        long r = syscall(SYS_process_madvise, -10000 /* PIDFD_SELF_THREAD */,
                         range, n, MADV_DONTNEED, 0);
        if (r >= 0 && (size_t)r == total)
            return;
        if (r < 0)
            atomic_store_explicit(&refused, true, memory_order_relaxed);
    }
    for (size_t i = 0; i < n; i++)
        madvise(range[i].iov_base, range[i].iov_len, MADV_DONTNEED);
}

/* Guarded stacks too are kept, not unmapped: a program whose threads
 * come and go would otherwise map, protect and unmap a stack for most of
 * them (and each unmap flushes the TLB of every CPU the process runs on),
 * and fault in its top pages one at a time. */
static void release(const struct green__stack *s)
{
    /* Drop the pages, keep the address range for the next thread. */
    green__oslock_lock(&lock);
    if (ndrop == DROP_BATCH) {  /* both arrays busy: this one alone */
        green__oslock_unlock(&lock);
        drop_pages(s, 1);
        green__oslock_lock(&lock);
        keep(s);
        green__oslock_unlock(&lock);
        return;
    }
    drops[filling][ndrop++] = *s;
    while (ndrop == DROP_BATCH && !dropping) {
        struct green__stack *batch = drops[filling];
        filling ^= 1;
        ndrop = 0;
        dropping = true;
        green__oslock_unlock(&lock);  /* the call is long: others carve */
        drop_pages(batch, DROP_BATCH);
        green__oslock_lock(&lock);
        for (size_t i = 0; i < DROP_BATCH; i++)
            keep(&batch[i]);
        dropping = false;
    }
    green__oslock_unlock(&lock);
}

void green__stack_free(struct green__stack_cache *c,
                       const struct green__stack *s)
{
    green__san_stack_reuse(s->lo, (size_t)(s->hi - s->lo));
    if (s->user)
        return;
    if (c && c->count < green__config.stack_cache) {
        struct green__stack_free *f = (struct green__stack_free *)s->hi - 1;
        f->stack = *s;
        f->next = c->head;
        c->head = f;
        c->count++;
        return;
    }
    release(s);
}

void green__stack_cache_drain(struct green__stack_cache *c)
{
    while (c->head) {
        struct green__stack_free *f = c->head;
        c->head = f->next;
        struct green__stack s = f->stack;
        release(&s);
    }
    c->count = 0;
}

bool green__stack_below(const struct green__stack *s, const void *addr)
{
    const char *a = addr;
    size_t below = s->guarded ? page_size() : GREEN__CANARY_ZONE;
    return a < s->lo && a >= s->lo - below;
}
