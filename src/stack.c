/* Stacks: guarded mappings while the map budget lasts, slab-carved with a
 * canary zone after that; see stack.h.
 *
 * A slab stack is one page of padding, never written, under a page-aligned
 * usable range: the top GREEN__CANARY_ZONE bytes of the pad are the canary
 * zone, and MADV_DONTNEED on the usable range never touches a neighbour.
 * Slabs are never unmapped: a freed slab stack is emptied and recorded in
 * a global array (under `lock`), not in its own memory, which would commit
 * a page again, ready for the next thread of the same size. */
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

/* Commits the top `hot` bytes of the next n stacks to be carved in one
 * system call (process_madvise with MADV_POPULATE_WRITE, on this
 * process), instead of a page fault or two at each spawn: every thread
 * writes its struct, TLS block and first frames there first, so this
 * commits nothing that those threads would not, but for the rest of a
 * batch left behind when a stack of another size starts a new slab. A fault costs about 3 us in a nested VM; a
 * batch pays the entry into the kernel once (docs/BENCHMARKS.md, scale).
 * Where the kernel refuses (before Linux 6.14, PIDFD_SELF), the faults
 * stay. Called under lock. */
static void populate_tops(char *base, size_t stride, size_t n, size_t hot)
{
    static struct iovec iov[POPULATE_BATCH];  /* under lock: off the stack */
    static bool refused;
    if (refused)
        return;
    for (size_t i = 0; i < n; i++)
        iov[i] = (struct iovec){base + (i + 1) * stride - hot, hot};
    if (syscall(SYS_process_madvise, -10000 /* PIDFD_SELF_THREAD */, iov, n,
                23 /* MADV_POPULATE_WRITE */, 0) < 0)
        refused = true;
}

/* Carves one stack of `size` usable bytes from a slab, whose top `hot`
 * bytes are committed in batches. Called under lock. */
static int carve(size_t size, size_t hot, struct green__stack *out)
{
    for (size_t i = slab.nfree; i-- > 0;) {
        if ((size_t)(slab.free[i].hi - slab.free[i].lo) == size) {
            *out = slab.free[i];
            slab.free[i] = slab.free[--slab.nfree];
            return 0;
        }
    }
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
    if (atomic_load_explicit(&guarded_count, memory_order_relaxed) < budget() &&
        green__stack_map(size, out) == 0)
        return 0;
    green__oslock_lock(&lock);
    size_t hot = round_pages(c && c->hot ? c->hot : 1);
    int r = carve(size, hot < size ? hot : size, out);
    green__oslock_unlock(&lock);
    return r;
}

static void release(const struct green__stack *s)
{
    if (s->guarded) {
        green__stack_unmap(s);
        return;
    }
    /* Drop the pages, keep the address range for the next thread. */
    madvise(s->lo, (size_t)(s->hi - s->lo), MADV_DONTNEED);
    green__oslock_lock(&lock);
    if (slab.nfree == slab.cap) {
        size_t cap = slab.cap ? slab.cap * 2 : 256;
        struct green__stack *a = realloc(slab.free, cap * sizeof *a);
        if (!a) {
            green__oslock_unlock(&lock);
            return;  /* the range leaks, its pages are already gone */
        }
        slab.free = a;
        slab.cap = cap;
    }
    slab.free[slab.nfree++] = *s;
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
